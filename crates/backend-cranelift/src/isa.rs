//! Host target ISA construction from the backend `Options` (opt level, verifier, PIC).

use crate::internal;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use nyash_mir::{BackendError, OptLevel, Options};

/// Whether the generated code will be linked as position independent (AOT) or placed at a
/// fixed address by the JIT (cranelift-jit requires `is_pic=false`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeModel {
    Jit,
    Object,
}

/// The native ISA with our settings. The verifier runs under `--verify` and in debug builds.
pub(crate) fn host_isa(opts: &Options, model: CodeModel) -> Result<OwnedTargetIsa, BackendError> {
    build(opts, model, false)
}

/// The ISA for code that runs at most once (`codegen::function::Lowered::cold`): no e-graph and the
/// single-pass register allocator. Code quality cannot pay back there, and those two passes
/// are most of what compiling a function costs (the backtracking allocator alone about
/// half). Same code model and verifier as `host_isa`, so its functions link alike.
pub(crate) fn quick_isa(opts: &Options, model: CodeModel) -> Result<OwnedTargetIsa, BackendError> {
    build(opts, model, true)
}

fn build(opts: &Options, model: CodeModel, quick: bool) -> Result<OwnedTargetIsa, BackendError> {
    let mut flags = settings::builder();
    // The e-graph (GVN, LICM, rewrites, redundant-load elimination) only at -O3: at the
    // default level the MIR pipeline has already hoisted and merged what it would
    // (`Passes::licm_gvn`), and the e-graph was a fifth of what compiling a function cost.
    let opt_level = match opts.opt_level {
        OptLevel::O3 if !quick => "speed",
        _ => "none",
    };
    let verify = opts.verify || cfg!(debug_assertions);
    let settings: [(&str, &str); 5] = [
        ("opt_level", opt_level),
        ("regalloc_algorithm", if quick { "single_pass" } else { "backtracking" }),
        ("enable_verifier", if verify { "true" } else { "false" }),
        ("is_pic", if model == CodeModel::Object { "true" } else { "false" }),
        // JIT code may land far from the runtime; never assume a near call.
        ("use_colocated_libcalls", "false"),
    ];
    for (name, value) in settings {
        flags.set(name, value).map_err(|e| {
            internal(None, format!("cannot set Cranelift flag {name}={value}: {e}"))
        })?;
    }
    let isa_builder = crate::host_cpu::builder()
        .map_err(|e| internal(None, format!("host machine is not supported: {e}")))?;
    isa_builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| internal(None, format!("cannot build the host ISA: {e}")))
}
