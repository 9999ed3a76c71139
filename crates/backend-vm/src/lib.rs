//! The MIR interpreter backend: runs legal MIR in process, calling the same runtime entry
//! points as native code, so its output is the semantic oracle for the other backends.

mod interp;
mod validate;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_programs;

use nyash_mir::{Backend, BackendError, EmitKind, Module, Object, Options, RunOutcome, Timings};
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// The `vm` backend.
pub struct VmBackend;

impl Backend for VmBackend {
    fn name(&self) -> &'static str {
        "vm"
    }

    fn run(
        &self,
        module: &Module,
        _opts: &Options,
        args: &[String],
    ) -> Result<RunOutcome, BackendError> {
        let start = Instant::now();
        let (code, _) = execute(module, args, false)?;
        Ok(RunOutcome {
            exit_code: code,
            timings: Timings { run: start.elapsed(), ..Timings::default() },
        })
    }

    fn emit_object(&self, _module: &Module, _opts: &Options) -> Result<Object, BackendError> {
        Err(BackendError::Unsupported(
            "the vm backend interprets MIR and cannot produce object files; use --backend=cranelift or --backend=llvm to build".into(),
        ))
    }

    fn emit_text(
        &self,
        _module: &Module,
        _opts: &Options,
        _kind: EmitKind,
    ) -> Result<String, BackendError> {
        Err(BackendError::Unsupported(
            "the vm backend has no IR or assembly of its own; use `nyash emit --mir` to see the MIR it runs".into(),
        ))
    }
}

/// Runs `module` like [`Backend::run`] but returns what it printed instead of writing it to
/// stdout: `(exit code, output)`. For in-process tests (runtime errors still exit).
pub fn run_captured(module: &Module, args: &[String]) -> Result<(i32, String), BackendError> {
    let (code, out) = execute(module, args, true)?;
    Ok((code, out.unwrap_or_default()))
}

/// Validates and interprets `module` on a big-stack thread.
fn execute(
    module: &Module,
    args: &[String],
    capture: bool,
) -> Result<(i32, Option<String>), BackendError> {
    // Malformed MIR must become an error, never an out-of-bounds panic mid-run.
    validate::validate(module)?;
    let result = catch_unwind(AssertUnwindSafe(|| {
        nyash_runtime::with_big_stack(|| {
            // A C argv (NUL-terminated strings + a null pointer), like a native `main` gets.
            let cstrings: Vec<CString> = args
                .iter()
                .map(|a| CString::new(a.replace('\0', "")).unwrap_or_default())
                .collect();
            let mut ptrs: Vec<*const c_char> = cstrings.iter().map(|c| c.as_ptr()).collect();
            ptrs.push(std::ptr::null());
            let argc = cstrings.len() as i64;
            let argv = ptrs.as_ptr() as i64;
            // The literals' string objects, made once for the run and freed after it.
            let literals = nyash_runtime::Literals::new(module.strings.iter().map(String::as_str));
            let mut vm = interp::Interp::new(module, &literals);
            if capture {
                let (r, out) = nyash_runtime::with_captured_stdout(|| vm.run_entry(argc, argv));
                r.map(|c| (c, Some(out)))
            } else {
                vm.run_entry(argc, argv).map(|c| (c, None))
            }
        })
    }));
    nyash_runtime::flush_stdout();
    match result {
        Ok(r) => r.map(|(code, out)| ((code & 0xff) as i32, out)),
        Err(p) => {
            let message = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(BackendError::Internal { backend: "vm", func: None, message })
        }
    }
}
