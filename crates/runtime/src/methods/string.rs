//! String methods (LANGUAGE.md §6). Positions and lengths count Unicode scalar values.

use super::{Call, Method};
use crate::display::with_display;
use crate::string::{alloc_concat, byte_offset, char_pos, find, StrObj};
use crate::value::{tag, NyValue};

/// Largest string `repeat` may build, in bytes; beyond this it is a runtime error rather than
/// an allocation failure.
const MAX_REPEAT_BYTES: usize = 1 << 32;

fn clamp(i: i64, len: usize) -> usize {
    i.clamp(0, len as i64) as usize
}

pub(super) fn call(s: &'static StrObj, m: Method, c: &Call) -> NyValue {
    let t = s.as_str();
    match (m, c.args.len()) {
        (Method::Length, 0) | (Method::Size, 0) => NyValue::int(s.char_len() as i64),
        (Method::Substring, 1 | 2) => {
            let len = s.char_len();
            let a = clamp(c.int(0), len);
            let b = if c.args.len() == 2 { clamp(c.int(1), len) } else { len };
            if a >= b {
                return NyValue::str("");
            }
            let (ba, bb) = (byte_offset(s, a), byte_offset(s, b));
            // The piece has exactly `b - a` characters: no need to count them again.
            NyValue::new(tag::STR, alloc_concat(&[(&t[ba..bb], Some(b - a))]) as i64)
        }
        (Method::IndexOf, 1) => {
            let needle = c.str(0).as_str();
            NyValue::int(find(t, needle).map(|b| char_pos(s, b) as i64).unwrap_or(-1))
        }
        (Method::IndexOf, 2) => {
            let needle = c.str(0).as_str();
            let from = clamp(c.int(1), s.char_len());
            let off = byte_offset(s, from);
            NyValue::int(find(&t[off..], needle).map(|b| char_pos(s, off + b) as i64).unwrap_or(-1))
        }
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
        (Method::Concat, 1) => {
            let p = with_display(c.args[0], |u, chars| {
                alloc_concat(&[(t, Some(s.char_len())), (u, chars)])
            });
            NyValue::new(tag::STR, p as i64)
        }
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
        (Method::CharAt, 1) => {
            let i = c.int(0);
            if i < 0 || i as u64 >= s.char_len() as u64 {
                return NyValue::str("");
            }
            let b = byte_offset(s, i as usize);
            let ch = t[b..].chars().next().unwrap_or_default();
            NyValue::str(ch.encode_utf8(&mut [0; 4]))
        }
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
