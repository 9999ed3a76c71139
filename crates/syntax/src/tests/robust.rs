//! Robustness: no panic and no hang on garbage, truncated programs and extreme nesting.

use crate::{parse, SourceFile};

fn run(src: &str) -> Vec<crate::Diagnostic> {
    let file = SourceFile::new("fuzz.nyash", src);
    let (_, diags) = parse(&file);
    // Rendering must not panic either (spans stay inside the text). Skipped for huge
    // inputs only because rendering a 100k-character line is slow in debug builds.
    if src.len() < 10_000 {
        let _ = crate::render(&file, &diags);
    }
    assert!(diags.len() <= 20);
    diags
}

/// xorshift64*: deterministic pseudo-random numbers without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_do_not_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..1000 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        run(&String::from_utf8_lossy(&bytes));
    }
}

const PIECES: &[&str] = &[
    "box",
    "static",
    "new",
    "me",
    "from",
    "birth",
    "init",
    "pack",
    "fini",
    "override",
    "local",
    "if",
    "else",
    "loop",
    "while",
    "break",
    "continue",
    "return",
    "print",
    "and",
    "or",
    "not",
    "try",
    "catch",
    "cleanup",
    "throw",
    "weak",
    "function",
    "fn",
    "match",
    "true",
    "null",
    "await",
    "x",
    "Main",
    "_",
    "main",
    "0",
    "1.5",
    "9223372036854775808",
    "\"s\"",
    "'t",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "%{",
    ",",
    ".",
    ":",
    ";",
    "?",
    "=>",
    "=",
    "+=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">=",
    "&&",
    "||",
    "!",
    "\n",
    "\n",
    " ",
    "/*",
    "*/",
    "//",
    "#",
    "\\",
    "@",
    "λ",
    "0x",
    "1e",
];

#[test]
fn random_token_soup_does_not_panic() {
    let mut rng = Rng(42);
    for _ in 0..1000 {
        let n = rng.below(80);
        let src: String =
            (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect::<Vec<_>>().join(" ");
        run(&src);
    }
}

#[test]
fn truncated_programs_do_not_panic() {
    let src = "box A from B {\n  x: T\n  init { a, b }\n  birth(p) { me.x = p }\n  override m(a, b) {\n    \
        local q = [1, %{\"k\" => 2}][0]\n    if a > b { return a ? b : -c } else if not a { loop(i < 3) { i += 1 } }\n    \
        try { throw 'e' } catch (e) { print(e) } cleanup { }\n    return match q { 1 => from B.m(a, b), _ => null }\n  }\n}\n\
        static box Main { main() { return new A(1).m(2, 3) } }\n";
    let file = SourceFile::new("ok", src);
    assert!(parse(&file).1.is_empty(), "{}", crate::render(&file, &parse(&file).1));
    for cut in 0..src.len() {
        if src.is_char_boundary(cut) {
            run(&src[..cut]);
        }
    }
}

fn assert_too_deep(src: &str) {
    let diags = run(src);
    assert!(
        diags.iter().any(
            |d| d.message.contains("nested too deep") || d.message.contains("nesting too deep")
        ),
        "expected a nesting error, got {diags:?}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 100_000;
    assert_too_deep(&"(".repeat(n));
    assert_too_deep(&"[".repeat(n));
    assert_too_deep(&"{".repeat(n));
    assert_too_deep(&"-".repeat(n));
    assert_too_deep(&"not ".repeat(n));
    assert_too_deep(&"f(".repeat(n));
    assert_too_deep(&"%{1=>".repeat(n));
    assert_too_deep(&"match x { 1 => ".repeat(n));
    assert_too_deep(&"x ? y : ".repeat(n));
    assert_too_deep(&"if x { ".repeat(n));
    assert_too_deep(&format!("if x {{ }} {}", "else if x { } ".repeat(n)));
    assert_too_deep(&format!("box A {{ m() {{ {} }} }}", "loop { ".repeat(n)));
    assert_too_deep(&format!("x = {}", "a.".repeat(n) + "b"));
    assert_too_deep(&format!("x = {}", "1 + ".repeat(n) + "1"));
    assert_too_deep(&format!("x = a{}", "[0]".repeat(n)));
    assert_too_deep(&format!("x = a{}", ".f()".repeat(n)));
}

#[test]
fn moderate_nesting_is_fine() {
    let depth = 100;
    let src = format!("x = {}1{}", "(".repeat(depth), ")".repeat(depth));
    assert!(run(&src).is_empty());
    let src = format!("x = {}1{}", "f(".repeat(depth), ")".repeat(depth));
    assert!(run(&src).is_empty());
    let src = format!("{}{}", "{ ".repeat(depth), "} ".repeat(depth));
    assert!(run(&src).is_empty());
    let src = format!("x = 1{}", " + 1".repeat(400));
    assert!(run(&src).is_empty());
}

#[test]
fn long_flat_inputs_are_fine() {
    let src = "x = 1\n".repeat(50_000);
    assert!(run(&src).is_empty());
    let src = format!("x = [{}]", "1, ".repeat(50_000));
    assert!(run(&src).is_empty());
    run(&")".repeat(100_000));
    run(&"}".repeat(100_000));
    run(&"\"".repeat(100_001));
    run(&"/*".repeat(100_000));
}

/// `parse` first tries the caller's stack with a lower nesting cap and redoes the parse on
/// a big-stack thread when the cap is reached: around the cap, with and without errors
/// before and after the deep part, its result must be the one full-depth parse gives.
#[test]
fn shallow_first_try_matches_the_full_parse() {
    use crate::parser::{parse_here, MAX_DEPTH, SHALLOW_DEPTH};
    let cap = SHALLOW_DEPTH as usize;
    for depth in [cap - 3, cap - 2, cap - 1, cap, cap + 1, cap + 5, 2 * cap] {
        let deep = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
        let blocks = format!("{}{}", "if x { ".repeat(depth), "} ".repeat(depth));
        for src in [
            format!("x = {deep}\nprint(x)\n"),
            format!("y = )\nx = {deep}\nz = (\n"),
            format!("{blocks}\nw = ]\n"),
            format!("x = {}\n", "[".repeat(depth)),
        ] {
            let file = SourceFile::new("depth.nyash", src.as_str());
            let (full, capped) = parse_here(&file, MAX_DEPTH);
            assert!(!capped, "the full parse is never capped");
            assert_eq!(parse(&file), full, "depth {depth}: {src}");
        }
    }
}
