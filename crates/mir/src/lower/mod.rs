//! AST → generic MIR: the module-level driver (function table, entry function, interning).
//!
//! Every box method becomes one MIR function named `Box.method` (`Box.method/N` when the box
//! has that name with several arities); methods of instance boxes take `me` first (see
//! `boxes`).
//! Top-level `function f` becomes `fn.f` (the prefix keeps it from clashing with C symbols
//! such as `main`). A script-mode file (no `Main` box) gets an implicit `Main.main` holding its
//! top-level statements. `__nyash_entry(argc, argv)` initializes the runtime, calls
//! `Main.main` and hands its result to `nyrt_finish`.
//!
//! Lowering also places every reference-count operation (`Retain`/`Release`, see `rc`): it
//! is the only stage that knows scopes, and fini timing (LANGUAGE.md §5 *Memory*) follows them.
//!
//! All compile errors found are collected; lowering continues after an error with a `null`
//! placeholder value so that one run reports as many problems as possible.

mod boxes;
mod expr;
mod member;
mod rc;
mod ssa;
mod stmt;

use crate::ir::*;
use crate::RtFn;
use nyash_syntax::ast;
use nyash_syntax::{Diagnostic, SourceFile, Span};
use rustc_hash::FxHashMap;

pub(crate) use ssa::FuncBuilder;

/// Diagnostic codes produced by lowering.
pub mod codes {
    pub const UNDEFINED_VARIABLE: &str = "E0201";
    pub const DUPLICATE_LOCAL: &str = "E0202";
    pub const OUTSIDE_LOOP: &str = "E0203";
    pub const WRONG_ARITY: &str = "E0204";
    pub const UNKNOWN_METHOD: &str = "E0205";
    pub const UNKNOWN_BOX: &str = "E0206";
    pub const UNKNOWN_FUNCTION: &str = "E0207";
    pub const NO_MAIN: &str = "E0208";
    pub const DUPLICATE_DEFINITION: &str = "E0209";
    pub const ME_OUTSIDE_BOX: &str = "E0210";
    pub const BAD_DELEGATION: &str = "E0211";
    pub const NOT_INSTANTIABLE: &str = "E0212";
    pub const IGNORED_SCRIPT: &str = "W0201";
    pub const UNDECLARED_FIELD: &str = "W0202";
    pub const UNSUPPORTED: &str = "E0299";
    /// Internal compiler error (the MIR verifier rejected our own output); the driver should
    /// treat it as exit code 101.
    pub const INTERNAL: &str = "E0999";
}

/// Builtin value boxes whose `new` just yields the plain value.
const VALUE_BOXES: &[&str] = &["IntegerBox", "StringBox", "FloatBox", "BoolBox"];
/// Builtin boxes constructed by a runtime call (`new ArrayBox()` …), no arguments.
const BUILTIN_BOXES: &[(&str, RtFn)] = &[
    ("ArrayBox", RtFn::NewArray),
    ("MapBox", RtFn::NewMap),
    ("ConsoleBox", RtFn::NewConsole),
    ("MathBox", RtFn::NewMath),
];

/// A user box as lowering sees it.
pub(crate) struct BoxInfo {
    pub id: BoxId,
    /// Static boxes and `Main` (static or not) are modules; other boxes are user classes.
    pub is_module: bool,
    /// Callable methods: name → [(arity, function)]; for instance boxes resolved through the
    /// delegation chain (own methods override inherited ones).
    pub methods: FxHashMap<String, Vec<(usize, FuncId)>>,
    /// Constructors by arity (instance boxes; inherited ones the box does not redefine).
    pub constructors: Vec<(usize, FuncId)>,
    /// Instance boxes: every field slot, inherited first. Modules: their static fields.
    pub fields: Vec<String>,
    pub parent: Option<BoxId>,
}

/// Whole-module state shared by all function lowerings.
pub(crate) struct ModuleCx<'a> {
    pub file: &'a SourceFile,
    pub boxes: FxHashMap<String, BoxInfo>,
    /// Top-level functions: name → [(arity, function)].
    pub functions: FxHashMap<String, Vec<(usize, FuncId)>>,
    pub funcs: Vec<Option<Function>>,
    pub func_names: Vec<String>,
    pub func_arity: Vec<usize>,
    /// Where each function is defined (its name), for diagnostics.
    pub func_spans: Vec<Span>,
    pub strings: Vec<String>,
    string_ids: FxHashMap<String, StrId>,
    pub sites: Vec<Site>,
    /// The first site at each source position (`line << 32 | col`); lookups hash no strings.
    site_ids: FxHashMap<u64, SiteId>,
    /// By site: the next site at the same position (another function's, as inlined code
    /// keeps the callee's name), forming one short chain per position.
    site_next: Vec<Option<SiteId>>,
    pub symbols: Vec<String>,
    symbol_ids: FxHashMap<String, SymId>,
    pub diags: Vec<Diagnostic>,
    /// Box names by `BoxId`.
    pub box_names: Vec<String>,
    /// Static-box fields `Box.f` by `GlobalId`.
    pub globals: Vec<String>,
    global_ids: FxHashMap<String, GlobalId>,
    /// The finished box table (filled by `boxes::finish_boxes`).
    pub box_defs: Vec<BoxDef>,
}

