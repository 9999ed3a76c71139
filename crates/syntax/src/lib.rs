//! Nyash front end: lexer, parser, AST with spans, and the `Diagnostic` type.

pub mod ast;
pub mod diagnostic;
pub mod span;

pub use diagnostic::{render, Diagnostic, Severity};
pub use span::{SourceFile, Span};
