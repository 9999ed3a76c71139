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
//! Fields: a declared slot of a box that takes part in no delegation has the join of every
//! value stored into it — by `FieldSet` on a receiver of that box type, or on a receiver of
//! unknown type with that field name — joined with `Void` unless every constructor stores the
//! slot before `me` can be observed (`definitely_initialized`), so no read sees the initial
//! `null`. A `FieldGet` of such a slot has its type. Boxes with a parent or children keep
//! `Dyn` slots: there `Instance(b)` may be an instance of another layout.

use super::builtin_types::builtin_result;
use super::dispatch::{Dispatch, DispatchTable};
use crate::ir::*;
use crate::runtime_abi::RtFn;
use nyash_syntax::ast::{BinOp, UnOp};
use std::collections::HashMap;

type T = Option<Type>;

fn join(a: T, b: T) -> T {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(a.join(b)),
    }
}

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
    consts: Vec<HashMap<ValueId, i64>>,
    /// Typed field slots by (box, field name).
    slots: HashMap<(BoxId, SymId), usize>,
    /// Typed field slots by field name (the slots a store through an unknown receiver may hit).
    slots_named: HashMap<SymId, Vec<(BoxId, usize)>>,
}

/// Per box, per field slot: the join of what the slot can hold (see the module docs).
type FieldTys = Vec<Vec<T>>;

/// The boxes whose field slots are typed: instance boxes outside any delegation chain.
fn typed_boxes(m: &Module) -> Vec<bool> {
    let mut typed: Vec<bool> = m.boxes.iter().map(|b| !b.is_static && b.parent.is_none()).collect();
    for b in &m.boxes {
        if let Some(p) = b.parent {
            if let Some(t) = typed.get_mut(p.index()) {
                *t = false;
            }
        }
    }
    typed
}

/// Which slots of box `b` every constructor stores before anything can read them: the walk
/// follows each constructor from its entry through unconditional jumps and stops at the first
/// instruction that uses `me` other than as the receiver of a `FieldSet` (until then `me` has
/// not escaped, so no code can read its fields). A box without constructors keeps its `null`s.
fn definitely_initialized(m: &Module, b: &BoxDef) -> Vec<bool> {
    let slot_of = |s: SymId| {
        let name = m.symbols.get(s.index())?;
        b.fields.iter().position(|f| f == name)
    };
    let mut all: Option<Vec<bool>> = None;
    for &(_, fid) in &b.constructors {
        let mut init = vec![false; b.fields.len()];
        if let Some(f) = m.funcs.get(fid.index()) {
            if let Some(&me) = f.params.first() {
                let mut block = Some(BlockId::new(0));
                let mut seen = std::collections::HashSet::new();
                'walk: while let Some(bid) = block.take() {
                    if !seen.insert(bid) {
                        break;
                    }
                    let Some(bb) = f.blocks.get(bid.index()) else { break };
                    for inst in &bb.insts {
                        match &inst.kind {
                            InstKind::FieldSet { obj, field, value }
                                if *obj == me && *value != me =>
                            {
                                if let Some(i) = slot_of(*field) {
                                    init[i] = true;
                                }
                            }
                            k if k.operands().contains(&me) => break 'walk,
                            _ => {}
                        }
                    }
                    if let Terminator::Jump { target, args } = &bb.term {
                        if !args.contains(&me) {
                            block = Some(*target);
                        }
                    }
                }
            }
        }
        all = Some(match all {
            None => init,
            Some(prev) => prev.iter().zip(&init).map(|(a, b)| *a && *b).collect(),
        });
    }
    all.unwrap_or_else(|| vec![false; b.fields.len()])
}

