//! The interpreter proper: one register file per call frame on a shared value stack, block
//! parameters as parallel copies, runtime calls straight into `nyash_runtime`.
//!
//! Every register holds a `NyValue`. Unboxed values keep the tag of their type (an `Int` is
//! `(tag::INT, i)`, a `Float` `(tag::FLOAT, bits)`, a `Bool` `(tag::BOOL, 0/1)`), so `ToDyn` is
//! a plain copy and the payload word is what native code would hold in a register.
//!
//! Runtime callbacks (`fini`/`toString` thunks): `FuncAddr` yields an encoded `FuncId` and
//! `run_entry` installs the runtime's callback hook, which runs the thunk in a fresh `Interp`
//! (own register stack) over the same module. So re-entrancy (a `fini` running while this
//! interpreter is inside `nyrt_release`) never aliases a live interpreter's state.

use nyash_mir::layout::{INSTANCE_FIELDS_OFFSET, SLOT_SIZE};
use nyash_mir::{
    BackendError, BlockId, Const, FloatOp, FuncId, Function, Inst, InstKind, IntOp, Module, RtFn,
    Terminator, ValueId,
};
use nyash_runtime::{self as rt, Literals, NyValue};
use std::cell::Cell;

/// The tag bit of an encoded function "address" (`FuncAddr`): `FUNC_ADDR_TAG | func index`.
pub(crate) const FUNC_ADDR_TAG: i64 = 1 << 62;

/// What a run needs besides its registers: the module and its literal string objects.
type Running = (*const Module, *const Literals);

thread_local! {
    /// The module (and its literals) being run on this thread, for the callback hook (null
    /// when none).
    static RUNNING: Cell<Running> = const { Cell::new((std::ptr::null(), std::ptr::null())) };
}

/// Restores the previous running module and hook when a run ends (also on unwinding).
struct RunningGuard(Running);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        RUNNING.with(|r| r.set(self.0));
        if self.0 .0.is_null() {
            rt::set_callback_hook(None);
        }
    }
}

/// The runtime's callback hook while the VM runs: interprets the thunk whose `FuncId` was
/// encoded by `FuncAddr`, with `me` borrowed, and returns its (owned) result.
fn callback_hook(fnptr: i64, me: NyValue) -> NyValue {
    let (module, literals) = RUNNING.with(|r| r.get());
    let fail = |msg: String| -> ! {
        rt::flush_stdout();
        eprintln!("error: internal error in the vm backend: {msg}");
        std::process::exit(101)
    };
    if module.is_null() || literals.is_null() {
        fail("a runtime callback arrived while no module is running".into());
    }
    // SAFETY: `RUNNING` is set by `run_entry` to a module and literals that outlive the run
    // and is reset (by `RunningGuard`) before those borrows end.
    let (module, literals): (&Module, &Literals) = unsafe { (&*module, &*literals) };
    let idx = fnptr & !FUNC_ADDR_TAG;
    let valid =
        fnptr & FUNC_ADDR_TAG != 0 && usize::try_from(idx).is_ok_and(|i| i < module.funcs.len());
    if !valid {
        fail(format!("callback address {fnptr:#x} is not an encoded function"));
    }
    let fid = FuncId::new(idx as usize);
    let mut vm = Interp::new(module, literals);
    match vm.call_with(fid, &[me]) {
        Ok(r) => r,
        Err(e) => fail(format!("{e:?}")),
    }
}

pub(crate) struct Interp<'m> {
    module: &'m Module,
    /// The string objects of `module.strings` for this run (`Const::Str`).
    literals: &'m Literals,
    /// All frames' registers; a frame is `stack[base .. base + func.values.len()]`.
    stack: Vec<NyValue>,
    /// Scratch for block-argument parallel copies.
    scratch: Vec<NyValue>,
}

type R<T> = Result<T, BackendError>;

