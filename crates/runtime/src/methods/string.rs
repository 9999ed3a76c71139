//! String methods (LANGUAGE.md §6). Positions and lengths count Unicode scalar values.
//!
//! `nyrt_str_*` are direct entry points the backends call for the hot methods on a receiver of
//! static type String (or String-or-null), skipping the by-name dispatch of
//! `nyrt_call_method`. Each takes the method's symbol too and falls back to that dispatch for
//! anything but a live String receiver with arguments of the expected types (a null receiver,
//! a wrong argument type, ...), so every error message and edge case is the generic path's.
//!
//! `nyrt_str_substring_head1/2` are `substring` for a result that a `+` appends to next (more
//! room). `nyrt_str_add_substring1/2` are `acc + recv.substring(..)`, fused by legalization
//! when `acc` is handed over (as to `nyrt_add_consume`) and the substring is only used by the
//! `+`: the piece is copied straight from `recv` into the result, without a substring object.

use super::{call_method, Call, Method};
use crate::display::with_display;
use crate::error::guard;
use crate::ops::add_consume;
use crate::rc::{check_live, release};
use crate::string::{alloc_concat, append_unique, byte_offset, char_pos, find, StrBuilder, StrObj};
use crate::value::{header, tag, view, NyValue, V};

/// Largest string `repeat` may build, in bytes; beyond this it is a runtime error rather than
/// an allocation failure.
const MAX_REPEAT_BYTES: usize = 1 << 32;

fn clamp(i: i64, len: usize) -> usize {
    i.clamp(0, len as i64) as usize
}

/// The text of `s.substring(a)` (`b` None) or `s.substring(a, b)` with its character count:
/// positions clamped to `0..=length`, empty when `a >= b`.
fn substring_text(s: &StrObj, a: i64, b: Option<i64>) -> (&str, usize) {
    let len = s.char_len();
    let a = clamp(a, len);
    let b = b.map_or(len, |b| clamp(b, len));
    if a >= b {
        return ("", 0);
    }
    let (ba, bb) = (byte_offset(s, a), byte_offset(s, b));
    (&s.as_str()[ba..bb], b - a)
}

/// `s.substring(a)` (`b` None) or `s.substring(a, b)` as a new string.
fn substring(s: &StrObj, a: i64, b: Option<i64>) -> NyValue {
    // The piece's character count is known: no need to count them again.
    let (t, chars) = substring_text(s, a, b);
    NyValue::new(tag::STR, alloc_concat(&[(t, Some(chars))]) as i64)
}

/// `s.substring(a)` / `s.substring(a, b)` as the head of a string being built: the caller
/// appends to the result in place next (legalization saw a `+` take it over), so it gets room
/// for as many bytes as `s` has (splicing a few pieces back into a string of about the same
/// size then never reallocates), but no more than about twice its own size.
fn substring_head(s: &StrObj, a: i64, b: Option<i64>) -> NyValue {
    let (t, chars) = substring_text(s, a, b);
    let room = s.as_str().len().min(t.len().saturating_mul(2).saturating_add(64));
    let mut head = StrBuilder::with_capacity(room.max(t.len()));
    head.push(t, Some(chars));
    head.finish()
}

/// `s.indexOf(needle)` (`from` None) or `s.indexOf(needle, from)`: a character position or -1.
fn index_of(s: &StrObj, needle: &StrObj, from: Option<i64>) -> NyValue {
    let (t, needle) = (s.as_str(), needle.as_str());
    let off = from.map_or(0, |from| byte_offset(s, clamp(from, s.char_len())));
    NyValue::int(find(&t[off..], needle).map(|b| char_pos(s, off + b) as i64).unwrap_or(-1))
}

/// `s.concat(v)`: appends the display form of any value (including `null`, shown as "null").
fn concat(s: &StrObj, v: NyValue) -> NyValue {
    let p =
        with_display(v, |u, chars| alloc_concat(&[(s.as_str(), Some(s.char_len())), (u, chars)]));
    NyValue::new(tag::STR, p as i64)
}

