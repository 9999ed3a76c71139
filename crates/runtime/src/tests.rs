//! Unit tests for the runtime (display forms, operators, methods, exit codes). Runtime errors
//! exit the process, so only non-error paths are tested here.

use crate::display::to_display_string as show;
use crate::meta::exit_code;
use crate::ops;
use crate::value::{tag, NyValue};

const METHODS: &[&str] = &[
    "length",
    "substring",
    "indexOf",
    "lastIndexOf",
    "contains",
    "startsWith",
    "endsWith",
    "trim",
    "replace",
    "concat",
    "split",
    "toUpper",
    "toLower",
    "charAt",
    "toInteger",
    "toFloat",
    "repeat",
    "isEmpty",
    "toString",
    "abs",
    "min",
    "max",
    "pow",
    "floor",
    "ceil",
    "round",
    "sqrt",
    "push",
    "get",
    "size",
    "pop",
    "set",
    "join",
];

fn init() {
    let mut meta = String::from("F\ttest.nyash\nS\t1\t1\tMain.main\n");
    for m in METHODS {
        meta.push_str(&format!("M\t{m}\n"));
    }
    crate::nyrt_init(0, 0, meta.as_ptr() as i64, meta.len() as i64);
}

fn call(recv: NyValue, name: &str, args: &[NyValue]) -> NyValue {
    init();
    let sym = METHODS.iter().position(|m| *m == name).expect("method in METHODS") as i64;
    crate::nyrt_call_method(recv.tag, recv.payload, sym, args.as_ptr() as i64, args.len() as i64, 0)
}

fn s(x: &str) -> NyValue {
    NyValue::str(x)
}
fn i(x: i64) -> NyValue {
    NyValue::int(x)
}
fn f(x: f64) -> NyValue {
    NyValue::float(x)
}
fn sh(v: NyValue) -> String {
    show(v)
}

#[test]
fn display_forms() {
    assert_eq!(sh(i(-42)), "-42");
    assert_eq!(sh(f(3.0)), "3");
    assert_eq!(sh(f(0.1 + 0.2)), "0.30000000000000004");
    assert_eq!(sh(f(1e20)), "100000000000000000000");
    assert_eq!(sh(f(-0.0)), "-0");
    assert_eq!(sh(f(f64::NAN)), "NaN");
    assert_eq!(sh(f(f64::INFINITY)), "inf");
    assert_eq!(sh(f(f64::NEG_INFINITY)), "-inf");
    assert_eq!(sh(f(2.5)), "2.5");
    assert_eq!(sh(f(1e-7)), "0.0000001");
    assert_eq!(sh(NyValue::bool(true)), "true");
    assert_eq!(sh(NyValue::NULL), "null");
    assert_eq!(sh(s("héllo")), "héllo");
    let inner = NyValue::array(vec![i(1), s("x")]);
    let a = NyValue::array(vec![i(1), s("two"), f(3.5), NyValue::NULL, inner]);
    assert_eq!(sh(a), "[1, two, 3.5, null, [1, x]]");
    assert_eq!(sh(NyValue::array(vec![])), "[]");
}

#[test]
fn self_containing_array_does_not_recurse_forever() {
    let a = NyValue::array(vec![i(1)]);
    call(a, "push", &[a]);
    assert_eq!(sh(a), "[1, [...]]");
}

#[test]
fn int_arithmetic_edges() {
    assert_eq!(ops::add(i(i64::MAX), i(1), 0), i(i64::MIN));
    assert_eq!(ops::arith('-', i(i64::MIN), i(1), 0), i(i64::MAX));
    assert_eq!(ops::arith('*', i(i64::MAX), i(2), 0), i(-2));
    assert_eq!(ops::arith('/', i(-7), i(2), 0), i(-3));
    assert_eq!(ops::arith('%', i(-7), i(2), 0), i(-1));
    assert_eq!(ops::arith('%', i(7), i(-2), 0), i(1));
    assert_eq!(ops::arith('/', i(i64::MIN), i(-1), 0), i(i64::MIN));
    assert_eq!(ops::arith('%', i(i64::MIN), i(-1), 0), i(0));
    assert_eq!(crate::nyrt_neg(tag::INT, i64::MIN, 0), i(i64::MIN));
}

