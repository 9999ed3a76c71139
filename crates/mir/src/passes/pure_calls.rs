//! Merging of calls to pure functions: common-subexpression and partial-redundancy
//! elimination of calls, on legal MIR after inlining.
//!
//! A function is *pure* when every value it has is an Int, Float or Bool, every instruction
//! is one that cannot fail or have an effect (`simplify::is_pure`) or a call of a pure
//! function, and every block ends in a jump, branch or return. Such a call computes a result
//! from its arguments alone, touches nothing else, and cannot raise an error; the only things
//! it can do besides returning are not returning (an endless loop) and overflowing the stack.
//!
//! - **Redundant calls.** A call with the same callee and arguments equal in value (`vn`,
//!   below) as a call that dominates it is deleted; its result is the earlier one's. Every
//!   path through it made the earlier call first, which returned — so this one would return
//!   the same value, with nothing observable in between it could do.
//! - **Partially redundant calls.** A call at a join, preceded in its block only by
//!   instructions that cannot fail or loop, whose twin is already computed on some incoming
//!   edges, is computed on the other edges instead (on the edge itself: a new block where the
//!   predecessor branches) and arrives as a block parameter. On every path the call then runs
//!   at most as often as before, and where it is moved it runs after the same calls and
//!   effects as before: only pure instructions, which cannot fail or loop, are jumped over.
//!
//! This is what lets a self-recursive function inlined into itself (naive `fib`) share its
//! duplicated calls: `fib(n - 1)` inlined computes `fib(n - 2)`, which the outer body then
//! computes again.
//!
//! Values are compared by value numbers (`vn`): instructions that cannot fail are numbered by
//! their `OpKey` over operand numbers (`op_key.rs`, the key `gvn` uses too), and calls of pure
//! functions by callee and argument numbers, so two with the same number compute the same
//! value wherever both run; Int `x ± c` chains are folded to `base + offset`
//! (wrapping, so `(n - 1) - 1` and `n - 2` are the same number); a block parameter whose
//! incoming arguments (all from earlier blocks) share a number gets it too.

use super::inline::{inline_site, merge_straight_lines, size, MAX_CALLEE_SIZE};
use super::op_key::OpKey;
use super::simplify::is_pure;
use super::{replace_uses, value_defs};
use crate::ir::*;
use rustc_hash::FxHashMap;

/// Rounds of merging per function; each round makes at most one partial-redundancy move, so
/// this bounds the work on large functions (a move never makes a path call more often, so
/// stopping early is only a missed opportunity).
const MAX_ROUNDS: usize = 64;

/// Merges redundant calls of pure functions in every function. Returns whether anything
/// changed; the caller should `simplify` afterwards.
///
/// A small pure function calling itself more than once first gets one of those calls
/// inlined, the first for which that exposes a call to merge (`fib(n - 1)` computes
/// `fib(n - 2)`, which the outer body computes too); if none does, it is left as it was.
pub fn merge_pure_calls(m: &mut Module) -> bool {
    let pure = pure_functions(m);
    if !pure.contains(&true) {
        return false;
    }
    let mut changed = false;
    for fi in 0..m.funcs.len() {
        if pure[fi] {
            changed |= merge_through_self_inlining(&mut m.funcs[fi], fi, &pure);
        }
    }
    for f in &mut m.funcs {
        let calls_pure = f.blocks.iter().any(|b| b.insts.iter().any(|i| pure_call(&i.kind, &pure)));
        if calls_pure {
            changed |= merge_in_function(f, &pure);
        }
    }
    changed
}

/// Merges `f`'s own repeated calls, then inlines one of its self-calls one level where that
/// lets calls merge; see `merge_pure_calls`. Returns whether `f` changed.
///
/// The inlined version is kept only if no path through it makes more self-calls than a path
/// through `f` did (while each covers more levels of the recursion). Merging anything at all
/// would not do: `g(n - 1) + g(n - 1)` is best merged as it is (one call per level), and
/// inlining a call first would leave `2 * g(n - 2) + g(n - 1)`, two.
fn merge_through_self_inlining(f: &mut Function, fi: usize, pure: &[bool]) -> bool {
    let mut changed = merge_in_function(f, pure);
    if size(f) > MAX_CALLEE_SIZE {
        return changed;
    }
    let sites: Vec<(usize, usize)> = f
        .blocks
        .iter()
        .enumerate()
        .flat_map(|(bi, b)| {
            b.insts.iter().enumerate().filter_map(move |(ii, i)| {
                matches!(&i.kind, InstKind::Call { func, .. } if func.index() == fi)
                    .then_some((bi, ii))
            })
        })
        .collect();
    let Some(limit) = most_self_calls(f, fi).filter(|_| sites.len() >= 2) else {
        return changed;
    };
    for &(bi, ii) in &sites {
        let mut g = f.clone();
        inline_site(&mut g, bi, ii, f);
        merge_straight_lines(&mut g);
        if merge_in_function(&mut g, pure) && most_self_calls(&g, fi).is_some_and(|n| n <= limit) {
            *f = g;
            changed = true;
            break;
        }
    }
    changed
}

