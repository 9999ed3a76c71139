//! `cargo test` entry of the conformance suite. The same binary doubles as the `nyash` CLI:
//! with `NYASH_HARNESS_AS_CLI=1` it *is* the driver, which is how the harness runs every
//! program in child processes without needing a separately built `nyash` executable.

fn main() {
    if std::env::var_os("NYASH_HARNESS_AS_CLI").is_some_and(|v| v == "1") {
        std::process::exit(nyash_driver::main_with_args(std::env::args_os().collect()));
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    nyash_tests::conformance_main(&root)
}
