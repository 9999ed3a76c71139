//! Tests of the interprocedural optimizations: specialization per argument types and inlining.

mod common;

use nyash_mir::{Function, InstKind, Module, RtFn, Type};

fn func<'m>(m: &'m Module, name: &str) -> &'m Function {
    m.funcs.iter().find(|f| f.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = m.funcs.iter().map(|f| f.name.as_str()).collect();
        panic!("no function {name} in {names:?}")
    })
}

fn insts(f: &Function) -> impl Iterator<Item = &nyash_mir::Inst> {
    f.blocks.iter().flat_map(|b| b.insts.iter())
}

/// Calls in `f` to the function named `name`.
fn calls_to(m: &Module, f: &Function, name: &str) -> usize {
    insts(f)
        .filter(|i| matches!(&i.kind, InstKind::Call { func, .. } if m.func(*func).name == name))
        .count()
}

const MAX: &str = r#"
static box Util {
    max(a, b) {
        if a > b { return a }
        return b
    }
}
static box Main {
    main(args) {
        print(Util.max(3, 4))
        print(Util.max(2.5, 1.5))
        local d = 1
        if args.length() > 5 { d = "x" }
        print(Util.max(d, 0))
    }
}
"#;

#[test]
fn int_and_float_callers_get_unboxed_clones() {
    let m = common::compile_keeping_functions(MAX);
    let ints = func(&m, "Util.max$spec$int_int");
    let floats = func(&m, "Util.max$spec$float_float");
    assert_eq!(ints.params.iter().map(|p| ints.ty(*p)).collect::<Vec<_>>(), [Type::Int; 2]);
    assert_eq!(ints.ret, Type::Int);
    assert_eq!(floats.params.iter().map(|p| floats.ty(*p)).collect::<Vec<_>>(), [Type::Float; 2]);
    assert_eq!(floats.ret, Type::Float);
    for (f, want) in [(ints, "IntCmp"), (floats, "FloatCmp")] {
        let kinds: Vec<String> = insts(f).map(|i| format!("{:?}", i.kind)).collect();
        assert!(kinds.iter().any(|k| k.starts_with(want)), "{}: {kinds:?}", f.name);
        assert!(
            insts(f).all(|i| !matches!(i.kind, InstKind::RtCall { .. } | InstKind::ToDyn(_))),
            "{} is not fully unboxed: {kinds:?}",
            f.name
        );
    }
    // The general version stays for the Dyn caller (and is typed Dyn).
    let general = func(&m, "Util.max");
    assert_eq!(general.ty(general.params[0]), Type::Dyn);
    assert_eq!(m.funcs.iter().filter(|f| f.name.starts_with("Util.max")).count(), 3);
}

#[test]
fn recursive_clone_calls_itself() {
    let m = common::compile_optimized(
        r#"
static box M {
    sum(n, step) {
        if n <= 0 { return n - n }
        return n + sum(n - step, step)
    }
}
static box Main {
    main() {
        print(M.sum(10, 1))
        print(M.sum(10.0, 0.5))
    }
}
"#,
    );
    let f = func(&m, "M.sum$spec$float_float");
    assert_eq!(f.ret, Type::Float);
    // The recursion targets the float clone itself (possibly after one level of inlining).
    assert!(calls_to(&m, f, "M.sum$spec$float_float") >= 1);
    assert_eq!(calls_to(&m, f, "M.sum"), 0);
    let i = func(&m, "M.sum$spec$int_int");
    assert_eq!(i.ret, Type::Int);
}

#[test]
fn instance_methods_are_not_specialized() {
    let m = common::compile_optimized(
        r#"
box P {
    get(x) { return x }
}
static box Main {
    main() {
        local p = new P()
        print(p.get(1))
        print(p.get(2.5))
    }
}
"#,
    );
    assert!(m.funcs.iter().all(|f| !f.name.contains("$spec$")));
}

#[test]
fn small_helper_is_inlined() {
    let m = common::compile_keeping_functions(
        r#"
static box Util {
    sq(x) { return x * x }
}
static box Main {
    main() {
        print(Util.sq(7) + Util.sq(8))
    }
}
"#,
    );
    let main = func(&m, "Main.main");
    assert_eq!(calls_to(&m, main, "Util.sq"), 0, "{}", nyash_mir::print::print_module(&m));
    // The out-of-line version still exists until dead-function elimination.
    func(&m, "Util.sq");
}

