//! Tests of loop-invariant code motion and value numbering (`passes::hoist_and_merge`): what
//! moves out of a loop and what does not, and which repeated computations merge.

mod common;

use nyash_mir::{pipeline::Passes, Function, InstKind, IntOp, Module};

/// `Main.run(n)` with `body` (which may use `n` and `m`, parameters the compiler cannot fold,
/// and accumulates into `s`), with or without the pass. Functions are kept, so `run` is
/// there to inspect even where it is inlined.
fn run(body: &str, licm_gvn: bool) -> Function {
    let src = format!(
        "static box Main {{\n main() {{\n return Main.run(7, 3)\n }}\n run(n, m) {{\n local s = 0\n {body}\n print(s)\n return 0\n }}\n}}\n"
    );
    let passes = Passes { licm_gvn, dead_funcs: false, ..Passes::default() };
    let module: Module = common::compile_passes(&src, passes);
    module.funcs.iter().find(|f| f.name.starts_with("Main.run")).cloned().expect("Main.run")
}

fn is_int(op: IntOp) -> impl Fn(&InstKind) -> bool {
    move |k| matches!(k, InstKind::IntBin { op: o, .. } if *o == op)
}

/// How many instructions of `f` match `pred`: (in some loop, anywhere).
fn count(f: &Function, pred: impl Fn(&InstKind) -> bool) -> (usize, usize) {
    let loops = f.natural_loops();
    let mut in_loops = 0;
    let mut all = 0;
    for (b, blk) in f.blocks.iter().enumerate() {
        let n = blk.insts.iter().filter(|i| pred(&i.kind)).count();
        all += n;
        if loops.iter().any(|l| l.body[b]) {
            in_loops += n;
        }
    }
    (in_loops, all)
}

#[test]
fn invariant_arithmetic_leaves_the_loop() {
    let body = "local i = 0\n loop(i < n) { s = s + n * m + i\n i = i + 1 }";
    assert_eq!(count(&run(body, false), is_int(IntOp::Mul)), (1, 1));
    assert_eq!(count(&run(body, true), is_int(IntOp::Mul)), (0, 1));
}

#[test]
fn an_invariant_using_a_constant_takes_a_copy_of_it_out_of_nested_loops() {
    let body = "local i = 0\n loop(i < n) {\n local j = 0\n loop(j < m) { s = s + n * 5\n j = j + 1 }\n i = i + 1 }";
    assert_eq!(count(&run(body, false), is_int(IntOp::Mul)), (1, 1));
    assert_eq!(count(&run(body, true), is_int(IntOp::Mul)), (0, 1));
}

#[test]
fn a_division_that_may_fail_stays_in_its_loop() {
    // With `m = 0` and a loop that never runs, a hoisted `n / m` would raise an error the
    // program does not raise.
    let body = "local i = 0\n loop(i < n) { s = s + n / m\n i = i + 1 }";
    assert_eq!(count(&run(body, true), is_int(IntOp::Div)), (1, 1));
    // By a non-zero constant it cannot fail, and moves.
    let body = "local i = 0\n loop(i < m) { s = s + n / 7\n i = i + 1 }";
    assert_eq!(count(&run(body, true), is_int(IntOp::Div)), (0, 1));
}

#[test]
fn repeated_arithmetic_is_computed_once() {
    let body = "local a = n * m + 1\n local b = m * n + 1\n s = a * b";
    let before = run(body, false);
    let after = run(body, true);
    // `n * m` and `m * n` (commuted), then `+ 1` of each, merge; `a * b` stays.
    assert_eq!(count(&before, is_int(IntOp::Mul)).1, 3);
    assert_eq!(count(&after, is_int(IntOp::Mul)).1, 2);
    assert_eq!(count(&before, is_int(IntOp::Add)).1, 2);
    assert_eq!(count(&after, is_int(IntOp::Add)).1, 1);
}

#[test]
fn twins_on_two_branches_are_not_merged() {
    // Neither computation dominates the other, so each keeps its own (the prints keep the
    // branches from becoming a `select`, which would compute both sides in one block).
    let body = "if n > m { print(n * 9) } else { print(n * 9 + 1) }";
    assert_eq!(count(&run(body, true), is_int(IntOp::Mul)).1, 2);
}

#[test]
fn a_remainder_reuses_the_quotient_by_the_same_constant() {
    let body = "s = n / 7 + n % 7";
    let after = run(body, true);
    assert_eq!(count(&after, is_int(IntOp::Div)).1, 1);
    assert_eq!(count(&after, is_int(IntOp::Rem)).1, 0);
    // Without a quotient to share, a remainder stays one instruction.
    let alone = run("s = n % 7", true);
    assert_eq!(count(&alone, is_int(IntOp::Rem)).1, 1);
}
