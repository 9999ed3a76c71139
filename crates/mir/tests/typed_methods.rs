//! Builtin method calls on receivers of known type get fixed result types: an Int/Float/Bool
//! result is unboxed right after the `dyncall` (`fromdyn`), so arithmetic and conditions on it
//! are inline machine operations.

mod common;

use nyash_mir::{Function, InstKind, Module, Type};

fn func<'m>(m: &'m Module, name: &str) -> &'m Function {
    m.funcs.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no function {name}"))
}

fn insts(f: &Function) -> impl Iterator<Item = &nyash_mir::Inst> {
    f.blocks.iter().flat_map(|b| b.insts.iter())
}

#[test]
fn snapshot_str_length_plus_one() {
    let src = r#"
static box Main {
    main() {
        local s = "hello"
        return s.length() + 1
    }
}
"#;
    let text = common::compile_text(src.strip_prefix('\n').unwrap());
    let main = text.split("\n\n").find(|t| t.starts_with("fn Main.main")).unwrap();
    let expected = r#"fn Main.main() -> int {
bb0():
  v0: str = const "hello"               ; 3:19
  v4: dyn = dyncall v0.length()         ; 4:16
  v1: int = fromdyn.int v4              ; 4:16
  v2: int = const 1                     ; 4:29
  v3: int = iadd v1, v2                 ; 4:16
  rtcall nyrt_release(v0)               ; 4:9
  ret v3
}"#;
    assert_eq!(main, expected, "actual:\n{main}");
}

#[test]
fn array_length_in_loop_condition_is_icmp() {
    let m = common::compile(
        r#"
static box Main {
    main(args) {
        local i = 0
        loop(i < args.length()) { i = i + 1 }
        return i
    }
}
"#,
    );
    let f = func(&m, "Main.main");
    assert_eq!(f.ret, Type::Int);
    let from: Vec<_> = insts(f)
        .filter_map(|i| match &i.kind {
            InstKind::FromDyn { to: Type::Int, .. } => i.result,
            _ => None,
        })
        .collect();
    assert_eq!(from.len(), 1);
    assert!(
        insts(f).any(|i| matches!(&i.kind, InstKind::IntCmp { b, .. } if *b == from[0])),
        "the loop condition should compare the unboxed length"
    );
}

#[test]
fn result_types_follow_the_runtime() {
    let m = common::compile(
        r#"
static box Main {
    main() {
        local s = "a,b"
        local t = s.toUpper()
        local b = s.contains(",") and s.isEmpty() == false
        local f = s.length().toFloat() * 1.5
        local k = 7.abs().min(2) + 3.5.floor().toInteger()
        local d = 2.pow(-1)
        print(t + b + f + k + d)
        return 0
    }
}
"#,
    );
    let f = func(&m, "Main.main");
    let tys: Vec<Type> = insts(f)
        .filter_map(|i| match &i.kind {
            InstKind::FromDyn { to, .. } => Some(*to),
            _ => None,
        })
        .collect();
    // contains, isEmpty, length, abs, min; `pow` stays Dyn. toFloat, floor and toInteger
    // are machine operations.
    assert_eq!(tys, vec![Type::Bool, Type::Bool, Type::Int, Type::Int, Type::Int]);
    assert!(insts(f).any(|i| matches!(i.kind, InstKind::IntToFloat(_))), "toFloat");
    assert!(
        insts(f)
            .any(|i| matches!(i.kind, InstKind::FloatUnary { op: nyash_mir::FloatFn::Floor, .. })),
        "floor"
    );
    assert!(insts(f).any(|i| matches!(i.kind, InstKind::FloatToInt(_))), "toInteger");
    let dyncall_tys: Vec<Type> = insts(f)
        .filter(|i| matches!(i.kind, InstKind::DynMethodCall { .. }))
        .filter_map(|i| i.result.map(|r| f.ty(r)))
        .collect();
    assert_eq!(dyncall_tys.first(), Some(&Type::Str), "toUpper keeps a Boxed Str");
}
