//! Criterion bench "compile_1000_fns": front end, Cranelift and LLVM code generation times
//! for a generated program of 1000 functions (`nyash_benches::many_functions_source`).
//!
//! The backend benches time `emit_object` only: the MIR is built once outside the timed loop,
//! so they measure code generation (plus object emission), not parsing and lowering. A mode
//! that fails its one untimed try is skipped with a note instead of aborting the run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use nyash_benches::{
    front_end, many_functions_source, options, skip_note, try_emit_object, BackendKind,
};
use nyash_mir::OptLevel;
use nyash_syntax::SourceFile;
use std::time::Duration;

const FUNCTIONS: usize = 1000;

fn compile_1000_fns(c: &mut Criterion) {
    let src = SourceFile::new("many_functions.nyash", many_functions_source(FUNCTIONS));
    let mut group = c.benchmark_group("compile_1000_fns");
    // Flat sampling: every sample runs the same iteration count, so 10 samples of a ~1 s
    // LLVM -O2 compile cost ~10 iterations rather than criterion's linear 55.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));

    let module = match front_end(&src) {
        Ok(m) => m,
        Err(e) => {
            skip_note("compile_1000_fns (front end failed, nothing to measure)", &e);
            group.finish();
            return;
        }
    };
    group.bench_function("front_end", |b| b.iter(|| front_end(&src)));

    let backends = [
        ("cranelift", BackendKind::Cranelift, OptLevel::O2, "O2"),
        ("llvm", BackendKind::Llvm, OptLevel::O0, "O0"),
        ("llvm", BackendKind::Llvm, OptLevel::O2, "O2"),
    ];
    for (name, kind, level, level_name) in backends {
        let opts = options(level);
        let id = BenchmarkId::new(name, level_name);
        if let Err(e) = try_emit_object(kind, &module, &opts) {
            skip_note(&format!("compile_1000_fns/{name}/{level_name}"), &e);
            continue;
        }
        let backend = kind.backend();
        group.bench_function(id, |b| b.iter(|| backend.emit_object(&module, &opts)));
    }
    group.finish();
}

criterion_group!(benches, compile_1000_fns);
criterion_main!(benches);
