//! VM tests on real Nyash programs compiled by the front end, checking stdout and exit code.

use nyash_syntax::SourceFile;

/// Compiles and runs `src`; returns (exit code, stdout).
fn run(src: &str) -> (i32, String) {
    run_args(src, &[])
}

fn compile(src: &str) -> nyash_mir::Module {
    let file = SourceFile::new("t.nyash", src);
    let (prog, diags) = nyash_syntax::parse(&file);
    assert!(diags.is_empty(), "parse errors: {diags:?}");
    let (m, _warnings) = nyash_mir::pipeline::compile(&prog, &file, true)
        .unwrap_or_else(|e| panic!("compile errors: {e:?}"));
    m
}

fn run_args(src: &str, extra: &[&str]) -> (i32, String) {
    let m = compile(src);
    let mut args = vec!["t.nyash".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    crate::run_captured(&m, &args).expect("vm run")
}

#[test]
fn hello_and_exit_code() {
    let (code, out) =
        run("static box Main {\n  main() {\n    print(\"hello\")\n    return 300\n  }\n}\n");
    assert_eq!(out, "hello\n");
    assert_eq!(code, 44);
}

#[test]
fn recursion_and_loops() {
    let src = r#"
static box Main {
    fib(n) { if n < 2 { return n } return fib(n - 1) + fib(n - 2) }
    main() {
        local i = 0
        local s = 0
        loop(i < 10) { s = s + i  i = i + 1 }
        print(s)
        print(me.fib(15))
        print(Main.fib(10))
        return 0
    }
}
"#;
    assert_eq!(run(src), (0, "45\n610\n55\n".to_string()));
}

#[test]
fn operators_and_display() {
    let src = r#"
static box Main {
    main() {
        print(7 / 2)
        print(-7 % 3)
        print(1 + 0.5)
        print(3.0)
        print(0.1 + 0.2)
        print(1e20 == 100000000000000000000.0)
        print("a" + 1 + true)
        print(1 == 1.0)
        print("abc" < "abd")
        print(not false)
        print(null)
        return -3
    }
}
"#;
    assert_eq!(
        run(src),
        (253, "3\n-1\n1.5\n3\n0.30000000000000004\ntrue\na1true\ntrue\ntrue\ntrue\nnull\n".into())
    );
}

#[test]
fn string_methods() {
    let src = r#"
static box Main {
    main() {
        local s = "héllo wörld"
        print(s.length())
        print(s.substring(1, 4))
        print(s.indexOf("ö"))
        print(s.toUpper())
        print("  x ".trim() + "|")
        print("a,b,c".split(","))
        print("42".toInteger() + 1)
        print("ab".repeat(3))
        print((2).pow(10))
        print((2.5).round())
        return 0
    }
}
"#;
    assert_eq!(
        run(src),
        (0, "11\néll\n7\nHÉLLO WÖRLD\nx|\n[a, b, c]\n43\nababab\n1024\n3\n".into())
    );
}

#[test]
fn main_args() {
    let src =
        "static box Main {\n  main(args) {\n    print(args)\n    return args.length()\n  }\n}\n";
    assert_eq!(run_args(src, &["x", "y z"]), (2, "[x, y z]\n".into()));
}

/// Programs that end in a runtime error, with their expected stdout and stderr. The column
/// (`*`) is where lowering puts the site, which these tests leave to the lowering.
const ERROR_CASES: &[(&str, &str, &str)] = &[
    (
        "static box Main {\n  main() {\n    print(\"before\")\n    local z = 0\n    return 1 / z\n  }\n}\n",
        "before\n",
        "error: division by zero\n  at t.nyash:5:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    local x = null\n    return x.foo(1)\n  }\n}\n",
        "",
        "error: cannot call method foo/1 on null\n  at t.nyash:4:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    return \"s\".foo(1, 2)\n  }\n}\n",
        "",
        "error: unknown method String.foo/2\n  at t.nyash:3:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    return \"abc\".toInteger()\n  }\n}\n",
        "",
        "error: String.toInteger: invalid integer \"abc\"\n  at t.nyash:3:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    return \"abc\".substring(\"x\")\n  }\n}\n",
        "",
        "error: String.substring: argument 1 must be Int, got String\n  at t.nyash:3:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    local n = null\n    if n { return 1 }\n    return 0\n  }\n}\n",
        "",
        "error: cannot use Null as a condition\n  at t.nyash:4:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    return \"a\" - 1\n  }\n}\n",
        "",
        "error: cannot apply '-' to String and Int\n  at t.nyash:3:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    local s = \"a\"\n    return s + null\n  }\n}\n",
        "",
        "error: cannot apply '+' to String and Null\n  at t.nyash:4:* in Main.main\n",
    ),
    (
        "static box Main {\n  main() {\n    local s = \"a\"\n    return -s\n  }\n}\n",
        "",
        "error: cannot apply unary '-' to String\n  at t.nyash:4:* in Main.main\n",
    ),
    (
        "static box Main {\n  f(n) { return f(n + 1) + 1 }\n  main() {\n    print(1)\n    return f(0)\n  }\n}\n",
        "1\n",
        "error: stack overflow\n",
    ),
];

/// Child side of `runtime_errors`: runs one erroring program (exits the process).
#[test]
fn error_case_child() {
    if let Ok(i) = std::env::var("NYASH_VM_ERROR_CASE") {
        let i: usize = i.parse().expect("case index");
        use nyash_mir::Backend;
        let m = compile(ERROR_CASES[i].0);
        let r = crate::VmBackend.run(&m, &Default::default(), &["t.nyash".into()]);
        panic!("program did not fail: {r:?}");
    }
}

#[test]
fn runtime_errors() {
    let exe = std::env::current_exe().expect("test executable");
    for (i, (_, want_out, want_err)) in ERROR_CASES.iter().enumerate() {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "tests_programs::error_case_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("NYASH_VM_ERROR_CASE", i.to_string())
            .output()
            .expect("spawn child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "case {i}: stderr {stderr}");
        let (want_head, want_tail) = want_err.split_once('*').unwrap_or((want_err, ""));
        let ok = stderr.starts_with(want_head)
            && stderr.ends_with(want_tail)
            && stderr.len() > want_head.len() + want_tail.len()
            && stderr[want_head.len()..stderr.len() - want_tail.len()]
                .bytes()
                .all(|b| b.is_ascii_digit());
        let exact = !want_err.contains('*') && stderr == *want_err;
        assert!(ok || exact, "case {i}: got {stderr:?}, want {want_err:?}");
        // libtest prints its own header lines to stdout around the program's output.
        assert!(stdout.contains(want_out), "case {i}: stdout {stdout:?}");
    }
}

#[test]
fn boxes_collections_and_fini() {
    let src = r#"
box Node {
    name
    next
    birth(n) { me.name = n }
    fini() { print("fini " + me.name) }
    toString() { return "Node(" + me.name + ")" }
}
box Counter {
    count
    birth() { me.count = 0 }
    inc() { me.count = me.count + 1  return me }
}
static box Main {
    total
    main(args) {
        local a = new Node("a")
        local b = new Node("b")
        a.next = b
        print(a)
        print("x" + a.next)
        local arr = new ArrayBox()
        arr.push(1)
        arr.push("two")
        arr.push(a)
        print(arr)
        local m = new MapBox()
        m.set("k", arr)
        m.set(2, 3.5)
        print(m)
        print(m.keys())
        local c = new Counter()
        c.inc().inc()
        print(c.count)
        Main.total = 40
        me.total = me.total + 2
        print(Main.total)
        local con = new ConsoleBox()
        con.log("logged")
        local math = new MathBox()
        print(math.sqrt(16))
        print(math.min(3, 2))
        a.extra = "undeclared"
        print(a.extra)
        print(a.missing)
        b = null
        print("b dropped")
        arr.clear()
        m.clear()
        print("end")
        return 0
    }
}
"#;
    let expected = "Node(a)\nxNode(b)\n[1, two, Node(a)]\n{k: [1, two, Node(a)], 2: 3.5}\n[k, 2]\n\
        2\n42\nlogged\n4\n2\nundeclared\nnull\nb dropped\nend\nfini a\nfini b\n";
    assert_eq!(run(src), (0, expected.to_string()));
}
