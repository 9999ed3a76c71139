//! Tests of `nyrt_add_consume`: in-place appends to unique strings, the copying fallback for
//! shared ones, and that results and char-length caching match `nyrt_add`.

use crate::ops::{add, add_consume};
use crate::rc::{ref_count, release, retain};
use crate::value::{view, NyValue, V};

fn text(v: NyValue) -> String {
    crate::display::to_display_string(v)
}

fn char_len(v: NyValue) -> usize {
    match view(v) {
        V::Str(s) => s.char_len(),
        _ => panic!("not a string"),
    }
}

#[test]
fn unique_string_grows_in_place() {
    let mut s = NyValue::str("");
    for i in 0..1000 {
        let piece = NyValue::int(i % 10);
        s = add_consume(s, piece, 0);
    }
    assert_eq!(char_len(s), 1000);
    assert_eq!(ref_count(s), Some(1));
    assert!(text(s).starts_with("0123456789"));
    release(s);
}

#[test]
fn shared_string_is_copied_and_released() {
    let s = NyValue::str("ab");
    retain(s); // a second holder
    let r = add_consume(s, NyValue::str("c"), 0);
    assert_ne!(r.payload, s.payload);
    assert_eq!(text(r), "abc");
    assert_eq!(text(s), "ab");
    assert_eq!(ref_count(s), Some(1)); // the consumed reference was dropped
    release(r);
    release(s);
}

#[test]
fn results_match_add_for_mixed_operands() {
    let cases = [
        (NyValue::str("é"), NyValue::str("ü€")),
        (NyValue::str("x"), NyValue::float(1.5)),
        (NyValue::str("x"), NyValue::bool(true)),
        (NyValue::int(1), NyValue::int(2)),
        (NyValue::float(1.0), NyValue::int(2)),
    ];
    for (a, b) in cases {
        let expect = add(a, b, 0);
        let got = add_consume(a, b, 0);
        assert_eq!(text(got), text(expect));
        if matches!(view(got), V::Str(_)) {
            assert_eq!(char_len(got), char_len(expect));
        }
        release(expect);
        release(got);
        release(b);
    }
}

#[test]
fn self_append_reads_before_writing() {
    let s = NyValue::str("ab");
    let r = add_consume(s, s, 0);
    assert_eq!(text(r), "abab");
    assert_eq!(char_len(r), 4);
    release(r);
}
