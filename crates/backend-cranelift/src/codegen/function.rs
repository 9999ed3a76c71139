//! Lowering of one MIR function: blocks, block parameters, values and terminators.
//!
//! MIR is SSA with block parameters, exactly like CLIF, so every MIR value maps straight to
//! one CLIF value (two for `Repr::Boxed`: tag, payload); `Variable`s only hold the state of
//! growing array views (`fast.rs`), which changes inside a loop without a MIR value.
//! Blocks are lowered in reverse postorder so every definition is seen before its uses.

use super::annotate::{self, Notes};
use super::guarded_get;
use super::{clif_types, Declared};
use crate::internal;
use cranelift_codegen::ir::condcodes::CondCode;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, TrapCode};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::Module;
use nyash_mir::passes::is_borrowed_get;
use nyash_mir::ranges::NonNegative;
use nyash_mir::{
    array_views, dominates, ArrayViews, BackendError, BlockId, Const, Function, InstKind,
    Module as MirModule, NaturalLoop, Repr, RtFn, Terminator, ValueId,
};
use rustc_hash::FxHashMap;

/// Trap code for `Terminator::Unreachable` (control never gets there).
pub(super) const TRAP_UNREACHABLE: TrapCode = TrapCode::unwrap_user(1);
/// Trap code after a call to a runtime function that never returns.
pub(super) const TRAP_NORETURN: TrapCode = TrapCode::unwrap_user(2);

/// A MIR value in CLIF: one value, or a `(tag, payload)` pair for `Repr::Boxed`.
#[derive(Clone, Copy, Debug)]
pub(super) enum CVal {
    One(ir::Value),
    Two(ir::Value, ir::Value),
}

impl CVal {
    pub(super) fn push_to(self, out: &mut Vec<ir::Value>) {
        match self {
            CVal::One(v) => out.push(v),
            CVal::Two(t, p) => {
                out.push(t);
                out.push(p);
            }
        }
    }
}

/// State while lowering one function.
pub(super) struct FnLowering<'a, 'f, M: Module> {
    pub module: &'a mut M,
    pub declared: &'a mut Declared,
    pub mir: &'a MirModule,
    pub func: &'a Function,
    pub b: FunctionBuilder<'f>,
    values: Vec<Option<CVal>>,
    blocks: Vec<Option<ir::Block>>,
    /// Per-function references to callees, created on first use.
    func_refs: FxHashMap<cranelift_module::FuncId, ir::FuncRef>,
    data_refs: FxHashMap<cranelift_module::DataId, ir::GlobalValue>,
    /// Numeric constants by MIR value, so division by a known divisor skips its checks.
    pub consts: FxHashMap<ValueId, Const>,
    /// MIR annotations for the CLIF text, when asked for.
    notes: Option<Notes>,
    /// Typed array accesses that use a header read before their loop (`array_views`).
    pub views: ArrayViews,
    /// The MIR block being lowered.
    pub current: BlockId,
    /// The `(data, len)` each preheader read for a receiver.
    pub view_vals: FxHashMap<(BlockId, ValueId), (ir::Value, ir::Value)>,
    /// Per growing view (preheader, receiver): the variables holding its `[data, len, cap]`
    /// across the loop (the frontend's SSA construction makes the block parameters).
    pub grow_vars: FxHashMap<(BlockId, ValueId), [Variable; 3]>,
    /// Per MIR block: how many natural loops contain it.
    loop_depth: Vec<u32>,
    /// The function runs at most once per program run (`MirModule::runs_once`).
    runs_once: bool,
    /// Per MIR value: whether an instruction other than `FromDyn` (or a terminator) reads
    /// it, i.e. whether the tag word of a Boxed value matters; computed on first need.
    tag_readers: Option<Vec<bool>>,
    /// Which Int values are non-negative where they are read (`nyash_mir::ranges`), for
    /// division by constants; computed on first need.
    nonneg: Option<NonNegative>,
}

/// What `lower_function` found out besides the CLIF it built.
pub(super) struct Lowered {
    /// The annotations, when asked for.
    pub notes: Option<Notes>,
    /// The function runs once, and each of its loops (if any) calls, on every iteration, a
    /// function with a loop of its own: its instructions run at most once, or about as
    /// often as the loops they drive, so optimizing them cannot pay back (see
    /// `isa::quick_isa` and `only_drive_looping_callees`).
    pub cold: bool,
}