#[test]
fn mixed_and_float_arithmetic() {
    assert_eq!(sh(ops::add(i(1), f(0.5), 0)), "1.5");
    assert_eq!(sh(ops::arith('/', f(1.0), i(4), 0)), "0.25");
    assert_eq!(sh(ops::arith('%', f(7.5), i(2), 0)), "1.5");
    assert_eq!(sh(ops::arith('%', f(-7.5), f(2.0), 0)), "-1.5");
    assert_eq!(crate::nyrt_fmod(5.5, 2.0), 1.5);
}

#[test]
fn string_concatenation() {
    assert_eq!(sh(ops::add(s("a"), i(1), 0)), "a1");
    assert_eq!(sh(ops::add(f(2.0), s("x"), 0)), "2x");
    assert_eq!(sh(ops::add(s("b"), NyValue::bool(false), 0)), "bfalse");
    let arr = NyValue::array(vec![i(1), i(2)]);
    assert_eq!(sh(ops::add(s("a="), arr, 0)), "a=[1, 2]");
}

#[test]
fn equality_and_comparison() {
    use std::cmp::Ordering::*;
    assert!(ops::values_equal(i(1), f(1.0)));
    assert!(ops::values_equal(s("ab"), s("ab")));
    assert!(!ops::values_equal(s("1"), i(1)));
    assert!(ops::values_equal(NyValue::NULL, NyValue::NULL));
    assert!(!ops::values_equal(NyValue::NULL, i(0)));
    assert!(!ops::values_equal(f(f64::NAN), f(f64::NAN)));
    let a = NyValue::array(vec![]);
    let b = NyValue::array(vec![]);
    assert!(ops::values_equal(a, a));
    assert!(!ops::values_equal(a, b));
    assert_eq!(ops::compare("<", i(1), f(1.5), 0), Some(Less));
    assert_eq!(ops::compare("<", s("abc"), s("abd"), 0), Some(Less));
    assert_eq!(ops::compare("<", s("z"), s("é"), 0), Some(Less));
    assert_eq!(ops::compare("<", f(f64::NAN), i(1), 0), None);
    assert_eq!(crate::nyrt_lt(tag::FLOAT, f64::NAN.to_bits() as i64, tag::INT, 1, 0), 0);
    assert_eq!(crate::nyrt_ge(tag::INT, 2, tag::INT, 2, 0), 1);
}

#[test]
fn truthiness() {
    assert!(ops::truthy(i(3), 0));
    assert!(!ops::truthy(i(0), 0));
    assert!(!ops::truthy(f(0.0), 0));
    assert!(!ops::truthy(f(-0.0), 0));
    assert!(ops::truthy(s("x"), 0));
    assert!(!ops::truthy(s(""), 0));
    assert!(ops::truthy(NyValue::bool(true), 0));
}

#[test]
fn exit_codes() {
    assert_eq!(exit_code(i(300)), 44);
    assert_eq!(exit_code(i(-3)), 253);
    assert_eq!(exit_code(i(i64::MIN)), 0);
    assert_eq!(exit_code(NyValue::bool(true)), 1);
    assert_eq!(exit_code(NyValue::bool(false)), 0);
    assert_eq!(exit_code(s("7")), 0);
    assert_eq!(exit_code(NyValue::NULL), 0);
    assert_eq!(exit_code(f(3.0)), 0);
    assert_eq!(crate::nyrt_finish(tag::INT, 256 + 7), 7);
}

