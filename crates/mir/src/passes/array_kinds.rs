//! Compact arrays: `new ArrayBox()` sites whose elements inference proved to be all Int, all
//! Float or all Bool allocate a typed array (`nyrt_new_array_kind`, see `layout::ARRAY_KIND_*`),
//! which stores 8 or 1 bytes per element instead of a 16-byte `(tag, payload)` pair.
//!
//! Only the allocation changes. The choice is a hint, not a proof the rest of the compiler
//! relies on: the runtime turns a typed array into one of values when anything else is stored
//! (an escaped array's site is `Dyn` and never typed, but the runtime does not know that), and
//! the backends' inline array paths check the kind word before using the compact layout.

use crate::ir::*;
use crate::runtime_abi::RtFn;

/// Rewrites `rtcall nyrt_new_array()` into `rtcall nyrt_new_array_kind(k)` where the result's
/// element type has a compact kind. Runs after inference (it reads `Module::array_elems` and
/// the allocation's `Array(sites)` type).
pub fn typed_array_allocations(m: &mut Module) {
    for fi in 0..m.funcs.len() {
        for bi in 0..m.funcs[fi].blocks.len() {
            // The compact kind of each allocation in the block, decided before rewriting.
            let kinds: Vec<Option<i64>> = m.funcs[fi].blocks[bi]
                .insts
                .iter()
                .map(|inst| match (&inst.kind, inst.result) {
                    (InstKind::RtCall { func: RtFn::NewArray, .. }, Some(r)) => {
                        match m.funcs[fi].ty(r) {
                            Type::Array(sites) => {
                                layout::array_kind(m.array_elem(sites)).map(|(k, _)| k)
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .collect();
            if kinds.iter().all(Option::is_none) {
                continue;
            }
            let f = &mut m.funcs[fi];
            let insts = std::mem::take(&mut f.blocks[bi].insts);
            let mut out = Vec::with_capacity(insts.len() + 1);
            for (inst, kind) in insts.into_iter().zip(kinds) {
                let Some(k) = kind else {
                    out.push(inst);
                    continue;
                };
                let kv = f.new_value(Type::Int);
                let site = inst.site;
                out.push(Inst { result: Some(kv), kind: InstKind::Const(Const::Int(k)), site });
                let kind = InstKind::RtCall { func: RtFn::NewArrayKind, args: vec![kv] };
                out.push(Inst { result: inst.result, kind, site });
            }
            f.blocks[bi].insts = out;
        }
    }
}
