//! Mutable per-program runtime state: per-box information (field count, registered `fini` and
//! `toString` callbacks, the lazily built field-name → slot cache) and the static-box fields
//! (globals). Reset by `nyrt_init`. Borrows of the state never span a callback into compiled
//! code (fini and toString can re-enter the runtime).

use crate::error::{guard, internal_error};
use crate::meta::{with_meta, Meta};
use crate::rc::{release, retain};
use crate::value::NyValue;
use std::cell::RefCell;

struct BoxRt {
    nfields: u16,
    parent: Option<usize>,
    /// Callback addresses (0 = none), see `callback`.
    fini: i64,
    to_string: i64,
    /// Per symbol id: the slot of the field with that name, or -1. Built on first use.
    slots: Option<Box<[i32]>>,
}

#[derive(Default)]
struct State {
    boxes: Vec<BoxRt>,
    globals: Vec<NyValue>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Starts a new program's state from its metadata. Values held by a previous program's globals
/// are abandoned, not released (their program is over).
pub(crate) fn reset(meta: &Meta) {
    let boxes = meta
        .boxes
        .iter()
        .map(|b| BoxRt {
            nfields: u16::try_from(b.fields.len())
                .unwrap_or_else(|_| internal_error(&format!("box {} has too many fields", b.name))),
            parent: b.parent,
            fini: 0,
            to_string: 0,
            slots: None,
        })
        .collect();
    STATE.with(|s| {
        *s.borrow_mut() = State { boxes, globals: vec![NyValue::NULL; meta.globals.len()] };
    });
}

fn bad_box(id: usize) -> ! {
    internal_error(&format!("box id {id} is not in the program's metadata"))
}

/// Number of field slots of box `id`.
pub(crate) fn nfields(id: usize) -> u16 {
    STATE.with(|s| s.borrow().boxes.get(id).map(|b| b.nfields)).unwrap_or_else(|| bad_box(id))
}

/// A registered callback of box `id` or of the nearest ancestor that has one.
fn callback_of(mut id: usize, pick: fn(&BoxRt) -> i64) -> Option<i64> {
    STATE.with(|s| {
        let s = s.borrow();
        // The parent chain is acyclic in valid metadata; bound the walk anyway.
        for _ in 0..=s.boxes.len() {
            let b = s.boxes.get(id)?;
            let f = pick(b);
            if f != 0 {
                return Some(f);
            }
            id = b.parent?;
        }
        None
    })
}

pub(crate) fn fini_fn(id: usize) -> Option<i64> {
    callback_of(id, |b| b.fini)
}

pub(crate) fn to_string_fn(id: usize) -> Option<i64> {
    callback_of(id, |b| b.to_string)
}

/// The slot of field `sym` in box `id`, if the box declares (or inherits) it.
pub(crate) fn slot_of(id: usize, sym: i64) -> Option<usize> {
    let sym = usize::try_from(sym).ok()?;
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let b = s.boxes.get_mut(id).unwrap_or_else(|| bad_box(id));
        let slots = b.slots.get_or_insert_with(|| {
            with_meta(|m| {
                let Some(m) = m else { return Box::default() };
                let fields = m.boxes.get(id).map(|b| &b.fields[..]).unwrap_or(&[]);
                m.syms
                    .iter()
                    .map(|name| fields.iter().position(|f| f == name).map_or(-1, |i| i as i32))
                    .collect()
            })
        });
        let slot = *slots.get(sym)?;
        (slot >= 0).then_some(slot as usize)
    })
}

/// Registers the `fini` and `toString` callbacks (addresses, 0 = none) of box `box_id`.
#[no_mangle]
pub extern "C" fn nyrt_register_box(box_id: i64, fini_fn: i64, tostring_fn: i64) {
    guard(|| {
        STATE.with(|s| {
            let mut s = s.borrow_mut();
            let id = usize::try_from(box_id).unwrap_or(usize::MAX);
            let b = s.boxes.get_mut(id).unwrap_or_else(|| bad_box(id));
            b.fini = fini_fn;
            b.to_string = tostring_fn;
        })
    })
}

fn bad_global(idx: i64) -> ! {
    internal_error(&format!("global {idx} is not in the program's metadata"))
}

/// The value of static-box field `idx` (owned: +1).
#[no_mangle]
pub extern "C" fn nyrt_global_get(idx: i64) -> NyValue {
    let v = STATE.with(|s| {
        let s = s.borrow();
        usize::try_from(idx).ok().and_then(|i| s.globals.get(i).copied())
    });
    let v = v.unwrap_or_else(|| bad_global(idx));
    retain(v);
    v
}

/// Stores into static-box field `idx` (retains the new value, releases the old one).
#[no_mangle]
pub extern "C" fn nyrt_global_set(idx: i64, tag: i64, payload: i64) {
    guard(|| {
        let v = NyValue::new(tag, payload);
        retain(v);
        let old = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let slot = usize::try_from(idx).ok().and_then(|i| s.globals.get_mut(i));
            slot.map(|slot| std::mem::replace(slot, v))
        });
        // Released after the borrow ends: it may run a `fini` that touches globals.
        release(old.unwrap_or_else(|| bad_global(idx)));
    })
}
