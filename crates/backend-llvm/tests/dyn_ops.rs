//! Tests of the inline dynamic-operator fast paths (`codegen/fast_ops.rs`) at every -O level,
//! as JIT and as linked AOT executables: Int/Float/mixed arithmetic and comparisons, overflow
//! wrapping, NaN and infinities, Bool/null/string `==`, truthiness and negation print exactly
//! what the runtime computes (the corpus programs `tests/programs/arith/dyn_fast_*.nyash`), and
//! every error still comes from the runtime. Mirrors the Cranelift backend's tests.

use nyash_backend_llvm::LlvmBackend;
use nyash_mir::*;

mod common;
use common::{build_and_run, compile_source};

const PROGRAM: &str = include_str!("../../../tests/programs/arith/dyn_fast_paths.nyash");
const OUTPUT: &str = include_str!("../../../tests/programs/arith/dyn_fast_paths.stdout");
/// Self-checking: exits 42 when all 16 checks hold.
const CHECKS: &str = include_str!("../../../tests/programs/arith/dyn_fast_checks.nyash");

#[test]
fn dyn_ops_jit_all_levels() {
    let m = compile_source(CHECKS);
    for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2, OptLevel::O3] {
        let opts = Options { opt_level: level, verify: true };
        let out = LlvmBackend.run(&m, &opts, &["t".into()]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.exit_code, 42, "at {level:?}");
    }
}

#[test]
fn dyn_ops_print_what_the_runtime_computes_aot() {
    let (code, out, err) = build_and_run(&compile_source(PROGRAM), "dynops", &[]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, OUTPUT, ""));
    let (code, _, err) = build_and_run(&compile_source(CHECKS), "dynchecks", &[]);
    assert_eq!((code, err.as_str()), (42, ""));
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
fn dyn_ops_are_inline_in_the_ir() {
    // `T.add` is inlined into the loop (and then dropped as dead): its operands are `dyn`
    // array elements, so the operator keeps its fast paths there. (Cranelift compiles the
    // straight-line code of `main`, which runs once, with plain runtime calls.)
    let src = "static box T {\n    add(a, b) { return a + b }\n}\nstatic box Main {\n    main() {\n        local xs = [1, \"a\", 2.5]\n        local i = 0\n        loop(i < 3) {\n            print(T.add(xs.get(i), 1))\n            i = i + 1\n        }\n        return 0\n    }\n}\n";
    let o0 = Options { opt_level: OptLevel::O0, verify: true };
    let ir = LlvmBackend.emit_text(&compile_source(src), &o0, EmitKind::Ir);
    let ir = ir.unwrap_or_else(|e| panic!("{e}"));
    for needle in ["dyn.fast", "dyn.slow", "sitofp", "fadd", "branch_weights"] {
        assert!(ir.contains(needle), "missing {needle}:\n{ir}");
    }
}
