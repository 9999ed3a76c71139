//! Legalization of the box instructions: `MethodCall` (direct call, MIR type switch on
//! `nyrt_box_id`, or `DynMethodCall` — followed by `FromDyn` when inference fixed an unboxed
//! builtin result type —, as `dispatch` decides), `FieldGet`/`FieldSet` (inline
//! slot access with explicit reference counting when the receiver's type is a box with that
//! declared field, else the by-name runtime calls), and `Retain`/`Release` (deleted for
//! non-counted types, else `nyrt_retain`/`nyrt_release`), after which redundant pairs are
//! removed (`rc_elide`).

use super::dispatch::{Dispatch, DispatchTable};
use super::legalize::Lx;
use super::rc_elide::elide_retain_release;
use crate::ir::*;
use crate::runtime_abi::RtFn;
use rustc_hash::FxHashMap;

/// Module-wide facts legalization needs while the functions are being rewritten.
pub(super) struct ModuleFacts {
    pub param_tys: Vec<Vec<Type>>,
    pub rets: Vec<Type>,
    pub table: DispatchTable,
    /// Declared slot of a field (by symbol) in a box.
    pub slots: FxHashMap<(BoxId, SymId), u32>,
    /// Per box, the inferred type of each slot (`BoxDef::field_types`).
    pub field_types: Vec<Vec<Type>>,
    /// Method names by symbol.
    pub symbols: Vec<String>,
}

impl ModuleFacts {
    pub fn new(m: &Module) -> Self {
        let syms: FxHashMap<&str, SymId> =
            m.symbols.iter().enumerate().map(|(i, s)| (s.as_str(), SymId::new(i))).collect();
        let mut slots = FxHashMap::default();
        for (bi, b) in m.boxes.iter().enumerate() {
            for (i, f) in b.fields.iter().enumerate() {
                if let Some(&s) = syms.get(f.as_str()) {
                    slots.insert((BoxId::new(bi), s), i as u32);
                }
            }
        }
        ModuleFacts {
            param_tys: m
                .funcs
                .iter()
                .map(|f| f.params.iter().map(|p| f.ty(*p)).collect())
                .collect(),
            rets: m.funcs.iter().map(|f| f.ret).collect(),
            table: DispatchTable::new(m),
            slots,
            field_types: m.boxes.iter().map(|b| b.field_types.clone()).collect(),
            symbols: m.symbols.clone(),
        }
    }

    /// The inferred type of slot `slot` of box `b` (`Dyn` when inference did not run).
    fn field_type(&self, b: BoxId, slot: u32) -> Type {
        self.field_types
            .get(b.index())
            .and_then(|t| t.get(slot as usize))
            .copied()
            .unwrap_or(Type::Dyn)
    }

    /// The declared slot of `field` in a receiver of type `obj_ty`, with the slot's type.
    fn slot(&self, obj_ty: Type, field: SymId) -> Option<(u32, Type)> {
        match obj_ty {
            Type::Instance(b) | Type::InstanceOrNull(b) => {
                self.slots.get(&(b, field)).map(|&slot| (slot, self.field_type(b, slot)))
            }
            _ => None,
        }
    }
}

