//! Int and Float methods (LANGUAGE.md §6).
//!
//! `Int.pow(n)`: n ≥ 0 gives a wrapping Int; n < 0 gives the Float `x^n` (so `2.pow(-1)` is
//! 0.5); a Float n gives a Float. `Int.min/max` with a Float argument compare as Floats and
//! return a Float. `Float.toInteger` truncates and saturates (NaN → 0). `Float.round` rounds
//! half away from zero; floor/ceil/round return Floats.

use super::{Call, Method};
use crate::display::to_display_string;
use crate::value::NyValue;

fn wrapping_pow(mut base: i64, mut exp: u64) -> i64 {
    let mut acc: i64 = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    acc
}

pub(super) fn call_int(i: i64, m: Method, c: &Call) -> NyValue {
    match (m, c.args.len()) {
        (Method::ToString, 0) => NyValue::str(&i.to_string()),
        (Method::ToFloat, 0) => NyValue::float(i as f64),
        (Method::Abs, 0) => NyValue::int(i.wrapping_abs()),
        (Method::Min, 1) => match c.number(0) {
            Ok(x) => NyValue::int(i.min(x)),
            Err(f) => NyValue::float((i as f64).min(f)),
        },
        (Method::Max, 1) => match c.number(0) {
            Ok(x) => NyValue::int(i.max(x)),
            Err(f) => NyValue::float((i as f64).max(f)),
        },
        (Method::Pow, 1) => match c.number(0) {
            Ok(n) if n >= 0 => NyValue::int(wrapping_pow(i, n as u64)),
            Ok(n) => NyValue::float((i as f64).powf(n as f64)),
            Err(f) => NyValue::float((i as f64).powf(f)),
        },
        _ => c.unknown(),
    }
}

pub(super) fn call_float(f: f64, m: Method, c: &Call) -> NyValue {
    match (m, c.args.len()) {
        (Method::ToString, 0) => NyValue::str(&to_display_string(NyValue::float(f))),
        // `as` truncates toward zero, saturates at the i64 range and maps NaN to 0.
        (Method::ToInteger, 0) => NyValue::int(f as i64),
        (Method::Abs, 0) => NyValue::float(f.abs()),
        (Method::Floor, 0) => NyValue::float(f.floor()),
        (Method::Ceil, 0) => NyValue::float(f.ceil()),
        (Method::Round, 0) => NyValue::float(f.round()),
        (Method::Sqrt, 0) => NyValue::float(f.sqrt()),
        _ => c.unknown(),
    }
}
