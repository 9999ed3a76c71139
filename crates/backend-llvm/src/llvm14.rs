//! Everything that depends on the LLVM major version (14 here): typed-pointer builder calls,
//! the new-pass-manager pipeline strings, native target setup and the ORC C API names.
//!
//! Porting to a newer LLVM (opaque pointers, `build_call` taking a `FunctionValue`,
//! `build_struct_gep` taking the pointee type, renamed ORC symbol structs) should only touch
//! this file and the inkwell/llvm-sys feature in Cargo.toml.

use inkwell::builder::{Builder, BuilderError};
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{InitializationConfig, Target, TargetMachine};
use inkwell::types::{BasicType, BasicTypeEnum, IntType, PointerType, StructType};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValueEnum, CallSiteValue, FunctionValue, IntValue, PointerValue,
};
use inkwell::AddressSpace;
use nyash_mir::OptLevel;
use std::ffi::{c_char, CStr};
use std::sync::OnceLock;

/// The raw ORC v2 / LLJIT C API as `orc.rs` uses it.
pub(crate) mod orc_sys {
    pub use llvm_sys::bit_reader::LLVMParseBitcodeInContext2;
    pub use llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
    pub use llvm_sys::orc2::lljit::{
        LLVMOrcCreateLLJIT, LLVMOrcCreateLLJITBuilder, LLVMOrcDisposeLLJIT,
        LLVMOrcLLJITAddLLVMIRModule, LLVMOrcLLJITBuilderSetJITTargetMachineBuilder,
        LLVMOrcLLJITGetGlobalPrefix, LLVMOrcLLJITGetMainJITDylib, LLVMOrcLLJITLookup,
        LLVMOrcLLJITMangleAndIntern, LLVMOrcLLJITRef,
    };
    pub use llvm_sys::orc2::{
        LLVMJITCSymbolMapPair, LLVMJITEvaluatedSymbol, LLVMJITSymbolFlags,
        LLVMJITSymbolGenericFlags, LLVMOrcAbsoluteSymbols,
        LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess, LLVMOrcCreateNewThreadSafeContext,
        LLVMOrcCreateNewThreadSafeModule, LLVMOrcDefinitionGeneratorRef,
        LLVMOrcDisposeMaterializationUnit, LLVMOrcDisposeThreadSafeContext,
        LLVMOrcDisposeThreadSafeModule, LLVMOrcExecutorAddress, LLVMOrcJITDylibAddGenerator,
        LLVMOrcJITDylibDefine, LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine,
        LLVMOrcThreadSafeContextGetContext,
    };
}

/// Registers the host target (and its asm printer/parser) with LLVM once per process, and
/// sets LLVM's process-wide options (`TUNING`).
pub(crate) fn init_native() -> Result<(), String> {
    static INIT: OnceLock<Result<(), String>> = OnceLock::new();
    INIT.get_or_init(|| {
        Target::initialize_native(&InitializationConfig::default())?;
        let argv: Vec<*const c_char> = TUNING.iter().map(|arg| arg.as_ptr()).collect();
        // SAFETY: `argv` holds `argv.len()` pointers to NUL-terminated static strings, and
        // LLVM copies what it keeps. `OnceLock` makes this the only call in the process, which
        // LLVM's option parser requires (options given twice are an error).
        unsafe {
            llvm_sys::support::LLVMParseCommandLineOptions(
                argv.len() as i32,
                argv.as_ptr(),
                std::ptr::null(),
            )
        };
        Ok(())
    })
    .clone()
}

/// LLVM options for every compile, as a command line (`argv[0]` first).
///
/// `-unroll-allow-partial=false`: no partial unrolling of loops whose trip count is a
/// constant (full unrolling of short loops and runtime unrolling are untouched). LLVM sizes
/// partial unrolling by the host scheduling model's loop buffer, and LLVM 14 gives AMD Zen
/// (`znver3`, also what it picks for Zen 4) 512 micro-ops against Intel's ~50: it unrolled
/// `benches/programs/loops.nyash`'s 30-operation body 16 times, spilling 16 induction
/// variables, and ran 1.4x slower than not unrolling at all (2x unrolled was still 1.3x
/// slower). The cost elsewhere in the suite is matmul's 200-trip inner loop, ~6% on Zen.
const TUNING: [&CStr; 2] = [c"nyash", c"-unroll-allow-partial=false"];

/// `i8*` in LLVM 14 (typed pointers); `ptr` from LLVM 15 on.
pub(crate) fn byte_ptr_type<'ctx>(ctx: &'ctx Context) -> PointerType<'ctx> {
    ctx.i8_type().ptr_type(AddressSpace::default())
}

