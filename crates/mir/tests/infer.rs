//! Type inference tests: what the whole-program fixpoint concludes on small programs.

mod common;

use nyash_mir::{Function, InstKind, Module, Type};

fn func<'m>(m: &'m Module, name: &str) -> &'m Function {
    m.funcs.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no function {name}"))
}

/// Types of every value that is defined somewhere in the function's blocks.
fn live_types(f: &Function) -> Vec<Type> {
    let mut out = Vec::new();
    for b in &f.blocks {
        out.extend(b.params.iter().map(|p| f.ty(*p)));
        out.extend(b.insts.iter().filter_map(|i| i.result).map(|r| f.ty(r)));
    }
    out
}

const FIB: &str = r#"
static box Math {
    fib(n) {
        if n < 2 { return n }
        return fib(n - 1) + fib(n - 2)
    }
}
static box Main {
    main() {
        print(Math.fib(30))
    }
}
"#;

#[test]
fn recursive_fib_is_all_int() {
    let m = common::compile(FIB);
    let fib = func(&m, "Math.fib");
    assert_eq!(fib.params.len(), 1);
    assert_eq!(fib.ty(fib.params[0]), Type::Int, "n: int");
    assert_eq!(fib.ret, Type::Int);
    for t in live_types(fib) {
        assert!(t == Type::Int || t == Type::Bool, "unexpected {t:?} in fib");
    }
    for b in &fib.blocks {
        for i in &b.insts {
            assert!(
                matches!(
                    i.kind,
                    InstKind::Const(_)
                        | InstKind::IntBin { .. }
                        | InstKind::IntCmp { .. }
                        | InstKind::Call { .. }
                ),
                "unexpected instruction {:?}",
                i.kind
            );
        }
    }
    let text = nyash_mir::print::print_module(&m);
    assert!(text.contains("fn Math.fib(v0: int) -> int {"), "{text}");
    assert!(text.contains("icmp lt"), "{text}");
    assert!(text.contains("iadd"), "{text}");
}

#[test]
fn int_float_join_is_dyn() {
    let m = common::compile(
        r#"
static box Main {
    main(args) {
        local x = 1
        if args.length() > 0 { x = 2.5 }
        return x
    }
}
"#,
    );
    let main = func(&m, "Main.main");
    assert_eq!(main.ret, Type::Dyn);
    // The merge block's parameter joins int and float.
    let merge_params: Vec<Type> =
        main.blocks.iter().skip(1).flat_map(|b| b.params.iter().map(|p| main.ty(*p))).collect();
    assert_eq!(merge_params, vec![Type::Dyn]);
}

#[test]
fn call_sites_join_parameter_types() {
    let m = common::compile(
        r#"
static box Util {
    id(x) { return x }
    twice(x) { return x + x }
}
static box Main {
    main() {
        print(Util.id(1))
        print(Util.id(2.5))
        print(Util.twice(3.5))
    }
}
"#,
    );
    let id = func(&m, "Util.id");
    assert_eq!(id.ty(id.params[0]), Type::Dyn);
    assert_eq!(id.ret, Type::Dyn);
    let twice = func(&m, "Util.twice");
    assert_eq!(twice.ty(twice.params[0]), Type::Float);
    assert_eq!(twice.ret, Type::Float);
    // Main.main returns nothing explicit: null.
    assert_eq!(func(&m, "Main.main").ret, Type::Void);
}

#[test]
fn string_concat_is_str() {
    let m = common::compile(
        r#"
static box Main {
    main(args) {
        local s = "n=" + 1
        local t = 2.5 + s
        local u = args + 1
        return s + t
    }
}
"#,
    );
    let main = func(&m, "Main.main");
    assert!(
        matches!(main.ty(main.params[0]), Type::Array(_)),
        "main's parameter is the args array"
    );
    assert_eq!(main.ret, Type::Str);
    let text = nyash_mir::print::print_module(&m);
    assert!(text.contains("str = rtcall nyrt_add("), "{text}");
    assert!(text.contains("dyn = rtcall nyrt_add("), "{text}");
}

