//! The one MIR → CLIF lowering, generic over `cranelift_module::Module` (JIT and object alike).
//!
//! Order of work: declare the data objects (string literals, runtime metadata) and every
//! MIR function first, then lower the bodies to CLIF one by one — so calls between functions
//! (and recursion) need no ordering — compiling each to machine code right away, or, in a
//! big program, all of them at the end on several threads (`machine.rs`), defined in MIR
//! order either way. Code that runs at most once (or only drives loops in its callees) is
//! compiled by a quicker ISA (`isa::quick_isa`, `function::Lowered::cold`). Runtime
//! functions are imported when a body first calls them.

mod annotate;
mod data;
mod divide;
mod fast;
mod fast_ops;
mod function;
mod guarded_get;
mod inst;
pub(crate) mod machine;
mod runtime;

use crate::internal;
use cranelift_codegen::ir::{self, types, AbiParam, UserFuncName};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_module::{DataId, FuncId, Linkage, Module, ModuleError};
use nyash_mir::{BackendError, Function, Module as MirModule, Repr};

pub(crate) use runtime::RtImports;

/// The module's declarations: functions and data before any body is lowered, runtime
/// imports as the bodies first call them.
pub(crate) struct Declared {
    /// Cranelift id of each MIR function, indexed by `nyash_mir::FuncId`.
    pub funcs: Vec<FuncId>,
    /// Imported runtime entry points (declared on first use).
    pub rt: RtImports,
    /// `nyrt_fmod(f64, f64) -> f64` (outside the `RtFn` table because it takes floats).
    pub fmod: FuncId,
    /// One read-only data object per string literal, indexed by `StrId`.
    pub strings: Vec<DataId>,
    /// The `Module::runtime_metadata()` blob handed to `nyrt_init`.
    pub meta: DataId,
    /// Length of the metadata blob in bytes.
    pub meta_len: usize,
    /// Per MIR function: it runs at most once per program run (`MirModule::runs_once`).
    pub runs_once: Vec<bool>,
}

/// Which text, if any, to keep per function while compiling (for `nyash emit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Capture {
    Nothing,
    /// The CLIF as lowered, annotated with the MIR it came from.
    Clif,
    /// The machine code as Cranelift's VCode disassembly.
    Asm,
}

/// The result of `compile_module`.
pub(crate) struct Compiled {
    pub declared: Declared,
    /// `(function name, text)` in MIR order; empty unless text was captured.
    pub texts: Vec<(String, String)>,
    /// The (cleared) contexts the bodies were built and compiled in, for a caller that adds
    /// a function of its own (the C `main`): reusing them keeps their allocations.
    pub ctx: Context,
    pub fctx: FunctionBuilderContext,
}

/// Declares and defines every function of `mir` in `module`. The caller finalizes/emits.
/// Functions whose instructions run at most once are compiled with `quick`
/// (`isa::quick_isa`), the others with the module's own ISA.
pub(crate) fn compile_module<M: Module>(
    module: &mut M,
    quick: &dyn TargetIsa,
    mir: &MirModule,
    capture: Capture,
) -> Result<Compiled, BackendError> {
    let fmod = runtime::declare_fmod(module)?;
    let (strings, meta, meta_len) = data::define_data(module, mir)?;
    let mut funcs = Vec::with_capacity(mir.funcs.len());
    for func in &mir.funcs {
        let sig = signature(module, func);
        let id = module
            .declare_function(&func.name, Linkage::Local, &sig)
            .map_err(|e| module_error(Some(&func.name), e))?;
        funcs.push(id);
    }
    let runs_once = mir.runs_once();
    let mut declared =
        Declared { funcs, rt: RtImports::default(), fmod, strings, meta, meta_len, runs_once };

    let parallel = machine::worth_threads(mir);
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let mut texts = Vec::new();
    let mut jobs = Vec::new();
    for (index, func) in mir.funcs.iter().enumerate() {
        let id = declared.funcs[index];
        ctx.func.signature = signature(module, func);
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        // `clear_context` resets this flag, so set it per function.
        ctx.set_disasm(capture == Capture::Asm);
        let lowered = function::lower_function(
            module,
            &mut declared,
            mir,
            index,
            &mut ctx.func,
            &mut fctx,
            capture == Capture::Clif,
        )?;
        if let Some(notes) = lowered.notes {
            texts.push((func.name.clone(), annotate::write_clif(module, &ctx.func, func, &notes)));
        }
        // The next body gets a fresh function.
        let clif = std::mem::replace(&mut ctx.func, ir::Function::new());
        let job = machine::Job { clif, id, name: func.name.clone(), cold: lowered.cold };
        if parallel {
            // Compiled below, all at once.
            jobs.push(job);
        } else {
            let isa = if lowered.cold { quick } else { module.isa() };
            let m = machine::compile_one(isa, &mut ctx, job, capture == Capture::Asm)?;
            define_machine(module, m, &func.name, lowered.cold, capture, &mut texts)?;
        }
        module.clear_context(&mut ctx);
    }
    if parallel {
        let cold: Vec<bool> = jobs.iter().map(|j| j.cold).collect();
        let compiled = machine::compile_all(module.isa(), quick, jobs, capture == Capture::Asm);
        for ((func, result), cold) in mir.funcs.iter().zip(compiled).zip(cold) {
            define_machine(module, result?, &func.name, cold, capture, &mut texts)?;
        }
    }
    Ok(Compiled { declared, texts, ctx, fctx })
}

