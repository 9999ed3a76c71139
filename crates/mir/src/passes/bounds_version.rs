//! Loop versioning for array bounds checks, on legal MIR: a counted loop whose body reads
//! compact arrays at indices affine in the loop's counter gets a copy in which those reads are
//! `array_load`s (no bounds, kind or null check), entered when a test before the loop proves
//! every index the loop can read in range; otherwise the original loop runs.
//!
//! The loops handled: a natural loop with a unique outside predecessor, whose header ends in
//! `br (iv < lim | iv <= lim), T, E` (`T` in the loop, `E` outside), where `iv` is a header
//! parameter every back edge passes as `iv + c` (`c` a constant in `1..=MAX_STEP`) and `lim` is
//! loop-invariant, and which contains no other loop. Every instruction in it must be clean in
//! the sense of `array_views` (no call of any kind, no release, no push or despecializing
//! `set`): so no array's length, buffer or kind changes while it runs and no array is freed,
//! which also gives the backends their array views of the copy. The reads versioned are
//! `get`s outside the header, on a compact array (`layout::array_kind`) defined outside the
//! loop, of an Int `iv * m + b`, `m * iv + b`, `b + iv * m`, `iv * m - b` (`m`, `b`
//! invariant; `iv` alone is `m = 1, b = 0`).
//!
//! Why the test is sound: a read outside the header runs only in an iteration that passed the
//! header's test, so with `hi = lim - 1` (`<`) or `lim` (`<=`) its `iv` is in `init..=hi` as
//! long as `iv` never wraps. The test requires `-2^31 <= init`, `hi <= 2^31` (so `iv + c`
//! cannot wrap) and per read `0 <= m <= 2^31` and `|b| < 2^62`: then `iv * m + b` is exact (no
//! wrap) for every such `iv`, nondecreasing in `iv`, and `init * m + b >= 0` and
//! `hi * m + b < len` put every index in `0..len` (the length cannot change in the loop).
//! When `init > hi` the loop body never runs and either copy does the same (the test may then
//! compute garbage, harmlessly). Parts of the test known at compile time are folded; a read
//! whose constant `m` or `b` is out of those bounds is not versioned.
//!
//! Values of the loop used after it are merged at its exits: each such use must lie in the
//! dominator subtree of an exit block whose predecessors are all in the loop, which gets a
//! block parameter per value (the original or the copy's, by edge). Loops of any other shape
//! are left alone.
//!
//! In the copy, `v = get(a, todyn t)` becomes `x = array_load a[t]; v = todyn x`, and
//! `simplify` then folds `isnull v` to false (removing the null side `guard_sink` split off)
//! and `fromdyn v` to `x`.

use super::{for_each_operand_mut, value_defs, ValueMap};
use crate::array_views::{inst_is_clean, ArrayOp};
use crate::ir::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// Loops with more instructions or blocks than this are not copied (compile time, code size).
const MAX_LOOP_INSTS: usize = 160;
const MAX_LOOP_BLOCKS: usize = 24;
/// At most this many loops are versioned per function.
const MAX_VERSIONED: usize = 32;
/// Bounds that keep the test's arithmetic exact (see the module docs).
const IV_BOUND: i64 = 1 << 31;
const M_BOUND: i64 = 1 << 31;
const B_BOUND: i64 = (1 << 62) - 1;
const MAX_STEP: i64 = 1 << 32;

/// Versions the loops of every function (see the module docs).
/// Returns whether any loop was versioned.
pub fn version_bounds_checks(m: &mut Module) -> bool {
    let mut funcs = std::mem::take(&mut m.funcs);
    let mut changed = false;
    for f in &mut funcs {
        changed |= version_function(m, f);
    }
    m.funcs = funcs;
    changed
}

/// A loop-invariant Int: a constant known at compile time, or a value (defined outside the
/// loop, or computed in it from invariant values only, and then recomputed before it).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Inv {
    Const(i64),
    Val(ValueId),
}

