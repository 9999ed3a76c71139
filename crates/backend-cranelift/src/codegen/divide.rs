//! Division and remainder of a non-negative Int (`nyash_mir::ranges`) by a positive constant:
//! one unsigned high multiply and one shift, where Cranelift's own signed magic needs two
//! more instructions to correct negative quotients and its unsigned one (for all 64-bit
//! dividends) an add fix-up for divisors like 7.
//!
//! Why it is exact, for `0 <= x < 2^63` and `d >= 1` not a power of two: let
//! `l = ceil(log2 d)` (so `2^(l-1) < d < 2^l`, `2 <= l <= 63`) and `m = ceil(2^(63+l) / d)`.
//! Then `2^(63+l) <= m*d < 2^(63+l) + d`, i.e. `m*x / 2^(63+l) = (x/d) * (1 + e)` with
//! `0 <= e < d / 2^(63+l)`. With `q = floor(x/d)` and `r = x - q*d` in `[0, d)`:
//! `m*x / 2^(63+l) >= x/d >= q`, and `m*x / 2^(63+l) < x/d + x / 2^(63+l) < x/d + 2^-l
//! < x/d + 1/d = (q*d + r + 1)/d <= q + 1`. So `floor(m*x / 2^(63+l)) = q`, and that is
//! `umulhi(x, m) >> (l - 1)` (`2^(63+l) = 2^64 * 2^(l-1)`). `m` fits in 64 bits: `d` is at
//! least `2^(l-1) + 1`, so `2^(63+l)/d <= 2^64 / (1 + 2^(1-l)) <= 2^64 - 2`. The remainder
//! is `x - q*d` (no overflow: it is `r`). Powers of two are a shift and a mask; `d = 1` is
//! `x` and `0`. `tests::non_negative_division_is_exact` checks the formula on the boundary
//! values of many divisors.

use cranelift_codegen::ir::{self, types, InstBuilder};
use cranelift_frontend::FunctionBuilder;

/// How to divide a non-negative Int by a constant `d > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// `d = 2^k`: `x >> k`, remainder `x & (d - 1)` (`k = 0` for `d = 1`).
    Shift(u32),
    /// `umulhi(x, m) >> shift`.
    Magic { m: u64, shift: u32 },
}

/// The plan for divisor `d`, if `d > 0`.
pub(super) fn plan(d: i64) -> Option<Plan> {
    if d <= 0 {
        return None;
    }
    let d = d as u64;
    if d.is_power_of_two() {
        return Some(Plan::Shift(d.trailing_zeros()));
    }
    // l = ceil(log2 d) for d not a power of two; 2 <= l <= 63.
    let l = 64 - d.leading_zeros();
    let num: u128 = 1u128 << (63 + l);
    let m = num.div_ceil(u128::from(d));
    Some(Plan::Magic { m: u64::try_from(m).ok()?, shift: l - 1 })
}

/// The quotient the plan computes, in Rust (what the emitted code does; for the tests).
#[cfg(test)]
pub(super) fn quotient(x: u64, p: Plan) -> u64 {
    match p {
        Plan::Shift(k) => x >> k,
        Plan::Magic { m, shift } => (((u128::from(x) * u128::from(m)) >> 64) as u64) >> shift,
    }
}

/// Emits `x / d` (or `x % d` when `rem`) for `0 <= x < 2^63` and the plan of `d`.
pub(super) fn emit(b: &mut FunctionBuilder, x: ir::Value, d: i64, p: Plan, rem: bool) -> ir::Value {
    match p {
        Plan::Shift(_) if rem => b.ins().band_imm_u(x, d - 1),
        Plan::Shift(0) => x,
        Plan::Shift(k) => b.ins().ushr_imm_u(x, i64::from(k)),
        Plan::Magic { m, shift } => {
            let mc = b.ins().iconst(types::I64, m as i64);
            // The constant first: x64 with BMI2 lowers `umulhi` to `mulx`, whose implicit operand
            // (%rdx) is the first one, so the dividend stays in any register. With `x` first,
            // a loop counter was pinned to %rdx and copied on every back edge (loops.nyash:
            // 747M instructions then, 628M this way).
            let hi = b.ins().umulhi(mc, x);
            let q = b.ins().ushr_imm_u(hi, i64::from(shift));
            if rem {
                let qd = b.ins().imul_imm_s(q, d);
                b.ins().isub(x, qd)
            } else {
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The divisors checked: small ones, ones around powers of two, and huge ones.
    fn divisors() -> Vec<i64> {
        let mut ds: Vec<i64> = (1..=1100).collect();
        for k in 2..63 {
            let p = 1i64 << k;
            ds.extend([p - 3, p - 1, p + 1, p + 3, p / 3 * 2 + 1]);
        }
        ds.extend([i64::MAX, i64::MAX - 1, i64::MAX / 7, 1_000_003, 1_000_000_007, 999_999_937]);
        ds
    }

    /// Dividends: around 0, around multiples of `d` (small and near 2^63), the largest ones.
    fn dividends(d: i64) -> Vec<i64> {
        let mut xs: Vec<i64> = (0..64).collect();
        xs.extend([i64::MAX, i64::MAX - 1, i64::MAX - d, d - 1, d, d.saturating_add(1)]);
        let top = i64::MAX / d;
        for k in [1, 2, 3, 7, 1000, top / 2, top - 1, top] {
            let Some(base) = k.checked_mul(d) else { continue };
            for delta in [-1i64, 0, 1] {
                if let Some(x) = base.checked_add(delta).filter(|&x| x >= 0) {
                    xs.push(x);
                }
            }
        }
        // A fixed pseudo-random sample across the whole range.
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15 ^ d as u64;
        for _ in 0..64 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            xs.push((s >> 1) as i64);
        }
        xs
    }

    #[test]
    fn non_negative_division_is_exact() {
        for d in divisors() {
            let p = plan(d).expect("positive divisor");
            for x in dividends(d) {
                let q = quotient(x as u64, p) as i64;
                assert_eq!(q, x / d, "{x} / {d} with {p:?}");
                assert_eq!(x - q * d, x % d, "{x} % {d} with {p:?}");
            }
        }
    }

    #[test]
    fn only_positive_divisors_have_a_plan() {
        assert_eq!(plan(0), None);
        assert_eq!(plan(-7), None);
        assert_eq!(plan(i64::MIN), None);
        assert_eq!(plan(1), Some(Plan::Shift(0)));
        assert_eq!(plan(8), Some(Plan::Shift(3)));
        assert_eq!(plan(7), Some(Plan::Magic { m: 0x9249_2492_4924_9249 + 1, shift: 2 }));
    }
}
