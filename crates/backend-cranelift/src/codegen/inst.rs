//! Lowering of legal MIR instructions to CLIF: constants, arithmetic with Nyash's exact
//! division semantics, comparisons, boxing, direct calls and runtime calls, instance field
//! slots (plain loads/stores at `nyash_mir::layout` offsets) and function addresses. Inline
//! retain/release and ArrayBox fast paths live in `fast.rs`, dynamic operators in `fast_ops.rs`.

use super::divide;
use super::function::{CVal, FnLowering, TRAP_NORETURN};
use super::runtime::abi_types;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, types, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind};
use cranelift_module::Module;
use nyash_mir::{
    layout, tag, BackendError, CmpOp, Const, FloatFn, FloatOp, Inst, InstKind, IntOp, Repr, RtFn,
    SiteId, Type, ValueId,
};

impl<M: Module> FnLowering<'_, '_, M> {
    pub(super) fn lower_inst(&mut self, inst: &Inst) -> Result<(), BackendError> {
        let site = inst.site;
        let val = match &inst.kind {
            InstKind::Const(c) => {
                if let (Some(r), Const::Int(_) | Const::Float(_)) = (inst.result, c) {
                    self.consts.insert(r, *c);
                }
                self.lower_const(*c)?
            }
            InstKind::IntBin { op, a, b } => {
                let known_b = match self.consts.get(b) {
                    Some(Const::Int(n)) => Some(*n),
                    _ => None,
                };
                // A non-negative dividend and a positive constant divisor: no sign fix-ups.
                let plan = match (op, known_b) {
                    (IntOp::Div | IntOp::Rem, Some(d)) => {
                        nyash_mir::divide::plan(d).map(|p| (d, p))
                    }
                    _ => None,
                };
                match plan {
                    Some((d, p)) if self.non_negative_here(*a) => {
                        let a = self.one(*a)?;
                        CVal::One(divide::emit(&mut self.b, a, d, p, *op == IntOp::Rem))
                    }
                    _ => {
                        let (a, b) = (self.one(*a)?, self.one(*b)?);
                        CVal::One(self.int_bin(*op, a, b, known_b, site)?)
                    }
                }
            }
            InstKind::FloatBin { op, a, b } => {
                let known_b = match self.consts.get(b) {
                    Some(Const::Float(x)) => Some(*x),
                    _ => None,
                };
                let (a, b) = (self.one(*a)?, self.one(*b)?);
                CVal::One(self.float_bin(*op, a, b, known_b, site)?)
            }
            InstKind::IntCmp { op, a, b } => {
                let (a, b) = (self.one(*a)?, self.one(*b)?);
                CVal::One(self.b.ins().icmp(int_cc(*op), a, b))
            }
            InstKind::FloatCmp { op, a, b } => {
                let (a, b) = (self.one(*a)?, self.one(*b)?);
                CVal::One(self.b.ins().fcmp(float_cc(*op), a, b))
            }
            InstKind::IntNeg(a) => {
                let a = self.one(*a)?;
                CVal::One(self.b.ins().ineg(a))
            }
            InstKind::FloatNeg(a) => {
                let a = self.one(*a)?;
                CVal::One(self.b.ins().fneg(a))
            }
            InstKind::FloatUnary { op, a } => {
                let a = self.one(*a)?;
                CVal::One(match op {
                    FloatFn::Sqrt => self.b.ins().sqrt(a),
                    FloatFn::Abs => self.b.ins().fabs(a),
                    FloatFn::Floor => self.b.ins().floor(a),
                    FloatFn::Ceil => self.b.ins().ceil(a),
                })
            }
            // Saturating, NaN → 0: exactly Rust's `as`.
            InstKind::FloatToInt(a) => {
                let a = self.one(*a)?;
                CVal::One(self.b.ins().fcvt_to_sint_sat(types::I64, a))
            }
            InstKind::Select { cond, a, b } => {
                let (c, a, b) = (self.one(*cond)?, self.one(*a)?, self.one(*b)?);
                CVal::One(self.b.ins().select(c, a, b))
            }
            InstKind::BoolNot(a) => {
                let a = self.one(*a)?;
                CVal::One(self.b.ins().bxor_imm_u(a, 1))
            }
            InstKind::IsNull(a) => {
                let (t, _) = self.pair(*a)?;
                CVal::One(self.b.ins().icmp_imm_s(IntCC::Equal, t, nyash_mir::tag::NULL))
            }
            InstKind::IntToFloat(a) => {
                let a = self.one(*a)?;
                CVal::One(self.b.ins().fcvt_from_sint(types::F64, a))
            }
            InstKind::ToDyn(a) => self.box_value(*a)?,
            InstKind::FromDyn { value, to } => {
                // The tag is known by contract: only the payload word matters.
                let (_, p) = self.pair(*value)?;
                CVal::One(match to.repr() {
                    Repr::I64 => p,
                    Repr::F64 => match self.bitcast_source(p, types::F64) {
                        Some(x) => x,
                        None => self.b.ins().bitcast(types::F64, MemFlagsData::new(), p),
                    },
                    Repr::Bool => self.nonzero(p),
                    Repr::Boxed => return Err(self.err(format!("fromdyn to {}", to.name()))),
                })
            }
            InstKind::Call { func, args } => self.call(*func, args)?,
            // Reference counting is inlined (fast path in place, runtime call when cold),
            // except where it runs once.
            InstKind::RtCall { func: f @ (RtFn::Retain | RtFn::Release), args }
                if args.len() == 1 && inst.result.is_none() && !self.runs_once_here() =>
            {
                let (t, p) = self.pair(args[0])?;
                return self.inline_rc(*f, t, p, self.func.ty(args[0]).is_heap());
            }
            // Dynamic operators on numbers/Bools are inlined (`fast_ops.rs`).
            InstKind::RtCall { func, args }
                if func.has_inline_fast_path()
                    && inst.result.is_some()
                    && !self.runs_once_here() =>
            {
                match self.dyn_op_fast_path(*func, args, site)? {
                    Some(v) => v,
                    None => self.plain_rt_call(*func, args, site)?,
                }
            }
            InstKind::RtCall { func, args } => {
                let words = self.rt_words(*func, args)?;
                match self.call_rt(*func, words, site)? {
                    Some(v) => v,
                    None if inst.result.is_none() => return Ok(()),
                    None => return Err(self.err(format!("{} returns nothing", func.name()))),
                }
            }
            InstKind::DynMethodCall { recv, method, args } if self.runs_once_here() => {
                self.method_call(*recv, method.0, args, site)?
            }
            InstKind::DynMethodCall { recv, method, args } => {
                match self.array_fast_path(*recv, *method, args, site, false)? {
                    Some(v) => v,
                    None => self.method_call(*recv, method.0, args, site)?,
                }
            }
            InstKind::InitRuntime { argc, argv } => {
                let mut words = vec![self.one(*argc)?, self.one(*argv)?];
                words.push(self.data_addr(self.declared.meta));
                words.push(self.b.ins().iconst(types::I64, self.declared.meta_len as i64));
                self.call_rt(RtFn::Init, words, site)?;
                return Ok(());
            }
            InstKind::FieldLoad { obj, slot } => {
                let (_, ptr) = self.pair(*obj)?;
                let offset = self.slot_offset(*slot)?;
                let flags = MemFlagsData::trusted();
                // No tag load when the result's type fixes the tag, or when only `FromDyn`
                // reads the result (a typed slot: legalization reads its payload alone):
                // Cranelift never deletes an unused load by itself. The slot's inferred
                // type is not enough: a store reads the old value, maybe the initial null.
                let fixed = inst.result.and_then(|r| self.func.ty(r).fixed_tag());
                let t = match (fixed, inst.result) {
                    (Some(k), _) => self.b.ins().iconst(types::I64, k),
                    (None, Some(r)) if !self.tag_needed(r) => {
                        self.b.ins().iconst(types::I64, tag::NULL)
                    }
                    (None, _) => self.b.ins().load(types::I64, flags, ptr, offset),
                };
                // A Float slot's payload is loaded into a float register (the same bits), so
                // its typed uses need no move from an integer register (`bitcast_source`).
                let p = if self.slot_holds_floats(*obj, *slot) {
                    let x = self.b.ins().load(types::F64, flags, ptr, offset + 8);
                    self.b.ins().bitcast(types::I64, MemFlagsData::new(), x)
                } else {
                    self.b.ins().load(types::I64, flags, ptr, offset + 8)
                };
                CVal::Two(t, p)
            }
            InstKind::FieldStore { obj, slot, value } => {
                let (_, ptr) = self.pair(*obj)?;
                let (t, p) = self.pair(*value)?;
                let offset = self.slot_offset(*slot)?;
                let flags = MemFlagsData::trusted();
                self.b.ins().store(flags, t, ptr, offset);
                // A boxed Float is stored from its float register: the same bits.
                let p = self.bitcast_source(p, types::F64).unwrap_or(p);
                self.b.ins().store(flags, p, ptr, offset + 8);
                return match inst.result {
                    None => Ok(()),
                    Some(r) => Err(self.err(format!("{r}: FieldStore has no result"))),
                };
            }
            InstKind::ArrayLoad { arr, index } => self.array_load(*arr, *index)?,
            InstKind::FuncAddr(callee) => {
                let Some(&id) = self.declared.funcs.get(callee.index()) else {
                    return Err(self.err(format!("address of unknown function {callee}")));
                };
                // The function keeps the default (C) call convention of `signature`, so the
                // runtime can call it as `extern "C" fn(i64, i64) -> {i64, i64}`.
                let fref = self.func_ref(id);
                CVal::One(self.b.ins().func_addr(types::I64, fref))
            }
            InstKind::Binary { .. }
            | InstKind::Unary { .. }
            | InstKind::Truthy(_)
            | InstKind::Print(_)
            | InstKind::MethodCall { .. }
            | InstKind::Retain(_)
            | InstKind::Release(_)
            | InstKind::FieldGet { .. }
            | InstKind::FieldSet { .. } => {
                return Err(self.err(format!(
                    "generic MIR instruction reached the backend (legalize not run?): {:?}",
                    inst.kind
                )))
            }
        };
        self.define(inst.result, val)
    }

