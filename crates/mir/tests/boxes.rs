//! Boxes, dispatch and reference counting in MIR: snapshots of the legal MIR of small box
//! programs, of the generic MIR (Retain/Release placement), inference facts, and the
//! box-related diagnostics.

mod common;

use nyash_mir::{Function, InstKind, Module, RtFn, Type};

/// `src` and `expected` start with a newline for readability; it is not part of either.
fn check(generic: bool, src: &str, expected: &str) {
    let src = src.strip_prefix('\n').unwrap_or(src);
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    let actual = if generic { common::lower_text(src) } else { common::compile_text(src) };
    if actual != expected {
        panic!("MIR snapshot mismatch; actual:\n{actual}\n--- expected:\n{expected}");
    }
}

fn func<'m>(m: &'m Module, name: &str) -> &'m Function {
    m.funcs.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no function {name}"))
}

fn insts(f: &Function) -> impl Iterator<Item = &InstKind> {
    f.blocks.iter().flat_map(|b| b.insts.iter().map(|i| &i.kind))
}

#[test]
fn snapshot_counter() {
    check(
        false,
        r#"
box Counter {
    count
    birth(start) { me.count = start }
    inc() { me.count = me.count + 1  return me.count }
}
static box Main {
    main() {
        local c = new Counter(10)
        c.inc()
        return c.count
    }
}
"#,
        r#"
fn Counter.inc(v0: instance) -> int {
bb0(v0: instance):
  v5: dyn = field_load v0[0]            ; 4:24
  v1: int = fromdyn.int v5              ; 4:24
  v2: int = const 1                     ; 4:35
  v3: int = iadd v1, v2                 ; 4:24
  v6: dyn = todyn v3                    ; 4:13
  field_store v0[0], v6                 ; 4:13
  v7: dyn = field_load v0[0]            ; 4:45
  v4: int = fromdyn.int v7              ; 4:45
  ret v4
}

fn Counter.birth(v0: instance, v1: int) -> void {
bb0(v0: instance, v1: int):
  v3: dyn = todyn v1                    ; 3:20
  field_store v0[0], v3                 ; 3:20
  v2: void = const null                 ; 3:37
  ret v2
}

fn Main.main() -> int {
bb0():
  v0: int = const 10                    ; 8:31
  v1: int = const 0                     ; 8:19
  v2: instance = rtcall nyrt_new_instance(v1) ; 8:19
  v3: void = call Counter.birth(v2, v0) ; 8:19
  v4: int = call Counter.inc(v2)        ; 9:9
  v6: dyn = field_load v2[0]            ; 10:16
  v5: int = fromdyn.int v6              ; 10:16
  rtcall nyrt_release(v2)               ; 10:9
  ret v5
}

; entry
fn __nyash_entry(v0: int, v1: int) -> int {
bb0(v0: int, v1: int):
  init_runtime v0, v1                   ; 7:5
  v2: int = call Main.main()            ; 7:5
  v4: dyn = todyn v2                    ; 7:5
  v3: int = rtcall nyrt_finish(v4)      ; 7:5
  ret v3
}
"#,
    );
}

