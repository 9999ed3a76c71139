//! Running a program: `nyrt_start` (used by AOT `main` and the JITs) and `with_big_stack`
//! (used by the VM) run the program on a fresh thread with a 512 MiB stack, so deep Nyash
//! recursion works on every backend alike.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Stack size of the thread a program runs on.
pub const BIG_STACK_SIZE: usize = 512 << 20;

/// Runs `f` on a new thread with a [`BIG_STACK_SIZE`] stack and returns its result. A panic
/// inside `f` is propagated to the caller. Overflowing that stack reports
/// `error: stack overflow` and exits with status 1 (see `overflow`).
pub fn with_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("nyash-main".into())
            .stack_size(BIG_STACK_SIZE)
            .spawn_scoped(s, || crate::overflow::guard_thread(BIG_STACK_SIZE, f));
        match handle {
            Ok(h) => match h.join() {
                Ok(r) => r,
                Err(p) => std::panic::resume_unwind(p),
            },
            Err(e) => crate::error::internal_error(&format!("cannot start program thread: {e}")),
        }
    })
}

/// Runs `entry(argc, argv)` (an `extern "C" fn(i64, i64) -> i64`, the compiled
/// `__nyash_entry`) on a big-stack thread and returns its result, the exit code.
#[no_mangle]
pub extern "C" fn nyrt_start(argc: i64, argv: i64, entry: i64) -> i64 {
    if entry == 0 {
        crate::error::internal_error("nyrt_start: null entry function");
    }
    // SAFETY: the caller passes the address of a function with this signature.
    let entry: extern "C" fn(i64, i64) -> i64 = unsafe { std::mem::transmute(entry as usize) };
    let result = catch_unwind(AssertUnwindSafe(|| with_big_stack(move || entry(argc, argv))));
    match result {
        Ok(code) => {
            crate::io::flush_stdout();
            code
        }
        Err(_) => crate::error::internal_error("the program thread panicked"),
    }
}
