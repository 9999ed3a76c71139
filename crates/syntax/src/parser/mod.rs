//! Recursive-descent parser: token cursor, diagnostics, nesting guard and error recovery.
//!
//! Items live in `items.rs`, statements in `stmt.rs`, expressions in `expr.rs`.
//! Syntax error codes (E01xx):
//! E0100 expected a specific token, E0101 expected an expression, E0102 invalid assignment
//! target, E0103 unexpected token at item/member level, E0104 nesting too deep,
//! E0105 reserved word used as a name, E0106 expression cannot be called,
//! E0107 `else`/`catch`/`cleanup` without its statement.

mod expr;
mod items;
mod stmt;

use crate::ast::Program;
use crate::diagnostic::Diagnostic;
use crate::lexer::lex;
use crate::span::{SourceFile, Span};
use crate::token::{Token, TokenKind};

/// Maximum nesting of expressions and blocks before the parser gives up (guards the stack).
pub(crate) const MAX_DEPTH: u32 = 256;
/// Maximum number of errors reported in one run.
const MAX_ERRORS: usize = 20;

/// Marker for "a diagnostic was already pushed"; callers recover by resynchronizing.
#[derive(Debug)]
pub(crate) struct Fail;
pub(crate) type PResult<T> = Result<T, Fail>;

/// Stack for the parser thread. Unoptimized builds use ~15 KiB per nesting level, so the
/// caller's stack (2 MiB for test threads) would overflow before `MAX_DEPTH` is reached.
const PARSE_STACK: usize = 64 << 20;

/// Nesting the caller's own stack is trusted with: 32 levels are under 0.5 MiB even
/// unoptimized. Real programs stay far below it, and a thread start (a fresh stack and, in
/// glibc, a fresh malloc arena) costs more than parsing a whole small file.
pub(crate) const SHALLOW_DEPTH: u32 = 32;

/// Lexes and parses a whole file. Always returns a (possibly partial) program; the
/// diagnostics are sorted by position and capped at 20.
pub fn parse(file: &SourceFile) -> (Program, Vec<Diagnostic>) {
    // First on the caller's thread with a nesting cap it can afford. A parse that never
    // reaches the cap is exactly the full parse (the cap is the only difference), so its
    // result stands; one that reaches it is thrown away and redone below.
    let (result, capped) = parse_here(file, SHALLOW_DEPTH);
    if !capped {
        return result;
    }
    // Deep nesting: parse on a thread with a known stack, so that the nesting guard, not the
    // caller's stack size, is the limit. If no thread can be created, parse here instead.
    let full = || parse_here(file, MAX_DEPTH).0;
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("nyash-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, full);
        match spawned {
            // A panic in the parser is a bug; propagate it unchanged rather than hide it.
            Ok(handle) => {
                handle.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            }
            Err(_) => full(),
        }
    })
}

/// Parses with nesting limited to `max_depth` levels; the flag is set when a cap below
/// `MAX_DEPTH` was reached, and the result is then to be discarded (the caller redoes the
/// parse with the real limit, which is the language's and reported as an error).
pub(crate) fn parse_here(file: &SourceFile, max_depth: u32) -> ((Program, Vec<Diagnostic>), bool) {
    let (tokens, lex_diags) = lex(&file.text);
    // An unterminated string or comment swallows the rest of the file; any "found end of
    // file" the parser would add is a consequence, not a new problem.
    let swallowed = lex_diags.iter().any(|d| d.code == "E0002" || d.code == "E0004");
    let mut p = Parser {
        tokens,
        pos: 0,
        diags: Vec::new(),
        prior_errors: lex_diags.len(),
        depth: 0,
        max_depth,
        too_deep_for_cap: false,
        expr_height: 0,
        nl_sig: true,
        aborted: false,
        quiet_at_eof: swallowed,
    };
    let program = p.parse_program();
    let capped = p.too_deep_for_cap;
    let mut diags = lex_diags;
    diags.extend(p.diags);
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags.truncate(MAX_ERRORS);
    ((program, diags), capped)
}

pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    /// Lexer errors already reported, counted toward the cap.
    prior_errors: usize,
    depth: u32,
    /// The nesting limit of this run: `MAX_DEPTH`, or less for a first try on the caller's
    /// stack (see `parse`).
    max_depth: u32,
    /// The run stopped at a `max_depth` below `MAX_DEPTH`: its result is to be discarded.
    too_deep_for_cap: bool,
    /// Height of the expression tree most recently built (see `expr.rs`).
    expr_height: u32,
    /// Whether a line break ends the current construct: false inside `(…)` and `[…]`.
    nl_sig: bool,
    /// Too deep or too many errors: the cursor sits on `Eof` and nothing more is reported.
    aborted: bool,
    quiet_at_eof: bool,
}

