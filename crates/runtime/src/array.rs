//! ArrayBox objects: a growable vector of elements behind a heap object header. The array owns
//! one reference to each element.
//!
//! The object has a FIXED `#[repr(C)]` layout because the native backends read and write it
//! inline (`get`/`set`/`length`/`push` fast paths): header (16 bytes), then `len`, `cap`,
//! `data` and `kind` at `nyash_mir::layout::ARRAY_{LEN,CAP,DATA,KIND}_OFFSET`; `data` points at
//! `cap` consecutive elements of which the first `len` are live. How an element is stored
//! depends on `kind` (see [`kind`]): `(tag, payload)` pairs for arrays of any values, or
//! compact machine values for arrays the compiler proved hold only Ints, Floats or Bools.
//! The buffer is the allocation of a `Vec` of the element type taken apart, so Rust code works
//! on it as a `Vec` (see [`Buf`]).
//!
//! A typed array stays correct whatever is stored into it: a value of another type first turns
//! it into an array of values ("despecializes" it, O(n), once), so every runtime path accepts
//! every kind and the backends' typed fast paths check the kind word before trusting it.

use crate::value::{tag, type_id, Header, NyValue};
use std::cell::Cell;
use std::mem::ManuallyDrop;

/// Element kinds (`nyash_mir::layout::ARRAY_KIND_*`). A typed kind equals the tag of every
/// element it holds, so "does `v` fit" is `v.tag == kind`.
pub mod kind {
    /// `(tag, payload)` pairs (16 bytes): any values. Every array the runtime makes.
    pub const VALUES: i64 = 0;
    /// `i64` per element.
    pub const INT: i64 = crate::value::tag::INT;
    /// `f64` per element.
    pub const FLOAT: i64 = crate::value::tag::FLOAT;
    /// One byte per element, 0 or 1.
    pub const BOOL: i64 = crate::value::tag::BOOL;
}

#[repr(C)]
pub struct ArrayObj {
    hdr: Header,
    len: Cell<i64>,
    cap: Cell<i64>,
    data: Cell<*mut u8>,
    kind: Cell<i64>,
}

// The backends rely on these offsets (`nyash_mir::layout::ARRAY_*_OFFSET`); the runtime crate
// does not depend on nyash-mir, so the values are repeated here and checked at compile time.
pub const ARRAY_LEN_OFFSET: usize = 16;
pub const ARRAY_CAP_OFFSET: usize = 24;
pub const ARRAY_DATA_OFFSET: usize = 32;
pub const ARRAY_KIND_OFFSET: usize = 40;
const _: () = assert!(std::mem::offset_of!(ArrayObj, len) == ARRAY_LEN_OFFSET);
const _: () = assert!(std::mem::offset_of!(ArrayObj, cap) == ARRAY_CAP_OFFSET);
const _: () = assert!(std::mem::offset_of!(ArrayObj, data) == ARRAY_DATA_OFFSET);
const _: () = assert!(std::mem::offset_of!(ArrayObj, kind) == ARRAY_KIND_OFFSET);
const _: () = assert!(std::mem::size_of::<NyValue>() == 16);

/// An array's element buffer as a `Vec` of its kind's element type.
pub enum Buf {
    Values(Vec<NyValue>),
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Bools(Vec<u8>),
}

/// Applies the same expression to the `Vec` of any kind.
macro_rules! each {
    ($buf:expr, $v:ident => $e:expr) => {
        match $buf {
            Buf::Values($v) => $e,
            Buf::Ints($v) => $e,
            Buf::Floats($v) => $e,
            Buf::Bools($v) => $e,
        }
    };
}

impl Buf {
    /// An empty buffer of `kind` (an unknown kind is values: never UB, only slower).
    fn empty(kind: i64) -> Buf {
        match kind {
            kind::INT => Buf::Ints(Vec::new()),
            kind::FLOAT => Buf::Floats(Vec::new()),
            kind::BOOL => Buf::Bools(Vec::new()),
            _ => Buf::Values(Vec::new()),
        }
    }

    fn kind(&self) -> i64 {
        match self {
            Buf::Values(_) => kind::VALUES,
            Buf::Ints(_) => kind::INT,
            Buf::Floats(_) => kind::FLOAT,
            Buf::Bools(_) => kind::BOOL,
        }
    }

    /// The buffer as values (the identity for values; O(n) otherwise).
    fn into_values(self) -> Vec<NyValue> {
        match self {
            Buf::Values(v) => v,
            Buf::Ints(v) => v.into_iter().map(NyValue::int).collect(),
            Buf::Floats(v) => v.into_iter().map(NyValue::float).collect(),
            Buf::Bools(v) => v.into_iter().map(|b| NyValue::bool(b != 0)).collect(),
        }
    }

