//! MapBox objects: an insertion-ordered map from String or Int keys to values.
//!
//! Layout (a "compact dict"): `entries` holds the `(key, value)` pairs in insertion order
//! (a deleted entry becomes a hole, and holes are compacted away when they outnumber the live
//! entries), so iteration order is insertion order and deletion keeps the order of the rest.
//! `slots` is an open-addressing index over the live entries (linear probing, power-of-two
//! size, at most half full). Each slot is one word: 0 when empty, else the high 32 bits of the
//! key's hash and `entry index + 1`. A probe compares those hash bits before it looks at an
//! entry, so a lookup touches the entry (and a String key's bytes) only for a likely match,
//! and growing the index never touches the entries or rehashes a key.
//!
//! Keys are Int or String values; the map owns one reference to each String key and to each
//! value. Strings are immutable as values (the only in-place change, `append_unique`, needs a
//! count of 1, and the map's reference keeps the count above 1), so the key object itself is
//! stored rather than a copy of its text. Ints and Strings are distinct keys (`1` != `"1"`).

use crate::value::{tag, type_id, view, Header, NyValue, V};
use std::cell::RefCell;

/// True if `v` can be a map key (an Int or a String).
#[inline]
pub fn is_key(v: NyValue) -> bool {
    v.tag == tag::INT || v.tag == tag::STR
}

/// The bytes of a String key (`k.tag == tag::STR`, a live string the caller holds).
#[inline]
fn key_bytes<'a>(k: NyValue) -> &'a [u8] {
    match view(k) {
        V::Str(s) => s.as_str().as_bytes(),
        _ => &[],
    }
}

/// A fast non-cryptographic hash of a key (FxHash-style word mixing plus a final avalanche,
/// because the index uses the high bits). Not DoS-resistant, which Nyash programs do not need.
fn hash_key(k: NyValue) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = if k.tag == tag::INT {
        (k.payload as u64).wrapping_mul(K)
    } else {
        let bytes = key_bytes(k);
        let mut h = (bytes.len() as u64).wrapping_mul(K) ^ 0x2545_f491_4f6c_dd1d;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
        }
        h
    };
    // murmur3's fmix64: every input bit affects the high bits the index uses.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Key equality: same type, and the same Int or the same text.
#[inline]
fn key_eq(a: NyValue, b: NyValue) -> bool {
    a.tag == b.tag
        && (a.payload == b.payload || (a.tag == tag::STR && key_bytes(a) == key_bytes(b)))
}

/// A live entry, or a hole (key `NULL`) left by a deletion.
#[derive(Clone, Copy)]
pub struct Entry {
    pub key: NyValue,
    pub value: NyValue,
}

/// The hash bits kept in a slot (also where its probe starts).
#[inline]
fn slot_hash(s: u64) -> u32 {
    (s >> 32) as u32
}

#[inline]
fn slot_entry(s: u64) -> usize {
    (s as u32 - 1) as usize
}

#[inline]
fn make_slot(h: u32, entry: usize) -> u64 {
    ((h as u64) << 32) | (entry as u64 + 1)
}

#[derive(Default)]
pub struct MapData {
    entries: Vec<Entry>,
    /// Empty, or a power-of-two number of slots at least twice the number of live entries.
    slots: Vec<u64>,
    live: usize,
}

/// Where a key is (`Ok(slot)`) or where it would be inserted (`Err(empty slot)`).
type Probe = Result<usize, usize>;

impl MapData {
    pub fn len(&self) -> usize {
        self.live
    }

