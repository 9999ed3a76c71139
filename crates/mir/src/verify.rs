//! The MIR verifier: structural SSA checks (single definition, dominance, block arguments)
//! for both forms, plus representation and operand-type checks for legal MIR.
//!
//! Generic MIR is checked before type inference, when most types are still provisional, so
//! representation checks only apply to the `Legal` stage. Blocks unreachable from the entry
//! are exempt from dominance checks (lowering leaves them behind; `simplify` removes them).

use crate::ir::*;
use crate::runtime_abi::RtFn;

/// Which form of MIR is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Straight out of lowering: generic instructions allowed, types provisional.
    Generic,
    /// After `legalize`: what backends see.
    Legal,
}

/// Checks a whole module; the error messages name the function and block.
pub fn verify_module(m: &Module, stage: Stage) -> Result<(), Vec<String>> {
    let mut errs = Vec::new();
    if m.entry.index() >= m.funcs.len() {
        errs.push(format!("module entry {} does not exist", m.entry));
    }
    for f in &m.funcs {
        verify_function(m, f, stage, &mut errs);
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

/// Where a value is defined: block, and position (`-1` for block params).
#[derive(Clone, Copy)]
struct Def {
    block: usize,
    pos: isize,
}

fn verify_function(m: &Module, f: &Function, stage: Stage, errs: &mut Vec<String>) {
    let fname = &f.name;
    let nb = f.blocks.len();
    if nb == 0 {
        errs.push(format!("{fname}: function has no blocks"));
        return;
    }
    let nv = f.values.len();
    let mut err = |b: Option<usize>, msg: String| match b {
        Some(b) => errs.push(format!("{fname}: bb{b}: {msg}")),
        None => errs.push(format!("{fname}: {msg}")),
    };
    if f.blocks[0].params != f.params {
        err(Some(0), "entry block parameters differ from the function parameters".to_string());
    }

    // Definitions: exactly once.
    let mut defs: Vec<Option<Def>> = vec![None; nv];
    for (bi, b) in f.blocks.iter().enumerate() {
        let all = b.params.iter().map(|p| (*p, -1isize)).chain(
            b.insts.iter().enumerate().filter_map(|(i, inst)| inst.result.map(|r| (r, i as isize))),
        );
        for (v, pos) in all {
            if v.index() >= nv {
                err(Some(bi), format!("{v} is out of range (function has {nv} values)"));
                continue;
            }
            if defs[v.index()].is_some() {
                err(Some(bi), format!("{v} is defined more than once"));
                continue;
            }
            defs[v.index()] = Some(Def { block: bi, pos });
        }
    }

    // Successor sanity, then dominators over the reachable part.
    for (bi, b) in f.blocks.iter().enumerate() {
        for (t, _) in b.term.successors() {
            if t.index() >= nb {
                err(Some(bi), format!("jump to missing block {t}"));
            }
            if t.index() == 0 {
                err(Some(bi), "jump to the entry block".to_string());
            }
        }
    }
    let idom = f.dominators();
    let dominates = |a: usize, mut b: usize| -> bool {
        // Walk b's dominator chain up to the entry.
        loop {
            if a == b {
                return true;
            }
            match idom[b] {
                Some(p) if p != b => b = p,
                _ => return false,
            }
        }
    };
    let ty = |v: ValueId| f.values.get(v.index()).map(|d| d.ty);

    for (bi, b) in f.blocks.iter().enumerate() {
        let reachable = idom[bi].is_some();
        let check_use = |v: ValueId, pos: isize, what: &str, errs_: &mut dyn FnMut(String)| {
            let Some(Some(d)) = defs.get(v.index()) else {
                errs_(format!("{what} uses {v}, which is never defined"));
                return;
            };
            if !reachable {
                return;
            }
            let ok = if d.block == bi {
                d.pos < pos
            } else {
                idom[d.block].is_some() && dominates(d.block, bi)
            };
            if !ok {
                errs_(format!("{what} uses {v}, whose definition does not dominate it"));
            }
        };
        for (ii, inst) in b.insts.iter().enumerate() {
            let what = format!("instruction {ii}");
            for v in inst.kind.operands() {
                check_use(v, ii as isize, &what, &mut |s| err(Some(bi), s));
            }
            if inst.site.index() >= m.sites.len() {
                err(Some(bi), format!("{what} has missing site {}", inst.site));
            }
            check_inst(m, inst, stage, &ty, &mut |s| err(Some(bi), format!("{what}: {s}")));
        }
        let end = b.insts.len() as isize;
        let term_uses: Vec<ValueId> = match &b.term {
            Terminator::Branch { cond, .. } => vec![*cond],
            Terminator::Return(v) => vec![*v],
            _ => vec![],
        };
        for v in term_uses
            .into_iter()
            .chain(b.term.successors().iter().flat_map(|(_, a)| a.iter().copied()))
        {
            check_use(v, end, "terminator", &mut |s| err(Some(bi), s));
        }
        if let Terminator::Branch { cond, then_block, else_block, .. } = &b.term {
            if ty(*cond) != Some(Type::Bool) {
                err(Some(bi), format!("branch condition {cond} is not a bool"));
            }
            if then_block == else_block {
                err(Some(bi), "branch with identical targets".to_string());
            }
        }
        if let Terminator::Return(v) = &b.term {
            if stage == Stage::Legal {
                if let Some(t) = ty(*v) {
                    if t.repr() != f.ret.repr() {
                        err(
                            Some(bi),
                            format!(
                                "returns {v}: {} but the function returns {}",
                                t.name(),
                                f.ret.name()
                            ),
                        );
                    }
                }
            }
        }
        for (t, args) in b.term.successors() {
            let Some(tb) = f.blocks.get(t.index()) else { continue };
            if tb.params.len() != args.len() {
                err(
                    Some(bi),
                    format!(
                        "jump to {t} passes {} arguments, it takes {}",
                        args.len(),
                        tb.params.len()
                    ),
                );
                continue;
            }
            if stage == Stage::Legal {
                for (a, p) in args.iter().zip(&tb.params) {
                    if let (Some(ta), Some(tp)) = (ty(*a), ty(*p)) {
                        if ta.repr() != tp.repr() {
                            err(
                                Some(bi),
                                format!(
                                    "jump to {t} passes {a}: {} for {p}: {}",
                                    ta.name(),
                                    tp.name()
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Checks one instruction's arity and (for legal MIR) operand and result types.
fn check_inst(
    m: &Module,
    inst: &Inst,
    stage: Stage,
    ty: &dyn Fn(ValueId) -> Option<Type>,
    err: &mut dyn FnMut(String),
) {
    use InstKind::*;
    let legal = stage == Stage::Legal;
    if legal && inst.kind.is_generic() {
        err(format!("generic instruction {:?} in legal MIR", inst.kind));
        return;
    }
    let res_ty = inst.result.and_then(ty);
    let want_result = |err: &mut dyn FnMut(String), t: Option<Type>| {
        if !legal {
            return;
        }
        match (t, res_ty) {
            (None, None) => {}
            (Some(_), None) => err("missing result".to_string()),
            (None, Some(_)) => err("has a result but produces none".to_string()),
            (Some(w), Some(r)) => {
                if w.repr() != r.repr() {
                    err(format!("result is {} but the instruction produces {}", r.name(), w.name()))
                }
            }
        }
    };
    let want_operand = |err: &mut dyn FnMut(String), v: ValueId, t: Type| {
        if let Some(a) = ty(v) {
            if legal && a != t && !(t.repr() == Repr::Boxed && a.repr() == Repr::Boxed) {
                err(format!("operand {v} is {} but must be {}", a.name(), t.name()))
            }
        }
    };
    match &inst.kind {
        Const(c) => {
            let t = match c {
                crate::ir::Const::Int(_) => Type::Int,
                crate::ir::Const::Float(_) => Type::Float,
                crate::ir::Const::Bool(_) => Type::Bool,
                crate::ir::Const::Null => Type::Void,
                crate::ir::Const::Str(s) => {
                    if s.index() >= m.strings.len() {
                        err(format!("missing string {s}"));
                    }
                    Type::Str
                }
            };
            want_result(err, Some(t));
        }
        IntBin { a, b, .. } => {
            want_operand(err, *a, Type::Int);
            want_operand(err, *b, Type::Int);
            want_result(err, Some(Type::Int));
        }
        FloatBin { a, b, .. } => {
            want_operand(err, *a, Type::Float);
            want_operand(err, *b, Type::Float);
            want_result(err, Some(Type::Float));
        }
        IntCmp { a, b, .. } => {
            want_operand(err, *a, Type::Int);
            want_operand(err, *b, Type::Int);
            want_result(err, Some(Type::Bool));
        }
        FloatCmp { a, b, .. } => {
            want_operand(err, *a, Type::Float);
            want_operand(err, *b, Type::Float);
            want_result(err, Some(Type::Bool));
        }
        IntNeg(a) => {
            want_operand(err, *a, Type::Int);
            want_result(err, Some(Type::Int));
        }
        FloatUnary { a, .. } => {
            want_operand(err, *a, Type::Float);
            want_result(err, Some(Type::Float));
        }
        FloatToInt(a) => {
            want_operand(err, *a, Type::Float);
            want_result(err, Some(Type::Int));
        }
        FloatNeg(a) => {
            want_operand(err, *a, Type::Float);
            want_result(err, Some(Type::Float));
        }
        Select { cond, a, b } => {
            want_operand(err, *cond, Type::Bool);
            let t = ty(*a);
            if !matches!(t, Some(Type::Int | Type::Float | Type::Bool)) || t != ty(*b) {
                err(format!(
                    "select of {a} and {b}: must be two int, float or bool values of one type"
                ));
            }
            want_result(err, t);
        }
        BoolNot(a) => {
            want_operand(err, *a, Type::Bool);
            want_result(err, Some(Type::Bool));
        }
        IsNull(a) => {
            want_operand(err, *a, Type::Dyn);
            want_result(err, Some(Type::Bool));
        }
        IntToFloat(a) => {
            want_operand(err, *a, Type::Int);
            want_result(err, Some(Type::Float));
        }
        ToDyn(_) => want_result(err, Some(Type::Dyn)),
        FromDyn { value, to } => {
            want_operand(err, *value, Type::Dyn);
            if !matches!(to, Type::Int | Type::Float | Type::Bool) {
                err(format!("fromdyn to {} (must be int, float or bool)", to.name()));
            }
            want_result(err, Some(*to));
        }
        Call { func, args } => {
            let Some(callee) = m.funcs.get(func.index()) else {
                err(format!("call to missing function {func}"));
                return;
            };
            if callee.params.len() != args.len() {
                err(format!(
                    "call to `{}` passes {} arguments, it takes {}",
                    callee.name,
                    args.len(),
                    callee.params.len()
                ));
                return;
            }
            if legal {
                for (a, p) in args.iter().zip(&callee.params) {
                    let tp = callee.ty(*p);
                    if let Some(ta) = ty(*a) {
                        if ta.repr() != tp.repr() {
                            err(format!(
                                "call to `{}` passes {a}: {} for a {} parameter",
                                callee.name,
                                ta.name(),
                                tp.name()
                            ));
                        }
                    }
                }
                want_result(err, Some(callee.ret));
            }
        }
        RtCall { func, args } => {
            let sig = func.signature();
            if sig.params.len() != args.len() {
                err(format!(
                    "{} takes {} arguments, got {}",
                    func.name(),
                    sig.params.len(),
                    args.len()
                ));
                return;
            }
            if *func == RtFn::CallMethod || *func == RtFn::Init || *func == RtFn::Start {
                err(format!("{} must not be called through RtCall", func.name()));
            }
            if legal {
                for (i, (a, want)) in args.iter().zip(sig.params).enumerate() {
                    if let Some(ta) = ty(*a) {
                        if ta.repr() != *want {
                            err(format!(
                                "{} argument {i} ({a}) is {:?}, needs {:?}",
                                func.name(),
                                ta.repr(),
                                want
                            ));
                        }
                    }
                }
                match (sig.ret, res_ty) {
                    (None, Some(_)) => {
                        err(format!("{} returns nothing but has a result", func.name()))
                    }
                    (Some(_), None) => {}
                    (Some(w), Some(r)) if r.repr() != w => err(format!(
                        "{} returns {:?} but its result is {}",
                        func.name(),
                        w,
                        r.name()
                    )),
                    _ => {}
                }
            }
        }
        DynMethodCall { recv, method, args } => {
            if method.index() >= m.symbols.len() {
                err(format!("missing symbol {method}"));
            }
            for v in std::iter::once(recv).chain(args) {
                want_operand(err, *v, Type::Dyn);
            }
            want_result(err, Some(Type::Dyn));
        }
        InitRuntime { argc, argv } => {
            want_operand(err, *argc, Type::Int);
            want_operand(err, *argv, Type::Int);
            if inst.result.is_some() {
                err("InitRuntime has a result".to_string());
            }
        }
        MethodCall { method, .. } => {
            if method.index() >= m.symbols.len() {
                err(format!("missing symbol {method}"));
            }
        }
        FieldLoad { obj, .. } => {
            want_operand(err, *obj, Type::Dyn);
            want_result(err, Some(Type::Dyn));
        }
        FieldStore { obj, value, .. } => {
            want_operand(err, *obj, Type::Dyn);
            want_operand(err, *value, Type::Dyn);
            if inst.result.is_some() {
                err("FieldStore has a result".to_string());
            }
        }
        ArrayLoad { arr, index } => {
            want_operand(err, *index, Type::Int);
            let elem = match ty(*arr) {
                Some(Type::Array(sites)) => m.array_elem(sites),
                other => {
                    err(format!("array_load from {arr}, which is not an array ({other:?})"));
                    return;
                }
            };
            if layout::array_kind(elem).is_none() {
                err(format!(
                    "array_load from {arr}, whose elements ({}) are not compact",
                    elem.name()
                ));
            }
            if legal && res_ty != Some(elem) {
                err(format!("array_load of {} elements must give a {}", elem.name(), elem.name()));
            }
        }
        FuncAddr(func) => {
            if func.index() >= m.funcs.len() {
                err(format!("address of missing function {func}"));
            }
            want_result(err, Some(Type::Int));
        }
        FieldGet { field, .. } | FieldSet { field, .. } => {
            if field.index() >= m.symbols.len() {
                err(format!("missing symbol {field}"));
            }
        }
        Binary { .. } | Unary { .. } | Truthy(_) | Print(_) | Retain(_) | Release(_) => {}
    }
}
