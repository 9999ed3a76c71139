//! Parser tests: expressions, precedence, and program structure.

use super::*;

#[test]
fn smoke_language_md_example() {
    let src = r#"
// A taste of Nyash
box Counter {
    count
    birth(start) { me.count = start }
    inc() { me.count = me.count + 1  return me.count }
}

static box Main {
    main(args) {
        local c = new Counter(10)
        local i = 0
        loop(i < 5) { c.inc()  i = i + 1 }
        print("count = " + c.count)          // count = 15
        local xs = new ArrayBox()
        xs.push(1)  xs.push("two")  xs.push(3.5)
        print(xs)                            // [1, two, 3.5]
        return 0
    }
}
"#;
    let p = parse_ok(src);
    assert_eq!(p.boxes.len(), 2);
    let counter = &p.boxes[0];
    assert_eq!(counter.name.name, "Counter");
    assert_eq!(counter.fields.len(), 1);
    assert_eq!(counter.constructors.len(), 1);
    assert_eq!(
        block_s(&counter.methods[0].body),
        "{(= (. me count) (+ (. me count) 1)) (return (. me count))}"
    );
    let main = &p.boxes[1];
    assert!(main.is_static);
    assert_eq!(main.methods[0].params.len(), 1);
    assert_eq!(
        block_s(&main.methods[0].body),
        "{(local c=(new Counter 10)) (local i=0) (loop (< i 5) {(.inc c) (= i (+ i 1))}) \
         (print (+ \"count = \" (. c count))) (local xs=(new ArrayBox)) (.push xs 1) (.push xs \"two\") \
         (.push xs 3.5f) (print xs) (return 0)}"
    );
}