/// A `get` to version: where it is, its receiver, its Int index `t = iv * m + b` (`- b` when
/// `neg_b`).
struct GetPlan {
    block: usize,
    inst: usize,
    recv: ValueId,
    index: ValueId,
    m: Inv,
    b: Inv,
    neg_b: bool,
}

/// Everything needed to version one loop, found before anything changes.
struct Plan {
    header: usize,
    body: Vec<usize>,
    in_loop: Vec<bool>,
    preheader: usize,
    iv_index: usize,
    le: bool,
    lim: Inv,
    gets: Vec<GetPlan>,
    /// Exit blocks that get parameters, with the loop values each needs, and its dominator
    /// subtree (where those values' uses are renamed).
    exits: Vec<ExitParams>,
}

/// The CFG facts of a function as it is between two versionings.
struct Cfg<'a> {
    preds: &'a [Vec<usize>],
    idom: &'a [Option<usize>],
    loops: &'a [NaturalLoop],
}

/// An exit block, the loop values it gets parameters for, and its dominator subtree.
type ExitParams = (usize, Vec<ValueId>, Vec<usize>);

fn version_function(m: &mut Module, f: &mut Function) -> bool {
    // Cheap first look: only functions reading compact arrays can gain.
    let reads_compact = f.blocks.iter().flat_map(|b| &b.insts).any(|i| match &i.kind {
        InstKind::DynMethodCall { recv, method, args } => {
            compact_elem(m, f, *recv).is_some()
                && m.symbols.get(method.index()).and_then(|s| ArrayOp::classify(s, args.len()))
                    == Some(ArrayOp::Get)
        }
        _ => false,
    });
    if !reads_compact {
        return false;
    }
    let mut done: FxHashSet<usize> = FxHashSet::default();
    let mut changed = false;
    for _ in 0..MAX_VERSIONED {
        // Computed afresh after every versioning, which changes the CFG.
        let preds = f.predecessors();
        let idom = f.dominators_with(&preds);
        let loops = f.natural_loops_with(&preds, &idom);
        let cfg = Cfg { preds: &preds, idom: &idom, loops: &loops };
        let mut plan = None;
        for l in &loops {
            if done.insert(l.header) {
                plan = analyze(m, f, l, &cfg);
                if plan.is_some() {
                    break;
                }
            }
        }
        let Some(plan) = plan else { break };
        let clone_header = apply(m, f, &plan);
        done.insert(clone_header);
        changed = true;
    }
    if changed {
        // Folds the copies' null sides away (see the module docs).
        super::simplify::simplify_function(f);
    }
    changed
}

/// The constant an Int value is defined as, if any.
fn const_of(f: &Function, defs: &ValueMap<(usize, usize)>, v: ValueId) -> Option<i64> {
    let &(b, i) = defs.get(&v)?;
    match f.blocks[b].insts[i].kind {
        InstKind::Const(Const::Int(n)) => Some(n),
        _ => None,
    }
}

/// Analysis context for one loop.
struct Cx<'a> {
    m: &'a Module,
    f: &'a Function,
    defs: ValueMap<(usize, usize)>,
    def_block: ValueMap<usize>,
    in_loop: &'a [bool],
}

