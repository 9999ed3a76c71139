//! What `nyash bench` measured and how it is shown: the per-program results, medians and
//! ratios to C, the table on stdout, the `--json` samples and the `--svg` chart's data.

use crate::chart::Series;
use serde_json::{json, Value};

/// How one mode's or baseline's runs on one program turned out.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Its stdout is the one every other series is compared with.
    Reference,
    /// Same stdout as the reference.
    Ok,
    /// Ran fine but printed something else; the text says where they first differ.
    Mismatch(String),
    /// Did not build or exited with an error; the text says how.
    Failed(String),
    /// Not run at all (no baseline source, no luajit); the text says why.
    Skipped(String),
}

impl Verdict {
    /// True for outcomes that make `bench` exit with status 1.
    pub fn is_problem(&self) -> bool {
        matches!(self, Verdict::Mismatch(_) | Verdict::Failed(_))
    }

    fn status(&self) -> &'static str {
        match self {
            Verdict::Reference => "reference",
            Verdict::Ok => "ok",
            Verdict::Mismatch(_) => "mismatch",
            Verdict::Failed(_) => "failed",
            Verdict::Skipped(_) => "skipped",
        }
    }

    fn detail(&self) -> Option<&str> {
        match self {
            Verdict::Mismatch(d) | Verdict::Failed(d) | Verdict::Skipped(d) => Some(d),
            Verdict::Reference | Verdict::Ok => None,
        }
    }
}

/// Whether a series is one of nyash's modes or a foreign baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Mode,
    Baseline,
}

/// One mode's or baseline's measurements on one program: a sample per measured run.
#[derive(Clone, Debug)]
pub(crate) struct SeriesResult {
    /// `vm`, `llvm-aot`, …, `c`, `luajit`.
    pub name: String,
    pub kind: Kind,
    /// Compile ms per measured run (modes), the one `cc` run (C), or none (LuaJIT).
    pub compile_ms: Vec<f64>,
    pub run_ms: Vec<f64>,
    pub verdict: Verdict,
}

impl SeriesResult {
    pub fn median_run(&self) -> Option<f64> {
        median(&self.run_ms)
    }
}

/// Everything measured for one program.
pub(crate) struct ProgramResult {
    /// The path as given on the command line.
    pub file: String,
    /// The file stem: the group name in the table and the chart.
    pub name: String,
    pub series: Vec<SeriesResult>,
}

impl ProgramResult {
    /// The C baseline's median run time, when it ran and agreed with the reference.
    pub fn c_median(&self) -> Option<f64> {
        let c = self.series.iter().find(|s| s.kind == Kind::Baseline && s.name == "c")?;
        match c.verdict {
            Verdict::Ok | Verdict::Reference => c.median_run(),
            _ => None,
        }
    }
}

/// The median (mean of the middle two for an even count); `None` for no samples.
pub(crate) fn median(samples: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 })
}

/// Where two outputs first differ, as `line N: <reference name> "…", this "…"`.
pub(crate) fn first_difference(reference_name: &str, reference: &[u8], other: &[u8]) -> String {
    let a = String::from_utf8_lossy(reference);
    let b = String::from_utf8_lossy(other);
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let first = al.iter().zip(&bl).take_while(|(x, y)| x == y).count();
    let show = |lines: &[&str]| match lines.get(first) {
        Some(l) => format!("{:?}", clip(l)),
        None => "(end of output)".to_string(),
    };
    if first == al.len() && first == bl.len() {
        // Same lines: only a trailing newline or `\r` differs.
        return format!("stdout differs from {reference_name} in line endings");
    }
    format!("line {}: {reference_name} {}, this {}", first + 1, show(&al), show(&bl))
}

fn clip(line: &str) -> String {
    const MAX: usize = 60;
    if line.chars().count() <= MAX {
        line.to_string()
    } else {
        let head: String = line.chars().take(MAX).collect();
        format!("{head}…")
    }
}

pub(crate) fn table_header() -> String {
    format!(
        "{:<12} {:<14} {:>11} {:>11} {:>9} {:>4}  output\n",
        "program", "mode", "compile ms", "run ms", "vs C", "runs"
    )
}

