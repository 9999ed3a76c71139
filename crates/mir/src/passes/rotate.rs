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

use super::{for_each_operand_mut, replace_in_block};
use crate::ir::*;
use rustc_hash::FxHashMap;

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
    let mut loops = f.natural_loops();
    // Enclosing loops first (an enclosing loop has more blocks than the loops inside it).
    // Then the loop bodies found here stay right for every loop not rotated yet, so they are
    // found once. A forwarding block that rotating `l` adds on an edge out of `l`'s header
    // belongs only to loops containing that header (a body holds its members'
    // predecessors), which are `l` and the loops around it, all done by then. The latches'
    // new edges (to `l`'s body and exit) do not join any other loop: a loop inside `l`
    // or beside it could only be reached through its header.
    loops.sort_by_key(|l| std::cmp::Reverse(l.body.iter().filter(|&&inside| inside).count()));
    let mut changed = false;
    for l in &loops {
        changed |= rotate(f, l);
    }
    changed
}

/// Instructions a header may have to be rotated: pure, infallible and cheap to copy.
fn copyable(k: &InstKind) -> bool {
    super::simplify::is_pure(k) && !matches!(k, InstKind::ToDyn(_) | InstKind::FromDyn { .. })
}

/// Rotates loop `l` of `f` in place; returns whether it did. Where the loop does not
/// qualify, `f` is left exactly as it was (see `Undo`).
fn rotate(f: &mut Function, l: &NaturalLoop) -> bool {
    let h = l.header;
    let hb = &f.blocks[h];
    let Terminator::Branch { then_block, else_block, .. } = &hb.term else { return false };
    let (t, e) = (then_block.index(), else_block.index());
    let in_loop = |b: usize| l.body.get(b).copied().unwrap_or(false);
    // Exactly one side stays in the loop, and it is not the header itself (a one-block loop
    // already tests at its bottom).
    let then_is_body = match (in_loop(t), in_loop(e)) {
        (true, false) if t != h => true,
        (false, true) if e != h => false,
        _ => return false,
    };
    if hb.insts.len() > MAX_HEADER_INSTS || !hb.insts.iter().all(|i| copyable(&i.kind)) {
        return false;
    }
    let (body_t, exit_t) = if then_is_body { (t, e) } else { (e, t) };
    // Only three predecessor lists matter: `h`'s in-loop ones (the latches, in block order,
    // each once) and whether the two targets have any predecessor but `h`. One scan of the
    // terminators finds them without building every block's list.
    let mut latches: Vec<usize> = Vec::new();
    let mut shared = [false; 2]; // body_t, exit_t: reached from a block other than `h`
    for (bi, b) in f.blocks.iter().enumerate() {
        for (succ, _) in b.term.successors() {
            let s = succ.index();
            if s == h && in_loop(bi) && latches.last() != Some(&bi) {
                latches.push(bi);
            }
            if bi != h {
                shared[0] |= s == body_t;
                shared[1] |= s == exit_t;
            }
        }
    }
    if latches.is_empty() || latches.len() > MAX_LATCHES {
        return false;
    }
    for &p in &latches {
        match &f.blocks[p].term {
            Terminator::Jump { target, .. } if target.index() == h && p != h => {}
            _ => return false,
        }
    }

    // From here on `f` changes; `undo` puts it back if the renaming below finds a use it
    // cannot reach from either entry.
    let mut undo = Undo {
        header: h,
        values: f.values.len(),
        blocks: f.blocks.len(),
        header_term: f.blocks[h].term.clone(),
        params: Vec::new(),
        latches: latches
            .iter()
            .map(|&p| (p, f.blocks[p].insts.len(), f.blocks[p].term.clone()))
            .collect(),
    };
    // Every value `h` defines; unused ones become dead parameters that `simplify` drops.
    let live: Vec<ValueId> = f.blocks[h]
        .params
        .iter()
        .copied()
        .chain(f.blocks[h].insts.iter().filter_map(|i| i.result))
        .collect();
    let tys: Vec<Type> = live.iter().map(|&v| f.ty(v)).collect();

    // Give each side of `h`'s branch an entry block taking `live` as parameters.
    let mut entries = Vec::new(); // (entry block, its parameters for `live`)
    for (target, is_then, shared) in
        [(body_t, then_is_body, shared[0]), (exit_t, !then_is_body, shared[1])]
    {
        let fresh: Vec<ValueId> = tys.iter().map(|&ty| f.new_value(ty)).collect();
        let x = f.blocks.len();
        let Terminator::Branch { then_block, then_args, else_block, else_args, .. } =
            &mut f.blocks[h].term
        else {
            undo.apply(f);
            return false;
        };
        let (args, block) = if is_then { (then_args, then_block) } else { (else_args, else_block) };
        let only_pred = !shared && body_t != exit_t;
        if only_pred {
            // The target's own parameters come first, then `live`.
            args.extend(live.iter().copied());
            undo.params.push((target, f.blocks[target].params.len()));
            f.blocks[target].params.extend(fresh.iter().copied());
            entries.push((target, fresh));
        } else {
            // A forwarding block: `X(live'): jump target(args')`.
            let rename = |v: ValueId| live.iter().position(|&l| l == v).map_or(v, |i| fresh[i]);
            let fwd_args: Vec<ValueId> = args.iter().map(|&v| rename(v)).collect();
            *args = live.clone();
            *block = BlockId::new(x);
            f.blocks.push(Block {
                params: fresh.clone(),
                insts: Vec::new(),
                term: Terminator::Jump { target: BlockId::new(target), args: fwd_args },
            });
            entries.push((x, fresh));
        }
    }

    // Each latch: `jump h(args)` becomes a copy of `h`'s instructions and branch, on `args`.
    let header = f.blocks[h].clone();
    for &p in &latches {
        let Terminator::Jump { args, .. } = &f.blocks[p].term else {
            undo.apply(f);
            return false;
        };
        let mut subst: FxHashMap<ValueId, ValueId> =
            header.params.iter().copied().zip(args.iter().copied()).collect();
        let mut copies = Vec::with_capacity(header.insts.len());
        for inst in &header.insts {
            let mut c = inst.clone();
            for_each_operand_mut(&mut c.kind, |v| *v = subst.get(v).copied().unwrap_or(*v));
            if let Some(r) = inst.result {
                let nr = f.new_value(f.ty(r));
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
        f.blocks[p].insts.extend(copies);
        f.blocks[p].term = term;
    }

    // Rename the uses of `live` outside `h` to the parameters of the entry dominating them.
    // First find every block to rename and its entry, so that a use neither entry dominates
    // is found before anything is renamed. Only the two entries' dominance matters, so it is
    // read off its definition (entry `x` dominates `b` when `b` cannot be reached without
    // passing `x`) with one walk per entry instead of the whole dominator tree.
    let reach = reachable_avoiding(f, None);
    let avoiding: Vec<Vec<bool>> =
        entries.iter().map(|(x, _)| reachable_avoiding(f, Some(*x))).collect();
    let dominates = |e: usize, b: usize| b == entries[e].0 || !avoiding[e][b];
    // Per value: 1 + its index in `live`, or 0 (a dense table: every operand of the
    // function is looked up).
    let mut slot = vec![0u32; f.values.len()];
    for (i, v) in live.iter().enumerate() {
        slot[v.index()] = i as u32 + 1;
    }
    let is_live = |v: ValueId| slot.get(v.index()).is_some_and(|&s| s != 0);
    let mut renames = Vec::new(); // (block, index into `entries`)
    for (b, &reached) in reach.iter().enumerate() {
        if b == h || !reached {
            continue;
        }
        let blk = &f.blocks[b];
        let mut uses_live = false;
        let mut note = |v: ValueId| uses_live |= is_live(v);
        blk.insts.iter().for_each(|i| i.kind.for_each_operand(&mut note));
        blk.term.for_each_operand(&mut note);
        if !uses_live {
            continue;
        }
        match (0..entries.len()).find(|&e| dominates(e, b)) {
            Some(entry) => renames.push((b, entry)),
            None => {
                undo.apply(f);
                return false;
            }
        }
    }
    for (b, entry) in renames {
        let fresh = &entries[entry].1;
        let r = |v: &mut ValueId| {
            if let Some(&s) = slot.get(v.index()) {
                if s != 0 {
                    *v = fresh[s as usize - 1];
                }
            }
        };
        replace_in_block(&mut f.blocks[b], r);
    }
    true
}

/// Per block: whether a path from the entry block reaches it without passing `avoid`.
fn reachable_avoiding(f: &Function, avoid: Option<usize>) -> Vec<bool> {
    let n = f.blocks.len();
    let mut seen = vec![false; n];
    if n == 0 || avoid == Some(0) {
        return seen;
    }
    seen[0] = true;
    let mut stack = vec![0];
    while let Some(b) = stack.pop() {
        for (succ, _) in f.blocks[b].term.successors() {
            let s = succ.index();
            if s < n && !seen[s] && avoid != Some(s) {
                seen[s] = true;
                stack.push(s);
            }
        }
    }
    seen
}

/// What `rotate` changes before it knows whether the loop qualifies, to put back if not:
/// new values and blocks are appended (truncated away), and only `h`'s terminator, the
/// targets' parameter lists and the latches' instructions and terminators are edited.
struct Undo {
    header: usize,
    values: usize,
    blocks: usize,
    header_term: Terminator,
    /// (target block, its parameter count before).
    params: Vec<(usize, usize)>,
    /// (latch, its instruction count before, its terminator before).
    latches: Vec<(usize, usize, Terminator)>,
}

impl Undo {
    fn apply(self, f: &mut Function) {
        f.blocks[self.header].term = self.header_term;
        for (p, insts, term) in self.latches {
            f.blocks[p].insts.truncate(insts);
            f.blocks[p].term = term;
        }
        for (b, n) in self.params {
            f.blocks[b].params.truncate(n);
        }
        f.blocks.truncate(self.blocks);
        f.values.truncate(self.values);
    }
}
