//! Runtime strings: one allocation holding a header, the cached lengths, the capacity and the
//! bytes. Strings are immutable as values; the only mutation is [`append_unique`], which
//! appends in place to a string nobody else references (count 1) so that `s = s + piece` in a
//! loop runs in amortized linear time (see `ops::nyrt_add_consume`). String literals are
//! immortal objects of the same layout, made once per program (see [`Literals`]).

use crate::error::guard;
use crate::value::{type_id, Header, NyValue, IMMORTAL_REFCOUNT};
use std::alloc::{alloc, handle_alloc_error, realloc, Layout};
use std::cell::Cell;

/// A string object; its UTF-8 bytes follow the struct in the same allocation, which has room
/// for `cap` bytes (`byte_len <= cap`; the spare room is only ever used by `append_unique`).
#[repr(C)]
pub struct StrObj {
    hdr: Header,
    /// Number of Unicode scalar values (positions in Nyash count these).
    char_len: u64,
    byte_len: u64,
    /// Bytes allocated after the struct.
    cap: u64,
}

/// Layout of `StrObj`, which the native backends reproduce for string literals
/// (`nyash_mir::ir::layout::STR_*_OFFSET`, `immortal_str_object`).
pub const STR_CHAR_LEN_OFFSET: usize = 16;
pub const STR_BYTE_LEN_OFFSET: usize = 24;
pub const STR_CAP_OFFSET: usize = 32;
pub const STR_BYTES_OFFSET: usize = 40;
const _: () = {
    assert!(std::mem::offset_of!(StrObj, char_len) == STR_CHAR_LEN_OFFSET);
    assert!(std::mem::offset_of!(StrObj, byte_len) == STR_BYTE_LEN_OFFSET);
    assert!(std::mem::offset_of!(StrObj, cap) == STR_CAP_OFFSET);
    assert!(std::mem::size_of::<StrObj>() == STR_BYTES_OFFSET);
    assert!(std::mem::align_of::<StrObj>() == 8);
};

impl StrObj {
    pub fn as_str(&self) -> &str {
        // SAFETY: every string (built by `alloc_concat`/`append_unique`, or a literal object
        // a backend emitted) has `byte_len` bytes of valid UTF-8 right after the struct.
        unsafe {
            let bytes = (self as *const StrObj).add(1) as *const u8;
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(bytes, self.byte_len as usize))
        }
    }
    pub fn char_len(&self) -> usize {
        self.char_len as usize
    }
    /// True when every character is one byte, so char and byte positions coincide.
    pub fn is_ascii(&self) -> bool {
        self.char_len == self.byte_len
    }
}

fn layout_for(len: usize) -> Layout {
    match Layout::from_size_align(
        std::mem::size_of::<StrObj>() + len,
        std::mem::align_of::<StrObj>(),
    ) {
        Ok(l) => l,
        Err(_) => crate::error::internal_error("string too large"),
    }
}

/// Small string objects (header included, at most `POOL_MAX` bytes) live in blocks of a
/// multiple of `POOL_GRAIN` bytes, and freed blocks are kept per size in a per-thread cache
/// (up to `POOL_BYTES` in all) for the next string of that size: string-heavy programs allocate
/// and free short-lived small strings at a high rate, which the system allocator serves much
/// more slowly. Every string allocation is `size_of::<StrObj>() + cap` bytes (`cap` rounded up
/// to fill the block, so the slack also serves in-place appends); it is a pool block exactly
/// when that size is a multiple of `POOL_GRAIN` of at most `POOL_MAX` (literal objects, see
/// [`Literals`], are exactly sized and may be either).
const POOL_GRAIN: usize = 16;
const POOL_MAX: usize = 512;
const POOL_CLASSES: usize = POOL_MAX / POOL_GRAIN;
/// Big enough for the strings of a loop that rebuilds thousands of lines, which frees blocks of
/// one size and allocates blocks of another for a while.
const POOL_BYTES: usize = 8 << 20;

/// One thread's cache of freed pool blocks: per size class a linked list threaded through the
/// blocks' first word.
struct Pool {
    heads: [Cell<*mut u8>; POOL_CLASSES],
    /// Total bytes of the cached blocks.
    bytes: Cell<usize>,
}

impl Drop for Pool {
    fn drop(&mut self) {
        for (class, head) in self.heads.iter().enumerate() {
            let mut p = head.replace(std::ptr::null_mut());
            while !p.is_null() {
                // SAFETY: cached blocks are free allocations of their class's size whose first
                // word links to the next one.
                unsafe {
                    let next = *(p as *mut *mut u8);
                    std::alloc::dealloc(p, class_layout(class));
                    p = next;
                }
            }
        }
    }
}

