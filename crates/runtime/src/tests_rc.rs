//! Unit tests for reference counting, instances, fini/toString callbacks, globals, MapBox,
//! ArrayBox/ConsoleBox/MathBox methods and nested display. Runtime errors exit the process, so
//! error cases run in a child process (`error_child`).

use crate::display::to_display_string as sh;
use crate::rc::{ref_count, release, retain};
use crate::value::{tag, NyValue};
use std::cell::{Cell, RefCell};

const SYMS: &[&str] = &[
    "push", "pop", "get", "set", "length", "insert", "remove", "clear", "contains", "indexOf",
    "join", "slice", "reverse", "sort", "isEmpty", "toString", "has", "delete", "size", "keys",
    "values", "log", "print", "println", "abs", "sqrt", "pow", "min", "max", "floor", "round",
    "sin", "exp", // methods
    "x", "y", "extra", // fields
];

/// Box 0 `Point {x, y}`, box 1 `Node {x}` (with fini/toString registered by tests), box 2
/// `Child from Point {x, y, z}`; one global.
fn init() {
    let mut meta = String::from("F\tt.nyash\nS\t4\t2\tMain.main\n");
    for m in SYMS {
        meta.push_str(&format!("M\t{m}\n"));
    }
    meta.push_str("B\tPoint\t-\tx,y\nB\tNode\t-\tx\nB\tChild\t0\tx,y,z\nB\tMain\t-\t\nG\tMain.g\n");
    crate::nyrt_init(0, 0, meta.as_ptr() as i64, meta.len() as i64);
    FINIS.with(|f| f.set(0));
}

fn sym(name: &str) -> i64 {
    SYMS.iter().position(|m| *m == name).expect("symbol in SYMS") as i64
}

fn call(recv: NyValue, name: &str, args: &[NyValue]) -> NyValue {
    crate::nyrt_call_method(
        recv.tag,
        recv.payload,
        sym(name),
        args.as_ptr() as i64,
        args.len() as i64,
        0,
    )
}

fn s(x: &str) -> NyValue {
    NyValue::str(x)
}
fn i(x: i64) -> NyValue {
    NyValue::int(x)
}
fn rc(v: NyValue) -> i64 {
    ref_count(v).expect("heap value")
}
fn fget(o: NyValue, f: &str) -> NyValue {
    crate::nyrt_field_get(o.tag, o.payload, sym(f), 0)
}
fn fset(o: NyValue, f: &str, v: NyValue) {
    crate::nyrt_field_set(o.tag, o.payload, sym(f), v.tag, v.payload, 0)
}

thread_local! {
    static FINIS: Cell<u32> = const { Cell::new(0) };
    static STASH: RefCell<Vec<NyValue>> = const { RefCell::new(Vec::new()) };
}

extern "C" fn count_fini(_t: i64, _p: i64) -> NyValue {
    FINIS.with(|f| f.set(f.get() + 1));
    NyValue::NULL
}

/// A fini that stores `me` into global 0 (resurrecting the object).
extern "C" fn resurrecting_fini(t: i64, p: i64) -> NyValue {
    FINIS.with(|f| f.set(f.get() + 1));
    crate::nyrt_global_set(0, t, p);
    NyValue::NULL
}

/// A toString that shows field x.
extern "C" fn node_to_string(t: i64, p: i64) -> NyValue {
    let x = fget(NyValue::new(t, p), "x");
    let r = s(&format!("Node({})", sh(x)));
    release(x);
    r
}

#[test]
fn string_and_array_counts() {
    init();
    let a = crate::nyrt_new_array();
    let x = s("hello");
    assert_eq!(rc(x), 1);
    call(a, "push", &[x]);
    assert_eq!(rc(x), 2);
    let got = call(a, "get", &[i(0)]);
    assert_eq!(got, x);
    assert_eq!(rc(x), 3);
    release(got);
    let popped = call(a, "pop", &[]);
    assert_eq!(rc(x), 2, "pop transfers the array's reference");
    release(popped);
    call(a, "push", &[x]);
    call(a, "set", &[i(0), i(7)]);
    assert_eq!(rc(x), 1, "set releases the old element");
    call(a, "insert", &[i(0), x]);
    let sl = call(a, "slice", &[i(0), i(1)]);
    assert_eq!(rc(x), 3);
    release(sl);
    assert_eq!(rc(x), 2);
    call(a, "clear", &[]);
    assert_eq!(rc(x), 1);
    retain(a);
    assert_eq!(rc(a), 2);
    release(a);
    release(a);
    release(x);
}

