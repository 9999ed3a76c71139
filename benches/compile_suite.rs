//! Criterion bench "compile_suite": compile time of every `programs/` suite program, per
//! stage and backend: the front end (parse + lower + passes: the VM's pass set, and each
//! native backend's own), Cranelift code generation, and LLVM code generation at -O0 and
//! -O2.
//!
//! The backend benches time `emit_object` on MIR built once outside the timed loop, so they
//! measure code generation plus object emission only. A program or backend that fails its
//! one untimed try is skipped with a note; the rest are still measured.
//! Filter like any criterion bench: `cargo bench -p nyash-benches --bench compile_suite -- matmul`.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use nyash_benches::{
    front_end, front_end_for, load_suite_program, options, skip_note, try_emit_object, BackendKind,
    SUITE,
};
use nyash_mir::OptLevel;
use std::time::Duration;

fn compile_suite(c: &mut Criterion) {
    for name in SUITE {
        let mut group = c.benchmark_group(format!("compile_suite/{name}"));
        // Flat sampling: 10 equal samples; an LLVM -O2 compile is tens of milliseconds.
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));

        let src = match load_suite_program(name).and_then(|src| {
            front_end(&src)?;
            Ok(src)
        }) {
            Ok(src) => {
                group.bench_function("front_end", |b| b.iter(|| front_end(&src)));
                // The front end as each native backend runs it (its own optional passes), so
                // a whole pipeline is this plus the backend's codegen below.
                for (id, kind) in [
                    ("front_end_cranelift", BackendKind::Cranelift),
                    ("front_end_llvm", BackendKind::Llvm),
                ] {
                    group.bench_function(id, |b| b.iter(|| front_end_for(&src, kind)));
                }
                src
            }
            Err(e) => {
                skip_note(&format!("compile_suite/{name}"), &e);
                group.finish();
                continue;
            }
        };

        let backends = [
            ("cranelift", BackendKind::Cranelift, OptLevel::O2),
            ("llvm-O0", BackendKind::Llvm, OptLevel::O0),
            ("llvm-O2", BackendKind::Llvm, OptLevel::O2),
        ];
        for (id, kind, level) in backends {
            let opts = options(level);
            // The MIR this backend gets from `nyash` (its own pass choices).
            let module = match front_end_for(&src, kind) {
                Ok(m) => m,
                Err(e) => {
                    skip_note(&format!("compile_suite/{name}/{id}"), &e);
                    continue;
                }
            };
            if let Err(e) = try_emit_object(kind, &module, &opts) {
                skip_note(&format!("compile_suite/{name}/{id}"), &e);
                continue;
            }
            let backend = kind.backend();
            group.bench_function(id, |b| b.iter(|| backend.emit_object(&module, &opts)));
        }
        group.finish();
    }
}

criterion_group!(benches, compile_suite);
criterion_main!(benches);
