//! Tail-recursion elimination with accumulators, on legal MIR (before inlining).
//!
//! In a self-recursive function returning Int, a return of `f(args')`, `x + f(args')`,
//! `f(args') + x`, `x * f(args')` or `f(args') * x` (the call is the last thing evaluated:
//! `x` is computed before it) becomes a jump back to the function's start. The work left
//! after the call is kept in accumulators: the function computes `acc + mul * F(args)`,
//! starting with `acc = 0, mul = 1`; an add site continues with `acc + mul * x`, a mul site
//! with `mul * x`, and every other `return v` returns `acc + mul * v`.
//!
//! Why it is sound: Int `+` and `*` wrap (arithmetic modulo 2^64, a commutative ring), so
//! regrouping `a + m * (x + F)` as `(a + m * x) + m * F` and `a + m * (x * F)` as
//! `a + (m * x) * F` gives the same bits; neither can raise an error. Calls and side effects
//! happen in the same order: everything before the call (its arguments, `x`) still runs
//! before the recursion continues, and only pure arithmetic is moved after it. Float is never
//! accumulated (its `+` is not associative). Only functions whose parameters are not
//! reference counted are rewritten: the out-of-line call borrowed its arguments and the
//! caller released them after it returned, which a jump could not do.
//!
//! The effect: naive `fib` makes one call per loop iteration instead of two per invocation,
//! and the inliner's self-inlining then nests the loop once more per level.
//!
//! Stack depth is the one thing a loop could change: recursion too deep for the stack ends in
//! `error: stack overflow` on every mode, and must still end so (an infinite recursion must
//! not become an infinite loop). The loop counts its iterations, and past `MAX_DEPTH`, more
//! frames than the program stack could hold whatever their size, it reports the same error
//! (`nyrt_error_stack_overflow`). Recursion that fits the stack is unaffected; only a depth
//! between the other modes' limit and `MAX_DEPTH` can now complete where they overflow, as
//! depths between the VM's and the native backends' limits already do.
//!
//! The count costs a register and a compare per iteration, so it is dropped where a check on
//! entry bounds the trip count (`trip_bound`): the function's entry block branches on a
//! parameter `p` against a constant, only one side of it leads to tail calls (`p >= L` there,
//! say), and every tail call passes `p - c` (`c >= 1` a constant, `L - c` not wrapping) for
//! `p`. Then `p` falls by at least `c` per iteration and the loop goes round at most
//! `(p0 - L) / c + 1` times, at most `MAX_DEPTH` when `p0 <= L + c * (MAX_DEPTH - 1)`; the
//! entry tests that (likewise for `p <= U` and `p + c`) and otherwise calls a copy of the
//! function that keeps the count (`NAME$deep`, calling itself, so each is its own recursion
//! cycle for the inliner). The two differ only in whether the never-failing count exists, so
//! every mode still prints, fails and overflows exactly as before.

use crate::ir::*;
use crate::runtime_abi::RtFn;
use rustc_hash::FxHashMap;

/// More iterations than frames fit the program stack (`nyash_runtime::BIG_STACK_SIZE`,
/// 512 MiB, over the smallest x86-64 frame: a return address and a saved frame pointer).
const MAX_DEPTH: i64 = (512 << 20) / 16;

/// Rewrites accumulator tail recursion in every function into loops.
pub fn eliminate_tail_recursion(m: &mut Module) {
    for fi in 0..m.funcs.len() {
        if fi != m.entry.index() {
            rewrite_function(m, fi);
        }
    }
}

