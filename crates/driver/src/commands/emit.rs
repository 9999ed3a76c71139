//! `nyash emit (--mir|--clif|--llvm-ir|--asm) FILE [-o OUT]`: print an intermediate form.

use crate::cli::{BackendKind, EmitArgs};
use crate::compile::{front_end, in_backend, read_source};
use crate::timings::Phases;
use crate::{Ctx, Exit};
use nyash_mir::{EmitKind, Timings};
use std::io::Write;
use std::time::Instant;

pub(crate) fn emit(ctx: &Ctx, a: &EmitArgs) -> Result<(), Exit> {
    // Which backend produces the text (None: the MIR printer), checked before any work.
    let target = if a.mir {
        None
    } else if a.clif {
        Some((required(ctx, BackendKind::Cranelift, "--clif")?, EmitKind::Ir))
    } else if a.llvm_ir {
        Some((required(ctx, BackendKind::Llvm, "--llvm-ir")?, EmitKind::Ir))
    } else {
        Some((ctx.backend(), EmitKind::Asm))
    };

    let file = read_source(&a.file)?;
    let mut t = Timings::default();
    // `--mir` shows the MIR the selected backend would compile.
    let passes = target.map_or(ctx.backend(), |(kind, _)| kind).backend().passes();
    let module = front_end(&file, ctx.opts.verify, passes, &mut t)?;
    let text = match target {
        None => nyash_mir::print::print_module(&module),
        Some((kind, emit_kind)) => {
            let start = Instant::now();
            let text = in_backend(kind, |b| b.emit_text(&module, &ctx.opts, emit_kind))?;
            t.codegen = start.elapsed();
            text
        }
    };
    match &a.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                return Err(Exit(1));
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                // A closed pipe (`nyash emit --mir x | head`) is the reader's choice.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("error: cannot write to stdout: {e}");
                    return Err(Exit(1));
                }
            }
        }
    }
    ctx.record_timings(&t, Phases { codegen: target.is_some(), link: false, run: false }, true);
    Ok(())
}

/// `--clif` and `--llvm-ir` name their backend; an explicit different `--backend` is a
/// contradiction worth reporting rather than silently ignoring.
fn required(ctx: &Ctx, kind: BackendKind, flag: &str) -> Result<BackendKind, Exit> {
    match ctx.backend {
        Some(b) if b != kind => {
            eprintln!(
                "error: {flag} shows {} output; it cannot be used with --backend={}",
                kind.name(),
                b.name()
            );
            Err(Exit(1))
        }
        _ => Ok(kind),
    }
}
