//! Tests of the inline fast paths (`codegen/fast.rs`): ArrayBox get/set/length/size/push on
//! Array receivers and inline retain/release, against the runtime's semantics — in range and
//! out of range, growth, reference counts (a value read survives its slot being overwritten,
//! `fini` runs exactly when `set` drops the last reference), errors with exact messages, and
//! `NYASH_RC_CHECK=1` finding nothing wrong.

use crate::tests::{build_and_run, compile_source, run};
use crate::CraneliftBackend;
use nyash_mir::{Backend, EmitKind, Options};

/// Exercises every fast path and its fallbacks; returns 42 when every check holds.
pub(crate) const ARRAY_PROGRAM: &str = r#"
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
fn array_fast_paths_jit() {
    assert_eq!(run(&compile_source(ARRAY_PROGRAM)), 42);
}

#[test]
fn array_fast_paths_aot_with_and_without_rc_check() {
    let m = compile_source(ARRAY_PROGRAM);
    let (code, out, err) = build_and_run(&m, "fastarr", &[]);
    assert_eq!((code, out.as_str(), err.as_str()), (42, ARRAY_OUTPUT, ""));
    std::env::set_var("NYASH_RC_CHECK", "1");
    let (code, out, err) = build_and_run(&m, "fastarr_rc", &[]);
    std::env::remove_var("NYASH_RC_CHECK");
    assert_eq!((code, out.as_str(), err.as_str()), (42, ARRAY_OUTPUT, ""));
}

#[test]
fn array_fast_path_errors_come_from_the_runtime() {
    let set = compile_source(
        "static box Main {\n    main() {\n        local a = new ArrayBox()\n        a.push(1)\n        a.set(3, 2)\n        return 0\n    }\n}\n",
    );
    let (code, _, err) = build_and_run(&set, "fastset", &[]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: ArrayBox.set: index 3 out of range (length 1)\n  at "),
        "{err}"
    );
    let get = compile_source(
        "static box Main {\n    main() {\n        local a = new ArrayBox()\n        a.push(1)\n        print(a.get(\"0\"))\n        return 0\n    }\n}\n",
    );
    let (code, _, err) = build_and_run(&get, "fastget", &[]);
    assert_eq!(code, 1);
    assert!(err.starts_with("error: ArrayBox.get: argument 1 must be Int, got String\n"), "{err}");
}

#[test]
fn fast_paths_are_inline_in_the_clif() {
    let m = compile_source(ARRAY_PROGRAM);
    let clif = CraneliftBackend.emit_text(&m, &Options::default(), EmitKind::Ir).unwrap();
    // Counts are compared (`sge 1` to retain, `sgt 1` to release) and updated in place, the
    // index is bounds-checked unsigned; the runtime calls remain in cold blocks.
    assert!(clif.contains(" cold:") && clif.contains("icmp sgt"), "{clif}");
    assert!(clif.contains(" ult "), "{clif}");
}
