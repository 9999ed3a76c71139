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
//!
//! Loops: when a slot's value is known both on entry to a loop header (from its single
//! outside predecessor) and at the end of every back edge, the header gets a block parameter
//! carrying it (`promote_loop_slots`), so the loop reads the field from a register instead of
//! reloading what the previous iteration stored. The stores stay, so memory is always current.

use super::replace_uses;
use crate::ir::*;
use crate::runtime_abi::RtFn;
use rustc_hash::FxHashMap;

/// Known slot contents: (object, slot) → the value the slot holds.
type State = FxHashMap<(ValueId, u32), ValueId>;

/// Runs the forwarding on every function.
pub fn forward_fields(m: &mut Module) {
    for f in &mut m.funcs {
        forward_function(f);
    }
}

fn forward_function(f: &mut Function) {
    let mut out = forward_pass(f, &FxHashMap::default(), true);
    let seeds = promote_loop_slots(f, &out);
    if !seeds.is_empty() {
        // Merging again only finds the parameters the first pass made (`existing_param`), so
        // that states after a join inside the loop still know the slots.
        out = forward_pass(f, &seeds, true);
    }
    sink_loop_stores(f, &out);
}

/// Moves the stores to a slot out of a loop that cannot observe memory, to its exits: the
/// loop keeps the slot's value in a register (forwarding already carries it), and memory is
/// brought up to date on every edge that leaves the loop.
///
/// A loop qualifies when everything in it `keeps_fields` or is a field load or store (no
/// call, runtime call or release can run user code, read a field or raise an error in it).
/// A slot `(obj, s)` of an object defined before the loop is sunk when the loop stores it,
/// stores slot `s` of no other object (which might be the same one), loads slot `s` of no
/// object (every load of it was forwarded), and the slot's value is known at the end of
/// every block with an exit edge. Each exit edge then gets the store of that value, in the
/// exit block when the edge is its only way in, else in a new block on the edge. Loops are
/// taken outermost first; a slot sunk out of a loop is gone from the loops inside it.
fn sink_loop_stores(f: &mut Function, out: &[Option<State>]) {
    let mut loops = f.natural_loops();
    loops.sort_by_key(|l| std::cmp::Reverse(l.size()));
    let defs = f.def_blocks();
    for lp in loops {
        let n = lp.body.len();
        let blocks: Vec<usize> = (0..n).filter(|&b| lp.body[b]).collect();
        let insts = || blocks.iter().flat_map(|&b| &f.blocks[b].insts);
        let quiet = insts().all(|i| {
            matches!(i.kind, InstKind::FieldStore { .. } | InstKind::FieldLoad { .. })
                || keeps_fields(&i.kind)
        });
        if !quiet {
            continue;
        }
        // Exit edges (from, to); a branch with both sides leaving to one block is not split.
        // Blocks added on an enclosing loop's exit edges (past `n`) are outside this loop:
        // each one only leads out of the enclosing loop.
        let outside = |t: usize| !lp.body.get(t).copied().unwrap_or(false);
        let mut exits = Vec::new();
        for &b in &blocks {
            let succs: Vec<usize> =
                f.blocks[b].term.successors().iter().map(|(t, _)| t.index()).collect();
            if succs.len() == 2 && succs[0] == succs[1] && outside(succs[0]) {
                exits.clear();
                break;
            }
            exits.extend(succs.into_iter().filter(|&t| outside(t)).map(|t| (b, t)));
        }
        if exits.is_empty() {
            continue;
        }
        let mut keys: Vec<(ValueId, u32)> = Vec::new();
        for i in insts() {
            if let InstKind::FieldStore { obj, slot, .. } = i.kind {
                if !keys.contains(&(obj, slot)) {
                    keys.push((obj, slot));
                }
            }
        }
        keys.retain(|&(obj, slot)| {
            defs.get(&obj).is_some_and(|&d| !lp.body[d])
                && insts().all(|i| match i.kind {
                    InstKind::FieldStore { obj: o, slot: s, .. } => s != slot || o == obj,
                    InstKind::FieldLoad { slot: s, .. } => s != slot,
                    _ => true,
                })
                && exits
                    .iter()
                    .all(|&(b, _)| matches!(&out[b], Some(st) if st.contains_key(&(obj, slot))))
        });
        if keys.is_empty() {
            continue;
        }
        keys.sort_by_key(|(o, s)| (o.index(), *s));
        // The sunk stores keep the source position of one of the stores they replace.
        let mut sites: FxHashMap<(ValueId, u32), SiteId> = FxHashMap::default();
        for &b in &blocks {
            f.blocks[b].insts.retain(|i| match i.kind {
                InstKind::FieldStore { obj, slot, .. } if keys.contains(&(obj, slot)) => {
                    sites.insert((obj, slot), i.site);
                    false
                }
                _ => true,
            });
        }
        let preds = f.predecessors();
        for (b, t) in exits {
            let Some(st) = &out[b] else { continue };
            let stores: Vec<Inst> = keys
                .iter()
                .map(|&(obj, slot)| Inst {
                    result: None,
                    kind: InstKind::FieldStore { obj, slot, value: st[&(obj, slot)] },
                    site: sites[&(obj, slot)],
                })
                .collect();
            if preds[t] == [b] {
                let insts = &mut f.blocks[t].insts;
                insts.splice(0..0, stores);
                continue;
            }
            // A new block on the edge, which passes the edge's arguments on.
            let edge = BlockId::new(f.blocks.len());
            let mut moved = Vec::new();
            for (target, args) in edge_args_mut(&mut f.blocks[b].term) {
                if target.index() == t {
                    moved = std::mem::take(args);
                }
            }
            retarget(&mut f.blocks[b].term, BlockId::new(t), edge);
            f.blocks.push(Block {
                params: Vec::new(),
                insts: stores,
                term: Terminator::Jump { target: BlockId::new(t), args: moved },
            });
        }
    }
}

