//! Whole-program type inference: a monotone fixpoint over every value of every function.
//!
//! Each value starts unknown (bottom) and only moves up the lattice
//! `bottom < Int | Float | Bool | Void | Str < Dyn` (`Type::join`, so `Int ⊔ Float = Dyn`).
//! Constants have their type; a block parameter is the join of its incoming arguments; a
//! function parameter is the join of the arguments at every call site (parameters of
//! functions nobody calls, such as `Main.main`, are `Dyn`; the entry's `argc/argv` stay
//! `Int`); a `Call` has its callee's return type, which is the join of its returned values.
//! Unknown operands are ignored while iterating; once nothing changes, any value still
//! unknown (e.g. the result of a function that never returns) becomes `Dyn` and the
//! iteration resumes, so the result is consistent: every block/function parameter's type is
//! the join of what flows into it. `legalize` relies on the result rules below matching its
//! own case split exactly.
//!
//! Boxes: `me` (the first parameter of every instance-box method, constructor and thunk) has
//! the fixed type `Instance(box)` given by lowering. `nyrt_new_instance(<const id>)` yields
//! `Instance(id)`, `nyrt_new_array`/`nyrt_args` `Array`, `nyrt_new_map` `Map`. A
//! `MethodCall` contributes its arguments to the parameters of every method it may reach
//! (`dispatch::DispatchTable::targets`); its result is the callee's return type for a direct
//! call, the fixed type of a builtin method on a receiver of known type
//! (`builtin_types::builtin_result`, e.g. `Str.length()` is Int) for a dynamic one, and `Dyn`
//! otherwise.
//!
//! The heap — field slots and array elements — is typed in `heap_types`: a `FieldGet` of a
//! typed slot has the slot's type; `get`/`pop` on an array of known sites give the sites'
//! element type or `null`, `remove` the element type.

use super::builtin_types::builtin_result;
use super::dispatch::{Dispatch, DispatchTable};
use super::heap_types::{Heap, T};
use crate::ir::*;
use crate::runtime_abi::RtFn;
use nyash_syntax::ast::{BinOp, UnOp};
use rustc_hash::FxHashMap;

fn is_num(t: Type) -> bool {
    matches!(t, Type::Int | Type::Float)
}

/// The result type of a generic binary operator on operand types `a`, `b`.
pub fn binary_result(op: BinOp, a: Type, b: Type) -> Type {
    use BinOp::*;
    // Arithmetic on `null` is a runtime error, so a `T-or-null` operand counts as a `T`.
    let (a, b) = (a.non_null(), b.non_null());
    match op {
        Eq | Ne | Lt | Le | Gt | Ge => Type::Bool,
        Add | Sub | Mul | Div | Rem => {
            if a == Type::Int && b == Type::Int {
                Type::Int
            } else if is_num(a) && is_num(b) {
                Type::Float
            } else if op == Add && (a == Type::Str || b == Type::Str) {
                Type::Str
            } else {
                Type::Dyn
            }
        }
    }
}

/// The result type of a generic unary operator.
pub fn unary_result(op: UnOp, a: Type) -> Type {
    match op {
        UnOp::Not => Type::Bool,
        UnOp::Neg => match a.non_null() {
            Type::Int => Type::Int,
            Type::Float => Type::Float,
            _ => Type::Dyn,
        },
    }
}

/// The type a runtime call's result gets.
pub fn rt_result(f: RtFn) -> Type {
    match f.signature().ret {
        Some(Repr::I64) => Type::Int,
        Some(Repr::F64) => Type::Float,
        Some(Repr::Bool) => Type::Bool,
        _ => Type::Dyn,
    }
}

/// Facts about the module the per-function step needs.
struct Cx {
    table: DispatchTable,
    /// Per function: is its first parameter a `me` of fixed type?
    fixed_me: Vec<bool>,
    /// Per function: the integer constants (for `nyrt_new_instance` box ids).
    consts: Vec<FxHashMap<ValueId, i64>>,
    /// The allocation site of every `nyrt_new_array` result, per function.
    sites: Vec<FxHashMap<ValueId, ArraySites>>,
}

/// Everything the fixpoint raises.
struct State {
    vals: Vec<Vec<T>>,
    rets: Vec<T>,
    heap: Heap,
}

