//! Inline fast paths for hot runtime calls: reference counting (`RtCall Retain/Release`) and
//! ArrayBox `get`/`set`/`length`/`size`/`push` on receivers of static type Array, in the
//! array's compact layout when the static element type is Int, Float or Bool.
//!
//! Contract (`nyash_mir::layout`): every heap object's word at `REFCOUNT_OFFSET` is its count;
//! live objects have count >= 1. Inline code only increments counts >= 1 and decrements counts
//! above 1; everything else (non-heap tags are filtered first, count 0 = dead under
//! `NYASH_RC_CHECK=1`, the last release running `fini`/free) calls `nyrt_retain` /
//! `nyrt_release` on a branch weighted as unlikely. Array fast paths check the index tag, the
//! array's kind word (the element layout), the stored value's tag for typed kinds, and the
//! bounds at run time and otherwise make the ordinary `nyrt_call_method` call, so every error
//! and edge case (out-of-range `set`, non-Int index, growth on `push`, a value that does not
//! fit a typed array) still comes from the runtime. Mirrors the Cranelift backend's `fast.rs`.
//! Inside a loop with an array view (`nyash_mir::array_views`) the header is read before the
//! loop instead; with a growing view, `push` keeps the buffer, length and capacity in
//! variables and calls the runtime only to grow.

use super::function::FnCodegen;
use super::tbaa::Mem;
use super::{CgError, CgResult, Val};
use crate::llvm14;

use inkwell::basic_block::BasicBlock;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValue, BasicValueEnum, IntValue, PointerValue};
use inkwell::IntPredicate;
use nyash_mir::{
    layout, tag, ArrayOp, BlockId, Inst, InstKind, RtFn, SiteId, SymId, Type, ValueId,
};

