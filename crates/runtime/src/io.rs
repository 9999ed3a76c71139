//! Program output: one process-wide buffered stdout, flushed at exit and before any stderr text.

use crate::display::write_display;
use crate::error::guard;
use crate::value::NyValue;
use std::cell::RefCell;
use std::io::Write;
use std::sync::Mutex;

/// Pending stdout text. Written to fd 1 when it grows past `FLUSH_AT`, and by `flush_stdout`.
static OUT: Mutex<String> = Mutex::new(String::new());
const FLUSH_AT: usize = 1 << 16;

fn lock() -> std::sync::MutexGuard<'static, String> {
    OUT.lock().unwrap_or_else(|e| e.into_inner())
}

fn write_out(buf: &mut String) {
    if buf.is_empty() {
        return;
    }
    let mut so = std::io::stdout().lock();
    // A closed stdout (e.g. `| head`) must not crash the program; the output is just lost.
    let _ = so.write_all(buf.as_bytes());
    let _ = so.flush();
    buf.clear();
}

/// Writes everything printed so far to stdout. Safe to call at any time, from any thread.
pub fn flush_stdout() {
    write_out(&mut lock());
}

thread_local! {
    /// When set, this thread's program output goes here instead of stdout (tests).
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f` with everything the program on this thread prints collected into a String
/// instead of going to stdout. For in-process tests; runtime errors still exit the process.
pub fn with_captured_stdout<R>(f: impl FnOnce() -> R) -> (R, String) {
    let outer = CAPTURE.with(|c| c.borrow_mut().replace(String::new()));
    let r = f();
    let text = CAPTURE.with(|c| std::mem::replace(&mut *c.borrow_mut(), outer));
    (r, text.unwrap_or_default())
}

/// Appends program output (to the test capture buffer if one is active, else to stdout).
pub(crate) fn write_stdout(text: &str) {
    let captured = CAPTURE.with(|c| {
        let mut c = c.borrow_mut();
        let Some(out) = c.as_mut() else { return false };
        out.push_str(text);
        true
    });
    if captured {
        return;
    }
    let mut buf = lock();
    buf.push_str(text);
    if buf.len() >= FLUSH_AT {
        write_out(&mut buf);
    }
}

/// Writes `text` to stderr after flushing pending stdout (ConsoleBox `warn`/`error`).
pub(crate) fn write_stderr(text: &str) {
    flush_stdout();
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

/// Prints the display form of a value and a newline.
#[no_mangle]
pub extern "C" fn nyrt_print(tag: i64, payload: i64) {
    guard(|| {
        // Built before taking any lock: an instance's `toString` may itself print.
        let mut text = String::new();
        write_display(&mut text, NyValue::new(tag, payload));
        text.push('\n');
        write_stdout(&text);
    })
}

/// The pending stdout text, if nobody holds the lock (for the stack-overflow signal handler).
pub(crate) fn try_lock_out() -> Option<std::sync::MutexGuard<'static, String>> {
    match OUT.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

#[cfg(test)]
pub(crate) fn print_for_test(s: &str) {
    lock().push_str(s);
}
