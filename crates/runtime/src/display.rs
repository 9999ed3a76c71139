//! Display forms (LANGUAGE.md §5): what `print`, string `+`, `join` and `toString()` produce.
//! Instances use their box's registered `toString` callback, which may re-enter the runtime, so
//! no borrow is held while displaying nested values (elements are snapshotted and retained).

use crate::rc::{release, release_all};
use crate::value::{view, NyValue, V};
use std::cell::RefCell;
use std::fmt::Write;

thread_local! {
    /// Containers and instances currently being displayed, so a cycle prints `[...]`, `{...}`
    /// or the box name instead of recursing forever.
    static IN_PROGRESS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks `key` as being displayed; false if it already is (a cycle).
fn enter(key: usize) -> bool {
    IN_PROGRESS.with(|p| {
        let mut p = p.borrow_mut();
        if p.contains(&key) {
            false
        } else {
            p.push(key);
            true
        }
    })
}

fn leave() {
    IN_PROGRESS.with(|p| {
        p.borrow_mut().pop();
    });
}

/// Appends the display form of `v` to `out`.
pub fn write_display(out: &mut String, v: NyValue) {
    match view(v) {
        V::Null => out.push_str("null"),
        V::Int(i) => out.push_str(format_int(i, &mut [0; 20])),
        V::Float(f) => write_float(out, f),
        V::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        V::Str(s) => out.push_str(s.as_str()),
        V::Array(a) => {
            if !enter(v.payload as usize) {
                out.push_str("[...]");
                return;
            }
            out.push('[');
            let items = a.snapshot();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(out, *item);
            }
            release_all(items);
            out.push(']');
            leave();
        }
        V::Map(m) => {
            if !enter(v.payload as usize) {
                out.push_str("{...}");
                return;
            }
            out.push('{');
            let entries = m.snapshot();
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                // Keys are Ints or Strings: their display form is the number or the text.
                write_display(out, e.key);
                out.push_str(": ");
                write_display(out, e.value);
            }
            crate::map::release_entries(entries);
            out.push('}');
            leave();
        }
        V::Instance(obj) => {
            let to_string = crate::state::to_string_fn(obj.box_id());
            match to_string {
                Some(f) if enter(v.payload as usize) => {
                    // `v` is borrowed by the callback; the caller keeps it alive.
                    let r = crate::callback::call(f, v);
                    write_display(out, r);
                    release(r);
                    leave();
                }
                _ => out.push_str(&crate::meta::box_name(obj.box_id())),
            }
        }
        V::Console => out.push_str("ConsoleBox"),
        V::Math => out.push_str("MathBox"),
    }
}

/// The decimal form of `i` (what `{i}` prints), written at the end of `buf`.
pub fn format_int(i: i64, buf: &mut [u8; 20]) -> &str {
    let mut n = i.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    // SAFETY: 19 digits and a sign fit in 20 bytes, all ASCII.
    unsafe { std::str::from_utf8_unchecked(&buf[pos..]) }
}

/// Calls `f` with the display form of `v` and its character count when known. Strings (their
/// own bytes), Ints, Bools and null need no allocation; other values are formatted into a
/// temporary `String` first (which may run a user `toString` before `f` is called).
pub fn with_display<R>(v: NyValue, f: impl FnOnce(&str, Option<usize>) -> R) -> R {
    match view(v) {
        V::Str(s) => f(s.as_str(), Some(s.char_len())),
        V::Int(i) => {
            let mut buf = [0; 20];
            let t = format_int(i, &mut buf);
            f(t, Some(t.len()))
        }
        V::Bool(b) => f(if b { "true" } else { "false" }, Some(if b { 4 } else { 5 })),
        V::Null => f("null", Some(4)),
        _ => f(&to_display_string(v), None),
    }
}

/// Rust's `{}` for f64 is exactly the spec: shortest round-trip digits, no exponent, no
/// trailing `.0`, `-0`, `NaN`, `inf`, `-inf`.
pub fn write_float(out: &mut String, f: f64) {
    let _ = write!(out, "{f}");
}

pub fn to_display_string(v: NyValue) -> String {
    let mut s = String::new();
    write_display(&mut s, v);
    s
}
