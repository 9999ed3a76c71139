//! Null-guard sinking on legal MIR: a block that ends in `br isnull(v), T, E`, where `v` is
//! read from an array of a compact kind in that block, keeps only what the test needs: the
//! instructions after it that neither the test nor the branch needs move into both successors
//! (a copy with fresh values into `T`, the originals into `E`), and in `T`'s region `v` becomes
//! the constant `null` it is known to be there.
//!
//! Why: legalization guards typed arithmetic on a `T-or-null` operand with `isnull`, and two
//! array reads feeding one product become `get a; get b; isnull a; br; isnull b; br`. After
//! sinking, each `get` is immediately followed by its own test (`get a; isnull a; br` then
//! `get b; isnull b; br` on the non-null side), which a backend can lower as one bounds check
//! whose failure edge goes straight to the null side (`codegen/guarded_get.rs` in Cranelift,
//! which has no jump threading to merge the "in range / out of range" join with the test
//! after it).
//!
//! Why it is sound:
//! - A moved instruction runs exactly once on every path through the block, as before. It now
//!   runs after the kept instructions that followed it, so it only moves when it is pure (no
//!   effect, no failure, no memory read) or every kept instruction it passes is pure; either
//!   way no effect, failure or memory access changes order.
//! - `T` and `E` have the block as their only predecessor, so the blocks each one dominates
//!   see exactly one of the two copies; a moved value used anywhere else (a join of both
//!   sides, the branch arguments) stays where it is.
//! - In the blocks dominated by `T`, `isnull(v)` was true on the only way in, so `v` is `null`.

use super::replace_uses_in_block;
use super::simplify::is_pure;
use crate::array_views::ArrayOp;
use crate::ir::*;
use rustc_hash::FxHashMap;

/// At most this many instructions are copied into the null side of one guard: the copy only
/// pays when it exposes a backend pattern, so bound the code it may add.
const MAX_SUNK: usize = 24;

/// Runs the sinking on every function.
pub fn sink_null_guards(m: &mut Module) {
    let mut funcs = std::mem::take(&mut m.funcs);
    for f in &mut funcs {
        sink_function(m, f);
    }
    m.funcs = funcs;
}

/// Whether `k` reads an array whose elements have a compact kind (`layout::array_kind`):
/// the reads the backends can fuse with their guard. Other guards are left alone, since
/// moving code into both sides only pays for that pattern.
fn is_compact_get(m: &Module, f: &Function, k: &InstKind) -> bool {
    let InstKind::DynMethodCall { recv, method, args } = k else { return false };
    let Type::Array(sites) = f.ty(*recv) else { return false };
    layout::array_kind(m.array_elem(sites)).is_some()
        && m.symbols.get(method.index()).and_then(|s| ArrayOp::classify(s, args.len()))
            == Some(ArrayOp::Get)
}

fn sink_function(m: &Module, f: &mut Function) {
    let n = f.blocks.len();
    if n == 0 {
        return;
    }
    // Sinking moves instructions but never changes the CFG, so the dominator tree and the
    // predecessors stay valid throughout.
    let preds = f.predecessors();
    let idom = f.dominators_with(&preds);
    let mut children = vec![Vec::new(); n];
    for (b, d) in idom.iter().enumerate().skip(1) {
        if let Some(p) = *d {
            if p != b {
                children[p].push(b);
            }
        }
    }
    let region = |root: usize| -> Vec<bool> {
        let mut inside = vec![false; n];
        let mut work = vec![root];
        while let Some(b) = work.pop() {
            if !inside[b] {
                inside[b] = true;
                work.extend(children[b].iter().copied());
            }
        }
        inside
    };
    // In reverse postorder a guard's non-null side comes after it, so what was just moved
    // there can move on through the next guard.
    for b in f.reverse_post_order() {
        let Terminator::Branch { cond, then_block, else_block, then_args, else_args } =
            &f.blocks[b].term
        else {
            continue;
        };
        let (t, e) = (then_block.index(), else_block.index());
        if t == e || t == b || e == b || preds[t] != [b] || preds[e] != [b] {
            continue;
        }
        let insts = &f.blocks[b].insts;
        let Some(test) = insts.iter().position(|i| i.result == Some(*cond)) else { continue };
        let InstKind::IsNull(subject) = insts[test].kind else { continue };
        if !insts.iter().any(|i| i.result == Some(subject) && is_compact_get(m, f, &i.kind)) {
            continue;
        }
        let (t_region, e_region) = (region(t), region(e));
        let term_uses: Vec<ValueId> =
            then_args.iter().chain(else_args.iter()).copied().chain([*cond]).collect();
        let sunk = choose_sunk(f, b, &term_uses, &t_region, &e_region);
        if sunk.iter().filter(|&&s| s).count() > MAX_SUNK {
            continue;
        }
        let site = f.blocks[b].insts[test].site;
        move_into_successors(f, b, &sunk, t, e, &t_region);
        null_in_region(f, subject, site, t, &t_region);
    }
}