/// Rewrites function `fi`; where the trip count can be bounded on entry, into a loop without
/// the count plus a counting copy for the entries past the bound (see the module docs).
fn rewrite_function(m: &mut Module, fi: usize) {
    let me = FuncId::new(fi);
    let f = &m.funcs[fi];
    if !eligible(f) {
        return;
    }
    let sites: Vec<Site> = (0..f.blocks.len()).filter_map(|bi| tail_site(f, bi, me)).collect();
    if sites.is_empty() {
        return;
    }
    let Some(bound) = trip_bound(f, &sites) else {
        rewrite(&mut m.funcs[fi], &sites, true);
        return;
    };
    let Some(guard) = bound.guard else {
        // Every entry is within the bound: no count and no copy.
        rewrite(&mut m.funcs[fi], &sites, false);
        return;
    };
    let deep_id = FuncId::new(m.funcs.len());
    // The copy's own calls go to the copy: its recursion is its own cycle, and the fast
    // function is not on it (the inliner only unrolls a function calling just itself).
    let mut deep = copy_calling_itself(&m.funcs[fi], me, deep_id, "deep");
    rewrite(&mut deep, &sites, true);
    m.funcs.push(deep);
    if calls_within_bound(&m.funcs[fi], me, &sites, &bound) {
        // Its own calls need no check either: `NAME$loop` is the loop alone, `NAME` checks.
        let loop_id = FuncId::new(m.funcs.len());
        let mut inner = copy_calling_itself(&m.funcs[fi], me, loop_id, "loop");
        rewrite(&mut inner, &sites, false);
        m.funcs.push(inner);
        let f = &mut m.funcs[fi];
        let site = f.blocks[sites[0].block].insts[sites[0].call].site;
        let types: Vec<Type> = f.params.iter().map(|&p| f.ty(p)).collect();
        let name = std::mem::take(&mut f.name);
        *f = Function { name, params: vec![], ret: Type::Int, blocks: vec![], values: vec![] };
        f.params = types.into_iter().map(|t| f.new_value(t)).collect();
        let r = f.new_value(Type::Int);
        let call = InstKind::Call { func: loop_id, args: f.params.clone() };
        f.blocks = vec![
            Block { params: f.params.clone(), insts: vec![], term: Terminator::Unreachable },
            Block {
                params: vec![],
                insts: vec![Inst { result: Some(r), kind: call, site }],
                term: Terminator::Return(r),
            },
        ];
        add_entry_guard(f, bound.param, guard, deep_id, (BlockId::new(1), vec![]), site);
    } else {
        let f = &mut m.funcs[fi];
        rewrite(f, &sites, false);
        let site = f.blocks[sites[0].block].insts[sites[0].call].site;
        // `rewrite` ends the entry with the jump into the loop.
        let into = match std::mem::replace(&mut f.blocks[0].term, Terminator::Unreachable) {
            Terminator::Jump { target, args } => (target, args),
            _ => return,
        };
        add_entry_guard(f, bound.param, guard, deep_id, into, site);
    }
}

/// A copy of `f` (function `me`) named `NAME$suffix` whose calls of `me` call `id` instead.
fn copy_calling_itself(f: &Function, me: FuncId, id: FuncId, suffix: &str) -> Function {
    let mut copy = f.clone();
    copy.name = format!("{}${suffix}", f.name);
    for b in &mut copy.blocks {
        for inst in &mut b.insts {
            if let InstKind::Call { func, .. } = &mut inst.kind {
                if *func == me {
                    *func = id;
                }
            }
        }
    }
    copy
}

/// Whether every call of `me` in `f` other than the tail `sites` passes a value within
/// `bound`'s guard, given that the entry passed it: it passes `p - c` (`p + c` when `p`
/// rises), `c >= 0`, from a block only the loop's side of the entry test reaches, where `p`
/// (at most the entry's, and past the test's limit) minus `c` cannot wrap.
fn calls_within_bound(f: &Function, me: FuncId, sites: &[Site], bound: &TripBound) -> bool {
    let consts = int_constants(f);
    let defs: FxHashMap<ValueId, &InstKind> =
        f.blocks.iter().flat_map(|b| &b.insts).filter_map(|i| Some((i.result?, &i.kind))).collect();
    let p = f.params[bound.param];
    let within = |arg: ValueId| -> Option<()> {
        let delta = match defs.get(&arg)? {
            InstKind::IntBin { op: IntOp::Add, a, b } if *a == p => *consts.get(b)?,
            InstKind::IntBin { op: IntOp::Add, a, b } if *b == p => *consts.get(a)?,
            InstKind::IntBin { op: IntOp::Sub, a, b } if *a == p => consts.get(b)?.checked_neg()?,
            _ => return None,
        };
        let c = if bound.falls { delta.checked_neg()? } else { delta };
        (c >= 0).then_some(())?;
        if bound.falls {
            bound.limit.checked_sub(c)?
        } else {
            bound.limit.checked_add(c)?
        };
        Some(())
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for (ii, inst) in b.insts.iter().enumerate() {
            let InstKind::Call { func, args } = &inst.kind else { continue };
            if *func != me || sites.iter().any(|s| s.block == bi && s.call == ii) {
                continue;
            }
            let Some(&arg) = args.get(bound.param) else { return false };
            if bi == 0 || reaches_any(f, bound.exit, &[bi]) || within(arg).is_none() {
                return false;
            }
        }
    }
    true
}

