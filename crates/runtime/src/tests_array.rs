//! Compact (typed) ArrayBox storage: every operation on an Int/Float/Bool array must match
//! the same operations on a plain list of values (the model), the array must stay compact
//! while everything stored fits its kind, turn into an array of values ("despecialize") the
//! first time something else is stored, and hold exactly one reference to each heap element.

use crate::array::{kind, ArrayObj};
use crate::rc::{ref_count, release, retain};
use crate::value::{tag, NyValue};

fn new_array(k: i64) -> NyValue {
    crate::array::nyrt_new_array_kind(k)
}

fn obj<'a>(a: NyValue) -> &'a ArrayObj {
    assert_eq!(a.tag, tag::ARRAY);
    // SAFETY: the tests own a reference to the array for as long as they use it.
    unsafe { &*(a.payload as *const ArrayObj) }
}

fn items(a: &ArrayObj) -> Vec<NyValue> {
    (0..a.len()).map(|i| a.get(i).expect("in range")).collect()
}

#[test]
fn typed_arrays_store_compactly_and_read_back_exactly() {
    let a = new_array(kind::INT);
    let o = obj(a);
    assert_eq!(o.kind(), kind::INT);
    for x in [0, -1, i64::MIN, i64::MAX, 42] {
        o.push(NyValue::int(x));
    }
    assert_eq!(o.kind(), kind::INT);
    assert_eq!(o.get(2), Some(NyValue::int(i64::MIN)));
    assert_eq!(o.get(5), None);
    release(a);

    let f = new_array(kind::FLOAT);
    let o = obj(f);
    for x in [-0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.1] {
        o.push(NyValue::float(x));
    }
    assert_eq!(o.kind(), kind::FLOAT);
    assert_eq!(o.get(0).map(|v| v.payload), Some((-0.0f64).to_bits() as i64));
    assert_eq!(o.get(1).map(|v| v.payload), Some(f64::NAN.to_bits() as i64));
    assert_eq!(crate::display::to_display_string(f), "[-0, NaN, inf, -inf, 0.1]");
    release(f);

    let b = new_array(kind::BOOL);
    let o = obj(b);
    o.push(NyValue::bool(true));
    o.push(NyValue::bool(false));
    // A Bool payload other than 0/1 is still true, and reads back as the canonical 1.
    o.push(NyValue::new(tag::BOOL, 2));
    assert_eq!(items(o), vec![NyValue::bool(true), NyValue::bool(false), NyValue::bool(true)]);
    assert_eq!(o.kind(), kind::BOOL);
    release(b);

    // An unknown kind number makes an ordinary array, never a broken one.
    let v = new_array(77);
    assert_eq!(obj(v).kind(), kind::VALUES);
    release(v);
}

#[test]
fn storing_another_type_despecializes_once() {
    for (k, fits) in [
        (kind::INT, NyValue::int(7)),
        (kind::FLOAT, NyValue::float(7.5)),
        (kind::BOOL, NyValue::bool(true)),
    ] {
        // set
        let a = new_array(k);
        let o = obj(a);
        o.push(fits);
        o.push(fits);
        let s = NyValue::str("held");
        retain(s);
        assert_eq!(o.set(1, s), Some(fits));
        assert_eq!(o.kind(), kind::VALUES);
        assert_eq!(items(o), vec![fits, s]);
        assert_eq!(ref_count(s), Some(2));
        // Now an array of values: later fitting stores keep it that way.
        o.push(fits);
        assert_eq!(o.kind(), kind::VALUES);
        release(a);
        assert_eq!(ref_count(s), Some(1));
        release(s);

        // push, insert of a different number type, and null
        for other in [NyValue::NULL, NyValue::int(1), NyValue::float(1.0)] {
            if other.tag == k {
                continue;
            }
            let a = new_array(k);
            let o = obj(a);
            o.push(fits);
            o.push(other);
            assert_eq!(o.kind(), kind::VALUES);
            assert!(o.insert(0, other));
            assert!(!o.insert(9, other));
            assert_eq!(items(o), vec![other, fits, other]);
            release(a);
        }
    }
}

