//! `nyrt_call_method`: dynamic method dispatch on builtin values by receiver type, method name
//! (pre-resolved from the metadata's symbol table) and argument count. Arguments are borrowed;
//! every result is owned (+1) by the caller.

mod array;
mod console;
mod map;

pub use map::{nyrt_map_get, nyrt_map_has, nyrt_map_set};
mod math;
mod number;
mod string;

pub use string::{
    nyrt_str_add_substring1, nyrt_str_add_substring2, nyrt_str_char_at, nyrt_str_concat,
    nyrt_str_index_of, nyrt_str_index_of_from, nyrt_str_length, nyrt_str_substring1,
    nyrt_str_substring2, nyrt_str_substring_head1, nyrt_str_substring_head2,
};

use crate::display::to_display_string;
use crate::error::{guard, runtime_error};
use crate::meta::with_meta;
use crate::value::{type_name, view, NyValue, V};
use std::borrow::Cow;

macro_rules! methods {
    ($($variant:ident = $name:literal,)*) => {
        /// Builtin method names, resolved once per symbol at `nyrt_init`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Method { $($variant,)* Other }

        impl Method {
            pub(crate) fn from_name(s: &str) -> Method {
                match s { $($name => Method::$variant,)* _ => Method::Other }
            }
        }
    };
}

methods! {
    Length = "length",
    Size = "size",
    Substring = "substring",
    IndexOf = "indexOf",
    LastIndexOf = "lastIndexOf",
    Contains = "contains",
    StartsWith = "startsWith",
    EndsWith = "endsWith",
    Trim = "trim",
    Replace = "replace",
    Concat = "concat",
    Split = "split",
    ToUpper = "toUpper",
    ToLower = "toLower",
    CharAt = "charAt",
    ToInteger = "toInteger",
    ToFloat = "toFloat",
    Repeat = "repeat",
    IsEmpty = "isEmpty",
    ToString = "toString",
    Abs = "abs",
    Min = "min",
    Max = "max",
    Pow = "pow",
    Floor = "floor",
    Ceil = "ceil",
    Round = "round",
    Sqrt = "sqrt",
    Push = "push",
    Pop = "pop",
    Get = "get",
    Set = "set",
    Clear = "clear",
    Join = "join",
    Insert = "insert",
    Remove = "remove",
    Slice = "slice",
    Reverse = "reverse",
    Sort = "sort",
    Has = "has",
    Delete = "delete",
    Keys = "keys",
    Values = "values",
    Log = "log",
    Println = "println",
    Print = "print",
    Warn = "warn",
    Error = "error",
    Sin = "sin",
    Cos = "cos",
    Tan = "tan",
    Exp = "exp",
}

/// One method call in progress: used for argument checks and error messages.
pub(crate) struct Call<'a> {
    pub sym: i64,
    pub args: &'a [NyValue],
    pub site: i64,
    /// Receiver type name (`String`, `Int`, ..., or a user box name).
    pub ty: Cow<'static, str>,
}

impl Call<'_> {
    pub fn name(&self) -> String {
        with_meta(|m| {
            m.and_then(|m| m.syms.get(usize::try_from(self.sym).ok()?).cloned())
                .unwrap_or_else(|| format!("<method #{}>", self.sym))
        })
    }

    /// `unknown method <Type>.<name>/<argc>`.
    pub fn unknown(&self) -> ! {
        runtime_error(
            self.site,
            &format!("unknown method {}.{}/{}", self.ty, self.name(), self.args.len()),
        )
    }

    pub fn error(&self, msg: &str) -> ! {
        runtime_error(self.site, &format!("{}.{}: {}", self.ty, self.name(), msg))
    }

    pub fn bad_arg(&self, i: usize, want: &str) -> ! {
        self.error(&format!("argument {} must be {}, got {}", i + 1, want, type_name(self.args[i])))
    }

    pub fn int(&self, i: usize) -> i64 {
        match view(self.args[i]) {
            V::Int(x) => x,
            _ => self.bad_arg(i, "Int"),
        }
    }

    pub fn str(&self, i: usize) -> &'static crate::string::StrObj {
        match view(self.args[i]) {
            V::Str(s) => s,
            _ => self.bad_arg(i, "String"),
        }
    }

    /// An Int or Float argument as `Ok(int)` / `Err(float)`.
    pub fn number(&self, i: usize) -> Result<i64, f64> {
        match view(self.args[i]) {
            V::Int(x) => Ok(x),
            V::Float(f) => Err(f),
            _ => self.bad_arg(i, "Int or Float"),
        }
    }
}

fn symbol_method(sym: i64) -> Method {
    with_meta(|m| {
        m.and_then(|m| m.methods.get(usize::try_from(sym).ok()?).copied()).unwrap_or(Method::Other)
    })
}

pub(crate) fn call_method(recv: NyValue, sym: i64, args: &[NyValue], site: i64) -> NyValue {
    let method = symbol_method(sym);
    let c = Call { sym, args, site, ty: type_name(recv) };
    match view(recv) {
        V::Null => {
            runtime_error(site, &format!("cannot call method {}/{} on null", c.name(), args.len()))
        }
        V::Str(s) => string::call(s, method, &c),
        V::Int(i) => number::call_int(i, method, &c),
        V::Float(f) => number::call_float(f, method, &c),
        V::Bool(b) => match (method, args.len()) {
            (Method::ToString, 0) => NyValue::str(if b { "true" } else { "false" }),
            _ => c.unknown(),
        },
        V::Array(a) => array::call(recv, a, method, &c),
        V::Map(m) => map::call(recv, m, method, &c),
        V::Console => console::call(recv, method, &c),
        V::Math => math::call(recv, method, &c),
        // User methods were dispatched by compiled code; only the builtin `toString` is left.
        V::Instance(_) => match (method, args.len()) {
            (Method::ToString, 0) => NyValue::str(&to_display_string(recv)),
            _ => c.unknown(),
        },
    }
}

/// Calls method `sym` on `recv` with `argc` `(tag, payload)` pairs at `args_ptr`.
#[no_mangle]
pub extern "C" fn nyrt_call_method(
    recv_tag: i64,
    recv_payload: i64,
    sym: i64,
    args_ptr: i64,
    argc: i64,
    site: i64,
) -> NyValue {
    guard(|| {
        let args: &[NyValue] = if argc <= 0 || args_ptr == 0 {
            &[]
        } else {
            // SAFETY: the caller stores `argc` consecutive values at `args_ptr`.
            unsafe { std::slice::from_raw_parts(args_ptr as *const NyValue, argc as usize) }
        };
        call_method(NyValue::new(recv_tag, recv_payload), sym, args, site)
    })
}
