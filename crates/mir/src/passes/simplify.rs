//! Simplification: unreachable-block removal (renumbering blocks in reverse postorder),
//! trivial and dead block-parameter removal, merging of straight-line blocks, constant
//! folding of integer operations that cannot fail (and the identities `x + 0`, `x - 0`,
//! `x * 1`, `x * 0`), branch folding, and dead pure-instruction elimination. Valid on generic
//! and legal MIR alike.

use super::{replace_uses, resolve, ValueMap};
use crate::ir::*;
use rustc_hash::FxHashMap;

/// Runs every simplification on every function until nothing changes.
pub fn simplify(m: &mut Module) {
    for f in &mut m.funcs {
        simplify_function(f);
    }
}

/// The bodies `simplify` last left at a fixpoint, by function index. The pipeline simplifies
/// after every pass, and most passes leave most functions alone: a function whose body
/// (blocks and value types, all that simplification reads) equals the one recorded for it is
/// skipped, since another run would change nothing. The comparison is exact; a function whose
/// index now names another body, or whose body changed, is simply simplified again.
#[derive(Default)]
pub struct SimplifyMemo(Vec<Option<(Vec<Block>, Vec<ValueData>)>>);

/// `simplify`, skipping the functions `memo` knows to be simplified already and recording
/// the ones it simplifies. Gives the same module as `simplify`.
pub fn simplify_memo(m: &mut Module, memo: &mut SimplifyMemo) {
    memo.0.resize(m.funcs.len().max(memo.0.len()), None);
    for (f, done) in m.funcs.iter_mut().zip(&mut memo.0) {
        if done.as_ref().is_some_and(|(blocks, values)| *blocks == f.blocks && *values == f.values)
        {
            continue;
        }
        // Only a fixpoint is recorded: a run that gave up may have more to do.
        *done = simplify_rounds(f).map(|_| (f.blocks.clone(), f.values.clone()));
    }
}

/// `simplify` for one function.
pub(crate) fn simplify_function(f: &mut Function) {
    simplify_rounds(f);
}

/// `simplify_function`, returning how many rounds changed the function (`Some(0)`: it was
/// left as it was), or `None` if it gave up before reaching a fixpoint.
fn simplify_rounds(f: &mut Function) -> Option<usize> {
    // Each round strictly shrinks the function or stops; the bound is a safety net.
    for round in 0..64 {
        let reordered = remove_unreachable_blocks(f);
        let mut changed = remove_trivial_params(f);
        changed |= fold_boxing(f);
        changed |= fold_constants(f);
        changed |= thread_jumps(f);
        changed |= merge_straight_blocks(f);
        changed |= remove_dead_code(f);
        if !changed {
            // A round that only reorders blocks leaves what the next round would keep.
            return Some(round + usize::from(reordered));
        }
    }
    None
}

