//! Borrowed array elements, on legal MIR: `v = a.get(i)` whose reference is only used while
//! nothing can change an array gets its `Release(v)` moved to right after the `get`, which the
//! native backends then lower as a plain load (no count taken, none dropped).
//!
//! An ArrayBox `get` returns an owned reference: the element's count goes up, and lowering
//! puts a `Release(v)` where `v`'s reference dies — in nbody's inner loop, two read-modify-
//! writes of the body's count per pair of bodies. The array holds its own reference to the
//! element all along, so while no array changes and nothing is released the element cannot
//! die: the `get`'s reference is redundant.
//!
//! The pass, for each `v = a.get(i)` on a statically `Array`-typed `a` whose elements are
//! counted: explore every path from the `get` forwards until it reaches a `Release(v)`. Every
//! instruction passed must be *quiet* (`rc_elide::is_quiet`: it cannot run user code, release a
//! reference, change an array or read a count; here also `nyrt_field_get`, which only reads a
//! field or exits with an error), another array `get` (which only takes a reference), or the
//! `Release` of a borrowed pair (below). A path may also end in a block that ends
//! `unreachable` (an error exit). It may not return, pass `v` to another block, or come back to
//! the `get`. Then the `Release(v)`s found are deleted and one is put right after the `get`.
//!
//! Why that is unobservable: on every path the count of `v`'s object is one lower between the
//! `get` and the old release, and the same after it. In between, the array `a` still holds its
//! reference (`a` itself is alive: its holder's reference cannot be dropped, nothing releases)
//! and no array changes, so the count stays >= 1: nothing is freed and no `fini` runs; and no
//! instruction there reads a count. So the `Release` right after the `get` never frees
//! anything either, which is what lets a backend treat such an adjacent pair as a borrow
//! (`is_borrowed_get`). The VM runs the pair literally, with the same result.
//!
//! Nested windows (nbody's `bi = get(i)` around the inner loop's `bj = get(j)`) need the inner
//! pair made first; the pass repeats while it changes something (a few rounds).

use super::rc_elide::is_quiet;
use crate::array_views::ArrayOp;
use crate::ir::*;
use crate::runtime_abi::RtFn;

/// Instructions explored per `get` before giving up (keeps huge functions linear).
const MAX_WINDOW: usize = 4096;
/// Rounds over a function (each can complete one more level of nesting).
const MAX_ROUNDS: usize = 4;

/// Moves the releases of borrowable array elements next to their `get` (see the module docs).
/// Returns whether anything changed.
pub fn borrow_array_elements(m: &mut Module) -> bool {
    let mut funcs = std::mem::take(&mut m.funcs);
    let mut changed = false;
    for f in &mut funcs {
        for _ in 0..MAX_ROUNDS {
            if !borrow_round(m, f) {
                break;
            }
            changed = true;
        }
    }
    m.funcs = funcs;
    changed
}

/// `v` if `inst` is a `Release(v)` (legal or generic form).
fn released(inst: &Inst) -> Option<ValueId> {
    match &inst.kind {
        InstKind::RtCall { func: RtFn::Release, args } if args.len() == 1 => Some(args[0]),
        InstKind::Release(v) => Some(*v),
        _ => None,
    }
}

/// `v` if `inst` is `v = a.get(i)` on an array with counted elements (an owned reference).
fn counted_array_get(m: &Module, f: &Function, inst: &Inst) -> Option<ValueId> {
    let InstKind::DynMethodCall { recv, method, args } = &inst.kind else { return None };
    let Type::Array(sites) = f.ty(*recv) else { return None };
    let name = m.symbols.get(method.index())?;
    if ArrayOp::classify(name, args.len()) != Some(ArrayOp::Get) {
        return None;
    }
    let v = inst.result?;
    (m.array_elem(sites).is_counted() && f.ty(v).is_counted()).then_some(v)
}

