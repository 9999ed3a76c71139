//! Reference counting: `nyrt_retain` / `nyrt_release`, freeing, `fini` on the last release, and
//! the `NYASH_RC_CHECK=1` debugging mode in which freed objects are poisoned instead of
//! deallocated so that any later use is reported (exit 101) instead of corrupting memory.
//!
//! Conventions (LANGUAGE.md §5 Memory, brief3): every Boxed result the runtime returns is owned
//! (+1); Boxed arguments are borrowed; functions that store a value retain it themselves.

use crate::error::{guard, internal_error};
use crate::value::{flags, header, is_heap_tag, tag, type_name, NyValue};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by `nyrt_init` from `NYASH_RC_CHECK=1`.
static RC_CHECK: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_rc_check(on: bool) {
    RC_CHECK.store(on, Ordering::Relaxed);
}

#[inline(always)]
pub(crate) fn rc_check() -> bool {
    RC_CHECK.load(Ordering::Relaxed)
}

/// Under RC checking, reports a use of a freed object (`what` says which operation).
#[inline(always)]
pub(crate) fn check_live(v: NyValue, what: &str) {
    // SAFETY: under RC checking objects are never deallocated, so the header is readable.
    if rc_check() && unsafe { header(v) }.is_dead() {
        freed_object(v, what)
    }
}

#[cold]
fn freed_object(v: NyValue, what: &str) -> ! {
    // The type name of a dead instance is still readable (the header stays intact).
    internal_error(&format!(
        "use of a freed object ({} {} at {:#x})",
        what,
        type_name(v),
        v.payload
    ))
}

/// Takes a reference to `v` (no-op for non-heap values).
#[inline(always)]
pub(crate) fn retain(v: NyValue) {
    if is_heap_tag(v.tag) {
        check_live(v, "retain of");
        // SAFETY: heap values point at a live header (the caller holds a reference).
        let h = unsafe { header(v) };
        h.rc.set(h.rc.get() + 1);
    }
}

/// Drops a reference to `v`; the last one runs `fini` (instances) and frees the object.
#[inline(always)]
pub(crate) fn release(v: NyValue) {
    if is_heap_tag(v.tag) {
        check_live(v, "release of");
        // SAFETY: as in `retain`.
        let h = unsafe { header(v) };
        let n = h.rc.get();
        if n > 1 {
            h.rc.set(n - 1);
        } else if n == 1 {
            last_release(v);
        } else {
            internal_error(&format!(
                "reference count below zero ({} at {:#x})",
                type_name(v),
                v.payload
            ));
        }
    }
}

/// Releases every value of `vs`.
pub(crate) fn release_all(vs: impl IntoIterator<Item = NyValue>) {
    for v in vs {
        release(v);
    }
}

/// The count of `v` was 1 and is being dropped.
#[cold]
fn last_release(v: NyValue) {
    // SAFETY: as in `retain`.
    let h = unsafe { header(v) };
    if v.tag == tag::INSTANCE && h.flags.get() & flags::FINALIZED == 0 {
        h.flags.set(h.flags.get() | flags::FINALIZED);
        if let Some(fini) = crate::state::fini_fn(h.box_id as usize) {
            // The count stays 1 while `fini` runs so `me` is valid inside it; `me` is
            // borrowed by the callback. No runtime borrow is held across the call.
            let r = crate::callback::call(fini, v);
            release(r);
            let n = h.rc.get() - 1;
            h.rc.set(n);
            if n > 0 {
                return; // fini stored `me` somewhere: the object lives on, finalized.
            }
            free(v);
            return;
        }
    }
    h.rc.set(0);
    free(v);
}

/// Frees the object of `v` (count 0): releases what it references, then deallocates it, or
/// under RC checking poisons it.
fn free(v: NyValue) {
    let keep = rc_check();
    // SAFETY: `v` is a live heap object of the tag's type whose last reference is gone.
    unsafe {
        match v.tag {
            tag::STR => crate::string::free_str(v.payload as *mut _, keep),
            tag::ARRAY => crate::array::free_array(v.payload as *mut _, keep),
            tag::MAP => crate::map::free_map(v.payload as *mut _, keep),
            tag::INSTANCE => crate::instance::free_instance(v.payload as *mut _, keep),
            tag::CONSOLE | tag::MATH if !keep => {
                drop(Box::from_raw(v.payload as *mut crate::value::PlainObj))
            }
            _ => {}
        }
    }
    if keep {
        // SAFETY: kept objects are never deallocated.
        let h = unsafe { header(v) };
        h.flags.set(h.flags.get() | flags::DEAD);
        // A dead object's count stays 0: compiled code's inline retain/release only touch
        // counts >= 1 and hand anything else to `nyrt_retain`/`nyrt_release`, which report
        // the use (see `value::REFCOUNT_OFFSET`).
        h.rc.set(0);
    }
}

/// The current count of a heap value (tests and debugging); None for non-heap values.
pub fn ref_count(v: NyValue) -> Option<i64> {
    // SAFETY: heap values point at a readable header (see `check_live`).
    is_heap_tag(v.tag).then(|| unsafe { header(v) }.rc.get())
}

#[no_mangle]
pub extern "C" fn nyrt_retain(tag: i64, payload: i64) {
    retain(NyValue::new(tag, payload))
}

#[no_mangle]
pub extern "C" fn nyrt_release(tag: i64, payload: i64) {
    if is_heap_tag(tag) {
        guard(|| release(NyValue::new(tag, payload)))
    }
}
