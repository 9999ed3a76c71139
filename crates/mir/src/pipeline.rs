//! The front half of the compiler as one call: AST → legal, verified MIR.

use crate::lower::{codes, lower_program_with_warnings};
use crate::passes::{infer_types, legalize, remove_unreachable_blocks, simplify};
use crate::verify::{verify_module, Stage};
use crate::Module;
use nyash_syntax::ast;
use nyash_syntax::{Diagnostic, SourceFile, Span};

/// Lowers `program`, then: verify (generic) → simplify → infer types → legalize → simplify →
/// verify (legal). Verification always runs in debug builds, and in release builds when
/// `verify` is true. Returns legal MIR plus warnings, or every compile error.
///
/// A verifier failure is a compiler bug; it is reported as one diagnostic with code
/// `E0999` (`lower::codes::INTERNAL`) whose message lists the problems — the driver should
/// exit with 101 for it.
pub fn compile(
    program: &ast::Program,
    file: &SourceFile,
    verify: bool,
) -> Result<(Module, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (mut m, warnings) = lower_program_with_warnings(program, file)?;
    let check = verify || cfg!(debug_assertions);
    if check {
        verify_module(&m, Stage::Generic).map_err(|e| ice("after lowering", e))?;
    }
    // Dropping dead code first keeps its stale values out of type inference.
    for f in &mut m.funcs {
        remove_unreachable_blocks(f);
    }
    simplify(&mut m);
    infer_types(&mut m);
    legalize(&mut m);
    simplify(&mut m);
    if check {
        verify_module(&m, Stage::Legal).map_err(|e| ice("after legalization", e))?;
    }
    Ok((m, warnings))
}

fn ice(when: &str, errors: Vec<String>) -> Vec<Diagnostic> {
    let mut msg = format!("internal compiler error: invalid MIR {when}");
    for e in errors.iter().take(20) {
        msg.push_str("\n  ");
        msg.push_str(e);
    }
    vec![Diagnostic::error(codes::INTERNAL, msg, Span::default())]
}