/// A small helper with a loop is inlined into a loop, but not where `main` calls it once:
/// there inlining saves one call and copies the loop's compile per site.
#[test]
fn a_looping_helper_called_once_is_not_inlined() {
    let m = common::compile_keeping_functions(
        r#"
static box Util {
    total(n) {
        local s = 0
        local i = 0
        loop(i < n) { s = s + i  i = i + 1 }
        return s
    }
}
static box Main {
    main() {
        print(Util.total(10) + Util.total(20))
        local k = 0
        local acc = 0
        loop(k < 3) { acc = acc + Util.total(k)  k = k + 1 }
        print(acc)
    }
}
"#,
    );
    let main = func(&m, "Main.main");
    assert_eq!(calls_to(&m, main, "Util.total"), 2, "{}", nyash_mir::print::print_module(&m));
}

/// `a = Util.fill(new ArrayBox(), 3)` where `fill` returns its array parameter: `main`
/// reads the allocation itself afterwards, not the call's result (which is only released).
#[test]
fn a_returned_parameter_is_read_as_the_argument() {
    let m = common::compile_keeping_functions(
        r#"
static box Util {
    fill(m, n) {
        local i = 0
        loop(i < n) { m.push(i)  i = i + 1 }
        return m
    }
}
static box Main {
    main() {
        local a = Util.fill(new ArrayBox(), 3)
        print(a.length())
    }
}
"#,
    );
    let main = func(&m, "Main.main");
    let printed = nyash_mir::print::print_module(&m);
    let call = insts(main)
        .find(
            |i| matches!(&i.kind, InstKind::Call { func, .. } if m.func(*func).name == "Util.fill"),
        )
        .unwrap_or_else(|| panic!("no call to Util.fill:\n{printed}"));
    let (Some(r), InstKind::Call { args, .. }) = (call.result, &call.kind) else {
        panic!("the call has no result:\n{printed}")
    };
    let release =
        |i: &nyash_mir::Inst| matches!(i.kind, InstKind::RtCall { func: RtFn::Release, .. });
    let mut result_reads = 0;
    let mut array_reads = 0;
    for i in insts(main).filter(|i| !release(i)) {
        i.kind.for_each_operand(|v| {
            result_reads += usize::from(v == r);
            array_reads += usize::from(v == args[0]);
        });
    }
    assert_eq!(result_reads, 0, "{printed}");
    assert!(array_reads >= 2, "the call and `length` read the allocation:\n{printed}");
}

#[test]
fn self_recursion_is_inlined_one_level() {
    let m = common::compile_optimized(
        r#"
static box Main {
    fib(n) {
        if n < 2 { return n }
        return fib(n - 1) + fib(n - 2)
    }
    main() { print(fib(20)) }
}
"#,
    );
    let fib = func(&m, "Main.fib");
    assert_eq!(calls_to(&m, fib, "Main.fib"), 4, "{}", nyash_mir::print::print_module(&m));
}

#[test]
fn mutual_recursion_is_not_inlined() {
    let m = common::compile_optimized(
        r#"
static box Main {
    even(n) { if n == 0 { return true } return odd(n - 1) }
    odd(n) { if n == 0 { return false } return even(n - 1) }
    main() { print(even(10)) }
}
"#,
    );
    assert_eq!(calls_to(&m, func(&m, "Main.even"), "Main.odd"), 1);
    assert_eq!(calls_to(&m, func(&m, "Main.odd"), "Main.even"), 1);
}

#[test]
fn inlined_code_keeps_the_callee_site() {
    let m = common::compile_optimized(
        r#"
static box Util {
    ratio(a, b) { return a / b }
}
static box Main {
    main() {
        print(Util.ratio(7, 0))
    }
}
"#,
    );
    let main = func(&m, "Main.main");
    assert_eq!(calls_to(&m, main, "Util.ratio"), 0);
    let div = insts(main)
        .find(|i| matches!(i.kind, InstKind::IntBin { op: nyash_mir::IntOp::Div, .. }))
        .expect("the division is inlined into main");
    let site = &m.sites[div.site.index()];
    assert_eq!(site.func, "Util.ratio");
    // Line and column of `a / b` in `ratio`.
    assert_eq!((site.line, site.col), (3, 26));
}