/// `s.charAt(i)`: the character at position `i`, or "" out of range.
fn char_at(s: &StrObj, i: i64) -> NyValue {
    if i < 0 || i as u64 >= s.char_len() as u64 {
        return NyValue::str("");
    }
    let t = s.as_str();
    let ch = t[byte_offset(s, i as usize)..].chars().next().unwrap_or_default();
    NyValue::str(ch.encode_utf8(&mut [0; 4]))
}

pub(super) fn call(s: &'static StrObj, m: Method, c: &Call) -> NyValue {
    let t = s.as_str();
    match (m, c.args.len()) {
        (Method::Length, 0) | (Method::Size, 0) => NyValue::int(s.char_len() as i64),
        (Method::Substring, 1) => substring(s, c.int(0), None),
        (Method::Substring, 2) => substring(s, c.int(0), Some(c.int(1))),
        (Method::IndexOf, 1) => index_of(s, c.str(0), None),
        (Method::IndexOf, 2) => index_of(s, c.str(0), Some(c.int(1))),
        (Method::LastIndexOf, 1) => {
            let needle = c.str(0).as_str();
            NyValue::int(t.rfind(needle).map(|b| char_pos(s, b) as i64).unwrap_or(-1))
        }
        (Method::Contains, 1) => NyValue::bool(t.contains(c.str(0).as_str())),
        (Method::StartsWith, 1) => NyValue::bool(t.starts_with(c.str(0).as_str())),
        (Method::EndsWith, 1) => NyValue::bool(t.ends_with(c.str(0).as_str())),
        (Method::Trim, 0) => NyValue::str(t.trim()),
        (Method::Replace, 2) => {
            let (old, new) = (c.str(0).as_str(), c.str(1).as_str());
            NyValue::str(&t.replace(old, new))
        }
        // `concat` appends the display form of any value (including `null`, shown as "null").
        (Method::Concat, 1) => concat(s, c.args[0]),
        (Method::Split, 1) => {
            let sep = c.str(0).as_str();
            let parts: Vec<NyValue> = if sep.is_empty() {
                // An empty separator splits into characters (no empty ends).
                t.chars().map(|ch| NyValue::str(ch.encode_utf8(&mut [0; 4]))).collect()
            } else {
                t.split(sep).map(NyValue::str).collect()
            };
            NyValue::array(parts)
        }
        (Method::ToUpper, 0) => NyValue::str(&t.to_uppercase()),
        (Method::ToLower, 0) => NyValue::str(&t.to_lowercase()),
        (Method::CharAt, 1) => char_at(s, c.int(0)),
        (Method::ToInteger, 0) => match t.parse::<i64>() {
            Ok(i) => NyValue::int(i),
            Err(_) => c.error(&format!("invalid integer \"{t}\"")),
        },
        (Method::ToFloat, 0) => match t.parse::<f64>() {
            Ok(f) => NyValue::float(f),
            Err(_) => c.error(&format!("invalid float \"{t}\"")),
        },
        (Method::Repeat, 1) => {
            let n = c.int(0);
            if n <= 0 || t.is_empty() {
                return NyValue::str("");
            }
            match t.len().checked_mul(n as usize) {
                Some(total) if total <= MAX_REPEAT_BYTES => NyValue::str(&t.repeat(n as usize)),
                _ => c.error("result too large"),
            }
        }
        (Method::IsEmpty, 0) => NyValue::bool(t.is_empty()),
        (Method::ToString, 0) => NyValue::str(t),
        _ => c.unknown(),
    }
}

/// The string a direct entry point may work on: a live String receiver.
fn live_str<'a>(v: NyValue) -> Option<&'a StrObj> {
    if v.tag != tag::STR {
        return None;
    }
    // `view` reports a null or (under RC checking) freed payload.
    match view(v) {
        V::Str(s) => Some(s),
        _ => None,
    }
}

/// The Int of an argument of a direct entry point, if it is one.
fn int_arg(v: NyValue) -> Option<i64> {
    (v.tag == tag::INT).then_some(v.payload)
}

