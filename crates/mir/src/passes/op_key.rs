//! The canonical key of a pure instruction: its operation and its operands, in one order.
//! Both value numberings build on it: `gvn` names operands by SSA value (after its merges),
//! `pure_calls` by value number. Two instructions with equal keys compute the same value
//! wherever both run.
//!
//! Only instructions that cannot fail, have no effect and read no memory have a key
//! (`simplify::is_pure`), so a result depends on the operation and operand values alone. Int
//! `/` and `%` by a non-zero constant cannot fail either (`i64::MIN / -1` wraps), so they
//! take part too. Int `+`, `*`, `==`, `!=` are commutative and comparisons are put in one
//! direction (`b > a` is `a < b`); Float arithmetic keeps its operand order, because a NaN's
//! payload may depend on it.

use super::simplify::is_pure;
use crate::ir::*;

/// A pure instruction's operation, its operands named by `N`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum OpKey<N> {
    IntBin(IntOp, N, N),
    FloatBin(FloatOp, N, N),
    IntCmp(CmpOp, N, N),
    FloatCmp(CmpOp, N, N),
    Select(N, N, N),
    Unary(Unary, N),
    FromDyn(Type, N),
}

/// The one-operand operations.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum Unary {
    IntNeg,
    FloatNeg,
    Float(FloatFn),
    FloatToInt,
    BoolNot,
    IsNull,
    IntToFloat,
    ToDyn,
}

impl<N: Copy + Ord> OpKey<N> {
    /// `k`'s key, its operands renamed by `name`; `None` for instructions that do not take
    /// part. `int_const` gives the value of an Int constant operand (for the divisions).
    pub(super) fn of(
        k: &InstKind,
        name: impl Fn(ValueId) -> N,
        int_const: impl Fn(ValueId) -> Option<i64>,
    ) -> Option<OpKey<N>> {
        use InstKind as I;
        let by_constant = matches!(k, I::IntBin { op: IntOp::Div | IntOp::Rem, b, .. }
            if int_const(*b).is_some_and(|d| d != 0));
        if !is_pure(k) && !by_constant {
            return None;
        }
        // In one order: the smaller operand first.
        let sorted = |a: N, b: N| if b < a { (b, a) } else { (a, b) };
        // `a op b` with the smaller operand first, flipping the comparison if they swap.
        let cmp = |op: CmpOp, a: N, b: N| if b < a { (op.swapped(), b, a) } else { (op, a, b) };
        Some(match *k {
            I::IntBin { op, a, b } => {
                let (a, b) = (name(a), name(b));
                let (a, b) =
                    if matches!(op, IntOp::Add | IntOp::Mul) { sorted(a, b) } else { (a, b) };
                OpKey::IntBin(op, a, b)
            }
            I::FloatBin { op, a, b } => OpKey::FloatBin(op, name(a), name(b)),
            I::IntCmp { op, a, b } => {
                let (op, a, b) = cmp(op, name(a), name(b));
                OpKey::IntCmp(op, a, b)
            }
            I::FloatCmp { op, a, b } => {
                let (op, a, b) = cmp(op, name(a), name(b));
                OpKey::FloatCmp(op, a, b)
            }
            I::Select { cond, a, b } => OpKey::Select(name(cond), name(a), name(b)),
            I::FromDyn { value, to } => OpKey::FromDyn(to, name(value)),
            I::IntNeg(a) => OpKey::Unary(Unary::IntNeg, name(a)),
            I::FloatNeg(a) => OpKey::Unary(Unary::FloatNeg, name(a)),
            I::FloatUnary { op, a } => OpKey::Unary(Unary::Float(op), name(a)),
            I::FloatToInt(a) => OpKey::Unary(Unary::FloatToInt, name(a)),
            I::BoolNot(a) => OpKey::Unary(Unary::BoolNot, name(a)),
            I::IsNull(a) => OpKey::Unary(Unary::IsNull, name(a)),
            I::IntToFloat(a) => OpKey::Unary(Unary::IntToFloat, name(a)),
            I::ToDyn(a) => OpKey::Unary(Unary::ToDyn, name(a)),
            _ => return None,
        })
    }

    /// Whether any operand satisfies `p`.
    pub(super) fn any_operand(&self, p: impl Fn(N) -> bool) -> bool {
        match *self {
            OpKey::IntBin(_, a, b)
            | OpKey::FloatBin(_, a, b)
            | OpKey::IntCmp(_, a, b)
            | OpKey::FloatCmp(_, a, b) => p(a) || p(b),
            OpKey::Select(c, a, b) => p(c) || p(a) || p(b),
            OpKey::Unary(_, a) | OpKey::FromDyn(_, a) => p(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(i: usize) -> ValueId {
        ValueId::new(i)
    }

    fn key(k: &InstKind) -> Option<OpKey<ValueId>> {
        OpKey::of(k, |v| v, |v| (v.index() >= 100).then_some(v.index() as i64 - 100))
    }

    #[test]
    fn commutative_operations_and_mirrored_comparisons_share_a_key() {
        let add = |a, b| InstKind::IntBin { op: IntOp::Add, a: v(a), b: v(b) };
        assert_eq!(key(&add(1, 2)), key(&add(2, 1)));
        let sub = |a, b| InstKind::IntBin { op: IntOp::Sub, a: v(a), b: v(b) };
        assert_ne!(key(&sub(1, 2)), key(&sub(2, 1)));
        let lt = InstKind::IntCmp { op: CmpOp::Lt, a: v(1), b: v(2) };
        let gt = InstKind::IntCmp { op: CmpOp::Gt, a: v(2), b: v(1) };
        assert_eq!(key(&lt), key(&gt));
        // A NaN's payload may depend on the order of a Float operation's operands.
        let fadd = |a, b| InstKind::FloatBin { op: FloatOp::Add, a: v(a), b: v(b) };
        assert_ne!(key(&fadd(1, 2)), key(&fadd(2, 1)));
    }

    #[test]
    fn only_divisions_by_a_non_zero_constant_take_part() {
        let div = |b| InstKind::IntBin { op: IntOp::Div, a: v(1), b: v(b) };
        assert!(key(&div(107)).is_some(), "by the constant 7");
        assert!(key(&div(100)).is_none(), "by the constant 0: can fail");
        assert!(key(&div(2)).is_none(), "by a value that may be 0");
    }
}
