//! Lowering of legal MIR instructions to LLVM instructions and runtime calls, including the
//! inline division checks (divisor 0 → `nyrt_error_div_zero`, divisor -1 never reaches
//! `sdiv`/`srem`, whose overflow case is undefined behaviour in LLVM), instance field slots
//! (plain aligned loads/stores at `nyash_mir::layout` offsets) and function addresses. Inline
//! retain/release and ArrayBox fast paths live in `fast.rs`, dynamic operators in
//! `fast_ops.rs`.

use super::function::{value_name, FnCodegen};
use super::tbaa::Mem;
use super::{CgError, CgResult, Val};
use crate::llvm14;
use inkwell::values::{
    BasicMetadataValueEnum, BasicValue, BasicValueEnum, FloatValue, IntValue, PointerValue,
};
use inkwell::{FloatPredicate, IntPredicate};
use nyash_mir::divide::{self, Plan};
use nyash_mir::{
    layout, tag, CmpOp, Const, FloatFn, FloatOp, Inst, InstKind, IntOp, Repr, RtFn, SiteId, Type,
    ValueId,
};

impl<'m, 'a, 'ctx> FnCodegen<'m, 'a, 'ctx> {
    pub(super) fn lower_inst(&mut self, inst: &Inst) -> CgResult<()> {
        let name = inst.result.map(value_name).unwrap_or_default();
        let produced = match &inst.kind {
            InstKind::Const(c) => Some(self.constant(*c)?),
            InstKind::IntBin { op, a, b } => {
                let (x, y) = (self.int(*a)?, self.int(*b)?);
                let plan = match op {
                    IntOp::Div | IntOp::Rem => {
                        y.get_sign_extended_constant().and_then(divide::plan)
                    }
                    _ => None,
                };
                match plan {
                    Some(Plan::Magic { m, shift }) if self.non_negative_here(*a) => {
                        let rem = *op == IntOp::Rem;
                        Some(Val::I64(self.magic_divide(x, y, m, shift, rem, &name)?))
                    }
                    _ => Some(Val::I64(self.int_bin(*op, x, y, inst.site, &name)?)),
                }
            }
            InstKind::FloatBin { op, a, b } => {
                let (a, b) = (self.float(*a)?, self.float(*b)?);
                Some(Val::F64(self.float_bin(*op, a, b, inst.site, &name)?))
            }
            InstKind::IntCmp { op, a, b } => {
                let (a, b) = (self.int(*a)?, self.int(*b)?);
                Some(Val::Bool(self.builder.build_int_compare(int_pred(*op), a, b, &name)?))
            }
            InstKind::FloatCmp { op, a, b } => {
                let (a, b) = (self.float(*a)?, self.float(*b)?);
                Some(Val::Bool(self.builder.build_float_compare(float_pred(*op), a, b, &name)?))
            }
            // `sub 0, x` without nsw: wraps, so -i64::MIN == i64::MIN.
            InstKind::IntNeg(a) => {
                Some(Val::I64(self.builder.build_int_neg(self.int(*a)?, &name)?))
            }
            InstKind::FloatNeg(a) => {
                Some(Val::F64(self.builder.build_float_neg(self.float(*a)?, &name)?))
            }
            InstKind::FloatUnary { op, a } => {
                let x = self.float(*a)?;
                let intrinsic = match op {
                    FloatFn::Sqrt => "llvm.sqrt",
                    FloatFn::Abs => "llvm.fabs",
                    FloatFn::Floor => "llvm.floor",
                    FloatFn::Ceil => "llvm.ceil",
                };
                let f64t = self.m.types.f64;
                let r =
                    self.m.call_intrinsic(&self.builder, intrinsic, &[f64t.into()], &[x.into()])?;
                Some(Val::F64(r.into_float_value()))
            }
            // Saturating, NaN → 0: exactly Rust's `as`.
            InstKind::FloatToInt(a) => {
                let x = self.float(*a)?;
                let types = [self.m.types.i64.into(), self.m.types.f64.into()];
                let r =
                    self.m.call_intrinsic(&self.builder, "llvm.fptosi.sat", &types, &[x.into()])?;
                Some(Val::I64(r.into_int_value()))
            }
            InstKind::Select { cond, a, b } => {
                let c = self.bool(*cond)?;
                Some(match (self.val(*a)?, self.val(*b)?) {
                    (Val::I64(x), Val::I64(y)) => {
                        Val::I64(self.builder.build_select(c, x, y, &name)?.into_int_value())
                    }
                    (Val::F64(x), Val::F64(y)) => {
                        Val::F64(self.builder.build_select(c, x, y, &name)?.into_float_value())
                    }
                    (Val::Bool(x), Val::Bool(y)) => {
                        Val::Bool(self.builder.build_select(c, x, y, &name)?.into_int_value())
                    }
                    _ => {
                        return Err(CgError("select of values of different representations".into()))
                    }
                })
            }
            InstKind::BoolNot(a) => Some(Val::Bool(self.builder.build_not(self.bool(*a)?, &name)?)),
            InstKind::IsNull(a) => {
                let Val::Boxed(t, _) = self.val(*a)? else {
                    return Err(CgError("isnull of an unboxed value".into()));
                };
                let null = self.i64_const(nyash_mir::tag::NULL);
                Some(Val::Bool(self.builder.build_int_compare(IntPredicate::EQ, t, null, &name)?))
            }
            InstKind::IntToFloat(a) => {
                let x = self.int(*a)?;
                Some(Val::F64(self.builder.build_signed_int_to_float(
                    x,
                    self.m.types.f64,
                    &name,
                )?))
            }
            InstKind::ToDyn(a) => Some(self.lower_to_dyn(*a, &name)?),
            InstKind::FromDyn { value, to } => Some(self.lower_from_dyn(*value, *to, &name)?),
            InstKind::Call { func, args } => self.call(*func, args, &name)?,
            // Reference counting is inlined (fast path in place, runtime call when unlikely).
            InstKind::RtCall { func: f @ (RtFn::Retain | RtFn::Release), args }
                if args.len() == 1 && inst.result.is_none() =>
            {
                let Val::Boxed(t, p) = self.val(args[0])? else {
                    return Err(CgError(format!("{} of an unboxed value", f.name())));
                };
                self.inline_rc(*f, t, p, self.f.ty(args[0]).is_heap())?;
                None
            }
            // Dynamic operators on numbers/Bools are inlined (`fast_ops.rs`).
            InstKind::RtCall { func, args }
                if func.has_inline_fast_path() && inst.result.is_some() =>
            {
                match self.dyn_op_fast_path(*func, args, inst.site, &name)? {
                    Some(v) => Some(v),
                    None => {
                        let args: Vec<Val<'ctx>> =
                            args.iter().map(|&a| self.val(a)).collect::<CgResult<_>>()?;
                        self.m.rt_call(&self.builder, *func, &args, inst.site, &name)?
                    }
                }
            }
            InstKind::RtCall { func, args } => {
                let args: Vec<Val<'ctx>> =
                    args.iter().map(|&a| self.val(a)).collect::<CgResult<_>>()?;
                self.m.rt_call(&self.builder, *func, &args, inst.site, &name)?
            }
            InstKind::DynMethodCall { recv, method, args } => {
                match self.array_fast_path(*recv, *method, args, inst.site, &name, false)? {
                    Some(v) => Some(v),
                    None => Some(self.method_call(*recv, method.0, args, inst.site, &name)?),
                }
            }
            InstKind::InitRuntime { argc, argv } => {
                let (argc, argv) = (self.val(*argc)?, self.val(*argv)?);
                self.m.init_runtime(&self.builder, argc, argv)?;
                None
            }
            InstKind::FieldLoad { obj, slot } => {
                let (tag_ptr, pay_ptr) = self.slot_ptrs(*obj, *slot, &name)?;
                let offset = slot_offset(*slot);
                let t = self.load_from(tag_ptr, Mem::Obj(offset), &format!("{name}.tag"))?;
                let p = self.load_from(pay_ptr, Mem::Obj(offset + 8), &format!("{name}.pay"))?;
                Some(Val::Boxed(t, p))
            }
            InstKind::FieldStore { obj, slot, value } => {
                let Val::Boxed(t, p) = self.val(*value)? else {
                    return Err(CgError(format!("stored field value {value} is not boxed")));
                };
                let (tag_ptr, pay_ptr) = self.slot_ptrs(*obj, *slot, "")?;
                let offset = slot_offset(*slot);
                self.store_to(tag_ptr, t, Mem::Obj(offset))?;
                self.store_to(pay_ptr, p, Mem::Obj(offset + 8))?;
                None
            }
            InstKind::ArrayLoad { arr, index } => Some(self.array_load(*arr, *index)?),
            InstKind::FuncAddr(func) => {
                let llfn = *self
                    .m
                    .funcs
                    .get(func.index())
                    .ok_or_else(|| CgError(format!("address of missing function {func}")))?;
                // The address escapes, so LLVM keeps the function's C calling convention and
                // signature (no fastcc / argument promotion on internal functions whose
                // address is taken): the runtime calls it as `extern "C" fn(i64, i64) -> {i64,
                // i64}`.
                let ptr = llfn.as_global_value().as_pointer_value();
                Some(Val::I64(self.builder.build_ptr_to_int(ptr, self.m.types.i64, &name)?))
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
                return Err(CgError(format!(
                    "generic MIR instruction {:?} reached the backend (legalize first)",
                    inst.kind
                )))
            }
        };
        match (inst.result, produced) {
            (Some(r), Some(v)) => self.def(r, v),
            (Some(r), None) => {
                Err(CgError(format!("{r} is defined by an instruction without a result")))
            }
            (None, _) => Ok(()),
        }
    }

