//! Tests of loop versioning for array bounds checks and of strength reduction: which loops get
//! a bounds-check-free copy (`array_load`) and which are left alone.

mod common;

use nyash_mir::{pipeline::Passes, Function, InstKind, IntOp, Module};

fn main_fn(m: &Module) -> &Function {
    m.funcs.iter().find(|f| f.name == "Main.main").expect("Main.main")
}

fn count(f: &Function, pred: impl Fn(&InstKind) -> bool) -> usize {
    f.blocks.iter().flat_map(|b| &b.insts).filter(|i| pred(&i.kind)).count()
}

fn array_loads(src: &str) -> usize {
    let m = common::compile_optimized(src);
    count(main_fn(&m), |k| matches!(k, InstKind::ArrayLoad { .. }))
}

/// A program filling an Int array `xs` of 10 elements, then running `body` in `main`.
fn program(body: &str) -> String {
    format!(
        r#"
static box Main {{
    bump(a) {{
        a.push(1)
        return 0
    }}
    main() {{
        local xs = new ArrayBox()
        local i = 0
        loop(i < 10) {{
            xs.push(i)
            i = i + 1
        }}
        local s = 0
        {body}
        print(s)
        return 0
    }}
}}
"#
    )
}

#[test]
fn counted_loop_gets_a_copy_without_checks() {
    let src = program("i = 0\n loop(i < xs.length()) { s = s + xs.get(i * 1 + 0)\n i = i + 1 }");
    assert_eq!(array_loads(&src), 1);
    // The original loop stays for when the test fails: its `get` is still there.
    let m = common::compile_optimized(&src);
    let gets = count(main_fn(&m), |k| matches!(k, InstKind::DynMethodCall { .. }));
    assert!(gets >= 2, "push and the original get remain");
}

#[test]
fn affine_indices_and_le_tests_are_versioned() {
    let src = program(
        "local n = 3\n local j = 1\n i = 0\n loop(i <= 2) { s = s + xs.get(i * n + j) + xs.get(n + i * 2)\n i = i + 1 }",
    );
    assert_eq!(array_loads(&src), 2);
}

#[test]
fn loops_that_may_change_an_array_are_not_versioned() {
    // A push through a call, and one directly.
    let call = program("i = 0\n loop(i < 5) { s = s + xs.get(i)\n bump(xs)\n i = i + 1 }");
    assert_eq!(array_loads(&call), 0);
    let push = program("i = 0\n loop(i < 5) { s = s + xs.get(i)\n xs.push(s)\n i = i + 1 }");
    assert_eq!(array_loads(&push), 0);
}

#[test]
fn other_loop_shapes_are_left_alone() {
    // Counting down, a step that is not a constant, an index not affine in the counter.
    let down = program("i = 9\n loop(i > 0) { s = s + xs.get(i)\n i = i - 1 }");
    assert_eq!(array_loads(&down), 0);
    let var_step = program(
        "local st = xs.length() / 5\n i = 0\n loop(i < 9) { s = s + xs.get(i)\n i = i + st }",
    );
    assert_eq!(array_loads(&var_step), 0);
    let square = program("i = 0\n loop(i < 3) { s = s + xs.get(i * i)\n i = i + 1 }");
    assert_eq!(array_loads(&square), 0);
    // A constant scale beyond the bound the test can check without overflow.
    let huge =
        program("i = 0\n loop(i < 3) { s = s + xs.get(i * 4611686018427387904)\n i = i + 1 }");
    assert_eq!(array_loads(&huge), 0);
}

#[test]
fn values_of_the_loop_are_merged_at_its_exits() {
    // `i` and `s` leave the loop through the header's exit and through the break; the
    // verifier (run by `compile_optimized`) checks the SSA repair.
    let src = program(
        "i = 0\n loop(i < xs.length()) { local v = xs.get(i)\n if v > 5 { break }\n s = s + v\n i = i + 1 }\n print(i)",
    );
    assert_eq!(array_loads(&src), 1);
}

#[test]
fn strength_reduction_takes_products_out_of_loops() {
    let src = program(
        "local n = xs.length() / 5\n local j = 1\n i = 0\n loop(i < 4) { s = s + xs.get(i * n + j)\n i = i + 1 }",
    );
    let with = Passes { strength_reduce: true, ..Passes::default() };
    let m = common::compile_passes(&src, with);
    let f = main_fn(&m);
    // The only products left are outside every loop (the initial `init * n` values).
    let loops = f.natural_loops();
    let in_loop_muls: usize = f
        .blocks
        .iter()
        .enumerate()
        .filter(|(b, _)| loops.iter().any(|l| l.body[*b]))
        .flat_map(|(_, blk)| &blk.insts)
        .filter(|i| matches!(i.kind, InstKind::IntBin { op: IntOp::Mul, .. }))
        .count();
    assert_eq!(in_loop_muls, 0);
    let m0 = common::compile_optimized(&src);
    assert!(count(main_fn(&m0), |k| matches!(k, InstKind::IntBin { op: IntOp::Mul, .. })) > 0);
}
