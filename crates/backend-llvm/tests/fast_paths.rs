//! Tests of the inline fast paths (`codegen/fast.rs`): ArrayBox get/set/length/size/push on
//! Array receivers and inline retain/release, at every -O level, as JIT and as linked AOT
//! executables (output, `fini` timing, runtime error messages, `NYASH_RC_CHECK=1`). The
//! program is the same one the Cranelift backend's `tests_fast.rs` runs.

use nyash_backend_llvm::LlvmBackend;
use nyash_mir::*;

mod common;
use common::{build_and_run, compile_source};

const ARRAY_PROGRAM: &str = r#"
box Noisy {
    name
    birth(n) { me.name = n }
    fini() { print("fini " + me.name) }
}
static box Main {
    main() {
        local a = new ArrayBox()
        local i = 0
        loop(i < 100) {
            a.push("s" + i)
            i = i + 1
        }
        local total = a.length() + a.size()
        local keep = a.get(5)
        a.set(5, "five")
        print(keep + " " + a.get(5))
        print(a.get(-1))
        print(a.get(100))
        local n = 0
        i = 0
        loop(i < a.length()) {
            n = n + a.get(i).length()
            i = i + 1
        }
        print(n)
        a.set(0, new Noisy("x"))
        print("before")
        a.set(0, 7)
        print("after")
        a.push(new Noisy("y"))
        local y = a.get(100)
        a.pop()
        print("popped " + y.name)
        y = null
        print(a.get(0) + a.get(1).length())
        return n - 292 + total - 200 + 42
    }
}
"#;

const ARRAY_OUTPUT: &str = "s5 five\nnull\nnull\n292\nbefore\nfini x\nafter\npopped y\nfini y\n9\n";

#[test]
fn array_fast_paths_jit_all_levels() {
    let m = compile_source(ARRAY_PROGRAM);
    for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2, OptLevel::O3] {
        let opts = Options { opt_level: level, verify: true };
        let out = LlvmBackend.run(&m, &opts, &["t".into()]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.exit_code, 42, "at {level:?}");
    }
}

#[test]
fn array_fast_paths_aot_with_and_without_rc_check() {
    let m = compile_source(ARRAY_PROGRAM);
    let (code, out, err) = build_and_run(&m, "arr", &[]);
    assert_eq!((code, out.as_str(), err.as_str()), (42, ARRAY_OUTPUT, ""));
    let (code, out, err) = build_and_run(&m, "arr_rc", &[("NYASH_RC_CHECK", "1")]);
    assert_eq!((code, out.as_str(), err.as_str()), (42, ARRAY_OUTPUT, ""));
}

#[test]
fn array_fast_path_errors_come_from_the_runtime() {
    let set = compile_source(
        "static box Main {\n    main() {\n        local a = new ArrayBox()\n        a.push(1)\n        a.set(3, 2)\n        return 0\n    }\n}\n",
    );
    let (code, _, err) = build_and_run(&set, "set", &[]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: ArrayBox.set: index 3 out of range (length 1)\n  at "),
        "{err}"
    );
    let get = compile_source(
        "static box Main {\n    main() {\n        local a = new ArrayBox()\n        a.push(1)\n        print(a.get(\"0\"))\n        return 0\n    }\n}\n",
    );
    let (code, _, err) = build_and_run(&get, "get", &[]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: ArrayBox.get: argument 1 must be Int, got String\n"), "{err}");
}

#[test]
fn fast_paths_are_inline_in_the_ir() {
    let m = compile_source(ARRAY_PROGRAM);
    let o0 = Options { opt_level: OptLevel::O0, verify: true };
    let ir = LlvmBackend.emit_text(&m, &o0, EmitKind::Ir).unwrap_or_else(|e| panic!("{e}"));
    for needle in ["rc.check", "rc.slow", "arr.inb", "arr.slow", "!prof", "branch_weights"] {
        assert!(ir.contains(needle), "missing {needle}:\n{ir}");
    }
}
