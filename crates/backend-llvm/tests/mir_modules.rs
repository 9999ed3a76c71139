//! Hand-built legal MIR modules run through the LLVM backend: ORC exit codes at several -O
//! levels, object emission, IR/assembly text, and internal errors instead of panics.

use nyash_backend_llvm::LlvmBackend;
use nyash_mir::*;

/// Builds one MIR function block by block.
struct Fb {
    f: Function,
}

impl Fb {
    fn new(name: &str, params: &[Type], ret: Type) -> (Fb, Vec<ValueId>) {
        let mut f =
            Function { name: name.into(), params: vec![], ret, blocks: vec![], values: vec![] };
        let ps: Vec<ValueId> = params.iter().map(|&t| f.new_value(t)).collect();
        f.params = ps.clone();
        f.blocks.push(Block { params: ps.clone(), insts: vec![], term: Terminator::Unreachable });
        (Fb { f }, ps)
    }
    fn block(&mut self, params: &[Type]) -> (BlockId, Vec<ValueId>) {
        let ps: Vec<ValueId> = params.iter().map(|&t| self.f.new_value(t)).collect();
        self.f.blocks.push(Block {
            params: ps.clone(),
            insts: vec![],
            term: Terminator::Unreachable,
        });
        (BlockId::new(self.f.blocks.len() - 1), ps)
    }
    fn inst(&mut self, b: BlockId, ty: Type, kind: InstKind) -> ValueId {
        let v = self.f.new_value(ty);
        self.f.blocks[b.index()].insts.push(Inst { result: Some(v), kind, site: SiteId(0) });
        v
    }
    fn effect(&mut self, b: BlockId, kind: InstKind) {
        self.f.blocks[b.index()].insts.push(Inst { result: None, kind, site: SiteId(0) });
    }
    fn int(&mut self, b: BlockId, x: i64) -> ValueId {
        self.inst(b, Type::Int, InstKind::Const(Const::Int(x)))
    }
    fn term(&mut self, b: BlockId, t: Terminator) {
        self.f.blocks[b.index()].term = t;
    }
}

const B0: BlockId = BlockId(0);

fn jump(target: BlockId, args: Vec<ValueId>) -> Terminator {
    Terminator::Jump { target, args }
}

fn branch(cond: ValueId, t: BlockId, ta: Vec<ValueId>, e: BlockId, ea: Vec<ValueId>) -> Terminator {
    Terminator::Branch { cond, then_block: t, then_args: ta, else_block: e, else_args: ea }
}

/// A module of `funcs` (whose function 0 is `Main.main() -> int`) plus the standard entry:
/// init, call main, `nyrt_finish(main's result)`.
fn module(mut funcs: Vec<Function>, strings: &[&str], symbols: &[&str]) -> Module {
    let (mut e, p) = Fb::new("__nyash_entry", &[Type::Int, Type::Int], Type::Int);
    e.effect(B0, InstKind::InitRuntime { argc: p[0], argv: p[1] });
    let r = e.inst(B0, Type::Int, InstKind::Call { func: FuncId(0), args: vec![] });
    let d = e.inst(B0, Type::Dyn, InstKind::ToDyn(r));
    let code = e.inst(B0, Type::Int, InstKind::RtCall { func: RtFn::Finish, args: vec![d] });
    e.term(B0, Terminator::Return(code));
    funcs.push(e.f);
    Module {
        file_name: "test.nyash".into(),
        entry: FuncId::new(funcs.len() - 1),
        funcs,
        strings: strings.iter().map(|s| s.to_string()).collect(),
        sites: vec![Site { line: 1, col: 1, func: "Main.main".into() }],
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        boxes: vec![],
        globals: vec![],
        array_elems: vec![],
    }
}

fn run_at(m: &Module, level: OptLevel) -> i32 {
    let opts = Options { opt_level: level, verify: true };
    let out =
        LlvmBackend.run(m, &opts, &["test.nyash".to_string()]).unwrap_or_else(|e| panic!("{e}"));
    out.exit_code
}

fn run_all_levels(m: &Module, expected: i32) {
    for level in [OptLevel::O0, OptLevel::O1, OptLevel::O2, OptLevel::O3] {
        assert_eq!(run_at(m, level), expected, "at {level:?}");
    }
}

