//! Statement parsing (LANGUAGE.md §3): blocks with per-statement error recovery, `local`,
//! assignment, control flow, `print`, `try`/`throw`.

use super::expr::can_start_expr;
use super::{Fail, PResult, Parser};
use crate::ast::{BinOp, Block, Expr, ExprKind, Stmt, StmtKind};
use crate::diagnostic::Diagnostic;
use crate::token::{Keyword, TokenKind};

impl Parser {
    /// `{ stmt* }`. Statement errors are recovered inside, so a block only fails when its
    /// braces are missing or parsing was aborted.
    pub(crate) fn parse_block(&mut self, context: &str) -> PResult<Block> {
        let open = self.expect(TokenKind::LBrace, context)?;
        self.deeper(|p| {
            p.with_nl(true, |p| {
                let mut stmts = Vec::new();
                loop {
                    match p.peek() {
                        TokenKind::RBrace => {
                            p.bump();
                            break;
                        }
                        TokenKind::Eof => {
                            let d = Diagnostic::error(
                                "E0100",
                                "expected `}` to close the block, found end of file",
                                p.tok().span,
                            )
                            .with_secondary(open, "block opened here");
                            p.report(d);
                            return Err(Fail);
                        }
                        TokenKind::Semi => {
                            p.bump();
                            continue;
                        }
                        _ => {}
                    }
                    let start = p.pos;
                    match p.parse_stmt() {
                        Ok(s) => stmts.push(s),
                        Err(Fail) => {
                            if p.aborted {
                                return Err(Fail);
                            }
                            p.sync(start);
                        }
                    }
                }
                Ok(Block { stmts, span: p.span_from(open) })
            })
        })
    }

    /// One statement. It ends where the next token cannot continue it; the caller does not
    /// require a separator (LANGUAGE.md §1: `me.x = v  return 0` is two statements).
    pub(crate) fn parse_stmt(&mut self) -> PResult<Stmt> {
        let start = self.tok().span;
        let kind = match self.peek() {
            TokenKind::Kw(Keyword::Local) => self.parse_local()?,
            TokenKind::Kw(Keyword::If) => self.parse_if()?,
            TokenKind::Kw(Keyword::Loop) => {
                self.bump();
                let cond = if self.at(&TokenKind::LParen) {
                    self.bump();
                    let cond = self.with_nl(false, |p| {
                        let c = p.parse_expr()?;
                        p.expect(TokenKind::RParen, "after the loop condition")?;
                        Ok(c)
                    })?;
                    Some(cond)
                } else {
                    None
                };
                let body = self.parse_block("to start the loop body")?;
                StmtKind::Loop { cond, body }
            }
            TokenKind::Kw(Keyword::While) => {
                self.bump();
                let cond = self.parse_expr()?;
                let body = self.parse_block("to start the loop body")?;
                StmtKind::Loop { cond: Some(cond), body }
            }
            TokenKind::Kw(Keyword::Break) => {
                self.bump();
                StmtKind::Break
            }
            TokenKind::Kw(Keyword::Continue) => {
                self.bump();
                StmtKind::Continue
            }
            TokenKind::Kw(Keyword::Return) => {
                self.bump();
                // The value must start on the same line (LANGUAGE.md §1).
                if !self.tok().nl_before && can_start_expr(self.peek()) {
                    StmtKind::Return(Some(self.parse_expr()?))
                } else {
                    StmtKind::Return(None)
                }
            }
            TokenKind::Kw(Keyword::Print) => {
                self.bump();
                self.expect(TokenKind::LParen, "after `print`")?;
                let value = self.with_nl(false, |p| {
                    let v = p.parse_expr()?;
                    p.expect(TokenKind::RParen, "after the value to print")?;
                    Ok(v)
                })?;
                StmtKind::Print(value)
            }
            TokenKind::LBrace => StmtKind::Block(self.parse_block("to start a block")?),
            TokenKind::Kw(Keyword::Try) => self.parse_try()?,
            TokenKind::Kw(Keyword::Throw) => {
                self.bump();
                StmtKind::Throw(self.parse_expr()?)
            }
            TokenKind::Kw(k @ (Keyword::Else | Keyword::Catch | Keyword::Cleanup)) => {
                let (word, owner) = match k {
                    Keyword::Else => ("else", "if"),
                    Keyword::Catch => ("catch", "try"),
                    _ => ("cleanup", "try"),
                };
                let msg = format!("`{word}` without a preceding `{owner}`");
                return Err(self.error_here("E0107", msg));
            }
            _ => self.parse_expr_or_assign()?,
        };
        Ok(Stmt { kind, span: self.span_from(start) })
    }

