//! Unit tests of the lexer and parser, split by concern, plus shared helpers that print
//! the AST compactly as S-expressions.

mod lexer;
mod parser;
mod robust;
mod stmts;

use crate::ast::*;
use crate::{parse, Diagnostic, SourceFile};

/// Parses `src`, panicking with the rendered diagnostics if there are any.
pub(crate) fn parse_ok(src: &str) -> Program {
    let file = SourceFile::new("t.nyash", src);
    let (prog, diags) = parse(&file);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {src:?}:\n{}",
        crate::render(&file, &diags)
    );
    prog
}

/// Diagnostics of `src` as `line:col: message` strings.
pub(crate) fn errors(src: &str) -> Vec<String> {
    let file = SourceFile::new("t.nyash", src);
    let (_, diags) = parse(&file);
    diags
        .iter()
        .map(|d: &Diagnostic| {
            let (l, c) = file.line_col(d.span.start);
            format!("{l}:{c}: {}", d.message)
        })
        .collect()
}

/// Script-mode statements of `src`, printed one per entry.
pub(crate) fn script(src: &str) -> Vec<String> {
    parse_ok(src).script.iter().map(stmt_s).collect()
}

/// The single script expression statement of `src`, printed.
pub(crate) fn expr(src: &str) -> String {
    let s = script(src);
    assert_eq!(s.len(), 1, "expected one statement in {src:?}, got {s:?}");
    s[0].clone()
}

pub(crate) fn block_s(b: &Block) -> String {
    let inner: Vec<String> = b.stmts.iter().map(stmt_s).collect();
    format!("{{{}}}", inner.join(" "))
}

pub(crate) fn stmt_s(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Local(vars) => {
            let v: Vec<String> = vars
                .iter()
                .map(|(n, e)| match e {
                    Some(e) => format!("{}={}", n.name, expr_s(e)),
                    None => n.name.clone(),
                })
                .collect();
            format!("(local {})", v.join(" "))
        }
        StmtKind::Assign { target, op, value } => {
            let op = op.map(|o| format!("{}=", o.symbol())).unwrap_or_else(|| "=".into());
            format!("({op} {} {})", expr_s(target), expr_s(value))
        }
        StmtKind::If { cond, then_block, else_block } => match else_block {
            Some(e) => format!("(if {} {} {})", expr_s(cond), block_s(then_block), block_s(e)),
            None => format!("(if {} {})", expr_s(cond), block_s(then_block)),
        },
        StmtKind::Loop { cond, body } => match cond {
            Some(c) => format!("(loop {} {})", expr_s(c), block_s(body)),
            None => format!("(loop {})", block_s(body)),
        },
        StmtKind::Break => "break".into(),
        StmtKind::Continue => "continue".into(),
        StmtKind::Return(None) => "(return)".into(),
        StmtKind::Return(Some(e)) => format!("(return {})", expr_s(e)),
        StmtKind::Print(e) => format!("(print {})", expr_s(e)),
        StmtKind::Expr(e) => expr_s(e),
        StmtKind::Block(b) => block_s(b),
        StmtKind::Try { body, catch, cleanup } => {
            let mut out = format!("(try {}", block_s(body));
            if let Some((v, b)) = catch {
                let v = v.as_ref().map(|i| i.name.as_str()).unwrap_or("_");
                out += &format!(" (catch {v} {})", block_s(b));
            }
            if let Some(b) = cleanup {
                out += &format!(" (cleanup {})", block_s(b));
            }
            out + ")"
        }
        StmtKind::Throw(e) => format!("(throw {})", expr_s(e)),
    }
}

fn list(es: &[Expr]) -> String {
    es.iter().map(|e| format!(" {}", expr_s(e))).collect()
}

pub(crate) fn expr_s(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}f"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Me => "me".into(),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), expr_s(lhs), expr_s(rhs))
        }
        ExprKind::Unary { op, operand } => {
            let o = if *op == UnOp::Neg { "neg" } else { "not" };
            format!("({o} {})", expr_s(operand))
        }
        ExprKind::Logical { op, lhs, rhs } => {
            let o = if *op == LogicalOp::And { "and" } else { "or" };
            format!("({o} {} {})", expr_s(lhs), expr_s(rhs))
        }
        ExprKind::Field { obj, name } => format!("(. {} {})", expr_s(obj), name.name),
        ExprKind::MethodCall { recv, name, args } => {
            format!("(.{} {}{})", name.name, expr_s(recv), list(args))
        }
        ExprKind::Call { callee, args } => format!("(call {}{})", callee.name, list(args)),
        ExprKind::New { class, args } => format!("(new {}{})", class.name, list(args)),
        ExprKind::FromCall { parent, method, args } => {
            format!("(from {}.{}{})", parent.name, method.name, list(args))
        }
        ExprKind::Index { obj, index } => format!("([] {} {})", expr_s(obj), expr_s(index)),
        ExprKind::ArrayLit(items) => format!("[{}]", list(items).trim_start()),
        ExprKind::MapLit(entries) => {
            let v: Vec<String> =
                entries.iter().map(|(k, v)| format!("{}=>{}", expr_s(k), expr_s(v))).collect();
            format!("%{{{}}}", v.join(" "))
        }
        ExprKind::Ternary { cond, then_expr, else_expr } => {
            format!("(? {} {} {})", expr_s(cond), expr_s(then_expr), expr_s(else_expr))
        }
        ExprKind::Match { scrutinee, arms } => {
            let v: Vec<String> = arms
                .iter()
                .map(|(p, b)| {
                    format!(
                        "{}=>{}",
                        p.as_ref().map(expr_s).unwrap_or_else(|| "_".into()),
                        expr_s(b)
                    )
                })
                .collect();
            format!("(match {} {})", expr_s(scrutinee), v.join(" "))
        }
    }
}