impl Cx<'_> {
    fn defined_in_loop(&self, v: ValueId) -> bool {
        self.def_block.get(&v).is_some_and(|&b| self.in_loop[b])
    }

    /// Whether `v` has the same value in every iteration and can be recomputed before the
    /// loop without changing behavior (pure, cannot fail).
    fn invariant(&self, v: ValueId, depth: u32) -> Option<Inv> {
        if let Some(n) = const_of(self.f, &self.defs, v) {
            return Some(Inv::Const(n));
        }
        if !self.defined_in_loop(v) {
            return Some(Inv::Val(v));
        }
        if depth > 6 {
            return None;
        }
        let &(b, i) = self.defs.get(&v)?;
        let ok = match &self.f.blocks[b].insts[i].kind {
            InstKind::IntBin { op: IntOp::Add | IntOp::Sub | IntOp::Mul, a, b } => {
                self.invariant(*a, depth + 1).is_some() && self.invariant(*b, depth + 1).is_some()
            }
            InstKind::IntNeg(a) => self.invariant(*a, depth + 1).is_some(),
            InstKind::FromDyn { value, to: Type::Int } => {
                self.invariant(*value, depth + 1).is_some()
            }
            // The length of an array defined outside the loop: nothing in a clean loop changes
            // it, and the inline read cannot fail on a live array.
            InstKind::DynMethodCall { recv, method, args } => {
                !self.defined_in_loop(*recv)
                    && compact_elem(self.m, self.f, *recv).is_some()
                    && self
                        .m
                        .symbols
                        .get(method.index())
                        .and_then(|s| ArrayOp::classify(s, args.len()))
                        == Some(ArrayOp::Length)
            }
            _ => false,
        };
        ok.then_some(Inv::Val(v))
    }

    /// `t` as `iv * m + b` (`neg_b`: `- b`), if it has that form.
    fn affine(&self, t: ValueId, iv: ValueId) -> Option<(Inv, Inv, bool)> {
        if let Some(m) = self.scaled(t, iv) {
            return Some((m, Inv::Const(0), false));
        }
        if let Some(b) = self.invariant(t, 0) {
            return Some((Inv::Const(0), b, false));
        }
        let &(bi, ii) = self.defs.get(&t)?;
        match self.f.blocks[bi].insts[ii].kind {
            InstKind::IntBin { op: IntOp::Add, a, b } => {
                if let (Some(m), Some(b)) = (self.scaled(a, iv), self.invariant(b, 0)) {
                    return Some((m, b, false));
                }
                let (m, a) = (self.scaled(b, iv)?, self.invariant(a, 0)?);
                Some((m, a, false))
            }
            InstKind::IntBin { op: IntOp::Sub, a, b } => {
                Some((self.scaled(a, iv)?, self.invariant(b, 0)?, true))
            }
            _ => None,
        }
    }

    /// `t` as `iv * m`, if it has that form (`iv` itself is `m = 1`).
    fn scaled(&self, t: ValueId, iv: ValueId) -> Option<Inv> {
        if t == iv {
            return Some(Inv::Const(1));
        }
        let &(bi, ii) = self.defs.get(&t)?;
        match self.f.blocks[bi].insts[ii].kind {
            InstKind::IntBin { op: IntOp::Mul, a, b } if a == iv => self.invariant(b, 0),
            InstKind::IntBin { op: IntOp::Mul, a, b } if b == iv => self.invariant(a, 0),
            _ => None,
        }
    }
}

/// The element type of `recv`'s arrays when it has a compact kind.
fn compact_elem(m: &Module, f: &Function, recv: ValueId) -> Option<Type> {
    let Type::Array(sites) = f.ty(recv) else { return None };
    let elem = m.array_elem(sites);
    layout::array_kind(elem).map(|_| elem)
}

