//! Legalization: rewrites typed generic MIR into legal MIR that backends can lower 1:1.
//!
//! Operators on known numeric types become inline machine operations (`IntBin`, `FloatBin`,
//! `IntCmp`, …, with `IntToFloat` on the Int side of a mixed operation); everything else
//! becomes a runtime call on Boxed operands. `ToDyn` is inserted wherever an unboxed value
//! flows into a Boxed slot: runtime call parameters, dynamic method calls, call arguments,
//! block arguments and return values. Must run after `infer_types`; its case split matches
//! `infer::binary_result` / `unary_result`. Box operations (method dispatch, fields,
//! reference counting) are legalized in `legalize_boxes`.

use super::legalize_boxes::ModuleFacts;
use super::legalize_strings::{concat_as_add, substring_heads, substring_plan, use_counts};
use super::rc_elide::elide_retain_release;
use crate::ir::*;
use crate::runtime_abi::RtFn;
use nyash_syntax::ast::{BinOp, UnOp};
use rustc_hash::{FxHashMap, FxHashSet};

/// Rewrites every function of `m` into legal MIR.
pub fn legalize(m: &mut Module) {
    let mx = ModuleFacts::new(m);
    for f in &mut m.funcs {
        legalize_function(f, &mx);
    }
}

pub(super) struct Lx<'f> {
    pub f: &'f mut Function,
    /// The block being filled (legalizing a method call may split a block).
    pub cur: usize,
    pub out: Vec<Inst>,
    pub site: SiteId,
    /// Results replaced by another value (`Truthy` of a Bool is the Bool itself).
    pub alias: FxHashMap<ValueId, ValueId>,
    /// Nullable values already proven non-null in the original block being legalized: a
    /// null guard whose `null` side raises an error dominates the rest of the block.
    pub non_null: FxHashSet<ValueId>,
}