#[test]
fn precedence_levels() {
    assert_eq!(expr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(expr("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(expr("8 / 4 % 3 * 2"), "(* (% (/ 8 4) 3) 2)");
    assert_eq!(expr("a < b + 1 == c >= d"), "(== (< a (+ b 1)) (>= c d))");
    assert_eq!(expr("a == b != c"), "(!= (== a b) c)");
    assert_eq!(expr("a or b and c"), "(or a (and b c))");
    assert_eq!(expr("a || b && c || d"), "(or (or a (and b c)) d)");
    assert_eq!(expr("not a == b"), "(== (not a) b)");
    assert_eq!(expr("!a and -b < 3"), "(and (not a) (< (neg b) 3))");
    assert_eq!(expr("- - x"), "(neg (neg x))");
    assert_eq!(expr("-x.abs()"), "(neg (.abs x))");
    assert_eq!(expr("c ? a + 1 : b"), "(? c (+ a 1) b)");
    assert_eq!(expr("a or b ? 1 : c ? 2 : 3"), "(? (or a b) 1 (? c 2 3))");
    assert_eq!(expr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
}

#[test]
fn postfix_forms() {
    assert_eq!(expr("a.b.c"), "(. (. a b) c)");
    assert_eq!(expr("a.b(1, 2).c()"), "(.c (.b a 1 2))");
    assert_eq!(expr("xs[i + 1][0]"), "([] ([] xs (+ i 1)) 0)");
    assert_eq!(expr("f(1, g(2))"), "(call f 1 (call g 2))");
    assert_eq!(expr("Math.max(1, 2)"), "(.max Math 1 2)");
    assert_eq!(expr("\"abc\".length()"), "(.length \"abc\")");
    assert_eq!(expr("5.toString()"), "(.toString 5)");
    assert_eq!(expr("1.5.floor()"), "(.floor 1.5f)");
    // Any keyword is a member name after `.`.
    assert_eq!(expr("console.print(x)"), "(.print console x)");
    assert_eq!(expr("r.fini()"), "(.fini r)");
    assert_eq!(expr("a.if.loop"), "(. (. a if) loop)");
    assert_eq!(expr("me.init(1)"), "(.init me 1)");
}

#[test]
fn primaries() {
    assert_eq!(expr("new Counter(1, \"a\")"), "(new Counter 1 \"a\")");
    assert_eq!(expr("new ArrayBox()"), "(new ArrayBox)");
    assert_eq!(expr("from Parent.birth(x)"), "(from Parent.birth x)");
    assert_eq!(expr("from Animal.speak()"), "(from Animal.speak)");
    assert_eq!(expr("[1, [2, 3], ]"), "[1 [2 3]]");
    assert_eq!(expr("[]"), "[]");
    assert_eq!(expr("%{\"k\" => 1, \"j\" => 2 + 3}"), "%{\"k\"=>1 \"j\"=>(+ 2 3)}");
    assert_eq!(expr("%{}"), "%{}");
    assert_eq!(
        expr("match x { 1 => \"a\", 2 => \"b\", _ => \"c\" }"),
        "(match x 1=>\"a\" 2=>\"b\" _=>\"c\")"
    );
    assert_eq!(
        expr("match x {\n  1 => 10\n  -1 => 20\n  _ => 0\n}"),
        "(match x 1=>10 (neg 1)=>20 _=>0)"
    );
    assert_eq!(expr("me"), "me");
    assert_eq!(expr("this"), "me");
    assert_eq!(expr("null"), "null");
    assert_eq!(expr("void"), "null");
    assert_eq!(expr("true"), "true");
    assert_eq!(expr("false"), "false");
    assert_eq!(expr("1.25"), "1.25f");
    assert_eq!(expr("-9223372036854775808"), "(neg -9223372036854775808)");
}

#[test]
fn spans_cover_constructs() {
    let src = "x = foo(1) + bar.baz";
    let p = parse_ok(src);
    assert_eq!(p.script[0].span, crate::Span::new(0, src.len()));
    let StmtKind::Assign { value, .. } = &p.script[0].kind else { panic!() };
    assert_eq!(&src[value.span.start as usize..value.span.end as usize], "foo(1) + bar.baz");
}

#[test]
fn box_members_all_forms() {
    let src = r#"
box Child from Parent {
    a
    b: IntegerBox
    init { c, d }
    weak w
    birth(x, y) { me.a = x }
    init(x) { }
    pack() { }
    override speak() { return from Parent.speak() }
    fini() { }
    get(i: IntegerBox) { return i }
}
"#;
    let p = parse_ok(src);
    let b = &p.boxes[0];
    assert!(!b.is_static);
    assert_eq!(b.parent.as_ref().unwrap().name, "Parent");
    let fields: Vec<(String, Option<String>, bool)> = b
        .fields
        .iter()
        .map(|f| (f.name.name.clone(), f.ty.as_ref().map(|t| t.name.clone()), f.weak))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("a".into(), None, false),
            ("b".into(), Some("IntegerBox".into()), false),
            ("c".into(), None, false),
            ("d".into(), None, false),
            ("w".into(), None, true),
        ]
    );
    let ctors: Vec<(&str, usize)> =
        b.constructors.iter().map(|m| (m.name.name.as_str(), m.params.len())).collect();
    assert_eq!(ctors, vec![("birth", 2), ("init", 1), ("pack", 0)]);
    let methods: Vec<(&str, bool)> =
        b.methods.iter().map(|m| (m.name.name.as_str(), m.is_override)).collect();
    assert_eq!(methods, vec![("speak", true), ("fini", false), ("get", false)]);
}

#[test]
fn functions_and_script_mode() {
    let src = "function add(a, b) { return a + b }\nfn twice(x) { return x * 2 }\nprint(add(1, 2))\nx = 3\n";
    let p = parse_ok(src);
    assert_eq!(p.functions.len(), 2);
    assert_eq!(p.functions[0].name.name, "add");
    assert_eq!(p.functions[1].params[0].name, "x");
    let s: Vec<String> = p.script.iter().map(stmt_s).collect();
    assert_eq!(s, vec!["(print (call add 1 2))", "(= x 3)"]);
}

#[test]
fn static_box_with_sibling_calls() {
    let p = parse_ok(
        "static box Util { twice(x) { return me.add(x, x) }\n add(a, b) { return a + b } }",
    );
    assert_eq!(p.boxes[0].methods.len(), 2);
    assert_eq!(block_s(&p.boxes[0].methods[0].body), "{(return (.add me x x))}");
}

#[test]
fn error_messages_and_positions() {
    assert_eq!(errors("print(f(1 {)"), vec!["1:11: expected `)` after arguments, found `{`"]);
    assert_eq!(
        errors("x = (1 + 2"),
        vec!["1:11: expected `)` to close the parenthesized expression, found end of file"]
    );
    assert_eq!(errors("x = 1 +"), vec!["1:8: expected an expression, found end of file"]);
    assert_eq!(errors("1 = 2"), vec!["1:1: invalid assignment target"]);
    assert_eq!(errors("f() = 2"), vec!["1:1: invalid assignment target"]);
    assert_eq!(errors("a + b += 2"), vec!["1:1: invalid assignment target"]);
    assert_eq!(
        errors("local if = 3"),
        vec!["1:7: expected a variable name after `local`, found `if`"]
    );
    assert_eq!(
        errors("local await = 3"),
        vec!["1:7: `await` is a reserved word and cannot be used as a variable name after `local`"]
    );
    assert_eq!(errors("else { }"), vec!["1:1: `else` without a preceding `if`"]);
    assert_eq!(errors("x = 9223372036854775808"), vec!["1:5: integer literal is too large"]);
    assert_eq!(
        errors("(f)(1)"),
        vec!["1:4: only a name or a method can be called; this expression cannot be called"]
    );
    assert_eq!(
        errors("box A { 1 }"),
        vec!["1:9: expected a field, constructor or method in box `A`, found `1`"]
    );
    assert_eq!(
        errors("box A {\n  f() {\n"),
        vec!["3:1: expected `}` to close the block, found end of file"]
    );
    assert_eq!(errors("}"), vec!["1:1: unexpected `}` at top level"]);
    assert_eq!(errors("new Foo"), vec!["1:8: expected `(` after `new Foo`, found end of file"]);
    assert_eq!(errors("if x { } else y"), vec!["1:15: expected `{` after `else`, found `y`"]);
}

#[test]
fn recovery_reports_several_errors() {
    let src = "static box Main {\n  main() {\n    local = 1\n    x = (2 +\n    print(\"ok\")\n    y = )\n    return 0\n  }\n  1bad\n  other() { z = ] }\n}\n";
    let errs = errors(src);
    assert_eq!(
        errs,
        vec![
            "3:11: expected a variable name after `local`, found `=`",
            "5:5: expected an expression, found `print`",
            "6:9: expected an expression, found `)`",
            "9:3: expected a field, constructor or method in box `Main`, found `1`",
            "10:17: expected an expression, found `]`",
        ]
    );
    // The program is still returned, with the good parts.
    let file = SourceFile::new("t", src);
    let (p, _) = parse(&file);
    assert_eq!(p.boxes[0].methods.len(), 2);
    assert_eq!(block_s(&p.boxes[0].methods[0].body), "{(print \"ok\") (return 0)}");
}

#[test]
fn error_count_is_capped() {
    let src = "x = )\n".repeat(100);
    assert_eq!(errors(&src).len(), 20);
}

#[test]
fn lexer_errors_do_not_cascade_at_end_of_file() {
    assert_eq!(errors("print(\"abc"), vec!["1:7: unterminated string literal"]);
    assert_eq!(
        errors("static box Main {\n main() { /* x"),
        vec!["2:11: unterminated block comment"]
    );
    assert_eq!(
        errors("x = 1 @ 2\ny = ("),
        vec!["1:7: unexpected character `@`", "2:6: expected an expression, found end of file"]
    );
}
