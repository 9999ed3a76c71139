//! Tests of what the optimized LLVM IR of a source program looks like, not just what it
//! prints: the pass pipeline's settings (`llvm14.rs`) and lowering choices LLVM must keep.

use nyash_backend_llvm::LlvmBackend;
use nyash_mir::*;

#[allow(dead_code)] // the helpers for linked executables are not needed here
mod common;
use common::compile_source;

/// The LLVM IR of `src` after the pass pipeline of `level`.
fn optimized_ir(src: &str, level: OptLevel) -> String {
    let opts = Options { opt_level: level, verify: true };
    let m = compile_source(src);
    LlvmBackend.emit_text(&m, &opts, EmitKind::Ir).unwrap_or_else(|e| panic!("{e}"))
}

/// A 1000-trip loop with a four-operation body: too long to unroll fully, and a Float chain,
/// so LLVM can neither vectorize it nor replace it with a closed form. Partial unrolling
/// would copy the body: LLVM 14 makes 125 copies for `znver3` (AMD Zen 3 and 4), 10 for
/// Intel's Skylake and Ice Lake models.
const CONSTANT_TRIP_LOOP: &str = r#"
static box Main {
    main() {
        local x = 0.5
        local i = 0
        loop(i < 1000) {
            x = x * 1.0001 + 0.5
            i = i + 1
        }
        print(x)
        return 0
    }
}
"#;

#[test]
fn loops_with_a_constant_trip_count_are_not_partially_unrolled() {
    for level in [OptLevel::O2, OptLevel::O3] {
        let ir = optimized_ir(CONSTANT_TRIP_LOOP, level);
        let copies = ir.matches(" = fmul ").count();
        assert_eq!(copies, 1, "{level:?}: the loop body appears {copies} times:\n{ir}");
    }
}

/// `i % 7`, `i / 7` and `i % 13` of a counter that cannot be negative, and `k % 7` of one
/// that can.
const DIVISIONS: &str = r#"
static box Main {
    main() {
        local acc = 0
        local i = 0
        loop(i < 1000) {
            acc = acc + i % 7 + i / 7 + i % 13
            i = i + 1
        }
        local k = 0 - 500
        loop(k < 500) {
            acc = acc + k % 7
            k = k + 1
        }
        print(acc)
        return 0
    }
}
"#;

#[test]
fn divisions_of_non_negative_values_by_constants_are_multiplies() {
    let ir = optimized_ir(DIVISIONS, OptLevel::O2);
    // The counter's three divisions are high multiplies (`nyash_mir::divide::plan`), which
    // LLVM must not turn back into divisions; the signed one is left to LLVM.
    let unsigned = ir.matches(" = udiv ").count() + ir.matches(" = urem ").count();
    assert_eq!(unsigned, 0, "an unsigned division is left:\n{ir}");
    // (LLVM vectorizes the loops: the multiplies may be `<8 x i128>`.)
    assert!(ir.contains("i128"), "no high multiply:\n{ir}");
    assert!(ir.contains(" = srem "), "no signed remainder:\n{ir}");
}
