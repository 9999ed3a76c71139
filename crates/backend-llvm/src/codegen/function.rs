//! Lowering of one MIR function body: LLVM blocks named `bbN`, block parameters as phi nodes,
//! blocks visited in reverse postorder (so every use sees its definition), and terminators.

use super::{CgError, CgResult, ModuleCodegen, Val};
use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::types::StructType;
use inkwell::values::IntValue;
use inkwell::values::{BasicValue, FunctionValue, PhiValue, PointerValue};
use nyash_mir::passes::is_borrowed_get;
use nyash_mir::ranges::NonNegative;
use nyash_mir::{
    array_views, ArrayViews, BlockId, FuncId, Function, InstKind, Repr, Terminator, ValueId,
};
use std::collections::HashMap;

/// The phi node(s) standing for one block parameter.
#[derive(Clone, Copy)]
enum ParamPhi<'ctx> {
    One(PhiValue<'ctx>),
    Two(PhiValue<'ctx>, PhiValue<'ctx>),
}

pub(super) struct FnCodegen<'m, 'a, 'ctx> {
    pub m: &'m mut ModuleCodegen<'a, 'ctx>,
    pub f: &'a Function,
    pub llfn: FunctionValue<'ctx>,
    pub builder: Builder<'ctx>,
    blocks: Vec<BasicBlock<'ctx>>,
    /// Per MIR block, the phis of its parameters (empty for an entry block nobody jumps to).
    phis: Vec<Vec<ParamPhi<'ctx>>>,
    vals: Vec<Option<Val<'ctx>>>,
    /// The stack buffer `DynMethodCall` passes its `(tag, payload)` argument pairs in:
    /// one per function, sized for the largest call, allocated in the entry block.
    pub argbuf: Option<(StructType<'ctx>, PointerValue<'ctx>)>,
    /// Typed array accesses that use a header read before their loop (`array_views`).
    pub views: ArrayViews,
    /// The MIR block being lowered.
    pub current: BlockId,
    /// The `(data, len)` each preheader read for a receiver.
    pub view_vals: HashMap<(BlockId, ValueId), (IntValue<'ctx>, IntValue<'ctx>)>,
    /// Per growing view (preheader, receiver): the stack slots of its `[data, len, cap]`,
    /// allocated in the entry block so `mem2reg` turns them into registers across the loop.
    pub grow_slots: HashMap<(BlockId, ValueId), [PointerValue<'ctx>; 3]>,
    /// Which Int values are known to be `>= 0` where (solved on first use).
    nonneg: Option<NonNegative>,
}

pub(super) fn lower_function(m: &mut ModuleCodegen<'_, '_>, id: FuncId) -> CgResult<()> {
    let mir = m.mir;
    let f = mir.func(id);
    let llfn = m.funcs[id.index()];
    let builder = m.ctx.create_builder();
    if f.blocks.is_empty() {
        return Err(CgError("function has no blocks".into()));
    }
    let entry_is_target =
        f.blocks.iter().any(|b| b.term.successors().iter().any(|(t, _)| *t == BlockId(0)));
    // Phis need a predecessor for the incoming parameters, so a jumped-to bb0 gets a
    // separate LLVM entry block.
    let prologue = entry_is_target.then(|| m.ctx.append_basic_block(llfn, "entry"));
    let blocks: Vec<_> =
        f.block_ids().map(|b| m.ctx.append_basic_block(llfn, &b.to_string())).collect();
    let mut cg = FnCodegen {
        m,
        f,
        llfn,
        builder,
        blocks,
        phis: vec![Vec::new(); f.blocks.len()],
        vals: vec![None; f.values.len()],
        argbuf: None,
        views: array_views(mir, f),
        current: BlockId(0),
        view_vals: HashMap::new(),
        grow_slots: HashMap::new(),
        nonneg: None,
    };
    for b in f.block_ids() {
        if b != BlockId(0) || entry_is_target {
            cg.make_phis(b)?;
        }
    }
    cg.prologue(prologue)?;
    // Reverse postorder: dominators come before what they dominate.
    let order: Vec<BlockId> = f.reverse_post_order().into_iter().map(BlockId::new).collect();
    let mut reached = vec![false; f.blocks.len()];
    for &b in &order {
        reached[b.index()] = true;
        cg.lower_block(b)?;
    }
    // Unreachable MIR blocks still need a terminator; their phis keep zero incoming edges.
    for b in f.block_ids().filter(|b| !reached[b.index()]) {
        cg.builder.position_at_end(cg.blocks[b.index()]);
        cg.builder.build_unreachable()?;
    }
    Ok(())
}