    /// Byte offset of field slot `slot` from the instance pointer (`layout`), as a CLIF
    /// immediate; the payload word is 8 bytes further.
    fn slot_offset(&self, slot: u32) -> Result<i32, BackendError> {
        let offset = layout::INSTANCE_FIELDS_OFFSET + layout::SLOT_SIZE * i64::from(slot);
        i32::try_from(offset + 8)
            .map(|_| offset as i32)
            .map_err(|_| self.err(format!("field slot {slot} is out of range")))
    }

    fn lower_const(&mut self, c: Const) -> Result<CVal, BackendError> {
        Ok(match c {
            Const::Int(n) => CVal::One(self.b.ins().iconst(types::I64, n)),
            Const::Float(x) => CVal::One(self.b.ins().f64const(x)),
            Const::Bool(b) => CVal::One(self.b.ins().iconst(types::I8, b as i64)),
            Const::Null => {
                let t = self.b.ins().iconst(types::I64, tag::NULL);
                let p = self.b.ins().iconst(types::I64, 0);
                CVal::Two(t, p)
            }
            // The literal's immortal String object (static data, see `data.rs`).
            Const::Str(id) => {
                let Some(&data) = self.declared.strings.get(id.index()) else {
                    return Err(self.err(format!("unknown string literal {id}")));
                };
                let t = self.b.ins().iconst(types::I64, tag::STR);
                CVal::Two(t, self.data_addr(data))
            }
        })
    }

