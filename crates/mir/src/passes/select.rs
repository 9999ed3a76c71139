//! If-conversion on legal MIR: a branch whose side(s) only compute a few cheap values for the
//! join block (`if s > k { s = s - k }`) computes them unconditionally and passes each join
//! argument that differs between the sides through a `select`.
//!
//! Why: Cranelift lays such a triangle out as a conditional jump plus an extra block holding
//! just a `jmp` for the critical edge, every iteration of the loop it sits in; a `cmov` needs
//! neither. (LLVM makes the same `select` itself.)
//!
//! The shape: block `H` ends in `br c, T(..), E(..)`; each side is either the join block `J`
//! itself or an *arm*: a block without parameters whose only predecessor is `H`, holding at
//! most `MAX_ARM` cheap instructions (plus constants) and ending in `jump J(..)`. At least one
//! side is an arm and at most `MAX_SELECTS` of `J`'s arguments differ between the sides, each
//! an Int, Float or Bool.
//!
//! Why it is sound:
//! - Every moved instruction is one that cannot fail, has no effect and reads no memory
//!   (`speculatable`), so running it on the path that did not before changes nothing but the
//!   value, which only a `select` on that side's condition reads.
//! - An arm's only predecessor is `H`, so its operands are available at the end of `H`, and
//!   its results were only visible in the arm itself and its jump (the arm dominates nothing
//!   else: `J` has another way in, from `H` or the other arm), which now all come after them.
//! - `select c, a, b` is the value the join parameter received: `a` when `c` (the then-side
//!   ran), else `b`. Between the Bool constants `true`/`false` that is `c` (or `not c`).
//!
//! After a conversion `H` ends in a plain jump; when that is the join's only way in, the join
//! is merged into `H`, so the branch after it (`a && b` then `if`) can be the next candidate.

use super::replace_uses;
use crate::ir::*;
use rustc_hash::FxHashMap;

/// At most this many non-constant instructions per arm: both sides now always run.
const MAX_ARM: usize = 3;
/// At most this many join arguments may differ between the sides.
const MAX_SELECTS: usize = 2;

/// Runs the if-conversion on every function.
pub fn select_tiny_branches(m: &mut Module) {
    for f in &mut m.funcs {
        convert_function(f);
    }
}

/// What one function's conversions share. A conversion changes few blocks, so the
/// predecessor lists are kept up to date by hand and the join parameters a merge replaces
/// are renamed once at the end: each conversion then costs a scan for the next candidate,
/// not a walk over the whole function (a `main` with hundreds of tiny branches made this
/// quadratic).
struct State {
    preds: Vec<Vec<usize>>,
    /// The Bool constants (conversions move them, never make or delete them).
    bools: FxHashMap<ValueId, bool>,
    /// Merged join parameters → the arguments they stand for.
    rename: FxHashMap<ValueId, ValueId>,
}

impl State {
    fn value(&self, v: ValueId) -> ValueId {
        super::resolve(&self.rename, v)
    }
}

/// Converts the first matching branch (in block order) until none is left.
fn convert_function(f: &mut Function) {
    let mut bools = FxHashMap::default();
    for inst in f.blocks.iter().flat_map(|b| &b.insts) {
        if let (InstKind::Const(crate::ir::Const::Bool(b)), Some(r)) = (&inst.kind, inst.result) {
            bools.insert(r, *b);
        }
    }
    let mut st = State { preds: f.predecessors(), bools, rename: FxHashMap::default() };
    // Each conversion removes a branch, so this ends; the bound is a safety net.
    for _ in 0..f.blocks.len() {
        if !(0..f.blocks.len()).any(|h| convert_at(f, h, &mut st)) {
            break;
        }
    }
    if !st.rename.is_empty() {
        replace_uses(f, &st.rename);
    }
}

/// Instructions that may run on a path that did not run them before: no effect, no failure,
/// no memory access, cheap, and a scalar result.
fn speculatable(k: &InstKind) -> bool {
    use InstKind::*;
    match k {
        Const(c) => matches!(
            c,
            crate::ir::Const::Int(_) | crate::ir::Const::Float(_) | crate::ir::Const::Bool(_)
        ),
        IntBin { op, .. } => matches!(op, IntOp::Add | IntOp::Sub | IntOp::Mul),
        FloatBin { op, .. } => matches!(op, FloatOp::Add | FloatOp::Sub | FloatOp::Mul),
        IntCmp { .. } | FloatCmp { .. } | IntNeg(_) | FloatNeg(_) | BoolNot(_) | IntToFloat(_) => {
            true
        }
        _ => false,
    }
}

