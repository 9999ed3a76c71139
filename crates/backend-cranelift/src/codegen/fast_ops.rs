//! Inline tag-checked fast paths for the dynamic operators (`RtCall` of `nyrt_add`,
//! `nyrt_add_consume`, `nyrt_sub`, `nyrt_mul`, `nyrt_lt/le/gt/ge`, `nyrt_eq`, `nyrt_truthy`,
//! `nyrt_neg`) on number and Bool operands.
//!
//! Each operator becomes a short ladder of tag tests: both Int → wrapping integer op / `icmp`;
//! both numeric (Int with Float promotes the Int to f64, exactly as `nums` in the runtime's
//! `ops.rs`) → IEEE op / ordered `fcmp` (`==` is `oeq`, so NaN is unequal and unordered
//! comparisons are false); both Bool (`==` only) → payload compare. Anything else — strings,
//! null, boxes, and every error — is the ordinary runtime call in a cold block, so messages
//! and string `+` are the runtime's. `nyrt_add_consume` takes the fast path only when both
//! operands are numbers, which are not reference counted: nothing needs releasing. Tags that
//! are compile-time constants (a `ToDyn` of a typed value) fold the tests away.

use super::function::{CVal, FnLowering};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, types, InstBuilder, MemFlagsData};
use cranelift_module::Module;
use nyash_mir::{tag, BackendError, RtFn, SiteId, ValueId};

/// A tag test: folded when the tag is a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cond {
    Const(bool),
    Val(ir::Value),
}

/// What a fast block does once its tag test has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    /// Both operands Int: integer op on the payloads.
    Int,
    /// Both operands numbers (at least one Float here): f64 op after promotion.
    Float,
    /// Both operands Bool (`==`): payload compare.
    Bool,
    /// Unary: Int or Bool operand, `payload != 0` (truthiness).
    NonZero,
    /// Unary Float operand (negation).
    FloatNeg,
}

impl<M: Module> FnLowering<'_, '_, M> {
    /// The fast-path lowering of `RtCall f(args)`, or `None` for "emit the plain call".
    pub(super) fn dyn_op_fast_path(
        &mut self,
        f: RtFn,
        args: &[ValueId],
        site: SiteId,
    ) -> Result<Option<CVal>, BackendError> {
        if !f.has_inline_fast_path() || args.len() != f.signature().params.len() {
            return Ok(None);
        }
        let (at, ap) = self.pair(args[0])?;
        let (bt, bp) = match args.get(1) {
            Some(&b) => self.pair(b)?,
            None => (at, ap),
        };
        let unary = args.len() == 1;
        let cases: &[Case] = match f {
            RtFn::Truthy => &[Case::NonZero],
            RtFn::Neg => &[Case::Int, Case::FloatNeg],
            RtFn::Eq => &[Case::Int, Case::Float, Case::Bool],
            _ => &[Case::Int, Case::Float],
        };
        // Every test folds to "no": a string, null, ... — always the runtime.
        if cases.iter().all(|&c| self.known_false(c, at, bt)) {
            return Ok(None);
        }
        let boxed = matches!(f, RtFn::Add | RtFn::AddConsume | RtFn::Sub | RtFn::Mul | RtFn::Neg);
        let done = self.b.create_block();
        if boxed {
            self.b.append_block_param(done, types::I64);
            self.b.append_block_param(done, types::I64);
        } else {
            self.b.append_block_param(done, types::I8);
        }
        let (mut covered, mut branched) = (false, false);
        for &case in cases {
            // Tests are emitted lazily so the Int path does not pay for the Float test.
            let cond = self.case_cond(case, at, bt);
            let next = match cond {
                Cond::Const(false) => continue,
                Cond::Const(true) => None,
                Cond::Val(c) => {
                    let (fast, next) = (self.b.create_block(), self.b.create_block());
                    self.b.ins().brif(c, fast, &[], next, &[]);
                    branched = true;
                    self.b.switch_to_block(fast);
                    Some(next)
                }
            };
            let result = self.fast_case(f, case, (at, ap), (bt, bp))?;
            self.b.ins().jump(done, &result);
            match next {
                Some(next) => self.b.switch_to_block(next),
                None => {
                    covered = true; // this case always applies: no runtime call
                    break;
                }
            }
        }
        if !covered {
            // The current block is the last test's "no" side: make it the cold slow path.
            if branched {
                let slow = self.b.current_block().ok_or_else(|| self.err("no current block"))?;
                self.b.set_cold_block(slow);
            }
            let words = if unary { vec![at, ap] } else { vec![at, ap, bt, bp] };
            let result = match self.call_rt(f, words, site)? {
                Some(CVal::Two(t, p)) => vec![t.into(), p.into()],
                Some(CVal::One(b)) => vec![b.into()],
                None => return Err(self.err(format!("{} returns nothing", f.name()))),
            };
            self.b.ins().jump(done, &result);
        }
        self.b.switch_to_block(done);
        let params = self.b.block_params(done);
        Ok(Some(if boxed { CVal::Two(params[0], params[1]) } else { CVal::One(params[0]) }))
    }