/// The plan for versioning loop `l`, if it has the shape handled (see the module docs).
fn analyze(m: &Module, f: &Function, l: &NaturalLoop, cfg: &Cfg) -> Option<Plan> {
    let loops = cfg.loops;
    let h = l.header;
    let p = l.preheader?;
    let in_loop = &l.body;
    let body: Vec<usize> = (0..f.blocks.len()).filter(|&b| in_loop[b]).collect();
    // Innermost loops only (the copy of an outer loop would copy its inner loops too).
    if loops.iter().any(|o| o.header != h && in_loop[o.header]) {
        return None;
    }
    if body.len() > MAX_LOOP_BLOCKS
        || body.iter().map(|&b| f.blocks[b].insts.len()).sum::<usize>() > MAX_LOOP_INSTS
    {
        return None;
    }
    // A quick look for a read to version before the costlier analysis.
    let has_get = body.iter().filter(|&&b| b != h).flat_map(|&b| &f.blocks[b].insts).any(|i| {
        matches!(&i.kind, InstKind::DynMethodCall { recv, method, args }
            if compact_elem(m, f, *recv).is_some()
                && m.symbols.get(method.index()).and_then(|s| ArrayOp::classify(s, args.len()))
                    == Some(ArrayOp::Get))
    });
    if !has_get {
        return None;
    }
    // The preheader reaches the header by one edge.
    if f.blocks[p].term.successors().iter().filter(|(t, _)| t.index() == h).count() != 1 {
        return None;
    }
    // (The loop's own boxings: a `set` of a value boxed elsewhere only counts as unclean.)
    let boxed_from: FxHashMap<ValueId, Type> = body
        .iter()
        .flat_map(|&b| &f.blocks[b].insts)
        .filter_map(|i| match i.kind {
            InstKind::ToDyn(x) => Some((i.result?, f.ty(x))),
            _ => None,
        })
        .collect();
    if !body
        .iter()
        .all(|&b| f.blocks[b].insts.iter().all(|i| inst_is_clean(m, f, &boxed_from, &i.kind)))
    {
        return None;
    }
    let (defs, def_block) = value_defs(f);
    let cx = Cx { m, f, defs, def_block, in_loop };
    // The exit test `iv < lim` / `iv <= lim` in the header.
    let Terminator::Branch { cond, then_block, else_block, .. } = &f.blocks[h].term else {
        return None;
    };
    if !in_loop[then_block.index()] || in_loop[else_block.index()] || then_block.index() == h {
        return None;
    }
    let &(cb, ci) = cx.defs.get(cond)?;
    if cb != h {
        return None;
    }
    let InstKind::IntCmp { op, a, b } = f.blocks[h].insts[ci].kind else { return None };
    let (iv, lim, le) = match op {
        CmpOp::Lt => (a, b, false),
        CmpOp::Le => (a, b, true),
        CmpOp::Gt => (b, a, false),
        CmpOp::Ge => (b, a, true),
        _ => return None,
    };
    let iv_index = f.blocks[h].params.iter().position(|&q| q == iv)?;
    let lim = cx.invariant(lim, 0)?;
    // Every back edge passes `iv + c`, 1 <= c <= MAX_STEP.
    let preds = cfg.preds;
    for &q in preds[h].iter().filter(|&&q| in_loop[q]) {
        for (t, args) in f.blocks[q].term.successors() {
            if t.index() != h {
                continue;
            }
            let next = *args.get(iv_index)?;
            let &(nb, ni) = cx.defs.get(&next)?;
            let InstKind::IntBin { op: IntOp::Add, a, b } = f.blocks[nb].insts[ni].kind else {
                return None;
            };
            let c = match (a == iv, b == iv) {
                (true, _) => const_of(f, &cx.defs, b)?,
                (_, true) => const_of(f, &cx.defs, a)?,
                _ => return None,
            };
            if !(1..=MAX_STEP).contains(&c) {
                return None;
            }
        }
    }
    // The reads to version (never in the header: those run before its test).
    let mut gets = Vec::new();
    for &bi in body.iter().filter(|&&b| b != h) {
        for (ii, inst) in f.blocks[bi].insts.iter().enumerate() {
            let InstKind::DynMethodCall { recv, method, args } = &inst.kind else { continue };
            let is_get =
                m.symbols.get(method.index()).and_then(|s| ArrayOp::classify(s, args.len()))
                    == Some(ArrayOp::Get);
            if !is_get || inst.result.is_none() || cx.defined_in_loop(*recv) {
                continue;
            }
            if compact_elem(m, f, *recv).is_none() {
                continue;
            }
            let Some(&(tb, ti)) = cx.defs.get(&args[0]) else { continue };
            let InstKind::ToDyn(index) = f.blocks[tb].insts[ti].kind else { continue };
            if f.ty(index) != Type::Int {
                continue;
            }
            let Some((mm, bb, neg_b)) = cx.affine(index, iv) else { continue };
            if matches!(mm, Inv::Const(k) if !(0..=M_BOUND).contains(&k))
                || matches!(bb, Inv::Const(k) if !(-B_BOUND..=B_BOUND).contains(&k))
            {
                continue;
            }
            gets.push(GetPlan { block: bi, inst: ii, recv: *recv, index, m: mm, b: bb, neg_b });
        }
    }
    if gets.is_empty() {
        return None;
    }
    let exits = exit_params(f, &cx, preds, cfg.idom)?;
    Some(Plan {
        header: h,
        body,
        in_loop: in_loop.clone(),
        preheader: p,
        iv_index,
        le,
        lim,
        gets,
        exits,
    })
}

