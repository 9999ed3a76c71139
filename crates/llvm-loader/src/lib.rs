//! Loads libLLVM-14 at run time, the first time the LLVM backend needs it, instead of having
//! the dynamic loader map and relocate it (≈100 MB, ~25 ms) at the start of every `nyash`.
//!
//! llvm-sys is built with `no-llvm-linking` (no `-lLLVM-14`) and `disable-alltargets-init`
//! (no `wrappers/target.c`, which needs LLVM's headers to build). This crate defines instead
//! every LLVM C function the binaries call (`symbols.txt`, see `regen-symbols.sh`) as a
//! 6-byte trampoline `jmp *slot(%rip)`. Until [`load`] succeeds each slot points at a stub
//! that aborts with the function's name, so a call that skipped `load` cannot jump to null;
//! `load` `dlopen`s the library and fills every slot with `dlsym`. A function missing from
//! `symbols.txt` is an undefined symbol when linking, and one missing from the library makes
//! `load` fail, so no call can find an empty slot at run time. It also provides the four
//! `LLVM_InitializeNative*` functions inkwell uses (LLVM defines them `static inline`).
//!
//! x86-64 Linux only (the trampolines are x86-64 assembly and the loading is ELF `dlopen`).

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
compile_error!("nyash-llvm-loader (the LLVM backend's libLLVM loader) supports x86_64 Linux only");

use std::ffi::{CStr, CString};
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

mod names {
    include!(concat!(env!("OUT_DIR"), "/names.rs"));
}
use names::{COUNT, NAMES};

/// The library loaded, by its soname (the dynamic loader's usual search: LD_LIBRARY_PATH,
/// ld.so.cache, the system directories).
pub const LIBRARY: &str = "libLLVM-14.so.1";

/// Names another file to load instead of [`LIBRARY`] (tests use it to make loading fail).
pub const LIBRARY_ENV: &str = "NYASH_LIBLLVM";

std::arch::global_asm!(
    include_str!(concat!(env!("OUT_DIR"), "/trampolines.s")),
    // LLVM-C's `LLVMInitializeNative*` for an x86 host: the target's init functions, then 0
    // ("no error"), which the void X86 functions do not leave in %eax. `push`/`pop` keep the
    // stack 16-byte aligned around the calls.
    ".pushsection .text.nyash_llvm_native_init,\"ax\",@progbits",
    ".globl LLVM_InitializeNativeTarget",
    ".hidden LLVM_InitializeNativeTarget",
    ".type LLVM_InitializeNativeTarget,@function",
    "LLVM_InitializeNativeTarget:",
    ".cfi_startproc",
    "pushq %rax",
    ".cfi_adjust_cfa_offset 8",
    "call LLVMInitializeX86TargetInfo",
    "call LLVMInitializeX86Target",
    "call LLVMInitializeX86TargetMC",
    "popq %rcx",
    ".cfi_adjust_cfa_offset -8",
    "xorl %eax, %eax",
    "ret",
    ".cfi_endproc",
    ".size LLVM_InitializeNativeTarget,.-LLVM_InitializeNativeTarget",
    ".globl LLVM_InitializeNativeAsmParser",
    ".hidden LLVM_InitializeNativeAsmParser",
    ".type LLVM_InitializeNativeAsmParser,@function",
    "LLVM_InitializeNativeAsmParser:",
    ".cfi_startproc",
    "pushq %rax",
    ".cfi_adjust_cfa_offset 8",
    "call LLVMInitializeX86AsmParser",
    "popq %rcx",
    ".cfi_adjust_cfa_offset -8",
    "xorl %eax, %eax",
    "ret",
    ".cfi_endproc",
    ".size LLVM_InitializeNativeAsmParser,.-LLVM_InitializeNativeAsmParser",
    ".globl LLVM_InitializeNativeAsmPrinter",
    ".hidden LLVM_InitializeNativeAsmPrinter",
    ".type LLVM_InitializeNativeAsmPrinter,@function",
    "LLVM_InitializeNativeAsmPrinter:",
    ".cfi_startproc",
    "pushq %rax",
    ".cfi_adjust_cfa_offset 8",
    "call LLVMInitializeX86AsmPrinter",
    "popq %rcx",
    ".cfi_adjust_cfa_offset -8",
    "xorl %eax, %eax",
    "ret",
    ".cfi_endproc",
    ".size LLVM_InitializeNativeAsmPrinter,.-LLVM_InitializeNativeAsmPrinter",
    ".globl LLVM_InitializeNativeDisassembler",
    ".hidden LLVM_InitializeNativeDisassembler",
    ".type LLVM_InitializeNativeDisassembler,@function",
    "LLVM_InitializeNativeDisassembler:",
    ".cfi_startproc",
    "pushq %rax",
    ".cfi_adjust_cfa_offset 8",
    "call LLVMInitializeX86Disassembler",
    "popq %rcx",
    ".cfi_adjust_cfa_offset -8",
    "xorl %eax, %eax",
    "ret",
    ".cfi_endproc",
    ".size LLVM_InitializeNativeDisassembler,.-LLVM_InitializeNativeDisassembler",
    ".popsection",
    not_loaded = sym not_loaded,
    options(att_syntax)
);