/// The table rows of one program: medians, ratio of run time to C's, and the verdict.
pub(crate) fn program_rows(p: &ProgramResult) -> String {
    let c = p.c_median();
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
    let mut out = String::new();
    for s in &p.series {
        let run = s.median_run();
        let ratio = match (run, c) {
            (Some(r), Some(c)) if c > 0.0 => format!("{:.2}x", r / c),
            _ => "-".to_string(),
        };
        let output = match &s.verdict {
            Verdict::Reference => "ok (reference)".to_string(),
            Verdict::Ok => "ok".to_string(),
            Verdict::Mismatch(d) => format!("MISMATCH: {d}"),
            Verdict::Failed(d) => format!("FAILED: {d}"),
            Verdict::Skipped(d) => format!("skipped: {d}"),
        };
        out.push_str(&format!(
            "{:<12} {:<14} {:>11} {:>11} {:>9} {:>4}  {output}\n",
            p.name,
            s.name,
            cell(median(&s.compile_ms)),
            cell(run),
            ratio,
            s.run_ms.len(),
        ));
    }
    out
}

/// The closing lines: a loud list of every mismatch and failure, or an all-clear.
pub(crate) fn summary(programs: &[ProgramResult]) -> (usize, String) {
    let mut problems = 0;
    let mut out = String::new();
    for p in programs {
        for s in p.series.iter().filter(|s| s.verdict.is_problem()) {
            problems += 1;
            let what =
                if matches!(s.verdict, Verdict::Mismatch(_)) { "MISMATCH" } else { "FAILED" };
            let detail = s.verdict.detail().unwrap_or("");
            out.push_str(&format!("!! {what} {}/{}: {detail}\n", p.name, s.name));
        }
    }
    if problems == 0 {
        out.push_str("all outputs agree\n");
    } else {
        out.push_str(&format!("!! {problems} mode(s)/baseline(s) disagree or failed\n"));
    }
    (problems, out)
}

/// Per mode and baseline across the programs: compile medians summed (the Cranelift/LLVM
/// compile-time ratio at a glance) and the geometric mean of run time ÷ C's. A series counts
/// on the programs where its output agreed; the last column says on how many. The mean needs
/// C on each of them (else `-`), and so does a sum of compile times (LuaJIT has none). Empty
/// for a single program, whose rows already say it all.
pub(crate) fn totals(programs: &[ProgramResult]) -> String {
    if programs.len() < 2 {
        return String::new();
    }
    let mut names: Vec<&str> = Vec::new();
    for s in programs.iter().flat_map(|p| &p.series) {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let mut out = format!(
        "totals over {} programs (compile: medians summed; vs C: geometric mean)\n\
         {:<14} {:>11} {:>9} {:>9}\n",
        programs.len(),
        "mode",
        "compile ms",
        "vs C",
        "programs"
    );
    for name in names {
        let mut compile = Some(0.0);
        let mut log_ratio = Some(0.0);
        let mut counted = 0;
        for p in programs {
            let Some(s) = p.series.iter().find(|s| s.name == name) else { continue };
            if !matches!(s.verdict, Verdict::Reference | Verdict::Ok) {
                continue;
            }
            counted += 1;
            compile = compile.zip(median(&s.compile_ms)).map(|(sum, ms)| sum + ms);
            let ratio = s.median_run().zip(p.c_median()).filter(|&(r, c)| r > 0.0 && c > 0.0);
            log_ratio = log_ratio.zip(ratio).map(|(sum, (r, c))| sum + (r / c).ln());
        }
        if counted == 0 {
            continue;
        }
        let compile = compile.map_or_else(|| "-".to_string(), |ms| format!("{ms:.2}"));
        let ratio = log_ratio
            .map_or_else(|| "-".to_string(), |l| format!("{:.2}x", (l / counted as f64).exp()));
        out.push_str(&format!("{name:<14} {compile:>11} {ratio:>9} {counted:>9}\n"));
    }
    out
}

/// Settings recorded in the JSON beside the samples.
pub(crate) struct JsonMeta<'a> {
    pub opt_level: &'a str,
    pub runs: u32,
    pub warmup: u32,
    pub max_time_s: f64,
    pub modes: Vec<&'a str>,
    pub baselines: Vec<&'a str>,
    pub notes: &'a [String],
}

