//! Lowering of box-related expressions: `new`, field reads and writes (instance fields and
//! static-box globals), `from Parent.m(…)`, indexing, and array/map literals.
//!
//! Instance fields become generic `FieldGet`/`FieldSet` (legalization picks a slot access or
//! the by-name runtime call from the receiver's inferred type); static-box fields become
//! `nyrt_global_get`/`nyrt_global_set` calls. Every result here is owned (see `rc`).

use super::{builtin_box, codes, is_value_box, FuncBuilder};
use crate::ir::*;
use crate::RtFn;
use nyash_syntax::ast::{self, Expr, ExprKind};
use nyash_syntax::Diagnostic;

/// Where a field access goes.
enum FieldTarget {
    /// An instance field of the value `obj`; `known` is its box when lowering can see it.
    Instance { obj: ValueId, known: Option<BoxId> },
    /// A static-box field: a global.
    Global { bx: String },
    /// An error was reported.
    Error,
}

impl FuncBuilder<'_, '_> {
    /// Emits an owned result of `kind`.
    fn emit_owned(&mut self, kind: InstKind, ty: Type, pos: u32) -> ValueId {
        let v = self.emit(kind, ty, pos);
        self.owned(v)
    }

    /// A generic binary operator; arithmetic results are owned.
    pub fn binary(&mut self, op: ast::BinOp, a: ValueId, b: ValueId, pos: u32) -> ValueId {
        let ty = if super::stmt::is_comparison(op) { Type::Bool } else { Type::Dyn };
        self.emit_owned(InstKind::Binary { op, a, b }, ty, pos)
    }

    /// A dynamic method call `recv.name(args)` (owned result).
    pub fn method_call(
        &mut self,
        recv: ValueId,
        name: &str,
        args: Vec<ValueId>,
        pos: u32,
    ) -> ValueId {
        let method = self.cx.intern_sym(name);
        self.emit_owned(InstKind::MethodCall { recv, method, args }, Type::Dyn, pos)
    }

    fn field_target(&mut self, obj: &Expr) -> FieldTarget {
        match &obj.kind {
            ExprKind::Me => {
                if let (Some(me), Some(bx)) = (self.me, self.ctx.instance) {
                    return FieldTarget::Instance { obj: me, known: Some(bx) };
                }
                match self.ctx.box_name.clone() {
                    Some(bx) => FieldTarget::Global { bx },
                    None => {
                        self.me_value_error(obj.span);
                        FieldTarget::Error
                    }
                }
            }
            ExprKind::Name(n) if self.lookup(n).is_none() && self.cx.boxes.contains_key(n) => {
                if self.cx.boxes[n].is_module {
                    FieldTarget::Global { bx: n.clone() }
                } else {
                    self.unsupported(obj.span, &format!("reading a field of the box `{n}` itself"));
                    FieldTarget::Error
                }
            }
            _ => {
                let v = self.lower_expr(obj);
                let known = self.known.get(&v).copied();
                FieldTarget::Instance { obj: v, known }
            }
        }
    }

    /// Resolves a global target for field `field` (declares undeclared ones on demand).
    fn global_for(&mut self, bx: &str, field: &str) -> (GlobalId, bool) {
        let declared = self.cx.boxes.get(bx).is_some_and(|b| b.fields.iter().any(|f| f == field));
        (self.cx.global(bx, field), declared)
    }

    /// `obj.name` as an expression.
    pub fn lower_field_get(&mut self, e: &Expr, obj: &Expr, name: &ast::Ident) -> ValueId {
        let pos = e.span.start;
        match self.field_target(obj) {
            FieldTarget::Instance { obj, .. } => {
                let field = self.cx.intern_sym(&name.name);
                self.emit_owned(InstKind::FieldGet { obj, field }, Type::Dyn, pos)
            }
            FieldTarget::Global { bx } => {
                let (g, _) = self.global_for(&bx, &name.name);
                let idx = self.const_val(Const::Int(g.0 as i64), pos);
                self.emit_owned(
                    InstKind::RtCall { func: RtFn::GlobalGet, args: vec![idx] },
                    Type::Dyn,
                    pos,
                )
            }
            FieldTarget::Error => self.poison(pos),
        }
    }

