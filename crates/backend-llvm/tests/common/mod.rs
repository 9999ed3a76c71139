//! Helpers shared by the source-level backend tests: compile Nyash text to legal MIR, and build
//! an AOT executable against the runtime staticlib cargo put next to the test binary.

use nyash_backend_llvm::LlvmBackend;
use nyash_mir::*;
use std::path::PathBuf;
use std::process::Command;

/// Source text → legal MIR through the real front end (panics on compile errors).
pub fn compile_source(src: &str) -> Module {
    let file = nyash_syntax::SourceFile::new("src.nyash", src);
    let (program, diags) = nyash_syntax::parse(&file);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    nyash_mir::pipeline::compile(&program, &file, true).expect("compile").0
}

/// The runtime staticlib cargo built next to this test binary.
pub fn runtime_staticlib() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe path");
    let deps = exe.parent().expect("deps dir");
    let mut libs: Vec<PathBuf> = std::fs::read_dir(deps)
        .expect("read deps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("libnyash_runtime-") && name.ends_with(".a")
        })
        .collect();
    libs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    libs.pop().expect("libnyash_runtime-*.a next to the test binary")
}

/// Emits at -O2, links with `cc`, runs with `envs`; returns (exit code, stdout, stderr).
pub fn build_and_run(m: &Module, name: &str, envs: &[(&str, &str)]) -> (i32, String, String) {
    let obj = LlvmBackend.emit_object(m, &Options { verify: true, ..Options::default() });
    let obj = obj.unwrap_or_else(|e| panic!("{e}"));
    let dir = std::env::temp_dir().join(format!("nyash-llvm-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = dir.join(format!("{name}.o"));
    let exe = dir.join(name);
    std::fs::write(&o, &obj.bytes).unwrap();
    let status = Command::new("cc")
        .arg(&o)
        .arg(runtime_staticlib())
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&exe)
        .status()
        .expect("run cc");
    assert!(status.success(), "linking {name} failed");
    let out = Command::new(&exe).envs(envs.iter().copied()).output().expect("run executable");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
