//! The `nyash` executable: a thin wrapper over `nyash_driver::main_with_args`.

fn main() {
    // Before parsing the arguments, for the longest head start; a command that compiles
    // nothing (`--help`, `bench`'s parent process) only wastes one short-lived thread.
    nyash_driver::prefault_code();
    let code = nyash_driver::main_with_args(std::env::args_os().collect());
    std::process::exit(code);
}
