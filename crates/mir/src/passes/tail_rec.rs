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

use crate::ir::*;
use crate::runtime_abi::RtFn;

/// More iterations than frames fit the program stack (`nyash_runtime::BIG_STACK_SIZE`,
/// 512 MiB, over the smallest x86-64 frame: a return address and a saved frame pointer).
const MAX_DEPTH: i64 = (512 << 20) / 16;

/// Rewrites accumulator tail recursion in every function into loops.
pub fn eliminate_tail_recursion(m: &mut Module) {
    for fi in 0..m.funcs.len() {
        if fi != m.entry.index() {
            rewrite(&mut m.funcs[fi], FuncId::new(fi));
        }
    }
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

fn rewrite(f: &mut Function, me: FuncId) {
    if f.ret != Type::Int || f.params.iter().any(|&p| f.ty(p).is_counted()) {
        return;
    }
    // The header will be a jump target; the verifier forbids jumps to the entry, but a
    // function that already has them is left alone rather than mis-rewritten.
    if f.blocks.iter().any(|b| b.term.successors().iter().any(|(t, _)| t.index() == 0)) {
        return;
    }
    let sites: Vec<Site> = (0..f.blocks.len()).filter_map(|bi| tail_site(f, bi, me)).collect();
    if sites.is_empty() {
        return;
    }
    let int = |f: &mut Function| f.new_value(Type::Int);
    let uses_add = sites.iter().any(|s| matches!(s.kind, Kind::Add(_)));
    let uses_mul = sites.iter().any(|s| matches!(s.kind, Kind::Mul(_)));
    // The few instructions added here cannot fail; the call's site only annotates them.
    let site = f.blocks[sites[0].block].insts[sites[0].call].site;

    // The old entry becomes the loop header `H(params.., acc?, mul?, depth)`; a new entry
    // jumps to it.
    let header = BlockId::new(f.blocks.len());
    let acc = uses_add.then(|| int(f));
    let mul = uses_mul.then(|| int(f));
    let depth = int(f);
    let param_types: Vec<Type> = f.params.iter().map(|&p| f.ty(p)).collect();
    let new_params: Vec<ValueId> = param_types.into_iter().map(|t| f.new_value(t)).collect();
    let mut old_entry = std::mem::replace(
        &mut f.blocks[0],
        Block { params: new_params.clone(), insts: vec![], term: Terminator::Unreachable },
    );
    old_entry.params.extend(acc.iter().chain(mul.iter()).copied());
    old_entry.params.push(depth);
    f.blocks.push(old_entry);
    let mut entry_args = new_params.clone();
    for (v, init) in [(acc, 0), (mul, 1), (Some(depth), 0)] {
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
    let overflow = BlockId::new(f.blocks.len());
    f.blocks.push(Block {
        params: vec![],
        insts: vec![Inst {
            result: None,
            kind: InstKind::RtCall { func: RtFn::ErrorStackOverflow, args: vec![] },
            site,
        }],
        term: Terminator::Unreachable,
    });

    // Tail calls: drop the call (and its combining op), update the accumulators, loop.
    for s in &sites {
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
        let mut args = s.args.clone();
        args.extend(next_acc.iter().chain(next_mul.iter()).copied());
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