/// Infers the type of every value, every function's return type, and stores them.
pub fn infer_types(m: &mut Module) {
    let nf = m.funcs.len();
    let mut vals: Vec<Vec<T>> = m.funcs.iter().map(|f| vec![None; f.values.len()]).collect();
    let rets: Vec<T> = vec![None; nf];
    let mut fixed_me = vec![false; nf];
    for b in m.boxes.iter().filter(|b| !b.is_static) {
        let fs = b.methods.iter().map(|(_, _, f)| *f).chain(b.constructors.iter().map(|(_, f)| *f));
        for f in fs.chain(b.fini_thunk).chain(b.to_string_thunk) {
            if let Some(x) = fixed_me.get_mut(f.index()) {
                *x = true;
            }
        }
    }
    let consts = m
        .funcs
        .iter()
        .map(|f| {
            let mut c = FxHashMap::default();
            for b in &f.blocks {
                for i in &b.insts {
                    if let (Some(r), InstKind::Const(Const::Int(n))) = (i.result, &i.kind) {
                        c.insert(r, *n);
                    }
                }
            }
            c
        })
        .collect();
    let mut n_sites = 0;
    let sites = m
        .funcs
        .iter()
        .map(|f| {
            let mut s = FxHashMap::default();
            for b in &f.blocks {
                for i in &b.insts {
                    if let (Some(r), InstKind::RtCall { func: RtFn::NewArray, .. }) =
                        (i.result, &i.kind)
                    {
                        s.insert(r, ArraySites::site(n_sites));
                        n_sites += 1;
                    }
                }
            }
            s
        })
        .collect();
    let cx = Cx { table: DispatchTable::new(m), fixed_me, consts, sites };
    // Who is called at all? Uncalled functions (other than the entry) get Dyn parameters.
    let mut called = vec![false; nf];
    for f in &m.funcs {
        for b in &f.blocks {
            for i in &b.insts {
                if let InstKind::Call { func, .. } = &i.kind {
                    if func.index() < nf {
                        called[func.index()] = true;
                    }
                }
            }
        }
    }
    for (fi, f) in m.funcs.iter().enumerate() {
        if cx.fixed_me[fi] {
            // Methods are reached through MethodCall/thunks: their parameters are the join of
            // the contributions, `me` keeps its box type.
            if let Some(&me) = f.params.first() {
                vals[fi][me.index()] = Some(f.ty(me));
            }
        } else if fi == m.entry.index() {
            for &p in &f.params {
                vals[fi][p.index()] = Some(f.ty(p));
            }
        } else if !called[fi] {
            for &p in &f.params {
                vals[fi][p.index()] = Some(Type::Dyn);
            }
        }
    }

    let mut st = State { vals, rets, heap: Heap::new(m) };
    loop {
        let escaped = st.heap.escaped_bits();
        let mut changed = false;
        for fi in 0..nf {
            changed |= step_function(m, &cx, fi, &mut st);
        }
        if changed || st.heap.escaped_bits() != escaped {
            continue;
        }
        // Stable: default whatever is still unknown to Dyn and go on until nothing moves.
        let mut defaulted = false;
        for (fi, f) in m.funcs.iter().enumerate() {
            for b in &f.blocks {
                let defs = b.params.iter().copied().chain(b.insts.iter().filter_map(|i| i.result));
                for v in defs {
                    if st.vals[fi][v.index()].is_none() {
                        st.vals[fi][v.index()] = Some(Type::Dyn);
                        defaulted = true;
                    }
                }
            }
            if st.rets[fi].is_none() {
                st.rets[fi] = Some(Type::Dyn);
                defaulted = true;
            }
        }
        defaulted |= st.heap.default_unknown();
        if !defaulted {
            break;
        }
    }

    for (fi, f) in m.funcs.iter_mut().enumerate() {
        for (vi, v) in f.values.iter_mut().enumerate() {
            v.ty = st.vals[fi][vi].unwrap_or(Type::Dyn);
        }
        f.ret = st.rets[fi].unwrap_or(Type::Dyn);
    }
    m.array_elems = st.heap.elem_types();
    for (b, tys) in m.boxes.iter_mut().zip(st.heap.fields) {
        b.field_types = tys.into_iter().map(|t| t.unwrap_or(Type::Dyn)).collect();
    }
}

