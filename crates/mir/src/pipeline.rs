//! The front half of the compiler as one call: AST → legal, verified MIR.

use crate::lower::{codes, lower_program_with_warnings};
use crate::passes::{
    borrow_array_elements, eliminate_tail_recursion, forward_fields, forward_returned_params,
    hoist_and_merge, infer_types, inline, inline_entry_guards, legalize, merge_pure_calls,
    reduce_induction_variables, remove_dead_functions, remove_unreachable_blocks, rotate_loops,
    select_tiny_branches, simplify_memo, sink_null_guards, specialize, typed_array_allocations,
    unbox_block_params, version_bounds_checks, SimplifyMemo,
};
use crate::verify::{verify_module, Stage};
use crate::Module;
use nyash_syntax::ast;
use nyash_syntax::{Diagnostic, SourceFile, Span};

/// Lowers `program`, then: verify (generic) → simplify → specialize (infers types) → returned
/// parameters forwarded → verify (generic) → legalize → typed array allocations → simplify → verify (legal) → call merging →
/// simplify → verify (legal) → tail recursion → inline → simplify → verify (legal) → entry-test
/// inlining → simplify → verify (legal) → field forwarding and store sinking → simplify →
/// verify (legal) → null-guard sinking → simplify → verify (legal) → block-parameter unboxing →
/// simplify → if-conversion → simplify → verify (legal) → bounds-check loop versioning →
/// simplify → verify (legal) → strength reduction of derived induction variables → simplify →
/// verify (legal) → loop rotation → verify (legal) → loop-invariant code motion and value
/// numbering → verify (legal) → element borrowing → verify (legal) →
/// dead-function elimination → verify (legal).
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

/// Which optional optimizations `compile_with` runs. The default is the reference pipeline
/// the VM runs (no tail recursion elimination, self-recursion inlined one level); each
/// backend picks its own with `Backend::passes`. Turning them off gives the MIR of plain
/// inference + legalization (used by snapshot tests and for before/after comparisons).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passes {
    /// Clone functions per call-site argument types (`passes::specialize`).
    pub specialize: bool,
    /// Turn accumulator tail recursion into loops (`passes::eliminate_tail_recursion`).
    pub tail_recursion: bool,
    /// Inline small direct calls (`passes::inline`).
    pub inline: bool,
    /// How many levels deep a small self-recursive function is inlined into itself.
    pub self_unroll: usize,
    /// Merge redundant and partially redundant calls of pure functions, also through one
    /// level of self-inlining (`passes::merge_pure_calls`).
    pub merge_calls: bool,
    /// Copy a self-recursive function's entry test and immediate exit to its call sites
    /// (`passes::inline_entry_guards`): the calls that would return at once are not made.
    pub entry_guards: bool,
    /// Forward known field values to later loads (`passes::forward_fields`).
    pub forward: bool,
    /// Sink what a null guard does not need into both of its sides (`passes::sink_null_guards`).
    pub sink_guards: bool,
    /// Copy counted loops reading arrays into a bounds-check-free version
    /// (`passes::version_bounds_checks`).
    pub bounds_version: bool,
    /// Turn `iv * m + b` in a counted loop into an induction variable of its own
    /// (`passes::reduce_induction_variables`): for backends without loop optimizations.
    pub strength_reduce: bool,
    /// Test a loop's exit condition at the end of each iteration instead of at the top
    /// (`passes::rotate_loops`): for backends without loop optimizations.
    pub rotate: bool,
    /// Move pure loop-invariant instructions to the loop's preheader, then merge pure
    /// instructions a dominating twin already computed (`passes::hoist_and_merge`): for
    /// backends that do neither.
    pub licm_gvn: bool,
    /// Move the release of an array element read in a window where nothing can change an
    /// array next to its `get`, as a pair backends lower as a plain load
    /// (`passes::borrow_array_elements`). The VM runs the pair literally, so it leaves this
    /// off and stays an independent check of it.
    pub borrow: bool,
    /// Drop functions no call or registered callback reaches (`passes::remove_dead_functions`).
    pub dead_funcs: bool,
}

impl Default for Passes {
    fn default() -> Self {
        Passes {
            specialize: true,
            tail_recursion: false,
            inline: true,
            self_unroll: 1,
            merge_calls: false,
            entry_guards: false,
            forward: true,
            sink_guards: true,
            bounds_version: true,
            strength_reduce: false,
            rotate: false,
            licm_gvn: false,
            borrow: false,
            dead_funcs: true,
        }
    }
}