/// The `--json` document: settings, notes, and per program and series every sample plus the
/// medians the table shows.
pub(crate) fn to_json(meta: &JsonMeta, programs: &[ProgramResult]) -> Value {
    let programs: Vec<Value> = programs
        .iter()
        .map(|p| {
            let c = p.c_median();
            let results: Vec<Value> = p
                .series
                .iter()
                .map(|s| {
                    let run = s.median_run();
                    json!({
                        "name": s.name,
                        "kind": match s.kind { Kind::Mode => "mode", Kind::Baseline => "baseline" },
                        "status": s.verdict.status(),
                        "detail": s.verdict.detail(),
                        "compile_ms": s.compile_ms,
                        "run_ms": s.run_ms,
                        "median_compile_ms": median(&s.compile_ms),
                        "median_run_ms": run,
                        "run_ratio_to_c": run.zip(c).filter(|(_, c)| *c > 0.0).map(|(r, c)| r / c),
                    })
                })
                .collect();
            json!({ "file": p.file, "name": p.name, "results": results })
        })
        .collect();
    json!({
        "tool": "nyash bench",
        "nyash_version": env!("CARGO_PKG_VERSION"),
        "opt_level": meta.opt_level,
        "runs": meta.runs,
        "warmup": meta.warmup,
        "max_time_s": meta.max_time_s,
        "modes": meta.modes,
        "baselines": meta.baselines,
        "notes": meta.notes,
        "units": "milliseconds; compile = front end + codegen (+ link for AOT modes; cc for c)",
        "programs": programs,
    })
}

