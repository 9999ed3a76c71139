//! MapBox methods (LANGUAGE.md §6). Keys are Strings or Ints; the map owns one reference per
//! value and per String key (`set` retains, overwriting/deleting releases, `get` returns a new
//! reference).
//!
//! `nyrt_map_get`/`nyrt_map_set`/`nyrt_map_has` are direct entry points the backends call for
//! `get`/`set`/`has` on a receiver of static type Map, skipping the by-name dispatch of
//! `nyrt_call_method`. They also take the method's symbol and fall back to that dispatch for
//! anything but a live MapBox receiver with an Int or String key, so every error message and
//! edge case is the generic path's.

use super::{call_method, Call, Method};
use crate::display::to_display_string;
use crate::error::guard;
use crate::map::{is_key, MapObj};
use crate::rc::{release, release_all, retain};
use crate::value::{tag, type_name, view, NyValue, V};

fn key(c: &Call, i: usize) -> NyValue {
    let k = c.args[i];
    if !is_key(k) {
        c.error(&format!("key must be String or Int, got {}", type_name(k)))
    }
    k
}

fn set(m: &MapObj, k: NyValue, v: NyValue) -> NyValue {
    let old = m.data.borrow_mut().insert(k, v);
    // After the borrow: the old value's `fini` may use the map.
    if let Some(old) = old {
        release(old);
    }
    NyValue::NULL
}

fn get(m: &MapObj, k: NyValue) -> NyValue {
    let v = m.data.borrow().get(k).unwrap_or(NyValue::NULL);
    retain(v);
    v
}

fn has(m: &MapObj, k: NyValue) -> NyValue {
    NyValue::bool(m.data.borrow().get(k).is_some())
}

pub(super) fn call(recv: NyValue, m: &MapObj, meth: Method, c: &Call) -> NyValue {
    match (meth, c.args.len()) {
        (Method::Set, 2) => set(m, key(c, 0), c.args[1]),
        (Method::Get, 1) => get(m, key(c, 0)),
        (Method::Has, 1) => has(m, key(c, 0)),
        (Method::Delete | Method::Remove, 1) => {
            let k = key(c, 0);
            let old = m.data.borrow_mut().remove(k);
            let found = old.is_some();
            if let Some(e) = old {
                release(e.value);
                release(e.key);
            }
            NyValue::bool(found)
        }
        (Method::Size | Method::Length, 0) => NyValue::int(m.data.borrow().len() as i64),
        (Method::IsEmpty, 0) => NyValue::bool(m.data.borrow().len() == 0),
        (Method::Keys, 0) => {
            let keys: Vec<NyValue> = m.data.borrow().iter().map(|e| e.key).collect();
            keys.iter().for_each(|k| retain(*k));
            NyValue::array(keys)
        }
        (Method::Values, 0) => {
            let values: Vec<NyValue> = m.data.borrow().iter().map(|e| e.value).collect();
            values.iter().for_each(|v| retain(*v));
            NyValue::array(values)
        }
        (Method::Clear, 0) => {
            let owned = m.data.borrow_mut().take_all();
            release_all(owned);
            NyValue::NULL
        }
        (Method::ToString, 0) => NyValue::str(&to_display_string(recv)),
        _ => c.unknown(),
    }
}

/// The map a direct entry point may work on: a live MapBox receiver and an Int/String key.
fn direct<'a>(recv: NyValue, k: NyValue) -> Option<&'a MapObj> {
    if recv.tag != tag::MAP || !is_key(k) {
        return None;
    }
    // `view` reports a null or (under RC checking) freed receiver.
    match view(recv) {
        V::Map(m) => Some(m),
        _ => None,
    }
}

/// `recv.get(key)` where `sym` names `get` (see the module docs).
#[no_mangle]
pub extern "C" fn nyrt_map_get(rt: i64, rp: i64, kt: i64, kp: i64, sym: i64, site: i64) -> NyValue {
    guard(|| {
        let (recv, k) = (NyValue::new(rt, rp), NyValue::new(kt, kp));
        match direct(recv, k) {
            Some(m) => get(m, k),
            None => call_method(recv, sym, &[k], site),
        }
    })
}

/// `recv.has(key)` where `sym` names `has` (see the module docs).
#[no_mangle]
pub extern "C" fn nyrt_map_has(rt: i64, rp: i64, kt: i64, kp: i64, sym: i64, site: i64) -> NyValue {
    guard(|| {
        let (recv, k) = (NyValue::new(rt, rp), NyValue::new(kt, kp));
        match direct(recv, k) {
            Some(m) => has(m, k),
            None => call_method(recv, sym, &[k], site),
        }
    })
}

/// `recv.set(key, value)` where `sym` names `set` (see the module docs).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn nyrt_map_set(
    rt: i64,
    rp: i64,
    kt: i64,
    kp: i64,
    vt: i64,
    vp: i64,
    sym: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let (recv, k, v) = (NyValue::new(rt, rp), NyValue::new(kt, kp), NyValue::new(vt, vp));
        match direct(recv, k) {
            Some(m) => set(m, k, v),
            None => call_method(recv, sym, &[k, v], site),
        }
    })
}