/// The most calls of itself (function index `fi`) `f` makes on one path from its entry to a
/// return, or `None` if it has a loop.
fn most_self_calls(f: &Function, fi: usize) -> Option<usize> {
    let rpo = f.reverse_post_order();
    let mut pos = vec![usize::MAX; f.blocks.len()];
    for (i, &b) in rpo.iter().enumerate() {
        pos[b] = i;
    }
    let mut most_into = vec![0usize; f.blocks.len()];
    let mut most = 0;
    for &b in &rpo {
        let block = &f.blocks[b];
        let own = block
            .insts
            .iter()
            .filter(|i| matches!(&i.kind, InstKind::Call { func, .. } if func.index() == fi))
            .count();
        let here = most_into[b] + own;
        if matches!(block.term, Terminator::Return(_)) {
            most = most.max(here);
        }
        for (t, _) in block.term.successors() {
            let t = t.index();
            if pos.get(t).is_none_or(|&p| p <= pos[b]) {
                return None;
            }
            most_into[t] = most_into[t].max(here);
        }
    }
    Some(most)
}

/// Which functions are pure (module docs). Optimistic: every candidate starts pure and loses
/// it when it calls one that is not, until nothing changes (so recursion may stay pure).
pub(crate) fn pure_functions(m: &Module) -> Vec<bool> {
    let scalar = |t: Type| matches!(t, Type::Int | Type::Float | Type::Bool);
    let mut pure: Vec<bool> = m
        .funcs
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            fi != m.entry.index()
                && scalar(f.ret)
                && f.params.iter().all(|&p| scalar(f.ty(p)))
                && f.blocks.iter().all(|b| {
                    !matches!(b.term, Terminator::Unreachable)
                        && b.params.iter().all(|&p| scalar(f.ty(p)))
                        && b.insts.iter().all(|i| {
                            i.result.is_none_or(|r| scalar(f.ty(r)))
                                && (is_pure(&i.kind) || matches!(i.kind, InstKind::Call { .. }))
                        })
                })
        })
        .collect();
    loop {
        let mut changed = false;
        for fi in 0..m.funcs.len() {
            if pure[fi] && m.funcs[fi].blocks.iter().any(|b| b.insts.iter().any(|i| {
                matches!(&i.kind, InstKind::Call { func, .. } if !pure.get(func.index()).copied().unwrap_or(false))
            })) {
                pure[fi] = false;
                changed = true;
            }
        }
        if !changed {
            return pure;
        }
    }
}

/// Whether `k` calls a pure function.
fn pure_call(k: &InstKind, pure: &[bool]) -> bool {
    matches!(k, InstKind::Call { func, .. } if pure.get(func.index()).copied().unwrap_or(false))
}

/// Rounds of redundant-call deletion and partial-redundancy moves until neither applies.
fn merge_in_function(f: &mut Function, pure: &[bool]) -> bool {
    let mut changed = false;
    for _ in 0..MAX_ROUNDS {
        let cfg = Cfg::new(f);
        let vn = number_values(f, &cfg, pure);
        if delete_redundant_calls(f, &cfg, &vn, pure) || move_partial_redundancy(f, &cfg, &vn, pure)
        {
            changed = true;
        } else {
            break;
        }
    }
    changed
}

/// The control-flow facts one round needs.
struct Cfg {
    rpo: Vec<usize>,
    rpo_num: Vec<usize>,
    preds: Vec<Vec<usize>>,
    idom: Vec<Option<usize>>,
}

impl Cfg {
    fn new(f: &Function) -> Cfg {
        let preds = f.predecessors();
        let idom = f.dominators_with(&preds);
        let rpo = f.reverse_post_order();
        let mut rpo_num = vec![usize::MAX; f.blocks.len()];
        for (i, &b) in rpo.iter().enumerate() {
            rpo_num[b] = i;
        }
        Cfg { rpo, rpo_num, preds, idom }
    }

    /// Whether block `a` dominates block `b` (both reachable).
    fn dominates(&self, a: usize, b: usize) -> bool {
        dominates(&self.idom, a, b)
    }
}

