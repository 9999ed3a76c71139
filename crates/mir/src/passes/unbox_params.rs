//! Block-parameter unboxing on legal MIR: a Boxed block parameter that only ever receives
//! `todyn x` of one scalar type T (Int, Float or Bool) — directly, or through other such
//! parameters, loops included — becomes a parameter of type T.
//!
//! Why: field forwarding carries a loop's field values in header parameters of the field's
//! (Boxed) type, so `me.n = me.n + 1` in a loop boxes every iteration (`todyn`) and unboxes
//! again (`fromdyn.int`); native backends then keep a tag register per parameter alive around
//! the loop. Unboxed, the loop carries one i64.
//!
//! How: every Boxed parameter of a non-entry block starts optimistic ("no type seen yet") and
//! is lowered, until nothing changes, by what its incoming arguments are: `todyn x` with `x`
//! of scalar type T gives T, another candidate parameter gives that parameter's state, the
//! parameter itself adds nothing, anything else (or two different T) rules it out. A group of
//! parameters that only feed each other with no `todyn` anywhere stays as it is.
//!
//! Why it is sound:
//! - At run time such a parameter always holds a Boxed `(tag T, payload of x)`, since every
//!   value flowing into it is one; `todyn x` is exactly `x` boxed, and `x` dominates that
//!   `todyn`, so it is available on the edge instead.
//! - `fromdyn.T p` with the same T gives back exactly `x` (Int: the payload; Float: the bits;
//!   Bool: payload != 0 of a 0/1 payload), so it becomes `p`. A `fromdyn` to another type,
//!   and every other use (field stores, runtime calls, returns, arguments to parameters that
//!   stay Boxed), gets `todyn p` instead: the very Boxed value it saw before, so nothing,
//!   including which runtime error is raised, changes.
//! - `nyrt_retain`/`nyrt_release` of such a value did nothing (scalars are not counted), so
//!   those calls are dropped rather than fed a `todyn`.

use super::replace_uses;
use crate::ir::*;
use crate::runtime_abi::RtFn;
use rustc_hash::FxHashMap;

/// Runs the unboxing on every function.
pub fn unbox_block_params(m: &mut Module) {
    for f in &mut m.funcs {
        unbox_function(f);
    }
}

/// What is known of a candidate parameter's incoming values.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    /// Nothing seen yet (only itself or other optimistic parameters).
    Open,
    /// Every incoming value is a Boxed scalar of this type.
    Scalar(Type),
    /// Something else flows in: stays Boxed.
    Boxed,
}

fn meet(a: State, b: State) -> State {
    match (a, b) {
        (State::Open, x) | (x, State::Open) => x,
        (State::Scalar(s), State::Scalar(t)) if s == t => a,
        _ => State::Boxed,
    }
}

fn is_scalar(t: Type) -> bool {
    matches!(t, Type::Int | Type::Float | Type::Bool)
}

