//! Inlining of small direct calls, on legal MIR (after legalization and simplification).
//!
//! Why after legalization: by then every `Call` is final (method calls resolved to direct
//! calls, argument representations coerced to the callee's parameters, result typed as the
//! callee's return), reference counting is explicit `nyrt_retain`/`nyrt_release` calls, and
//! no type can change any more, so splicing a callee's blocks into a caller is purely
//! mechanical: the caller's block is split at the call, it jumps to a copy of the callee's
//! entry block with the arguments, and each copied `Return v` jumps to the continuation block
//! with `v` as its parameter (the call's old result). Ownership is unchanged — the callee's
//! copied body still retains what it keeps and returns an owned result, the caller still owns
//! (and later releases) its arguments. Inlining before legalization would instead interfere
//! with interprocedural inference and dispatch decisions (that is `specialize`'s job).
//!
//! Copied instructions keep their `SiteId`, which names the source function, so runtime errors
//! from inlined code print exactly what the out-of-line call would have printed.
//!
//! Policy: a callee is inlined when it is small (`MAX_CALLEE_SIZE` instructions+blocks), not
//! the entry, not recursive (not on any call-graph cycle), and not a function with a loop
//! called from code that runs once (outside the loops of a run-once `main`: inlining would
//! save one call and copy the loop's compile per site). A small self-recursive function
//! (its own cycle only) gets its body inlined into itself `self_unroll` levels deep (at least
//! one) — the recursion unrolled, halving the calls of e.g. naive `fib` per level; after
//! `eliminate_tail_recursion` each level nests the loop once more, as gcc does for `fib`. Callers are processed callees-first, so chains
//! of small helpers collapse; each caller stops growing at `MAX_CALLER_SIZE`. The entry
//! function is never a caller (it runs once). Afterwards straight-line block chains created by
//! the splicing are merged.

use crate::ir::*;

/// Largest callee (instructions + blocks) that is inlined.
pub const MAX_CALLEE_SIZE: usize = 40;
/// A caller is not grown beyond this size by inlining.
const MAX_CALLER_SIZE: usize = 2000;
/// A self-recursive function is not inlined into itself again beyond this size: a body with
/// one self-call (a loop after tail recursion elimination) grows linearly per level, one with
/// two (naive `fib`) doubles, so this bounds the code either way.
const SELF_UNROLL_BUDGET: usize = 200;