#[test]
fn whole_array_operations_keep_the_kind_when_they_can() {
    let a = new_array(kind::INT);
    let o = obj(a);
    for x in [5, 3, 9, 1] {
        o.push(NyValue::int(x));
    }
    o.with_items(|v| v.sort_by_key(|x| x.payload));
    assert_eq!(o.kind(), kind::INT);
    assert_eq!(items(o), [1, 3, 5, 9].map(NyValue::int).to_vec());
    o.reverse();
    assert_eq!(items(o), [9, 5, 3, 1].map(NyValue::int).to_vec());
    let part = o.slice(1, 3);
    assert_eq!(obj(part).kind(), kind::INT);
    assert_eq!(items(obj(part)), [5, 3].map(NyValue::int).to_vec());
    release(part);
    assert_eq!(o.remove(0), Some(NyValue::int(9)));
    assert_eq!(o.remove(3), None);
    assert_eq!(o.pop(), Some(NyValue::int(1)));
    assert_eq!(o.clear(), vec![NyValue::int(5), NyValue::int(3)]);
    assert_eq!(o.kind(), kind::INT);
    assert_eq!(o.pop(), None);
    // `with_items` storing something else leaves an array of values.
    o.with_items(|v| v.push(NyValue::NULL));
    assert_eq!(o.kind(), kind::VALUES);
    release(a);
}

/// A small xorshift generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_operations_match_a_list_of_values() {
    let strs: Vec<NyValue> = (0..4).map(|i| NyValue::str(&format!("s{i}"))).collect();
    for (k, seed) in [(kind::INT, 1), (kind::FLOAT, 2), (kind::BOOL, 3), (kind::VALUES, 4)] {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
        let a = new_array(k);
        let o = obj(a);
        let mut model: Vec<NyValue> = Vec::new();
        for step in 0..4000 {
            // Mostly values of the kind; rarely (late) anything else.
            let value = |rng: &mut Rng| -> NyValue {
                if step > 3000 && rng.below(50) == 0 {
                    return match rng.below(3) {
                        0 => strs[rng.below(strs.len())],
                        1 => NyValue::NULL,
                        _ => NyValue::int(rng.below(9) as i64),
                    };
                }
                match k {
                    kind::FLOAT => NyValue::float(rng.below(100) as f64 / 8.0),
                    kind::BOOL => NyValue::bool(rng.below(2) == 1),
                    _ => NyValue::int(rng.below(1000) as i64 - 500),
                }
            };
            match rng.below(10) {
                0..=3 => {
                    let v = value(&mut rng);
                    retain(v);
                    o.push(v);
                    model.push(v);
                }
                4 | 5 if !model.is_empty() => {
                    let i = rng.below(model.len());
                    let v = value(&mut rng);
                    retain(v);
                    let old = o.set(i, v).expect("in range");
                    assert_eq!(old, std::mem::replace(&mut model[i], v));
                    release(old);
                }
                6 => {
                    let i = rng.below(model.len() + 1);
                    let v = value(&mut rng);
                    retain(v);
                    assert!(o.insert(i, v));
                    model.insert(i, v);
                }
                7 if !model.is_empty() => {
                    let i = rng.below(model.len());
                    let v = o.remove(i).expect("in range");
                    assert_eq!(v, model.remove(i));
                    release(v);
                }
                8 => {
                    let v = o.pop();
                    assert_eq!(v, model.pop());
                    release(v.unwrap_or(NyValue::NULL));
                }
                _ => {
                    o.reverse();
                    model.reverse();
                }
            }
            assert_eq!(o.len(), model.len());
            assert_eq!(items(o), model, "step {step}");
            let fits = k == kind::VALUES || model.iter().all(|v| v.tag == k);
            if !fits {
                assert_eq!(o.kind(), kind::VALUES);
            }
        }
        // The array holds one reference per String element (plus the test's own).
        for s in &strs {
            let held = model.iter().filter(|v| *v == s).count() as i64;
            assert_eq!(ref_count(*s), Some(1 + held));
        }
        release(a);
        for s in &strs {
            assert_eq!(ref_count(*s), Some(1));
        }
    }
    strs.into_iter().for_each(release);
}
