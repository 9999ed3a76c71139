//! Dead-function elimination: drops the functions that no execution can reach, so backends
//! do not compile them (after inlining, small methods and helpers are often only referenced
//! by the calls that were inlined away).
//!
//! Runs on legal MIR, where every way a function can be entered is explicit: the entry
//! function, a direct `Call`, or a `FuncAddr` (the `fini`/`toString` thunks the entry
//! registers with the runtime, which calls them by address). Method dispatch on an unknown
//! receiver was already legalized into a switch of direct calls, and `DynMethodCall` only
//! reaches builtin methods in the runtime, so no function is entered by name. The kept
//! functions keep their order and are renumbered; the boxes' method and constructor tables
//! (read only by passes before legalization, and by nothing after) lose the dead entries.

use crate::ir::*;

/// Removes every function not reachable from `m.entry` through `Call` and `FuncAddr`.
pub fn remove_dead_functions(m: &mut Module) {
    let n = m.funcs.len();
    let Some(entry) = (m.entry.index() < n).then_some(m.entry.index()) else { return };
    let mut live = vec![false; n];
    live[entry] = true;
    let mut work = vec![entry];
    while let Some(fi) = work.pop() {
        for inst in m.funcs[fi].blocks.iter().flat_map(|b| &b.insts) {
            if let InstKind::Call { func: g, .. } | InstKind::FuncAddr(g) = inst.kind {
                if let Some(l) = live.get_mut(g.index()) {
                    if !*l {
                        *l = true;
                        work.push(g.index());
                    }
                }
            }
        }
    }
    if live.iter().all(|&l| l) {
        return;
    }
    let mut new_id = vec![None; n];
    let mut next = 0;
    for (i, &l) in live.iter().enumerate() {
        if l {
            new_id[i] = Some(FuncId::new(next));
            next += 1;
        }
    }
    // Every reference left is from a live function to a live one, so each maps.
    let map = |f: FuncId| new_id.get(f.index()).copied().flatten();
    let old = std::mem::take(&mut m.funcs);
    for (i, mut f) in old.into_iter().enumerate() {
        if !live[i] {
            continue;
        }
        for inst in f.blocks.iter_mut().flat_map(|b| &mut b.insts) {
            if let InstKind::Call { func: g, .. } | InstKind::FuncAddr(g) = &mut inst.kind {
                if let Some(ng) = map(*g) {
                    *g = ng;
                }
            }
        }
        m.funcs.push(f);
    }
    m.entry = map(m.entry).unwrap_or_default();
    for b in &mut m.boxes {
        b.methods = b
            .methods
            .drain(..)
            .filter_map(|(name, arity, f)| Some((name, arity, map(f)?)))
            .collect();
        b.constructors =
            b.constructors.drain(..).filter_map(|(arity, f)| Some((arity, map(f)?))).collect();
        b.fini_thunk = b.fini_thunk.and_then(map);
        b.to_string_thunk = b.to_string_thunk.and_then(map);
    }
}
