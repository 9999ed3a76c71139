//! Strength reduction of derived induction variables, on legal MIR: in a loop whose header
//! parameter `iv` every back edge passes as `iv + c` (`c` a constant), an Int `t = iv * m` or
//! `t = iv * m + b` / `b + iv * m` / `iv * m - b` (`m`, `b` defined outside the loop or
//! constants) becomes a new header parameter `d`, entered with `init * m + b` (computed at the
//! end of the preheader) and passed `d + c * m` by each back edge. The multiply leaves the
//! loop: `a.get(k * n + j)` in a loop over `k` reads at an index that just grows by `n`.
//!
//! Why it is exact: Int arithmetic wraps (LANGUAGE.md), i.e. it is arithmetic modulo 2^64,
//! where `(iv + c) * m + b = (iv * m + b) + c * m`; so in every iteration `d` equals the `t`
//! the loop computed, bit for bit, and every use of `t` can read `d` instead. A use outside
//! the loop sees the same iteration's value: it is dominated by `t`'s definition, so the last
//! iteration started at the header ran that definition too.
//!
//! Only done where it pays: the product is computed in every iteration (its block dominates
//! every back edge) and `m` is not a constant as cheap to multiply by as to add (0, a power
//! of two, 3, 5, 9); at most `MAX_PER_LOOP` new variables per loop, the most deeply nested
//! products first. For Cranelift, which has no loop optimizations of its own (LLVM does this
//! itself).

use super::{value_defs, ValueMap};
use crate::ir::*;
use rustc_hash::FxHashMap;

/// At most this many new induction variables per loop (each holds a register).
const MAX_PER_LOOP: usize = 4;

/// Reduces derived induction variables in the loops of every function.
/// Returns whether anything changed.
pub fn reduce_induction_variables(m: &mut Module) -> bool {
    let mut changed = false;
    for f in &mut m.funcs {
        changed |= reduce_function(f);
    }
    changed
}

/// `t = iv * m + b` (`b` subtracted when `neg`; absent for a plain product).
#[derive(Clone, Copy)]
struct Derived {
    t: ValueId,
    iv_index: usize,
    m: ValueId,
    b: Option<(ValueId, bool)>,
}

fn reduce_function(f: &mut Function) -> bool {
    // Only loops with a multiply can gain.
    let has_mul = |b: &Block| {
        b.insts.iter().any(|i| matches!(i.kind, InstKind::IntBin { op: IntOp::Mul, .. }))
    };
    if !f.blocks.iter().any(has_mul) {
        return false;
    }
    let preds = f.predecessors();
    let idom = f.dominators_with(&preds);
    let mut loops = f.natural_loops_with(&preds, &idom);
    if loops.is_empty() {
        return false;
    }
    // Innermost first; the CFG never changes here, only parameters and instructions.
    loops.sort_by_key(|l| l.size());
    // Facts about the function as it was: what a loop adds (parameters and instructions at
    // the ends of blocks) is missing, so later loops see those values as neither invariant
    // nor derived, which only means they are not reduced.
    let facts = Facts::new(f, preds, idom);
    let mut changed = false;
    // Every replacement, applied once at the end (the facts describe the function as it was).
    let mut rename: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    for l in &loops {
        let Some(p) = l.preheader else { continue };
        let in_loop = &l.body;
        if (0..f.blocks.len()).any(|b| in_loop[b] && has_mul(&f.blocks[b])) {
            changed |= reduce_loop(f, &facts, &mut rename, &loops, l, p);
        }
    }
    if changed {
        super::replace_uses(f, &rename);
        // Drops the products and sums the new variables replaced.
        super::simplify::remove_dead_code(f);
    }
    changed
}

/// Where values are defined, the Int constants, predecessors and use counts of a function.
struct Facts {
    defs: ValueMap<(usize, usize)>,
    def_block: ValueMap<usize>,
    consts: ValueMap<i64>,
    preds: Vec<Vec<usize>>,
    uses: Vec<u32>,
    idom: Vec<Option<usize>>,
}

impl Facts {
    /// Whether block `a` dominates block `b`.
    fn dominates(&self, a: usize, b: usize) -> bool {
        dominates(&self.idom, a, b)
    }
}

impl Facts {
    fn new(f: &Function, preds: Vec<Vec<usize>>, idom: Vec<Option<usize>>) -> Facts {
        let (defs, def_block) = value_defs(f);
        let mut consts = ValueMap::new(f);
        for inst in f.blocks.iter().flat_map(|b| &b.insts) {
            if let (InstKind::Const(Const::Int(n)), Some(r)) = (&inst.kind, inst.result) {
                consts.insert(r, *n);
            }
        }
        Facts { defs, def_block, consts, preds, uses: super::simplify::use_counts(f), idom }
    }
}

/// How many of `loops` contain block `b`.
fn depth_of(loops: &[NaturalLoop], b: usize) -> usize {
    loops.iter().filter(|l| l.body.get(b).copied().unwrap_or(false)).count()
}

