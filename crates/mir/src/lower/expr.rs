//! Lowering of expressions: literals, names, operators, short-circuit logic, calls, `new`.
//!
//! Sites (runtime error locations) are the start of the expression that raises the error:
//! for `a / b` the start of `a`, for `s.trim().nope()` the start of `s`, for a condition the
//! start of the condition (this is what the conformance corpus expects).

use super::{codes, FuncBuilder};
use crate::ir::*;
use nyash_syntax::ast::{self, Expr, ExprKind, LogicalOp, UnOp};
use nyash_syntax::{Diagnostic, Span};

impl FuncBuilder<'_, '_> {
    pub fn lower_expr(&mut self, e: &Expr) -> ValueId {
        let pos = e.span.start;
        match &e.kind {
            ExprKind::Int(n) => self.const_val(Const::Int(*n), pos),
            ExprKind::Float(x) => self.const_val(Const::Float(*x), pos),
            ExprKind::Str(s) => {
                let id = self.cx.intern_str(s);
                let v = self.const_val(Const::Str(id), pos);
                self.owned(v)
            }
            ExprKind::Bool(b) => self.const_val(Const::Bool(*b), pos),
            ExprKind::Null => self.const_val(Const::Null, pos),
            ExprKind::Name(n) => match self.lookup(n) {
                Some(i) => self.vars[i].value,
                None => {
                    let d = if self.cx.boxes.contains_key(n.as_str()) {
                        Diagnostic::error(
                            codes::UNSUPPORTED,
                            format!("using the box `{n}` as a value is not supported yet"),
                            e.span,
                        )
                        .with_label("a box name, not a variable")
                    } else {
                        Diagnostic::error(
                            codes::UNDEFINED_VARIABLE,
                            format!("undefined variable `{n}`"),
                            e.span,
                        )
                        .with_label("not declared with `local` in this scope")
                    };
                    self.cx.error(d);
                    self.poison(pos)
                }
            },
            ExprKind::Me => match self.me {
                Some(me) => me,
                None => {
                    self.me_value_error(e.span);
                    self.poison(pos)
                }
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.lower_expr(lhs);
                let b = self.lower_expr(rhs);
                self.binary(*op, a, b, pos)
            }
            ExprKind::Unary { op, operand } => {
                // Fold `-literal` so that `-9223372036854775808` (parsed as the negation of
                // an out-of-range literal carried as i64::MIN) and `-0.0` come out exact.
                if *op == UnOp::Neg {
                    match operand.kind {
                        ExprKind::Int(n) => {
                            return self.const_val(Const::Int(n.wrapping_neg()), pos)
                        }
                        ExprKind::Float(x) => return self.const_val(Const::Float(-x), pos),
                        _ => {}
                    }
                }
                let a = self.lower_expr(operand);
                if *op == UnOp::Not {
                    self.emit(InstKind::Unary { op: *op, a }, Type::Bool, pos)
                } else {
                    let v = self.emit(InstKind::Unary { op: *op, a }, Type::Dyn, pos);
                    self.owned(v)
                }
            }
            ExprKind::Logical { op, lhs, rhs } => self.lower_logical(*op, lhs, rhs),
            ExprKind::Ternary { cond, then_expr, else_expr } => {
                let c = self.lower_cond(cond);
                let (t, f) = self.branch_fresh(c);
                let live = self.is_live();
                let merge = self.new_block(live);
                let r = self.add_block_param(merge, Type::Dyn);
                // Each arm owns what it passes to the merge and drops its own temporaries.
                for (blk, arm) in [(t, then_expr), (f, else_expr)] {
                    self.switch_to(blk);
                    let mark = self.temps.len();
                    let v = self.lower_expr(arm);
                    let v = self.take(v, arm.span.start);
                    self.release_temps(mark, arm.span.start);
                    self.jump_with(merge, vec![v]);
                }
                self.switch_to(merge);
                self.owned(r)
            }
            ExprKind::Field { obj, name } => self.lower_field_get(e, obj, name),
            ExprKind::MethodCall { recv, name, args } => {
                self.lower_method_call(e, recv, name, args)
            }
            ExprKind::Call { callee, args } => self.lower_call(e, callee, args),
            ExprKind::New { class, args } => self.lower_new(e, class, args),
            ExprKind::FromCall { parent, method, args } => {
                self.lower_from_call(e, parent, method, args)
            }
            ExprKind::Index { obj, index } => self.lower_index(e, obj, index),
            ExprKind::ArrayLit(items) => self.lower_array_lit(e, items),
            ExprKind::MapLit(pairs) => self.lower_map_lit(e, pairs),
            ExprKind::Match { .. } => {
                self.unsupported(e.span, "`match`");
                self.poison(pos)
            }
        }
    }

