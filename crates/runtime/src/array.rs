//! ArrayBox: a growable vector of values behind a heap object header.

use crate::value::{type_id, Header, NyValue};
use std::cell::RefCell;

#[repr(C)]
pub struct ArrayObj {
    hdr: Header,
    pub items: RefCell<Vec<NyValue>>,
}

impl ArrayObj {
    #[allow(dead_code)] // read by reference counting (next issue)
    pub fn header(&self) -> &Header {
        &self.hdr
    }
}

pub fn alloc_array(items: Vec<NyValue>) -> *mut ArrayObj {
    Box::into_raw(Box::new(ArrayObj {
        hdr: Header::new(type_id::ARRAY),
        items: RefCell::new(items),
    }))
}
