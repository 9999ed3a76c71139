//! `nyash bench` end to end on a tiny program: the built `nyash` binary is spawned (bench
//! runs its modes as children of the current executable, so it cannot run inside the test
//! binary), and its table, `--json` samples and `--svg` chart are checked.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory under the system temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("nyash-bench-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PROGRAM: &str = "\
static box Main {
    main() {
        local i = 0
        local s = 0
        loop(i < 1000) {
            s = s + i % 7
            i = i + 1
        }
        print(s)
        return 0
    }
}
";

const C_PROGRAM: &str = "\
#include <stdio.h>
int main(void) {
    long s = 0;
    for (long i = 0; i < 1000; i++) s += i % 7;
    printf(\"%ld\\n\", s);
    return 0;
}
";

/// True when a C compiler is available (the `c` baseline and nothing else needs it here).
fn have_cc() -> bool {
    Command::new("cc").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The contents of every `<text>` element of an SVG, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

fn bench(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .current_dir(dir)
        .args(["bench", "tiny.nyash", "--runs", "1", "--warmup", "0"])
        .args(extra)
        .output()
        .expect("run nyash bench");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bench_writes_table_json_and_svg() {
    let dir = Scratch::new("ok");
    std::fs::write(dir.0.join("tiny.nyash"), PROGRAM).expect("write program");
    let cc = have_cc();
    let mut args = vec!["--modes", "vm,cranelift-jit", "--json", "out.json", "--svg", "out.svg"];
    if cc {
        std::fs::write(dir.0.join("tiny.c"), C_PROGRAM).expect("write C program");
        args.extend(["--baseline", "c"]);
    }
    let (code, stdout, stderr) = bench(&dir.0, &args);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");

    // The table: a header, one row per mode (and C), all agreeing.
    assert!(stdout.contains("compile ms") && stdout.contains("run ms"), "{stdout}");
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["tiny", name]))
            .unwrap_or_else(|| panic!("no {name} row in\n{stdout}"))
            .to_string()
    };
    assert!(row("vm").ends_with("ok (reference)"), "{stdout}");
    assert!(row("cranelift-jit").ends_with("ok"), "{stdout}");
    if cc {
        assert!(row("c").ends_with("ok") && row("c").contains("1.00x"), "{stdout}");
        assert!(row("vm").contains('x'), "vm row has no ratio to C:\n{stdout}");
    }
    assert!(stdout.contains("all outputs agree"), "{stdout}");
    // Totals are for several programs; one program's rows already say it all.
    assert!(!stdout.contains("totals over"), "{stdout}");
    assert!(stderr.contains("bench: [1/1] tiny.nyash: vm"), "no progress line:\n{stderr}");

    // The JSON: every sample, per program and mode.
    let text = std::fs::read_to_string(dir.0.join("out.json")).expect("json written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["runs"], 1);
    let program = &json["programs"][0];
    assert_eq!(program["name"], "tiny");
    let results = program["results"].as_array().expect("results array");
    assert_eq!(results.len(), if cc { 3 } else { 2 }, "{text}");
    for (r, name) in results.iter().zip(["vm", "cranelift-jit", "c"]) {
        assert_eq!(r["name"], name, "{text}");
        let runs = r["run_ms"].as_array().expect("run_ms samples");
        assert_eq!(runs.len(), 1, "{text}");
        assert!(runs[0].as_f64().is_some_and(|v| v >= 0.0), "{text}");
        assert_eq!(r["compile_ms"].as_array().map(Vec::len), Some(1), "{text}");
        assert!(r["median_run_ms"].is_number(), "{text}");
    }
    assert_eq!(results[0]["status"], "reference");
    assert_eq!(results[1]["status"], "ok");

    // The chart: an SVG document naming the program and every series.
    let svg = std::fs::read_to_string(dir.0.join("out.svg")).expect("svg written");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
    let texts = svg_texts(&svg);
    let mut labels = vec!["tiny", "vm", "cranelift-jit", "run ms (log scale)"];
    if cc {
        labels.push("c (cc -O2)");
    }
    for label in labels {
        assert!(texts.iter().any(|t| t == label), "no `{label}` in {texts:?}");
    }
    assert!(svg.matches("<rect").count() >= 3, "no bars in {svg}");
}

#[test]
fn bench_reports_mismatches_and_missing_baselines_loudly() {
    let dir = Scratch::new("mismatch");
    std::fs::write(dir.0.join("tiny.nyash"), PROGRAM).expect("write program");
    // A Lua "baseline" that prints the wrong answer: only checked when luajit exists, but
    // either way the row must say what happened.
    std::fs::write(dir.0.join("tiny.lua"), "print(\"wrong\")\n").expect("write lua");
    let (code, stdout, stderr) = bench(&dir.0, &["--modes", "vm", "--baseline", "luajit,c"]);
    let luajit = stdout.lines().find(|l| l.starts_with("tiny ") && l.contains(" luajit "));
    let luajit = luajit.unwrap_or_else(|| panic!("no luajit row:\n{stdout}\n{stderr}"));
    if luajit.contains("skipped") {
        assert!(luajit.contains("luajit not found"), "{stdout}");
        assert!(stdout.contains("note: luajit not found, skipped"), "{stdout}");
    } else {
        assert!(luajit.contains("MISMATCH"), "{stdout}");
        assert!(stdout.contains("!! MISMATCH tiny/luajit"), "{stdout}");
        assert_eq!(code, 1, "{stdout}");
    }
    // No tiny.c was written: the C row says so instead of failing.
    assert!(stdout.contains("skipped: no tiny.c"), "{stdout}");
}
