//! Shared helpers for the criterion benches: benchmark programs (the `programs/` suite, see
//! `suite.rs`), the front end, the five execution modes, and building AOT executables
//! (Nyash and the C baseline) once.
//!
//! Nothing here panics on a failing pipeline stage: every step returns `Result<_, String>` so
//! a bench can print a note and skip a mode that does not work yet, and measure the rest.

mod aot;
mod many_functions;
mod suite;

pub use aot::{build_c, build_nyash_executable, run_executable, scratch_dir};
pub use many_functions::many_functions_source;
pub use suite::{load_suite_program, SilencedStdout, RUN_BENCH_PROGRAMS, SUITE};

use nyash_mir::{Module, OptLevel, Options, Timings};
use nyash_syntax::SourceFile;
use std::path::PathBuf;

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// `benches/programs/`, where the checked-in benchmark programs live.
pub fn programs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// The expected stdout of `programs/fib.nyash` and `programs/fib.c`.
pub const FIB_EXPECTED: &str = "9227465\n";

/// Reads a program from `programs/` as a `SourceFile` named by its path relative to the root.
pub fn load_program(file: &str) -> Result<SourceFile, String> {
    let path = programs_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(SourceFile::new(format!("benches/programs/{file}"), text))
}

/// Parse and lower to legal MIR (the whole front end, verifier off as in a release compile),
/// with the reference passes (the VM's). Errors come back rendered, ready to print.
pub fn front_end(src: &SourceFile) -> Result<Module, String> {
    front_end_with(src, nyash_mir::pipeline::Passes::default())
}

/// `front_end` with the passes backend `kind` compiles with, as `nyash` does.
pub fn front_end_for(src: &SourceFile, kind: BackendKind) -> Result<Module, String> {
    front_end_with(src, kind.backend().passes())
}

fn front_end_with(src: &SourceFile, passes: nyash_mir::pipeline::Passes) -> Result<Module, String> {
    let (program, diags) = nyash_syntax::parse(src);
    if diags.iter().any(|d| d.is_error()) {
        return Err(nyash_syntax::render(src, &diags));
    }
    match nyash_mir::pipeline::compile_with(&program, src, false, passes) {
        Ok((module, _warnings)) => Ok(module),
        Err(diags) => Err(nyash_syntax::render(src, &diags)),
    }
}

/// Options at an optimization level, verifier off.
pub fn options(opt_level: OptLevel) -> Options {
    Options { opt_level, verify: false }
}

/// Backend and mode names are the driver's, so the benches and `nyash bench` agree.
pub use nyash_driver::{BackendKind, Mode};

/// Runs `module` in process on `kind`, with `args[0]` = the program name; the exit code
/// must be 0. Returns the backend's own phase timings (`codegen` = JIT compile, `run`). Panics inside a backend are caught and reported as errors so that one broken
/// mode cannot take the whole bench run down.
pub fn run_in_process(
    kind: BackendKind,
    module: &Module,
    opts: &Options,
    program: &str,
) -> Result<Timings, String> {
    let args = [program.to_string()];
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kind.backend().run(module, opts, &args)
    }));
    match outcome {
        Ok(Ok(o)) if o.exit_code == 0 => Ok(o.timings),
        Ok(Ok(o)) => Err(format!("exited with code {}", o.exit_code)),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the backend panicked".to_string()),
    }
}

/// Emits an object once, catching panics, to check a backend can compile `module` at all.
pub fn try_emit_object(
    kind: BackendKind,
    module: &Module,
    opts: &Options,
) -> Result<Vec<u8>, String> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kind.backend().emit_object(module, opts)
    }));
    match outcome {
        Ok(Ok(obj)) => Ok(obj.bytes),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the backend panicked".to_string()),
    }
}

/// Prints why a bench is skipped, in one recognizable line.
pub fn skip_note(what: &str, why: &str) {
    let first = why.lines().next().unwrap_or("");
    eprintln!("nyash-benches: SKIP {what}: {first}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated program must be valid Nyash for the parser and lowering; running it is
    /// the corpus harness's job.
    #[test]
    fn many_functions_program_compiles() {
        let src = SourceFile::new("many.nyash", many_functions_source(1000));
        if let Err(e) = front_end(&src) {
            panic!("generated program does not compile:\n{e}");
        }
    }

    #[test]
    fn fib_program_compiles() {
        let src = load_program("fib.nyash").expect("fib.nyash is checked in");
        if let Err(e) = front_end(&src) {
            panic!("fib.nyash does not compile:\n{e}");
        }
    }
}
