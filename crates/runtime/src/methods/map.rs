//! MapBox methods (LANGUAGE.md §6). Keys are Strings or Ints; the map owns one reference per
//! value (`set` retains, overwriting/deleting releases, `get` returns a new reference).

use super::{Call, Method};
use crate::display::to_display_string;
use crate::map::{MapKey, MapObj};
use crate::rc::{release, release_all, retain};
use crate::value::{type_name, NyValue};

fn key(c: &Call, i: usize) -> MapKey {
    MapKey::of(c.args[i]).unwrap_or_else(|| {
        c.error(&format!("key must be String or Int, got {}", type_name(c.args[i])))
    })
}

pub(super) fn call(recv: NyValue, m: &MapObj, meth: Method, c: &Call) -> NyValue {
    match (meth, c.args.len()) {
        (Method::Set, 2) => {
            let k = key(c, 0);
            let v = c.args[1];
            retain(v);
            let old = m.data.borrow_mut().insert(k, v);
            if let Some(old) = old {
                release(old);
            }
            NyValue::NULL
        }
        (Method::Get, 1) => {
            let k = key(c, 0);
            let v = m.data.borrow().get(&k).unwrap_or(NyValue::NULL);
            retain(v);
            v
        }
        (Method::Has, 1) => {
            let k = key(c, 0);
            NyValue::bool(m.data.borrow().get(&k).is_some())
        }
        (Method::Delete | Method::Remove, 1) => {
            let k = key(c, 0);
            let old = m.data.borrow_mut().remove(&k);
            let found = old.is_some();
            if let Some(old) = old {
                release(old);
            }
            NyValue::bool(found)
        }
        (Method::Size | Method::Length, 0) => NyValue::int(m.data.borrow().len() as i64),
        (Method::IsEmpty, 0) => NyValue::bool(m.data.borrow().len() == 0),
        (Method::Keys, 0) => {
            let keys: Vec<NyValue> = m.data.borrow().iter().map(|(k, _)| k.to_value()).collect();
            NyValue::array(keys)
        }
        (Method::Values, 0) => {
            let values: Vec<NyValue> = m.data.borrow().iter().map(|(_, v)| *v).collect();
            values.iter().for_each(|v| retain(*v));
            NyValue::array(values)
        }
        (Method::Clear, 0) => {
            let values = m.data.borrow_mut().take_all();
            release_all(values);
            NyValue::NULL
        }
        (Method::ToString, 0) => NyValue::str(&to_display_string(recv)),
        _ => c.unknown(),
    }
}
