//! Function specialization per argument-type signature (generic MIR, interleaved with type
//! inference).
//!
//! Inference gives every parameter the join of its call-site argument types, so one call with
//! a Float makes a helper's Int parameter `Dyn` everywhere and its arithmetic goes through the
//! runtime. This pass clones such a function per distinct *concrete* signature of its call
//! sites and retargets each direct `Call` to the clone of its own signature; inference then
//! types each clone from its own callers only, so legalization makes the arithmetic,
//! comparisons and calls inside unboxed and direct. The steps repeat (infer → retarget) until
//! no call changes target, because specializing a callee can sharpen the argument types of the
//! calls it makes (recursive calls inside a clone are retargeted to the clone itself).
//!
//! Rules:
//! - Only functions reached by direct `Call` from generic MIR are specialized: static-box
//!   functions. Instance-box methods, constructors and callback thunks (fixed-type `me`,
//!   reachable from MIR type switches, runtime dispatch and registered thunks) and the entry
//!   are left alone, so everything dynamic dispatch can reach keeps its general version.
//! - The original function is never removed or retargeted away from: it stays the general
//!   version, typed from the call sites that still use it (or all-`Dyn` when none do).
//! - A site gets a clone only when its signature has no `Dyn` and is strictly more precise
//!   than the join of all signatures of that function (at a position where the precision pays:
//!   an unboxed Int/Float/Bool or a known instance type). At most `MAX_CLONES` clones per
//!   function; later signatures use the general version.
//! - Clones keep every instruction's `SiteId`, so runtime errors name the source function.
//!   Clones that end up with no callers are deleted at the end.

use super::infer_types;
use crate::ir::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Upper bound on clones of one function.
pub const MAX_CLONES: usize = 4;
/// Upper bound on infer/retarget rounds (each round is one whole-program inference).
const MAX_ROUNDS: usize = 8;

/// Specializes functions per call-site signature; leaves types inferred for the result.
pub fn specialize(m: &mut Module) {
    let n0 = m.funcs.len();
    let eligible = eligible_functions(m);
    if !eligible.iter().any(|&e| e) {
        infer_types(m);
        return;
    }
    // For every function (including clones appended later): the original it was cloned from.
    /// A call site of an original function: (caller, block, inst, current target, signature).
    type CallSite = (usize, usize, usize, FuncId, Vec<Type>);
    let mut origin: Vec<FuncId> = m.func_ids().collect();
    let mut clones: FxHashMap<(FuncId, Vec<Type>), FuncId> = FxHashMap::default();
    let mut clone_count: FxHashMap<FuncId, usize> = FxHashMap::default();
    for _ in 0..MAX_ROUNDS {
        infer_types(m);
        let mut groups: BTreeMap<FuncId, Vec<CallSite>> = BTreeMap::new();
        for (fi, f) in m.funcs.iter().enumerate() {
            for (bi, b) in f.blocks.iter().enumerate() {
                for (ii, inst) in b.insts.iter().enumerate() {
                    let InstKind::Call { func, args } = &inst.kind else { continue };
                    let Some(&o) = origin.get(func.index()) else { continue };
                    if !eligible[o.index()] {
                        continue;
                    }
                    let sig = args.iter().map(|a| f.ty(*a)).collect();
                    groups.entry(o).or_default().push((fi, bi, ii, *func, sig));
                }
            }
        }
        let mut retarget: Vec<(usize, usize, usize, FuncId)> = Vec::new();
        for (o, sites) in &groups {
            let arity = m.funcs[o.index()].params.len();
            let mut join: Vec<Option<Type>> = vec![None; arity];
            for (.., sig) in sites {
                for (j, t) in join.iter_mut().zip(sig) {
                    *j = Some(j.map_or(*t, |x| x.join(*t)));
                }
            }
            let join: Vec<Type> = join.into_iter().map(|t| t.unwrap_or(Type::Dyn)).collect();
            for &(fi, bi, ii, cur, ref sig) in sites {
                let want = if sig.len() == arity && worth_cloning(sig, &join) {
                    match clones.get(&(*o, sig.clone())) {
                        Some(&c) => c,
                        None if clone_count.get(o).copied().unwrap_or(0) < MAX_CLONES => {
                            let c = make_clone(m, *o, sig);
                            origin.push(*o);
                            clones.insert((*o, sig.clone()), c);
                            *clone_count.entry(*o).or_default() += 1;
                            c
                        }
                        None => *o,
                    }
                } else {
                    *o
                };
                if want != cur {
                    retarget.push((fi, bi, ii, want));
                }
            }
        }
        if retarget.is_empty() {
            break;
        }
        for (fi, bi, ii, want) in retarget {
            if let InstKind::Call { func, .. } = &mut m.funcs[fi].blocks[bi].insts[ii].kind {
                *func = want;
            }
        }
    }
    remove_dead_clones(m, n0);
    infer_types(m);
}