fn unbox_function(f: &mut Function) {
    // `todyn x` results with `x` scalar: result → x.
    let mut boxed_of: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    for b in &f.blocks {
        for i in &b.insts {
            if let (InstKind::ToDyn(x), Some(r)) = (&i.kind, i.result) {
                if is_scalar(f.ty(*x)) {
                    boxed_of.insert(r, *x);
                }
            }
        }
    }
    // Candidates: Boxed params of non-entry blocks (the entry's are the function's).
    let mut state: FxHashMap<ValueId, State> = FxHashMap::default();
    for b in f.blocks.iter().skip(1) {
        for &p in &b.params {
            if f.ty(p).repr() == Repr::Boxed {
                state.insert(p, State::Open);
            }
        }
    }
    if state.is_empty() {
        return;
    }
    // Incoming arguments per parameter.
    let mut incoming: FxHashMap<ValueId, Vec<ValueId>> = FxHashMap::default();
    for b in &f.blocks {
        for (t, args) in b.term.successors() {
            let Some(tb) = f.blocks.get(t.index()) else { continue };
            for (&p, &a) in tb.params.iter().zip(args) {
                incoming.entry(p).or_default().push(a);
            }
        }
    }
    // Monotone descent: states only move Open → Scalar → Boxed, so this terminates.
    let params: Vec<ValueId> = state.keys().copied().collect();
    loop {
        let mut changed = false;
        for &p in &params {
            let mut s = State::Open;
            for &a in incoming.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                let sa = if a == p {
                    State::Open
                } else if let Some(&x) = boxed_of.get(&a) {
                    State::Scalar(f.ty(x))
                } else if let Some(&sa) = state.get(&a) {
                    sa
                } else {
                    State::Boxed
                };
                s = meet(s, sa);
            }
            if s != state[&p] {
                state.insert(p, meet(state[&p], s));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let unboxed: FxHashMap<ValueId, (Type, Type)> = state
        .iter()
        .filter_map(|(&p, &s)| match s {
            State::Scalar(t) => Some((p, (t, f.ty(p)))),
            _ => None,
        })
        .collect();
    if unboxed.is_empty() {
        return;
    }
    for (&p, &(t, _)) in &unboxed {
        f.values[p.index()].ty = t;
    }
    rewrite_edges(f, &unboxed, &boxed_of);
    rewrite_uses(f, &unboxed);
}

/// Edges into unboxed parameters pass the unboxed value: `x` for `todyn x`, the (now
/// unboxed) parameter itself otherwise.
fn rewrite_edges(
    f: &mut Function,
    unboxed: &FxHashMap<ValueId, (Type, Type)>,
    boxed_of: &FxHashMap<ValueId, ValueId>,
) {
    let params: Vec<Vec<ValueId>> = f.blocks.iter().map(|b| b.params.clone()).collect();
    for b in &mut f.blocks {
        let fix = |target: BlockId, args: &mut Vec<ValueId>| {
            let Some(ps) = params.get(target.index()) else { return };
            for (p, a) in ps.iter().zip(args.iter_mut()) {
                if unboxed.contains_key(p) {
                    if let Some(&x) = boxed_of.get(a) {
                        *a = x;
                    }
                }
            }
        };
        match &mut b.term {
            Terminator::Jump { target, args } => fix(*target, args),
            Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
                fix(*then_block, then_args);
                fix(*else_block, else_args);
            }
            Terminator::Return(_) | Terminator::Unreachable => {}
        }
    }
}

/// Every other use of an unboxed parameter: `fromdyn` of its own type becomes the parameter,
/// retains/releases of it go, and the rest read a `todyn` of it made in the using block just
/// before its first use there (so a cold exit block boxes, not the loop).
fn rewrite_uses(f: &mut Function, unboxed: &FxHashMap<ValueId, (Type, Type)>) {
    let mut same: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    let params: Vec<Vec<ValueId>> = f.blocks.iter().map(|b| b.params.clone()).collect();
    // `todyn` cannot fail, so its site is only an annotation: any of the function's will do.
    let any_site = f.blocks.iter().flat_map(|b| &b.insts).map(|i| i.site).next();
    for bi in 0..f.blocks.len() {
        let insts = std::mem::take(&mut f.blocks[bi].insts);
        let mut bx =
            Boxer { unboxed, boxed: FxHashMap::default(), out: Vec::with_capacity(insts.len()) };
        for mut inst in insts {
            match (&inst.kind, inst.result) {
                (InstKind::FromDyn { value, to }, Some(r))
                    if unboxed.get(value).map(|u| u.0) == Some(*to) =>
                {
                    same.insert(r, *value);
                    continue;
                }
                (InstKind::RtCall { func: RtFn::Retain | RtFn::Release, args }, None)
                    if args.len() == 1 && unboxed.contains_key(&args[0]) =>
                {
                    continue;
                }
                _ => {}
            }
            let site = inst.site;
            let mut ops = Vec::new();
            super::for_each_operand_mut(&mut inst.kind, |v| ops.push(*v));
            if ops.iter().any(|v| unboxed.contains_key(v)) {
                for v in &mut ops {
                    bx.box_use(f, v, site);
                }
                let mut it = ops.into_iter();
                super::for_each_operand_mut(&mut inst.kind, |v| {
                    if let Some(n) = it.next() {
                        *v = n;
                    }
                });
            }
            bx.out.push(inst);
        }
        // The terminator: a return, and arguments to parameters that stay Boxed.
        let site = bx.out.last().map(|i| i.site).or(any_site).unwrap_or_default();
        let mut term = std::mem::replace(&mut f.blocks[bi].term, Terminator::Unreachable);
        let fix_args = |f: &mut Function, bx: &mut Boxer, t: BlockId, args: &mut [ValueId]| {
            let Some(ps) = params.get(t.index()) else { return };
            for (p, a) in ps.iter().zip(args.iter_mut()) {
                if !unboxed.contains_key(p) {
                    bx.box_use(f, a, site);
                }
            }
        };
        match &mut term {
            Terminator::Jump { target, args } => fix_args(f, &mut bx, *target, args),
            Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
                fix_args(f, &mut bx, *then_block, then_args);
                fix_args(f, &mut bx, *else_block, else_args);
            }
            Terminator::Return(v) => bx.box_use(f, v, site),
            Terminator::Unreachable => {}
        }
        f.blocks[bi].term = term;
        f.blocks[bi].insts = bx.out;
    }
    if !same.is_empty() {
        replace_uses(f, &same);
    }
}

/// Rebuilds one block's instructions, boxing unboxed parameters where a Boxed use needs them.
struct Boxer<'a> {
    unboxed: &'a FxHashMap<ValueId, (Type, Type)>,
    /// Parameter → its `todyn` in this block, made on first need.
    boxed: FxHashMap<ValueId, ValueId>,
    out: Vec<Inst>,
}

impl Boxer<'_> {
    /// If `v` is an unboxed parameter, makes it read the parameter's `todyn` (of the
    /// parameter's old type) instead.
    fn box_use(&mut self, f: &mut Function, v: &mut ValueId, site: SiteId) {
        let Some(&(_, old_ty)) = self.unboxed.get(v) else { return };
        let out = &mut self.out;
        let b = *self.boxed.entry(*v).or_insert_with(|| {
            let r = f.new_value(old_ty);
            out.push(Inst { result: Some(r), kind: InstKind::ToDyn(*v), site });
            r
        });
        *v = b;
    }
}