/// Which instructions of block `b` move: walking backwards, an instruction stays when the
/// terminator (`term_uses`) or a staying instruction needs its result, when its result is
/// used outside both successors' regions, or when it is impure and an impure instruction
/// stays after it.
fn choose_sunk(
    f: &Function,
    b: usize,
    term_uses: &[ValueId],
    t_region: &[bool],
    e_region: &[bool],
) -> Vec<bool> {
    let insts = &f.blocks[b].insts;
    // Sets of values as flags by value index (cheaper than hashing every operand).
    let nv = f.values.len();
    let mark = |set: &mut Vec<bool>, v: ValueId| {
        if let Some(x) = set.get_mut(v.index()) {
            *x = true;
        }
    };
    let has = |set: &[bool], v: ValueId| set.get(v.index()).copied().unwrap_or(false);
    // Values some block outside both regions uses (`b` itself is outside both).
    let mut used_outside = vec![false; nv];
    for (bi, blk) in f.blocks.iter().enumerate() {
        if bi == b || t_region[bi] || e_region[bi] {
            continue;
        }
        for i in &blk.insts {
            i.kind.for_each_operand(|v| mark(&mut used_outside, v));
        }
        blk.term.for_each_operand(|v| mark(&mut used_outside, v));
    }
    let mut needed = vec![false; nv];
    for &v in term_uses {
        mark(&mut needed, v);
    }
    let mut sunk = vec![false; insts.len()];
    let mut impure_kept_after = false;
    for (k, inst) in insts.iter().enumerate().rev() {
        let pure = is_pure(&inst.kind);
        let stays = match inst.result {
            Some(r) => has(&needed, r) || has(&used_outside, r),
            None => false,
        } || (!pure && impure_kept_after);
        if stays {
            inst.kind.for_each_operand(|v| mark(&mut needed, v));
            impure_kept_after |= !pure;
        } else {
            sunk[k] = true;
        }
    }
    sunk
}

/// Moves the `sunk` instructions of `b` to the start of `e` and puts copies with fresh
/// results at the start of `t`, renaming their uses in `t`'s region.
fn move_into_successors(
    f: &mut Function,
    b: usize,
    sunk: &[bool],
    t: usize,
    e: usize,
    t_region: &[bool],
) {
    if !sunk.contains(&true) {
        return;
    }
    let all = std::mem::take(&mut f.blocks[b].insts);
    let (mut keep, mut moved) = (Vec::new(), Vec::new());
    for (inst, &s) in all.into_iter().zip(sunk) {
        if s {
            moved.push(inst);
        } else {
            keep.push(inst);
        }
    }
    f.blocks[b].insts = keep;
    let mut rename = FxHashMap::default();
    let mut copies = Vec::with_capacity(moved.len());
    for inst in &moved {
        let mut c = inst.clone();
        if let Some(r) = inst.result {
            let fresh = f.new_value(f.ty(r));
            rename.insert(r, fresh);
            c.result = Some(fresh);
        }
        copies.push(c);
    }
    f.blocks[e].insts.splice(0..0, moved);
    f.blocks[t].insts.splice(0..0, copies);
    replace_in_region(f, &rename, t_region);
}

/// Replaces `subject` by a `null` constant (of the same type) in the blocks of `t_region`,
/// where the guard proved it null.
fn null_in_region(f: &mut Function, subject: ValueId, site: SiteId, t: usize, t_region: &[bool]) {
    let used = f.blocks.iter().enumerate().filter(|(bi, _)| t_region[*bi]).any(|(_, blk)| {
        blk.insts.iter().any(|i| i.kind.operands().contains(&subject))
            || blk.term.operands().contains(&subject)
    });
    if !used {
        return;
    }
    let null = f.new_value(f.ty(subject));
    let mut rename = FxHashMap::default();
    rename.insert(subject, null);
    replace_in_region(f, &rename, t_region);
    f.blocks[t]
        .insts
        .insert(0, Inst { result: Some(null), kind: InstKind::Const(Const::Null), site });
}

/// `replace_uses` restricted to the blocks of `region`.
fn replace_in_region(f: &mut Function, map: &FxHashMap<ValueId, ValueId>, region: &[bool]) {
    if map.is_empty() {
        return;
    }
    for (bi, blk) in f.blocks.iter_mut().enumerate() {
        if region[bi] {
            replace_uses_in_block(blk, map);
        }
    }
}
