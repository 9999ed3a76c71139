//! Dynamic operators on `(tag, payload)` values (LANGUAGE.md §5): arithmetic, comparison,
//! equality and truthiness, plus `nyrt_fmod` for inline float remainder and
//! `nyrt_add_consume`, the `+` that takes over its left operand (amortized-linear string
//! building).

use crate::display::with_display;
use crate::error::{guard, runtime_error};
use crate::value::{header, tag, type_name, view, NyValue, V};
use std::cmp::Ordering;

/// Two numeric operands after the §5 promotion rule (Int with Float → Float).
enum Nums {
    Ints(i64, i64),
    Floats(f64, f64),
}

fn nums(a: NyValue, b: NyValue) -> Option<Nums> {
    match (view(a), view(b)) {
        (V::Int(x), V::Int(y)) => Some(Nums::Ints(x, y)),
        (V::Int(x), V::Float(y)) => Some(Nums::Floats(x as f64, y)),
        (V::Float(x), V::Int(y)) => Some(Nums::Floats(x, y as f64)),
        (V::Float(x), V::Float(y)) => Some(Nums::Floats(x, y)),
        _ => None,
    }
}

fn type_error(op: &str, a: NyValue, b: NyValue, site: i64) -> ! {
    runtime_error(site, &format!("cannot apply '{op}' to {} and {}", type_name(a), type_name(b)))
}

fn v(tag: i64, payload: i64) -> NyValue {
    NyValue::new(tag, payload)
}

pub(crate) fn add(a: NyValue, b: NyValue, site: i64) -> NyValue {
    match nums(a, b) {
        Some(Nums::Ints(x, y)) => NyValue::int(x.wrapping_add(y)),
        Some(Nums::Floats(x, y)) => NyValue::float(x + y),
        None => {
            let (va, vb) = (view(a), view(b));
            let stringy = matches!(va, V::Str(_)) || matches!(vb, V::Str(_));
            if !stringy || matches!(va, V::Null) || matches!(vb, V::Null) {
                type_error("+", a, b, site);
            }
            // Display `a` first, then `b` (either may run a user `toString`).
            let p = with_display(a, |ta, ca| {
                with_display(b, |tb, cb| crate::string::alloc_concat(&[(ta, ca), (tb, cb)]))
            });
            NyValue::new(tag::STR, p as i64)
        }
    }
}

/// `a + b` where the caller gives up its reference to `a` (and will not use `a` again).
/// When `a` is a String nobody else references (count 1) and `b` is not null, the display
/// form of `b` is appended to `a` in place and `a` (possibly moved) is returned: a loop
/// `s = s + piece` then copies each byte O(1) times amortized instead of O(n). Otherwise it is
/// exactly `add` followed by releasing `a`. Same results and errors as `add` in every case.
pub(crate) fn add_consume(a: NyValue, b: NyValue, site: i64) -> NyValue {
    if a.tag == tag::STR && b.tag != tag::NULL && a.payload != 0 {
        crate::rc::check_live(a, "use");
        // SAFETY: the caller owns a reference to the live string `a`.
        if unsafe { header(a) }.rc.get() == 1 {
            // `b`'s display form first: it may run a user `toString` (which cannot reach `a`,
            // since the only reference to it is ours) and `b` may be `a` itself.
            let p = a.payload as *mut crate::string::StrObj;
            // SAFETY (both): `a` is unique, so no one observes or aliases the change; the
            // appended text is copied from a different object or a fresh buffer (`s + s`
            // copies first: `a` may move while appending).
            let q = if b.tag == tag::STR && b.payload == a.payload {
                let extra = crate::display::to_display_string(b);
                unsafe { crate::string::append_unique(p, &extra, None) }
            } else {
                with_display(b, |t, chars| unsafe { crate::string::append_unique(p, t, chars) })
            };
            return NyValue::new(tag::STR, q as i64);
        }
    }
    let r = add(a, b, site);
    crate::rc::release(a);
    r
}

pub(crate) fn arith(op: char, a: NyValue, b: NyValue, site: i64) -> NyValue {
    match nums(a, b) {
        Some(Nums::Ints(x, y)) => NyValue::int(match op {
            '-' => x.wrapping_sub(y),
            '*' => x.wrapping_mul(y),
            '/' if y == 0 => runtime_error(site, "division by zero"),
            '/' => x.wrapping_div(y),
            _ if y == 0 => runtime_error(site, "division by zero"),
            _ => x.wrapping_rem(y),
        }),
        Some(Nums::Floats(x, y)) => NyValue::float(match op {
            '-' => x - y,
            '*' => x * y,
            '/' if y == 0.0 => runtime_error(site, "division by zero"),
            '/' => x / y,
            _ if y == 0.0 => runtime_error(site, "division by zero"),
            _ => x % y,
        }),
        None => type_error(&op.to_string(), a, b, site),
    }
}

