//! Removal of redundant `Retain(v)` … `Release(v)` pairs inside one block of legal MIR.
//!
//! Legalization runs this on every block it finishes. A pair on the same value (the nearest
//! `Retain(v)` before a `Release(v)`, with no other `Release(v)` between them) nets to zero;
//! dropping both only lowers the object's count by one *inside* the window W between them.
//! That is unobservable when:
//!
//! - **Rule A (quiet window).** Every instruction in W is *quiet*: it cannot run user code
//!   (no `fini`, no `toString`), cannot release anything, and cannot look at a count.
//!   Quiet: constants, int/float/bool arithmetic and comparisons (a division by zero exits the
//!   program, which no count survives), `ToDyn`, `FromDyn`, `IntToFloat`, `FuncAddr`, `FieldLoad`,
//!   `FieldStore` (plain slot moves, no counting), and the runtime calls in
//!   [`quiet_rt`] (retains, comparisons, truthiness, box ids, non-`+` arithmetic — which only
//!   accept numbers —, allocations, `nyrt_global_get`, and the never-returning error calls).
//!   The count never reaches zero in W (nothing releases) and nothing reads it.
//! - **Rule B (moved into a quiet prefix).** W starts with a quiet prefix that contains every
//!   use of `v` (and of values loaded from `v`'s fields), followed by anything at all, and
//!   `v` can never have a `fini` (its type is Str, or it is the result of a runtime operator
//!   that only returns numbers and strings). Typical case: `me.f = a + b` legalizes to
//!   `r = nyrt_add(..); Retain(r); FieldStore(r); Release(old); Release(r)` — the temporary's
//!   reference simply moves into the field. After the prefix nobody uses `v`'s reference
//!   again, so the object may at worst be freed a little earlier (inside a `fini` run by the
//!   rest of W, when that drops every other reference) — invisible for an object without
//!   `fini`, and `nyrt_add_consume` can only see count 1 when no other holder exists.
//!
//! - **Rule C (never a heap value).** A retain or release of a value defined in the block by
//!   `ToDyn` (a boxed Int/Float/Bool) is deleted outright: the runtime would ignore its tag.
//!   (Legalization already deletes those of statically non-counted types; this catches the
//!   `Dyn` boxes it creates itself, e.g. for `me.count = 0`.)
//!
//! Scans are bounded (`MAX_WINDOW` instructions) so huge blocks stay linear.

use crate::ir::*;
use crate::runtime_abi::RtFn;
use rustc_hash::FxHashSet;

/// Longest window (in instructions) searched backwards for a matching `Retain`.
const MAX_WINDOW: usize = 64;

/// `Some((is_retain, v))` for a retain or release of `v` (generic or legal form).
fn rc_op(i: &Inst) -> Option<(bool, ValueId)> {
    match &i.kind {
        InstKind::RtCall { func: RtFn::Retain, args } if args.len() == 1 => Some((true, args[0])),
        InstKind::RtCall { func: RtFn::Release, args } if args.len() == 1 => Some((false, args[0])),
        InstKind::Retain(v) => Some((true, *v)),
        InstKind::Release(v) => Some((false, *v)),
        _ => None,
    }
}

/// Runtime calls that cannot run user code, release a reference, or read a count.
fn quiet_rt(f: RtFn) -> bool {
    use RtFn::*;
    matches!(
        f,
        Retain
            | Eq
            | Lt
            | Le
            | Gt
            | Ge
            | Truthy
            | BoxId
            | Sub
            | Mul
            | Div
            | Rem
            | Neg
            | StrNew
            | NewInstance
            | NewArray
            | NewArrayKind
            | NewMap
            | NewConsole
            | NewMath
            | GlobalGet
            | Error
            | ErrorDivZero
            | ErrorStackOverflow
    )
}

