//! The runtime entry points MIR may call, with their C ABI signatures.
//!
//! This table is the single source of truth shared by legalization, the verifier and all three
//! backends; `nyash_runtime` implements each entry as `#[no_mangle] extern "C" fn <name>`.
//! At the ABI every parameter and result is made of i64 words: `Repr::I64` is one word,
//! `Repr::Bool` is one word holding 0 or 1, `Repr::Boxed` is two words `(tag, payload)` (and is
//! returned as a `#[repr(C)]` pair, i.e. in RAX:RDX on x86-64). Floats never cross the ABI
//! except as the payload bits of a Boxed value.

use crate::ir::{Repr, Type};

macro_rules! rt_fns {
    ($( $variant:ident = $name:literal ( $($p:ident),* ) -> $ret:tt , site = $site:literal ; )*) => {
        /// A runtime entry point.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RtFn { $($variant),* }

        impl RtFn {
            pub const ALL: &'static [RtFn] = &[$(RtFn::$variant),*];

            /// The exported symbol name.
            pub fn name(self) -> &'static str {
                match self { $(RtFn::$variant => $name),* }
            }

            pub fn signature(self) -> RtSignature {
                match self {
                    $(RtFn::$variant => RtSignature {
                        params: &[$(Repr::$p),*],
                        ret: rt_fns!(@ret $ret),
                        site: $site,
                    }),*
                }
            }
        }
    };
    (@ret Void) => { None };
    (@ret $r:ident) => { Some(Repr::$r) };
}

impl RtFn {
    /// Dynamic operators that both native backends inline for Int/Float/Bool operands (tag
    /// tests, then the machine operation), calling the runtime only for every other case.
    pub fn has_inline_fast_path(self) -> bool {
        matches!(
            self,
            RtFn::Add
                | RtFn::AddConsume
                | RtFn::Sub
                | RtFn::Mul
                | RtFn::Lt
                | RtFn::Le
                | RtFn::Gt
                | RtFn::Ge
                | RtFn::Eq
                | RtFn::Truthy
                | RtFn::Neg
        )
    }
}

impl RtFn {
    /// The direct entry point every backend calls instead of `nyrt_call_method` for a
    /// `DynMethodCall` of builtin method `name` with `argc` arguments on a receiver of static
    /// type `recv`, if there is one. Its parameters are the receiver, the arguments, then the
    /// method's symbol id (and the site); its result is the method's (Boxed, owned).
    pub fn direct_method(recv: Type, name: &str, argc: usize) -> Option<RtFn> {
        match (recv, name, argc) {
            (Type::Map, "get", 1) => Some(RtFn::MapGet),
            (Type::Map, "has", 1) => Some(RtFn::MapHas),
            (Type::Map, "set", 2) => Some(RtFn::MapSet),
            (Type::Str | Type::StrOrNull, "length" | "size", 0) => Some(RtFn::StrLength),
            (Type::Str | Type::StrOrNull, "substring", 1) => Some(RtFn::StrSubstring1),
            (Type::Str | Type::StrOrNull, "substring", 2) => Some(RtFn::StrSubstring2),
            (Type::Str | Type::StrOrNull, "indexOf", 1) => Some(RtFn::StrIndexOf),
            (Type::Str | Type::StrOrNull, "indexOf", 2) => Some(RtFn::StrIndexOfFrom),
            (Type::Str | Type::StrOrNull, "concat", 1) => Some(RtFn::StrConcat),
            (Type::Str | Type::StrOrNull, "charAt", 1) => Some(RtFn::StrCharAt),
            _ => None,
        }
    }
}

/// Parameters (in order, before the optional site), result, and whether a trailing `site: i64`
/// argument is passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtSignature {
    pub params: &'static [Repr],
    pub ret: Option<Repr>,
    pub site: bool,
}