impl Passes {
    /// No specialization, tail recursion elimination, inlining, forwarding, guard sinking or
    /// dead-function elimination.
    pub fn none() -> Self {
        Passes {
            specialize: false,
            tail_recursion: false,
            inline: false,
            self_unroll: 0,
            merge_calls: false,
            entry_guards: false,
            forward: false,
            sink_guards: false,
            bounds_version: false,
            strength_reduce: false,
            rotate: false,
            licm_gvn: false,
            borrow: false,
            dead_funcs: false,
        }
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
    // Passes leave most functions unchanged; this lets `simplify` skip those it already did.
    let mut memo = SimplifyMemo::default();
    // Dropping dead code first keeps its stale values out of type inference.
    for f in &mut m.funcs {
        remove_unreachable_blocks(f);
    }
    simplify_memo(&mut m, &mut memo);
    if passes.specialize {
        // Clones functions per call-site signature, leaving every type inferred.
        specialize(&mut m);
    } else {
        infer_types(&mut m);
    }
    // Before legalization, which then counts references for the argument's uses.
    forward_returned_params(&mut m);
    if check {
        verify_module(&m, Stage::Generic).map_err(|e| ice("after specialization", e))?;
    }
    legalize(&mut m);
    typed_array_allocations(&mut m);
    simplify_memo(&mut m, &mut memo);
    if check {
        verify_module(&m, Stage::Legal).map_err(|e| ice("after legalization", e))?;
    }
    // Before tail recursion elimination, which would leave naive `fib` one call per loop
    // iteration and nothing repeated to merge.
    if passes.merge_calls && merge_pure_calls(&mut m) {
        simplify_memo(&mut m, &mut memo);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after call merging", e))?;
        }
    }
    if passes.tail_recursion {
        // Before inlining: the self-inlined copy then carries the loop too.
        eliminate_tail_recursion(&mut m);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after tail recursion", e))?;
        }
    }
    if passes.inline {
        inline(&mut m, passes.self_unroll);
        simplify_memo(&mut m, &mut memo);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after inlining", e))?;
        }
    }
    if passes.entry_guards && inline_entry_guards(&mut m) {
        simplify_memo(&mut m, &mut memo);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after entry-test inlining", e))?;
        }
    }
    if passes.forward {
        forward_fields(&mut m);
        simplify_memo(&mut m, &mut memo);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after field forwarding", e))?;
        }
    }
    if passes.sink_guards {
        sink_null_guards(&mut m);
        simplify_memo(&mut m, &mut memo);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after null-guard sinking", e))?;
        }
    }
    // After field forwarding, which makes the Boxed loop parameters this unboxes.
    unbox_block_params(&mut m);
    // Drops the `todyn`s that no longer feed anything, which would keep arms from converting.
    simplify_memo(&mut m, &mut memo);
    select_tiny_branches(&mut m);
    simplify_memo(&mut m, &mut memo);
    if check {
        verify_module(&m, Stage::Legal)
            .map_err(|e| ice("after parameter unboxing and if-conversion", e))?;
    }
    if passes.bounds_version {
        // After guard sinking: each versioned read's null side is then its own block, which
        // the pass's own `simplify` of the functions it changes removes from the copy.
        let changed = version_bounds_checks(&mut m);
        if changed && check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after loop versioning", e))?;
        }
    }
    if passes.strength_reduce {
        // Simplifies the functions it changes.
        let changed = reduce_induction_variables(&mut m);
        if changed && check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after strength reduction", e))?;
        }
    }
    if passes.rotate {
        // After every loop pass: they expect the test at the top of the loop (a header
        // branching to the exit), and this leaves the header as a guard outside the loop.
        // Simplifies the functions it changes.
        let changed = rotate_loops(&mut m);
        if changed && check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after loop rotation", e))?;
        }
    }
    if passes.licm_gvn {
        // After the loop passes, which expect each loop as the front end shaped it.
        if hoist_and_merge(&mut m) && check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after code motion", e))?;
        }
    }
    if passes.borrow {
        // After every pass that moves instructions: backends recognize the adjacent pairs.
        let changed = borrow_array_elements(&mut m);
        if changed && check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after element borrowing", e))?;
        }
    }
    if passes.dead_funcs {
        // Last: inlining and forwarding are what leave functions without callers.
        remove_dead_functions(&mut m);
        if check {
            verify_module(&m, Stage::Legal).map_err(|e| ice("after dead-function removal", e))?;
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
