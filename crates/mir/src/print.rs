//! The MIR text form (`nyash emit --mir`, test snapshots).
//!
//! ```text
//! fn Math.fib(v0: int) -> int {
//! bb0(v0: int):
//!   v1: int = const 2                  ; 3:13
//!   v2: bool = icmp lt v0, v1          ; 3:15
//!   br v2, bb1(), bb2()
//! }
//! ```
//! Each instruction ends with `; line:col` of its site — the location a runtime error raised
//! by it reports: the start of the source expression it came from (for `a / b` the start of
//! `a`; for a condition, the start of the condition).

use crate::ir::*;
use std::fmt::Write;

/// Renders a whole module.
pub fn print_module(m: &Module) -> String {
    let mut out = String::new();
    for (i, f) in m.funcs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i == m.entry.index() {
            out.push_str("; entry\n");
        }
        print_function(m, f, &mut out);
    }
    out
}

/// Renders one function.
pub fn print_function(m: &Module, f: &Function, out: &mut String) {
    let params: Vec<String> = f.params.iter().map(|p| typed(f, *p)).collect();
    let _ = writeln!(out, "fn {}({}) -> {} {{", f.name, params.join(", "), f.ret.name());
    for (bi, b) in f.blocks.iter().enumerate() {
        let ps: Vec<String> = b.params.iter().map(|p| typed(f, *p)).collect();
        let _ = writeln!(out, "bb{bi}({}):", ps.join(", "));
        for inst in &b.insts {
            let mut line = String::from("  ");
            if let Some(r) = inst.result {
                let _ = write!(line, "{} = ", typed(f, r));
            }
            line.push_str(&inst_text(m, &inst.kind));
            let site = match m.sites.get(inst.site.index()) {
                Some(s) => format!("{}:{}", s.line, s.col),
                None => format!("{}?", inst.site),
            };
            let pad = 40usize.saturating_sub(line.chars().count()).max(1);
            let _ = writeln!(out, "{line}{:pad$}; {site}", "");
        }
        let _ = writeln!(out, "  {}", term_text(&b.term));
    }
    out.push_str("}\n");
}

fn typed(f: &Function, v: ValueId) -> String {
    match f.values.get(v.index()) {
        Some(d) => format!("{v}: {}", d.ty.name()),
        None => format!("{v}: ?"),
    }
}

fn list(vs: &[ValueId]) -> String {
    vs.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
}

fn cmp_name(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "eq",
        CmpOp::Ne => "ne",
        CmpOp::Lt => "lt",
        CmpOp::Le => "le",
        CmpOp::Gt => "gt",
        CmpOp::Ge => "ge",
    }
}

fn arith_name(prefix: &str, op: &str) -> String {
    format!("{prefix}{op}")
}

fn const_text(m: &Module, c: &Const) -> String {
    match c {
        Const::Int(n) => n.to_string(),
        Const::Float(x) => format!("{x:?}"),
        Const::Bool(b) => b.to_string(),
        Const::Null => "null".to_string(),
        Const::Str(s) => match m.strings.get(s.index()) {
            Some(t) => format!("{t:?}"),
            None => format!("{s}?"),
        },
    }
}

fn sym(m: &Module, s: SymId) -> String {
    m.symbols.get(s.index()).cloned().unwrap_or_else(|| format!("{s}?"))
}

/// The text of one instruction (without result and site).
pub fn inst_text(m: &Module, k: &InstKind) -> String {
    use InstKind::*;
    let iop = |op: &IntOp| match op {
        IntOp::Add => "add",
        IntOp::Sub => "sub",
        IntOp::Mul => "mul",
        IntOp::Div => "div",
        IntOp::Rem => "rem",
    };
    let fop = |op: &FloatOp| match op {
        FloatOp::Add => "add",
        FloatOp::Sub => "sub",
        FloatOp::Mul => "mul",
        FloatOp::Div => "div",
        FloatOp::Rem => "rem",
    };
    match k {
        Const(c) => format!("const {}", const_text(m, c)),
        IntBin { op, a, b } => format!("{} {a}, {b}", arith_name("i", iop(op))),
        FloatBin { op, a, b } => format!("{} {a}, {b}", arith_name("f", fop(op))),
        IntCmp { op, a, b } => format!("icmp {} {a}, {b}", cmp_name(*op)),
        FloatCmp { op, a, b } => format!("fcmp {} {a}, {b}", cmp_name(*op)),
        IntNeg(a) => format!("ineg {a}"),
        FloatNeg(a) => format!("fneg {a}"),
        FloatUnary { op, a } => format!("f{} {a}", op.name()),
        FloatToInt(a) => format!("ftoi {a}"),
        BoolNot(a) => format!("not {a}"),
        Select { cond, a, b } => format!("select {cond}, {a}, {b}"),
        IsNull(a) => format!("isnull {a}"),
        IntToFloat(a) => format!("itof {a}"),
        ToDyn(a) => format!("todyn {a}"),
        FromDyn { value, to } => format!("fromdyn.{} {value}", to.name()),
        Call { func, args } => {
            let name = m
                .funcs
                .get(func.index())
                .map(|f| f.name.clone())
                .unwrap_or_else(|| format!("{func}?"));
            format!("call {name}({})", list(args))
        }
        RtCall { func, args } => format!("rtcall {}({})", func.name(), list(args)),
        DynMethodCall { recv, method, args } => {
            format!("dyncall {recv}.{}({})", sym(m, *method), list(args))
        }
        InitRuntime { argc, argv } => format!("init_runtime {argc}, {argv}"),
        Binary { op, a, b } => format!("binary {} {a}, {b}", op.symbol()),
        Unary { op, a } => format!("unary {} {a}", if *op == UnOp::Neg { "-" } else { "not" }),
        Truthy(a) => format!("truthy {a}"),
        Print(a) => format!("print {a}"),
        MethodCall { recv, method, args } => {
            format!("mcall {recv}.{}({})", sym(m, *method), list(args))
        }
        FieldLoad { obj, slot } => format!("field_load {obj}[{slot}]"),
        FieldStore { obj, slot, value } => format!("field_store {obj}[{slot}], {value}"),
        ArrayLoad { arr, index } => format!("array_load {arr}[{index}]"),
        FuncAddr(func) => {
            let name = m
                .funcs
                .get(func.index())
                .map(|f| f.name.clone())
                .unwrap_or_else(|| format!("{func}?"));
            format!("func_addr {name}")
        }
        Retain(a) => format!("retain {a}"),
        Release(a) => format!("release {a}"),
        FieldGet { obj, field } => format!("field_get {obj}.{}", sym(m, *field)),
        FieldSet { obj, field, value } => format!("field_set {obj}.{}, {value}", sym(m, *field)),
    }
}

fn term_text(t: &Terminator) -> String {
    match t {
        Terminator::Jump { target, args } => format!("jump {target}({})", list(args)),
        Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
            format!(
                "br {cond}, {then_block}({}), {else_block}({})",
                list(then_args),
                list(else_args)
            )
        }
        Terminator::Return(v) => format!("ret {v}"),
        Terminator::Unreachable => "unreachable".to_string(),
    }
}