/// Inlines small direct calls throughout the module; a small self-recursive function is
/// inlined into itself `self_unroll` levels deep (within `SELF_UNROLL_BUDGET`).
pub fn inline(m: &mut Module, self_unroll: usize) {
    let n = m.funcs.len();
    let graph: Vec<Vec<usize>> = m.funcs.iter().map(|f| callees(f, n)).collect();
    let scc = strongly_connected(&graph);
    let mut scc_size = vec![0usize; n];
    for &c in &scc {
        scc_size[c] += 1;
    }
    // On a cycle: in an SCC of several functions, or calling itself.
    let cyclic: Vec<bool> = (0..n).map(|f| scc_size[scc[f]] > 1 || graph[f].contains(&f)).collect();
    // Inlining cannot change which functions run once (it only removes calls).
    let runs_once = m.runs_once();
    // Per function, whether it has a loop, computed on first need.
    let mut loops: Vec<Option<bool>> = vec![None; n];
    for fi in postorder(&graph, m.entry.index()) {
        if fi == m.entry.index() {
            continue;
        }
        // The pre-inlining body, used when `fi` inlines itself one level.
        let self_body = if self_unroll > 0 && graph[fi].contains(&fi) && scc_size[scc[fi]] == 1 {
            Some(m.funcs[fi].clone()).filter(|f| size(f) <= MAX_CALLEE_SIZE)
        } else {
            None
        };
        let mut sites: Vec<(usize, usize, usize)> = Vec::new();
        for (bi, b) in m.funcs[fi].blocks.iter().enumerate() {
            for (ii, inst) in b.insts.iter().enumerate() {
                if let InstKind::Call { func, .. } = inst.kind {
                    sites.push((bi, ii, func.index()));
                }
            }
        }
        // Blocks of a run-once caller that run at most once: outside every loop. Splitting a
        // block at a call appends its tail, so these indices stay valid below.
        let once_blocks: Vec<bool> = if runs_once.get(fi) == Some(&true) && !sites.is_empty() {
            let mut once = vec![true; m.funcs[fi].blocks.len()];
            for l in m.funcs[fi].natural_loops() {
                once.iter_mut().zip(&l.body).for_each(|(o, &inside)| *o &= !inside);
            }
            once
        } else {
            Vec::new()
        };
        let mut changed = false;
        // Last site first: splitting a block at a call leaves earlier indices valid.
        for &(bi, ii, g) in sites.iter().rev() {
            let callee = if g == fi {
                match &self_body {
                    Some(b) => b.clone(),
                    None => continue,
                }
            } else {
                if g >= n || g == m.entry.index() || cyclic[g] {
                    continue;
                }
                let c = &m.funcs[g];
                if size(c) > MAX_CALLEE_SIZE {
                    continue;
                }
                // A call that runs once saves one call by inlining; a callee with a loop
                // compiles as well on its own, and each copy would cost its compile again
                // (`matmul` fills three arrays with one helper).
                if once_blocks.get(bi) == Some(&true)
                    && *loops[g].get_or_insert_with(|| !c.natural_loops().is_empty())
                {
                    continue;
                }
                c.clone()
            };
            if size(&m.funcs[fi]) + size(&callee) > MAX_CALLER_SIZE {
                continue;
            }
            inline_site(&mut m.funcs[fi], bi, ii, &callee);
            changed = true;
        }
        // Deeper self-inlining: each round inlines the original body at every remaining
        // self-call (the copies' calls), while the whole stays within `SELF_UNROLL_BUDGET`.
        if let Some(body) = &self_body {
            for _ in 1..self_unroll {
                let own = self_calls(&m.funcs[fi], fi);
                if own.is_empty()
                    || size(&m.funcs[fi]) + own.len() * size(body) > SELF_UNROLL_BUDGET
                {
                    break;
                }
                for &(bi, ii) in own.iter().rev() {
                    inline_site(&mut m.funcs[fi], bi, ii, body);
                }
                changed = true;
            }
        }
        if changed {
            merge_straight_lines(&mut m.funcs[fi]);
        }
    }
}

/// Positions of the calls of `f` (function index `fi`) to itself, in block order.
fn self_calls(f: &Function, fi: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (bi, b) in f.blocks.iter().enumerate() {
        for (ii, inst) in b.insts.iter().enumerate() {
            if matches!(inst.kind, InstKind::Call { func, .. } if func.index() == fi) {
                out.push((bi, ii));
            }
        }
    }
    out
}

/// Instructions plus blocks: a rough measure of code size.
pub(crate) fn size(f: &Function) -> usize {
    f.blocks.iter().map(|b| b.insts.len() + 1).sum()
}

/// Distinct direct callees of `f`.
fn callees(f: &Function, n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for b in &f.blocks {
        for i in &b.insts {
            if let InstKind::Call { func, .. } = i.kind {
                if func.index() < n && !out.contains(&func.index()) {
                    out.push(func.index());
                }
            }
        }
    }
    out
}

/// Every function, callees before callers where the call graph allows (DFS postorder from
/// the entry, then from every other function so nothing is skipped).
fn postorder(graph: &[Vec<usize>], entry: usize) -> Vec<usize> {
    let n = graph.len();
    let mut seen = vec![false; n];
    let mut out = Vec::with_capacity(n);
    let roots = std::iter::once(entry).chain(0..n).filter(|&r| r < n);
    for root in roots {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some(&mut (f, ref mut next)) = stack.last_mut() {
            if let Some(&g) = graph[f].get(*next) {
                *next += 1;
                if !seen[g] {
                    seen[g] = true;
                    stack.push((g, 0));
                }
            } else {
                out.push(f);
                stack.pop();
            }
        }
    }
    out
}

