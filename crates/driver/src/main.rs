//! The `nyash` executable: a thin wrapper over `nyash_driver::main_with_args`.

fn main() {
    let code = nyash_driver::main_with_args(std::env::args_os().collect());
    std::process::exit(code);
}