impl Lx<'_> {
    pub fn ty(&self, v: ValueId) -> Type {
        self.f.ty(v)
    }

    pub fn emit_void(&mut self, kind: InstKind) {
        self.out.push(Inst { result: None, kind, site: self.site });
    }

    pub fn push(&mut self, kind: InstKind, ty: Type) -> ValueId {
        let v = self.f.new_value(ty);
        self.out.push(Inst { result: Some(v), kind, site: self.site });
        v
    }

    /// Pushes `kind` defining the existing value `res` (or a fresh one of `ty`).
    pub fn define(&mut self, res: Option<ValueId>, kind: InstKind, ty: Type) -> ValueId {
        match res {
            Some(r) => {
                self.f.values[r.index()].ty = ty;
                self.out.push(Inst { result: Some(r), kind, site: self.site });
                r
            }
            None => self.push(kind, ty),
        }
    }

    /// Defines `res` as the Boxed result of `kind` seen as type `ty`: a Boxed `ty` (Str, Dyn…)
    /// types it directly; an unboxed one (inference proved the tag, e.g. arithmetic on a
    /// `Float-or-null`, where `null` is a runtime error) takes the payload with `FromDyn`.
    pub fn define_from_dyn(&mut self, res: Option<ValueId>, kind: InstKind, ty: Type) -> ValueId {
        if ty.repr() == Repr::Boxed {
            self.define(res, kind, ty)
        } else {
            let d = self.push(kind, Type::Dyn);
            self.define(res, InstKind::FromDyn { value: d, to: ty }, ty)
        }
    }

    pub fn boxed(&mut self, v: ValueId) -> ValueId {
        if self.ty(v).repr() == Repr::Boxed {
            v
        } else {
            self.push(InstKind::ToDyn(v), Type::Dyn)
        }
    }

    fn as_float(&mut self, v: ValueId) -> ValueId {
        if self.ty(v) == Type::Int {
            self.push(InstKind::IntToFloat(v), Type::Float)
        } else {
            v
        }
    }

    /// Converts `v` for a slot of type `want` (only boxing is ever needed after inference).
    pub fn coerce(&mut self, v: ValueId, want: Type) -> ValueId {
        if want.repr() == Repr::Boxed {
            self.boxed(v)
        } else {
            v
        }
    }

    /// A Bool that is the truthiness of `v`.
    fn truthy(&mut self, v: ValueId, res: Option<ValueId>) -> ValueId {
        match self.ty(v) {
            Type::Bool => match res {
                Some(r) => {
                    self.alias.insert(r, v);
                    v
                }
                None => v,
            },
            Type::Int => {
                let z = self.push(InstKind::Const(Const::Int(0)), Type::Int);
                self.define(res, InstKind::IntCmp { op: CmpOp::Ne, a: v, b: z }, Type::Bool)
            }
            Type::Float => {
                let z = self.push(InstKind::Const(Const::Float(0.0)), Type::Float);
                self.define(res, InstKind::FloatCmp { op: CmpOp::Ne, a: v, b: z }, Type::Bool)
            }
            t if t.is_nullable()
                && matches!(t.non_null(), Type::Int | Type::Float | Type::Bool) =>
            {
                // A number or Bool that may be null: the typed test behind a null check; the
                // `null` side takes the runtime's truthiness, which raises the error.
                let inner = t.non_null();
                if self.non_null.contains(&v) {
                    let u = self.push(InstKind::FromDyn { value: v, to: inner }, inner);
                    return self.truthy(u, res);
                }
                let r = res.unwrap_or_else(|| self.f.new_value(Type::Bool));
                self.null_guard(
                    v,
                    Some(r),
                    Some(Type::Bool),
                    false,
                    |lx| {
                        let call = InstKind::RtCall { func: RtFn::Truthy, args: vec![v] };
                        Some(lx.push(call, Type::Bool))
                    },
                    |lx| {
                        let u = lx.push(InstKind::FromDyn { value: v, to: inner }, inner);
                        Some(lx.truthy(u, None))
                    },
                );
                r
            }
            _ => {
                let d = self.boxed(v);
                self.define(res, InstKind::RtCall { func: RtFn::Truthy, args: vec![d] }, Type::Bool)
            }
        }
    }

    /// Legalizes `a op b`. `release_a_next`: a `Release(a)` may be fused with it (see
    /// [`consume_plan`]); for a runtime `+` the two are then fused into `nyrt_add_consume`
    /// (which takes over the reference to `a`) and true is returned: the caller must drop
    /// that `Release`.
    fn binary(
        &mut self,
        op: BinOp,
        a: ValueId,
        b: ValueId,
        res: Option<ValueId>,
        res_ty: Type,
        release_a_next: bool,
    ) -> bool {
        let (ta, tb) = (self.ty(a), self.ty(b));
        let num = |t: Type| matches!(t.non_null(), Type::Int | Type::Float);
        if (ta.is_nullable() || tb.is_nullable()) && num(ta) && num(tb) {
            // A number that may be null: the typed operation behind a null check; `null`
            // takes the runtime operation, which raises the error (or compares, for `==`).
            let nullable = if ta.is_nullable() { a } else { b };
            let t = self.ty(nullable).non_null();
            if self.non_null.contains(&nullable) {
                let u = self.push(InstKind::FromDyn { value: nullable, to: t }, t);
                let pick = |v: ValueId| if v == nullable { u } else { v };
                self.binary(op, pick(a), pick(b), res, res_ty, false);
                return false;
            }
            let null_returns = matches!(op, BinOp::Eq | BinOp::Ne);
            self.null_guard(
                nullable,
                res,
                Some(res_ty),
                null_returns,
                |lx| Some(lx.binary_dyn(op, a, b, None, res_ty, false).0),
                |lx| {
                    let u = lx.push(InstKind::FromDyn { value: nullable, to: t }, t);
                    let pick = |v: ValueId| if v == nullable { u } else { v };
                    Some(lx.binary_value(op, pick(a), pick(b), None, res_ty, false).0)
                },
            );
            return false;
        }
        self.binary_value(op, a, b, res, res_ty, release_a_next).1
    }

    /// `binary` on operands that are not nullable numbers; returns the result and whether the
    /// following `Release(a)` was fused.
    fn binary_value(
        &mut self,
        op: BinOp,
        a: ValueId,
        b: ValueId,
        res: Option<ValueId>,
        res_ty: Type,
        release_a_next: bool,
    ) -> (ValueId, bool) {
        let (ta, tb) = (self.ty(a), self.ty(b));
        if (ta.is_nullable() || tb.is_nullable()) && res.is_none() {
            // (Only reached from `binary`'s guard with the other operand still nullable.)
            let r = self.f.new_value(res_ty);
            self.binary(op, a, b, Some(r), res_ty, false);
            return (r, false);
        }
        let both_int = ta == Type::Int && tb == Type::Int;
        let numeric =
            matches!(ta, Type::Int | Type::Float) && matches!(tb, Type::Int | Type::Float);
        let arith = match op {
            BinOp::Add => Some((IntOp::Add, FloatOp::Add)),
            BinOp::Sub => Some((IntOp::Sub, FloatOp::Sub)),
            BinOp::Mul => Some((IntOp::Mul, FloatOp::Mul)),
            BinOp::Div => Some((IntOp::Div, FloatOp::Div)),
            BinOp::Rem => Some((IntOp::Rem, FloatOp::Rem)),
            _ => None,
        };
        let cmp = match op {
            BinOp::Eq => CmpOp::Eq,
            BinOp::Ne => CmpOp::Ne,
            BinOp::Lt => CmpOp::Lt,
            BinOp::Le => CmpOp::Le,
            BinOp::Gt => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        let v = match arith {
            Some((iop, _)) if both_int => {
                self.define(res, InstKind::IntBin { op: iop, a, b }, Type::Int)
            }
            Some((_, fop)) if numeric => {
                let fa = self.as_float(a);
                let fb = self.as_float(b);
                self.define(res, InstKind::FloatBin { op: fop, a: fa, b: fb }, Type::Float)
            }
            None if both_int => self.define(res, InstKind::IntCmp { op: cmp, a, b }, Type::Bool),
            None if numeric => {
                let fa = self.as_float(a);
                let fb = self.as_float(b);
                self.define(res, InstKind::FloatCmp { op: cmp, a: fa, b: fb }, Type::Bool)
            }
            _ => return self.binary_dyn(op, a, b, res, res_ty, release_a_next),
        };
        (v, false)
    }

    /// `a op b` as a runtime call on Boxed operands (see `binary`).
    fn binary_dyn(
        &mut self,
        op: BinOp,
        a: ValueId,
        b: ValueId,
        res: Option<ValueId>,
        res_ty: Type,
        release_a_next: bool,
    ) -> (ValueId, bool) {
        let arith = match op {
            BinOp::Add => Some(RtFn::Add),
            BinOp::Sub => Some(RtFn::Sub),
            BinOp::Mul => Some(RtFn::Mul),
            BinOp::Div => Some(RtFn::Div),
            BinOp::Rem => Some(RtFn::Rem),
            _ => None,
        };
        if let Some(rt) = arith {
            // `x = x + e` lowers to `r = x + e; release x` (the assignment drops the old
            // value right after computing the new one): hand the reference over instead,
            // so a uniquely referenced String is appended to in place. `a` must be Boxed
            // already (a counted type) and must not also be the right operand.
            let consume = rt == RtFn::Add
                && release_a_next
                && a != b
                && self.ty(a).is_counted()
                && self.ty(a).repr() == Repr::Boxed;
            let rt = if consume { RtFn::AddConsume } else { rt };
            let da = self.boxed(a);
            let db = self.boxed(b);
            let call = InstKind::RtCall { func: rt, args: vec![da, db] };
            return (self.define_from_dyn(res, call, res_ty), consume);
        }
        let da = self.boxed(a);
        let db = self.boxed(b);
        let rt = match op {
            BinOp::Eq | BinOp::Ne => RtFn::Eq,
            BinOp::Lt => RtFn::Lt,
            BinOp::Le => RtFn::Le,
            BinOp::Gt => RtFn::Gt,
            _ => RtFn::Ge,
        };
        let v = if op == BinOp::Ne {
            let eq = self.push(InstKind::RtCall { func: rt, args: vec![da, db] }, Type::Bool);
            self.define(res, InstKind::BoolNot(eq), Type::Bool)
        } else {
            self.define(res, InstKind::RtCall { func: rt, args: vec![da, db] }, Type::Bool)
        };
        (v, false)
    }
}

