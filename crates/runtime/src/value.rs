//! Runtime values: the two-word `NyValue`, type tags, the heap object header, and a typed view.

use crate::array::ArrayObj;
use crate::instance::InstanceObj;
use crate::map::MapObj;
use crate::string::StrObj;
use std::borrow::Cow;
use std::cell::Cell;

/// Value tags: the first word of every dynamic value. Must match `nyash_mir::ir::tag`.
pub mod tag {
    pub const NULL: i64 = 0;
    pub const INT: i64 = 1;
    /// Payload: the f64 bits.
    pub const FLOAT: i64 = 2;
    /// Payload: 0 or 1.
    pub const BOOL: i64 = 3;
    /// Payload: a `*const StrObj`.
    pub const STR: i64 = 4;
    /// Payload: a `*const ArrayObj`.
    pub const ARRAY: i64 = 5;
    /// Payload: a `*const MapObj`.
    pub const MAP: i64 = 6;
    /// Payload: a pointer to an instance object (layout in `instance`).
    pub const INSTANCE: i64 = 7;
    /// Payload: a `*const PlainObj` (no state besides the header).
    pub const CONSOLE: i64 = 8;
    /// Payload: a `*const PlainObj`.
    pub const MATH: i64 = 9;
}

/// True for tags whose payload points at a reference-counted heap object.
#[inline(always)]
pub fn is_heap_tag(t: i64) -> bool {
    (t as u64).wrapping_sub(tag::STR as u64) <= (tag::MATH - tag::STR) as u64
}

/// A dynamic value as it crosses the C ABI (returned in RAX:RDX on x86-64).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NyValue {
    pub tag: i64,
    pub payload: i64,
}

impl NyValue {
    pub const NULL: NyValue = NyValue { tag: tag::NULL, payload: 0 };

    pub fn new(tag: i64, payload: i64) -> NyValue {
        NyValue { tag, payload }
    }
    pub fn int(i: i64) -> NyValue {
        NyValue { tag: tag::INT, payload: i }
    }
    pub fn float(f: f64) -> NyValue {
        NyValue { tag: tag::FLOAT, payload: f.to_bits() as i64 }
    }
    pub fn bool(b: bool) -> NyValue {
        NyValue { tag: tag::BOOL, payload: b as i64 }
    }
    /// A fresh runtime string holding a copy of `s` (count 1, owned by the caller).
    pub fn str(s: &str) -> NyValue {
        NyValue { tag: tag::STR, payload: crate::string::alloc_str(s) as i64 }
    }
    /// A fresh ArrayBox holding `items`, whose references it takes over (count 1).
    pub fn array(items: Vec<NyValue>) -> NyValue {
        NyValue { tag: tag::ARRAY, payload: crate::array::alloc_array(items) as i64 }
    }
}

/// Type ids stored in heap object headers.
pub mod type_id {
    pub const STR: u8 = 1;
    pub const ARRAY: u8 = 2;
    pub const MAP: u8 = 3;
    pub const INSTANCE: u8 = 4;
    pub const CONSOLE: u8 = 5;
    pub const MATH: u8 = 6;
}

/// Header flag bits.
pub mod flags {
    /// `fini` has run (or is running): it never runs again.
    pub const FINALIZED: u8 = 1;
    /// Freed while `NYASH_RC_CHECK=1`: the memory is kept but any use is reported.
    pub const DEAD: u8 = 2;
}

/// The first 16 bytes of every heap object. Word 0 is the reference count (instances' layout
/// in `nyash_mir::ir::layout` relies on this); word 1 is type information.
#[repr(C)]
pub struct Header {
    pub rc: Cell<i64>,
    pub type_id: u8,
    pub flags: Cell<u8>,
    /// Number of field slots (instances only).
    pub nfields: u16,
    /// The user box id (instances only).
    pub box_id: u32,
}

const _: () = assert!(std::mem::size_of::<Header>() == 16);

/// Byte offset of the reference count in every heap object (`nyash_mir::ir::layout::
/// REFCOUNT_OFFSET`). The native backends retain/release inline: they increment a count >= 1
/// and decrement a count > 1 in place, and call `nyrt_retain`/`nyrt_release` otherwise. So a
/// live object's count is always >= 1, and an object freed under `NYASH_RC_CHECK=1` must keep
/// count 0 (then every inline access falls back to the runtime, which reports the use).
pub const REFCOUNT_OFFSET: usize = 0;
const _: () = assert!(std::mem::offset_of!(Header, rc) == REFCOUNT_OFFSET);