/// Converts the branch ending block `h` if it matches; returns whether it did.
fn convert_at(f: &mut Function, h: usize, st: &mut State) -> bool {
    {
        let Terminator::Branch { cond, then_block, then_args, else_block, else_args } =
            &f.blocks[h].term
        else {
            return false;
        };
        let cond = st.value(*cond);
        let preds = &st.preds;
        // Each side as (arm block if it is one, join block, args to the join).
        let side =
            |b: BlockId, args: &[ValueId]| -> Option<(Option<usize>, BlockId, Vec<ValueId>)> {
                let bi = b.index();
                let blk = f.blocks.get(bi)?;
                let arm = bi != h
                    && blk.params.is_empty()
                    && preds[bi] == [h]
                    && blk.insts.iter().all(|i| speculatable(&i.kind))
                    && blk.insts.iter().filter(|i| !matches!(i.kind, InstKind::Const(_))).count()
                        <= MAX_ARM;
                match &blk.term {
                    Terminator::Jump { target, args: jargs } if arm => {
                        Some((Some(bi), *target, jargs.iter().map(|&a| st.value(a)).collect()))
                    }
                    _ => Some((None, b, args.iter().map(|&a| st.value(a)).collect())),
                }
            };
        let (Some(t), Some(e)) = (side(*then_block, then_args), side(*else_block, else_args))
        else {
            return false;
        };
        let (t_arm, t_join, t_args) = t;
        let (e_arm, e_join, e_args) = e;
        // A side that is not an arm must be the join itself, and one side must be an arm.
        if t_join != e_join || (t_arm.is_none() && e_arm.is_none()) || t_join.index() == h {
            return false;
        }
        let diff: Vec<usize> = (0..t_args.len()).filter(|&i| t_args[i] != e_args[i]).collect();
        let scalar = |v: ValueId| matches!(f.ty(v), Type::Int | Type::Float | Type::Bool);
        if t_args.len() != e_args.len()
            || diff.len() > MAX_SELECTS
            || !diff.iter().all(|&i| scalar(t_args[i]) && f.ty(t_args[i]) == f.ty(e_args[i]))
        {
            return false;
        }
        // `select` cannot fail, so its site is only an annotation.
        let Some(site) = [t_arm, e_arm]
            .into_iter()
            .flatten()
            .chain([h])
            .flat_map(|b| f.blocks[b].insts.iter().map(|i| i.site))
            .next()
            .or_else(|| f.blocks.iter().flat_map(|b| &b.insts).map(|i| i.site).next())
        else {
            return false;
        };
        let join = t_join.index();
        for arm in [t_arm, e_arm].into_iter().flatten() {
            let moved = std::mem::take(&mut f.blocks[arm].insts);
            f.blocks[h].insts.extend(moved);
            // Left unreachable; `simplify` drops it.
            f.blocks[arm].term = Terminator::Unreachable;
            st.preds[join].retain(|&p| p != arm);
            st.preds[arm].retain(|&p| p != h);
        }
        if !st.preds[join].contains(&h) {
            st.preds[join].push(h);
        }
        let mut args = t_args.clone();
        for i in diff {
            // `c ? true : false` is `c` and `c ? false : true` is `not c` (what `a && b` and
            // `a || b` with a constant side leave).
            let kind = match (st.bools.get(&t_args[i]), st.bools.get(&e_args[i])) {
                (Some(true), Some(false)) => {
                    args[i] = cond;
                    continue;
                }
                (Some(false), Some(true)) => InstKind::BoolNot(cond),
                _ => InstKind::Select { cond, a: t_args[i], b: e_args[i] },
            };
            let r = f.new_value(f.ty(t_args[i]));
            f.blocks[h].insts.push(Inst { result: Some(r), kind, site });
            args[i] = r;
        }
        f.blocks[h].term = Terminator::Jump { target: t_join, args };
        merge_single_successor(f, h, st);
        true
    }
}

/// When `h` now jumps to a block that has no other predecessor, that block's instructions
/// and terminator move into `h` (its parameters become the jump's arguments): the join of a
/// converted branch is usually just the rest of `h`, and a chain of conversions (`a && b &&
/// c`) then sees one block.
fn merge_single_successor(f: &mut Function, h: usize, st: &mut State) {
    let Terminator::Jump { target, args } = &f.blocks[h].term else { return };
    let (j, args) = (target.index(), args.clone());
    if j == h || j == 0 || st.preds[j] != [h] {
        return;
    }
    for (&p, &a) in f.blocks[j].params.iter().zip(&args) {
        st.rename.insert(p, a);
    }
    let mut blk = std::mem::replace(
        &mut f.blocks[j],
        Block { params: Vec::new(), insts: Vec::new(), term: Terminator::Unreachable },
    );
    f.blocks[h].insts.append(&mut blk.insts);
    f.blocks[h].term = blk.term;
    st.preds[j].clear();
    for (t, _) in f.blocks[h].term.successors() {
        let ps = &mut st.preds[t.index()];
        ps.retain(|&p| p != j);
        if !ps.contains(&h) {
            ps.push(h);
        }
    }
}