/// Tarjan's algorithm (iterative): the SCC index of every function.
fn strongly_connected(graph: &[Vec<usize>]) -> Vec<usize> {
    let n = graph.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut comp = vec![usize::MAX; n];
    let (mut next_index, mut next_comp) = (0, 0);
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut k)) = work.last_mut() {
            if let Some(&w) = graph[v].get(*k) {
                *k += 1;
                if index[w] == usize::MAX {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(u, _)) = work.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}

/// Replaces the `Call` at `f.blocks[bi].insts[ii]` by a copy of `callee`'s body.
pub(crate) fn inline_site(f: &mut Function, bi: usize, ii: usize, callee: &Function) {
    let tail = f.blocks[bi].insts.split_off(ii + 1);
    let Some(call) = f.blocks[bi].insts.pop() else { return };
    let InstKind::Call { args, .. } = call.kind else {
        f.blocks[bi].insts.push(call);
        f.blocks[bi].insts.extend(tail);
        return;
    };
    // Fresh values for all of the callee's values, fresh blocks after the caller's.
    let vmap: Vec<ValueId> = callee.values.iter().map(|v| f.new_value(v.ty)).collect();
    let mv = |v: ValueId| vmap.get(v.index()).copied().unwrap_or(v);
    let base = f.blocks.len();
    let cont = BlockId::new(base + callee.blocks.len());
    let mb = |b: BlockId| BlockId::new(base + b.index());
    for cb in &callee.blocks {
        let insts = cb
            .insts
            .iter()
            .map(|i| {
                let mut kind = i.kind.clone();
                super::for_each_operand_mut(&mut kind, |v| *v = mv(*v));
                Inst { result: i.result.map(mv), kind, site: i.site }
            })
            .collect();
        let term = match &cb.term {
            Terminator::Jump { target, args } => Terminator::Jump {
                target: mb(*target),
                args: args.iter().map(|a| mv(*a)).collect(),
            },
            Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
                Terminator::Branch {
                    cond: mv(*cond),
                    then_block: mb(*then_block),
                    then_args: then_args.iter().map(|a| mv(*a)).collect(),
                    else_block: mb(*else_block),
                    else_args: else_args.iter().map(|a| mv(*a)).collect(),
                }
            }
            Terminator::Return(v) => Terminator::Jump {
                target: cont,
                args: if call.result.is_some() { vec![mv(*v)] } else { vec![] },
            },
            Terminator::Unreachable => Terminator::Unreachable,
        };
        f.blocks.push(Block { params: cb.params.iter().map(|p| mv(*p)).collect(), insts, term });
    }
    let old_term = std::mem::replace(
        &mut f.blocks[bi].term,
        Terminator::Jump { target: mb(BlockId(0)), args },
    );
    f.blocks.push(Block { params: call.result.into_iter().collect(), insts: tail, term: old_term });
}

/// Merges a block into its predecessor when that predecessor's `Jump` is its only incoming
/// edge (the splices above leave such chains), and drops the merged blocks.
pub(crate) fn merge_straight_lines(f: &mut Function) {
    super::simplify::merge_straight_blocks(f);
    super::remove_unreachable_blocks(f);
}

/// Most steps along unconditional jumps from a function's entry to its entry test.
const MAX_ENTRY_PATH: usize = 4;
/// Largest entry path plus fast exit (instructions) copied to each call site.
const MAX_GUARD_INSTS: usize = 12;

/// Partial inlining of entry tests: a self-recursive function whose entry path (pure
/// instructions along unconditional jumps) ends in a branch one side of which returns at once
/// through pure instructions (`if n < 2 { return n }`) gets that test and exit copied to each
/// of its call sites, so the calls that would return straight away are not made. Returns
/// whether anything changed.
///
/// Each call site becomes: the entry path's instructions on the arguments; if the test takes
/// the fast side, its result; else the original call. Both are what the call computes: the
/// callee would run the same pure instructions first and take the same side. Only pure
/// instructions that cannot fail are copied (`simplify::is_pure`), so nothing observable
/// moves; a recursion that never reaches its exit test's fast side calls exactly as before.
pub fn inline_entry_guards(m: &mut Module) -> bool {
    let n = m.funcs.len();
    let mut changed = false;
    for fi in 0..n {
        if fi == m.entry.index() {
            continue;
        }
        let self_recursive = m.funcs[fi]
            .blocks
            .iter()
            .flat_map(|b| &b.insts)
            .any(|i| matches!(i.kind, InstKind::Call { func, .. } if func.index() == fi));
        if !self_recursive {
            continue;
        }
        let Some(guard) = entry_guard(&m.funcs[fi], FuncId::new(fi)) else { continue };
        let sites = self_calls(&m.funcs[fi], fi);
        for &(bi, ii) in sites.iter().rev() {
            // The call left in the copy keeps the site of the call it stands for.
            let mut g = guard.clone();
            if let Some(call) = g.blocks.last_mut().and_then(|b| b.insts.first_mut()) {
                call.site = m.funcs[fi].blocks[bi].insts[ii].site;
            }
            inline_site(&mut m.funcs[fi], bi, ii, &g);
            changed = true;
        }
        if !sites.is_empty() {
            merge_straight_lines(&mut m.funcs[fi]);
        }
    }
    changed
}