const DOT: &str = r#"
static box Main {
    main() {
        local a = new ArrayBox()
        local b = new ArrayBox()
        a.push(1.5)
        b.push(2.5)
        local s = 0.0
        local k = 0
        loop(k < 2) {
            s = s + a.get(k) * b.get(k)
            k = k + 1
        }
        print(s)
    }
}
"#;

#[test]
fn each_array_read_is_followed_by_its_own_null_guard() {
    use nyash_mir::Terminator;
    let m = common::compile_optimized(DOT);
    let f = func(&m, "Main.main");
    let mut guarded = 0;
    for b in &f.blocks {
        let Terminator::Branch { cond, .. } = b.term else { continue };
        let [.., get, test] = b.insts.as_slice() else { continue };
        let Some(v) = get.result else { continue };
        if matches!(get.kind, InstKind::DynMethodCall { .. }) && f.ty(v) == Type::FloatOrNull {
            assert_eq!(test.kind, InstKind::IsNull(v), "{b:?}");
            assert_eq!(test.result, Some(cond), "{b:?}");
            guarded += 1;
        }
    }
    // Both reads of the loop end a block with their own guard.
    assert_eq!(guarded, 2, "{}", nyash_mir::print::print_module(&m));
}

const TAIL_CALLS: &str = r#"
static box Main {
    countdown(n) {
        if n == 0 { return 0 }
        print(n)
        return countdown(n - 1) + n
    }
    pow3(n) {
        if n == 0 { return 1 }
        return 3 * pow3(n - 1)
    }
    mixed(n) {
        if n == 0 { return 1 }
        if n % 2 == 0 { return 2 * mixed(n - 1) }
        return 5 + mixed(n - 1)
    }
    gcd(a, b) {
        if b == 0 { return a }
        return gcd(b, a % b)
    }
    note(n) {
        print(n)
        return n
    }
    after(n) {
        if n == 0 { return 0 }
        return after(n - 1) + note(n)
    }
    doubling(n) {
        if n == 0 { return 1 }
        local r = doubling(n - 1)
        return r + r
    }
    fsum(n) {
        if n == 0 { return 0.5 }
        return 1.5 + fsum(n - 1)
    }
    letters(s, n) {
        if n == 0 { return 0 }
        return s.length() + letters(s, n - 1)
    }
    isEven(n) {
        if n == 0 { return true }
        return isOdd(n - 1)
    }
    isOdd(n) {
        if n == 0 { return false }
        return isEven(n - 1)
    }
    main() {
        print(countdown(3) + pow3(4) + mixed(5) + gcd(12, 18) + after(3) + doubling(3))
        print(fsum(2))
        print(letters("ab", 2))
        print(isEven(4))
    }
}
"#;

#[test]
fn accumulator_tail_recursion_becomes_a_loop() {
    let passes =
        nyash_mir::pipeline::Passes { tail_recursion: true, ..nyash_mir::pipeline::Passes::none() };
    let m = common::compile_passes(TAIL_CALLS, passes);
    let text = nyash_mir::print::print_module(&m);
    for name in ["countdown", "pow3", "mixed", "gcd"] {
        let f = func(&m, &format!("Main.{name}"));
        assert_eq!(calls_to(&m, f, &f.name), 0, "{name} still recurses:\n{text}");
        // The entry only jumps to the loop header, which carries the accumulators.
        assert!(f.blocks[0].insts.iter().all(|i| matches!(i.kind, InstKind::Const(_))));
    }
    // `+` after the call, the result used twice, Float, a counted parameter, mutual
    // recursion: all keep their calls.
    for name in ["after", "doubling", "fsum", "letters"] {
        let f = func(&m, &format!("Main.{name}"));
        assert_eq!(calls_to(&m, f, &f.name), 1, "{name} was rewritten:\n{text}");
    }
    assert_eq!(calls_to(&m, func(&m, "Main.isEven"), "Main.isOdd"), 1);
    assert_eq!(calls_to(&m, func(&m, "Main.isOdd"), "Main.isEven"), 1);
    // `countdown` still prints before it loops, and every loop reports a recursion deeper
    // than any stack (one `nyrt_error_stack_overflow` per rewritten function).
    let rt_calls = |f, rt: RtFn| {
        insts(f).filter(|i| matches!(&i.kind, InstKind::RtCall { func, .. } if *func == rt)).count()
    };
    let countdown = func(&m, "Main.countdown");
    assert_eq!(rt_calls(countdown, RtFn::Print), 1);
    for name in ["countdown", "pow3", "mixed", "gcd"] {
        assert_eq!(rt_calls(func(&m, &format!("Main.{name}")), RtFn::ErrorStackOverflow), 1);
    }
}