impl<'a> ModuleCx<'a> {
    pub fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub fn intern_str(&mut self, s: &str) -> StrId {
        if let Some(id) = self.string_ids.get(s) {
            return *id;
        }
        let id = StrId::new(self.strings.len());
        self.strings.push(s.to_string());
        self.string_ids.insert(s.to_string(), id);
        id
    }

    pub fn intern_sym(&mut self, s: &str) -> SymId {
        if let Some(id) = self.symbol_ids.get(s) {
            return *id;
        }
        let id = SymId::new(self.symbols.len());
        self.symbols.push(s.to_string());
        self.symbol_ids.insert(s.to_string(), id);
        id
    }

    /// The (deduplicated) site for byte offset `pos` inside source function `func`.
    pub fn site(&mut self, pos: u32, func: &str) -> SiteId {
        let (line, col) = self.file.line_col(pos);
        let id = SiteId::new(self.sites.len());
        let key = (u64::from(line) << 32) | u64::from(col);
        let mut link = match self.site_ids.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(id);
                None
            }
        };
        while let Some(s) = link {
            if self.sites[s.index()].func == func {
                return s;
            }
            if self.site_next[s.index()].is_none() {
                self.site_next[s.index()] = Some(id);
            }
            link = self.site_next[s.index()];
            if link == Some(id) {
                break;
            }
        }
        self.sites.push(Site { line, col, func: func.to_string() });
        self.site_next.push(None);
        id
    }

    /// The global holding static field `field` of module box `bx`.
    pub fn global(&mut self, bx: &str, field: &str) -> GlobalId {
        let name = format!("{bx}.{field}");
        if let Some(id) = self.global_ids.get(&name) {
            return *id;
        }
        let id = GlobalId::new(self.globals.len());
        self.globals.push(name.clone());
        self.global_ids.insert(name, id);
        id
    }

    /// The box with this id.
    pub fn box_info(&self, id: BoxId) -> Option<&BoxInfo> {
        self.box_names.get(id.index()).and_then(|n| self.boxes.get(n))
    }

    /// Is `d` the box `b` or delegating to it (directly or not)?
    pub fn derives_from(&self, d: BoxId, b: BoxId) -> bool {
        let mut cur = Some(d);
        for _ in 0..=self.box_names.len() {
            match cur {
                Some(c) if c == b => return true,
                Some(c) => cur = self.box_info(c).and_then(|i| i.parent),
                None => return false,
            }
        }
        false
    }

    /// Reserves a function slot; its body is filled in later.
    pub(crate) fn declare_func(&mut self, name: String, arity: usize, span: Span) -> FuncId {
        let id = FuncId::new(self.funcs.len());
        self.funcs.push(None);
        self.func_spans.push(span);
        self.func_names.push(name);
        self.func_arity.push(arity);
        id
    }
}

/// What a function body is lowered as, for name resolution.
#[derive(Clone)]
pub(crate) struct FuncCtx {
    /// The module box the method belongs to (`None` for top-level functions and scripts).
    pub box_name: Option<String>,
    /// Source-level name for runtime error sites, e.g. `Main.main`.
    pub site_name: String,
    /// Script mode top level: assignment to a new name declares it.
    pub script: bool,
    /// Methods of an instance box: the box `me` belongs to.
    pub instance: Option<BoxId>,
}

/// Lowers a parsed program to generic MIR, or returns every compile error found.
pub fn lower_program(program: &ast::Program, file: &SourceFile) -> Result<Module, Vec<Diagnostic>> {
    lower_program_with_warnings(program, file).map(|(m, _)| m)
}

