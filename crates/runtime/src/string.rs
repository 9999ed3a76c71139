//! Runtime strings: one allocation holding a header, the cached lengths, the capacity and the
//! bytes. Strings are immutable as values; the only mutation is [`append_unique`], which
//! appends in place to a string nobody else references (count 1) so that `s = s + piece` in a
//! loop runs in amortized linear time (see `ops::nyrt_add_consume`).

use crate::error::guard;
use crate::value::{type_id, Header, NyValue};
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

impl StrObj {
    pub fn as_str(&self) -> &str {
        // SAFETY: `alloc_str` wrote `byte_len` bytes of valid UTF-8 right after the struct.
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

/// Allocates a string object holding a copy of `s` (no spare capacity: most strings are
/// never appended to).
pub fn alloc_str(s: &str) -> *mut StrObj {
    let layout = layout_for(s.len());
    let char_len = if s.is_ascii() { s.len() } else { s.chars().count() };
    // SAFETY: the layout is non-zero sized; we initialise the header and the bytes before use.
    unsafe {
        let p = alloc(layout) as *mut StrObj;
        if p.is_null() {
            handle_alloc_error(layout);
        }
        p.write(StrObj {
            hdr: Header::new(type_id::STR),
            char_len: char_len as u64,
            byte_len: s.len() as u64,
            cap: s.len() as u64,
        });
        std::ptr::copy_nonoverlapping(s.as_ptr(), p.add(1) as *mut u8, s.len());
        p
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

/// Appends `extra` to the string `p` in place, growing its allocation geometrically (capacity
/// at least doubles, so n appends copy O(total length) bytes). Returns the possibly moved
/// object pointer; the old pointer is invalid afterwards.
///
/// # Safety
/// `p` must be a live string object whose only reference is the caller's (count 1): the
/// object may move, and nobody else may observe the change. `extra` must not point into `p`.
pub unsafe fn append_unique(mut p: *mut StrObj, extra: &str) -> *mut StrObj {
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
    let bytes = p.add(1) as *mut u8;
    std::ptr::copy_nonoverlapping(extra.as_ptr(), bytes.add(len), extra.len());
    let chars = if extra.is_ascii() { extra.len() } else { extra.chars().count() };
    (*p).byte_len = need as u64;
    (*p).char_len += chars as u64;
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
