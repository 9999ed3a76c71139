//! Tests of loop rotation (`passes::rotate_loops`) and of the non-negative value facts
//! (`ranges::NonNegative`) the Cranelift backend divides with.

mod common;

use nyash_mir::ranges::NonNegative;
use nyash_mir::{pipeline::Passes, BlockId, Function, InstKind, IntOp, Module, Terminator};

fn main_fn(m: &Module) -> &Function {
    m.funcs.iter().find(|f| f.name == "Main.main").expect("Main.main")
}

fn rotated(src: &str) -> Module {
    common::compile_passes(src, Passes { rotate: true, ..Passes::default() })
}

/// `main` running `body` (which may use `n`, a parameter the compiler cannot fold).
fn program(body: &str) -> String {
    format!(
        "static box Main {{\n main() {{\n return Main.run(7)\n }}\n run(n) {{\n local s = 0\n {body}\n print(s)\n return 0\n }}\n}}\n"
    )
}

/// The latches of each loop: the blocks branching back to its header.
fn latch_terms(f: &Function) -> Vec<&Terminator> {
    let preds = f.predecessors();
    f.natural_loops()
        .iter()
        .flat_map(|l| preds[l.header].iter().filter(|&&p| l.body[p]).map(|&p| &f.blocks[p].term))
        .collect()
}

#[test]
fn counted_loops_test_at_the_bottom() {
    let src = program("local i = 0\n loop(i < n) { s = s + i\n i = i + 1 }");
    let keep = Passes { dead_funcs: false, ..Passes::default() };
    let before = common::compile_passes(&src, keep);
    let after = common::compile_passes(&src, Passes { rotate: true, ..keep });
    let run = |m: &Module| m.funcs.iter().find(|f| f.name.starts_with("Main.run")).cloned();
    let (before, after) = (run(&before).expect("run"), run(&after).expect("run"));
    assert!(latch_terms(&before).iter().all(|t| matches!(t, Terminator::Jump { .. })));
    let rotated = latch_terms(&after);
    assert_eq!(rotated.len(), 1);
    assert!(matches!(rotated[0], Terminator::Branch { .. }));
}

/// The `Main.run` of `src` compiled with rotation (kept though it is inlined).
fn rotated_run(src: &str) -> Function {
    let m = common::compile_passes(
        src,
        Passes { rotate: true, dead_funcs: false, ..Passes::default() },
    );
    m.funcs.iter().find(|f| f.name.starts_with("Main.run")).cloned().expect("run")
}

#[test]
fn a_continue_gets_its_own_copy_of_the_test() {
    let src = program(
        "local i = 0\n loop(i < n) { i = i + 1\n if i == 3 { print(i)\n continue }\n s = s + i }",
    );
    let run = rotated_run(&src);
    let latches = latch_terms(&run);
    assert_eq!(latches.len(), 2);
    assert!(latches.iter().all(|t| matches!(t, Terminator::Branch { .. })));
}

#[test]
fn a_break_at_the_end_of_the_body_keeps_the_test_at_the_top() {
    // The back edge is one side of the `break` test, not a jump: left alone (and verified,
    // which `compile_passes` does after every pass).
    let src = program(
        "local i = 0\n loop(i < n) { i = i + 1\n s = s + i\n if s > 10 { print(s)\n break } }",
    );
    let run = rotated_run(&src);
    assert_eq!(latch_terms(&run).len(), 1);
    assert!(run.natural_loops().iter().all(|l| matches!(
        &run.blocks[l.header].term,
        Terminator::Branch { then_block, else_block, .. }
            if !l.body[then_block.index()] || !l.body[else_block.index()]
    )));
}

/// Whether the dividend of every `%` in `main` is known non-negative where it is read, with
/// the loops rotated; checks that the answer is the same without rotation.
fn rem_dividends_non_negative(src: &str) -> Vec<bool> {
    let with = rem_facts(&rotated(src));
    let without = rem_facts(&common::compile_optimized(src));
    assert_eq!(with, without, "rotation changed the facts");
    with
}

fn rem_facts(m: &Module) -> Vec<bool> {
    let f = main_fn(m);
    let nn = NonNegative::new(f);
    let mut out = Vec::new();
    for (b, blk) in f.blocks.iter().enumerate() {
        for inst in &blk.insts {
            if let InstKind::IntBin { op: IntOp::Rem, a, .. } = inst.kind {
                out.push(nn.at(a, BlockId::new(b)));
            }
        }
    }
    out
}

#[test]
fn counters_from_zero_are_non_negative() {
    let src = "static box Main {\n main() {\n local s = 0\n local i = 0\n loop(i < 1000) { s = s + i % 7\n i = i + 1 }\n print(s)\n return 0\n }\n}\n";
    assert_eq!(rem_dividends_non_negative(src), vec![true]);
}

#[test]
fn counters_that_may_be_negative_or_wrap_are_not() {
    // Starts below zero.
    let from_neg = "static box Main {\n main() {\n local s = 0\n local i = -5\n loop(i < 1000) { s = s + i % 7\n i = i + 1 }\n print(s)\n return 0\n }\n}\n";
    assert_eq!(rem_dividends_non_negative(from_neg), vec![false]);
    // `!=` does not bound the counter: `i + 1` may wrap.
    let ne = "static box Main {\n main() {\n local s = 0\n local i = 0\n loop(i != 1000) { s = s + i % 7\n i = i + 1 }\n print(s)\n return 0\n }\n}\n";
    assert_eq!(rem_dividends_non_negative(ne), vec![false]);
    // Steps of 2 are not tracked.
    let two = "static box Main {\n main() {\n local s = 0\n local i = 0\n loop(i < 1000) { s = s + i % 7\n i = i + 2 }\n print(s)\n return 0\n }\n}\n";
    assert_eq!(rem_dividends_non_negative(two), vec![false]);
}

#[test]
fn tests_on_the_way_in_make_values_non_negative() {
    // `acc > 1000` guards the first `%`; the second runs on every path.
    let src = "static box Main {\n main() {\n local acc = Main.v()\n local r = 0\n if acc > 1000 { r = acc % 7 }\n print(r + acc % 5)\n return 0\n }\n v() {\n return 5000\n }\n}\n";
    let m = common::compile_passes(src, Passes { inline: false, ..Passes::default() });
    let f = main_fn(&m);
    let nn = NonNegative::new(f);
    let mut facts = Vec::new();
    for (b, blk) in f.blocks.iter().enumerate() {
        for inst in &blk.insts {
            if let InstKind::IntBin { op: IntOp::Rem, a, .. } = inst.kind {
                facts.push(nn.at(a, BlockId::new(b)));
            }
        }
    }
    assert_eq!(facts, vec![true, false]);
}

#[test]
fn function_parameters_may_be_negative() {
    let src = "static box Main {\n main() {\n print(Main.h(-3))\n return 0\n }\n h(v) {\n return v % 7\n }\n}\n";
    let m = common::compile_passes(src, Passes { inline: false, ..Passes::default() });
    let f = m.funcs.iter().find(|f| f.name.starts_with("Main.h")).expect("h");
    let nn = NonNegative::new(f);
    let rems: Vec<bool> = f
        .blocks
        .iter()
        .enumerate()
        .flat_map(|(b, blk)| blk.insts.iter().map(move |i| (b, i)))
        .filter_map(|(b, i)| match i.kind {
            InstKind::IntBin { op: IntOp::Rem, a, .. } => Some(nn.at(a, BlockId::new(b))),
            _ => None,
        })
        .collect();
    assert_eq!(rems, vec![false]);
}