    pub(crate) fn lower_args(&mut self, args: &[Expr]) -> Vec<ValueId> {
        args.iter().map(|a| self.lower_expr(a)).collect()
    }

    /// Ends the current (live) block with a jump carrying `args`.
    fn jump_with(&mut self, target: BlockId, args: Vec<ValueId>) {
        if self.is_live() {
            self.terminate(Terminator::Jump { target, args });
        } else {
            self.terminate(Terminator::Unreachable);
        }
    }

    /// `a and b` / `a or b`: short-circuit, yielding a Bool.
    fn lower_logical(&mut self, op: LogicalOp, lhs: &Expr, rhs: &Expr) -> ValueId {
        let a = self.lower_cond(lhs);
        let live = self.is_live();
        let (t, f) = self.branch_fresh(a);
        let merge = self.new_block(live);
        let r = self.add_block_param(merge, Type::Bool);
        // `and`: false skips the rhs; `or`: true skips it.
        let (eval_rhs, short) = match op {
            LogicalOp::And => (t, f),
            LogicalOp::Or => (f, t),
        };
        self.switch_to(short);
        let k = self.const_val(Const::Bool(op == LogicalOp::Or), lhs.span.start);
        self.jump_with(merge, vec![k]);
        self.switch_to(eval_rhs);
        let b = self.lower_cond(rhs);
        self.jump_with(merge, vec![b]);
        self.switch_to(merge);
        r
    }

