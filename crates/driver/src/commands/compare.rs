//! `nyash compare FILE [ARGS…]`: run the program on all five modes, each in a child process
//! of this executable (so one mode's runtime error or crash cannot take down the others),
//! and print a table of phase times, exit statuses and whether stdout matches the VM's.

use crate::cli::{opt_level_flag, BackendKind, RunArgs};
use crate::compile::{front_end, read_source};
use crate::tempdir::TempDir;
use crate::timings::{self, ms, Phases};
use crate::{Ctx, Exit};
use nyash_mir::Timings;
use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// One way of running a program.
#[derive(Clone, Copy)]
struct Mode {
    name: &'static str,
    backend: BackendKind,
    aot: bool,
}

const MODES: [Mode; 5] = [
    Mode { name: "vm", backend: BackendKind::Vm, aot: false },
    Mode { name: "cranelift-jit", backend: BackendKind::Cranelift, aot: false },
    Mode { name: "cranelift-aot", backend: BackendKind::Cranelift, aot: true },
    Mode { name: "llvm-jit", backend: BackendKind::Llvm, aot: false },
    Mode { name: "llvm-aot", backend: BackendKind::Llvm, aot: true },
];

/// What one mode did.
struct ModeResult {
    mode: Mode,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// `Err` describes a child that did not exit normally (signal, failed to start).
    exit: Result<i32, String>,
    timings: Option<(Timings, Phases)>,
}

pub(crate) fn compare(ctx: &Ctx, a: &RunArgs) -> Result<i32, Exit> {
    // Compile once here first: compile errors are reported once, not five times.
    let file = read_source(&a.file)?;
    front_end(&file, ctx.opts.verify, &mut Timings::default())?;

    let exe = std::env::current_exe().map_err(|e| {
        eprintln!("error: cannot find the nyash executable to run the modes: {e}");
        Exit(1)
    })?;
    let scratch = TempDir::new("compare").map_err(|e| {
        eprintln!("error: cannot create a temporary directory: {e}");
        Exit(1)
    })?;

    let results: Vec<ModeResult> =
        MODES.iter().map(|&mode| run_mode(ctx, &exe, scratch.path(), mode, a)).collect();

    print_table(&results);
    let reference = &results[0];
    let mut mismatch = false;
    for r in &results[1..] {
        if !agrees(reference, r) {
            if !mismatch {
                print!("{}", diff_report(reference, r));
            }
            mismatch = true;
        }
    }
    if mismatch {
        println!("\nmodes disagree");
        Ok(1)
    } else {
        println!("\nall {} modes agree", results.len());
        Ok(0)
    }
}

fn agrees(a: &ModeResult, b: &ModeResult) -> bool {
    a.stdout == b.stdout && a.exit == b.exit
}

/// The global flags a child needs to reproduce this invocation's settings.
fn child_command(ctx: &Ctx, exe: &Path, backend: BackendKind, timings_file: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg(format!("--backend={}", backend.name()))
        .arg(opt_level_flag(ctx.opts.opt_level))
        .arg("--timings-file")
        .arg(timings_file)
        .stdin(Stdio::null());
    if ctx.opts.verify {
        cmd.arg("--verify");
    }
    cmd
}