fn internal(f: &Function, message: String) -> BackendError {
    BackendError::Internal { backend: "vm", func: Some(f.name.clone()), message }
}

impl<'m> Interp<'m> {
    pub(crate) fn new(module: &'m Module, literals: &'m Literals) -> Self {
        Interp { module, literals, stack: Vec::new(), scratch: Vec::new() }
    }

    /// Runs `__nyash_entry(argc, argv)` and returns its result (the exit code), with the
    /// runtime's callback hook routed to this module.
    pub(crate) fn run_entry(&mut self, argc: i64, argv: i64) -> R<i64> {
        let module = self.module;
        let running = (module as *const Module, self.literals as *const Literals);
        let _guard = RunningGuard(RUNNING.with(|r| r.replace(running)));
        rt::set_callback_hook(Some(callback_hook));
        self.stack.reserve(1 << 16);
        let r = self.call_with(module.entry, &[NyValue::int(argc), NyValue::int(argv)])?;
        Ok(r.payload)
    }

    /// Calls `fid` with argument values (its parameter count is checked by validation for
    /// `FuncAddr` targets and the entry).
    fn call_with(&mut self, fid: FuncId, args: &[NyValue]) -> R<NyValue> {
        let f = self.module.func(fid);
        if f.params.len() != args.len() {
            return Err(internal(f, format!("called with {} arguments", args.len())));
        }
        let base = self.stack.len();
        self.stack.resize(base + f.values.len(), NyValue::NULL);
        for (p, a) in f.params.iter().zip(args) {
            self.stack[base + p.index()] = *a;
        }
        let r = self.exec(fid, base);
        self.stack.truncate(base);
        r
    }

    #[inline(always)]
    fn get(&self, base: usize, v: ValueId) -> NyValue {
        self.stack[base + v.index()]
    }

    #[inline(always)]
    fn set(&mut self, base: usize, v: ValueId, x: NyValue) {
        self.stack[base + v.index()] = x;
    }

    /// Runs function `fid` whose frame (with parameters filled in) starts at `base`. Kept small:
    /// it is the only frame on the Rust stack per Nyash call, so deep recursion stays cheap.
    fn exec(&mut self, fid: FuncId, base: usize) -> R<NyValue> {
        let module = self.module;
        let f = module.func(fid);
        let mut block = f.block(BlockId(0));
        loop {
            for inst in &block.insts {
                if let InstKind::Call { func, args } = &inst.kind {
                    let r = self.call(base, *func, args)?;
                    if let Some(res) = inst.result {
                        self.set(base, res, r);
                    }
                } else {
                    self.exec_inst(f, base, inst)?;
                }
            }
            let (target, args) = match &block.term {
                Terminator::Jump { target, args } => (*target, args),
                Terminator::Branch { cond, then_block, then_args, else_block, else_args } => {
                    if self.get(base, *cond).payload != 0 {
                        (*then_block, then_args)
                    } else {
                        (*else_block, else_args)
                    }
                }
                Terminator::Return(v) => return Ok(self.get(base, *v)),
                Terminator::Unreachable => {
                    return Err(internal(f, "reached an `unreachable` terminator".into()))
                }
            };
            block = f.block(target);
            self.pass_args(base, &block.params, args);
        }
    }

    /// Assigns block arguments to parameters as a parallel copy (all read before any write).
    fn pass_args(&mut self, base: usize, params: &[ValueId], args: &[ValueId]) {
        match args.len() {
            0 => {}
            1 => {
                let x = self.get(base, args[0]);
                self.set(base, params[0], x);
            }
            _ => {
                self.scratch.clear();
                for a in args {
                    let x = self.get(base, *a);
                    self.scratch.push(x);
                }
                for (i, p) in params.iter().enumerate() {
                    self.stack[base + p.index()] = self.scratch[i];
                }
            }
        }
    }