/// `i64*` in LLVM 14 (typed pointers); `ptr` from LLVM 15 on.
pub(crate) fn word_ptr_type<'ctx>(ctx: &'ctx Context) -> PointerType<'ctx> {
    ctx.i64_type().ptr_type(AddressSpace::default())
}

/// `&ptr[index]` for an `i64*` (an in-bounds GEP; later LLVMs also want the element type).
pub(crate) fn word_gep<'ctx>(
    builder: &Builder<'ctx>,
    ptr: PointerValue<'ctx>,
    index: IntValue<'ctx>,
    name: &str,
) -> Result<PointerValue<'ctx>, BuilderError> {
    // SAFETY: callers index words inside one runtime object (its layout is fixed).
    unsafe { builder.build_in_bounds_gep(ptr, &[index], name) }
}

/// `T*` for the element type `ty` in LLVM 14 (typed pointers); `ptr` from LLVM 15 on.
pub(crate) fn ptr_to<'ctx>(ty: BasicTypeEnum<'ctx>) -> PointerType<'ctx> {
    ty.ptr_type(AddressSpace::default())
}

/// `&ptr[index]` for a `T*` to `ty` elements (an in-bounds GEP; later LLVMs take `ty` too).
pub(crate) fn elem_gep<'ctx>(
    builder: &Builder<'ctx>,
    _ty: BasicTypeEnum<'ctx>,
    ptr: PointerValue<'ctx>,
    index: IntValue<'ctx>,
    name: &str,
) -> Result<PointerValue<'ctx>, BuilderError> {
    // SAFETY: callers index elements below a length they checked, inside one buffer.
    unsafe { builder.build_in_bounds_gep(ptr, &[index], name) }
}

/// Loads a `ty` from `ptr` (a `T*`). Opaque pointers need the loaded type passed too.
pub(crate) fn load<'ctx>(
    builder: &Builder<'ctx>,
    _ty: BasicTypeEnum<'ctx>,
    ptr: PointerValue<'ctx>,
    name: &str,
) -> Result<BasicValueEnum<'ctx>, BuilderError> {
    builder.build_load(ptr, name)
}

/// A direct call. LLVM 14's inkwell takes anything callable; later versions want the function.
pub(crate) fn call<'ctx>(
    builder: &Builder<'ctx>,
    func: FunctionValue<'ctx>,
    args: &[BasicMetadataValueEnum<'ctx>],
    name: &str,
) -> Result<CallSiteValue<'ctx>, BuilderError> {
    builder.build_call(func, args, name)
}

/// Address of field `index` of the struct `ptr` points to. With typed pointers the pointee
/// type comes from `ptr`; opaque pointers need `ty` (kept in the signature for that).
pub(crate) fn struct_field_ptr<'ctx>(
    builder: &Builder<'ctx>,
    _ty: StructType<'ctx>,
    ptr: PointerValue<'ctx>,
    index: u32,
    name: &str,
) -> Result<PointerValue<'ctx>, BuilderError> {
    builder.build_struct_gep(ptr, index, name)
}

/// Loads an `i64` from `ptr` (an `i64*`). Opaque pointers need the loaded type passed too.
pub(crate) fn load_i64<'ctx>(
    builder: &Builder<'ctx>,
    _ty: IntType<'ctx>,
    ptr: PointerValue<'ctx>,
    name: &str,
) -> Result<BasicValueEnum<'ctx>, BuilderError> {
    builder.build_load(ptr, name)
}

/// The new pass manager's standard pipeline for an optimization level.
pub(crate) fn pipeline(level: OptLevel) -> &'static str {
    match level {
        OptLevel::O0 => "default<O0>",
        OptLevel::O1 => "default<O1>",
        OptLevel::O2 => "default<O2>",
        OptLevel::O3 => "default<O3>",
    }
}

/// Runs the standard module pipeline (`LLVMRunPasses`, available since LLVM 13).
pub(crate) fn optimize(
    module: &Module<'_>,
    tm: &TargetMachine,
    level: OptLevel,
) -> Result<(), String> {
    let options = PassBuilderOptions::create();
    // Match what clang does per level: vectorizers and unrolling only when optimizing.
    let optimizing = level >= OptLevel::O2;
    options.set_loop_vectorization(optimizing);
    options.set_loop_slp_vectorization(optimizing);
    options.set_loop_interleaving(optimizing);
    options.set_loop_unrolling(level >= OptLevel::O1);
    module.run_passes(pipeline(level), tm, options).map_err(|e| e.to_string())
}