fn run_mode(ctx: &Ctx, exe: &Path, scratch: &Path, mode: Mode, a: &RunArgs) -> ModeResult {
    let timings_file = scratch.join(format!("{}.timings", mode.name));
    let program_args: Vec<OsString> = a.args.clone();
    if !mode.aot {
        let mut cmd = child_command(ctx, exe, mode.backend, &timings_file);
        cmd.arg("run").arg(&a.file).args(&program_args);
        let out = cmd.output();
        return finish(mode, out, timings::read_file(&timings_file));
    }

    let binary = scratch.join(format!("{}.bin", mode.name));
    let mut cmd = child_command(ctx, exe, mode.backend, &timings_file);
    cmd.arg("build").arg(&a.file).arg("-o").arg(&binary);
    let build = cmd.output();
    let build_timings = timings::read_file(&timings_file);
    match build {
        Ok(out) if out.status.success() => {}
        other => return finish(mode, other, build_timings),
    }

    // argv[0] is the source file as given, the same as `nyash run` passes.
    let mut cmd = Command::new(&binary);
    cmd.arg0(&a.file).args(&program_args).stdin(Stdio::null());
    let start = Instant::now();
    let out = cmd.output();
    let elapsed = start.elapsed();
    let timings = build_timings.map(|(mut t, mut p)| {
        t.run = elapsed;
        p.run = true;
        (t, p)
    });
    finish(mode, out, timings)
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

fn exit_of(status: ExitStatus) -> Result<i32, String> {
    match (status.code(), status.signal()) {
        (Some(c), _) => Ok(c),
        (None, Some(s)) => Err(format!("signal {s}")),
        (None, None) => Err("unknown".to_string()),
    }
}

fn print_table(results: &[ModeResult]) {
    println!(
        "{:<14} {:>12} {:>11} {:>9} {:>10} {:>6}  stdout matches vm",
        "mode", "front end ms", "codegen ms", "link ms", "run ms", "exit"
    );
    let reference = &results[0];
    for r in results {
        let cell =
            |d: Option<Duration>| d.map_or_else(|| "-".to_string(), |d| format!("{:.2}", ms(d)));
        let (front, codegen, link, run) = match &r.timings {
            Some((t, p)) => (
                Some(t.parse + t.lower + t.passes),
                p.codegen.then_some(t.codegen),
                p.link.then_some(t.link),
                p.run.then_some(t.run),
            ),
            None => (None, None, None, None),
        };
        let exit = match &r.exit {
            Ok(c) => c.to_string(),
            Err(e) => e.clone(),
        };
        let matches = if std::ptr::eq(r, reference) {
            "(reference)"
        } else if agrees(reference, r) {
            "yes"
        } else if reference.stdout == r.stdout {
            "yes (exit NO)"
        } else {
            "NO"
        };
        println!(
            "{:<14} {:>12} {:>11} {:>9} {:>10} {:>6}  {matches}",
            r.mode.name,
            cell(front),
            cell(codegen),
            cell(link),
            cell(run),
            exit
        );
    }
}

/// Shows how `other` differs from the VM: exit statuses, the first differing stretch of
/// stdout with a little context, and each side's stderr when the statuses differ.
fn diff_report(vm: &ModeResult, other: &ModeResult) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let name = other.mode.name;
    let _ = writeln!(out, "\n{name} differs from vm:");
    if vm.exit != other.exit {
        let show = |e: &Result<i32, String>| match e {
            Ok(c) => c.to_string(),
            Err(s) => s.clone(),
        };
        let _ = writeln!(out, "  exit status: vm {}, {name} {}", show(&vm.exit), show(&other.exit));
    }
    if vm.stdout != other.stdout {
        let a = String::from_utf8_lossy(&vm.stdout);
        let b = String::from_utf8_lossy(&other.stdout);
        let al: Vec<&str> = a.split_inclusive('\n').collect();
        let bl: Vec<&str> = b.split_inclusive('\n').collect();
        let first = al.iter().zip(&bl).take_while(|(x, y)| x == y).count();
        let _ = writeln!(out, "--- vm stdout\n+++ {name} stdout\n@@ line {} @@", first + 1);
        for line in &al[first.saturating_sub(2)..first] {
            let _ = writeln!(out, " {}", visible(line));
        }
        for line in al.iter().skip(first).take(5) {
            let _ = writeln!(out, "-{}", visible(line));
        }
        for line in bl.iter().skip(first).take(5) {
            let _ = writeln!(out, "+{}", visible(line));
        }
    }
    if vm.exit != other.exit {
        for (who, err) in [("vm", &vm.stderr), (name, &other.stderr)] {
            let text = String::from_utf8_lossy(err);
            if !text.trim().is_empty() {
                let _ = writeln!(out, "  {who} stderr:");
                for line in text.lines().take(8) {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    out
}

/// A line without its newline; a missing final newline is made visible.
fn visible(line: &str) -> String {
    match line.strip_suffix('\n') {
        Some(l) => l.to_string(),
        None => format!("{line}\\ (no newline at end)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(mode: usize, stdout: &str, exit: i32, stderr: &str) -> ModeResult {
        ModeResult {
            mode: MODES[mode],
            stdout: stdout.into(),
            stderr: stderr.into(),
            exit: Ok(exit),
            timings: None,
        }
    }

    #[test]
    fn agreement_is_stdout_and_exit_status() {
        let vm = result(0, "1\n2\n", 0, "");
        assert!(agrees(&vm, &result(1, "1\n2\n", 0, "warning: ignored\n")));
        assert!(!agrees(&vm, &result(1, "1\n2\n", 1, "")));
        assert!(!agrees(&vm, &result(1, "1\n3\n", 0, "")));
    }

    #[test]
    fn diff_shows_first_difference_and_stderr_on_exit_mismatch() {
        let vm = result(0, "a\nb\nc\n", 0, "");
        let jit = result(1, "a\nb\nX\n", 1, "error: boom\n");
        let d = diff_report(&vm, &jit);
        assert!(d.contains("exit status: vm 0, cranelift-jit 1"), "{d}");
        assert!(d.contains("@@ line 3 @@") && d.contains("-c") && d.contains("+X"), "{d}");
        assert!(d.contains("error: boom"), "{d}");
    }
}
