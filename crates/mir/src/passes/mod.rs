//! MIR passes: type inference, function specialization, legalization (generic → legal),
//! simplification, inlining, loop-invariant code motion, value numbering, dead-function
//! elimination, and the small helpers they share.

mod array_kinds;
mod borrow;
mod bounds_version;
mod builtin_types;
mod dead_funcs;
pub mod dispatch;
mod forward;
mod guard_sink;
mod gvn;
mod heap_types;
mod infer;
mod inline;
mod legalize;
mod legalize_boxes;
mod legalize_strings;
mod licm;
mod op_key;
mod pure_calls;
mod rc_elide;
mod returned_param;
mod rotate;
mod select;
mod simplify;
mod specialize;
mod strength_reduce;
mod tail_rec;
mod unbox_params;

pub use array_kinds::typed_array_allocations;
pub use borrow::{borrow_array_elements, is_borrowed_get};
pub use bounds_version::version_bounds_checks;
pub use builtin_types::builtin_result;
pub use dead_funcs::remove_dead_functions;
pub use forward::forward_fields;
pub use guard_sink::sink_null_guards;
pub use infer::{binary_result, infer_types, unary_result};
pub use inline::{inline, inline_entry_guards};
pub use legalize::legalize;
pub use licm::hoist_and_merge;
pub use pure_calls::merge_pure_calls;
pub use returned_param::forward_returned_params;
pub use rotate::rotate_loops;
pub use select::select_tiny_branches;
pub use simplify::{remove_unreachable_blocks, simplify, simplify_memo, SimplifyMemo};
pub use specialize::specialize;
pub use strength_reduce::reduce_induction_variables;
pub use tail_rec::eliminate_tail_recursion;
pub use unbox_params::unbox_block_params;

use crate::ir::*;
use rustc_hash::FxHashMap;

/// A map keyed by the values of one function, as a dense vector (cheaper than hashing for
/// the per-value facts loop passes look up again and again). Values made after it was
/// filled are simply absent.
pub(crate) struct ValueMap<T>(Vec<Option<T>>);

impl<T: Copy> ValueMap<T> {
    pub(crate) fn new(f: &Function) -> Self {
        ValueMap(vec![None; f.values.len()])
    }
    pub(crate) fn get(&self, v: &ValueId) -> Option<&T> {
        self.0.get(v.index()).and_then(Option::as_ref)
    }
    pub(crate) fn insert(&mut self, v: ValueId, t: T) {
        if let Some(slot) = self.0.get_mut(v.index()) {
            *slot = Some(t);
        }
    }
}

/// Where each value of `f` is defined: its block, and for instruction results the index.
pub(crate) fn value_defs(f: &Function) -> (ValueMap<(usize, usize)>, ValueMap<usize>) {
    let mut defs = ValueMap::new(f);
    let mut blocks = ValueMap::new(f);
    for (bi, b) in f.blocks.iter().enumerate() {
        for &q in &b.params {
            blocks.insert(q, bi);
        }
        for (ii, inst) in b.insts.iter().enumerate() {
            if let Some(r) = inst.result {
                defs.insert(r, (bi, ii));
                blocks.insert(r, bi);
            }
        }
    }
    (defs, blocks)
}

/// Follows `map` from `v` to its final replacement.
pub(crate) fn resolve(map: &FxHashMap<ValueId, ValueId>, mut v: ValueId) -> ValueId {
    // Chains are short and acyclic by construction; the bound guards against a bug looping.
    for _ in 0..map.len() + 1 {
        match map.get(&v) {
            Some(&n) if n != v => v = n,
            _ => break,
        }
    }
    v
}

/// Replaces every use (operands, block arguments, branch conditions, returns) of the keys of
/// `map` by their (transitively resolved) values.
pub(crate) fn replace_uses(f: &mut Function, map: &FxHashMap<ValueId, ValueId>) {
    if map.is_empty() {
        return;
    }
    // Resolved once per key into a table indexed by value: every operand is then one load
    // instead of a hash lookup (there are far more operands than replaced values).
    let mut dense: Vec<ValueId> = (0..f.values.len()).map(ValueId::new).collect();
    for &k in map.keys() {
        if let Some(d) = dense.get_mut(k.index()) {
            *d = resolve(map, k);
        }
    }
    let r = |v: &mut ValueId| {
        *v = match dense.get(v.index()) {
            Some(&d) => d,
            None => resolve(map, *v),
        }
    };
    for b in &mut f.blocks {
        replace_in_block(b, r);
    }
}

/// `replace_uses` for one block.
pub(crate) fn replace_uses_in_block(b: &mut Block, map: &FxHashMap<ValueId, ValueId>) {
    replace_in_block(b, |v: &mut ValueId| *v = resolve(map, *v));
}

/// Applies `r` to every use in `b`.
fn replace_in_block(b: &mut Block, r: impl Fn(&mut ValueId) + Copy) {
    for inst in &mut b.insts {
        for_each_operand_mut(&mut inst.kind, r);
    }
    match &mut b.term {
        Terminator::Jump { args, .. } => args.iter_mut().for_each(r),
        Terminator::Branch { cond, then_args, else_args, .. } => {
            r(cond);
            then_args.iter_mut().for_each(r);
            else_args.iter_mut().for_each(r);
        }
        Terminator::Return(v) => r(v),
        Terminator::Unreachable => {}
    }
}

/// Calls `r` on every operand of an instruction.
pub(crate) fn for_each_operand_mut(kind: &mut InstKind, mut r: impl FnMut(&mut ValueId)) {
    use InstKind::*;
    match kind {
        Const(_) | FuncAddr(_) => {}
        IntBin { a, b, .. }
        | FloatBin { a, b, .. }
        | IntCmp { a, b, .. }
        | FloatCmp { a, b, .. }
        | Binary { a, b, .. } => {
            r(a);
            r(b);
        }
        IntNeg(a)
        | FloatNeg(a)
        | FloatUnary { a, .. }
        | FloatToInt(a)
        | BoolNot(a)
        | IsNull(a)
        | IntToFloat(a)
        | ToDyn(a)
        | Truthy(a)
        | Print(a)
        | Unary { a, .. }
        | Retain(a)
        | Release(a)
        | FromDyn { value: a, .. }
        | FieldLoad { obj: a, .. }
        | FieldGet { obj: a, .. } => r(a),
        FieldStore { obj, value, .. } | FieldSet { obj, value, .. } => {
            r(obj);
            r(value);
        }
        ArrayLoad { arr, index } => {
            r(arr);
            r(index);
        }
        Call { args, .. } | RtCall { args, .. } => args.iter_mut().for_each(r),
        DynMethodCall { recv, args, .. } | MethodCall { recv, args, .. } => {
            r(recv);
            args.iter_mut().for_each(r);
        }
        InitRuntime { argc, argv } => {
            r(argc);
            r(argv);
        }
        Select { cond, a, b } => {
            r(cond);
            r(a);
            r(b);
        }
    }
}