    /// The block arguments (result words) of fast case `case` of operator `f`.
    fn fast_case(
        &mut self,
        f: RtFn,
        case: Case,
        (at, ap): (ir::Value, ir::Value),
        (bt, bp): (ir::Value, ir::Value),
    ) -> Result<Vec<ir::BlockArg>, BackendError> {
        Ok(match case {
            Case::Int => {
                let r = match f {
                    RtFn::Add | RtFn::AddConsume => self.b.ins().iadd(ap, bp),
                    RtFn::Sub => self.b.ins().isub(ap, bp),
                    RtFn::Mul => self.b.ins().imul(ap, bp),
                    RtFn::Neg => self.b.ins().ineg(ap),
                    _ => {
                        let cc = int_cc(f).ok_or_else(|| self.err("no int compare"))?;
                        return Ok(vec![self.b.ins().icmp(cc, ap, bp).into()]);
                    }
                };
                let t = self.b.ins().iconst(types::I64, tag::INT);
                vec![t.into(), r.into()]
            }
            Case::Float => {
                let (x, y) = (self.as_f64(at, ap), self.as_f64(bt, bp));
                let r = match f {
                    RtFn::Add | RtFn::AddConsume => self.b.ins().fadd(x, y),
                    RtFn::Sub => self.b.ins().fsub(x, y),
                    RtFn::Mul => self.b.ins().fmul(x, y),
                    _ => {
                        let cc = float_cc(f).ok_or_else(|| self.err("no float compare"))?;
                        return Ok(vec![self.b.ins().fcmp(cc, x, y).into()]);
                    }
                };
                let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), r);
                let t = self.b.ins().iconst(types::I64, tag::FLOAT);
                vec![t.into(), bits.into()]
            }
            Case::Bool => vec![self.b.ins().icmp(IntCC::Equal, ap, bp).into()],
            Case::NonZero => vec![self.b.ins().icmp_imm_s(IntCC::NotEqual, ap, 0).into()],
            Case::FloatNeg => {
                // IEEE negation = flip the sign bit of the payload (Rust's `-f`, NaN too).
                let bits = self.b.ins().bxor_imm_s(ap, i64::MIN);
                let t = self.b.ins().iconst(types::I64, tag::FLOAT);
                vec![t.into(), bits.into()]
            }
        })
    }

    /// The tag test of `case` (operands `at`, `bt`; the same value for unary operators).
    fn case_cond(&mut self, case: Case, at: ir::Value, bt: ir::Value) -> Cond {
        let (x, y) = match case {
            Case::Int => (self.tag_is(at, tag::INT), self.tag_is(bt, tag::INT)),
            Case::Float => (self.tag_num(at), self.tag_num(bt)),
            Case::Bool => (self.tag_is(at, tag::BOOL), self.tag_is(bt, tag::BOOL)),
            Case::NonZero => {
                let (i, b) = (self.tag_is(at, tag::INT), self.tag_is(at, tag::BOOL));
                return self.or(i, b);
            }
            Case::FloatNeg => return self.tag_is(at, tag::FLOAT),
        };
        self.and(x, y)
    }

    /// Whether the test of `case` is known to fail from constant tags (emits nothing).
    fn known_false(&self, case: Case, at: ir::Value, bt: ir::Value) -> bool {
        let (ka, kb) = (self.iconst_of(at), self.iconst_of(bt));
        let is = |k: Option<i64>, want: &[i64]| k.is_some_and(|k| !want.contains(&k));
        match case {
            Case::Int => is(ka, &[tag::INT]) || is(kb, &[tag::INT]),
            Case::Float => is(ka, &[tag::INT, tag::FLOAT]) || is(kb, &[tag::INT, tag::FLOAT]),
            Case::Bool => is(ka, &[tag::BOOL]) || is(kb, &[tag::BOOL]),
            Case::NonZero => is(ka, &[tag::INT, tag::BOOL]),
            Case::FloatNeg => is(ka, &[tag::FLOAT]),
        }
    }

    /// The f64 value of a number operand (Int payloads converted, Float payloads reinterpreted).
    fn as_f64(&mut self, t: ir::Value, p: ir::Value) -> ir::Value {
        match self.iconst_of(t) {
            Some(k) if k == tag::INT => self.b.ins().fcvt_from_sint(types::F64, p),
            Some(_) => self.b.ins().bitcast(types::F64, MemFlagsData::new(), p),
            None => {
                let is_int = self.b.ins().icmp_imm_s(IntCC::Equal, t, tag::INT);
                let conv = self.b.ins().fcvt_from_sint(types::F64, p);
                let bits = self.b.ins().bitcast(types::F64, MemFlagsData::new(), p);
                self.b.ins().select(is_int, conv, bits)
            }
        }
    }

    fn tag_is(&mut self, t: ir::Value, k: i64) -> Cond {
        match self.iconst_of(t) {
            Some(x) => Cond::Const(x == k),
            None => Cond::Val(self.b.ins().icmp_imm_s(IntCC::Equal, t, k)),
        }
    }

    /// Int or Float: `t - INT <u 2` (the two tags are adjacent).
    fn tag_num(&mut self, t: ir::Value) -> Cond {
        const _: () = assert!(tag::FLOAT == tag::INT + 1);
        match self.iconst_of(t) {
            Some(x) => Cond::Const(x == tag::INT || x == tag::FLOAT),
            None => {
                let d = self.b.ins().iadd_imm_s(t, -tag::INT);
                Cond::Val(self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, d, 2))
            }
        }
    }

    fn and(&mut self, a: Cond, b: Cond) -> Cond {
        match (a, b) {
            (Cond::Const(false), _) | (_, Cond::Const(false)) => Cond::Const(false),
            (Cond::Const(true), x) | (x, Cond::Const(true)) => x,
            (Cond::Val(x), Cond::Val(y)) => Cond::Val(self.b.ins().band(x, y)),
        }
    }

    fn or(&mut self, a: Cond, b: Cond) -> Cond {
        match (a, b) {
            (Cond::Const(true), _) | (_, Cond::Const(true)) => Cond::Const(true),
            (Cond::Const(false), x) | (x, Cond::Const(false)) => x,
            (Cond::Val(x), Cond::Val(y)) => Cond::Val(self.b.ins().bor(x, y)),
        }
    }
}

fn int_cc(f: RtFn) -> Option<IntCC> {
    Some(match f {
        RtFn::Lt => IntCC::SignedLessThan,
        RtFn::Le => IntCC::SignedLessThanOrEqual,
        RtFn::Gt => IntCC::SignedGreaterThan,
        RtFn::Ge => IntCC::SignedGreaterThanOrEqual,
        RtFn::Eq => IntCC::Equal,
        _ => return None,
    })
}

/// Ordered predicates (false when either side is NaN), matching `partial_cmp` / `==`.
fn float_cc(f: RtFn) -> Option<FloatCC> {
    Some(match f {
        RtFn::Lt => FloatCC::LessThan,
        RtFn::Le => FloatCC::LessThanOrEqual,
        RtFn::Gt => FloatCC::GreaterThan,
        RtFn::Ge => FloatCC::GreaterThanOrEqual,
        RtFn::Eq => FloatCC::Equal,
        _ => return None,
    })
}
