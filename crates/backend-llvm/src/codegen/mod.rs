//! MIR → LLVM IR: the one lowering shared by AOT objects, the ORC JIT and `emit llvm-ir`.
//!
//! Representation: `Repr::I64` → `i64`, `F64` → `double`, `Bool` → `i1`, `Boxed` → two `i64`
//! SSA values (tag, payload). MIR block parameters become phi nodes (two for Boxed). Every MIR
//! function is declared before any body is built so calls can refer forward.

mod fast;
mod fast_ops;
mod function;
mod inst;
mod runtime;
mod tbaa;

use inkwell::attributes::AttributeLoc;
use inkwell::builder::BuilderError;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::types::{
    BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FloatType, IntType, StructType,
};
use inkwell::values::{FloatValue, FunctionValue, GlobalValue, IntValue};
use nyash_mir::{BackendError, Repr, RtFn, StrId, Type, FUNCTION_ALIGN};
use std::collections::HashMap;

pub(crate) const BACKEND: &str = "llvm";

/// What the module is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// An object for the system linker: MIR functions are internal (so LLVM may inline and
    /// drop them) and a C `main` calls `nyrt_start` with the entry.
    Aot,
    /// An ORC JIT module: the entry stays external so it can be looked up; no C `main`.
    Jit,
}

/// A lowering failure inside one function; turned into `BackendError::Internal` naming it.
#[derive(Debug)]
pub(crate) struct CgError(pub String);

impl From<BuilderError> for CgError {
    fn from(e: BuilderError) -> Self {
        CgError(format!("LLVM builder: {e}"))
    }
}

pub(crate) type CgResult<T> = Result<T, CgError>;

pub(crate) fn internal(func: Option<&str>, message: impl Into<String>) -> BackendError {
    BackendError::Internal {
        backend: BACKEND,
        func: func.map(str::to_string),
        message: message.into(),
    }
}

/// A lowered MIR value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'ctx> {
    I64(IntValue<'ctx>),
    F64(FloatValue<'ctx>),
    Bool(IntValue<'ctx>),
    Boxed(IntValue<'ctx>, IntValue<'ctx>),
}

impl<'ctx> Val<'ctx> {
    pub(crate) fn repr(&self) -> Repr {
        match self {
            Val::I64(_) => Repr::I64,
            Val::F64(_) => Repr::F64,
            Val::Bool(_) => Repr::Bool,
            Val::Boxed(..) => Repr::Boxed,
        }
    }
}

/// The LLVM types the lowering uses, made once per context.
#[derive(Clone, Copy)]
pub(crate) struct Types<'ctx> {
    pub i1: IntType<'ctx>,
    pub i32: IntType<'ctx>,
    pub i64: IntType<'ctx>,
    pub f64: FloatType<'ctx>,
    /// `{i64, i64}`: a Boxed value returned from a function (RAX:RDX on x86-64).
    pub pair: StructType<'ctx>,
}

impl<'ctx> Types<'ctx> {
    fn new(ctx: &'ctx Context) -> Self {
        let i64 = ctx.i64_type();
        Types {
            i1: ctx.bool_type(),
            i32: ctx.i32_type(),
            i64,
            f64: ctx.f64_type(),
            pair: ctx.struct_type(&[i64.into(), i64.into()], false),
        }
    }

    /// The parameter types a value of `repr` occupies (Boxed takes two).
    pub(crate) fn params(&self, repr: Repr, out: &mut Vec<BasicMetadataTypeEnum<'ctx>>) {
        match repr {
            Repr::I64 => out.push(self.i64.into()),
            Repr::F64 => out.push(self.f64.into()),
            Repr::Bool => out.push(self.i1.into()),
            Repr::Boxed => {
                out.push(self.i64.into());
                out.push(self.i64.into());
            }
        }
    }

    /// The return type for a value of `repr`.
    pub(crate) fn ret(&self, repr: Repr) -> BasicTypeEnum<'ctx> {
        match repr {
            Repr::I64 => self.i64.into(),
            Repr::F64 => self.f64.into(),
            Repr::Bool => self.i1.into(),
            Repr::Boxed => self.pair.into(),
        }
    }
}

/// Module-wide lowering state: declared functions, runtime declarations, constant globals.
pub(crate) struct ModuleCodegen<'a, 'ctx> {
    pub ctx: &'ctx Context,
    pub module: Module<'ctx>,
    pub mir: &'a nyash_mir::Module,
    pub types: Types<'ctx>,
    /// LLVM function per MIR `FuncId`.
    pub funcs: Vec<FunctionValue<'ctx>>,
    rt_decls: HashMap<RtFn, FunctionValue<'ctx>>,
    str_globals: HashMap<StrId, GlobalValue<'ctx>>,
    trap: Option<FunctionValue<'ctx>>,
    /// TBAA nodes for tagging loads and stores (`tbaa.rs`).
    tbaa: std::cell::RefCell<tbaa::Tbaa<'ctx>>,
}

