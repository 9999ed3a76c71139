//! Lowering of method bodies and statements (locals, assignment, if, loops, jumps, print).

use super::ssa::PendingEdge;
use super::{codes, FuncBuilder, FuncCtx, ModuleCx};
use crate::ir::*;
use nyash_syntax::ast::{self, Expr, ExprKind, Stmt, StmtKind};
use nyash_syntax::Diagnostic;
use rustc_hash::FxHashSet;

/// Lowers one method / top-level function into MIR function `fid`.
pub(crate) fn lower_method(
    cx: &mut ModuleCx,
    fid: FuncId,
    m: &ast::Method,
    ctx: &FuncCtx,
) -> Function {
    let name = cx.func_names[fid.index()].clone();
    let mut b = FuncBuilder::new(cx, ctx.clone(), name);
    if let Some(bx) = ctx.instance {
        // `me` has the fixed type of its box and is borrowed from the caller: no retain.
        let me = b.add_block_param(BlockId(0), Type::Instance(bx));
        b.func.params.push(me);
        b.me = Some(me);
    }
    // Parameters the body never assigns are borrowed from the caller (see `rc`).
    let mut assigned = FxHashSet::default();
    assigned_names(&m.body.stmts, &mut assigned);
    for p in &m.params {
        let v = b.add_block_param(BlockId(0), Type::Dyn);
        b.func.params.push(v);
        if let Some(first) = b.declared_in_current_scope(&p.name) {
            b.cx.error(
                Diagnostic::error(
                    codes::DUPLICATE_LOCAL,
                    format!("duplicate parameter `{}`", p.name),
                    p.span,
                )
                .with_label("declared again here")
                .with_secondary(first, "first declared here"),
            );
            continue;
        }
        let var = b.declare(&p.name, p.span, v);
        b.own_param(var, assigned.contains(p.name.as_str()), p.span.start);
    }
    // The body shares the parameters' scope: `local x` for a parameter `x` is a duplicate.
    b.lower_stmts(&m.body.stmts);
    b.finish(m.body.span.end.saturating_sub(1))
}

/// Lowers the top-level statements of a script-mode file as the implicit main.
pub(crate) fn lower_script(
    cx: &mut ModuleCx,
    fid: FuncId,
    stmts: &[Stmt],
    ctx: &FuncCtx,
) -> Function {
    let name = cx.func_names[fid.index()].clone();
    let mut b = FuncBuilder::new(cx, ctx.clone(), name);
    b.lower_stmts(stmts);
    let end = stmts.last().map(|s| s.span.end).unwrap_or(0);
    b.finish(end)
}

