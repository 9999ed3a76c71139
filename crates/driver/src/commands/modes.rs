//! Running a program on one mode in a child process of this executable (so one mode's
//! runtime error or crash cannot take down the others) and collecting its stdout, exit
//! status and phase times: shared by `compare` and `bench`.

use crate::cli::{opt_level_flag, BackendKind, Mode};
use crate::timings::{self, ms, Phases};
use crate::{Ctx, Exit};
use nyash_mir::Timings;
use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::Instant;

/// What one run of a program on one mode did.
pub(crate) struct ModeResult {
    pub mode: Mode,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `Err` describes a child that did not exit normally (signal, failed to start).
    pub exit: Result<i32, String>,
    pub timings: Option<(Timings, Phases)>,
}

impl ModeResult {
    /// Milliseconds spent before the program started: front end and code generation, plus
    /// linking for AOT modes. `None` when the child reported no code generation (it failed).
    pub fn compile_ms(&self) -> Option<f64> {
        let (t, p) = self.timings.as_ref()?;
        if !p.codegen {
            return None;
        }
        let link = if p.link { t.link } else { Default::default() };
        Some(ms(t.parse + t.lower + t.passes + t.codegen + link))
    }

    /// Milliseconds the program ran: the backend's run phase in process, or the wall time of
    /// the executable for AOT modes. `None` when it never ran to the end.
    pub fn run_ms(&self) -> Option<f64> {
        let (t, p) = self.timings.as_ref()?;
        p.run.then(|| ms(t.run))
    }

    /// A one-line description of a failed run (exit status and the first stderr line), or
    /// `None` for exit status 0.
    pub fn failure(&self) -> Option<String> {
        let status = match &self.exit {
            Ok(0) => return None,
            Ok(c) => format!("exit {c}"),
            Err(e) => e.clone(),
        };
        let stderr = String::from_utf8_lossy(&self.stderr);
        match stderr.lines().find(|l| !l.trim().is_empty()) {
            Some(line) => Some(format!("{status}: {}", line.trim())),
            None => Some(status),
        }
    }
}

/// Runs programs on modes as children of the running `nyash` executable, with the global
/// flags of this invocation (`-O`, `--verify`). Scratch files (timings, AOT executables) go
/// to a directory the caller owns.
pub(crate) struct ModeRunner<'a> {
    ctx: &'a Ctx,
    exe: PathBuf,
    scratch: &'a Path,
}

impl<'a> ModeRunner<'a> {
    pub fn new(ctx: &'a Ctx, scratch: &'a Path) -> Result<ModeRunner<'a>, Exit> {
        let exe = std::env::current_exe().map_err(|e| {
            eprintln!("error: cannot find the nyash executable to run the modes: {e}");
            Exit(1)
        })?;
        Ok(ModeRunner { ctx, exe, scratch })
    }

    /// Why `mode` cannot run on this machine (its backend's `available` error, e.g. no
    /// libLLVM), or `None`. Checked here, once per backend, so that `compare` and `bench`
    /// can report the mode as unavailable instead of as a failing run.
    pub fn unavailable(&self, mode: Mode) -> Option<String> {
        mode.backend().backend().available().err().map(|e| e.to_string())
    }

    /// The global flags a child needs to reproduce this invocation's settings.
    fn child_command(&self, backend: BackendKind, timings_file: &Path) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.arg(format!("--backend={}", backend.name()))
            .arg(opt_level_flag(self.ctx.opts.opt_level))
            .arg("--timings-file")
            .arg(timings_file)
            .stdin(Stdio::null());
        if self.ctx.opts.verify {
            cmd.arg("--verify");
        }
        cmd
    }

    /// Compiles and runs `file` with `args` once on `mode`. AOT modes build an executable
    /// (`nyash build`) and run it; its wall time becomes the run phase.
    pub fn run(&self, mode: Mode, file: &Path, args: &[OsString]) -> ModeResult {
        let timings_file = self.scratch.join(format!("{}.timings", mode.name()));
        // A child that dies early writes nothing: stale times from an earlier run must not
        // be read back as its own.
        let _ = std::fs::remove_file(&timings_file);
        if !mode.aot() {
            let mut cmd = self.child_command(mode.backend(), &timings_file);
            cmd.arg("run").arg(file).args(args);
            let out = cmd.output();
            return finish(mode, out, timings::read_file(&timings_file));
        }

        let binary = self.scratch.join(format!("{}.bin", mode.name()));
        let _ = std::fs::remove_file(&binary);
        let mut cmd = self.child_command(mode.backend(), &timings_file);
        cmd.arg("build").arg(file).arg("-o").arg(&binary);
        let build = cmd.output();
        let build_timings = timings::read_file(&timings_file);
        match build {
            Ok(out) if out.status.success() => {}
            other => return finish(mode, other, build_timings),
        }

        // argv[0] is the source file as given, the same as `nyash run` passes.
        let mut cmd = Command::new(&binary);
        cmd.arg0(file).args(args).stdin(Stdio::null());
        let start = Instant::now();
        let out = cmd.output();
        let elapsed = start.elapsed();
        let timings = build_timings.map(|(mut t, mut p)| {
            t.run = elapsed;
            p.run = matches!(&out, Ok(o) if o.status.code().is_some());
            (t, p)
        });
        finish(mode, out, timings)
    }
}

fn finish(
    mode: Mode,
    out: std::io::Result<Output>,
    timings: Option<(Timings, Phases)>,
) -> ModeResult {
    match out {
        Ok(o) => ModeResult {
            mode,
            stdout: o.stdout,
            stderr: o.stderr,
            exit: exit_of(o.status),
            timings,
        },
        Err(e) => ModeResult {
            mode,
            stdout: Vec::new(),
            stderr: Vec::new(),
            exit: Err(format!("cannot start: {e}")),
            timings,
        },
    }
}

/// The exit code of a finished child, or a description of why there is none.
pub(crate) fn exit_of(status: ExitStatus) -> Result<i32, String> {
    match (status.code(), status.signal()) {
        (Some(c), _) => Ok(c),
        (None, Some(s)) => Err(format!("signal {s}")),
        (None, None) => Err("unknown".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(exit: Result<i32, String>, stderr: &str) -> ModeResult {
        ModeResult {
            mode: Mode::Vm,
            stdout: Vec::new(),
            stderr: stderr.into(),
            exit,
            timings: None,
        }
    }

    #[test]
    fn failure_names_status_and_first_stderr_line() {
        assert_eq!(result(Ok(0), "warning: x\n").failure(), None);
        assert_eq!(
            result(Ok(1), "\nerror: division by zero\n  at a.nyash:1:2\n").failure().as_deref(),
            Some("exit 1: error: division by zero")
        );
        assert_eq!(result(Err("signal 11".into()), "").failure().as_deref(), Some("signal 11"));
    }

    #[test]
    fn compile_ms_needs_codegen_and_adds_link() {
        use std::time::Duration;
        let t = Timings {
            parse: Duration::from_millis(1),
            codegen: Duration::from_millis(2),
            link: Duration::from_millis(4),
            run: Duration::from_millis(8),
            ..Timings::default()
        };
        let mut r = result(Ok(0), "");
        r.timings = Some((t, Phases { codegen: true, link: true, run: true }));
        assert_eq!(r.compile_ms(), Some(7.0));
        assert_eq!(r.run_ms(), Some(8.0));
        r.timings = Some((t, Phases::default()));
        assert_eq!((r.compile_ms(), r.run_ms()), (None, None));
    }
}