/// Like [`lower_program`], also returning warnings.
pub fn lower_program_with_warnings(
    program: &ast::Program,
    file: &SourceFile,
) -> Result<(Module, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut cx = ModuleCx {
        file,
        boxes: FxHashMap::default(),
        functions: FxHashMap::default(),
        funcs: Vec::new(),
        func_names: Vec::new(),
        func_arity: Vec::new(),
        func_spans: Vec::new(),
        strings: Vec::new(),
        string_ids: FxHashMap::default(),
        sites: Vec::new(),
        site_ids: FxHashMap::default(),
        site_next: Vec::new(),
        symbols: Vec::new(),
        symbol_ids: FxHashMap::default(),
        diags: Vec::new(),
        box_names: Vec::new(),
        globals: Vec::new(),
        global_ids: FxHashMap::default(),
        box_defs: Vec::new(),
    };

    // Pass 1: declare every function so calls need no ordering.
    let mut bodies: Vec<(FuncId, &ast::Method, FuncCtx)> = Vec::new();
    boxes::declare_boxes(&mut cx, program, &mut bodies);
    let mut functions = FxHashMap::default();
    declare_methods(&mut cx, "fn", &program.functions, &mut functions, &mut bodies, |m| FuncCtx {
        box_name: None,
        site_name: m.to_string(),
        script: false,
        instance: None,
    });
    cx.functions = functions;

    // The program's main: `Main.main`, or the script body.
    let has_main_box = cx.boxes.get("Main").map(|b| b.is_module).unwrap_or(false);
    let mut main_target: Option<(FuncId, usize)> = None;
    let mut script_func: Option<FuncId> = None;
    if has_main_box {
        let mains = cx.boxes["Main"].methods.get("main").cloned().unwrap_or_default();
        let pick =
            mains.iter().find(|(a, _)| *a == 1).or_else(|| mains.iter().find(|(a, _)| *a == 0));
        match pick {
            Some(&(arity, f)) => main_target = Some((f, arity)),
            None => {
                let span =
                    program.boxes.iter().find(|b| b.name.name == "Main").map(|b| b.name.span);
                let msg = if mains.is_empty() {
                    "no `Main.main` found".to_string()
                } else {
                    "`Main.main` must take zero or one parameter".to_string()
                };
                cx.error(
                    Diagnostic::error(codes::NO_MAIN, msg, span.unwrap_or_default())
                        .with_label("in this box"),
                );
            }
        }
        if let Some(s) = program.script.first() {
            cx.diags.push(
                Diagnostic::warning(
                    codes::IGNORED_SCRIPT,
                    "top-level statements are ignored because the program has a `Main` box",
                    s.span,
                )
                .with_label("never runs"),
            );
        }
    } else if !program.script.is_empty() {
        let f = cx.declare_func("Main.main".to_string(), 0, Span::default());
        script_func = Some(f);
        main_target = Some((f, 0));
    } else {
        cx.error(
            Diagnostic::error(codes::NO_MAIN, "no `Main.main` found", Span::default()).with_label(
                "the program needs `static box Main { main() { … } }` or top-level statements",
            ),
        );
    }

    // Pass 2: bodies.
    for (fid, method, ctx) in &bodies {
        let f = stmt::lower_method(&mut cx, *fid, method, ctx);
        cx.funcs[fid.index()] = Some(f);
    }
    if let Some(fid) = script_func {
        let ctx =
            FuncCtx { box_name: None, site_name: "main".to_string(), script: true, instance: None };
        let f = stmt::lower_script(&mut cx, fid, &program.script, &ctx);
        cx.funcs[fid.index()] = Some(f);
    }
    let registrations = boxes::finish_boxes(&mut cx);
    let entry = match main_target {
        Some((main, arity)) => {
            let span = bodies.iter().find(|(f, _, _)| *f == main).map(|(_, m, _)| m.name.span);
            let pos = span.map(|s| s.start).unwrap_or(0);
            let site_name = cx.func_names[main.index()].clone();
            let site = cx.site(pos, &site_name);
            let id = cx.declare_func("__nyash_entry".to_string(), 2, Span::default());
            cx.funcs[id.index()] = Some(build_entry(main, arity, site, &registrations));
            id
        }
        None => FuncId::new(0),
    };

    let (errors, warnings): (Vec<_>, Vec<_>) = cx.diags.drain(..).partition(|d| d.is_error());
    if !errors.is_empty() {
        return Err(errors);
    }
    let funcs: Option<Vec<Function>> = cx.funcs.into_iter().collect();
    let Some(funcs) = funcs else {
        return Err(vec![Diagnostic::error(
            codes::INTERNAL,
            "internal compiler error: a declared function has no body",
            Span::default(),
        )]);
    };
    let module = Module {
        file_name: file.name.clone(),
        funcs,
        entry,
        strings: cx.strings,
        sites: cx.sites,
        symbols: cx.symbols,
        boxes: cx.box_defs,
        globals: cx.globals,
        array_elems: Vec::new(),
    };
    Ok((module, warnings))
}

