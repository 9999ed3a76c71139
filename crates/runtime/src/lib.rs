//! The Nyash runtime: a C-ABI library (`nyrt_*` entry points) that compiled code and the VM call.
//!
//! Every value crosses the ABI as two i64 words `(tag, payload)` (see [`value`]). Heap objects
//! (strings, arrays) start with a [`value::Header`] holding a reference count and a type id so
//! that reference counting can be added without changing the layout. Each program runs on one
//! thread (see [`start`]); per-program state (source metadata, argv) is kept per thread.

mod array;
mod display;
mod error;
mod io;
mod meta;
mod methods;
mod ops;
mod overflow;
mod start;
mod string;
mod symbols;
mod value;

pub use error::{nyrt_error_div_zero, runtime_error};
pub use io::{flush_stdout, nyrt_print, with_captured_stdout};
pub use meta::{nyrt_args, nyrt_finish, nyrt_init};
pub use methods::nyrt_call_method;
pub use ops::{
    nyrt_add, nyrt_div, nyrt_eq, nyrt_fmod, nyrt_ge, nyrt_gt, nyrt_le, nyrt_lt, nyrt_mul, nyrt_neg,
    nyrt_rem, nyrt_sub, nyrt_truthy,
};
pub use start::{nyrt_start, with_big_stack, BIG_STACK_SIZE};
pub use string::nyrt_str_new;
pub use symbols::symbols;
pub use value::{tag, NyValue};

/// Test and tooling helpers: the display form of a value as a Rust `String`.
pub fn display_string(v: NyValue) -> String {
    display::to_display_string(v)
}

#[cfg(test)]
mod tests;