/// Whether `f` may be rewritten at all (see `rewrite`).
fn eligible(f: &Function) -> bool {
    if f.ret != Type::Int || f.params.iter().any(|&p| f.ty(p).is_counted()) {
        return false;
    }
    // The header will be a jump target; the verifier forbids jumps to the entry, but a
    // function that already has them is left alone rather than mis-rewritten.
    !f.blocks.iter().any(|b| b.term.successors().iter().any(|(t, _)| t.index() == 0))
}

/// A bound on a tail-recursive function's loop trips: parameter `param` moves monotonically
/// toward the entry's exit test.
struct TripBound {
    param: usize,
    /// `p` falls toward `p >= limit` (else rises toward `p <= limit`) on the loop's side.
    falls: bool,
    limit: i64,
    /// The entry's successor on the returning side.
    exit: usize,
    /// Entries with `p > g` (`Upper(g)`: the parameter falls) or `p < g` (`Lower(g)`) may loop
    /// more than `MAX_DEPTH` times; `None` when no Int value can.
    guard: Option<Guard>,
}

#[derive(Clone, Copy)]
enum Guard {
    /// Within the bound when `p <= g`.
    AtMost(i64),
    /// Within the bound when `p >= g`.
    AtLeast(i64),
}

/// The bound of the module docs, if `f`'s entry and tail sites have that shape.
fn trip_bound(f: &Function, sites: &[Site]) -> Option<TripBound> {
    let entry = &f.blocks[0];
    let Terminator::Branch { cond, then_block, else_block, .. } = entry.term else {
        return None;
    };
    if then_block == else_block {
        return None;
    }
    let consts = int_constants(f);
    let cmp = entry.insts.iter().find(|i| i.result == Some(cond))?;
    let InstKind::IntCmp { op, a, b } = cmp.kind else { return None };
    // `p op k` with `p` a parameter and `k` a constant.
    let (p, op, k) = match (consts.get(&a), consts.get(&b)) {
        (None, Some(&k)) => (a, op, k),
        (Some(&k), None) => (b, op.swapped(), k),
        _ => return None,
    };
    let param = f.params.iter().position(|&q| q == p)?;
    // Which side reaches the tail calls; the other must not reach any.
    let site_blocks: Vec<usize> = sites.iter().map(|s| s.block).collect();
    let then_reaches = reaches_any(f, then_block.index(), &site_blocks);
    let else_reaches = reaches_any(f, else_block.index(), &site_blocks);
    let taken = match (then_reaches, else_reaches) {
        (true, false) => true,
        (false, true) => false,
        _ => return None,
    };
    // What holds for `p` on the way to a tail call: `p >= lo` or `p <= hi`.
    let op = if taken { op } else { op.negated() };
    let (falls, limit) = match op {
        CmpOp::Ge => (true, k),
        CmpOp::Gt => (true, k.checked_add(1)?),
        CmpOp::Le => (false, k),
        CmpOp::Lt => (false, k.checked_sub(1)?),
        CmpOp::Eq | CmpOp::Ne => return None,
    };
    // Every tail call passes `p - c` (`falls`) or `p + c`, `c >= 1`, never wrapping past the
    // limit; `step` is the smallest such `c`.
    let defs: FxHashMap<ValueId, &InstKind> =
        f.blocks.iter().flat_map(|b| &b.insts).filter_map(|i| Some((i.result?, &i.kind))).collect();
    let mut step = i64::MAX;
    for s in sites {
        let InstKind::IntBin { op, a, b } = defs.get(s.args.get(param)?)? else { return None };
        let delta = match (op, a == &p, b == &p) {
            (IntOp::Add, true, false) => *consts.get(b)?,
            (IntOp::Add, false, true) => *consts.get(a)?,
            (IntOp::Sub, true, false) => consts.get(b)?.checked_neg()?,
            _ => return None,
        };
        let c = if falls { delta.checked_neg()? } else { delta };
        if c < 1 {
            return None;
        }
        // No wrap: `p - c` for `p >= limit` stays above `i64::MIN` (or `p + c` below max).
        if falls {
            limit.checked_sub(c)?
        } else {
            limit.checked_add(c)?
        };
        step = step.min(c);
    }
    // A bound past the Int range needs no test.
    let guard = step.checked_mul(MAX_DEPTH - 1).and_then(|span| {
        if falls {
            limit.checked_add(span).map(Guard::AtMost)
        } else {
            limit.checked_sub(span).map(Guard::AtLeast)
        }
    });
    let exit = if taken { else_block } else { then_block }.index();
    Some(TripBound { param, falls, limit, exit, guard })
}