/// `Main.fib(n)` recursive; main returns fib(20) = 6765 → exit 6765 mod 256 = 109.
fn fib_module() -> Module {
    let (mut main, _) = Fb::new("Main.main", &[], Type::Int);
    let n = main.int(B0, 20);
    let r = main.inst(B0, Type::Int, InstKind::Call { func: FuncId(1), args: vec![n] });
    main.term(B0, Terminator::Return(r));

    let (mut fib, p) = Fb::new("Main.fib", &[Type::Int], Type::Int);
    let (base, _) = fib.block(&[]);
    let (rec, _) = fib.block(&[]);
    let two = fib.int(B0, 2);
    let c = fib.inst(B0, Type::Bool, InstKind::IntCmp { op: CmpOp::Lt, a: p[0], b: two });
    fib.term(B0, branch(c, base, vec![], rec, vec![]));
    fib.term(base, Terminator::Return(p[0]));
    let one = fib.int(rec, 1);
    let n1 = fib.inst(rec, Type::Int, InstKind::IntBin { op: IntOp::Sub, a: p[0], b: one });
    let two = fib.int(rec, 2);
    let n2 = fib.inst(rec, Type::Int, InstKind::IntBin { op: IntOp::Sub, a: p[0], b: two });
    let a = fib.inst(rec, Type::Int, InstKind::Call { func: FuncId(1), args: vec![n1] });
    let b = fib.inst(rec, Type::Int, InstKind::Call { func: FuncId(1), args: vec![n2] });
    let s = fib.inst(rec, Type::Int, InstKind::IntBin { op: IntOp::Add, a, b });
    fib.term(rec, Terminator::Return(s));
    module(vec![main.f, fib.f], &[], &[])
}

#[test]
fn fib_runs_on_orc() {
    run_all_levels(&fib_module(), 6765 % 256);
}

/// `Main.calc(MIN, -1, 7)`: MIN / -1 = MIN, 7 % -1 = 0, 7 / -1 = -7, -7 / 2 = -3,
/// -7 % 2 = -1, wrapping MIN - 1 = MAX; all folded so a correct backend returns 42.
#[test]
fn int_division_edge_cases() {
    let (mut main, _) = Fb::new("Main.main", &[], Type::Int);
    let args = vec![main.int(B0, i64::MIN), main.int(B0, -1), main.int(B0, 7)];
    let r = main.inst(B0, Type::Int, InstKind::Call { func: FuncId(1), args });
    main.term(B0, Terminator::Return(r));

    let (mut c, p) = Fb::new("Main.calc", &[Type::Int, Type::Int, Type::Int], Type::Int);
    let (min, m1, seven) = (p[0], p[1], p[2]);
    let bin = |c: &mut Fb, op, a, b| c.inst(B0, Type::Int, InstKind::IntBin { op, a, b });
    let q = bin(&mut c, IntOp::Div, min, m1); // MIN
    let t0 = bin(&mut c, IntOp::Sub, q, min); // 0
    let r = bin(&mut c, IntOp::Rem, seven, m1); // 0
    let d = bin(&mut c, IntOp::Div, seven, m1); // -7
    let t1 = bin(&mut c, IntOp::Add, d, seven); // 0
    let neg7 = c.inst(B0, Type::Int, InstKind::IntNeg(seven));
    let two = c.int(B0, 2);
    let h = bin(&mut c, IntOp::Div, neg7, two); // -3
    let three = c.int(B0, 3);
    let t2 = bin(&mut c, IntOp::Add, h, three); // 0
    let rm = bin(&mut c, IntOp::Rem, neg7, two); // -1
    let one = c.int(B0, 1);
    let t3 = bin(&mut c, IntOp::Add, rm, one); // 0
    let wrap = bin(&mut c, IntOp::Sub, min, one); // MAX
    let max = c.int(B0, i64::MAX);
    let t4 = bin(&mut c, IntOp::Sub, wrap, max); // 0
    let negmin = c.inst(B0, Type::Int, InstKind::IntNeg(min)); // MIN
    let t5 = bin(&mut c, IntOp::Sub, negmin, min); // 0
    let mut acc = c.int(B0, 42);
    for t in [t0, r, t1, t2, t3, t4, t5] {
        acc = bin(&mut c, IntOp::Add, acc, t);
    }
    c.term(B0, Terminator::Return(acc));
    run_all_levels(&module(vec![main.f, c.f], &[], &[]), 42);
}