    /// `items` stored as `kind` when every one of them fits it, else as values.
    fn pack(kind: i64, items: Vec<NyValue>) -> Buf {
        if kind == kind::VALUES || !items.iter().all(|v| v.tag == kind) {
            return Buf::Values(items);
        }
        match kind {
            kind::INT => Buf::Ints(items.iter().map(|v| v.payload).collect()),
            kind::FLOAT => {
                Buf::Floats(items.iter().map(|v| f64::from_bits(v.payload as u64)).collect())
            }
            kind::BOOL => Buf::Bools(items.iter().map(|v| (v.payload != 0) as u8).collect()),
            _ => Buf::Values(items),
        }
    }

    /// Inserts `v` at `i <= len` (the array's reference to it included); false (nothing done)
    /// when `v` does not fit the kind.
    fn insert(&mut self, i: usize, v: NyValue) -> bool {
        match self {
            Buf::Values(x) => x.insert(i, v),
            Buf::Ints(x) if v.tag == tag::INT => x.insert(i, v.payload),
            Buf::Floats(x) if v.tag == tag::FLOAT => x.insert(i, f64::from_bits(v.payload as u64)),
            Buf::Bools(x) if v.tag == tag::BOOL => x.insert(i, (v.payload != 0) as u8),
            _ => return false,
        }
        true
    }

    /// Removes and returns the element at `i < len` (the array's reference moves out).
    fn remove(&mut self, i: usize) -> NyValue {
        match self {
            Buf::Values(x) => x.remove(i),
            Buf::Ints(x) => NyValue::int(x.remove(i)),
            Buf::Floats(x) => NyValue::float(x.remove(i)),
            Buf::Bools(x) => NyValue::bool(x.remove(i) != 0),
        }
    }

    fn pop(&mut self) -> Option<NyValue> {
        match self {
            Buf::Values(x) => x.pop(),
            Buf::Ints(x) => x.pop().map(NyValue::int),
            Buf::Floats(x) => x.pop().map(NyValue::float),
            Buf::Bools(x) => x.pop().map(|b| NyValue::bool(b != 0)),
        }
    }

    /// Allocated bytes and start, for `huge::advise`.
    fn extent(&self) -> (*const u8, usize) {
        fn extent<T>(v: &[T], cap: usize) -> (*const u8, usize) {
            (v.as_ptr() as *const u8, cap.saturating_mul(std::mem::size_of::<T>()))
        }
        each!(self, v => extent(v, v.capacity()))
    }
}

impl ArrayObj {
    fn new(kind: i64) -> ArrayObj {
        let obj = ArrayObj {
            hdr: Header::new(type_id::ARRAY),
            len: Cell::new(0),
            cap: Cell::new(0),
            data: Cell::new(std::ptr::null_mut()),
            kind: Cell::new(kind::VALUES),
        };
        obj.set_buf(Buf::empty(kind));
        obj
    }

    /// The element kind (`kind::*`).
    pub fn kind(&self) -> i64 {
        self.kind.get()
    }

    /// Takes the buffer out, leaving the object empty with the same kind (so a re-entrant use
    /// during `with_buf` sees an empty array rather than a buffer being mutated).
    fn take_buf(&self) -> Buf {
        let (len, cap, data) = (self.len.get() as usize, self.cap.get() as usize, self.data.get());
        let kind = self.kind.get();
        self.set_buf(Buf::empty(kind));
        // SAFETY: (data, len, cap) always describe a `Vec` of `kind`'s element type taken
        // apart by `set_buf` (or the dangling pointer of an empty one with cap 0).
        unsafe {
            match kind {
                kind::INT => Buf::Ints(Vec::from_raw_parts(data as *mut i64, len, cap)),
                kind::FLOAT => Buf::Floats(Vec::from_raw_parts(data as *mut f64, len, cap)),
                kind::BOOL => Buf::Bools(Vec::from_raw_parts(data, len, cap)),
                _ => Buf::Values(Vec::from_raw_parts(data as *mut NyValue, len, cap)),
            }
        }
    }

    /// Stores `b` as the buffer without looking at the current one (which must be empty or
    /// already taken: it is forgotten).
    fn set_buf(&self, b: Buf) {
        self.kind.set(b.kind());
        let (len, cap, data) = each!(b, v => {
            let mut v = ManuallyDrop::new(v);
            (v.len(), v.capacity(), v.as_mut_ptr().cast::<u8>())
        });
        self.len.set(len as i64);
        self.cap.set(cap as i64);
        self.data.set(data);
    }

