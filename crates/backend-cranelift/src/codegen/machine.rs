//! Machine-code generation of lowered CLIF functions, on up to one thread per core.
//!
//! Building CLIF needs the `Module` (to declare callees and data in each function), so it
//! stays sequential; `Context::compile` (e-graph, instruction selection, register
//! allocation, emission: nearly all of the backend's time) needs only the ISA, which is
//! `Sync`. Each function compiles independently of the others and its machine code depends
//! only on its CLIF and the ISA, so the caller gets exactly the bytes a sequential compile
//! gives and defines them into the module in MIR order: the output never depends on timing.

use crate::internal;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir;
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::print_errors::pretty_error;
use cranelift_codegen::Context;
use cranelift_module::{FuncId, ModuleReloc};
use nyash_mir::{BackendError, Module as MirModule, FUNCTION_ALIGN};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Below this many MIR instructions in the whole program, compiling on several threads
/// does not pay: a thread start costs tens of microseconds and one function usually
/// dominates a small program anyway. The threshold is high because this machine class is
/// often shared: when every core is busy a helper thread only competes with the caller,
/// and keeping each body's CLIF until the end costs allocations the one-by-one path reuses.
const PARALLEL_MIN_INSTS: usize = 3000;

/// Whether `mir` is big enough to compile on several threads (and the host has them).
pub(crate) fn worth_threads(mir: &MirModule) -> bool {
    let insts: usize = mir.funcs.iter().flat_map(|f| &f.blocks).map(|b| b.insts.len() + 1).sum();
    // `available_parallelism` reads cgroup files: only ask when the answer matters.
    mir.funcs.len() >= 2
        && insts >= PARALLEL_MIN_INSTS
        && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// Worker threads run Cranelift's passes, some of which recurse over the CFG; give them
/// the main thread's usual stack rather than the 2 MiB default.
const WORKER_STACK: usize = 8 << 20;

/// One function to compile: its CLIF body, its id in the module and its name (for errors).
pub(super) struct Job {
    pub clif: ir::Function,
    pub id: FuncId,
    pub name: String,
    /// Its code does not pay for optimizing (`function::Lowered::cold`): compile it with the
    /// quick ISA (`isa::quick_isa`).
    pub cold: bool,
}

/// The machine code of one function, ready for `Module::define_function_bytes`.
pub(super) struct Machine {
    pub id: FuncId,
    pub align: u64,
    pub bytes: Vec<u8>,
    pub relocs: Vec<ModuleReloc>,
    /// VCode disassembly, when it was asked for.
    pub vcode: Option<String>,
}

/// Compiles every job on up to one thread per core; the results are in job order.
/// `disasm` keeps each VCode listing.
pub(super) fn compile_all(
    isa: &dyn TargetIsa,
    quick: &dyn TargetIsa,
    jobs: Vec<Job>,
    disasm: bool,
) -> Vec<Result<Machine, BackendError>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(jobs.len());
    if threads <= 1 {
        let mut ctx = Context::new();
        return jobs
            .into_iter()
            .map(|job| compile_one(if job.cold { quick } else { isa }, &mut ctx, job, disasm))
            .collect();
    }

    // Biggest functions first, so no thread is left with a large one at the end.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs[i].clif.dfg.num_insts()));
    let slots: Vec<Mutex<Option<Job>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut ctx = Context::new();
        let mut done = Vec::new();
        // Each index is handed out once, so each slot is taken exactly once.
        while let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let job = slots[index].lock().ok().and_then(|mut slot| slot.take());
            if let Some(job) = job {
                let isa = if job.cold { quick } else { isa };
                done.push((index, compile_one(isa, &mut ctx, job, disasm)));
            }
        }
        done
    };
    let mut results: Vec<Option<Result<Machine, BackendError>>> =
        (0..slots.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads)
            .map(|_| {
                std::thread::Builder::new().stack_size(WORKER_STACK).spawn_scoped(s, work).ok()
            })
            .collect();
        // The calling thread works too; a helper that could not start just does nothing.
        for (index, result) in work() {
            results[index] = Some(result);
        }
        for helper in helpers.into_iter().flatten() {
            // `compile_one` catches panics, so a join error cannot carry a compile result.
            for (index, result) in helper.join().unwrap_or_default() {
                results[index] = Some(result);
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(internal(None, "a function was not compiled"))))
        .collect()
}

/// Compiles one function in `ctx` (reused across calls for its allocations).
pub(super) fn compile_one(
    isa: &dyn TargetIsa,
    ctx: &mut Context,
    job: Job,
    disasm: bool,
) -> Result<Machine, BackendError> {
    let Job { clif, id, name, .. } = job;
    ctx.clear();
    ctx.func = clif;
    ctx.set_disasm(disasm);
    // Cranelift asserts on some misuse instead of returning errors; name the function.
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if let Err(e) = ctx.compile(isa, &mut ControlPlane::default()) {
            return Err(pretty_error(e.func, e.inner).trim_end().to_string());
        }
        let compiled = ctx.compiled_code().ok_or("Cranelift returned no code")?;
        let relocs = compiled
            .buffer
            .relocs()
            .iter()
            .map(|r| ModuleReloc::from_mach_reloc(r, &ctx.func, id))
            .collect();
        Ok(Machine {
            id,
            // A cache line (`FUNCTION_ALIGN`) rather than Cranelift's 32 bytes.
            align: (compiled.buffer.alignment as u64).max(FUNCTION_ALIGN.into()),
            bytes: compiled.code_buffer().to_vec(),
            relocs,
            vcode: if disasm { compiled.vcode.clone() } else { None },
        })
    }));
    match outcome {
        Ok(Ok(machine)) => Ok(machine),
        Ok(Err(message)) => Err(internal(Some(&name), message)),
        Err(payload) => Err(internal(
            Some(&name),
            format!("panic in Cranelift: {}", crate::panic_message(&*payload)),
        )),
    }
}