impl<'m, 'a, 'ctx> FnCodegen<'m, 'a, 'ctx> {
    pub(super) fn new_block(&self, name: &str) -> BasicBlock<'ctx> {
        self.m.ctx.append_basic_block(self.llfn, name)
    }

    /// `br cond, likely, unlikely` with branch weights saying which way is hot.
    pub(super) fn likely_branch(
        &self,
        cond: IntValue<'ctx>,
        likely: BasicBlock<'ctx>,
        unlikely: BasicBlock<'ctx>,
    ) -> CgResult<()> {
        let br = self.builder.build_conditional_branch(cond, likely, unlikely)?;
        let ctx = self.m.ctx;
        let weights = ctx.metadata_node(&[
            ctx.metadata_string("branch_weights").into(),
            self.m.types.i32.const_int(2000, false).into(),
            self.m.types.i32.const_int(1, false).into(),
        ]);
        br.set_metadata(weights, ctx.get_kind_id("prof"))
            .map_err(|e| CgError(format!("branch weights: {e}")))
    }

    /// `i64*` to the word at `base + offset`.
    fn word_at(&self, base: IntValue<'ctx>, offset: i64) -> CgResult<PointerValue<'ctx>> {
        self.word_ptr(base, offset, "")
    }

    fn store_word(&self, base: IntValue<'ctx>, offset: i64, v: IntValue<'ctx>) -> CgResult<()> {
        let ptr = self.word_at(base, offset)?;
        self.store_to(ptr, v, Mem::Obj(offset))
    }

    /// An aligned i64 store to the word at `ptr`, which is in `mem`.
    pub(super) fn store_to(
        &self,
        ptr: PointerValue<'ctx>,
        v: IntValue<'ctx>,
        mem: Mem,
    ) -> CgResult<()> {
        let store = self.builder.build_store(ptr, v)?;
        store.set_alignment(8).map_err(|e| CgError(format!("store alignment: {e}")))?;
        self.m.set_tbaa(store, mem)
    }

    /// An aligned i64 load of the word at `ptr`, which is in `mem`.
    pub(super) fn load_from(
        &self,
        ptr: PointerValue<'ctx>,
        mem: Mem,
        name: &str,
    ) -> CgResult<IntValue<'ctx>> {
        let v = self.load_word(ptr, name)?;
        if let Some(inst) = v.as_instruction_value() {
            self.m.set_tbaa(inst, mem)?;
        }
        Ok(v)
    }

    fn load_at(&self, base: IntValue<'ctx>, offset: i64, name: &str) -> CgResult<IntValue<'ctx>> {
        let ptr = self.word_at(base, offset)?;
        self.load_from(ptr, Mem::Obj(offset), name)
    }

    /// Inline `nyrt_retain(t, p)` or `nyrt_release(t, p)` (see the module docs); the builder
    /// ends up in a fresh block after it. `heap`: the value's static type says it is a heap
    /// object (`Type::is_heap`), so its tag needs no test.
    pub(super) fn inline_rc(
        &mut self,
        f: RtFn,
        t: IntValue<'ctx>,
        p: IntValue<'ctx>,
        heap: bool,
    ) -> CgResult<()> {
        let retain = f == RtFn::Retain;
        let known = t.get_sign_extended_constant();
        if known.is_some_and(|k| k < tag::STR) {
            return Ok(()); // never a heap value: the runtime call would do nothing
        }
        let check = self.new_block("rc.check");
        let fast = self.new_block("rc.fast");
        let slow = self.new_block("rc.slow");
        let done = self.new_block("rc.done");
        if heap || known.is_some() {
            self.builder.build_unconditional_branch(check)?;
        } else {
            let heap = self.builder.build_int_compare(
                IntPredicate::SGE,
                t,
                self.i64_const(tag::STR),
                "rc.heap",
            )?;
            self.builder.build_conditional_branch(heap, check, done)?;
        }
        self.builder.position_at_end(check);
        let rc = self.load_at(p, layout::REFCOUNT_OFFSET, "rc")?;
        let ok = if retain {
            self.builder.build_int_compare(IntPredicate::SGE, rc, self.i64_const(1), "rc.live")?
        } else {
            self.builder.build_int_compare(IntPredicate::SGT, rc, self.i64_const(1), "rc.many")?
        };
        self.likely_branch(ok, fast, slow)?;
        self.builder.position_at_end(fast);
        let new = if retain {
            self.builder.build_int_add(rc, self.i64_const(1), "rc.inc")?
        } else {
            self.builder.build_int_sub(rc, self.i64_const(1), "rc.dec")?
        };
        self.store_word(p, layout::REFCOUNT_OFFSET, new)?;
        self.builder.build_unconditional_branch(done)?;
        self.builder.position_at_end(slow);
        self.m.rt_call(&self.builder, f, &[Val::Boxed(t, p)], SiteId(0), "")?;
        self.builder.build_unconditional_branch(done)?;
        self.builder.position_at_end(done);
        Ok(())
    }

    /// Continues in a fresh block when `cond` holds, else branches to `slow`.
    fn guard(&self, cond: IntValue<'ctx>, slow: BasicBlock<'ctx>, name: &str) -> CgResult<()> {
        let next = self.new_block(name);
        self.likely_branch(cond, next, slow)?;
        self.builder.position_at_end(next);
        Ok(())
    }

    /// A borrowed element: `v = a.get(i)` right before `Release(v)`
    /// (`nyash_mir::passes::is_borrowed_get`). The pair never changes a count, so the fast
    /// path reads the element without a retain and the release is not emitted; only the
    /// runtime call's owned result is released. `false`: no fast path here, so the caller
    /// lowers both instructions as they are.
    pub(super) fn lower_borrowed_get(&mut self, inst: &Inst) -> CgResult<bool> {
        let InstKind::DynMethodCall { recv, method, args } = &inst.kind else { return Ok(false) };
        let name = inst.result.map(super::function::value_name).unwrap_or_default();
        match self.array_fast_path(*recv, *method, args, inst.site, &name, true)? {
            Some(v) => {
                if let Some(r) = inst.result {
                    self.def(r, v)?;
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The ArrayBox fast path of a `DynMethodCall`, if it has one: `None` means "emit the
    /// ordinary call".
    ///
    /// The layout is chosen by the receiver's static element type: Int, Float or Bool
    /// elements use the compact kinds (8 or 1 bytes, no reference counting), anything else
    /// `(tag, payload)` pairs. Either way the array's kind word is checked against the layout
    /// the code assumes (the runtime may have turned a typed array into one of values, and an
    /// array of values may reach a receiver typed Array(sites) of mixed sites); a mismatch
    /// goes to the runtime call like every other unusual case.
    ///
    /// `borrow`: the result is borrowed, so it takes no reference (see `lower_borrowed_get`).
    pub(super) fn array_fast_path(
        &mut self,
        recv: ValueId,
        method: SymId,
        args: &[ValueId],
        site: SiteId,
        name: &str,
        borrow: bool,
    ) -> CgResult<Option<Val<'ctx>>> {
        let Type::Array(sites) = self.f.ty(recv) else { return Ok(None) };
        let elem = self.m.mir.array_elem(sites);
        // Elements that can never be heap objects need no reference counting.
        let counted = elem.is_counted();
        // (kind, element bytes) of the layout this code accesses.
        let typed = layout::array_kind(elem);
        let (kind, size) = typed.unwrap_or((layout::ARRAY_KIND_VALUES, 16));
        let Some(sym) = self.m.mir.symbols.get(method.index()) else { return Ok(None) };
        let Some(op) = ArrayOp::classify(sym, args.len()) else { return Ok(None) };
        let Val::Boxed(rt, rp) = self.val(recv)? else {
            return Err(CgError(format!("method receiver {recv} is not boxed")));
        };
        // The `(data, len)` read before the loop, when `array_views` proved nothing in the
        // loop changes the header (so neither the kind check nor the loads are needed here).
        let view = match (typed, op) {
            (Some(_), ArrayOp::Get | ArrayOp::Set | ArrayOp::Length) => self
                .views
                .view_of(self.current, recv)
                .and_then(|p| self.view_vals.get(&(p, recv)).copied()),
            _ => None,
        };
        // Else the current `(data, len)` of a growing view (see `grow_push`): the same code
        // serves, since only this loop's pushes change the header and they keep it current.
        let grow_slots = match typed {
            Some(_) => self
                .views
                .growing_view_of(self.current, recv)
                .and_then(|p| self.grow_slots.get(&(p, recv)).copied()),
            None => None,
        };
        let view = match (view, grow_slots, op) {
            (None, Some(_), ArrayOp::Push) => {
                return self
                    .grow_push(recv, method, args, site, name, (kind, size), grow_slots)
                    .map(Some)
            }
            (None, Some([data, len, _]), _) => {
                Some((self.load_word(data, "grow.data")?, self.load_word(len, "grow.len")?))
            }
            (view, _, _) => view,
        };
        let index = match op {
            ArrayOp::Get | ArrayOp::Set => {
                let Val::Boxed(it, ip) = self.val(args[0])? else {
                    return Err(CgError(format!("method argument {} is not boxed", args[0])));
                };
                if it.get_sign_extended_constant().is_some_and(|k| k != tag::INT) {
                    return Ok(None); // always the runtime's error
                }
                Some((it, ip))
            }
            _ => None,
        };
        // The stored value of `set`/`push`.
        let stored = match op {
            ArrayOp::Set => Some(args[1]),
            ArrayOp::Push => Some(args[0]),
            _ => None,
        };
        let stored_heap = stored.is_some_and(|v| self.f.ty(v).is_heap());
        let stored = match stored {
            Some(v) => {
                let Val::Boxed(nt, np) = self.val(v)? else {
                    return Err(CgError(format!("stored value {v} is not boxed")));
                };
                // A typed array only takes values of the kind's tag (else the runtime stores
                // it, after turning the array into one of values).
                if typed.is_some() && nt.get_sign_extended_constant().is_some_and(|t| t != kind) {
                    return Ok(None);
                }
                Some((nt, np))
            }
            None => None,
        };
        let slow = self.new_block("arr.slow");
        let done = self.new_block("arr.done");

        // Guards: the index is an Int (constant-folded for a `ToDyn` of an int), the stored
        // value fits a typed kind, then per-method conditions. (The receiver's static type is
        // the inference's proof that it is an array, as for `FromDyn`; its tag is not checked
        // again.)
        let _ = rt;
        // `get` out of range: the null result's block, if any.
        let mut oob_null = None;
        if let Some((it, _)) = index {
            let is_int = self.builder.build_int_compare(
                IntPredicate::EQ,
                it,
                self.i64_const(tag::INT),
                "",
            )?;
            self.guard(is_int, slow, "arr.int")?;
        }
        if let (Some((nt, _)), Some(_)) = (stored, typed) {
            if nt.get_sign_extended_constant().is_none() {
                let fits = self.builder.build_int_compare(
                    IntPredicate::EQ,
                    nt,
                    self.i64_const(kind),
                    "",
                )?;
                self.guard(fits, slow, "arr.fits")?;
            }
        }
        let (res_t, res_p) = match op {
            ArrayOp::Length if view.is_some() => {
                let len = view.map_or(rp, |(_, len)| len);
                (self.i64_const(tag::INT), len)
            }
            ArrayOp::Length => {
                // A live array (count >= 1): a freed one (RC checking) must reach the runtime.
                // `len` counts elements whatever the kind.
                let rc = self.load_at(rp, layout::REFCOUNT_OFFSET, "arr.rc")?;
                let live =
                    self.builder.build_int_compare(IntPredicate::SGE, rc, self.i64_const(1), "")?;
                self.guard(live, slow, "arr.live")?;
                let len = self.load_at(rp, layout::ARRAY_LEN_OFFSET, "arr.len")?;
                (self.i64_const(tag::INT), len)
            }
            ArrayOp::Get | ArrayOp::Set => {
                let ip = index.map(|(_, ip)| ip).unwrap_or(rp);
                // Unsigned compare: a negative index is out of range too. A freed array has
                // length 0, so nothing dead gets past this.
                let len = match view {
                    Some((_, len)) => len,
                    None => self.load_at(rp, layout::ARRAY_LEN_OFFSET, "arr.len")?,
                };
                let inb = self.builder.build_int_compare(IntPredicate::ULT, ip, len, "")?;
                if op == ArrayOp::Get {
                    // Out of range: `get` is null, inline, for a live array of any kind (a
                    // freed one, under RC checking, must reach the runtime to be reported).
                    let in_range = self.new_block("arr.inb");
                    let out = self.new_block("arr.oob");
                    self.likely_branch(inb, in_range, out)?;
                    self.builder.position_at_end(out);
                    let null_b = self.new_block("arr.null");
                    if view.is_some() {
                        // The preheader checked that the array is live; nothing in the loop
                        // can free it.
                        self.builder.build_unconditional_branch(null_b)?;
                    } else {
                        let rc = self.load_at(rp, layout::REFCOUNT_OFFSET, "arr.rc")?;
                        let live = self.builder.build_int_compare(
                            IntPredicate::SGE,
                            rc,
                            self.i64_const(1),
                            "",
                        )?;
                        self.builder.build_conditional_branch(live, null_b, slow)?;
                    }
                    self.builder.position_at_end(null_b);
                    self.builder.build_unconditional_branch(done)?;
                    oob_null = Some(null_b);
                    self.builder.position_at_end(in_range);
                } else {
                    self.guard(inb, slow, "arr.inb")?;
                }
                let addr = match view {
                    Some((data, _)) => self.index_addr(data, ip, kind, size)?,
                    None => {
                        self.kind_guard(rp, kind, slow)?;
                        self.elem_addr(rp, ip, kind, size)?
                    }
                };
                if typed.is_some() {
                    if op == ArrayOp::Get {
                        (self.i64_const(kind), self.load_elem(addr, kind, size)?)
                    } else {
                        let (_, np) = stored.ok_or_else(|| CgError("set without value".into()))?;
                        self.store_elem(addr, kind, size, np)?;
                        (self.i64_const(tag::NULL), self.i64_const(0))
                    }
                } else {
                    let (tag_w, pay_w) = self.pair_words(addr)?;
                    let et = self.load_from(tag_w, Mem::Elem, "arr.old.tag")?;
                    let ep = self.load_from(pay_w, Mem::Elem, "arr.old.pay")?;
                    if op == ArrayOp::Get {
                        // Method results are owned: take a reference for the caller.
                        if counted && !borrow {
                            self.inline_rc(RtFn::Retain, et, ep, false)?;
                        }
                        (et, ep)
                    } else {
                        let (nt, np) = stored.ok_or_else(|| CgError("set without value".into()))?;
                        if counted {
                            self.inline_rc(RtFn::Retain, nt, np, stored_heap)?;
                        }
                        self.store_to(tag_w, nt, Mem::Elem)?;
                        self.store_to(pay_w, np, Mem::Elem)?;
                        // Last: the old element's fini may run user code.
                        if counted {
                            self.inline_rc(RtFn::Release, et, ep, false)?;
                        }
                        (self.i64_const(tag::NULL), self.i64_const(0))
                    }
                }
            }
            ArrayOp::Push => {
                let len = self.load_at(rp, layout::ARRAY_LEN_OFFSET, "arr.len")?;
                let cap = self.load_at(rp, layout::ARRAY_CAP_OFFSET, "arr.cap")?;
                // Room without growing (a freed array has capacity 0).
                let room = self.builder.build_int_compare(IntPredicate::SLT, len, cap, "")?;
                self.guard(room, slow, "arr.room")?;
                self.kind_guard(rp, kind, slow)?;
                let (nt, np) = stored.ok_or_else(|| CgError("push without value".into()))?;
                let addr = self.elem_addr(rp, len, kind, size)?;
                if typed.is_some() {
                    self.store_elem(addr, kind, size, np)?;
                } else {
                    if counted {
                        self.inline_rc(RtFn::Retain, nt, np, stored_heap)?;
                    }
                    let (tag_w, pay_w) = self.pair_words(addr)?;
                    self.store_to(tag_w, nt, Mem::Elem)?;
                    self.store_to(pay_w, np, Mem::Elem)?;
                }
                let len1 = self.builder.build_int_add(len, self.i64_const(1), "arr.len1")?;
                self.store_word(rp, layout::ARRAY_LEN_OFFSET, len1)?;
                (self.i64_const(tag::NULL), self.i64_const(0))
            }
        };
        let fast_end = self.current_insert_block()?;
        self.builder.build_unconditional_branch(done)?;

        self.builder.position_at_end(slow);
        let Val::Boxed(st, sp) = self.dyn_method_call(recv, method.0, args, site, name)? else {
            return Err(CgError("nyrt_call_method must return a Boxed value".into()));
        };
        if borrow {
            self.m.rt_call(&self.builder, RtFn::Release, &[Val::Boxed(st, sp)], SiteId(0), "")?;
        }
        let slow_end = self.current_insert_block()?;
        if view.is_some() {
            // With a view, the only ways here are a non-Int index and a `set` out of range
            // of a live array of the right kind: runtime errors, which never return.
            self.builder.build_unreachable()?;
        } else {
            self.builder.build_unconditional_branch(done)?;
        }

        self.builder.position_at_end(done);
        let t = self.m.types.i64;
        let tag_phi = self.builder.build_phi(t, &format!("{name}.tag"))?;
        tag_phi.add_incoming(&[(&res_t as &dyn BasicValue<'ctx>, fast_end)]);
        let pay_phi = self.builder.build_phi(t, &format!("{name}.pay"))?;
        pay_phi.add_incoming(&[(&res_p as &dyn BasicValue<'ctx>, fast_end)]);
        if view.is_none() {
            tag_phi.add_incoming(&[(&st as &dyn BasicValue<'ctx>, slow_end)]);
            pay_phi.add_incoming(&[(&sp as &dyn BasicValue<'ctx>, slow_end)]);
        }
        if let Some(b) = oob_null {
            let zero = self.i64_const(0);
            tag_phi.add_incoming(&[(&self.i64_const(tag::NULL) as &dyn BasicValue<'ctx>, b)]);
            pay_phi.add_incoming(&[(&zero as &dyn BasicValue<'ctx>, b)]);
        }
        Ok(Some(Val::Boxed(
            tag_phi.as_basic_value().into_int_value(),
            pay_phi.as_basic_value().into_int_value(),
        )))
    }

    /// `array_load arr[index]`: the element, read straight from the buffer with the `elem`
    /// TBAA tag (no bounds, kind or tag check: `passes::bounds_version` proved the index in
    /// range, and the loop has no instruction that could change the header). The buffer
    /// pointer is the view's, taken in the preheader after `nyrt_array_ensure_kind`; without
    /// a view (not made by the MIR pipeline, but valid MIR) the kind is made right here.
    pub(super) fn array_load(&mut self, arr: ValueId, index: ValueId) -> CgResult<Val<'ctx>> {
        let Type::Array(sites) = self.f.ty(arr) else {
            return Err(CgError(format!("array_load from {arr}, not an array")));
        };
        let elem = self.m.mir.array_elem(sites);
        let Some((kind, size)) = layout::array_kind(elem) else {
            return Err(CgError(format!("array_load of {} elements", elem.name())));
        };
        let view = self.views.view_of(self.current, arr);
        let data = match view.and_then(|p| self.view_vals.get(&(p, arr)).copied()) {
            Some((data, _)) => data,
            None => match self
                .views
                .growing_view_of(self.current, arr)
                .and_then(|p| self.grow_slots.get(&(p, arr)).copied())
            {
                Some([data, _, _]) => self.load_word(data, "grow.data")?,
                None => {
                    let rp = self.ensure_array_kind(arr, kind)?;
                    self.load_at(rp, layout::ARRAY_DATA_OFFSET, "arr.data")?
                }
            },
        };
        let Val::I64(i) = self.val(index)? else {
            return Err(CgError(format!("array_load index {index} is not an int")));
        };
        let ptr = self.index_addr(data, i, kind, size)?;
        Ok(match self.load_elem_typed(ptr, kind, size, "arr.load")? {
            BasicValueEnum::FloatValue(x) => Val::F64(x),
            BasicValueEnum::IntValue(b) if size == 1 => Val::Bool(self.builder.build_int_compare(
                IntPredicate::NE,
                b,
                self.m.ctx.i8_type().const_zero(),
                "arr.load.bool",
            )?),
            other => Val::I64(other.into_int_value()),
        })
    }

    /// A `push` in the loop of a growing view whose `[data, len, cap]` are in `slots`, of a
    /// value of the element type (`array_views` checked): with room, the element and the new
    /// length are stored (the length to the header too, so it stays current for every other
    /// reader); without, the runtime grows the buffer and pushes, and the slots are read again.
    #[allow(clippy::too_many_arguments)]
    fn grow_push(
        &mut self,
        recv: ValueId,
        method: SymId,
        args: &[ValueId],
        site: SiteId,
        name: &str,
        (kind, size): (i64, i64),
        slots: Option<[PointerValue<'ctx>; 3]>,
    ) -> CgResult<Val<'ctx>> {
        let [data_s, len_s, cap_s] = slots.ok_or_else(|| CgError("no growing view".into()))?;
        let (Val::Boxed(_, rp), Val::Boxed(_, np)) = (self.val(recv)?, self.val(args[0])?) else {
            return Err(CgError(format!("push onto {recv} is not of boxed values")));
        };
        let len = self.load_word(len_s, "grow.len")?;
        let cap = self.load_word(cap_s, "grow.cap")?;
        let room = self.builder.build_int_compare(IntPredicate::SLT, len, cap, "")?;
        let fast = self.new_block("grow.room");
        let slow = self.new_block("grow.full");
        let done = self.new_block("grow.done");
        self.likely_branch(room, fast, slow)?;
        self.builder.position_at_end(fast);
        let data = self.load_word(data_s, "grow.data")?;
        let addr = self.index_addr(data, len, kind, size)?;
        self.store_elem(addr, kind, size, np)?;
        let len1 = self.builder.build_int_add(len, self.i64_const(1), "grow.len1")?;
        self.builder.build_store(len_s, len1)?;
        self.store_word(rp, layout::ARRAY_LEN_OFFSET, len1)?;
        self.builder.build_unconditional_branch(done)?;
        self.builder.position_at_end(slow);
        self.dyn_method_call(recv, method.0, args, site, name)?;
        self.load_growing_view(rp, [data_s, len_s, cap_s])?;
        self.builder.build_unconditional_branch(done)?;
        self.builder.position_at_end(done);
        Ok(Val::Boxed(self.i64_const(tag::NULL), self.i64_const(0)))
    }

    /// Reads the header of the array at `rp` into a growing view's `[data, len, cap]` slots.
    fn load_growing_view(
        &mut self,
        rp: IntValue<'ctx>,
        slots: [PointerValue<'ctx>; 3],
    ) -> CgResult<()> {
        let offsets =
            [layout::ARRAY_DATA_OFFSET, layout::ARRAY_LEN_OFFSET, layout::ARRAY_CAP_OFFSET];
        for (slot, offset) in slots.into_iter().zip(offsets) {
            let v = self.load_at(rp, offset, "grow.hdr")?;
            self.builder.build_store(slot, v)?;
        }
        Ok(())
    }

    /// At the end of `block`, before its terminator: for each array whose accesses in the loop
    /// after it use a view, make its kind the expected one and check that it is live
    /// (`nyrt_array_ensure_kind`, cold) and read its buffer and length once (for a growing
    /// view: its buffer, length and capacity, into the view's slots).
    pub(super) fn take_array_views(&mut self, block: BlockId) -> CgResult<()> {
        let fixed = self.views.take.get(&block).cloned().unwrap_or_default();
        let growing = self.views.take_growing.get(&block).cloned().unwrap_or_default();
        for (recv, kind) in growing {
            let rp = self.ensure_array_kind(recv, kind)?;
            let slots = self
                .grow_slots
                .get(&(block, recv))
                .copied()
                .ok_or_else(|| CgError(format!("no slots for the growing view of {recv}")))?;
            self.load_growing_view(rp, slots)?;
        }
        for (recv, kind) in fixed {
            let rp = self.ensure_array_kind(recv, kind)?;
            let data = self.load_at(rp, layout::ARRAY_DATA_OFFSET, "arr.view.data")?;
            let len = self.load_at(rp, layout::ARRAY_LEN_OFFSET, "arr.view.len")?;
            self.view_vals.insert((block, recv), (data, len));
        }
        Ok(())
    }

    /// Makes the array `recv` have element kind `kind` and checks that it is live (both
    /// inline, `nyrt_array_ensure_kind` on a cold path); returns its payload.
    fn ensure_array_kind(&mut self, recv: ValueId, kind: i64) -> CgResult<IntValue<'ctx>> {
        let Val::Boxed(_, rp) = self.val(recv)? else {
            return Err(CgError(format!("array {recv} is not boxed")));
        };
        let k = self.load_at(rp, layout::ARRAY_KIND_OFFSET, "arr.kind")?;
        let kind_ok =
            self.builder.build_int_compare(IntPredicate::EQ, k, self.i64_const(kind), "")?;
        // Live (count >= 1): under RC checking the runtime reports a freed array.
        let rc = self.load_at(rp, layout::REFCOUNT_OFFSET, "arr.rc")?;
        let live = self.builder.build_int_compare(IntPredicate::SGE, rc, self.i64_const(1), "")?;
        let same = self.builder.build_and(kind_ok, live, "arr.view.ok")?;
        let fix = self.new_block("arr.view.fix");
        let ready = self.new_block("arr.view");
        self.likely_branch(same, ready, fix)?;
        self.builder.position_at_end(fix);
        let args = [Val::I64(rp), Val::I64(self.i64_const(kind))];
        self.m.rt_call(&self.builder, RtFn::ArrayEnsureKind, &args, SiteId(0), "")?;
        self.builder.build_unconditional_branch(ready)?;
        self.builder.position_at_end(ready);
        Ok(rp)
    }

    /// Continues when the array at `rp` has element kind `kind`, else branches to `slow`.
    fn kind_guard(&self, rp: IntValue<'ctx>, kind: i64, slow: BasicBlock<'ctx>) -> CgResult<()> {
        let k = self.load_at(rp, layout::ARRAY_KIND_OFFSET, "arr.kind")?;
        let same = self.builder.build_int_compare(IntPredicate::EQ, k, self.i64_const(kind), "")?;
        self.guard(same, slow, "arr.kind.ok")
    }

    /// A pointer to element `i` of the array at `rp`, whose elements are stored as `kind`
    /// in `size` bytes.
    fn elem_addr(
        &self,
        rp: IntValue<'ctx>,
        i: IntValue<'ctx>,
        kind: i64,
        size: i64,
    ) -> CgResult<PointerValue<'ctx>> {
        let data = self.load_at(rp, layout::ARRAY_DATA_OFFSET, "arr.data")?;
        self.index_addr(data, i, kind, size)
    }

    /// The LLVM type an element of `kind` in `size` bytes is accessed as: `i8` for a Bool,
    /// `double` for a Float, else `i64` (an Int, or the words of a `(tag, payload)` pair).
    fn elem_type(&self, kind: i64, size: i64) -> BasicTypeEnum<'ctx> {
        match (kind, size) {
            (_, 1) => self.m.ctx.i8_type().into(),
            (layout::ARRAY_KIND_FLOAT, _) => self.m.types.f64.into(),
            _ => self.m.types.i64.into(),
        }
    }

    /// A pointer to element `i` of the buffer at `data` (of elements as in `elem_type`; for
    /// a `(tag, payload)` pair, to its tag word). An in-bounds GEP from the buffer's pointer
    /// rather than `inttoptr(data + offset)`: LLVM sees consecutive elements as consecutive
    /// addresses of one object (so loops vectorize with whole-vector loads and stores, and
    /// alias analysis tells elements apart). `i` is below a length the caller checked.
    fn index_addr(
        &self,
        data: IntValue<'ctx>,
        i: IntValue<'ctx>,
        kind: i64,
        size: i64,
    ) -> CgResult<PointerValue<'ctx>> {
        let ty = self.elem_type(kind, size);
        let base = self.builder.build_int_to_ptr(data, llvm14::ptr_to(ty), "arr.buf")?;
        let index = match size {
            16 => self.builder.build_left_shift(i, self.i64_const(1), "")?,
            _ => i,
        };
        Ok(llvm14::elem_gep(&self.builder, ty, base, index, "arr.elem")?)
    }

    /// The typed element at `ptr` in its own type (double, i64 or i8), loaded with its
    /// alignment and the `elem` alias tag.
    fn load_elem_typed(
        &self,
        ptr: PointerValue<'ctx>,
        kind: i64,
        size: i64,
        name: &str,
    ) -> CgResult<BasicValueEnum<'ctx>> {
        let ty = self.elem_type(kind, size);
        let v = llvm14::load(&self.builder, ty, ptr, name)?;
        if let Some(inst) = v.as_instruction_value() {
            let align = if size == 1 { 1 } else { 8 };
            inst.set_alignment(align).map_err(|e| CgError(format!("load alignment: {e}")))?;
            self.m.set_tbaa(inst, Mem::Elem)?;
        }
        Ok(v)
    }

    /// The payload of the typed element at `ptr` (an i64: the Int, the Float's bits, or the
    /// Bool's 0/1).
    fn load_elem(&self, ptr: PointerValue<'ctx>, kind: i64, size: i64) -> CgResult<IntValue<'ctx>> {
        let i64t = self.m.types.i64;
        Ok(match self.load_elem_typed(ptr, kind, size, "arr.elem.val")? {
            BasicValueEnum::FloatValue(f) => {
                self.builder.build_bit_cast(f, i64t, "")?.into_int_value()
            }
            BasicValueEnum::IntValue(b) if size == 1 => {
                self.builder.build_int_z_extend(b, i64t, "")?
            }
            other => other.into_int_value(),
        })
    }

    /// Stores the payload `np` of a value that fits the typed kind as the element at `ptr`
    /// (a Bool as one byte 0 or 1, as the runtime stores it).
    fn store_elem(
        &self,
        ptr: PointerValue<'ctx>,
        kind: i64,
        size: i64,
        np: IntValue<'ctx>,
    ) -> CgResult<()> {
        let (v, align): (BasicValueEnum<'ctx>, u32) = match (kind, size) {
            (_, 1) => {
                let nz =
                    self.builder.build_int_compare(IntPredicate::NE, np, self.i64_const(0), "")?;
                (self.builder.build_int_z_extend(nz, self.m.ctx.i8_type(), "")?.into(), 1)
            }
            (layout::ARRAY_KIND_FLOAT, _) => {
                (self.builder.build_bit_cast(np, self.m.types.f64, "")?, 8)
            }
            _ => (np.into(), 8),
        };
        let store = self.builder.build_store(ptr, v)?;
        store.set_alignment(align).map_err(|e| CgError(format!("store alignment: {e}")))?;
        self.m.set_tbaa(store, Mem::Elem)
    }

    /// The tag and payload words of the `(tag, payload)` element at `ptr` (from `index_addr`).
    fn pair_words(
        &self,
        ptr: PointerValue<'ctx>,
    ) -> CgResult<(PointerValue<'ctx>, PointerValue<'ctx>)> {
        let pay = llvm14::word_gep(&self.builder, ptr, self.i64_const(1), "arr.elem.pay")?;
        Ok((ptr, pay))
    }

    pub(super) fn current_insert_block(&self) -> CgResult<BasicBlock<'ctx>> {
        self.builder.get_insert_block().ok_or_else(|| CgError("builder is not positioned".into()))
    }
}