/// The exit blocks that need parameters for values of the loop used after it, or `None` when
/// some use is not below a dedicated exit (an exit whose predecessors are all in the loop).
fn exit_params(
    f: &Function,
    cx: &Cx,
    preds: &[Vec<usize>],
    idom: &[Option<usize>],
) -> Option<Vec<ExitParams>> {
    let n = f.blocks.len();
    let in_loop = cx.in_loop;
    let mut needs: Vec<(usize, Vec<ValueId>)> = Vec::new();
    let mut used: Vec<ValueId> = Vec::new();
    for u in (0..n).filter(|&u| !in_loop[u] && idom[u].is_some()) {
        let blk = &f.blocks[u];
        used.clear();
        for i in &blk.insts {
            i.kind.for_each_operand(|x| used.push(x));
        }
        blk.term.for_each_operand(|x| used.push(x));
        for &x in used.iter().filter(|&&x| cx.defined_in_loop(x)) {
            // The outside block just below the loop on `u`'s dominator path.
            let mut root = u;
            loop {
                let d = idom[root]?;
                if d == root {
                    return None;
                }
                if in_loop[d] {
                    break;
                }
                root = d;
            }
            if preds[root].is_empty() || preds[root].iter().any(|&q| !in_loop[q]) {
                return None;
            }
            match needs.iter_mut().find(|(r, _)| *r == root) {
                Some((_, xs)) if xs.contains(&x) => {}
                Some((_, xs)) => xs.push(x),
                None => needs.push((root, vec![x])),
            }
        }
    }
    let mut children = vec![Vec::new(); n];
    for (b, d) in idom.iter().enumerate() {
        if let Some(d) = *d {
            if d != b {
                children[d].push(b);
            }
        }
    }
    Some(
        needs
            .into_iter()
            .map(|(r, xs)| {
                let mut sub = Vec::new();
                let mut work = vec![r];
                while let Some(b) = work.pop() {
                    sub.push(b);
                    work.extend(children[b].iter().copied());
                }
                (r, xs, sub)
            })
            .collect(),
    )
}