/// Drops blocks that cannot be reached from the entry and renumbers the rest in reverse
/// postorder (so printed MIR reads top to bottom). Returns whether anything changed.
pub fn remove_unreachable_blocks(f: &mut Function) -> bool {
    let n = f.blocks.len();
    if n == 0 {
        return false;
    }
    let order = f.reverse_post_order();
    if order.len() == n && order.iter().enumerate().all(|(i, &b)| i == b) {
        return false;
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
    true
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

/// A block whose only predecessor ends in a plain jump to it is appended to that predecessor
/// (its parameters replaced by the jump's arguments): one block instead of two wherever
/// control can only go straight on. It is then unreachable, for the next round to drop.
/// Loop headers are never merged (a header has a way in from outside and a back edge), so
/// each loop keeps its header and its preheader (the merged block, when that was one).
pub(crate) fn merge_straight_blocks(f: &mut Function) -> bool {
    let n = f.blocks.len();
    let mut preds = vec![0u32; n];
    for b in &f.blocks {
        for (t, _) in b.term.successors() {
            if let Some(c) = preds.get_mut(t.index()) {
                *c += 1;
            }
        }
    }
    let mut map: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    let mut changed = false;
    for b in 0..n {
        // Follow the chain: what `b` now ends with may be a jump to another such block.
        while let Terminator::Jump { target, .. } = &f.blocks[b].term {
            let c = target.index();
            if c == b || c == 0 || c >= n || preds[c] != 1 {
                break;
            }
            let Terminator::Jump { args, .. } =
                std::mem::replace(&mut f.blocks[b].term, Terminator::Unreachable)
            else {
                break;
            };
            let next = std::mem::replace(
                &mut f.blocks[c],
                Block { params: Vec::new(), insts: Vec::new(), term: Terminator::Unreachable },
            );
            for (&p, &a) in next.params.iter().zip(&args) {
                map.insert(p, a);
            }
            f.blocks[b].insts.extend(next.insts);
            f.blocks[b].term = next.term;
            preds[c] = 0;
            changed = true;
        }
    }
    if !map.is_empty() {
        replace_uses(f, &map);
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
    let mut map: FxHashMap<ValueId, ValueId> = FxHashMap::default();
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

/// Predecessor edges of every block, in one flat list: the edges into block `b` are
/// `edges[start[b]..start[b + 1]]`, each (pred block, which successor slot of its terminator),
/// in block then slot order.
struct Incoming {
    start: Vec<usize>,
    edges: Vec<(usize, usize)>,
}

impl Incoming {
    fn new(f: &Function) -> Self {
        let n = f.blocks.len();
        let mut start = vec![0usize; n + 1];
        for b in &f.blocks {
            for (t, _) in b.term.successors() {
                if t.index() < n {
                    start[t.index() + 1] += 1;
                }
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut edges = vec![(0, 0); start[n]];
        // `start[t]` serves as block t's fill cursor, ending at the old `start[t + 1]`.
        for (bi, b) in f.blocks.iter().enumerate() {
            for (k, (t, _)) in b.term.successors().iter().enumerate() {
                if t.index() < n {
                    edges[start[t.index()]] = (bi, k);
                    start[t.index()] += 1;
                }
            }
        }
        for i in (1..=n).rev() {
            start[i] = start[i - 1];
        }
        start[0] = 0;
        Incoming { start, edges }
    }

    fn of(&self, b: usize) -> &[(usize, usize)] {
        &self.edges[self.start[b]..self.start[b + 1]]
    }
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

/// Removes the block params `remove` (indexed by value) marks, and their arguments. `inc`
/// must describe `f`'s edges (dropping params does not change them).
fn drop_params(f: &mut Function, inc: &Incoming, remove: &[bool]) {
    let marked = |p: &ValueId| remove.get(p.index()).copied().unwrap_or(false);
    for bi in 0..f.blocks.len() {
        if !f.blocks[bi].params.iter().any(marked) {
            continue;
        }
        let mask: Vec<bool> = f.blocks[bi].params.iter().map(marked).collect();
        let keep = |v: &mut Vec<ValueId>| {
            let mut i = 0;
            v.retain(|_| {
                let k = !mask.get(i).copied().unwrap_or(false);
                i += 1;
                k
            });
        };
        keep(&mut f.blocks[bi].params);
        for &(p, slot) in inc.of(bi) {
            if let Some(args) = edge_args_mut(&mut f.blocks[p].term, slot) {
                keep(args);
            }
        }
    }
}

/// A parameter whose incoming arguments are all one value `v` (or itself) is replaced by `v`.
fn remove_trivial_params(f: &mut Function) -> bool {
    if f.blocks.iter().skip(1).all(|b| b.params.is_empty()) {
        return false;
    }
    // Neither dropping params nor replacing uses changes the edges.
    let inc = Incoming::new(f);
    let mut remove = vec![false; f.values.len()];
    let mut any = false;
    loop {
        let mut map: FxHashMap<ValueId, ValueId> = FxHashMap::default();
        for bi in 1..f.blocks.len() {
            for (pi, &p) in f.blocks[bi].params.iter().enumerate() {
                let mut only: Option<ValueId> = None;
                let mut trivial = !inc.of(bi).is_empty();
                for &(pred, slot) in inc.of(bi) {
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
                    if let Some(r) = remove.get_mut(p.index()) {
                        *r = true;
                    }
                }
            }
        }
        if map.is_empty() {
            return any;
        }
        any = true;
        // Marks left from earlier rounds name params already gone, so they match nothing.
        drop_params(f, &inc, &remove);
        replace_uses(f, &map);
    }
}

/// How often each value is used (operands, conditions, returns, block arguments).
pub(crate) fn use_counts(f: &Function) -> Vec<u32> {
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

/// How a value is defined, as far as dead-code removal cares.
#[derive(Clone, Copy)]
enum Def {
    /// Anything that is never removed: an impure instruction, an entry-block param.
    Kept,
    /// A pure instruction: (block, index).
    Pure(usize, usize),
    /// A param of a non-entry block: (block, position, uses as its own argument on edges
    /// into that block).
    Param(usize, usize, u32),
}

/// Deletes unused pure instructions and block parameters used only by themselves.
///
/// Removing something only lowers the use counts of what it used, and what is removable
/// stays removable as counts fall (a param's uses as its own argument go only with the
/// param), so every order of removals ends in the same function: this removes with a
/// worklist, decrementing counts, rather than recounting until nothing changes.
pub(crate) fn remove_dead_code(f: &mut Function) -> bool {
    let nv = f.values.len();
    let mut uses = use_counts(f);
    let mut def = vec![Def::Kept; nv];
    for (bi, b) in f.blocks.iter().enumerate() {
        for (ii, i) in b.insts.iter().enumerate() {
            if let Some(r) = i.result {
                if is_pure(&i.kind) && r.index() < nv {
                    def[r.index()] = Def::Pure(bi, ii);
                }
            }
        }
    }
    let has_params = f.blocks.iter().skip(1).any(|b| !b.params.is_empty());
    let inc = if has_params { Some(Incoming::new(f)) } else { None };
    if let Some(inc) = &inc {
        for bi in 1..f.blocks.len() {
            for (pi, &p) in f.blocks[bi].params.iter().enumerate() {
                let self_uses = inc
                    .of(bi)
                    .iter()
                    .filter(|&&(pred, slot)| edge_arg(f, pred, slot, pi) == Some(p))
                    .count() as u32;
                if p.index() < nv {
                    def[p.index()] = Def::Param(bi, pi, self_uses);
                }
            }
        }
    }
    let dead = |uses: &[u32], v: usize| match def[v] {
        Def::Kept => false,
        Def::Pure(..) => uses[v] == 0,
        Def::Param(_, _, self_uses) => uses[v] == self_uses,
    };
    let mut removed = vec![false; nv];
    let mut work: Vec<usize> = (0..nv).filter(|&v| dead(&uses, v)).collect();
    if work.is_empty() {
        return false;
    }
    let release = |uses: &mut Vec<u32>, work: &mut Vec<usize>, o: ValueId| {
        if let Some(u) = uses.get_mut(o.index()) {
            *u = u.saturating_sub(1);
            if dead(uses, o.index()) {
                work.push(o.index());
            }
        }
    };
    while let Some(v) = work.pop() {
        if removed[v] {
            continue;
        }
        removed[v] = true;
        match def[v] {
            Def::Pure(bi, ii) => {
                f.blocks[bi].insts[ii].kind.for_each_operand(|o| release(&mut uses, &mut work, o));
            }
            Def::Param(bi, pi, _) => {
                if let Some(inc) = &inc {
                    for &(pred, slot) in inc.of(bi) {
                        match edge_arg(f, pred, slot, pi) {
                            Some(a) if a.index() != v => release(&mut uses, &mut work, a),
                            _ => {}
                        }
                    }
                }
            }
            Def::Kept => {}
        }
    }
    for b in &mut f.blocks {
        b.insts.retain(|i| !matches!(i.result, Some(r) if removed.get(r.index()) == Some(&true)));
    }
    if let Some(inc) = &inc {
        drop_params(f, inc, &removed);
    }
    true
}

/// Folds integer/bool operations on constants that cannot fail, and branches on constants.
fn fold_constants(f: &mut Function) -> bool {
    let mut consts: ValueMap<Const> = ValueMap::new(f);
    let mut changed = false;
    // Results equal to one of their operands (`x + 0`, `x * 1`), renamed at the end; the
    // instruction is then dead.
    let mut same: Vec<(Option<ValueId>, ValueId)> = Vec::new();
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
                    // Identities: the result is the other operand (or zero).
                    (Some(0), None) if *op == IntOp::Add => {
                        same.push((inst.result, *b));
                        None
                    }
                    (None, Some(0)) if matches!(op, IntOp::Add | IntOp::Sub) => {
                        same.push((inst.result, *a));
                        None
                    }
                    (Some(1), None) if *op == IntOp::Mul => {
                        same.push((inst.result, *b));
                        None
                    }
                    (None, Some(1)) if *op == IntOp::Mul => {
                        same.push((inst.result, *a));
                        None
                    }
                    (Some(0), None) | (None, Some(0)) if *op == IntOp::Mul => Some(Const::Int(0)),
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
    if !same.is_empty() {
        let map: FxHashMap<ValueId, ValueId> =
            same.into_iter().filter_map(|(r, v)| r.map(|r| (r, v))).collect();
        replace_uses(f, &map);
        changed = true;
    }
    changed
}
