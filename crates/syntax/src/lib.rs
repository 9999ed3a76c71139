//! Nyash front end: lexer, parser, AST with spans, and the `Diagnostic` type.

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod parser;
pub mod span;
pub mod token;

pub use diagnostic::{render, Diagnostic, Severity};
pub use parser::parse;
pub use span::{SourceFile, Span};

#[cfg(test)]
mod tests;
