//! Runtime imports: the `nyrt_*` entry points as Cranelift imports with their i64-word C ABI.

use super::module_error;
use cranelift_codegen::ir::{self, types, AbiParam};
use cranelift_module::{FuncId, Linkage, Module};
use nyash_mir::{BackendError, Repr, RtFn, RtSignature};

/// The float remainder helper every native backend calls for `FloatBin Rem`.
pub(crate) const FMOD: &str = "nyrt_fmod";

/// The `RtFn` imports of one module, each declared the first time code calls it.
///
/// Declaring the whole table up front cost every compile a Cranelift declaration, an object
/// symbol (and, in the JIT, a symbol resolution) per runtime function — dozens, of which a
/// program uses a handful. Declaration order is the (deterministic) order of first use.
#[derive(Default)]
pub(crate) struct RtImports {
    /// Indexed by `RtFn as usize`.
    ids: Vec<Option<FuncId>>,
}

impl RtImports {
    /// The import of `f`, declared now if this is its first use.
    pub(crate) fn get<M: Module>(
        &mut self,
        module: &mut M,
        f: RtFn,
    ) -> Result<FuncId, BackendError> {
        let index = f as usize;
        if self.ids.len() <= index {
            self.ids.resize(RtFn::ALL.len().max(index + 1), None);
        }
        if let Some(id) = self.ids[index] {
            return Ok(id);
        }
        let sig = rt_signature(module, f.signature());
        let id = module
            .declare_function(f.name(), Linkage::Import, &sig)
            .map_err(|e| module_error(None, e))?;
        self.ids[index] = Some(id);
        Ok(id)
    }
}

/// Declares `nyrt_fmod(f64, f64) -> f64` as an import with the host's C calling convention.
pub(super) fn declare_fmod<M: Module>(module: &mut M) -> Result<FuncId, BackendError> {
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(types::F64));
    sig.params.push(AbiParam::new(types::F64));
    sig.returns.push(AbiParam::new(types::F64));
    module.declare_function(FMOD, Linkage::Import, &sig).map_err(|e| module_error(None, e))
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