    /// Wrapping add/sub/mul; division and remainder with Nyash semantics that never trap:
    /// divisor 0 → `nyrt_error_div_zero(site)`; divisor -1 → `-a` (wrapping) / `0`.
    /// `known_b` is the divisor when it is a constant: then no checks are needed.
    fn int_bin(
        &mut self,
        op: IntOp,
        a: ir::Value,
        b: ir::Value,
        known_b: Option<i64>,
        site: SiteId,
    ) -> Result<ir::Value, BackendError> {
        Ok(match (op, known_b) {
            (IntOp::Add, _) => self.b.ins().iadd(a, b),
            (IntOp::Sub, _) => self.b.ins().isub(a, b),
            (IntOp::Mul, _) => self.b.ins().imul(a, b),
            (IntOp::Div, Some(-1)) => self.b.ins().ineg(a),
            (IntOp::Div, Some(1)) => a,
            (IntOp::Rem, Some(-1 | 1)) => self.b.ins().iconst(types::I64, 0),
            // A multiply by a magic number, as Cranelift's e-graph would make it (it is off
            // below -O3, `isa::build`); the hardware divide takes tens of cycles.
            (IntOp::Div | IntOp::Rem, Some(d)) if d != 0 => {
                divide::emit_signed(&mut self.b, a, d, op == IntOp::Rem)
            }
            (IntOp::Div | IntOp::Rem, _) => {
                let is_zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                self.div_zero_check(is_zero, site)?;
                // Divide by 1 instead of -1 (sdiv/srem trap on i64::MIN / -1), then fix up:
                // a / -1 = -a (wrapping); a % -1 = a % 1 = 0 already.
                let is_m1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let one = self.b.ins().iconst(types::I64, 1);
                let safe_b = self.b.ins().select(is_m1, one, b);
                if op == IntOp::Div {
                    let q = self.b.ins().sdiv(a, safe_b);
                    let neg = self.b.ins().ineg(a);
                    self.b.ins().select(is_m1, neg, q)
                } else {
                    self.b.ins().srem(a, safe_b)
                }
            }
        })
    }