/// Builds the CLIF body of MIR function `index` into `clif` (whose signature is already set).
pub(super) fn lower_function<M: Module>(
    module: &mut M,
    declared: &mut Declared,
    mir: &MirModule,
    index: usize,
    clif: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
    annotate: bool,
) -> Result<Lowered, BackendError> {
    let Some(func) = mir.funcs.get(index) else {
        return Err(internal(None, format!("no function {index} in the module")));
    };
    let runs_once = declared.runs_once.get(index).copied().unwrap_or(false);
    let loops = func.natural_loops();
    let mut fl = FnLowering {
        module,
        declared,
        mir,
        func,
        b: FunctionBuilder::new(clif, fctx),
        values: vec![None; func.values.len()],
        blocks: vec![None; func.blocks.len()],
        func_refs: FxHashMap::default(),
        data_refs: FxHashMap::default(),
        consts: FxHashMap::default(),
        notes: annotate.then(Notes::default),
        views: array_views(mir, func),
        current: BlockId(0),
        view_vals: FxHashMap::default(),
        grow_vars: FxHashMap::default(),
        loop_depth: loop_depths(func, &loops),
        runs_once,
        tag_readers: None,
        nonneg: None,
    };
    fl.lower_body()?;
    let notes = fl.notes.take();
    let cold = fl.runs_once && only_drive_looping_callees(mir, func, &loops);
    let frontend_config = fl.module.target_config();
    fl.b.seal_all_blocks();
    fl.b.finalize(frontend_config);
    Ok(Lowered { notes, cold })
}

impl<M: Module> FnLowering<'_, '_, M> {
    /// Whether anything may read the tag word of the Boxed value `v`: every use but
    /// `FromDyn`, which reads the payload alone (see `tag_readers`).
    pub(super) fn tag_needed(&mut self, v: ValueId) -> bool {
        let f = self.func;
        let readers = self.tag_readers.get_or_insert_with(|| {
            let mut read = vec![false; f.values.len()];
            let mut mark = |v: ValueId| {
                if let Some(r) = read.get_mut(v.index()) {
                    *r = true;
                }
            };
            for b in &f.blocks {
                for inst in &b.insts {
                    if !matches!(inst.kind, InstKind::FromDyn { .. }) {
                        inst.kind.operands().into_iter().for_each(&mut mark);
                    }
                }
                b.term.operands().into_iter().for_each(&mut mark);
            }
            read
        });
        readers.get(v.index()).copied().unwrap_or(true)
    }

    /// Whether Int value `v`, read in the block being lowered, is known to be `>= 0`.
    pub(super) fn non_negative_here(&mut self, v: ValueId) -> bool {
        let func = self.func;
        self.nonneg.get_or_insert_with(|| NonNegative::new(func)).at(v, self.current)
    }

    /// Whether the instruction being lowered runs at most once per program run (outside
    /// every loop of a function that runs once): then inline fast paths cannot pay for
    /// themselves, and the plain runtime call (which every fast path falls back to, so the
    /// behaviour is the same) keeps the function small and quick to compile.
    pub(super) fn runs_once_here(&self) -> bool {
        self.runs_once && self.loop_depth.get(self.current.index()).is_some_and(|&d| d == 0)
    }

    pub(super) fn err(&self, message: impl std::fmt::Display) -> BackendError {
        internal(Some(&self.func.name), message)
    }

