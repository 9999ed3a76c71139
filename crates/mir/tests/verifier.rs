//! Verifier tests: well-formed modules pass; broken ones are caught with messages that name
//! the function and block.

mod common;

use nyash_mir::verify::{verify_module, Stage};
use nyash_mir::*;

const SRC: &str = r#"
static box Math {
    add(a, b) { return a + b }
}
static box Main {
    main() {
        local i = 0
        loop(i < 3) { i = i + 1 }
        return Math.add(i, 2)
    }
}
"#;

fn errors_of(m: &Module, stage: Stage) -> String {
    match verify_module(m, stage) {
        Ok(()) => panic!("verifier accepted a broken module:\n{}", print::print_module(m)),
        Err(e) => e.join("\n"),
    }
}

fn func_mut<'m>(m: &'m mut Module, name: &str) -> &'m mut Function {
    m.funcs.iter_mut().find(|f| f.name == name).expect("function")
}

#[test]
fn compiled_modules_verify() {
    let m = common::compile(SRC);
    assert_eq!(verify_module(&m, Stage::Legal), Ok(()));
}

#[test]
fn use_of_undefined_value() {
    let mut m = common::compile(SRC);
    let f = func_mut(&mut m, "Math.add");
    let ghost = f.new_value(Type::Int);
    let Terminator::Return(v) = &mut f.blocks[0].term else { panic!("expected ret") };
    *v = ghost;
    let e = errors_of(&m, Stage::Legal);
    assert!(e.contains("Math.add: bb0: terminator uses v"), "{e}");
    assert!(e.contains("never defined"), "{e}");
}

#[test]
fn value_defined_twice() {
    let mut m = common::compile(SRC);
    let f = func_mut(&mut m, "Math.add");
    let first = f.blocks[0].insts[0].clone();
    f.blocks[0].insts.push(first);
    let e = errors_of(&m, Stage::Legal);
    assert!(e.contains("Math.add: bb0: v") && e.contains("defined more than once"), "{e}");
}

#[test]
fn call_argument_count_mismatch() {
    let mut m = common::compile(SRC);
    let f = func_mut(&mut m, "Main.main");
    let mut found = false;
    for b in &mut f.blocks {
        for i in &mut b.insts {
            if let InstKind::Call { args, .. } = &mut i.kind {
                args.pop();
                found = true;
            }
        }
    }
    assert!(found);
    let e = errors_of(&m, Stage::Legal);
    assert!(
        e.contains("Main.main: bb")
            && e.contains("call to `Math.add` passes 1 arguments, it takes 2"),
        "{e}"
    );
}

#[test]
fn block_argument_count_mismatch() {
    let mut m = common::compile(SRC);
    let f = func_mut(&mut m, "Main.main");
    let Terminator::Jump { args, .. } = &mut f.blocks[0].term else {
        panic!("expected a jump into the loop")
    };
    args.clear();
    let e = errors_of(&m, Stage::Generic);
    assert!(e.contains("Main.main: bb0: jump to bb1 passes 0 arguments, it takes 1"), "{e}");
}

#[test]
fn generic_instruction_in_legal_stage() {
    let (p, file) = common::parsed(SRC);
    let m = lower::lower_program(&p, &file).expect("lowers");
    assert_eq!(verify_module(&m, Stage::Generic), Ok(()));
    let e = errors_of(&m, Stage::Legal);
    // (Math.add's parameters are borrowed: no Retain at entry.)
    assert!(e.contains("Math.add: bb0: instruction 0: generic instruction Binary"), "{e}");
    assert!(e.contains("Main.main: bb3: instruction 2: generic instruction Release(v1)"), "{e}");
}

#[test]
fn definition_must_dominate_use() {
    // bb0 branches to bb1 and bb2, both jump to bb3; bb3 uses a value defined in bb1.
    let mut f = Function {
        name: "t".into(),
        params: vec![],
        ret: Type::Int,
        blocks: vec![],
        values: vec![],
    };
    let c = f.new_value(Type::Bool);
    let x = f.new_value(Type::Int);
    let inst = |result, kind| Inst { result: Some(result), kind, site: SiteId(0) };
    f.blocks.push(Block {
        params: vec![],
        insts: vec![inst(c, InstKind::Const(Const::Bool(true)))],
        term: Terminator::Branch {
            cond: c,
            then_block: BlockId(1),
            then_args: vec![],
            else_block: BlockId(2),
            else_args: vec![],
        },
    });
    f.blocks.push(Block {
        params: vec![],
        insts: vec![inst(x, InstKind::Const(Const::Int(1)))],
        term: Terminator::Jump { target: BlockId(3), args: vec![] },
    });
    f.blocks.push(Block {
        params: vec![],
        insts: vec![],
        term: Terminator::Jump { target: BlockId(3), args: vec![] },
    });
    f.blocks.push(Block { params: vec![], insts: vec![], term: Terminator::Return(x) });
    let m = Module {
        file_name: "t".into(),
        funcs: vec![f],
        entry: FuncId(0),
        strings: vec![],
        sites: vec![Site { line: 1, col: 1, func: "t".into() }],
        symbols: vec![],
        boxes: vec![],
        globals: vec![],
        array_elems: vec![],
    };
    let e = errors_of(&m, Stage::Legal);
    assert!(e.contains("t: bb3: terminator uses v1, whose definition does not dominate it"), "{e}");
}

#[test]
fn representation_mismatches_in_legal_mir() {
    let mut m = common::compile(SRC);
    // Make Math.add's first parameter a dyn while Main.main still passes an int.
    let f = func_mut(&mut m, "Math.add");
    let p = f.params[0];
    f.values[p.index()].ty = Type::Dyn;
    let e = errors_of(&m, Stage::Legal);
    assert!(e.contains("call to `Math.add` passes"), "{e}");
    assert!(e.contains("Math.add: bb0: instruction"), "{e}");
}

#[test]
fn branch_condition_must_be_bool() {
    let mut m = common::compile(SRC);
    let f = func_mut(&mut m, "Main.main");
    for b in &mut f.blocks {
        if let Terminator::Branch { cond, .. } = &mut b.term {
            *cond = f.params.first().copied().unwrap_or(ValueId(0));
        }
    }
    let e = errors_of(&m, Stage::Legal);
    assert!(e.contains("branch condition"), "{e}");
}
