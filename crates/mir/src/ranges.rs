//! Which Int values are known to be in `[0, 2^63)` (non-negative), for backends that divide
//! such values by constants more cheaply than arbitrary ones (no sign fix-up).
//!
//! Two facts per value: `nn` (the value is `>= 0`) and `lt` (the value is `< i64::MAX`, so
//! adding 1 cannot wrap). They come from
//! - constants;
//! - `x + c` for a constant `c` in `{0, 1}`: `nn` when `x` is `nn` and, for `c = 1`, `lt`
//!   (then `x + 1 <= i64::MAX` does not wrap), counting the tests on the way to the add;
//! - `x % d` with `x` non-negative (the remainder takes the dividend's sign and
//!   `|x % d| <= x`), `x / d` with `x` non-negative and a constant `d > 0`;
//! - `select` of two such values;
//! - branch conditions: a block entered only through the edge where `x < y` holds has
//!   `x < i64::MAX` there, `x > c` with `c >= -1` (or `x >= c`, `c >= 0`, or `x > y`/`x >= y`
//!   with `y` non-negative) gives `x >= 0` (likewise for the edge into a block parameter);
//! - block parameters: a fact holds for a parameter when it holds for the argument on every
//!   edge into its block (with that edge's condition and the guards of its source block).
//!
//! Parameters are solved optimistically (all facts assumed, then dropped until nothing
//! changes): what remains is an inductive invariant, because each rule derives its fact from
//! facts of values computed earlier in any execution, so by induction over the steps of a
//! run every value has the facts left for it. A counted loop `i = 0; loop(i < n) { ...;
//! i = i + 1 }` has `i` non-negative in its body this way, rotated or not.

use crate::ir::*;

/// How many dominating blocks `NonNegative::guarded` looks at.
const MAX_GUARD_DEPTH: usize = 64;

/// Facts about one value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fact {
    /// `v >= 0`.
    nn: bool,
    /// `v < i64::MAX`.
    lt: bool,
}

impl Fact {
    const ALL: Fact = Fact { nn: true, lt: true };
    fn or(self, o: Fact) -> Fact {
        Fact { nn: self.nn || o.nn, lt: self.lt || o.lt }
    }
    fn and(self, o: Fact) -> Fact {
        Fact { nn: self.nn && o.nn, lt: self.lt && o.lt }
    }
}

/// The non-negative Int values of one function (`NonNegative::new`).
pub struct NonNegative {
    facts: Vec<Fact>,
    consts: Vec<Option<i64>>,
    /// Per value: the comparison defining it, if it is an `IntCmp`.
    cmps: Vec<Option<(CmpOp, ValueId, ValueId)>>,
    idom: Vec<Option<usize>>,
    preds: Vec<Vec<usize>>,
    /// Per block entered only from one side of one branch: that branch's condition, and
    /// whether it held on the way in.
    entry_cond: Vec<Option<(ValueId, bool)>>,
}

