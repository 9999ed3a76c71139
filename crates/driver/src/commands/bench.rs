//! `nyash bench FILE…`: runs every program on each requested mode (children of this
//! executable, see `modes.rs`) and on the C / LuaJIT baselines beside it, several times
//! after warm-up runs, checks that all outputs agree, and reports medians (`bench_report`),
//! raw samples (`--json`) and a chart (`--svg`).

use super::bench_report::{
    self, first_difference, JsonMeta, Kind, ProgramResult, SeriesResult, Verdict,
};
use super::modes::ModeRunner;
use crate::chart::{self, BarChart};
use crate::cli::{opt_level_flag, Baseline, BenchArgs, Mode};
use crate::compile::{front_end, read_source};
use crate::link::{c_compiler, find_on_path};
use crate::tempdir::TempDir;
use crate::{Ctx, Exit};
use nyash_mir::pipeline::Passes;
use nyash_mir::Timings;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn bench(ctx: &Ctx, a: &BenchArgs) -> Result<i32, Exit> {
    let scratch = TempDir::new("bench").map_err(|e| {
        eprintln!("error: cannot create a temporary directory: {e}");
        Exit(1)
    })?;
    let runner = ModeRunner::new(ctx, scratch.path())?;
    let mut notes = Vec::new();
    let luajit = if a.baselines.contains(&Baseline::Luajit) {
        let found = find_on_path("luajit");
        if found.is_none() {
            let note = "luajit not found, skipped".to_string();
            eprintln!("note: {note}");
            notes.push(note);
        }
        found
    } else {
        None
    };
    // A mode whose backend cannot work here (no libLLVM) is reported as skipped, like a
    // missing luajit, rather than failing every program.
    let mut unavailable = Vec::new();
    for &mode in &a.modes {
        if let Some(why) = runner.unavailable(mode) {
            let note = format!("{} skipped: {why}", mode.name());
            eprintln!("note: {note}");
            notes.push(note);
            unavailable.push((mode, why));
        }
    }
    let bench = Bench {
        args: a,
        runner,
        unavailable,
        scratch: scratch.path(),
        luajit,
        progress: Progress { tty: std::io::stderr().is_terminal() },
        budget: Duration::from_secs_f64(a.max_time),
    };

    println!(
        "nyash bench: {} measured run(s) after {} warm-up run(s), {}; median milliseconds",
        a.runs,
        a.warmup,
        opt_level_flag(ctx.opts.opt_level)
    );
    println!("(compile = front end + codegen, + link for AOT modes; vs C = run time / C's)\n");
    print!("{}", bench_report::table_header());
    let mut programs = Vec::new();
    for (i, file) in a.files.iter().enumerate() {
        let label = format!("[{}/{}] {}", i + 1, a.files.len(), file.display());
        let result = bench.program(ctx, file, &label);
        bench.progress.clear();
        print!("{}", bench_report::program_rows(&result));
        let _ = std::io::stdout().flush();
        programs.push(result);
    }

    let totals = bench_report::totals(&programs);
    if !totals.is_empty() {
        print!("\n{totals}");
    }
    let (problems, summary) = bench_report::summary(&programs);
    print!("\n{summary}");
    for note in &notes {
        println!("note: {note}");
    }
    let mut ok = problems == 0;
    if let Some(path) = &a.json {
        let meta = JsonMeta {
            opt_level: opt_level_flag(ctx.opts.opt_level),
            runs: a.runs,
            warmup: a.warmup,
            max_time_s: a.max_time,
            modes: a.modes.iter().map(|m| m.name()).collect(),
            baselines: a.baselines.iter().map(|b| b.name()).collect(),
            notes: &notes,
        };
        let doc = bench_report::to_json(&meta, &programs);
        let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
        ok &= write_output(path, "samples", |p| {
            std::fs::write(p, text + "\n").map_err(|e| e.to_string())
        });
    }
    if let Some(path) = &a.svg {
        let (groups, series) = bench_report::chart_data(&programs);
        let chart = BarChart {
            title: "nyash bench: median run time per program",
            y_desc: "run ms (log scale)",
            groups: &groups,
            series: &series,
            value_labels: false,
        };
        ok &= write_output(path, "chart", |p| chart::write_svg(p, &chart));
    }
    Ok(if ok { 0 } else { 1 })
}

fn write_output(path: &Path, what: &str, write: impl FnOnce(&Path) -> Result<(), String>) -> bool {
    match write(path) {
        Ok(()) => {
            eprintln!("wrote {what} to {}", path.display());
            true
        }
        Err(e) => {
            eprintln!("error: cannot write the {what} to `{}`: {e}", path.display());
            false
        }
    }
}

struct Bench<'a> {
    args: &'a BenchArgs,
    runner: ModeRunner<'a>,
    /// Requested modes that cannot run here, and why.
    unavailable: Vec<(Mode, String)>,
    scratch: &'a Path,
    luajit: Option<PathBuf>,
    progress: Progress,
    budget: Duration,
}