/// Points the edges of `term` that go to `from` at `to`.
fn retarget(term: &mut Terminator, from: BlockId, to: BlockId) {
    term.map_targets(|t| {
        if *t == from {
            *t = to;
        }
    });
}

/// Adds a header parameter per slot whose value every entry into a loop header knows (see the
/// module docs); returns the headers' initial states.
fn promote_loop_slots(f: &mut Function, out: &[Option<State>]) -> FxHashMap<usize, State> {
    let order = f.reverse_post_order();
    let rank: FxHashMap<usize, usize> = order.iter().enumerate().map(|(i, &b)| (b, i)).collect();
    let preds = f.predecessors();
    let mut seeds = FxHashMap::default();
    for &h in &order {
        // Back edges come from blocks at or after the header in reverse post-order.
        let (latches, outside): (Vec<usize>, Vec<usize>) =
            preds[h].iter().partition(|p| rank.get(p).is_some_and(|&r| r >= rank[&h]));
        let ([entry], false) = (outside.as_slice(), latches.is_empty()) else { continue };
        let Some(Some(entry_st)) = out.get(*entry) else { continue };
        let mut keys: Vec<(ValueId, u32)> = entry_st
            .keys()
            .copied()
            .filter(|k| latches.iter().all(|l| matches!(&out[*l], Some(st) if st.contains_key(k))))
            .collect();
        if keys.is_empty() {
            continue;
        }
        keys.sort_by_key(|(o, s)| (o.index(), *s));
        let mut seed = State::default();
        let incoming: Vec<usize> = std::iter::once(*entry).chain(latches).collect();
        for key in keys {
            let param = slot_param(f, h, key, &incoming, out);
            seed.insert(key, param);
        }
        seeds.insert(h, seed);
    }
    seeds
}

/// The (target, arguments) of each outgoing edge.
fn edge_args_mut(term: &mut Terminator) -> Vec<(BlockId, &mut Vec<ValueId>)> {
    match term {
        Terminator::Jump { target, args } => vec![(*target, args)],
        Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
            vec![(*then_block, then_args), (*else_block, else_args)]
        }
        _ => vec![],
    }
}

/// One forwarding pass; `seeds` gives the initial state of some blocks (loop headers whose
/// parameters carry slot values). With `merge`, a slot known in every predecessor of a join
/// with different values gets a block parameter (done once: the first pass). Returns each
/// block's state at its end.
fn forward_pass(
    f: &mut Function,
    seeds: &FxHashMap<usize, State>,
    merge: bool,
) -> Vec<Option<State>> {
    let order = f.reverse_post_order();
    let preds = f.predecessors();
    let mut out: Vec<Option<State>> = vec![None; f.blocks.len()];
    let mut replace: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    let mut to_dyn: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    for &bi in &order {
        let mut st = match seeds.get(&bi) {
            Some(s) => s.clone(),
            None if merge => merge_states(f, bi, &preds[bi], &out),
            None => join_states(&preds[bi], &out),
        };
        let resolve = |map: &FxHashMap<ValueId, ValueId>, v: ValueId| super::resolve(map, v);
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
        // The states name values as they were before the replacement.
        for st in out.iter_mut().flatten() {
            for v in st.values_mut() {
                *v = super::resolve(&replace, *v);
            }
        }
    }
    out
}

