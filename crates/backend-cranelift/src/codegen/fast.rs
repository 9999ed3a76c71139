//! Inline fast paths for hot runtime calls: reference counting (`RtCall Retain/Release`) and
//! ArrayBox `get`/`set`/`length`/`size`/`push` on receivers of static type Array, in the
//! array's compact layout when the static element type is Int, Float or Bool.
//!
//! Contract (`nyash_mir::layout`): every heap object's word at `REFCOUNT_OFFSET` is its count;
//! live objects have count >= 1. Inline code only increments counts >= 1 and decrements counts
//! above 1; everything else (non-heap tags are filtered first, count 0 = dead under
//! `NYASH_RC_CHECK=1`, the last release running `fini`/free) goes to `nyrt_retain` /
//! `nyrt_release` in a cold block. Array fast paths check the index tag, the array's kind word
//! (the element layout), the stored value's tag for typed kinds, and the bounds at run time
//! and otherwise make the ordinary `nyrt_call_method` call, so every error and edge case
//! (out-of-range `set`, non-Int index, growth on `push`, a value that does not fit a typed
//! array) still comes from the runtime. The LLVM backend emits the same logic (its `codegen/fast.rs`).
//! Inside a loop with an array view (`nyash_mir::array_views`) the header is read before the
//! loop instead; with a growing view, `push` keeps the buffer, length and capacity in
//! variables and calls the runtime only to grow.

use super::function::{CVal, FnLowering};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, types, InstBuilder, InstructionData, MemFlagsData, Opcode};
use cranelift_frontend::Variable;
use cranelift_module::Module;
use nyash_mir::{
    layout, tag, ArrayOp, BackendError, BlockId, Inst, InstKind, RtFn, SiteId, SymId, Type, ValueId,
};

/// Offsets as CLIF immediates (all small constants).
const RC: i32 = layout::REFCOUNT_OFFSET as i32;
const LEN: i32 = layout::ARRAY_LEN_OFFSET as i32;
const CAP: i32 = layout::ARRAY_CAP_OFFSET as i32;
const DATA: i32 = layout::ARRAY_DATA_OFFSET as i32;
const KIND: i32 = layout::ARRAY_KIND_OFFSET as i32;

