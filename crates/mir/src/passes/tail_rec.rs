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
//! and the inliner's one-level self-inlining then nests the loop once more. The observable
//! difference is stack depth: recursion that overflowed the stack through such a call now
//! runs as a loop (in every backend, the VM included, since they all run this MIR).

use crate::ir::*;

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

    // The old entry becomes the loop header `H(params.., acc?, mul?)`; a new entry jumps to it.
    let header = BlockId::new(f.blocks.len());
    let acc = uses_add.then(|| int(f));
    let mul = uses_mul.then(|| int(f));
    let param_types: Vec<Type> = f.params.iter().map(|&p| f.ty(p)).collect();
    let new_params: Vec<ValueId> = param_types.into_iter().map(|t| f.new_value(t)).collect();
    let mut old_entry = std::mem::replace(
        &mut f.blocks[0],
        Block { params: new_params.clone(), insts: vec![], term: Terminator::Unreachable },
    );
    old_entry.params.extend(acc.iter().chain(mul.iter()).copied());
    f.blocks.push(old_entry);
    let mut entry_args = new_params.clone();
    for (v, init) in [(acc, 0), (mul, 1)] {
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
        let mut args = s.args.clone();
        args.extend(next_acc.iter().chain(next_mul.iter()).copied());
        f.blocks[b].insts = insts;
        f.blocks[b].term = Terminator::Jump { target: header, args };
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
