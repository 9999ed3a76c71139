//! The host `TargetMachine` and the steps shared by every output: build the module from MIR,
//! verify, optimize per `-O` level, and emit an object or assembly into memory.

use crate::codegen::{self, internal, Flavor, Lowered};
use crate::llvm14;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::targets::{CodeModel, FileType, RelocMode, Target, TargetMachine};
use inkwell::OptimizationLevel;
use nyash_mir::{BackendError, OptLevel, Options};

fn codegen_level(level: OptLevel) -> OptimizationLevel {
    match level {
        OptLevel::O0 => OptimizationLevel::None,
        OptLevel::O1 => OptimizationLevel::Less,
        OptLevel::O2 => OptimizationLevel::Default,
        OptLevel::O3 => OptimizationLevel::Aggressive,
    }
}

/// A target machine for this host. AOT code is PIC so it links into the default PIE
/// executables; JIT code uses LLVM's JIT code model (the same choice LLJIT makes itself).
pub(crate) fn host_machine(level: OptLevel, flavor: Flavor) -> Result<TargetMachine, BackendError> {
    llvm14::init_native()
        .map_err(|e| internal(None, format!("cannot initialize the native target: {e}")))?;
    let triple = TargetMachine::get_default_triple();
    let target = Target::from_triple(&triple)
        .map_err(|e| internal(None, format!("no LLVM target for this host: {e}")))?;
    let cpu = TargetMachine::get_host_cpu_name();
    let features = TargetMachine::get_host_cpu_features();
    let code_model = match flavor {
        Flavor::Aot => CodeModel::Default,
        Flavor::Jit => CodeModel::JITDefault,
    };
    target
        .create_target_machine(
            &triple,
            &cpu.to_string_lossy(),
            &features.to_string_lossy(),
            codegen_level(level),
            RelocMode::PIC,
            code_model,
        )
        .ok_or_else(|| internal(None, "LLVM could not create a target machine for this host"))
}

/// Lowers `mir`, then verifies (under `--verify` and in debug builds) and optimizes it.
pub(crate) fn build<'ctx>(
    ctx: &'ctx Context,
    mir: &nyash_mir::Module,
    opts: &Options,
    flavor: Flavor,
    tm: &TargetMachine,
) -> Result<Lowered<'ctx>, BackendError> {
    let lowered = codegen::build_module(ctx, mir, flavor)?;
    lowered.module.set_triple(&tm.get_triple());
    lowered.module.set_data_layout(&tm.get_target_data().get_data_layout());
    if opts.verify || cfg!(debug_assertions) {
        verify(&lowered.module)?;
    }
    llvm14::optimize(&lowered.module, tm, opts.opt_level)
        .map_err(|e| internal(None, format!("the LLVM pass pipeline failed: {e}")))?;
    Ok(lowered)
}

/// Runs the LLVM verifier; on failure names the first function that does not verify.
fn verify(module: &Module<'_>) -> Result<(), BackendError> {
    let Err(message) = module.verify() else { return Ok(()) };
    let bad = module.get_functions().find(|f| f.count_basic_blocks() > 0 && !f.verify(false));
    let func = bad.map(|f| f.get_name().to_string_lossy().into_owned());
    Err(internal(func.as_deref(), format!("invalid LLVM IR: {}", message.to_string().trim_end())))
}

/// Emits the module as an object file or assembly text.
pub(crate) fn emit(
    tm: &TargetMachine,
    module: &Module<'_>,
    kind: FileType,
) -> Result<Vec<u8>, BackendError> {
    let buf = tm
        .write_to_memory_buffer(module, kind)
        .map_err(|e| internal(None, format!("LLVM code generation failed: {e}")))?;
    Ok(buf.as_slice().to_vec())
}