    fn lower_body(&mut self) -> Result<(), BackendError> {
        let func = self.func;
        if func.blocks.is_empty() {
            return Err(self.err("function has no blocks"));
        }
        if func.blocks[0].params != func.params {
            return Err(self.err("the entry block's parameters differ from the function's"));
        }
        let order = reverse_postorder(func);
        for &bid in &order {
            let block = self.b.create_block();
            self.blocks[bid.index()] = Some(block);
        }
        let entry_bb = self.clif_block(BlockId(0))?;
        // CLIF's entry block may not be a branch target; if MIR jumps back to bb0, enter
        // through a separate block that forwards the parameters.
        let bb0_is_target = order.iter().any(|&bid| {
            func.block(bid).term.successors().iter().any(|(succ, _)| succ.index() == 0)
        });
        let entry = if bb0_is_target { self.b.create_block() } else { entry_bb };
        self.b.append_block_params_for_function_params(entry);
        for &bid in &order {
            if bid.index() == 0 && !bb0_is_target {
                let params = self.b.block_params(entry).to_vec();
                self.bind_params(&func.blocks[0].params, &params)?;
                continue;
            }
            let block = self.clif_block(bid)?;
            let mut params = Vec::new();
            for &p in &func.block(bid).params {
                for &ty in clif_types(func.ty(p).repr()) {
                    params.push(self.b.append_block_param(block, ty));
                }
            }
            self.bind_params(&func.block(bid).params, &params)?;
        }
        if bb0_is_target {
            self.b.switch_to_block(entry);
            let args: Vec<BlockArg> =
                self.b.block_params(entry).iter().map(|&v| BlockArg::from(v)).collect();
            self.b.ins().jump(entry_bb, &args);
        }

        let mir = self.mir;
        let mut dominance = None;
        for &bid in &order {
            let block = self.clif_block(bid)?;
            self.b.switch_to_block(block);
            if let Some(notes) = &mut self.notes {
                notes.blocks.insert(block, annotate::block_header(func, bid));
            }
            self.current = bid;
            let insts = &func.block(bid).insts;
            let term = &func.block(bid).term;
            // A typed `get` and its null guard ending the block are lowered together
            // (`guarded_get.rs`); a preheader's views are taken before its terminator, so
            // such a block is never a preheader.
            let fused = !self.views.take.contains_key(&bid)
                && !self.views.take_growing.contains_key(&bid)
                && guarded_get::fusable_guard(mir, func, bid, &mut dominance);
            let plain = if fused { insts.len() - 2 } else { insts.len() };
            let mut k = 0;
            while k < plain {
                let inst = &insts[k];
                let mark = self.mark();
                // A borrowed element (`get` + `Release` of it) is one load: no counting.
                if k + 1 < plain
                    && is_borrowed_get(mir, func, insts, k)
                    && self.lower_borrowed_get(inst)?
                {
                    self.annotate(mark, || annotate::inst_text(mir, inst));
                    self.annotate(mark, || annotate::inst_text(mir, &insts[k + 1]));
                    k += 2;
                    continue;
                }
                self.lower_inst(inst)?;
                self.annotate(mark, || annotate::inst_text(mir, inst));
                k += 1;
            }
            if fused {
                let get = &insts[plain];
                let mark = self.mark();
                if self.lower_guarded_get(get, term)? {
                    self.annotate(mark, || annotate::inst_text(mir, get));
                    self.annotate(mark, || annotate::inst_text(mir, &insts[plain + 1]));
                    self.annotate(mark, || annotate::term_text(term));
                    continue;
                }
                for inst in &insts[plain..] {
                    let mark = self.mark();
                    self.lower_inst(inst)?;
                    self.annotate(mark, || annotate::inst_text(mir, inst));
                }
            }
            let mark = self.mark();
            self.take_array_views(bid)?;
            self.lower_terminator(term)?;
            self.annotate(mark, || annotate::term_text(term));
        }
        Ok(())
    }

    /// Maps MIR block parameters onto the CLIF values just created for them.
    fn bind_params(&mut self, mir: &[ValueId], clif: &[ir::Value]) -> Result<(), BackendError> {
        let mut next = clif.iter().copied();
        for &p in mir {
            let val = match self.func.ty(p).repr() {
                Repr::Boxed => match (next.next(), next.next()) {
                    (Some(t), Some(v)) => CVal::Two(t, v),
                    _ => return Err(self.err("block parameter count mismatch")),
                },
                _ => match next.next() {
                    Some(v) => CVal::One(v),
                    None => return Err(self.err("block parameter count mismatch")),
                },
            };
            self.values[p.index()] = Some(val);
        }
        Ok(())
    }

