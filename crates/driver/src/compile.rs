//! The front end as the driver sees it: read the file, parse, lower and run the MIR passes,
//! print diagnostics to stderr, and pick a backend.

use crate::cli::BackendKind;
use crate::{ice, Exit};
use nyash_mir::pipeline::Passes;
use nyash_mir::{Backend, BackendError, Module, Timings};
use nyash_syntax::{Diagnostic, SourceFile};
use std::path::Path;
use std::time::Instant;

/// Reads `path` as source text. A missing or unreadable file is one line on stderr; bytes
/// that are not UTF-8 are replaced (U+FFFD) so the lexer can point at them.
pub(crate) fn read_source(path: &Path) -> Result<SourceFile, Exit> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            Ok(SourceFile::new(path.display().to_string(), text))
        }
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            Err(Exit(1))
        }
    }
}

/// Parses and compiles `file` to legal MIR with `passes` (the backend's, see
/// `Backend::passes`; the default for commands that only check the program), filling `timings.parse` and `timings.lower`
/// (lowering and all passes are one call, so `passes` stays zero). Diagnostics go to
/// stderr; any error (or a panic, reported as an ICE) stops here.
pub(crate) fn front_end(
    file: &SourceFile,
    verify: bool,
    passes: Passes,
    timings: &mut Timings,
) -> Result<Module, Exit> {
    let start = Instant::now();
    let (program, parse_diags) =
        ice::guard("the front end (parser)", || nyash_syntax::parse(file))?;
    timings.parse = start.elapsed();
    if has_errors(&parse_diags) {
        report(file, &parse_diags);
        return Err(Exit(1));
    }

    let start = Instant::now();
    let result = ice::guard("the front end (MIR lowering and passes)", || {
        nyash_mir::pipeline::compile_with(&program, file, verify, passes)
    })?;
    timings.lower = start.elapsed();
    match result {
        Ok((module, mut diags)) => {
            let mut all = parse_diags;
            all.append(&mut diags);
            report(file, &all);
            if has_errors(&all) {
                return Err(Exit(1));
            }
            Ok(module)
        }
        Err(mut diags) => {
            let mut all = parse_diags;
            all.append(&mut diags);
            report(file, &all);
            if !has_errors(&all) {
                // The pipeline refused the program without saying why: that is our bug.
                eprintln!(
                    "error: internal compiler error in the front end: compilation failed without an error message"
                );
                return Err(Exit(ice::ICE_EXIT));
            }
            // The MIR verifier rejecting our own output is a compiler bug, not the user's.
            if all.iter().any(|d| d.code == nyash_mir::lower::codes::INTERNAL) {
                return Err(Exit(ice::ICE_EXIT));
            }
            Err(Exit(1))
        }
    }
}

fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// Renders diagnostics (errors and warnings) to stderr.
pub(crate) fn report(file: &SourceFile, diags: &[Diagnostic]) {
    if !diags.is_empty() {
        eprint!("{}", nyash_syntax::render(file, diags));
    }
}

/// The backend implementing `kind`.
pub(crate) fn backend(kind: BackendKind) -> &'static dyn Backend {
    kind.backend()
}

/// Runs one backend operation under the ICE guard and turns its error into the right exit:
/// `Unsupported` is a user-facing error (1), `Internal` and panics are ICEs (101).
pub(crate) fn in_backend<T>(
    kind: BackendKind,
    f: impl FnOnce(&dyn Backend) -> Result<T, BackendError>,
) -> Result<T, Exit> {
    let b = backend(kind);
    let stage = format!("the {} backend", b.name());
    match ice::guard(&stage, || f(b))? {
        Ok(v) => Ok(v),
        Err(e @ BackendError::Unsupported(_)) => {
            eprintln!("error: {e}");
            Err(Exit(1))
        }
        Err(e @ BackendError::Internal { .. }) => {
            nyash_runtime::flush_stdout();
            eprintln!("error: {e}");
            Err(Exit(ice::ICE_EXIT))
        }
    }
}