#[test]
fn instance_fields_and_fini_once() {
    init();
    crate::nyrt_register_box(1, count_fini as *const () as i64, 0);
    let n = crate::nyrt_new_instance(1);
    assert_eq!(n.tag, tag::INSTANCE);
    assert_eq!(crate::nyrt_box_id(n.tag, n.payload), 1);
    assert_eq!(crate::nyrt_box_id(tag::INT, 3), -1);
    assert_eq!(crate::instance_slot_count(n), Some(1));
    let x = s("v");
    fset(n, "x", x);
    assert_eq!(rc(x), 2);
    // Undeclared field: kept beside the slots; never-assigned ones read as null.
    assert_eq!(fget(n, "extra"), NyValue::NULL);
    fset(n, "extra", x);
    assert_eq!(rc(x), 3);
    let e = fget(n, "extra");
    assert_eq!(sh(e), "v");
    release(e);
    // The slot is where the layout says.
    let slot0 = unsafe { *((n.payload as usize + 16) as *const NyValue) };
    assert_eq!(slot0, x);
    retain(n);
    release(n);
    assert_eq!(FINIS.with(|f| f.get()), 0);
    release(n);
    assert_eq!(FINIS.with(|f| f.get()), 1);
    assert_eq!(rc(x), 1, "freeing the instance released its slot and undeclared field");
    release(x);
}

#[test]
fn fini_that_resurrects_runs_once() {
    init();
    crate::nyrt_register_box(1, resurrecting_fini as *const () as i64, 0);
    let n = crate::nyrt_new_instance(1);
    release(n);
    assert_eq!(FINIS.with(|f| f.get()), 1);
    assert_eq!(rc(n), 1, "the global keeps it alive");
    let g = crate::nyrt_global_get(0);
    assert_eq!(g, n);
    release(g);
    crate::nyrt_global_set(0, tag::NULL, 0);
    assert_eq!(FINIS.with(|f| f.get()), 1, "fini never runs twice");
}

#[test]
fn inherited_fields_and_callbacks() {
    init();
    crate::nyrt_register_box(0, count_fini as *const () as i64, 0);
    let c = crate::nyrt_new_instance(2);
    assert_eq!(crate::instance_slot_count(c), Some(3));
    fset(c, "y", i(5));
    assert_eq!(fget(c, "y"), i(5));
    assert_eq!(sh(c), "Child");
    release(c);
    assert_eq!(FINIS.with(|f| f.get()), 1, "Child inherits Point's fini");
}

#[test]
fn callback_hook_is_used() {
    init();
    fn hook(fnptr: i64, me: NyValue) -> NyValue {
        assert_eq!(fnptr, 77);
        STASH.with(|s| s.borrow_mut().push(me));
        s("hooked")
    }
    crate::set_callback_hook(Some(hook));
    crate::nyrt_register_box(1, 0, 77);
    let n = crate::nyrt_new_instance(1);
    assert_eq!(sh(n), "hooked");
    crate::set_callback_hook(None);
    assert_eq!(STASH.with(|s| s.borrow().clone()), vec![n]);
    release(n);
}

#[test]
fn display_nesting_and_cycles() {
    init();
    crate::nyrt_register_box(1, 0, node_to_string as *const () as i64);
    let n = crate::nyrt_new_instance(1);
    fset(n, "x", i(3));
    let m = crate::nyrt_new_map();
    let a = crate::nyrt_new_array();
    call(a, "push", &[i(1)]);
    call(a, "push", &[n]);
    call(m, "set", &[s("k"), a]);
    call(m, "set", &[i(2), NyValue::NULL]);
    let p = crate::nyrt_new_instance(0);
    call(a, "push", &[p]);
    assert_eq!(sh(m), "{k: [1, Node(3), Point], 2: null}");
    call(a, "push", &[m]);
    assert_eq!(sh(a), "[1, Node(3), Point, {k: [...], 2: null}]");
    assert_eq!(sh(crate::nyrt_new_console()), "ConsoleBox");
    let ((), out) = crate::with_captured_stdout(|| crate::nyrt_print(n.tag, n.payload));
    assert_eq!(out, "Node(3)\n");
    let joined = call(a, "join", &[s("|")]);
    assert_eq!(sh(joined), "1|Node(3)|Point|{k: [1, Node(3), Point, {...}], 2: null}");
}