    /// `obj.name = value` / `obj.name op= value` (a statement; its temporaries are released
    /// by the caller).
    pub fn lower_field_assign(
        &mut self,
        obj: &Expr,
        name: &ast::Ident,
        op: Option<ast::BinOp>,
        value: &Expr,
    ) {
        let pos = obj.span.start;
        match self.field_target(obj) {
            FieldTarget::Instance { obj: o, known } => {
                let field = self.cx.intern_sym(&name.name);
                if let Some(bx) = known {
                    self.warn_undeclared(bx, name);
                }
                let v = match op {
                    Some(op) => {
                        let cur =
                            self.emit_owned(InstKind::FieldGet { obj: o, field }, Type::Dyn, pos);
                        let rhs = self.lower_expr(value);
                        self.binary(op, cur, rhs, pos)
                    }
                    None => self.lower_expr(value),
                };
                self.emit_void(InstKind::FieldSet { obj: o, field, value: v }, pos);
            }
            FieldTarget::Global { bx } => {
                let (g, declared) = self.global_for(&bx, &name.name);
                if !declared {
                    self.cx.error(
                        Diagnostic::warning(
                            codes::UNDECLARED_FIELD,
                            format!("box `{bx}` has no field `{}`", name.name),
                            name.span,
                        )
                        .with_label("assigned here without a field declaration"),
                    );
                }
                let idx = self.const_val(Const::Int(g.0 as i64), pos);
                let v = match op {
                    Some(op) => {
                        let cur = self.emit_owned(
                            InstKind::RtCall { func: RtFn::GlobalGet, args: vec![idx] },
                            Type::Dyn,
                            pos,
                        );
                        let rhs = self.lower_expr(value);
                        self.binary(op, cur, rhs, pos)
                    }
                    None => self.lower_expr(value),
                };
                self.emit_void(InstKind::RtCall { func: RtFn::GlobalSet, args: vec![idx, v] }, pos);
            }
            FieldTarget::Error => {
                self.lower_expr(value);
            }
        }
    }

    /// W0202 for a write to a field box `bx` does not declare (it still works at runtime).
    fn warn_undeclared(&mut self, bx: BoxId, name: &ast::Ident) {
        let Some(info) = self.cx.box_info(bx) else { return };
        if info.fields.contains(&name.name) {
            return;
        }
        let bname = self.cx.box_names[bx.index()].clone();
        self.cx.error(
            Diagnostic::warning(
                codes::UNDECLARED_FIELD,
                format!("box `{bname}` has no field `{}`", name.name),
                name.span,
            )
            .with_label("not declared; kept beside the declared fields at runtime"),
        );
    }

    /// `obj[index]`: the `get` method.
    pub fn lower_index(&mut self, e: &Expr, obj: &Expr, index: &Expr) -> ValueId {
        let o = self.lower_expr(obj);
        let i = self.lower_expr(index);
        self.method_call(o, "get", vec![i], e.span.start)
    }

    /// `obj[index] = value` (and `op=`): the `set` method.
    pub fn lower_index_assign(
        &mut self,
        target: &Expr,
        obj: &Expr,
        index: &Expr,
        op: Option<ast::BinOp>,
        value: &Expr,
    ) {
        let pos = target.span.start;
        let o = self.lower_expr(obj);
        let i = self.lower_expr(index);
        let v = match op {
            Some(op) => {
                let cur = self.method_call(o, "get", vec![i], pos);
                let rhs = self.lower_expr(value);
                self.binary(op, cur, rhs, pos)
            }
            None => self.lower_expr(value),
        };
        self.method_call(o, "set", vec![i, v], pos);
    }

    /// `[a, b, …]`: a new ArrayBox filled with `push`.
    pub fn lower_array_lit(&mut self, e: &Expr, items: &[Expr]) -> ValueId {
        let pos = e.span.start;
        let arr = self.emit_owned(
            InstKind::RtCall { func: RtFn::NewArray, args: vec![] },
            Type::Array(ArraySites::UNTRACKED),
            pos,
        );
        for it in items {
            let v = self.lower_expr(it);
            self.method_call(arr, "push", vec![v], it.span.start);
        }
        arr
    }

    /// `%{k => v, …}`: a new MapBox filled with `set`.
    pub fn lower_map_lit(&mut self, e: &Expr, pairs: &[(Expr, Expr)]) -> ValueId {
        let pos = e.span.start;
        let map =
            self.emit_owned(InstKind::RtCall { func: RtFn::NewMap, args: vec![] }, Type::Map, pos);
        for (k, v) in pairs {
            let kv = self.lower_expr(k);
            let vv = self.lower_expr(v);
            self.method_call(map, "set", vec![kv, vv], k.span.start);
        }
        map
    }

