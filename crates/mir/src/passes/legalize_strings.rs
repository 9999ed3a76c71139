//! String-building rewrites of legalization: `s.concat(x)` on a String as `s + x`, and the
//! fusion of `acc + recv.substring(..)` into one `nyrt_str_add_substring*` call.
//!
//! Splicing text (`line.substring(0, p) + "cat" + line.substring(p + 3)`) otherwise allocates
//! a substring object per piece only to copy it once more into the result and free it. When
//! the `+` takes over its left operand (`legalize::consume_plan`) and the substring result is
//! used by nothing but that `+` (and its release), the runtime copies the piece straight from
//! the receiver into the growing result; and the substring that starts such a chain gets
//! room for the pieces appended to it.

use super::dispatch::Dispatch;
use super::legalize::Lx;
use super::legalize_boxes::ModuleFacts;
use crate::ir::*;
use crate::runtime_abi::RtFn;
use rustc_hash::{FxHashMap, FxHashSet};

/// Rewrites `s.concat(x)` to `s + x` when `s` is a String and `x` can never be `null`: both
/// append the display form of `x` (they differ only for `null`, which `concat` shows as
/// "null" and `+` rejects) and neither can fail otherwise. The `+` then takes part in the
/// in-place appends of `consume_plan` and in substring fusion.
pub(super) fn concat_as_add(mx: &ModuleFacts, f: &Function, insts: &mut [Inst]) {
    for inst in insts {
        let InstKind::MethodCall { recv, method, ref args } = inst.kind else { continue };
        let [x] = args[..] else { continue };
        let never_null = !f.ty(x).is_nullable() && !matches!(f.ty(x), Type::Void | Type::Dyn);
        if f.ty(recv) == Type::Str
            && never_null
            && mx.symbols.get(method.index()).is_some_and(|n| n == "concat")
            && matches!(mx.table.resolve(Type::Str, method, 1), Dispatch::Dynamic)
        {
            inst.kind = InstKind::Binary { op: BinOp::Add, a: recv, b: x };
        }
    }
}

/// How many times each value is an operand anywhere in `f` (instructions and terminators).
pub(super) fn use_counts(f: &Function) -> FxHashMap<ValueId, usize> {
    let mut n: FxHashMap<ValueId, usize> = FxHashMap::default();
    let mut count = |v: &ValueId| *n.entry(*v).or_default() += 1;
    for b in &f.blocks {
        for inst in &b.insts {
            let mut kind = inst.kind.clone();
            super::for_each_operand_mut(&mut kind, |v| count(v));
        }
        match &b.term {
            Terminator::Jump { args, .. } => args.iter().for_each(&mut count),
            Terminator::Branch { cond, then_args, else_args, .. } => {
                count(cond);
                then_args.iter().for_each(&mut count);
                else_args.iter().for_each(&mut count);
            }
            Terminator::Return(v) => count(v),
            Terminator::Unreachable => {}
        }
    }
    n
}

/// A `+` to emit as `nyrt_str_add_substring*` (indices into one generic block).
#[derive(Clone, Copy, Debug)]
pub(super) struct SubstringFusion {
    /// The `recv.substring(..)` call, which is not emitted on its own.
    pub call: usize,
    /// The `Release` of the substring result, which goes away.
    pub release: usize,
}

/// For each `acc + t` (index into `insts`) in `consume` (its left operand handed over) where
/// `t = recv.substring(a[, b])` can be fused into it: `t` is a String made by that call on a
/// String (or String-or-null) receiver, which `legalize` would send to the direct
/// `nyrt_str_substring*` entry point; only constants lie between the call and the `+` (so
/// evaluating the call at the `+` changes nothing); and `t` has no use in the whole function
/// besides the `+` and one later `Release(t)` in this block.
pub(super) fn substring_plan(
    mx: &ModuleFacts,
    f: &Function,
    insts: &[Inst],
    consume: &FxHashMap<usize, usize>,
    uses: &FxHashMap<ValueId, usize>,
) -> FxHashMap<usize, SubstringFusion> {
    let mut plan = FxHashMap::default();
    for &k in consume.keys() {
        let InstKind::Binary { op: BinOp::Add, a, b: t } = insts[k].kind else { continue };
        if a == t || f.ty(t) != Type::Str || uses.get(&t) != Some(&2) {
            continue;
        }
        // The call defining `t`, with only constants after it.
        let Some(call) = (0..k).rev().find(|&i| !matches!(insts[i].kind, InstKind::Const(_)))
        else {
            continue;
        };
        if insts[call].result != Some(t) || !is_fusable_substring(mx, f, &insts[call].kind) {
            continue;
        }
        let release =
            (k + 1..insts.len()).find(|&j| matches!(insts[j].kind, InstKind::Release(v) if v == t));
        if let Some(release) = release {
            plan.insert(k, SubstringFusion { call, release });
        }
    }
    plan
}