/// `recv.length()` where `sym` names `length` or `size` (see the module docs).
#[no_mangle]
pub extern "C" fn nyrt_str_length(rt: i64, rp: i64, sym: i64, site: i64) -> NyValue {
    guard(|| {
        let recv = NyValue::new(rt, rp);
        match live_str(recv) {
            Some(s) => NyValue::int(s.char_len() as i64),
            None => call_method(recv, sym, &[], site),
        }
    })
}

/// The direct `substring` entry points: `f` on a live String with Int arguments, else the
/// generic method call (which raises the errors).
fn substring_entry(
    f: fn(&StrObj, i64, Option<i64>) -> NyValue,
    recv: NyValue,
    a: NyValue,
    b: Option<NyValue>,
    sym: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let ints = (int_arg(a), b.map(int_arg));
        match (live_str(recv), ints) {
            (Some(s), (Some(a), None)) => f(s, a, None),
            (Some(s), (Some(a), Some(Some(b)))) => f(s, a, Some(b)),
            _ => match b {
                Some(b) => call_method(recv, sym, &[a, b], site),
                None => call_method(recv, sym, &[a], site),
            },
        }
    })
}

/// `recv.substring(a)` where `sym` names `substring` (see the module docs).
#[no_mangle]
pub extern "C" fn nyrt_str_substring1(
    rt: i64,
    rp: i64,
    at: i64,
    ap: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    substring_entry(substring, NyValue::new(rt, rp), NyValue::new(at, ap), None, sym, site)
}

/// `recv.substring(a, b)` where `sym` names `substring` (see the module docs).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn nyrt_str_substring2(
    rt: i64,
    rp: i64,
    at: i64,
    ap: i64,
    bt: i64,
    bp: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    let b = Some(NyValue::new(bt, bp));
    substring_entry(substring, NyValue::new(rt, rp), NyValue::new(at, ap), b, sym, site)
}

/// `recv.substring(a)` as the head of a string being built (see `substring_head`).
#[no_mangle]
pub extern "C" fn nyrt_str_substring_head1(
    rt: i64,
    rp: i64,
    at: i64,
    ap: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    substring_entry(substring_head, NyValue::new(rt, rp), NyValue::new(at, ap), None, sym, site)
}

/// `recv.substring(a, b)` as the head of a string being built (see `substring_head`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn nyrt_str_substring_head2(
    rt: i64,
    rp: i64,
    at: i64,
    ap: i64,
    bt: i64,
    bp: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    let b = Some(NyValue::new(bt, bp));
    substring_entry(substring_head, NyValue::new(rt, rp), NyValue::new(at, ap), b, sym, site)
}

/// `recv.indexOf(needle)` where `sym` names `indexOf` (see the module docs).
#[no_mangle]
pub extern "C" fn nyrt_str_index_of(
    rt: i64,
    rp: i64,
    nt: i64,
    np: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let (recv, n) = (NyValue::new(rt, rp), NyValue::new(nt, np));
        match (live_str(recv), live_str(n)) {
            (Some(s), Some(n)) => index_of(s, n, None),
            _ => call_method(recv, sym, &[n], site),
        }
    })
}

/// `recv.indexOf(needle, from)` where `sym` names `indexOf` (see the module docs).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn nyrt_str_index_of_from(
    rt: i64,
    rp: i64,
    nt: i64,
    np: i64,
    ft: i64,
    fp: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let (recv, n, from) = (NyValue::new(rt, rp), NyValue::new(nt, np), NyValue::new(ft, fp));
        match (live_str(recv), live_str(n), int_arg(from)) {
            (Some(s), Some(n), Some(from)) => index_of(s, n, Some(from)),
            _ => call_method(recv, sym, &[n, from], site),
        }
    })
}