/// Whether `insts[k]` is the `get` of a borrowed pair: the next instruction releases its
/// result. Such a pair never changes a count (module docs), so a backend may lower it as a
/// load of the element alone.
pub fn is_borrowed_get(m: &Module, f: &Function, insts: &[Inst], k: usize) -> bool {
    match (insts.get(k).and_then(|i| counted_array_get(m, f, i)), insts.get(k + 1)) {
        (Some(v), Some(next)) => released(next) == Some(v),
        _ => false,
    }
}

/// Whether `insts[k]` may sit between a `get` and the release moved next to it.
fn passable(m: &Module, f: &Function, insts: &[Inst], k: usize) -> bool {
    let inst = &insts[k];
    if is_quiet(inst) || counted_array_get(m, f, inst).is_some() {
        return true;
    }
    match &inst.kind {
        // Reads a field (a new reference) or exits with an error; nothing else.
        InstKind::RtCall { func: RtFn::FieldGet, .. } => true,
        // The release of a borrowed pair frees nothing.
        _ => k > 0 && released(inst).is_some() && is_borrowed_get(m, f, insts, k - 1),
    }
}

/// One sweep over `f`; returns whether a release was moved.
fn borrow_round(m: &Module, f: &mut Function) -> bool {
    let mut changed = false;
    for b in 0..f.blocks.len() {
        let mut k = 0;
        while k < f.blocks[b].insts.len() {
            let insts = &f.blocks[b].insts;
            let candidate =
                counted_array_get(m, f, &insts[k]).filter(|_| !is_borrowed_get(m, f, insts, k));
            if let Some(v) = candidate {
                if let Some(releases) = window_releases(m, f, b, k, v) {
                    move_release(f, b, k, releases);
                    changed = true;
                }
            }
            k += 1;
        }
    }
    changed
}

/// The `Release(v)`s that end every path from `v = get` at `(block, k)`, if every path
/// reaches one (or an error exit) through passable instructions alone.
fn window_releases(
    m: &Module,
    f: &Function,
    block: usize,
    k: usize,
    v: ValueId,
) -> Option<Vec<(usize, usize)>> {
    let mut releases = Vec::new();
    let mut seen = vec![false; f.blocks.len()];
    let mut stack = vec![(block, k + 1)];
    let mut budget = MAX_WINDOW;
    while let Some((b, start)) = stack.pop() {
        let insts = &f.blocks[b].insts;
        let mut end = None;
        for i in start..insts.len() {
            if released(&insts[i]) == Some(v) {
                end = Some(i);
                break;
            }
            budget = budget.checked_sub(1)?;
            if !passable(m, f, insts, i) {
                return None;
            }
        }
        if let Some(i) = end {
            releases.push((b, i));
            continue;
        }
        let term = &f.blocks[b].term;
        match term {
            Terminator::Unreachable => continue,
            Terminator::Return(_) => return None,
            Terminator::Jump { .. } | Terminator::Branch { .. } => {}
        }
        let mut moved = false;
        term.for_each_operand(|o| moved |= o == v);
        // Passing `v` on (or branching on it) hands its reference elsewhere: give up.
        if moved {
            return None;
        }
        for (succ, _) in term.successors().iter() {
            let s = succ.index();
            // Back at the `get`: a path that never released `v`.
            if s == block {
                return None;
            }
            if !seen[s] {
                seen[s] = true;
                stack.push((s, 0));
            }
        }
    }
    // Every path an error exit: there is no release to move.
    (!releases.is_empty()).then_some(releases)
}

/// Deletes `releases` and puts one `Release` right after the `get` at `(block, k)`.
fn move_release(f: &mut Function, block: usize, k: usize, mut releases: Vec<(usize, usize)>) {
    let release = f.blocks[releases[0].0].insts[releases[0].1].clone();
    // Later positions first, so earlier indices stay valid.
    releases.sort_unstable_by(|a, b| b.cmp(a));
    for (b, i) in releases {
        f.blocks[b].insts.remove(i);
    }
    let mut release = release;
    release.site = f.blocks[block].insts[k].site;
    f.blocks[block].insts.insert(k + 1, release);
}
