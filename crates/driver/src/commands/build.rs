//! `nyash build FILE [-o OUT]`: emit an object with a native backend and link an executable.

use crate::cli::{BackendKind, BuildArgs};
use crate::compile::{front_end, in_backend, read_source};
use crate::link::link_executable;
use crate::tempdir::TempDir;
use crate::timings::Phases;
use crate::{Ctx, Exit};
use nyash_mir::Timings;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub(crate) fn build(ctx: &Ctx, a: &BuildArgs) -> Result<(), Exit> {
    let kind = ctx.backend();
    if kind == BackendKind::Vm {
        eprintln!(
            "error: the vm backend cannot build executables; use --backend=cranelift or llvm"
        );
        return Err(Exit(1));
    }
    let out = output_path(&a.file, a.output.as_deref())?;
    let file = read_source(&a.file)?;
    let mut t = Timings::default();
    let module = front_end(&file, ctx.opts.verify, kind.backend().passes(), &mut t)?;

    let object = in_backend(kind, |b| b.emit_object(&module, &ctx.opts))?;
    t.codegen = object.timings.codegen;

    let start = Instant::now();
    let scratch = TempDir::new("build").map_err(|e| {
        eprintln!("error: cannot create a temporary directory: {e}");
        Exit(1)
    })?;
    if let Err(msg) = link_executable(&object.bytes, &out, scratch.path()) {
        eprintln!("error: {msg}");
        return Err(Exit(1));
    }
    t.link = start.elapsed();
    ctx.record_timings(&t, Phases { codegen: true, link: true, run: false }, true);
    Ok(())
}

/// `-o OUT`, or FILE's stem in the current directory (`dir/prog.nyash` → `./prog`).
fn output_path(file: &Path, output: Option<&Path>) -> Result<PathBuf, Exit> {
    let out = match output {
        Some(o) => o.to_path_buf(),
        None => match file.file_stem() {
            Some(stem) if !stem.is_empty() => PathBuf::from(stem),
            _ => {
                eprintln!(
                    "error: cannot derive an output name from `{}`; use -o OUT",
                    file.display()
                );
                return Err(Exit(1));
            }
        },
    };
    // `nyash build prog` (no extension) would otherwise replace the source with the binary.
    if let (Ok(a), Ok(b)) = (file.canonicalize(), out.canonicalize()) {
        if a == b {
            eprintln!(
                "error: the output `{}` is the source file itself; use -o OUT to choose another name",
                out.display()
            );
            return Err(Exit(1));
        }
    }
    Ok(out)
}