/// The outcome of one run of anything: its stdout, its times, or how it failed.
struct Sample {
    stdout: Vec<u8>,
    compile_ms: Option<f64>,
    run_ms: Option<f64>,
    failure: Option<String>,
}

impl Sample {
    /// The run of a series that never runs (skipped, or its baseline did not build).
    fn none() -> Sample {
        Sample {
            stdout: Vec::new(),
            compile_ms: None,
            run_ms: None,
            failure: Some("not run".into()),
        }
    }
}

/// The stdout every series is checked against: the first series that ran successfully.
struct Reference {
    name: String,
    stdout: Vec<u8>,
}

impl Bench<'_> {
    fn program(&self, ctx: &Ctx, file: &Path, label: &str) -> ProgramResult {
        let name = file
            .file_stem()
            .map_or_else(|| file.display().to_string(), |s| s.to_string_lossy().into_owned());
        let mut result =
            ProgramResult { file: file.display().to_string(), name, series: Vec::new() };

        // Compile errors are reported once here, with their diagnostics, not once per mode.
        self.progress.show(&format!("{label}: checking"), false);
        let compiles = read_source(file)
            .and_then(|src| {
                front_end(&src, ctx.opts.verify, Passes::default(), &mut Timings::default())
            })
            .is_ok();
        if !compiles {
            for mode in &self.args.modes {
                result.series.push(SeriesResult {
                    name: mode.name().into(),
                    kind: Kind::Mode,
                    compile_ms: Vec::new(),
                    run_ms: Vec::new(),
                    verdict: Verdict::Failed("does not compile (see the diagnostics above)".into()),
                });
            }
            return result;
        }

        let mut series: Vec<Series<'_>> = Vec::new();
        for &mode in &self.args.modes {
            let what = format!("{label}: {}", mode.name());
            if let Some((_, why)) = self.unavailable.iter().find(|(m, _)| *m == mode) {
                series.push(Series::skipped(what, mode.name(), Kind::Mode, why.clone()));
                continue;
            }
            series.push(Series::new(what, mode.name(), Kind::Mode, move || {
                let r = self.runner.run(mode, file, &[]);
                Sample {
                    compile_ms: r.compile_ms(),
                    run_ms: r.run_ms(),
                    failure: r.failure(),
                    stdout: r.stdout,
                }
            }));
        }
        for &baseline in &self.args.baselines {
            let what = format!("{label}: {}", baseline.name());
            series.push(self.baseline(file, baseline, what));
        }
        self.measure(&mut series);
        result.series = series.into_iter().map(|s| s.result).collect();
        result
    }

    /// Builds (C) and prepares one baseline's runs, or says why it cannot run.
    fn baseline<'s>(&'s self, file: &Path, baseline: Baseline, what: String) -> Series<'s> {
        let name = baseline.name();
        let done = |verdict: Verdict, compile_ms: Vec<f64>| {
            let mut s = Series::new(what.clone(), name, Kind::Baseline, Sample::none);
            s.result.verdict = verdict;
            s.result.compile_ms = compile_ms;
            s.finished = true;
            s
        };
        let source = file.with_extension(baseline.extension());
        if !source.is_file() {
            return Series::skipped(what, name, Kind::Baseline, format!("no {}", source.display()));
        }
        match baseline {
            Baseline::C => {
                self.progress.show(&format!("{what}: cc -O2"), false);
                let exe = self.scratch.join("baseline_c.bin");
                let (compile_ms, built) = compile_c(&source, &exe);
                if let Err(e) = built {
                    return done(Verdict::Failed(e), vec![compile_ms]);
                }
                let mut s = Series::new(what, name, Kind::Baseline, move || {
                    timed_process(Command::new(&exe))
                });
                s.result.compile_ms = vec![compile_ms];
                s
            }
            Baseline::Luajit => {
                let Some(luajit) = &self.luajit else {
                    return Series::skipped(what, name, Kind::Baseline, "luajit not found".into());
                };
                Series::new(what, name, Kind::Baseline, move || {
                    let mut cmd = Command::new(luajit);
                    cmd.arg(&source);
                    timed_process(cmd)
                })
            }
        }
    }

    /// Warm-up runs, then measured runs, in rounds: each round runs every series once, so a
    /// machine whose speed drifts (a shared VM) slows all of them alike and their ratios
    /// stay fair, where one series after another would each meet a different machine.
    /// A series stops early once its own time passes the budget (the first measured run
    /// always happens) or a run fails; every run's stdout is checked against the reference,
    /// the first successful run's.
    fn measure(&self, series: &mut [Series<'_>]) {
        let a = self.args;
        let mut reference: Option<Reference> = None;
        for i in 0..a.warmup + a.runs {
            let measured = i >= a.warmup;
            for s in series.iter_mut().filter(|s| !s.finished) {
                if s.spent > self.budget && (!measured || i > a.warmup) {
                    s.finished = measured;
                    continue;
                }
                let step = if measured {
                    format!("{}: run {}/{}", s.what, i - a.warmup + 1, a.runs)
                } else {
                    format!("{}: warm-up {}/{}", s.what, i + 1, a.warmup)
                };
                self.progress.show(&step, i == 0);
                let start = Instant::now();
                let sample = (s.once)();
                s.spent += start.elapsed();
                s.record(sample, measured, &mut reference);
            }
        }
    }
}

