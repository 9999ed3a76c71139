//! MathBox methods (LANGUAGE.md §6): `abs sqrt pow sin cos tan floor ceil round log exp min
//! max`. Results are Floats, except `abs` of an Int and `min`/`max` of two Ints, which are Ints
//! (`abs` wraps like `Int.abs`). `round` rounds half away from zero; `log` is the natural log.

use super::{Call, Method};
use crate::display::to_display_string;
use crate::value::NyValue;

/// A numeric argument as a Float.
fn float(c: &Call, i: usize) -> f64 {
    match c.number(i) {
        Ok(x) => x as f64,
        Err(f) => f,
    }
}

pub(super) fn call(recv: NyValue, m: Method, c: &Call) -> NyValue {
    let unary = |f: fn(f64) -> f64| NyValue::float(f(float(c, 0)));
    match (m, c.args.len()) {
        (Method::Abs, 1) => match c.number(0) {
            Ok(i) => NyValue::int(i.wrapping_abs()),
            Err(f) => NyValue::float(f.abs()),
        },
        (Method::Sqrt, 1) => unary(f64::sqrt),
        (Method::Sin, 1) => unary(f64::sin),
        (Method::Cos, 1) => unary(f64::cos),
        (Method::Tan, 1) => unary(f64::tan),
        (Method::Floor, 1) => unary(f64::floor),
        (Method::Ceil, 1) => unary(f64::ceil),
        (Method::Round, 1) => unary(f64::round),
        (Method::Log, 1) => unary(f64::ln),
        (Method::Exp, 1) => unary(f64::exp),
        (Method::Pow, 2) => NyValue::float(float(c, 0).powf(float(c, 1))),
        (Method::Min | Method::Max, 2) => {
            let is_min = m == Method::Min;
            match (c.number(0), c.number(1)) {
                (Ok(x), Ok(y)) => NyValue::int(if is_min { x.min(y) } else { x.max(y) }),
                _ => {
                    let (x, y) = (float(c, 0), float(c, 1));
                    NyValue::float(if is_min { x.min(y) } else { x.max(y) })
                }
            }
        }
        (Method::ToString, 0) => NyValue::str(&to_display_string(recv)),
        _ => c.unknown(),
    }
}
