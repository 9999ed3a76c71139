//! `emit_object`: compile the module into an `ObjectModule` (PIC ELF) with a C `main` that
//! hands `__nyash_entry` to the runtime's `nyrt_start`.

use crate::codegen::{compile_module, define_quick, module_error, Capture, Compiled, Declared};
use crate::internal;
use crate::isa::{host_isa, quick_isa, CodeModel};
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, UserFuncName};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};
use nyash_mir::{BackendError, Module as MirModule, Object, Options, RtFn, Timings};
use std::time::Instant;

pub(crate) fn emit_object(mir: &MirModule, opts: &Options) -> Result<Object, BackendError> {
    let start = Instant::now();
    let isa = host_isa(opts, CodeModel::Object)?;
    let quick = quick_isa(opts, CodeModel::Object)?;
    let builder = ObjectBuilder::new(isa, "nyash", cranelift_module::default_libcall_names())
        .map_err(|e| module_error(None, e))?;
    let mut module = ObjectModule::new(builder);
    let compiled = compile_module(&mut module, &*quick, mir, Capture::Nothing)?;
    let Compiled { mut declared, mut ctx, mut fctx, .. } = compiled;
    define_c_main(&mut module, &*quick, &mut declared, mir, &mut ctx, &mut fctx)?;
    let bytes = module
        .finish()
        .emit()
        .map_err(|e| internal(None, format!("cannot write the object file: {e}")))?;
    Ok(Object { bytes, timings: Timings { codegen: start.elapsed(), ..Timings::default() } })
}

/// `int main(int argc, char **argv) { return nyrt_start(argc, argv, &__nyash_entry); }`
/// `ctx` and `fctx` are the cleared contexts of the module's other functions.
fn define_c_main(
    module: &mut ObjectModule,
    quick: &dyn TargetIsa,
    declared: &mut Declared,
    mir: &MirModule,
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
) -> Result<(), BackendError> {
    let entry = declared
        .funcs
        .get(mir.entry.index())
        .copied()
        .ok_or_else(|| internal(None, "the module has no entry function"))?;
    let start = declared.rt.get(module, RtFn::Start)?;
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(types::I32));
    sig.params.push(AbiParam::new(types::I64));
    sig.returns.push(AbiParam::new(types::I32));
    let main = module
        .declare_function("main", Linkage::Export, &sig)
        .map_err(|e| module_error(Some("main"), e))?;

    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, main.as_u32());
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
        let block = b.create_block();
        b.append_block_params_for_function_params(block);
        b.switch_to_block(block);
        b.seal_block(block);
        let (argc, argv) = (b.block_params(block)[0], b.block_params(block)[1]);
        let argc = b.ins().sextend(types::I64, argc);
        let entry_ref = module.declare_func_in_func(entry, b.func);
        let entry_addr = b.ins().func_addr(types::I64, entry_ref);
        let start_ref = module.declare_func_in_func(start, b.func);
        let call = b.ins().call(start_ref, &[argc, argv, entry_addr]);
        let code = b.inst_results(call)[0];
        let code = b.ins().ireduce(types::I32, code);
        b.ins().return_(&[code]);
        b.finalize(module.target_config());
    }
    define_quick(module, quick, main, ctx, "main")
}
