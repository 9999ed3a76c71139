//! Global value numbering on legal MIR, for backends that do not do it themselves (Cranelift
//! with its e-graph off): a pure instruction computing the same operation on the same
//! operands as one in a dominating position is deleted, its uses taking the earlier result.
//! Integer division and remainder by a non-zero constant take part too (they cannot fail),
//! and a remainder is rewritten to reuse a division by the same constant
//! (`x % d = x - (x / d) * d`).
//!
//! Why it is exact: instructions are compared by their `OpKey` (`op_key.rs`), which only
//! instructions that cannot fail, have no effect and read no memory have, so an
//! instruction's result is a function of its key alone. The earlier one dominates the later,
//! so it has run, on the same SSA values, on every path to it; its result is available at
//! every use.
//!
//! The walk goes down the dominator tree with a scoped table (an entry lives while its
//! block's subtree is visited), so each instruction is looked up once. Operands are renamed
//! through the merges already made before the lookup, so chains (`a + b` then `(a + b) * c`)
//! merge in one walk. Constants are left alone: backends materialize them at each use, and
//! one shared constant would only be a value live across the whole function.

use super::op_key::OpKey;
use super::replace_uses;
use crate::ir::*;
use rustc_hash::FxHashMap;

/// Merges redundant pure instructions in `f` (deleting the later ones), given its immediate
/// dominators; returns whether anything changed.
pub(super) fn merge_function(f: &mut Function, idom: &[Option<usize>]) -> bool {
    let n = f.blocks.len();
    if n == 0 {
        return false;
    }
    let paired = pair_div_rem(f);
    let (canon, ints) = constants(f);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (b, d) in idom.iter().enumerate() {
        if let Some(d) = *d {
            if d != b {
                children[d].push(b);
            }
        }
    }
    // Merged value → the earlier value it equals (always a value not itself merged).
    let mut merged: Vec<Option<ValueId>> = vec![None; f.values.len()];
    let mut table: FxHashMap<OpKey<ValueId>, ValueId> = FxHashMap::default();
    // The keys a visit added, undone when its subtree is done.
    let mut added: Vec<OpKey<ValueId>> = Vec::new();
    enum Step {
        Enter(usize),
        Leave(usize),
    }
    let mut work = vec![Step::Enter(0)];
    let mut any = false;
    while let Some(step) = work.pop() {
        let b = match step {
            Step::Leave(mark) => {
                for k in added.drain(mark..) {
                    table.remove(&k);
                }
                continue;
            }
            Step::Enter(b) => b,
        };
        work.push(Step::Leave(added.len()));
        for inst in &f.blocks[b].insts {
            let Some(r) = inst.result else { continue };
            // Keys only compare: a constant is named by the first constant of its value,
            // wherever that is, since the name is never used as an operand.
            let name = |v: ValueId| {
                let i = v.index();
                merged.get(i).copied().flatten().or(canon.get(i).copied().flatten()).unwrap_or(v)
            };
            let int_const = |v: ValueId| ints.get(v.index()).copied().flatten();
            let Some(k) = OpKey::of(&inst.kind, name, int_const) else { continue };
            match table.get(&k) {
                Some(&earlier) => {
                    merged[r.index()] = Some(earlier);
                    any = true;
                }
                None => {
                    table.insert(k, r);
                    added.push(k);
                }
            }
        }
        work.extend(children[b].iter().rev().map(|&c| Step::Enter(c)));
    }
    if any {
        let map: FxHashMap<ValueId, ValueId> = merged
            .iter()
            .enumerate()
            .filter_map(|(v, m)| m.map(|m| (ValueId::new(v), m)))
            .collect();
        replace_uses(f, &map);
        // Deleted here rather than left to `simplify`, which keeps every division.
        for b in &mut f.blocks {
            b.insts.retain(|i| i.result.is_none_or(|r| merged[r.index()].is_none()));
        }
    }
    any || paired
}

/// Per value: the first constant of the same type and bits (its name in keys), and the value
/// of Int constants.
fn constants(f: &Function) -> (Vec<Option<ValueId>>, Vec<Option<i64>>) {
    let mut canon = vec![None; f.values.len()];
    let mut ints = vec![None; f.values.len()];
    let mut first: FxHashMap<(u8, u64), ValueId> = FxHashMap::default();
    for b in &f.blocks {
        for i in &b.insts {
            let (InstKind::Const(c), Some(r)) = (&i.kind, i.result) else { continue };
            let bits = match *c {
                Const::Int(n) => (0, n as u64),
                Const::Float(x) => (1, x.to_bits()),
                Const::Bool(x) => (2, u64::from(x)),
                Const::Null | Const::Str(_) => continue,
            };
            if let Const::Int(n) = *c {
                ints[r.index()] = Some(n);
            }
            canon[r.index()] = Some(*first.entry(bits).or_insert(r));
        }
    }
    (canon, ints)
}

/// `x % d` where the function also computes `x / d`, for a constant `d > 1` not a power of
/// two, becomes `x - (x / d) * d`: backends compute such a remainder from a magic-number
/// quotient anyway, and this way the walk merges the two divisions into one. Exact for every
/// non-zero `d` with wrapping arithmetic (truncating division: `x = (x / d) * d + x % d`).
/// Returns whether anything changed.
fn pair_div_rem(f: &mut Function) -> bool {
    let mut ints: FxHashMap<ValueId, i64> = FxHashMap::default();
    let mut divs: Vec<(ValueId, i64)> = Vec::new();
    let mut rems = 0;
    for b in &f.blocks {
        for i in &b.insts {
            match (&i.kind, i.result) {
                (InstKind::Const(Const::Int(n)), Some(r)) => {
                    ints.insert(r, *n);
                }
                (InstKind::IntBin { op, a, b }, _) if matches!(op, IntOp::Div | IntOp::Rem) => {
                    let Some(&d) = ints.get(b) else { continue };
                    if d > 1 && !(d as u64).is_power_of_two() {
                        if *op == IntOp::Div {
                            divs.push((*a, d));
                        } else {
                            rems += 1;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if divs.is_empty() || rems == 0 {
        return false;
    }
    let mut changed = false;
    for bi in 0..f.blocks.len() {
        let mut k = 0;
        while k < f.blocks[bi].insts.len() {
            let inst = &f.blocks[bi].insts[k];
            let (InstKind::IntBin { op: IntOp::Rem, a: x, b: dv }, Some(_)) =
                (&inst.kind, inst.result)
            else {
                k += 1;
                continue;
            };
            let (x, dv, site) = (*x, *dv, inst.site);
            if !ints.get(&dv).is_some_and(|&d| divs.contains(&(x, d))) {
                k += 1;
                continue;
            }
            let q = f.new_value(Type::Int);
            let p = f.new_value(Type::Int);
            let insts = &mut f.blocks[bi].insts;
            insts[k].kind = InstKind::IntBin { op: IntOp::Sub, a: x, b: p };
            insts.insert(
                k,
                Inst {
                    result: Some(p),
                    kind: InstKind::IntBin { op: IntOp::Mul, a: q, b: dv },
                    site,
                },
            );
            insts.insert(
                k,
                Inst {
                    result: Some(q),
                    kind: InstKind::IntBin { op: IntOp::Div, a: x, b: dv },
                    site,
                },
            );
            k += 3;
            changed = true;
        }
    }
    changed
}
