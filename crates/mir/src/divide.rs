//! Division of an Int by a constant as a multiply by a "magic number": the plans the native
//! backends emit, and the proofs that they are exact. The arithmetic lives here, once; each
//! backend only turns a plan into its own instructions (Cranelift `codegen/divide.rs`, LLVM
//! `codegen/inst.rs`).
//!
//! **A non-negative dividend** (`ranges::NonNegative`) and a positive divisor (`plan`): one
//! unsigned high multiply and one shift. A compiler that must handle every 64-bit dividend
//! needs more: Cranelift's signed magic two more instructions to correct negative quotients,
//! the unsigned one (Cranelift's, and LLVM 14's, which does not use a dividend's known
//! leading zeros) an add fix-up for divisors like 7.
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
//!
//! **Any other dividend** (`signed_magic`): the signed method of Hacker's Delight (10-1 and
//! 10-4, the magic numbers of its figure 10-1): a signed high multiply, a correction by `x`
//! where the magic number's sign is not the divisor's, an arithmetic shift, and one added
//! for a negative quotient (truncation toward zero). `tests::signed_division_is_exact`
//! checks it on the boundary values (`i64::MIN` included) of many divisors, negative ones
//! too.

/// How to divide a non-negative Int by a constant `d > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// `d = 2^k`: `x >> k`, remainder `x & (d - 1)` (`k = 0` for `d = 1`).
    Shift(u32),
    /// `umulhi(x, m) >> shift`.
    Magic { m: u64, shift: u32 },
}

/// The plan for divisor `d`, if `d > 0`.
pub fn plan(d: i64) -> Option<Plan> {
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
fn quotient(x: u64, p: Plan) -> u64 {
    match p {
        Plan::Shift(k) => x >> k,
        Plan::Magic { m, shift } => (((u128::from(x) * u128::from(m)) >> 64) as u64) >> shift,
    }
}

/// The signed magic number and shift for `d` (`|d| >= 2`, not a power of two): Hacker's
/// Delight, figure 10-1, for 64 bits (as Cranelift's own `div_const` has it).
pub fn signed_magic(d: i64) -> (i64, u32) {
    let two63: u64 = 1 << 63;
    let ad = d.unsigned_abs();
    let t = two63 + ((d as u64) >> 63);
    let anc = t - 1 - t % ad;
    let mut p = 63u32;
    let (mut q1, mut r1) = (two63 / anc, two63 % anc);
    let (mut q2, mut r2) = (two63 / ad, two63 % ad);
    loop {
        p += 1;
        q1 = q1.wrapping_mul(2);
        r1 = r1.wrapping_mul(2);
        if r1 >= anc {
            q1 = q1.wrapping_add(1);
            r1 -= anc;
        }
        q2 = q2.wrapping_mul(2);
        r2 = r2.wrapping_mul(2);
        if r2 >= ad {
            q2 = q2.wrapping_add(1);
            r2 -= ad;
        }
        let delta = ad - r2;
        if !(q1 < delta || (q1 == delta && r1 == 0)) {
            break;
        }
    }
    let m = q2.wrapping_add(1);
    ((if d < 0 { m.wrapping_neg() } else { m }) as i64, p - 64)
}

/// The quotient `emit_signed` computes, in Rust (for the tests).
#[cfg(test)]
fn signed_quotient(x: i64, d: i64) -> i64 {
    if d.unsigned_abs().is_power_of_two() {
        let k = d.unsigned_abs().trailing_zeros();
        let biased = x.wrapping_add(((x >> 63) as u64 >> (64 - k)) as i64);
        let q = biased >> k;
        return if d < 0 { q.wrapping_neg() } else { q };
    }
    let (m, s) = signed_magic(d);
    let mut q = ((i128::from(m) * i128::from(x)) >> 64) as i64;
    if d > 0 && m < 0 {
        q = q.wrapping_add(x);
    } else if d < 0 && m > 0 {
        q = q.wrapping_sub(x);
    }
    q >>= s;
    q.wrapping_add((q as u64 >> 63) as i64)
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
    fn signed_division_is_exact() {
        let mut ds: Vec<i64> = divisors().into_iter().filter(|&d| d >= 2).collect();
        ds.extend(ds.clone().into_iter().map(|d: i64| d.wrapping_neg()));
        ds.extend([i64::MIN, i64::MIN + 1, 1 << 62, -(1 << 62)]);
        for d in ds {
            let mut xs = dividends(d.saturating_abs());
            xs.extend(xs.clone().into_iter().map(|x| x.wrapping_neg()));
            let multiple = (i64::MIN / d).wrapping_mul(d);
            xs.extend([
                i64::MIN,
                i64::MIN + 1,
                -1,
                -2,
                d.wrapping_neg(),
                d.wrapping_add(1),
                multiple,
            ]);
            for x in xs {
                let q = signed_quotient(x, d);
                assert_eq!(q, x.wrapping_div(d), "{x} / {d}");
                assert_eq!(x.wrapping_sub(q.wrapping_mul(d)), x.wrapping_rem(d), "{x} % {d}");
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
