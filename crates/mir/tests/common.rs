//! Shared helpers for the MIR tests: parse source text and run the pipeline.
#![allow(dead_code)]

use nyash_mir::{pipeline, print::print_module, Module};
use nyash_syntax::{parse, render, SourceFile};

pub fn file(src: &str) -> SourceFile {
    SourceFile::new("test.nyash", src)
}

/// Parses `src` (panicking on syntax errors: test inputs are valid syntax).
pub fn parsed(src: &str) -> (nyash_syntax::ast::Program, SourceFile) {
    let f = file(src);
    let (p, diags) = parse(&f);
    assert!(diags.iter().all(|d| !d.is_error()), "syntax errors:\n{}", render(&f, &diags));
    (p, f)
}

/// Legal MIR for `src`, verified, without the interprocedural optimizations (specialization,
/// inlining), so snapshots and inference facts show legalization alone.
pub fn compile(src: &str) -> Module {
    compile_passes(src, pipeline::Passes::none())
}

/// Legal MIR for `src` from the full default pipeline, verified.
pub fn compile_optimized(src: &str) -> Module {
    compile_passes(src, pipeline::Passes::default())
}

/// The default pipeline, keeping the functions inlined everywhere (which dead-function
/// elimination drops) so that they can be inspected on their own.
pub fn compile_keeping_functions(src: &str) -> Module {
    compile_passes(src, pipeline::Passes { dead_funcs: false, ..Default::default() })
}

pub fn compile_passes(src: &str, passes: pipeline::Passes) -> Module {
    let (p, f) = parsed(src);
    match pipeline::compile_with(&p, &f, true, passes) {
        Ok((m, _)) => m,
        Err(d) => panic!("compile failed:\n{}", render(&f, &d)),
    }
}

pub fn compile_text(src: &str) -> String {
    print_module(&compile(src))
}

/// Generic MIR for `src`.
pub fn lower_text(src: &str) -> String {
    let (p, f) = parsed(src);
    match nyash_mir::lower::lower_program(&p, &f) {
        Ok(m) => print_module(&m),
        Err(d) => panic!("lowering failed:\n{}", render(&f, &d)),
    }
}

/// The rendered compile errors for `src` (panics if it compiles).
pub fn errors(src: &str) -> String {
    let (p, f) = parsed(src);
    match pipeline::compile(&p, &f, true) {
        Ok(_) => panic!("expected compile errors"),
        Err(d) => render(&f, &d),
    }
}
