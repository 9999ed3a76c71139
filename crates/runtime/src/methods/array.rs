//! ArrayBox methods (LANGUAGE.md §6); the subset needed before `new ArrayBox()` exists.

use super::{Call, Method};
use crate::array::ArrayObj;
use crate::display::{to_display_string, write_display};
use crate::ops::values_equal;
use crate::value::NyValue;

pub(super) fn call(recv: NyValue, a: &ArrayObj, m: Method, c: &Call) -> NyValue {
    match (m, c.args.len()) {
        (Method::Length, 0) | (Method::Size, 0) => NyValue::int(a.items.borrow().len() as i64),
        (Method::IsEmpty, 0) => NyValue::bool(a.items.borrow().is_empty()),
        (Method::Get, 1) => {
            let i = c.int(0);
            let items = a.items.borrow();
            usize::try_from(i).ok().and_then(|i| items.get(i).copied()).unwrap_or(NyValue::NULL)
        }
        (Method::Set, 2) => {
            let i = c.int(0);
            let mut items = a.items.borrow_mut();
            let len = items.len();
            match usize::try_from(i).ok().filter(|&i| i < len) {
                Some(i) => items[i] = c.args[1],
                None => {
                    drop(items);
                    c.error(&format!("index {i} out of range (length {len})"))
                }
            }
            NyValue::NULL
        }
        (Method::Push, 1) => {
            a.items.borrow_mut().push(c.args[0]);
            NyValue::NULL
        }
        (Method::Pop, 0) => a.items.borrow_mut().pop().unwrap_or(NyValue::NULL),
        (Method::Clear, 0) => {
            a.items.borrow_mut().clear();
            NyValue::NULL
        }
        (Method::Contains, 1) => {
            let items = a.items.borrow().clone();
            NyValue::bool(items.iter().any(|x| values_equal(*x, c.args[0])))
        }
        (Method::IndexOf, 1) => {
            let items = a.items.borrow().clone();
            let pos = items.iter().position(|x| values_equal(*x, c.args[0]));
            NyValue::int(pos.map(|p| p as i64).unwrap_or(-1))
        }
        (Method::Join, 1) => {
            let sep = c.str(0).as_str();
            let items = a.items.borrow().clone();
            let mut out = String::new();
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                write_display(&mut out, *x);
            }
            NyValue::str(&out)
        }
        (Method::ToString, 0) => NyValue::str(&to_display_string(recv)),
        _ => c.unknown(),
    }
}