    /// Finds `key` (hash bits `h`) in a non-empty index.
    #[inline]
    fn probe(&self, key: NyValue, h: u32) -> Probe {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Err(i);
            }
            if slot_hash(s) == h && key_eq(self.entries[slot_entry(s)].key, key) {
                return Ok(i);
            }
            i = (i + 1) & mask;
        }
    }

    fn find(&self, key: NyValue) -> Option<usize> {
        if self.live == 0 {
            return None;
        }
        let h = (hash_key(key) >> 32) as u32;
        self.probe(key, h).ok().map(|i| slot_entry(self.slots[i]))
    }

    /// The value for `key` (not retained). `key` must satisfy [`is_key`].
    pub fn get(&self, key: NyValue) -> Option<NyValue> {
        self.find(key).map(|e| self.entries[e].value)
    }

    /// The first empty slot of the probe run starting at `h` (the index is never full).
    fn empty_slot(&self, h: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// Rebuilds the index with `n` slots (a power of two above twice the live count) from the
    /// hash bits the old slots keep.
    fn resize(&mut self, n: usize) {
        let old = std::mem::replace(&mut self.slots, vec![0; n]);
        for s in old.into_iter().filter(|&s| s != 0) {
            let i = self.empty_slot(slot_hash(s));
            self.slots[i] = s;
        }
    }

    /// Inserts or replaces. `key` (which must satisfy [`is_key`]) and `value` are borrowed:
    /// the map retains `value`, and `key` when it adds a new entry. Returns the replaced value,
    /// whose reference the caller now owns (and must release outside any borrow of the map:
    /// a `fini` may run).
    pub fn insert(&mut self, key: NyValue, value: NyValue) -> Option<NyValue> {
        let h = (hash_key(key) >> 32) as u32;
        let mut at = None;
        if !self.slots.is_empty() {
            match self.probe(key, h) {
                Ok(i) => {
                    crate::rc::retain(value);
                    let e = &mut self.entries[slot_entry(self.slots[i])];
                    return Some(std::mem::replace(&mut e.value, value));
                }
                Err(i) => at = Some(i),
            }
        }
        if (self.live + 1) * 2 > self.slots.len() {
            self.resize((self.slots.len() * 2).max(8));
            at = None;
        }
        if self.entries.len() >= u32::MAX as usize - 1 {
            crate::error::internal_error("MapBox too large");
        }
        let i = at.unwrap_or_else(|| self.empty_slot(h));
        crate::rc::retain(key);
        crate::rc::retain(value);
        self.slots[i] = make_slot(h, self.entries.len());
        self.entries.push(Entry { key, value });
        self.live += 1;
        None
    }

    /// Removes `key`; returns its entry (whose references the caller now owns).
    pub fn remove(&mut self, key: NyValue) -> Option<Entry> {
        if self.live == 0 {
            return None;
        }
        let h = (hash_key(key) >> 32) as u32;
        let i = self.probe(key, h).ok()?;
        let e = slot_entry(self.slots[i]);
        let removed = std::mem::replace(
            &mut self.entries[e],
            Entry { key: NyValue::NULL, value: NyValue::NULL },
        );
        self.delete_slot(i);
        self.live -= 1;
        let holes = self.entries.len() - self.live;
        if self.live == 0 {
            self.entries.clear();
        } else if holes > 16 && holes > self.live {
            self.compact();
        }
        Some(removed)
    }

    /// Empties slot `i` by backward-shift deletion: later slots of the same probe run move
    /// back so that every key stays reachable from its start slot without tombstones.
    fn delete_slot(&mut self, mut i: usize) {
        let mask = self.slots.len() - 1;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s == 0 {
                break;
            }
            // `s` may move to `i` unless its start slot lies cyclically in (i, j].
            let start = slot_hash(s) as usize & mask;
            if (j.wrapping_sub(start) & mask) >= (j.wrapping_sub(i) & mask) {
                self.slots[i] = s;
                i = j;
            }
        }
        self.slots[i] = 0;
    }

    /// Drops the holes from `entries` and renumbers the slots.
    fn compact(&mut self) {
        let mut renumber = vec![0u32; self.entries.len()];
        let mut next = 0u32;
        for (old, e) in self.entries.iter().enumerate() {
            if e.key.tag != tag::NULL {
                renumber[old] = next;
                next += 1;
            }
        }
        self.entries.retain(|e| e.key.tag != tag::NULL);
        for s in self.slots.iter_mut().filter(|s| **s != 0) {
            *s = make_slot(slot_hash(*s), renumber[slot_entry(*s)] as usize);
        }
    }

    /// Removes everything; returns the keys and values (whose references the caller now
    /// owns), values in insertion order.
    pub fn take_all(&mut self) -> Vec<NyValue> {
        let entries = std::mem::take(&mut self.entries);
        self.slots = Vec::new();
        self.live = 0;
        let live = entries.iter().filter(|e| e.key.tag != tag::NULL);
        let values = live.clone().map(|e| e.value);
        values.chain(live.map(|e| e.key)).collect()
    }

    /// Live entries in insertion order (neither keys nor values retained).
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.key.tag != tag::NULL)
    }
}

#[repr(C)]
pub struct MapObj {
    hdr: Header,
    pub data: RefCell<MapData>,
}

impl MapObj {
    /// The entries with a reference taken to each key and value (see `ArrayObj::snapshot`).
    /// Release both with `release_entries`.
    pub fn snapshot(&self) -> Vec<Entry> {
        let entries: Vec<Entry> = self.data.borrow().iter().copied().collect();
        for e in &entries {
            crate::rc::retain(e.key);
            crate::rc::retain(e.value);
        }
        entries
    }
}

/// Releases the keys and values of a `snapshot`.
pub fn release_entries(entries: Vec<Entry>) {
    crate::rc::release_all(entries.into_iter().flat_map(|e| [e.key, e.value]));
}

/// Frees a map whose count reached 0 (see `array::free_array`).
///
/// # Safety
/// `p` must come from `nyrt_new_map` and have no remaining references.
pub unsafe fn free_map(p: *mut MapObj, keep: bool) {
    let owned = (*p).data.borrow_mut().take_all();
    if !keep {
        drop(Box::from_raw(p));
    }
    crate::rc::release_all(owned);
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
