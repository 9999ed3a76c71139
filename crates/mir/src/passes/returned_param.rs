//! Calls to functions that return one of their parameters: the caller reads the argument.
//!
//! `local a = fill(new ArrayBox(), …)`, where `fill(m, …)` ends with `return m` on every
//! path, gives back the very array it was passed. Named by the call's result, the array is
//! "whatever `fill` returns", typed by every call site of `fill`; named by the argument, it
//! is the one allocation in this function, which array passes use (distinct allocations
//! cannot alias, their element kind is known). So uses of the result read the argument:
//! the call still runs and its result, now unused, is released as any unused result is.
//!
//! Runs on generic MIR after type inference, before legalization makes reference counting
//! explicit, so ownership stays legalization's business. The argument's type must be at
//! least as precise as the result's (it always is: the parameter's type joins the
//! arguments') with the same representation, so every use still gets what it expects.

use super::replace_uses;
use crate::ir::*;
use rustc_hash::FxHashMap;

/// Replaces the uses of each call result that is one of the call's arguments; returns
/// whether anything changed.
pub fn forward_returned_params(m: &mut Module) -> bool {
    let returned: Vec<Option<usize>> = m.funcs.iter().map(returned_param).collect();
    let mut changed = false;
    for f in &mut m.funcs {
        let mut map: FxHashMap<ValueId, ValueId> = FxHashMap::default();
        for inst in f.blocks.iter().flat_map(|b| &b.insts) {
            let (InstKind::Call { func, args }, Some(r)) = (&inst.kind, inst.result) else {
                continue;
            };
            let Some(&a) = returned.get(func.index()).copied().flatten().and_then(|k| args.get(k))
            else {
                continue;
            };
            let (ta, tr) = (f.ty(a), f.ty(r));
            if ta.repr() == tr.repr() && ta.join(tr) == tr {
                map.insert(r, a);
            }
        }
        if !map.is_empty() {
            replace_uses(f, &map);
            changed = true;
        }
    }
    changed
}

/// The parameter `f` returns unchanged on every path, if it does.
fn returned_param(f: &Function) -> Option<usize> {
    let mut returned = None;
    for b in &f.blocks {
        if let Terminator::Return(v) = b.term {
            let k = f.params.iter().position(|&p| p == v)?;
            if returned.is_some_and(|r| r != k) {
                return None;
            }
            returned = Some(k);
        }
    }
    returned
}
