//! Legalization's string-building rewrites: `acc + s.substring(..)` fused into one runtime
//! call when the `+` takes over `acc` and nothing else uses the substring, room reserved in a
//! substring that a `+` appends to next, and `s.concat(x)` on a String as `s + x` when `x`
//! cannot be null.

mod common;

/// The legal MIR of `Main.main` in `src`.
fn main_text(src: &str) -> String {
    let text = common::compile_text(src);
    let main = text.split("\n\n").find(|t| t.starts_with("fn Main.main"));
    main.unwrap_or_else(|| panic!("no Main.main in:\n{text}")).to_string()
}

fn count(text: &str, what: &str) -> usize {
    text.matches(what).count()
}

#[test]
fn splice_fuses_both_substrings() {
    let t = main_text(
        r#"
static box Main {
    main() {
        local line = "the quick brown fox"
        local pos = line.indexOf("fox")
        line = line.substring(0, pos) + "cat" + line.substring(pos + 3)
        print(line)
    }
}
"#,
    );
    assert_eq!(count(&t, "nyrt_str_substring_head2("), 1, "{t}");
    assert_eq!(count(&t, "nyrt_str_add_substring1("), 1, "{t}");
    assert_eq!(count(&t, ".substring("), 0, "{t}");
}

#[test]
fn concat_chain_becomes_appends() {
    let t = main_text(
        r#"
static box Main {
    main() {
        local line = "the quick brown cat"
        local pos = line.indexOf("cat")
        line = line.substring(0, pos).concat("fox").concat(line.substring(pos + 3))
        print(line.concat(1).concat(true))
    }
}
"#,
    );
    assert_eq!(count(&t, ".concat("), 0, "{t}");
    assert_eq!(count(&t, "nyrt_str_substring_head2("), 1, "{t}");
    assert_eq!(count(&t, "nyrt_str_add_substring1("), 1, "{t}");
}

#[test]
fn concat_of_a_maybe_null_value_stays_a_method_call() {
    // `concat` shows null as "null" where `+` is an error: not rewritten.
    let t = main_text(
        r#"
static box Main {
    main() {
        local m = new MapBox()
        local s = "k"
        print(s.concat(m.get("x")))
        print(s.concat(null))
    }
}
"#,
    );
    assert_eq!(count(&t, ".concat("), 2, "{t}");
}

#[test]
fn substring_not_fused_when_the_sum_keeps_its_left_operand() {
    // `r` is still used afterwards, so the `+` does not take it over: a plain substring call
    // and `nyrt_add`.
    let t = main_text(
        r#"
static box Main {
    main() {
        local r = "ab" + 1
        local s = "hello"
        print(r + s.substring(1))
        print(r)
    }
}
"#,
    );
    assert_eq!(count(&t, "nyrt_str_add_substring"), 0, "{t}");
    assert_eq!(count(&t, "nyrt_str_substring_head"), 0, "{t}");
    assert_eq!(count(&t, ".substring("), 1, "{t}");
}

#[test]
fn substring_used_twice_is_not_fused() {
    // The substring is kept in a local and used again: it must exist as an object.
    let t = main_text(
        r#"
static box Main {
    main() {
        local r = "ab" + 1
        local s = "hello"
        local piece = s.substring(1, 3)
        r = r + piece
        print(piece)
        print(r)
    }
}
"#,
    );
    assert_eq!(count(&t, "nyrt_str_add_substring"), 0, "{t}");
    assert_eq!(count(&t, ".substring("), 1, "{t}");
}
