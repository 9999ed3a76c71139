//! VM unit tests: hand-built legal MIR modules run end to end.

use crate::VmBackend;
use nyash_mir::*;

/// A tiny function builder for tests.
struct FB {
    f: Function,
}

impl FB {
    fn new(name: &str, params: &[Type], ret: Type) -> FB {
        let mut f =
            Function { name: name.into(), params: vec![], ret, blocks: vec![], values: vec![] };
        let ps: Vec<ValueId> = params.iter().map(|t| f.new_value(*t)).collect();
        f.params = ps.clone();
        f.blocks.push(Block { params: ps, insts: vec![], term: Terminator::Unreachable });
        FB { f }
    }
    fn param(&self, i: usize) -> ValueId {
        self.f.params[i]
    }
    fn block(&mut self, params: &[Type]) -> (BlockId, Vec<ValueId>) {
        let ps: Vec<ValueId> = params.iter().map(|t| self.f.new_value(*t)).collect();
        self.f.blocks.push(Block {
            params: ps.clone(),
            insts: vec![],
            term: Terminator::Unreachable,
        });
        (BlockId::new(self.f.blocks.len() - 1), ps)
    }
    fn ins(&mut self, b: BlockId, ty: Type, kind: InstKind) -> ValueId {
        let v = self.f.new_value(ty);
        self.f.blocks[b.index()].insts.push(Inst { result: Some(v), kind, site: SiteId(0) });
        v
    }
    fn int(&mut self, b: BlockId, i: i64) -> ValueId {
        self.ins(b, Type::Int, InstKind::Const(Const::Int(i)))
    }
    fn ibin(&mut self, b: BlockId, op: IntOp, x: ValueId, y: ValueId) -> ValueId {
        self.ins(b, Type::Int, InstKind::IntBin { op, a: x, b: y })
    }
    fn icmp(&mut self, b: BlockId, op: CmpOp, x: ValueId, y: ValueId) -> ValueId {
        self.ins(b, Type::Bool, InstKind::IntCmp { op, a: x, b: y })
    }
    fn term(&mut self, b: BlockId, t: Terminator) {
        self.f.blocks[b.index()].term = t;
    }
}

const B0: BlockId = BlockId(0);

/// A module whose `main` is `funcs[0]` (returning `main_ret`), plus the standard entry.
fn module(mut funcs: Vec<Function>, strings: Vec<&str>, symbols: Vec<&str>) -> Module {
    let main_ret = funcs[0].ret;
    let mut e = FB::new("__nyash_entry", &[Type::Int, Type::Int], Type::Int);
    let (c, v) = (e.param(0), e.param(1));
    e.f.blocks[0].insts.push(Inst {
        result: None,
        kind: InstKind::InitRuntime { argc: c, argv: v },
        site: SiteId(0),
    });
    let r = e.ins(B0, main_ret, InstKind::Call { func: FuncId(0), args: vec![] });
    let d = e.ins(B0, Type::Dyn, InstKind::ToDyn(r));
    let code = e.ins(B0, Type::Int, InstKind::RtCall { func: RtFn::Finish, args: vec![d] });
    e.term(B0, Terminator::Return(code));
    funcs.push(e.f);
    Module {
        file_name: "test.nyash".into(),
        entry: FuncId::new(funcs.len() - 1),
        funcs,
        strings: strings.into_iter().map(String::from).collect(),
        sites: vec![Site { line: 1, col: 1, func: "Main.main".into() }],
        symbols: symbols.into_iter().map(String::from).collect(),
        boxes: vec![],
        globals: vec![],
        array_elems: vec![],
    }
}

fn run(m: &Module) -> i32 {
    VmBackend.run(m, &Options::default(), &["test.nyash".into()]).expect("vm run").exit_code
}

