//! The address of every exported `nyrt_*` function, for JITs that bind symbols in process.

use crate::*;

/// Defines `symbols` and `symbol` over one list, so the table and the lookup cannot disagree.
macro_rules! exports {
    ($($f:ident),* $(,)?) => {
        /// `(symbol name, address)` for every `#[no_mangle]` entry point of the runtime.
        pub fn symbols() -> Vec<(&'static str, usize)> {
            vec![$((stringify!($f), $f as *const () as usize)),*]
        }

        /// The address of the runtime entry point `name`, if it is one. A JIT that resolves
        /// only the symbols a program imports calls this instead of building the whole
        /// table: a match on the name, no allocation and no hashing.
        pub fn symbol(name: &str) -> Option<usize> {
            match name {
                $(stringify!($f) => Some($f as *const () as usize),)*
                _ => None,
            }
        }
    };
}

exports! {
    nyrt_start,
    nyrt_init,
    nyrt_args,
    nyrt_finish,
    nyrt_str_new,
    nyrt_print,
    nyrt_add,
    nyrt_add_consume,
    nyrt_sub,
    nyrt_mul,
    nyrt_div,
    nyrt_rem,
    nyrt_neg,
    nyrt_eq,
    nyrt_lt,
    nyrt_le,
    nyrt_gt,
    nyrt_ge,
    nyrt_truthy,
    nyrt_call_method,
    nyrt_map_get,
    nyrt_map_set,
    nyrt_map_has,
    nyrt_str_length,
    nyrt_str_substring1,
    nyrt_str_substring2,
    nyrt_str_index_of,
    nyrt_str_index_of_from,
    nyrt_str_concat,
    nyrt_str_char_at,
    nyrt_str_add_substring1,
    nyrt_str_add_substring2,
    nyrt_str_substring_head1,
    nyrt_str_substring_head2,
    nyrt_error_div_zero,
    nyrt_error_stack_overflow,
    nyrt_fmod,
    nyrt_error,
    nyrt_retain,
    nyrt_release,
    nyrt_new_instance,
    nyrt_new_array,
    nyrt_new_array_kind,
    nyrt_array_ensure_kind,
    nyrt_new_map,
    nyrt_new_console,
    nyrt_new_math,
    nyrt_field_get,
    nyrt_field_set,
    nyrt_box_id,
    nyrt_register_box,
    nyrt_global_get,
    nyrt_global_set,
}
