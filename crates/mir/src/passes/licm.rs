//! Loop-invariant code motion on legal MIR, for backends without loop optimizations of their
//! own (Cranelift with its e-graph off): a pure instruction in a loop whose operands are all
//! defined outside the loop is moved to the end of the loop's preheader, so it runs once per
//! entry into the loop instead of once per iteration.
//!
//! Why it is exact:
//! - Only instructions that cannot fail, have no effect and read no memory move
//!   (`simplify::is_pure`, and Int division and remainder by a non-zero constant). Running
//!   one where it did not run before (the loop body may be skipped, or the instruction may
//!   sit on a branch not taken) only computes a value nobody on that path reads.
//! - Its operands are defined outside the loop, and every definition outside a loop that
//!   reaches a use inside it dominates the header, hence the end of the preheader (the
//!   header's only way in from outside). Their values are the same in every iteration, so
//!   the moved instruction computes what each iteration computed.
//! - The preheader dominates the header and so every block of the loop: the result is
//!   available wherever it was used.
//!
//! Constants are not moved (Cranelift materializes them where they are used, which costs
//! nothing and keeps them out of registers across the loop), but an invariant instruction
//! using a constant from inside the loop takes a copy of that constant along. Loops are
//! visited innermost first, so an instruction moved into an inner loop's preheader (which
//! lies in the outer loop) can move again, out of the outer loop.

use super::for_each_operand_mut;
use super::simplify::{is_pure, remove_dead_code};
use crate::ir::*;

/// Moves loop-invariant pure instructions out of every loop (`hoist_function`), then merges
/// redundant ones (`gvn::merge_function`), in every function; returns whether anything
/// changed. Neither changes the control flow, so both use one dominator tree. Hoisting goes
/// first: twins hoisted out of sibling branches of a loop meet in its preheader.
pub fn hoist_and_merge(m: &mut Module) -> bool {
    let mut changed = false;
    for f in &mut m.funcs {
        if f.blocks.is_empty() {
            continue;
        }
        let preds = f.predecessors();
        let idom = f.dominators_with(&preds);
        let hoisted = hoist_function(f, &preds, &idom);
        let merged = super::gvn::merge_function(f, &idom);
        if hoisted || merged {
            // A constant copied out of a loop may leave the original unused.
            remove_dead_code(f);
            changed = true;
        }
    }
    changed
}

fn hoist_function(f: &mut Function, preds: &[Vec<usize>], idom: &[Option<usize>]) -> bool {
    let mut loops = f.natural_loops_with(preds, idom);
    if loops.is_empty() {
        return false;
    }
    // Innermost first: a loop nested in another has fewer blocks.
    loops.sort_by_key(NaturalLoop::size);
    // Per value: its block, and its constant if a `Const` defines it. Both grow with the
    // constants this makes, so a later (enclosing) loop sees those too.
    let mut def_block = vec![usize::MAX; f.values.len()];
    let mut consts: Vec<Option<Const>> = vec![None; f.values.len()];
    for (bi, b) in f.blocks.iter().enumerate() {
        for &p in &b.params {
            def_block[p.index()] = bi;
        }
        for i in &b.insts {
            if let Some(r) = i.result {
                def_block[r.index()] = bi;
                if let InstKind::Const(c) = i.kind {
                    consts[r.index()] = Some(c);
                }
            }
        }
    }
    let mut changed = false;
    for l in &loops {
        let Some(pre) = l.preheader else { continue };
        let outside = |def_block: &[usize], v: ValueId| {
            def_block.get(v.index()).is_some_and(|&b| b != usize::MAX && !l.body[b])
        };
        // Blocks are in reverse postorder (simplify renumbers them so), so within the loop an
        // instruction's operands defined by instructions come before it: one forward sweep
        // sees everything it moves as defined outside by the time a user is reached.
        for b in (0..f.blocks.len()).filter(|&b| l.body[b]) {
            let mut k = 0;
            while k < f.blocks[b].insts.len() {
                let inst = &f.blocks[b].insts[k];
                let by_constant = matches!(&inst.kind,
                    InstKind::IntBin { op: IntOp::Div | IntOp::Rem, b, .. }
                        if matches!(consts[b.index()], Some(Const::Int(d)) if d != 0));
                let mut invariant = inst.result.is_some()
                    && !matches!(inst.kind, InstKind::Const(_))
                    && (is_pure(&inst.kind) || by_constant);
                if invariant {
                    inst.kind.for_each_operand(|o| {
                        invariant &= outside(&def_block, o) || consts[o.index()].is_some();
                    });
                }
                if !invariant {
                    k += 1;
                    continue;
                }
                let mut inst = f.blocks[b].insts.remove(k);
                // Constant operands from inside the loop: a copy each in the preheader.
                let mut copies: Vec<(ValueId, ValueId)> = Vec::new();
                for o in inst.kind.operands() {
                    if outside(&def_block, o) || copies.iter().any(|&(from, _)| from == o) {
                        continue;
                    }
                    if let Some(c) = consts[o.index()] {
                        let v = f.new_value(f.ty(o));
                        def_block.resize(f.values.len(), usize::MAX);
                        consts.resize(f.values.len(), None);
                        def_block[v.index()] = pre;
                        consts[v.index()] = Some(c);
                        let site = inst.site;
                        f.blocks[pre].insts.push(Inst {
                            result: Some(v),
                            kind: InstKind::Const(c),
                            site,
                        });
                        copies.push((o, v));
                    }
                }
                for_each_operand_mut(&mut inst.kind, |o| {
                    if let Some(&(_, v)) = copies.iter().find(|&&(from, _)| from == *o) {
                        *o = v;
                    }
                });
                if let Some(r) = inst.result {
                    def_block[r.index()] = pre;
                }
                f.blocks[pre].insts.push(inst);
                changed = true;
            }
        }
    }
    changed
}