/// Emits the test block(s) and the copy; returns the copy's header.
fn apply(m: &mut Module, f: &mut Function, plan: &Plan) -> usize {
    let h = plan.header;
    let (defs, def_block) = value_defs(f);
    let site = f.blocks[h].insts.first().map_or(SiteId(0), |i| i.site);
    let len_sym = length_symbol(m);
    // The test block: parameters like the header's, passed on to whichever copy runs.
    let g = f.blocks.len();
    let g_params: Vec<ValueId> =
        f.blocks[h].params.clone().iter().map(|&p| f.new_value(f.ty(p))).collect();
    // The counter's start, as a constant when it is one (most loops start at 0).
    let start = f.blocks[plan.preheader]
        .term
        .successors()
        .iter()
        .find(|(t, _)| t.index() == h)
        .and_then(|(_, args)| args.get(plan.iv_index).copied());
    let init = match start.and_then(|v| const_of(f, &defs, v)) {
        Some(n) => Inv::Const(n),
        None => Inv::Val(g_params[plan.iv_index]),
    };
    let mut gb = Guard {
        f,
        defs: &defs,
        def_block: &def_block,
        in_loop: &plan.in_loop,
        insts: Vec::new(),
        site,
        memo: FxHashMap::default(),
        lengths: FxHashMap::default(),
    };
    let hi = if plan.le { plan.lim } else { gb.arith(IntOp::Sub, plan.lim, Inv::Const(1)) };
    let mut conds: Vec<ValueId> = Vec::new();
    let mut keep = |c: Option<ValueId>| conds.extend(c);
    keep(gb.cmp(CmpOp::Ge, init, Inv::Const(-IV_BOUND)));
    keep(gb.cmp(CmpOp::Le, hi, Inv::Const(IV_BOUND)));
    for get in &plan.gets {
        let len = gb.length(get.recv, len_sym);
        keep(gb.cmp(CmpOp::Ge, get.m, Inv::Const(0)));
        keep(gb.cmp(CmpOp::Le, get.m, Inv::Const(M_BOUND)));
        keep(gb.cmp(CmpOp::Ge, get.b, Inv::Const(-B_BOUND)));
        keep(gb.cmp(CmpOp::Le, get.b, Inv::Const(B_BOUND)));
        let add = if get.neg_b { IntOp::Sub } else { IntOp::Add };
        let lo_prod = gb.arith(IntOp::Mul, init, get.m);
        let lo = gb.arith(add, lo_prod, get.b);
        keep(gb.cmp(CmpOp::Ge, lo, Inv::Const(0)));
        let hi_prod = gb.arith(IntOp::Mul, hi, get.m);
        let top = gb.arith(add, hi_prod, get.b);
        keep(gb.cmp(CmpOp::Lt, top, len));
    }
    let g_insts = std::mem::take(&mut gb.insts);
    // Blocks: g, one per further condition, then the two entries.
    let n_checks = conds.len().saturating_sub(1);
    let ph_orig = g + 1 + n_checks;
    let ph_copy = ph_orig + 1;
    let copy_base = ph_copy + 1;
    let copy_of: FxHashMap<usize, usize> =
        plan.body.iter().enumerate().map(|(i, &b)| (b, copy_base + i)).collect();
    let mut blocks: Vec<Block> = Vec::new();
    let check_term = |k: usize| -> Terminator {
        let next = if k + 1 < conds.len() { g + 1 + k } else { ph_copy };
        Terminator::Branch {
            cond: conds[k],
            then_block: BlockId::new(next),
            then_args: vec![],
            else_block: BlockId::new(ph_orig),
            else_args: vec![],
        }
    };
    let g_term = if conds.is_empty() {
        Terminator::Jump { target: BlockId::new(ph_copy), args: vec![] }
    } else {
        check_term(0)
    };
    blocks.push(Block { params: g_params.clone(), insts: g_insts, term: g_term });
    for k in 1..conds.len() {
        blocks.push(Block { params: vec![], insts: vec![], term: check_term(k) });
    }
    blocks.push(Block {
        params: vec![],
        insts: vec![],
        term: Terminator::Jump { target: BlockId::new(h), args: g_params.clone() },
    });
    blocks.push(Block {
        params: vec![],
        insts: vec![],
        term: Terminator::Jump { target: BlockId::new(copy_of[&h]), args: g_params },
    });
    // The copy, with fresh values for everything the loop defines.
    let mut vmap: FxHashMap<ValueId, ValueId> = FxHashMap::default();
    for &b in &plan.body {
        let blk = &f.blocks[b];
        let vals: Vec<ValueId> =
            blk.params.iter().copied().chain(blk.insts.iter().filter_map(|i| i.result)).collect();
        for v in vals {
            let fresh = f.new_value(f.ty(v));
            vmap.insert(v, fresh);
        }
    }
    let rename = |v: &mut ValueId| {
        if let Some(&n) = vmap.get(v) {
            *v = n;
        }
    };
    let retarget = |t: &mut BlockId| {
        if let Some(&n) = copy_of.get(&t.index()) {
            *t = BlockId::new(n);
        }
    };
    for &b in &plan.body {
        let mut blk = f.blocks[b].clone();
        blk.params.iter_mut().for_each(rename);
        for inst in &mut blk.insts {
            if let Some(r) = &mut inst.result {
                rename(r);
            }
            for_each_operand_mut(&mut inst.kind, rename);
        }
        match &mut blk.term {
            Terminator::Jump { target, args } => {
                retarget(target);
                args.iter_mut().for_each(rename);
            }
            Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
                rename(cond);
                retarget(then_block);
                retarget(else_block);
                then_args.iter_mut().for_each(rename);
                else_args.iter_mut().for_each(rename);
            }
            Terminator::Return(v) => rename(v),
            Terminator::Unreachable => {}
        }
        blocks.push(blk);
    }
    // The versioned reads, in the copy (later instructions first, so indices stay valid).
    let mut gets: Vec<&GetPlan> = plan.gets.iter().collect();
    gets.sort_by_key(|g| std::cmp::Reverse((g.block, g.inst)));
    for get in gets {
        let cb = copy_of[&get.block] - g;
        let old = blocks[cb].insts[get.inst].clone();
        let Some(r) = old.result else { continue };
        let elem = compact_elem(m, f, get.recv).unwrap_or(Type::Int);
        let loaded = f.new_value(elem);
        let index = vmap.get(&get.index).copied().unwrap_or(get.index);
        let load = Inst {
            result: Some(loaded),
            kind: InstKind::ArrayLoad { arr: get.recv, index },
            site: old.site,
        };
        let boxed = Inst { result: Some(r), kind: InstKind::ToDyn(loaded), site: old.site };
        blocks[cb].insts.splice(get.inst..=get.inst, [load, boxed]);
        // Its null tests are false (done here so that `simplify` folds their branches in
        // its first round).
        for blk in blocks.iter_mut().skip(copy_base - g) {
            for inst in &mut blk.insts {
                if inst.kind == InstKind::IsNull(r) {
                    inst.kind = InstKind::Const(Const::Bool(false));
                }
            }
        }
    }
    // Exits: a parameter per loop value used below them, passed by both copies.
    for (exit, xs, sub) in &plan.exits {
        let params: Vec<ValueId> = xs.iter().map(|&x| f.new_value(f.ty(x))).collect();
        let map: FxHashMap<ValueId, ValueId> =
            xs.iter().copied().zip(params.iter().copied()).collect();
        for &b in sub {
            super::replace_uses_in_block(&mut f.blocks[b], &map);
        }
        f.blocks[*exit].params.extend(params);
        let copied: Vec<ValueId> = xs.iter().map(|x| vmap[x]).collect();
        for &b in &plan.body {
            add_edge_args(&mut f.blocks[b].term, *exit, xs);
        }
        for blk in blocks.iter_mut().skip(copy_base - g) {
            add_edge_args(&mut blk.term, *exit, &copied);
        }
    }
    // The preheader now enters the test block.
    f.blocks[plan.preheader].term.map_targets(|t| {
        if t.index() == h {
            *t = BlockId::new(g);
        }
    });
    f.blocks.extend(blocks);
    copy_of[&h]
}

