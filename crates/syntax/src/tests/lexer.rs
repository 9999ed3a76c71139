//! Lexer tests: tokens, numbers, strings and escapes, comments, newline flags, errors.

use crate::lexer::lex;
use crate::token::{Keyword, TokenKind};

fn kinds(src: &str) -> Vec<TokenKind> {
    let (toks, diags) = lex(src);
    assert!(diags.is_empty(), "unexpected lexer errors for {src:?}: {diags:?}");
    toks.into_iter().map(|t| t.kind).filter(|k| *k != TokenKind::Eof).collect()
}

fn lex_errors(src: &str) -> Vec<(&'static str, String, u32, u32)> {
    lex(src).1.into_iter().map(|d| (d.code, d.message, d.span.start, d.span.end)).collect()
}

fn one_str(src: &str) -> String {
    match kinds(src).as_slice() {
        [TokenKind::Str(s)] => s.clone(),
        other => panic!("expected one string token, got {other:?}"),
    }
}

#[test]
fn punctuation_and_operators() {
    use TokenKind::*;
    assert_eq!(
        kinds("( ) { } [ ] , . : ; ? => = += -= *= /= %= + - * / % == != < <= > >= && || ! %{"),
        vec![
            LParen,
            RParen,
            LBrace,
            RBrace,
            LBracket,
            RBracket,
            Comma,
            Dot,
            Colon,
            Semi,
            Question,
            FatArrow,
            Assign,
            PlusAssign,
            MinusAssign,
            StarAssign,
            SlashAssign,
            PercentAssign,
            Plus,
            Minus,
            Star,
            Slash,
            Percent,
            EqEq,
            NotEq,
            Lt,
            Le,
            Gt,
            Ge,
            AndAnd,
            OrOr,
            Bang,
            PercentBrace
        ]
    );
    assert_eq!(kinds("a%b"), vec![Ident("a".into()), Percent, Ident("b".into())]);
}

#[test]
fn keywords_and_identifiers() {
    use TokenKind::*;
    assert_eq!(
        kinds("box static new me this from birth init pack fini override local"),
        [
            Keyword::Box,
            Keyword::Static,
            Keyword::New,
            Keyword::Me,
            Keyword::This,
            Keyword::From,
            Keyword::Birth,
            Keyword::Init,
            Keyword::Pack,
            Keyword::Fini,
            Keyword::Override,
            Keyword::Local
        ]
        .map(Kw)
    );
    for word in [
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
        "false",
        "null",
        "void",
        "interface",
        "outbox",
        "global",
        "using",
        "include",
        "nowait",
        "await",
    ] {
        let k = Keyword::lookup(word).unwrap_or_else(|| panic!("{word} is a keyword"));
        assert_eq!(kinds(word), vec![Kw(k)]);
        assert_eq!(k.as_str(), word);
    }
    assert_eq!(
        kinds("_x1 Box box_ iffy"),
        vec![Ident("_x1".into()), Ident("Box".into()), Ident("box_".into()), Ident("iffy".into())]
    );
}

#[test]
fn integers() {
    use TokenKind::*;
    assert_eq!(kinds("0 42 007 1_000_000"), vec![Int(0), Int(42), Int(7), Int(1_000_000)]);
    assert_eq!(kinds("0xff 0XFF 0x7fff_ffff_ffff_ffff"), vec![Int(255), Int(255), Int(i64::MAX)]);
    assert_eq!(kinds("9223372036854775807"), vec![Int(i64::MAX)]);
    assert_eq!(kinds("9223372036854775808"), vec![IntMinMagnitude]);
    assert_eq!(
        lex_errors("x 9223372036854775809"),
        vec![("E0003", "integer literal is too large".to_string(), 2, 21)]
    );
    assert_eq!(lex_errors("99999999999999999999999").len(), 1);
    assert_eq!(lex_errors("0x1_0000_0000_0000_0000")[0].1, "integer literal is too large");
    assert_eq!(lex_errors("0x")[0].1, "malformed hexadecimal literal");
    assert_eq!(lex_errors("0xZZ")[0].1, "malformed hexadecimal literal");
}

