//! Program structure (LANGUAGE.md §2): boxes, static boxes, their members, top-level
//! functions and script-mode statements, with recovery at member and item boundaries.

use super::{Fail, PResult, Parser};
use crate::ast::{Block, BoxDecl, Field, Ident, Method, Program};
use crate::diagnostic::Diagnostic;
use crate::token::{Keyword, TokenKind};

impl Parser {
    pub(crate) fn parse_program(&mut self) -> Program {
        let mut program = Program { boxes: Vec::new(), functions: Vec::new(), script: Vec::new() };
        loop {
            let start = self.pos;
            let result = match (self.peek(), self.peek_at(1)) {
                (TokenKind::Eof, _) => break,
                (TokenKind::Semi, _) => {
                    self.bump();
                    continue;
                }
                (TokenKind::Kw(Keyword::Box), _) => {
                    self.parse_box(false).map(|b| program.boxes.push(b))
                }
                (TokenKind::Kw(Keyword::Static), TokenKind::Kw(Keyword::Box)) => {
                    self.bump();
                    self.parse_box(true).map(|b| program.boxes.push(b))
                }
                (
                    TokenKind::Kw(Keyword::Static),
                    TokenKind::Kw(Keyword::Function | Keyword::Fn),
                ) => {
                    self.bump();
                    self.parse_function().map(|f| program.functions.push(f))
                }
                (TokenKind::Kw(Keyword::Function | Keyword::Fn), _) => {
                    self.parse_function().map(|f| program.functions.push(f))
                }
                (TokenKind::RBrace, _) => {
                    Err(self.error_here("E0103", "unexpected `}` at top level"))
                }
                _ => self.parse_stmt().map(|s| program.script.push(s)),
            };
            if result.is_err() {
                if self.aborted {
                    break;
                }
                self.sync(start);
            }
        }
        program
    }

    /// `box Name [from Parent] { member* }`; for a static box the `static` is consumed.
    fn parse_box(&mut self, is_static: bool) -> PResult<BoxDecl> {
        let start = self.bump();
        let name = self.expect_ident("a box name")?;
        let parent = if self.eat(&TokenKind::Kw(Keyword::From)) {
            Some(self.expect_ident("a parent box name after `from`")?)
        } else {
            None
        };
        let open = self.expect(TokenKind::LBrace, "to start the box body")?;
        let mut decl = BoxDecl {
            name,
            is_static,
            parent,
            fields: Vec::new(),
            constructors: Vec::new(),
            methods: Vec::new(),
            span: start,
        };
        self.with_nl(true, |p| loop {
            match p.peek() {
                TokenKind::RBrace => {
                    p.bump();
                    return Ok(());
                }
                TokenKind::Eof => {
                    let d = Diagnostic::error(
                        "E0100",
                        format!(
                            "expected `}}` to close box `{}`, found end of file",
                            decl.name.name
                        ),
                        p.tok().span,
                    )
                    .with_secondary(open, "box body opened here");
                    p.report(d);
                    // Keep the members parsed so far (best-effort program).
                    return Ok(());
                }
                TokenKind::Semi | TokenKind::Comma => {
                    p.bump();
                }
                _ => {
                    let member_start = p.pos;
                    if p.parse_member(&mut decl).is_err() {
                        if p.aborted {
                            return Err(Fail);
                        }
                        p.sync(member_start);
                    }
                }
            }
        })?;
        decl.span = self.span_from(start);
        Ok(decl)
    }