/// The count of an immortal object (string literals; `nyash_mir::ir::layout::
/// IMMORTAL_REFCOUNT`): no program adds or drops 2^62 references, so it never reaches 1 or 0.
pub const IMMORTAL_REFCOUNT: i64 = 1 << 62;

/// Byte offset of the type word (type id, flags, field count, box id) in every heap object
/// (`nyash_mir::ir::layout::TYPE_WORD_OFFSET`).
pub const TYPE_WORD_OFFSET: usize = 8;
const _: () = assert!(std::mem::offset_of!(Header, type_id) == TYPE_WORD_OFFSET);

impl Header {
    pub fn new(type_id: u8) -> Header {
        Header { rc: Cell::new(1), type_id, flags: Cell::new(0), nfields: 0, box_id: 0 }
    }
    pub fn is_dead(&self) -> bool {
        self.flags.get() & flags::DEAD != 0
    }
}

/// A heap object with no state besides its header (ConsoleBox, MathBox).
#[repr(C)]
pub struct PlainObj {
    pub hdr: Header,
}

/// The header of a heap value (`is_heap_tag(v.tag)` must hold).
///
/// # Safety
/// `v` must be a live (or, under RC checking, poisoned) heap value.
#[inline(always)]
pub unsafe fn header<'a>(v: NyValue) -> &'a Header {
    &*(v.payload as *const Header)
}

/// A decoded value. Heap references borrow the object; the caller must hold a reference to it
/// for as long as it uses the view.
#[derive(Clone, Copy)]
pub enum V<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(&'a StrObj),
    Array(&'a ArrayObj),
    Map(&'a MapObj),
    Instance(&'a InstanceObj),
    Console,
    Math,
}

/// Decodes a value. An unknown tag or a null object pointer is a bug in the caller and is
/// reported as an internal error, as is (under `NYASH_RC_CHECK=1`) a freed object.
pub fn view<'a>(v: NyValue) -> V<'a> {
    if is_heap_tag(v.tag) {
        if v.payload == 0 {
            bad_value(v);
        }
        crate::rc::check_live(v, "use");
    }
    // SAFETY (all arms): heap payloads point at live objects of the tag's type (checked above
    // for null; liveness is the compiler's reference counting contract).
    match v.tag {
        tag::NULL => V::Null,
        tag::INT => V::Int(v.payload),
        tag::FLOAT => V::Float(f64::from_bits(v.payload as u64)),
        tag::BOOL => V::Bool(v.payload != 0),
        tag::STR => V::Str(unsafe { &*(v.payload as *const StrObj) }),
        tag::ARRAY => V::Array(unsafe { &*(v.payload as *const ArrayObj) }),
        tag::MAP => V::Map(unsafe { &*(v.payload as *const MapObj) }),
        tag::INSTANCE => V::Instance(unsafe { &*(v.payload as *const InstanceObj) }),
        tag::CONSOLE => V::Console,
        tag::MATH => V::Math,
        _ => bad_value(v),
    }
}

fn bad_value(v: NyValue) -> ! {
    crate::error::internal_error(&format!(
        "invalid value (tag {}, payload {:#x})",
        v.tag, v.payload
    ))
}

/// The type name used in runtime error messages (`Int Float Bool String Null ArrayBox MapBox
/// ConsoleBox MathBox`, or the user box name of an instance).
pub fn type_name(v: NyValue) -> Cow<'static, str> {
    Cow::Borrowed(match v.tag {
        tag::NULL => "Null",
        tag::INT => "Int",
        tag::FLOAT => "Float",
        tag::BOOL => "Bool",
        tag::STR => "String",
        tag::ARRAY => "ArrayBox",
        tag::MAP => "MapBox",
        tag::CONSOLE => "ConsoleBox",
        tag::MATH => "MathBox",
        tag::INSTANCE if v.payload != 0 => {
            // SAFETY: a non-null instance payload points at an instance header.
            let id = unsafe { header(v) }.box_id;
            return Cow::Owned(crate::meta::box_name(id as usize));
        }
        _ => "<invalid>",
    })
}

fn new_plain(t: i64, id: u8) -> NyValue {
    NyValue::new(t, Box::into_raw(Box::new(PlainObj { hdr: Header::new(id) })) as i64)
}

/// A new ConsoleBox (owned).
#[no_mangle]
pub extern "C" fn nyrt_new_console() -> NyValue {
    new_plain(tag::CONSOLE, type_id::CONSOLE)
}

/// A new MathBox (owned).
#[no_mangle]
pub extern "C" fn nyrt_new_math() -> NyValue {
    new_plain(tag::MATH, type_id::MATH)
}