#[test]
fn fib_recursion() {
    // fn1 fib(n) = n < 2 ? n : fib(n-1) + fib(n-2); main = fib(20) % 256
    let mut fib = FB::new("Main.fib", &[Type::Int], Type::Int);
    let n = fib.param(0);
    let two = fib.int(B0, 2);
    let lt = fib.icmp(B0, CmpOp::Lt, n, two);
    let (small, _) = fib.block(&[]);
    let (big, _) = fib.block(&[]);
    fib.term(
        B0,
        Terminator::Branch {
            cond: lt,
            then_block: small,
            then_args: vec![],
            else_block: big,
            else_args: vec![],
        },
    );
    fib.term(small, Terminator::Return(n));
    let one = fib.int(big, 1);
    let n1 = fib.ibin(big, IntOp::Sub, n, one);
    let f1 = fib.ins(big, Type::Int, InstKind::Call { func: FuncId(1), args: vec![n1] });
    let two = fib.int(big, 2);
    let n2 = fib.ibin(big, IntOp::Sub, n, two);
    let f2 = fib.ins(big, Type::Int, InstKind::Call { func: FuncId(1), args: vec![n2] });
    let s = fib.ibin(big, IntOp::Add, f1, f2);
    fib.term(big, Terminator::Return(s));

    let mut main = FB::new("Main.main", &[], Type::Int);
    let twenty = main.int(B0, 20);
    let r = main.ins(B0, Type::Int, InstKind::Call { func: FuncId(1), args: vec![twenty] });
    main.term(B0, Terminator::Return(r));
    let m = module(vec![main.f, fib.f], vec![], vec![]);
    assert_eq!(run(&m), 6765 % 256);
}

#[test]
fn loop_with_block_params_and_swap() {
    // s = 0; i = 1; (a, b) = (1, 2); loop(i <= 100) { s += i; i += 1; (a, b) = (b, a) }
    // return s + a * 1000  ->  5050 + 1000 (100 swaps: a == 1) = 6050 % 256
    let mut f = FB::new("Main.main", &[], Type::Int);
    let zero = f.int(B0, 0);
    let one = f.int(B0, 1);
    let two = f.int(B0, 2);
    let (head, hp) = f.block(&[Type::Int, Type::Int, Type::Int, Type::Int]);
    let (body, _) = f.block(&[]);
    let (exit, _) = f.block(&[]);
    f.term(B0, Terminator::Jump { target: head, args: vec![zero, one, one, two] });
    let (s, i, a, b) = (hp[0], hp[1], hp[2], hp[3]);
    let hundred = f.int(head, 100);
    let c = f.icmp(head, CmpOp::Le, i, hundred);
    f.term(
        head,
        Terminator::Branch {
            cond: c,
            then_block: body,
            then_args: vec![],
            else_block: exit,
            else_args: vec![],
        },
    );
    let s2 = f.ibin(body, IntOp::Add, s, i);
    let one_b = f.int(body, 1);
    let i2 = f.ibin(body, IntOp::Add, i, one_b);
    f.term(body, Terminator::Jump { target: head, args: vec![s2, i2, b, a] });
    let k = f.int(exit, 1000);
    let ak = f.ibin(exit, IntOp::Mul, a, k);
    let r = f.ibin(exit, IntOp::Add, s, ak);
    f.term(exit, Terminator::Return(r));
    let m = module(vec![f.f], vec![], vec![]);
    assert_eq!(run(&m), 6050 % 256);
}

/// Branches on each condition in turn; returns 100 + i for the first false one, else `ok`.
fn check_all(f: &mut FB, mut cur: BlockId, conds: &[ValueId], ok: i64) {
    for (i, c) in conds.iter().enumerate() {
        let (next, _) = f.block(&[]);
        let (fail, _) = f.block(&[]);
        let code = f.int(fail, 100 + i as i64);
        f.term(fail, Terminator::Return(code));
        f.term(
            cur,
            Terminator::Branch {
                cond: *c,
                then_block: next,
                then_args: vec![],
                else_block: fail,
                else_args: vec![],
            },
        );
        cur = next;
    }
    let code = f.int(cur, ok);
    f.term(cur, Terminator::Return(code));
}