/// Functions whose calls may be retargeted: not the entry, not anything with a fixed `me`.
fn eligible_functions(m: &Module) -> Vec<bool> {
    let mut ok: Vec<bool> = m.funcs.iter().map(|f| !f.params.is_empty()).collect();
    if let Some(e) = ok.get_mut(m.entry.index()) {
        *e = false;
    }
    for b in &m.boxes {
        if b.is_static {
            continue;
        }
        let fs = b.methods.iter().map(|(_, _, f)| *f).chain(b.constructors.iter().map(|(_, f)| *f));
        for f in fs.chain(b.fini_thunk).chain(b.to_string_thunk) {
            if let Some(x) = ok.get_mut(f.index()) {
                *x = false;
            }
        }
    }
    // Anything whose address is taken may be called from the runtime with Dyn arguments.
    for f in &m.funcs {
        for b in &f.blocks {
            for i in &b.insts {
                if let InstKind::FuncAddr(g) = i.kind {
                    if let Some(x) = ok.get_mut(g.index()) {
                        *x = false;
                    }
                }
            }
        }
    }
    ok
}

/// A signature deserves its own clone when it is fully known and beats the join somewhere it
/// matters for code quality.
fn worth_cloning(sig: &[Type], join: &[Type]) -> bool {
    if sig.contains(&Type::Dyn) || sig == join {
        return false;
    }
    sig.iter().zip(join).any(|(s, j)| {
        s != j && matches!(s, Type::Int | Type::Float | Type::Bool | Type::Instance(_))
    })
}

/// Appends a copy of function `o` named after `sig`; returns its id.
fn make_clone(m: &mut Module, o: FuncId, sig: &[Type]) -> FuncId {
    let mut f = m.funcs[o.index()].clone();
    let tag: Vec<String> = sig
        .iter()
        .map(|t| match t {
            Type::Instance(b) => format!("inst{}", b.0),
            t => t.name().to_string(),
        })
        .collect();
    f.name = format!("{}$spec${}", f.name, tag.join("_"));
    // Seed the parameter types; inference recomputes them from the retargeted call sites.
    for (p, t) in f.params.clone().into_iter().zip(sig) {
        f.values[p.index()].ty = *t;
    }
    m.funcs.push(f);
    FuncId::new(m.funcs.len() - 1)
}

/// Deletes clones (ids `>= n0`) that no live function calls, renumbering the survivors.
fn remove_dead_clones(m: &mut Module, n0: usize) {
    let n = m.funcs.len();
    if n == n0 {
        return;
    }
    // Originals are all live; a clone is live when a live function calls it.
    let mut live = vec![false; n];
    let mut stack: Vec<usize> = (0..n0).collect();
    live[..n0].iter_mut().for_each(|l| *l = true);
    while let Some(fi) = stack.pop() {
        for b in &m.funcs[fi].blocks {
            for i in &b.insts {
                if let InstKind::Call { func, .. } = i.kind {
                    let g = func.index();
                    if g < n && !live[g] {
                        live[g] = true;
                        stack.push(g);
                    }
                }
            }
        }
    }
    if live.iter().all(|&l| l) {
        return;
    }
    let mut new_id: Vec<Option<FuncId>> = vec![None; n];
    let mut next = 0;
    for (i, l) in live.iter().enumerate() {
        if *l {
            new_id[i] = Some(FuncId::new(next));
            next += 1;
        }
    }
    let funcs = std::mem::take(&mut m.funcs);
    m.funcs = funcs.into_iter().enumerate().filter(|(i, _)| live[*i]).map(|(_, f)| f).collect();
    // Only clones moved, and only `Call`s can name a clone (originals keep their ids).
    for f in &mut m.funcs {
        for b in &mut f.blocks {
            for i in &mut b.insts {
                if let InstKind::Call { func, .. } = &mut i.kind {
                    if let Some(Some(g)) = new_id.get(func.index()) {
                        *func = *g;
                    }
                }
            }
        }
    }
}
