//! The built `nyash` with libLLVM made unloadable (`NYASH_LIBLLVM` names a file that does
//! not exist): LLVM modes fail with one clear error line and the usage exit status, never a
//! crash; the VM and Cranelift keep working, and `compare` reports the LLVM modes as
//! unavailable. Also checks that the binary does not link libLLVM at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROGRAM: &str =
    "static box Main {\n    main() {\n        print(6 * 7)\n        return 0\n    }\n}\n";

/// A fresh directory holding `p.nyash`, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("nyash-no-llvm-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        std::fs::write(dir.join("p.nyash"), PROGRAM).expect("write program");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const MISSING: &str = "/nonexistent/libLLVM-14.so.1";

/// `nyash ARGS…` in `dir` with libLLVM unloadable.
fn nyash_without_llvm(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nyash"))
        .args(args)
        .current_dir(dir)
        .env("NYASH_LIBLLVM", MISSING)
        .output()
        .expect("run nyash")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn llvm_modes_fail_cleanly_and_others_work() {
    let s = Scratch::new("modes");
    let expected_error = format!(
        "error: the LLVM backend needs libLLVM-14.so.1: {MISSING}: cannot open shared object \
         file: No such file or directory\n"
    );
    for args in [
        &["--backend=llvm", "run", "p.nyash"][..],
        &["--backend=llvm", "build", "p.nyash", "-o", "p.bin"],
        &["emit", "--llvm-ir", "p.nyash"],
    ] {
        let out = nyash_without_llvm(&s.0, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stderr), expected_error, "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
    for backend in ["--backend=vm", "--backend=cranelift"] {
        let out = nyash_without_llvm(&s.0, &[backend, "run", "p.nyash"]);
        assert_eq!(out.status.code(), Some(0), "{backend}: {}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "42\n", "{backend}");
    }
}

#[test]
fn compare_and_bench_report_llvm_modes_unavailable() {
    let s = Scratch::new("compare");
    let out = nyash_without_llvm(&s.0, &["compare", "p.nyash"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    for mode in ["llvm-jit", "llvm-aot"] {
        let line = stdout.lines().find(|l| l.starts_with(mode)).unwrap_or_default();
        assert!(
            line.contains("unavailable: the LLVM backend needs libLLVM-14.so.1"),
            "{mode}: {stdout}"
        );
    }
    assert!(stdout.contains("all 3 available modes agree"), "{stdout}");

    let out = nyash_without_llvm(
        &s.0,
        &["bench", "p.nyash", "--modes", "vm,llvm-aot", "--runs", "1", "--warmup", "0"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let line = stdout.lines().find(|l| l.contains("llvm-aot")).unwrap_or_default();
    assert!(line.contains("skipped: the LLVM backend needs libLLVM-14.so.1"), "{stdout}");
}

#[test]
fn binary_does_not_link_libllvm() {
    // Reads the ELF dynamic section with `readelf` when binutils are there (they are
    // wherever `cc` is); without it there is nothing to check.
    let Ok(out) = Command::new("readelf").arg("-d").arg(env!("CARGO_BIN_EXE_nyash")).output()
    else {
        return;
    };
    let dynamic = text(&out.stdout);
    assert!(dynamic.contains("(NEEDED)"), "readelf output unexpected: {dynamic}");
    assert!(!dynamic.contains("libLLVM"), "nyash links libLLVM:\n{dynamic}");
}
