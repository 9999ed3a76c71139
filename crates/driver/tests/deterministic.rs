//! The compiler's output depends only on its input: `emit` of the same program in separate
//! processes (each with its own hash seeds) prints the same MIR, CLIF and LLVM IR. The
//! programs chosen exercise the passes and backend paths that keep maps (specialization,
//! loop versioning, array views that grow, string fusion).

use std::process::Command;

const PROGRAMS: [&str; 4] = [
    "tests/programs/arrays/element_alias.nyash",
    "benches/programs/matmul.nyash",
    "benches/programs/nbody.nyash",
    "benches/programs/text.nyash",
];

fn emit(args: &[&str], program: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = Command::new(env!("CARGO_BIN_EXE_nyash"))
        .arg("emit")
        .args(args)
        .arg(program)
        .current_dir(root)
        .output()
        .expect("run nyash");
    assert!(
        out.status.success(),
        "emit {args:?} {program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn emit_is_the_same_in_every_process() {
    let forms = [["--mir"], ["--clif"], ["--llvm-ir"]];
    for program in PROGRAMS {
        for args in &forms {
            let first = emit(args, program);
            for _ in 0..2 {
                assert!(
                    emit(args, program) == first,
                    "emit {args:?} {program} differs between runs"
                );
            }
        }
    }
}
