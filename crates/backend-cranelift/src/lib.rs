//! The Cranelift backend: legal MIR → CLIF, run in process (JIT) or emitted as an object (AOT).
//!
//! One lowering (`codegen`) is written against `cranelift_module::Module`; `jit.rs` and
//! `aot.rs` only set up a `JITModule` / `ObjectModule` and call it (the shape of
//! rustc_codegen_cranelift). `text.rs` serves `nyash emit --clif` / `--asm`.

mod aot;
mod codegen;
mod host_cpu;
mod isa;
mod jit;
mod text;

use nyash_mir::{Backend, BackendError, EmitKind, Module, Object, Options, RunOutcome};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The name every error and `--backend` flag uses.
pub(crate) const BACKEND_NAME: &str = "cranelift";

/// Cranelift code generator for legal MIR (`--backend=cranelift`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CraneliftBackend;

impl Backend for CraneliftBackend {
    fn name(&self) -> &'static str {
        BACKEND_NAME
    }

    /// Cranelift does no interprocedural optimization of its own, so recursion is reshaped
    /// in MIR: repeated calls of pure functions are merged (naive `fib` then makes its calls
    /// in about 1.32^n instead of 1.62^n), accumulator tail calls become loops and the
    /// self-inliner nests them four deep.
    fn passes(&self) -> nyash_mir::pipeline::Passes {
        // Cranelift has no loop optimizations: strength reduction and loop rotation are done
        // in MIR for it.
        nyash_mir::pipeline::Passes {
            tail_recursion: true,
            self_unroll: 4,
            merge_calls: true,
            entry_guards: true,
            strength_reduce: true,
            rotate: true,
            licm_gvn: true,
            borrow: true,
            ..Default::default()
        }
    }

    fn run(
        &self,
        module: &Module,
        opts: &Options,
        args: &[String],
    ) -> Result<RunOutcome, BackendError> {
        jit::run(module, opts, args)
    }

    fn emit_object(&self, module: &Module, opts: &Options) -> Result<Object, BackendError> {
        guard(|| aot::emit_object(module, opts))
    }

    fn emit_text(
        &self,
        module: &Module,
        opts: &Options,
        kind: EmitKind,
    ) -> Result<String, BackendError> {
        guard(|| text::emit_text(module, opts, kind))
    }
}

/// An internal error of this backend, optionally naming the function being compiled.
pub(crate) fn internal(func: Option<&str>, message: impl std::fmt::Display) -> BackendError {
    BackendError::Internal {
        backend: BACKEND_NAME,
        func: func.map(str::to_string),
        message: message.to_string(),
    }
}

/// Runs compilation work, turning a panic inside Cranelift (which asserts on some misuse
/// instead of returning errors) into an internal error: the driver must never crash.
pub(crate) fn guard<T>(work: impl FnOnce() -> Result<T, BackendError>) -> Result<T, BackendError> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result,
        Err(payload) => {
            Err(internal(None, format!("panic in Cranelift: {}", panic_message(&*payload))))
        }
    }
}

/// The message of a caught panic, if it carried one.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fast;
#[cfg(test)]
mod tests_fast_ops;
