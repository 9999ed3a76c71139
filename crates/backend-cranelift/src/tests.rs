//! Backend tests on hand-built legal MIR: JIT exit codes, emitted text, and AOT objects
//! linked with the runtime staticlib and run as executables.

use crate::CraneliftBackend;
use nyash_mir::*;
use std::path::PathBuf;
use std::process::Command;

// ---- a tiny MIR builder ----

struct FnBuilder {
    f: Function,
}

impl FnBuilder {
    fn new(name: &str, params: &[Type], ret: Type) -> (FnBuilder, Vec<ValueId>) {
        let mut f =
            Function { name: name.into(), params: vec![], ret, blocks: vec![], values: vec![] };
        let ps: Vec<ValueId> = params.iter().map(|&t| f.new_value(t)).collect();
        f.params = ps.clone();
        f.blocks.push(Block { params: ps.clone(), insts: vec![], term: Terminator::Unreachable });
        (FnBuilder { f }, ps)
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
    fn ins(&mut self, bb: BlockId, ty: Type, kind: InstKind) -> ValueId {
        let v = self.f.new_value(ty);
        self.f.blocks[bb.index()].insts.push(Inst { result: Some(v), kind, site: SiteId(0) });
        v
    }
    fn ins_void(&mut self, bb: BlockId, kind: InstKind) {
        self.f.blocks[bb.index()].insts.push(Inst { result: None, kind, site: SiteId(0) });
    }
    fn int(&mut self, bb: BlockId, n: i64) -> ValueId {
        self.ins(bb, Type::Int, InstKind::Const(Const::Int(n)))
    }
    fn ibin(&mut self, bb: BlockId, op: IntOp, a: ValueId, b: ValueId) -> ValueId {
        self.ins(bb, Type::Int, InstKind::IntBin { op, a, b })
    }
    fn term(&mut self, bb: BlockId, t: Terminator) {
        self.f.blocks[bb.index()].term = t;
    }
}

const B0: BlockId = BlockId(0);

/// A module whose entry inits the runtime, runs `body` (which returns the block it ended in
/// and its result value) and returns `nyrt_finish(ToDyn(result))`.
fn module_with_entry(
    mut funcs: Vec<Function>,
    strings: Vec<String>,
    symbols: Vec<String>,
    body: impl FnOnce(&mut FnBuilder, BlockId) -> (BlockId, ValueId),
) -> Module {
    let (mut e, ps) = FnBuilder::new("__nyash_entry", &[Type::Int, Type::Int], Type::Int);
    e.ins_void(B0, InstKind::InitRuntime { argc: ps[0], argv: ps[1] });
    let (last, r) = body(&mut e, B0);
    let d = e.ins(last, Type::Dyn, InstKind::ToDyn(r));
    let code = e.ins(last, Type::Int, InstKind::RtCall { func: RtFn::Finish, args: vec![d] });
    e.term(last, Terminator::Return(code));
    funcs.push(e.f);
    Module {
        file_name: "test.nyash".into(),
        entry: FuncId::new(funcs.len() - 1),
        funcs,
        strings,
        sites: vec![Site { line: 3, col: 7, func: "Main.main".into() }],
        symbols,
        boxes: vec![],
        globals: vec![],
        array_elems: vec![],
    }
}

/// `fib(n) = n < 2 ? n : fib(n-1) + fib(n-2)` as function 0.
fn fib() -> Function {
    let (mut b, ps) = FnBuilder::new("Main.fib", &[Type::Int], Type::Int);
    let n = ps[0];
    let two = b.int(B0, 2);
    let c = b.ins(B0, Type::Bool, InstKind::IntCmp { op: CmpOp::Lt, a: n, b: two });
    let (small, _) = b.block(&[]);
    let (big, _) = b.block(&[]);
    b.term(
        B0,
        Terminator::Branch {
            cond: c,
            then_block: small,
            then_args: vec![],
            else_block: big,
            else_args: vec![],
        },
    );
    b.term(small, Terminator::Return(n));
    let one = b.int(big, 1);
    let a1 = b.ibin(big, IntOp::Sub, n, one);
    let f1 = b.ins(big, Type::Int, InstKind::Call { func: FuncId(0), args: vec![a1] });
    let two = b.int(big, 2);
    let a2 = b.ibin(big, IntOp::Sub, n, two);
    let f2 = b.ins(big, Type::Int, InstKind::Call { func: FuncId(0), args: vec![a2] });
    let s = b.ibin(big, IntOp::Add, f1, f2);
    b.term(big, Terminator::Return(s));
    b.f
}

fn fib_module() -> Module {
    module_with_entry(vec![fib()], vec![], vec![], |e, bb| {
        let ten = e.int(bb, 10);
        (bb, e.ins(bb, Type::Int, InstKind::Call { func: FuncId(0), args: vec![ten] }))
    })
}

/// `sum(n, acc)`: a loop whose header is the entry block bb0 (needs the entry trampoline).
fn sum_loop() -> Function {
    let (mut b, ps) = FnBuilder::new("Main.sum", &[Type::Int, Type::Int], Type::Int);
    let (n, acc) = (ps[0], ps[1]);
    let zero = b.int(B0, 0);
    let done = b.ins(B0, Type::Bool, InstKind::IntCmp { op: CmpOp::Eq, a: n, b: zero });
    let (exit, exit_ps) = b.block(&[Type::Int]);
    let (body, _) = b.block(&[]);
    b.term(
        B0,
        Terminator::Branch {
            cond: done,
            then_block: exit,
            then_args: vec![acc],
            else_block: body,
            else_args: vec![],
        },
    );
    b.term(exit, Terminator::Return(exit_ps[0]));
    let one = b.int(body, 1);
    let n1 = b.ibin(body, IntOp::Sub, n, one);
    let acc1 = b.ibin(body, IntOp::Add, acc, n);
    b.term(body, Terminator::Jump { target: B0, args: vec![n1, acc1] });
    b.f
}

/// The non-trapping division rules on `(i64::MIN, -1, 7, 3, 2)`; 0 when all hold.
fn division_checks(e: &mut FnBuilder, bb: BlockId, k: &[ValueId]) -> ValueId {
    let (min, m1, seven, three, two) = (k[0], k[1], k[2], k[3], k[4]);
    let q = e.ibin(bb, IntOp::Div, min, m1); // i64::MIN
    let r = e.ibin(bb, IntOp::Rem, min, m1); // 0
    let d0 = e.ibin(bb, IntOp::Sub, q, min); // 0
    let neg7 = e.ins(bb, Type::Int, InstKind::IntNeg(seven));
    let a = e.ibin(bb, IntOp::Div, seven, m1); // -7
    let a = e.ibin(bb, IntOp::Add, a, seven); // 0
    let b = e.ibin(bb, IntOp::Rem, neg7, three); // -1
    let one = e.int(bb, 1);
    let b = e.ibin(bb, IntOp::Add, b, one); // 0
    let c = e.ibin(bb, IntOp::Div, neg7, two); // -3 (truncating)
    let c = e.ibin(bb, IntOp::Add, c, three); // 0
    let mut acc = e.int(bb, 0);
    for v in [d0, r, a, b, c] {
        acc = e.ibin(bb, IntOp::Add, acc, v);
    }
    acc
}

/// Runs `division_checks` with constant divisors (checks folded away at lowering) and with
/// the same numbers as block parameters (runtime checks); the result is 42 when all hold.
fn division_module() -> Module {
    module_with_entry(vec![], vec![], vec![], |e, bb| {
        let k: Vec<ValueId> = [i64::MIN, -1, 7, 3, 2].iter().map(|&n| e.int(bb, n)).collect();
        let folded = division_checks(e, bb, &k);
        let (dynamic, ps) = e.block(&[Type::Int; 6]);
        let mut args = k.clone();
        args.push(folded);
        e.term(bb, Terminator::Jump { target: dynamic, args });
        let checked = division_checks(e, dynamic, &ps[..5]);
        let sum = e.ibin(dynamic, IntOp::Add, checked, ps[5]);
        let forty_two = e.int(dynamic, 42);
        (dynamic, e.ibin(dynamic, IntOp::Add, sum, forty_two))
    })
}

/// Prints a string literal, its `length()`, `substring(1, 3)`, `7.5 % 2.0` (fmod) and
/// `NaN != NaN`; returns the length (5).
fn string_module() -> Module {
    let strings = vec!["hello".to_string()];
    let symbols = vec!["length".to_string(), "substring".to_string()];
    module_with_entry(vec![], strings, symbols, |e, bb| {
        let s = e.ins(bb, Type::Str, InstKind::Const(Const::Str(StrId(0))));
        e.ins_void(bb, InstKind::RtCall { func: RtFn::Print, args: vec![s] });
        let len = e.ins(
            bb,
            Type::Dyn,
            InstKind::DynMethodCall { recv: s, method: SymId(0), args: vec![] },
        );
        e.ins_void(bb, InstKind::RtCall { func: RtFn::Print, args: vec![len] });
        let one = e.int(bb, 1);
        let three = e.int(bb, 3);
        let one = e.ins(bb, Type::Dyn, InstKind::ToDyn(one));
        let three = e.ins(bb, Type::Dyn, InstKind::ToDyn(three));
        let sub = e.ins(
            bb,
            Type::Dyn,
            InstKind::DynMethodCall { recv: s, method: SymId(1), args: vec![one, three] },
        );
        e.ins_void(bb, InstKind::RtCall { func: RtFn::Print, args: vec![sub] });
        let x = e.ins(bb, Type::Float, InstKind::Const(Const::Float(7.5)));
        let y = e.ins(bb, Type::Float, InstKind::Const(Const::Float(2.0)));
        let m = e.ins(bb, Type::Float, InstKind::FloatBin { op: FloatOp::Rem, a: x, b: y });
        let m = e.ins(bb, Type::Dyn, InstKind::ToDyn(m));
        e.ins_void(bb, InstKind::RtCall { func: RtFn::Print, args: vec![m] });
        let nan = e.ins(bb, Type::Float, InstKind::Const(Const::Float(f64::NAN)));
        let ne = e.ins(bb, Type::Bool, InstKind::FloatCmp { op: CmpOp::Ne, a: nan, b: nan });
        let eq = e.ins(bb, Type::Bool, InstKind::FloatCmp { op: CmpOp::Eq, a: nan, b: nan });
        let not_eq = e.ins(bb, Type::Bool, InstKind::BoolNot(eq));
        for b in [ne, not_eq] {
            let d = e.ins(bb, Type::Dyn, InstKind::ToDyn(b));
            e.ins_void(bb, InstKind::RtCall { func: RtFn::Print, args: vec![d] });
        }
        let null = e.ins(bb, Type::Void, InstKind::Const(Const::Null));
        e.ins_void(bb, InstKind::RtCall { func: RtFn::Print, args: vec![null] });
        (bb, len)
    })
}

/// `10 / (x - x)` with `x` an int: a runtime division-by-zero error.
fn div_zero_module() -> Module {
    module_with_entry(vec![], vec![], vec![], |e, bb| {
        let x = e.int(bb, 4);
        let z = e.ibin(bb, IntOp::Sub, x, x);
        let ten = e.int(bb, 10);
        (bb, e.ibin(bb, IntOp::Div, ten, z))
    })
}

pub(crate) fn run(m: &Module) -> i32 {
    let opts = Options { verify: true, ..Options::default() };
    CraneliftBackend.run(m, &opts, &["test.nyash".into()]).expect("JIT run").exit_code
}

#[test]
fn jit_fib() {
    assert_eq!(run(&fib_module()), 55);
}

#[test]
fn jit_loop_through_entry_block() {
    let m = module_with_entry(vec![sum_loop()], vec![], vec![], |e, bb| {
        let ten = e.int(bb, 10);
        let zero = e.int(bb, 0);
        (bb, e.ins(bb, Type::Int, InstKind::Call { func: FuncId(0), args: vec![ten, zero] }))
    });
    assert_eq!(run(&m), 55);
}

#[test]
fn jit_division_never_traps() {
    assert_eq!(run(&division_module()), 42);
    let o0 = Options { opt_level: OptLevel::O0, verify: true };
    assert_eq!(CraneliftBackend.run(&division_module(), &o0, &[]).unwrap().exit_code, 42);
}

#[test]
fn jit_strings_and_method_calls() {
    assert_eq!(run(&string_module()), 5);
}

#[test]
fn generic_mir_is_an_internal_error() {
    let m = module_with_entry(vec![], vec![], vec![], |e, bb| {
        let one = e.int(bb, 1);
        (bb, e.ins(bb, Type::Dyn, InstKind::Truthy(one)))
    });
    let err = CraneliftBackend.emit_object(&m, &Options::default()).unwrap_err();
    assert!(
        matches!(&err, BackendError::Internal { func: Some(f), .. } if f == "__nyash_entry"),
        "{err}"
    );
}

#[test]
fn clif_text_is_annotated_with_mir() {
    let text =
        CraneliftBackend.emit_text(&fib_module(), &Options::default(), EmitKind::Ir).unwrap();
    assert!(text.contains("; MIR function Main.fib"), "{text}");
    assert!(text.contains("; v5 = Call Main.fib(v4)  @3:7"), "{text}");
    assert!(text.contains("u0:"), "{text}");
    assert!(text.contains("iadd"), "{text}");
    let asm =
        CraneliftBackend.emit_text(&fib_module(), &Options::default(), EmitKind::Asm).unwrap();
    assert!(asm.contains("; function Main.fib") && asm.contains("call"), "{asm}");
}

// ---- AOT: object + runtime staticlib → executable ----

/// Runtime functions are imported on first call: the object names the ones the program calls
/// (and the C `main`'s `nyrt_start`), not the whole `RtFn` table.
#[test]
fn object_imports_only_the_runtime_functions_it_calls() {
    let obj = CraneliftBackend.emit_object(&fib_module(), &Options::default()).expect("object");
    // A NUL-terminated symbol name anywhere in the object (the string table may share tails).
    let names = |name: &str| {
        let n = name.len();
        obj.bytes.windows(n + 1).any(|w| &w[..n] == name.as_bytes() && w[n] == 0)
    };
    for used in [RtFn::Start, RtFn::Finish] {
        assert!(names(used.name()), "{} is called but not imported", used.name());
    }
    for unused in [RtFn::MapGet, RtFn::StrConcat, RtFn::ArrayEnsureKind] {
        assert!(!names(unused.name()), "{} is imported but never called", unused.name());
    }
}

/// The runtime staticlib cargo built for this test binary (a dependency of this crate).
fn runtime_staticlib() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe path");
    let deps = exe.parent().expect("deps dir");
    let mut libs: Vec<PathBuf> = std::fs::read_dir(deps)
        .expect("read deps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("libnyash_runtime-") && name.ends_with(".a")
        })
        .collect();
    libs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    libs.pop().expect("libnyash_runtime-*.a next to the test binary")
}