    /// Runs `f` on the buffer. `f` must not call back into user code (release, display): do
    /// that after `with_buf` returns.
    fn with_buf<R>(&self, f: impl FnOnce(&mut Buf) -> R) -> R {
        let mut b = self.take_buf();
        let old = b.extent().0;
        let r = f(&mut b);
        let (start, bytes) = b.extent();
        if start != old {
            huge::advise(start, bytes);
        }
        // The buffer `take_buf` left behind is an empty one: nothing to free.
        self.set_buf(b);
        r
    }

    /// Runs `f` on the items as a `Vec` of values (same rule as `with_buf`). A typed array is
    /// converted to values and back (O(n)); it stays typed when every item still fits.
    pub fn with_items<R>(&self, f: impl FnOnce(&mut Vec<NyValue>) -> R) -> R {
        self.with_buf(|b| {
            let kind = b.kind();
            let mut items = std::mem::replace(b, Buf::empty(kind::VALUES)).into_values();
            let r = f(&mut items);
            *b = Buf::pack(kind, items);
            r
        })
    }

    /// Turns a typed array into an array of values (O(n); nothing to do for values).
    fn despecialize(&self) {
        if self.kind() != kind::VALUES {
            self.with_buf(|b| {
                let items = std::mem::replace(b, Buf::empty(kind::VALUES)).into_values();
                *b = Buf::Values(items);
            });
        }
    }

