//! `run`: compile the module into a `JITModule` bound to the in-process runtime and run it.

use crate::codegen::{compile_module, module_error, Capture};
use crate::isa::{host_isa, quick_isa, CodeModel};
use crate::{guard, internal};
use cranelift_jit::{JITBuilder, JITModule};
use nyash_mir::{BackendError, Module, Options, RunOutcome, Timings};
use std::ffi::CString;
use std::os::raw::c_char;
use std::time::Instant;

pub(crate) fn run(
    mir: &Module,
    opts: &Options,
    args: &[String],
) -> Result<RunOutcome, BackendError> {
    let start = Instant::now();
    let (module, entry) = guard(|| compile(mir, opts))?;
    let codegen = start.elapsed();

    // argv as C strings; `cstrings` keeps them alive until the program has finished.
    let cstrings = args
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| internal(None, "a program argument contains a NUL byte"))?;
    let mut argv: Vec<*const c_char> = cstrings.iter().map(|c| c.as_ptr()).collect();
    argv.push(std::ptr::null());
    let argc = cstrings.len() as i64;

    let start = Instant::now();
    let code = nyash_runtime::nyrt_start(argc, argv.as_ptr() as i64, entry as i64);
    let run = start.elapsed();
    drop(cstrings);
    // SAFETY: the program has returned and nothing refers to its code or data any more.
    unsafe { module.free_memory() };

    Ok(RunOutcome {
        exit_code: code as i32,
        timings: Timings { codegen, run, ..Timings::default() },
    })
}

/// Compiles and finalizes `mir`; returns the module (owning the code) and the entry address.
fn compile(mir: &Module, opts: &Options) -> Result<(JITModule, *const u8), BackendError> {
    let isa = host_isa(opts, CodeModel::Jit)?;
    let quick = quick_isa(opts, CodeModel::Jit)?;
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    // Only the runtime functions the program imports are looked up, at finalize: hashing the
    // whole table into the builder first took a tenth of a small program's code generation.
    // Our imports are `RtFn`s and `nyrt_fmod`, all exported (the VM backend's test
    // `every_runtime_entry_point_is_exported`); anything else, such as a libcall Cranelift
    // inserts, falls through to cranelift-jit's own `dlsym` lookup.
    builder.symbol_lookup_fn(Box::new(|name| {
        nyash_runtime::symbol(name).map(|address| address as *const u8)
    }));
    let mut module = JITModule::new(builder);
    let compiled = compile_module(&mut module, &*quick, mir, Capture::Nothing)?;
    module.finalize_definitions().map_err(|e| module_error(None, e))?;
    let entry_id = compiled
        .declared
        .funcs
        .get(mir.entry.index())
        .copied()
        .ok_or_else(|| internal(None, "the module has no entry function"))?;
    let entry = module.get_finalized_function(entry_id);
    Ok((module, entry))
}
