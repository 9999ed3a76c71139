//! Loop rotation, on legal MIR, for backends without loop optimizations (Cranelift): a loop
//! whose header `h` only computes its exit test (a few pure instructions and a branch to the
//! body `B` or the exit `E`) and whose back edges are plain `jump h(args)` gets a copy of
//! that test at the end of each latch, which branches to `B` or `E` itself. `h` is left as a
//! guard run once on entry, and each iteration runs one conditional branch instead of a test
//! at the top plus a jump back.
//!
//! Why it is exact: a latch's copy runs exactly when `h` would have run next, on the values
//! `h`'s parameters would have held (the latch's arguments), so every iteration evaluates the
//! same instructions on the same values in the same order. The copied instructions are pure
//! and cannot fail (`simplify::is_pure`), so where they run has no other effect.
//!
//! SSA: the values `h` defines (parameters and results) now have one definition per edge
//! into `B` and `E`. They are passed along those edges as new parameters of `B` and `E` (of a
//! new forwarding block where the target has other predecessors), and each use outside `h` is
//! renamed to the parameter of whichever of the two entries dominates it. A use dominated by
//! neither (a block reached both from a `break` in the body and from the exit) would need a
//! merge: such loops are left alone. `simplify` then drops the parameters nothing reads and
//! folds a guard whose test is constant on entry (`i = 0; i < n` with constant `n`).

use super::{for_each_operand_mut, replace_uses_in_block};
use crate::ir::*;
use std::collections::{HashMap, HashSet};

/// At most this many instructions in a header (each is copied into every latch).
const MAX_HEADER_INSTS: usize = 8;
/// At most this many back edges (`continue`s) per rotated loop.
const MAX_LATCHES: usize = 4;

/// Rotates the loops of every function; returns whether anything changed.
pub fn rotate_loops(m: &mut Module) -> bool {
    let mut changed = false;
    for f in &mut m.funcs {
        if rotate_function(f) {
            super::simplify::simplify_function(f);
            changed = true;
        }
    }
    changed
}

fn rotate_function(f: &mut Function) -> bool {
    let mut changed = false;
    let mut tried = vec![false; f.blocks.len()];
    // A rotated loop's new header `B` has latches ending in branches, which are never rotated,
    // and every header is tried once: this ends after at most one round per block.
    loop {
        let mut stale = false;
        for l in f.natural_loops() {
            if tried.get(l.header).copied().unwrap_or(true) {
                continue;
            }
            tried[l.header] = true;
            let blocks = f.blocks.len();
            if let Some(g) = rotate(f, &l) {
                *f = g;
                changed = true;
                // Without new blocks the other loops keep their blocks: rotation only adds
                // latch -> exit edges next to the paths latch -> h -> exit, so what reaches a
                // latch of another loop is unchanged, and their headers and latches are not
                // touched. Forwarding blocks are new members, so the loops are found again.
                if f.blocks.len() != blocks {
                    tried.resize(f.blocks.len(), true);
                    stale = true;
                    break;
                }
            }
        }
        if !stale {
            return changed;
        }
    }
}

/// Instructions a header may have to be rotated: pure, infallible and cheap to copy.
fn copyable(k: &InstKind) -> bool {
    super::simplify::is_pure(k) && !matches!(k, InstKind::ToDyn(_) | InstKind::FromDyn { .. })
}

