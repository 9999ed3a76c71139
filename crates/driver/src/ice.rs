//! Internal compiler errors: turns a panic in the compiler into `error: internal compiler
//! error …` and exit status 101, instead of Rust's default panic report.

use crate::Exit;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, Once};

/// Exit status for internal compiler errors (the same as rustc's).
pub(crate) const ICE_EXIT: i32 = 101;

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
static INSTALL: Once = Once::new();

thread_local! {
    /// True while this thread runs inside [`guard`]: its panics are reported by `guard`.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Installs a panic hook that records the panic message for [`guard`]. Panics outside a
/// guard (or on other threads) still get Rust's default report, so nothing is silent.
pub(crate) fn install_hook() {
    INSTALL.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".to_string());
            let text = match info.location() {
                Some(loc) => {
                    format!("panicked at {}:{}:{}: {msg}", loc.file(), loc.line(), loc.column())
                }
                None => format!("panicked: {msg}"),
            };
            if let Ok(mut slot) = LAST_PANIC.lock() {
                *slot = Some(text);
            }
            if !GUARDED.with(|g| g.get()) {
                default(info);
            } else if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
                eprintln!("{}", std::backtrace::Backtrace::force_capture());
            }
        }));
    });
}

/// Runs `f`; a panic inside it is reported as an internal compiler error in `stage`
/// (e.g. "the front end", "the llvm backend") and becomes `Err(Exit(101))`.
pub(crate) fn guard<T>(stage: &str, f: impl FnOnce() -> T) -> Result<T, Exit> {
    let was = GUARDED.with(|g| g.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    result.map_err(|_| {
        let what = LAST_PANIC.lock().ok().and_then(|mut s| s.take());
        let what = what.unwrap_or_else(|| "panicked".to_string());
        // Output the program wrote before the panic must not be lost or reordered.
        nyash_runtime::flush_stdout();
        eprintln!("error: internal compiler error in {stage}: {what}");
        eprintln!("note: this is a bug in nyash; please report it with the program that caused it");
        Exit(ICE_EXIT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_exit_101_and_values_pass_through() {
        install_hook();
        assert_eq!(guard("a test", || 7), Ok(7));
        let r: Result<(), Exit> = guard("a test", || panic!("deliberate"));
        assert_eq!(r, Err(Exit(ICE_EXIT)));
        assert!(!GUARDED.with(|g| g.get()), "guard flag restored");
    }
}
