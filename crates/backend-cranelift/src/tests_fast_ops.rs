//! Tests of the inline dynamic-operator fast paths (`codegen/fast_ops.rs`): Int/Float/mixed
//! arithmetic and comparisons, overflow wrapping, NaN and infinities, Bool/null/string `==`,
//! truthiness and negation must print exactly what the runtime computes (the corpus program
//! `tests/programs/arith/dyn_fast_paths.nyash`), and every error still comes from the runtime.

use crate::tests::{build_and_run, compile_source, run};
use crate::CraneliftBackend;
use nyash_mir::{Backend, EmitKind, Options};

const PROGRAM: &str = include_str!("../../../tests/programs/arith/dyn_fast_paths.nyash");
const OUTPUT: &str = include_str!("../../../tests/programs/arith/dyn_fast_paths.stdout");

/// Self-checking: exits 42 when all 16 checks hold (operands are `dyn` parameters).
const CHECKS: &str = include_str!("../../../tests/programs/arith/dyn_fast_checks.nyash");

#[test]
fn dyn_ops_jit() {
    assert_eq!(run(&compile_source(CHECKS)), 42);
}

#[test]
fn dyn_ops_print_what_the_runtime_computes_aot() {
    let (code, out, err) = build_and_run(&compile_source(PROGRAM), "dynops", &[]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, OUTPUT, ""));
}

#[test]
fn dyn_op_errors_come_from_the_runtime() {
    let cases = [
        ("print(T.f(\"a\") - 1)", "error: cannot apply '-' to String and Int\n  at "),
        ("print(-T.f(\"a\"))", "error: cannot apply unary '-' to String\n  at "),
        ("print(T.f(null) < 1)", "error: cannot apply '<' to Null and Int\n  at "),
        ("print(T.f(1) >= \"a\")", "error: cannot apply '>=' to Int and String\n  at "),
        ("print(T.f(true) * 2)", "error: cannot apply '*' to Bool and Int\n  at "),
        ("if T.f(null) { print(1) }", "error: cannot use Null as a condition\n  at "),
    ];
    for (i, (stmt, want)) in cases.iter().enumerate() {
        let src = format!(
            "static box T {{\n    f(a) {{ return a }}\n}}\nstatic box Main {{\n    main() {{\n        {stmt}\n        return 0\n    }}\n}}\n"
        );
        let (code, out, err) = build_and_run(&compile_source(&src), &format!("dynerr{i}"), &[]);
        assert_eq!((code, out.as_str()), (1, ""), "{stmt}: {err}");
        assert!(err.starts_with(want), "{stmt}: {err}");
    }
}

#[test]
fn dyn_ops_are_inline_in_the_clif() {
    // `T.add` is inlined into the loop (and then dropped as dead): its operands are `dyn`
    // array elements, so the operator keeps its fast paths there. (Cranelift compiles the
    // straight-line code of `main`, which runs once, with plain runtime calls.)
    let src = "static box T {\n    add(a, b) { return a + b }\n}\nstatic box Main {\n    main() {\n        local xs = [1, \"a\", 2.5]\n        local i = 0\n        loop(i < 3) {\n            print(T.add(xs.get(i), 1))\n            i = i + 1\n        }\n        return 0\n    }\n}\n";
    let clif = CraneliftBackend
        .emit_text(&compile_source(src), &Options::default(), EmitKind::Ir)
        .unwrap();
    // Int path (`iadd`), promoted Float path (`fcvt_from_sint`, `fadd`), runtime call cold.
    assert!(clif.contains("iadd") && clif.contains("fcvt_from_sint"), "{clif}");
    assert!(clif.contains("fadd") && clif.contains(" cold:"), "{clif}");
}
