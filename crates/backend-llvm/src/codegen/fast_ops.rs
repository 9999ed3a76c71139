//! Inline tag-checked fast paths for the dynamic operators (`RtCall` of `nyrt_add`,
//! `nyrt_add_consume`, `nyrt_sub`, `nyrt_mul`, `nyrt_lt/le/gt/ge`, `nyrt_eq`, `nyrt_truthy`,
//! `nyrt_neg`) on number and Bool operands. Mirrors the Cranelift backend's `fast_ops.rs`.
//!
//! Each operator becomes a short ladder of tag tests: both Int → wrapping integer op / `icmp`;
//! both numeric (Int with Float promotes the Int to f64, exactly as `nums` in the runtime's
//! `ops.rs`) → IEEE op / ordered `fcmp` (`==` is `oeq`, so NaN is unequal and unordered
//! comparisons are false); both Bool (`==` only) → payload compare. Anything else — strings,
//! null, boxes, and every error — is the ordinary runtime call on an unlikely branch, so
//! messages and string `+` are the runtime's. `nyrt_add_consume` takes the fast path only when
//! both operands are numbers, which are not reference counted: nothing needs releasing. Tags
//! that are compile-time constants (a `ToDyn` of a typed value) fold the tests away.

use super::function::FnCodegen;
use super::{CgError, CgResult, Val};
use inkwell::basic_block::BasicBlock;
use inkwell::values::{BasicValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};
use nyash_mir::{tag, RtFn, SiteId, ValueId};