    /// `recv.name(args)`: a static call `Box.m(…)` / `me.m(…)`, or a dynamic method call.
    fn lower_method_call(
        &mut self,
        e: &Expr,
        recv: &Expr,
        name: &ast::Ident,
        args: &[Expr],
    ) -> ValueId {
        match &recv.kind {
            ExprKind::Name(n) if self.lookup(n).is_none() => {
                let is_module = self.cx.boxes.get(n.as_str()).map(|b| b.is_module);
                match is_module {
                    Some(true) => {
                        let n = n.clone();
                        self.static_call(e, &n, name, args)
                    }
                    Some(false) => {
                        self.unsupported(
                            e.span,
                            &format!("calling a method on the box `{n}` itself"),
                        );
                        self.lower_args(args);
                        self.poison(e.span.start)
                    }
                    None => {
                        let d = if n.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                            Diagnostic::error(
                                codes::UNKNOWN_BOX,
                                format!("unknown box `{n}`"),
                                recv.span,
                            )
                            .with_label("no box or variable with this name")
                        } else {
                            Diagnostic::error(
                                codes::UNDEFINED_VARIABLE,
                                format!("undefined variable `{n}`"),
                                recv.span,
                            )
                            .with_label("not declared with `local` in this scope")
                        };
                        self.cx.error(d);
                        self.lower_args(args);
                        self.poison(e.span.start)
                    }
                }
            }
            ExprKind::Me if self.me.is_some() => {
                let r = self.lower_expr(recv);
                let vals = self.lower_args(args);
                self.method_call(r, &name.name, vals, e.span.start)
            }
            ExprKind::Me => match self.ctx.box_name.clone() {
                Some(b) => self.static_call(e, &b, name, args),
                None => {
                    self.me_value_error(recv.span);
                    self.lower_args(args);
                    self.poison(e.span.start)
                }
            },
            _ => {
                let r = self.lower_expr(recv);
                let vals = self.lower_args(args);
                self.method_call(r, &name.name, vals, e.span.start)
            }
        }
    }

    /// `Box.m(args)` on a module box.
    fn static_call(
        &mut self,
        e: &Expr,
        box_name: &str,
        name: &ast::Ident,
        args: &[Expr],
    ) -> ValueId {
        let vals = self.lower_args(args);
        let cands = self.cx.boxes.get(box_name).and_then(|b| b.methods.get(&name.name)).cloned();
        let Some(cands) = cands else {
            self.cx.error(
                Diagnostic::error(
                    codes::UNKNOWN_METHOD,
                    format!("unknown method `{box_name}.{}`", name.name),
                    e.span,
                )
                .with_label(format!("`{box_name}` has no method `{}`", name.name)),
            );
            return self.poison(e.span.start);
        };
        self.call_candidates(e, &format!("{box_name}.{}", name.name), &cands, vals)
    }

    /// `name(args)`: a sibling method of the current static box, or a top-level function.
    fn lower_call(&mut self, e: &Expr, callee: &ast::Ident, args: &[Expr]) -> ValueId {
        let vals = self.lower_args(args);
        // In an instance box, `m(args)` is `me.m(args)` when the box has a method `m`.
        if let (Some(me), Some(bx)) = (self.me, self.ctx.instance) {
            let has = self.cx.box_info(bx).is_some_and(|b| b.methods.contains_key(&callee.name));
            if has {
                return self.method_call(me, &callee.name, vals, e.span.start);
            }
        }
        let sibling = self
            .ctx
            .box_name
            .as_ref()
            .and_then(|b| self.cx.boxes.get(b.as_str()))
            .and_then(|b| b.methods.get(&callee.name))
            .cloned();
        if let (Some(cands), Some(b)) = (sibling, self.ctx.box_name.clone()) {
            return self.call_candidates(e, &format!("{b}.{}", callee.name), &cands, vals);
        }
        if let Some(cands) = self.cx.functions.get(&callee.name).cloned() {
            return self.call_candidates(e, &callee.name, &cands, vals);
        }
        let label = match &self.ctx.box_name {
            Some(b) => {
                format!("no method `{}` in `{b}` and no function with this name", callee.name)
            }
            None => "no function with this name".to_string(),
        };
        self.cx.error(
            Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                format!("unknown function `{}`", callee.name),
                callee.span,
            )
            .with_label(label),
        );
        self.poison(e.span.start)
    }

    /// Picks the candidate with the right arity and emits the `Call`.
    fn call_candidates(
        &mut self,
        e: &Expr,
        shown: &str,
        cands: &[(usize, FuncId)],
        vals: Vec<ValueId>,
    ) -> ValueId {
        if let Some(&(_, f)) = cands.iter().find(|(a, _)| *a == vals.len()) {
            let v = self.emit(InstKind::Call { func: f, args: vals }, Type::Dyn, e.span.start);
            return self.owned(v);
        }
        let mut arities: Vec<String> = cands.iter().map(|(a, _)| a.to_string()).collect();
        arities.sort();
        let mut d = Diagnostic::error(
            codes::WRONG_ARITY,
            format!(
                "wrong number of arguments to `{shown}`: expected {}, found {}",
                arities.join(" or "),
                vals.len()
            ),
            e.span,
        )
        .with_label(format!("called with {} argument(s)", vals.len()));
        for &(a, f) in cands {
            if let Some(sp) = self.cx.func_spans.get(f.index()) {
                d = d.with_secondary(*sp, format!("`{shown}` defined here with {a} parameter(s)"));
            }
        }
        self.cx.error(d);
        self.poison(e.span.start)
    }

    pub(crate) fn me_value_error(&mut self, span: Span) {
        if self.ctx.box_name.is_some() {
            self.unsupported(span, "using `me` of a static box as a value");
        } else {
            self.cx.error(
                Diagnostic::error(codes::ME_OUTSIDE_BOX, "`me` outside of a box", span)
                    .with_label("only methods of a box have `me`"),
            );
        }
    }
}