/// One pass over function `fi`: propagate into callee params, block params, results, ret.
fn step_function(m: &Module, cx: &Cx, fi: usize, st: &mut State) -> bool {
    let f = &m.funcs[fi];
    let mut changed = false;
    // Raises value `v` of function `fi` (when it exists) to include `t`.
    let raise_val = |st: &mut State, fi: usize, v: ValueId, t: T| -> bool {
        let Some(mut slot) = st.vals[fi].get(v.index()).copied() else { return false };
        let c = st.heap.raise(&mut slot, t);
        st.vals[fi][v.index()] = slot;
        c
    };
    for b in &f.blocks {
        for inst in &b.insts {
            let ty = |st: &State, v: ValueId| st.vals[fi].get(v.index()).copied().flatten();
            let res: T = match &inst.kind {
                InstKind::Const(c) => Some(match c {
                    Const::Int(_) => Type::Int,
                    Const::Float(_) => Type::Float,
                    Const::Bool(_) => Type::Bool,
                    Const::Null => Type::Void,
                    Const::Str(_) => Type::Str,
                }),
                InstKind::Binary { op, a, b } => match (ty(st, *a), ty(st, *b)) {
                    _ if matches!(
                        op,
                        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
                    ) =>
                    {
                        Some(Type::Bool)
                    }
                    (Some(x), Some(y)) => Some(binary_result(*op, x, y)),
                    // A Str side makes `+` a Str regardless of the other side.
                    (Some(Type::Str), None) | (None, Some(Type::Str)) if *op == BinOp::Add => {
                        Some(Type::Str)
                    }
                    _ => None,
                },
                InstKind::Unary { op, a } => match op {
                    UnOp::Not => Some(Type::Bool),
                    UnOp::Neg => ty(st, *a).map(|t| unary_result(*op, t)),
                },
                InstKind::Truthy(_)
                | InstKind::IntCmp { .. }
                | InstKind::FloatCmp { .. }
                | InstKind::BoolNot(_)
                | InstKind::IsNull(_) => Some(Type::Bool),
                InstKind::Print(_)
                | InstKind::InitRuntime { .. }
                | InstKind::Retain(_)
                | InstKind::Release(_)
                | InstKind::FieldStore { .. } => None,
                InstKind::FieldSet { obj, field, value } => {
                    if let Some(rt) = ty(st, *obj) {
                        let t = ty(st, *value);
                        changed |= st.heap.field_set(rt, *field, t);
                    }
                    None
                }
                InstKind::FieldGet { obj, field } => {
                    ty(st, *obj).and_then(|rt| st.heap.field_get(rt, *field))
                }
                InstKind::FieldLoad { .. } => Some(Type::Dyn),
                // Made after inference (`passes::bounds_version`), already typed.
                InstKind::ArrayLoad { .. } => inst.result.map(|r| f.ty(r)),
                InstKind::FuncAddr(_) => Some(Type::Int),
                InstKind::MethodCall { recv, method, args } => match ty(st, *recv) {
                    None => None,
                    Some(rt) => {
                        let arg_tys: Vec<T> = args.iter().map(|a| ty(st, *a)).collect();
                        for callee in cx.table.targets(rt, *method, args.len()) {
                            let Some(cf) = m.funcs.get(callee.index()) else { continue };
                            // Skip `me`: its type is fixed.
                            for (p, t) in cf.params.iter().skip(1).zip(&arg_tys) {
                                changed |= raise_val(st, callee.index(), *p, *t);
                            }
                        }
                        match cx.table.resolve(rt, *method, args.len()) {
                            Dispatch::Direct(f) | Dispatch::Guarded(f) => {
                                st.rets.get(f.index()).copied().flatten()
                            }
                            // A builtin method on a receiver of known type may have a fixed
                            // result type (`legalize` unboxes it with `FromDyn`). A method
                            // call on `null` is a runtime error.
                            Dispatch::Dynamic => {
                                let name = m.symbols.get(method.index()).map(String::as_str);
                                let (r, c) = builtin_call(st, rt.non_null(), name, &arg_tys);
                                changed |= c;
                                r
                            }
                            // The fall-through is the runtime's dynamic dispatch, where the
                            // arguments may be stored anywhere.
                            Dispatch::Switch(cands) => {
                                for t in &arg_tys {
                                    st.heap.escape_value(*t);
                                }
                                // The result is seen as Dyn, whatever the callees return.
                                for (_, f) in cands {
                                    let r = st.rets.get(f.index()).copied().flatten();
                                    st.heap.escape_value(r);
                                }
                                Some(Type::Dyn)
                            }
                        }
                    }
                },
                InstKind::DynMethodCall { args, .. } => {
                    for a in args {
                        let t = ty(st, *a);
                        st.heap.escape_value(t);
                    }
                    Some(Type::Dyn)
                }
                InstKind::ToDyn(_) => Some(Type::Dyn),
                // Only made after inference, from two values of one type.
                InstKind::Select { a, .. } => ty(st, *a),
                InstKind::FromDyn { to, .. } => Some(*to),
                InstKind::IntBin { .. } | InstKind::IntNeg(_) | InstKind::FloatToInt(_) => {
                    Some(Type::Int)
                }
                InstKind::FloatBin { .. }
                | InstKind::FloatNeg(_)
                | InstKind::FloatUnary { .. }
                | InstKind::IntToFloat(_) => Some(Type::Float),
                InstKind::RtCall { func, args } => Some(match func {
                    RtFn::NewArray => Type::Array(
                        inst.result
                            .and_then(|r| cx.sites[fi].get(&r).copied())
                            .unwrap_or(ArraySites::UNTRACKED),
                    ),
                    RtFn::Args => Type::Array(ArraySites::UNTRACKED),
                    RtFn::NewMap => Type::Map,
                    RtFn::NewInstance => match args.first().and_then(|a| cx.consts[fi].get(a)) {
                        Some(&id) if id >= 0 && (id as usize) < m.boxes.len() => {
                            Type::Instance(BoxId::new(id as usize))
                        }
                        _ => Type::Dyn,
                    },
                    _ => {
                        // Static fields and the like: not followed.
                        for a in args {
                            let t = ty(st, *a);
                            st.heap.escape_value(t);
                        }
                        rt_result(*func)
                    }
                }),
                InstKind::Call { func, args } => {
                    let callee = func.index();
                    if callee < m.funcs.len() {
                        let params = &m.funcs[callee].params;
                        let arg_tys: Vec<T> = args.iter().map(|a| ty(st, *a)).collect();
                        for (i, (p, t)) in params.iter().zip(arg_tys).enumerate() {
                            if callee == m.entry.index() || (i == 0 && cx.fixed_me[callee]) {
                                continue;
                            }
                            changed |= raise_val(st, callee, *p, t);
                        }
                        st.rets[callee]
                    } else {
                        Some(Type::Dyn)
                    }
                }
            };
            if let Some(r) = inst.result {
                changed |= raise_val(st, fi, r, res);
            }
        }
        match &b.term {
            Terminator::Return(v) => {
                let t = st.vals[fi].get(v.index()).copied().flatten();
                let mut r = st.rets[fi];
                changed |= st.heap.raise(&mut r, t);
                st.rets[fi] = r;
            }
            term => {
                for (target, args) in term.successors() {
                    let Some(tb) = f.blocks.get(target.index()) else { continue };
                    for (p, a) in tb.params.iter().zip(args) {
                        let t = st.vals[fi].get(a.index()).copied().flatten();
                        changed |= raise_val(st, fi, *p, t);
                    }
                }
            }
        }
    }
    changed
}