/// The Int constants of `f`.
fn int_constants(f: &Function) -> FxHashMap<ValueId, i64> {
    f.blocks
        .iter()
        .flat_map(|b| &b.insts)
        .filter_map(|i| match (i.result, &i.kind) {
            (Some(r), InstKind::Const(Const::Int(n))) => Some((r, *n)),
            _ => None,
        })
        .collect()
}

/// Whether any of `targets` is reachable from block `from` (itself included).
fn reaches_any(f: &Function, from: usize, targets: &[usize]) -> bool {
    let mut seen = vec![false; f.blocks.len()];
    let mut stack = vec![from];
    while let Some(b) = stack.pop() {
        if b >= seen.len() || seen[b] {
            continue;
        }
        if targets.contains(&b) {
            return true;
        }
        seen[b] = true;
        stack.extend(f.blocks[b].term.successors().iter().map(|(t, _)| t.index()));
    }
    false
}

/// Ends the entry block with a branch: into the loop (`into`: a block and its arguments),
/// or, when parameter `param` is past `guard`, to a call of `deep` returning its result.
fn add_entry_guard(
    f: &mut Function,
    param: usize,
    guard: Guard,
    deep: FuncId,
    (target, args): (BlockId, Vec<ValueId>),
    site: SiteId,
) {
    let p = f.params[param];
    let mut insts = std::mem::take(&mut f.blocks[0].insts);
    let (op, g) = match guard {
        Guard::AtMost(g) => (CmpOp::Gt, g),
        Guard::AtLeast(g) => (CmpOp::Lt, g),
    };
    let g = constant(f, &mut insts, g, site);
    let past = f.new_value(Type::Bool);
    insts.push(Inst { result: Some(past), kind: InstKind::IntCmp { op, a: p, b: g }, site });
    f.blocks[0].insts = insts;
    let r = f.new_value(Type::Int);
    let cold = BlockId::new(f.blocks.len());
    f.blocks.push(Block {
        params: vec![],
        insts: vec![Inst {
            result: Some(r),
            kind: InstKind::Call { func: deep, args: f.params.clone() },
            site,
        }],
        term: Terminator::Return(r),
    });
    f.blocks[0].term = Terminator::Branch {
        cond: past,
        then_block: cold,
        then_args: vec![],
        else_block: target,
        else_args: args,
    };
}

/// How the work after a tail call combines with the call's result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `return f(..)`
    Plain,
    /// `return x + f(..)` (either order)
    Add(ValueId),
    /// `return x * f(..)` (either order)
    Mul(ValueId),
}

/// A tail call: block, index of the `Call`, its arguments, and what follows it.
struct Site {
    block: usize,
    call: usize,
    /// The block ends with the combining `iadd`/`imul` (not `Kind::Plain`).
    op: bool,
    args: Vec<ValueId>,
    kind: Kind,
}