    fn call(&mut self, base: usize, callee: FuncId, args: &[ValueId]) -> R<NyValue> {
        let g = self.module.func(callee);
        let new_base = self.stack.len();
        self.stack.resize(new_base + g.values.len(), NyValue::NULL);
        for (p, a) in g.params.iter().zip(args) {
            self.stack[new_base + p.index()] = self.stack[base + a.index()];
        }
        let r = self.exec(callee, new_base);
        self.stack.truncate(new_base);
        r
    }

    /// Every instruction except `Call`.
    #[inline(never)]
    fn exec_inst(&mut self, f: &Function, base: usize, inst: &Inst) -> R<()> {
        let site = inst.site.0 as i64;
        let result = match &inst.kind {
            InstKind::Const(c) => match *c {
                Const::Int(i) => NyValue::int(i),
                Const::Float(x) => NyValue::float(x),
                Const::Bool(b) => NyValue::bool(b),
                Const::Null => NyValue::NULL,
                // Validation checked the index; the literal objects are made from the same
                // `module.strings`.
                Const::Str(s) => match self.literals.get(s.index()) {
                    Some(v) => v,
                    None => return Err(internal(f, format!("unknown string literal {s}"))),
                },
            },
            InstKind::IntBin { op, a, b } => {
                let (x, y) = (self.get(base, *a).payload, self.get(base, *b).payload);
                NyValue::int(match op {
                    IntOp::Add => x.wrapping_add(y),
                    IntOp::Sub => x.wrapping_sub(y),
                    IntOp::Mul => x.wrapping_mul(y),
                    IntOp::Div => match y {
                        0 => rt::nyrt_error_div_zero(site),
                        -1 => x.wrapping_neg(),
                        _ => x / y,
                    },
                    IntOp::Rem => match y {
                        0 => rt::nyrt_error_div_zero(site),
                        -1 => 0,
                        _ => x % y,
                    },
                })
            }
            InstKind::FloatBin { op, a, b } => {
                let x = f64::from_bits(self.get(base, *a).payload as u64);
                let y = f64::from_bits(self.get(base, *b).payload as u64);
                NyValue::float(match op {
                    FloatOp::Add => x + y,
                    FloatOp::Sub => x - y,
                    FloatOp::Mul => x * y,
                    FloatOp::Div if y == 0.0 => rt::nyrt_error_div_zero(site),
                    FloatOp::Div => x / y,
                    FloatOp::Rem if y == 0.0 => rt::nyrt_error_div_zero(site),
                    FloatOp::Rem => rt::nyrt_fmod(x, y),
                })
            }
            InstKind::IntCmp { op, a, b } => {
                let (x, y) = (self.get(base, *a).payload, self.get(base, *b).payload);
                NyValue::bool(op.holds(x, y))
            }
            InstKind::FloatCmp { op, a, b } => {
                let x = f64::from_bits(self.get(base, *a).payload as u64);
                let y = f64::from_bits(self.get(base, *b).payload as u64);
                NyValue::bool(op.holds(x, y))
            }
            InstKind::IntNeg(a) => NyValue::int(self.get(base, *a).payload.wrapping_neg()),
            InstKind::FloatUnary { op, a } => {
                NyValue::float(op.apply(f64::from_bits(self.get(base, *a).payload as u64)))
            }
            InstKind::FloatToInt(a) => {
                NyValue::int(f64::from_bits(self.get(base, *a).payload as u64) as i64)
            }
            InstKind::FloatNeg(a) => {
                NyValue::float(-f64::from_bits(self.get(base, *a).payload as u64))
            }
            InstKind::BoolNot(a) => NyValue::bool(self.get(base, *a).payload == 0),
            InstKind::Select { cond, a, b } => {
                let pick = if self.get(base, *cond).payload != 0 { a } else { b };
                self.get(base, *pick)
            }
            InstKind::IsNull(a) => NyValue::bool(self.get(base, *a).tag == nyash_mir::tag::NULL),
            InstKind::IntToFloat(a) => NyValue::float(self.get(base, *a).payload as f64),
            // Registers are always tagged, so boxing is a copy.
            InstKind::ToDyn(a) => self.get(base, *a),
            // Re-tag from the payload (the Boxed value already carries this tag by contract).
            InstKind::FromDyn { value, to } => {
                let p = self.get(base, *value).payload;
                match to {
                    nyash_mir::Type::Int => NyValue::int(p),
                    nyash_mir::Type::Float => NyValue::float(f64::from_bits(p as u64)),
                    nyash_mir::Type::Bool => NyValue::bool(p != 0),
                    t => return Err(internal(f, format!("fromdyn to {}", t.name()))),
                }
            }
            InstKind::RtCall { func, args } => self.rt_call(f, base, *func, args, site)?,
            InstKind::DynMethodCall { recv, method, args } => {
                let name = self.module.symbols.get(method.index()).map_or("", |s| s.as_str());
                let sym = method.0 as i64;
                let r = self.get(base, *recv);
                match RtFn::direct_method(f.ty(*recv), name, args.len()) {
                    // Like the native backends: receiver, arguments, then the method symbol.
                    // (Entry points take at most two arguments; `direct_method` checks.)
                    Some(direct) => {
                        let mut a = [NyValue::NULL; 2];
                        for (slot, &v) in a.iter_mut().zip(args) {
                            *slot = self.get(base, v);
                        }
                        direct_method(f, direct, r, &a[..args.len().min(2)], sym, site)?
                    }
                    None => self.dyn_method_call(base, r, sym, args, site),
                }
            }
            InstKind::InitRuntime { argc, argv } => {
                let (c, v) = (self.get(base, *argc).payload, self.get(base, *argv).payload);
                // The runtime copies what it needs from the blob.
                let meta = self.module.runtime_metadata();
                rt::nyrt_init(c, v, meta.as_ptr() as i64, meta.len() as i64);
                NyValue::NULL
            }
            InstKind::FieldLoad { obj, slot } => {
                let p = self.slot_ptr(f, base, *obj, *slot)?;
                // SAFETY: `slot_ptr` checked that `obj` is a live instance with more than
                // `slot` slots; slot `slot` is two initialised i64 words at this address.
                unsafe { NyValue::new(*p, *p.add(1)) }
            }
            InstKind::FieldStore { obj, slot, value } => {
                let p = self.slot_ptr(f, base, *obj, *slot)?;
                let v = self.get(base, *value);
                // SAFETY: as for `FieldLoad`; the runtime owns the memory, the MIR around the
                // store does the reference counting.
                unsafe {
                    *p = v.tag;
                    *p.add(1) = v.payload;
                }
                NyValue::NULL
            }
            InstKind::ArrayLoad { arr, index } => {
                // The pass that made this load proved the index in range and the element of
                // the static type; the oracle checks both, so a wrong proof fails loudly.
                let (a, i) = (self.get(base, *arr), self.get(base, *index).payload);
                let want = match f.ty(*arr) {
                    nyash_mir::Type::Array(s) => self.module.array_elem(s),
                    t => return Err(internal(f, format!("array_load from a {}", t.name()))),
                };
                let want_tag = match want {
                    nyash_mir::Type::Int => nyash_mir::tag::INT,
                    nyash_mir::Type::Float => nyash_mir::tag::FLOAT,
                    nyash_mir::Type::Bool => nyash_mir::tag::BOOL,
                    t => return Err(internal(f, format!("array_load of {} elements", t.name()))),
                };
                match rt::array_element(a.payload, i) {
                    Some(v) if a.tag == nyash_mir::tag::ARRAY && v.tag == want_tag => v,
                    Some(v) => {
                        return Err(internal(
                            f,
                            format!("array_load of index {i} found a value of tag {}", v.tag),
                        ))
                    }
                    None => {
                        return Err(internal(f, format!("array_load of index {i} is out of range")))
                    }
                }
            }
            InstKind::FuncAddr(func) => NyValue::int(FUNC_ADDR_TAG | func.index() as i64),
            InstKind::Call { .. } => {
                return Err(internal(f, "Call must be handled by the frame loop".into()))
            }
            InstKind::Binary { .. }
            | InstKind::Unary { .. }
            | InstKind::Truthy(_)
            | InstKind::Print(_)
            | InstKind::MethodCall { .. }
            | InstKind::Retain(_)
            | InstKind::Release(_)
            | InstKind::FieldGet { .. }
            | InstKind::FieldSet { .. } => {
                return Err(internal(
                    f,
                    format!("generic instruction {:?} reached the VM", inst.kind),
                ))
            }
        };
        if let Some(r) = inst.result {
            self.set(base, r, result);
        }
        Ok(())
    }

