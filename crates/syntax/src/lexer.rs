//! The lexer: source text to tokens (LANGUAGE.md §1), recording a newline flag per token.
//!
//! Lexical error codes: E0001 unexpected character, E0002 unterminated string literal,
//! E0003 integer literal too large, E0004 unterminated block comment, E0005 invalid escape,
//! E0006 malformed number literal.

use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::token::{Keyword, Token, TokenKind};

/// Splits `text` into tokens. The result always ends with one `Eof` token; characters that
/// cannot start a token are reported and skipped.
pub fn lex(text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        diags: Vec::new(),
        nl: false,
    };
    lx.run();
    (lx.tokens, lx.diags)
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
    /// A newline was seen since the last token.
    nl: bool,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> u8 {
        self.bytes.get(self.pos).copied().unwrap_or(0)
    }
    fn peek_at(&self, n: usize) -> u8 {
        self.bytes.get(self.pos + n).copied().unwrap_or(0)
    }
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let nl_before = std::mem::take(&mut self.nl);
        self.tokens.push(Token { kind, span: Span::new(start, self.pos), nl_before });
    }

    fn error(&mut self, code: &'static str, msg: impl Into<String>, start: usize, end: usize) {
        self.diags.push(Diagnostic::error(code, msg, Span::new(start, end)));
    }

    fn run(&mut self) {
        while !self.at_end() {
            let start = self.pos;
            let c = self.peek();
            match c {
                b'\n' => {
                    self.nl = true;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0c | 0x0b => self.pos += 1,
                b'/' if self.peek_at(1) == b'/' => self.skip_line(),
                b'#' => self.skip_line(),
                b'/' if self.peek_at(1) == b'*' => self.block_comment(),
                b'0'..=b'9' => self.number(),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.ident(),
                b'"' | b'\'' => self.string(c),
                _ => {
                    if let Some((kind, len)) = punct(c, self.peek_at(1)) {
                        self.pos += len;
                        self.push(kind, start);
                    } else {
                        self.bad_chars();
                    }
                }
            }
        }
        let end = self.bytes.len();
        // End of file ends any statement, as a newline would.
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
            nl_before: true,
        });
    }

    fn skip_line(&mut self) {
        while !self.at_end() && self.peek() != b'\n' {
            self.pos += 1;
        }
    }

    /// `/* … */`, not nesting. A newline inside still separates statements.
    fn block_comment(&mut self) {
        let start = self.pos;
        self.pos += 2;
        loop {
            if self.at_end() {
                self.error("E0004", "unterminated block comment", start, start + 2);
                return;
            }
            match self.peek() {
                b'*' if self.peek_at(1) == b'/' => {
                    self.pos += 2;
                    return;
                }
                b'\n' => {
                    self.nl = true;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
    }

    /// A run of characters that cannot start a token becomes one diagnostic.
    fn bad_chars(&mut self) {
        let start = self.pos;
        let mut first: Option<char> = None;
        while let Some(ch) = self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            let starts_token = ch.is_ascii_alphanumeric()
                || ch.is_ascii_whitespace()
                || matches!(ch, '_' | '"' | '\'' | '#')
                || (ch.is_ascii() && punct(ch as u8, self.peek_at(1)).is_some());
            if starts_token {
                break;
            }
            first.get_or_insert(ch);
            self.pos += ch.len_utf8();
        }
        if self.pos == start {
            // Not on a char boundary (cannot happen for &str input); make progress anyway.
            self.pos += 1;
        }
        let shown = first.map(|c| c.escape_debug().to_string()).unwrap_or_default();
        let msg = if self.text[start..self.pos].chars().count() > 1 {
            format!("unexpected characters starting with `{shown}`")
        } else {
            format!("unexpected character `{shown}`")
        };
        self.error("E0001", msg, start, self.pos);
    }

    fn ident(&mut self) {
        let start = self.pos;
        while matches!(self.peek(), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        let kind = match Keyword::lookup(word) {
            Some(kw) => TokenKind::Kw(kw),
            None => TokenKind::Ident(word.to_string()),
        };
        self.push(kind, start);
    }

    fn eat_digits(&mut self, hex: bool) {
        while self.peek() == b'_'
            || self.peek().is_ascii_digit()
            || (hex && self.peek().is_ascii_hexdigit())
        {
            self.pos += 1;
        }
    }

    fn number(&mut self) {
        let start = self.pos;
        if self.peek() == b'0' && matches!(self.peek_at(1), b'x' | b'X') {
            self.pos += 2;
            let digits_start = self.pos;
            self.eat_digits(true);
            // Letters glued to the literal (`0xZZ`) are part of the mistake.
            while self.peek().is_ascii_alphanumeric() {
                self.pos += 1;
            }
            let digits: String =
                self.text[digits_start..self.pos].chars().filter(|&c| c != '_').collect();
            let kind = if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                self.error("E0006", "malformed hexadecimal literal", start, self.pos);
                TokenKind::Int(0)
            } else {
                match u64::from_str_radix(&digits, 16) {
                    Ok(v) if v <= i64::MAX as u64 => TokenKind::Int(v as i64),
                    Ok(v) if v == 1u64 << 63 => TokenKind::IntMinMagnitude,
                    _ => {
                        self.error("E0003", "integer literal is too large", start, self.pos);
                        TokenKind::Int(0)
                    }
                }
            };
            self.push(kind, start);
            return;
        }
        self.eat_digits(false);
        let mut is_float = false;
        if self.peek() == b'.' && self.peek_at(1).is_ascii_digit() {
            is_float = true;
            self.pos += 1;
            self.eat_digits(false);
        }
        if matches!(self.peek(), b'e' | b'E') {
            let sign = matches!(self.peek_at(1), b'+' | b'-') as usize;
            if self.peek_at(1 + sign).is_ascii_digit() {
                is_float = true;
                self.pos += 1 + sign;
                self.eat_digits(false);
            }
        }
        let clean: String = self.text[start..self.pos].chars().filter(|&c| c != '_').collect();
        let kind = if is_float {
            match clean.parse::<f64>() {
                Ok(v) => TokenKind::Float(v),
                Err(_) => {
                    self.error("E0006", "malformed number literal", start, self.pos);
                    TokenKind::Float(0.0)
                }
            }
        } else {
            match clean.parse::<u64>() {
                Ok(v) if v <= i64::MAX as u64 => TokenKind::Int(v as i64),
                Ok(v) if v == 1u64 << 63 => TokenKind::IntMinMagnitude,
                _ => {
                    self.error("E0003", "integer literal is too large", start, self.pos);
                    TokenKind::Int(0)
                }
            }
        };
        self.push(kind, start);
    }

    /// `"…"` or `'…'`, possibly spanning lines, with escapes decoded.
    fn string(&mut self, quote: u8) {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            if self.at_end() {
                self.error("E0002", "unterminated string literal", start, start + 1);
                break;
            }
            let c = self.peek();
            if c == quote {
                self.pos += 1;
                break;
            }
            if c == b'\\' {
                self.escape(&mut out);
                continue;
            }
            // Copy a whole run of ordinary characters at once (keeps UTF-8 intact).
            let run_start = self.pos;
            while !self.at_end() && self.peek() != quote && self.peek() != b'\\' {
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
        }
        self.push(TokenKind::Str(out), start);
    }

    fn escape(&mut self, out: &mut String) {
        let esc_start = self.pos;
        self.pos += 1; // the backslash
        if self.at_end() {
            out.push('\\');
            return;
        }
        let c = self.peek();
        let simple = match c {
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'\\' => Some('\\'),
            b'"' => Some('"'),
            b'\'' => Some('\''),
            b'0' => Some('\0'),
            _ => None,
        };
        if let Some(ch) = simple {
            self.pos += 1;
            out.push(ch);
            return;
        }
        if c == b'u' && self.peek_at(1) == b'{' {
            self.pos += 2;
            let hex_start = self.pos;
            while self.peek().is_ascii_hexdigit() {
                self.pos += 1;
            }
            let hex = &self.text[hex_start..self.pos];
            if self.peek() == b'}' {
                self.pos += 1;
                let ch = u32::from_str_radix(hex, 16)
                    .ok()
                    .filter(|_| hex.len() <= 6)
                    .and_then(char::from_u32);
                match ch {
                    Some(ch) => out.push(ch),
                    None => self.error("E0005", "invalid unicode escape", esc_start, self.pos),
                }
            } else {
                self.error("E0005", "invalid unicode escape: expected `}`", esc_start, self.pos);
            }
            return;
        }
        // Any other pair is kept as the two characters; the second is copied by the caller's
        // ordinary-run loop (it may be a multi-byte char, or the closing quote's lookalike).
        out.push('\\');
    }
}

/// Punctuation starting with byte `c` (given the next byte): kind and length in bytes.
fn punct(c: u8, next: u8) -> Option<(TokenKind, usize)> {
    use TokenKind::*;
    let two = |k: TokenKind| Some((k, 2));
    let one = |k: TokenKind| Some((k, 1));
    match (c, next) {
        (b'=', b'=') => two(EqEq),
        (b'=', b'>') => two(FatArrow),
        (b'!', b'=') => two(NotEq),
        (b'<', b'=') => two(Le),
        (b'>', b'=') => two(Ge),
        (b'&', b'&') => two(AndAnd),
        (b'|', b'|') => two(OrOr),
        (b'+', b'=') => two(PlusAssign),
        (b'-', b'=') => two(MinusAssign),
        (b'*', b'=') => two(StarAssign),
        (b'/', b'=') => two(SlashAssign),
        (b'%', b'=') => two(PercentAssign),
        (b'%', b'{') => two(PercentBrace),
        (b'=', _) => one(Assign),
        (b'!', _) => one(Bang),
        (b'<', _) => one(Lt),
        (b'>', _) => one(Gt),
        (b'+', _) => one(Plus),
        (b'-', _) => one(Minus),
        (b'*', _) => one(Star),
        (b'/', _) => one(Slash),
        (b'%', _) => one(Percent),
        (b'(', _) => one(LParen),
        (b')', _) => one(RParen),
        (b'{', _) => one(LBrace),
        (b'}', _) => one(RBrace),
        (b'[', _) => one(LBracket),
        (b']', _) => one(RBracket),
        (b',', _) => one(Comma),
        (b'.', _) => one(Dot),
        (b':', _) => one(Colon),
        (b';', _) => one(Semi),
        (b'?', _) => one(Question),
        _ => None,
    }
}