#[test]
fn floats() {
    use TokenKind::*;
    assert_eq!(
        kinds("1.5 0.25 1.5e3 2e-9 3E+2 1_0.5"),
        vec![Float(1.5), Float(0.25), Float(1500.0), Float(2e-9), Float(300.0), Float(10.5)]
    );
    // Not floats: a method call on an int, an exponent with no digits.
    assert_eq!(kinds("1.abs"), vec![Int(1), Dot, Ident("abs".into())]);
    assert_eq!(kinds("1e"), vec![Int(1), Ident("e".into())]);
    assert_eq!(kinds(".5"), vec![Dot, Int(5)]);
}

#[test]
fn strings_and_escapes() {
    assert_eq!(one_str(r#""hello""#), "hello");
    assert_eq!(one_str("'single \"q\"'"), "single \"q\"");
    assert_eq!(one_str(r#""a\nb\tc\rd\\e\"f\'g\0h""#), "a\nb\tc\rd\\e\"f'g\0h");
    assert_eq!(one_str(r#"'it\'s'"#), "it's");
    assert_eq!(one_str(r#""\u{41}\u{3bb}\u{1F600}""#), "Aλ😀");
    assert_eq!(one_str(r#""\q\d \$""#), "\\q\\d \\$");
    assert_eq!(one_str("\"two\nlines\""), "two\nlines");
    assert_eq!(one_str("\"λ → ok\""), "λ → ok");
    assert_eq!(one_str(r#""\λ""#), "\\λ");
}

#[test]
fn string_errors() {
    assert_eq!(
        lex_errors("x = \"abc"),
        vec![("E0002", "unterminated string literal".to_string(), 4, 5)]
    );
    assert_eq!(lex_errors("'abc\\'")[0].1, "unterminated string literal");
    assert_eq!(lex_errors(r#""\u{110000}""#)[0].0, "E0005");
    assert_eq!(lex_errors(r#""\u{}""#)[0].0, "E0005");
    assert_eq!(lex_errors(r#""\u{41""#)[0].0, "E0005");
}

#[test]
fn comments() {
    use TokenKind::*;
    assert_eq!(kinds("a // b c\nd"), vec![Ident("a".into()), Ident("d".into())]);
    assert_eq!(kinds("a # b c\nd"), vec![Ident("a".into()), Ident("d".into())]);
    assert_eq!(kinds("a /* b \n c */ d"), vec![Ident("a".into()), Ident("d".into())]);
    // Block comments do not nest: the first `*/` closes.
    assert_eq!(kinds("/* /* */ x"), vec![Ident("x".into())]);
    assert_eq!(kinds("\"// not a comment\""), vec![Str("// not a comment".into())]);
    assert_eq!(
        lex_errors("x /* never closed"),
        vec![("E0004", "unterminated block comment".to_string(), 2, 4)]
    );
}

#[test]
fn newline_flags() {
    let (toks, _) = lex("a b\nc /* \n */ d /**/ e // x\nf");
    let flags: Vec<bool> = toks.iter().map(|t| t.nl_before).collect();
    assert_eq!(flags, vec![false, false, true, true, false, true, true]);
}

#[test]
fn unexpected_characters() {
    assert_eq!(lex_errors("a @ b"), vec![("E0001", "unexpected character `@`".to_string(), 2, 3)]);
    // A run of bad characters is one error; lone `&` and `|` are not operators.
    assert_eq!(lex_errors("a $@~ b")[0].1, "unexpected characters starting with `$`");
    assert_eq!(lex_errors("a & b | c").len(), 2);
    assert_eq!(lex_errors("λ = 1")[0].1, "unexpected character `λ`");
    let (toks, _) = lex("a @ b");
    assert_eq!(toks.len(), 3); // a, b, Eof
}

#[test]
fn spans() {
    let (toks, _) = lex("ab  \"x\"  12.5");
    let spans: Vec<(u32, u32)> = toks.iter().map(|t| (t.span.start, t.span.end)).collect();
    assert_eq!(spans, vec![(0, 2), (4, 7), (9, 13), (13, 13)]);
}