    fn lower_terminator(&mut self, term: &Terminator) -> Result<(), BackendError> {
        match term {
            Terminator::Jump { target, args } => {
                let block = self.clif_block(*target)?;
                let args = self.block_args(args)?;
                self.b.ins().jump(block, &args);
            }
            Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
                let cond = self.one(*cond)?;
                let then_b = self.clif_block(*then_block)?;
                let else_b = self.clif_block(*else_block)?;
                let then_args = self.block_args(then_args)?;
                let else_args = self.block_args(else_args)?;
                // Cranelift's block order places a branch's second successor right after
                // it. A loop's test (`br cond, body, exit`) reads better the other way round,
                // with the body falling through, so when `then` stays in a loop that `else`
                // leaves, branch on the complemented integer comparison instead.
                let depth = |b: BlockId| self.loop_depth.get(b.index()).copied().unwrap_or(0);
                if depth(*then_block) > depth(*else_block) {
                    if let Some(inverse) = self.complement_icmp(cond) {
                        self.b.ins().brif(inverse, else_b, &else_args, then_b, &then_args);
                        return Ok(());
                    }
                }
                self.b.ins().brif(cond, then_b, &then_args, else_b, &else_args);
            }
            Terminator::Return(v) => {
                let vals = self.flatten(&[*v])?;
                self.b.ins().return_(&vals);
            }
            Terminator::Unreachable => {
                self.b.ins().trap(TRAP_UNREACHABLE);
            }
        }
        Ok(())
    }

    /// A fresh comparison that is true exactly when `cond` is false, when `cond` is an
    /// integer comparison (every MIR `IntCmp`, the loop tests that matter here).
    fn complement_icmp(&mut self, cond: ir::Value) -> Option<ir::Value> {
        let dfg = &self.b.func.dfg;
        let ir::ValueDef::Result(inst, 0) = dfg.value_def(cond) else { return None };
        match dfg.insts[inst] {
            ir::InstructionData::IntCompare { opcode: ir::Opcode::Icmp, cond: cc, args } => {
                Some(self.b.ins().icmp(cc.complement(), args[0], args[1]))
            }
            _ => None,
        }
    }

    pub(super) fn block_args(&self, args: &[ValueId]) -> Result<Vec<BlockArg>, BackendError> {
        Ok(self.flatten(args)?.into_iter().map(BlockArg::from).collect())
    }

    pub(super) fn clif_block(&self, bid: BlockId) -> Result<ir::Block, BackendError> {
        self.blocks
            .get(bid.index())
            .copied()
            .flatten()
            .ok_or_else(|| self.err(format!("branch to missing block {bid}")))
    }

    // ---- values ----

    pub(super) fn get(&self, v: ValueId) -> Result<CVal, BackendError> {
        self.values
            .get(v.index())
            .copied()
            .flatten()
            .ok_or_else(|| self.err(format!("{v} is used before it is defined")))
    }

    /// A single-word (I64, F64 or Bool) value.
    /// `v != 0` as a Bool (`i8` 0 or 1). Below -O3 Cranelift runs no constant folding (its
    /// e-graph is off, `isa::build`), so this and `widen_bool` fold the conversions the
    /// lowering wraps around constants (a `true` stored into a Bool array) themselves.
    pub(super) fn nonzero(&mut self, v: ir::Value) -> ir::Value {
        match self.iconst_of(v) {
            Some(n) => self.b.ins().iconst(ir::types::I8, i64::from(n != 0)),
            None => self.b.ins().icmp_imm_s(ir::condcodes::IntCC::NotEqual, v, 0),
        }
    }

    /// A Bool (`i8` 0 or 1) as an i64 payload.
    pub(super) fn widen_bool(&mut self, x: ir::Value) -> ir::Value {
        match self.iconst_of(x) {
            Some(n) => self.b.ins().iconst(ir::types::I64, n & 1),
            None => self.b.ins().uextend(ir::types::I64, x),
        }
    }

    pub(super) fn one(&self, v: ValueId) -> Result<ir::Value, BackendError> {
        match self.get(v)? {
            CVal::One(x) => Ok(x),
            CVal::Two(..) => {
                Err(self.err(format!("{v} is Boxed where an unboxed value is needed")))
            }
        }
    }

    /// A Boxed value's `(tag, payload)`.
    pub(super) fn pair(&self, v: ValueId) -> Result<(ir::Value, ir::Value), BackendError> {
        match self.get(v)? {
            CVal::Two(t, p) => Ok((t, p)),
            CVal::One(_) => Err(self.err(format!("{v} is unboxed where a Boxed value is needed"))),
        }
    }

    pub(super) fn flatten(&self, vals: &[ValueId]) -> Result<Vec<ir::Value>, BackendError> {
        let mut out = Vec::with_capacity(vals.len() * 2);
        for &v in vals {
            self.get(v)?.push_to(&mut out);
        }
        Ok(out)
    }

    /// Binds an instruction result, checking the shape against the value's representation.
    pub(super) fn define(
        &mut self,
        result: Option<ValueId>,
        val: CVal,
    ) -> Result<(), BackendError> {
        let Some(r) = result else { return Ok(()) };
        let boxed = self.func.ty(r).repr() == Repr::Boxed;
        if boxed != matches!(val, CVal::Two(..)) {
            return Err(self.err(format!("{r}: produced value does not fit its type")));
        }
        self.values[r.index()] = Some(val);
        Ok(())
    }

    // ---- references to other functions and data ----

    pub(super) fn func_ref(&mut self, id: cranelift_module::FuncId) -> ir::FuncRef {
        if let Some(&r) = self.func_refs.get(&id) {
            return r;
        }
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.func_refs.insert(id, r);
        r
    }

    pub(super) fn rt_ref(&mut self, f: RtFn) -> Result<ir::FuncRef, BackendError> {
        let id = self.declared.rt.get(self.module, f)?;
        Ok(self.func_ref(id))
    }

    /// The address of a data object, as an i64.
    pub(super) fn data_addr(&mut self, id: cranelift_module::DataId) -> ir::Value {
        let gv = match self.data_refs.get(&id) {
            Some(&gv) => gv,
            None => {
                let gv = self.module.declare_data_in_func(id, self.b.func);
                self.data_refs.insert(id, gv);
                gv
            }
        };
        self.b.ins().symbol_value(ir::types::I64, gv)
    }

    // ---- annotations ----

    /// The current block and its last instruction, to find what the next lowering emits.
    fn mark(&self) -> Option<(ir::Block, Option<ir::Inst>)> {
        self.notes.as_ref()?;
        let block = self.b.current_block()?;
        Some((block, self.b.func.layout.last_inst(block)))
    }

    /// Attaches `text` to the first CLIF instruction emitted since `mark` (or to the next
    /// one emitted, if this MIR instruction produced no CLIF, e.g. a Boxed `ToDyn`).
    fn annotate(
        &mut self,
        mark: Option<(ir::Block, Option<ir::Inst>)>,
        text: impl FnOnce() -> String,
    ) {
        let Some((block, last)) = mark else { return };
        let layout = &self.b.func.layout;
        let first = match last {
            Some(i) => layout.next_inst(i),
            None => layout.first_inst(block),
        };
        if let Some(notes) = &mut self.notes {
            notes.pending.push(text());
            if let Some(first) = first {
                let pending = std::mem::take(&mut notes.pending);
                notes.insts.entry(first).or_default().extend(pending);
            }
        }
    }
}

