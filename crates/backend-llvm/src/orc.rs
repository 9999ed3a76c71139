//! In-process execution with ORC LLJIT: bind the runtime's symbols by address, hand over the
//! optimized module (as bitcode re-read into a thread-safe context), look up the entry (which
//! compiles it) and run it through `nyrt_start`. All raw LLVM FFI of the crate lives here.

use crate::aot;
use crate::codegen::{internal, Flavor};
use crate::llvm14::orc_sys::*;
use inkwell::context::Context;
use inkwell::memory_buffer::MemoryBuffer;
use inkwell::targets::TargetMachine;
use nyash_mir::{BackendError, Options, RtFn, RunOutcome, Timings};
use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::time::Instant;

/// Compiles `mir` with LLJIT and runs its entry with `args` as argv.
pub(crate) fn run(
    mir: &nyash_mir::Module,
    opts: &Options,
    args: &[String],
) -> Result<RunOutcome, BackendError> {
    let start = Instant::now();
    let symbols = runtime_symbols()?;
    // argv is prepared before compiling so a bad argument fails early and cheaply.
    let c_args: Vec<CString> =
        args.iter().map(|a| CString::new(a.as_bytes())).collect::<Result<_, _>>().map_err(
            |_| BackendError::Unsupported("a program argument contains a NUL byte".into()),
        )?;
    let mut argv: Vec<*const c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    argv.push(ptr::null());

    let ctx = Context::create();
    let tm = aot::host_machine(opts.opt_level, Flavor::Jit)?;
    let lowered = aot::build(&ctx, mir, opts, Flavor::Jit, &tm)?;
    let bitcode = lowered.module.write_bitcode_to_memory();
    let jit = Jit::new(tm)?;
    jit.define_absolute(&symbols)?;
    jit.add_process_symbols()?;
    jit.add_bitcode(&bitcode)?;
    let entry = jit.lookup(&lowered.entry_name)?;
    let codegen = start.elapsed();

    let started = Instant::now();
    // `nyrt_start` runs the entry (an `extern "C" fn(i64, i64) -> i64` compiled above) on a
    // big-stack thread and returns its exit code. `argv` and the CStrings it points into stay
    // alive until it returns, and so does the JIT holding the code.
    let code = nyash_runtime::nyrt_start(c_args.len() as i64, argv.as_ptr() as i64, entry as i64);
    let run = started.elapsed();
    drop(jit);
    Ok(RunOutcome {
        exit_code: code as i32,
        timings: Timings { codegen, run, ..Timings::default() },
    })
}

/// The runtime's exported functions, checked to cover every entry point the lowering may call.
fn runtime_symbols() -> Result<Vec<(String, u64)>, BackendError> {
    let table = nyash_runtime::symbols();
    let address_of = |name: &str| table.iter().find(|(n, _)| *n == name).map(|&(_, a)| a as u64);
    let required = RtFn::ALL.iter().map(|f| f.name()).chain(["nyrt_fmod"]);
    let missing: Vec<&str> = required.filter(|n| address_of(n).is_none_or(|a| a == 0)).collect();
    if !missing.is_empty() {
        return Err(internal(None, format!("the runtime does not export {}", missing.join(", "))));
    }
    let mut symbols: Vec<(String, u64)> =
        table.iter().map(|&(n, a)| (n.to_string(), a as u64)).collect();
    // LLVM lowers `frem` to a call to C `fmod`; bind it to the runtime's identical
    // `nyrt_fmod` so the JIT does not depend on libm being visible in this process.
    if let Some(fmod) = address_of("nyrt_fmod") {
        symbols.push(("fmod".to_string(), fmod));
    }
    Ok(symbols)
}

/// Turns an `LLVMErrorRef` into a `BackendError`, consuming and freeing it.
fn check(err: LLVMErrorRef, what: &str) -> Result<(), BackendError> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: `err` is a live, non-null error returned by LLVM; LLVMGetErrorMessage consumes
    // it and returns a string we own and release with LLVMDisposeErrorMessage after copying.
    let message = unsafe {
        let raw = LLVMGetErrorMessage(err);
        let text = CStr::from_ptr(raw).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(raw);
        text
    };
    Err(internal(None, format!("ORC JIT: {what}: {message}")))
}

/// An owned LLJIT instance; disposed (with all code it compiled) on drop.
struct Jit {
    raw: LLVMOrcLLJITRef,
}