/// Reduces the derived induction variables of loop `l` (preheader `p`); whether any was.
fn reduce_loop(
    f: &mut Function,
    facts: &Facts,
    rename: &mut FxHashMap<ValueId, ValueId>,
    loops: &[NaturalLoop],
    l: &NaturalLoop,
    p: usize,
) -> bool {
    let h = l.header;
    let in_loop = &l.body;
    if f.blocks[p].term.successors().iter().filter(|(t, _)| t.index() == h).count() != 1 {
        return false;
    }
    let (defs, def_block, consts) = (&facts.defs, &facts.def_block, &facts.consts);
    let const_of = |v: ValueId| consts.get(&v).copied();
    // Invariant operands: defined outside the loop (they dominate the preheader's end) or
    // constants (recreated there).
    let invariant =
        |v: ValueId| const_of(v).is_some() || def_block.get(&v).is_some_and(|&b| !in_loop[b]);
    // The back edges (latch block, successor slot) and each one's step per counter.
    let preds = &facts.preds;
    let latches: Vec<usize> = preds[h].iter().copied().filter(|&q| in_loop[q]).collect();
    if latches.is_empty() {
        return false;
    }
    let step_of = |k: usize, iv: ValueId| -> Option<Vec<i64>> {
        let mut steps = Vec::new();
        for &q in &latches {
            for (t, args) in f.blocks[q].term.successors() {
                if t.index() != h {
                    continue;
                }
                let &(nb, ni) = defs.get(args.get(k)?)?;
                let InstKind::IntBin { op: IntOp::Add, a, b } = f.blocks[nb].insts[ni].kind else {
                    return None;
                };
                steps.push(match (a == iv, b == iv) {
                    (true, _) => const_of(b)?,
                    (_, true) => const_of(a)?,
                    _ => return None,
                });
            }
        }
        // One edge into the header per latch (branch targets are distinct).
        (steps.len() == latches.len()).then_some(steps)
    };
    let counters: Vec<(usize, ValueId, Vec<i64>)> = f.blocks[h]
        .params
        .iter()
        .enumerate()
        .filter(|&(_, &iv)| f.ty(iv) == Type::Int)
        .filter_map(|(k, &iv)| Some((k, iv, step_of(k, iv)?)))
        .collect();
    if counters.is_empty() {
        return false;
    }
    // `x` as `iv * m` for one of the counters (m not the constant 1).
    let scaled = |x: ValueId| -> Option<(usize, ValueId)> {
        let &(bi, ii) = defs.get(&x)?;
        if !in_loop[bi] {
            return None;
        }
        let InstKind::IntBin { op: IntOp::Mul, a, b } = f.blocks[bi].insts[ii].kind else {
            return None;
        };
        counters.iter().find_map(|(k, iv, _)| {
            let m = if a == *iv {
                b
            } else if b == *iv {
                a
            } else {
                return None;
            };
            (invariant(m) && !const_of(m).is_some_and(cheap_multiplier)).then_some((*k, m))
        })
    };
    let mut found: Vec<Derived> = Vec::new();
    let mut covered: Vec<ValueId> = Vec::new();
    for bi in (0..f.blocks.len()).filter(|&b| in_loop[b]) {
        for inst in &f.blocks[bi].insts {
            let Some(t) = inst.result else { continue };
            let d = match inst.kind {
                InstKind::IntBin { op: IntOp::Add, a, b } => match (scaled(a), scaled(b)) {
                    (Some((k, m)), _) if invariant(b) => {
                        Some(Derived { t, iv_index: k, m, b: Some((b, false)) })
                    }
                    (_, Some((k, m))) if invariant(a) => {
                        Some(Derived { t, iv_index: k, m, b: Some((a, false)) })
                    }
                    _ => None,
                },
                InstKind::IntBin { op: IntOp::Sub, a, b } => match scaled(a) {
                    Some((k, m)) if invariant(b) => {
                        Some(Derived { t, iv_index: k, m, b: Some((b, true)) })
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some(d) = d {
                covered.extend(match inst.kind {
                    InstKind::IntBin { a, b, .. } => [a, b],
                    _ => continue,
                });
                found.push(d);
            }
        }
    }
    // Plain products not already folded into a sum above, or used elsewhere too.
    let uses = &facts.uses;
    for bi in (0..f.blocks.len()).filter(|&b| in_loop[b]) {
        for inst in &f.blocks[bi].insts {
            let Some(t) = inst.result else { continue };
            let Some((k, m)) = scaled(t) else { continue };
            let only_in_sums =
                covered.iter().filter(|&&c| c == t).count() == uses[t.index()] as usize;
            if !only_in_sums {
                found.push(Derived { t, iv_index: k, m, b: None });
            }
        }
    }
    // One new variable per distinct `iv * m + b` (copies of the loop made by versioning, and
    // its test, compute the same ones), the most deeply nested first (the hottest).
    let key = |v: ValueId| match const_of(v) {
        Some(n) => (true, n),
        None => (false, i64::from(v.0)),
    };
    let mut groups: Vec<(Derived, Vec<ValueId>, usize)> = Vec::new();
    // (A value an inner loop already replaced is left to it. Only values computed in every
    // iteration: one computed on some paths only would cost an add on all of them.)
    let every_iteration = |t: ValueId| {
        def_block.get(&t).is_some_and(|&b| latches.iter().all(|&q| facts.dominates(b, q)))
    };
    for d in found.into_iter().filter(|d| !rename.contains_key(&d.t) && every_iteration(d.t)) {
        let depth = depth_of(loops, def_block.get(&d.t).copied().unwrap_or(h));
        let same = |e: &Derived| {
            e.iv_index == d.iv_index
                && key(e.m) == key(d.m)
                && e.b.map(|(b, n)| (key(b), n)) == d.b.map(|(b, n)| (key(b), n))
        };
        match groups.iter_mut().find(|(e, _, _)| same(e)) {
            Some((_, ts, dep)) => {
                ts.push(d.t);
                *dep = (*dep).max(depth);
            }
            None => groups.push((d, vec![d.t], depth)),
        }
    }
    groups.sort_by_key(|(_, _, depth)| std::cmp::Reverse(*depth));
    groups.truncate(MAX_PER_LOOP);
    if groups.is_empty() {
        return false;
    }
    let steps: FxHashMap<usize, Vec<i64>> = counters.into_iter().map(|(k, _, s)| (k, s)).collect();
    let site = f.blocks[h].insts.first().map_or(SiteId(0), |i| i.site);
    for (d, ts, _) in groups {
        let init_arg = match f.blocks[p].term.successors().iter().find(|(t, _)| t.index() == h) {
            Some((_, args)) => args[d.iv_index],
            None => return false,
        };
        // In the preheader: `init * m (+/- b)`, and `c * m` per distinct step.
        let mut pre: Vec<Inst> = Vec::new();
        let emit = |f: &mut Function, pre: &mut Vec<Inst>, ty: Type, kind: InstKind| {
            let r = f.new_value(ty);
            pre.push(Inst { result: Some(r), kind, site });
            r
        };
        let operand = |f: &mut Function, pre: &mut Vec<Inst>, v: ValueId| match const_of(v) {
            Some(n) if def_block.get(&v).is_some_and(|&b| in_loop[b]) => {
                emit(f, pre, Type::Int, InstKind::Const(Const::Int(n)))
            }
            _ => v,
        };
        let m = operand(f, &mut pre, d.m);
        let prod =
            emit(f, &mut pre, Type::Int, InstKind::IntBin { op: IntOp::Mul, a: init_arg, b: m });
        let start = match d.b {
            None => prod,
            Some((b, neg)) => {
                let b = operand(f, &mut pre, b);
                let op = if neg { IntOp::Sub } else { IntOp::Add };
                emit(f, &mut pre, Type::Int, InstKind::IntBin { op, a: prod, b })
            }
        };
        let mut step_vals: FxHashMap<i64, ValueId> = FxHashMap::default();
        for &c in &steps[&d.iv_index] {
            if let std::collections::hash_map::Entry::Vacant(e) = step_vals.entry(c) {
                let cv = emit(f, &mut pre, Type::Int, InstKind::Const(Const::Int(c)));
                let s =
                    emit(f, &mut pre, Type::Int, InstKind::IntBin { op: IntOp::Mul, a: cv, b: m });
                e.insert(s);
            }
        }
        f.blocks[p].insts.extend(pre);
        add_edge_arg(&mut f.blocks[p].term, h, start);
        let dv = f.new_value(Type::Int);
        f.blocks[h].params.push(dv);
        // Each back edge: `d + c * m`, in its latch block (`steps` follows `latches`, one
        // edge into the header each).
        for (&q, c) in latches.iter().zip(&steps[&d.iv_index]) {
            let step = step_vals[c];
            let r = f.new_value(Type::Int);
            f.blocks[q].insts.push(Inst {
                result: Some(r),
                kind: InstKind::IntBin { op: IntOp::Add, a: dv, b: step },
                site,
            });
            add_edge_arg(&mut f.blocks[q].term, h, r);
        }
        for t in ts {
            rename.insert(t, dv);
        }
    }
    true
}

/// Constants whose product is as cheap as the add that would replace it (a move, a shift or
/// one x86 `lea`), so a loop variable would only cost a register.
fn cheap_multiplier(c: i64) -> bool {
    c == 0 || c == 3 || c == 5 || c == 9 || (c > 0 && c & (c - 1) == 0)
}

/// Appends `arg` to the arguments of the edge of `term` into `target`.
fn add_edge_arg(term: &mut Terminator, target: usize, arg: ValueId) {
    match term {
        Terminator::Jump { target: t, args } if t.index() == target => args.push(arg),
        Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
            if then_block.index() == target {
                then_args.push(arg);
            } else if else_block.index() == target {
                else_args.push(arg);
            }
        }
        _ => {}
    }
}