/// Declares the methods of one box (or the top-level functions when `owner` is `fn`).
pub(crate) fn declare_methods<'p>(
    cx: &mut ModuleCx,
    owner: &str,
    methods: &'p [ast::Method],
    table: &mut FxHashMap<String, Vec<(usize, FuncId)>>,
    bodies: &mut Vec<(FuncId, &'p ast::Method, FuncCtx)>,
    ctx: impl Fn(&str) -> FuncCtx,
) {
    let mut seen: FxHashMap<(&str, usize), Span> = FxHashMap::default();
    let mut arities: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for m in methods {
        let key = (m.name.name.as_str(), m.params.len());
        if let Some(first) = seen.get(&key) {
            let what = if owner == "fn" { "function" } else { "method" };
            let full = if owner == "fn" {
                m.name.name.clone()
            } else {
                format!("{owner}.{}", m.name.name)
            };
            cx.error(
                Diagnostic::error(
                    codes::DUPLICATE_DEFINITION,
                    format!("duplicate {what} `{full}` with {} parameter(s)", m.params.len()),
                    m.name.span,
                )
                .with_label("defined again here")
                .with_secondary(*first, "first defined here"),
            );
            continue;
        }
        seen.insert(key, m.name.span);
        arities.entry(m.name.name.as_str()).or_default().push(m.params.len());
    }
    let mut done: FxHashMap<(&str, usize), ()> = FxHashMap::default();
    for m in methods {
        let key = (m.name.name.as_str(), m.params.len());
        if done.insert(key, ()).is_some() {
            continue;
        }
        let overloaded = arities[m.name.name.as_str()].len() > 1;
        let mut name = format!("{owner}.{}", m.name.name);
        if overloaded {
            name = format!("{name}/{}", m.params.len());
        }
        let fid = cx.declare_func(name, m.params.len(), m.name.span);
        table.entry(m.name.name.clone()).or_default().push((m.params.len(), fid));
        bodies.push((fid, m, ctx(&m.name.name)));
    }
}

/// `__nyash_entry(argc, argv)`: init the runtime, register the box callbacks, run main, turn
/// its result into an exit code. The arguments array is released when main returns (main's
/// locals are already gone then), main's result after `nyrt_finish` has read it.
fn build_entry(
    main: FuncId,
    main_arity: usize,
    site: SiteId,
    registrations: &[(BoxId, Option<FuncId>, Option<FuncId>)],
) -> Function {
    let mut f = Function {
        name: "__nyash_entry".to_string(),
        params: Vec::new(),
        ret: Type::Int,
        blocks: Vec::new(),
        values: Vec::new(),
    };
    let argc = f.new_value(Type::Int);
    let argv = f.new_value(Type::Int);
    f.params = vec![argc, argv];
    let mut insts = vec![Inst { result: None, kind: InstKind::InitRuntime { argc, argv }, site }];
    let mut push = |f: &mut Function, kind: InstKind, ty: Option<Type>| {
        let result = ty.map(|t| f.new_value(t));
        insts.push(Inst { result, kind, site });
        result.unwrap_or_default()
    };
    for &(bx, fini, to_string) in registrations {
        let id = push(&mut f, InstKind::Const(Const::Int(bx.0 as i64)), Some(Type::Int));
        let mut addr = |f: &mut Function, t: Option<FuncId>| match t {
            Some(t) => push(f, InstKind::FuncAddr(t), Some(Type::Int)),
            None => push(f, InstKind::Const(Const::Int(0)), Some(Type::Int)),
        };
        let a = addr(&mut f, fini);
        let b = addr(&mut f, to_string);
        push(&mut f, InstKind::RtCall { func: RtFn::RegisterBox, args: vec![id, a, b] }, None);
    }
    let mut args = Vec::new();
    if main_arity == 1 {
        let a = push(
            &mut f,
            InstKind::RtCall { func: RtFn::Args, args: vec![] },
            Some(Type::Array(ArraySites::UNTRACKED)),
        );
        args.push(a);
    }
    let r = push(&mut f, InstKind::Call { func: main, args: args.clone() }, Some(Type::Dyn));
    for a in args {
        push(&mut f, InstKind::Release(a), None);
    }
    let code =
        push(&mut f, InstKind::RtCall { func: RtFn::Finish, args: vec![r] }, Some(Type::Int));
    push(&mut f, InstKind::Release(r), None);
    f.blocks.push(Block { params: vec![argc, argv], insts, term: Terminator::Return(code) });
    f
}

/// Is `name` one of the builtin value boxes whose `new` yields the plain value?
pub(crate) fn is_value_box(name: &str) -> bool {
    VALUE_BOXES.contains(&name)
}

/// The runtime constructor of a builtin collection/service box.
pub(crate) fn builtin_box(name: &str) -> Option<RtFn> {
    BUILTIN_BOXES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
