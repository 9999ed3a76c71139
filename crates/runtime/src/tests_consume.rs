//! Tests of `nyrt_add_consume`: in-place appends to unique strings, the copying fallback for
//! shared ones and immortal literals, that results and char-length caching match `nyrt_add`,
//! and the string building blocks (`alloc_concat`, `StrBuilder`, `find`, `format_int`).

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

#[test]
fn immortal_literal_is_never_appended_to_or_freed() {
    let lits = crate::string::Literals::new(["lit", "é"]);
    let s = lits.get(0).unwrap();
    let count = ref_count(s).unwrap();
    assert_eq!(count, crate::value::IMMORTAL_REFCOUNT);
    // `s = s + x` on a literal: a new string; the literal's (owned) reference is dropped.
    let r = add_consume(s, NyValue::int(7), 0);
    assert_ne!(r.payload, s.payload);
    assert_eq!(text(r), "lit7");
    assert_eq!(text(s), "lit");
    assert_eq!(ref_count(s), Some(count - 1));
    retain(s);
    release(r);
    let u = lits.get(1).unwrap();
    assert_eq!(char_len(u), 1);
    let r = add(u, u, 0);
    assert_eq!((text(r), char_len(r)), ("éé".to_string(), 2));
    release(r);
    assert!(lits.get(2).is_none());
}

#[test]
fn concatenation_counts_chars_of_every_piece() {
    for (a, b) in [
        (NyValue::str("ab"), NyValue::int(-12)),
        (NyValue::str("é"), NyValue::str("ü!")),
        (NyValue::int(i64::MIN), NyValue::str("x")),
        (NyValue::str(""), NyValue::bool(false)),
        (NyValue::str("f="), NyValue::float(1.5)),
    ] {
        let r = add(a, b, 0);
        let want = format!("{}{}", text(a), text(b));
        assert_eq!(text(r), want);
        assert_eq!(char_len(r), want.chars().count());
        // In place, from a unique copy of `a`.
        let c = add_consume(NyValue::str(&text(a)), b, 0);
        assert_eq!((text(c), char_len(c)), (want.clone(), want.chars().count()));
        for v in [a, b, r, c] {
            release(v);
        }
    }
}

#[test]
fn format_int_matches_std() {
    for i in [0, 7, -7, 10, 99, -100, 1234567890, i64::MAX, i64::MIN, i64::MIN + 1] {
        assert_eq!(crate::display::format_int(i, &mut [0; 20]), i.to_string());
    }
}

#[test]
fn find_matches_std() {
    let hays =
        ["", "a", "aaab", "the quick brown fox", "éxé éé fox", "ab\u{10348}ab", "xxxxxxxxxy"];
    let needles =
        ["", "a", "ab", "aab", "fox", "é", "éé", "\u{10348}a", "xxy", "xxxxxxxxxy", "zzzzzzzzzzz"];
    for h in hays {
        for n in needles {
            assert_eq!(crate::string::find(h, n), h.find(n), "{h:?}.find({n:?})");
        }
    }
}

#[test]
fn find_matches_std_on_long_haystacks() {
    // Long enough for the 16-position blocks (and the last block that overlaps the one before
    // it): matches in every block position, at the very end, near-misses on the first or last
    // byte only, and non-ASCII text around them.
    let mut hays: Vec<String> = Vec::new();
    for len in [15usize, 16, 17, 18, 31, 32, 33, 47, 64, 65, 100] {
        let base: String = (0..len).map(|i| (b'a' + (i % 7) as u8) as char).collect();
        for at in [0, 1, 7, 14, 15, 16, 17, 30, 31, 32, len.saturating_sub(3), len - 1] {
            if at < len {
                let mut h = base.clone();
                h.replace_range(at..at + 1, "X");
                hays.push(h.clone());
                h.push_str("XyZ");
                hays.push(h);
            }
        }
        hays.push(format!("é{base}ü fox"));
        hays.push(base);
    }
    hays.push("xXyZ".repeat(20));
    hays.push("fo fx ox fox".repeat(4));
    let needles = ["X", "XyZ", "Xy", "aX", "Xb", "fox", "ü f", "é", "gX", "ZZ", "abcdefga", "a"];
    for h in &hays {
        for n in needles {
            assert_eq!(crate::string::find(h, n), h.find(n), "{h:?}.find({n:?})");
        }
    }
}

#[test]
fn builder_sizes_and_counts() {
    let mut b = crate::string::StrBuilder::with_capacity(2);
    for piece in ["ab", "ü", "", "long enough to force a reallocation"] {
        b.push(piece, None);
    }
    b.push("é", Some(1));
    let s = b.finish();
    assert_eq!(text(s), "abülong enough to force a reallocationé");
    assert_eq!(char_len(s), text(s).chars().count());
    release(s);
    // Dropping an unfinished builder frees its object.
    drop(crate::string::StrBuilder::with_capacity(8));
}

#[test]
fn add_substring_appends_in_place_or_copies() {
    use crate::{nyrt_str_add_substring1, nyrt_str_add_substring2};
    use crate::{nyrt_str_substring_head1, nyrt_str_substring_head2};
    let int = crate::value::tag::INT;
    let src = NyValue::str("héllo wörld");
    // A unique left operand grows in place; the piece's characters are counted.
    let acc = NyValue::str("ab");
    let r = nyrt_str_add_substring2(
        acc.tag,
        acc.payload,
        src.tag,
        src.payload,
        int,
        1,
        int,
        4,
        0,
        0,
        0,
    );
    assert_eq!(text(r), "abéll");
    assert_eq!(char_len(r), 5);
    assert_eq!(ref_count(r), Some(1));
    // A shared one is copied: the other holder keeps its text and one reference less.
    retain(r);
    let r2 = nyrt_str_add_substring1(r.tag, r.payload, src.tag, src.payload, int, 6, 0, 0, 0);
    assert_eq!(text(r2), "abéllwörld");
    assert_eq!(text(r), "abéll");
    assert_eq!(ref_count(r), Some(1));
    // The piece may come from the left operand itself.
    let r3 = nyrt_str_add_substring1(r.tag, r.payload, r.tag, r.payload, int, 2, 0, 0, 0);
    assert_eq!(text(r3), "abélléll");
    assert_eq!(char_len(r3), 8);
    // Positions clamp like `substring`.
    let r4 = nyrt_str_add_substring2(
        r3.tag,
        r3.payload,
        src.tag,
        src.payload,
        int,
        -5,
        int,
        99,
        0,
        0,
        0,
    );
    assert_eq!(text(r4), "abélléllhéllo wörld");
    let r5 =
        nyrt_str_add_substring2(r4.tag, r4.payload, src.tag, src.payload, int, 4, int, 2, 0, 0, 0);
    assert_eq!(text(r5), "abélléllhéllo wörld");
    assert_eq!(char_len(r5), 19);
    // A head substring has the same text, with room to grow.
    let h = nyrt_str_substring_head2(src.tag, src.payload, int, 0, int, 5, 0, 0);
    assert_eq!(text(h), "héllo");
    let h1 = nyrt_str_substring_head1(src.tag, src.payload, int, 6, 0, 0);
    assert_eq!((text(h1).as_str(), char_len(h1)), ("wörld", 5));
    for v in [r2, r5, h, h1, src] {
        release(v);
    }
}
