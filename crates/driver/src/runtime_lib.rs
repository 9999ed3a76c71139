//! The Nyash runtime static library, embedded in the driver and written once to a cache file
//! so `cc` can link AOT executables from any working directory without user setup.
//!
//! `build.rs` builds `libnyash_runtime.a` with a nested cargo invocation; here its bytes are
//! included and materialized as `<cache>/nyash/runtime-<content hash>.a`, where `<cache>` is
//! `$XDG_CACHE_HOME`, else `$HOME/.cache`, else the system temp dir. The name changes with
//! the contents, so a rebuilt runtime never meets a stale archive.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

static ARCHIVE: &[u8] = include_bytes!(env!("NYASH_RUNTIME_ARCHIVE"));
const HASH: &str = env!("NYASH_RUNTIME_HASH");

/// Native libraries a Rust staticlib needs on linux-gnu, as printed by
/// `rustc --print native-static-libs` for std (threads, dynamic loading, math, unwinding).
pub(crate) const NATIVE_LIBS: &[&str] =
    &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

/// Returns the path of the runtime archive on disk, writing it first if needed.
/// `scratch` (a per-invocation temp dir) is the last resort when no cache dir is writable.
pub(crate) fn archive_path(scratch: &Path) -> Result<PathBuf, String> {
    let file_name = format!("runtime-{HASH}.a");
    let mut last_err = String::new();
    for dir in cache_dirs().into_iter().chain(std::iter::once(scratch.to_path_buf())) {
        let path = dir.join(&file_name);
        if is_complete(&path) {
            return Ok(path);
        }
        match write_atomically(&dir, &path) {
            Ok(()) => {
                prune_stale(&dir, &file_name);
                return Ok(path);
            }
            Err(e) => last_err = format!("{}: {e}", path.display()),
        }
    }
    Err(format!("cannot write the runtime library: {last_err}"))
}

fn cache_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(x).join("nyash"));
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(h).join(".cache").join("nyash"));
    }
    dirs.push(std::env::temp_dir().join("nyash-cache"));
    dirs
}

/// The hash in the name already pins the contents; the size check catches a file truncated
/// by something other than us (we only ever publish complete files, via rename).
fn is_complete(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == ARCHIVE.len() as u64)
}

/// Writes to a unique temporary name in the same directory and renames it into place, so
/// concurrent `nyash build`s never see a half-written archive.
fn write_atomically(dir: &Path, path: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".runtime-{HASH}.{}.{}.tmp",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(ARCHIVE)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes archives of other runtime versions unused for a day, so rebuilding nyash many
/// times does not fill the cache. (Another nyash version that still wants its archive just
/// writes it again.)
fn prune_stale(dir: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == keep || !name.starts_with("runtime-") || !name.ends_with(".a") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_archive_is_an_ar_file() {
        assert!(ARCHIVE.starts_with(b"!<arch>\n"), "not an ar archive");
    }

    #[test]
    fn materializes_into_the_scratch_dir_when_needed() {
        let scratch = std::env::temp_dir().join(format!("nyash-rtlib-test-{}", std::process::id()));
        let path = archive_path(&scratch).expect("archive written somewhere");
        assert!(is_complete(&path));
        assert_eq!(fs::read(&path).expect("readable").len(), ARCHIVE.len());
        let _ = fs::remove_dir_all(&scratch);
    }
}