thread_local! {
    static POOL: Pool = const {
        Pool {
            heads: [const { Cell::new(std::ptr::null_mut()) }; POOL_CLASSES],
            bytes: Cell::new(0),
        }
    };
}

/// Size class `class` holds blocks of `(class + 1) * POOL_GRAIN` bytes.
fn class_layout(class: usize) -> Layout {
    // SAFETY: a non-zero multiple of 16 bytes, aligned to 8.
    unsafe {
        Layout::from_size_align_unchecked((class + 1) * POOL_GRAIN, std::mem::align_of::<StrObj>())
    }
}

/// The capacity to allocate for at least `min_cap` bytes of text: rounded up to fill a pool
/// block when the object is small.
fn capacity_for(min_cap: usize) -> usize {
    let size = std::mem::size_of::<StrObj>().saturating_add(min_cap);
    if size <= POOL_MAX {
        size.next_multiple_of(POOL_GRAIN) - std::mem::size_of::<StrObj>()
    } else {
        min_cap
    }
}

/// The pool class of an object with capacity `cap`, if it is a block.
fn pool_class(cap: usize) -> Option<usize> {
    let size = std::mem::size_of::<StrObj>() + cap;
    (size <= POOL_MAX && size.is_multiple_of(POOL_GRAIN)).then(|| size / POOL_GRAIN - 1)
}

/// Uninitialised memory for a string object of capacity `cap`.
fn alloc_block(cap: usize) -> *mut StrObj {
    if let Some(class) = pool_class(cap) {
        let cached = POOL
            .try_with(|pool| {
                let p = pool.heads[class].get();
                if !p.is_null() {
                    // SAFETY: see `Pool`.
                    pool.heads[class].set(unsafe { *(p as *mut *mut u8) });
                    pool.bytes.set(pool.bytes.get() - (class + 1) * POOL_GRAIN);
                }
                p
            })
            .unwrap_or(std::ptr::null_mut());
        if !cached.is_null() {
            return cached as *mut StrObj;
        }
    }
    let layout = layout_for(cap);
    // SAFETY: the layout is non-zero sized.
    let p = unsafe { alloc(layout) } as *mut StrObj;
    if p.is_null() {
        handle_alloc_error(layout);
    }
    p
}

/// Frees the memory of a string object of capacity `cap` (to the pool when it has room).
///
/// # Safety
/// `p` came from `alloc_block(cap)` and is not used afterwards.
unsafe fn free_block(p: *mut StrObj, cap: usize) {
    if let Some(class) = pool_class(cap) {
        let kept = POOL
            .try_with(|pool| {
                let n = pool.bytes.get() + (class + 1) * POOL_GRAIN;
                if n > POOL_BYTES {
                    return false;
                }
                // SAFETY: the block is free and at least one word long.
                unsafe { *(p as *mut *mut u8) = pool.heads[class].get() };
                pool.heads[class].set(p as *mut u8);
                pool.bytes.set(n);
                true
            })
            .unwrap_or(false);
        if kept {
            return;
        }
    }
    std::alloc::dealloc(p as *mut u8, layout_for(cap));
}

/// Characters in `s` (Unicode scalar values); `known` when the caller already has the count.
fn count_chars(s: &str, known: Option<usize>) -> usize {
    match known {
        Some(n) => n,
        None if s.is_ascii() => s.len(),
        None => s.chars().count(),
    }
}

/// Allocates a string object with room for at least `cap` bytes and no text yet (count 1).
fn alloc_empty(cap: usize) -> *mut StrObj {
    alloc_empty_exact(capacity_for(cap))
}

/// Allocates a string object with room for exactly `cap` bytes and no text yet (count 1).
fn alloc_empty_exact(cap: usize) -> *mut StrObj {
    let p = alloc_block(cap);
    // SAFETY: `p` is fresh memory for the object; the header is initialised here and the
    // bytes (`byte_len` 0 of them) by whoever appends.
    unsafe {
        p.write(StrObj {
            hdr: Header::new(type_id::STR),
            char_len: 0,
            byte_len: 0,
            cap: cap as u64,
        });
    }
    p
}

/// Allocates a string object holding a copy of `s` (no spare capacity beyond its pool block:
/// most strings are never appended to).
pub fn alloc_str(s: &str) -> *mut StrObj {
    alloc_concat(&[(s, None)])
}

/// A string object holding the concatenation of `parts`, each with its character count when
/// the caller knows it (a String's cached count, an ASCII number), so no part is scanned
/// twice. One allocation (no more room than its pool block has), one copy of each part.
pub fn alloc_concat(parts: &[(&str, Option<usize>)]) -> *mut StrObj {
    let len = parts.iter().fold(0usize, |n, (t, _)| n.saturating_add(t.len()));
    let p = alloc_empty(len);
    for &(t, chars) in parts {
        // SAFETY: `p` is fresh (unique) with room for every part; parts never point into it.
        unsafe { push_bytes(p, t, count_chars(t, chars)) };
    }
    p
}

