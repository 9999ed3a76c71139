//! Array views: which typed array accesses inside a loop may use the array's buffer, length
//! and kind read once before the loop, instead of loading and checking them at every access.
//!
//! The native backends inline `get`/`set`/`length` on typed arrays (`layout::ARRAY_KIND_*`).
//! Each inline access reloads `len`, `data` and `kind` and checks the kind, because anything
//! that may run code (a call, a release) may push, despecialize or free. Neither backend can
//! hoist those loads itself: Cranelift has no load motion, and LLVM sees the runtime call of
//! the cold path inside the loop. This analysis proves, per natural loop, that nothing in the
//! loop can change an array header: then the backend reads the header once, at the end of the
//! loop's preheader, after `nyrt_array_ensure_kind` has made the kind the expected one, and
//! the accesses in the loop use those values (bounds checks stay).
//!
//! A loop qualifies when every instruction in it is one of: pure arithmetic and conversions,
//! constants, field loads and stores (no reference counting there), `Retain`, and `get`,
//! `set` (of a value whose static type is the element type), `length`/`size` on receivers
//! whose element type is Int, Float or Bool. The remaining slow paths of those accesses are
//! runtime errors, which end the program. A receiver gets a view in the outermost qualifying
//! loop around the access that it is defined outside of.
//!
//! A loop that fills an array (`xs.push(v)`) cannot have such a view: the length changes. It
//! gets a *growing view* of array A instead when it would qualify but for pushes onto A of
//! values whose static type is A's element type. The backend keeps A's `data`, `len` and
//! `cap` in variables for the whole loop: a push with room stores the element and the new
//! length (to the variable and to the header, so the header is always current and any other
//! reader of A, an alias included, sees the right length), and a push without room calls the
//! runtime, which grows the buffer, after which the three are read again. Nothing else in
//! such a loop can change A's header: the other accesses are `get`, `length` and fitting
//! `set`s (which change no header), and there are no calls or releases.

use crate::ir::*;
use crate::runtime_abi::RtFn;
use rustc_hash::FxHashMap;

/// Which ArrayBox method a `DynMethodCall` on an Array receiver is, if the backends inline it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayOp {
    Get,
    Set,
    Length,
    Push,
}

impl ArrayOp {
    /// The inlined method `name` called with `argc` arguments, if any.
    pub fn classify(name: &str, argc: usize) -> Option<ArrayOp> {
        match (name, argc) {
            ("get", 1) => Some(ArrayOp::Get),
            ("set", 2) => Some(ArrayOp::Set),
            ("length" | "size", 0) => Some(ArrayOp::Length),
            ("push", 1) => Some(ArrayOp::Push),
            _ => None,
        }
    }
}

/// The views of one function.
#[derive(Debug, Default)]
pub struct ArrayViews {
    /// Per block: the arrays (receiver, kind) whose view to take at the end of the block,
    /// just before its terminator (the block is a loop preheader).
    pub take: FxHashMap<BlockId, Vec<(ValueId, i64)>>,
    /// Per (block, receiver): the preheader whose view the accesses in the block use.
    pub uses: FxHashMap<(BlockId, ValueId), BlockId>,
    /// Per block: the arrays (receiver, kind) whose growing view to set up at the end of the
    /// block (a loop preheader).
    pub take_growing: FxHashMap<BlockId, Vec<(ValueId, i64)>>,
    /// Per (block, receiver): the preheader whose growing view the accesses in the block use
    /// (pushes always; `get`/`set`/`length` where no fixed view serves them).
    pub growing_uses: FxHashMap<(BlockId, ValueId), BlockId>,
}

impl ArrayViews {
    /// The preheader whose view serves an access to `recv` in `block`, if any.
    pub fn view_of(&self, block: BlockId, recv: ValueId) -> Option<BlockId> {
        self.uses.get(&(block, recv)).copied()
    }

    /// The preheader whose growing view serves an access to `recv` in `block`, if any.
    pub fn growing_view_of(&self, block: BlockId, recv: ValueId) -> Option<BlockId> {
        self.growing_uses.get(&(block, recv)).copied()
    }
}

/// A natural loop as this analysis sees it: its body, size, unique outside predecessor, and
/// whether nothing in it can change an array header.
struct Loop {
    body: Vec<bool>,
    size: usize,
    preheader: Option<usize>,
    clean: bool,
    /// The array whose growing view this loop can have: the one receiver of pushes in it, when
    /// everything else in the loop is clean.
    growing: Option<ValueId>,
}