/// Turns the tail `sites` of an `eligible` function into jumps to a loop header; with `count`,
/// the loop counts its trips and reports a stack overflow past `MAX_DEPTH`.
fn rewrite(f: &mut Function, sites: &[Site], count: bool) {
    let int = |f: &mut Function| f.new_value(Type::Int);
    let uses_add = sites.iter().any(|s| matches!(s.kind, Kind::Add(_)));
    let uses_mul = sites.iter().any(|s| matches!(s.kind, Kind::Mul(_)));
    // The few instructions added here cannot fail; the call's site only annotates them.
    let site = f.blocks[sites[0].block].insts[sites[0].call].site;

    // The old entry becomes the loop header `H(params.., acc?, mul?, depth?)`; a new entry
    // jumps to it.
    let header = BlockId::new(f.blocks.len());
    let acc = uses_add.then(|| int(f));
    let mul = uses_mul.then(|| int(f));
    let depth = count.then(|| int(f));
    let param_types: Vec<Type> = f.params.iter().map(|&p| f.ty(p)).collect();
    let new_params: Vec<ValueId> = param_types.into_iter().map(|t| f.new_value(t)).collect();
    let mut old_entry = std::mem::replace(
        &mut f.blocks[0],
        Block { params: new_params.clone(), insts: vec![], term: Terminator::Unreachable },
    );
    old_entry.params.extend(acc.iter().chain(mul.iter()).chain(depth.iter()).copied());
    f.blocks.push(old_entry);
    let mut entry_args = new_params.clone();
    for (v, init) in [(acc, 0), (mul, 1), (depth, 0)] {
        if v.is_some() {
            let c = int(f);
            f.blocks[0].insts.push(Inst {
                result: Some(c),
                kind: InstKind::Const(Const::Int(init)),
                site,
            });
            entry_args.push(c);
        }
    }
    f.blocks[0].term = Terminator::Jump { target: header, args: entry_args };
    f.params = new_params;
    let block_of = |bi: usize| if bi == 0 { header.index() } else { bi };
    // The one block reporting a too deep recursion.
    let overflow = depth.map(|_| {
        f.blocks.push(Block {
            params: vec![],
            insts: vec![Inst {
                result: None,
                kind: InstKind::RtCall { func: RtFn::ErrorStackOverflow, args: vec![] },
                site,
            }],
            term: Terminator::Unreachable,
        });
        BlockId::new(f.blocks.len() - 1)
    });

    // Tail calls: drop the call (and its combining op), update the accumulators, loop.
    for s in sites {
        let b = block_of(s.block);
        let mut insts = std::mem::take(&mut f.blocks[b].insts);
        // Constants between the call and the op stay (`x` may be one of them).
        if s.op {
            insts.pop();
        }
        insts.remove(s.call);
        let (mut next_acc, mut next_mul) = (acc, mul);
        match s.kind {
            Kind::Plain => {}
            Kind::Add(x) => {
                let scaled = scale(f, &mut insts, mul, x, site);
                next_acc = Some(binop(f, &mut insts, IntOp::Add, acc.unwrap_or(x), scaled, site));
            }
            Kind::Mul(x) => {
                next_mul = Some(binop(f, &mut insts, IntOp::Mul, mul.unwrap_or(x), x, site));
            }
        }
        let mut args = s.args.clone();
        args.extend(next_acc.iter().chain(next_mul.iter()).copied());
        let (Some(depth), Some(overflow)) = (depth, overflow) else {
            f.blocks[b].insts = insts;
            f.blocks[b].term = Terminator::Jump { target: header, args };
            continue;
        };
        // depth + 1 > MAX_DEPTH: overflow; else loop.
        let one = constant(f, &mut insts, 1, site);
        let next_depth = binop(f, &mut insts, IntOp::Add, depth, one, site);
        let max = constant(f, &mut insts, MAX_DEPTH, site);
        let too_deep = f.new_value(Type::Bool);
        insts.push(Inst {
            result: Some(too_deep),
            kind: InstKind::IntCmp { op: CmpOp::Gt, a: next_depth, b: max },
            site,
        });
        args.push(next_depth);
        let again = BlockId::new(f.blocks.len());
        f.blocks.push(Block {
            params: vec![],
            insts: vec![],
            term: Terminator::Jump { target: header, args },
        });
        f.blocks[b].insts = insts;
        f.blocks[b].term = Terminator::Branch {
            cond: too_deep,
            then_block: overflow,
            then_args: vec![],
            else_block: again,
            else_args: vec![],
        };
    }
    if acc.is_none() && mul.is_none() {
        return;
    }
    // Every remaining return gives `acc + mul * v`.
    for b in 1..f.blocks.len() {
        let Terminator::Return(v) = f.blocks[b].term else { continue };
        let mut insts = std::mem::take(&mut f.blocks[b].insts);
        let mut r = scale(f, &mut insts, mul, v, site);
        if let Some(a) = acc {
            r = binop(f, &mut insts, IntOp::Add, a, r, site);
        }
        f.blocks[b].insts = insts;
        f.blocks[b].term = Terminator::Return(r);
    }
}

