//! The front half of the compiler as one call: AST → legal, verified MIR.

use crate::lower::{codes, lower_program_with_warnings};
use crate::passes::{
    forward_fields, infer_types, inline, legalize, remove_unreachable_blocks, simplify,
    sink_null_guards, specialize, typed_array_allocations,
};
use crate::verify::{verify_module, Stage};
use crate::Module;
use nyash_syntax::ast;
use nyash_syntax::{Diagnostic, SourceFile, Span};

/// Lowers `program`, then: verify (generic) → simplify → specialize (infers types) → verify
/// (generic) → legalize → typed array allocations → simplify → verify (legal) → inline →
/// simplify → verify (legal) → field forwarding and store sinking → simplify → verify (legal)
/// → null-guard sinking → simplify → verify (legal).
/// Verification always runs in debug builds, and in release builds when `verify` is true.
/// Returns legal MIR plus warnings, or every compile error.
///
/// A verifier failure is a compiler bug; it is reported as one diagnostic with code
/// `E0999` (`lower::codes::INTERNAL`) whose message lists the problems — the driver should
/// exit with 101 for it.
pub fn compile(
    program: &ast::Program,
    file: &SourceFile,
    verify: bool,
) -> Result<(Module, Vec<Diagnostic>), Vec<Diagnostic>> {
    compile_with(program, file, verify, Passes::default())
}

/// Which optional optimizations `compile_with` runs; all on by default.
/// Turning them off gives the MIR of plain inference + legalization (used by snapshot tests
/// and for before/after comparisons).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passes {
    /// Clone functions per call-site argument types (`passes::specialize`).
    pub specialize: bool,
    /// Inline small direct calls (`passes::inline`).
    pub inline: bool,
    /// Forward known field values to later loads (`passes::forward_fields`).
    pub forward: bool,
    /// Sink what a null guard does not need into both of its sides (`passes::sink_null_guards`).
    pub sink_guards: bool,
}

impl Default for Passes {
    fn default() -> Self {
        Passes { specialize: true, inline: true, forward: true, sink_guards: true }
    }
}

impl Passes {
    /// No specialization, inlining, forwarding or guard sinking.
    pub fn none() -> Self {
        Passes { specialize: false, inline: false, forward: false, sink_guards: false }
    }
}

/// `compile` with a choice of optional passes.
pub fn compile_with(
    program: &ast::Program,
    file: &SourceFile,
    verify: bool,
    passes: Passes,
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
    if passes.specialize {
        // Clones functions per call-site signature, leaving every type inferred.
        specialize(&mut m);
    } else {
        infer_types(&mut m);
    }
    if check {
        verify_module(&m, Stage::Generic).map_err(|e| ice("after specialization", e))?;
    }
    legalize(&mut m);
    typed_array_allocations(&mut m);
    simplify(&mut m);
    if check {
        verify_module(&m, Stage::Legal).map_err(|e| ice("after legalization", e))?;
    }
    if passes.inline {
        inline(&mut m);
        simplify(&mut m);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after inlining", e))?;
        }
    }
    if passes.forward {
        forward_fields(&mut m);
        simplify(&mut m);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after field forwarding", e))?;
        }
    }
    if passes.sink_guards {
        sink_null_guards(&mut m);
        simplify(&mut m);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after null-guard sinking", e))?;
        }
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