/// The function "entry path of `f`, its test, the fast exit, else `call f`" (see
/// `inline_entry_guards`), if `f` starts that way. It shares `f`'s value numbering.
fn entry_guard(f: &Function, id: FuncId) -> Option<Function> {
    use super::simplify::is_pure;
    // A counted result would be an owned reference: the exit would have to retain it.
    if f.ret.is_counted() {
        return None;
    }
    let pure = |b: &Block| b.insts.iter().all(|i| is_pure(&i.kind));
    let mut path = vec![0usize];
    loop {
        let b = &f.blocks[*path.last()?];
        if !pure(b) {
            return None;
        }
        match &b.term {
            Terminator::Jump { target, .. } => {
                let t = target.index();
                if path.contains(&t) || path.len() >= MAX_ENTRY_PATH {
                    return None;
                }
                path.push(t);
            }
            Terminator::Branch { .. } => break,
            Terminator::Return(_) | Terminator::Unreachable => return None,
        }
    }
    let last = *path.last()?;
    let Terminator::Branch { cond, then_block, then_args, else_block, else_args } =
        &f.blocks[last].term
    else {
        return None;
    };
    let fast_exit = |b: usize| {
        !path.contains(&b)
            && pure(&f.blocks[b])
            && matches!(f.blocks[b].term, Terminator::Return(_))
    };
    let (fast, then_fast) = match (fast_exit(then_block.index()), fast_exit(else_block.index())) {
        (true, false) => (then_block.index(), true),
        (false, true) => (else_block.index(), false),
        _ => return None,
    };
    let copied: usize =
        path.iter().map(|&b| f.blocks[b].insts.len()).sum::<usize>() + f.blocks[fast].insts.len();
    if copied > MAX_GUARD_INSTS {
        return None;
    }
    // Blocks of the guard: the path (same order), the fast exit, then the call.
    let index_of = |b: usize| path.iter().position(|&p| p == b);
    let fast_at = BlockId::new(path.len());
    let call_at = BlockId::new(path.len() + 1);
    let mut g = Function {
        name: format!("{}$guard", f.name),
        params: f.params.clone(),
        ret: f.ret,
        blocks: Vec::new(),
        values: f.values.clone(),
    };
    for &b in &path {
        let blk = &f.blocks[b];
        let term = match &blk.term {
            Terminator::Jump { target, args } => Terminator::Jump {
                target: BlockId::new(index_of(target.index())?),
                args: args.clone(),
            },
            _ => {
                let fast_args = if then_fast { then_args } else { else_args };
                let (t, ta, e, ea) = if then_fast {
                    (fast_at, fast_args.clone(), call_at, Vec::new())
                } else {
                    (call_at, Vec::new(), fast_at, fast_args.clone())
                };
                Terminator::Branch {
                    cond: *cond,
                    then_block: t,
                    then_args: ta,
                    else_block: e,
                    else_args: ea,
                }
            }
        };
        g.blocks.push(Block { params: blk.params.clone(), insts: blk.insts.clone(), term });
    }
    g.blocks.push(f.blocks[fast].clone());
    let r = g.new_value(f.ret);
    let site = SiteId(0); // set per call site by the caller
    g.blocks.push(Block {
        params: Vec::new(),
        insts: vec![Inst {
            result: Some(r),
            kind: InstKind::Call { func: id, args: f.params.clone() },
            site,
        }],
        term: Terminator::Return(r),
    });
    Some(g)
}