/// One series being measured: its results so far and how to take one more sample.
struct Series<'s> {
    /// Progress text naming the program and the mode or baseline.
    what: String,
    result: SeriesResult,
    /// Time spent on its runs so far (against `--max-time`).
    spent: Duration,
    /// No more runs: skipped, failed, or out of budget.
    finished: bool,
    once: Box<dyn FnMut() -> Sample + 's>,
}

impl<'s> Series<'s> {
    fn new(what: String, name: &str, kind: Kind, once: impl FnMut() -> Sample + 's) -> Self {
        Series {
            what,
            result: SeriesResult {
                name: name.into(),
                kind,
                compile_ms: Vec::new(),
                run_ms: Vec::new(),
                verdict: Verdict::Ok,
            },
            spent: Duration::ZERO,
            finished: false,
            once: Box::new(once),
        }
    }

    /// A series that never runs, and says why.
    fn skipped(what: String, name: &str, kind: Kind, why: String) -> Self {
        let mut s = Series::new(what, name, kind, Sample::none);
        s.result.verdict = Verdict::Skipped(why);
        s.finished = true;
        s
    }

    /// Takes in one run's outcome: a failure ends the series; the stdout becomes the
    /// reference or is checked against it; a measured run's times are kept.
    fn record(&mut self, sample: Sample, measured: bool, reference: &mut Option<Reference>) {
        let r = &mut self.result;
        if let Some(failure) = sample.failure {
            r.verdict = Verdict::Failed(failure);
            self.finished = true;
            return;
        }
        match reference {
            None => {
                *reference = Some(Reference { name: r.name.clone(), stdout: sample.stdout });
                r.verdict = Verdict::Reference;
            }
            Some(re) if re.stdout != sample.stdout && !r.verdict.is_problem() => {
                r.verdict =
                    Verdict::Mismatch(first_difference(&re.name, &re.stdout, &sample.stdout));
            }
            Some(_) => {}
        }
        if measured {
            r.compile_ms.extend(sample.compile_ms);
            r.run_ms.extend(sample.run_ms);
        }
    }
}

/// `cc -O2 SOURCE -o EXE -lm`: the milliseconds it took and whether it worked.
fn compile_c(source: &Path, exe: &Path) -> (f64, Result<(), String>) {
    let (mut cmd, cc) = c_compiler();
    cmd.arg("-O2").arg(source).arg("-o").arg(exe).arg("-lm").stdin(Stdio::null());
    let start = Instant::now();
    let out = cmd.output();
    let ms = crate::timings::ms(start.elapsed());
    let result = match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            Err(format!("`{cc} -O2` failed ({}): {first}", o.status))
        }
        Err(e) => Err(format!("cannot run `{cc}`: {e}")),
    };
    (ms, result)
}

/// Runs a baseline process to completion; its wall time is the run time.
fn timed_process(mut cmd: Command) -> Sample {
    cmd.stdin(Stdio::null());
    let start = Instant::now();
    let out = cmd.output();
    let run_ms = crate::timings::ms(start.elapsed());
    match out {
        Ok(o) => {
            let failure = match super::modes::exit_of(o.status) {
                Ok(0) => None,
                Ok(c) => Some(format!("exit {c}: {}", first_line(&o.stderr))),
                Err(e) => Some(e),
            };
            Sample { stdout: o.stdout, compile_ms: None, run_ms: Some(run_ms), failure }
        }
        Err(e) => Sample {
            stdout: Vec::new(),
            compile_ms: None,
            run_ms: None,
            failure: Some(format!("cannot start: {e}")),
        },
    }
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}

/// The progress line on stderr: rewritten in place on a terminal; otherwise one line per
/// program and mode (not per run), so logs stay short.
struct Progress {
    tty: bool,
}

impl Progress {
    /// Shows `text`; `milestone` marks the start of a series (printed even off a terminal).
    fn show(&self, text: &str, milestone: bool) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[K{text}");
            let _ = err.flush();
        } else if milestone {
            let _ = writeln!(err, "bench: {text}");
        }
    }

    /// Removes the progress line before table rows are printed.
    fn clear(&self) {
        if self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_on_path_but_not_nonsense() {
        assert!(find_on_path("sh").is_some());
        assert!(find_on_path("no-such-program-nyash-bench").is_none());
    }

    #[test]
    fn timed_process_reports_failures() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo boom >&2; exit 3"]);
        let s = timed_process(cmd);
        assert_eq!(s.stdout, b"out\n");
        assert_eq!(s.failure.as_deref(), Some("exit 3: boom"));
        assert!(s.run_ms.is_some());
    }
}
