//! ArrayBox methods (LANGUAGE.md §6). The array owns one reference per element: storing
//! methods retain what they store and release what they overwrite or drop; `get` returns a
//! new reference, `pop`/`remove` hand the array's reference to the caller.

use super::{Call, Method};
use crate::array::ArrayObj;
use crate::display::{to_display_string, with_display};
use crate::ops::values_equal;
use crate::rc::{release, release_all, retain};
use crate::string::StrBuilder;
use crate::value::{type_name, view, NyValue, V};
use std::cmp::Ordering;

/// Clamps a position into `0..=len` (like `substring`).
fn clamp(i: i64, len: usize) -> usize {
    i.clamp(0, len as i64) as usize
}

pub(super) fn call(recv: NyValue, a: &ArrayObj, m: Method, c: &Call) -> NyValue {
    let len = || a.len();
    let out_of_range =
        |i: i64, len: usize| -> ! { c.error(&format!("index {i} out of range (length {len})")) };
    match (m, c.args.len()) {
        (Method::Length, 0) | (Method::Size, 0) => NyValue::int(len() as i64),
        (Method::IsEmpty, 0) => NyValue::bool(a.is_empty()),
        (Method::Get, 1) => {
            let i = c.int(0);
            let v = usize::try_from(i).ok().and_then(|i| a.get(i));
            let v = v.unwrap_or(NyValue::NULL);
            retain(v);
            v
        }
        (Method::Set, 2) => {
            let i = c.int(0);
            let v = c.args[1];
            let n = len();
            let Some(i) = usize::try_from(i).ok().filter(|&i| i < n) else { out_of_range(i, n) };
            retain(v);
            // In range (checked above), so `set` stores `v`; a typed array whose kind `v`
            // does not fit becomes an array of values first.
            if let Some(old) = a.set(i, v) {
                release(old);
            }
            NyValue::NULL
        }
        (Method::Push, 1) => {
            retain(c.args[0]);
            a.push(c.args[0]);
            NyValue::NULL
        }
        (Method::Pop, 0) => a.pop().unwrap_or(NyValue::NULL),
        (Method::Insert, 2) => {
            let i = c.int(0);
            let n = len();
            let Some(i) = usize::try_from(i).ok().filter(|&i| i <= n) else { out_of_range(i, n) };
            retain(c.args[1]);
            a.insert(i, c.args[1]);
            NyValue::NULL
        }
        (Method::Remove, 1) => {
            let i = c.int(0);
            let n = len();
            let Some(i) = usize::try_from(i).ok().filter(|&i| i < n) else { out_of_range(i, n) };
            // The array's reference moves to the caller.
            a.remove(i).unwrap_or(NyValue::NULL)
        }
        (Method::Clear, 0) => {
            release_all(a.clear());
            NyValue::NULL
        }
        (Method::Contains, 1) => {
            // `values_equal` never runs user code, so the items need no references.
            let found = (0..len()).any(|i| a.get(i).is_some_and(|x| values_equal(x, c.args[0])));
            NyValue::bool(found)
        }
        (Method::IndexOf, 1) => {
            let pos = (0..len()).position(|i| a.get(i).is_some_and(|x| values_equal(x, c.args[0])));
            NyValue::int(pos.map(|p| p as i64).unwrap_or(-1))
        }
        (Method::Join, 1) => {
            // The caller's reference keeps `sep` alive; `snapshot` keeps the items alive
            // while a user `toString` runs (it may change the array).
            let sep = c.str(0);
            let items = a.snapshot();
            // Exact size when every item is a String (the usual case), else a lower bound.
            let strs: usize = items
                .iter()
                .map(|x| match view(*x) {
                    V::Str(s) => s.as_str().len(),
                    _ => 0,
                })
                .fold(0, usize::saturating_add);
            let seps = sep.as_str().len().saturating_mul(items.len().saturating_sub(1));
            let mut out = StrBuilder::with_capacity(strs.saturating_add(seps));
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(sep.as_str(), Some(sep.char_len()));
                }
                with_display(*x, |t, chars| out.push(t, chars));
            }
            release_all(items);
            out.finish()
        }
        (Method::Slice, 1 | 2) => {
            let n = a.len();
            let from = clamp(c.int(0), n);
            let to = if c.args.len() == 2 { clamp(c.int(1), n) } else { n };
            a.slice(from, to)
        }
        (Method::Reverse, 0) => {
            a.reverse();
            NyValue::NULL
        }
        (Method::Sort, 0) => {
            sort(a, c);
            NyValue::NULL
        }
        (Method::ToString, 0) => NyValue::str(&to_display_string(recv)),
        _ => c.unknown(),
    }
}

/// Sort keys: all numbers (Int and Float compared numerically) or all Strings.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Number,
    Str,
    Other,
}

fn class(v: NyValue) -> Class {
    match view(v) {
        V::Int(_) | V::Float(_) => Class::Number,
        V::Str(_) => Class::Str,
        _ => Class::Other,
    }
}

fn cmp_numbers(x: NyValue, y: NyValue) -> Ordering {
    match (view(x), view(y)) {
        (V::Int(p), V::Int(q)) => p.cmp(&q),
        (V::Int(p), V::Float(q)) => (p as f64).total_cmp(&q),
        (V::Float(p), V::Int(q)) => p.total_cmp(&(q as f64)),
        (V::Float(p), V::Float(q)) => p.total_cmp(&q),
        _ => Ordering::Equal,
    }
}

fn cmp_strings(x: NyValue, y: NyValue) -> Ordering {
    match (view(x), view(y)) {
        // UTF-8 byte order is Unicode scalar value order.
        (V::Str(p), V::Str(q)) => p.as_str().cmp(q.as_str()),
        _ => Ordering::Equal,
    }
}

/// Sorts in place (stable), or reports the first pair of elements that cannot be compared.
fn sort(a: &ArrayObj, c: &Call) {
    let result = a.with_items(|items| {
        let Some(&first) = items.first() else { return Ok(()) };
        let k = class(first);
        for &x in items.iter().skip(1) {
            if k == Class::Other || class(x) != k {
                return Err(format!("cannot compare {} and {}", type_name(first), type_name(x)));
            }
        }
        match k {
            Class::Number => items.sort_by(|x, y| cmp_numbers(*x, *y)),
            Class::Str => items.sort_by(|x, y| cmp_strings(*x, *y)),
            Class::Other => {}
        }
        Ok(())
    });
    // The error is raised after the items are back in the array.
    if let Err(msg) = result {
        c.error(&msg);
    }
}
