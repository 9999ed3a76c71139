//! Turns `symbols.txt` into the trampolines, their slots and the name table `src/lib.rs`
//! includes: `trampolines.s` (x86-64, AT&T syntax) and `names.rs` in `OUT_DIR`.
//!
//! `NYASH_LLVM_SYMBOLS=PATH` replaces the list (only `regen-symbols.sh` uses it, with an
//! empty file, to see which LLVM functions the binaries import when nothing provides them).

use std::env;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=symbols.txt");
    println!("cargo:rerun-if-env-changed=NYASH_LLVM_SYMBOLS");
    let list = match env::var_os("NYASH_LLVM_SYMBOLS") {
        Some(path) => {
            println!("cargo:rerun-if-changed={}", PathBuf::from(&path).display());
            PathBuf::from(path)
        }
        None => PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"))
            .join("symbols.txt"),
    };
    let text = std::fs::read_to_string(&list)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", list.display()));
    let names: Vec<&str> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    for name in &names {
        // The names are pasted into assembly and Rust source: anything but a C identifier
        // would be a broken list, not something to quote.
        let ident = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident || !name.starts_with("LLVM") {
            panic!("{}: `{name}` is not an LLVM C API function name", list.display());
        }
    }
    let mut sorted = names.clone();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        panic!("{}: `{}` is listed twice", list.display(), w[0]);
    }

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    write(&out.join("trampolines.s"), &assembly(&names));
    write(&out.join("names.rs"), &name_table(&names));
}

fn write(path: &PathBuf, contents: &str) {
    std::fs::write(path, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// One trampoline per function, `jmp *slot`, and one "not loaded yet" stub per function that
/// the slot points to until `load()` fills it. Everything is hidden: the executable must not
/// export these names, or libLLVM's own references to them could bind to the trampolines.
/// The `{not_loaded}` operand is the Rust function that reports the call and aborts.
fn assembly(names: &[&str]) -> String {
    let mut s = String::new();
    s.push_str("    .pushsection .text.nyash_llvm_trampolines,\"ax\",@progbits\n");
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            s,
            "    .p2align 4
    .globl {name}
    .hidden {name}
    .type {name},@function
{name}:
    .cfi_startproc
    jmp *nyash_llvm_slots+{off}(%rip)
    .cfi_endproc
    .size {name},.-{name}
",
            off = 8 * i
        );
    }
    for i in 0..names.len() {
        let _ = writeln!(
            s,
            ".Lnyash_llvm_unloaded_{i}:\n    movl ${i}, %edi\n    jmp .Lnyash_llvm_unloaded"
        );
    }
    // Arguments are dead here (the process aborts), so %edi can carry the index; the stack is
    // realigned because the stub is entered with whatever alignment the caller had.
    s.push_str(
        ".Lnyash_llvm_unloaded:
    andq $-16, %rsp
    call {not_loaded}
    ud2
    .popsection
    .pushsection .data.nyash_llvm_slots,\"aw\",@progbits
    .p2align 3
    .globl nyash_llvm_slots
    .hidden nyash_llvm_slots
nyash_llvm_slots:
",
    );
    for i in 0..names.len() {
        let _ = writeln!(s, "    .quad .Lnyash_llvm_unloaded_{i}");
    }
    s.push_str("    .popsection\n");
    s
}

/// `COUNT` and `NAMES[i]`, the function whose address goes into slot `i`.
fn name_table(names: &[&str]) -> String {
    let mut s = format!("pub(crate) const COUNT: usize = {};\n", names.len());
    s.push_str("pub(crate) static NAMES: [&std::ffi::CStr; COUNT] = [\n");
    for name in names {
        let _ = writeln!(s, "    c\"{name}\",");
    }
    s.push_str("];\n");
    s
}