/// Copies `extra` (of `chars` characters) after the text of `p`, which has room for it.
///
/// # Safety
/// `p` is a live string with `byte_len + extra.len() <= cap` that nobody else observes, and
/// `extra` does not point into it.
unsafe fn push_bytes(p: *mut StrObj, extra: &str, chars: usize) {
    let len = (*p).byte_len as usize;
    let bytes = p.add(1) as *mut u8;
    std::ptr::copy_nonoverlapping(extra.as_ptr(), bytes.add(len), extra.len());
    (*p).byte_len = (len + extra.len()) as u64;
    (*p).char_len += chars as u64;
}

/// Builds a new string piece by piece directly in its object (no intermediate `String`).
pub struct StrBuilder {
    p: *mut StrObj,
}

impl StrBuilder {
    /// An empty string with room for `cap` bytes (it grows as needed).
    pub fn with_capacity(cap: usize) -> StrBuilder {
        StrBuilder { p: alloc_empty(cap) }
    }

    /// Appends `s` (`chars`: its character count, if known).
    pub fn push(&mut self, s: &str, chars: Option<usize>) {
        // SAFETY: the builder owns its object alone; `s` comes from elsewhere (the object is
        // not reachable by anyone else until `finish`).
        self.p = unsafe { append_unique(self.p, s, chars) };
    }

    /// The finished string (owned, count 1).
    pub fn finish(self) -> NyValue {
        let v = NyValue::new(crate::value::tag::STR, self.p as i64);
        std::mem::forget(self);
        v
    }
}

impl Drop for StrBuilder {
    fn drop(&mut self) {
        // SAFETY: an unfinished builder's object was never handed out.
        unsafe { free_str(self.p, false) }
    }
}

/// String objects for a program's literals that live for the whole run: each has the
/// immortal count ([`IMMORTAL_REFCOUNT`]), so releasing it never frees it and
/// `nyrt_add_consume` never appends to it (that needs count 1). The VM makes one set per run
/// (native code has the same objects as static data); dropping the set frees them, so it must
/// outlive the run.
pub struct Literals {
    objs: Vec<*mut StrObj>,
}

impl Literals {
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Literals {
        let objs = texts
            .into_iter()
            .map(|t| {
                // Exactly sized, like the literal objects of native code
                // (`layout::immortal_str_object`).
                let p = alloc_empty_exact(t.len());
                // SAFETY: `p` is fresh with room for `t`.
                unsafe { push_bytes(p, t, count_chars(t, None)) };
                // SAFETY: `p` is a fresh, live string object.
                unsafe { (*p).hdr.rc.set(IMMORTAL_REFCOUNT) };
                p
            })
            .collect();
        Literals { objs }
    }

    /// Literal `i` as a Boxed String (the caller may treat it as owned, like any literal).
    pub fn get(&self, i: usize) -> Option<NyValue> {
        self.objs.get(i).map(|&p| NyValue::new(crate::value::tag::STR, p as i64))
    }
}

impl Drop for Literals {
    fn drop(&mut self) {
        for &p in &self.objs {
            // SAFETY: the run that used these objects is over (see the type's docs).
            unsafe { free_str(p, false) };
        }
    }
}

/// Frees a string whose count reached 0 (`keep`: RC checking, only poison it).
///
/// # Safety
/// `p` must come from `alloc_str` and have no remaining references.
pub unsafe fn free_str(p: *mut StrObj, keep: bool) {
    if !keep {
        free_block(p, (*p).cap as usize);
    }
}

/// Appends `extra` (`chars`: its character count, if known) to the string `p` in place,
/// growing its allocation geometrically (capacity at least doubles, so n appends copy
/// O(total length) bytes). Returns the possibly moved object pointer; the old pointer is
/// invalid afterwards.
///
/// # Safety
/// `p` must be a live string object whose only reference is the caller's (count 1): the
/// object may move, and nobody else may observe the change. `extra` must not point into `p`.
pub unsafe fn append_unique(mut p: *mut StrObj, extra: &str, chars: Option<usize>) -> *mut StrObj {
    let (len, cap) = ((*p).byte_len as usize, (*p).cap as usize);
    let need = match len.checked_add(extra.len()) {
        Some(n) => n,
        None => crate::error::internal_error("string too large"),
    };
    if need > cap {
        let new_cap = capacity_for(need.max(cap.saturating_mul(2)).max(32));
        if pool_class(cap).is_none() && pool_class(new_cap).is_none() {
            let new_layout = layout_for(new_cap);
            let q = realloc(p as *mut u8, layout_for(cap), new_layout.size()) as *mut StrObj;
            if q.is_null() {
                handle_alloc_error(new_layout);
            }
            p = q;
        } else {
            // A pool block is never resized in place: move the object to a new allocation.
            let q = alloc_block(new_cap);
            std::ptr::copy_nonoverlapping(p as *const u8, q as *mut u8, STR_BYTES_OFFSET + len);
            free_block(p, cap);
            p = q;
        }
        (*p).cap = new_cap as u64;
    }
    push_bytes(p, extra, count_chars(extra, chars));
    p
}