/// The `recv.substring(..)` calls (indices into `insts`) whose result is the left operand of
/// a `+` in `consume`: the `+` appends to it in place, so the runtime reserves room for that
/// (`nyrt_str_substring_head*`, same results and errors).
pub(super) fn substring_heads(
    mx: &ModuleFacts,
    f: &Function,
    insts: &[Inst],
    consume: &FxHashMap<usize, usize>,
) -> FxHashSet<usize> {
    let mut heads = FxHashSet::default();
    for &k in consume.keys() {
        let InstKind::Binary { op: BinOp::Add, a, .. } = insts[k].kind else { continue };
        let def = (0..k).rev().find(|&i| insts[i].result == Some(a));
        if let Some(i) = def.filter(|&i| is_fusable_substring(mx, f, &insts[i].kind)) {
            heads.insert(i);
        }
    }
    heads
}

/// `recv.substring(a)` / `recv.substring(a, b)` that legalization would send to the direct
/// entry point `nyrt_str_substring1/2`.
fn is_fusable_substring(mx: &ModuleFacts, f: &Function, kind: &InstKind) -> bool {
    let InstKind::MethodCall { recv, method, args } = kind else { return false };
    let Some(name) = mx.symbols.get(method.index()) else { return false };
    matches!(
        RtFn::direct_method(f.ty(*recv), name, args.len()),
        Some(RtFn::StrSubstring1 | RtFn::StrSubstring2)
    ) && matches!(mx.table.resolve(f.ty(*recv), *method, args.len()), Dispatch::Dynamic)
}

impl Lx<'_> {
    /// Emits the generic `recv.substring(args..)` call as `nyrt_str_substring_head*`.
    pub(super) fn substring_head(&mut self, call: &InstKind, res: Option<ValueId>, res_ty: Type) {
        let InstKind::MethodCall { recv, method, args } = call else { return };
        let func = if args.len() == 1 { RtFn::StrSubstringHead1 } else { RtFn::StrSubstringHead2 };
        let mut words = vec![self.boxed(*recv)];
        for &a in args {
            let d = self.boxed(a);
            words.push(d);
        }
        words.push(self.push(InstKind::Const(Const::Int(method.0 as i64)), Type::Int));
        self.define_from_dyn(res, InstKind::RtCall { func, args: words }, res_ty);
    }

    /// Emits `res = acc + recv.substring(args..)` (the generic `call`, at `call_site`) as one
    /// `nyrt_str_add_substring*` call that takes over the reference to `acc`.
    pub(super) fn add_substring(
        &mut self,
        acc: ValueId,
        call: &InstKind,
        call_site: SiteId,
        res: Option<ValueId>,
        res_ty: Type,
    ) {
        let InstKind::MethodCall { recv, method, args } = call else { return };
        let func = if args.len() == 1 { RtFn::StrAddSubstring1 } else { RtFn::StrAddSubstring2 };
        let mut words = vec![self.boxed(acc), self.boxed(*recv)];
        for &a in args {
            let d = self.boxed(a);
            words.push(d);
        }
        words.push(self.push(InstKind::Const(Const::Int(method.0 as i64)), Type::Int));
        words.push(self.push(InstKind::Const(Const::Int(call_site.0 as i64)), Type::Int));
        self.define_from_dyn(res, InstKind::RtCall { func, args: words }, res_ty);
    }
}