#[test]
fn string_methods_ascii() {
    let h = s("hello world");
    assert_eq!(call(h, "length", &[]), i(11));
    assert_eq!(sh(call(h, "substring", &[i(0), i(5)])), "hello");
    assert_eq!(sh(call(h, "substring", &[i(-3), i(100)])), "hello world");
    assert_eq!(sh(call(h, "substring", &[i(5), i(2)])), "");
    assert_eq!(sh(call(h, "substring", &[i(6)])), "world");
    assert_eq!(sh(call(h, "substring", &[i(60)])), "");
    assert_eq!(call(h, "indexOf", &[s("o")]), i(4));
    assert_eq!(call(h, "indexOf", &[s("o"), i(5)]), i(7));
    assert_eq!(call(h, "indexOf", &[s("o"), i(50)]), i(-1));
    assert_eq!(call(h, "indexOf", &[s("zz")]), i(-1));
    assert_eq!(call(h, "lastIndexOf", &[s("o")]), i(7));
    assert_eq!(call(h, "contains", &[s("lo w")]), NyValue::bool(true));
    assert_eq!(call(h, "startsWith", &[s("he")]), NyValue::bool(true));
    assert_eq!(call(h, "endsWith", &[s("he")]), NyValue::bool(false));
    assert_eq!(sh(call(s("  x y \n"), "trim", &[])), "x y");
    assert_eq!(sh(call(s("a-b-c"), "replace", &[s("-"), s("+")])), "a+b+c");
    assert_eq!(sh(call(s("a"), "concat", &[i(1)])), "a1");
    assert_eq!(sh(call(s("a,b,,c"), "split", &[s(",")])), "[a, b, , c]");
    assert_eq!(sh(call(s("abc"), "split", &[s("")])), "[a, b, c]");
    assert_eq!(sh(call(h, "toUpper", &[])), "HELLO WORLD");
    assert_eq!(sh(call(s("AbC"), "toLower", &[])), "abc");
    assert_eq!(sh(call(h, "charAt", &[i(1)])), "e");
    assert_eq!(sh(call(h, "charAt", &[i(11)])), "");
    assert_eq!(sh(call(h, "charAt", &[i(-1)])), "");
    assert_eq!(call(s("-42"), "toInteger", &[]), i(-42));
    assert_eq!(call(s("+7"), "toInteger", &[]), i(7));
    assert_eq!(sh(call(s("2.5"), "toFloat", &[])), "2.5");
    assert_eq!(sh(call(s("ab"), "repeat", &[i(3)])), "ababab");
    assert_eq!(sh(call(s("ab"), "repeat", &[i(-1)])), "");
    assert_eq!(call(s(""), "isEmpty", &[]), NyValue::bool(true));
    assert_eq!(sh(call(h, "toString", &[])), "hello world");
}

#[test]
fn string_methods_unicode() {
    let u = s("héllo wörld");
    assert_eq!(call(u, "length", &[]), i(11));
    assert_eq!(sh(call(u, "substring", &[i(1), i(4)])), "éll");
    assert_eq!(call(u, "indexOf", &[s("ö")]), i(7));
    assert_eq!(call(u, "indexOf", &[s("l"), i(4)]), i(9));
    assert_eq!(call(u, "lastIndexOf", &[s("l")]), i(9));
    assert_eq!(sh(call(u, "charAt", &[i(7)])), "ö");
    assert_eq!(sh(call(u, "toUpper", &[])), "HÉLLO WÖRLD");
    assert_eq!(sh(call(s("日本語"), "split", &[s("")])), "[日, 本, 語]");
    assert_eq!(call(s("🎉x"), "length", &[]), i(2));
    assert_eq!(sh(call(s("🎉x"), "charAt", &[i(0)])), "🎉");
}

#[test]
fn number_methods() {
    assert_eq!(sh(call(i(-5), "abs", &[])), "5");
    assert_eq!(call(i(3), "min", &[i(2)]), i(2));
    assert_eq!(call(i(3), "max", &[i(9)]), i(9));
    assert_eq!(sh(call(i(3), "max", &[f(9.5)])), "9.5");
    assert_eq!(call(i(2), "pow", &[i(10)]), i(1024));
    assert_eq!(call(i(2), "pow", &[i(64)]), i(0));
    assert_eq!(sh(call(i(2), "pow", &[i(-1)])), "0.5");
    assert_eq!(sh(call(i(7), "toString", &[])), "7");
    assert_eq!(sh(call(f(2.0), "toString", &[])), "2");
    assert_eq!(call(f(-2.7), "toInteger", &[]), i(-2));
    assert_eq!(call(f(f64::NAN), "toInteger", &[]), i(0));
    assert_eq!(call(f(1e300), "toInteger", &[]), i(i64::MAX));
    assert_eq!(sh(call(f(2.5), "round", &[])), "3");
    assert_eq!(sh(call(f(-2.5), "round", &[])), "-3");
    assert_eq!(sh(call(f(2.7), "floor", &[])), "2");
    assert_eq!(sh(call(f(2.1), "ceil", &[])), "3");
    assert_eq!(sh(call(f(16.0), "sqrt", &[])), "4");
    assert_eq!(sh(call(NyValue::bool(true), "toString", &[])), "true");
}

