//! Runs the conformance corpus (`tests/programs`, minus compile-error cases) through
//! parse → `pipeline::compile` → the LLVM ORC JIT at -O0 and -O2, each program in a child
//! process (this binary re-run with `NYASH_LLVM_CHILD` set), comparing stdout, exit code
//! and, where expected, stderr. `cargo test -p nyash-backend-llvm --test corpus_orc [filter]`.

use nyash_backend_llvm::LlvmBackend;
use nyash_mir::{Backend, OptLevel, Options};
use nyash_syntax::SourceFile;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CHILD: &str = "NYASH_LLVM_CHILD";
const CHILD_OPT: &str = "NYASH_LLVM_CHILD_OPT";
/// With `NYASH_LLVM_CHILD`: write the AOT object to this path instead of running (used to
/// check linking by hand: `cc out.o libnyash_runtime.a -lpthread -ldl -lm`).
const CHILD_OBJ: &str = "NYASH_LLVM_EMIT_OBJ";

fn main() {
    if let Ok(file) = std::env::var(CHILD) {
        let opt = std::env::var(CHILD_OPT).unwrap_or_default();
        let args: Vec<String> = std::env::args().skip(1).collect();
        std::process::exit(child(&file, &opt, args));
    }
    std::process::exit(parent());
}

/// Compiles and runs one program like `nyash --backend=llvm run` would; returns its exit code.
fn child(file: &str, opt: &str, args: Vec<String>) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {file}: {e}");
            return 2;
        }
    };
    let source = SourceFile::new(file, text);
    let (program, mut diags) = nyash_syntax::parse(&source);
    let module = match nyash_mir::pipeline::compile(&program, &source, true) {
        Ok((m, mut warnings)) => {
            diags.append(&mut warnings);
            m
        }
        Err(mut errors) => {
            diags.append(&mut errors);
            eprint!("{}", nyash_syntax::render(&source, &diags));
            return 1;
        }
    };
    if !diags.is_empty() {
        eprint!("{}", nyash_syntax::render(&source, &diags));
        if diags.iter().any(|d| d.is_error()) {
            return 1;
        }
    }
    let opt_level = if opt == "O0" { OptLevel::O0 } else { OptLevel::O2 };
    let opts = Options { opt_level, verify: true };
    if let Ok(path) = std::env::var(CHILD_OBJ) {
        return match LlvmBackend.emit_object(&module, &opts).map(|o| std::fs::write(&path, o.bytes))
        {
            Ok(Ok(())) => 0,
            Ok(Err(e)) => {
                eprintln!("cannot write {path}: {e}");
                2
            }
            Err(e) => {
                eprintln!("error: {e}");
                101
            }
        };
    }
    if std::env::var_os("NYASH_LLVM_EMIT_IR").is_some() {
        return match LlvmBackend.emit_text(&module, &opts, nyash_mir::EmitKind::Ir) {
            Ok(ir) => {
                print!("{ir}");
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                101
            }
        };
    }
    let mut argv = vec![file.to_string()];
    argv.extend(args);
    match LlvmBackend.run(&module, &opts, &argv) {
        Ok(out) => out.exit_code,
        Err(e) => {
            eprintln!("error: {e}");
            101
        }
    }
}

struct Case {
    dir: PathBuf,
    file_name: String,
    rel: String,
}

fn discover(root: &Path, dir: &Path, out: &mut Vec<Case>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            discover(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "nyash") {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            out.push(Case { dir: dir.to_path_buf(), file_name, rel });
        }
    }
}

fn sibling(case: &Case, ext: &str) -> PathBuf {
    let stem = case.file_name.strip_suffix(".nyash").unwrap_or(&case.file_name);
    case.dir.join(format!("{stem}.{ext}"))
}

/// Runs `case` at `opt` in a child process; `Err` describes a mismatch.
fn check(case: &Case, opt: &str) -> Result<(), String> {
    let expected_out =
        std::fs::read(sibling(case, "stdout")).map_err(|e| format!("no .stdout: {e}"))?;
    let expected_exit: i32 = match std::fs::read_to_string(sibling(case, "exit")) {
        Ok(t) => t.trim().parse().map_err(|_| "bad .exit file".to_string())?,
        Err(_) => 0,
    };
    let expected_err = std::fs::read_to_string(sibling(case, "stderr")).ok();
    let args: Vec<String> = std::fs::read_to_string(sibling(case, "args"))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(&args)
        .env(CHILD, &case.file_name)
        .env(CHILD_OPT, opt)
        .current_dir(&case.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot spawn: {e}"))?;
    // Read the pipes on threads so a chatty child cannot block on a full pipe.
    let mut so = child.stdout.take().ok_or("no stdout pipe")?;
    let mut se = child.stderr.take().ok_or("no stderr pipe")?;
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut so, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut se, &mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            return Err("timed out after 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).replace('\r', "");
    let code = status
        .code()
        .ok_or_else(|| format!("killed by a signal: {status:?}\nstderr:\n{stderr}"))?;
    let mut problems = Vec::new();
    if stdout != expected_out {
        problems.push(format!(
            "stdout differs\n--- expected\n{}--- got\n{}",
            String::from_utf8_lossy(&expected_out),
            String::from_utf8_lossy(&stdout)
        ));
    }
    if code != expected_exit {
        problems.push(format!("exit code {code}, expected {expected_exit}\nstderr:\n{stderr}"));
    }
    if let Some(want) = expected_err {
        if want.replace('\r', "") != stderr {
            problems.push(format!("stderr differs\n--- expected\n{want}--- got\n{stderr}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn parent() -> i32 {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/programs");
    let mut cases = Vec::new();
    discover(&root, &root, &mut cases);
    cases.retain(|c| !c.rel.starts_with("errors_compile"));
    cases.retain(|c| filter.as_deref().is_none_or(|f| c.rel.contains(f)));
    cases.sort_by(|a, b| a.rel.cmp(&b.rel));
    let jobs: Vec<(&Case, &str)> = cases.iter().flat_map(|c| [(c, "O0"), (c, "O2")]).collect();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(case, opt)) = jobs.get(i) else { break };
                if let Err(e) = check(case, opt) {
                    failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(format!("{} [{opt}]: {e}", case.rel));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    for f in &failures {
        println!("FAIL {f}\n");
    }
    println!("corpus on LLVM ORC: {} runs, {} failed", jobs.len(), failures.len());
    i32::from(!failures.is_empty())
}