#[test]
fn map_order_and_methods() {
    init();
    let m = crate::nyrt_new_map();
    let v = s("val");
    for (k, x) in [("a", i(1)), ("b", v), ("c", i(3))] {
        call(m, "set", &[s(k), x]);
    }
    assert_eq!(rc(v), 2);
    call(m, "set", &[i(1), i(10)]);
    assert_eq!(call(m, "delete", &[s("b")]), NyValue::bool(true));
    assert_eq!(rc(v), 1);
    assert_eq!(call(m, "remove", &[s("zz")]), NyValue::bool(false));
    call(m, "set", &[s("b"), i(2)]);
    call(m, "set", &[s("a"), i(100)]);
    assert_eq!(sh(m), "{a: 100, c: 3, 1: 10, b: 2}");
    assert_eq!(sh(call(m, "keys", &[])), "[a, c, 1, b]");
    assert_eq!(sh(call(m, "values", &[])), "[100, 3, 10, 2]");
    assert_eq!(call(m, "has", &[i(1)]), NyValue::bool(true));
    assert_eq!(call(m, "has", &[s("1")]), NyValue::bool(false));
    assert_eq!(call(m, "get", &[s("c")]), i(3));
    assert_eq!(call(m, "get", &[s("nope")]), NyValue::NULL);
    assert_eq!(call(m, "size", &[]), i(4));
    // Many deletions compact the entries without disturbing the order.
    for k in 0..100 {
        call(m, "set", &[i(1000 + k), i(k)]);
    }
    for k in 0..99 {
        call(m, "delete", &[i(1000 + k)]);
    }
    assert_eq!(sh(m), "{a: 100, c: 3, 1: 10, b: 2, 1099: 99}");
    call(m, "clear", &[]);
    assert_eq!(call(m, "isEmpty", &[]), NyValue::bool(true));
    assert_eq!(sh(m), "{}");
}

#[test]
fn array_methods_full() {
    init();
    let a = NyValue::array(vec![i(3), NyValue::float(1.5), i(-2), i(10)]);
    call(a, "sort", &[]);
    assert_eq!(sh(a), "[-2, 1.5, 3, 10]");
    call(a, "reverse", &[]);
    assert_eq!(sh(a), "[10, 3, 1.5, -2]");
    call(a, "insert", &[i(4), i(0)]);
    call(a, "insert", &[i(0), s("x")]);
    assert_eq!(sh(a), "[x, 10, 3, 1.5, -2, 0]");
    assert_eq!(sh(call(a, "remove", &[i(0)])), "x");
    assert_eq!(call(a, "contains", &[NyValue::float(3.0)]), NyValue::bool(true));
    assert_eq!(call(a, "indexOf", &[i(-2)]), i(3));
    assert_eq!(call(a, "indexOf", &[s("-2")]), i(-1));
    assert_eq!(sh(call(a, "slice", &[i(1), i(3)])), "[3, 1.5]");
    assert_eq!(sh(call(a, "slice", &[i(-5), i(99)])), "[10, 3, 1.5, -2, 0]");
    assert_eq!(sh(call(a, "slice", &[i(3), i(1)])), "[]");
    let w = NyValue::array(vec![s("pear"), s("Apple"), s("ápple"), s("apple")]);
    call(w, "sort", &[]);
    assert_eq!(sh(w), "[Apple, apple, pear, ápple]");
    assert_eq!(call(w, "isEmpty", &[]), NyValue::bool(false));
    // Boxes compare by identity.
    let m1 = crate::nyrt_new_map();
    let m2 = crate::nyrt_new_map();
    let b = NyValue::array(vec![m1]);
    assert_eq!(call(b, "contains", &[m1]), NyValue::bool(true));
    assert_eq!(call(b, "contains", &[m2]), NyValue::bool(false));
}