/// Emits, links with `cc`, runs; returns (exit code, stdout, stderr).
pub(crate) fn build_and_run(m: &Module, name: &str, args: &[&str]) -> (i32, String, String) {
    let obj = CraneliftBackend.emit_object(m, &Options { verify: true, ..Options::default() });
    let obj = obj.expect("emit_object");
    assert_eq!(&obj.bytes[..4], b"\x7fELF");
    let dir = std::env::temp_dir().join(format!("nyash-cl-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let o = dir.join(format!("{name}.o"));
    let exe = dir.join(name);
    std::fs::write(&o, &obj.bytes).unwrap();
    let status = Command::new("cc")
        .arg(&o)
        .arg(runtime_staticlib())
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&exe)
        .status()
        .expect("run cc");
    assert!(status.success(), "linking {name} failed");
    let out = Command::new(&exe).args(args).output().expect("run executable");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A user box `Pair { a, b }` whose `toString` thunk (called back by the runtime through its
/// `FuncAddr`, registered with `nyrt_register_box`) returns field `b`. Main stores 7 into slot
/// 0 and "abc" into slot 1 (then overwrites slot 1 with "abcdef"), prints `"" + pair` (the
/// runtime calls the thunk: "abcdef") and returns `a + ("" + pair).length()` = 13 (the
/// default display "Pair" would give 11).
fn instance_module() -> Module {
    let pair = Type::Instance(BoxId(0));
    let (mut main, _) = FnBuilder::new("Main.main", &[], Type::Dyn);
    let zero = main.int(B0, 0);
    let obj = main.ins(B0, pair, InstKind::RtCall { func: RtFn::NewInstance, args: vec![zero] });
    let seven = main.int(B0, 7);
    let seven = main.ins(B0, Type::Dyn, InstKind::ToDyn(seven));
    main.ins_void(B0, InstKind::FieldStore { obj, slot: 0, value: seven });
    for text in [StrId(0), StrId(1)] {
        let s = main.ins(B0, Type::Str, InstKind::Const(Const::Str(text)));
        let old = main.ins(B0, Type::Dyn, InstKind::FieldLoad { obj, slot: 1 });
        main.ins_void(B0, InstKind::FieldStore { obj, slot: 1, value: s });
        main.ins_void(B0, InstKind::RtCall { func: RtFn::Release, args: vec![old] });
    }
    let a = main.ins(B0, Type::Dyn, InstKind::FieldLoad { obj, slot: 0 });
    let empty = main.ins(B0, Type::Str, InstKind::Const(Const::Str(StrId(2))));
    let shown =
        main.ins(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![empty, obj] });
    main.ins_void(B0, InstKind::RtCall { func: RtFn::Print, args: vec![shown] });
    let len = main.ins(
        B0,
        Type::Dyn,
        InstKind::DynMethodCall { recv: shown, method: SymId(0), args: vec![] },
    );
    let sum = main.ins(B0, Type::Dyn, InstKind::RtCall { func: RtFn::Add, args: vec![a, len] });
    for v in [shown, empty, obj] {
        main.ins_void(B0, InstKind::RtCall { func: RtFn::Release, args: vec![v] });
    }
    main.term(B0, Terminator::Return(sum));

    let (mut thunk, me) = FnBuilder::new("Pair.toString$thunk", &[pair], Type::Dyn);
    let b = thunk.ins(B0, Type::Dyn, InstKind::FieldLoad { obj: me[0], slot: 1 });
    thunk.ins_void(B0, InstKind::RtCall { func: RtFn::Retain, args: vec![b] });
    thunk.term(B0, Terminator::Return(b));

    let strings = ["abc", "abcdef", ""].map(String::from).to_vec();
    let mut m =
        module_with_entry(vec![main.f, thunk.f], strings, vec!["length".into()], |e, bb| {
            let addr = e.ins(bb, Type::Int, InstKind::FuncAddr(FuncId(1)));
            let id = e.int(bb, 0);
            let no_fini = e.int(bb, 0);
            e.ins_void(
                bb,
                InstKind::RtCall { func: RtFn::RegisterBox, args: vec![id, no_fini, addr] },
            );
            (bb, e.ins(bb, Type::Dyn, InstKind::Call { func: FuncId(0), args: vec![] }))
        });
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
    m
}

#[test]
fn jit_instance_fields_and_callback_thunk() {
    assert_eq!(run(&instance_module()), 13);
    let o0 = Options { opt_level: OptLevel::O0, verify: true };
    assert_eq!(CraneliftBackend.run(&instance_module(), &o0, &[]).unwrap().exit_code, 13);
    let clif =
        CraneliftBackend.emit_text(&instance_module(), &Options::default(), EmitKind::Ir).unwrap();
    assert!(clif.contains("FuncAddr Pair.toString$thunk") && clif.contains("func_addr"), "{clif}");
}

#[test]
fn aot_executables() {
    assert_eq!(build_and_run(&fib_module(), "fib", &[]).0, 55);
    assert_eq!(build_and_run(&division_module(), "div", &[]).0, 42);
    let (code, out, _) = build_and_run(&string_module(), "strings", &["a", "b"]);
    assert_eq!(code, 5);
    assert_eq!(out, "hello\n5\nel\n1.5\ntrue\ntrue\nnull\n");
    let (code, out, err) = build_and_run(&div_zero_module(), "divzero", &[]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.starts_with("error: ") && err.contains("at test.nyash:3:7 in Main.main"), "{err}");
    let (code, out, err) = build_and_run(&instance_module(), "instance", &[]);
    assert_eq!((code, out.as_str()), (13, "abcdef\n"), "{err}");
}

// ---- source text through the real front end ----

pub(crate) fn compile_source(src: &str) -> Module {
    let file = nyash_syntax::SourceFile::new("src.nyash", src);
    let (program, diags) = nyash_syntax::parse(&file);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
    nyash_mir::pipeline::compile(&program, &file, true).expect("compile").0
}

const SOURCE: &str = r#"
static box Main {
    main() {
        local s = "Nyash"
        local n = 0
        local i = 0
        loop(i < 10) {
            n = n + Util.square(i) % 7
            i = i + 1
        }
        print(s.toUpper() + " " + n)
        local f = 7.5 / 2
        print(f)
        return n - 20
    }
}
static box Util {
    square(x) { return x * x }
}
"#;

#[test]
fn source_program_jit_aot_and_text() {
    let m = compile_source(SOURCE);
    // 0,1,4,9,16,25,36,49,64,81 mod 7 = 0,1,4,2,2,4,1,0,1,4 → 19; exit code (19-20) mod 256.
    assert_eq!(run(&m), 255);
    let (code, out, _) = build_and_run(&m, "source", &[]);
    assert_eq!((code, out.as_str()), (255, "NYASH 19\n3.75\n"));
    let clif = CraneliftBackend.emit_text(&m, &Options::default(), EmitKind::Ir).unwrap();
    // `Util.square` is inlined into the loop of `main` (and dropped as dead).
    assert!(clif.contains("; MIR function Main.main") && clif.contains("imul"), "{clif}");
    let asm = CraneliftBackend.emit_text(&m, &Options::default(), EmitKind::Asm).unwrap();
    assert!(asm.contains("; function Main.main"), "{asm}");
    if std::env::var_os("NYASH_CL_SHOW").is_some() {
        println!("{clif}\n{asm}");
    }
}

/// Code that runs at most once (a loop-free `main`, the entry) is compiled with the quick
/// ISA, and `emit --asm` says so; a function called twice, or one with a loop, gets the
/// optimizing one, unless each of its loops only drives a looping callee.
#[test]
fn code_that_runs_once_is_compiled_quickly() {
    // (function name, compiled quickly) in listing order.
    let listing = |m: &Module| -> Vec<(String, bool)> {
        let asm = CraneliftBackend.emit_text(m, &Options::default(), EmitKind::Asm).unwrap();
        asm.split("; function ")
            .skip(1)
            .map(|f| {
                let name = f.lines().next().unwrap_or_default().to_string();
                (name, f.contains(crate::codegen::QUICK_NOTE))
            })
            .collect()
    };
    // `Util.show` is loop-free but too big to inline, and runs twice.
    let prints: String = (0..30).map(|i| format!("        print(x * {i})\n")).collect();
    let src = format!(
        "static box Main {{\n    main() {{\n        Util.show(1)\n        Util.show(2)\n        \
         return 0\n    }}\n}}\nstatic box Util {{\n    show(x) {{\n{prints}    }}\n}}\n"
    );
    let m = compile_source(&src);
    let expect = |names: &[(&str, bool)]| -> Vec<(String, bool)> {
        names.iter().map(|&(n, q)| (n.to_string(), q)).collect()
    };
    assert_eq!(
        listing(&m),
        expect(&[("Main.main", true), ("Util.show", false), ("__nyash_entry", true)])
    );
    let want: String =
        [1, 2].iter().flat_map(|x| (0..30).map(move |i| format!("{}\n", x * i))).collect();
    let (code, out, _) = build_and_run(&m, "quick", &[]);
    assert_eq!((code, out), (0, want));
    let m = compile_source(SOURCE);
    assert_eq!(
        listing(&m),
        expect(&[("Main.main", false), ("__nyash_entry", true)]),
        "a main with a loop is optimized"
    );

    // A `main` whose loop calls a function with a loop on every iteration drives that
    // function: quick. Calling it on some iterations only, or calling a loop-free function,
    // leaves the loop's own instructions hot.
    let work: String = (0..12).map(|i| format!("            s = s + x * {i} + j\n")).collect();
    let program = |body: &str| {
        format!(
            "static box Main {{\n    main() {{\n        local i = 0\n        loop(i < 3) {{\n\
             {body}\n            i = i + 1\n        }}\n        return 0\n    }}\n}}\n\
             static box Util {{\n    work(x) {{\n        local s = 0\n        local j = 0\n        \
             loop(j < 4) {{\n{work}            j = j + 1\n        }}\n        print(s)\n    }}\n    \
             show(x) {{\n{prints}    }}\n}}\n"
        )
    };
    let cases = [
        ("            Util.work(i)", true),
        ("            if i % 2 == 0 { Util.work(i) }", false),
        ("            Util.show(i)", false),
    ];
    for (body, quick) in cases {
        let m = compile_source(&program(body));
        let main = listing(&m).into_iter().find(|(n, _)| n == "Main.main");
        assert_eq!(main, Some(("Main.main".to_string(), quick)), "{body}");
    }
    let m = compile_source(&program("            Util.work(i)"));
    let sums: String = (0..3)
        .map(|x| {
            format!("{}\n", (0..4).map(|j| (0..12).map(|i| x * i + j).sum::<i64>()).sum::<i64>())
        })
        .collect();
    let (code, out, _) = build_and_run(&m, "drives", &[]);
    assert_eq!((code, out), (0, sums));
}

/// `Main.step{k}(x)`: 150 additions and 150 subtractions of 1, then `x + 1`: big enough
/// that 30 of them take the multi-threaded path of `codegen::machine`.
fn step_function(k: usize) -> Function {
    let (mut b, ps) = FnBuilder::new(&format!("Main.step{k}"), &[Type::Int], Type::Int);
    let mut x = ps[0];
    let one = b.int(B0, 1);
    for op in [IntOp::Add, IntOp::Sub] {
        for _ in 0..150 {
            x = b.ibin(B0, op, x, one);
        }
    }
    let r = b.ibin(B0, IntOp::Add, x, one);
    b.term(B0, Terminator::Return(r));
    b.f
}

#[test]
fn many_functions_compile_on_threads_deterministically() {
    let n = 30;
    let m = module_with_entry((0..n).map(step_function).collect(), vec![], vec![], |e, bb| {
        let mut acc = e.int(bb, 0);
        for k in 0..n {
            acc = e.ins(bb, Type::Int, InstKind::Call { func: FuncId::new(k), args: vec![acc] });
        }
        (bb, acc)
    });
    assert_eq!(run(&m), 30);
    if std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2) {
        assert!(crate::codegen::machine::worth_threads(&m), "the test must take the threaded path");
    }
    // Threads finish in any order; the machine code must not depend on it.
    let opts = Options::default();
    let first = CraneliftBackend.emit_text(&m, &opts, EmitKind::Asm).expect("asm");
    let second = CraneliftBackend.emit_text(&m, &opts, EmitKind::Asm).expect("asm");
    assert_eq!(first, second);
    let object = CraneliftBackend.emit_object(&m, &opts).expect("object");
    assert_eq!(object.bytes, CraneliftBackend.emit_object(&m, &opts).expect("object").bytes);
}
