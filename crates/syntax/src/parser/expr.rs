//! Expression parsing: LANGUAGE.md §4 precedence (ternary, binary levels by precedence
//! climbing, unary, postfix) and every primary form.

use super::{PResult, Parser};
use crate::ast::{BinOp, Expr, ExprKind, Ident, LogicalOp, UnOp};
use crate::span::Span;
use crate::token::{Keyword, TokenKind};

/// A binary operator as the precedence climber sees it.
#[derive(Clone, Copy)]
enum AnyBin {
    Bin(BinOp),
    Logical(LogicalOp),
}

/// Precedence (higher binds tighter; ternary is below all of these) of a binary operator token.
fn binop(kind: &TokenKind) -> Option<(u8, AnyBin)> {
    use AnyBin::*;
    Some(match kind {
        TokenKind::Kw(Keyword::Or) | TokenKind::OrOr => (1, Logical(LogicalOp::Or)),
        TokenKind::Kw(Keyword::And) | TokenKind::AndAnd => (2, Logical(LogicalOp::And)),
        TokenKind::EqEq => (3, Bin(BinOp::Eq)),
        TokenKind::NotEq => (3, Bin(BinOp::Ne)),
        TokenKind::Lt => (4, Bin(BinOp::Lt)),
        TokenKind::Le => (4, Bin(BinOp::Le)),
        TokenKind::Gt => (4, Bin(BinOp::Gt)),
        TokenKind::Ge => (4, Bin(BinOp::Ge)),
        TokenKind::Plus => (5, Bin(BinOp::Add)),
        TokenKind::Minus => (5, Bin(BinOp::Sub)),
        TokenKind::Star => (6, Bin(BinOp::Mul)),
        TokenKind::Slash => (6, Bin(BinOp::Div)),
        TokenKind::Percent => (6, Bin(BinOp::Rem)),
        _ => return None,
    })
}

/// Whether a token can begin an expression (used by `return` and statement starts).
pub(crate) fn can_start_expr(kind: &TokenKind) -> bool {
    match kind {
        TokenKind::Ident(_)
        | TokenKind::Int(_)
        | TokenKind::IntMinMagnitude
        | TokenKind::Float(_)
        | TokenKind::Str(_)
        | TokenKind::LParen
        | TokenKind::LBracket
        | TokenKind::PercentBrace
        | TokenKind::Minus
        | TokenKind::Bang => true,
        TokenKind::Kw(k) => matches!(
            k,
            Keyword::Me
                | Keyword::This
                | Keyword::New
                | Keyword::From
                | Keyword::True
                | Keyword::False
                | Keyword::Null
                | Keyword::Void
                | Keyword::Not
                | Keyword::Match
        ),
        _ => false,
    }
}

