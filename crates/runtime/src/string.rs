//! Runtime strings: one allocation holding a header, the cached lengths, the capacity and the
//! bytes. Strings are immutable as values; the only mutation is [`append_unique`], which
//! appends in place to a string nobody else references (count 1) so that `s = s + piece` in a
//! loop runs in amortized linear time (see `ops::nyrt_add_consume`). String literals are
//! immortal objects of the same layout, made once per program (see [`Literals`]).

use crate::error::guard;
use crate::value::{type_id, Header, NyValue, IMMORTAL_REFCOUNT};
use std::alloc::{alloc, handle_alloc_error, realloc, Layout};

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

/// Characters in `s` (Unicode scalar values); `known` when the caller already has the count.
fn count_chars(s: &str, known: Option<usize>) -> usize {
    match known {
        Some(n) => n,
        None if s.is_ascii() => s.len(),
        None => s.chars().count(),
    }
}

/// Allocates a string object with room for `cap` bytes and no text yet (count 1).
fn alloc_empty(cap: usize) -> *mut StrObj {
    let layout = layout_for(cap);
    // SAFETY: the layout is non-zero sized; the header is initialised here and the bytes
    // (`byte_len` 0 of them) by whoever appends.
    unsafe {
        let p = alloc(layout) as *mut StrObj;
        if p.is_null() {
            handle_alloc_error(layout);
        }
        p.write(StrObj {
            hdr: Header::new(type_id::STR),
            char_len: 0,
            byte_len: 0,
            cap: cap as u64,
        });
        p
    }
}

/// Allocates a string object holding a copy of `s` (no spare capacity: most strings are
/// never appended to).
pub fn alloc_str(s: &str) -> *mut StrObj {
    alloc_concat(&[(s, None)])
}

/// A string object holding the concatenation of `parts`, each with its character count when
/// the caller knows it (a String's cached count, an ASCII number), so no part is scanned
/// twice. Exactly sized; one allocation, one copy of each part.
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
                let p = alloc_str(t);
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
        let layout = layout_for((*p).cap as usize);
        std::alloc::dealloc(p as *mut u8, layout);
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
        let new_cap = need.max(cap.saturating_mul(2)).max(32);
        let new_layout = layout_for(new_cap);
        let q = realloc(p as *mut u8, layout_for(cap), new_layout.size()) as *mut StrObj;
        if q.is_null() {
            handle_alloc_error(new_layout);
        }
        p = q;
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
pub fn byte_offset(s: &StrObj, pos: usize) -> usize {
    if s.is_ascii() {
        return pos;
    }
    let t = s.as_str();
    t.char_indices().nth(pos).map(|(b, _)| b).unwrap_or(t.len())
}

/// Character position of byte offset `b` (a char boundary).
pub fn char_pos(s: &StrObj, b: usize) -> usize {
    if s.is_ascii() {
        b
    } else {
        s.as_str()[..b].chars().count()
    }
}

/// Needles up to this many bytes are searched by scanning for their first byte and comparing
/// the rest (at most this many byte compares per haystack position, so still linear); longer
/// ones use the standard library's two-way search, whose set-up costs more than a short
/// search.
const SHORT_NEEDLE: usize = 8;

/// Byte offset of the first occurrence of `needle` in `hay` (exactly `hay.find(needle)`).
/// A byte-level match of valid UTF-8 in valid UTF-8 always starts on a char boundary (the
/// needle's first byte is never a continuation byte), so byte search gives the same answer.
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else { return Some(0) };
    if n.len() > SHORT_NEEDLE {
        return hay.find(needle);
    }
    let last = h.len().checked_sub(n.len())?;
    let mut i = 0;
    while i <= last {
        i += if first.is_ascii() {
            // `str::find(char)` of an ASCII char is the standard library's word-at-a-time
            // memchr. `i` is a char boundary: 0, or just past an ASCII byte.
            hay[i..].find(first as char)?
        } else {
            h[i..=last].iter().position(|&c| c == first)?
        };
        if i > last {
            return None;
        }
        if &h[i + 1..i + n.len()] == rest {
            return Some(i);
        }
        i += 1;
    }
    None
}