#[test]
fn console_and_math() {
    init();
    let c = crate::nyrt_new_console();
    let ((), out) = crate::with_captured_stdout(|| {
        call(c, "log", &[i(1)]);
        call(c, "print", &[s("a")]);
        call(c, "println", &[NyValue::array(vec![NyValue::NULL])]);
    });
    assert_eq!(out, "1\na[null]\n");
    let m = crate::nyrt_new_math();
    assert_eq!(call(m, "abs", &[i(-3)]), i(3));
    assert_eq!(sh(call(m, "abs", &[NyValue::float(-2.5)])), "2.5");
    assert_eq!(sh(call(m, "sqrt", &[i(16)])), "4");
    assert_eq!(call(m, "sqrt", &[i(16)]).tag, tag::FLOAT);
    assert_eq!(sh(call(m, "pow", &[i(2), i(10)])), "1024");
    assert_eq!(call(m, "pow", &[i(2), i(10)]).tag, tag::FLOAT);
    assert_eq!(call(m, "min", &[i(2), i(-1)]), i(-1));
    assert_eq!(sh(call(m, "max", &[i(2), NyValue::float(2.5)])), "2.5");
    assert_eq!(sh(call(m, "floor", &[NyValue::float(-1.5)])), "-2");
    assert_eq!(sh(call(m, "round", &[NyValue::float(2.5)])), "3");
    assert_eq!(sh(call(m, "sin", &[i(0)])), "0");
    assert_eq!(sh(call(m, "exp", &[i(0)])), "1");
    assert_eq!(sh(call(m, "log", &[i(1)])), "0");
}

/// Runs the error case named by `NYASH_RT_ERR_CASE` (only in the child process).
#[test]
fn error_child() {
    let Ok(case) = std::env::var("NYASH_RT_ERR_CASE") else { return };
    init();
    let a = NyValue::array(vec![i(1), i(2), i(3)]);
    match case.as_str() {
        "set_range" => {
            call(a, "set", &[i(5), i(0)]);
        }
        "get_type" => {
            call(a, "get", &[s("0")]);
        }
        "sort_mixed" => {
            call(a, "push", &[s("x")]);
            call(a, "sort", &[]);
        }
        "push_arity" => {
            call(a, "push", &[i(1), i(2)]);
        }
        "map_key" => {
            call(crate::nyrt_new_map(), "set", &[NyValue::float(1.0), i(1)]);
        }
        "field_of_int" => {
            fget(i(3), "x");
        }
        "set_field_of_null" => {
            fset(NyValue::NULL, "y", i(1));
        }
        "truthy_box" => {
            crate::nyrt_truthy(a.tag, a.payload, 0);
        }
        "truthy_instance" => {
            let p = crate::nyrt_new_instance(0);
            crate::nyrt_truthy(p.tag, p.payload, 0);
        }
        "instance_unknown" => {
            call(crate::nyrt_new_instance(0), "push", &[i(1), i(2)]);
        }
        "user_error" => {
            let m = s("boom: custom");
            crate::nyrt_error(m.tag, m.payload, 0);
        }
        "double_release" => {
            crate::rc::set_rc_check(true);
            let x = s("once");
            release(x);
            release(x);
        }
        "use_after_free" => {
            crate::rc::set_rc_check(true);
            release(a);
            call(a, "length", &[]);
        }
        _ => panic!("unknown case"),
    }
}

fn run_case(case: &str) -> (Option<i32>, String) {
    let exe = std::env::current_exe().expect("test executable");
    let out = std::process::Command::new(exe)
        .args(["--exact", "tests_rc::error_child", "--nocapture", "--test-threads=1"])
        .env("NYASH_RT_ERR_CASE", case)
        .output()
        .expect("spawn child");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn runtime_error_messages() {
    let at = "\n  at t.nyash:4:2 in Main.main\n";
    for (case, msg) in [
        ("set_range", "ArrayBox.set: index 5 out of range (length 3)"),
        ("get_type", "ArrayBox.get: argument 1 must be Int, got String"),
        ("sort_mixed", "ArrayBox.sort: cannot compare Int and String"),
        ("push_arity", "unknown method ArrayBox.push/2"),
        ("map_key", "MapBox.set: key must be String or Int, got Float"),
        ("field_of_int", "cannot read field x of Int"),
        ("set_field_of_null", "cannot set field y of Null"),
        ("truthy_box", "cannot use ArrayBox as a condition"),
        ("truthy_instance", "cannot use Point as a condition"),
        ("instance_unknown", "unknown method Point.push/2"),
        ("user_error", "boom: custom"),
    ] {
        let (code, stderr) = run_case(case);
        assert_eq!(code, Some(1), "{case}: {stderr}");
        assert!(stderr.starts_with(&format!("error: {msg}{at}")), "{case}: {stderr}");
    }
}

#[test]
fn rc_check_catches_double_release_and_use_after_free() {
    for case in ["double_release", "use_after_free"] {
        let (code, stderr) = run_case(case);
        assert_eq!(code, Some(101), "{case}: {stderr}");
        assert!(
            stderr.contains("error: internal runtime error: use of a freed object"),
            "{case}: {stderr}"
        );
    }
}
