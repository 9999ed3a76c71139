//! Criterion bench "fib35": run time of `programs/fib.nyash` (fib(35)) in every mode, and of
//! the same algorithm in C (`programs/fib.c`, `cc -O2`) as the baseline.
//!
//! In-process modes (vm, cranelift-jit, llvm-jit) time `Backend::run`, which includes the
//! JIT compile of fib and prints `9227465` to stdout each iteration; `<jit>/run-phase` times
//! the same runs by the backend's reported `run` phase only (no JIT compile). AOT modes and C
//! are built once, checked to print the right answer, and timed as subprocesses (so they
//! include process start-up, a few hundred microseconds). A mode that does not build or run
//! correctly is skipped with a note; the others are still measured.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use nyash_benches::{
    build_c, build_nyash_executable, front_end_for, load_program, options, programs_dir,
    run_executable, run_in_process, scratch_dir, skip_note, Mode, FIB_EXPECTED,
};
use nyash_mir::OptLevel;
use std::time::Duration;

fn fib35(c: &mut Criterion) {
    let mut group = c.benchmark_group("fib35");
    // A VM run of fib(35) can take seconds: flat sampling keeps it at ~10 iterations.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));

    let dir = match scratch_dir() {
        Ok(d) => d,
        Err(e) => {
            skip_note("fib35 (no scratch directory)", &e);
            return;
        }
    };

    // The C baseline first: it needs nothing from the Nyash pipeline.
    match build_c("fib.c", &dir.join("fib_c")).and_then(|exe| check_output(&exe).map(|()| exe)) {
        Ok(exe) => {
            group.bench_function("c-O2", |b| b.iter(|| run_executable(&exe)));
        }
        Err(e) => skip_note("fib35/c-O2", &e),
    }

    let src = match load_program("fib.nyash") {
        Ok(s) => s,
        Err(e) => {
            skip_note("fib35 (Nyash modes)", &e);
            group.finish();
            return;
        }
    };
    let opts = options(OptLevel::O2);
    for mode in Mode::ALL {
        // The MIR this mode's backend gets from `nyash` (its own pass choices).
        let module = match front_end_for(&src, mode.backend()) {
            Ok(m) => m,
            Err(e) => {
                skip_note(&format!("fib35/{} (front end failed)", mode.name()), &e);
                continue;
            }
        };
        if mode.aot() {
            let exe = dir.join(format!("fib_{}", mode.name().replace('-', "_")));
            let built =
                build_nyash_executable(mode, &module, &programs_dir().join("fib.nyash"), &exe)
                    .and_then(|exe| check_output(&exe).map(|()| exe));
            match built {
                Ok(exe) => group.bench_function(mode.name(), |b| b.iter(|| run_executable(&exe))),
                Err(e) => {
                    skip_note(&format!("fib35/{}", mode.name()), &e);
                    continue;
                }
            };
        } else {
            let kind = mode.backend();
            if let Err(e) = run_in_process(kind, &module, &opts, &src.name) {
                skip_note(&format!("fib35/{}", mode.name()), &e);
                continue;
            }
            group.bench_function(mode.name(), |b| {
                b.iter(|| run_in_process(kind, &module, &opts, &src.name))
            });
            if mode != Mode::Vm {
                // The same runs, timed by the backend's own `run` phase: JIT compile and
                // runtime setup excluded, so this compares generated code with AOT and C.
                group.bench_function(format!("{}/run-phase", mode.name()), |b| {
                    b.iter_custom(|iters| {
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
        }
    }
    group.finish();
}

/// The executable must print exactly fib(35) before we bother timing it.
fn check_output(exe: &std::path::Path) -> Result<(), String> {
    let out = run_executable(exe)?;
    if out == FIB_EXPECTED {
        Ok(())
    } else {
        Err(format!("printed {out:?}, expected {FIB_EXPECTED:?}"))
    }
}

criterion_group!(benches, fib35);
criterion_main!(benches);