#[test]
fn self_inlining_nests_the_loop_and_is_bounded() {
    const FIB: &str = r#"
static box Main {
    fib(n) {
        if n < 2 { return n }
        return fib(n - 1) + fib(n - 2)
    }
    main() { print(fib(20)) }
}
"#;
    let default = nyash_mir::pipeline::Passes::default();
    // Cranelift's pipeline: one call left, inside four nested copies of the loop. `n` falls
    // toward `n < 2`, and `fib(20)` is within the entry test's bound, so the loop (`$loop`)
    // counts no trips and the counting copy (`$deep`) is unreachable.
    let m = common::compile_passes(
        FIB,
        nyash_mir::pipeline::Passes { tail_recursion: true, self_unroll: 4, ..default },
    );
    let printed = nyash_mir::print::print_module(&m);
    let fib = func(&m, "Main.fib$loop");
    assert_eq!(calls_to(&m, fib, "Main.fib$loop"), 1, "{printed}");
    let overflow = |i: &nyash_mir::Inst| {
        matches!(i.kind, InstKind::RtCall { func: RtFn::ErrorStackOverflow, .. })
    };
    assert!(!insts(fib).any(overflow), "{printed}");
    assert!(!m.funcs.iter().any(|f| f.name == "Main.fib$deep"), "{printed}");
    // Without the loops every level doubles the calls; the size budget stops it.
    let m = common::compile_passes(FIB, nyash_mir::pipeline::Passes { self_unroll: 50, ..default });
    let fib = func(&m, "Main.fib");
    let calls = calls_to(&m, fib, "Main.fib");
    assert!((8..=64).contains(&calls), "{calls} calls:\n{}", nyash_mir::print::print_module(&m));
}

#[test]
fn dead_functions_are_dropped_and_reachable_ones_kept() {
    const SRC: &str = r#"
box A {
    x
    birth(x) { me.x = x }
    count(n) {
        if n == 0 { return me.x }
        return 1 + me.count(n - 1)
    }
    toString() { return "A" }
    fini() { print("bye") }
    unused() { return 1 }
}
box B {
    count(n) {
        if n == 0 { return 0 }
        return 2 + me.count(n - 1)
    }
}
static box Main {
    small() { return 40 }
    main() {
        local xs = [new A(1), new B()]
        print(xs.get(0).count(3) + small())
        return 0
    }
}
"#;
    let m = common::compile_optimized(SRC);
    let names: Vec<&str> = m.funcs.iter().map(|f| f.name.as_str()).collect();
    // Inlined into main, or never called.
    for dead in ["Main.small", "A.unused", "A.birth"] {
        assert!(!names.contains(&dead), "{dead} kept: {names:?}");
    }
    // A call on an element of unknown type dispatches to both `count`s (recursive, so not
    // inlined away); the runtime calls the thunks (into which `toString` and `fini` are
    // inlined).
    for live in ["A.count", "B.count", "A.toString$thunk", "A.fini$thunk", "Main.main"] {
        assert!(names.contains(&live), "{live} dropped: {names:?}");
    }
    assert_eq!(m.funcs[m.entry.index()].name, "__nyash_entry");
    // Every reference still names a function of the module (the verifier checks calls).
    for b in &m.boxes {
        let fs = b.methods.iter().map(|(_, _, f)| *f).chain(b.constructors.iter().map(|(_, f)| *f));
        for f in fs.chain(b.fini_thunk).chain(b.to_string_thunk) {
            assert!(f.index() < m.funcs.len());
        }
    }
    // Without the pass every function stays.
    let all = common::compile_passes(
        SRC,
        nyash_mir::pipeline::Passes { dead_funcs: false, ..nyash_mir::pipeline::Passes::default() },
    );
    assert!(all.funcs.iter().any(|f| f.name == "A.unused"));
}
