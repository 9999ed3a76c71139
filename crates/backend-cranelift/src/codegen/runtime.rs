//! Runtime imports: the `nyrt_*` entry points as Cranelift imports with their i64-word C ABI.

use super::module_error;
use cranelift_codegen::ir::{self, types, AbiParam};
use cranelift_module::{FuncId, Linkage, Module};
use nyash_mir::{BackendError, Repr, RtFn, RtSignature};
use std::collections::HashMap;

/// The float remainder helper every native backend calls for `FloatBin Rem`.
pub(crate) const FMOD: &str = "nyrt_fmod";

/// Declares every `RtFn` and `nyrt_fmod` as imports with the host's C calling convention.
pub(super) fn declare_imports<M: Module>(
    module: &mut M,
) -> Result<(HashMap<RtFn, FuncId>, FuncId), BackendError> {
    let mut rt = HashMap::with_capacity(RtFn::ALL.len());
    for &f in RtFn::ALL {
        let sig = rt_signature(module, f.signature());
        let id = module
            .declare_function(f.name(), Linkage::Import, &sig)
            .map_err(|e| module_error(None, e))?;
        rt.insert(f, id);
    }
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(types::F64));
    sig.params.push(AbiParam::new(types::F64));
    sig.returns.push(AbiParam::new(types::F64));
    let fmod =
        module.declare_function(FMOD, Linkage::Import, &sig).map_err(|e| module_error(None, e))?;
    Ok((rt, fmod))
}

/// The number of C ABI words (i64, or one f64) a value of `repr` occupies.
pub(super) fn abi_types(repr: Repr) -> &'static [ir::Type] {
    match repr {
        // Bools travel as a full i64 word 0/1 (the runtime reads `i64`).
        Repr::I64 | Repr::Bool => &[types::I64],
        Repr::F64 => &[types::F64],
        Repr::Boxed => &[types::I64, types::I64],
    }
}

/// The C signature of a runtime entry point: every word an i64, a Boxed result returned as
/// two i64s (RAX:RDX under System V — the ABI of a `#[repr(C)] struct { i64, i64 }`).
fn rt_signature<M: Module>(module: &M, rt: RtSignature) -> ir::Signature {
    let mut sig = module.make_signature();
    for &p in rt.params {
        sig.params.extend(abi_types(p).iter().map(|&t| AbiParam::new(t)));
    }
    if rt.site {
        sig.params.push(AbiParam::new(types::I64));
    }
    if let Some(ret) = rt.ret {
        sig.returns.extend(abi_types(ret).iter().map(|&t| AbiParam::new(t)));
    }
    sig
}