/// How far (in generic instructions) `consume_plan` looks for the `Release` of a `+` operand.
const CONSUME_WINDOW: usize = 64;

/// For each `a + b` (index into `insts`, one generic block) whose left operand's reference
/// may be handed to `nyrt_add_consume`: the index of the `Release(a)` that then goes away.
///
/// `x = x + e` lowers to `r = x + e; Release(x)`, but a chain `line = line + i + ";"` (or
/// any `+` on a temporary) puts the `Release` after later instructions: `t = line + i;
/// r = t + ";"; Release(line); Release(t)`. Fusing is sound when `Release(a)` is the first
/// instruction after the `+` that mentions `a` at all (nothing between uses the reference the
/// runtime takes over) and moving that release earlier is unobservable: it is the very next
/// instruction, or `a` is a String (no `fini` can run; an object that another holder keeps
/// alive has count > 1, so the runtime copies instead of appending in place).
fn consume_plan(f: &Function, insts: &[Inst]) -> FxHashMap<usize, usize> {
    let mut plan = FxHashMap::default();
    for (i, inst) in insts.iter().enumerate() {
        let InstKind::Binary { op: BinOp::Add, a, b } = inst.kind else { continue };
        if a == b || !f.ty(a).is_counted() {
            continue;
        }
        let end = insts.len().min(i + 1 + CONSUME_WINDOW);
        for (j, later) in insts.iter().enumerate().take(end).skip(i + 1) {
            if !mentions(&later.kind, a) {
                continue;
            }
            if matches!(later.kind, InstKind::Release(x) if x == a)
                && (j == i + 1 || f.ty(a) == Type::Str)
            {
                plan.insert(i, j);
            }
            break;
        }
    }
    plan
}

