//! Result types of builtin method calls whose receiver type is statically known.
//!
//! Each entry mirrors `nyash_runtime::methods::*`: a (receiver type, method name, arity) is
//! listed only if the runtime implementation ALWAYS returns a value of that type (or raises
//! a runtime error, which never returns). Legalization relies on this to unbox Int/Float/Bool
//! results with `FromDyn` without a run-time tag check, so a wrong entry here is a miscompile:
//! keep it in sync with the runtime. Everything not listed is `Dyn`.

use crate::ir::{ArraySites, Type};

/// The result type of the builtin `recv.name(<args>)`, given the argument types (`None` =
/// not inferred yet). Returns `None` when the answer depends on an argument type that is not
/// known yet (inference will come back), `Some(Type::Dyn)` when it is not statically fixed.
pub fn builtin_result(recv: Type, name: &str, args: &[Option<Type>]) -> Option<Type> {
    use Type::*;
    let n = args.len();
    let t = match (recv, name, n) {
        (Str, "length" | "size", 0) => Int,
        (Str, "indexOf", 1 | 2) | (Str, "lastIndexOf", 1) | (Str, "toInteger", 0) => Int,
        (Str, "contains" | "startsWith" | "endsWith", 1) | (Str, "isEmpty", 0) => Bool,
        (Str, "toFloat", 0) => Float,
        (Str, "substring", 1 | 2)
        | (Str, "trim" | "toUpper" | "toLower" | "toString", 0)
        | (Str, "replace", 2)
        | (Str, "concat" | "charAt" | "repeat", 1) => Str,
        (Str, "split", 1) => Array(ArraySites::UNTRACKED),

        (Array(_), "length" | "size", 0) | (Array(_), "indexOf", 1) => Int,
        (Array(_), "contains", 1) | (Array(_), "isEmpty", 0) => Bool,
        (Array(_), "join", 1) | (Array(_), "toString", 0) => Str,
        // Always null (so the result needs no release).
        (Array(_), "set" | "insert", 2) | (Array(_), "push", 1) | (Array(_), "clear", 0) => Void,
        // The slice shares the elements: the same sites (`infer` handles element reads).
        (Array(sites), "slice", 1 | 2) => Array(sites),

        (Map, "size" | "length", 0) => Int,
        (Map, "has" | "delete" | "remove", 1) | (Map, "isEmpty", 0) => Bool,
        (Map, "keys" | "values", 0) => Array(ArraySites::UNTRACKED),
        (Map, "toString", 0) => Str,

        (Int, "toString", 0) => Str,
        (Int, "toFloat", 0) => Float,
        (Int, "abs", 0) => Int,
        // Int.min/max: an Int argument gives an Int, a Float argument a Float; anything else
        // is a runtime error.
        (Int, "min" | "max", 1) => match args[0]? {
            Int => Int,
            Float => Float,
            _ => Dyn,
        },
        // Int.pow: a Float exponent gives a Float; an Int exponent may give either (n < 0).
        (Int, "pow", 1) => match args[0]? {
            Float => Float,
            _ => Dyn,
        },

        (Float, "toString", 0) => Str,
        (Float, "toInteger", 0) => Int,
        (Float, "abs" | "floor" | "ceil" | "round" | "sqrt", 0) => Float,

        (Bool, "toString", 0) => Str,
        _ => Dyn,
    };
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_results() {
        assert_eq!(builtin_result(Type::Str, "length", &[]), Some(Type::Int));
        assert_eq!(builtin_result(Type::Str, "length", &[Some(Type::Int)]), Some(Type::Dyn));
        assert_eq!(
            builtin_result(Type::Array(ArraySites::UNTRACKED), "join", &[None]),
            Some(Type::Str)
        );
        assert_eq!(builtin_result(Type::Int, "min", &[None]), None);
        assert_eq!(builtin_result(Type::Int, "pow", &[Some(Type::Int)]), Some(Type::Dyn));
        assert_eq!(builtin_result(Type::Dyn, "length", &[]), Some(Type::Dyn));
    }
}
