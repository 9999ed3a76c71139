//! Builds `nyash-runtime` as a static library so the driver can embed it for AOT linking.
//!
//! Cargo never puts a *dependency's* `staticlib` where a program could find it, so this
//! script runs a nested `cargo build -p nyash-runtime --release --lib` into its own target
//! directory under `OUT_DIR` (a separate directory, so the outer build's lock is not
//! contended) and hands the archive's path and a content hash to the driver's source through
//! `cargo:rustc-env` (after stripping debug info, which only slows links down).
//! `src/runtime_lib.rs` then `include_bytes!`s it.
//!
//! It also hands the linker `link-order.txt`, the order to lay out the driver's functions in
//! (see [`link_order`]).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.join("../..");
    let runtime = workspace.join("crates/runtime");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", runtime.join("src").display());
    println!("cargo:rerun-if-changed={}", runtime.join("Cargo.toml").display());

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let target_dir = out_dir.join("rt");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .args(["-p", "nyash-runtime", "--release", "--lib"])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags are meant for the outer build: instrumentation such as
    // coverage or sanitizers would leave undefined symbols in the archive that an AOT link
    // with plain `cc` cannot resolve. Wrappers (clippy-driver) and target-dir overrides
    // would also redirect or slow the nested build.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    // Every runtime function starts on a cache line (`nyash_mir::FUNCTION_ALIGN`, which says
    // why), so its loops sit at the same offsets in every executable, whatever is linked
    // before it. 6 is log2 of that constant: change both together. The flag goes to the
    // nested build only (the driver itself is not relinked into programs).
    cmd.env("CARGO_ENCODED_RUSTFLAGS", "-Cllvm-args=-align-all-functions=6");
    // Debug info would only make the embedded archive (and so the driver) several times
    // larger; the runtime's errors carry source locations of the Nyash program anyway.
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    // The release profile's LTO is for the driver; the archive stays as cc links it best,
    // ordinary object code (and builds in seconds).
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "false");
    cmd.env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");

    let output = match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("could not run cargo to build the nyash runtime archive: {e}"),
    };
    if !output.status.success() {
        panic!(
            "building the nyash runtime archive failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let built = target_dir.join("release").join("libnyash_runtime.a");
    let archive = strip_debug_info(&built, &out_dir).unwrap_or(built);
    let bytes = match std::fs::read(&archive) {
        Ok(b) => b,
        Err(e) => panic!("nested cargo build did not produce {}: {e}", archive.display()),
    };
    println!("cargo:rustc-env=NYASH_RUNTIME_ARCHIVE={}", archive.display());
    println!("cargo:rustc-env=NYASH_RUNTIME_HASH={}", content_hash(&bytes));

    link_order(&manifest_dir);
}

/// Places the functions a compile executes next to each other in the release `nyash`
/// executable, in the order of `link-order.txt` (written by `link-order.py`, which says
/// why): a short-lived process then maps in its code with about half as many page faults.
///
/// `--symbol-ordering-file` is an LLD (and mold) option; LLD is what Rust links with by
/// default on x86_64 Linux, so only that target gets it. `NYASH_LINK_ORDER=off` leaves it
/// out, for a toolchain configured to link with GNU ld.
fn link_order(manifest_dir: &Path) {
    let list = manifest_dir.join("link-order.txt");
    println!("cargo:rerun-if-changed={}", list.display());
    println!("cargo:rerun-if-env-changed=NYASH_LINK_ORDER");
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    let lld_by_default = env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    let disabled = env::var("NYASH_LINK_ORDER").is_ok_and(|v| v == "off");
    if release && lld_by_default && !disabled && list.exists() {
        println!("cargo:rustc-link-arg-bin=nyash=-Wl,--symbol-ordering-file={}", list.display());
        // Functions renamed or removed since the list was made are expected, not an error.
        println!("cargo:rustc-link-arg-bin=nyash=-Wl,--no-warn-symbol-ordering");
    }
}

/// The standard library inside the archive carries DWARF that makes AOT links ~3x slower
/// and executables ~4x larger. Strip it with binutils' `strip` when available (it is
/// wherever `cc` is); without it the unstripped archive works just the same.
fn strip_debug_info(archive: &Path, out_dir: &Path) -> Option<PathBuf> {
    let stripped = out_dir.join("libnyash_runtime.stripped.a");
    let status = Command::new("strip")
        .arg("--strip-debug")
        .arg("-o")
        .arg(&stripped)
        .arg(archive)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then_some(stripped)
}

/// A hex digest of the whole archive: two independent 64-bit FNV-1a lanes plus the length.
/// It only names the cache file, so it needs to tell builds apart, not resist attackers.
fn content_hash(bytes: &[u8]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    for &x in bytes {
        a = (a ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3);
        b = (b ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(5);
    }
    format!("{a:016x}{b:016x}{:x}", bytes.len())
}