#[test]
fn int_division_edges_do_not_trap() {
    let mut f = FB::new("Main.main", &[], Type::Int);
    let min = f.int(B0, i64::MIN);
    let m1 = f.int(B0, -1);
    let q = f.ibin(B0, IntOp::Div, min, m1);
    let r = f.ibin(B0, IntOp::Rem, min, m1);
    let c1 = f.icmp(B0, CmpOp::Eq, q, min);
    let zero = f.int(B0, 0);
    let c2 = f.icmp(B0, CmpOp::Eq, r, zero);
    let m7 = f.int(B0, -7);
    let two = f.int(B0, 2);
    let q2 = f.ibin(B0, IntOp::Div, m7, two);
    let r2 = f.ibin(B0, IntOp::Rem, m7, two);
    let m3 = f.int(B0, -3);
    let c3 = f.icmp(B0, CmpOp::Eq, q2, m3);
    let c4 = f.icmp(B0, CmpOp::Eq, r2, m1);
    let max = f.int(B0, i64::MAX);
    let one = f.int(B0, 1);
    let wrapped = f.ibin(B0, IntOp::Add, max, one);
    let c5 = f.icmp(B0, CmpOp::Eq, wrapped, min);
    check_all(&mut f, B0, &[c1, c2, c3, c4, c5], 7);
    let m = module(vec![f.f], vec![], vec![]);
    assert_eq!(run(&m), 7);
}

#[test]
fn float_ops_and_nan_comparisons() {
    let mut f = FB::new("Main.main", &[], Type::Int);
    let fc = |f: &mut FB, x: f64| f.ins(B0, Type::Float, InstKind::Const(Const::Float(x)));
    let a = fc(&mut f, 7.5);
    let b = fc(&mut f, 2.0);
    let nan = fc(&mut f, f64::NAN);
    let r = f.ins(B0, Type::Float, InstKind::FloatBin { op: FloatOp::Rem, a, b });
    let exp = fc(&mut f, 1.5);
    let c1 = f.ins(B0, Type::Bool, InstKind::FloatCmp { op: CmpOp::Eq, a: r, b: exp });
    let c2 = f.ins(B0, Type::Bool, InstKind::FloatCmp { op: CmpOp::Ne, a: nan, b: nan });
    let lt = f.ins(B0, Type::Bool, InstKind::FloatCmp { op: CmpOp::Lt, a: nan, b: a });
    let c3 = f.ins(B0, Type::Bool, InstKind::BoolNot(lt));
    let three = f.int(B0, 3);
    let tf = f.ins(B0, Type::Float, InstKind::IntToFloat(three));
    let q = f.ins(B0, Type::Float, InstKind::FloatBin { op: FloatOp::Div, a: tf, b });
    let exp2 = fc(&mut f, 1.5);
    let c4 = f.ins(B0, Type::Bool, InstKind::FloatCmp { op: CmpOp::Ge, a: q, b: exp2 });
    check_all(&mut f, B0, &[c1, c2, c3, c4], 9);
    let m = module(vec![f.f], vec![], vec![]);
    assert_eq!(run(&m), 9);
}

