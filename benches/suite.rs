//! The benchmark suite in `programs/`: the program names, loading them, and silencing the
//! checksum lines programs print while criterion times them in process.
//!
//! Every suite program is `programs/<name>.nyash` with its C baseline `<name>.c` and its
//! Lua 5.1 / LuaJIT version `<name>.lua`; all three print the same checksum (see
//! `nyash bench`, which checks that, and the tests below, which check the files exist).

use crate::load_program;
use nyash_syntax::SourceFile;

/// Every program of the suite, by file stem.
pub const SUITE: [&str; 10] =
    ["fib", "loops", "matmul", "sieve", "strbuild", "array", "map", "methods", "nbody", "text"];

/// The programs whose JIT runs `cargo bench` times in process: the numeric and call-heavy
/// ones, whose checksums are short (the others are covered by `nyash bench`).
pub const RUN_BENCH_PROGRAMS: [&str; 4] = ["fib", "loops", "matmul", "methods"];

/// Loads `programs/<name>.nyash`.
pub fn load_suite_program(name: &str) -> Result<SourceFile, String> {
    load_program(&format!("{name}.nyash"))
}

/// While alive, file descriptor 1 points at `/dev/null`, so a program run in process does
/// not interleave its checksum with criterion's report; dropping it restores stdout. If the
/// redirection cannot be set up, output simply stays on stdout.
pub struct SilencedStdout {
    saved: Option<i32>,
}

extern "C" {
    fn dup(fd: i32) -> i32;
    fn dup2(fd: i32, fd2: i32) -> i32;
    fn close(fd: i32) -> i32;
}

impl SilencedStdout {
    pub fn new() -> SilencedStdout {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let _ = std::io::stdout().flush();
        let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
            return SilencedStdout { saved: None };
        };
        // SAFETY: plain POSIX calls on descriptors this process owns; `saved` is a fresh
        // duplicate of fd 1 that only `drop` uses and closes.
        let saved = unsafe { dup(1) };
        if saved < 0 {
            return SilencedStdout { saved: None };
        }
        // SAFETY: as above; `null` stays open until the end of this function, after dup2.
        if unsafe { dup2(null.as_raw_fd(), 1) } < 0 {
            unsafe { close(saved) };
            return SilencedStdout { saved: None };
        }
        SilencedStdout { saved: Some(saved) }
    }
}

impl Default for SilencedStdout {
    fn default() -> Self {
        SilencedStdout::new()
    }
}

impl Drop for SilencedStdout {
    fn drop(&mut self) {
        // The runtime buffers program output: push it into /dev/null before restoring.
        nyash_runtime::flush_stdout();
        if let Some(saved) = self.saved.take() {
            // SAFETY: restores the descriptor saved in `new` and closes the duplicate.
            unsafe {
                dup2(saved, 1);
                close(saved);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{front_end, programs_dir};

    #[test]
    fn every_program_has_its_c_and_lua_baselines() {
        for name in SUITE {
            for ext in ["nyash", "c", "lua"] {
                let path = programs_dir().join(format!("{name}.{ext}"));
                assert!(path.is_file(), "missing {}", path.display());
            }
        }
    }

    /// The quick smoke part of the suite for `cargo test`: every program gets through the
    /// front end (running them is `nyash bench`'s and `cargo bench`'s job: they take seconds).
    #[test]
    fn every_program_compiles() {
        for name in SUITE {
            let src = load_suite_program(name).expect("suite program readable");
            if let Err(e) = front_end(&src) {
                panic!("{name}.nyash does not compile:\n{e}");
            }
        }
    }

    #[test]
    fn no_stray_programs() {
        let mut found: Vec<String> = std::fs::read_dir(programs_dir())
            .expect("programs dir")
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".nyash").map(String::from))
            .collect();
        found.sort();
        let mut listed: Vec<String> = SUITE.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed, "programs/*.nyash and SUITE disagree");
    }
}