#[test]
fn array_methods() {
    let a = NyValue::array(vec![]);
    call(a, "push", &[i(1)]);
    call(a, "push", &[s("two")]);
    assert_eq!(call(a, "length", &[]), i(2));
    assert_eq!(call(a, "size", &[]), i(2));
    assert_eq!(call(a, "get", &[i(0)]), i(1));
    assert_eq!(call(a, "get", &[i(5)]), NyValue::NULL);
    assert_eq!(call(a, "get", &[i(-1)]), NyValue::NULL);
    assert_eq!(sh(call(a, "toString", &[])), "[1, two]");
    assert_eq!(sh(call(a, "join", &[s("-")])), "1-two");
    let last = call(a, "get", &[i(1)]);
    assert_eq!(call(a, "pop", &[]), last);
    assert_eq!(call(a, "length", &[]), i(1));
    call(a, "set", &[i(0), f(0.5)]);
    assert_eq!(sh(a), "[0.5]");
    assert_eq!(call(NyValue::array(vec![]), "pop", &[]), NyValue::NULL);
}

#[test]
fn args_and_metadata() {
    let a0 = std::ffi::CString::new("prog.nyash").unwrap();
    let a1 = std::ffi::CString::new("x y").unwrap();
    let argv = [a0.as_ptr(), a1.as_ptr(), std::ptr::null()];
    let meta = "F\tp.nyash\nS\t3\t9\tMain.main\nM\tlength\n";
    // The upper 32 bits of argc are garbage from a C `int`.
    crate::nyrt_init((7 << 32) | 2, argv.as_ptr() as i64, meta.as_ptr() as i64, meta.len() as i64);
    assert_eq!(sh(crate::nyrt_args()), "[x y]");
    assert_eq!(crate::meta::site_location(0).as_deref(), Some("p.nyash:3:9 in Main.main"));
    assert_eq!(crate::meta::site_location(1), None);
}

#[test]
fn str_new_copies_bytes() {
    let text = "hé";
    let v = crate::nyrt_str_new(text.as_ptr() as i64, text.len() as i64);
    assert_eq!(v.tag, tag::STR);
    assert_eq!(sh(v), "hé");
    assert_eq!(sh(crate::nyrt_str_new(0, 0)), "");
}

#[test]
fn big_stack_runs_deep_recursion() {
    fn depth(n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            1 + depth(std::hint::black_box(n - 1))
        }
    }
    assert_eq!(crate::with_big_stack(|| depth(1_000_000)), 1_000_000);
}

#[test]
fn start_runs_entry() {
    extern "C" fn entry(argc: i64, _argv: i64) -> i64 {
        argc + 40
    }
    assert_eq!(crate::nyrt_start(2, 0, entry as *const () as i64), 42);
}

#[test]
fn captured_print() {
    let ((), out) = crate::with_captured_stdout(|| {
        crate::nyrt_print(tag::INT, 5);
        let a = NyValue::array(vec![f(1.5), s("é")]);
        crate::nyrt_print(a.tag, a.payload);
    });
    assert_eq!(out, "5\n[1.5, é]\n");
}

/// Child side of `stack_overflow_is_reported`: recurses without bound on the big stack.
#[test]
fn overflow_child() {
    if std::env::var("NYASH_RT_OVERFLOW_CHILD").is_err() {
        return;
    }
    #[allow(unconditional_recursion)]
    fn down(n: u64) -> u64 {
        let pad = std::hint::black_box([n; 16]);
        1 + down(std::hint::black_box(pad[3]) + 1)
    }
    crate::io::print_for_test("printed before the overflow\n");
    crate::with_big_stack(|| down(0));
}

#[test]
fn stack_overflow_is_reported() {
    let exe = std::env::current_exe().expect("test executable");
    let out = std::process::Command::new(exe)
        .args(["--exact", "tests::overflow_child", "--nocapture", "--test-threads=1"])
        .env("NYASH_RT_OVERFLOW_CHILD", "1")
        .output()
        .expect("spawn child");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr, "error: stack overflow\n");
    assert!(String::from_utf8_lossy(&out.stdout).contains("printed before the overflow\n"));
}