    /// The address of field slot `slot` of instance `obj`, after checking (unlike native code,
    /// which trusts the MIR) that `obj` really is an instance with that many slots.
    fn slot_ptr(&self, f: &Function, base: usize, obj: ValueId, slot: u32) -> R<*mut i64> {
        let o = self.get(base, obj);
        match rt::instance_slot_count(o) {
            Some(n) if (slot as usize) < n => {
                let off = INSTANCE_FIELDS_OFFSET + SLOT_SIZE * slot as i64;
                Ok((o.payload + off) as *mut i64)
            }
            _ => Err(internal(
                f,
                format!("field slot {slot} of a value that is not an instance with that many fields ({o:?})"),
            )),
        }
    }

    /// `nyrt_call_method` with the arguments copied to a buffer.
    fn dyn_method_call(
        &self,
        base: usize,
        r: NyValue,
        sym: i64,
        args: &[ValueId],
        site: i64,
    ) -> NyValue {
        let mut buf = [NyValue::NULL; 8];
        let heap: Vec<NyValue>;
        let argv: &[NyValue] = if args.len() <= buf.len() {
            for (slot, a) in buf.iter_mut().zip(args) {
                *slot = self.get(base, *a);
            }
            &buf[..args.len()]
        } else {
            heap = args.iter().map(|a| self.get(base, *a)).collect();
            &heap
        };
        rt::nyrt_call_method(r.tag, r.payload, sym, argv.as_ptr() as i64, argv.len() as i64, site)
    }

