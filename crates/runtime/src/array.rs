//! ArrayBox objects: a growable vector of values behind a heap object header. The array owns
//! one reference to each element.

use crate::value::{type_id, Header, NyValue};
use std::cell::RefCell;

#[repr(C)]
pub struct ArrayObj {
    hdr: Header,
    pub items: RefCell<Vec<NyValue>>,
}

impl ArrayObj {
    /// A copy of the items with a reference taken to each, for code that may re-enter the
    /// runtime (display calls user `toString`) while walking them. Release with `release_all`.
    pub fn snapshot(&self) -> Vec<NyValue> {
        let items = self.items.borrow().clone();
        items.iter().for_each(|v| crate::rc::retain(*v));
        items
    }
}

/// Allocates an array that takes over the references in `items`.
pub fn alloc_array(items: Vec<NyValue>) -> *mut ArrayObj {
    Box::into_raw(Box::new(ArrayObj {
        hdr: Header::new(type_id::ARRAY),
        items: RefCell::new(items),
    }))
}

/// Frees an array whose count reached 0: releases its elements, then deallocates it (or, under
/// RC checking, keeps the emptied object so later uses can be reported).
///
/// # Safety
/// `p` must come from `alloc_array` and have no remaining references.
pub unsafe fn free_array(p: *mut ArrayObj, keep: bool) {
    let items = std::mem::take(&mut *(*p).items.borrow_mut());
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