    /// `local a = e, b, c`.
    fn parse_local(&mut self) -> PResult<StmtKind> {
        self.bump();
        let mut vars = Vec::new();
        loop {
            let name = self.expect_ident("a variable name after `local`")?;
            let init = if self.at(&TokenKind::Assign) && !self.at_line_start() {
                self.bump();
                Some(self.parse_expr()?)
            } else {
                None
            };
            vars.push((name, init));
            if !self.at(&TokenKind::Comma) || self.at_line_start() {
                break;
            }
            self.bump();
        }
        Ok(StmtKind::Local(vars))
    }

    /// `if cond { … } [else if … | else { … }]`; `else` may start the next line.
    fn parse_if(&mut self) -> PResult<StmtKind> {
        self.bump();
        let cond = self.parse_expr()?;
        let then_block = self.parse_block("to start the `if` body")?;
        let else_block = if self.at(&TokenKind::Kw(Keyword::Else)) {
            self.bump();
            if self.at(&TokenKind::Kw(Keyword::If)) {
                let start = self.tok().span;
                // `else if` nests one level per link, like any other nesting.
                let stmt = self.deeper(|p| {
                    let kind = p.parse_if()?;
                    Ok(Stmt { kind, span: p.span_from(start) })
                })?;
                Some(Block { span: stmt.span, stmts: vec![stmt] })
            } else {
                Some(self.parse_block("after `else`")?)
            }
        } else {
            None
        };
        Ok(StmtKind::If { cond, then_block, else_block })
    }

    /// `try { … } [catch [(e)] { … }] [cleanup { … }]`.
    fn parse_try(&mut self) -> PResult<StmtKind> {
        self.bump();
        let body = self.parse_block("after `try`")?;
        let catch = if self.eat(&TokenKind::Kw(Keyword::Catch)) {
            let var = if self.eat(&TokenKind::LParen) {
                // `catch (e)`, `catch (Type e)` or `catch ()`: the last name binds.
                let mut var = None;
                while matches!(self.peek(), TokenKind::Ident(_)) {
                    var = Some(self.expect_ident("a variable name")?);
                }
                self.expect(TokenKind::RParen, "after the `catch` variable")?;
                var
            } else {
                None
            };
            Some((var, self.parse_block("to start the `catch` body")?))
        } else {
            None
        };
        let cleanup = if self.eat(&TokenKind::Kw(Keyword::Cleanup)) {
            Some(self.parse_block("after `cleanup`")?)
        } else {
            None
        };
        Ok(StmtKind::Try { body, catch, cleanup })
    }

    /// An expression statement, or an assignment `target (=|+=|…) value`.
    fn parse_expr_or_assign(&mut self) -> PResult<StmtKind> {
        let target = self.parse_expr()?;
        let op = match self.peek() {
            TokenKind::Assign => None,
            TokenKind::PlusAssign => Some(BinOp::Add),
            TokenKind::MinusAssign => Some(BinOp::Sub),
            TokenKind::StarAssign => Some(BinOp::Mul),
            TokenKind::SlashAssign => Some(BinOp::Div),
            TokenKind::PercentAssign => Some(BinOp::Rem),
            _ => return Ok(StmtKind::Expr(target)),
        };
        if self.at_line_start() {
            // `=` on the next line: the statement already ended (LANGUAGE.md §1).
            return Ok(StmtKind::Expr(target));
        }
        self.bump();
        let value = self.parse_expr();
        if !is_assignable(&target) {
            self.report(
                Diagnostic::error("E0102", "invalid assignment target", target.span)
                    .with_label("only a variable, a field or an index can be assigned"),
            );
            return Err(Fail);
        }
        Ok(StmtKind::Assign { target, op, value: value? })
    }
}

fn is_assignable(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Name(_) | ExprKind::Field { .. } | ExprKind::Index { .. })
}