fn mk(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

/// Maximum height of one expression tree. Left-associative chains (`a+a+…`, `x.f.f…`) are
/// built by loops, so the recursion guard does not bound them, but a taller tree would
/// overflow the stack when dropped or walked by later passes.
const MAX_EXPR_HEIGHT: u32 = 512;

impl Parser {
    /// Records `h` as the height of the expression just built (`self.expr_height`), or
    /// reports and stops parsing if the tree grew too tall. Every parse function below
    /// leaves the height of its result there.
    fn set_height(&mut self, h: u32) -> PResult<()> {
        self.expr_height = h;
        if h > MAX_EXPR_HEIGHT {
            let span = self.tok().span;
            self.report(crate::Diagnostic::error("E0104", "expression is nested too deeply", span));
            self.abort();
            return Err(super::Fail);
        }
        Ok(())
    }

    /// Any expression (level 1, the ternary). One nesting level.
    pub(crate) fn parse_expr(&mut self) -> PResult<Expr> {
        self.deeper(|p| p.parse_ternary())
    }

    fn parse_ternary(&mut self) -> PResult<Expr> {
        let cond = self.parse_binary(1)?;
        if !self.at(&TokenKind::Question) {
            return Ok(cond);
        }
        let h1 = self.expr_height;
        self.bump();
        let then_expr = self.parse_expr()?;
        let h2 = self.expr_height;
        self.expect(TokenKind::Colon, "in conditional expression")?;
        let else_expr = self.parse_expr()?;
        self.set_height(h1.max(h2).max(self.expr_height) + 1)?;
        let span = cond.span.to(else_expr.span);
        Ok(mk(
            ExprKind::Ternary {
                cond: Box::new(cond),
                then_expr: Box::new(then_expr),
                else_expr: Box::new(else_expr),
            },
            span,
        ))
    }

    /// Precedence climbing over levels 2..7; all binary operators are left-associative.
    fn parse_binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.parse_unary()?;
        let mut h = self.expr_height;
        while let Some((prec, op)) = binop(self.peek()) {
            if prec < min_prec {
                break;
            }
            // A line starting with `-` is a new statement (unary minus), not a continuation.
            if self.at(&TokenKind::Minus) && self.at_line_start() {
                break;
            }
            self.bump();
            let rhs = self.parse_binary(prec + 1)?;
            h = h.max(self.expr_height) + 1;
            self.set_height(h)?;
            let span = lhs.span.to(rhs.span);
            let (lhs_b, rhs_b) = (Box::new(lhs), Box::new(rhs));
            lhs = match op {
                AnyBin::Bin(op) => mk(ExprKind::Binary { op, lhs: lhs_b, rhs: rhs_b }, span),
                AnyBin::Logical(op) => mk(ExprKind::Logical { op, lhs: lhs_b, rhs: rhs_b }, span),
            };
        }
        self.expr_height = h;
        Ok(lhs)
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            TokenKind::Minus => UnOp::Neg,
            TokenKind::Bang | TokenKind::Kw(Keyword::Not) => UnOp::Not,
            _ => return self.parse_postfix(),
        };
        let start = self.bump();
        let operand = self.deeper(|p| p.parse_unary())?;
        self.set_height(self.expr_height + 1)?;
        let span = start.to(operand.span);
        Ok(mk(ExprKind::Unary { op, operand: Box::new(operand) }, span))
    }

    fn parse_postfix(&mut self) -> PResult<Expr> {
        let mut e = self.parse_primary()?;
        let mut h = self.expr_height;
        loop {
            match self.peek() {
                // `.name` continues even from the next line (LANGUAGE.md §1).
                TokenKind::Dot => {
                    self.bump();
                    let name = self.expect_member_name("after `.`")?;
                    if self.at(&TokenKind::LParen) && !self.at_line_start() {
                        let args = self.parse_args()?;
                        h = h.max(self.expr_height) + 1;
                        let span = self.span_from(e.span);
                        e = mk(ExprKind::MethodCall { recv: Box::new(e), name, args }, span);
                    } else {
                        h += 1;
                        let span = e.span.to(name.span);
                        e = mk(ExprKind::Field { obj: Box::new(e), name }, span);
                    }
                }
                TokenKind::LParen if !self.at_line_start() => {
                    return Err(self.error_here(
                        "E0106",
                        "only a name or a method can be called; this expression cannot be called",
                    ));
                }
                TokenKind::LBracket if !self.at_line_start() => {
                    self.bump();
                    let index = self.with_nl(false, |p| {
                        let index = p.parse_expr()?;
                        p.expect(TokenKind::RBracket, "after index")?;
                        Ok(index)
                    })?;
                    h = h.max(self.expr_height) + 1;
                    let span = self.span_from(e.span);
                    e = mk(ExprKind::Index { obj: Box::new(e), index: Box::new(index) }, span);
                }
                _ => break,
            }
            self.set_height(h)?;
        }
        self.expr_height = h;
        Ok(e)
    }

    /// An identifier or any keyword, as allowed after `.` (`r.fini()`, `console.print(x)`).
    pub(crate) fn expect_member_name(&mut self, context: &str) -> PResult<Ident> {
        let t = self.tok();
        let span = t.span;
        let name = match &t.kind {
            TokenKind::Ident(s) => s.clone(),
            TokenKind::Kw(k) => k.as_str().to_string(),
            other => {
                let msg = format!(
                    "expected a field or method name {context}, found {}",
                    other.describe()
                );
                return Err(self.error_here("E0100", msg));
            }
        };
        self.bump();
        Ok(Ident { name, span })
    }

    /// A plain identifier; keywords are rejected with a clear message.
    pub(crate) fn expect_ident(&mut self, what: &str) -> PResult<Ident> {
        let t = self.tok();
        match &t.kind {
            TokenKind::Ident(s) => {
                let ident = Ident { name: s.clone(), span: t.span };
                self.bump();
                Ok(ident)
            }
            TokenKind::Kw(k) if k.is_reserved() => {
                let msg =
                    format!("`{}` is a reserved word and cannot be used as {what}", k.as_str());
                Err(self.error_here("E0105", msg))
            }
            other => {
                let msg = format!("expected {what}, found {}", other.describe());
                Err(self.error_here("E0100", msg))
            }
        }
    }

    /// `( args )`, line breaks ignored inside; trailing comma allowed.
    pub(crate) fn parse_args(&mut self) -> PResult<Vec<Expr>> {
        self.expect(TokenKind::LParen, "to start the argument list")?;
        self.parse_list(TokenKind::RParen, "after arguments")
    }

    /// Comma-separated expressions up to `close` (trailing comma allowed), line breaks
    /// ignored; leaves the tallest element's height (0 for none) in `expr_height`.
    fn parse_list(&mut self, close: TokenKind, context: &str) -> PResult<Vec<Expr>> {
        self.with_nl(false, |p| {
            let mut items = Vec::new();
            let mut h = 0;
            loop {
                if p.eat(&close) {
                    break;
                }
                items.push(p.parse_expr()?);
                h = h.max(p.expr_height);
                if !p.eat(&TokenKind::Comma) {
                    p.expect(close.clone(), context)?;
                    break;
                }
            }
            p.expr_height = h;
            Ok(items)
        })
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let t = self.tok().clone();
        let span = t.span;
        let simple = match &t.kind {
            TokenKind::Int(v) => Some(ExprKind::Int(*v)),
            TokenKind::IntMinMagnitude => {
                // Only `-9223372036854775808` fits: after a `-`, i64::MIN means the same
                // thing under wrapping arithmetic (as a unary or a binary minus).
                let after_minus =
                    self.pos > 0 && self.tokens[self.pos - 1].kind == TokenKind::Minus;
                if after_minus {
                    Some(ExprKind::Int(i64::MIN))
                } else {
                    self.bump();
                    self.report(crate::Diagnostic::error(
                        "E0003",
                        "integer literal is too large",
                        span,
                    ));
                    self.expr_height = 1;
                    return Ok(mk(ExprKind::Int(0), span));
                }
            }
            TokenKind::Float(v) => Some(ExprKind::Float(*v)),
            TokenKind::Str(s) => Some(ExprKind::Str(s.clone())),
            TokenKind::Kw(Keyword::True) => Some(ExprKind::Bool(true)),
            TokenKind::Kw(Keyword::False) => Some(ExprKind::Bool(false)),
            TokenKind::Kw(Keyword::Null) | TokenKind::Kw(Keyword::Void) => Some(ExprKind::Null),
            TokenKind::Kw(Keyword::Me) | TokenKind::Kw(Keyword::This) => Some(ExprKind::Me),
            _ => None,
        };
        if let Some(kind) = simple {
            self.expr_height = 1;
            self.bump();
            return Ok(mk(kind, span));
        }
        match t.kind {
            TokenKind::Ident(name) => {
                self.bump();
                let callee = Ident { name, span };
                if self.at(&TokenKind::LParen) && !self.at_line_start() {
                    let args = self.parse_args()?;
                    self.set_height(self.expr_height + 1)?;
                    Ok(mk(ExprKind::Call { callee, args }, self.span_from(span)))
                } else {
                    self.expr_height = 1;
                    Ok(mk(ExprKind::Name(callee.name), span))
                }
            }
            TokenKind::Kw(Keyword::New) => {
                self.bump();
                let class = self.expect_ident("a box name after `new`")?;
                let args = if self.at(&TokenKind::LParen) {
                    self.parse_args()?
                } else {
                    let found = self.peek().describe();
                    let msg = format!("expected `(` after `new {}`, found {found}", class.name);
                    return Err(self.error_here("E0100", msg));
                };
                self.set_height(self.expr_height + 1)?;
                Ok(mk(ExprKind::New { class, args }, self.span_from(span)))
            }
            TokenKind::Kw(Keyword::From) => {
                self.bump();
                let parent = self.expect_ident("a parent box name after `from`")?;
                self.expect(TokenKind::Dot, "after the parent name in `from Parent.method(…)`")?;
                let method = self.expect_member_name("after `from Parent.`")?;
                let args = self.parse_args()?;
                self.set_height(self.expr_height + 1)?;
                Ok(mk(ExprKind::FromCall { parent, method, args }, self.span_from(span)))
            }
            TokenKind::LParen => {
                self.bump();
                self.with_nl(false, |p| {
                    let inner = p.parse_expr()?;
                    p.expect(TokenKind::RParen, "to close the parenthesized expression")?;
                    Ok(inner)
                })
            }
            TokenKind::LBracket => {
                self.bump();
                let items = self.parse_list(TokenKind::RBracket, "after array elements")?;
                self.set_height(self.expr_height + 1)?;
                Ok(mk(ExprKind::ArrayLit(items), self.span_from(span)))
            }
            TokenKind::PercentBrace => {
                self.bump();
                let entries = self.with_nl(false, |p| {
                    let mut entries = Vec::new();
                    let mut h = 0;
                    loop {
                        if p.eat(&TokenKind::RBrace) {
                            break;
                        }
                        let key = p.parse_expr()?;
                        h = h.max(p.expr_height);
                        p.expect(TokenKind::FatArrow, "after map key")?;
                        let value = p.parse_expr()?;
                        h = h.max(p.expr_height);
                        entries.push((key, value));
                        if !p.eat(&TokenKind::Comma) {
                            p.expect(TokenKind::RBrace, "after map entries")?;
                            break;
                        }
                    }
                    p.set_height(h + 1)?;
                    Ok(entries)
                })?;
                Ok(mk(ExprKind::MapLit(entries), self.span_from(span)))
            }
            TokenKind::Kw(Keyword::Match) => self.parse_match(),
            TokenKind::Kw(k) if k.is_reserved() => {
                let msg = format!("`{}` is a reserved word", k.as_str());
                Err(self.error_here("E0105", msg))
            }
            other => {
                let msg = format!("expected an expression, found {}", other.describe());
                Err(self.error_here("E0101", msg))
            }
        }
    }

    /// `match e { pat => e, _ => e }`; arms end at `,` or a line break.
    fn parse_match(&mut self) -> PResult<Expr> {
        let start = self.bump();
        let scrutinee = self.parse_expr()?;
        let mut h = self.expr_height;
        self.expect(TokenKind::LBrace, "after the `match` value")?;
        let arms = self.with_nl(true, |p| {
            let mut arms = Vec::new();
            loop {
                while p.eat(&TokenKind::Comma) || p.eat(&TokenKind::Semi) {}
                if p.eat(&TokenKind::RBrace) {
                    p.set_height(h + 1)?;
                    return Ok(arms);
                }
                if p.at_eof() {
                    return Err(
                        p.error_here("E0100", "expected `}` to close `match`, found end of file")
                    );
                }
                let pat = if matches!(p.peek(), TokenKind::Ident(s) if s == "_") {
                    p.bump();
                    None
                } else {
                    let pat = p.parse_expr()?;
                    h = h.max(p.expr_height);
                    Some(pat)
                };
                p.expect(TokenKind::FatArrow, "after match pattern")?;
                let body = p.parse_expr()?;
                h = h.max(p.expr_height);
                arms.push((pat, body));
                let t = p.tok();
                if !(t.nl_before
                    || matches!(t.kind, TokenKind::Comma | TokenKind::RBrace | TokenKind::Semi))
                {
                    let msg = format!(
                        "expected `,` or `}}` after match arm, found {}",
                        t.kind.describe()
                    );
                    return Err(p.error_here("E0100", msg));
                }
            }
        })?;
        Ok(mk(ExprKind::Match { scrutinee: Box::new(scrutinee), arms }, self.span_from(start)))
    }
}