/// What a value number stands for.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Int(i64),
    Float(u64),
    Bool(bool),
    /// `base + offset` (wrapping), offset ≠ 0.
    Affine(u32, i64),
    /// Any other instruction that cannot fail (`op_key`), on operand numbers.
    Op(OpKey<u32>),
    Call(u32, Vec<u32>),
}

/// Value numbers of one function (see the module docs).
struct Numbers {
    of: Vec<u32>,
    keys: Vec<Option<Key>>,
}

impl Numbers {
    fn get(&self, v: ValueId) -> u32 {
        self.of.get(v.index()).copied().unwrap_or(u32::MAX)
    }
    fn is_call(&self, n: u32) -> bool {
        matches!(self.keys.get(n as usize), Some(Some(Key::Call(..))))
    }
}

fn number_values(f: &Function, cfg: &Cfg, pure: &[bool]) -> Numbers {
    let mut of = vec![u32::MAX; f.values.len()];
    let mut keys: Vec<Option<Key>> = Vec::new();
    let mut interned: FxHashMap<Key, u32> = FxHashMap::default();
    let fresh = |keys: &mut Vec<Option<Key>>| {
        keys.push(None);
        (keys.len() - 1) as u32
    };
    for &p in &f.params {
        of[p.index()] = fresh(&mut keys);
    }
    for &bi in &cfg.rpo {
        let b = &f.blocks[bi];
        for (pi, &p) in b.params.iter().enumerate() {
            if bi == 0 && of[p.index()] != u32::MAX {
                continue;
            }
            // Every incoming argument comes from an earlier block and has one number.
            let mut common: Option<u32> = None;
            let mut agree = !cfg.preds[bi].is_empty();
            for &pred in &cfg.preds[bi] {
                if cfg.rpo_num[pred] >= cfg.rpo_num[bi] {
                    agree = false;
                    break;
                }
                for (t, args) in f.blocks[pred].term.successors() {
                    if t.index() != bi {
                        continue;
                    }
                    let n = args.get(pi).map_or(u32::MAX, |a| of[a.index()]);
                    if n == u32::MAX || common.is_some_and(|c| c != n) {
                        agree = false;
                    }
                    common = Some(n);
                }
            }
            of[p.index()] = match common {
                Some(n) if agree => n,
                _ => fresh(&mut keys),
            };
        }
        for inst in &b.insts {
            let Some(r) = inst.result else { continue };
            of[r.index()] = match number_of(&inst.kind, &of, &keys, pure) {
                Num::Same(n) => n,
                Num::Key(k) => *interned.entry(k.clone()).or_insert_with(|| {
                    keys.push(Some(k));
                    (keys.len() - 1) as u32
                }),
                Num::Fresh => fresh(&mut keys),
            };
        }
    }
    Numbers { of, keys }
}

/// How an instruction's result is numbered.
enum Num {
    /// The same number as an existing value (`x + 0` after folding).
    Same(u32),
    Key(Key),
    /// A number of its own: nothing is known about it.
    Fresh,
}

/// The number of an instruction's result, given its operands' numbers.
fn number_of(kind: &InstKind, of: &[u32], keys: &[Option<Key>], pure: &[bool]) -> Num {
    let n = |v: ValueId| of.get(v.index()).copied().unwrap_or(u32::MAX);
    let int_const = |v: u32| match keys.get(v as usize) {
        Some(Some(Key::Int(c))) => Some(*c),
        _ => None,
    };
    // An operand without a number (defined on a back edge) makes a key meaningless.
    let numbered = |key: Key| match &key {
        Key::Op(op) if op.any_operand(|a| a == u32::MAX) => Num::Fresh,
        Key::Call(_, args) if args.contains(&u32::MAX) => Num::Fresh,
        _ => Num::Key(key),
    };
    match kind {
        InstKind::Const(Const::Int(c)) => return Num::Key(Key::Int(*c)),
        InstKind::Const(Const::Float(x)) => return Num::Key(Key::Float(x.to_bits())),
        InstKind::Const(Const::Bool(x)) => return Num::Key(Key::Bool(*x)),
        InstKind::IntBin { op: op @ (IntOp::Add | IntOp::Sub), a, b } => {
            let (na, nb) = (n(*a), n(*b));
            // `x ± c` and `c + x` (x not a constant) fold into `base + offset`.
            let shifted = match (int_const(na), int_const(nb), op) {
                (None, Some(c), IntOp::Add) => Some((na, c)),
                (None, Some(c), IntOp::Sub) => Some((na, c.wrapping_neg())),
                (Some(c), None, IntOp::Add) => Some((nb, c)),
                _ => None,
            };
            if let Some((x, c)) = shifted.filter(|&(x, _)| x != u32::MAX) {
                let (base, off) = match keys.get(x as usize) {
                    Some(Some(Key::Affine(base, off))) => (*base, *off),
                    _ => (x, 0),
                };
                let off = off.wrapping_add(c);
                return if off == 0 { Num::Same(base) } else { Num::Key(Key::Affine(base, off)) };
            }
        }
        InstKind::Call { func, args } if pure_call(kind, pure) => {
            return numbered(Key::Call(func.0, args.iter().map(|&a| n(a)).collect()));
        }
        _ => {}
    }
    match OpKey::of(kind, n, |v| int_const(n(v))) {
        Some(op) => numbered(Key::Op(op)),
        None => Num::Fresh,
    }
}

