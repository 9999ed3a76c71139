//! The interpreter proper: one register file per call frame on a shared value stack, block
//! parameters as parallel copies, runtime calls straight into `nyash_runtime`.
//!
//! Every register holds a `NyValue`. Unboxed values keep the tag of their type (an `Int` is
//! `(tag::INT, i)`, a `Float` `(tag::FLOAT, bits)`, a `Bool` `(tag::BOOL, 0/1)`), so `ToDyn` is
//! a plain copy and the payload word is what native code would hold in a register.

use nyash_mir::{
    BackendError, BlockId, CmpOp, Const, FloatOp, FuncId, Function, Inst, InstKind, IntOp, Module,
    RtFn, Terminator, ValueId,
};
use nyash_runtime::{self as rt, NyValue};

pub(crate) struct Interp<'m> {
    module: &'m Module,
    /// `Module::runtime_metadata()`, alive for the whole run (the runtime copies what it needs).
    meta: Vec<u8>,
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
    pub(crate) fn new(module: &'m Module) -> Self {
        Interp {
            module,
            meta: module.runtime_metadata(),
            stack: Vec::with_capacity(1 << 16),
            scratch: Vec::new(),
        }
    }

    /// Runs `__nyash_entry(argc, argv)` and returns its result (the exit code).
    pub(crate) fn run_entry(&mut self, argc: i64, argv: i64) -> R<i64> {
        let module = self.module;
        let f = module.func(module.entry);
        let base = self.stack.len();
        self.stack.resize(base + f.values.len(), NyValue::NULL);
        self.stack[base + f.params[0].index()] = NyValue::int(argc);
        self.stack[base + f.params[1].index()] = NyValue::int(argv);
        let r = self.exec(module.entry, base)?;
        self.stack.truncate(base);
        Ok(r.payload)
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
                Const::Str(s) => {
                    let s = &self.module.strings[s.index()];
                    rt::nyrt_str_new(s.as_ptr() as i64, s.len() as i64)
                }
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
                NyValue::bool(match op {
                    CmpOp::Eq => x == y,
                    CmpOp::Ne => x != y,
                    CmpOp::Lt => x < y,
                    CmpOp::Le => x <= y,
                    CmpOp::Gt => x > y,
                    CmpOp::Ge => x >= y,
                })
            }
            InstKind::FloatCmp { op, a, b } => {
                let x = f64::from_bits(self.get(base, *a).payload as u64);
                let y = f64::from_bits(self.get(base, *b).payload as u64);
                // Rust's float operators are ordered except `!=`, which is true when unordered:
                // exactly the MIR contract.
                NyValue::bool(match op {
                    CmpOp::Eq => x == y,
                    CmpOp::Ne => x != y,
                    CmpOp::Lt => x < y,
                    CmpOp::Le => x <= y,
                    CmpOp::Gt => x > y,
                    CmpOp::Ge => x >= y,
                })
            }
            InstKind::IntNeg(a) => NyValue::int(self.get(base, *a).payload.wrapping_neg()),
            InstKind::FloatNeg(a) => {
                NyValue::float(-f64::from_bits(self.get(base, *a).payload as u64))
            }
            InstKind::BoolNot(a) => NyValue::bool(self.get(base, *a).payload == 0),
            InstKind::IntToFloat(a) => NyValue::float(self.get(base, *a).payload as f64),
            // Registers are always tagged, so boxing is a copy.
            InstKind::ToDyn(a) => self.get(base, *a),
            InstKind::RtCall { func, args } => self.rt_call(f, base, *func, args, site)?,
            InstKind::DynMethodCall { recv, method, args } => {
                let r = self.get(base, *recv);
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
                rt::nyrt_call_method(
                    r.tag,
                    r.payload,
                    method.0 as i64,
                    argv.as_ptr() as i64,
                    argv.len() as i64,
                    site,
                )
            }
            InstKind::InitRuntime { argc, argv } => {
                let (c, v) = (self.get(base, *argc).payload, self.get(base, *argv).payload);
                rt::nyrt_init(c, v, self.meta.as_ptr() as i64, self.meta.len() as i64);
                NyValue::NULL
            }
            InstKind::Call { .. } => {
                return Err(internal(f, "Call must be handled by the frame loop".into()))
            }
            InstKind::Binary { .. }
            | InstKind::Unary { .. }
            | InstKind::Truthy(_)
            | InstKind::Print(_)
            | InstKind::MethodCall { .. } => {
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
            RtFn::ErrorDivZero => rt::nyrt_error_div_zero(site),
        })
    }
}
