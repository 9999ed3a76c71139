//! `nyash compare [--svg OUT] FILE [ARGS…]`: run the program on all five modes, each in a
//! child process of this executable (see `modes.rs`), and print a table of phase times, exit
//! statuses and whether stdout matches the VM's; `--svg` also draws the times as a chart.

use super::modes::{ModeResult, ModeRunner};
use crate::chart::{self, BarChart, Series};
use crate::cli::{CompareArgs, Mode};
use crate::compile::{front_end, read_source};
use crate::tempdir::TempDir;
use crate::timings::ms;
use crate::{Ctx, Exit};
use nyash_mir::pipeline::Passes;
use nyash_mir::Timings;
use std::time::Duration;

pub(crate) fn compare(ctx: &Ctx, a: &CompareArgs) -> Result<i32, Exit> {
    // Compile once here first: compile errors are reported once, not five times.
    let file = read_source(&a.file)?;
    front_end(&file, ctx.opts.verify, Passes::default(), &mut Timings::default())?;

    let scratch = TempDir::new("compare").map_err(|e| {
        eprintln!("error: cannot create a temporary directory: {e}");
        Exit(1)
    })?;
    let runner = ModeRunner::new(ctx, scratch.path())?;
    // Modes whose backend cannot work here (no libLLVM) are listed as unavailable, not run:
    // the others still get compared.
    let mut results = Vec::new();
    let mut unavailable = Vec::new();
    for mode in Mode::ALL {
        match runner.unavailable(mode) {
            Some(why) => unavailable.push((mode, why)),
            None => results.push(runner.run(mode, &a.file, &a.args)),
        }
    }

    print_table(&results);
    for (mode, why) in &unavailable {
        println!("{:<14} unavailable: {why}", mode.name());
    }
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
    let svg_ok = match &a.svg {
        Some(path) => write_chart(path, &a.file.display().to_string(), &results),
        None => true,
    };
    if mismatch {
        println!("\nmodes disagree");
        Ok(1)
    } else if !unavailable.is_empty() {
        println!("\nall {} available modes agree", results.len());
        Ok(if svg_ok { 0 } else { 1 })
    } else {
        println!("\nall {} modes agree", results.len());
        Ok(if svg_ok { 0 } else { 1 })
    }
}

fn agrees(a: &ModeResult, b: &ModeResult) -> bool {
    a.stdout == b.stdout && a.exit == b.exit
}

/// `--svg`: one group of bars per mode (compile ms, run ms), log scale. Reports a failure
/// on stderr and returns false.
fn write_chart(path: &std::path::Path, program: &str, results: &[ModeResult]) -> bool {
    let groups: Vec<String> = results.iter().map(|r| r.mode.name().to_string()).collect();
    let series = vec![
        Series {
            name: "compile ms".into(),
            values: results.iter().map(|r| r.compile_ms()).collect(),
        },
        Series { name: "run ms".into(), values: results.iter().map(|r| r.run_ms()).collect() },
    ];
    let title = format!("nyash compare {program}");
    let chart = BarChart {
        title: &title,
        y_desc: "milliseconds (log scale)",
        groups: &groups,
        series: &series,
        value_labels: true,
    };
    match chart::write_svg(path, &chart) {
        Ok(()) => {
            eprintln!("wrote {}", path.display());
            true
        }
        Err(e) => {
            eprintln!("error: cannot write the chart `{}`: {e}", path.display());
            false
        }
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
            r.mode.name(),
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
    let name = other.mode.name();
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
            mode: Mode::ALL[mode],
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