/// The Int constant `k`, appended to `insts`.
fn constant(f: &mut Function, insts: &mut Vec<Inst>, k: i64, site: SiteId) -> ValueId {
    let c = f.new_value(Type::Int);
    insts.push(Inst { result: Some(c), kind: InstKind::Const(Const::Int(k)), site });
    c
}

/// `mul * v`, or `v` when there is no multiplier.
fn scale(
    f: &mut Function,
    insts: &mut Vec<Inst>,
    mul: Option<ValueId>,
    v: ValueId,
    site: SiteId,
) -> ValueId {
    match mul {
        Some(m) => binop(f, insts, IntOp::Mul, m, v, site),
        None => v,
    }
}

fn binop(
    f: &mut Function,
    insts: &mut Vec<Inst>,
    op: IntOp,
    a: ValueId,
    b: ValueId,
    site: SiteId,
) -> ValueId {
    let r = f.new_value(Type::Int);
    insts.push(Inst { result: Some(r), kind: InstKind::IntBin { op, a, b }, site });
    r
}

/// The tail call ending block `bi`, if it has one: `c = call me(args)`, optionally followed by
/// `r = iadd/imul c, x` (or `x, c`), then a return of the last result, directly or through
/// blocks that only pass their one parameter on to a return. Only constants may come between
/// the call and the op (lowering materializes a literal operand after the call).
fn tail_site(f: &Function, bi: usize, me: FuncId) -> Option<Site> {
    let b = &f.blocks[bi];
    let returned = returned_value(f, &b.term)?;
    let last = b.insts.last()?;
    let (call, op, kind) = if matches!(last.kind, InstKind::Call { .. }) {
        (b.insts.len() - 1, false, Kind::Plain)
    } else {
        let InstKind::IntBin { op: op @ (IntOp::Add | IntOp::Mul), a, b: rhs } = last.kind else {
            return None;
        };
        let before = &b.insts[..b.insts.len() - 1];
        let call = before.iter().rposition(|i| !matches!(i.kind, InstKind::Const(_)))?;
        let r = b.insts[call].result?;
        // `x` is not the call's own result, so it was computed before the call (or is one of
        // the constants after it, which are kept).
        let x = match (a == r, rhs == r) {
            (true, false) => rhs,
            (false, true) => a,
            _ => return None,
        };
        (call, true, if op == IntOp::Add { Kind::Add(x) } else { Kind::Mul(x) })
    };
    // What is returned is the call's result, or the op's.
    if last.result != Some(returned) {
        return None;
    }
    let InstKind::Call { func, args } = &b.insts[call].kind else { return None };
    if *func != me || args.len() != f.params.len() {
        return None;
    }
    Some(Site { block: bi, call, op, args: args.clone(), kind })
}

/// The value a terminator returns: `ret v`, or `jump R(v)` where `R(p)` does nothing but
/// return `p` (possibly through more such blocks).
fn returned_value(f: &Function, term: &Terminator) -> Option<ValueId> {
    match term {
        Terminator::Return(v) => Some(*v),
        Terminator::Jump { target, args } if args.len() == 1 => {
            let mut t = *target;
            // Bounded: a chain of forwarding blocks cannot be longer than the function.
            for _ in 0..f.blocks.len() {
                let r = f.blocks.get(t.index())?;
                if r.params.len() != 1 || !r.insts.is_empty() {
                    return None;
                }
                match &r.term {
                    Terminator::Return(v) if *v == r.params[0] => return Some(args[0]),
                    Terminator::Jump { target, args: a } if a.len() == 1 && a[0] == r.params[0] => {
                        t = *target
                    }
                    _ => return None,
                }
            }
            None
        }
        _ => None,
    }
}
