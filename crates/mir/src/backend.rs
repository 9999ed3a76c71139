//! The `Backend` trait every code generator implements, and its options, results and errors.

use crate::ir::Module;
use std::fmt;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum OptLevel {
    O0,
    O1,
    #[default]
    O2,
    O3,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub opt_level: OptLevel,
    /// Run the MIR verifier / backend IR verifier even in release builds.
    pub verify: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitKind {
    /// The backend's own IR: CLIF for Cranelift, LLVM IR for LLVM.
    Ir,
    /// Target assembly.
    Asm,
}

/// Phase timings. The driver fills in the front-end phases; backends fill in theirs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    pub parse: Duration,
    pub lower: Duration,
    pub passes: Duration,
    pub codegen: Duration,
    pub link: Duration,
    pub run: Duration,
}

#[derive(Clone, Copy, Debug)]
pub struct RunOutcome {
    /// The process exit status the program asked for (0..=255).
    pub exit_code: i32,
    /// `codegen` (including JIT finalization) and `run`.
    pub timings: Timings,
}

/// The alignment, in bytes, of every function the native backends generate (and, through
/// `crates/driver/build.rs`, of every runtime function an executable links): one cache line.
/// With the usual 16 (LLVM) or 32 (Cranelift), a function's loops sat at offsets modulo 64
/// that changed whenever anything linked before them changed size, and run times with them:
/// text.nyash's LLVM executable took 66 or 79 ms depending on whether the program code
/// before the runtime was 16 bytes longer, and sieve.nyash's 35 or 42 ms depending on where
/// the runtime's cold functions ended. Aligned to a line, code is laid out the same way in
/// every executable, so a change in one function does not move another one's speed.
/// `crates/driver/build.rs` passes its log2 (6) to the runtime's build: change both together.
pub const FUNCTION_ALIGN: u32 = 64;

#[derive(Clone, Debug)]
pub struct Object {
    /// A relocatable ELF object defining `main` (the entry) and referencing `nyrt_*` symbols.
    pub bytes: Vec<u8>,
    pub timings: Timings,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendError {
    /// This backend cannot do what was asked (e.g. the VM has no object files).
    Unsupported(String),
    /// A bug: the backend failed on valid MIR. `func` names the function being compiled.
    Internal { backend: &'static str, func: Option<String>, message: String },
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendError::Unsupported(m) => write!(f, "{m}"),
            BackendError::Internal { backend, func: Some(func), message } => {
                write!(f, "internal compiler error in the {backend} backend while compiling `{func}`: {message}")
            }
            BackendError::Internal { backend, func: None, message } => {
                write!(f, "internal compiler error in the {backend} backend: {message}")
            }
        }
    }
}

impl std::error::Error for BackendError {}

/// A code generator for legal MIR. `run` executes in this process; `emit_object` is for AOT.
pub trait Backend {
    fn name(&self) -> &'static str;
    /// The optional MIR passes to compile for this backend: the reference pipeline unless a
    /// backend gains from a different shape (all of them are semantics-preserving).
    fn passes(&self) -> crate::pipeline::Passes {
        crate::pipeline::Passes::default()
    }
    /// Whether this backend can work in this process; `Err` says what is missing (the LLVM
    /// backend loads its library here). Every other method fails the same way when it is not.
    fn available(&self) -> Result<(), BackendError> {
        Ok(())
    }
    /// Compile and run the module's entry in this process, with `args` as the program's
    /// argv (`args[0]` is the source file name). Returns the program's exit code.
    fn run(
        &self,
        module: &Module,
        opts: &Options,
        args: &[String],
    ) -> Result<RunOutcome, BackendError>;
    /// A relocatable object whose `main` symbol is the module entry.
    fn emit_object(&self, module: &Module, opts: &Options) -> Result<Object, BackendError>;
    /// Textual IR or assembly for `nyash emit`.
    fn emit_text(
        &self,
        module: &Module,
        opts: &Options,
        kind: EmitKind,
    ) -> Result<String, BackendError>;
}
