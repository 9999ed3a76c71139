//! Stack overflow reporting: a SIGSEGV/SIGBUS handler on an alternate signal stack that turns a
//! fault in the guard region of a program thread's stack into `error: stack overflow`, exit 1.
//!
//! Linux x86-64 only (the struct layouts below are glibc's for that target); elsewhere
//! `guard_thread` just runs the closure. Faults anywhere else are handed back to whatever
//! handler was installed before (e.g. Rust's own), by restoring it and returning so the
//! faulting instruction runs again under it.

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod imp {
    use std::cell::Cell;
    use std::ffi::c_void;
    use std::sync::OnceLock;

    const SIGBUS: i32 = 7;
    const SIGSEGV: i32 = 11;
    const SA_SIGINFO: i32 = 4;
    const SA_ONSTACK: i32 = 0x0800_0000;
    const SS_DISABLE: i32 = 2;
    /// Alternate signal stack size: the handler only calls `write` and `_exit`.
    const ALT_STACK_SIZE: usize = 64 << 10;
    /// How far around the stack's low end a fault still counts as an overflow.
    const BELOW: usize = 1 << 20;
    const ABOVE: usize = 4 << 20;

    /// glibc `struct sigaction` on x86-64.
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct SigAction {
        sa_sigaction: usize,
        sa_mask: [u64; 16],
        sa_flags: i32,
        sa_restorer: usize,
    }

    /// `stack_t`.
    #[repr(C)]
    struct StackT {
        ss_sp: *mut c_void,
        ss_flags: i32,
        ss_size: usize,
    }

    extern "C" {
        fn sigaction(sig: i32, act: *const SigAction, old: *mut SigAction) -> i32;
        fn sigaltstack(ss: *const StackT, old: *mut StackT) -> i32;
        fn write(fd: i32, buf: *const c_void, n: usize) -> isize;
        fn _exit(code: i32) -> !;
    }

    thread_local! {
        /// `[lo, hi)`: fault addresses that mean this thread overflowed its stack (0,0 = none).
        static OVERFLOW_RANGE: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    }

    /// The handlers that were installed before ours: `[SIGSEGV, SIGBUS]`.
    static PREVIOUS: OnceLock<[SigAction; 2]> = OnceLock::new();

    unsafe fn write_all(fd: i32, mut p: *const u8, mut n: usize) {
        while n > 0 {
            let w = write(fd, p as *const c_void, n);
            if w <= 0 {
                return;
            }
            p = p.add(w as usize);
            n -= w as usize;
        }
    }

    extern "C" fn on_fault(sig: i32, info: *mut u8, _ctx: *mut c_void) {
        // SAFETY: the kernel passes a valid siginfo_t; `si_addr` is at offset 16 on x86-64.
        let addr = unsafe { *(info.add(16) as *const usize) };
        let (lo, hi) = OVERFLOW_RANGE.with(|r| r.get());
        if lo != 0 && addr >= lo && addr < hi {
            // Keep what the program printed (best effort: skip if the buffer is locked).
            if let Some(buf) = crate::io::try_lock_out() {
                unsafe { write_all(1, buf.as_ptr(), buf.len()) };
            }
            let msg = b"error: stack overflow\n";
            unsafe {
                write_all(2, msg.as_ptr(), msg.len());
                _exit(1);
            }
        }
        // Not ours: reinstate the previous handler; the fault recurs and it handles it.
        if let Some(prev) = PREVIOUS.get() {
            let i = if sig == SIGSEGV { 0 } else { 1 };
            unsafe { sigaction(sig, &prev[i], std::ptr::null_mut()) };
        }
    }

    fn install() {
        PREVIOUS.get_or_init(|| unsafe {
            let act = SigAction {
                sa_sigaction: on_fault as *const () as usize,
                sa_mask: [0; 16],
                sa_flags: SA_SIGINFO | SA_ONSTACK,
                sa_restorer: 0,
            };
            let mut prev =
                [SigAction { sa_sigaction: 0, sa_mask: [0; 16], sa_flags: 0, sa_restorer: 0 }; 2];
            sigaction(SIGSEGV, &act, &mut prev[0]);
            sigaction(SIGBUS, &act, &mut prev[1]);
            prev
        });
    }

    /// Runs `f` (at the start of a fresh thread whose stack is `stack_size` bytes) with stack
    /// overflow reporting enabled for this thread.
    pub fn guard_thread<R>(stack_size: usize, f: impl FnOnce() -> R) -> R {
        let marker = 0u8;
        let top = &marker as *const u8 as usize;
        let low = top.saturating_sub(stack_size);
        OVERFLOW_RANGE.with(|r| r.set((low.saturating_sub(BELOW), low + ABOVE)));
        install();
        let mut alt = vec![0u8; ALT_STACK_SIZE];
        let ss = StackT { ss_sp: alt.as_mut_ptr() as *mut c_void, ss_flags: 0, ss_size: alt.len() };
        let mut old = StackT { ss_sp: std::ptr::null_mut(), ss_flags: SS_DISABLE, ss_size: 0 };
        // SAFETY: `alt` outlives its use as the signal stack: it is swapped back out below.
        let ok = unsafe { sigaltstack(&ss, &mut old) } == 0;
        let r = f();
        OVERFLOW_RANGE.with(|r| r.set((0, 0)));
        if ok {
            unsafe { sigaltstack(&old, std::ptr::null_mut()) };
        }
        drop(alt);
        r
    }
}

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(crate) use imp::guard_thread;

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
pub(crate) fn guard_thread<R>(_stack_size: usize, f: impl FnOnce() -> R) -> R {
    f()
}