#[test]
fn snapshot_dynamic_dispatch() {
    check(
        false,
        r#"
box A { name() { return "a" } }
box B { name() { return "b" } }
static box Main {
    pick(i) {
        if i == 0 { return new A() }
        return new B()
    }
    main() {
        print(pick(1).name())
    }
}
"#,
        r#"
fn A.name(v0: instance) -> str {
bb0(v0: instance):
  v1: str = const "a"                   ; 1:25
  ret v1
}

fn B.name(v0: instance) -> str {
bb0(v0: instance):
  v1: str = const "b"                   ; 2:25
  ret v1
}

fn Main.pick(v0: int) -> dyn {
bb0(v0: int):
  v1: int = const 0                     ; 5:17
  v2: bool = icmp eq v0, v1             ; 5:12
  br v2, bb2(), bb1()
bb1():
  v6: int = const 1                     ; 6:16
  v7: instance = rtcall nyrt_new_instance(v6) ; 6:16
  ret v7
bb2():
  v4: int = const 0                     ; 5:28
  v5: instance = rtcall nyrt_new_instance(v4) ; 5:28
  ret v5
}

fn Main.main() -> void {
bb0():
  v0: int = const 1                     ; 9:20
  v1: dyn = call Main.pick(v0)          ; 9:15
  v4: int = rtcall nyrt_box_id(v1)      ; 9:15
  v5: int = const 0                     ; 9:15
  v6: bool = icmp eq v4, v5             ; 9:15
  br v6, bb4(), bb1()
bb1():
  v8: int = const 1                     ; 9:15
  v9: bool = icmp eq v4, v8             ; 9:15
  br v9, bb3(), bb2()
bb2():
  v11: dyn = dyncall v1.name()          ; 9:15
  jump bb5(v11)
bb3():
  v10: str = call B.name(v1)            ; 9:15
  jump bb5(v10)
bb4():
  v7: str = call A.name(v1)             ; 9:15
  jump bb5(v7)
bb5(v2: dyn):
  rtcall nyrt_print(v2)                 ; 9:9
  rtcall nyrt_release(v2)               ; 9:9
  rtcall nyrt_release(v1)               ; 9:9
  v3: void = const null                 ; 10:5
  ret v3
}

; entry
fn __nyash_entry(v0: int, v1: int) -> int {
bb0(v0: int, v1: int):
  init_runtime v0, v1                   ; 8:5
  v2: void = call Main.main()           ; 8:5
  v3: int = rtcall nyrt_finish(v2)      ; 8:5
  ret v3
}
"#,
    );
}

#[test]
fn snapshot_rc_placement() {
    check(
        true,
        r#"
static box Main {
    f(p) {
        local a = "x"
        local b = p
        {
            local c = a + b
        }
        print(a + "!")
        a = "y"
        return b
    }
    main() { return f("z") }
}
"#,
        r#"
fn Main.f(v0: dyn) -> dyn {
bb0(v0: dyn):
  v1: str = const "x"                   ; 3:19
  retain v0                             ; 4:15
  v2: dyn = binary + v1, v0             ; 6:23
  release v2                            ; 7:9
  v3: str = const "!"                   ; 8:19
  v4: dyn = binary + v1, v3             ; 8:15
  print v4                              ; 8:9
  release v4                            ; 8:9
  release v3                            ; 8:9
  v5: str = const "y"                   ; 9:13
  release v1                            ; 9:9
  retain v0                             ; 10:9
  release v0                            ; 10:9
  release v5                            ; 10:9
  ret v0
}

fn Main.main() -> dyn {
bb0():
  v0: str = const "z"                   ; 12:23
  v1: dyn = call Main.f(v0)             ; 12:21
  release v0                            ; 12:14
  ret v1
}

; entry
fn __nyash_entry(v0: int, v1: int) -> int {
bb0(v0: int, v1: int):
  init_runtime v0, v1                   ; 12:5
  v2: dyn = call Main.main()            ; 12:5
  v3: int = rtcall nyrt_finish(v2)      ; 12:5
  release v2                            ; 12:5
  ret v3
}
"#,
    );
}

#[test]
fn me_is_instance_and_known_locals_use_slots() {
    let m = common::compile(
        r#"
box Point {
    x
    y: Int
    init { z }
    getX() { return me.x }
}
static box Main {
    main() {
        local p = new Point()
        p.y = 2
        print(p.y + p.getX())
    }
}
"#,
    );
    let point = m.boxes.iter().find(|b| b.name == "Point").expect("Point box");
    assert_eq!(point.fields, vec!["x", "y", "z"]);
    assert!(!point.is_static);
    let get_x = func(&m, "Point.getX");
    assert!(matches!(get_x.ty(get_x.params[0]), Type::Instance(_)), "me is an instance");
    let main = func(&m, "Main.main");
    // Slot accesses, no by-name runtime calls, and a direct call of the method.
    assert!(insts(main).any(|k| matches!(k, InstKind::FieldStore { slot: 1, .. })));
    assert!(insts(main).any(|k| matches!(k, InstKind::FieldLoad { slot: 1, .. })));
    assert!(!insts(main)
        .any(|k| matches!(k, InstKind::RtCall { func: RtFn::FieldGet | RtFn::FieldSet, .. })));
    assert!(insts(main).any(|k| matches!(k, InstKind::Call { .. })));
    assert!(!insts(main).any(|k| matches!(k, InstKind::DynMethodCall { .. })));
}

