//! Runtime values: the two-word `NyValue`, type tags, the heap object header, and a typed view.

use crate::array::ArrayObj;
use crate::string::StrObj;
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
    /// A fresh runtime string holding a copy of `s`.
    pub fn str(s: &str) -> NyValue {
        NyValue { tag: tag::STR, payload: crate::string::alloc_str(s) as i64 }
    }
    /// A fresh ArrayBox holding `items`.
    pub fn array(items: Vec<NyValue>) -> NyValue {
        NyValue { tag: tag::ARRAY, payload: crate::array::alloc_array(items) as i64 }
    }
}

/// Type ids stored in heap object headers.
pub mod type_id {
    pub const STR: u32 = 1;
    pub const ARRAY: u32 = 2;
}

/// The first field of every heap object. The count is not maintained yet (the compiler does
/// not emit retain/release); objects are currently never freed.
#[repr(C)]
pub struct Header {
    pub rc: Cell<u64>,
    pub type_id: u32,
}

impl Header {
    pub fn new(type_id: u32) -> Header {
        Header { rc: Cell::new(1), type_id }
    }
}

/// A decoded value. Heap references borrow the object, which lives as long as the program
/// (nothing is freed yet).
#[derive(Clone, Copy)]
pub enum V<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(&'a StrObj),
    Array(&'a ArrayObj),
}

/// Decodes a value. An unknown tag or a null object pointer is a bug in the caller and is
/// reported as an internal error.
pub fn view<'a>(v: NyValue) -> V<'a> {
    match v.tag {
        tag::NULL => V::Null,
        tag::INT => V::Int(v.payload),
        tag::FLOAT => V::Float(f64::from_bits(v.payload as u64)),
        tag::BOOL => V::Bool(v.payload != 0),
        tag::STR if v.payload != 0 => V::Str(unsafe { &*(v.payload as *const StrObj) }),
        tag::ARRAY if v.payload != 0 => V::Array(unsafe { &*(v.payload as *const ArrayObj) }),
        _ => crate::error::internal_error(&format!(
            "invalid value (tag {}, payload {:#x})",
            v.tag, v.payload
        )),
    }
}

/// The type name used in runtime error messages (`Int Float Bool String Null ArrayBox`).
pub fn type_name(v: NyValue) -> &'static str {
    match v.tag {
        tag::NULL => "Null",
        tag::INT => "Int",
        tag::FLOAT => "Float",
        tag::BOOL => "Bool",
        tag::STR => "String",
        tag::ARRAY => "ArrayBox",
        _ => "<invalid>",
    }
}