/// A tag test: folded when the tag is a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cond<'ctx> {
    Const(bool),
    Val(IntValue<'ctx>),
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

/// A result: Boxed `(tag, payload)` or a Bool (`i1`).
type Words<'ctx> = (IntValue<'ctx>, Option<IntValue<'ctx>>);

impl<'m, 'a, 'ctx> FnCodegen<'m, 'a, 'ctx> {
    /// The fast-path lowering of `RtCall f(args)`, or `None` for "emit the plain call".
    pub(super) fn dyn_op_fast_path(
        &mut self,
        f: RtFn,
        args: &[ValueId],
        site: SiteId,
        name: &str,
    ) -> CgResult<Option<Val<'ctx>>> {
        if !f.has_inline_fast_path() || args.len() != f.signature().params.len() {
            return Ok(None);
        }
        let boxed_arg = |v: Val<'ctx>| match v {
            Val::Boxed(t, p) => Ok((t, p)),
            _ => Err(CgError(format!("{} of an unboxed value", f.name()))),
        };
        let (at, ap) = boxed_arg(self.val(args[0])?)?;
        let (bt, bp) = match args.get(1) {
            Some(&b) => boxed_arg(self.val(b)?)?,
            None => (at, ap),
        };
        let unary = args.len() == 1;
        let all: &[Case] = match f {
            RtFn::Truthy => &[Case::NonZero],
            RtFn::Neg => &[Case::Int, Case::FloatNeg],
            RtFn::Eq => &[Case::Int, Case::Float, Case::Bool],
            _ => &[Case::Int, Case::Float],
        };
        // Cases whose test folds to "no" from constant tags are dropped (emits nothing).
        let cases: Vec<Case> = all.iter().copied().filter(|&c| !known_false(c, at, bt)).collect();
        if cases.is_empty() {
            return Ok(None); // always the runtime (a string, null, ...)
        }
        let boxed = matches!(f, RtFn::Add | RtFn::AddConsume | RtFn::Sub | RtFn::Mul | RtFn::Neg);
        let done = self.new_block("dyn.done");
        let mut incoming: Vec<(Words<'ctx>, BasicBlock<'ctx>)> = Vec::new();
        let mut covered = false;
        let last = cases.len() - 1;
        for (i, &case) in cases.iter().enumerate() {
            // Tests are emitted lazily so the Int path does not pay for the Float test.
            let cond = self.case_cond(case, at, bt)?;
            let next = match cond {
                Cond::Const(false) => continue,
                Cond::Const(true) => None,
                Cond::Val(c) => {
                    let fast = self.new_block("dyn.fast");
                    let next = self.new_block(if i == last { "dyn.slow" } else { "dyn.next" });
                    if i == last {
                        self.likely_branch(c, fast, next)?;
                    } else {
                        self.builder.build_conditional_branch(c, fast, next)?;
                    }
                    self.builder.position_at_end(fast);
                    Some(next)
                }
            };
            let words = self.fast_case(f, case, (at, ap), (bt, bp), name)?;
            incoming.push((words, self.current_insert_block()?));
            self.builder.build_unconditional_branch(done)?;
            match next {
                Some(next) => self.builder.position_at_end(next),
                None => {
                    covered = true; // this case always applies: no runtime call
                    break;
                }
            }
        }
        if !covered {
            let args = if unary {
                vec![Val::Boxed(at, ap)]
            } else {
                vec![Val::Boxed(at, ap), Val::Boxed(bt, bp)]
            };
            let words = match self.m.rt_call(&self.builder, f, &args, site, name)? {
                Some(Val::Boxed(t, p)) => (t, Some(p)),
                Some(Val::Bool(b)) => (b, None),
                _ => return Err(CgError(format!("{}: unexpected result", f.name()))),
            };
            incoming.push((words, self.current_insert_block()?));
            self.builder.build_unconditional_branch(done)?;
        }
        self.builder.position_at_end(done);
        let ty = if boxed { self.m.types.i64 } else { self.m.types.i1 };
        let first = self.builder.build_phi(ty, &format!("{name}.tag"))?;
        for ((w, _), block) in &incoming {
            first.add_incoming(&[(w as &dyn BasicValue<'ctx>, *block)]);
        }
        let first = first.as_basic_value().into_int_value();
        if !boxed {
            return Ok(Some(Val::Bool(first)));
        }
        let second = self.builder.build_phi(ty, &format!("{name}.pay"))?;
        for ((_, p), block) in &incoming {
            let p = p.ok_or_else(|| CgError(format!("{}: missing payload", f.name())))?;
            second.add_incoming(&[(&p as &dyn BasicValue<'ctx>, *block)]);
        }
        Ok(Some(Val::Boxed(first, second.as_basic_value().into_int_value())))
    }

    /// The result words of fast case `case` of operator `f`.
    fn fast_case(
        &mut self,
        f: RtFn,
        case: Case,
        (at, ap): (IntValue<'ctx>, IntValue<'ctx>),
        (bt, bp): (IntValue<'ctx>, IntValue<'ctx>),
        name: &str,
    ) -> CgResult<Words<'ctx>> {
        let b = &self.builder;
        Ok(match case {
            // No `nsw`/`nuw` flags: the integer ops wrap.
            Case::Int => {
                let r = match f {
                    RtFn::Add | RtFn::AddConsume => b.build_int_add(ap, bp, name)?,
                    RtFn::Sub => b.build_int_sub(ap, bp, name)?,
                    RtFn::Mul => b.build_int_mul(ap, bp, name)?,
                    RtFn::Neg => b.build_int_neg(ap, name)?,
                    _ => {
                        let p = int_pred(f).ok_or_else(|| CgError("no int compare".into()))?;
                        return Ok((b.build_int_compare(p, ap, bp, name)?, None));
                    }
                };
                (self.i64_const(tag::INT), Some(r))
            }
            Case::Float => {
                let (x, y) = (self.as_f64(at, ap)?, self.as_f64(bt, bp)?);
                let b = &self.builder;
                let r = match f {
                    RtFn::Add | RtFn::AddConsume => b.build_float_add(x, y, name)?,
                    RtFn::Sub => b.build_float_sub(x, y, name)?,
                    RtFn::Mul => b.build_float_mul(x, y, name)?,
                    _ => {
                        let p = float_pred(f).ok_or_else(|| CgError("no float compare".into()))?;
                        return Ok((b.build_float_compare(p, x, y, name)?, None));
                    }
                };
                let bits = b.build_bit_cast(r, self.m.types.i64, name)?.into_int_value();
                (self.i64_const(tag::FLOAT), Some(bits))
            }
            Case::Bool => (b.build_int_compare(IntPredicate::EQ, ap, bp, name)?, None),
            Case::NonZero => {
                (b.build_int_compare(IntPredicate::NE, ap, self.i64_const(0), name)?, None)
            }
            Case::FloatNeg => {
                // IEEE negation = flip the sign bit of the payload (Rust's `-f`, NaN too).
                let bits = b.build_xor(ap, self.i64_const(i64::MIN), name)?;
                (self.i64_const(tag::FLOAT), Some(bits))
            }
        })
    }

    /// The tag test of `case` (operands `at`, `bt`; the same value for unary operators).
    fn case_cond(
        &self,
        case: Case,
        at: IntValue<'ctx>,
        bt: IntValue<'ctx>,
    ) -> CgResult<Cond<'ctx>> {
        let (x, y) = match case {
            Case::Int => (self.tag_is(at, tag::INT)?, self.tag_is(bt, tag::INT)?),
            Case::Float => (self.tag_num(at)?, self.tag_num(bt)?),
            Case::Bool => (self.tag_is(at, tag::BOOL)?, self.tag_is(bt, tag::BOOL)?),
            Case::NonZero => {
                let (i, b) = (self.tag_is(at, tag::INT)?, self.tag_is(at, tag::BOOL)?);
                return self.or(i, b);
            }
            Case::FloatNeg => return self.tag_is(at, tag::FLOAT),
        };
        self.and(x, y)
    }

    /// The f64 value of a number operand (Int payloads converted, Float payloads reinterpreted).
    fn as_f64(
        &self,
        t: IntValue<'ctx>,
        p: IntValue<'ctx>,
    ) -> CgResult<inkwell::values::FloatValue<'ctx>> {
        let f64t = self.m.types.f64;
        let b = &self.builder;
        let conv = || b.build_signed_int_to_float(p, f64t, "");
        let bits = || b.build_bit_cast(p, f64t, "").map(|v| v.into_float_value());
        Ok(match t.get_sign_extended_constant() {
            Some(k) if k == tag::INT => conv()?,
            Some(_) => bits()?,
            None => {
                let is_int =
                    b.build_int_compare(IntPredicate::EQ, t, self.i64_const(tag::INT), "")?;
                let (c, x) = (conv()?, bits()?);
                b.build_select(is_int, c, x, "")?.into_float_value()
            }
        })
    }

    fn tag_is(&self, t: IntValue<'ctx>, k: i64) -> CgResult<Cond<'ctx>> {
        Ok(match t.get_sign_extended_constant() {
            Some(x) => Cond::Const(x == k),
            None => Cond::Val(self.builder.build_int_compare(
                IntPredicate::EQ,
                t,
                self.i64_const(k),
                "",
            )?),
        })
    }

    /// Int or Float: `t - INT <u 2` (the two tags are adjacent).
    fn tag_num(&self, t: IntValue<'ctx>) -> CgResult<Cond<'ctx>> {
        const _: () = assert!(tag::FLOAT == tag::INT + 1);
        Ok(match t.get_sign_extended_constant() {
            Some(x) => Cond::Const(x == tag::INT || x == tag::FLOAT),
            None => {
                let d = self.builder.build_int_sub(t, self.i64_const(tag::INT), "")?;
                Cond::Val(self.builder.build_int_compare(
                    IntPredicate::ULT,
                    d,
                    self.i64_const(2),
                    "",
                )?)
            }
        })
    }

    fn and(&self, a: Cond<'ctx>, b: Cond<'ctx>) -> CgResult<Cond<'ctx>> {
        Ok(match (a, b) {
            (Cond::Const(false), _) | (_, Cond::Const(false)) => Cond::Const(false),
            (Cond::Const(true), x) | (x, Cond::Const(true)) => x,
            (Cond::Val(x), Cond::Val(y)) => Cond::Val(self.builder.build_and(x, y, "")?),
        })
    }

    fn or(&self, a: Cond<'ctx>, b: Cond<'ctx>) -> CgResult<Cond<'ctx>> {
        Ok(match (a, b) {
            (Cond::Const(true), _) | (_, Cond::Const(true)) => Cond::Const(true),
            (Cond::Const(false), x) | (x, Cond::Const(false)) => x,
            (Cond::Val(x), Cond::Val(y)) => Cond::Val(self.builder.build_or(x, y, "")?),
        })
    }
}

/// Whether the test of `case` is known to fail from constant tags.
fn known_false(case: Case, at: IntValue<'_>, bt: IntValue<'_>) -> bool {
    let (ka, kb) = (at.get_sign_extended_constant(), bt.get_sign_extended_constant());
    let is = |k: Option<i64>, want: &[i64]| k.is_some_and(|k| !want.contains(&k));
    match case {
        Case::Int => is(ka, &[tag::INT]) || is(kb, &[tag::INT]),
        Case::Float => is(ka, &[tag::INT, tag::FLOAT]) || is(kb, &[tag::INT, tag::FLOAT]),
        Case::Bool => is(ka, &[tag::BOOL]) || is(kb, &[tag::BOOL]),
        Case::NonZero => is(ka, &[tag::INT, tag::BOOL]),
        Case::FloatNeg => is(ka, &[tag::FLOAT]),
    }
}

fn int_pred(f: RtFn) -> Option<IntPredicate> {
    Some(match f {
        RtFn::Lt => IntPredicate::SLT,
        RtFn::Le => IntPredicate::SLE,
        RtFn::Gt => IntPredicate::SGT,
        RtFn::Ge => IntPredicate::SGE,
        RtFn::Eq => IntPredicate::EQ,
        _ => return None,
    })
}

/// Ordered predicates (false when either side is NaN), matching `partial_cmp` / `==`.
fn float_pred(f: RtFn) -> Option<FloatPredicate> {
    Some(match f {
        RtFn::Lt => FloatPredicate::OLT,
        RtFn::Le => FloatPredicate::OLE,
        RtFn::Gt => FloatPredicate::OGT,
        RtFn::Ge => FloatPredicate::OGE,
        RtFn::Eq => FloatPredicate::OEQ,
        _ => return None,
    })
}