/// Rule A's test (also used by `borrow`).
pub(super) fn is_quiet(i: &Inst) -> bool {
    use InstKind::*;
    match &i.kind {
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
        | FuncAddr(_)
        | Retain(_) => true,
        RtCall { func, .. } => quiet_rt(*func),
        _ => false,
    }
}

/// True when `v` can never be an object with a `fini` (or one holding such objects).
fn never_fini(f: &Function, insts: &[Inst], v: ValueId) -> bool {
    if !f.ty(v).is_counted() || matches!(f.ty(v), Type::Str | Type::StrOrNull) {
        return true;
    }
    insts.iter().any(|i| {
        i.result == Some(v)
            && match &i.kind {
                InstKind::Const(_) => true,
                InstKind::RtCall { func, .. } => matches!(
                    func,
                    RtFn::Add
                        | RtFn::AddConsume
                        | RtFn::StrAddSubstring1
                        | RtFn::StrAddSubstring2
                        | RtFn::Sub
                        | RtFn::Mul
                        | RtFn::Div
                        | RtFn::Rem
                        | RtFn::Neg
                        | RtFn::StrNew
                ),
                _ => false,
            }
    })
}

fn uses(i: &Inst, vs: &FxHashSet<ValueId>) -> bool {
    let mut hit = false;
    let mut kind = i.kind.clone();
    super::for_each_operand_mut(&mut kind, |o| hit |= vs.contains(o));
    hit
}

/// Can the pair `Retain(v)` at `i` / `Release(v)` at `j` be dropped (`gone` marks
/// instructions already removed)?
fn pair_removable(f: &Function, insts: &[Inst], gone: &[bool], i: usize, j: usize) -> bool {
    let v = match rc_op(&insts[i]) {
        Some((_, v)) => v,
        None => return false,
    };
    // `v` and values loaded from its fields (not counted, so they die with `v`'s object).
    let mut tainted: FxHashSet<ValueId> = FxHashSet::from_iter([v]);
    let mut past_prefix = false;
    for k in i + 1..j {
        if gone[k] {
            continue;
        }
        let inst = &insts[k];
        if !past_prefix && is_quiet(inst) {
            if let InstKind::FieldLoad { obj, .. } = inst.kind {
                if tainted.contains(&obj) {
                    if let Some(r) = inst.result {
                        tainted.insert(r);
                    }
                }
            }
            continue;
        }
        // Rule B: after the quiet prefix nothing may touch `v` any more.
        past_prefix = true;
        if uses(inst, &tainted) {
            return false;
        }
    }
    !past_prefix || never_fini(f, insts, v)
}

/// Drops redundant Retain/Release pairs of one block (rules in the module docs).
pub(super) fn elide_retain_release(f: &Function, insts: Vec<Inst>) -> Vec<Inst> {
    let mut gone = vec![false; insts.len()];
    let boxed_scalars: FxHashSet<ValueId> = insts
        .iter()
        .filter(|i| matches!(i.kind, InstKind::ToDyn(_)))
        .filter_map(|i| i.result)
        .collect();
    for j in 0..insts.len() {
        let Some((is_retain, v)) = rc_op(&insts[j]) else { continue };
        if boxed_scalars.contains(&v) {
            gone[j] = true; // Rule C
            continue;
        }
        if is_retain {
            continue;
        }
        let lo = j.saturating_sub(MAX_WINDOW);
        // The nearest earlier `Retain(v)`; another `Release(v)` first means no pair.
        let mut found = None;
        for i in (lo..j).rev() {
            if gone[i] {
                continue;
            }
            match rc_op(&insts[i]) {
                Some((true, w)) if w == v => {
                    found = Some(i);
                    break;
                }
                Some((false, w)) if w == v => break,
                _ => {}
            }
        }
        if let Some(i) = found {
            if pair_removable(f, &insts, &gone, i, j) {
                gone[i] = true;
                gone[j] = true;
            }
        }
    }
    insts.into_iter().zip(gone).filter(|(_, g)| !g).map(|(i, _)| i).collect()
}