    fn int(&self, v: ValueId) -> CgResult<IntValue<'ctx>> {
        match self.val(v)? {
            Val::I64(x) => Ok(x),
            other => Err(CgError(format!("{v} should be an int, is {:?}", other.repr()))),
        }
    }

    fn float(&self, v: ValueId) -> CgResult<FloatValue<'ctx>> {
        match self.val(v)? {
            Val::F64(x) => Ok(x),
            other => Err(CgError(format!("{v} should be a float, is {:?}", other.repr()))),
        }
    }

    fn bool(&self, v: ValueId) -> CgResult<IntValue<'ctx>> {
        match self.val(v)? {
            Val::Bool(x) => Ok(x),
            other => Err(CgError(format!("{v} should be a bool, is {:?}", other.repr()))),
        }
    }

    /// Pointers to the tag and payload words of field slot `slot` of the instance `obj`
    /// (whose payload is the object address), per `nyash_mir::layout`.
    fn slot_ptrs(
        &self,
        obj: ValueId,
        slot: u32,
        name: &str,
    ) -> CgResult<(PointerValue<'ctx>, PointerValue<'ctx>)> {
        let Val::Boxed(_, base) = self.val(obj)? else {
            return Err(CgError(format!("field access on {obj}, which is not boxed")));
        };
        let offset = slot_offset(slot);
        let t = self.word_ptr(base, offset, &format!("{name}.addr0"))?;
        let p = self.word_ptr(base, offset + 8, &format!("{name}.addr1"))?;
        Ok((t, p))
    }

    /// A pointer to the word at byte `offset` of the object at address `base`. A GEP from the
    /// object's pointer (not `inttoptr(base + offset)`) lets LLVM's alias analysis see that
    /// different words of one object do not overlap, so fields stay in registers in loops.
    pub(super) fn word_ptr(
        &self,
        base: IntValue<'ctx>,
        offset: i64,
        name: &str,
    ) -> CgResult<PointerValue<'ctx>> {
        let word_ptr = llvm14::word_ptr_type(self.m.ctx);
        let ptr = self.builder.build_int_to_ptr(base, word_ptr, "")?;
        if offset == 0 {
            return Ok(ptr);
        }
        if offset % 8 == 0 {
            return Ok(llvm14::word_gep(&self.builder, ptr, self.i64_const(offset / 8), name)?);
        }
        let addr = self.builder.build_int_add(base, self.i64_const(offset), name)?;
        Ok(self.builder.build_int_to_ptr(addr, word_ptr, "")?)
    }

    /// An aligned i64 load.
    pub(super) fn load_word(
        &self,
        ptr: PointerValue<'ctx>,
        name: &str,
    ) -> CgResult<IntValue<'ctx>> {
        let v = llvm14::load_i64(&self.builder, self.m.types.i64, ptr, name)?;
        if let Some(inst) = v.as_instruction_value() {
            inst.set_alignment(8).map_err(|e| CgError(format!("load alignment: {e}")))?;
        }
        Ok(v.into_int_value())
    }

    pub(super) fn i64_const(&self, x: i64) -> IntValue<'ctx> {
        self.m.types.i64.const_int(x as u64, true)
    }

    fn constant(&mut self, c: Const) -> CgResult<Val<'ctx>> {
        let t = self.m.types;
        Ok(match c {
            Const::Int(x) => Val::I64(self.i64_const(x)),
            Const::Float(x) => Val::F64(t.f64.const_float(x)),
            Const::Bool(b) => Val::Bool(t.i1.const_int(b as u64, false)),
            Const::Null => Val::Boxed(self.i64_const(tag::NULL), self.i64_const(0)),
            Const::Str(id) => self.m.const_str(id)?,
        })
    }

    /// Branches to a `nyrt_error_div_zero(site)` block when `is_zero`, and continues in a
    /// fresh block otherwise.
    fn div_zero_check(
        &mut self,
        is_zero: IntValue<'ctx>,
        site: SiteId,
        name: &str,
    ) -> CgResult<()> {
        let here = self
            .builder
            .get_insert_block()
            .ok_or_else(|| CgError("builder is not positioned".into()))?;
        let err = self.m.ctx.insert_basic_block_after(here, &format!("{name}.divzero"));
        let ok = self.m.ctx.insert_basic_block_after(err, &format!("{name}.ok"));
        self.builder.build_conditional_branch(is_zero, err, ok)?;
        self.builder.position_at_end(err);
        self.m.call_div_zero(&self.builder, site)?;
        self.builder.position_at_end(ok);
        Ok(())
    }

    /// `x / d` (or `x % d` when `rem`) for `0 <= x < 2^63` and a constant `d` whose
    /// `divide::plan` is a magic number: `umulhi(x, m) >> shift`, as an `i128` multiply of the
    /// zero-extended operands, which x86 lowers to one `mul`. LLVM 14 would lower `udiv` (what
    /// it makes of our `sdiv` by a constant on a non-negative dividend) with the magic number
    /// for every 64-bit dividend, which for divisors like 7 takes an add fix-up, and its loop
    /// strength reduction expands a remainder of the induction variable in the loop header,
    /// whichever branch uses it (loops.nyash: 53 ms, against C's 41).
    fn magic_divide(
        &mut self,
        x: IntValue<'ctx>,
        d: IntValue<'ctx>,
        m: u64,
        shift: u32,
        rem: bool,
        name: &str,
    ) -> CgResult<IntValue<'ctx>> {
        let bld = &self.builder;
        let i128t = self.m.ctx.i128_type();
        let wide = bld.build_int_z_extend(x, i128t, &format!("{name}.x"))?;
        let product =
            bld.build_int_nuw_mul(wide, i128t.const_int(m, false), &format!("{name}.p"))?;
        let high = bld.build_right_shift(
            product,
            i128t.const_int(64, false),
            false,
            &format!("{name}.h"),
        )?;
        let high = bld.build_int_truncate(high, self.m.types.i64, &format!("{name}.hi"))?;
        let q =
            bld.build_right_shift(high, self.i64_const(shift.into()), false, &format!("{name}.q"))?;
        if !rem {
            return Ok(q);
        }
        let qd = bld.build_int_nuw_mul(q, d, &format!("{name}.qd"))?;
        Ok(bld.build_int_nuw_sub(x, qd, name)?)
    }

    fn int_bin(
        &mut self,
        op: IntOp,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
        site: SiteId,
        name: &str,
    ) -> CgResult<IntValue<'ctx>> {
        let bld = &self.builder;
        Ok(match op {
            // Plain add/sub/mul (no nsw/nuw): Nyash integers wrap.
            IntOp::Add => bld.build_int_add(a, b, name)?,
            IntOp::Sub => bld.build_int_sub(a, b, name)?,
            IntOp::Mul => bld.build_int_mul(a, b, name)?,
            IntOp::Div | IntOp::Rem => {
                let zero = self.i64_const(0);
                let is_zero = self.builder.build_int_compare(
                    IntPredicate::EQ,
                    b,
                    zero,
                    &format!("{name}.b0"),
                )?;
                self.div_zero_check(is_zero, site, name)?;
                // Divisor -1 is replaced by 1 before sdiv/srem (MIN / -1 is UB in LLVM); the
                // result is then fixed up with selects: a / -1 = 0 - a (wrapping), a % -1 = 0
                // (which srem by 1 already gives). Branch-free, so loops stay vectorizable.
                let bld = &self.builder;
                let minus_one = self.i64_const(-1);
                let is_m1 =
                    bld.build_int_compare(IntPredicate::EQ, b, minus_one, &format!("{name}.bm1"))?;
                let safe_b = bld
                    .build_select(is_m1, self.i64_const(1), b, &format!("{name}.b"))?
                    .into_int_value();
                if op == IntOp::Div {
                    let q = bld.build_int_signed_div(a, safe_b, &format!("{name}.q"))?;
                    let neg = bld.build_int_neg(a, &format!("{name}.neg"))?;
                    bld.build_select(is_m1, neg, q, name)?.into_int_value()
                } else {
                    bld.build_int_signed_rem(a, safe_b, name)?
                }
            }
        })
    }

    fn float_bin(
        &mut self,
        op: FloatOp,
        a: FloatValue<'ctx>,
        b: FloatValue<'ctx>,
        site: SiteId,
        name: &str,
    ) -> CgResult<FloatValue<'ctx>> {
        Ok(match op {
            FloatOp::Add => self.builder.build_float_add(a, b, name)?,
            FloatOp::Sub => self.builder.build_float_sub(a, b, name)?,
            FloatOp::Mul => self.builder.build_float_mul(a, b, name)?,
            FloatOp::Div | FloatOp::Rem => {
                // `oeq 0.0` is true for +0.0 and -0.0 and false for NaN, as the spec wants.
                let zero = self.m.types.f64.const_zero();
                let is_zero = self.builder.build_float_compare(
                    FloatPredicate::OEQ,
                    b,
                    zero,
                    &format!("{name}.b0"),
                )?;
                self.div_zero_check(is_zero, site, name)?;
                if op == FloatOp::Div {
                    self.builder.build_float_div(a, b, name)?
                } else {
                    // LLVM `frem` is C fmod; LLVM folds constants and otherwise calls `fmod`.
                    self.builder.build_float_rem(a, b, name)?
                }
            }
        })
    }

    /// Unboxes a value whose tag is `to` by contract: only the payload word is used.
    fn lower_from_dyn(&mut self, a: ValueId, to: Type, name: &str) -> CgResult<Val<'ctx>> {
        let Val::Boxed(_, p) = self.val(a)? else {
            return Err(CgError(format!("fromdyn of an unboxed value {a}")));
        };
        Ok(match to.repr() {
            Repr::I64 => Val::I64(p),
            Repr::F64 => {
                Val::F64(self.builder.build_bit_cast(p, self.m.types.f64, name)?.into_float_value())
            }
            Repr::Bool => Val::Bool(self.builder.build_int_compare(
                IntPredicate::NE,
                p,
                self.i64_const(0),
                name,
            )?),
            Repr::Boxed => return Err(CgError(format!("fromdyn to {}", to.name()))),
        })
    }

    fn lower_to_dyn(&mut self, a: ValueId, name: &str) -> CgResult<Val<'ctx>> {
        let t = self.m.types;
        Ok(match self.val(a)? {
            Val::I64(x) => Val::Boxed(self.i64_const(tag::INT), x),
            Val::F64(x) => {
                let bits =
                    self.builder.build_bit_cast(x, t.i64, &format!("{name}.pay"))?.into_int_value();
                Val::Boxed(self.i64_const(tag::FLOAT), bits)
            }
            Val::Bool(b) => {
                let word = self.builder.build_int_z_extend(b, t.i64, &format!("{name}.pay"))?;
                Val::Boxed(self.i64_const(tag::BOOL), word)
            }
            boxed @ Val::Boxed(..) => boxed,
        })
    }

    fn call(
        &mut self,
        func: nyash_mir::FuncId,
        args: &[ValueId],
        name: &str,
    ) -> CgResult<Option<Val<'ctx>>> {
        let mir = self.m.mir;
        let callee = mir
            .funcs
            .get(func.index())
            .ok_or_else(|| CgError(format!("call to missing function {func}")))?;
        if callee.params.len() != args.len() {
            return Err(CgError(format!(
                "{} takes {} arguments, got {}",
                callee.name,
                callee.params.len(),
                args.len()
            )));
        }
        let mut flat: Vec<BasicMetadataValueEnum<'ctx>> = Vec::with_capacity(args.len() * 2);
        for (&p, &a) in callee.params.iter().zip(args) {
            let v = self.val(a)?;
            if v.repr() != callee.ty(p).repr() {
                return Err(CgError(format!(
                    "argument {a} of {:?} passed for {}'s {p} of {:?}",
                    v.repr(),
                    callee.name,
                    callee.ty(p).repr()
                )));
            }
            match v {
                Val::I64(x) | Val::Bool(x) => flat.push(x.into()),
                Val::F64(x) => flat.push(x.into()),
                Val::Boxed(t, p) => {
                    flat.push(t.into());
                    flat.push(p.into());
                }
            }
        }
        let ret = llvm14::call(&self.builder, self.m.funcs[func.index()], &flat, name)?
            .try_as_basic_value()
            .basic()
            .ok_or_else(|| CgError(format!("{} returns nothing", callee.name)))?;
        Ok(Some(match (callee.ret.repr(), ret) {
            (Repr::I64, BasicValueEnum::IntValue(x)) => Val::I64(x),
            (Repr::Bool, BasicValueEnum::IntValue(x)) => Val::Bool(x),
            (Repr::F64, BasicValueEnum::FloatValue(x)) => Val::F64(x),
            (Repr::Boxed, BasicValueEnum::StructValue(pair)) => {
                self.m.split_pair(&self.builder, pair, name)?
            }
            (repr, _) => {
                return Err(CgError(format!(
                    "{} returned an LLVM value that is not {repr:?}",
                    callee.name
                )))
            }
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
        name: &str,
    ) -> CgResult<Val<'ctx>> {
        let method = self.m.mir.symbols.get(sym as usize).map_or("", |s| s.as_str());
        let Some(direct) = RtFn::direct_method(self.f.ty(recv), method, args.len()) else {
            return self.dyn_method_call(recv, sym, args, site, name);
        };
        let mut vals = vec![self.val(recv)?];
        for &a in args {
            vals.push(self.val(a)?);
        }
        vals.push(Val::I64(self.i64_const(sym as i64)));
        self.m
            .rt_call(&self.builder, direct, &vals, site, name)?
            .ok_or_else(|| CgError(format!("{} returned nothing", direct.name())))
    }

    /// Stores the argument pairs into the function's call buffer and calls
    /// `nyrt_call_method(recv.tag, recv.payload, sym, &buf, argc, site)`.
    pub(super) fn dyn_method_call(
        &mut self,
        recv: ValueId,
        sym: u32,
        args: &[ValueId],
        site: SiteId,
        name: &str,
    ) -> CgResult<Val<'ctx>> {
        let Val::Boxed(rt, rp) = self.val(recv)? else {
            return Err(CgError(format!("method receiver {recv} is not boxed")));
        };
        let buf_addr = if args.is_empty() {
            self.i64_const(0)
        } else {
            let (ty, ptr) =
                self.argbuf.ok_or_else(|| CgError("no argument buffer was allocated".into()))?;
            for (i, &a) in args.iter().enumerate() {
                let Val::Boxed(t, p) = self.val(a)? else {
                    return Err(CgError(format!("method argument {a} is not boxed")));
                };
                let i = i as u32;
                let tag_slot = llvm14::struct_field_ptr(&self.builder, ty, ptr, 2 * i, "")?;
                self.builder.build_store(tag_slot, t)?;
                let pay_slot = llvm14::struct_field_ptr(&self.builder, ty, ptr, 2 * i + 1, "")?;
                self.builder.build_store(pay_slot, p)?;
            }
            self.builder.build_ptr_to_int(ptr, self.m.types.i64, "")?
        };
        let words: Vec<BasicMetadataValueEnum<'ctx>> = vec![
            rt.into(),
            rp.into(),
            self.i64_const(sym as i64).into(),
            buf_addr.into(),
            self.i64_const(args.len() as i64).into(),
            self.i64_const(site.0 as i64).into(),
        ];
        self.m
            .rt_call_words(&self.builder, RtFn::CallMethod, &words, name)?
            .ok_or_else(|| CgError("nyrt_call_method returned nothing".into()))
    }
}

/// The byte offset of field slot `slot`'s tag word in an instance (`nyash_mir::layout`).
fn slot_offset(slot: u32) -> i64 {
    layout::INSTANCE_FIELDS_OFFSET + layout::SLOT_SIZE * i64::from(slot)
}

fn int_pred(op: CmpOp) -> IntPredicate {
    match op {
        CmpOp::Eq => IntPredicate::EQ,
        CmpOp::Ne => IntPredicate::NE,
        CmpOp::Lt => IntPredicate::SLT,
        CmpOp::Le => IntPredicate::SLE,
        CmpOp::Gt => IntPredicate::SGT,
        CmpOp::Ge => IntPredicate::SGE,
    }
}

/// Ordered comparisons, except `Ne`, which is true for NaN operands.
fn float_pred(op: CmpOp) -> FloatPredicate {
    match op {
        CmpOp::Eq => FloatPredicate::OEQ,
        CmpOp::Ne => FloatPredicate::UNE,
        CmpOp::Lt => FloatPredicate::OLT,
        CmpOp::Le => FloatPredicate::OLE,
        CmpOp::Gt => FloatPredicate::OGT,
        CmpOp::Ge => FloatPredicate::OGE,
    }
}
