//! Global value numbering on legal MIR, for backends that do not do it themselves (Cranelift
//! with its e-graph off): a pure instruction computing the same operation on the same
//! operands as one in a dominating position is deleted, its uses taking the earlier result.
//! Integer division and remainder by a non-zero constant take part too (they cannot fail),
//! and a remainder is rewritten to reuse a division by the same constant
//! (`x % d = x - (x / d) * d`).
//!
//! Why it is exact: only instructions that cannot fail, have no effect and read no memory
//! take part (`simplify::is_pure`), so an instruction's result is a function of its
//! operation and operand values alone. The earlier one dominates the later, so it has run,
//! on the same SSA values, on every path to it; its result is available at every use.
//!
//! The walk goes down the dominator tree with a scoped table (an entry lives while its
//! block's subtree is visited), so each instruction is looked up once. Operands are renamed
//! through the merges already made before the lookup, so chains (`a + b` then `(a + b) * c`)
//! merge in one walk. Integer `+`, `*`, `==`, `!=` are commutative and comparisons are put in
//! one direction (`b > a` is `a < b`); Float arithmetic is left in its order (a NaN's payload
//! may depend on it). Constants are left alone: backends materialize them at each use, and
//! one shared constant would only be a value live across the whole function.

use super::replace_uses;
use super::simplify::is_pure;
use crate::ir::*;
use rustc_hash::FxHashMap;

/// An instruction's operation and operands, when it takes part.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    IntBin(IntOp, ValueId, ValueId),
    FloatBin(FloatOp, ValueId, ValueId),
    IntCmp(CmpOp, ValueId, ValueId),
    FloatCmp(CmpOp, ValueId, ValueId),
    Select(ValueId, ValueId, ValueId),
    Unary(Unary, ValueId),
    FromDyn(Type, ValueId),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Unary {
    IntNeg,
    FloatNeg,
    Float(FloatFn),
    FloatToInt,
    BoolNot,
    IsNull,
    IntToFloat,
    ToDyn,
}

/// `k`'s key, its operands renamed by `name`; `None` for instructions that do not take part.
/// `int_const` gives the value of an Int constant: a division or remainder by a non-zero
/// constant cannot fail (`i64::MIN / -1` wraps), so it takes part too.
fn key(
    k: &InstKind,
    name: impl Fn(ValueId) -> ValueId,
    int_const: impl Fn(ValueId) -> Option<i64>,
) -> Option<Key> {
    use InstKind as I;
    let by_constant = matches!(k, I::IntBin { op: IntOp::Div | IntOp::Rem, b, .. }
        if int_const(*b).is_some_and(|d| d != 0));
    if !is_pure(k) && !by_constant {
        return None;
    }
    // In one order: the smaller value first.
    let sorted = |a: ValueId, b: ValueId| if b < a { (b, a) } else { (a, b) };
    // `a op b` with the smaller operand first, flipping the comparison if they swap.
    let cmp =
        |op: CmpOp, a: ValueId, b: ValueId| if b < a { (op.swapped(), b, a) } else { (op, a, b) };
    Some(match *k {
        I::IntBin { op, a, b } => {
            let (a, b) = (name(a), name(b));
            let (a, b) = if matches!(op, IntOp::Add | IntOp::Mul) { sorted(a, b) } else { (a, b) };
            Key::IntBin(op, a, b)
        }
        I::FloatBin { op, a, b } => Key::FloatBin(op, name(a), name(b)),
        I::IntCmp { op, a, b } => {
            let (op, a, b) = cmp(op, name(a), name(b));
            Key::IntCmp(op, a, b)
        }
        I::FloatCmp { op, a, b } => {
            let (op, a, b) = cmp(op, name(a), name(b));
            Key::FloatCmp(op, a, b)
        }
        I::Select { cond, a, b } => Key::Select(name(cond), name(a), name(b)),
        I::FromDyn { value, to } => Key::FromDyn(to, name(value)),
        I::IntNeg(a) => Key::Unary(Unary::IntNeg, name(a)),
        I::FloatNeg(a) => Key::Unary(Unary::FloatNeg, name(a)),
        I::FloatUnary { op, a } => Key::Unary(Unary::Float(op), name(a)),
        I::FloatToInt(a) => Key::Unary(Unary::FloatToInt, name(a)),
        I::BoolNot(a) => Key::Unary(Unary::BoolNot, name(a)),
        I::IsNull(a) => Key::Unary(Unary::IsNull, name(a)),
        I::IntToFloat(a) => Key::Unary(Unary::IntToFloat, name(a)),
        I::ToDyn(a) => Key::Unary(Unary::ToDyn, name(a)),
        _ => return None,
    })
}

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
    let mut table: FxHashMap<Key, ValueId> = FxHashMap::default();
    // The keys a visit added, undone when its subtree is done.
    let mut added: Vec<Key> = Vec::new();
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
            let Some(k) = key(&inst.kind, name, int_const) else { continue };
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