#[test]
fn never_returning_function_gets_dyn() {
    let m = common::compile(
        r#"
static box Main {
    spin(n) { return me.spin(n + 1) }
    forever() { loop { } }
    main() {
        if false { return me.spin(0) + me.forever() }
        return 0
    }
}
"#,
    );
    assert_eq!(func(&m, "Main.spin").ret, Type::Dyn);
    assert_eq!(func(&m, "Main.forever").ret, Type::Dyn);
}

#[test]
fn loop_counter_stays_int() {
    let m = common::compile(
        r#"
static box Main {
    main() {
        local i = 0
        local sum = 0
        loop(i < 100) {
            sum = sum + i * 2
            i += 1
        }
        return sum
    }
}
"#,
    );
    let main = func(&m, "Main.main");
    assert_eq!(main.ret, Type::Int);
    for t in live_types(main) {
        assert!(t == Type::Int || t == Type::Bool, "unexpected {t:?}");
    }
}

#[test]
fn nullable_join_lattice() {
    use Type::*;
    let b = nyash_mir::BoxId::new(0);
    assert_eq!(Int.join(Void), IntOrNull);
    assert_eq!(Void.join(Float), FloatOrNull);
    assert_eq!(FloatOrNull.join(Float), FloatOrNull);
    assert_eq!(Instance(b).join(Void), InstanceOrNull(b));
    assert_eq!(StrOrNull.join(Void), StrOrNull);
    assert_eq!(IntOrNull.join(Float), Dyn);
    let (s1, s2) = (nyash_mir::ArraySites::site(0), nyash_mir::ArraySites::site(1));
    assert_eq!(Array(s1).join(Void), Dyn, "no nullable array type");
    assert_eq!(Array(s1).join(Array(s2)), Array(s1.union(s2)), "sites union");
    assert_eq!(Void.join(Void), Void);
    assert!(!IntOrNull.is_counted() && StrOrNull.is_counted());
}

const FIELDS: &str = r#"
box Counter {
    count
    label
    birth() {
        me.count = 0
        me.label = "c"
    }
    inc() { me.count = me.count + 1 }
}
box Lazy {
    n
    birth() {
        me.show()
        me.n = 1
    }
    show() { print(me.n) }
}
box Node {
    next
}
static box Main {
    main() {
        local c = new Counter()
        c.inc()
        local z = new Lazy()
        local n = new Node()
        n.next = new Node()
        print(c.count + z.n)
    }
}
"#;

#[test]
fn field_slots_are_typed_only_when_every_read_sees_a_store() {
    let m = common::compile(FIELDS);
    let tys = |name: &str| m.boxes.iter().find(|b| b.name == name).unwrap().field_types.clone();
    assert_eq!(tys("Counter"), vec![Type::Int, Type::Str]);
    // `show()` runs before the store, so it can read the initial null.
    assert_eq!(tys("Lazy"), vec![Type::IntOrNull]);
    // No constructor: null until assigned.
    assert_eq!(tys("Node"), vec![Type::InstanceOrNull(nyash_mir::BoxId::new(2))]);
}

const ARRAYS: &str = r#"
static box Main {
    main() {
        local fs = new ArrayBox()
        fs.push(1.5)
        local x = fs.get(0)
        local mixed = new ArrayBox()
        mixed.push(1)
        local m = new MapBox()
        m.set("k", mixed)
        m.get("k").push("s")
        local y = mixed.get(0)
        print(x)
        print(y)
    }
}
"#;

#[test]
fn array_elements_are_typed_per_site_until_the_array_escapes() {
    let m = common::compile(ARRAYS);
    let main = func(&m, "Main.main");
    let get_types: Vec<Type> = main
        .blocks
        .iter()
        .flat_map(|b| &b.insts)
        .filter(|i| {
            matches!(&i.kind, InstKind::DynMethodCall { method, .. }
            if m.symbols[method.index()] == "get")
        })
        .filter_map(|i| i.result.map(|r| main.ty(r)))
        .collect();
    // `fs` holds Floats (get may be out of range: null); `mixed` escaped through the map.
    assert_eq!(get_types, vec![Type::FloatOrNull, Type::Dyn, Type::Dyn]);
}
