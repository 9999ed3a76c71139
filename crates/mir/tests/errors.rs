//! Compile-error tests: the rendered diagnostics (message, code, location, caret, labels).

mod common;

fn check(src: &str, expected: &str) {
    let src = src.strip_prefix('\n').unwrap_or(src);
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    let actual = common::errors(src);
    if actual != expected {
        panic!("diagnostics differ; actual:\n{actual}\n--- expected:\n{expected}");
    }
}

#[test]
fn undefined_variable_use_and_assignment() {
    check(
        r#"
static box Main {
    main() {
        print(x + 1)
        y = 2
    }
}
"#,
        r#"
error[E0201]: undefined variable `x`
  ┌─ test.nyash:3:15
  │
3 │         print(x + 1)
  │               ^ not declared with `local` in this scope

error[E0201]: undefined variable `y`
  ┌─ test.nyash:4:9
  │
4 │         y = 2
  │         ^ assigned here without a `local` declaration

"#,
    );
}

#[test]
fn duplicate_local_points_at_the_second() {
    check(
        r#"
static box Main {
    main() {
        local a = 1
        { local a = 2 }
        local b, a
    }
}
"#,
        r#"
error[E0202]: duplicate local `a`
  ┌─ test.nyash:5:18
  │
3 │         local a = 1
  │               - first declared here
4 │         { local a = 2 }
5 │         local b, a
  │                  ^ declared again in the same scope

"#,
    );
}

#[test]
fn break_and_continue_outside_loops() {
    check(
        r#"
static box Main {
    main() {
        loop { break }
        break
        if true { continue }
    }
}
"#,
        r#"
error[E0203]: `break` outside of a loop
  ┌─ test.nyash:4:9
  │
4 │         break
  │         ^^^^^ not inside `loop` or `while`

error[E0203]: `continue` outside of a loop
  ┌─ test.nyash:5:19
  │
5 │         if true { continue }
  │                   ^^^^^^^^ not inside `loop` or `while`

"#,
    );
}

#[test]
fn wrong_arity_static_call() {
    check(
        r#"
static box Math {
    add(a, b) { return a + b }
}
static box Main {
    main() {
        return Math.add(1)
    }
}
"#,
        r#"
error[E0204]: wrong number of arguments to `Math.add`: expected 2, found 1
  ┌─ test.nyash:6:16
  │
2 │     add(a, b) { return a + b }
  │     --- `Math.add` defined here with 2 parameter(s)
  ·
6 │         return Math.add(1)
  │                ^^^^^^^^^^^ called with 1 argument(s)

"#,
    );
}

#[test]
fn unknown_static_method_and_sibling() {
    check(
        r#"
static box Math {
    add(a, b) { return a + b }
}
static box Main {
    main() {
        Math.foo()
        me.bar(1)
        baz()
    }
}
"#,
        r#"
error[E0205]: unknown method `Math.foo`
  ┌─ test.nyash:6:9
  │
6 │         Math.foo()
  │         ^^^^^^^^^^ `Math` has no method `foo`

error[E0205]: unknown method `Main.bar`
  ┌─ test.nyash:7:9
  │
7 │         me.bar(1)
  │         ^^^^^^^^^ `Main` has no method `bar`

error[E0207]: unknown function `baz`
  ┌─ test.nyash:8:9
  │
8 │         baz()
  │         ^^^ no method `baz` in `Main` and no function with this name

"#,
    );
}

#[test]
fn unsupported_constructs_are_clear_errors() {
    check(
        r#"
static box Main {
    main() {
        local x = match 1 { 1 => 2, _ => 3 }
        throw "boom"
    }
}
"#,
        r#"
error[E0299]: `match` is not supported yet
  ┌─ test.nyash:3:19
  │
3 │         local x = match 1 { 1 => 2, _ => 3 }
  │                   ^^^^^^^^^^^^^^^^^^^^^^^^^^ not supported by this compiler yet

error[E0299]: `throw` is not supported yet
  ┌─ test.nyash:4:9
  │
4 │         throw "boom"
  │         ^^^^^^^^^^^^ not supported by this compiler yet

"#,
    );
}

#[test]
fn try_catch_is_one_error_even_when_the_handler_uses_the_caught_value() {
    let src = "static box Main {\n    main() {\n        try { print(1) } catch (e) { print(e) }\n        return 0\n    }\n}\n";
    let out = common::errors(src);
    assert!(out.starts_with("error[E0299]: `try` / `catch` is not supported yet"), "{out}");
    assert_eq!(out.matches("error[").count(), 1, "{out}");
}

#[test]
fn missing_main() {
    let src = "static box Util {\n    f() { return 1 }\n}\n";
    let out = common::errors(src);
    assert!(out.starts_with("error[E0208]: no `Main.main` found"), "{out}");
}

#[test]
fn errors_in_dead_code_are_reported() {
    let src = "static box Main {\n    main() {\n        return 1\n        print(nope)\n    }\n}\n";
    let out = common::errors(src);
    assert!(out.contains("undefined variable `nope`"), "{out}");
}