extern "C" {
    /// Slot `i` holds the address `jmp`ed to by the trampoline named `NAMES[i]` (defined in
    /// the assembly above, which also gives each its initial "not loaded" stub).
    static nyash_llvm_slots: [AtomicUsize; COUNT];
}

/// Where a trampoline goes before [`load`] filled its slot: say which function was called
/// and abort (a bug in the caller, which had to call `load` first; never a user error).
extern "C" fn not_loaded(index: u32) -> ! {
    let name = NAMES.get(index as usize).map_or("?".into(), |n| n.to_string_lossy());
    let _ = writeln!(
        std::io::stderr(),
        "error: internal compiler error: LLVM function `{name}` called before libLLVM was \
         loaded (nyash_llvm_loader::load)"
    );
    std::process::abort()
}

/// Loads libLLVM and binds every trampoline, once per process; later calls return the first
/// result. `Err` carries the dynamic loader's message (or the functions the library lacks);
/// nothing has been bound then, so no LLVM function may be called.
pub fn load() -> Result<(), String> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED.get_or_init(load_now).clone()
}

fn load_now() -> Result<(), String> {
    let path = match std::env::var_os(LIBRARY_ENV) {
        Some(p) => CString::new(std::os::unix::ffi::OsStringExt::into_vec(p))
            .map_err(|_| format!("{LIBRARY_ENV} contains a NUL byte"))?,
        None => CString::new(LIBRARY).expect("the soname has no NUL byte"),
    };
    // RTLD_LOCAL: LLVM's symbols stay out of the global scope, so nothing else in the
    // process (the JIT's process-symbol search included) can bind to them by accident.
    // RTLD_NOW: a library with unresolvable dependencies fails here, with a message, and not
    // in the middle of compiling.
    // SAFETY: `path` is a NUL-terminated string; dlopen has no other preconditions.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        return Err(last_dl_error());
    }
    let mut addresses = Vec::with_capacity(COUNT);
    let mut missing = Vec::new();
    for name in NAMES {
        // SAFETY: `handle` is a live handle from dlopen (never closed: LLVM is NODELETE and
        // its code is used until exit); `name` is NUL-terminated.
        let address = unsafe { libc::dlsym(handle, name.as_ptr()) };
        if address.is_null() {
            missing.push(name.to_string_lossy());
        }
        addresses.push(address as usize);
    }
    if !missing.is_empty() {
        return Err(format!("{} does not define {}", path.to_string_lossy(), missing.join(", ")));
    }
    // SAFETY: `nyash_llvm_slots` is COUNT atomics defined in the assembly above (writable
    // data); storing through atomics is sound even if another thread jumps through a slot.
    let slots = unsafe { &nyash_llvm_slots };
    for (slot, address) in slots.iter().zip(addresses) {
        // Release pairs with the OnceLock: a thread that saw `load` succeed sees every slot.
        slot.store(address, Ordering::Release);
    }
    Ok(())
}

/// The dynamic loader's description of the last failure in this thread.
fn last_dl_error() -> String {
    // SAFETY: dlerror returns null or a NUL-terminated string valid until the next dl* call
    // in this thread; it is copied at once.
    let raw = unsafe { libc::dlerror() };
    if raw.is_null() {
        return "unknown dynamic loader error".to_string();
    }
    // SAFETY: non-null, NUL-terminated (above).
    unsafe { CStr::from_ptr(raw) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use std::ffi::c_void;

    extern "C" {
        // Two of the trampolines (both in symbols.txt).
        fn LLVMContextCreate() -> *mut c_void;
        fn LLVMContextDispose(ctx: *mut c_void);
    }

    #[test]
    fn load_binds_the_trampolines() {
        super::load().expect("libLLVM-14.so.1 loads");
        assert_eq!(super::load(), Ok(()), "a second call returns the first result");
        // SAFETY: load succeeded, so both trampolines jump into libLLVM; the context is
        // created and disposed of once.
        unsafe {
            let ctx = LLVMContextCreate();
            assert!(!ctx.is_null());
            LLVMContextDispose(ctx);
        }
    }
}
