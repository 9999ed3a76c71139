//! MapBox table tests: a long pseudo-random mix of inserts, overwrites, deletes and lookups
//! against a plain ordered list (the model), checking contents, insertion order and the
//! references the map holds on String keys and values at every step.

use crate::map::MapData;
use crate::rc::{ref_count, release};
use crate::value::NyValue;

/// Keys 0..40 are Ints, 40..80 are the Strings "k0".."k39" (so `3` and `"k3"` differ).
fn key_value(k: u64) -> NyValue {
    if k < 40 {
        NyValue::int(k as i64)
    } else {
        NyValue::str(&format!("k{}", k - 40))
    }
}

/// A small xorshift generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn check(map: &MapData, model: &[(u64, i64)]) {
    assert_eq!(map.len(), model.len());
    let got: Vec<(NyValue, NyValue)> = map.iter().map(|e| (e.key, e.value)).collect();
    assert_eq!(got.len(), model.len());
    for ((k, v), &(mk, mv)) in got.iter().zip(model) {
        let want = key_value(mk);
        assert!(crate::ops::values_equal(*k, want), "key order differs");
        release(want);
        assert_eq!(*v, NyValue::int(mv));
        if k.tag == crate::value::tag::STR {
            // The map's reference is the only one left.
            assert_eq!(ref_count(*k), Some(1));
        }
    }
}

#[test]
fn map_matches_an_ordered_model() {
    let mut map = MapData::default();
    let mut model: Vec<(u64, i64)> = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for step in 0..20_000i64 {
        let k = rng.next(80);
        let key = key_value(k);
        let pos = model.iter().position(|&(mk, _)| mk == k);
        match rng.next(10) {
            0..=4 => {
                let old = map.insert(key, NyValue::int(step));
                match pos {
                    Some(p) => {
                        assert_eq!(old, Some(NyValue::int(model[p].1)));
                        model[p].1 = step;
                    }
                    None => {
                        assert_eq!(old, None);
                        model.push((k, step));
                    }
                }
            }
            5..=7 => {
                let removed = map.remove(key);
                match pos {
                    Some(p) => {
                        let e = removed.expect("a present key is removed");
                        assert_eq!(e.value, NyValue::int(model[p].1));
                        release(e.key);
                        model.remove(p);
                    }
                    None => assert!(removed.is_none()),
                }
            }
            _ => {
                let want = pos.map(|p| NyValue::int(model[p].1));
                assert_eq!(map.get(key), want);
            }
        }
        release(key);
        if step % 97 == 0 {
            check(&map, &model);
        }
    }
    check(&map, &model);
    let owned = map.take_all();
    assert_eq!(owned.len(), 2 * model.len());
    crate::rc::release_all(owned);
    assert_eq!(map.len(), 0);
    assert_eq!(map.get(NyValue::int(1)), None);
}

#[test]
fn many_keys_grow_and_shrink() {
    let mut map = MapData::default();
    let n = 50_000;
    for i in 0..n {
        let k = NyValue::str(&format!("key{i}"));
        assert_eq!(map.insert(k, NyValue::int(i)), None);
        release(k);
        assert_eq!(map.insert(NyValue::int(i), NyValue::int(-i)), None);
    }
    assert_eq!(map.len(), 2 * n as usize);
    // Delete all but every tenth: forces compaction of the entries several times.
    for i in (0..n).filter(|i| i % 10 != 0) {
        let k = NyValue::str(&format!("key{i}"));
        let e = map.remove(k).expect("present");
        release(e.key);
        release(k);
        assert!(map.remove(NyValue::int(i)).is_some());
    }
    assert_eq!(map.len(), 2 * (n as usize / 10));
    for i in 0..n {
        let k = NyValue::str(&format!("key{i}"));
        let want = (i % 10 == 0).then_some(NyValue::int(i));
        assert_eq!(map.get(k), want);
        assert_eq!(map.get(NyValue::int(i)), want.map(|_| NyValue::int(-i)));
        release(k);
    }
    let order: Vec<NyValue> = map.iter().take(4).map(|e| e.value).collect();
    assert_eq!(order, [NyValue::int(0), NyValue::int(0), NyValue::int(10), NyValue::int(-10)]);
    crate::rc::release_all(map.take_all());
}