/// The function with loop `l` rotated, or `None` where it does not qualify.
fn rotate(f: &Function, l: &NaturalLoop) -> Option<Function> {
    let h = l.header;
    let hb = &f.blocks[h];
    let Terminator::Branch { then_block, else_block, .. } = &hb.term else { return None };
    let (t, e) = (then_block.index(), else_block.index());
    let in_loop = |b: usize| l.body.get(b).copied().unwrap_or(false);
    // Exactly one side stays in the loop, and it is not the header itself (a one-block loop
    // already tests at its bottom).
    let then_is_body = match (in_loop(t), in_loop(e)) {
        (true, false) if t != h => true,
        (false, true) if e != h => false,
        _ => return None,
    };
    if hb.insts.len() > MAX_HEADER_INSTS || !hb.insts.iter().all(|i| copyable(&i.kind)) {
        return None;
    }
    let preds = f.predecessors();
    let latches: Vec<usize> = preds[h].iter().copied().filter(|&p| in_loop(p)).collect();
    if latches.is_empty() || latches.len() > MAX_LATCHES {
        return None;
    }
    for &p in &latches {
        match &f.blocks[p].term {
            Terminator::Jump { target, .. } if target.index() == h && p != h => {}
            _ => return None,
        }
    }

    let mut g = f.clone();
    // Every value `h` defines; unused ones become dead parameters that `simplify` drops.
    let live: Vec<ValueId> = g.blocks[h]
        .params
        .iter()
        .copied()
        .chain(g.blocks[h].insts.iter().filter_map(|i| i.result))
        .collect();
    let tys: Vec<Type> = live.iter().map(|&v| g.ty(v)).collect();

    // Give each side of `h`'s branch an entry block taking `live` as parameters.
    let (body_t, exit_t) = if then_is_body { (t, e) } else { (e, t) };
    let mut entries = Vec::new(); // (entry block, its parameters for `live`)
    for (target, is_then) in [(body_t, then_is_body), (exit_t, !then_is_body)] {
        let fresh: Vec<ValueId> = tys.iter().map(|&ty| g.new_value(ty)).collect();
        let Terminator::Branch { then_args, else_args, .. } = &mut g.blocks[h].term else {
            return None;
        };
        let args = if is_then { then_args } else { else_args };
        let only_pred = preds[target] == [h] && body_t != exit_t;
        if only_pred {
            // The target's own parameters come first, then `live`.
            args.extend(live.iter().copied());
            g.blocks[target].params.extend(fresh.iter().copied());
            entries.push((target, fresh));
        } else {
            // A forwarding block: `X(live'): jump target(args')`.
            let rename: HashMap<ValueId, ValueId> =
                live.iter().copied().zip(fresh.iter().copied()).collect();
            let fwd_args: Vec<ValueId> =
                args.iter().map(|v| rename.get(v).copied().unwrap_or(*v)).collect();
            *args = live.clone();
            let x = g.blocks.len();
            g.blocks.push(Block {
                params: fresh.clone(),
                insts: Vec::new(),
                term: Terminator::Jump { target: BlockId::new(target), args: fwd_args },
            });
            let Terminator::Branch { then_block, else_block, .. } = &mut g.blocks[h].term else {
                return None;
            };
            if is_then {
                *then_block = BlockId::new(x);
            } else {
                *else_block = BlockId::new(x);
            }
            entries.push((x, fresh));
        }
    }

    // Each latch: `jump h(args)` becomes a copy of `h`'s instructions and branch, on `args`.
    let header = g.blocks[h].clone();
    for &p in &latches {
        let Terminator::Jump { args, .. } = &g.blocks[p].term else { return None };
        let mut subst: HashMap<ValueId, ValueId> =
            header.params.iter().copied().zip(args.iter().copied()).collect();
        let mut copies = Vec::with_capacity(header.insts.len());
        for inst in &header.insts {
            let mut c = inst.clone();
            for_each_operand_mut(&mut c.kind, |v| *v = subst.get(v).copied().unwrap_or(*v));
            if let Some(r) = inst.result {
                let nr = g.new_value(g.ty(r));
                subst.insert(r, nr);
                c.result = Some(nr);
            }
            copies.push(c);
        }
        let mut term = header.term.clone();
        if let Terminator::Branch { cond, then_args, else_args, .. } = &mut term {
            let s = |v: &mut ValueId| *v = subst.get(v).copied().unwrap_or(*v);
            s(cond);
            then_args.iter_mut().for_each(s);
            else_args.iter_mut().for_each(s);
        }
        g.blocks[p].insts.extend(copies);
        g.blocks[p].term = term;
    }

    // Rename the uses of `live` outside `h` to the parameters of the entry dominating them.
    let idom = g.dominators();
    let dominates = |a: usize, mut b: usize| loop {
        if a == b {
            return true;
        }
        match idom[b] {
            Some(d) if d != b => b = d,
            _ => return false,
        }
    };
    let is_live: HashSet<ValueId> = live.iter().copied().collect();
    for (b, d) in idom.iter().enumerate() {
        if b == h || d.is_none() {
            continue;
        }
        let blk = &g.blocks[b];
        let mut uses_live = false;
        let mut note = |v: ValueId| uses_live |= is_live.contains(&v);
        blk.insts.iter().for_each(|i| i.kind.for_each_operand(&mut note));
        blk.term.for_each_operand(&mut note);
        if !uses_live {
            continue;
        }
        let (_, fresh) = entries.iter().find(|(x, _)| dominates(*x, b))?;
        let map: HashMap<ValueId, ValueId> =
            live.iter().copied().zip(fresh.iter().copied()).collect();
        replace_uses_in_block(&mut g.blocks[b], &map);
    }
    Some(g)
}
