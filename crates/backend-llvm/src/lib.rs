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

    /// LLVM eliminates tail recursion itself and does it better on the original calls (the
    /// MIR loop form measured 7x slower on `fib`), but it does gain from the self-recursion
    /// being inlined three levels deep instead of one. LLVM merges calls of pure functions
    /// too, but MIR's merging through one level of self-inlining (`merge_calls`) still cut
    /// the whole `fib` executable from 1.32M to 0.49M instructions.
    fn passes(&self) -> nyash_mir::pipeline::Passes {
        nyash_mir::pipeline::Passes {
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
