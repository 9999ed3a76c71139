//! Immutable runtime strings: one allocation holding a header, the cached lengths and the bytes.

use crate::error::guard;
use crate::value::{type_id, Header, NyValue};
use std::alloc::{alloc, handle_alloc_error, Layout};

/// A string object; its UTF-8 bytes follow the struct in the same allocation.
#[repr(C)]
pub struct StrObj {
    hdr: Header,
    /// Number of Unicode scalar values (positions in Nyash count these).
    char_len: u64,
    byte_len: u64,
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

/// Allocates a string object holding a copy of `s`.
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
        let layout = layout_for((*p).byte_len as usize);
        std::alloc::dealloc(p as *mut u8, layout);
    }
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