impl Jit {
    /// Creates an LLJIT whose code generator is configured like `tm` (host CPU, -O level).
    fn new(tm: TargetMachine) -> Result<Jit, BackendError> {
        // SAFETY: CreateFromTargetMachine takes ownership of the target machine (it disposes
        // it), so the inkwell wrapper is forgotten rather than dropped. The builder takes
        // ownership of the JTMB, and LLVMOrcCreateLLJIT of the builder, on success and on
        // failure alike, so nothing else needs disposing here.
        unsafe {
            let jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm.as_mut_ptr());
            std::mem::forget(tm);
            let builder = LLVMOrcCreateLLJITBuilder();
            LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
            let mut raw = ptr::null_mut();
            check(LLVMOrcCreateLLJIT(&mut raw, builder), "creating the LLJIT")?;
            if raw.is_null() {
                return Err(internal(None, "ORC JIT: LLVMOrcCreateLLJIT returned no instance"));
            }
            Ok(Jit { raw })
        }
    }

    /// Defines `symbols` in the main JITDylib at their in-process addresses.
    fn define_absolute(&self, symbols: &[(String, u64)]) -> Result<(), BackendError> {
        let names: Vec<CString> = symbols
            .iter()
            .map(|(n, _)| CString::new(n.as_str()))
            .collect::<Result<_, _>>()
            .map_err(|_| internal(None, "a runtime symbol name contains a NUL byte"))?;
        let flags = LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported as u8
            | LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8;
        // SAFETY: `self.raw` is a live LLJIT. MangleAndIntern returns a retained pool entry
        // (with the platform's global prefix applied) whose ownership AbsoluteSymbols takes
        // over, as it does the materialization unit's contents; the array itself is only read
        // during the call. JITDylibDefine takes the unit on success; on failure we dispose it.
        unsafe {
            let mut pairs: Vec<LLVMJITCSymbolMapPair> = names
                .iter()
                .zip(symbols)
                .map(|(name, &(_, addr))| LLVMJITCSymbolMapPair {
                    Name: LLVMOrcLLJITMangleAndIntern(self.raw, name.as_ptr()),
                    Sym: LLVMJITEvaluatedSymbol {
                        Address: addr as LLVMOrcExecutorAddress,
                        Flags: LLVMJITSymbolFlags { GenericFlags: flags, TargetFlags: 0 },
                    },
                })
                .collect();
            let unit = LLVMOrcAbsoluteSymbols(pairs.as_mut_ptr(), pairs.len());
            let err = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(self.raw), unit);
            if !err.is_null() {
                LLVMOrcDisposeMaterializationUnit(unit);
            }
            check(err, "defining the runtime symbols")
        }
    }

    /// Lets code resolve C library symbols LLVM itself may emit calls to (memcpy, memset…)
    /// from this process. Runtime functions never get here: they are defined above.
    fn add_process_symbols(&self) -> Result<(), BackendError> {
        // SAFETY: `self.raw` is live; on success the generator is handed to the JITDylib,
        // which owns it from then on; on failure nothing was created.
        unsafe {
            let mut generator: LLVMOrcDefinitionGeneratorRef = ptr::null_mut();
            let prefix = LLVMOrcLLJITGetGlobalPrefix(self.raw);
            let err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                &mut generator,
                prefix,
                None,
                ptr::null_mut(),
            );
            check(err, "creating the process symbol generator")?;
            LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(self.raw), generator);
        }
        Ok(())
    }

    /// Adds a module given as bitcode: it is parsed into a fresh thread-safe context, since
    /// ORC needs a context it can own, not the inkwell one it was built in.
    fn add_bitcode(&self, bitcode: &MemoryBuffer<'_>) -> Result<(), BackendError> {
        // SAFETY: the new thread-safe context is reference counted: the module created in it
        // keeps it alive, so our reference is released right after wrapping the module.
        // ParseBitcodeInContext2 only reads the buffer (inkwell still owns it). The TSM takes
        // the module; AddLLVMIRModule takes the TSM on success, otherwise we dispose it.
        unsafe {
            let tsctx = LLVMOrcCreateNewThreadSafeContext();
            let mut module = ptr::null_mut();
            if LLVMParseBitcodeInContext2(
                LLVMOrcThreadSafeContextGetContext(tsctx),
                bitcode.as_mut_ptr(),
                &mut module,
            ) != 0
                || module.is_null()
            {
                LLVMOrcDisposeThreadSafeContext(tsctx);
                return Err(internal(None, "ORC JIT: could not re-read the module's bitcode"));
            }
            let tsm = LLVMOrcCreateNewThreadSafeModule(module, tsctx);
            LLVMOrcDisposeThreadSafeContext(tsctx);
            let err =
                LLVMOrcLLJITAddLLVMIRModule(self.raw, LLVMOrcLLJITGetMainJITDylib(self.raw), tsm);
            if !err.is_null() {
                LLVMOrcDisposeThreadSafeModule(tsm);
            }
            check(err, "adding the module")
        }
    }

    /// The address of a function (compiling the module on first lookup). LLJIT applies the
    /// global prefix itself, so `name` is the IR name.
    fn lookup(&self, name: &str) -> Result<u64, BackendError> {
        let cname =
            CString::new(name).map_err(|_| internal(None, "entry name contains a NUL byte"))?;
        let mut addr: LLVMOrcExecutorAddress = 0;
        // SAFETY: `self.raw` is live; LLJITLookup only reads the name and writes `addr`.
        check(
            unsafe { LLVMOrcLLJITLookup(self.raw, &mut addr, cname.as_ptr()) },
            &format!("looking up `{name}`"),
        )?;
        if addr == 0 {
            return Err(internal(None, format!("ORC JIT: `{name}` resolved to address 0")));
        }
        Ok(addr)
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        // SAFETY: `self.raw` came from LLVMOrcCreateLLJIT and is disposed exactly once; the
        // returned error (if any) is consumed by `check` and, in a destructor, ignored.
        let err = unsafe { LLVMOrcDisposeLLJIT(self.raw) };
        let _ = check(err, "disposing the LLJIT");
    }
}
