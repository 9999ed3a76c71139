//! The conformance corpus on disk: finding `programs/**/*.nyash`, reading the expectation
//! files beside each program, and rewriting them under `NYASH_BLESS=1`.

use std::fs;
use std::path::{Path, PathBuf};

/// One program of the corpus.
#[derive(Clone, Debug)]
pub struct Case {
    /// Path relative to the corpus root with `/` separators, e.g. `ops/div.nyash`.
    pub rel: String,
    /// The directory the program is run in.
    pub dir: PathBuf,
    /// The bare file name passed as FILE (so locations read `at div.nyash:3:5`).
    pub file_name: String,
}

impl Case {
    /// `<dir>/<stem>.<ext>`: an expectation file beside the program.
    pub fn sibling(&self, ext: &str) -> PathBuf {
        let stem = self.file_name.strip_suffix(".nyash").unwrap_or(&self.file_name);
        self.dir.join(format!("{stem}.{ext}"))
    }
}

/// Every `*.nyash` file under `root`, sorted by relative path so trial order is stable.
pub fn discover(root: &Path) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    walk(root, root, &mut cases)?;
    cases.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(cases)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Case>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let ty = entry.file_type().map_err(|e| format!("{}: {e}", path.display()))?;
        if ty.is_dir() {
            walk(root, &path, out)?;
        } else if path.extension().is_some_and(|x| x == "nyash") {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            out.push(Case { rel: rel.join("/"), dir: dir.to_path_buf(), file_name });
        }
    }
    Ok(())
}

/// What a program is expected to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub stdout: Vec<u8>,
    pub exit: i32,
    /// `None`: stderr is not checked.
    pub stderr: Option<String>,
}

/// Reads `<name>.stdout` (required), `<name>.exit` (default 0) and `<name>.stderr`.
pub fn load_expectation(case: &Case) -> Result<Expectation, String> {
    let stdout_path = case.sibling("stdout");
    let stdout = fs::read(&stdout_path).map_err(|e| {
        format!(
            "missing expectation {}: {e}\n(run `NYASH_BLESS=1 cargo test -p nyash-tests` to create it from the vm's output, then review it)",
            stdout_path.display()
        )
    })?;
    let exit = match fs::read_to_string(case.sibling("exit")) {
        Ok(text) => text.trim().parse::<i32>().map_err(|_| {
            format!("{}: `{}` is not an exit code", case.sibling("exit").display(), text.trim())
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(format!("cannot read {}: {e}", case.sibling("exit").display())),
    };
    let stderr = match fs::read(case.sibling("stderr")) {
        Ok(bytes) => Some(normalize_stderr(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", case.sibling("stderr").display())),
    };
    Ok(Expectation { stdout, exit, stderr })
}

/// Program arguments from `<name>.args`, one per line (none when the file is absent).
pub fn load_args(case: &Case) -> Result<Vec<String>, String> {
    match fs::read_to_string(case.sibling("args")) {
        Ok(text) => {
            Ok(text.lines().map(|l| l.strip_suffix('\r').unwrap_or(l).to_string()).collect())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", case.sibling("args").display())),
    }
}

/// Stderr as compared: lossy UTF-8 with every `\r` removed.
pub fn normalize_stderr(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\r', "")
}

/// Rewrites the expectation files from an observed result: `.stdout` always; `.exit` only
/// when non-zero (a stale one is removed); `.stderr` when it already exists or the exit code
/// is non-zero. Returns the expectation as written.
pub fn bless(case: &Case, stdout: &[u8], exit: i32, stderr: &[u8]) -> Result<Expectation, String> {
    let write = |ext: &str, bytes: &[u8]| {
        fs::write(case.sibling(ext), bytes)
            .map_err(|e| format!("cannot write {}: {e}", case.sibling(ext).display()))
    };
    write("stdout", stdout)?;
    if exit != 0 {
        write("exit", format!("{exit}\n").as_bytes())?;
    } else if case.sibling("exit").exists() {
        fs::remove_file(case.sibling("exit"))
            .map_err(|e| format!("cannot remove {}: {e}", case.sibling("exit").display()))?;
    }
    let keep_stderr = exit != 0 || case.sibling("stderr").exists();
    if keep_stderr {
        write("stderr", normalize_stderr(stderr).as_bytes())?;
    }
    Ok(Expectation {
        stdout: stdout.to_vec(),
        exit,
        stderr: keep_stderr.then(|| normalize_stderr(stderr)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("nyash-corpus-test-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("sub")).unwrap();
        d
    }

    #[test]
    fn discovers_nested_programs_in_order() {
        let root = scratch("discover");
        fs::write(root.join("b.nyash"), "").unwrap();
        fs::write(root.join("sub/a.nyash"), "").unwrap();
        fs::write(root.join("sub/a.stdout"), "").unwrap();
        let cases = discover(&root).unwrap();
        let rels: Vec<_> = cases.iter().map(|c| c.rel.as_str()).collect();
        assert_eq!(rels, ["b.nyash", "sub/a.nyash"]);
        assert_eq!(cases[1].file_name, "a.nyash");
        assert_eq!(cases[1].sibling("exit"), root.join("sub/a.exit"));
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn expectations_and_bless_rules() {
        let root = scratch("bless");
        fs::write(root.join("p.nyash"), "").unwrap();
        let case = discover(&root).unwrap().remove(0);
        assert!(load_expectation(&case).is_err(), "stdout file is required");

        // A failing run records exit and stderr.
        bless(&case, b"out\n", 1, b"error: x\r\n").unwrap();
        let e = load_expectation(&case).unwrap();
        assert_eq!(
            e,
            Expectation { stdout: b"out\n".to_vec(), exit: 1, stderr: Some("error: x\n".into()) }
        );

        // A later passing run removes the stale .exit but keeps (rewrites) the .stderr.
        bless(&case, b"ok\n", 0, b"").unwrap();
        let e = load_expectation(&case).unwrap();
        assert_eq!(
            e,
            Expectation { stdout: b"ok\n".to_vec(), exit: 0, stderr: Some(String::new()) }
        );
        assert!(!case.sibling("exit").exists());

        fs::write(case.sibling("args"), "a b\n-x\n").unwrap();
        assert_eq!(load_args(&case).unwrap(), ["a b", "-x"]);
        let _ = fs::remove_dir_all(&root);
    }
}
