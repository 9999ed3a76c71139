//! Display forms (LANGUAGE.md §5): what `print`, string `+` and `toString()` produce.

use crate::value::{view, NyValue, V};
use std::cell::RefCell;
use std::fmt::Write;

thread_local! {
    /// Arrays currently being displayed, so a self-containing array prints `[...]` instead of
    /// recursing forever.
    static IN_PROGRESS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Appends the display form of `v` to `out`.
pub fn write_display(out: &mut String, v: NyValue) {
    match view(v) {
        V::Null => out.push_str("null"),
        V::Int(i) => {
            let _ = write!(out, "{i}");
        }
        V::Float(f) => write_float(out, f),
        V::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        V::Str(s) => out.push_str(s.as_str()),
        V::Array(a) => {
            let key = a as *const _ as usize;
            let cyclic = IN_PROGRESS.with(|p| {
                let mut p = p.borrow_mut();
                if p.contains(&key) {
                    true
                } else {
                    p.push(key);
                    false
                }
            });
            if cyclic {
                out.push_str("[...]");
                return;
            }
            out.push('[');
            // Copy the items out so no borrow is held while displaying nested values.
            let items = a.items.borrow().clone();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(out, *item);
            }
            out.push(']');
            IN_PROGRESS.with(|p| {
                p.borrow_mut().pop();
            });
        }
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