/// `recv.concat(v)` where `sym` names `concat` (see the module docs). Any argument is fine:
/// the generic path formats it exactly the same way.
#[no_mangle]
pub extern "C" fn nyrt_str_concat(
    rt: i64,
    rp: i64,
    vt: i64,
    vp: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let (recv, v) = (NyValue::new(rt, rp), NyValue::new(vt, vp));
        match live_str(recv) {
            Some(s) => concat(s, v),
            None => call_method(recv, sym, &[v], site),
        }
    })
}

/// `recv.charAt(i)` where `sym` names `charAt` (see the module docs).
#[no_mangle]
pub extern "C" fn nyrt_str_char_at(
    rt: i64,
    rp: i64,
    it: i64,
    ip: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let (recv, i) = (NyValue::new(rt, rp), NyValue::new(it, ip));
        match (live_str(recv), int_arg(i)) {
            (Some(s), Some(i)) => char_at(s, i),
            _ => call_method(recv, sym, &[i], site),
        }
    })
}

/// `acc + recv.substring(args..)` taking over the caller's reference to `acc` (like
/// `nyrt_add_consume`); `recv` and `args` are borrowed. The substring is evaluated first (its
/// errors are reported at `sub_site`, with method symbol `sym`), then the `+` (at `site`).
/// For a live String receiver with Int arguments the piece is never materialized: it is
/// appended in place when `acc` is a String nobody else references (count 1) and is not the
/// receiver itself, or copied with `acc` into one new string when `acc` is any other String.
/// Every other case is exactly `t = recv.substring(args..); r = acc + t` (consuming `acc`).
fn add_substring(
    acc: NyValue,
    recv: NyValue,
    args: &[NyValue],
    sym: i64,
    sub_site: i64,
    site: i64,
) -> NyValue {
    let b = match args.get(1) {
        None => Some(None),
        Some(&b) => int_arg(b).map(Some),
    };
    if let (Some(s), Some(a), Some(b), true) =
        (live_str(recv), int_arg(args[0]), b, acc.tag == tag::STR && acc.payload != 0)
    {
        check_live(acc, "use");
        let (piece, chars) = substring_text(s, a, b);
        let p = acc.payload as *mut StrObj;
        // SAFETY: the caller owns a reference to the live string `acc`.
        let unique = unsafe { header(acc) }.rc.get() == 1;
        if unique && acc.payload != recv.payload {
            // SAFETY: `acc` is unique, so no one observes the change, and the piece lies in
            // another object (`recv` is not `acc`).
            let q = unsafe { append_unique(p, piece, Some(chars)) };
            return NyValue::new(tag::STR, q as i64);
        }
        // SAFETY: `acc` is a live string (checked above); the caller's reference keeps it
        // alive until the `release` below, after the copy.
        let t = unsafe { &*p };
        let q = alloc_concat(&[(t.as_str(), Some(t.char_len())), (piece, Some(chars))]);
        release(acc);
        return NyValue::new(tag::STR, q as i64);
    }
    let piece = call_method(recv, sym, args, sub_site);
    let r = add_consume(acc, piece, site);
    release(piece);
    r
}

/// `acc + recv.substring(a)` (see `add_substring`); `sym` names `substring`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn nyrt_str_add_substring1(
    acct: i64,
    accp: i64,
    rt: i64,
    rp: i64,
    at: i64,
    ap: i64,
    sym: i64,
    sub_site: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let (acc, recv) = (NyValue::new(acct, accp), NyValue::new(rt, rp));
        add_substring(acc, recv, &[NyValue::new(at, ap)], sym, sub_site, site)
    })
}

/// `acc + recv.substring(a, b)` (see `add_substring`); `sym` names `substring`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn nyrt_str_add_substring2(
    acct: i64,
    accp: i64,
    rt: i64,
    rp: i64,
    at: i64,
    ap: i64,
    bt: i64,
    bp: i64,
    sym: i64,
    sub_site: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let (acc, recv) = (NyValue::new(acct, accp), NyValue::new(rt, rp));
        let args = [NyValue::new(at, ap), NyValue::new(bt, bp)];
        add_substring(acc, recv, &args, sym, sub_site, site)
    })
}
