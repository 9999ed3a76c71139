//! Building benchmark executables once (Nyash AOT through `nyash build` run in process, or
//! emit + link here; the C baseline via `cc -O2`) and running them as subprocesses.
//!
//! The driver exposes no public link function, but its library runs the whole CLI in process
//! (`nyash_driver::main_with_args`), so Nyash executables are built by `nyash build` itself —
//! with the runtime archive the driver embeds — without needing a release `nyash` binary. If
//! that fails, a second route emits the object here and links it the way the driver does:
//! object + `libnyash_runtime.a` + the system libraries a Rust staticlib needs.

use crate::{options, programs_dir, workspace_root, Mode};
use nyash_mir::{Module, OptLevel};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A directory for built executables, under the target directory so `cargo clean` removes it.
pub fn scratch_dir() -> Result<PathBuf, String> {
    let dir = target_profile_dir()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("nyash-benches");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// `target/<profile>/` of the running bench binary (which lives in `target/<profile>/deps/`).
fn target_profile_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? == "deps" {
        deps.parent().map(Path::to_path_buf)
    } else {
        Some(deps.to_path_buf())
    }
}

/// Builds an AOT `mode` executable of `source` at -O2 into `out`: through the driver library
/// first, else by emitting `module` (the same program, already lowered) and linking it here.
pub fn build_nyash_executable(
    mode: Mode,
    module: &Module,
    source: &Path,
    out: &Path,
) -> Result<PathBuf, String> {
    if !mode.aot() {
        return Err(format!("{} is not an AOT mode", mode.name()));
    }
    let via_driver = build_with_driver(mode, source, out);
    match via_driver {
        Ok(()) => Ok(out.to_path_buf()),
        Err(first) => match emit_and_link(mode, module, out) {
            Ok(()) => Ok(out.to_path_buf()),
            Err(second) => Err(format!("`nyash build`: {first}; emit + cc: {second}")),
        },
    }
}

/// `nyash --backend=<b> -O2 build <source> -o <out>`, run by the driver library in process
/// (its diagnostics go to stderr). Panics are caught so a driver bug only skips the mode.
fn build_with_driver(mode: Mode, source: &Path, out: &Path) -> Result<(), String> {
    let args: Vec<std::ffi::OsString> = vec![
        "nyash".into(),
        format!("--backend={}", mode.backend().name()).into(),
        "-O2".into(),
        "build".into(),
        source.into(),
        "-o".into(),
        out.into(),
    ];
    let status =
        std::panic::catch_unwind(|| nyash_driver::main_with_args(args)).map_err(|_| "panicked")?;
    if status == 0 && out.is_file() {
        Ok(())
    } else {
        Err(format!("exited with {status}"))
    }
}

/// Emits the object in process and links it with the runtime staticlib.
fn emit_and_link(mode: Mode, module: &Module, out: &Path) -> Result<(), String> {
    let bytes = crate::try_emit_object(mode.backend(), module, &options(OptLevel::O2))?;
    let obj = out.with_extension("o");
    std::fs::write(&obj, bytes).map_err(|e| format!("cannot write {}: {e}", obj.display()))?;
    let runtime = find_runtime_staticlib()?;
    let output = Command::new("cc")
        .arg(&obj)
        .arg(&runtime)
        // As `nyash build` links: non-PIE accepts objects with absolute relocations too.
        .arg("-no-pie")
        // What `rustc --print native-static-libs` lists for a std staticlib on Linux.
        .args(["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"])
        .arg("-o")
        .arg(out)
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !output.status.success() {
        return Err(format!("cc failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(())
}

/// `libnyash_runtime.a`: `$NYASH_RUNTIME_LIB`, else an archive cargo left in this bench
/// build's profile dir (uplifted, or hashed in `deps/`), else the newest archive the driver
/// cached for `nyash build` (`~/.cache/nyash/runtime-<hash>.a`, see driver/src/runtime_lib.rs).
fn find_runtime_staticlib() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("NYASH_RUNTIME_LIB") {
        return Ok(PathBuf::from(p));
    }
    let profile = target_profile_dir().ok_or("cannot locate the target directory")?;
    let uplifted = profile.join("libnyash_runtime.a");
    if uplifted.is_file() {
        return Ok(uplifted);
    }
    let mut dirs = vec![(profile.join("deps"), "libnyash_runtime-")];
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        dirs.push((PathBuf::from(x).join("nyash"), "runtime-"));
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        dirs.push((PathBuf::from(h).join(".cache/nyash"), "runtime-"));
    }
    dirs.push((std::env::temp_dir().join("nyash-cache"), "runtime-"));
    for (dir, prefix) in &dirs {
        if let Some(p) = newest_archive(dir, prefix) {
            return Ok(p);
        }
    }
    Err(format!("no libnyash_runtime.a under {} or the nyash cache", profile.display()))
}

/// The most recently modified `<prefix>*.a` in `dir`, if any.
fn newest_archive(dir: &Path, prefix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix) && name.ends_with(".a")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max_by_key(|(modified, _)| *modified)
        .map(|(_, p)| p)
}

/// `cc -O2 programs/<file> -o <out>`.
pub fn build_c(file: &str, out: &Path) -> Result<PathBuf, String> {
    let src = programs_dir().join(file);
    let output = Command::new("cc")
        .arg("-O2")
        .arg(&src)
        .arg("-o")
        .arg(out)
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !output.status.success() {
        return Err(format!("cc failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(out.to_path_buf())
}

/// Runs an executable to completion and returns its stdout; a non-zero exit is an error.
pub fn run_executable(exe: &Path) -> Result<String, String> {
    let output = Command::new(exe)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !output.status.success() {
        return Err(format!("{} exited with {}", exe.display(), output.status));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("{} printed invalid UTF-8", exe.display()))
}