/// Float remainder, NaN comparisons (Ne is unordered, Lt ordered) and int → float, with
/// both edges of a branch going to the same block with different arguments.
#[test]
fn float_ops_and_same_target_branch() {
    let (mut main, _) = Fb::new("Main.main", &[], Type::Int);
    let a = main.inst(B0, Type::Float, InstKind::Const(Const::Float(7.5)));
    let b = main.inst(B0, Type::Float, InstKind::Const(Const::Float(2.0)));
    let big = main.inst(B0, Type::Float, InstKind::Const(Const::Float(1e308)));
    let r = main.inst(B0, Type::Int, InstKind::Call { func: FuncId(1), args: vec![a, b, big] });
    main.term(B0, Terminator::Return(r));

    let (mut f, p) = Fb::new("Main.f", &[Type::Float, Type::Float, Type::Float], Type::Int);
    let fbin = |f: &mut Fb, b: BlockId, op, x, y| {
        f.inst(b, Type::Float, InstKind::FloatBin { op, a: x, b: y })
    };
    let rem = fbin(&mut f, B0, FloatOp::Rem, p[0], p[1]); // 1.5
    let ten = f.int(B0, 10);
    let three = f.int(B0, 3);
    let three_f = f.inst(B0, Type::Float, InstKind::IntToFloat(three));
    let half = fbin(&mut f, B0, FloatOp::Div, rem, three_f); // 0.5
    let expect = f.inst(B0, Type::Float, InstKind::Const(Const::Float(0.5)));
    let ok1 = f.inst(B0, Type::Bool, InstKind::FloatCmp { op: CmpOp::Eq, a: half, b: expect });
    let zero = f.int(B0, 0);
    let (j1, acc1) = f.block(&[Type::Int]);
    f.term(B0, branch(ok1, j1, vec![ten], j1, vec![zero]));
    // inf - inf = NaN
    let inf = fbin(&mut f, j1, FloatOp::Mul, p[2], p[2]);
    let nan = fbin(&mut f, j1, FloatOp::Sub, inf, inf);
    let ne = f.inst(j1, Type::Bool, InstKind::FloatCmp { op: CmpOp::Ne, a: nan, b: nan });
    let lt = f.inst(j1, Type::Bool, InstKind::FloatCmp { op: CmpOp::Lt, a: nan, b: p[0] });
    let not_lt = f.inst(j1, Type::Bool, InstKind::BoolNot(lt));
    let twenty = f.int(j1, 20);
    let s1 = f.inst(j1, Type::Int, InstKind::IntBin { op: IntOp::Add, a: acc1[0], b: twenty });
    let (j2, acc2) = f.block(&[Type::Int]);
    let (j3, acc3) = f.block(&[Type::Int]);
    f.term(j1, branch(ne, j2, vec![s1], j2, vec![acc1[0]]));
    let twelve = f.int(j2, 12);
    let s2 = f.inst(j2, Type::Int, InstKind::IntBin { op: IntOp::Add, a: acc2[0], b: twelve });
    f.term(j2, branch(not_lt, j3, vec![s2], j3, vec![acc2[0]]));
    f.term(j3, Terminator::Return(acc3[0]));
    run_all_levels(&module(vec![main.f, f.f], &[], &[]), 42);
}

/// A loop whose header is bb0 itself (so bb0's parameters need phis) and a counted loop
/// with a separate header: sum(1..=100) = 5050, countdown(10) = 55 → (5050 + 55) mod 256.
#[test]
fn loops_and_entry_block_as_jump_target() {
    let (mut main, _) = Fb::new("Main.main", &[], Type::Int);
    let ten = main.int(B0, 10);
    let zero = main.int(B0, 0);
    let c = main.inst(B0, Type::Int, InstKind::Call { func: FuncId(1), args: vec![ten, zero] });
    let (head, hp) = main.block(&[Type::Int, Type::Int]);
    let (body, _) = main.block(&[]);
    let (exit, _) = main.block(&[]);
    let one = main.int(B0, 1);
    main.term(B0, jump(head, vec![one, c]));
    let hundred = main.int(head, 100);
    let cond =
        main.inst(head, Type::Bool, InstKind::IntCmp { op: CmpOp::Le, a: hp[0], b: hundred });
    main.term(head, branch(cond, body, vec![], exit, vec![]));
    let acc = main.inst(body, Type::Int, InstKind::IntBin { op: IntOp::Add, a: hp[1], b: hp[0] });
    let one = main.int(body, 1);
    let i = main.inst(body, Type::Int, InstKind::IntBin { op: IntOp::Add, a: hp[0], b: one });
    main.term(body, jump(head, vec![i, acc]));
    main.term(exit, Terminator::Return(hp[1]));

    let (mut cd, p) = Fb::new("Main.countdown", &[Type::Int, Type::Int], Type::Int);
    let (done, _) = cd.block(&[]);
    let (more, _) = cd.block(&[]);
    let zero = cd.int(B0, 0);
    let z = cd.inst(B0, Type::Bool, InstKind::IntCmp { op: CmpOp::Eq, a: p[0], b: zero });
    cd.term(B0, branch(z, done, vec![], more, vec![]));
    cd.term(done, Terminator::Return(p[1]));
    let one = cd.int(more, 1);
    let n1 = cd.inst(more, Type::Int, InstKind::IntBin { op: IntOp::Sub, a: p[0], b: one });
    let a1 = cd.inst(more, Type::Int, InstKind::IntBin { op: IntOp::Add, a: p[1], b: p[0] });
    cd.term(more, jump(B0, vec![n1, a1]));
    run_all_levels(&module(vec![main.f, cd.f], &[], &[]), (5050 + 55) % 256);
}