/// `vN` for single values, `vN.tag` / `vN.pay` for the halves of a Boxed one.
pub(super) fn value_name(v: ValueId) -> String {
    v.to_string()
}

impl<'m, 'a, 'ctx> FnCodegen<'m, 'a, 'ctx> {
    /// Whether Int value `v`, read in the block being lowered, is known to be `>= 0`.
    pub(super) fn non_negative_here(&mut self, v: ValueId) -> bool {
        let f = self.f;
        self.nonneg.get_or_insert_with(|| NonNegative::new(f)).at(v, self.current)
    }

    pub(super) fn val(&self, v: ValueId) -> CgResult<Val<'ctx>> {
        self.vals
            .get(v.index())
            .copied()
            .flatten()
            .ok_or_else(|| CgError(format!("{v} is used before it is defined")))
    }

    pub(super) fn def(&mut self, v: ValueId, val: Val<'ctx>) -> CgResult<()> {
        let want = self
            .f
            .values
            .get(v.index())
            .ok_or_else(|| CgError(format!("{v} has no type")))?
            .ty
            .repr();
        if want != val.repr() {
            return Err(CgError(format!(
                "{v} is {want:?} but its definition produces {:?}",
                val.repr()
            )));
        }
        self.vals[v.index()] = Some(val);
        Ok(())
    }

    fn make_phis(&mut self, b: BlockId) -> CgResult<()> {
        self.builder.position_at_end(self.blocks[b.index()]);
        let t = self.m.types;
        for &p in &self.f.block(b).params {
            let name = value_name(p);
            let repr = self
                .f
                .values
                .get(p.index())
                .ok_or_else(|| CgError(format!("{p} has no type")))?
                .ty
                .repr();
            let (phi, val) = match repr {
                Repr::I64 => {
                    let phi = self.builder.build_phi(t.i64, &name)?;
                    (ParamPhi::One(phi), Val::I64(phi.as_basic_value().into_int_value()))
                }
                Repr::F64 => {
                    let phi = self.builder.build_phi(t.f64, &name)?;
                    (ParamPhi::One(phi), Val::F64(phi.as_basic_value().into_float_value()))
                }
                Repr::Bool => {
                    let phi = self.builder.build_phi(t.i1, &name)?;
                    (ParamPhi::One(phi), Val::Bool(phi.as_basic_value().into_int_value()))
                }
                Repr::Boxed => {
                    let tag = self.builder.build_phi(t.i64, &format!("{name}.tag"))?;
                    let pay = self.builder.build_phi(t.i64, &format!("{name}.pay"))?;
                    let val = Val::Boxed(
                        tag.as_basic_value().into_int_value(),
                        pay.as_basic_value().into_int_value(),
                    );
                    (ParamPhi::Two(tag, pay), val)
                }
            };
            self.phis[b.index()].push(phi);
            self.def(p, val)?;
        }
        Ok(())
    }

    /// Names the LLVM arguments, allocates the call buffer and binds bb0's parameters.
    fn prologue(&mut self, separate_entry: Option<BasicBlock<'ctx>>) -> CgResult<()> {
        self.builder.position_at_end(separate_entry.unwrap_or(self.blocks[0]));
        let mut args = Vec::with_capacity(self.f.params.len());
        let mut next = 0u32;
        let llfn = self.llfn;
        let param = |i: &mut u32| -> CgResult<inkwell::values::BasicValueEnum<'ctx>> {
            let v = llfn
                .get_nth_param(*i)
                .ok_or_else(|| CgError("LLVM function has too few parameters".into()))?;
            *i += 1;
            Ok(v)
        };
        for &p in &self.f.params {
            let name = value_name(p);
            let repr = self
                .f
                .values
                .get(p.index())
                .ok_or_else(|| CgError(format!("{p} has no type")))?
                .ty
                .repr();
            let val = match repr {
                Repr::I64 => Val::I64(param(&mut next)?.into_int_value()),
                Repr::F64 => Val::F64(param(&mut next)?.into_float_value()),
                Repr::Bool => Val::Bool(param(&mut next)?.into_int_value()),
                Repr::Boxed => Val::Boxed(
                    param(&mut next)?.into_int_value(),
                    param(&mut next)?.into_int_value(),
                ),
            };
            match val {
                Val::I64(x) | Val::Bool(x) => x.set_name(&name),
                Val::F64(x) => x.set_name(&name),
                Val::Boxed(t, p) => {
                    t.set_name(&format!("{name}.tag"));
                    p.set_name(&format!("{name}.pay"));
                }
            }
            args.push(val);
        }
        let max_argc = self
            .f
            .blocks
            .iter()
            .flat_map(|b| &b.insts)
            .filter_map(|i| match &i.kind {
                InstKind::DynMethodCall { args, .. } => Some(args.len()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        if max_argc > 0 {
            let fields = vec![self.m.types.i64.into(); 2 * max_argc];
            let ty = self.m.ctx.struct_type(&fields, false);
            let ptr = self.builder.build_alloca(ty, "argbuf")?;
            self.argbuf = Some((ty, ptr));
        }
        let mut growing: Vec<(BlockId, ValueId)> = self
            .views
            .take_growing
            .iter()
            .flat_map(|(&p, arrays)| arrays.iter().map(move |&(recv, _)| (p, recv)))
            .collect();
        // In a fixed order, not the map's: the IR (its value names) must not depend on hashing.
        growing.sort_unstable();
        for key in growing {
            let i64t = self.m.types.i64;
            let slots = [
                self.builder.build_alloca(i64t, "grow.data")?,
                self.builder.build_alloca(i64t, "grow.len")?,
                self.builder.build_alloca(i64t, "grow.cap")?,
            ];
            self.grow_slots.insert(key, slots);
        }
        // `Function::params` are bb0's parameters; accept either the same ids or bb0 having
        // its own (then bound to the arguments, through phis if bb0 is also a jump target).
        let bb0_params = self.f.block(BlockId(0)).params.clone();
        if bb0_params != self.f.params {
            for (&p, &v) in self.f.params.iter().zip(&args) {
                self.def(p, v)?;
            }
        }
        if !bb0_params.is_empty() && bb0_params.len() != args.len() {
            return Err(CgError("bb0's parameters do not match the function's".into()));
        }
        match separate_entry {
            Some(entry) => {
                if !bb0_params.is_empty() {
                    self.add_incoming(BlockId(0), &args, entry)?;
                }
                self.builder.build_unconditional_branch(self.blocks[0])?;
            }
            None => {
                for (&p, &v) in bb0_params.iter().zip(&args) {
                    self.def(p, v)?;
                }
            }
        }
        Ok(())
    }

    fn lower_block(&mut self, b: BlockId) -> CgResult<()> {
        self.builder.position_at_end(self.blocks[b.index()]);
        let block = self.f.block(b);
        self.current = b;
        let mut k = 0;
        while k < block.insts.len() {
            // A borrowed element (`get` + `Release` of it) is one load: no counting.
            if is_borrowed_get(self.m.mir, self.f, &block.insts, k)
                && self.lower_borrowed_get(&block.insts[k])?
            {
                k += 2;
                continue;
            }
            self.lower_inst(&block.insts[k])?;
            k += 1;
        }
        self.take_array_views(b)?;
        self.lower_terminator(&block.term)
    }

    fn args(&self, args: &[ValueId]) -> CgResult<Vec<Val<'ctx>>> {
        args.iter().map(|&a| self.val(a)).collect()
    }

    /// Adds `args` as the incoming values of `target`'s parameter phis along the edge `from`.
    fn add_incoming(
        &mut self,
        target: BlockId,
        args: &[Val<'ctx>],
        from: BasicBlock<'ctx>,
    ) -> CgResult<()> {
        let phis = self
            .phis
            .get(target.index())
            .ok_or_else(|| CgError(format!("jump to missing block {target}")))?;
        if phis.len() != args.len() {
            return Err(CgError(format!(
                "{target} takes {} arguments, got {}",
                phis.len(),
                args.len()
            )));
        }
        for (phi, arg) in phis.iter().zip(args) {
            match (*phi, *arg) {
                (ParamPhi::One(phi), Val::I64(v) | Val::Bool(v))
                    if phi.as_basic_value().is_int_value() =>
                {
                    if phi.as_basic_value().get_type() != v.get_type().into() {
                        return Err(CgError(format!("argument type mismatch for {target}")));
                    }
                    phi.add_incoming(&[(&v as &dyn BasicValue<'ctx>, from)]);
                }
                (ParamPhi::One(phi), Val::F64(v)) if phi.as_basic_value().is_float_value() => {
                    phi.add_incoming(&[(&v as &dyn BasicValue<'ctx>, from)]);
                }
                (ParamPhi::Two(tag, pay), Val::Boxed(t, p)) => {
                    tag.add_incoming(&[(&t as &dyn BasicValue<'ctx>, from)]);
                    pay.add_incoming(&[(&p as &dyn BasicValue<'ctx>, from)]);
                }
                (_, arg) => {
                    return Err(CgError(format!(
                        "argument of representation {:?} does not fit a parameter of {target}",
                        arg.repr()
                    )))
                }
            }
        }
        Ok(())
    }

    fn current_block(&self) -> CgResult<BasicBlock<'ctx>> {
        self.builder.get_insert_block().ok_or_else(|| CgError("builder is not positioned".into()))
    }

    fn lower_terminator(&mut self, term: &Terminator) -> CgResult<()> {
        match term {
            Terminator::Jump { target, args } => {
                let args = self.args(args)?;
                let from = self.current_block()?;
                self.add_incoming(*target, &args, from)?;
                self.builder.build_unconditional_branch(self.block(*target)?)?;
            }
            Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
                let Val::Bool(c) = self.val(*cond)? else {
                    return Err(CgError(format!("branch condition {cond} is not a bool")));
                };
                let from = self.current_block()?;
                let then_ll = self.block(*then_block)?;
                let then_vals = self.args(then_args)?;
                let else_vals = self.args(else_args)?;
                if then_block == else_block {
                    // LLVM phis take one value per predecessor block, so the second edge into
                    // the same block goes through a block of its own.
                    let alt =
                        self.m.ctx.insert_basic_block_after(from, &format!("{else_block}.alt"));
                    self.builder.build_conditional_branch(c, then_ll, alt)?;
                    self.add_incoming(*then_block, &then_vals, from)?;
                    self.builder.position_at_end(alt);
                    self.add_incoming(*else_block, &else_vals, alt)?;
                    self.builder.build_unconditional_branch(then_ll)?;
                } else {
                    let else_ll = self.block(*else_block)?;
                    self.add_incoming(*then_block, &then_vals, from)?;
                    self.add_incoming(*else_block, &else_vals, from)?;
                    self.builder.build_conditional_branch(c, then_ll, else_ll)?;
                }
            }
            Terminator::Return(v) => {
                let val = self.val(*v)?;
                if val.repr() != self.f.ret.repr() {
                    return Err(CgError(format!(
                        "returns {v} of {:?}, but the function returns {:?}",
                        val.repr(),
                        self.f.ret.repr()
                    )));
                }
                match val {
                    Val::I64(x) | Val::Bool(x) => self.builder.build_return(Some(&x))?,
                    Val::F64(x) => self.builder.build_return(Some(&x))?,
                    Val::Boxed(t, p) => {
                        let pair = self.m.types.pair.get_undef();
                        let pair = self.builder.build_insert_value(pair, t, 0, "")?;
                        let pair = self.builder.build_insert_value(pair, p, 1, "ret")?;
                        self.builder.build_return(Some(&pair.as_basic_value_enum()))?
                    }
                };
            }
            Terminator::Unreachable => self.m.trap(&self.builder)?,
        }
        Ok(())
    }

    fn block(&self, b: BlockId) -> CgResult<BasicBlock<'ctx>> {
        self.blocks
            .get(b.index())
            .copied()
            .ok_or_else(|| CgError(format!("jump to missing block {b}")))
    }
}
