//! The box table: box ids, delegation (`from`), field slots, method and constructor
//! declaration and resolution, static-box globals, and the runtime callback thunks.
//!
//! Every box (static or not) gets a `BoxId` in source order. Instance-box methods become
//! functions `Box.m` whose first parameter is `me` (fixed type `Instance(Box)`); constructors
//! (`birth` and its `init`/`pack` aliases) become `Box.birth` (`Box.birth/N` when there are
//! several arities). A delegating box lists its parent's fields first and inherits the
//! parent's methods and constructors unless it redefines the same name and arity. Fields of
//! module boxes (static boxes, `box Main`) are globals `Box.f`.
//!
//! For every instance box whose resolved methods include `fini/0` or `toString/0`, a thunk
//! `Box.fini$thunk(me) -> dyn` / `Box.toString$thunk(me) -> dyn` is synthesized; the entry
//! registers them with `nyrt_register_box` so the runtime can call them.

use super::{codes, declare_methods, FuncBuilder, FuncCtx, ModuleCx};
use super::{BoxInfo, BUILTIN_BOXES, VALUE_BOXES};
use crate::ir::*;
use nyash_syntax::ast;
use nyash_syntax::{Diagnostic, Span};
use rustc_hash::FxHashMap;

/// Assigns box ids, resolves delegation, declares every method and constructor (queuing
/// their bodies in `bodies`) and computes field slots and resolved method tables.
pub(crate) fn declare_boxes<'p>(
    cx: &mut ModuleCx,
    program: &'p ast::Program,
    bodies: &mut Vec<(FuncId, &'p ast::Method, FuncCtx)>,
) {
    // Ids, in source order; duplicates are reported and skipped.
    let mut decls: Vec<&'p ast::BoxDecl> = Vec::new();
    let mut spans: FxHashMap<&str, Span> = FxHashMap::default();
    for b in &program.boxes {
        let name = b.name.name.as_str();
        if let Some(first) = spans.get(name) {
            cx.error(
                Diagnostic::error(
                    codes::DUPLICATE_DEFINITION,
                    format!("duplicate box `{name}`"),
                    b.name.span,
                )
                .with_label("defined again here")
                .with_secondary(*first, "first defined here"),
            );
            continue;
        }
        spans.insert(name, b.name.span);
        let id = BoxId::new(decls.len());
        decls.push(b);
        cx.box_names.push(name.to_string());
        cx.boxes.insert(
            name.to_string(),
            BoxInfo {
                id,
                is_module: b.is_static || name == "Main",
                methods: FxHashMap::default(),
                constructors: Vec::new(),
                fields: Vec::new(),
                parent: None,
            },
        );
    }

    resolve_parents(cx, &decls);

    // Parents before children, so inherited tables are complete when a child is processed.
    let depth = |cx: &ModuleCx, mut id: BoxId| {
        let mut d = 0;
        while let Some(p) = cx.box_info(id).and_then(|i| i.parent) {
            id = p;
            d += 1;
            if d > decls.len() {
                break;
            }
        }
        d
    };
    let mut order: Vec<usize> = (0..decls.len()).collect();
    order.sort_by_key(|&i| depth(cx, BoxId::new(i)));

    for i in order {
        let b = decls[i];
        let name = b.name.name.clone();
        let id = BoxId::new(i);
        if cx.boxes[&name].is_module {
            declare_module(cx, b, bodies);
        } else {
            declare_instance_box(cx, b, id, bodies);
        }
    }
}