/// A string constant, `nyrt_print`, and dynamic method calls with 0 and 2 arguments:
/// ("hello".concat("hello")).length() + "hellohello".substring(1, 4).length() = 10 + 3.
/// Also passes a Boxed value through a MIR call and return.
#[test]
fn strings_and_dynamic_method_calls() {
    let (mut main, _) = Fb::new("Main.main", &[], Type::Dyn);
    let s = main.inst(B0, Type::Str, InstKind::Const(Const::Str(StrId(0))));
    main.effect(B0, InstKind::RtCall { func: RtFn::Print, args: vec![s] });
    let t = main.inst(B0, Type::Str, InstKind::Call { func: FuncId(1), args: vec![s] });
    let n = main.inst(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: t, method: SymId(0), args: vec![] },
    );
    let one = main.int(B0, 1);
    let four = main.int(B0, 4);
    let one = main.inst(B0, Type::Dyn, InstKind::ToDyn(one));
    let four = main.inst(B0, Type::Dyn, InstKind::ToDyn(four));
    let u = main.inst(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: t, method: SymId(2), args: vec![one, four] },
    );
    let m = main.inst(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: u, method: SymId(0), args: vec![] },
    );
    let sum = main.inst(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![n, m] });
    main.term(B0, Terminator::Return(sum));

    let (mut dbl, p) = Fb::new("Main.double", &[Type::Str], Type::Str);
    let d = dbl.inst(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: p[0], method: SymId(1), args: vec![p[0]] },
    );
    dbl.term(B0, Terminator::Return(d));

    // The entry here passes main's Dyn result straight to nyrt_finish.
    let mut m = module(vec![main.f, dbl.f], &["hello"], &["length", "concat", "substring"]);
    let entry = m.entry.index();
    let e = &mut m.funcs[entry];
    e.blocks[0].insts.remove(2); // ToDyn: main already returns Dyn
    e.values[2].ty = Type::Dyn; // the call's result
    if let InstKind::RtCall { args, .. } = &mut e.blocks[0].insts[2].kind {
        args[0] = ValueId(2);
    }
    run_all_levels(&m, 13);
}