/// How many of `loops` (the function's natural loops) contain each block.
fn loop_depths(func: &Function, loops: &[NaturalLoop]) -> Vec<u32> {
    let mut depth = vec![0; func.blocks.len()];
    for l in loops {
        for (d, &inside) in depth.iter_mut().zip(&l.body) {
            *d += u32::from(inside);
        }
    }
    depth
}

/// Whether every iteration of each of `loops` (those of `func`; vacuously true without any)
/// calls a function that has a loop itself: a block of the loop that dominates each of its
/// latches (so it runs on every iteration) makes a direct call to such a function. Such a
/// loop (`main` stepping a simulation, say) spends its time in the callee; its own few
/// instructions per iteration are not worth the backtracking register allocator, which
/// costs about twice the single-pass one.
fn only_drive_looping_callees(mir: &MirModule, func: &Function, loops: &[NaturalLoop]) -> bool {
    if loops.is_empty() {
        return true;
    }
    let idom = func.dominators();
    let calls_looping = |b: usize| {
        func.blocks[b].insts.iter().any(|inst| match inst.kind {
            InstKind::Call { func: g, .. } => mir.funcs.get(g.index()).is_some_and(|callee| {
                !std::ptr::eq(callee, func) && !callee.natural_loops().is_empty()
            }),
            _ => false,
        })
    };
    loops.iter().all(|l| {
        let inside = |b: usize| l.body.get(b).copied().unwrap_or(false);
        let latches: Vec<usize> = (0..func.blocks.len())
            .filter(|&b| {
                inside(b)
                    && func.blocks[b].term.successors().iter().any(|(s, _)| s.index() == l.header)
            })
            .collect();
        (0..func.blocks.len())
            .filter(|&b| inside(b))
            .any(|b| latches.iter().all(|&latch| dominates(&idom, b, latch)) && calls_looping(b))
    })
}

/// Blocks reachable from the entry, in reverse postorder (definitions before uses in SSA).
/// Unreachable blocks are skipped: they cannot run and need no code.
fn reverse_postorder(func: &Function) -> Vec<BlockId> {
    let n = func.blocks.len();
    let mut visited = vec![false; n];
    let mut post = Vec::with_capacity(n);
    // (block, index of the next successor to visit)
    let mut stack: Vec<(BlockId, usize)> = vec![(BlockId(0), 0)];
    visited[0] = true;
    while let Some(&mut (bid, ref mut next)) = stack.last_mut() {
        // Visit successors last-first so the first one (e.g. a branch's `then`) comes first
        // in the final order, keeping the CLIF layout close to the MIR's.
        let succs = func.block(bid).term.successors();
        if let Some(&(succ, _)) = succs.iter().rev().nth(*next) {
            *next += 1;
            if succ.index() < n && !visited[succ.index()] {
                visited[succ.index()] = true;
                stack.push((succ, 0));
            }
        } else {
            post.push(bid);
            stack.pop();
        }
    }
    post.reverse();
    post
}