/// Links each box to its parent; reports unknown parents and delegation cycles.
fn resolve_parents(cx: &mut ModuleCx, decls: &[&ast::BoxDecl]) {
    for (i, b) in decls.iter().enumerate() {
        let Some(p) = &b.parent else { continue };
        let name = &b.name.name;
        let is_module = cx.boxes[name].is_module;
        let target = cx.boxes.get(&p.name).map(|t| (t.id, t.is_module));
        let err = match target {
            _ if is_module => Some(Diagnostic::error(
                codes::BAD_DELEGATION,
                format!("static box `{name}` cannot delegate with `from`"),
                p.span,
            )),
            Some((pid, false)) => {
                if let Some(info) = cx.boxes.get_mut(name) {
                    info.parent = Some(pid);
                }
                None
            }
            Some((_, true)) => Some(Diagnostic::error(
                codes::BAD_DELEGATION,
                format!("box `{name}` cannot delegate to static box `{}`", p.name),
                p.span,
            )),
            None if VALUE_BOXES.contains(&p.name.as_str())
                || BUILTIN_BOXES.iter().any(|(n, _)| *n == p.name) =>
            {
                Some(Diagnostic::error(
                    codes::UNSUPPORTED,
                    format!("delegating to the builtin box `{}` is not supported yet", p.name),
                    p.span,
                ))
            }
            None => Some(Diagnostic::error(
                codes::UNKNOWN_BOX,
                format!("unknown box `{}`", p.name),
                p.span,
            )),
        };
        if let Some(d) = err {
            cx.error(d.with_label("in this `from` clause"));
        }
        let _ = i;
    }
    // Cycles: walking up from a box must never come back to it.
    for (i, b) in decls.iter().enumerate() {
        let id = BoxId::new(i);
        let mut cur = cx.box_info(id).and_then(|x| x.parent);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == id {
                cx.error(
                    Diagnostic::error(
                        codes::BAD_DELEGATION,
                        format!("box `{}` delegates to itself through `from`", b.name.name),
                        b.name.span,
                    )
                    .with_label("cyclic delegation"),
                );
                if let Some(info) = cx.boxes.get_mut(&b.name.name) {
                    info.parent = None;
                }
                break;
            }
            steps += 1;
            if steps > decls.len() {
                break;
            }
            cur = cx.box_info(c).and_then(|x| x.parent);
        }
    }
}

/// A static box (or `box Main`): methods without `me`, fields as globals.
fn declare_module<'p>(
    cx: &mut ModuleCx,
    b: &'p ast::BoxDecl,
    bodies: &mut Vec<(FuncId, &'p ast::Method, FuncCtx)>,
) {
    let name = b.name.name.clone();
    let mut methods = FxHashMap::default();
    declare_methods(cx, &name, &b.methods, &mut methods, bodies, |m| FuncCtx {
        box_name: Some(name.clone()),
        site_name: format!("{name}.{m}"),
        script: false,
        instance: None,
    });
    if let Some(c) = b.constructors.first() {
        cx.error(
            Diagnostic::error(
                codes::NOT_INSTANTIABLE,
                format!("static box `{name}` cannot have a constructor"),
                c.name.span,
            )
            .with_label("static boxes are never instantiated"),
        );
    }
    let fields: Vec<String> = b.fields.iter().map(|f| f.name.name.clone()).collect();
    for f in &fields {
        cx.global(&name, f);
    }
    if let Some(info) = cx.boxes.get_mut(&name) {
        info.methods = methods;
        info.fields = fields;
    }
}

/// An instance box: slots, own methods (taking `me`), constructors, and the tables resolved
/// through the parent.
fn declare_instance_box<'p>(
    cx: &mut ModuleCx,
    b: &'p ast::BoxDecl,
    id: BoxId,
    bodies: &mut Vec<(FuncId, &'p ast::Method, FuncCtx)>,
) {
    let name = b.name.name.clone();
    let parent = cx.box_info(id).and_then(|i| i.parent);
    let (mut fields, mut methods, mut constructors) = match parent.and_then(|p| cx.box_info(p)) {
        Some(p) => (p.fields.clone(), p.methods.clone(), p.constructors.clone()),
        None => (Vec::new(), FxHashMap::default(), Vec::new()),
    };
    for f in &b.fields {
        if f.weak {
            // Treating it as a strong field would silently change fini timing.
            cx.error(
                Diagnostic::error(
                    codes::UNSUPPORTED,
                    "`weak` fields are not supported yet",
                    f.name.span,
                )
                .with_label("not supported by this compiler yet"),
            );
        }
        if fields.contains(&f.name.name) {
            cx.error(
                Diagnostic::error(
                    codes::DUPLICATE_DEFINITION,
                    format!("duplicate field `{}` in box `{name}`", f.name.name),
                    f.name.span,
                )
                .with_label("already declared (here or in a parent box)"),
            );
            continue;
        }
        fields.push(f.name.name.clone());
    }

    let mut own = FxHashMap::default();
    declare_methods(cx, &name, &b.methods, &mut own, bodies, |m| FuncCtx {
        box_name: Some(name.clone()),
        site_name: format!("{name}.{m}"),
        script: false,
        instance: Some(id),
    });
    for (m, list) in own {
        let entry: &mut Vec<(usize, FuncId)> = methods.entry(m).or_default();
        for (arity, f) in list {
            match entry.iter_mut().find(|(a, _)| *a == arity) {
                Some(slot) => slot.1 = f,
                None => entry.push((arity, f)),
            }
        }
    }

    // Constructors: `birth`, `init` and `pack` are one name; one per arity.
    let mut seen: FxHashMap<usize, Span> = FxHashMap::default();
    let mut own_ctors: Vec<&'p ast::Method> = Vec::new();
    for c in &b.constructors {
        let arity = c.params.len();
        if let Some(first) = seen.get(&arity) {
            cx.error(
                Diagnostic::error(
                    codes::DUPLICATE_DEFINITION,
                    format!("duplicate constructor `{name}.birth` with {arity} parameter(s)"),
                    c.name.span,
                )
                .with_label("defined again here")
                .with_secondary(*first, "first defined here"),
            );
            continue;
        }
        seen.insert(arity, c.name.span);
        own_ctors.push(c);
    }
    let overloaded = own_ctors.len() > 1;
    for c in own_ctors {
        let arity = c.params.len();
        let fname =
            if overloaded { format!("{name}.birth/{arity}") } else { format!("{name}.birth") };
        let fid = cx.declare_func(fname, arity, c.name.span);
        let ctx = FuncCtx {
            box_name: Some(name.clone()),
            site_name: format!("{name}.birth"),
            script: false,
            instance: Some(id),
        };
        bodies.push((fid, c, ctx));
        match constructors.iter_mut().find(|(a, _)| *a == arity) {
            Some(slot) => slot.1 = fid,
            None => constructors.push((arity, fid)),
        }
    }

    if let Some(info) = cx.boxes.get_mut(&name) {
        info.fields = fields;
        info.methods = methods;
        info.constructors = constructors;
    }
}

