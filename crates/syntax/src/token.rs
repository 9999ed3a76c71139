//! Token kinds produced by the lexer, with the "newline before" flag the parser uses for
//! LANGUAGE.md §1 statement termination.

use crate::span::Span;

/// Every keyword of LANGUAGE.md §1, including the literal words and the reserved ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    Box,
    Static,
    New,
    Me,
    This,
    From,
    Birth,
    Init,
    Pack,
    Fini,
    Override,
    Local,
    If,
    Else,
    Loop,
    While,
    Break,
    Continue,
    Return,
    Print,
    And,
    Or,
    Not,
    Try,
    Catch,
    Cleanup,
    Throw,
    Weak,
    Function,
    Fn,
    Match,
    True,
    False,
    Null,
    Void,
    // Reserved words: never valid as names, but allowed after `.`.
    Interface,
    Outbox,
    Global,
    Using,
    Include,
    Nowait,
    Await,
}

const KEYWORDS: &[(&str, Keyword)] = &[
    ("box", Keyword::Box),
    ("static", Keyword::Static),
    ("new", Keyword::New),
    ("me", Keyword::Me),
    ("this", Keyword::This),
    ("from", Keyword::From),
    ("birth", Keyword::Birth),
    ("init", Keyword::Init),
    ("pack", Keyword::Pack),
    ("fini", Keyword::Fini),
    ("override", Keyword::Override),
    ("local", Keyword::Local),
    ("if", Keyword::If),
    ("else", Keyword::Else),
    ("loop", Keyword::Loop),
    ("while", Keyword::While),
    ("break", Keyword::Break),
    ("continue", Keyword::Continue),
    ("return", Keyword::Return),
    ("print", Keyword::Print),
    ("and", Keyword::And),
    ("or", Keyword::Or),
    ("not", Keyword::Not),
    ("try", Keyword::Try),
    ("catch", Keyword::Catch),
    ("cleanup", Keyword::Cleanup),
    ("throw", Keyword::Throw),
    ("weak", Keyword::Weak),
    ("function", Keyword::Function),
    ("fn", Keyword::Fn),
    ("match", Keyword::Match),
    ("true", Keyword::True),
    ("false", Keyword::False),
    ("null", Keyword::Null),
    ("void", Keyword::Void),
    ("interface", Keyword::Interface),
    ("outbox", Keyword::Outbox),
    ("global", Keyword::Global),
    ("using", Keyword::Using),
    ("include", Keyword::Include),
    ("nowait", Keyword::Nowait),
    ("await", Keyword::Await),
];

impl Keyword {
    pub fn lookup(s: &str) -> Option<Keyword> {
        KEYWORDS.iter().find(|(k, _)| *k == s).map(|(_, kw)| *kw)
    }

    pub fn as_str(self) -> &'static str {
        KEYWORDS.iter().find(|(_, kw)| *kw == self).map(|(k, _)| *k).unwrap_or("?")
    }

    /// Reserved words have no meaning yet; using one as a name is an error.
    pub fn is_reserved(self) -> bool {
        matches!(
            self,
            Keyword::Interface
                | Keyword::Outbox
                | Keyword::Global
                | Keyword::Using
                | Keyword::Include
                | Keyword::Nowait
                | Keyword::Await
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    Ident(String),
    Kw(Keyword),
    Int(i64),
    /// The decimal literal 9223372036854775808 (= 2^63): valid only after a `-`, where
    /// wrapping arithmetic makes it mean `i64::MIN`. The parser decides.
    IntMinMagnitude,
    Float(f64),
    /// String literal with escapes decoded.
    Str(String),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    /// `%{` written without a space: opens a map literal.
    PercentBrace,
    Comma,
    Dot,
    Colon,
    Semi,
    Question,
    FatArrow,
    Assign,
    PlusAssign,
    MinusAssign,
    StarAssign,
    SlashAssign,
    PercentAssign,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    Eof,
}

impl TokenKind {
    /// Short human form for "found …" in diagnostics.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(s) => format!("`{s}`"),
            TokenKind::Kw(k) => format!("`{}`", k.as_str()),
            TokenKind::Int(v) => format!("`{v}`"),
            TokenKind::IntMinMagnitude => "`9223372036854775808`".to_string(),
            TokenKind::Float(_) => "a number".to_string(),
            TokenKind::Str(_) => "a string literal".to_string(),
            TokenKind::Eof => "end of file".to_string(),
            other => format!("`{}`", other.punct_str()),
        }
    }

    /// Spelling of punctuation tokens (empty for the others).
    pub fn punct_str(&self) -> &'static str {
        match self {
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::PercentBrace => "%{",
            TokenKind::Comma => ",",
            TokenKind::Dot => ".",
            TokenKind::Colon => ":",
            TokenKind::Semi => ";",
            TokenKind::Question => "?",
            TokenKind::FatArrow => "=>",
            TokenKind::Assign => "=",
            TokenKind::PlusAssign => "+=",
            TokenKind::MinusAssign => "-=",
            TokenKind::StarAssign => "*=",
            TokenKind::SlashAssign => "/=",
            TokenKind::PercentAssign => "%=",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::EqEq => "==",
            TokenKind::NotEq => "!=",
            TokenKind::Lt => "<",
            TokenKind::Le => "<=",
            TokenKind::Gt => ">",
            TokenKind::Ge => ">=",
            TokenKind::AndAnd => "&&",
            TokenKind::OrOr => "||",
            TokenKind::Bang => "!",
            _ => "",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// A line break (possibly inside a comment) separates this token from the previous one.
    /// The parser consults it to end statements (LANGUAGE.md §1).
    pub nl_before: bool,
}