#[test]
fn strings_dynamic_ops_and_methods() {
    // main(): local s = "héllo" + 1; return s.length() + ("ab" == "ab" ? 100 : 0) -> Dyn
    let mut f = FB::new("Main.main", &[], Type::Dyn);
    let s0 = f.ins(B0, Type::Str, InstKind::Const(Const::Str(StrId(0))));
    let one = f.int(B0, 1);
    let one_d = f.ins(B0, Type::Dyn, InstKind::ToDyn(one));
    let s = f.ins(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![s0, one_d] });
    let len =
        f.ins(B0, Type::Dyn, InstKind::DynMethodCall { recv: s, method: SymId(0), args: vec![] });
    let ab1 = f.ins(B0, Type::Str, InstKind::Const(Const::Str(StrId(1))));
    let ab2 = f.ins(B0, Type::Str, InstKind::Const(Const::Str(StrId(1))));
    let eq = f.ins(B0, Type::Bool, InstKind::RtCall { func: RtFn::Eq, args: vec![ab1, ab2] });
    let (yes, _) = f.block(&[]);
    let (no, _) = f.block(&[]);
    f.term(
        B0,
        Terminator::Branch {
            cond: eq,
            then_block: yes,
            then_args: vec![],
            else_block: no,
            else_args: vec![],
        },
    );
    let h = f.int(yes, 100);
    let hd = f.ins(yes, Type::Dyn, InstKind::ToDyn(h));
    let sum = f.ins(yes, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![len, hd] });
    // "x".indexOf("é") style call with an argument: "héllo1".indexOf("l", 3) == 3
    let l = f.ins(yes, Type::Str, InstKind::Const(Const::Str(StrId(2))));
    let three = f.int(yes, 3);
    let three_d = f.ins(yes, Type::Dyn, InstKind::ToDyn(three));
    let idx = f.ins(
        yes,
        Type::Dyn,
        InstKind::DynMethodCall { recv: s, method: SymId(1), args: vec![l, three_d] },
    );
    let total = f.ins(yes, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![sum, idx] });
    f.term(yes, Terminator::Return(total));
    let z = f.ins(no, Type::Void, InstKind::Const(Const::Null));
    f.term(no, Terminator::Return(z));
    let m = module(vec![f.f], vec!["héllo", "ab", "l"], vec!["length", "indexOf"]);
    assert_eq!(run(&m), 6 + 100 + 3);
}

#[test]
fn args_array_reaches_main() {
    // main(args): return args.length() * 10 + args.get(0).length()
    let mut f = FB::new("Main.main", &[], Type::Dyn);
    let args = f.ins(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Args, args: vec![] });
    let n = f.ins(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: args, method: SymId(0), args: vec![] },
    );
    let ten = f.int(B0, 10);
    let ten_d = f.ins(B0, Type::Dyn, InstKind::ToDyn(ten));
    let n10 = f.ins(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Mul, args: vec![n, ten_d] });
    let zero = f.int(B0, 0);
    let zero_d = f.ins(B0, Type::Dyn, InstKind::ToDyn(zero));
    let first = f.ins(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: args, method: SymId(1), args: vec![zero_d] },
    );
    let flen = f.ins(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: first, method: SymId(0), args: vec![] },
    );
    let r = f.ins(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![n10, flen] });
    f.term(B0, Terminator::Return(r));
    let m = module(vec![f.f], vec![], vec!["length", "get"]);
    let argv: Vec<String> = ["prog.nyash", "abcd", "x"].iter().map(|s| s.to_string()).collect();
    let out = VmBackend.run(&m, &Options::default(), &argv).expect("vm run");
    assert_eq!(out.exit_code, 24);
}

#[test]
fn deep_recursion_fits_the_big_stack() {
    // down(n) = n == 0 ? 0 : down(n - 1) + 1, with n = 200_000
    let mut d = FB::new("Main.down", &[Type::Int], Type::Int);
    let n = d.param(0);
    let zero = d.int(B0, 0);
    let is0 = d.icmp(B0, CmpOp::Eq, n, zero);
    let (base_case, _) = d.block(&[]);
    let (rec, _) = d.block(&[]);
    d.term(
        B0,
        Terminator::Branch {
            cond: is0,
            then_block: base_case,
            then_args: vec![],
            else_block: rec,
            else_args: vec![],
        },
    );
    d.term(base_case, Terminator::Return(zero));
    let one = d.int(rec, 1);
    let n1 = d.ibin(rec, IntOp::Sub, n, one);
    let r = d.ins(rec, Type::Int, InstKind::Call { func: FuncId(1), args: vec![n1] });
    let r1 = d.ibin(rec, IntOp::Add, r, one);
    d.term(rec, Terminator::Return(r1));
    let mut main = FB::new("Main.main", &[], Type::Int);
    let big = main.int(B0, 200_000);
    let r = main.ins(B0, Type::Int, InstKind::Call { func: FuncId(1), args: vec![big] });
    let k = main.int(B0, 200_000 - 5);
    let diff = main.ibin(B0, IntOp::Sub, r, k);
    main.term(B0, Terminator::Return(diff));
    let m = module(vec![main.f, d.f], vec![], vec![]);
    assert_eq!(run(&m), 5);
}

