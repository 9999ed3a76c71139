//! Links an AOT object with the runtime archive into an executable, using the system C
//! compiler driver (`cc`, or `$CC`) so the platform's crt files and libc are found for us.

use crate::runtime_lib;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes `object` to `scratch/main.o` and links `out`. Errors are one-paragraph messages
/// meant for the user (the linker's own stderr is included).
pub(crate) fn link_executable(object: &[u8], out: &Path, scratch: &Path) -> Result<(), String> {
    let obj_path = scratch.join("main.o");
    std::fs::write(&obj_path, object)
        .map_err(|e| format!("cannot write `{}`: {e}", obj_path.display()))?;
    let archive = runtime_lib::archive_path(scratch)?;

    let run = |fast_linker: bool| {
        let (mut cmd, cc) = c_compiler();
        if fast_linker {
            cmd.arg("-fuse-ld=gold");
        }
        cmd.arg(&obj_path).arg(&archive).arg("-o").arg(out);
        // A non-PIE executable links both position-independent objects and ones with absolute
        // relocations, so the backends' object settings cannot break the link.
        cmd.arg("-no-pie").args(runtime_lib::NATIVE_LIBS);
        let output = cmd.output().map_err(|e| {
            format!("cannot run the linker `{cc}`: {e} (install a C compiler, or set CC to one)")
        })?;
        Ok::<_, String>((output, cc))
    };
    // gold links the runtime archive about twice as fast as the default BFD ld (~110 vs
    // ~200 ms for any program on the 2-core CI machine), and `build`'s time is mostly this
    // link. A `CC` chosen by the user is left alone; should gold fail where BFD would not,
    // the default linker gets the final word.
    let gold = std::env::var_os("CC").is_none() && find_on_path("ld.gold").is_some();
    let (mut output, mut cc) = run(gold)?;
    if gold && !output.status.success() {
        (output, cc) = run(false)?;
    }
    if !output.status.success() {
        return Err(format!(
            "linking `{}` with `{cc}` failed ({}):\n{}",
            out.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        ));
    }
    Ok(())
}

/// The system C compiler driver as a command ready for arguments, and its name for messages:
/// `$CC` when set (it may carry flags: `CC="gcc -m64"`, `ccache cc`; the first word is the
/// program), else `cc`. Shared by linking and `bench --baseline c`.
pub(crate) fn c_compiler() -> (Command, String) {
    let cc =
        std::env::var("CC").ok().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| "cc".into());
    let mut words = cc.split_whitespace();
    let program = words.next().unwrap_or("cc");
    let mut cmd = Command::new(program);
    cmd.args(words);
    (cmd, cc)
}

/// The first executable file named `name` in a PATH directory.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}
