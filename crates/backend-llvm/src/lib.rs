//! The LLVM backend: legal MIR → LLVM IR (inkwell, LLVM 14), compiled ahead of time into
//! relocatable objects with a `TargetMachine`, or just in time with ORC LLJIT.
//!
//! Layout: `codegen/` is the one lowering both modes share; `aot.rs` owns the target machine,
//! verification, the pass pipeline and object/assembly emission; `orc.rs` owns the JIT (and
//! all raw FFI); `llvm14.rs` holds everything tied to the LLVM major version.

mod aot;
mod codegen;
mod llvm14;
mod orc;

use codegen::{internal, Flavor};
use inkwell::context::Context;
use inkwell::targets::FileType;
use nyash_mir::{Backend, BackendError, EmitKind, Module, Object, Options, RunOutcome, Timings};
use std::time::Instant;

/// The LLVM backend (`--backend=llvm`).
#[derive(Clone, Copy, Debug, Default)]
pub struct LlvmBackend;

impl Backend for LlvmBackend {
    fn name(&self) -> &'static str {
        codegen::BACKEND
    }

    /// LLVM's own tail recursion elimination is off (`disable-tail-calls`, see
    /// `codegen::declare_functions`): it turns a recursion too deep for the stack into a loop
    /// that never overflows, where every mode must report `error: stack overflow`. MIR's
    /// (`tail_recursion`) counts the depth instead. The self-recursion is inlined three levels
    /// deep, and repeated calls of pure functions are merged (`merge_calls`; `fib` merged
    /// this way makes about 1.32^n calls instead of 1.62^n).
    fn passes(&self) -> nyash_mir::pipeline::Passes {
        nyash_mir::pipeline::Passes {
            tail_recursion: true,
            self_unroll: 3,
            borrow: true,
            merge_calls: true,
            ..Default::default()
        }
    }

    /// Loads libLLVM (once per process; see `nyash-llvm-loader`): nothing in this crate may
    /// call into LLVM before this succeeded, so every method below starts with it.
    fn available(&self) -> Result<(), BackendError> {
        nyash_llvm_loader::load().map_err(|e| {
            BackendError::Unsupported(format!(
                "the LLVM backend needs {}: {e}",
                nyash_llvm_loader::LIBRARY
            ))
        })
    }

    fn run(
        &self,
        module: &Module,
        opts: &Options,
        args: &[String],
    ) -> Result<RunOutcome, BackendError> {
        self.available()?;
        orc::run(module, opts, args)
    }

    fn emit_object(&self, module: &Module, opts: &Options) -> Result<Object, BackendError> {
        self.available()?;
        let start = Instant::now();
        let ctx = Context::create();
        let tm = aot::host_machine(opts.opt_level, Flavor::Aot)?;
        let lowered = aot::build(&ctx, module, opts, Flavor::Aot, &tm)?;
        let bytes = aot::emit(&tm, &lowered.module, FileType::Object)?;
        Ok(Object { bytes, timings: Timings { codegen: start.elapsed(), ..Timings::default() } })
    }

    /// `Ir`: the optimized module as `build` would compile it (with the C `main`);
    /// `Asm`: the target assembly of that module.
    fn emit_text(
        &self,
        module: &Module,
        opts: &Options,
        kind: EmitKind,
    ) -> Result<String, BackendError> {
        self.available()?;
        let ctx = Context::create();
        let tm = aot::host_machine(opts.opt_level, Flavor::Aot)?;
        let lowered = aot::build(&ctx, module, opts, Flavor::Aot, &tm)?;
        match kind {
            EmitKind::Ir => Ok(lowered.module.print_to_string().to_string()),
            EmitKind::Asm => {
                let bytes = aot::emit(&tm, &lowered.module, FileType::Assembly)?;
                String::from_utf8(bytes)
                    .map_err(|_| internal(None, "LLVM produced assembly that is not UTF-8"))
            }
        }
    }
}
