//! Simplification: unreachable-block removal (renumbering blocks in reverse postorder),
//! trivial and dead block-parameter removal, constant folding of integer operations that
//! cannot fail, branch folding, and dead pure-instruction elimination. Valid on generic and
//! legal MIR alike.

use super::{replace_uses, resolve, ValueMap};
use crate::ir::*;
use std::collections::HashMap;

/// Runs every simplification on every function until nothing changes.
pub fn simplify(m: &mut Module) {
    for f in &mut m.funcs {
        simplify_function(f);
    }
}

/// `simplify` for one function.
pub(crate) fn simplify_function(f: &mut Function) {
    // Each round strictly shrinks the function or stops; the bound is a safety net.
    for _ in 0..64 {
        remove_unreachable_blocks(f);
        let mut changed = remove_trivial_params(f);
        changed |= fold_boxing(f);
        changed |= fold_constants(f);
        changed |= thread_jumps(f);
        changed |= remove_dead_code(f);
        if !changed {
            break;
        }
    }
}

/// Drops blocks that cannot be reached from the entry and renumbers the rest in reverse
/// postorder (so printed MIR reads top to bottom).
pub fn remove_unreachable_blocks(f: &mut Function) {
    let n = f.blocks.len();
    if n == 0 {
        return;
    }
    let order = f.reverse_post_order();
    if order.len() == n && order.iter().enumerate().all(|(i, &b)| i == b) {
        return;
    }
    let mut new_id = vec![None; n];
    for (i, &b) in order.iter().enumerate() {
        new_id[b] = Some(BlockId::new(i));
    }
    let mut old: Vec<Option<Block>> = std::mem::take(&mut f.blocks).into_iter().map(Some).collect();
    for &b in &order {
        let Some(mut blk) = old[b].take() else { continue };
        blk.term.map_targets(|t| {
            if let Some(Some(nb)) = new_id.get(t.index()) {
                *t = *nb;
            }
        });
        f.blocks.push(blk);
    }
}

/// Edges into an empty block that only jumps on (no params, no instructions) go straight to
/// its destination instead, except where the block is the one way into a loop from several
/// places: a loop keeps its single preheader (array views and loop passes need one).
fn thread_jumps(f: &mut Function) -> bool {
    let n = f.blocks.len();
    // Blocks are in reverse postorder here, so an edge to a block not after its source is a
    // back edge: its target heads a loop.
    let mut preds = vec![0usize; n];
    let mut loop_header = vec![false; n];
    for (b, blk) in f.blocks.iter().enumerate() {
        for (t, _) in blk.term.successors() {
            if let Some(c) = preds.get_mut(t.index()) {
                *c += 1;
            }
            if t.index() <= b && t.index() < n {
                loop_header[t.index()] = true;
            }
        }
    }
    let forward = |b: usize| -> Option<(BlockId, Vec<ValueId>)> {
        let blk = &f.blocks[b];
        match &blk.term {
            Terminator::Jump { target, args }
                if b != 0
                    && blk.params.is_empty()
                    && blk.insts.is_empty()
                    && !(preds[b] > 1 && loop_header.get(target.index()) == Some(&true)) =>
            {
                Some((*target, args.clone()))
            }
            _ => None,
        }
    };
    // Final destination of each forwarding block (chains followed; cycles left alone).
    let mut dest: Vec<Option<(BlockId, Vec<ValueId>)>> = vec![None; n];
    for (b, slot) in dest.iter_mut().enumerate() {
        let mut cur = b;
        let mut last = None;
        let mut steps = 0;
        while let Some((t, args)) = forward(cur) {
            last = Some((t, args));
            cur = t.index();
            steps += 1;
            if cur == b || steps > n || cur >= n {
                last = None;
                break;
            }
        }
        *slot = last;
    }
    let mut changed = false;
    for b in 0..n {
        let mut term = std::mem::replace(&mut f.blocks[b].term, Terminator::Unreachable);
        match &mut term {
            Terminator::Jump { target, args } => {
                if let Some((t, a)) = &dest[target.index()] {
                    *target = *t;
                    *args = a.clone();
                    changed = true;
                }
            }
            Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
                let nt = dest[then_block.index()].clone();
                let ne = dest[else_block.index()].clone();
                let t_target = nt.as_ref().map(|d| d.0).unwrap_or(*then_block);
                let e_target = ne.as_ref().map(|d| d.0).unwrap_or(*else_block);
                // Backends want distinct branch targets; keep one hop if they would merge.
                if t_target != e_target {
                    if let Some((t, a)) = nt {
                        *then_block = t;
                        *then_args = a;
                        changed = true;
                    }
                    if let Some((t, a)) = ne {
                        *else_block = t;
                        *else_args = a;
                        changed = true;
                    }
                }
            }
            _ => {}
        }
        f.blocks[b].term = term;
    }
    changed
}