#[test]
fn malformed_mir_is_an_error_not_a_panic() {
    let mut f = FB::new("Main.main", &[], Type::Int);
    f.term(B0, Terminator::Return(ValueId(99)));
    let m = module(vec![f.f], vec![], vec![]);
    assert!(matches!(
        VmBackend.run(&m, &Options::default(), &[]),
        Err(BackendError::Internal { .. })
    ));
    let mut g = FB::new("Main.main", &[], Type::Int);
    let x = g.int(B0, 1);
    let y = g.ins(B0, Type::Dyn, InstKind::Binary { op: BinOp::Add, a: x, b: x });
    g.term(B0, Terminator::Return(y));
    let m = module(vec![g.f], vec![], vec![]);
    assert!(matches!(
        VmBackend.run(&m, &Options::default(), &[]),
        Err(BackendError::Internal { .. })
    ));
}

#[test]
fn every_runtime_entry_point_is_exported() {
    let syms = nyash_runtime::symbols();
    for f in RtFn::ALL {
        assert!(syms.iter().any(|(n, a)| *n == f.name() && *a != 0), "missing {}", f.name());
    }
    assert!(syms.iter().any(|(n, _)| *n == "nyrt_fmod"));
    assert!(syms.iter().any(|(n, _)| *n == "nyrt_start"));
    // The by-name lookup the Cranelift JIT resolves imports with agrees with the table.
    for &(name, address) in &syms {
        assert_eq!(nyash_runtime::symbol(name), Some(address), "{name}");
    }
    assert_eq!(nyash_runtime::symbol("nyrt_no_such_function"), None);
    assert_eq!(nyash_runtime::symbol("fmod"), None);
}

#[test]
fn vm_cannot_emit() {
    let mut f = FB::new("Main.main", &[], Type::Int);
    let z = f.int(B0, 0);
    f.term(B0, Terminator::Return(z));
    let m = module(vec![f.f], vec![], vec![]);
    assert!(matches!(
        VmBackend.emit_object(&m, &Options::default()),
        Err(BackendError::Unsupported(_))
    ));
    assert_eq!(VmBackend.name(), "vm");
}