    /// A runtime entry point, with arguments marshalled per `RtFn::signature`.
    fn rt_call(
        &mut self,
        f: &Function,
        base: usize,
        func: RtFn,
        args: &[ValueId],
        site: i64,
    ) -> R<NyValue> {
        let a = |i: usize| self.get(base, args[i]);
        let bin = |g: extern "C" fn(i64, i64, i64, i64, i64) -> NyValue| {
            let (x, y) = (a(0), a(1));
            g(x.tag, x.payload, y.tag, y.payload, site)
        };
        let cmp = |g: extern "C" fn(i64, i64, i64, i64, i64) -> i64| {
            let (x, y) = (a(0), a(1));
            NyValue::bool(g(x.tag, x.payload, y.tag, y.payload, site) != 0)
        };
        Ok(match func {
            RtFn::Start => {
                return Err(internal(f, "nyrt_start cannot be called from MIR".into()));
            }
            RtFn::Init => {
                rt::nyrt_init(a(0).payload, a(1).payload, a(2).payload, a(3).payload);
                NyValue::NULL
            }
            RtFn::Args => rt::nyrt_args(),
            RtFn::Finish => {
                let x = a(0);
                NyValue::int(rt::nyrt_finish(x.tag, x.payload))
            }
            RtFn::StrNew => rt::nyrt_str_new(a(0).payload, a(1).payload),
            RtFn::Print => {
                let x = a(0);
                rt::nyrt_print(x.tag, x.payload);
                NyValue::NULL
            }
            RtFn::Add => bin(rt::nyrt_add),
            RtFn::AddConsume => bin(rt::nyrt_add_consume),
            RtFn::Sub => bin(rt::nyrt_sub),
            RtFn::Mul => bin(rt::nyrt_mul),
            RtFn::Div => bin(rt::nyrt_div),
            RtFn::Rem => bin(rt::nyrt_rem),
            RtFn::Neg => {
                let x = a(0);
                rt::nyrt_neg(x.tag, x.payload, site)
            }
            RtFn::Eq => {
                let (x, y) = (a(0), a(1));
                NyValue::bool(rt::nyrt_eq(x.tag, x.payload, y.tag, y.payload) != 0)
            }
            RtFn::Lt => cmp(rt::nyrt_lt),
            RtFn::Le => cmp(rt::nyrt_le),
            RtFn::Gt => cmp(rt::nyrt_gt),
            RtFn::Ge => cmp(rt::nyrt_ge),
            RtFn::Truthy => {
                let x = a(0);
                NyValue::bool(rt::nyrt_truthy(x.tag, x.payload, site) != 0)
            }
            RtFn::CallMethod => {
                let (r, sym, ptr, argc) = (a(0), a(1), a(2), a(3));
                rt::nyrt_call_method(r.tag, r.payload, sym.payload, ptr.payload, argc.payload, site)
            }
            // A direct method entry point called explicitly: receiver, arguments, symbol.
            RtFn::MapGet
            | RtFn::MapHas
            | RtFn::MapSet
            | RtFn::StrLength
            | RtFn::StrSubstring1
            | RtFn::StrSubstring2
            | RtFn::StrSubstringHead1
            | RtFn::StrSubstringHead2
            | RtFn::StrIndexOf
            | RtFn::StrIndexOfFrom
            | RtFn::StrConcat
            | RtFn::StrCharAt => {
                let all: Vec<NyValue> = (0..args.len()).map(a).collect();
                let Some((sym, rest)) = all.split_last() else {
                    return Err(internal(f, format!("{} without arguments", func.name())));
                };
                let Some((&r, margs)) = rest.split_first() else {
                    return Err(internal(f, format!("{} without a receiver", func.name())));
                };
                direct_method(f, func, r, margs, sym.payload, site)?
            }
            RtFn::StrAddSubstring1 => {
                let (acc, r, x, sym, sub_site) = (a(0), a(1), a(2), a(3), a(4));
                rt::nyrt_str_add_substring1(
                    acc.tag,
                    acc.payload,
                    r.tag,
                    r.payload,
                    x.tag,
                    x.payload,
                    sym.payload,
                    sub_site.payload,
                    site,
                )
            }
            RtFn::StrAddSubstring2 => {
                let (acc, r, x, y) = (a(0), a(1), a(2), a(3));
                let (sym, sub_site) = (a(4), a(5));
                rt::nyrt_str_add_substring2(
                    acc.tag,
                    acc.payload,
                    r.tag,
                    r.payload,
                    x.tag,
                    x.payload,
                    y.tag,
                    y.payload,
                    sym.payload,
                    sub_site.payload,
                    site,
                )
            }
            RtFn::ErrorDivZero => rt::nyrt_error_div_zero(site),
            RtFn::ErrorStackOverflow => rt::nyrt_error_stack_overflow(),
            RtFn::Error => {
                let m = a(0);
                rt::nyrt_error(m.tag, m.payload, site)
            }
            RtFn::Retain => {
                let x = a(0);
                rt::nyrt_retain(x.tag, x.payload);
                NyValue::NULL
            }
            RtFn::Release => {
                let x = a(0);
                rt::nyrt_release(x.tag, x.payload);
                NyValue::NULL
            }
            RtFn::NewInstance => rt::nyrt_new_instance(a(0).payload),
            RtFn::NewArray => rt::nyrt_new_array(),
            RtFn::NewArrayKind => rt::nyrt_new_array_kind(a(0).payload),
            RtFn::ArrayEnsureKind => {
                rt::nyrt_array_ensure_kind(a(0).payload, a(1).payload);
                NyValue::NULL
            }
            RtFn::NewMap => rt::nyrt_new_map(),
            RtFn::NewConsole => rt::nyrt_new_console(),
            RtFn::NewMath => rt::nyrt_new_math(),
            RtFn::FieldGet => {
                let (o, sym) = (a(0), a(1));
                rt::nyrt_field_get(o.tag, o.payload, sym.payload, site)
            }
            RtFn::FieldSet => {
                let (o, sym, v) = (a(0), a(1), a(2));
                rt::nyrt_field_set(o.tag, o.payload, sym.payload, v.tag, v.payload, site);
                NyValue::NULL
            }
            RtFn::BoxId => {
                let x = a(0);
                NyValue::int(rt::nyrt_box_id(x.tag, x.payload))
            }
            RtFn::RegisterBox => {
                rt::nyrt_register_box(a(0).payload, a(1).payload, a(2).payload);
                NyValue::NULL
            }
            RtFn::GlobalGet => rt::nyrt_global_get(a(0).payload),
            RtFn::GlobalSet => {
                let x = a(1);
                rt::nyrt_global_set(a(0).payload, x.tag, x.payload);
                NyValue::NULL
            }
        })
    }
}

