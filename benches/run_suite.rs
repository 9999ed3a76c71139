//! Criterion bench "run_suite": run time of the JIT modes (cranelift-jit, llvm-jit at -O2)
//! on a few suite programs (`RUN_BENCH_PROGRAMS`), in process.
//!
//! Each iteration is one `Backend::run` (JIT compile + run); `<mode>/run-phase` times the
//! same runs by the backend's own `run` phase, which leaves the JIT compile out. The
//! programs' checksum lines go to /dev/null while timed (`SilencedStdout`). Every program is
//! run once untimed first; a mode that fails there is skipped with a note. For all modes,
//! baselines and output checks, use `nyash bench benches/programs/*.nyash` instead.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use nyash_benches::{
    front_end_for, load_suite_program, options, run_in_process, skip_note, BackendKind,
    SilencedStdout, RUN_BENCH_PROGRAMS,
};
use nyash_mir::OptLevel;
use std::time::Duration;

fn run_suite(c: &mut Criterion) {
    let opts = options(OptLevel::O2);
    for name in RUN_BENCH_PROGRAMS {
        let mut group = c.benchmark_group(format!("run_suite/{name}"));
        // Runs take 50 ms to seconds: 10 flat samples keep a group under a minute.
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));

        let src = match load_suite_program(name) {
            Ok(x) => x,
            Err(e) => {
                skip_note(&format!("run_suite/{name}"), &e);
                group.finish();
                continue;
            }
        };
        for (mode, kind) in
            [("cranelift-jit", BackendKind::Cranelift), ("llvm-jit", BackendKind::Llvm)]
        {
            // The MIR this backend gets from `nyash` (its own pass choices).
            let module = match front_end_for(&src, kind) {
                Ok(m) => m,
                Err(e) => {
                    skip_note(&format!("run_suite/{name}/{mode}"), &e);
                    continue;
                }
            };
            let first = {
                let _quiet = SilencedStdout::new();
                run_in_process(kind, &module, &opts, &src.name)
            };
            if let Err(e) = first {
                skip_note(&format!("run_suite/{name}/{mode}"), &e);
                continue;
            }
            group.bench_function(mode, |b| {
                b.iter(|| {
                    let _quiet = SilencedStdout::new();
                    run_in_process(kind, &module, &opts, &src.name)
                })
            });
            group.bench_function(format!("{mode}/run-phase"), |b| {
                b.iter_custom(|iters| {
                    let _quiet = SilencedStdout::new();
                    (0..iters)
                        .map(|_| {
                            run_in_process(kind, &module, &opts, &src.name)
                                .map(|t| t.run)
                                .unwrap_or_default()
                        })
                        .sum()
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, run_suite);
criterion_main!(benches);