rt_fns! {
    // Program start/stop.
    // argc, argv, entry fn pointer: runs the entry on a big-stack thread (called by AOT `main`).
    Start = "nyrt_start"(I64, I64, I64) -> I64, site = false;
    Init = "nyrt_init"(I64, I64, I64, I64) -> Void, site = false;      // argc, argv, meta ptr, meta len
    Args = "nyrt_args"() -> Boxed, site = false;                        // ArrayBox of argv[1..]
    Finish = "nyrt_finish"(Boxed) -> I64, site = false;                 // main's result -> exit code; flushes
    // Values.
    StrNew = "nyrt_str_new"(I64, I64) -> Boxed, site = false;           // ptr, len (UTF-8 bytes)
    Print = "nyrt_print"(Boxed) -> Void, site = false;
    // Dynamic operators (any operand types, LANGUAGE.md §5).
    Add = "nyrt_add"(Boxed, Boxed) -> Boxed, site = true;
    // `a + b` that takes over the caller's reference to `a` (with `nyrt_str_add_substring*`
    // below, the only Boxed arguments of any entry point that are consumed rather than
    // borrowed): appends in place when `a` is a String with count 1, else `nyrt_add` then
    // release `a`. Emitted by legalization.
    AddConsume = "nyrt_add_consume"(Boxed, Boxed) -> Boxed, site = true;
    Sub = "nyrt_sub"(Boxed, Boxed) -> Boxed, site = true;
    Mul = "nyrt_mul"(Boxed, Boxed) -> Boxed, site = true;
    Div = "nyrt_div"(Boxed, Boxed) -> Boxed, site = true;
    Rem = "nyrt_rem"(Boxed, Boxed) -> Boxed, site = true;
    Neg = "nyrt_neg"(Boxed) -> Boxed, site = true;
    Eq = "nyrt_eq"(Boxed, Boxed) -> Bool, site = false;
    Lt = "nyrt_lt"(Boxed, Boxed) -> Bool, site = true;
    Le = "nyrt_le"(Boxed, Boxed) -> Bool, site = true;
    Gt = "nyrt_gt"(Boxed, Boxed) -> Bool, site = true;
    Ge = "nyrt_ge"(Boxed, Boxed) -> Bool, site = true;
    Truthy = "nyrt_truthy"(Boxed) -> Bool, site = true;
    // recv, sym, args_ptr, argc (used by `DynMethodCall`, never by `RtCall`).
    CallMethod = "nyrt_call_method"(Boxed, I64, I64, I64) -> Boxed, site = true;
    // Direct entry points for hot builtin methods on a receiver of static type Map: recv,
    // key[, value], method sym. Same results and errors as `nyrt_call_method` with that sym
    // (they fall back to it for anything but a MapBox receiver with an Int/String key).
    // Chosen by the backends for `DynMethodCall`s, see `RtFn::direct_method`.
    MapGet = "nyrt_map_get"(Boxed, Boxed, I64) -> Boxed, site = true;
    MapHas = "nyrt_map_has"(Boxed, Boxed, I64) -> Boxed, site = true;
    MapSet = "nyrt_map_set"(Boxed, Boxed, Boxed, I64) -> Boxed, site = true;
    // The same for a receiver of static type String or String-or-null (falling back for
    // anything but a live String receiver with arguments of the expected types, null included).
    StrLength = "nyrt_str_length"(Boxed, I64) -> Boxed, site = true;
    StrSubstring1 = "nyrt_str_substring1"(Boxed, Boxed, I64) -> Boxed, site = true;
    StrSubstring2 = "nyrt_str_substring2"(Boxed, Boxed, Boxed, I64) -> Boxed, site = true;
    StrIndexOf = "nyrt_str_index_of"(Boxed, Boxed, I64) -> Boxed, site = true;
    StrIndexOfFrom = "nyrt_str_index_of_from"(Boxed, Boxed, Boxed, I64) -> Boxed, site = true;
    StrConcat = "nyrt_str_concat"(Boxed, Boxed, I64) -> Boxed, site = true;
    StrCharAt = "nyrt_str_char_at"(Boxed, Boxed, I64) -> Boxed, site = true;
    // `recv.substring(a[, b])` whose result a `+` then takes over and appends to (chosen by
    // legalization): same parameters, results and errors as `nyrt_str_substring*`, with room
    // reserved in the result for the pieces to come.
    StrSubstringHead1 = "nyrt_str_substring_head1"(Boxed, Boxed, I64) -> Boxed, site = true;
    StrSubstringHead2 = "nyrt_str_substring_head2"(Boxed, Boxed, Boxed, I64) -> Boxed, site = true;
    // `acc + recv.substring(a[, b])` fused by legalization (the substring only feeds the `+`):
    // acc, recv, a[, b], the `substring` symbol, the substring's site (the trailing site is
    // the `+`'s). Takes over the reference to `acc` like `nyrt_add_consume` and appends the
    // piece straight from `recv`; same results and errors as the two operations in order.
    StrAddSubstring1 = "nyrt_str_add_substring1"(Boxed, Boxed, Boxed, I64, I64) -> Boxed, site = true;
    StrAddSubstring2 = "nyrt_str_add_substring2"(Boxed, Boxed, Boxed, Boxed, I64, I64) -> Boxed, site = true;
    // Errors raised by inline code (never returns).
    // Note: float remainder is `nyrt_fmod(f64, f64) -> f64`, outside this table because it
    // takes floats; native backends call it directly for `FloatBin Rem`.
    ErrorDivZero = "nyrt_error_div_zero"() -> Void, site = true;
    // A runtime error with a message known at compile time (never returns).
    Error = "nyrt_error"(Boxed) -> Void, site = true;
    // `error: stack overflow` (exit 1), as the stack guard reports it: a loop made from tail
    // recursion went deeper than any stack could (`passes/tail_rec.rs`). Never returns.
    ErrorStackOverflow = "nyrt_error_stack_overflow"() -> Void, site = false;
    // Reference counting (ignore non-heap tags). Boxed results of runtime calls are owned (+1);
    // Boxed arguments are borrowed, and functions that store an argument retain it themselves.
    Retain = "nyrt_retain"(Boxed) -> Void, site = false;
    Release = "nyrt_release"(Boxed) -> Void, site = false;
    // Boxes.
    NewInstance = "nyrt_new_instance"(I64) -> Boxed, site = false;      // box id; fields null
    NewArray = "nyrt_new_array"() -> Boxed, site = false;
    // An empty array of element kind `layout::ARRAY_KIND_*` (chosen by `passes::array_kinds`
    // for allocation sites whose elements inference proved to be all Int, Float or Bool).
    NewArrayKind = "nyrt_new_array_kind"(I64) -> Boxed, site = false;
    // Before a loop that caches an array's buffer (`array_views`): the array payload has element
    // kind `layout::ARRAY_KIND_*` afterwards (packed if needed; internal error if impossible).
    // Emitted by the native backends only, never in MIR.
    ArrayEnsureKind = "nyrt_array_ensure_kind"(I64, I64) -> Void, site = false;
    NewMap = "nyrt_new_map"() -> Boxed, site = false;
    NewConsole = "nyrt_new_console"() -> Boxed, site = false;
    NewMath = "nyrt_new_math"() -> Boxed, site = false;
    FieldGet = "nyrt_field_get"(Boxed, I64) -> Boxed, site = true;      // obj, field sym
    FieldSet = "nyrt_field_set"(Boxed, I64, Boxed) -> Void, site = true; // obj, field sym, value
    BoxId = "nyrt_box_id"(Boxed) -> I64, site = false;                  // instance's box id, else -1
    // box id, fini thunk address (0 = none), toString thunk address (0 = none).
    RegisterBox = "nyrt_register_box"(I64, I64, I64) -> Void, site = false;
    GlobalGet = "nyrt_global_get"(I64) -> Boxed, site = false;
    GlobalSet = "nyrt_global_set"(I64, Boxed) -> Void, site = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        let mut names: Vec<_> = RtFn::ALL.iter().map(|f| f.name()).collect();
        assert!(names.iter().all(|n| n.starts_with("nyrt_")));
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RtFn::ALL.len());
    }
}