/// A user box `Pair { a, b }` whose `toString` thunk (called back by the runtime through its
/// `FuncAddr`, registered with `nyrt_register_box` by the entry) returns field `b`. Main
/// stores 7 into slot 0, "abc" then "abcdef" into slot 1, and returns
/// `a + ("" + pair).length()` = 13 (the default display "Pair" would give 11). The
/// concatenation makes the runtime call the thunk as `extern "C" fn(i64, i64) -> {i64, i64}`,
/// at every -O level (where the address escaping must keep LLVM from changing the internal
/// thunk's calling convention).
#[test]
fn instance_fields_and_callback_thunk() {
    let pair = Type::Instance(BoxId(0));
    let (mut main, _) = Fb::new("Main.main", &[], Type::Int);
    let zero = main.int(B0, 0);
    let obj = main.inst(B0, pair, InstKind::RtCall { func: RtFn::NewInstance, args: vec![zero] });
    let seven = main.int(B0, 7);
    let seven = main.inst(B0, Type::Dyn, InstKind::ToDyn(seven));
    main.effect(B0, InstKind::FieldStore { obj, slot: 0, value: seven });
    for text in [StrId(0), StrId(1)] {
        let s = main.inst(B0, Type::Str, InstKind::Const(Const::Str(text)));
        let old = main.inst(B0, Type::Dyn, InstKind::FieldLoad { obj, slot: 1 });
        main.effect(B0, InstKind::FieldStore { obj, slot: 1, value: s });
        main.effect(B0, InstKind::RtCall { func: RtFn::Release, args: vec![old] });
    }
    let a = main.inst(B0, Type::Dyn, InstKind::FieldLoad { obj, slot: 0 });
    let empty = main.inst(B0, Type::Str, InstKind::Const(Const::Str(StrId(2))));
    let shown =
        main.inst(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![empty, obj] });
    let len = main.inst(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: shown, method: SymId(0), args: vec![] },
    );
    let sum = main.inst(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![a, len] });
    for v in [shown, empty, obj] {
        main.effect(B0, InstKind::RtCall { func: RtFn::Release, args: vec![v] });
    }
    // Back to an int for the entry: `sum == 13 ? 13 : 0` through nyrt_eq.
    let thirteen = main.int(B0, 13);
    let thirteen_d = main.inst(B0, Type::Dyn, InstKind::ToDyn(thirteen));
    let ok =
        main.inst(B0, Type::Bool, InstKind::RtCall { func: RtFn::Eq, args: vec![sum, thirteen_d] });
    let (done, code) = main.block(&[Type::Int]);
    let zero = main.int(B0, 0);
    main.term(B0, branch(ok, done, vec![thirteen], done, vec![zero]));
    main.term(done, Terminator::Return(code[0]));

    let (mut thunk, me) = Fb::new("Pair.toString$thunk", &[pair], Type::Dyn);
    let b = thunk.inst(B0, Type::Dyn, InstKind::FieldLoad { obj: me[0], slot: 1 });
    thunk.effect(B0, InstKind::RtCall { func: RtFn::Retain, args: vec![b] });
    thunk.term(B0, Terminator::Return(b));

    let mut m = module(vec![main.f, thunk.f], &["abc", "abcdef", ""], &["length"]);
    let entry = m.entry.index();
    let e = &mut m.funcs[entry];
    let addr = e.new_value(Type::Int);
    let (id, no_fini) = (e.new_value(Type::Int), e.new_value(Type::Int));
    let site = SiteId(0);
    let registration = [
        Inst { result: Some(addr), kind: InstKind::FuncAddr(FuncId(1)), site },
        Inst { result: Some(id), kind: InstKind::Const(Const::Int(0)), site },
        Inst { result: Some(no_fini), kind: InstKind::Const(Const::Int(0)), site },
        Inst {
            result: None,
            kind: InstKind::RtCall { func: RtFn::RegisterBox, args: vec![id, no_fini, addr] },
            site,
        },
    ];
    // Right after InitRuntime, as lowering does.
    e.blocks[0].insts.splice(1..1, registration);
    m.boxes.push(BoxDef {
        name: "Pair".into(),
        is_static: false,
        parent: None,
        fields: vec!["a".into(), "b".into()],
        field_types: Vec::new(),
        methods: vec![],
        constructors: vec![],
        fini_thunk: None,
        to_string_thunk: Some(FuncId(1)),
    });
    run_all_levels(&m, 13);
    let opts = Options { opt_level: OptLevel::O2, verify: true };
    let ir = LlvmBackend.emit_text(&m, &opts, EmitKind::Ir).unwrap();
    assert!(ir.contains("ptrtoint") && ir.contains("@\"Pair.toString$thunk\""), "{ir}");
    assert!(!ir.contains("fastcc"), "{ir}");
}

#[test]
fn emits_an_elf_object_with_main() {
    let obj = LlvmBackend.emit_object(&fib_module(), &Options::default()).unwrap();
    assert_eq!(&obj.bytes[..4], b"\x7fELF");
    // `main` must appear in the symbol table (as a plain NUL-terminated string).
    assert!(obj.bytes.windows(6).any(|w| w == b"\0main\0"));
}

#[test]
fn ir_text_uses_mir_names() {
    let opts = Options { opt_level: OptLevel::O0, verify: true };
    let ir = LlvmBackend.emit_text(&fib_module(), &opts, EmitKind::Ir).unwrap();
    for needle in [
        "define internal i64 @Main.fib(i64 %v0)",
        "define i32 @main(",
        "bb2:",
        "%v4 = sub i64 %v0, 1",
        "@nyrt_start",
    ] {
        assert!(ir.contains(needle), "missing `{needle}` in\n{ir}");
    }
    let asm = LlvmBackend.emit_text(&fib_module(), &Options::default(), EmitKind::Asm).unwrap();
    assert!(asm.contains("main:"), "{asm}");
}

#[test]
fn invalid_mir_is_an_internal_error_naming_the_function() {
    let (mut main, _) = Fb::new("Main.main", &[], Type::Int);
    let ghost = main.f.new_value(Type::Int); // never defined
    main.term(B0, Terminator::Return(ghost));
    let err =
        LlvmBackend.emit_object(&module(vec![main.f], &[], &[]), &Options::default()).unwrap_err();
    match err {
        BackendError::Internal { backend: "llvm", func: Some(f), .. } => assert_eq!(f, "Main.main"),
        other => panic!("unexpected error {other:?}"),
    }
}
