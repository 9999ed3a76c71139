//! Tests of call merging (`passes::merge_pure_calls`): repeated calls of pure functions are
//! made once per path, also through one level of self-inlining, and calls of functions that
//! print, can fail or take non-scalar values are all kept.

mod common;

use nyash_mir::{pipeline::Passes, Function, InstKind, Module, Terminator};

fn compiled(src: &str, merge_calls: bool) -> Module {
    // Inlining off, so the calls counted are the ones the merging left.
    let passes = Passes { merge_calls, inline: false, dead_funcs: false, ..Passes::default() };
    common::compile_passes(src, passes)
}

fn func<'m>(m: &'m Module, name: &str) -> &'m Function {
    m.funcs.iter().find(|f| f.name == name).expect("function")
}

/// Call merging leaves function `name` of `src` exactly as it was.
fn assert_unchanged(src: &str, name: &str) {
    let (before, after) = (compiled(src, false), compiled(src, true));
    assert_eq!(func(&before, name), func(&after, name));
}

/// The most calls of `callee` made on one path from the entry to a return (`f` is acyclic).
fn most_calls_on_a_path(m: &Module, f: &Function, callee: &str) -> usize {
    let counts: Vec<usize> = f
        .blocks
        .iter()
        .map(|b| {
            b.insts
                .iter()
                .filter(|i| {
                    matches!(&i.kind, InstKind::Call { func, .. } if m.func(*func).name == callee)
                })
                .count()
        })
        .collect();
    // Longest path by calls, in reverse postorder (every edge goes forward in an acyclic CFG).
    let order = f.reverse_post_order();
    let mut best = vec![0usize; f.blocks.len()];
    let mut most = 0;
    for &b in &order {
        let here = best[b] + counts[b];
        if matches!(f.blocks[b].term, Terminator::Return(_)) {
            most = most.max(here);
        }
        for (t, _) in f.blocks[b].term.successors() {
            assert!(
                order.iter().position(|&x| x == t.index()) > order.iter().position(|&x| x == b)
            );
            best[t.index()] = best[t.index()].max(here);
        }
    }
    most
}

fn static_calls(m: &Module, f: &Function, callee: &str) -> usize {
    f.blocks
        .iter()
        .flat_map(|b| &b.insts)
        .filter(|i| matches!(&i.kind, InstKind::Call { func, .. } if m.func(*func).name == callee))
        .count()
}

const FIB: &str = "static box Main {\n fib(n) {\n if n < 2 { return n }\n \
    return Main.fib(n - 1) + Main.fib(n - 2)\n }\n \
    main() {\n print(Main.fib(20))\n return 0\n }\n}\n";

#[test]
fn self_inlining_shares_the_repeated_call() {
    let before = compiled(FIB, false);
    assert_eq!(most_calls_on_a_path(&before, func(&before, "Main.fib"), "Main.fib"), 2);
    let after = compiled(FIB, true);
    let fib = func(&after, "Main.fib");
    // `fib(n - 1)` is inlined: `fib(n - 2) + fib(n - 3)`, and the outer `fib(n - 2)` is the
    // inlined one's. Without the merge a path would make three calls.
    assert_eq!(most_calls_on_a_path(&after, fib, "Main.fib"), 2);
    assert!(fib.blocks.len() > func(&before, "Main.fib").blocks.len(), "fib(n - 1) inlined");
}

#[test]
fn a_dominated_repeat_is_deleted_across_prints() {
    let src = "static box Main {\n sq(x) {\n return x * x\n }\n \
        main() {\n local n = 40\n local a = Main.sq(n + 3 - 5)\n print(\"mid\")\n \
        local b = Main.sq(n - 2)\n print(a + b)\n print(Main.sq(n - 1))\n return 0\n }\n}\n";
    let before = compiled(src, false);
    let after = compiled(src, true);
    assert_eq!(static_calls(&before, func(&before, "Main.main"), "Main.sq"), 3);
    // `n + 3 - 5` and `n - 2` are one value; `n - 1` is another.
    assert_eq!(static_calls(&after, func(&after, "Main.main"), "Main.sq"), 2);
}

#[test]
fn impure_callees_keep_every_call() {
    let src = "static box Main {\n loud(n) {\n print(n)\n return n\n }\n \
        div(n) {\n return 100 / n\n }\n \
        text(s) {\n return s.length()\n }\n \
        main() {\n local k = 5\n print(Main.loud(k) + Main.loud(k))\n \
        print(Main.div(k) + Main.div(k))\n print(Main.text(\"ab\") + Main.text(\"ab\"))\n \
        return 0\n }\n}\n";
    assert_unchanged(src, "Main.main");
}

#[test]
fn float_chains_are_not_reassociated() {
    let src = "static box Main {\n f(x) {\n if x < 0.0 { return x }\n \
        return Main.f(x - 0.1) + Main.f(x - 0.2)\n }\n \
        main() {\n print(Main.f(0.5))\n return 0\n }\n}\n";
    // `(x - 0.1) - 0.1` is not `x - 0.2` in Float: nothing to merge, nothing inlined.
    assert_unchanged(src, "Main.f");
}

#[test]
fn a_call_is_not_moved_above_a_print() {
    // On the `k > 5` side the call is already made before the join; moving it onto the other
    // edge would run it before `print("mid")`, which matters if it overflows the stack.
    let src = "static box Main {\n sq(x) {\n return x * x\n }\n \
        main() {\n local k = \"abc\".length()\n local a = 0\n \
        if k > 5 { a = Main.sq(k) }\n print(\"mid\")\n print(a + Main.sq(k))\n \
        return 0\n }\n}\n";
    assert_unchanged(src, "Main.main");
}

#[test]
fn a_partially_repeated_call_moves_onto_the_other_edge() {
    // No print between the join and the call: the `k <= 5` edge computes it instead, and
    // every path makes it once.
    let src = "static box Main {\n sq(x) {\n return x * x\n }\n \
        main() {\n local k = \"abc\".length()\n local a = 0\n \
        if k > 5 { a = Main.sq(k) + 1 }\n local b = Main.sq(k)\n print(a + b)\n \
        return 0\n }\n}\n";
    let before = compiled(src, false);
    let after = compiled(src, true);
    let (b, a) = (func(&before, "Main.main"), func(&after, "Main.main"));
    assert_eq!(most_calls_on_a_path(&before, b, "Main.sq"), 2);
    assert_eq!(most_calls_on_a_path(&after, a, "Main.sq"), 1);
}

#[test]
fn a_self_call_repeated_as_is_is_merged_without_inlining() {
    // `g(n - 1) + g(n - 1)` is one call per level once merged; inlining one of the calls
    // first would make it two (`2 * g(n - 2) + g(n - 1)`).
    let src = "static box Main {\n g(n) {\n if n < 1 { return 1 }\n \
        return Main.g(n - 1) + Main.g(n - 1)\n }\n \
        main() {\n print(Main.g(40))\n return 0\n }\n}\n";
    let after = compiled(src, true);
    assert_eq!(most_calls_on_a_path(&after, func(&after, "Main.g"), "Main.g"), 1);
}