/// The result type of the builtin `recv.name(args)` (argument types `args`), recording what
/// it stores into arrays; returns the result and whether the heap changed.
fn builtin_call(st: &mut State, recv: Type, name: Option<&str>, args: &[T]) -> (T, bool) {
    let Some(name) = name else { return (Some(Type::Dyn), false) };
    let mut changed = false;
    if let Type::Array(sites) = recv {
        // The element a store adds, if this is one.
        let stored = match (name, args.len()) {
            ("push", 1) => Some(0),
            ("set" | "insert", 2) => Some(1),
            _ => None,
        };
        for (i, t) in args.iter().enumerate() {
            if stored == Some(i) {
                changed |= st.heap.store_elem(sites, *t);
            } else {
                st.heap.escape_value(*t);
            }
        }
        let elem = st.heap.elem(sites);
        match (name, args.len()) {
            // `null` when out of range / empty.
            // Nothing known about the elements yet: wait (joining null now would make the
            // result, and everything computed from it, a `Void` or `Dyn` for good).
            ("get", 1) | ("pop", 0) | ("remove", 1) if elem.is_none() => return (None, changed),
            ("get", 1) | ("pop", 0) => {
                // (An array element joined with null is Dyn: `raise` makes it escape.)
                let mut r = elem;
                st.heap.raise(&mut r, Some(Type::Void));
                return (r, changed);
            }
            ("remove", 1) => return (elem, changed),
            _ => {}
        }
    } else {
        for t in args {
            st.heap.escape_value(*t);
        }
    }
    (builtin_result(recv, name, args), changed)
}
