//! ArrayBox objects: a growable vector of values behind a heap object header. The array owns
//! one reference to each element.
//!
//! The object has a FIXED `#[repr(C)]` layout because the native backends read and write it
//! inline (`get`/`set`/`length`/`push` fast paths): header (16 bytes), then `len`, `cap` and
//! `data` at `nyash_mir::layout::ARRAY_{LEN,CAP,DATA}_OFFSET`; `data` points at `cap`
//! consecutive `(tag, payload)` pairs of which the first `len` are live. The buffer is the
//! allocation of a `Vec<NyValue>` taken apart, so Rust code works on it as a `Vec` (see
//! `with_items`).

use crate::value::{type_id, Header, NyValue};
use std::cell::Cell;
use std::mem::ManuallyDrop;

#[repr(C)]
pub struct ArrayObj {
    hdr: Header,
    len: Cell<i64>,
    cap: Cell<i64>,
    data: Cell<*mut NyValue>,
}

// The backends rely on these offsets (`nyash_mir::layout::ARRAY_*_OFFSET`); the runtime crate
// does not depend on nyash-mir, so the values are repeated here and checked at compile time.
pub const ARRAY_LEN_OFFSET: usize = 16;
pub const ARRAY_CAP_OFFSET: usize = 24;
pub const ARRAY_DATA_OFFSET: usize = 32;
const _: () = assert!(std::mem::offset_of!(ArrayObj, len) == ARRAY_LEN_OFFSET);
const _: () = assert!(std::mem::offset_of!(ArrayObj, cap) == ARRAY_CAP_OFFSET);
const _: () = assert!(std::mem::offset_of!(ArrayObj, data) == ARRAY_DATA_OFFSET);
const _: () = assert!(std::mem::size_of::<NyValue>() == 16);

impl ArrayObj {
    /// Takes the buffer out as a `Vec`, leaving the object empty (so a re-entrant use during
    /// `with_items` sees an empty array rather than a buffer being mutated).
    fn take_vec(&self) -> Vec<NyValue> {
        let empty = ManuallyDrop::new(Vec::<NyValue>::new());
        let (len, cap, data) = (self.len.get(), self.cap.get(), self.data.get());
        self.len.set(0);
        self.cap.set(0);
        self.data.set(empty.as_ptr() as *mut NyValue);
        // SAFETY: (data, len, cap) always describe a `Vec<NyValue>` allocation taken apart by
        // `put_vec` (or the dangling pointer of an empty Vec with cap 0).
        unsafe { Vec::from_raw_parts(data, len as usize, cap as usize) }
    }

    /// Stores `v`'s buffer as the array's, dropping (deallocating) any buffer the object
    /// holds (only an empty one, by construction).
    fn put_vec(&self, v: Vec<NyValue>) {
        drop(self.take_vec());
        let mut v = ManuallyDrop::new(v);
        self.len.set(v.len() as i64);
        self.cap.set(v.capacity() as i64);
        self.data.set(v.as_mut_ptr());
    }

    /// Runs `f` on the items as a `Vec`. `f` must not call back into user code (release,
    /// display): do that after `with_items` returns.
    pub fn with_items<R>(&self, f: impl FnOnce(&mut Vec<NyValue>) -> R) -> R {
        let mut v = self.take_vec();
        let old = v.as_ptr();
        let r = f(&mut v);
        if v.as_ptr() != old {
            huge::advise(v.as_ptr(), v.capacity());
        }
        self.put_vec(v);
        r
    }

    pub fn len(&self) -> usize {
        self.len.get() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `i` (not retained), if in range.
    pub fn get(&self, i: usize) -> Option<NyValue> {
        // SAFETY: `data` holds `len` initialized values.
        (i < self.len()).then(|| unsafe { *self.data.get().add(i) })
    }

    /// A copy of the items with a reference taken to each, for code that may re-enter the
    /// runtime (display calls user `toString`) while walking them. Release with `release_all`.
    pub fn snapshot(&self) -> Vec<NyValue> {
        let items = self.with_items(|v| v.clone());
        items.iter().for_each(|v| crate::rc::retain(*v));
        items
    }
}

/// Allocates an array that takes over the references in `items`.
pub fn alloc_array(items: Vec<NyValue>) -> *mut ArrayObj {
    let empty = ManuallyDrop::new(Vec::<NyValue>::new());
    let obj = Box::new(ArrayObj {
        hdr: Header::new(type_id::ARRAY),
        len: Cell::new(0),
        cap: Cell::new(0),
        data: Cell::new(empty.as_ptr() as *mut NyValue),
    });
    huge::advise(items.as_ptr(), items.capacity());
    obj.put_vec(items);
    Box::into_raw(obj)
}

/// Frees an array whose count reached 0: releases its elements, then deallocates it (or, under
/// RC checking, keeps the emptied object so later uses can be reported).
///
/// # Safety
/// `p` must come from `alloc_array` and have no remaining references.
pub unsafe fn free_array(p: *mut ArrayObj, keep: bool) {
    let items = (*p).take_vec();
    if !keep {
        drop(Box::from_raw(p));
    }
    crate::rc::release_all(items);
}

/// A new empty ArrayBox.
#[no_mangle]
pub extern "C" fn nyrt_new_array() -> NyValue {
    NyValue::array(Vec::new())
}

/// Transparent huge pages for big element buffers. A big array is usually walked in full or
/// at random (`get(j)` with a stride), touching a new 4 KiB page every few elements: with 2 MiB
/// pages the kernel takes ~500x fewer page faults while the buffer fills, and strided reads
/// miss the TLB far less. Linux only enables THP for ranges that ask (`madvise` mode, the usual
/// default). The advice never changes what the memory holds, only how it is mapped.
#[cfg(target_os = "linux")]
mod huge {
    use crate::value::NyValue;

    extern "C" {
        fn madvise(addr: *mut u8, len: usize, advice: i32) -> i32;
    }
    const MADV_HUGEPAGE: i32 = 14;
    const PAGE: usize = 4096;
    /// glibc serves requests this big (its largest dynamic mmap threshold) with a mapping of
    /// their own, which then spans exactly the pages of the buffer: advising all of them
    /// keeps the mapping one VMA, so growing it by `mremap` (no copying) still works.
    /// Smaller buffers may share pages with other heap blocks and are left alone.
    const MIN_BYTES: usize = 32 << 20;

    /// Advises the buffer of `cap` values at `data` (a `Vec`'s allocation).
    pub(super) fn advise(data: *const NyValue, cap: usize) {
        let bytes = cap.saturating_mul(std::mem::size_of::<NyValue>());
        if bytes < MIN_BYTES {
            return;
        }
        let start = data as usize;
        let lo = start & !(PAGE - 1);
        let hi = (start + bytes + PAGE - 1) & !(PAGE - 1);
        // SAFETY: MADV_HUGEPAGE never changes memory contents, only how the pages are backed
        // (the range also covers the allocator's header on the first page, equally unharmed).
        // A failure (THP unsupported, another page size) leaves everything as it was.
        unsafe {
            madvise(lo as *mut u8, hi - lo, MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod huge {
    pub(super) fn advise(_: *const crate::value::NyValue, _: usize) {}
}