/// A user box `P { x }` with fini and toString thunks: field slots are read and written in the
/// runtime's memory, the runtime calls back into the interpreter (re-entrantly, from inside
/// `nyrt_release` and `nyrt_print`), and fini runs exactly once on the last release.
#[test]
fn instances_fields_and_callbacks() {
    let inst = Type::Instance(BoxId(0));
    let mut main = FB::new("Main.main", &[], Type::Int);
    let id = main.int(B0, 0);
    let fa = main.ins(B0, Type::Int, InstKind::FuncAddr(FuncId(1)));
    let ta = main.ins(B0, Type::Int, InstKind::FuncAddr(FuncId(2)));
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::RegisterBox, args: vec![id, fa, ta] });
    let p = main.ins(B0, inst, InstKind::RtCall { func: RtFn::NewInstance, args: vec![id] });
    let five = main.int(B0, 5);
    let d5 = main.ins(B0, Type::Dyn, InstKind::ToDyn(five));
    main.ins(B0, Type::Void, InstKind::FieldStore { obj: p, slot: 0, value: d5 });
    let x = main.ins(B0, Type::Dyn, InstKind::FieldLoad { obj: p, slot: 0 });
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Print, args: vec![x] });
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Print, args: vec![p] });
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Retain, args: vec![p] });
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Release, args: vec![p] });
    let s = main.ins(B0, Type::Str, InstKind::Const(Const::Str(StrId(1))));
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Print, args: vec![s] });
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Release, args: vec![s] });
    main.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Release, args: vec![p] });
    let zero = main.int(B0, 0);
    main.term(B0, Terminator::Return(zero));

    let mut fini = FB::new("P.fini$thunk", &[inst], Type::Dyn);
    let s = fini.ins(B0, Type::Str, InstKind::Const(Const::Str(StrId(0))));
    fini.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Print, args: vec![s] });
    fini.ins(B0, Type::Void, InstKind::RtCall { func: RtFn::Release, args: vec![s] });
    let null = fini.ins(B0, Type::Void, InstKind::Const(Const::Null));
    fini.term(B0, Terminator::Return(null));

    let mut ts = FB::new("P.toString$thunk", &[inst], Type::Dyn);
    let me = ts.param(0);
    let x = ts.ins(B0, Type::Dyn, InstKind::FieldLoad { obj: me, slot: 0 });
    ts.term(B0, Terminator::Return(x));

    let mut m = module(vec![main.f, fini.f, ts.f], vec!["fini", "still alive"], vec![]);
    m.boxes.push(BoxDef {
        name: "P".into(),
        is_static: false,
        parent: None,
        fields: vec!["x".into()],
        field_types: Vec::new(),
        methods: vec![],
        constructors: vec![],
        fini_thunk: Some(FuncId(1)),
        to_string_thunk: Some(FuncId(2)),
    });
    let (code, out) = crate::run_captured(&m, &["test.nyash".into()]).expect("vm run");
    assert_eq!(code, 0);
    assert_eq!(out, "5\n5\nstill alive\nfini\n");
}

#[test]
fn field_access_on_a_non_instance_is_an_internal_error() {
    let mut main = FB::new("Main.main", &[], Type::Int);
    let null = main.ins(B0, Type::Dyn, InstKind::Const(Const::Null));
    main.ins(B0, Type::Dyn, InstKind::FieldLoad { obj: null, slot: 0 });
    let zero = main.int(B0, 0);
    main.term(B0, Terminator::Return(zero));
    let m = module(vec![main.f], vec![], vec![]);
    let r = VmBackend.run(&m, &Options::default(), &["test.nyash".into()]);
    assert!(matches!(r, Err(BackendError::Internal { .. })), "{r:?}");

    // Validation: FieldLoad needs a Boxed operand, FuncAddr a one-parameter function.
    let mut main = FB::new("Main.main", &[], Type::Int);
    let i = main.int(B0, 1);
    main.ins(B0, Type::Dyn, InstKind::FieldLoad { obj: i, slot: 0 });
    main.ins(B0, Type::Int, InstKind::FuncAddr(FuncId(0)));
    main.term(B0, Terminator::Return(i));
    let m = module(vec![main.f], vec![], vec![]);
    let r = VmBackend.run(&m, &Options::default(), &["test.nyash".into()]);
    assert!(matches!(r, Err(BackendError::Internal { .. })), "{r:?}");
}

/// The native backends emit string literals as `layout::immortal_str_object` data; it must be
/// byte for byte what the runtime builds (the VM's literal objects).
#[test]
fn immortal_literal_layout_matches_runtime() {
    let texts = ["", "abc", "héllo wörld \u{10348}"];
    let lits = nyash_runtime::Literals::new(texts);
    for (i, t) in texts.iter().enumerate() {
        let v = lits.get(i).unwrap();
        assert_eq!(v.tag, tag::STR);
        let want = layout::immortal_str_object(t);
        assert_eq!(want.len() as i64, layout::STR_BYTES_OFFSET + t.len() as i64);
        // SAFETY: the object is live (owned by `lits`) and this many bytes long.
        let got = unsafe { std::slice::from_raw_parts(v.payload as *const u8, want.len()) };
        assert_eq!(got, &want[..], "literal {t:?}");
        assert_eq!(v.payload as u64 % layout::OBJECT_ALIGN, 0);
    }
}