/// The array views of `f` (legal MIR of `m`).
pub fn array_views(m: &Module, f: &Function) -> ArrayViews {
    let mut views = ArrayViews::default();
    let n = f.blocks.len();
    // Views only serve inlined accesses to typed arrays: without one (most functions), the
    // loop analysis below could not record anything, so it is skipped.
    let any_typed = f.blocks.iter().flat_map(|b| &b.insts).any(|i| {
        matches!(&i.kind, InstKind::DynMethodCall { recv, .. }
            if matches!(f.ty(*recv), Type::Array(sites) if layout::array_kind(m.array_elem(sites)).is_some()))
    });
    if n == 0 || !any_typed {
        return views;
    }
    // The unboxed type each `ToDyn` result was made from.
    let boxed_from: FxHashMap<ValueId, Type> = f
        .blocks
        .iter()
        .flat_map(|b| &b.insts)
        .filter_map(|i| match i.kind {
            InstKind::ToDyn(x) => Some((i.result?, f.ty(x))),
            _ => None,
        })
        .collect();
    let defs = f.def_blocks();
    let mut loops: Vec<Loop> = f
        .natural_loops()
        .into_iter()
        .map(|l| {
            let (clean, growing) = loop_summary(m, f, &boxed_from, &defs, &l.body);
            Loop { size: l.size(), body: l.body, preheader: l.preheader, clean, growing }
        })
        .collect();
    if loops.is_empty() {
        return views;
    }
    // Innermost first: a loop nested in another has a smaller body.
    loops.sort_by_key(|l| l.size);
    for b in 0..n {
        for inst in &f.blocks[b].insts {
            let Some((recv, kind)) = typed_access(m, f, &boxed_from, &inst.kind) else {
                continue;
            };
            let mut best = None;
            for l in loops.iter().filter(|l| l.body[b]) {
                let outside = defs.get(&recv).is_some_and(|&d| !l.body[d]);
                match l.preheader {
                    Some(p) if l.clean && outside => best = Some(p),
                    _ => break,
                }
            }
            if let Some(p) = best {
                let (pb, bb) = (BlockId::new(p), BlockId::new(b));
                views.uses.insert((bb, recv), pb);
                let take = views.take.entry(pb).or_default();
                if !take.contains(&(recv, kind)) {
                    take.push((recv, kind));
                }
            }
        }
    }
    // Growing views: every push onto A in a growing loop of A, and every other access to A
    // there that no fixed view serves, uses the view of the outermost such loop around it
    // (loops are nested or disjoint, so all accesses in one loop agree on it).
    for b in 0..n {
        for inst in &f.blocks[b].insts {
            let Some((recv, kind, op)) = inlined_typed_op(m, f, &inst.kind) else { continue };
            let bb = BlockId::new(b);
            if op != ArrayOp::Push && views.uses.contains_key(&(bb, recv)) {
                continue;
            }
            let outermost = loops
                .iter()
                .rev()
                .find(|l| l.body[b] && l.growing == Some(recv) && l.preheader.is_some());
            if let Some(p) = outermost.and_then(|l| l.preheader) {
                let pb = BlockId::new(p);
                views.growing_uses.insert((bb, recv), pb);
                let take = views.take_growing.entry(pb).or_default();
                if !take.contains(&(recv, kind)) {
                    take.push((recv, kind));
                }
            }
        }
    }
    views
}

/// Whether the loop with blocks `body` is clean (see `inst_is_clean`), and the array it can
/// have a growing view of: the single receiver (defined outside the loop) of every push in it,
/// when each push stores a value of the array's element type and all else is clean.
fn loop_summary(
    m: &Module,
    f: &Function,
    boxed_from: &FxHashMap<ValueId, Type>,
    defs: &FxHashMap<ValueId, usize>,
    body: &[bool],
) -> (bool, Option<ValueId>) {
    let mut clean = true;
    let mut pushed: Option<ValueId> = None;
    let mut growable = true;
    for b in (0..f.blocks.len()).filter(|&b| body[b]) {
        for inst in &f.blocks[b].insts {
            if inst_is_clean(m, f, boxed_from, &inst.kind) {
                continue;
            }
            clean = false;
            match fitting_push(m, f, boxed_from, &inst.kind) {
                Some(recv) if pushed.is_none_or(|p| p == recv) => pushed = Some(recv),
                _ => growable = false,
            }
        }
    }
    // The array must be the same object in every iteration.
    let outside = |v: ValueId| defs.get(&v).is_some_and(|&d| !body[d]);
    let growing = pushed.filter(|&a| growable && outside(a));
    (clean, growing)
}