/// A direct method entry point (`RtFn::direct_method`): receiver `r`, the method's arguments
/// `a` (as many as the entry point's signature has), method symbol `sym`.
fn direct_method(
    f: &Function,
    func: RtFn,
    r: NyValue,
    a: &[NyValue],
    sym: i64,
    site: i64,
) -> R<NyValue> {
    let want = func.signature().params.len().saturating_sub(2);
    if a.len() != want {
        return Err(internal(f, format!("{}: {} arguments, want {want}", func.name(), a.len())));
    }
    let (r0, r1) = (r.tag, r.payload);
    Ok(match func {
        RtFn::MapGet => rt::nyrt_map_get(r0, r1, a[0].tag, a[0].payload, sym, site),
        RtFn::MapHas => rt::nyrt_map_has(r0, r1, a[0].tag, a[0].payload, sym, site),
        RtFn::MapSet => {
            let (k, v) = (a[0], a[1]);
            rt::nyrt_map_set(r0, r1, k.tag, k.payload, v.tag, v.payload, sym, site)
        }
        RtFn::StrLength => rt::nyrt_str_length(r0, r1, sym, site),
        RtFn::StrSubstring1 => rt::nyrt_str_substring1(r0, r1, a[0].tag, a[0].payload, sym, site),
        RtFn::StrSubstring2 => {
            let (x, y) = (a[0], a[1]);
            rt::nyrt_str_substring2(r0, r1, x.tag, x.payload, y.tag, y.payload, sym, site)
        }
        RtFn::StrSubstringHead1 => {
            rt::nyrt_str_substring_head1(r0, r1, a[0].tag, a[0].payload, sym, site)
        }
        RtFn::StrSubstringHead2 => {
            let (x, y) = (a[0], a[1]);
            rt::nyrt_str_substring_head2(r0, r1, x.tag, x.payload, y.tag, y.payload, sym, site)
        }
        RtFn::StrIndexOf => rt::nyrt_str_index_of(r0, r1, a[0].tag, a[0].payload, sym, site),
        RtFn::StrIndexOfFrom => {
            let (x, y) = (a[0], a[1]);
            rt::nyrt_str_index_of_from(r0, r1, x.tag, x.payload, y.tag, y.payload, sym, site)
        }
        RtFn::StrConcat => rt::nyrt_str_concat(r0, r1, a[0].tag, a[0].payload, sym, site),
        RtFn::StrCharAt => rt::nyrt_str_char_at(r0, r1, a[0].tag, a[0].payload, sym, site),
        _ => return Err(internal(f, format!("{} is not a method entry point", func.name()))),
    })
}