impl Lx<'_> {
    /// `Retain`/`Release` of `v`: a runtime call for counted types, nothing otherwise.
    pub fn refcount(&mut self, v: ValueId, f: RtFn) {
        if self.ty(v).is_counted() {
            self.emit_void(InstKind::RtCall { func: f, args: vec![v] });
        }
    }

    pub fn field_get(
        &mut self,
        mx: &ModuleFacts,
        obj: ValueId,
        field: SymId,
        res: Option<ValueId>,
    ) {
        let obj_ty = self.ty(obj);
        match mx.slot(obj_ty, field) {
            Some((slot, t)) if obj_ty.is_nullable() && !self.non_null.contains(&obj) => self
                .null_guard(
                    obj,
                    res,
                    Some(t),
                    false,
                    |lx| Some(lx.field_get_by_name(obj, field, None, t)),
                    |lx| Some(lx.field_load(obj, slot, t, None)),
                ),
            Some((slot, t)) => {
                self.field_load(obj, slot, t, res);
            }
            None => {
                self.field_get_by_name(obj, field, res, Type::Dyn);
            }
        }
    }

    /// Reads slot `slot` (of inferred type `t`) of the instance `obj` as a new reference.
    fn field_load(&mut self, obj: ValueId, slot: u32, t: Type, res: Option<ValueId>) -> ValueId {
        if t.repr() != Repr::Boxed {
            // An unboxed slot type: only the payload matters and nothing is counted.
            let d = self.push(InstKind::FieldLoad { obj, slot }, Type::Dyn);
            self.define(res, InstKind::FromDyn { value: d, to: t }, t)
        } else {
            // The slot keeps its reference; the result is a new one. A Boxed slot type
            // (Str, a box...) is the same pair, so the load is typed directly.
            let v = self.define(res, InstKind::FieldLoad { obj, slot }, t);
            self.emit_void(InstKind::RtCall { func: RtFn::Retain, args: vec![v] });
            v
        }
    }

    /// The runtime's by-name field read (also the error path for a `null` receiver).
    fn field_get_by_name(
        &mut self,
        obj: ValueId,
        field: SymId,
        res: Option<ValueId>,
        ty: Type,
    ) -> ValueId {
        let o = self.boxed(obj);
        let s = self.push(InstKind::Const(Const::Int(field.0 as i64)), Type::Int);
        self.define_from_dyn(res, InstKind::RtCall { func: RtFn::FieldGet, args: vec![o, s] }, ty)
    }

    pub fn field_set(&mut self, mx: &ModuleFacts, obj: ValueId, field: SymId, value: ValueId) {
        let v = self.boxed(value);
        let obj_ty = self.ty(obj);
        match mx.slot(obj_ty, field) {
            Some((slot, t)) if obj_ty.is_nullable() && !self.non_null.contains(&obj) => self
                .null_guard(
                    obj,
                    None,
                    None,
                    false,
                    |lx| {
                        lx.field_set_by_name(obj, field, v);
                        None
                    },
                    |lx| {
                        lx.field_store(obj, slot, t, v);
                        None
                    },
                ),
            Some((slot, t)) => self.field_store(obj, slot, t, v),
            None => self.field_set_by_name(obj, field, v),
        }
    }

    /// Stores the Boxed `v` into slot `slot` (of inferred type `t`) of the instance `obj`.
    fn field_store(&mut self, obj: ValueId, slot: u32, t: Type, v: ValueId) {
        if !t.is_counted() {
            // The slot never holds a counted value, so neither the old nor the new one
            // needs reference counting.
            self.emit_void(InstKind::FieldStore { obj, slot, value: v });
        } else {
            // Retain the new value before releasing the old one: they may be the same.
            let old = self.push(InstKind::FieldLoad { obj, slot }, Type::Dyn);
            self.emit_void(InstKind::RtCall { func: RtFn::Retain, args: vec![v] });
            self.emit_void(InstKind::FieldStore { obj, slot, value: v });
            self.emit_void(InstKind::RtCall { func: RtFn::Release, args: vec![old] });
        }
    }

    /// The runtime's by-name field write (also the error path for a `null` receiver).
    fn field_set_by_name(&mut self, obj: ValueId, field: SymId, v: ValueId) {
        let o = self.boxed(obj);
        let s = self.push(InstKind::Const(Const::Int(field.0 as i64)), Type::Int);
        self.emit_void(InstKind::RtCall { func: RtFn::FieldSet, args: vec![o, s, v] });
    }

    /// `if isnull(v) { on_null } else { on_value }`, going on in a new block. With `ty`, that
    /// block has a parameter of type `ty` (`res`, or a fresh value) that each side passes
    /// (converted to `ty`'s representation). `v` must be Boxed. Unless `null_returns`, the
    /// `null` side is a runtime error that never returns: it ends in `Unreachable`, so the
    /// rest of the block knows `v` is not null (`Lx::non_null`).
    pub(super) fn null_guard(
        &mut self,
        v: ValueId,
        res: Option<ValueId>,
        ty: Option<Type>,
        null_returns: bool,
        on_null: impl FnOnce(&mut Self) -> Option<ValueId>,
        on_value: impl FnOnce(&mut Self) -> Option<ValueId>,
    ) {
        // With a `null` side that returns, what the `value` side proves does not hold after
        // the join.
        let known = null_returns.then(|| self.non_null.clone());
        let is_null = self.push(InstKind::IsNull(v), Type::Bool);
        let result = ty.map(|t| match res {
            Some(r) => {
                self.f.values[r.index()].ty = t;
                r
            }
            None => self.f.new_value(t),
        });
        let null_b = self.new_block(vec![]);
        let value_b = self.new_block(vec![]);
        let cont = self.new_block(result.into_iter().collect());
        self.finish_block(Terminator::Branch {
            cond: is_null,
            then_block: null_b,
            then_args: vec![],
            else_block: value_b,
            else_args: vec![],
        });
        self.cur = null_b.index();
        let r = on_null(self);
        if null_returns {
            let args = self.guard_args(r, ty);
            self.finish_block(Terminator::Jump { target: cont, args });
        } else {
            self.finish_block(Terminator::Unreachable);
            self.non_null.insert(v);
        }
        self.cur = value_b.index();
        let r = on_value(self);
        let args = self.guard_args(r, ty);
        self.finish_block(Terminator::Jump { target: cont, args });
        self.cur = cont.index();
        if let Some(known) = known {
            self.non_null = known;
        }
    }

    /// The jump arguments of one side of `null_guard`.
    fn guard_args(&mut self, r: Option<ValueId>, ty: Option<Type>) -> Vec<ValueId> {
        match (r, ty) {
            (Some(r), Some(t)) => vec![self.coerce(r, t)],
            _ => vec![],
        }
    }

    /// A direct call of user method `f` with `recv` as `me`; returns the raw result.
    fn call_method(
        &mut self,
        mx: &ModuleFacts,
        f: FuncId,
        recv: ValueId,
        args: &[ValueId],
        res: Option<ValueId>,
    ) -> ValueId {
        let want = mx.param_tys.get(f.index()).cloned().unwrap_or_default();
        let mut all = vec![recv];
        all.extend_from_slice(args);
        let all: Vec<ValueId> = all
            .into_iter()
            .enumerate()
            .map(|(i, a)| match want.get(i) {
                Some(t) => self.coerce(a, *t),
                None => a,
            })
            .collect();
        let ret = mx.rets.get(f.index()).copied().unwrap_or(Type::Dyn);
        self.define(res, InstKind::Call { func: f, args: all }, ret)
    }

    pub fn method_call(
        &mut self,
        mx: &ModuleFacts,
        recv: ValueId,
        method: SymId,
        args: Vec<ValueId>,
        res: Option<ValueId>,
    ) {
        match mx.table.resolve(self.ty(recv), method, args.len()) {
            Dispatch::Direct(f) => {
                self.call_method(mx, f, recv, &args, res);
            }
            Dispatch::Dynamic if args.is_empty() && self.number_method(mx, recv, method, res) => {}
            Dispatch::Dynamic => {
                let r = self.boxed(recv);
                let args = args.into_iter().map(|a| self.boxed(a)).collect();
                let call = InstKind::DynMethodCall { recv: r, method, args };
                // Inference gave builtin methods on receivers of known type their fixed result
                // type (`builtin_types`): unbox an Int/Float/Bool (the runtime guarantees the
                // tag, and such a box holds no reference, so nothing needs releasing), keep a
                // Str/Array/Map as the (Boxed) owned result.
                match res.map(|v| self.ty(v)) {
                    Some(t @ (Type::Int | Type::Float | Type::Bool)) => {
                        let d = self.push(call, Type::Dyn);
                        self.define(res, InstKind::FromDyn { value: d, to: t }, t);
                    }
                    Some(t) if t.repr() == Repr::Boxed && t != Type::Dyn => {
                        self.define(res, call, t);
                    }
                    _ => {
                        self.define(res, call, Type::Dyn);
                    }
                }
            }
            Dispatch::Guarded(f) if self.non_null.contains(&recv) => {
                self.call_method(mx, f, recv, &args, res);
            }
            Dispatch::Guarded(f) => {
                let ret = mx.rets.get(f.index()).copied().unwrap_or(Type::Dyn);
                let ty = res.map(|_| ret);
                let call_args = args.clone();
                self.null_guard(
                    recv,
                    res,
                    ty,
                    false,
                    |lx| {
                        // `null`: the runtime raises "cannot call method ... on null".
                        let r = lx.boxed(recv);
                        let args = args.into_iter().map(|a| lx.boxed(a)).collect();
                        let call = InstKind::DynMethodCall { recv: r, method, args };
                        Some(lx.define_from_dyn(None, call, ret))
                    },
                    |lx| Some(lx.call_method(mx, f, recv, &call_args, None)),
                );
            }
            Dispatch::Switch(cands) => self.type_switch(mx, recv, method, args, res, cands),
        }
    }

    /// The numeric methods that are one machine operation (`Float.sqrt()`, `.toInteger()`,
    /// `Int.toFloat()`, …) as that operation; false when `recv.method()` is not one.
    fn number_method(
        &mut self,
        mx: &ModuleFacts,
        recv: ValueId,
        method: SymId,
        res: Option<ValueId>,
    ) -> bool {
        let Some(name) = mx.symbols.get(method.index()) else { return false };
        let kind = match (self.ty(recv), name.as_str()) {
            (Type::Float, "toInteger") => InstKind::FloatToInt(recv),
            (Type::Int, "toFloat") => InstKind::IntToFloat(recv),
            (Type::Float, n) => match FloatFn::from_method(n) {
                Some(op) => InstKind::FloatUnary { op, a: recv },
                None => return false,
            },
            _ => return false,
        };
        let ty = if matches!(kind, InstKind::FloatToInt(_)) { Type::Int } else { Type::Float };
        self.define(res, kind, ty);
        true
    }

    /// `id = nyrt_box_id(recv)`; one compare-and-branch per candidate box to a block calling
    /// its method; the fall-through calls the runtime's dynamic dispatch. All paths join in a
    /// continuation block whose parameter is the (Dyn) result.
    fn type_switch(
        &mut self,
        mx: &ModuleFacts,
        recv: ValueId,
        method: SymId,
        args: Vec<ValueId>,
        res: Option<ValueId>,
        cands: Vec<(BoxId, FuncId)>,
    ) {
        let recv = self.boxed(recv);
        let id = self.push(InstKind::RtCall { func: RtFn::BoxId, args: vec![recv] }, Type::Int);
        let result = match res {
            Some(r) => {
                self.f.values[r.index()].ty = Type::Dyn;
                r
            }
            None => self.f.new_value(Type::Dyn),
        };
        let cont = self.new_block(vec![result]);
        for (bx, f) in cands {
            let k = self.push(InstKind::Const(Const::Int(bx.0 as i64)), Type::Int);
            let eq = self.push(InstKind::IntCmp { op: CmpOp::Eq, a: id, b: k }, Type::Bool);
            let call_b = self.new_block(vec![]);
            let next_b = self.new_block(vec![]);
            self.finish_block(Terminator::Branch {
                cond: eq,
                then_block: call_b,
                then_args: vec![],
                else_block: next_b,
                else_args: vec![],
            });
            self.cur = call_b.index();
            let r = self.call_method(mx, f, recv, &args, None);
            let r = self.boxed(r);
            self.finish_block(Terminator::Jump { target: cont, args: vec![r] });
            self.cur = next_b.index();
        }
        let boxed_args = args.into_iter().map(|a| self.boxed(a)).collect();
        let r = self.push(InstKind::DynMethodCall { recv, method, args: boxed_args }, Type::Dyn);
        self.finish_block(Terminator::Jump { target: cont, args: vec![r] });
        self.cur = cont.index();
    }

    fn new_block(&mut self, params: Vec<ValueId>) -> BlockId {
        self.f.blocks.push(Block { params, insts: Vec::new(), term: Terminator::Unreachable });
        BlockId::new(self.f.blocks.len() - 1)
    }

    /// Ends the block being filled with `term`.
    fn finish_block(&mut self, term: Terminator) {
        let cur = self.cur;
        self.f.blocks[cur].insts = elide_retain_release(self.f, std::mem::take(&mut self.out));
        self.f.blocks[cur].term = term;
    }
}
