//! Memory tests: each `memory/*.nyash` program builds and drops millions of short-lived heap
//! values (strings, user-box instances, MapBox keys and values) on every mode, and its peak RSS must not grow with the
//! number of iterations — a leak of even one small object per iteration fails.
//!
//! Each program takes its iteration count as `args[0]` (10 M strings / 1 M instances / 1 M map
//! rounds on the native modes; the runtime and VM are optimized even in dev builds). A trial runs it twice: with a
//! tenth of the count (the baseline: startup, code generation, the runtime, and a tenth of any
//! leak) and with the full count; the test asserts that the peak RSS grows by less than
//! `MAX_GROWTH_KB` between the two, and that the output is right. Comparing against a
//! baseline instead of a fixed limit keeps the check tight on every mode (an LLVM JIT process
//! starts at ~75 MB, an AOT executable at ~3 MB). Peak RSS is sampled from the process that
//! runs the program (for AOT, the executable, not the build). Runs use the normal free path
//! (`NYASH_RC_CHECK` off: it keeps freed objects). Like `conformance.rs`, this binary doubles
//! as the `nyash` CLI.

use libtest_mimic::{Arguments, Failed, Trial};
use nyash_tests::corpus::Case;
use nyash_tests::exec::{self, Cli, Mode, Outcome};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The most the peak RSS may grow from the baseline run (a tenth of the iterations) to the
/// full run. A leaked ~50-byte string
/// costs ~85 bytes with malloc's overhead (measured by keeping them in an ArrayBox), so every
/// big count below would leak several times this much if even one kind of drop were missing.
const MAX_GROWTH_KB: u64 = 12 * 1024;

/// Iteration counts of the big run: `(native modes, vm)`. The VM runs fewer strings to keep
/// the suite under a minute; two million still leak far past `MAX_GROWTH_KB`.
type Counts = (u64, u64);

/// One program and how to check it.
struct Workload {
    file: &'static str,
    counts: Counts,
    /// The stdout the program must print for a count.
    expected: fn(u64) -> String,
}

const WORKLOADS: &[Workload] = &[
    Workload { file: "strings.nyash", counts: (10_000_000, 2_000_000), expected: strings },
    Workload { file: "boxes.nyash", counts: (1_000_000, 1_000_000), expected: boxes },
    Workload { file: "maps.nyash", counts: (1_000_000, 1_000_000), expected: maps },
];

/// The program text both workloads build their strings from.
const PREFIX: &str = "a short string of about fifty bytes, number ";

/// Decimal digits of `i`.
fn digits(i: u64) -> u64 {
    i.checked_ilog10().map_or(1, |d| u64::from(d) + 1)
}

/// `Σ (prefix+i+"."+"!").length() - (prefix+i).length()` (= 2 each), then the last string.
fn strings(n: u64) -> String {
    format!("{}\n{PREFIX}{}.\n", 2 * n, n - 1)
}

/// `Σ (prefix+i).length()`, then the number of `fini` calls: every instance but the one kept.
fn boxes(n: u64) -> String {
    let total: u64 = (0..n).map(|i| PREFIX.len() as u64 + digits(i)).sum();
    format!("{total}\n{n}\n")
}

/// Every key is found right after it is set; the map was just replaced (counts are multiples
/// of 1000).
fn maps(n: u64) -> String {
    format!("{n}\n0\n")
}

fn main() {
    if std::env::var_os("NYASH_HARNESS_AS_CLI").is_some_and(|v| v == "1") {
        std::process::exit(nyash_driver::main_with_args(std::env::args_os().collect()));
    }
    let args = Arguments::from_args();
    let cli = match exec::self_as_cli() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(101)
        }
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("memory");
    let timeout = exec::timeout_from_env().max(Duration::from_secs(120));
    let mut trials = Vec::new();
    for (index, w) in WORKLOADS.iter().enumerate() {
        let case = Case { rel: w.file.to_string(), dir: dir.clone(), file_name: w.file.into() };
        for mode in Mode::ALL {
            let (case, cli) = (case.clone(), cli.clone());
            let name = format!("memory/{}::{}", w.file, mode.name());
            trials.push(Trial::test(name, move || {
                run_trial(&cli, &case, &WORKLOADS[index], mode, timeout)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit()
}

fn run_trial(
    cli: &Cli,
    case: &Case,
    w: &Workload,
    mode: Mode,
    timeout: Duration,
) -> Result<(), Failed> {
    let (native, vm) = w.counts;
    let big = if mode == Mode::Vm { vm } else { native };
    let small = big / 10;
    let base = measured_run(cli, case, mode, small, w, timeout)?;
    let peak = measured_run(cli, case, mode, big, w, timeout)?;
    let growth = peak.saturating_sub(base);
    if growth >= MAX_GROWTH_KB {
        return Err(format!(
            "{} in mode {}: peak RSS grew from {} KiB ({small} iterations) to {} KiB ({big} \
             iterations): +{growth} KiB ≥ {MAX_GROWTH_KB} KiB — a leak",
            case.rel,
            mode.name(),
            base,
            peak
        )
        .into());
    }
    Ok(())
}

/// Runs the program with `count` iterations (normal free path: RC checking keeps freed memory
/// poisoned), checks its output, and returns its peak RSS in KiB.
fn measured_run(
    cli: &Cli,
    case: &Case,
    mode: Mode,
    count: u64,
    w: &Workload,
    timeout: Duration,
) -> Result<u64, Failed> {
    let mut peak = None;
    let mut run = |cmd: Command, timeout: Duration| {
        let (outcome, kb) = run_sampling_peak(cmd, timeout);
        peak = kb;
        outcome
    };
    let started = Instant::now();
    let out = exec::run_case_with(cli, case, mode, &[count.to_string()], timeout, false, &mut run);
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want = (w.expected)(count);
    if out.exit != Ok(0) || stdout != want {
        return Err(format!(
            "{} in mode {} with {count} iterations: exit {:?} (want 0), stdout {:?} (want \
             {want:?})\nstderr:\n{}",
            case.rel,
            mode.name(),
            out.exit,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    if std::env::var_os("NYASH_MEMORY_VERBOSE").is_some() {
        eprintln!("{} {} n={count}: {peak:?} KiB in {took:.2?}", case.rel, mode.name());
    }
    peak.ok_or_else(|| Failed::from(format!("{}: no resource usage for the child", case.rel)))
}

/// Like `exec::run_with_timeout`, but samples the child's peak RSS (`VmHWM` in
/// `/proc/<pid>/status`, in KiB) every few milliseconds while it runs; returns the last
/// (largest) value seen. `ru_maxrss` from `wait4` would be wrong here: Linux carries the
/// spawning process's high-water mark over `exec`, so every child would appear at least as big
/// as this (LLVM-linked) test binary and a leak in a 3 MB AOT executable would be invisible.
/// The high-water mark only rises, so missing the last few milliseconds before exit (when the
/// program only frees) loses nothing a leak would show.
fn run_sampling_peak(cmd: Command, timeout: Duration) -> (Outcome, Option<u64>) {
    // `spawn` returns after the child has `exec`ed (posix_spawn), so every sample is of the
    // program's own address space. Sampled before the child is reaped: a zombie has no
    // `VmHWM` line any more and contributes nothing.
    let mut peak: Option<u64> = None;
    let out = exec::run_watched(cmd, timeout, Duration::from_millis(2), |pid| {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"));
        if let Some(kb) = status.ok().and_then(|s| vm_hwm(&s)) {
            peak = peak.max(Some(kb));
        }
    });
    (out, peak)
}

/// The `VmHWM:  1234 kB` value of a `/proc/<pid>/status` text.
fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