/// `isnull(todyn x)` for an Int, Float or Bool `x` is false, and `fromdyn.T(todyn x)` for a
/// `T` `x` is `x` (boxing keeps the value; loop versioning leaves these behind).
fn fold_boxing(f: &mut Function) -> bool {
    let mut boxed: ValueMap<ValueId> = ValueMap::new(f);
    let mut any_boxed = false;
    for b in &f.blocks {
        for i in &b.insts {
            if let (InstKind::ToDyn(x), Some(r)) = (&i.kind, i.result) {
                if matches!(f.ty(*x), Type::Int | Type::Float | Type::Bool) {
                    boxed.insert(r, *x);
                    any_boxed = true;
                }
            }
        }
    }
    if !any_boxed {
        return false;
    }
    let mut map: HashMap<ValueId, ValueId> = HashMap::new();
    let mut changed = false;
    for b in 0..f.blocks.len() {
        for k in 0..f.blocks[b].insts.len() {
            let inst = &f.blocks[b].insts[k];
            match (&inst.kind, inst.result) {
                (InstKind::IsNull(v), Some(_)) if boxed.get(v).is_some() => {
                    f.blocks[b].insts[k].kind = InstKind::Const(Const::Bool(false));
                    changed = true;
                }
                (InstKind::FromDyn { value, to }, Some(r)) => {
                    if let Some(&x) = boxed.get(value) {
                        if f.ty(x) == *to {
                            map.insert(r, x);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if !map.is_empty() {
        replace_uses(f, &map);
        changed = true;
    }
    changed
}

/// Predecessor edges of every block: (pred block, which successor slot of its terminator).
fn incoming(f: &Function) -> Vec<Vec<(usize, usize)>> {
    let mut inc = vec![Vec::new(); f.blocks.len()];
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, (t, _)) in b.term.successors().iter().enumerate() {
            if let Some(v) = inc.get_mut(t.index()) {
                v.push((bi, k));
            }
        }
    }
    inc
}

/// The argument for parameter `param` on successor edge `slot` of block `pred`.
fn edge_arg(f: &Function, pred: usize, slot: usize, param: usize) -> Option<ValueId> {
    f.blocks[pred].term.successors().get(slot).and_then(|(_, a)| a.get(param).copied())
}

fn edge_args_mut(term: &mut Terminator, slot: usize) -> Option<&mut Vec<ValueId>> {
    match (term, slot) {
        (Terminator::Jump { args, .. }, 0) => Some(args),
        (Terminator::Branch { then_args, .. }, 0) => Some(then_args),
        (Terminator::Branch { else_args, .. }, 1) => Some(else_args),
        _ => None,
    }
}

/// Removes params (and their arguments) for which `remove[block][index]` is set.
fn drop_params(f: &mut Function, remove: &[Vec<bool>]) {
    let inc = incoming(f);
    for (bi, mask) in remove.iter().enumerate() {
        if !mask.iter().any(|&x| x) {
            continue;
        }
        let keep = |v: &mut Vec<ValueId>| {
            let mut i = 0;
            v.retain(|_| {
                let k = !mask.get(i).copied().unwrap_or(false);
                i += 1;
                k
            });
        };
        keep(&mut f.blocks[bi].params);
        for &(p, slot) in &inc[bi] {
            if let Some(args) = edge_args_mut(&mut f.blocks[p].term, slot) {
                keep(args);
            }
        }
    }
}

/// A parameter whose incoming arguments are all one value `v` (or itself) is replaced by `v`.
fn remove_trivial_params(f: &mut Function) -> bool {
    let mut any = false;
    loop {
        let inc = incoming(f);
        let mut map: HashMap<ValueId, ValueId> = HashMap::new();
        let mut remove: Vec<Vec<bool>> =
            f.blocks.iter().map(|b| vec![false; b.params.len()]).collect();
        for bi in 1..f.blocks.len() {
            for (pi, &p) in f.blocks[bi].params.iter().enumerate() {
                let mut only: Option<ValueId> = None;
                let mut trivial = !inc[bi].is_empty();
                for &(pred, slot) in &inc[bi] {
                    let Some(a) = edge_arg(f, pred, slot, pi) else {
                        trivial = false;
                        break;
                    };
                    let a = resolve(&map, a);
                    if a == p {
                        continue;
                    }
                    match only {
                        None => only = Some(a),
                        Some(o) if o == a => {}
                        Some(_) => {
                            trivial = false;
                            break;
                        }
                    }
                }
                if let (true, Some(v)) = (trivial, only) {
                    map.insert(p, v);
                    remove[bi][pi] = true;
                }
            }
        }
        if map.is_empty() {
            return any;
        }
        any = true;
        drop_params(f, &remove);
        replace_uses(f, &map);
    }
}

/// How often each value is used (operands, conditions, returns, block arguments).
fn use_counts(f: &Function) -> Vec<u32> {
    let mut uses = vec![0u32; f.values.len()];
    let mut bump = |v: ValueId| {
        if let Some(u) = uses.get_mut(v.index()) {
            *u += 1;
        }
    };
    for b in &f.blocks {
        for i in &b.insts {
            i.kind.for_each_operand(&mut bump);
        }
        b.term.for_each_operand(&mut bump);
    }
    uses
}

/// Instructions that can be deleted when their result is unused (no effects, cannot fail).
pub(crate) fn is_pure(k: &InstKind) -> bool {
    use InstKind::*;
    match k {
        Const(_)
        | IntCmp { .. }
        | FloatCmp { .. }
        | IntNeg(_)
        | FloatNeg(_)
        | FloatUnary { .. }
        | FloatToInt(_)
        | BoolNot(_)
        | Select { .. }
        | IsNull(_)
        | IntToFloat(_)
        | ToDyn(_)
        | FromDyn { .. } => true,
        IntBin { op, .. } => matches!(op, IntOp::Add | IntOp::Sub | IntOp::Mul),
        FloatBin { op, .. } => matches!(op, FloatOp::Add | FloatOp::Sub | FloatOp::Mul),
        _ => false,
    }
}

/// Deletes unused pure instructions and block parameters used only by themselves.
pub(crate) fn remove_dead_code(f: &mut Function) -> bool {
    let mut any = false;
    loop {
        let uses = use_counts(f);
        let mut changed = false;
        for b in &mut f.blocks {
            let before = b.insts.len();
            b.insts.retain(|i| match i.result {
                Some(r) => !(is_pure(&i.kind) && uses.get(r.index()).copied().unwrap_or(0) == 0),
                None => true,
            });
            changed |= b.insts.len() != before;
        }
        // Params whose only uses are as their own argument on edges into their block.
        let inc = incoming(f);
        let mut remove: Vec<Vec<bool>> =
            f.blocks.iter().map(|b| vec![false; b.params.len()]).collect();
        let mut drop_any = false;
        for bi in 1..f.blocks.len() {
            for (pi, &p) in f.blocks[bi].params.iter().enumerate() {
                let self_uses = inc[bi]
                    .iter()
                    .filter(|&&(pred, slot)| edge_arg(f, pred, slot, pi) == Some(p))
                    .count() as u32;
                if uses.get(p.index()).copied().unwrap_or(0) == self_uses {
                    remove[bi][pi] = true;
                    drop_any = true;
                }
            }
        }
        if drop_any {
            drop_params(f, &remove);
            changed = true;
        }
        if !changed {
            return any;
        }
        any = true;
    }
}

/// Folds integer/bool operations on constants that cannot fail, and branches on constants.
fn fold_constants(f: &mut Function) -> bool {
    let mut consts: ValueMap<Const> = ValueMap::new(f);
    let mut changed = false;
    for b in &mut f.blocks {
        for inst in &mut b.insts {
            let ci = |v: &ValueId| match consts.get(v) {
                Some(Const::Int(n)) => Some(*n),
                _ => None,
            };
            let folded = match &inst.kind {
                InstKind::Const(c) => {
                    if let Some(r) = inst.result {
                        consts.insert(r, *c);
                    }
                    None
                }
                InstKind::IntBin { op, a, b } => match (ci(a), ci(b)) {
                    (Some(x), Some(y)) => match op {
                        IntOp::Add => Some(Const::Int(x.wrapping_add(y))),
                        IntOp::Sub => Some(Const::Int(x.wrapping_sub(y))),
                        IntOp::Mul => Some(Const::Int(x.wrapping_mul(y))),
                        // Division by zero must still raise its runtime error.
                        IntOp::Div if y != 0 => Some(Const::Int(x.wrapping_div(y))),
                        IntOp::Rem if y != 0 => Some(Const::Int(x.wrapping_rem(y))),
                        _ => None,
                    },
                    _ => None,
                },
                InstKind::IntCmp { op, a, b } => match (ci(a), ci(b)) {
                    (Some(x), Some(y)) => Some(Const::Bool(op.holds(x, y))),
                    _ => None,
                },
                InstKind::IntNeg(a) => ci(a).map(|x| Const::Int(x.wrapping_neg())),
                InstKind::IntToFloat(a) => ci(a).map(|x| Const::Float(x as f64)),
                InstKind::BoolNot(a) => match consts.get(a) {
                    Some(Const::Bool(x)) => Some(Const::Bool(!x)),
                    _ => None,
                },
                _ => None,
            };
            if let (Some(c), Some(r)) = (folded, inst.result) {
                inst.kind = InstKind::Const(c);
                consts.insert(r, c);
                changed = true;
            }
        }
        if let Terminator::Branch { cond, then_block, then_args, else_block, else_args } = &b.term {
            if let Some(Const::Bool(c)) = consts.get(cond) {
                let (target, args) = if *c {
                    (*then_block, then_args.clone())
                } else {
                    (*else_block, else_args.clone())
                };
                b.term = Terminator::Jump { target, args };
                changed = true;
            }
        }
    }
    changed
}