/// Appends `args` to the arguments of every edge of `term` into `target`.
fn add_edge_args(term: &mut Terminator, target: usize, args: &[ValueId]) {
    match term {
        Terminator::Jump { target: t, args: a } if t.index() == target => a.extend_from_slice(args),
        Terminator::Branch { then_block, then_args, else_block, else_args, .. } => {
            if then_block.index() == target {
                then_args.extend_from_slice(args);
            }
            if else_block.index() == target {
                else_args.extend_from_slice(args);
            }
        }
        _ => {}
    }
}

/// The symbol of the ArrayBox `length` method (added when the program never names it).
fn length_symbol(m: &mut Module) -> SymId {
    match m.symbols.iter().position(|s| s == "length") {
        Some(i) => SymId::new(i),
        None => {
            m.symbols.push("length".to_string());
            SymId::new(m.symbols.len() - 1)
        }
    }
}

/// Builds the instructions of the test block, folding what is known at compile time.
struct Guard<'a> {
    f: &'a mut Function,
    defs: &'a ValueMap<(usize, usize)>,
    def_block: &'a ValueMap<usize>,
    in_loop: &'a [bool],
    insts: Vec<Inst>,
    site: SiteId,
    /// Loop values recomputed in the test block.
    memo: FxHashMap<ValueId, ValueId>,
    /// The length (Int) of each array read in the test block.
    lengths: FxHashMap<ValueId, ValueId>,
}

