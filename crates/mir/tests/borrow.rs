//! Tests of element borrowing (`passes::borrow_array_elements`): which `get`s of counted array
//! elements get their `Release` moved next to them, and which must keep it where it was.

mod common;

use nyash_mir::passes::is_borrowed_get;
use nyash_mir::{pipeline::Passes, Function, InstKind, Module};

/// A program whose `Main.run(a, n)` runs `body` on an array of five `T`s (`v`, `w` fields).
fn program(body: &str) -> String {
    format!(
        "box T {{\n v\n w\n birth(v) {{ me.v = v\n me.w = 0.5 }}\n fini() {{ print(\"fini\") }}\n}}\n\
         static box Main {{\n main() {{\n local a = new ArrayBox()\n local k = 0\n \
         loop(k < 5) {{ a.push(new T(k))\n k = k + 1 }}\n return Main.run(a, 5)\n }}\n \
         helper(a) {{ a.clear()\n return 0 }}\n \
         keep(x) {{ return 0 }}\n \
         run(a, n) {{\n local s = 0\n {body}\n print(s)\n return 0\n }}\n}}\n"
    )
}

fn compiled(src: &str, inline: bool) -> Module {
    let passes = Passes { borrow: true, dead_funcs: false, inline, ..Passes::default() };
    common::compile_passes(src, passes)
}

fn run_fn(m: &Module) -> &Function {
    m.funcs.iter().find(|f| f.name.starts_with("Main.run")).expect("Main.run")
}

/// (array `get`s in `Main.run`, how many of them are borrowed pairs).
fn gets(src: &str) -> (usize, usize) {
    gets_with(src, true)
}

fn gets_with(src: &str, inline: bool) -> (usize, usize) {
    let m = compiled(src, inline);
    let f = run_fn(&m);
    let mut total = 0;
    let mut borrowed = 0;
    for b in &f.blocks {
        for (k, inst) in b.insts.iter().enumerate() {
            if let InstKind::DynMethodCall { method, .. } = &inst.kind {
                if m.symbols[method.index()] == "get" {
                    total += 1;
                    borrowed += usize::from(is_borrowed_get(&m, f, &b.insts, k));
                }
            }
        }
    }
    (total, borrowed)
}

const LOOP_HEAD: &str = "local i = 0\n loop(i < n) {\n local x = a.get(i)\n";
const LOOP_TAIL: &str = "\n i = i + 1\n }";

fn in_loop(stmts: &str) -> String {
    program(&format!("{LOOP_HEAD}{stmts}{LOOP_TAIL}"))
}

#[test]
fn field_reads_and_float_writes_borrow() {
    assert_eq!(gets(&in_loop("s = s + x.v\n x.w = x.w * 2.0")), (1, 1));
}

#[test]
fn nested_windows_borrow_both_elements() {
    let body = "local i = 0\n loop(i < n) {\n local bi = a.get(i)\n local j = i + 1\n \
                loop(j < n) {\n local bj = a.get(j)\n local d = bi.w - bj.w\n \
                bi.w = bi.w - d\n bj.w = bj.w + d\n j = j + 1\n }\n i = i + 1\n }";
    assert_eq!(gets(&program(body)), (2, 2));
}

#[test]
fn releases_on_both_arms_of_a_branch_borrow() {
    let src = in_loop("if x.v > 2 { s = s + x.v } else { s = s - 1 }");
    assert_eq!(gets(&src), (1, 1));
}

#[test]
fn changing_the_array_in_the_window_keeps_the_reference() {
    // `set` drops the array's reference while `x` still uses the element.
    assert_eq!(gets(&in_loop("a.set(i, new T(9))\n s = s + x.v")), (1, 0));
    assert_eq!(gets(&in_loop("a.pop()\n s = s + x.v")), (1, 0));
}

#[test]
fn calls_and_output_in_the_window_keep_the_reference() {
    // A user function may change the array (here: clear it).
    assert_eq!(gets(&in_loop("Main.helper(a)\n s = s + x.v")), (1, 0));
    // Printing an instance may run user code (`toString`); printing anything is not quiet.
    assert_eq!(gets(&in_loop("print(x.v)")), (1, 0));
}

#[test]
fn a_reference_that_escapes_is_not_borrowed() {
    // Passed to a call (not inlined), stored into another array, returned.
    assert_eq!(gets_with(&in_loop("s = s + Main.keep(x)"), false), (1, 0));
    assert_eq!(gets(&in_loop("s = s + Main.keep(x)")), (1, 1), "inlined: x is unused");
    assert_eq!(gets(&in_loop("a.push(x)")), (1, 0));
    assert_eq!(gets(&program("local x = a.get(0)\n return x")), (1, 0));
}

#[test]
fn a_reference_kept_across_iterations_is_not_borrowed() {
    // `last` carries the element into the next iteration (a block argument).
    let body = "local last = null\n local i = 0\n loop(i < n) {\n last = a.get(i)\n \
                i = i + 1\n }\n s = last.v";
    assert_eq!(gets(&program(body)), (1, 0));
}