/// Infers the type of every value, every function's return type, and stores them.
pub fn infer_types(m: &mut Module) {
    let nf = m.funcs.len();
    let mut vals: Vec<Vec<T>> = m.funcs.iter().map(|f| vec![None; f.values.len()]).collect();
    let mut rets: Vec<T> = vec![None; nf];
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
            let mut c = HashMap::new();
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
    let syms: HashMap<&str, SymId> =
        m.symbols.iter().enumerate().map(|(i, s)| (s.as_str(), SymId::new(i))).collect();
    let typed = typed_boxes(m);
    let mut slots = HashMap::new();
    let mut slots_named: HashMap<SymId, Vec<(BoxId, usize)>> = HashMap::new();
    let mut fields: FieldTys = Vec::with_capacity(m.boxes.len());
    for (bi, b) in m.boxes.iter().enumerate() {
        if !typed[bi] {
            fields.push(vec![Some(Type::Dyn); b.fields.len()]);
            continue;
        }
        let init = definitely_initialized(m, b);
        fields.push(init.iter().map(|&i| if i { None } else { Some(Type::Void) }).collect());
        for (i, name) in b.fields.iter().enumerate() {
            if let Some(&s) = syms.get(name.as_str()) {
                slots.insert((BoxId::new(bi), s), i);
                slots_named.entry(s).or_default().push((BoxId::new(bi), i));
            }
        }
    }
    let cx = Cx { table: DispatchTable::new(m), fixed_me, consts, slots, slots_named };
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

    loop {
        let mut changed = false;
        for fi in 0..nf {
            changed |= step_function(m, &cx, fi, &mut vals, &mut rets, &mut fields);
        }
        if changed {
            continue;
        }
        // Stable: default whatever is still unknown to Dyn and go on until nothing moves.
        let mut defaulted = false;
        for (fi, f) in m.funcs.iter().enumerate() {
            for b in &f.blocks {
                let defs = b.params.iter().copied().chain(b.insts.iter().filter_map(|i| i.result));
                for v in defs {
                    if vals[fi][v.index()].is_none() {
                        vals[fi][v.index()] = Some(Type::Dyn);
                        defaulted = true;
                    }
                }
            }
            if rets[fi].is_none() {
                rets[fi] = Some(Type::Dyn);
                defaulted = true;
            }
        }
        for slot in fields.iter_mut().flatten().filter(|t| t.is_none()) {
            *slot = Some(Type::Dyn);
            defaulted = true;
        }
        if !defaulted {
            break;
        }
    }

    for (fi, f) in m.funcs.iter_mut().enumerate() {
        for (vi, v) in f.values.iter_mut().enumerate() {
            v.ty = vals[fi][vi].unwrap_or(Type::Dyn);
        }
        f.ret = rets[fi].unwrap_or(Type::Dyn);
    }
    for (b, tys) in m.boxes.iter_mut().zip(fields) {
        b.field_types = tys.into_iter().map(|t| t.unwrap_or(Type::Dyn)).collect();
    }
}

/// Raises `slot` to include `t`; reports whether it changed.
fn raise(slot: &mut T, t: T) -> bool {
    let n = join(*slot, t);
    if n != *slot {
        *slot = n;
        true
    } else {
        false
    }
}

