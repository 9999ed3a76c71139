//! User box instances: allocation per `nyash_mir::ir::layout` (count, type info with the box id,
//! `nfields` (tag, payload) slots at offset 16 + 16·i, then a pointer to the side table of
//! undeclared fields), freeing, and field access by name (`nyrt_field_get/set`).

use crate::error::{guard, internal_error, runtime_error};
use crate::meta::sym_name;
use crate::rc::{release, retain};
use crate::value::{tag, type_id, type_name, view, Header, NyValue, V};
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::{Cell, RefCell};

/// Offset of slot 0 and bytes per slot; must match `nyash_mir::ir::layout`.
pub const FIELDS_OFFSET: usize = 16;
pub const SLOT_SIZE: usize = 16;

/// Undeclared fields assigned at run time, by field symbol id, in assignment order.
type SideTable = RefCell<Vec<(i64, NyValue)>>;

/// The fixed part of an instance; the slots and the side-table pointer follow it.
#[repr(C)]
pub struct InstanceObj {
    hdr: Header,
}

fn layout(nfields: usize) -> Layout {
    let size = FIELDS_OFFSET + SLOT_SIZE * nfields + std::mem::size_of::<usize>();
    Layout::from_size_align(size, 8).unwrap_or_else(|_| internal_error("instance too large"))
}

impl InstanceObj {
    pub fn box_id(&self) -> usize {
        self.hdr.box_id as usize
    }
    pub fn nfields(&self) -> usize {
        self.hdr.nfields as usize
    }
    fn base(&self) -> *mut u8 {
        self as *const InstanceObj as *mut u8
    }
    /// Slot `i` (< nfields). Compiled code reads and writes slots directly, so slots are
    /// accessed through raw pointers, never through Rust references.
    pub fn slot(&self, i: usize) -> NyValue {
        debug_assert!(i < self.nfields());
        // SAFETY: the allocation holds `nfields` slots after the header.
        unsafe { (self.base().add(FIELDS_OFFSET + SLOT_SIZE * i) as *const NyValue).read() }
    }
    pub fn set_slot(&self, i: usize, v: NyValue) {
        debug_assert!(i < self.nfields());
        // SAFETY: as in `slot`.
        unsafe { (self.base().add(FIELDS_OFFSET + SLOT_SIZE * i) as *mut NyValue).write(v) }
    }
    fn side_ptr(&self) -> *mut *mut SideTable {
        // SAFETY: the word after the slots is the side-table pointer.
        unsafe {
            self.base().add(FIELDS_OFFSET + SLOT_SIZE * self.nfields()) as *mut *mut SideTable
        }
    }
    /// The side table, if any undeclared field was ever assigned.
    fn side(&self) -> Option<&SideTable> {
        // SAFETY: the pointer is null or a leaked `Box<SideTable>` owned by this object.
        unsafe { (*self.side_ptr()).as_ref() }
    }
    fn side_or_create(&self) -> &SideTable {
        // SAFETY: as in `side`; a created table is owned by the object until `free_instance`.
        unsafe {
            let p = self.side_ptr();
            if (*p).is_null() {
                *p = Box::into_raw(Box::new(RefCell::new(Vec::new())));
            }
            &**p
        }
    }
}

/// Allocates an instance of box `box_id` with every field null (count 1).
pub(crate) fn alloc_instance(box_id: usize) -> NyValue {
    let n = crate::state::nfields(box_id);
    let layout = layout(n as usize);
    // SAFETY: non-zero size; header, every slot and the side pointer are initialised below.
    unsafe {
        let p = alloc(layout);
        if p.is_null() {
            handle_alloc_error(layout);
        }
        (p as *mut Header).write(Header {
            rc: Cell::new(1),
            type_id: type_id::INSTANCE,
            flags: Cell::new(0),
            nfields: n,
            box_id: box_id as u32,
        });
        let obj = &*(p as *const InstanceObj);
        for i in 0..n as usize {
            obj.set_slot(i, NyValue::NULL);
        }
        *obj.side_ptr() = std::ptr::null_mut();
        NyValue::new(tag::INSTANCE, p as i64)
    }
}