/// The chart's data: one group per program, one series per mode/baseline (in first-seen
/// order), valued by median run ms.
pub(crate) fn chart_data(programs: &[ProgramResult]) -> (Vec<String>, Vec<Series>) {
    let groups: Vec<String> = programs.iter().map(|p| p.name.clone()).collect();
    let mut names: Vec<String> = Vec::new();
    for s in programs.iter().flat_map(|p| &p.series) {
        if !names.contains(&s.name) {
            names.push(s.name.clone());
        }
    }
    let series = names
        .into_iter()
        .map(|name| {
            let values = programs
                .iter()
                .map(|p| {
                    let s = p.series.iter().find(|s| s.name == name)?;
                    match s.verdict {
                        Verdict::Reference | Verdict::Ok | Verdict::Mismatch(_) => s.median_run(),
                        Verdict::Failed(_) | Verdict::Skipped(_) => None,
                    }
                })
                .collect();
            let label = if name == "c" { "c (cc -O2)".to_string() } else { name };
            Series { name: label, values }
        })
        .collect();
    (groups, series)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, kind: Kind, run: &[f64], verdict: Verdict) -> SeriesResult {
        SeriesResult {
            name: name.into(),
            kind,
            compile_ms: vec![1.0; run.len()],
            run_ms: run.to_vec(),
            verdict,
        }
    }

    fn program() -> ProgramResult {
        ProgramResult {
            file: "b/fib.nyash".into(),
            name: "fib".into(),
            series: vec![
                series("vm", Kind::Mode, &[300.0, 100.0, 200.0], Verdict::Reference),
                series("llvm-aot", Kind::Mode, &[12.0, 10.0], Verdict::Mismatch("line 1".into())),
                series("c", Kind::Baseline, &[5.0], Verdict::Ok),
                series("luajit", Kind::Baseline, &[], Verdict::Skipped("luajit not found".into())),
            ],
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn rows_show_medians_ratios_and_verdicts() {
        let rows = program_rows(&program());
        let vm = rows.lines().find(|l| l.contains(" vm ")).expect("vm row");
        assert!(vm.contains("200.00") && vm.contains("40.00x") && vm.contains("ok (reference)"));
        let aot = rows.lines().find(|l| l.contains("llvm-aot")).expect("aot row");
        assert!(aot.contains("11.00") && aot.contains("2.20x") && aot.contains("MISMATCH"));
        assert!(rows.contains("skipped: luajit not found"), "{rows}");
        let (problems, text) = summary(&[program()]);
        assert_eq!(problems, 1);
        assert!(text.contains("!! MISMATCH fib/llvm-aot"), "{text}");
    }

    #[test]
    fn totals_sum_compile_times_and_average_ratios_geometrically() {
        let mut second = program();
        second.name = "loops".into();
        // C 5 ms on both; the VM 200 ms (40x) here and 20 ms (4x) there: geometric mean 12.65x.
        second.series[0] = series("vm", Kind::Mode, &[20.0], Verdict::Reference);
        let text = totals(&[program(), second]);
        assert!(text.starts_with("totals over 2 programs"), "{text}");
        let vm = text.lines().find(|l| l.starts_with("vm ")).expect("vm line");
        let cells: Vec<&str> = vm.split_whitespace().collect();
        assert_eq!(cells, ["vm", "2.00", "12.65x", "2"], "{text}");
        // A mismatching mode does not count; C is its own 1x; skipped LuaJIT has no line.
        assert!(!text.contains("llvm-aot"), "{text}");
        let c: Vec<&str> =
            text.lines().find(|l| l.starts_with("c ")).expect("c").split_whitespace().collect();
        assert_eq!(c, ["c", "2.00", "1.00x", "2"], "{text}");
        assert!(!text.contains("luajit"), "{text}");
        // A baseline without a compile step shows "-".
        let mut with_lua = program();
        with_lua.series[3] = SeriesResult {
            compile_ms: Vec::new(),
            ..series("luajit", Kind::Baseline, &[10.0], Verdict::Ok)
        };
        let text = totals(&[with_lua, program()]);
        let lua: Vec<&str> = text
            .lines()
            .find(|l| l.starts_with("luajit"))
            .expect("luajit")
            .split_whitespace()
            .collect();
        assert_eq!(lua, ["luajit", "-", "2.00x", "1"], "{text}");
        assert_eq!(totals(&[program()]), "");
        // Without C the compile times still add up; the ratios cannot be had.
        let no_c = || {
            let mut p = program();
            p.series.retain(|s| s.name != "c");
            p
        };
        let text = totals(&[no_c(), no_c()]);
        let vm = text.lines().find(|l| l.starts_with("vm ")).expect("vm line");
        assert_eq!(vm.split_whitespace().collect::<Vec<_>>(), ["vm", "2.00", "-", "2"], "{text}");
    }

    #[test]
    fn differences_name_the_first_differing_line() {
        let d = first_difference("vm", b"1\n2\n3\n", b"1\n2\n4\n");
        assert_eq!(d, "line 3: vm \"3\", this \"4\"");
        let d = first_difference("vm", b"1\n", b"1\n2\n");
        assert_eq!(d, "line 2: vm (end of output), this \"2\"");
        assert!(first_difference("vm", b"1\n", b"1").contains("line endings"));
    }

    #[test]
    fn json_has_every_sample_and_ratio() {
        let meta = JsonMeta {
            opt_level: "-O2",
            runs: 3,
            warmup: 1,
            max_time_s: 60.0,
            modes: vec!["vm", "llvm-aot"],
            baselines: vec!["c", "luajit"],
            notes: &["luajit not found, skipped".to_string()],
        };
        let v = to_json(&meta, &[program()]);
        let vm = &v["programs"][0]["results"][0];
        assert_eq!(vm["run_ms"].as_array().map(Vec::len), Some(3));
        assert_eq!(vm["median_run_ms"], 200.0);
        assert_eq!(vm["run_ratio_to_c"], 40.0);
        assert_eq!(v["programs"][0]["results"][3]["status"], "skipped");
        assert_eq!(v["notes"][0], "luajit not found, skipped");
    }

    #[test]
    fn chart_leaves_out_failed_and_skipped() {
        let (groups, series) = chart_data(&[program()]);
        assert_eq!(groups, ["fib"]);
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["vm", "llvm-aot", "c (cc -O2)", "luajit"]);
        assert_eq!(series[0].values, [Some(200.0)]);
        assert_eq!(series[3].values, [None]);
    }
}