/// A new string from `len` UTF-8 bytes at `ptr` (invalid sequences become U+FFFD).
#[no_mangle]
pub extern "C" fn nyrt_str_new(ptr: i64, len: i64) -> NyValue {
    guard(|| {
        if len <= 0 || ptr == 0 {
            return NyValue::str("");
        }
        // SAFETY: the caller passes a literal's bytes, valid for `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) };
        match std::str::from_utf8(bytes) {
            Ok(s) => NyValue::str(s),
            Err(_) => NyValue::str(&String::from_utf8_lossy(bytes)),
        }
    })
}

/// Byte offset of character position `pos` (which must be `<= char_len`).
#[inline]
pub fn byte_offset(s: &StrObj, pos: usize) -> usize {
    if s.is_ascii() {
        pos
    } else {
        byte_offset_scan(s.as_str(), pos)
    }
}

fn byte_offset_scan(t: &str, pos: usize) -> usize {
    t.char_indices().nth(pos).map(|(b, _)| b).unwrap_or(t.len())
}

/// Character position of byte offset `b` (a char boundary).
#[inline]
pub fn char_pos(s: &StrObj, b: usize) -> usize {
    if s.is_ascii() {
        b
    } else {
        s.as_str()[..b].chars().count()
    }
}

/// Needles up to this many bytes are searched by a candidate scan that compares the rest of
/// the needle at each candidate position (at most this many byte compares per haystack
/// position, so still linear); longer ones use the standard library's two-way search, whose
/// set-up costs more than a short search.
const SHORT_NEEDLE: usize = 8;

/// Byte offset of the first occurrence of `needle` in `hay` (exactly `hay.find(needle)`).
/// A byte-level match of valid UTF-8 in valid UTF-8 always starts on a char boundary (the
/// needle's first byte is never a continuation byte), so byte search gives the same answer.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    if n.len() > SHORT_NEEDLE {
        return hay.find(needle);
    }
    let last = h.len().checked_sub(n.len())?;
    // Candidates: positions whose first and last byte match the needle's (for a one-byte
    // needle both are the same byte), checked 16 at a time; the few candidates then compare
    // the bytes in between. A haystack with fewer than 16 positions is scanned one by one.
    #[cfg(target_arch = "x86_64")]
    if last >= 15 {
        // SAFETY: SSE2 is part of the x86-64 baseline; every block starts at `at <= last - 15`,
        // so both loads (16 bytes at `at` and at `at + n.len() - 1`) stay inside `h`.
        unsafe {
            use std::arch::x86_64::*;
            let first = _mm_set1_epi8(n[0] as i8);
            let tail = _mm_set1_epi8(n[n.len() - 1] as i8);
            let mut i = 0;
            loop {
                // The last block is moved back to end at `last`; its positions below `i` were
                // checked by the previous block.
                let at = i.min(last - 15);
                let a = _mm_loadu_si128(h.as_ptr().add(at) as *const __m128i);
                let b = _mm_loadu_si128(h.as_ptr().add(at + n.len() - 1) as *const __m128i);
                let hits = _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, tail));
                let mut mask = (_mm_movemask_epi8(hits) as u32) >> (i - at) << (i - at);
                while mask != 0 {
                    let c = at + mask.trailing_zeros() as usize;
                    // A byte loop: the rest is at most 7 bytes, too short for a `memcmp` call.
                    if n[1..].iter().zip(&h[c + 1..]).all(|(x, y)| x == y) {
                        return Some(c);
                    }
                    mask &= mask - 1;
                }
                if at == last - 15 {
                    return None;
                }
                i += 16;
            }
        }
    }
    find_short(h, n, last)
}

/// The first match of the (non-empty) `n` in `h` at a position up to `last = h.len() -
/// n.len()`, one position at a time.
fn find_short(h: &[u8], n: &[u8], last: usize) -> Option<usize> {
    let (first, rest) = (n[0], &n[1..]);
    (0..=last).find(|&i| h[i] == first && rest.iter().zip(&h[i + 1..]).all(|(a, b)| a == b))
}