impl FuncBuilder<'_, '_> {
    pub fn lower_stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.lower_stmt(s);
        }
    }

    /// Lowers a `{ … }` block in a new scope.
    pub fn lower_block(&mut self, block: &ast::Block) {
        let mark = self.push_scope();
        let script = std::mem::replace(&mut self.ctx.script, false);
        self.lower_stmts(&block.stmts);
        self.ctx.script = script;
        self.pop_scope(mark, block.span.end.saturating_sub(1));
    }

    fn lower_stmt(&mut self, s: &Stmt) {
        let pos = s.span.start;
        // Temporaries of this statement are released at its end.
        let mark = self.temps.len();
        match &s.kind {
            StmtKind::Local(decls) => {
                for (ident, init) in decls {
                    // The initializer sees the outer binding: `local x = x + 1` is fine.
                    let v = match init {
                        Some(e) => self.lower_expr(e),
                        None => self.const_val(Const::Null, ident.span.start),
                    };
                    let v = self.take(v, ident.span.start);
                    self.release_temps(mark, ident.span.start);
                    if let Some(first) = self.declared_in_current_scope(&ident.name) {
                        self.cx.error(
                            Diagnostic::error(
                                codes::DUPLICATE_LOCAL,
                                format!("duplicate local `{}`", ident.name),
                                ident.span,
                            )
                            .with_label("declared again in the same scope")
                            .with_secondary(first, "first declared here"),
                        );
                        continue;
                    }
                    self.declare(&ident.name, ident.span, v);
                }
            }
            StmtKind::Assign { target, op, value } => self.lower_assign(target, *op, value),
            StmtKind::If { cond, then_block, else_block } => {
                let c = self.lower_cond(cond);
                let nvars = self.vars.len();
                let saved: Vec<ValueId> = self.var_values();
                let merge = self.new_block(false);
                let (t, e) = self.branch_fresh(c);
                let mut edges: Vec<PendingEdge> = Vec::new();
                self.switch_to(t);
                self.lower_block(then_block);
                edges.extend(self.jump_pending(merge));
                self.restore(&saved);
                self.switch_to(e);
                if let Some(eb) = else_block {
                    self.lower_block(eb);
                }
                edges.extend(self.jump_pending(merge));
                self.merge_into(merge, edges, nvars);
            }
            StmtKind::Loop { cond, body } => self.lower_loop(cond.as_ref(), body),
            StmtKind::Break => {
                if self.loops.is_empty() {
                    self.cx.error(
                        Diagnostic::error(codes::OUTSIDE_LOOP, "`break` outside of a loop", s.span)
                            .with_label("not inside `loop` or `while`"),
                    );
                } else {
                    self.break_to_exit(pos);
                }
            }
            StmtKind::Continue => {
                if self.loops.is_empty() {
                    self.cx.error(
                        Diagnostic::error(
                            codes::OUTSIDE_LOOP,
                            "`continue` outside of a loop",
                            s.span,
                        )
                        .with_label("not inside `loop` or `while`"),
                    );
                } else {
                    self.continue_loop(pos);
                }
            }
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.lower_expr(e),
                    None => self.const_val(Const::Null, pos),
                };
                // The value first (owned), then the function's variables, then return.
                let v = self.take(v, pos);
                self.release_temps(mark, pos);
                self.release_vars_from(0, pos);
                self.terminate(Terminator::Return(v));
            }
            StmtKind::Print(e) => {
                let v = self.lower_expr(e);
                self.emit_void(InstKind::Print(v), pos);
            }
            StmtKind::Expr(e) => {
                self.lower_expr(e);
            }
            StmtKind::Block(b) => self.lower_block(b),
            StmtKind::Try { body, catch, cleanup } => {
                self.unsupported(s.span, "`try` / `catch`");
                // Still check the bodies for errors; they run nowhere.
                self.lower_block(body);
                if let Some((name, c)) = catch {
                    // The caught value is bound (to null) so that its uses in the handler are
                    // not reported as undefined on top of the one error that matters.
                    let mark = self.push_scope();
                    if let Some(id) = name {
                        let v = self.const_val(Const::Null, id.span.start);
                        self.declare(&id.name, id.span, v);
                    }
                    self.lower_block(c);
                    self.pop_scope(mark, c.span.end.saturating_sub(1));
                }
                if let Some(c) = cleanup {
                    self.lower_block(c);
                }
            }
            StmtKind::Throw(e) => {
                self.unsupported(s.span, "`throw`");
                self.lower_expr(e);
            }
        }
        self.release_temps(mark, pos);
    }

    /// Puts the variables back to `saved` (their values before a branch).
    fn restore(&mut self, saved: &[ValueId]) {
        self.vars.truncate(saved.len());
        for (v, s) in self.vars.iter_mut().zip(saved) {
            v.value = *s;
        }
    }

    fn lower_assign(&mut self, target: &Expr, op: Option<ast::BinOp>, value: &Expr) {
        let name = match &target.kind {
            ExprKind::Name(name) => name,
            ExprKind::Field { obj, name } => return self.lower_field_assign(obj, name, op, value),
            ExprKind::Index { obj, index } => {
                return self.lower_index_assign(target, obj, index, op, value)
            }
            _ => {
                self.unsupported(target.span, "this assignment target");
                self.lower_expr(value);
                return;
            }
        };
        let pos = target.span.start;
        let var = self.lookup(name);
        let new_value = match (var, op) {
            (Some(i), Some(op)) => {
                let rhs = self.lower_expr(value);
                let cur = self.vars[i].value;
                self.binary(op, cur, rhs, pos)
            }
            (_, _) => self.lower_expr(value),
        };
        let new_value = self.take(new_value, pos);
        match var {
            Some(i) => {
                // The old value is dropped after the new one has been evaluated.
                let old = std::mem::replace(&mut self.vars[i].value, new_value);
                if self.func.ty(old).is_counted() {
                    self.emit_void(InstKind::Release(old), pos);
                }
            }
            None if self.ctx.script && op.is_none() && self.scopes.len() == 1 => {
                self.declare(name, target.span, new_value);
            }
            None => {
                self.cx.error(
                    Diagnostic::error(
                        codes::UNDEFINED_VARIABLE,
                        format!("undefined variable `{name}`"),
                        target.span,
                    )
                    .with_label("assigned here without a `local` declaration"),
                );
            }
        }
    }

    fn lower_loop(&mut self, cond: Option<&Expr>, body: &ast::Block) {
        let nvars = self.vars.len();
        let mut assigned = FxHashSet::default();
        assigned_names(&body.stmts, &mut assigned);
        let header_vars: Vec<usize> =
            (0..nvars).filter(|&i| assigned.contains(self.vars[i].name.as_str())).collect();
        self.enter_loop_header(header_vars);
        let mut exit_edges = Vec::new();
        if let Some(c) = cond {
            let c = self.lower_cond(c);
            let exit = self.loops.last().map(|l| l.exit).unwrap_or(self.cur);
            let (body_b, out) = self.branch_fresh(c);
            self.switch_to(out);
            exit_edges.extend(self.jump_pending(exit));
            self.switch_to(body_b);
        }
        self.lower_block(body);
        self.jump_to_header();
        let Some(lp) = self.loops.pop() else { return };
        exit_edges.extend(lp.breaks);
        self.merge_into(lp.exit, exit_edges, nvars);
    }

    /// Evaluates a condition to a Bool (generic `Truthy`).
    /// Temporaries of the condition are released as soon as its truth value is known (a
    /// condition is a full expression of its own).
    pub fn lower_cond(&mut self, e: &Expr) -> ValueId {
        let mark = self.temps.len();
        let v = self.lower_expr(e);
        let t = self.emit(InstKind::Truthy(v), Type::Bool, e.span.start);
        self.release_temps(mark, e.span.start);
        t
    }

    /// Reports a construct outside this scope.
    pub fn unsupported(&mut self, span: nyash_syntax::Span, what: &str) {
        self.cx.error(
            Diagnostic::error(codes::UNSUPPORTED, format!("{what} is not supported yet"), span)
                .with_label("not supported by this compiler yet"),
        );
    }
}