/// True when `kind` has `v` as an operand.
fn mentions(kind: &InstKind, v: ValueId) -> bool {
    let mut hit = false;
    let mut kind = kind.clone();
    super::for_each_operand_mut(&mut kind, |o| hit |= *o == v);
    hit
}

fn legalize_function(f: &mut Function, mx: &ModuleFacts) {
    let ret = f.ret;
    let mut lx = Lx {
        f,
        cur: 0,
        out: Vec::new(),
        site: SiteId(0),
        alias: FxHashMap::default(),
        non_null: FxHashSet::default(),
    };
    let uses = use_counts(lx.f);
    for bi in 0..lx.f.blocks.len() {
        let mut insts = std::mem::take(&mut lx.f.blocks[bi].insts);
        let mut term = std::mem::replace(&mut lx.f.blocks[bi].term, Terminator::Unreachable);
        lx.cur = bi;
        lx.out = Vec::with_capacity(insts.len());
        lx.non_null.clear();
        concat_as_add(mx, lx.f, &mut insts);
        let fuse = consume_plan(lx.f, &insts);
        let mut fused = vec![false; insts.len()];
        // `acc + recv.substring(..)` fused into one call: the call, the release of its result
        // and that of `acc` (handed over) are not emitted on their own.
        let mut substring_calls = FxHashMap::default();
        for (k, s) in substring_plan(mx, lx.f, &insts, &fuse, &uses) {
            fused[s.call] = true;
            fused[s.release] = true;
            fused[fuse[&k]] = true;
            substring_calls.insert(k, (insts[s.call].kind.clone(), insts[s.call].site));
        }
        let heads = substring_heads(mx, lx.f, &insts, &fuse);
        for (k, inst) in insts.into_iter().enumerate() {
            if fused[k] {
                continue;
            }
            lx.site = inst.site;
            let res = inst.result;
            let res_ty = res.map(|r| lx.ty(r)).unwrap_or(Type::Dyn);
            match inst.kind {
                InstKind::Binary { op: BinOp::Add, a, .. } if substring_calls.contains_key(&k) => {
                    let (call, call_site) = &substring_calls[&k];
                    lx.add_substring(a, call, *call_site, res, res_ty);
                }
                ref call @ InstKind::MethodCall { .. } if heads.contains(&k) => {
                    lx.substring_head(call, res, res_ty);
                }
                InstKind::Binary { op, a, b } => {
                    let release = fuse.get(&k).copied();
                    if lx.binary(op, a, b, res, res_ty, release.is_some()) {
                        if let Some(j) = release {
                            fused[j] = true;
                        }
                    }
                }
                InstKind::Unary { op: UnOp::Neg, a } => match lx.ty(a) {
                    Type::Int => {
                        lx.define(res, InstKind::IntNeg(a), Type::Int);
                    }
                    Type::Float => {
                        lx.define(res, InstKind::FloatNeg(a), Type::Float);
                    }
                    _ => {
                        let d = lx.boxed(a);
                        let neg = InstKind::RtCall { func: RtFn::Neg, args: vec![d] };
                        lx.define_from_dyn(res, neg, res_ty);
                    }
                },
                InstKind::Unary { op: UnOp::Not, a } => {
                    let t = lx.truthy(a, None);
                    lx.define(res, InstKind::BoolNot(t), Type::Bool);
                }
                InstKind::Truthy(a) => {
                    lx.truthy(a, res);
                }
                InstKind::Print(a) => {
                    let d = lx.boxed(a);
                    lx.out.push(Inst {
                        result: None,
                        kind: InstKind::RtCall { func: RtFn::Print, args: vec![d] },
                        site: lx.site,
                    });
                }
                InstKind::MethodCall { recv, method, args } => {
                    lx.method_call(mx, recv, method, args, res);
                }
                InstKind::FieldGet { obj, field } => lx.field_get(mx, obj, field, res),
                InstKind::FieldSet { obj, field, value } => lx.field_set(mx, obj, field, value),
                InstKind::Retain(v) => lx.refcount(v, RtFn::Retain),
                InstKind::Release(v) => lx.refcount(v, RtFn::Release),
                InstKind::Call { func, args } => {
                    let want = mx.param_tys.get(func.index()).cloned().unwrap_or_default();
                    let args = args
                        .into_iter()
                        .enumerate()
                        .map(|(i, a)| match want.get(i) {
                            Some(t) => lx.coerce(a, *t),
                            None => a,
                        })
                        .collect();
                    lx.out.push(Inst {
                        result: res,
                        kind: InstKind::Call { func, args },
                        site: lx.site,
                    });
                }
                InstKind::RtCall { func, args } => {
                    let sig = func.signature();
                    let args = args
                        .into_iter()
                        .enumerate()
                        .map(|(i, a)| match sig.params.get(i) {
                            Some(Repr::Boxed) => lx.boxed(a),
                            _ => a,
                        })
                        .collect();
                    lx.out.push(Inst {
                        result: res,
                        kind: InstKind::RtCall { func, args },
                        site: lx.site,
                    });
                }
                kind => lx.out.push(Inst { result: res, kind, site: lx.site }),
            }
        }
        // Coerce block arguments and the return value (the site of the block's last inst).
        lx.site = lx.out.last().map(|i| i.site).unwrap_or(lx.site);
        match &mut term {
            Terminator::Jump { target, args } => coerce_args(&mut lx, *target, args),
            Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
                coerce_args(&mut lx, *then_block, then_args);
                coerce_args(&mut lx, *else_block, else_args);
            }
            Terminator::Return(v) => *v = lx.coerce(*v, ret),
            Terminator::Unreachable => {}
        }
        let cur = lx.cur;
        lx.f.blocks[cur].term = term;
        lx.f.blocks[cur].insts = elide_retain_release(lx.f, std::mem::take(&mut lx.out));
    }
    let alias = std::mem::take(&mut lx.alias);
    if !alias.is_empty() {
        super::replace_uses(f, &alias);
    }
}

fn coerce_args(lx: &mut Lx, target: BlockId, args: &mut [ValueId]) {
    let want: Vec<Type> = lx.f.blocks[target.index()].params.iter().map(|p| lx.f.ty(*p)).collect();
    for (a, t) in args.iter_mut().zip(want) {
        *a = lx.coerce(*a, t);
    }
}