/// Deletes every pure call with the number of a call (or call-valued block parameter) that
/// dominates it, walking the dominator tree with the values in scope. Returns whether any
/// call was deleted.
fn delete_redundant_calls(f: &mut Function, cfg: &Cfg, vn: &Numbers, pure: &[bool]) -> bool {
    let n = f.blocks.len();
    let mut children = vec![Vec::new(); n];
    for &b in cfg.rpo.iter().skip(1) {
        if let Some(d) = cfg.idom[b] {
            children[d].push(b);
        }
    }
    let mut in_scope: FxHashMap<u32, ValueId> = FxHashMap::default();
    let mut replace: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    // (block, whether its children were pushed, the numbers it put in scope)
    let mut stack: Vec<(usize, bool, Vec<u32>)> = vec![(0, false, Vec::new())];
    while let Some((b, visited, added)) = stack.pop() {
        if visited {
            for k in added {
                in_scope.remove(&k);
            }
            continue;
        }
        let mut added = Vec::new();
        let block = &f.blocks[b];
        for &p in &block.params {
            let k = vn.get(p);
            if vn.is_call(k) && !in_scope.contains_key(&k) {
                in_scope.insert(k, p);
                added.push(k);
            }
        }
        for inst in &block.insts {
            let Some(r) = inst.result else { continue };
            if !pure_call(&inst.kind, pure) {
                continue;
            }
            let k = vn.get(r);
            match in_scope.get(&k) {
                Some(&earlier) => {
                    replace.insert(r, earlier);
                }
                None => {
                    in_scope.insert(k, r);
                    added.push(k);
                }
            }
        }
        stack.push((b, true, added));
        for &c in &children[b] {
            stack.push((c, false, Vec::new()));
        }
    }
    if replace.is_empty() {
        return false;
    }
    for b in &mut f.blocks {
        b.insts.retain(|i| !i.result.is_some_and(|r| replace.contains_key(&r)));
    }
    replace_uses(f, &replace);
    true
}