impl NonNegative {
    /// Solves the facts of `f` (legal MIR).
    pub fn new(f: &Function) -> NonNegative {
        let nv = f.values.len();
        let mut consts = vec![None; nv];
        let mut cmps = vec![None; nv];
        for inst in f.blocks.iter().flat_map(|b| &b.insts) {
            let Some(r) = inst.result.filter(|r| r.index() < nv) else { continue };
            match inst.kind {
                InstKind::Const(Const::Int(n)) => consts[r.index()] = Some(n),
                InstKind::IntCmp { op, a, b } => cmps[r.index()] = Some((op, a, b)),
                _ => {}
            }
        }
        let preds = f.predecessors();
        // The entry is also entered by the call, whatever a branch into it tested.
        let entry_cond = (0..f.blocks.len())
            .map(|b| match preds[b].as_slice() {
                [p] if b != 0 => match &f.blocks[*p].term {
                    Terminator::Branch { cond, then_block, else_block, .. }
                        if then_block != else_block =>
                    {
                        Some((*cond, then_block.index() == b))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let mut s = NonNegative {
            facts: vec![Fact::default(); nv],
            consts,
            cmps,
            idom: f.dominators(),
            preds,
            entry_cond,
        };
        // Optimistic start for Int block parameters, except the entry's, which are the
        // function's parameters (anything may be passed); instruction results are
        // recomputed from their operands in every round.
        for b in f.blocks.iter().skip(1) {
            for &p in &b.params {
                if f.ty(p) == Type::Int {
                    s.facts[p.index()] = Fact::ALL;
                }
            }
        }
        let order = f.reverse_post_order();
        // Each round that changes something drops at least one of the `2 * nv` facts (the
        // rules are monotone), so this converges within the bound; if it somehow did not,
        // the facts would not be an invariant, and none are kept.
        let mut converged = false;
        for _ in 0..4 * nv + 4 {
            let mut changed = false;
            for &b in &order {
                for inst in &f.blocks[b].insts {
                    let Some(r) = inst.result.filter(|r| r.index() < nv) else { continue };
                    let new = if f.ty(r) == Type::Int {
                        s.inst_fact(&inst.kind, b)
                    } else {
                        Fact::default()
                    };
                    changed |= s.facts[r.index()] != new;
                    s.facts[r.index()] = new;
                }
            }
            for &b in &order {
                for (pi, &p) in f.blocks[b].params.iter().enumerate() {
                    let old = s.facts[p.index()];
                    if old == Fact::default() {
                        continue;
                    }
                    let new = old.and(s.param_fact(f, b, pi));
                    changed |= new != old;
                    s.facts[p.index()] = new;
                }
            }
            if !changed {
                converged = true;
                break;
            }
        }
        if !converged {
            s.facts.fill(Fact::default());
        }
        s
    }

    /// Whether Int value `v`, read in block `b`, is known to be `>= 0` there.
    pub fn at(&self, v: ValueId, b: BlockId) -> bool {
        self.fact(v).nn || self.guarded(v, b.index()).nn
    }

    fn fact(&self, v: ValueId) -> Fact {
        let own = self.facts.get(v.index()).copied().unwrap_or_default();
        match self.konst(v) {
            Some(c) => own.or(Fact { nn: c >= 0, lt: c < i64::MAX }),
            None => own,
        }
    }

    fn konst(&self, v: ValueId) -> Option<i64> {
        self.consts.get(v.index()).copied().flatten()
    }

    /// The facts of the result of `k`, an instruction of block `blk`. The tests on the way
    /// into `blk` count: `i + 1` in the body of a loop testing `i < n` at its top cannot wrap.
    fn inst_fact(&self, k: &InstKind, blk: usize) -> Fact {
        let at = |v: ValueId| self.fact(v).or(self.guarded(v, blk));
        match *k {
            InstKind::Const(Const::Int(c)) => Fact { nn: c >= 0, lt: c < i64::MAX },
            InstKind::IntBin { op: IntOp::Add, a, b } => {
                let (x, c) = match (self.konst(a), self.konst(b)) {
                    (_, Some(c)) => (a, c),
                    (Some(c), None) => (b, c),
                    (None, None) => return Fact::default(),
                };
                let fx = at(x);
                match c {
                    0 => fx,
                    1 => Fact { nn: fx.nn && fx.lt, lt: false },
                    _ => Fact::default(),
                }
            }
            InstKind::IntBin { op: IntOp::Rem, a, b } => {
                // x >= 0: 0 <= x % d <= x, and x % d < |d| <= i64::MAX unless d = i64::MIN.
                let fa = at(a);
                let small = self.konst(b).is_some_and(|d| d != i64::MIN);
                Fact { nn: fa.nn, lt: fa.nn && (fa.lt || small) }
            }
            InstKind::IntBin { op: IntOp::Div, a, b } => match self.konst(b) {
                Some(d) if d > 0 => {
                    let fa = at(a);
                    Fact { nn: fa.nn, lt: fa.nn && (fa.lt || d >= 2) }
                }
                _ => Fact::default(),
            },
            InstKind::Select { a, b, .. } => at(a).and(at(b)),
            _ => Fact::default(),
        }
    }

    /// What holds for the argument of parameter `pi` of block `b` on every edge into `b`.
    fn param_fact(&self, f: &Function, b: usize, pi: usize) -> Fact {
        let mut all = Fact::ALL;
        for &p in &self.preds[b] {
            if self.idom.get(p).copied().flatten().is_none() {
                continue; // unreachable: passes nothing at run time
            }
            // What the argument `a` has on an edge out of `p`, where the edge's condition,
            // if any, is `cond` being `taken`.
            let arg = |args: &[ValueId], edge: Option<(ValueId, bool)>| -> Fact {
                let Some(&a) = args.get(pi) else { return Fact::default() };
                let fa = self.fact(a).or(self.guarded(a, p));
                match edge {
                    Some((cond, taken)) => fa.or(self.cond_fact(cond, taken, a)),
                    None => fa,
                }
            };
            let fact = match &f.blocks[p].term {
                Terminator::Jump { args, .. } => arg(args, None),
                Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
                    match (then_block.index() == b, else_block.index() == b) {
                        // Both edges into `b`: no edge condition, what holds on both.
                        (true, true) => arg(then_args, None).and(arg(else_args, None)),
                        (true, false) => arg(then_args, Some((*cond, true))),
                        (false, true) => arg(else_args, Some((*cond, false))),
                        (false, false) => Fact::default(),
                    }
                }
                Terminator::Return(_) | Terminator::Unreachable => Fact::default(),
            };
            all = all.and(fact);
        }
        all
    }

    /// What the branch conditions on the way into block `b` say about `x` there: each block
    /// on `b`'s dominator chain (`b` included) that is entered only from one side of a branch
    /// saw that side's condition hold, on the same `x` (its definition dominates the test).
    fn guarded(&self, x: ValueId, b: usize) -> Fact {
        let mut out = Fact::default();
        let mut cur = b;
        // The chain ends at the entry (its own dominator). Only the nearest tests are looked
        // at, which keeps deeply nested code linear; missing a fact is always safe.
        for _ in 0..MAX_GUARD_DEPTH.min(self.idom.len()) {
            if let Some(Some((cond, taken))) = self.entry_cond.get(cur) {
                out = out.or(self.cond_fact(*cond, *taken, x));
            }
            match self.idom.get(cur).copied().flatten() {
                Some(d) if d != cur => cur = d,
                _ => break,
            }
        }
        out
    }

    /// What the condition `cond` being `taken` says about `x`.
    fn cond_fact(&self, cond: ValueId, taken: bool, x: ValueId) -> Fact {
        let Some((op, a, b)) = self.cmps.get(cond.index()).copied().flatten() else {
            return Fact::default();
        };
        let op = if taken { op } else { op.negated() };
        // Put `x` on the left.
        let (op, y) = if a == x {
            (op, b)
        } else if b == x {
            (op.swapped(), a)
        } else {
            return Fact::default();
        };
        let c = self.konst(y);
        let y_nn = self.fact(y).nn;
        match op {
            CmpOp::Lt => Fact { nn: false, lt: true },
            CmpOp::Le => Fact { nn: false, lt: c.is_some_and(|c| c < i64::MAX) },
            CmpOp::Gt => Fact { nn: y_nn || c.is_some_and(|c| c >= -1), lt: false },
            CmpOp::Ge => Fact { nn: y_nn, lt: false },
            CmpOp::Eq => self.fact(y),
            CmpOp::Ne => Fact::default(),
        }
    }
}