    /// `new Name(args)`.
    pub fn lower_new(&mut self, e: &Expr, class: &ast::Ident, args: &[Expr]) -> ValueId {
        let pos = e.span.start;
        let name = class.name.as_str();
        if is_value_box(name) {
            let vals = self.lower_args(args);
            return match vals.len() {
                1 => vals[0],
                0 => {
                    let c = match name {
                        "IntegerBox" => Const::Int(0),
                        "FloatBox" => Const::Float(0.0),
                        "BoolBox" => Const::Bool(false),
                        _ => Const::Str(self.cx.intern_str("")),
                    };
                    let v = self.const_val(c, pos);
                    self.owned(v)
                }
                n => self.arity_error(e, name, "0 or 1", n),
            };
        }
        if let Some(rt) = builtin_box(name) {
            let vals = self.lower_args(args);
            if !vals.is_empty() {
                return self.arity_error(e, name, "0", vals.len());
            }
            let ty = match rt {
                RtFn::NewArray => Type::Array(ArraySites::UNTRACKED),
                RtFn::NewMap => Type::Map,
                _ => Type::Dyn,
            };
            return self.emit_owned(InstKind::RtCall { func: rt, args: vec![] }, ty, pos);
        }
        let info = self.cx.boxes.get(name).map(|b| (b.id, b.is_module, b.constructors.clone()));
        let Some((id, is_module, ctors)) = info else {
            self.lower_args(args);
            self.cx.error(
                Diagnostic::error(codes::UNKNOWN_BOX, format!("unknown box `{name}`"), class.span)
                    .with_label("no box with this name"),
            );
            return self.poison(pos);
        };
        if is_module {
            self.lower_args(args);
            self.cx.error(
                Diagnostic::error(
                    codes::NOT_INSTANTIABLE,
                    format!("cannot create an instance of static box `{name}`"),
                    class.span,
                )
                .with_label("static boxes are modules; call their methods as `Name.m(…)`"),
            );
            return self.poison(pos);
        }
        let vals = self.lower_args(args);
        let idv = self.const_val(Const::Int(id.0 as i64), pos);
        let obj = self.emit_owned(
            InstKind::RtCall { func: RtFn::NewInstance, args: vec![idv] },
            Type::Instance(id),
            pos,
        );
        self.known.insert(obj, id);
        match ctors.iter().find(|(a, _)| *a == vals.len()) {
            Some(&(_, f)) => {
                let mut call_args = vec![obj];
                call_args.extend(vals);
                self.emit_owned(InstKind::Call { func: f, args: call_args }, Type::Dyn, pos);
            }
            None if vals.is_empty() => {}
            None => {
                let msg = format!("no constructor {name}.birth/{}", vals.len());
                let s = self.cx.intern_str(&msg);
                let m = self.const_val(Const::Str(s), pos);
                let m = self.owned(m);
                self.emit_void(InstKind::RtCall { func: RtFn::Error, args: vec![m] }, pos);
            }
        }
        obj
    }

    fn arity_error(&mut self, e: &Expr, name: &str, expected: &str, n: usize) -> ValueId {
        self.cx.error(
            Diagnostic::error(
                codes::WRONG_ARITY,
                format!(
                    "wrong number of arguments to `new {name}`: expected {expected}, found {n}"
                ),
                e.span,
            )
            .with_label(format!("called with {n} argument(s)")),
        );
        self.poison(e.span.start)
    }

    /// `from Parent.method(args)`: the parent's method (or constructor, for `birth`/`init`/
    /// `pack`) called directly with the same `me`.
    pub fn lower_from_call(
        &mut self,
        e: &Expr,
        parent: &ast::Ident,
        method: &ast::Ident,
        args: &[Expr],
    ) -> ValueId {
        let pos = e.span.start;
        let vals = self.lower_args(args);
        let (Some(me), Some(cur)) = (self.me, self.ctx.instance) else {
            self.cx.error(
                Diagnostic::error(
                    codes::BAD_DELEGATION,
                    "`from` calls are only allowed in methods of a box that delegates",
                    e.span,
                )
                .with_label("no parent box here"),
            );
            return self.poison(pos);
        };
        let pid = self.cx.boxes.get(&parent.name).map(|b| b.id);
        let ok = pid.is_some_and(|p| p != cur && self.cx.derives_from(cur, p));
        let Some(pid) = pid.filter(|_| ok) else {
            let bname = self.cx.box_names[cur.index()].clone();
            self.cx.error(
                Diagnostic::error(
                    codes::BAD_DELEGATION,
                    format!("`{}` is not a parent of `{bname}`", parent.name),
                    parent.span,
                )
                .with_label("not in this box's `from` chain"),
            );
            return self.poison(pos);
        };
        let is_ctor = matches!(method.name.as_str(), "birth" | "init" | "pack");
        let found = self.cx.box_info(pid).and_then(|info| {
            let list = if is_ctor {
                info.constructors.clone()
            } else {
                info.methods.get(&method.name).cloned().unwrap_or_default()
            };
            list.iter().find(|(a, _)| *a == vals.len()).map(|(_, f)| *f)
        });
        match found {
            Some(f) => {
                let mut call_args = vec![me];
                call_args.extend(vals);
                self.emit_owned(InstKind::Call { func: f, args: call_args }, Type::Dyn, pos)
            }
            None if is_ctor && vals.is_empty() => self.const_val(Const::Null, pos),
            None => {
                self.cx.error(
                    Diagnostic::error(
                        codes::UNKNOWN_METHOD,
                        format!(
                            "unknown method `{}.{}` with {} argument(s)",
                            parent.name,
                            method.name,
                            vals.len()
                        ),
                        method.span,
                    )
                    .with_label(format!("`{}` has no such method", parent.name)),
                );
                self.poison(pos)
            }
        }
    }
}
