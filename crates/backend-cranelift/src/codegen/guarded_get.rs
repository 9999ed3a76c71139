//! A typed array `get` whose result is null-tested right away, lowered as one bounds check.
//!
//! MIR ends such a block with `v = get a[i]; c = isnull v; br c, T, E` (after
//! `passes::sink_null_guards`). Lowered one instruction at a time, the inline `get` joins its
//! "in range" and "out of range" paths in a block whose parameters are `v`'s tag and payload,
//! and the branch then tests the tag again; Cranelift has no jump threading to remove that
//! join. Here the bounds check branches straight to `T` (out of range: `v` is null) or, after
//! the load, to `E` (`v` is an element of the array's kind), so `v` is never merged or tested.
//!
//! Conditions (`fusable_guard`): the test's result is used only by the branch; `v` is not a
//! branch argument, and every other use of `v` is in a block dominated by `E`, whose only
//! predecessor is this block (so `T`'s side never needs `v`; `sink_null_guards` turns its
//! uses there into `null`). The array kind, liveness and index checks are those of
//! `array_fast_path`; anything unusual still calls the runtime, whose result is tested.

use super::function::{CVal, FnLowering, TRAP_NORETURN};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, BlockArg, InstBuilder, MemFlagsData};
use cranelift_module::Module;
use nyash_mir::{
    layout, tag, ArrayOp, BackendError, BlockId, Function, Inst, InstKind, Terminator, Type,
    ValueId,
};

/// Dominance facts of one function, computed when the first candidate block is found.
pub(super) struct Dominance {
    idom: Vec<Option<usize>>,
    preds: Vec<Vec<usize>>,
}

impl Dominance {
    fn new(f: &Function) -> Self {
        Dominance { idom: f.dominators(), preds: f.predecessors() }
    }
    fn dominates(&self, a: usize, b: usize) -> bool {
        nyash_mir::dominates(&self.idom, a, b)
    }
}

/// Whether the last two instructions of `block` and its terminator are a typed `get` and its
/// null guard that `lower_guarded_get` can lower together.
pub(super) fn fusable_guard(
    mir: &nyash_mir::Module,
    f: &Function,
    block: BlockId,
    dom: &mut Option<Dominance>,
) -> bool {
    let blk = f.block(block);
    let Terminator::Branch { cond, then_block, else_block, then_args, else_args } = &blk.term
    else {
        return false;
    };
    let [.., get, test] = blk.insts.as_slice() else { return false };
    let (Some(v), Some(c)) = (get.result, test.result) else { return false };
    if c != *cond || test.kind != InstKind::IsNull(v) || then_block == else_block {
        return false;
    }
    let InstKind::DynMethodCall { recv, method, args } = &get.kind else { return false };
    let Type::Array(sites) = f.ty(*recv) else { return false };
    if layout::array_kind(mir.array_elem(sites)).is_none()
        || mir.symbols.get(method.index()).and_then(|s| ArrayOp::classify(s, args.len()))
            != Some(ArrayOp::Get)
        || then_args.iter().chain(else_args).any(|&a| a == v || a == c)
    {
        return false;
    }
    let d = dom.get_or_insert_with(|| Dominance::new(f));
    let e = else_block.index();
    if d.preds.get(e).map(Vec::as_slice) != Some(&[block.index()]) {
        return false;
    }
    // Every use of `v` but the test is under `E`; `c` has no use but the branch.
    f.blocks.iter().enumerate().all(|(bi, b)| {
        let own = bi == block.index();
        let insts_ok = b.insts.iter().enumerate().all(|(k, i)| {
            // Runs for every instruction of the function per candidate: no operand list.
            let (mut reads_c, mut reads_v) = (false, false);
            i.kind.for_each_operand(|x| {
                reads_c |= x == c;
                reads_v |= x == v;
            });
            let is_test = own && k + 1 == b.insts.len();
            !reads_c && (is_test || !reads_v || d.dominates(e, bi))
        });
        let (mut term_c, mut term_v) = (false, false);
        let mut term_read = |x: ValueId| {
            term_c |= x == c;
            term_v |= x == v;
        };
        b.term.successors().iter().flat_map(|(_, a)| a.iter().copied()).for_each(&mut term_read);
        match &b.term {
            Terminator::Branch { cond, .. } if !own => term_read(*cond),
            Terminator::Return(r) => term_read(*r),
            _ => {}
        }
        let term_ok = !term_c && (!term_v || d.dominates(e, bi));
        insts_ok && term_ok
    })
}