/// The lowered module and the LLVM name of its entry function.
pub(crate) struct Lowered<'ctx> {
    pub module: Module<'ctx>,
    pub entry_name: String,
}

/// Builds the LLVM module for `mir`. The caller sets triple/data layout and optimizes.
pub(crate) fn build_module<'ctx>(
    ctx: &'ctx Context,
    mir: &nyash_mir::Module,
    flavor: Flavor,
) -> Result<Lowered<'ctx>, BackendError> {
    let module = ctx.create_module(&mir.file_name);
    let mut cg = ModuleCodegen {
        ctx,
        module,
        mir,
        types: Types::new(ctx),
        funcs: Vec::with_capacity(mir.funcs.len()),
        rt_decls: HashMap::new(),
        str_globals: HashMap::new(),
        trap: None,
        tbaa: Default::default(),
    };
    let entry_fn = mir.funcs.get(mir.entry.index()).ok_or_else(|| {
        internal(None, format!("entry {} is not a function of the module", mir.entry))
    })?;
    check_entry_signature(entry_fn)?;
    cg.declare_functions(flavor)?;
    for id in mir.func_ids() {
        function::lower_function(&mut cg, id)
            .map_err(|CgError(msg)| internal(Some(&mir.func(id).name), msg))?;
    }
    let entry = cg.funcs[mir.entry.index()];
    if flavor == Flavor::Aot {
        cg.define_c_main(entry).map_err(|CgError(msg)| internal(Some("main"), msg))?;
    }
    let entry_name = entry.get_name().to_string_lossy().into_owned();
    Ok(Lowered { module: cg.module, entry_name })
}

/// `nyrt_start` and the JIT call the entry as `extern "C" fn(i64, i64) -> i64`.
fn check_entry_signature(f: &nyash_mir::Function) -> Result<(), BackendError> {
    let params: Vec<Type> = f.params.iter().map(|&p| f.ty(p)).collect();
    if params != [Type::Int, Type::Int] || f.ret != Type::Int {
        return Err(internal(
            Some(&f.name),
            format!("the entry must be (int, int) -> int, found {params:?} -> {:?}", f.ret),
        ));
    }
    Ok(())
}

impl<'a, 'ctx> ModuleCodegen<'a, 'ctx> {
    /// Declares every MIR function (named exactly as in MIR) so bodies can call forward.
    fn declare_functions(&mut self, flavor: Flavor) -> Result<(), BackendError> {
        // Names the lowering itself needs: a MIR function must not take them, or LLVM would
        // silently rename our external declaration and the link/JIT lookup would miss it.
        let mut reserved: Vec<&str> = RtFn::ALL.iter().map(|f| f.name()).collect();
        reserved.extend(["nyrt_fmod", "main", "fmod"]);
        for (i, f) in self.mir.funcs.iter().enumerate() {
            if reserved.contains(&f.name.as_str()) || self.module.get_function(&f.name).is_some() {
                return Err(internal(
                    Some(&f.name),
                    "function name collides with a runtime symbol or another function",
                ));
            }
            let mut params = Vec::new();
            for &p in &f.params {
                let ty = f
                    .values
                    .get(p.index())
                    .ok_or_else(|| internal(Some(&f.name), format!("parameter {p} has no type")))?
                    .ty;
                self.types.params(ty.repr(), &mut params);
            }
            let fn_ty = self.types.ret(f.ret.repr()).fn_type(&params, false);
            let is_exported_entry = flavor == Flavor::Jit && i == self.mir.entry.index();
            let linkage = if is_exported_entry { Linkage::External } else { Linkage::Internal };
            let llfn = self.module.add_function(&f.name, fn_ty, Some(linkage));
            llfn.as_global_value().set_alignment(FUNCTION_ALIGN);
            // LLVM's tail recursion elimination would turn a recursion too deep for the stack
            // (an endless one, say) into a loop: it must end in `error: stack overflow` as on
            // every other mode, not loop forever or finish. The attribute turns the pass off;
            // MIR's own `eliminate_tail_recursion` counts the depth and is run instead.
            llfn.add_attribute(
                AttributeLoc::Function,
                self.ctx.create_string_attribute("disable-tail-calls", "true"),
            );
            self.funcs.push(llfn);
        }
        Ok(())
    }
}