    /// IEEE arithmetic; a ±0.0 divisor of `/` or `%` is a runtime error; `%` is C `fmod`.
    fn float_bin(
        &mut self,
        op: FloatOp,
        a: ir::Value,
        b: ir::Value,
        known_b: Option<f64>,
        site: SiteId,
    ) -> Result<ir::Value, BackendError> {
        Ok(match op {
            FloatOp::Add => self.b.ins().fadd(a, b),
            FloatOp::Sub => self.b.ins().fsub(a, b),
            FloatOp::Mul => self.b.ins().fmul(a, b),
            FloatOp::Div | FloatOp::Rem => {
                // A constant divisor that is not ±0.0 (NaN included) needs no check.
                if known_b.is_none_or(|x| x == 0.0) {
                    let zero = self.b.ins().f64const(0.0);
                    let is_zero = self.b.ins().fcmp(FloatCC::Equal, b, zero);
                    self.div_zero_check(is_zero, site)?;
                }
                if op == FloatOp::Div {
                    self.b.ins().fdiv(a, b)
                } else {
                    let fmod = self.func_ref(self.declared.fmod);
                    let call = self.b.ins().call(fmod, &[a, b]);
                    match self.b.inst_results(call) {
                        [r] => *r,
                        _ => return Err(self.err("nyrt_fmod must return one f64")),
                    }
                }
            }
        })
    }

    /// Branches to a cold block raising the division-by-zero error when `is_zero` is set;
    /// continues in a fresh block otherwise.
    fn div_zero_check(&mut self, is_zero: ir::Value, site: SiteId) -> Result<(), BackendError> {
        let error = self.b.create_block();
        let ok = self.b.create_block();
        self.b.set_cold_block(error);
        self.b.ins().brif(is_zero, error, &[], ok, &[]);
        self.b.switch_to_block(error);
        self.call_rt(RtFn::ErrorDivZero, Vec::new(), site)?;
        self.b.ins().trap(TRAP_NORETURN);
        self.b.switch_to_block(ok);
        Ok(())
    }

    /// `x` when `v` is `bitcast(x)` and `x` has type `ty`: a Float boxed (or loaded as an
    /// f64, `guarded_get.rs`) and unboxed again needs no round trip through an integer
    /// register, which Cranelift's optimizer does not remove by itself.
    fn bitcast_source(&self, v: ir::Value, ty: ir::Type) -> Option<ir::Value> {
        let dfg = &self.b.func.dfg;
        let ir::ValueDef::Result(inst, 0) = dfg.value_def(v) else { return None };
        if dfg.insts[inst].opcode() != ir::Opcode::Bitcast {
            return None;
        }
        let arg = *dfg.inst_args(inst).first()?;
        (dfg.value_type(arg) == ty).then_some(arg)
    }