impl Guard<'_> {
    fn emit(&mut self, ty: Type, kind: InstKind) -> ValueId {
        let r = self.f.new_value(ty);
        self.insts.push(Inst { result: Some(r), kind, site: self.site });
        r
    }

    /// `v` in the test block: itself when defined outside the loop, else its (invariant,
    /// pure) definition recomputed there.
    fn value(&mut self, v: ValueId) -> ValueId {
        if !self.def_block.get(&v).is_some_and(|&b| self.in_loop[b]) {
            return v;
        }
        if let Some(&c) = self.memo.get(&v) {
            return c;
        }
        let Some(&(b, i)) = self.defs.get(&v) else { return v };
        let mut kind = self.f.blocks[b].insts[i].kind.clone();
        // An array's length read in the loop: read it once for the limit and the checks.
        if let InstKind::FromDyn { value, to: Type::Int } = kind {
            if let Some(&(lb, li)) = self.defs.get(&value) {
                if let InstKind::DynMethodCall { recv, method, .. } =
                    self.f.blocks[lb].insts[li].kind
                {
                    if let Inv::Val(r) = self.length(recv, method) {
                        self.memo.insert(v, r);
                        return r;
                    }
                }
            }
        }
        let mut ops = Vec::new();
        for_each_operand_mut(&mut kind, |o| ops.push(*o));
        let new_ops: Vec<ValueId> = ops.into_iter().map(|o| self.value(o)).collect();
        let mut it = new_ops.into_iter();
        for_each_operand_mut(&mut kind, |o| {
            if let Some(n) = it.next() {
                *o = n;
            }
        });
        let r = self.emit(self.f.ty(v), kind);
        self.memo.insert(v, r);
        r
    }

    fn operand(&mut self, x: Inv) -> ValueId {
        match x {
            Inv::Val(v) => self.value(v),
            Inv::Const(n) => self.emit(Type::Int, InstKind::Const(Const::Int(n))),
        }
    }

    /// `a op b` with wrapping Int arithmetic.
    fn arith(&mut self, op: IntOp, a: Inv, b: Inv) -> Inv {
        match (op, a, b) {
            (IntOp::Add, Inv::Const(x), Inv::Const(y)) => Inv::Const(x.wrapping_add(y)),
            (IntOp::Sub, Inv::Const(x), Inv::Const(y)) => Inv::Const(x.wrapping_sub(y)),
            (IntOp::Mul, Inv::Const(x), Inv::Const(y)) => Inv::Const(x.wrapping_mul(y)),
            (IntOp::Add | IntOp::Sub, x, Inv::Const(0)) => x,
            (IntOp::Mul, x, Inv::Const(1)) | (IntOp::Mul, Inv::Const(1), x) => x,
            (IntOp::Mul, _, Inv::Const(0)) | (IntOp::Mul, Inv::Const(0), _) => Inv::Const(0),
            _ => {
                let (a, b) = (self.operand(a), self.operand(b));
                Inv::Val(self.emit(Type::Int, InstKind::IntBin { op, a, b }))
            }
        }
    }

    /// The condition `a op b`: `None` when it holds at compile time (a condition known to
    /// fail at compile time is still emitted, and `simplify` folds the branch).
    fn cmp(&mut self, op: CmpOp, a: Inv, b: Inv) -> Option<ValueId> {
        if let (Inv::Const(x), Inv::Const(y)) = (a, b) {
            if op.holds(x, y) {
                return None;
            }
            return Some(self.emit(Type::Bool, InstKind::Const(Const::Bool(false))));
        }
        let (a, b) = (self.operand(a), self.operand(b));
        Some(self.emit(Type::Bool, InstKind::IntCmp { op, a, b }))
    }

    /// The length of array `recv` (defined outside the loop) as an Int.
    fn length(&mut self, recv: ValueId, sym: SymId) -> Inv {
        if let Some(&l) = self.lengths.get(&recv) {
            return Inv::Val(l);
        }
        let d = self.emit(Type::Dyn, InstKind::DynMethodCall { recv, method: sym, args: vec![] });
        let l = self.emit(Type::Int, InstKind::FromDyn { value: d, to: Type::Int });
        self.lengths.insert(recv, l);
        Inv::Val(l)
    }
}
