//! The compiler's own `Diagnostic` type; rendered with codespan-reporting only at the edge.

use crate::span::{SourceFile, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One compile-time message about the source, with a stable code such as `E0101`.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// Primary location (the caret).
    pub span: Span,
    /// Text shown at the primary caret (may be empty).
    pub label: String,
    /// Secondary locations with their texts.
    pub secondary: Vec<(Span, String)>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message, span) }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }
    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Renders diagnostics as plain text (no colour): `error[E..]: msg`, ` --> file:line:col`,
/// the source line and a caret. Used for stderr and for the expected text in tests.
pub fn render(file: &SourceFile, diags: &[Diagnostic]) -> String {
    let files = SimpleFile::new(file.name.as_str(), file.text.as_str());
    let mut out = term::termcolor::NoColor::new(Vec::new());
    let config = term::Config::default();
    for d in diags {
        let clamp = |s: Span| {
            let len = file.text.len();
            let mut a = (s.start as usize).min(len);
            let mut b = (s.end as usize).min(len).max(a);
            while !file.text.is_char_boundary(a) {
                a -= 1;
            }
            while !file.text.is_char_boundary(b) {
                b += 1;
            }
            a..b
        };
        let mut labels = vec![cs::Label::primary((), clamp(d.span)).with_message(&d.label)];
        for (s, l) in &d.secondary {
            labels.push(cs::Label::secondary((), clamp(*s)).with_message(l));
        }
        let base = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        };
        let diag = base
            .with_code(d.code)
            .with_message(&d.message)
            .with_labels(labels)
            .with_notes(d.notes.clone());
        // Writing into a Vec cannot fail except on internal codespan errors; fall back to a
        // one-line form rather than panicking.
        if term::emit(&mut out, &config, &files, &diag).is_err() {
            let (l, c) = file.line_col(d.span.start);
            let line = format!("error: {} at {}:{}:{}\n", d.message, file.name, l, c);
            out.get_mut().extend_from_slice(line.as_bytes());
        }
    }
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}
