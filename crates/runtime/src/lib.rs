//! The Nyash runtime: a C-ABI library (`nyrt_*` entry points) that compiled code and the VM call.
//!
//! Every value crosses the ABI as two i64 words `(tag, payload)` (see [`value`]). Heap objects
//! (strings, arrays, maps, user box instances, consoles, maths) start with a [`value::Header`]
//! holding a reference count (see [`rc`]) and type information. Each program runs on one
//! thread (see [`start`]); per-program state (source metadata, argv, box registrations,
//! globals) is kept per thread.

mod array;
mod callback;
mod display;
mod error;
mod instance;
mod io;
mod map;
mod meta;
mod methods;
mod ops;
mod overflow;
mod rc;
mod start;
mod state;
mod string;
mod symbols;
mod value;

pub use array::{array_element, nyrt_array_ensure_kind, nyrt_new_array, nyrt_new_array_kind};
pub use callback::{set_callback_hook, CallbackHook};
pub use error::{nyrt_error, nyrt_error_div_zero, nyrt_error_stack_overflow, runtime_error};
pub use instance::{
    instance_slot_count, nyrt_box_id, nyrt_field_get, nyrt_field_set, nyrt_new_instance,
};
pub use io::{flush_stdout, nyrt_print, with_captured_stdout};
pub use map::nyrt_new_map;
pub use meta::{nyrt_args, nyrt_finish, nyrt_init};
pub use methods::{
    nyrt_call_method, nyrt_map_get, nyrt_map_has, nyrt_map_set, nyrt_str_add_substring1,
    nyrt_str_add_substring2, nyrt_str_char_at, nyrt_str_concat, nyrt_str_index_of,
    nyrt_str_index_of_from, nyrt_str_length, nyrt_str_substring1, nyrt_str_substring2,
    nyrt_str_substring_head1, nyrt_str_substring_head2,
};
pub use ops::{
    nyrt_add, nyrt_add_consume, nyrt_div, nyrt_eq, nyrt_fmod, nyrt_ge, nyrt_gt, nyrt_le, nyrt_lt,
    nyrt_mul, nyrt_neg, nyrt_rem, nyrt_sub, nyrt_truthy,
};
pub use rc::{nyrt_release, nyrt_retain, ref_count};
pub use start::{nyrt_start, with_big_stack, BIG_STACK_SIZE};
pub use state::{nyrt_global_get, nyrt_global_set, nyrt_register_box};
pub use string::{nyrt_str_new, Literals};
pub use symbols::{symbol, symbols};
pub use value::{nyrt_new_console, nyrt_new_math, tag, NyValue};

/// Test and tooling helpers: the display form of a value as a Rust `String`.
pub fn display_string(v: NyValue) -> String {
    display::to_display_string(v)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_array;
#[cfg(test)]
mod tests_consume;
#[cfg(test)]
mod tests_map;
#[cfg(test)]
mod tests_rc;