/// The state at the start of a block: what every predecessor agrees on, or nothing when a
/// predecessor was not visited yet (a loop's back edge) or there is none (the entry).
fn join_states(preds: &[usize], out: &[Option<State>]) -> State {
    let mut it = preds.iter();
    let Some(first) = it.next() else { return State::default() };
    let Some(mut st) = out[*first].clone() else { return State::default() };
    for p in it {
        let Some(other) = &out[*p] else { return State::default() };
        st.retain(|k, v| other.get(k) == Some(v));
    }
    st
}

/// `join_states`, except that a slot every predecessor knows with different values gets a
/// new parameter of block `b`, which each predecessor passes its value to.
fn merge_states(f: &mut Function, b: usize, preds: &[usize], out: &[Option<State>]) -> State {
    let mut st = join_states(preds, out);
    if preds.len() < 2 || preds.iter().any(|p| out[*p].is_none()) {
        return st;
    }
    let Some(Some(first)) = out.get(preds[0]) else { return st };
    let mut keys: Vec<(ValueId, u32)> = first
        .keys()
        .copied()
        .filter(|k| !st.contains_key(k))
        .filter(|k| preds.iter().all(|p| matches!(&out[*p], Some(s) if s.contains_key(k))))
        .collect();
    keys.sort_by_key(|(o, s)| (o.index(), *s));
    for key in keys {
        let param = match existing_param(f, b, key, preds, out) {
            Some(p) => p,
            None => slot_param(f, b, key, preds, out),
        };
        st.insert(key, param);
    }
    st
}

/// A parameter of block `b` to which every edge from `preds` already passes that
/// predecessor's value of `key` (made by an earlier pass), if there is one.
fn existing_param(
    f: &Function,
    b: usize,
    key: (ValueId, u32),
    preds: &[usize],
    out: &[Option<State>],
) -> Option<ValueId> {
    let params = &f.blocks[b].params;
    (0..params.len())
        .find(|&j| {
            preds.iter().all(|&p| {
                let Some(v) = out[p].as_ref().and_then(|st| st.get(&key)) else { return false };
                f.blocks[p]
                    .term
                    .successors()
                    .iter()
                    .filter(|(t, _)| t.index() == b)
                    .all(|(_, args)| args.get(j) == Some(v))
            })
        })
        .map(|j| params[j])
}

/// A new parameter of block `b` to which each of `preds` (whose end states all know `key`)
/// passes its value of the slot.
fn slot_param(
    f: &mut Function,
    b: usize,
    key: (ValueId, u32),
    preds: &[usize],
    out: &[Option<State>],
) -> ValueId {
    let incoming: Vec<(usize, ValueId)> =
        preds.iter().filter_map(|&p| Some((p, *out.get(p)?.as_ref()?.get(&key)?))).collect();
    // (All Boxed: slots hold pairs.) Keep a common static type, so that e.g. an array held in
    // a field keeps its inline fast paths.
    let ty = match incoming.first() {
        Some(&(_, v0)) if incoming.iter().all(|(_, v)| f.ty(*v) == f.ty(v0)) => f.ty(v0),
        _ => Type::Dyn,
    };
    let param = f.new_value(ty);
    f.blocks[b].params.push(param);
    for (p, v) in incoming {
        for (target, args) in edge_args_mut(&mut f.blocks[p].term) {
            if target.index() == b {
                args.push(v);
            }
        }
    }
    param
}

/// True when `k` can neither write a field nor run user code.
fn keeps_fields(k: &InstKind) -> bool {
    use InstKind::*;
    match k {
        Call { .. } | DynMethodCall { .. } | FieldStore { .. } => false,
        RtCall { func, .. } => matches!(
            func,
            RtFn::Retain
                | RtFn::BoxId
                | RtFn::NewArray
                | RtFn::NewArrayKind
                | RtFn::NewMap
                | RtFn::NewInstance
        ),
        // Generic MIR never reaches this pass; treat it as opaque all the same.
        MethodCall { .. } | FieldGet { .. } | FieldSet { .. } | Print(_) | Release(_) => false,
        _ => true,
    }
}