impl<M: Module> FnLowering<'_, '_, M> {
    /// The constant `v` was defined as, if it is an `iconst` (e.g. the tag of a `ToDyn`).
    pub(super) fn iconst_of(&self, v: ir::Value) -> Option<i64> {
        let dfg = &self.b.func.dfg;
        match dfg.value_def(v) {
            ir::ValueDef::Result(inst, 0) => match dfg.insts[inst] {
                InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => Some(imm.bits()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Inline `nyrt_retain(t, p)` or `nyrt_release(t, p)` (see the module docs). `heap`: the
    /// value's static type says it is a heap object (`Type::is_heap`), so its tag needs no
    /// test.
    pub(super) fn inline_rc(
        &mut self,
        f: RtFn,
        t: ir::Value,
        p: ir::Value,
        heap: bool,
    ) -> Result<(), BackendError> {
        let retain = f == RtFn::Retain;
        let known = self.iconst_of(t);
        if known.is_some_and(|k| k < tag::STR) {
            return Ok(()); // never a heap value: the runtime call would do nothing
        }
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(slow);
        if !heap && known.is_none() {
            let check = self.b.create_block();
            let heap = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, t, tag::STR);
            self.b.ins().brif(heap, check, &[], done, &[]);
            self.b.switch_to_block(check);
        }
        let flags = MemFlagsData::trusted();
        let rc = self.b.ins().load(types::I64, flags, p, RC);
        let ok = if retain {
            self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, rc, 1)
        } else {
            self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, rc, 1)
        };
        self.b.ins().brif(ok, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let new = self.b.ins().iadd_imm_s(rc, if retain { 1 } else { -1 });
        self.b.ins().store(flags, new, p, RC);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(slow);
        self.call_rt(f, vec![t, p], SiteId(0))?;
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// A borrowed element: `v = a.get(i)` right before `Release(v)`
    /// (`nyash_mir::passes::is_borrowed_get`). The pair never changes a count, so the fast
    /// path reads the element without a retain and the release is not emitted; only the
    /// runtime call's owned result is released. `false`: no fast path here, so the caller
    /// lowers both instructions as they are.
    pub(super) fn lower_borrowed_get(&mut self, inst: &Inst) -> Result<bool, BackendError> {
        let InstKind::DynMethodCall { recv, method, args } = &inst.kind else { return Ok(false) };
        if self.runs_once_here() {
            return Ok(false);
        }
        match self.array_fast_path(*recv, *method, args, inst.site, true)? {
            Some(v) => {
                self.define(inst.result, v)?;
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
        borrow: bool,
    ) -> Result<Option<CVal>, BackendError> {
        let Type::Array(sites) = self.func.ty(recv) else { return Ok(None) };
        let elem = self.mir.array_elem(sites);
        // Elements that can never be heap objects need no reference counting.
        let counted = elem.is_counted();
        // (kind, element bytes) of the layout this code accesses.
        let typed = layout::array_kind(elem);
        let (kind, size) = typed.unwrap_or((layout::ARRAY_KIND_VALUES, 16));
        let Some(name) = self.mir.symbols.get(method.index()) else { return Ok(None) };
        let Some(op) = ArrayOp::classify(name, args.len()) else { return Ok(None) };
        let (rt, rp) = self.pair(recv)?;
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
        let grow_vars = match typed {
            Some(_) => self
                .views
                .growing_view_of(self.current, recv)
                .and_then(|p| self.grow_vars.get(&(p, recv)).copied()),
            None => None,
        };
        let view = match (view, grow_vars, op) {
            (None, Some(vars), ArrayOp::Push) => {
                return self.grow_push(recv, method, args, site, size, vars).map(Some)
            }
            (None, Some([data, len, _]), _) => Some((self.b.use_var(data), self.b.use_var(len))),
            (view, _, _) => view,
        };
        let index = match op {
            ArrayOp::Get | ArrayOp::Set => {
                let (it, ip) = self.pair(args[0])?;
                match self.iconst_of(it) {
                    Some(k) if k != tag::INT => return Ok(None), // always the runtime's error
                    Some(_) => Some((None, ip)),
                    None => Some((Some(it), ip)),
                }
            }
            _ => None,
        };
        // The stored value of a typed `set`/`push` must have the kind's tag (else the runtime
        // stores it, after turning the array into one of values).
        let stored = match op {
            ArrayOp::Set => Some(args[1]),
            ArrayOp::Push => Some(args[0]),
            _ => None,
        };
        let mut stored_tag = None;
        if let (Some(v), Some(_)) = (stored, typed) {
            let (vt, _) = self.pair(v)?;
            match self.iconst_of(vt) {
                Some(t) if t != kind => return Ok(None),
                Some(_) => {}
                None => stored_tag = Some(vt),
            }
        }
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.append_block_param(done, types::I64);
        self.b.append_block_param(done, types::I64);

        // Guards: the index is an Int, then per-method conditions. Each failure goes to the
        // runtime call. (The receiver's static type is the inference's proof that it is an
        // array, as for `FromDyn`; its tag is not checked again.)
        let _ = rt;
        if let Some((Some(it), _)) = index {
            let cond = self.b.ins().icmp_imm_s(IntCC::Equal, it, tag::INT);
            self.guard(cond, slow);
        }
        if let Some(vt) = stored_tag {
            let cond = self.b.ins().icmp_imm_s(IntCC::Equal, vt, kind);
            self.guard(cond, slow);
        }
        let flags = MemFlagsData::trusted();
        // The array has the layout this code assumes.
        let kind_guard = |this: &mut Self| {
            if view.is_some() {
                return;
            }
            let k = this.b.ins().load(types::I64, flags, rp, KIND);
            let cond = this.b.ins().icmp_imm_s(IntCC::Equal, k, kind);
            this.guard(cond, slow);
        };
        // Address of element `i`.
        let elem_addr = |this: &mut Self, i: ir::Value| {
            let data = match view {
                Some((data, _)) => data,
                None => this.b.ins().load(types::I64, flags, rp, DATA),
            };
            let offset = match size {
                1 => i,
                8 => this.b.ins().ishl_imm_u(i, 3),
                _ => this.b.ins().ishl_imm_u(i, 4),
            };
            this.b.ins().iadd(data, offset)
        };
        // Stores the payload `np` of a value that fits the typed kind at `addr`.
        let store_typed = |this: &mut Self, np: ir::Value, addr: ir::Value| {
            if size == 1 {
                // Bool: one byte, 0 or 1 (as the runtime stores it).
                let b = this.nonzero(np);
                this.b.ins().store(flags, b, addr, 0);
            } else {
                this.b.ins().store(flags, np, addr, 0);
            }
        };
        let result = match op {
            ArrayOp::Length if view.is_some() => {
                let len = view.map_or(rp, |(_, len)| len);
                (self.b.ins().iconst(types::I64, tag::INT), len)
            }
            ArrayOp::Length => {
                // A live array (count >= 1): a freed one (RC checking) must reach the runtime.
                // `len` counts elements whatever the kind.
                let rc = self.b.ins().load(types::I64, flags, rp, RC);
                let cond = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, rc, 1);
                self.guard(cond, slow);
                let len = self.b.ins().load(types::I64, flags, rp, LEN);
                (self.b.ins().iconst(types::I64, tag::INT), len)
            }
            ArrayOp::Get | ArrayOp::Set => {
                let ip = index.map(|(_, ip)| ip).unwrap_or(rp);
                // Unsigned compare: a negative index is out of range too. A freed array has
                // length 0, so nothing dead gets past this.
                let len = match view {
                    Some((_, len)) => len,
                    None => self.b.ins().load(types::I64, flags, rp, LEN),
                };
                let cond = self.b.ins().icmp(IntCC::UnsignedLessThan, ip, len);
                if op == ArrayOp::Get {
                    // Out of range: `get` is null, inline, for a live array of any kind (a
                    // freed one, under RC checking, must reach the runtime to be reported;
                    // with a view, the preheader checked that the array is live, and nothing
                    // in the loop can free it).
                    let in_range = self.b.create_block();
                    let out = self.b.create_block();
                    self.b.set_cold_block(out);
                    self.b.ins().brif(cond, in_range, &[], out, &[]);
                    self.b.switch_to_block(out);
                    let null_b = self.b.create_block();
                    if view.is_some() {
                        self.b.ins().jump(null_b, &[]);
                    } else {
                        let rc = self.b.ins().load(types::I64, flags, rp, RC);
                        let live = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, rc, 1);
                        self.b.ins().brif(live, null_b, &[], slow, &[]);
                    }
                    self.b.switch_to_block(null_b);
                    let (nt, np) = self.null_pair();
                    self.b.ins().jump(done, &[nt.into(), np.into()]);
                    self.b.switch_to_block(in_range);
                } else {
                    self.guard(cond, slow);
                }
                kind_guard(self);
                let addr = elem_addr(self, ip);
                if let Some((k, _)) = typed {
                    if op == ArrayOp::Get {
                        let p = if size == 1 {
                            self.b.ins().uload8(types::I64, flags, addr, 0)
                        } else {
                            self.b.ins().load(types::I64, flags, addr, 0)
                        };
                        (self.b.ins().iconst(types::I64, k), p)
                    } else {
                        let (_, np) = self.pair(args[1])?;
                        store_typed(self, np, addr);
                        self.null_pair()
                    }
                } else {
                    // The element at the index (`set` only needs it to release it).
                    let element = |this: &mut Self| {
                        let et = this.b.ins().load(types::I64, flags, addr, 0);
                        let ep = this.b.ins().load(types::I64, flags, addr, 8);
                        (et, ep)
                    };
                    if op == ArrayOp::Get {
                        let (et, ep) = element(self);
                        // Method results are owned: take a reference for the caller.
                        if counted && !borrow {
                            self.inline_rc(RtFn::Retain, et, ep, false)?;
                        }
                        (et, ep)
                    } else {
                        let old = if counted { Some(element(self)) } else { None };
                        let (nt, np) = self.pair(args[1])?;
                        if counted {
                            let heap = self.func.ty(args[1]).is_heap();
                            self.inline_rc(RtFn::Retain, nt, np, heap)?;
                        }
                        self.b.ins().store(flags, nt, addr, 0);
                        self.b.ins().store(flags, np, addr, 8);
                        // Last: the old element's fini may run user code.
                        if let Some((et, ep)) = old {
                            self.inline_rc(RtFn::Release, et, ep, false)?;
                        }
                        self.null_pair()
                    }
                }
            }
            ArrayOp::Push => {
                let len = self.b.ins().load(types::I64, flags, rp, LEN);
                let cap = self.b.ins().load(types::I64, flags, rp, CAP);
                // Room without growing (a freed array has capacity 0).
                let cond = self.b.ins().icmp(IntCC::SignedLessThan, len, cap);
                self.guard(cond, slow);
                kind_guard(self);
                let (nt, np) = self.pair(args[0])?;
                let addr = elem_addr(self, len);
                if typed.is_some() {
                    store_typed(self, np, addr);
                } else {
                    if counted {
                        let heap = self.func.ty(args[0]).is_heap();
                        self.inline_rc(RtFn::Retain, nt, np, heap)?;
                    }
                    self.b.ins().store(flags, nt, addr, 0);
                    self.b.ins().store(flags, np, addr, 8);
                }
                let len1 = self.b.ins().iadd_imm_s(len, 1);
                self.b.ins().store(flags, len1, rp, LEN);
                self.null_pair()
            }
        };
        self.b.ins().jump(done, &[result.0.into(), result.1.into()]);

        self.b.switch_to_block(slow);
        let CVal::Two(st, sp) = self.dyn_method_call(recv, method.0, args, site)? else {
            return Err(self.err("nyrt_call_method must return a Boxed value"));
        };
        if borrow {
            self.call_rt(RtFn::Release, vec![st, sp], SiteId(0))?;
        }
        if view.is_some() {
            // With a view, the only ways here are a non-Int index and a `set` out of range
            // of a live array of the right kind: runtime errors, which never return. Saying
            // so keeps the loop's values out of the call's way (no spills around it).
            self.b.ins().trap(super::function::TRAP_NORETURN);
        } else {
            self.b.ins().jump(done, &[st.into(), sp.into()]);
        }

        self.b.switch_to_block(done);
        let params = self.b.block_params(done);
        Ok(Some(CVal::Two(params[0], params[1])))
    }

    /// `array_load arr[index]`: the element, read straight from the buffer (no bounds, kind
    /// or tag check: `passes::bounds_version` proved the index in range, and the loop has no
    /// instruction that could change the header). The buffer pointer is the view's, taken in
    /// the preheader after `nyrt_array_ensure_kind`; without a view (not made by the MIR
    /// pipeline, but valid MIR) the kind is made right here the same way.
    pub(super) fn array_load(
        &mut self,
        arr: ValueId,
        index: ValueId,
    ) -> Result<CVal, BackendError> {
        let Type::Array(sites) = self.func.ty(arr) else {
            return Err(self.err(format!("array_load from {arr}, not an array")));
        };
        let elem = self.mir.array_elem(sites);
        let Some((kind, size)) = layout::array_kind(elem) else {
            return Err(self.err(format!("array_load of {} elements", elem.name())));
        };
        let view = self.views.view_of(self.current, arr);
        let data = match view.and_then(|p| self.view_vals.get(&(p, arr)).copied()) {
            Some((data, _)) => data,
            None => match self
                .views
                .growing_view_of(self.current, arr)
                .and_then(|p| self.grow_vars.get(&(p, arr)).copied())
            {
                Some([data, _, _]) => self.b.use_var(data),
                None => {
                    let rp = self.ensure_array_kind(arr, kind)?;
                    self.b.ins().load(types::I64, MemFlagsData::trusted(), rp, DATA)
                }
            },
        };
        let i = self.one(index)?;
        let offset = match size {
            1 => i,
            _ => self.b.ins().ishl_imm_u(i, 3),
        };
        let addr = self.b.ins().iadd(data, offset);
        let flags = MemFlagsData::trusted();
        Ok(CVal::One(match elem {
            Type::Float => self.b.ins().load(types::F64, flags, addr, 0),
            Type::Bool => {
                let byte = self.b.ins().uload8(types::I64, flags, addr, 0);
                self.b.ins().icmp_imm_s(IntCC::NotEqual, byte, 0)
            }
            _ => self.b.ins().load(types::I64, flags, addr, 0),
        }))
    }

    /// A `push` in the loop of a growing view whose `[data, len, cap]` are in `vars`, of a
    /// value of the element type (`array_views` checked): with room, the element and the new
    /// length are stored (the length to the header too, so it stays current for every other
    /// reader); without, the runtime grows the buffer and pushes, and the variables are read
    /// again.
    fn grow_push(
        &mut self,
        recv: ValueId,
        method: SymId,
        args: &[ValueId],
        site: SiteId,
        size: i64,
        vars: [Variable; 3],
    ) -> Result<CVal, BackendError> {
        let [data_v, len_v, cap_v] = vars;
        let (_, rp) = self.pair(recv)?;
        let (_, np) = self.pair(args[0])?;
        let flags = MemFlagsData::trusted();
        let len = self.b.use_var(len_v);
        let cap = self.b.use_var(cap_v);
        let room = self.b.ins().icmp(IntCC::SignedLessThan, len, cap);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(room, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let data = self.b.use_var(data_v);
        let addr = match size {
            1 => self.b.ins().iadd(data, len),
            _ => {
                let offset = self.b.ins().ishl_imm_u(len, i64::from(size.trailing_zeros()));
                self.b.ins().iadd(data, offset)
            }
        };
        if size == 1 {
            // Bool: one byte, 0 or 1 (as the runtime stores it).
            let b = self.nonzero(np);
            self.b.ins().store(flags, b, addr, 0);
        } else {
            self.b.ins().store(flags, np, addr, 0);
        }
        let len1 = self.b.ins().iadd_imm_s(len, 1);
        self.b.def_var(len_v, len1);
        self.b.ins().store(flags, len1, rp, LEN);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(slow);
        self.dyn_method_call(recv, method.0, args, site)?;
        self.load_growing_view(rp, vars);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        let (t, p) = self.null_pair();
        Ok(CVal::Two(t, p))
    }

    /// Reads the header of the array at `rp` into a growing view's `[data, len, cap]`.
    fn load_growing_view(&mut self, rp: ir::Value, vars: [Variable; 3]) {
        let flags = MemFlagsData::trusted();
        for (var, offset) in vars.into_iter().zip([DATA, LEN, CAP]) {
            let v = self.b.ins().load(types::I64, flags, rp, offset);
            self.b.def_var(var, v);
        }
    }

    /// At the end of `block`, before its terminator: for each array whose accesses in the loop
    /// after it use a view, make its kind the expected one and check that it is live
    /// (`nyrt_array_ensure_kind`, cold) and read its buffer and length once (for a growing
    /// view: its buffer, length and capacity, into the view's variables).
    pub(super) fn take_array_views(&mut self, block: BlockId) -> Result<(), BackendError> {
        let fixed = self.views.take.get(&block).cloned().unwrap_or_default();
        let growing = self.views.take_growing.get(&block).cloned().unwrap_or_default();
        for (recv, kind) in growing {
            let rp = self.ensure_array_kind(recv, kind)?;
            let vars = [
                self.b.declare_var(types::I64),
                self.b.declare_var(types::I64),
                self.b.declare_var(types::I64),
            ];
            self.load_growing_view(rp, vars);
            self.grow_vars.insert((block, recv), vars);
        }
        let flags = MemFlagsData::trusted();
        for (recv, kind) in fixed {
            let rp = self.ensure_array_kind(recv, kind)?;
            let data = self.b.ins().load(types::I64, flags, rp, DATA);
            let len = self.b.ins().load(types::I64, flags, rp, LEN);
            self.view_vals.insert((block, recv), (data, len));
        }
        Ok(())
    }

    /// Makes the array `recv` have element kind `kind` and checks that it is live (both
    /// inline, `nyrt_array_ensure_kind` in a cold block); returns its payload.
    fn ensure_array_kind(&mut self, recv: ValueId, kind: i64) -> Result<ir::Value, BackendError> {
        let flags = MemFlagsData::trusted();
        let (_, rp) = self.pair(recv)?;
        let k = self.b.ins().load(types::I64, flags, rp, KIND);
        let kind_ok = self.b.ins().icmp_imm_s(IntCC::Equal, k, kind);
        // Live (count >= 1): under RC checking the runtime reports a freed array.
        let rc = self.b.ins().load(types::I64, flags, rp, RC);
        let live = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThanOrEqual, rc, 1);
        let same = self.b.ins().band(kind_ok, live);
        let fix = self.b.create_block();
        let ready = self.b.create_block();
        self.b.set_cold_block(fix);
        self.b.ins().brif(same, ready, &[], fix, &[]);
        self.b.switch_to_block(fix);
        let ensure = self.rt_ref(RtFn::ArrayEnsureKind)?;
        let kv = self.b.ins().iconst(types::I64, kind);
        self.b.ins().call(ensure, &[rp, kv]);
        self.b.ins().jump(ready, &[]);
        self.b.switch_to_block(ready);
        Ok(rp)
    }

    /// Continues in a fresh block when `cond` holds, else branches to `slow`.
    fn guard(&mut self, cond: ir::Value, slow: ir::Block) {
        let next = self.b.create_block();
        self.b.ins().brif(cond, next, &[], slow, &[]);
        self.b.switch_to_block(next);
    }

    fn null_pair(&mut self) -> (ir::Value, ir::Value) {
        (self.b.ins().iconst(types::I64, tag::NULL), self.b.ins().iconst(types::I64, 0))
    }
}
