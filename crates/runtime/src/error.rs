//! Runtime errors (`error: <msg>` + location, exit 1) and internal errors (exit 101).

use crate::io::flush_stdout;
use std::io::Write;

/// Reports a Nyash runtime error at `site` (an index into the metadata's `S` lines) and exits
/// with status 1. Stdout is flushed first so that earlier output is kept and ordered.
pub fn runtime_error(site: i64, msg: &str) -> ! {
    flush_stdout();
    let mut text = format!("error: {msg}\n");
    if let Some(loc) = crate::meta::site_location(site) {
        text.push_str("  at ");
        text.push_str(&loc);
        text.push('\n');
    }
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
    std::process::exit(1)
}

/// A bug in the runtime or in the code calling it: exit 101.
pub fn internal_error(msg: &str) -> ! {
    flush_stdout();
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "error: internal runtime error: {msg}");
    let _ = e.flush();
    std::process::exit(101)
}

/// Runs `f`, turning a panic into an internal error so that no unwinding crosses the C ABI.
#[inline]
pub fn guard<R>(f: impl FnOnce() -> R) -> R {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = if let Some(s) = p.downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = p.downcast_ref::<String>() {
                s.clone()
            } else {
                "panic".to_string()
            };
            internal_error(&msg)
        }
    }
}

/// Division or remainder by zero in inline code (never returns).
#[no_mangle]
pub extern "C" fn nyrt_error_div_zero(site: i64) -> ! {
    runtime_error(site, "division by zero")
}

/// A loop made from tail recursion went deeper than the program stack could hold frames:
/// the same report as the stack guard's (`overflow.rs`), no location (never returns).
#[no_mangle]
pub extern "C" fn nyrt_error_stack_overflow() -> ! {
    runtime_error(-1, "stack overflow")
}

/// A runtime error whose message the compiler built (the display form of `msg`); never returns.
#[no_mangle]
pub extern "C" fn nyrt_error(tag: i64, payload: i64, site: i64) -> ! {
    let msg = guard(|| crate::display::to_display_string(crate::value::NyValue::new(tag, payload)));
    runtime_error(site, &msg)
}
