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
use std::collections::HashMap;

/// Module-wide facts legalization needs while the functions are being rewritten.
pub(super) struct ModuleFacts {
    pub param_tys: Vec<Vec<Type>>,
    pub rets: Vec<Type>,
    pub table: DispatchTable,
    /// Declared slot of a field (by symbol) in a box.
    pub slots: HashMap<(BoxId, SymId), u32>,
    /// Per box, the inferred type of each slot (`BoxDef::field_types`).
    pub field_types: Vec<Vec<Type>>,
}

impl ModuleFacts {
    pub fn new(m: &Module) -> Self {
        let syms: HashMap<&str, SymId> =
            m.symbols.iter().enumerate().map(|(i, s)| (s.as_str(), SymId::new(i))).collect();
        let mut slots = HashMap::new();
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
            Type::Instance(b) => {
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
        match mx.slot(self.ty(obj), field) {
            Some((slot, t)) if t.repr() != Repr::Boxed => {
                // An unboxed slot type: only the payload matters and nothing is counted.
                let d = self.push(InstKind::FieldLoad { obj, slot }, Type::Dyn);
                self.define(res, InstKind::FromDyn { value: d, to: t }, t);
            }
            Some((slot, t)) => {
                // The slot keeps its reference; the result is a new one. A Boxed slot type
                // (Str, a box...) is the same pair, so the load is typed directly.
                let v = self.define(res, InstKind::FieldLoad { obj, slot }, t);
                self.emit_void(InstKind::RtCall { func: RtFn::Retain, args: vec![v] });
            }
            None => {
                let o = self.boxed(obj);
                let s = self.push(InstKind::Const(Const::Int(field.0 as i64)), Type::Int);
                self.define(
                    res,
                    InstKind::RtCall { func: RtFn::FieldGet, args: vec![o, s] },
                    Type::Dyn,
                );
            }
        }
    }

    pub fn field_set(&mut self, mx: &ModuleFacts, obj: ValueId, field: SymId, value: ValueId) {
        let v = self.boxed(value);
        match mx.slot(self.ty(obj), field) {
            Some((slot, t)) if !t.is_counted() => {
                // The slot never holds a counted value, so neither the old nor the new one
                // needs reference counting.
                self.emit_void(InstKind::FieldStore { obj, slot, value: v });
            }
            Some((slot, _)) => {
                // Retain the new value before releasing the old one: they may be the same.
                let old = self.push(InstKind::FieldLoad { obj, slot }, Type::Dyn);
                self.emit_void(InstKind::RtCall { func: RtFn::Retain, args: vec![v] });
                self.emit_void(InstKind::FieldStore { obj, slot, value: v });
                self.emit_void(InstKind::RtCall { func: RtFn::Release, args: vec![old] });
            }
            None => {
                let o = self.boxed(obj);
                let s = self.push(InstKind::Const(Const::Int(field.0 as i64)), Type::Int);
                self.emit_void(InstKind::RtCall { func: RtFn::FieldSet, args: vec![o, s, v] });
            }
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
                    Some(t @ (Type::Str | Type::Array | Type::Map)) => {
                        self.define(res, call, t);
                    }
                    _ => {
                        self.define(res, call, Type::Dyn);
                    }
                }
            }
            Dispatch::Switch(cands) => self.type_switch(mx, recv, method, args, res, cands),
        }
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
