//! Simplification tests: what `simplify` removes, folds and must keep.

mod common;

fn main_text(src: &str) -> String {
    let text = common::compile_text(src);
    let start = text.find("fn Main.main").expect("Main.main");
    let end = text[start..].find("\n}\n").map(|e| start + e).unwrap_or(text.len());
    text[start..end].to_string()
}

#[test]
fn folds_safe_integer_ops_but_keeps_division_by_zero() {
    let t = main_text(
        r#"
static box Main {
    main() {
        print(1 + 2 * 3)
        print(7 / 0)
        print(-(4 - 9))
        return 7 % 2
    }
}
"#,
    );
    assert!(t.contains("const 7"), "{t}");
    assert!(t.contains("const 5"), "{t}");
    assert!(!t.contains("iadd") && !t.contains("imul") && !t.contains("ineg"), "{t}");
    assert!(t.contains("idiv"), "division by zero must stay to raise its error:\n{t}");
    assert!(t.contains("const 1"), "7 % 2 folds:\n{t}");
}

#[test]
fn removes_unused_pure_values_but_not_failing_ones() {
    let t = main_text(
        r#"
static box Main {
    main(args) {
        local n = args.length()
        local a = n + 1
        local unused = a * 2
        local kept = a / 3
        local also = "s" + a
        return 0
    }
}
"#,
    );
    assert!(!t.contains("imul"), "unused multiply is dead:\n{t}");
    assert!(
        t.contains("rtcall nyrt_div") || t.contains("idiv"),
        "a division may fail and stays:\n{t}"
    );
    assert!(t.contains("nyrt_add"), "a dynamic add may fail and stays:\n{t}");
}

#[test]
fn removes_dead_blocks_and_trivial_params() {
    let t = main_text(
        r#"
static box Main {
    main(args) {
        local k = 5
        local i = 0
        loop(i < 10) {
            i = i + k
            if i > 100 { return 1 }
        }
        return i
        print("dead")
    }
}
"#,
    );
    assert!(!t.contains("unreachable"), "{t}");
    assert!(!t.contains("\"dead\""), "{t}");
    // Only `i` varies around the loop; `k` is not a block parameter.
    let header_params: Vec<&str> =
        t.lines().filter(|l| l.starts_with("bb") && l.contains("v")).collect();
    assert_eq!(header_params.len(), 2, "entry and loop header only:\n{t}");
    assert!(header_params[1].matches(':').count() == 2, "one param + the label colon:\n{t}");
}

#[test]
fn constant_conditions_fold_away() {
    let t = main_text(
        r#"
static box Main {
    main() {
        if 1 < 2 { print("yes") } else { print("no") }
        loop(false) { print("never") }
        return 0
    }
}
"#,
    );
    assert!(!t.contains("\"no\"") && !t.contains("never"), "{t}");
    assert!(!t.contains("br "), "{t}");
}

#[test]
fn folds_additive_and_multiplicative_identities() {
    let t = main_text(
        r#"
static box Main {
    main(args) {
        local n = args.length()
        print(n + 0)
        print(0 + n)
        print(n - 0)
        print(n * 1)
        print(1 * n)
        print(n * 0)
        return 0
    }
}
"#,
    );
    assert!(!t.contains("iadd") && !t.contains("isub") && !t.contains("imul"), "{t}");
}

#[test]
fn merges_a_block_into_its_only_predecessor() {
    // Rotation leaves each loop's old header as a guard with one way in (from the block
    // before the loop), which ends in a plain jump to it: the two become one block.
    let src = r#"
static box Main {
    main(args) {
        local n = args.length()
        local i = 0
        loop(i < n) {
            print(i)
            i = i + 1
        }
        return 0
    }
}
"#;
    let passes = nyash_mir::pipeline::Passes { rotate: true, ..Default::default() };
    let m = common::compile_passes(src, passes);
    let f = m.funcs.iter().find(|f| f.name == "Main.main").expect("Main.main");
    let preds = f.predecessors();
    for (b, blk) in f.blocks.iter().enumerate() {
        if let nyash_mir::Terminator::Jump { target, .. } = &blk.term {
            let t = target.index();
            assert!(
                t == b || preds[t].len() > 1,
                "bb{b} jumps to bb{t}, whose only predecessor it is:\n{}",
                nyash_mir::print::print_module(&m)
            );
        }
    }
}