/// After all bodies are lowered: synthesizes the callback thunks, fills `cx.box_defs`, and
/// returns the registrations the entry makes `(box, fini thunk, toString thunk)`.
pub(crate) fn finish_boxes(cx: &mut ModuleCx) -> Vec<(BoxId, Option<FuncId>, Option<FuncId>)> {
    let mut regs = Vec::new();
    for i in 0..cx.box_names.len() {
        let id = BoxId::new(i);
        let name = cx.box_names[i].clone();
        let Some(info) = cx.box_info(id) else { continue };
        let is_module = info.is_module;
        let find = |m: &str| {
            info.methods.get(m).and_then(|l| l.iter().find(|(a, _)| *a == 0)).map(|(_, f)| *f)
        };
        let (fini, to_string) =
            if is_module { (None, None) } else { (find("fini"), find("toString")) };
        let parent = info.parent;
        let fields = if is_module { Vec::new() } else { info.fields.clone() };
        let mut methods: Vec<(String, usize, FuncId)> = info
            .methods
            .iter()
            .flat_map(|(m, l)| l.iter().map(move |(a, f)| (m.clone(), *a, *f)))
            .collect();
        methods.sort();
        let mut constructors = info.constructors.clone();
        constructors.sort();
        let fini_thunk = fini.map(|f| build_thunk(cx, id, &name, "fini", f));
        let to_string_thunk = to_string.map(|f| build_thunk(cx, id, &name, "toString", f));
        if fini_thunk.is_some() || to_string_thunk.is_some() {
            regs.push((id, fini_thunk, to_string_thunk));
        }
        cx.box_defs.push(BoxDef {
            name,
            is_static: is_module,
            parent,
            fields,
            field_types: Vec::new(),
            methods,
            constructors,
            fini_thunk,
            to_string_thunk,
        });
    }
    regs
}

/// `Box.<method>$thunk(me) -> dyn`: calls `target(me)` and returns its result boxed (null for
/// `fini`, whose result is released).
fn build_thunk(cx: &mut ModuleCx, id: BoxId, name: &str, method: &str, target: FuncId) -> FuncId {
    let span = cx.func_spans.get(target.index()).copied().unwrap_or_default();
    let fid = cx.declare_func(format!("{name}.{method}$thunk"), 0, span);
    let ctx = FuncCtx {
        box_name: Some(name.to_string()),
        site_name: format!("{name}.{method}"),
        script: false,
        instance: Some(id),
    };
    let fname = cx.func_names[fid.index()].clone();
    let pos = span.start;
    let mut b = FuncBuilder::new(cx, ctx, fname);
    let me = b.add_block_param(BlockId(0), Type::Instance(id));
    b.func.params.push(me);
    let r = b.emit(InstKind::Call { func: target, args: vec![me] }, Type::Dyn, pos);
    let out = if method == "fini" {
        b.emit_void(InstKind::Release(r), pos);
        b.const_val(Const::Null, pos)
    } else {
        r
    };
    let d = b.emit(InstKind::ToDyn(out), Type::Dyn, pos);
    b.terminate(Terminator::Return(d));
    let f = b.finish(pos);
    cx.funcs[fid.index()] = Some(f);
    fid
}