/// Makes one partial-redundancy move (module docs), if any applies. Returns whether it did.
fn move_partial_redundancy(f: &mut Function, cfg: &Cfg, vn: &Numbers, pure: &[bool]) -> bool {
    let (defs, def_blocks) = value_defs(f);
    let calls = call_values(f, vn);
    for &j in &cfg.rpo {
        let preds = &cfg.preds[j];
        // A loop header's back edges would carry the call round the loop: not handled. (Nor
        // are edges from unreachable blocks, which `simplify` has removed anyway.)
        if preds.len() < 2
            || preds.iter().any(|&p| cfg.rpo_num[p] == usize::MAX || cfg.dominates(j, p))
        {
            continue;
        }
        let Some(idom) = cfg.idom[j].filter(|&d| d != j) else { continue };
        for (ci, inst) in f.blocks[j].insts.iter().enumerate() {
            if !pure_call(&inst.kind, pure) {
                // Moving the call above anything that can fail, loop or call is not allowed.
                if !is_pure(&inst.kind) {
                    break;
                }
                continue;
            }
            let Some(result) = inst.result else { continue };
            let k = vn.get(result);
            let avail: Vec<Option<ValueId>> =
                preds.iter().map(|&p| available(cfg, &calls, p, k)).collect();
            if avail.iter().all(Option::is_none) {
                // Later calls would move above this one, which could loop or overflow.
                break;
            }
            let InstKind::Call { args, .. } = &inst.kind else { continue };
            // The arguments must be computable at the end of every predecessor: defined above
            // the join, or by pure instructions of the join that can be hoisted to `idom`.
            let mut hoist = vec![false; f.blocks[j].insts.len()];
            let mut ok = true;
            let mut work: Vec<ValueId> = args.clone();
            while let Some(a) = work.pop() {
                let Some(&db) = def_blocks.get(&a) else {
                    ok = false;
                    break;
                };
                if db != j {
                    if !cfg.dominates(db, idom) {
                        ok = false;
                        break;
                    }
                    continue;
                }
                match defs.get(&a) {
                    Some(&(_, ii)) if ii < ci && is_pure(&f.blocks[j].insts[ii].kind) => {
                        if !hoist[ii] {
                            hoist[ii] = true;
                            f.blocks[j].insts[ii].kind.for_each_operand(|o| work.push(o));
                        }
                    }
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                break;
            }
            let preds = preds.clone();
            apply_move(f, j, ci, idom, &hoist, &preds, &avail);
            return true;
        }
    }
    false
}

/// A value numbered `k` computed in `b` or a block dominating it, if any, given each
/// block's call-numbered values (`call_values`).
fn available(cfg: &Cfg, calls: &[Vec<(u32, ValueId)>], mut b: usize, k: u32) -> Option<ValueId> {
    loop {
        if let Some(&(_, v)) = calls[b].iter().find(|&&(n, _)| n == k) {
            return Some(v);
        }
        match cfg.idom[b] {
            Some(d) if d != b => b = d,
            _ => return None,
        }
    }
}

/// Per block, its parameters and instruction results numbered as calls of pure functions.
fn call_values(f: &Function, vn: &Numbers) -> Vec<Vec<(u32, ValueId)>> {
    f.blocks
        .iter()
        .map(|b| {
            b.params
                .iter()
                .copied()
                .chain(b.insts.iter().filter_map(|i| i.result))
                .map(|v| (vn.get(v), v))
                .filter(|&(n, _)| vn.is_call(n))
                .collect()
        })
        .collect()
}

/// Rewrites the call `f.blocks[j].insts[ci]` into a parameter of `j`: hoists the marked
/// instructions of `j` to the end of `idom`, passes the available value on each edge that has
/// one and a copy of the call on the others.
fn apply_move(
    f: &mut Function,
    j: usize,
    ci: usize,
    idom: usize,
    hoist: &[bool],
    preds: &[usize],
    avail: &[Option<ValueId>],
) {
    let call = f.blocks[j].insts[ci].clone();
    let Some(result) = call.result else { return };
    let ty = f.ty(result);
    let moved: Vec<Inst> =
        f.blocks[j].insts.iter().zip(hoist).filter(|(_, &h)| h).map(|(i, _)| i.clone()).collect();
    let mut keep = hoist.iter();
    f.blocks[j].insts.retain(|_| !keep.next().copied().unwrap_or(false));
    f.blocks[idom].insts.extend(moved);
    let param = f.new_value(ty);
    f.blocks[j].params.push(param);
    let target = BlockId::new(j);
    for (&p, &have) in preds.iter().zip(avail) {
        match have {
            Some(v) => edges_to(&mut f.blocks[p].term, target, |args| args.push(v)),
            None if matches!(f.blocks[p].term, Terminator::Jump { .. }) => {
                let copy = f.new_value(ty);
                f.blocks[p].insts.push(Inst { result: Some(copy), ..call.clone() });
                edges_to(&mut f.blocks[p].term, target, |args| args.push(copy));
            }
            None => {
                // A branch: each of its edges into `j` gets a block of its own with a copy.
                let mut splits = Vec::new();
                let first_new = f.blocks.len();
                if let Terminator::Branch { then_block, then_args, else_block, else_args, .. } =
                    &mut f.blocks[p].term
                {
                    for (blk, args) in [(then_block, then_args), (else_block, else_args)] {
                        if *blk == target {
                            *blk = BlockId::new(first_new + splits.len());
                            splits.push(std::mem::take(args));
                        }
                    }
                }
                for mut args in splits {
                    let copy = f.new_value(ty);
                    args.push(copy);
                    f.blocks.push(Block {
                        params: Vec::new(),
                        insts: vec![Inst { result: Some(copy), ..call.clone() }],
                        term: Terminator::Jump { target, args },
                    });
                }
            }
        }
    }
    // The call's value is now the parameter (the call itself is gone).
    let mut map = FxHashMap::default();
    map.insert(result, param);
    if let Some(pos) = f.blocks[j].insts.iter().position(|i| i.result == Some(result)) {
        f.blocks[j].insts.remove(pos);
    }
    replace_uses(f, &map);
}

/// Applies `add` to the arguments of every edge of `term` into `target`.
fn edges_to(term: &mut Terminator, target: BlockId, mut add: impl FnMut(&mut Vec<ValueId>)) {
    match term {
        Terminator::Jump { target: t, args } if *t == target => add(args),
        Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
            if *then_block == target {
                add(then_args);
            }
            if *else_block == target {
                add(else_args);
            }
        }
        _ => {}
    }
}