    /// Whether inference typed field `slot` of `obj`'s box as a Float (or Float-or-null).
    /// Only a choice of register: the loaded bits are the same either way.
    fn slot_holds_floats(&self, obj: ValueId, slot: u32) -> bool {
        let (Type::Instance(b) | Type::InstanceOrNull(b)) = self.func.ty(obj) else {
            return false;
        };
        let ty = self.mir.boxes.get(b.index()).and_then(|d| d.field_types.get(slot as usize));
        matches!(ty, Some(Type::Float | Type::FloatOrNull))
    }

    /// Tags an unboxed value; a Boxed value passes through unchanged.
    fn box_value(&mut self, a: ValueId) -> Result<CVal, BackendError> {
        let (t, payload) = match self.func.ty(a).repr() {
            Repr::Boxed => return self.get(a),
            Repr::I64 => (tag::INT, self.one(a)?),
            Repr::F64 => {
                let x = self.one(a)?;
                (tag::FLOAT, self.b.ins().bitcast(types::I64, MemFlagsData::new(), x))
            }
            Repr::Bool => {
                let x = self.one(a)?;
                (tag::BOOL, self.widen_bool(x))
            }
        };
        let t = self.b.ins().iconst(types::I64, t);
        Ok(CVal::Two(t, payload))
    }

    fn call(&mut self, callee: nyash_mir::FuncId, args: &[ValueId]) -> Result<CVal, BackendError> {
        let (Some(&id), Some(target)) =
            (self.declared.funcs.get(callee.index()), self.mir.funcs.get(callee.index()))
        else {
            return Err(self.err(format!("call to unknown function {callee}")));
        };
        let args = self.flatten(args)?;
        let fref = self.func_ref(id);
        let call = self.b.ins().call(fref, &args);
        match (target.ret.repr(), self.b.inst_results(call)) {
            (Repr::Boxed, &[t, p]) => Ok(CVal::Two(t, p)),
            (repr, &[r]) if repr != Repr::Boxed => Ok(CVal::One(r)),
            _ => Err(self.err(format!("call to {}: result count mismatch", target.name))),
        }
    }

    /// A runtime call with a result (the fallback of a fast path that does not apply).
    fn plain_rt_call(
        &mut self,
        f: RtFn,
        args: &[ValueId],
        site: SiteId,
    ) -> Result<CVal, BackendError> {
        let words = self.rt_words(f, args)?;
        self.call_rt(f, words, site)?
            .ok_or_else(|| self.err(format!("{} returns nothing", f.name())))
    }

    /// The ABI words of a runtime call's arguments per `RtFn::signature` (no site yet).
    fn rt_words(&mut self, f: RtFn, args: &[ValueId]) -> Result<Vec<ir::Value>, BackendError> {
        let sig = f.signature();
        if sig.params.len() != args.len() {
            return Err(self.err(format!(
                "{} takes {} arguments, got {}",
                f.name(),
                sig.params.len(),
                args.len()
            )));
        }
        let mut words = Vec::with_capacity(args.len() * 2);
        for (&param, &arg) in sig.params.iter().zip(args) {
            match param {
                Repr::I64 | Repr::F64 => words.push(self.one(arg)?),
                Repr::Bool => {
                    let x = self.one(arg)?;
                    words.push(self.widen_bool(x));
                }
                Repr::Boxed => {
                    let (t, p) = self.pair(arg)?;
                    words.push(t);
                    words.push(p);
                }
            }
        }
        Ok(words)
    }

