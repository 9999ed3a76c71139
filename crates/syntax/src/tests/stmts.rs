//! Statement forms and the LANGUAGE.md §1 statement-termination (newline) rules.

use super::*;

#[test]
fn local_forms() {
    assert_eq!(script("local x"), vec!["(local x)"]);
    assert_eq!(script("local x = 1 + 2"), vec!["(local x=(+ 1 2))"]);
    assert_eq!(script("local a, b, c"), vec!["(local a b c)"]);
    assert_eq!(script("local a = 1, b, c = f(2, 3)"), vec!["(local a=1 b c=(call f 2 3))"]);
}

#[test]
fn assignment_forms() {
    assert_eq!(script("x = 1"), vec!["(= x 1)"]);
    assert_eq!(script("me.f = v"), vec!["(= (. me f) v)"]);
    assert_eq!(script("a[i] = e"), vec!["(= ([] a i) e)"]);
    assert_eq!(
        script("x += 1\nx -= 2\nx *= 3\nx /= 4\nx %= 5"),
        vec!["(+= x 1)", "(-= x 2)", "(*= x 3)", "(/= x 4)", "(%= x 5)"]
    );
}

#[test]
fn if_forms() {
    assert_eq!(script("if x { a() }"), vec!["(if x {(call a)})"]);
    assert_eq!(script("if (x > 1) { } else { b() }"), vec!["(if (> x 1) {} {(call b)})"]);
    assert_eq!(
        script("if a { 1 } else if b { 2 } else { 3 }"),
        vec!["(if a {1} {(if b {2} {3})})"]
    );
}

#[test]
fn loop_forms() {
    assert_eq!(script("loop(i < 5) { i = i + 1 }"), vec!["(loop (< i 5) {(= i (+ i 1))})"]);
    assert_eq!(script("loop { break }"), vec!["(loop {break})"]);
    assert_eq!(script("while x > 0 { continue }"), vec!["(loop (> x 0) {continue})"]);
}

#[test]
fn return_print_block_throw_try() {
    assert_eq!(script("return"), vec!["(return)"]);
    assert_eq!(script("return 1 + 2"), vec!["(return (+ 1 2))"]);
    assert_eq!(script("print(\"hi\")"), vec!["(print \"hi\")"]);
    assert_eq!(script("{ local x = 1 { x } }"), vec!["{(local x=1) {x}}"]);
    assert_eq!(script("throw \"bad\""), vec!["(throw \"bad\")"]);
    assert_eq!(
        script("try { a() } catch (e) { print(e) } cleanup { b() }"),
        vec!["(try {(call a)} (catch e {(print e)}) (cleanup {(call b)}))"]
    );
    assert_eq!(script("try { } catch { }"), vec!["(try {} (catch _ {}))"]);
    assert_eq!(script("try { } catch (Error e) { }"), vec!["(try {} (catch e {}))"]);
    assert_eq!(script("try { } cleanup { }"), vec!["(try {} (cleanup {}))"]);
    assert_eq!(script("x;y ; ;z"), vec!["x", "y", "z"]);
}

// ---- §1 statement termination, one case per rule ----

#[test]
fn newline_ends_statement() {
    assert_eq!(script("x = 1\ny = 2"), vec!["(= x 1)", "(= y 2)"]);
    assert_eq!(script("f\n(1)"), vec!["f", "1"]);
    assert_eq!(script("a\n[1]"), vec!["a", "[1]"]);
}

#[test]
fn semicolon_ends_statement() {
    assert_eq!(script("x = 1; y = 2"), vec!["(= x 1)", "(= y 2)"]);
}

#[test]
fn next_token_that_cannot_continue_ends_statement() {
    let p = parse_ok("box C { f() { me.x = v  return 0 } }");
    assert_eq!(block_s(&p.boxes[0].methods[0].body), "{(= (. me x) v) (return 0)}");
    assert_eq!(script("c.inc()  i = i + 1"), vec!["(.inc c)", "(= i (+ i 1))"]);
    assert_eq!(script("xs.push(1)  xs.push(2)"), vec!["(.push xs 1)", "(.push xs 2)"]);
    assert_eq!(script("x = 1 y = 2"), vec!["(= x 1)", "(= y 2)"]);
}

#[test]
fn newline_inside_parens_and_brackets_does_not_end() {
    assert_eq!(script("f(1,\n  2\n)"), vec!["(call f 1 2)"]);
    assert_eq!(script("x = (1\n - 2)"), vec!["(= x (- 1 2))"]);
    assert_eq!(script("x = [1\n, 2\n]"), vec!["(= x [1 2])"]);
    assert_eq!(script("print(a\n+ b)"), vec!["(print (+ a b))"]);
    assert_eq!(script("loop(a\n< b) { }"), vec!["(loop (< a b) {})"]);
}

#[test]
fn line_ending_with_binary_operator_or_comma_continues() {
    assert_eq!(script("x = 1 +\n 2"), vec!["(= x (+ 1 2))"]);
    assert_eq!(script("x = a -\n b"), vec!["(= x (- a b))"]);
    assert_eq!(script("x = a and\n b"), vec!["(= x (and a b))"]);
    assert_eq!(script("local a = 1,\n b = 2"), vec!["(local a=1 b=2)"]);
}

#[test]
fn next_line_starting_with_dot_continues() {
    assert_eq!(script("x = s\n  .trim()\n  .length()"), vec!["(= x (.length (.trim s)))"]);
}

#[test]
fn next_line_starting_with_else_catch_cleanup_continues() {
    assert_eq!(script("if a { }\nelse { b }"), vec!["(if a {} {b})"]);
    assert_eq!(
        script("try { }\ncatch (e) { }\ncleanup { }"),
        vec!["(try {} (catch e {}) (cleanup {}))"]
    );
}

#[test]
fn next_line_starting_with_binary_operator_continues_except_minus() {
    assert_eq!(script("x = a\n + b"), vec!["(= x (+ a b))"]);
    assert_eq!(script("x = a\n * b"), vec!["(= x (* a b))"]);
    assert_eq!(script("x = a\n == b"), vec!["(= x (== a b))"]);
    assert_eq!(script("x = a\n || b\n && c"), vec!["(= x (or a (and b c)))"]);
    assert_eq!(script("x = a\n - b"), vec!["(= x a)", "(neg b)"]);
    assert_eq!(script("x = a\n !b"), vec!["(= x a)", "(not b)"]);
}

#[test]
fn return_value_only_on_same_line() {
    let p = parse_ok("box C { f() { return\n 5 } g() { return } }");
    assert_eq!(block_s(&p.boxes[0].methods[0].body), "{(return) 5}");
    assert_eq!(block_s(&p.boxes[0].methods[1].body), "{(return)}");
    assert_eq!(script("return -1"), vec!["(return (neg 1))"]);
}

#[test]
fn comments_separate_lines() {
    assert_eq!(script("x = 1 /* a\n b */ - 2"), vec!["(= x 1)", "(neg 2)"]);
    assert_eq!(script("x = 1 /* same line */ - 2"), vec!["(= x (- 1 2))"]);
    assert_eq!(script("x = 1 // c\n# d\ny = 2"), vec!["(= x 1)", "(= y 2)"]);
}