/// `==` (§5): numbers by value (mixed allowed, the Int converted to Float), Bool and String by
/// value, null == null, boxes by identity; any other pair is unequal.
pub(crate) fn values_equal(a: NyValue, b: NyValue) -> bool {
    if let Some(n) = nums(a, b) {
        return match n {
            Nums::Ints(x, y) => x == y,
            Nums::Floats(x, y) => x == y,
        };
    }
    match (view(a), view(b)) {
        (V::Null, V::Null) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Str(x), V::Str(y)) => x.as_str() == y.as_str(),
        (V::Null | V::Int(_) | V::Float(_) | V::Bool(_) | V::Str(_), _) => false,
        // Boxes: identity (same object).
        _ => a.tag == b.tag && a.payload == b.payload,
    }
}

/// Ordering for `< <= > >=`: numbers (mixed promote to Float) or two Strings (UTF-8 byte order
/// equals Unicode scalar order). `None` means unordered (a NaN operand).
pub(crate) fn compare(op: &str, a: NyValue, b: NyValue, site: i64) -> Option<Ordering> {
    match nums(a, b) {
        Some(Nums::Ints(x, y)) => Some(x.cmp(&y)),
        Some(Nums::Floats(x, y)) => x.partial_cmp(&y),
        None => match (view(a), view(b)) {
            (V::Str(x), V::Str(y)) => Some(x.as_str().cmp(y.as_str())),
            _ => type_error(op, a, b, site),
        },
    }
}

pub(crate) fn truthy(a: NyValue, site: i64) -> bool {
    match view(a) {
        V::Bool(b) => b,
        V::Int(i) => i != 0,
        V::Float(f) => f != 0.0,
        V::Str(s) => s.char_len() != 0,
        _ => runtime_error(site, &format!("cannot use {} as a condition", type_name(a))),
    }
}

#[no_mangle]
pub extern "C" fn nyrt_add(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> NyValue {
    guard(|| add(v(at, ap), v(bt, bp), site))
}
/// `a + b` taking over the caller's reference to `a` (see `add_consume`); `b` is borrowed.
#[no_mangle]
pub extern "C" fn nyrt_add_consume(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> NyValue {
    guard(|| add_consume(v(at, ap), v(bt, bp), site))
}
#[no_mangle]
pub extern "C" fn nyrt_sub(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> NyValue {
    guard(|| arith('-', v(at, ap), v(bt, bp), site))
}
#[no_mangle]
pub extern "C" fn nyrt_mul(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> NyValue {
    guard(|| arith('*', v(at, ap), v(bt, bp), site))
}
#[no_mangle]
pub extern "C" fn nyrt_div(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> NyValue {
    guard(|| arith('/', v(at, ap), v(bt, bp), site))
}
#[no_mangle]
pub extern "C" fn nyrt_rem(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> NyValue {
    guard(|| arith('%', v(at, ap), v(bt, bp), site))
}
#[no_mangle]
pub extern "C" fn nyrt_neg(at: i64, ap: i64, site: i64) -> NyValue {
    guard(|| {
        let a = v(at, ap);
        match view(a) {
            V::Int(i) => NyValue::int(i.wrapping_neg()),
            V::Float(f) => NyValue::float(-f),
            _ => runtime_error(site, &format!("cannot apply unary '-' to {}", type_name(a))),
        }
    })
}
#[no_mangle]
pub extern "C" fn nyrt_eq(at: i64, ap: i64, bt: i64, bp: i64) -> i64 {
    guard(|| values_equal(v(at, ap), v(bt, bp)) as i64)
}
#[no_mangle]
pub extern "C" fn nyrt_lt(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> i64 {
    guard(|| (compare("<", v(at, ap), v(bt, bp), site) == Some(Ordering::Less)) as i64)
}
#[no_mangle]
pub extern "C" fn nyrt_le(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> i64 {
    guard(|| {
        matches!(compare("<=", v(at, ap), v(bt, bp), site), Some(Ordering::Less | Ordering::Equal))
            as i64
    })
}
#[no_mangle]
pub extern "C" fn nyrt_gt(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> i64 {
    guard(|| (compare(">", v(at, ap), v(bt, bp), site) == Some(Ordering::Greater)) as i64)
}
#[no_mangle]
pub extern "C" fn nyrt_ge(at: i64, ap: i64, bt: i64, bp: i64, site: i64) -> i64 {
    guard(|| {
        matches!(
            compare(">=", v(at, ap), v(bt, bp), site),
            Some(Ordering::Greater | Ordering::Equal)
        ) as i64
    })
}
#[no_mangle]
pub extern "C" fn nyrt_truthy(at: i64, ap: i64, site: i64) -> i64 {
    guard(|| truthy(v(at, ap), site) as i64)
}

/// C `fmod` (Rust `%` on f64): the float remainder inline code uses after its zero check.
#[no_mangle]
pub extern "C" fn nyrt_fmod(a: f64, b: f64) -> f64 {
    a % b
}
