//! MapBox objects: an insertion-ordered map from String or Int keys to values. Entries live in
//! a Vec (deleted ones become holes, compacted when they outnumber the live ones) indexed by a
//! HashMap, so iteration order is insertion order and deletion keeps the order of the rest.
//! The map owns one reference to each value; keys are copied into Rust-owned storage.

use crate::value::{type_id, view, Header, NyValue, V};
use std::cell::RefCell;
use std::collections::HashMap;

/// A map key: Ints and Strings are distinct (`1` and `"1"` are different keys).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MapKey {
    Int(i64),
    Str(Box<str>),
}

impl MapKey {
    /// The key of a value, or None if the value cannot be a key.
    pub fn of(v: NyValue) -> Option<MapKey> {
        match view(v) {
            V::Int(i) => Some(MapKey::Int(i)),
            V::Str(s) => Some(MapKey::Str(s.as_str().into())),
            _ => None,
        }
    }
    /// A fresh value for the key (owned by the caller).
    pub fn to_value(&self) -> NyValue {
        match self {
            MapKey::Int(i) => NyValue::int(*i),
            MapKey::Str(s) => NyValue::str(s),
        }
    }
}

#[derive(Default)]
pub struct MapData {
    entries: Vec<Option<(MapKey, NyValue)>>,
    index: HashMap<MapKey, usize>,
}

impl MapData {
    pub fn len(&self) -> usize {
        self.index.len()
    }
    pub fn get(&self, k: &MapKey) -> Option<NyValue> {
        let i = *self.index.get(k)?;
        self.entries[i].as_ref().map(|e| e.1)
    }
    /// Inserts or replaces; returns the replaced value (whose reference the caller now owns).
    pub fn insert(&mut self, k: MapKey, v: NyValue) -> Option<NyValue> {
        if let Some(&i) = self.index.get(&k) {
            if let Some(e) = self.entries[i].as_mut() {
                return Some(std::mem::replace(&mut e.1, v));
            }
        }
        self.index.insert(k.clone(), self.entries.len());
        self.entries.push(Some((k, v)));
        None
    }
    /// Removes `k`; returns its value (whose reference the caller now owns).
    pub fn remove(&mut self, k: &MapKey) -> Option<NyValue> {
        let i = self.index.remove(k)?;
        let (_, v) = self.entries[i].take()?;
        let holes = self.entries.len() - self.index.len();
        if holes > 16 && holes > self.index.len() {
            self.compact();
        }
        Some(v)
    }
    fn compact(&mut self) {
        self.entries.retain(|e| e.is_some());
        for (i, e) in self.entries.iter().enumerate() {
            if let Some((k, _)) = e {
                self.index.insert(k.clone(), i);
            }
        }
    }
    /// Removes everything; returns the values (whose references the caller now owns).
    pub fn take_all(&mut self) -> Vec<NyValue> {
        self.index.clear();
        std::mem::take(&mut self.entries).into_iter().flatten().map(|(_, v)| v).collect()
    }
    /// Live entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &(MapKey, NyValue)> {
        self.entries.iter().flatten()
    }
}

#[repr(C)]
pub struct MapObj {
    hdr: Header,
    pub data: RefCell<MapData>,
}

impl MapObj {
    /// The entries with a reference taken to each value (see `ArrayObj::snapshot`).
    pub fn snapshot(&self) -> Vec<(MapKey, NyValue)> {
        let entries: Vec<(MapKey, NyValue)> = self.data.borrow().iter().cloned().collect();
        entries.iter().for_each(|(_, v)| crate::rc::retain(*v));
        entries
    }
}

/// Frees a map whose count reached 0 (see `array::free_array`).
///
/// # Safety
/// `p` must come from `nyrt_new_map` and have no remaining references.
pub unsafe fn free_map(p: *mut MapObj, keep: bool) {
    let values = (*p).data.borrow_mut().take_all();
    if !keep {
        drop(Box::from_raw(p));
    }
    crate::rc::release_all(values);
}

/// A new empty MapBox.
#[no_mangle]
pub extern "C" fn nyrt_new_map() -> NyValue {
    let p = Box::into_raw(Box::new(MapObj {
        hdr: Header::new(type_id::MAP),
        data: RefCell::new(MapData::default()),
    }));
    NyValue::new(crate::value::tag::MAP, p as i64)
}