#[test]
fn unknown_receivers_use_runtime_field_access() {
    let m = common::compile(
        r#"
box P { x }
static box Main {
    get(o) { return o.x }
    main() {
        print(get(new P()))
        print(get(1))
    }
}
"#,
    );
    let get = func(&m, "Main.get");
    assert_eq!(get.ty(get.params[0]), Type::Dyn);
    assert!(insts(get).any(|k| matches!(k, InstKind::RtCall { func: RtFn::FieldGet, .. })));
}

#[test]
fn thunks_are_registered_after_init() {
    let m = common::compile(
        r#"
box R {
    fini() { print("bye") }
    toString() { return "R!" }
}
static box Main { main() { local r = new R() } }
"#,
    );
    let r = m.boxes.iter().find(|b| b.name == "R").expect("R box");
    let (fini, ts) =
        (r.fini_thunk.expect("fini thunk"), r.to_string_thunk.expect("toString thunk"));
    assert_eq!(m.func(fini).name, "R.fini$thunk");
    assert_eq!(m.func(ts).ret, Type::Dyn);
    let entry = m.func(m.entry);
    let kinds: Vec<&InstKind> = insts(entry).collect();
    assert!(matches!(kinds[0], InstKind::InitRuntime { .. }));
    assert!(kinds.iter().any(|k| matches!(k, InstKind::FuncAddr(f) if *f == fini)));
    assert!(kinds.iter().any(|k| matches!(k, InstKind::RtCall { func: RtFn::RegisterBox, .. })));
    let meta = String::from_utf8(m.runtime_metadata()).expect("utf8");
    assert!(meta.contains("B\tR\t-\t\n"), "{meta}");
}

#[test]
fn delegation_inherits_fields_and_overrides_dispatch() {
    let m = common::compile(
        r#"
box Base {
    a
    who() { return "base" }
    hello() { return "hi " + me.who() }
}
box Child from Base {
    b
    who() { return "child" }
}
static box Main { main() { print(new Child().hello()) } }
"#,
    );
    let child = m.boxes.iter().find(|b| b.name == "Child").expect("Child");
    assert_eq!(child.fields, vec!["a", "b"]);
    assert!(child
        .methods
        .iter()
        .any(|(n, a, f)| n == "hello" && *a == 0 && m.func(*f).name == "Base.hello"));
    // `me.who()` in Base may be a Child: a type switch, not a direct call.
    let hello = func(&m, "Base.hello");
    assert!(insts(hello).any(|k| matches!(k, InstKind::RtCall { func: RtFn::BoxId, .. })));
}

#[test]
fn static_box_fields_are_globals() {
    let m = common::compile(
        r#"
static box Config {
    level
    set(v) { me.level = v }
}
static box Main {
    main() {
        Config.set(3)
        print(Config.level)
    }
}
"#,
    );
    assert_eq!(m.globals, vec!["Config.level"]);
    let main = func(&m, "Main.main");
    assert!(insts(main).any(|k| matches!(k, InstKind::RtCall { func: RtFn::GlobalGet, .. })));
    let set = func(&m, "Config.set");
    assert!(insts(set).any(|k| matches!(k, InstKind::RtCall { func: RtFn::GlobalSet, .. })));
}

#[test]
fn missing_constructor_is_a_runtime_error_call() {
    let text = common::compile_text(
        r#"
box P { }
static box Main { main() { local p = new P(1, 2) } }
"#,
    );
    assert!(text.contains(r#"const "no constructor P.birth/2""#), "{text}");
    assert!(text.contains("rtcall nyrt_error("), "{text}");
}

#[test]
fn box_diagnostics() {
    let src = r#"
box P { x  birth() { me.y = 1 } }
static box S { }
static box Main {
    main() {
        local a = new Nope()
        local b = new S()
    }
}
"#;
    let e = common::errors(src);
    assert!(e.contains("error[E0206]: unknown box `Nope`"), "{e}");
    assert!(e.contains("error[E0212]: cannot create an instance of static box `S`"), "{e}");
    // The warning alone does not stop compilation.
    let (p, f) =
        common::parsed("box P { x  birth() { me.y = 1 } }\nstatic box Main { main() { } }\n");
    let (_, warnings) = nyash_mir::pipeline::compile(&p, &f, true).expect("compiles");
    let w = nyash_syntax::render(&f, &warnings);
    assert!(w.contains("warning[W0202]: box `P` has no field `y`"), "{w}");
}