/// The first line of the listing of a function compiled with the quick ISA.
pub(crate) const QUICK_NOTE: &str = "; runs once (or only drives loops in its callees): compiled \
     without the e-graph, with single-pass register allocation\n";

/// Defines machine code compiled outside the module, keeping its listing if asked to
/// (marked with `QUICK_NOTE` when `quick` compiled it).
fn define_machine<M: Module>(
    module: &mut M,
    m: machine::Machine,
    name: &str,
    quick: bool,
    capture: Capture,
    texts: &mut Vec<(String, String)>,
) -> Result<(), BackendError> {
    module
        .define_function_bytes(m.id, m.align, &m.bytes, &m.relocs)
        .map_err(|e| module_error(Some(name), e))?;
    if capture == Capture::Asm {
        let note = if quick { QUICK_NOTE } else { "" };
        texts.push((name.to_string(), format!("{note}{}", m.vcode.unwrap_or_default())));
    }
    Ok(())
}

/// Compiles `ctx.func` as the body of `id` with the quick ISA (`isa::quick_isa`): for
/// code the caller knows runs at most once, such as the C `main`.
pub(crate) fn define_quick<M: Module>(
    module: &mut M,
    quick: &dyn TargetIsa,
    id: FuncId,
    ctx: &mut Context,
    name: &str,
) -> Result<(), BackendError> {
    let clif = std::mem::replace(&mut ctx.func, ir::Function::new());
    let job = machine::Job { clif, id, name: name.to_string(), cold: true };
    let m = machine::compile_one(quick, ctx, job, false)?;
    define_machine(module, m, name, true, Capture::Nothing, &mut Vec::new())
}

/// A `ModuleError` (declaration clash, unresolvable symbol, …) as a backend error.
pub(crate) fn module_error(func: Option<&str>, err: ModuleError) -> BackendError {
    // `ModuleError`'s Display omits the nested cause for backend errors; show the chain.
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    internal(func, message)
}

/// The CLIF types holding a value of representation `repr`.
pub(crate) fn clif_types(repr: Repr) -> &'static [ir::Type] {
    match repr {
        Repr::I64 => &[types::I64],
        Repr::F64 => &[types::F64],
        Repr::Bool => &[types::I8],
        Repr::Boxed => &[types::I64, types::I64],
    }
}

/// The CLIF signature of a MIR function: Boxed params and results become two i64 words.
pub(crate) fn signature<M: Module>(module: &M, func: &Function) -> ir::Signature {
    let mut sig = module.make_signature();
    for &param in &func.params {
        for &ty in clif_types(func.ty(param).repr()) {
            sig.params.push(AbiParam::new(ty));
        }
    }
    for &ty in clif_types(func.ret.repr()) {
        sig.returns.push(AbiParam::new(ty));
    }
    sig
}