/// The receiver of a `push` onto a typed array of a value whose static type is the element
/// type (so the push never changes the array's kind).
fn fitting_push(
    m: &Module,
    f: &Function,
    boxed_from: &FxHashMap<ValueId, Type>,
    k: &InstKind,
) -> Option<ValueId> {
    let InstKind::DynMethodCall { recv, method, args } = k else { return None };
    let Type::Array(sites) = f.ty(*recv) else { return None };
    let elem = m.array_elem(sites);
    layout::array_kind(elem)?;
    let name = m.symbols.get(method.index())?;
    match ArrayOp::classify(name, args.len())? {
        ArrayOp::Push if boxed_from.get(&args[0]) == Some(&elem) => Some(*recv),
        _ => None,
    }
}

/// The receiver, kind and operation of an inlined method call on a typed array.
fn inlined_typed_op(m: &Module, f: &Function, k: &InstKind) -> Option<(ValueId, i64, ArrayOp)> {
    let InstKind::DynMethodCall { recv, method, args } = k else { return None };
    let Type::Array(sites) = f.ty(*recv) else { return None };
    let (kind, _) = layout::array_kind(m.array_elem(sites))?;
    let name = m.symbols.get(method.index())?;
    Some((*recv, kind, ArrayOp::classify(name, args.len())?))
}

/// The receiver and kind of an inlined access to a typed array that leaves every array
/// header as it is: `get`, `length`/`size`, or `set` of a value of the element's own type.
fn typed_access(
    m: &Module,
    f: &Function,
    boxed_from: &FxHashMap<ValueId, Type>,
    k: &InstKind,
) -> Option<(ValueId, i64)> {
    if let InstKind::ArrayLoad { arr, .. } = k {
        let Type::Array(sites) = f.ty(*arr) else { return None };
        return layout::array_kind(m.array_elem(sites)).map(|(kind, _)| (*arr, kind));
    }
    let InstKind::DynMethodCall { recv, method, args } = k else { return None };
    let Type::Array(sites) = f.ty(*recv) else { return None };
    let elem = m.array_elem(sites);
    let (kind, _) = layout::array_kind(elem)?;
    let name = m.symbols.get(method.index())?;
    match ArrayOp::classify(name, args.len())? {
        ArrayOp::Get | ArrayOp::Length => Some((*recv, kind)),
        // The stored value must fit the kind statically: the backend's check of a dynamic tag
        // would call the runtime on failure, which turns the array into one of values.
        ArrayOp::Set if boxed_from.get(&args[1]) == Some(&elem) => Some((*recv, kind)),
        ArrayOp::Set | ArrayOp::Push => None,
    }
}

/// Whether instruction `k` cannot change an array's length, buffer or kind, or free one.
/// (`boxed_from`: the unboxed type each `ToDyn` result of the function was made from.)
pub(crate) fn inst_is_clean(
    m: &Module,
    f: &Function,
    boxed_from: &FxHashMap<ValueId, Type>,
    k: &InstKind,
) -> bool {
    use InstKind::*;
    match k {
        DynMethodCall { .. } => typed_access(m, f, boxed_from, k).is_some(),
        RtCall { func, .. } => matches!(func, RtFn::Retain),
        Call { .. } | InitRuntime { .. } => false,
        // Generic MIR never reaches the backends; treat it as opaque all the same.
        MethodCall { .. } | FieldGet { .. } | FieldSet { .. } | Print(_) | Release(_) => false,
        Retain(_) | Binary { .. } | Unary { .. } | Truthy(_) => false,
        Const(_)
        | IntBin { .. }
        | FloatBin { .. }
        | IntCmp { .. }
        | FloatCmp { .. }
        | IntNeg(_)
        | FloatNeg(_)
        | FloatUnary { .. }
        | FloatToInt(_)
        | BoolNot(_)
        | Select { .. }
        | IsNull(_)
        | IntToFloat(_)
        | ToDyn(_)
        | FromDyn { .. }
        | FieldLoad { .. }
        | FieldStore { .. }
        | ArrayLoad { .. }
        | FuncAddr(_) => true,
    }
}