/// Frees an instance whose count reached 0: releases its fields (slots in order, then the
/// undeclared ones), then deallocates it (or, under RC checking, keeps it with null fields).
///
/// # Safety
/// `p` must come from `alloc_instance` and have no remaining references.
pub unsafe fn free_instance(p: *mut InstanceObj, keep: bool) {
    let obj = &*p;
    let n = obj.nfields();
    let mut owned: Vec<NyValue> = Vec::with_capacity(n);
    for i in 0..n {
        owned.push(obj.slot(i));
        obj.set_slot(i, NyValue::NULL);
    }
    let side = std::mem::replace(&mut *obj.side_ptr(), std::ptr::null_mut());
    if !side.is_null() {
        owned.extend(Box::from_raw(side).into_inner().into_iter().map(|(_, v)| v));
    }
    if !keep {
        dealloc(p as *mut u8, layout(n));
    }
    crate::rc::release_all(owned);
}

/// The number of slots of an instance value, or None for other values (for the VM's checks).
pub fn instance_slot_count(v: NyValue) -> Option<usize> {
    match (v.tag == tag::INSTANCE && v.payload != 0).then(|| view(v)) {
        Some(V::Instance(o)) => Some(o.nfields()),
        _ => None,
    }
}

/// A new instance of box `box_id`, every field null (owned).
#[no_mangle]
pub extern "C" fn nyrt_new_instance(box_id: i64) -> NyValue {
    guard(|| {
        let id = usize::try_from(box_id)
            .unwrap_or_else(|_| internal_error(&format!("bad box id {box_id}")));
        alloc_instance(id)
    })
}

/// Reads field `sym` of `obj` by name (owned result): a declared slot, else an assigned
/// undeclared field, else null.
#[no_mangle]
pub extern "C" fn nyrt_field_get(tag: i64, payload: i64, sym: i64, site: i64) -> NyValue {
    guard(|| {
        let v = NyValue::new(tag, payload);
        let V::Instance(obj) = view(v) else {
            runtime_error(site, &format!("cannot read field {} of {}", sym_name(sym), type_name(v)))
        };
        let r = match crate::state::slot_of(obj.box_id(), sym) {
            Some(i) => obj.slot(i),
            None => obj
                .side()
                .and_then(|t| t.borrow().iter().find(|e| e.0 == sym).map(|e| e.1))
                .unwrap_or(NyValue::NULL),
        };
        retain(r);
        r
    })
}

/// Writes field `sym` of `obj` by name: retains the new value, releases the old one.
#[no_mangle]
pub extern "C" fn nyrt_field_set(
    tag: i64,
    payload: i64,
    sym: i64,
    vtag: i64,
    vpayload: i64,
    site: i64,
) {
    guard(|| {
        let o = NyValue::new(tag, payload);
        let V::Instance(obj) = view(o) else {
            runtime_error(site, &format!("cannot set field {} of {}", sym_name(sym), type_name(o)))
        };
        let v = NyValue::new(vtag, vpayload);
        retain(v);
        let old = match crate::state::slot_of(obj.box_id(), sym) {
            Some(i) => {
                let old = obj.slot(i);
                obj.set_slot(i, v);
                old
            }
            None => {
                let mut t = obj.side_or_create().borrow_mut();
                match t.iter_mut().find(|e| e.0 == sym) {
                    Some(e) => std::mem::replace(&mut e.1, v),
                    None => {
                        t.push((sym, v));
                        NyValue::NULL
                    }
                }
            }
        };
        // After the borrow ends: releasing may run a `fini` that touches this object.
        release(old);
    })
}

/// The box id of an instance, else -1.
#[no_mangle]
pub extern "C" fn nyrt_box_id(tag: i64, payload: i64) -> i64 {
    if tag == tag::INSTANCE && payload != 0 {
        let v = NyValue::new(tag, payload);
        crate::rc::check_live(v, "box id of");
        // SAFETY: a non-null instance payload points at a live instance header.
        unsafe { crate::value::header(v) }.box_id as i64
    } else {
        -1
    }
}
