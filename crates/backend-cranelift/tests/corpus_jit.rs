//! Runs the conformance corpus (`tests/programs`) through parse → legal MIR → Cranelift JIT
//! and compares stdout, exit code and runtime-error stderr with the expectations.
//!
//! Each program runs in a child process (this binary re-executed with `--child`), because a
//! runtime error exits the process. Compile-error programs only check exit code 1 and an
//! empty stdout: rendering diagnostics is the driver's job. Extra arguments are substring
//! filters on the program path. With `NYASH_CL_CORPUS_AOT=1` the child instead emits an
//! object, links it with the runtime staticlib (`cc`) and execs the executable (slower).

use nyash_backend_cranelift::CraneliftBackend;
use nyash_mir::{Backend, Options};
use nyash_syntax::SourceFile;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2], &args[3..]);
    }
    let filters: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/programs");
    let mut cases = Vec::new();
    collect(&root, &mut cases);
    cases.sort();
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in &cases {
        let rel = case.strip_prefix(&root).unwrap_or(case).display().to_string();
        if !filters.is_empty() && !filters.iter().any(|f| rel.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        if let Err(e) = check(case) {
            failures.push(format!("{rel}: {e}"));
        }
    }
    for f in &failures {
        println!("FAIL {f}\n");
    }
    println!("corpus_jit: {} passed, {} failed", ran - failures.len(), failures.len());
    std::process::exit(if failures.is_empty() { 0 } else { 1 });
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "nyash") {
            out.push(p);
        }
    }
}

fn check(case: &Path) -> Result<(), String> {
    let sibling = |ext: &str| case.with_extension(ext);
    let want_stdout = std::fs::read_to_string(sibling("stdout")).unwrap_or_default();
    let want_exit: i32 = match std::fs::read_to_string(sibling("exit")) {
        Ok(t) => t.trim().parse().map_err(|_| "bad .exit file".to_string())?,
        Err(_) => 0,
    };
    let want_stderr = std::fs::read_to_string(sibling("stderr")).ok();
    let prog_args: Vec<String> = std::fs::read_to_string(sibling("args"))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let dir = case.parent().ok_or("no parent dir")?;
    let name = case.file_name().and_then(|n| n.to_str()).ok_or("bad file name")?;
    let mut child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .arg("--child")
        .arg(name)
        .args(&prog_args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("timed out".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = child.id();
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    // AOT mode: the child exec'd an executable it wrote under its own pid.
    let _ = std::fs::remove_file(aot_exe_path(pid));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    let compile_error = stderr.starts_with("COMPILE ERROR");
    if code != Some(want_exit) {
        return Err(format!("exit {code:?}, want {want_exit}\nstderr:\n{stderr}"));
    }
    if stdout != want_stdout {
        return Err(format!("stdout differs\n--- got\n{stdout}--- want\n{want_stdout}"));
    }
    if let (Some(want), false) = (want_stderr, compile_error) {
        if stderr != want {
            return Err(format!("stderr differs\n--- got\n{stderr}--- want\n{want}"));
        }
    }
    Ok(())
}

/// Child mode: compile `name` (in the current dir) and JIT-run it; exits with its code.
fn child(name: &str, prog_args: &[String]) -> ! {
    let text = std::fs::read_to_string(name).unwrap_or_else(|e| {
        eprintln!("cannot read {name}: {e}");
        std::process::exit(2)
    });
    let file = SourceFile::new(name, text);
    let (program, diags) = nyash_syntax::parse(&file);
    if diags.iter().any(|d| d.is_error()) {
        eprintln!("COMPILE ERROR (parse): {:?}", diags[0].message);
        std::process::exit(1);
    }
    let module = match nyash_mir::pipeline::compile(&program, &file, true) {
        Ok((m, _)) => m,
        Err(diags) => {
            eprintln!("COMPILE ERROR: {:?}", diags.first().map(|d| &d.message));
            std::process::exit(1);
        }
    };
    let mut argv = vec![name.to_string()];
    argv.extend(prog_args.iter().cloned());
    let opts = Options { verify: true, ..Options::default() };
    if std::env::var_os("NYASH_CL_CORPUS_AOT").is_some() {
        aot_exec(&module, &opts, &argv);
    }
    match CraneliftBackend.run(&module, &opts, &argv) {
        Ok(outcome) => std::process::exit(outcome.exit_code),
        Err(e) => {
            eprintln!("BACKEND ERROR: {e}");
            std::process::exit(101);
        }
    }
}

/// Emits an object for `module`, links it with the runtime staticlib next to this binary and
/// replaces this process with the executable.
fn aot_exec(module: &nyash_mir::Module, opts: &Options, argv: &[String]) -> ! {
    use std::os::unix::process::CommandExt;
    let fail = |msg: String| -> ! {
        eprintln!("AOT ERROR: {msg}");
        std::process::exit(101)
    };
    let obj = CraneliftBackend.emit_object(module, opts).unwrap_or_else(|e| fail(e.to_string()));
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(e.to_string()));
    let deps = exe.parent().unwrap_or_else(|| fail("no deps dir".into()));
    let lib = std::fs::read_dir(deps)
        .unwrap_or_else(|e| fail(e.to_string()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.starts_with("libnyash_runtime-") && n.ends_with(".a")
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| fail("runtime staticlib not found".into()));
    let bin = aot_exe_path(std::process::id());
    let o = bin.with_extension("o");
    std::fs::write(&o, &obj.bytes).unwrap_or_else(|e| fail(e.to_string()));
    let status = Command::new("cc")
        .arg(&o)
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&bin)
        .status()
        .unwrap_or_else(|e| fail(e.to_string()));
    let _ = std::fs::remove_file(&o);
    if !status.success() {
        fail("linking failed".into());
    }
    let err = Command::new(&bin).arg0(&argv[0]).args(&argv[1..]).exec();
    fail(format!("cannot exec {}: {err}", bin.display()))
}

/// Where the AOT child with process id `pid` writes its executable.
fn aot_exe_path(pid: u32) -> PathBuf {
    std::env::temp_dir().join(format!("nyash-cl-corpus-{pid}.exe"))
}