    pub fn len(&self) -> usize {
        self.len.get() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `i` (not retained), if in range.
    pub fn get(&self, i: usize) -> Option<NyValue> {
        if i >= self.len() {
            return None;
        }
        let d = self.data.get();
        // SAFETY: `data` holds `len` initialized elements of the kind's type.
        Some(unsafe {
            match self.kind() {
                kind::INT => NyValue::int(*(d as *const i64).add(i)),
                kind::FLOAT => NyValue::float(*(d as *const f64).add(i)),
                kind::BOOL => NyValue::bool(*d.add(i) != 0),
                _ => *(d as *const NyValue).add(i),
            }
        })
    }

    /// Replaces the item at `i` by `v` (whose reference the array takes over) and returns the
    /// old one (whose reference moves to the caller); `None` (nothing stored) out of range.
    pub fn set(&self, i: usize, v: NyValue) -> Option<NyValue> {
        if i >= self.len() {
            return None;
        }
        let k = self.kind();
        if k != kind::VALUES && v.tag != k {
            self.despecialize();
        }
        let old = self.get(i);
        let d = self.data.get();
        // SAFETY: `i < len`, and `v` fits the (possibly just changed) kind.
        unsafe {
            match self.kind() {
                kind::INT => *(d as *mut i64).add(i) = v.payload,
                kind::FLOAT => *(d as *mut f64).add(i) = f64::from_bits(v.payload as u64),
                kind::BOOL => *d.add(i) = (v.payload != 0) as u8,
                _ => *(d as *mut NyValue).add(i) = v,
            }
        }
        old
    }

    /// Appends `v` (whose reference the array takes over); amortized O(1) for every kind.
    pub fn push(&self, v: NyValue) {
        let len = self.len();
        self.insert(len, v);
    }

    /// Inserts `v` (whose reference the array takes over) at `i <= len`; false (nothing
    /// done) when `i > len`.
    pub fn insert(&self, i: usize, v: NyValue) -> bool {
        if i > self.len() {
            return false;
        }
        if !self.with_buf(|b| b.insert(i, v)) {
            self.despecialize();
            self.with_buf(|b| b.insert(i, v));
        }
        true
    }

    /// Removes the item at `i` (the array's reference moves to the caller), if in range.
    pub fn remove(&self, i: usize) -> Option<NyValue> {
        (i < self.len()).then(|| self.with_buf(|b| b.remove(i)))
    }

    /// Removes the last item (the array's reference moves to the caller), if any.
    pub fn pop(&self) -> Option<NyValue> {
        self.with_buf(|b| b.pop())
    }

    /// Empties the array (keeping its kind) and hands the removed items' references to the
    /// caller.
    pub fn clear(&self) -> Vec<NyValue> {
        self.with_buf(|b| {
            let kind = b.kind();
            std::mem::replace(b, Buf::empty(kind)).into_values()
        })
    }

    /// Reverses the items in place.
    pub fn reverse(&self) {
        self.with_buf(|b| each!(b, v => v.reverse()));
    }

    /// A new array of the items `from..to` (clamped by the caller), of the same kind, with a
    /// reference taken to each.
    pub fn slice(&self, from: usize, to: usize) -> NyValue {
        let part: Vec<NyValue> = (from..to.min(self.len())).filter_map(|i| self.get(i)).collect();
        part.iter().for_each(|v| crate::rc::retain(*v));
        NyValue::new(tag::ARRAY, alloc_buf(Buf::pack(self.kind(), part)) as i64)
    }

    /// A copy of the items with a reference taken to each, for code that may re-enter the
    /// runtime (display calls user `toString`) while walking them. Release with `release_all`.
    pub fn snapshot(&self) -> Vec<NyValue> {
        let items: Vec<NyValue> = (0..self.len()).filter_map(|i| self.get(i)).collect();
        items.iter().for_each(|v| crate::rc::retain(*v));
        items
    }
}

/// Allocates an array holding `b`.
fn alloc_buf(b: Buf) -> *mut ArrayObj {
    let obj = Box::new(ArrayObj::new(kind::VALUES));
    let (start, bytes) = b.extent();
    huge::advise(start, bytes);
    obj.set_buf(b);
    Box::into_raw(obj)
}

/// Allocates an array (of values) that takes over the references in `items`.
pub fn alloc_array(items: Vec<NyValue>) -> *mut ArrayObj {
    alloc_buf(Buf::Values(items))
}

/// Frees an array whose count reached 0: releases its elements, then deallocates it (or, under
/// RC checking, keeps the emptied object so later uses can be reported).
///
/// # Safety
/// `p` must come from `alloc_array` and have no remaining references.
pub unsafe fn free_array(p: *mut ArrayObj, keep: bool) {
    let items = (*p).take_buf();
    if !keep {
        drop(Box::from_raw(p));
    }
    // Typed elements hold no references: dropping the buffer is all there is to do.
    if let Buf::Values(items) = items {
        crate::rc::release_all(items);
    }
}

/// A new empty ArrayBox.
#[no_mangle]
pub extern "C" fn nyrt_new_array() -> NyValue {
    NyValue::array(Vec::new())
}

/// A new empty ArrayBox of element kind `kind` (`kind::*`; any other number makes an array of
/// values). The compiler asks for a typed kind where inference proved every element stored
/// into the array has that type.
#[no_mangle]
pub extern "C" fn nyrt_new_array_kind(kind: i64) -> NyValue {
    NyValue::new(tag::ARRAY, Box::into_raw(Box::new(ArrayObj::new(kind))) as i64)
}

/// Makes the array at `p` (an ArrayBox payload) have element kind `kind` before compiled code
/// caches its buffer, length and kind for the length of a loop (see `nyash_mir::array_views`):
/// an array of values whose elements all fit the kind (e.g. an empty one) is packed, O(n).
/// Under RC checking, a freed array is reported here (the loop's inline code no longer
/// checks).
/// The compiler only asks where inference proved every element has the kind's type, so an
/// element that does not fit is a compiler bug: an internal error, never a wrong read.
#[no_mangle]
pub extern "C" fn nyrt_array_ensure_kind(p: i64, kind: i64) {
    crate::rc::check_live(NyValue::new(tag::ARRAY, p), "ArrayBox in a loop");
    // SAFETY: the compiler passes the payload of a value of static type Array, live unless
    // RC checking (which keeps freed objects readable) just reported it.
    let a = unsafe { &*(p as *const ArrayObj) };
    if a.kind() == kind {
        return;
    }
    a.with_buf(|b| {
        let items = std::mem::replace(b, Buf::empty(kind::VALUES)).into_values();
        *b = Buf::pack(kind, items);
    });
    if a.kind() != kind {
        crate::error::internal_error(&format!(
            "an array inferred to hold only elements of kind {kind} holds other values"
        ));
    }
}

/// Element `i` of the array with payload `p` (not retained), if `i` is in range: the VM's
/// `array_load` (see `nyash_mir::InstKind::ArrayLoad`), which checks what native code assumes.
pub fn array_element(p: i64, i: i64) -> Option<NyValue> {
    // SAFETY: the VM passes the payload of a value of static type Array; under RC checking a
    // freed array stays readable (as a tombstone of length 0).
    let a = unsafe { &*(p as *const ArrayObj) };
    usize::try_from(i).ok().and_then(|i| a.get(i))
}

/// Transparent huge pages for big element buffers. A big array is usually walked in full or
/// at random (`get(j)` with a stride), touching a new 4 KiB page every few elements: with 2 MiB
/// pages the kernel takes ~500x fewer page faults while the buffer fills, and strided reads
/// miss the TLB far less. Linux only enables THP for ranges that ask (`madvise` mode, the usual
/// default). The advice never changes what the memory holds, only how it is mapped.
#[cfg(target_os = "linux")]
mod huge {
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

    /// Advises the `bytes` allocated at `data` (a `Vec`'s allocation).
    pub(super) fn advise(data: *const u8, bytes: usize) {
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
    pub(super) fn advise(_: *const u8, _: usize) {}
}