pub(crate) fn is_comparison(op: ast::BinOp) -> bool {
    use ast::BinOp::*;
    matches!(op, Eq | Ne | Lt | Le | Gt | Ge)
}

/// Names that statements may assign (used to choose loop header parameters).
fn assigned_names<'s>(stmts: &'s [Stmt], out: &mut FxHashSet<&'s str>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Assign { target, .. } => {
                if let ExprKind::Name(n) = &target.kind {
                    out.insert(n.as_str());
                }
            }
            StmtKind::If { then_block, else_block, .. } => {
                assigned_names(&then_block.stmts, out);
                if let Some(e) = else_block {
                    assigned_names(&e.stmts, out);
                }
            }
            StmtKind::Loop { body, .. } => assigned_names(&body.stmts, out),
            StmtKind::Block(b) => assigned_names(&b.stmts, out),
            StmtKind::Try { body, catch, cleanup } => {
                assigned_names(&body.stmts, out);
                if let Some((_, c)) = catch {
                    assigned_names(&c.stmts, out);
                }
                if let Some(c) = cleanup {
                    assigned_names(&c.stmts, out);
                }
            }
            StmtKind::Local(_)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Return(_)
            | StmtKind::Print(_)
            | StmtKind::Expr(_)
            | StmtKind::Throw(_) => {}
        }
    }
}