    /// One field, constructor or method, added to `decl`.
    fn parse_member(&mut self, decl: &mut BoxDecl) -> PResult<()> {
        let t = self.tok().clone();
        let next_is_paren = matches!(self.peek_at(1), TokenKind::LParen);
        match &t.kind {
            TokenKind::Kw(Keyword::Override) => {
                self.bump();
                let name = self.expect_method_name()?;
                let mut m = self.parse_method_rest(name)?;
                m.is_override = true;
                m.span = self.span_from(t.span);
                decl.methods.push(m);
            }
            TokenKind::Kw(Keyword::Birth | Keyword::Pack) | TokenKind::Kw(Keyword::Init)
                if next_is_paren =>
            {
                let name = self.expect_member_name("")?;
                let m = self.parse_method_rest(name)?;
                decl.constructors.push(m);
            }
            TokenKind::Kw(Keyword::Init) if matches!(self.peek_at(1), TokenKind::LBrace) => {
                // Legacy `init { a, b }` field list.
                self.bump();
                self.bump();
                self.with_nl(false, |p| loop {
                    if p.eat(&TokenKind::RBrace) {
                        return Ok(());
                    }
                    let weak = p.eat(&TokenKind::Kw(Keyword::Weak));
                    let name = p.expect_ident("a field name in `init { … }`")?;
                    decl.fields.push(Field { name, ty: None, weak });
                    if !p.eat(&TokenKind::Comma) {
                        p.expect(TokenKind::RBrace, "after the `init` field list")?;
                        return Ok(());
                    }
                })?;
            }
            TokenKind::Kw(Keyword::Weak) => {
                self.bump();
                let name = self.expect_ident("a field name after `weak`")?;
                let ty = self.parse_field_type()?;
                decl.fields.push(Field { name, ty, weak: true });
            }
            TokenKind::Ident(_) if !next_is_paren => {
                let name = self.expect_ident("a field name")?;
                let ty = self.parse_field_type()?;
                decl.fields.push(Field { name, ty, weak: false });
            }
            TokenKind::Ident(_) | TokenKind::Kw(_) if next_is_paren => {
                let name = self.expect_method_name()?;
                let m = self.parse_method_rest(name)?;
                decl.methods.push(m);
            }
            other => {
                let msg = format!(
                    "expected a field, constructor or method in box `{}`, found {}",
                    decl.name.name,
                    other.describe()
                );
                return Err(self.error_here("E0103", msg));
            }
        }
        Ok(())
    }

    /// Method names: identifiers, and keywords (`fini()`, a user `print(x)` …) since a member
    /// position holds no statements.
    fn expect_method_name(&mut self) -> PResult<Ident> {
        match self.peek() {
            TokenKind::Ident(_) | TokenKind::Kw(_) => self.expect_member_name(""),
            other => {
                let msg = format!("expected a method name, found {}", other.describe());
                Err(self.error_here("E0100", msg))
            }
        }
    }

    /// `: Type` after a field name (documentation only).
    fn parse_field_type(&mut self) -> PResult<Option<Ident>> {
        if self.at(&TokenKind::Colon) && !self.at_line_start() {
            self.bump();
            Ok(Some(self.expect_ident("a type name after `:`")?))
        } else {
            Ok(None)
        }
    }

    /// `function name(params) { … }` / `fn name(params) { … }` at top level.
    fn parse_function(&mut self) -> PResult<Method> {
        let start = self.bump();
        let name = self.expect_ident("a function name")?;
        let mut m = self.parse_method_rest(name)?;
        m.span = self.span_from(start);
        Ok(m)
    }

    /// `(params) { body }` after a method, constructor or function name.
    fn parse_method_rest(&mut self, name: Ident) -> PResult<Method> {
        let start = name.span;
        let params = self.parse_params()?;
        let body: Block = self.parse_block("to start the method body")?;
        Ok(Method { name, params, body, is_override: false, span: self.span_from(start) })
    }

    /// `( a, b: Type, … )`; types are documentation only.
    fn parse_params(&mut self) -> PResult<Vec<Ident>> {
        self.expect(TokenKind::LParen, "to start the parameter list")?;
        self.with_nl(false, |p| {
            let mut params = Vec::new();
            loop {
                if p.eat(&TokenKind::RParen) {
                    return Ok(params);
                }
                params.push(p.expect_ident("a parameter name")?);
                if p.eat(&TokenKind::Colon) {
                    p.expect_ident("a type name after `:`")?;
                }
                if !p.eat(&TokenKind::Comma) {
                    p.expect(TokenKind::RParen, "after parameters")?;
                    return Ok(params);
                }
            }
        })
    }
}