    /// Calls runtime entry `f` with `words` (plus the site when its signature has one) and
    /// converts the result back to MIR representation (`None` for a Void entry).
    pub(super) fn call_rt(
        &mut self,
        f: RtFn,
        mut words: Vec<ir::Value>,
        site: SiteId,
    ) -> Result<Option<CVal>, BackendError> {
        let sig = f.signature();
        if sig.site {
            words.push(self.b.ins().iconst(types::I64, site.0 as i64));
        }
        let fref = self.rt_ref(f)?;
        let call = self.b.ins().call(fref, &words);
        let results = self.b.inst_results(call).to_vec();
        let Some(ret) = sig.ret else { return Ok(None) };
        if results.len() != abi_types(ret).len() {
            return Err(self.err(format!("{}: result count mismatch", f.name())));
        }
        Ok(Some(match ret {
            Repr::I64 | Repr::F64 => CVal::One(results[0]),
            // The runtime returns an i64 0/1; MIR Bools are i8.
            Repr::Bool => CVal::One(self.b.ins().icmp_imm_s(IntCC::NotEqual, results[0], 0)),
            Repr::Boxed => CVal::Two(results[0], results[1]),
        }))
    }

    /// A method call through the runtime: its direct entry point for this receiver type and
    /// method (`RtFn::direct_method`: receiver, arguments, symbol), else `nyrt_call_method`.
    fn method_call(
        &mut self,
        recv: ValueId,
        sym: u32,
        args: &[ValueId],
        site: SiteId,
    ) -> Result<CVal, BackendError> {
        let name = self.mir.symbols.get(sym as usize).map_or("", |s| s.as_str());
        let Some(direct) = RtFn::direct_method(self.func.ty(recv), name, args.len()) else {
            return self.dyn_method_call(recv, sym, args, site);
        };
        let (rt, rp) = self.pair(recv)?;
        let mut words = vec![rt, rp];
        for &a in args {
            let (t, p) = self.pair(a)?;
            words.extend([t, p]);
        }
        words.push(self.b.ins().iconst(types::I64, sym as i64));
        match self.call_rt(direct, words, site)? {
            Some(v) => Ok(v),
            None => Err(self.err(format!("{} returns nothing", direct.name()))),
        }
    }

    /// `nyrt_call_method(recv.tag, recv.payload, sym, args_ptr, argc, site)`, with the
    /// arguments stored as consecutive `(tag, payload)` pairs in a stack buffer.
    pub(super) fn dyn_method_call(
        &mut self,
        recv: ValueId,
        sym: u32,
        args: &[ValueId],
        site: SiteId,
    ) -> Result<CVal, BackendError> {
        let (rt, rp) = self.pair(recv)?;
        let args_ptr = if args.is_empty() {
            self.b.ins().iconst(types::I64, 0)
        } else {
            let size = u32::try_from(16 * args.len())
                .map_err(|_| self.err("too many method arguments"))?;
            let slot = self.b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                size,
                3,
            ));
            for (i, &arg) in args.iter().enumerate() {
                let (t, p) = self.pair(arg)?;
                let offset = 16 * i as i32;
                self.b.ins().stack_store(types::I64, t, slot, offset);
                self.b.ins().stack_store(types::I64, p, slot, offset + 8);
            }
            self.b.ins().stack_addr(types::I64, slot, 0)
        };
        let sym = self.b.ins().iconst(types::I64, sym as i64);
        let argc = self.b.ins().iconst(types::I64, args.len() as i64);
        match self.call_rt(RtFn::CallMethod, vec![rt, rp, sym, args_ptr, argc], site)? {
            Some(v) => Ok(v),
            None => Err(self.err("nyrt_call_method returns nothing")),
        }
    }
}

fn int_cc(op: CmpOp) -> IntCC {
    match op {
        CmpOp::Eq => IntCC::Equal,
        CmpOp::Ne => IntCC::NotEqual,
        CmpOp::Lt => IntCC::SignedLessThan,
        CmpOp::Le => IntCC::SignedLessThanOrEqual,
        CmpOp::Gt => IntCC::SignedGreaterThan,
        CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
    }
}

/// All ordered except `Ne`, which Cranelift's `NotEqual` defines as UN | LT | GT (C `!=`).
fn float_cc(op: CmpOp) -> FloatCC {
    match op {
        CmpOp::Eq => FloatCC::Equal,
        CmpOp::Ne => FloatCC::NotEqual,
        CmpOp::Lt => FloatCC::LessThan,
        CmpOp::Le => FloatCC::LessThanOrEqual,
        CmpOp::Gt => FloatCC::GreaterThan,
        CmpOp::Ge => FloatCC::GreaterThanOrEqual,
    }
}