/// One pass over function `fi`: propagate into callee params, block params, results, ret.
fn step_function(
    m: &Module,
    cx: &Cx,
    fi: usize,
    vals: &mut [Vec<T>],
    rets: &mut [T],
    fields: &mut FieldTys,
) -> bool {
    let f = &m.funcs[fi];
    let mut changed = false;
    for b in &f.blocks {
        for inst in &b.insts {
            let ty = |v: ValueId| vals[fi].get(v.index()).copied().flatten();
            let res: T = match &inst.kind {
                InstKind::Const(c) => Some(match c {
                    Const::Int(_) => Type::Int,
                    Const::Float(_) => Type::Float,
                    Const::Bool(_) => Type::Bool,
                    Const::Null => Type::Void,
                    Const::Str(_) => Type::Str,
                }),
                InstKind::Binary { op, a, b } => match (ty(*a), ty(*b)) {
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
                    UnOp::Neg => ty(*a).map(|t| unary_result(*op, t)),
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
                    let t = ty(*value);
                    match ty(*obj) {
                        None => {}
                        Some(Type::Instance(b) | Type::InstanceOrNull(b)) => {
                            if let Some(&i) = cx.slots.get(&(b, *field)) {
                                changed |= raise(&mut fields[b.index()][i], t);
                            }
                        }
                        // A receiver of unknown type may be any box with this field.
                        Some(_) => {
                            for &(b, i) in cx.slots_named.get(field).into_iter().flatten() {
                                changed |= raise(&mut fields[b.index()][i], t);
                            }
                        }
                    }
                    None
                }
                InstKind::FieldGet { obj, field } => match ty(*obj) {
                    None => None,
                    Some(Type::Instance(b) | Type::InstanceOrNull(b)) => {
                        match cx.slots.get(&(b, *field)) {
                            Some(&i) => fields[b.index()][i],
                            None => Some(Type::Dyn),
                        }
                    }
                    Some(_) => Some(Type::Dyn),
                },
                InstKind::FieldLoad { .. } => Some(Type::Dyn),
                InstKind::FuncAddr(_) => Some(Type::Int),
                InstKind::MethodCall { recv, method, args } => match ty(*recv) {
                    None => None,
                    Some(rt) => {
                        let arg_tys: Vec<T> = args.iter().map(|a| ty(*a)).collect();
                        for callee in cx.table.targets(rt, *method, args.len()) {
                            let Some(cf) = m.funcs.get(callee.index()) else { continue };
                            // Skip `me`: its type is fixed.
                            for (p, t) in cf.params.iter().skip(1).zip(&arg_tys) {
                                if let Some(slot) = vals[callee.index()].get_mut(p.index()) {
                                    changed |= raise(slot, *t);
                                }
                            }
                        }
                        match cx.table.resolve(rt, *method, args.len()) {
                            Dispatch::Direct(f) => rets.get(f.index()).copied().flatten(),
                            // A builtin method on a receiver of known type may have a fixed
                            // result type (`legalize` unboxes it with `FromDyn`).
                            Dispatch::Guarded(f) => rets.get(f.index()).copied().flatten(),
                            // (A method call on `null` is a runtime error.)
                            Dispatch::Dynamic => match m.symbols.get(method.index()) {
                                Some(name) => builtin_result(rt.non_null(), name, &arg_tys),
                                None => Some(Type::Dyn),
                            },
                            Dispatch::Switch(_) => Some(Type::Dyn),
                        }
                    }
                },
                InstKind::DynMethodCall { .. } | InstKind::ToDyn(_) => Some(Type::Dyn),
                InstKind::FromDyn { to, .. } => Some(*to),
                InstKind::IntBin { .. } | InstKind::IntNeg(_) => Some(Type::Int),
                InstKind::FloatBin { .. } | InstKind::FloatNeg(_) | InstKind::IntToFloat(_) => {
                    Some(Type::Float)
                }
                InstKind::RtCall { func, args } => Some(match func {
                    RtFn::NewArray | RtFn::Args => Type::Array,
                    RtFn::NewMap => Type::Map,
                    RtFn::NewInstance => match args.first().and_then(|a| cx.consts[fi].get(a)) {
                        Some(&id) if id >= 0 && (id as usize) < m.boxes.len() => {
                            Type::Instance(BoxId::new(id as usize))
                        }
                        _ => Type::Dyn,
                    },
                    _ => rt_result(*func),
                }),
                InstKind::Call { func, args } => {
                    let callee = func.index();
                    if callee < m.funcs.len() {
                        let params = &m.funcs[callee].params;
                        let arg_tys: Vec<T> = args.iter().map(|a| ty(*a)).collect();
                        for (i, (p, t)) in params.iter().zip(arg_tys).enumerate() {
                            if callee == m.entry.index() || (i == 0 && cx.fixed_me[callee]) {
                                continue;
                            }
                            if let Some(slot) = vals[callee].get_mut(p.index()) {
                                changed |= raise(slot, t);
                            }
                        }
                        rets[callee]
                    } else {
                        Some(Type::Dyn)
                    }
                }
            };
            if let Some(r) = inst.result {
                if let Some(slot) = vals[fi].get_mut(r.index()) {
                    changed |= raise(slot, res);
                }
            }
        }
        match &b.term {
            Terminator::Return(v) => {
                let t = vals[fi].get(v.index()).copied().flatten();
                changed |= raise(&mut rets[fi], t);
            }
            term => {
                for (target, args) in term.successors() {
                    let Some(tb) = f.blocks.get(target.index()) else { continue };
                    for (p, a) in tb.params.iter().zip(args) {
                        let t = vals[fi].get(a.index()).copied().flatten();
                        if let Some(slot) = vals[fi].get_mut(p.index()) {
                            changed |= raise(slot, t);
                        }
                    }
                }
            }
        }
    }
    changed
}
