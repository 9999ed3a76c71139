//! Division and remainder of an Int by a constant in Cranelift IR, following the plans of
//! `nyash_mir::divide` (which has the arithmetic and the proofs): for a non-negative dividend
//! (`nyash_mir::ranges`) one unsigned high multiply and one shift (`emit`), for any other the
//! signed magic-number method (`emit_signed`). Cranelift's own lowering of `sdiv` by a
//! constant without the e-graph (the default optimization level) is the hardware divide,
//! tens of cycles.

use cranelift_codegen::ir::{self, types, InstBuilder};
use cranelift_frontend::FunctionBuilder;
use nyash_mir::divide::{signed_magic, Plan};

/// Emits `x / d` (or `x % d` when `rem`) for `0 <= x < 2^63` and the plan of `d`.
pub(super) fn emit(b: &mut FunctionBuilder, x: ir::Value, d: i64, p: Plan, rem: bool) -> ir::Value {
    match p {
        Plan::Shift(_) if rem => b.ins().band_imm_u(x, d - 1),
        Plan::Shift(0) => x,
        Plan::Shift(k) => b.ins().ushr_imm_u(x, i64::from(k)),
        Plan::Magic { m, shift } => {
            let mc = b.ins().iconst(types::I64, m as i64);
            // The constant first: x64 with BMI2 lowers `umulhi` to `mulx`, whose implicit operand
            // (%rdx) is the first one, so the dividend stays in any register. With `x` first,
            // a loop counter was pinned to %rdx and copied on every back edge (loops.nyash:
            // 747M instructions then, 628M this way).
            let hi = b.ins().umulhi(mc, x);
            let q = b.ins().ushr_imm_u(hi, i64::from(shift));
            if rem {
                let qd = b.ins().imul_imm_s(q, d);
                b.ins().isub(x, qd)
            } else {
                q
            }
        }
    }
}

/// Emits `x / d` (or `x % d` when `rem`) for any `x` and a constant `d` with `|d| >= 2`,
/// truncating toward zero; the remainder is `x - q*d`.
pub(super) fn emit_signed(b: &mut FunctionBuilder, x: ir::Value, d: i64, rem: bool) -> ir::Value {
    let q = if d.unsigned_abs().is_power_of_two() {
        // Bias a negative dividend by `|d| - 1` so the arithmetic shift rounds toward zero.
        let k = i64::from(d.unsigned_abs().trailing_zeros());
        let sign = b.ins().sshr_imm_u(x, 63);
        let bias = b.ins().ushr_imm_u(sign, 64 - k);
        let biased = b.ins().iadd(x, bias);
        let q = b.ins().sshr_imm_u(biased, k);
        if d < 0 {
            b.ins().ineg(q)
        } else {
            q
        }
    } else {
        let (m, s) = signed_magic(d);
        let mc = b.ins().iconst(types::I64, m);
        let mut q = b.ins().smulhi(mc, x);
        if d > 0 && m < 0 {
            q = b.ins().iadd(q, x);
        } else if d < 0 && m > 0 {
            q = b.ins().isub(q, x);
        }
        let q = b.ins().sshr_imm_u(q, i64::from(s));
        let negative = b.ins().ushr_imm_u(q, 63);
        b.ins().iadd(q, negative)
    };
    if rem {
        let qd = b.ins().imul_imm_s(q, d);
        b.ins().isub(x, qd)
    } else {
        q
    }
}
