//! Tests of entry-test inlining (`passes::inline_entry_guards`): a self-recursive function's
//! pure entry test and immediate exit are copied to its recursive call sites, and nothing is
//! copied when the exit does something observable.

mod common;

use nyash_mir::{pipeline::Passes, Function, InstKind, Module};

fn compiled(src: &str, entry_guards: bool) -> Module {
    let passes = Passes { entry_guards, dead_funcs: false, ..Passes::default() };
    common::compile_passes(src, passes)
}

fn func<'m>(m: &'m Module, name: &str) -> &'m Function {
    m.funcs.iter().find(|f| f.name == name).expect("function")
}

/// (self-calls, integer comparisons) in `f`.
fn calls_and_tests(f: &Function) -> (usize, usize) {
    let insts = || f.blocks.iter().flat_map(|b| &b.insts);
    let calls = insts().filter(|i| matches!(i.kind, InstKind::Call { .. })).count();
    let tests = insts().filter(|i| matches!(i.kind, InstKind::IntCmp { .. })).count();
    (calls, tests)
}

const SRC: &str = "static box Main {\n fib(n) {\n if n < 2 { return n }\n \
    return Main.fib(n - 1) + Main.fib(n - 2)\n }\n \
    loud(n) {\n if n < 1 { print(\"base\")\n return 0 }\n \
    return Main.loud(n - 1) + Main.loud(n - 2)\n }\n \
    main() {\n print(Main.fib(20))\n print(Main.loud(3))\n return 0\n }\n}\n";

#[test]
fn recursive_calls_get_the_entry_test() {
    let before = compiled(SRC, false);
    let after = compiled(SRC, true);
    let (calls, tests) = calls_and_tests(func(&before, "Main.fib"));
    assert!(calls >= 2, "fib keeps recursive calls");
    // The same calls, each now behind its own copy of `n < 2`.
    assert_eq!(calls_and_tests(func(&after, "Main.fib")), (calls, tests + calls));
}

#[test]
fn an_exit_with_output_is_not_copied() {
    let before = compiled(SRC, false);
    let after = compiled(SRC, true);
    assert_eq!(func(&before, "Main.loud"), func(&after, "Main.loud"));
}
