//! Field forwarding on legal MIR: a `FieldLoad` of a slot whose value is already known — it was
//! just stored or loaded, with nothing in between that could change it — becomes that value,
//! and `FromDyn(ToDyn(x))` becomes `x`. So `me.n = me.n + 1; if me.n > k` loads `n` once, and
//! a typed field read after a store needs no memory access at all.
//!
//! What is known flows forward through a block, and into a block from its predecessors when
//! all of them were visited first (in reverse post-order) and agree. It is forgotten when:
//! - a `FieldStore` to the same slot of another object (which may be the same object) happens;
//! - anything that may run user code or write fields runs: calls, dynamic method calls, and
//!   runtime calls other than the few listed in `keeps_fields` (a release may run a `fini`;
//!   `+` or `print` may run a `toString`).
//!
//! Why it is safe: the slot values are the MIR values that were stored or loaded, which
//! dominate every use that replaces a later load (see `join_states`).

use super::replace_uses;
use crate::ir::*;
use crate::runtime_abi::RtFn;
use std::collections::HashMap;

/// Known slot contents: (object, slot) → the value the slot holds.
type State = HashMap<(ValueId, u32), ValueId>;

/// Runs the forwarding on every function.
pub fn forward_fields(m: &mut Module) {
    for f in &mut m.funcs {
        forward_function(f);
    }
}

fn forward_function(f: &mut Function) {
    let order = reverse_post_order(f);
    let preds = predecessors(f);
    let mut out: Vec<Option<State>> = vec![None; f.blocks.len()];
    let mut replace: HashMap<ValueId, ValueId> = HashMap::new();
    let mut to_dyn: HashMap<ValueId, ValueId> = HashMap::new();
    for &bi in &order {
        let mut st = join_states(&preds[bi], &out);
        let resolve = |map: &HashMap<ValueId, ValueId>, v: ValueId| super::resolve(map, v);
        let block = &mut f.blocks[bi];
        let mut keep = Vec::with_capacity(block.insts.len());
        for mut inst in std::mem::take(&mut block.insts) {
            super::for_each_operand_mut(&mut inst.kind, |v| *v = resolve(&replace, *v));
            match (&inst.kind, inst.result) {
                (InstKind::FieldLoad { obj, slot }, Some(r)) => {
                    if let Some(&v) = st.get(&(*obj, *slot)) {
                        replace.insert(r, v);
                        continue;
                    }
                    st.insert((*obj, *slot), r);
                }
                (InstKind::FieldStore { obj, slot, value }, _) => {
                    st.retain(|(o, s), _| s != slot || o == obj);
                    st.insert((*obj, *slot), *value);
                }
                (InstKind::ToDyn(x), Some(r)) => {
                    to_dyn.insert(r, *x);
                }
                (InstKind::FromDyn { value, to }, Some(r)) => {
                    if let Some(&x) = to_dyn.get(value) {
                        if f.values[x.index()].ty == *to {
                            replace.insert(r, x);
                            continue;
                        }
                    }
                }
                (k, _) if !keeps_fields(k) => st.clear(),
                _ => {}
            }
            keep.push(inst);
        }
        block.insts = keep;
        out[bi] = Some(st);
    }
    if !replace.is_empty() {
        replace_uses(f, &replace);
    }
}

/// The state at the start of a block: what every predecessor agrees on, or nothing when a
/// predecessor was not visited yet (a loop's back edge) or there is none (the entry).
fn join_states(preds: &[usize], out: &[Option<State>]) -> State {
    let mut it = preds.iter();
    let Some(first) = it.next() else { return State::new() };
    let Some(mut st) = out[*first].clone() else { return State::new() };
    for p in it {
        let Some(other) = &out[*p] else { return State::new() };
        st.retain(|k, v| other.get(k) == Some(v));
    }
    st
}

/// True when `k` can neither write a field nor run user code.
fn keeps_fields(k: &InstKind) -> bool {
    use InstKind::*;
    match k {
        Call { .. } | DynMethodCall { .. } | FieldStore { .. } => false,
        RtCall { func, .. } => matches!(
            func,
            RtFn::Retain | RtFn::BoxId | RtFn::NewArray | RtFn::NewMap | RtFn::NewInstance
        ),
        // Generic MIR never reaches this pass; treat it as opaque all the same.
        MethodCall { .. } | FieldGet { .. } | FieldSet { .. } | Print(_) | Release(_) => false,
        _ => true,
    }
}

fn predecessors(f: &Function) -> Vec<Vec<usize>> {
    let mut preds = vec![Vec::new(); f.blocks.len()];
    for (bi, b) in f.blocks.iter().enumerate() {
        for (t, _) in b.term.successors() {
            if let Some(p) = preds.get_mut(t.index()) {
                if !p.contains(&bi) {
                    p.push(bi);
                }
            }
        }
    }
    preds
}

fn reverse_post_order(f: &Function) -> Vec<usize> {
    let n = f.blocks.len();
    let mut seen = vec![false; n];
    let mut post = Vec::with_capacity(n);
    // Iterative DFS: (block, next successor index).
    let mut stack = vec![(0usize, 0usize)];
    if n == 0 {
        return post;
    }
    seen[0] = true;
    while let Some((b, i)) = stack.pop() {
        let succs: Vec<usize> =
            f.blocks[b].term.successors().into_iter().map(|(t, _)| t.index()).collect();
        if let Some(&s) = succs.get(i) {
            stack.push((b, i + 1));
            if s < n && !seen[s] {
                seen[s] = true;
                stack.push((s, 0));
            }
        } else {
            post.push(b);
        }
    }
    post.reverse();
    post
}