impl<M: Module> FnLowering<'_, '_, M> {
    /// Lowers `get` (a typed array read, see `fusable_guard`) together with the block's
    /// terminator `br isnull(get), T, E`. Emits nothing and returns false when the index is
    /// never an Int (the ordinary lowering just calls the runtime then).
    pub(super) fn lower_guarded_get(
        &mut self,
        get: &Inst,
        term: &Terminator,
    ) -> Result<bool, BackendError> {
        let InstKind::DynMethodCall { recv, method, args } = &get.kind else {
            return Err(self.err("guarded get is not a method call"));
        };
        let Terminator::Branch { then_block, then_args, else_block, else_args, .. } = term else {
            return Err(self.err("guarded get without a branch"));
        };
        let Type::Array(sites) = self.func.ty(*recv) else {
            return Err(self.err("guarded get on a receiver that is not an array"));
        };
        let Some((kind, size)) = layout::array_kind(self.mir.array_elem(sites)) else {
            return Err(self.err("guarded get on an array without a compact kind"));
        };
        let then_b = self.clif_block(*then_block)?;
        let else_b = self.clif_block(*else_block)?;
        let then_args: Vec<BlockArg> = self.block_args(then_args)?;
        let else_args: Vec<BlockArg> = self.block_args(else_args)?;
        let (_, rp) = self.pair(*recv)?;
        // A loop view's `(data, len)`, else a growing view's current ones (as in `fast.rs`).
        let view = self
            .views
            .view_of(self.current, *recv)
            .and_then(|p| self.view_vals.get(&(p, *recv)).copied())
            .or_else(|| {
                let p = self.views.growing_view_of(self.current, *recv)?;
                let [data, len, _] = *self.grow_vars.get(&(p, *recv))?;
                Some((self.b.use_var(data), self.b.use_var(len)))
            });
        let (it, ip) = self.pair(args[0])?;
        // The index's tag, when it must be checked.
        let index_tag = match self.iconst_of(it) {
            Some(k) if k != tag::INT => return Ok(false),
            Some(_) => None,
            None => Some(it),
        };
        let flags = MemFlagsData::trusted();
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        let mut slow_used = false;
        if let Some(it) = index_tag {
            let cond = self.b.ins().icmp_imm_s(IntCC::Equal, it, tag::INT);
            let next = self.b.create_block();
            self.b.ins().brif(cond, next, &[], slow, &[]);
            self.b.switch_to_block(next);
            slow_used = true;
        }
        let payload = {
            // Unsigned compare: a negative index is out of range too; a freed array has
            // length 0 (see `array_fast_path`).
            let len = match view {
                Some((_, len)) => len,
                None => self.b.ins().load(types::I64, flags, rp, layout::ARRAY_LEN_OFFSET as i32),
            };
            let outside = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, ip, len);
            let load_b = self.b.create_block();
            let out = self.b.create_block();
            self.b.set_cold_block(out);
            // The load is the `else` target: Cranelift's block order places a branch's
            // second successor (and what it leads to) right after it, so the hot path falls
            // through and the null side (`T`'s region) goes after it.
            self.b.ins().brif(outside, out, &[], load_b, &[]);
            self.b.switch_to_block(out);
            if view.is_some() {
                // The preheader checked that the array is live; nothing in the loop frees it.
                self.b.ins().jump(then_b, &then_args);
            } else {
                // Null for a live array; a freed one (RC checking) must reach the runtime.
                let rc = self.b.ins().load(types::I64, flags, rp, layout::REFCOUNT_OFFSET as i32);
                let live = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, rc, 1);
                self.b.ins().brif(live, then_b, &then_args, slow, &[]);
                slow_used = true;
            }
            self.b.switch_to_block(load_b);
            if view.is_none() {
                let k = self.b.ins().load(types::I64, flags, rp, layout::ARRAY_KIND_OFFSET as i32);
                let ok = self.b.ins().icmp_imm_s(IntCC::Equal, k, kind);
                let next = self.b.create_block();
                self.b.ins().brif(ok, next, &[], slow, &[]);
                self.b.switch_to_block(next);
                slow_used = true;
            }
            let data = match view {
                Some((data, _)) => data,
                None => self.b.ins().load(types::I64, flags, rp, layout::ARRAY_DATA_OFFSET as i32),
            };
            let addr = match size {
                1 => self.b.ins().iadd(data, ip),
                _ => {
                    let off = self.b.ins().ishl_imm_u(ip, 3);
                    self.b.ins().iadd(data, off)
                }
            };
            // A Float is loaded as an f64 so that its typed uses need no move from an integer
            // register (`FromDyn` looks through the bitcast).
            let p = match (size, kind) {
                (1, _) => self.b.ins().uload8(types::I64, flags, addr, 0),
                (_, layout::ARRAY_KIND_FLOAT) => {
                    let x = self.b.ins().load(types::F64, flags, addr, 0);
                    self.b.ins().bitcast(types::I64, MemFlagsData::new(), x)
                }
                _ => self.b.ins().load(types::I64, flags, addr, 0),
            };
            p
        };
        // The values `E` sees: straight from the load when only the load reaches it, else
        // through a join with the runtime's answer.
        let join = if slow_used && view.is_none() {
            let j = self.b.create_block();
            self.b.append_block_param(j, types::I64);
            self.b.append_block_param(j, types::I64);
            Some(j)
        } else {
            None
        };
        let t = self.b.ins().iconst(types::I64, kind);
        match join {
            Some(j) => {
                self.b.ins().jump(j, &[t.into(), payload.into()]);
            }
            None => {
                self.define(get.result, CVal::Two(t, payload))?;
                self.b.ins().jump(else_b, &else_args);
            }
        }
        self.b.switch_to_block(slow);
        if slow_used {
            let CVal::Two(st, sp) = self.dyn_method_call(*recv, method.0, args, get.site)? else {
                return Err(self.err("nyrt_call_method must return a Boxed value"));
            };
            match join {
                Some(j) => {
                    let null = self.b.ins().icmp_imm_s(IntCC::Equal, st, tag::NULL);
                    self.b.ins().brif(null, then_b, &then_args, j, &[st.into(), sp.into()]);
                }
                // With a view only a non-Int index gets here: a runtime error.
                None => {
                    self.b.ins().trap(TRAP_NORETURN);
                }
            }
        } else {
            self.b.ins().trap(TRAP_NORETURN);
        }
        if let Some(j) = join {
            self.b.switch_to_block(j);
            let params = self.b.block_params(j).to_vec();
            self.define(get.result, CVal::Two(params[0], params[1]))?;
            self.b.ins().jump(else_b, &else_args);
        }
        Ok(true)
    }
}
