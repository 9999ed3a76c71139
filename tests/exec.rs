//! Running one corpus program in one mode as child processes of the `nyash` CLI, with a
//! timeout so a hanging program fails its test instead of hanging the suite.

use crate::corpus::Case;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The five ways every program is run (the driver's own list, as `compare` and `bench` use).
pub use nyash_driver::Mode;

/// How to start the `nyash` CLI: a program plus environment (the conformance binary runs
/// itself with `NYASH_HARNESS_AS_CLI=1`).
#[derive(Clone, Debug)]
pub struct Cli {
    pub program: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Cli {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The exit code, or a description of an abnormal end (signal, timeout).
    pub exit: Result<i32, String>,
}

/// Runs `case` in `mode`: `nyash run` for the VM and JITs; `nyash build` then the binary for
/// AOT (their outputs are concatenated, so build-time warnings land in stderr as with `run`).
/// The vm and cranelift-jit runs check reference counts (`NYASH_RC_CHECK=1`: use after free
/// and double release end the program with exit 101); the other modes keep the normal free
/// path, so both are exercised by every corpus program.
pub fn run_case(cli: &Cli, case: &Case, mode: Mode, args: &[String], timeout: Duration) -> Outcome {
    let rc_check = matches!(mode, Mode::Vm | Mode::CraneliftJit);
    run_case_with(cli, case, mode, args, timeout, rc_check, &mut run_with_timeout)
}

/// `run_case` with the choice of RC checking and of how each child process is run: `run` gets
/// every command (for AOT: the build, then the executable — the last call is the program).
pub fn run_case_with(
    cli: &Cli,
    case: &Case,
    mode: Mode,
    args: &[String],
    timeout: Duration,
    rc_check: bool,
    run: &mut dyn FnMut(Command, Duration) -> Outcome,
) -> Outcome {
    let mut flags = vec![format!("--backend={}", mode.backend().name()), "--verify".to_string()];
    if !mode.aot() {
        let mut cmd = cli.command();
        set_rc_check(&mut cmd, rc_check);
        cmd.args(&flags).arg("run").arg(&case.file_name).args(args).current_dir(&case.dir);
        return run(cmd, timeout);
    }

    let scratch = match ScratchDir::new() {
        Ok(d) => d,
        Err(e) => {
            return Outcome {
                stdout: vec![],
                stderr: vec![],
                exit: Err(format!("no temp dir: {e}")),
            }
        }
    };
    let binary = scratch.0.join("prog");
    flags.extend(["build".to_string(), case.file_name.clone(), "-o".to_string()]);
    let mut cmd = cli.command();
    cmd.args(&flags).arg(&binary).current_dir(&case.dir);
    let build = run(cmd, timeout);
    if build.exit != Ok(0) {
        return build;
    }
    let mut cmd = Command::new(&binary);
    set_rc_check(&mut cmd, rc_check);
    // argv[0] is the source file name, as `nyash run` gives it.
    cmd.arg0(OsStr::new(&case.file_name)).args(args).current_dir(&case.dir);
    let mut run = run(cmd, timeout);
    let mut stdout = build.stdout;
    stdout.append(&mut run.stdout);
    let mut stderr = build.stderr;
    stderr.append(&mut run.stderr);
    Outcome { stdout, stderr, exit: run.exit }
}

/// Sets or clears the runtime's debug reference-count checking for a child (an inherited
/// setting must not leak into runs that want the normal free path).
fn set_rc_check(cmd: &mut Command, on: bool) {
    if on {
        cmd.env("NYASH_RC_CHECK", "1");
    } else {
        cmd.env_remove("NYASH_RC_CHECK");
    }
}

/// Runs `cmd` with stdin closed and stdout/stderr captured; kills it after `timeout`.
pub fn run_with_timeout(cmd: Command, timeout: Duration) -> Outcome {
    run_watched(cmd, timeout, Duration::from_millis(5), |_| {})
}

/// `run_with_timeout` that also calls `watch(pid)` every `poll` while the child runs (just
/// before checking whether it ended, so the child is not reaped yet).
pub fn run_watched(
    mut cmd: Command,
    timeout: Duration,
    poll: Duration,
    mut watch: impl FnMut(u32),
) -> Outcome {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                stdout: vec![],
                stderr: vec![],
                exit: Err(format!("cannot start {cmd:?}: {e}")),
            }
        }
    };
    // Both pipes are drained on their own threads so a chatty child cannot block on a full
    // pipe while we wait for it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));

    let deadline = Instant::now() + timeout;
    let exit = loop {
        watch(child.id());
        match child.try_wait() {
            Ok(Some(status)) => {
                break match (status.code(), status.signal()) {
                    (Some(c), _) => Ok(c),
                    (None, Some(s)) => Err(format!("killed by signal {s}")),
                    (None, None) => Err("ended abnormally".to_string()),
                }
            }
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("timed out after {} s (killed)", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(poll),
            Err(e) => break Err(format!("cannot wait for the child: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Outcome { stdout, stderr, exit }
}

/// A per-trial directory for AOT executables, removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> std::io::Result<ScratchDir> {
        static N: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = base.join(format!("nyash-conformance-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path)?;
        Ok(ScratchDir(path))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The timeout for each child process: `NYASH_TEST_TIMEOUT` seconds, default 30.
pub fn timeout_from_env() -> Duration {
    let secs = std::env::var("NYASH_TEST_TIMEOUT").ok().and_then(|s| s.trim().parse::<u64>().ok());
    Duration::from_secs(secs.filter(|&s| s > 0).unwrap_or(30))
}

/// The current executable, used as the CLI (see `conformance.rs`).
pub fn self_as_cli() -> Result<Cli, String> {
    let program =
        std::env::current_exe().map_err(|e| format!("cannot find the test executable: {e}"))?;
    Ok(Cli { program, env: vec![("NYASH_HARNESS_AS_CLI".to_string(), "1".to_string())] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_kills_a_hanging_child() {
        let mut cmd = Command::new("sleep");
        cmd.arg("10");
        let start = Instant::now();
        let out = run_with_timeout(cmd, Duration::from_millis(200));
        assert!(out.exit.is_err(), "{:?}", out.exit);
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn captures_output_and_exit_code() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let out = run_with_timeout(cmd, Duration::from_secs(10));
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.exit, Ok(3));
    }
}