impl Parser {
    // ---- cursor ----

    pub(crate) fn tok(&self) -> &Token {
        // The token list always ends with Eof and `pos` never passes it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }
    pub(crate) fn peek(&self) -> &TokenKind {
        &self.tok().kind
    }
    pub(crate) fn peek_at(&self, n: usize) -> &TokenKind {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].kind
    }
    pub(crate) fn at(&self, kind: &TokenKind) -> bool {
        self.peek() == kind
    }
    pub(crate) fn at_eof(&self) -> bool {
        matches!(self.peek(), TokenKind::Eof)
    }
    /// The current token starts a new line and line breaks matter here.
    pub(crate) fn at_line_start(&self) -> bool {
        self.nl_sig && self.tok().nl_before
    }
    /// Consumes the current token and returns its span (not the token: cloning one would
    /// copy an identifier's or a string's text on every step).
    pub(crate) fn bump(&mut self) -> Span {
        let span = self.tok().span;
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        span
    }
    pub(crate) fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }
    /// End of the last consumed token (for spans of whole constructs).
    pub(crate) fn prev_end(&self) -> u32 {
        if self.pos == 0 {
            0
        } else {
            self.tokens[self.pos - 1].span.end
        }
    }
    pub(crate) fn span_from(&self, start: Span) -> Span {
        Span { start: start.start, end: self.prev_end().max(start.start) }
    }

    // ---- diagnostics ----

    pub(crate) fn report(&mut self, d: Diagnostic) {
        if self.aborted {
            return;
        }
        let eof = self.tokens.last().map(|t| t.span.start).unwrap_or(0);
        if self.quiet_at_eof && d.span.start >= eof {
            return;
        }
        // One error per position: later ones at the same place are cascades.
        if self.diags.iter().any(|old| old.span.start == d.span.start) {
            return;
        }
        self.diags.push(d);
        if self.diags.len() + self.prior_errors >= MAX_ERRORS {
            self.abort();
        }
    }

    /// Reports an error at the current token and returns the failure marker.
    pub(crate) fn error_here(&mut self, code: &'static str, msg: impl Into<String>) -> Fail {
        let span = self.tok().span;
        self.report(Diagnostic::error(code, msg, span));
        Fail
    }

    /// Consumes `kind` (returning its span) or reports "expected `x` <context>, found …".
    pub(crate) fn expect(&mut self, kind: TokenKind, context: &str) -> PResult<Span> {
        if self.at(&kind) {
            return Ok(self.bump());
        }
        let found = self.peek().describe();
        let msg = format!("expected `{}` {}, found {}", kind.punct_str(), context, found);
        Err(self.error_here("E0100", msg))
    }

    pub(crate) fn abort(&mut self) {
        self.aborted = true;
        self.pos = self.tokens.len() - 1;
    }

    // ---- nesting ----

    /// Runs `f` one nesting level deeper; past `MAX_DEPTH` reports once and stops parsing.
    pub(crate) fn deeper<T>(&mut self, f: impl FnOnce(&mut Parser) -> PResult<T>) -> PResult<T> {
        if self.aborted {
            return Err(Fail);
        }
        if self.depth >= self.max_depth {
            if self.max_depth < MAX_DEPTH {
                // Not an error of the program, only of this try: stop quietly.
                self.too_deep_for_cap = true;
                self.abort();
                return Err(Fail);
            }
            let span = self.tok().span;
            self.report(Diagnostic::error("E0104", "nesting too deep", span));
            self.abort();
            return Err(Fail);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Runs `f` with line breaks significant (`true`) or not (`false`), restoring after.
    pub(crate) fn with_nl<T>(
        &mut self,
        sig: bool,
        f: impl FnOnce(&mut Parser) -> PResult<T>,
    ) -> PResult<T> {
        let saved = self.nl_sig;
        self.nl_sig = sig;
        let r = f(self);
        self.nl_sig = saved;
        r
    }

    // ---- recovery ----

    /// After an error in the statement (or member) that began at token `start`: skips to
    /// the next line at bracket depth 0, past a `;`, or up to an unmatched `}`.
    pub(crate) fn sync(&mut self, start: usize) {
        let mut depth = 0usize;
        loop {
            let t = self.tok();
            match t.kind {
                TokenKind::Eof => return,
                _ if depth == 0 && t.nl_before && self.pos > start => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::RBrace if depth == 0 => {
                    if self.pos == start {
                        // A stray `}` was itself the failure; skip it to make progress.
                        self.bump();
                    }
                    return;
                }
                TokenKind::LParen
                | TokenKind::LBracket
                | TokenKind::LBrace
                | TokenKind::PercentBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
            self.bump();
        }
    }
}
