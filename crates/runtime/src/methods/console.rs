//! ConsoleBox methods (LANGUAGE.md §6): `log`/`println` (display form + newline to stdout),
//! `print` (no newline), `warn`/`error` (to stderr, after flushing stdout). All return null.

use super::{Call, Method};
use crate::display::to_display_string;
use crate::io::{write_stderr, write_stdout};
use crate::value::NyValue;

pub(super) fn call(recv: NyValue, m: Method, c: &Call) -> NyValue {
    match (m, c.args.len()) {
        (Method::Log | Method::Println, 1) => {
            let mut s = to_display_string(c.args[0]);
            s.push('\n');
            write_stdout(&s);
        }
        (Method::Print, 1) => write_stdout(&to_display_string(c.args[0])),
        (Method::Warn | Method::Error, 1) => {
            let mut s = to_display_string(c.args[0]);
            s.push('\n');
            write_stderr(&s);
        }
        (Method::ToString, 0) => return NyValue::str(&to_display_string(recv)),
        _ => c.unknown(),
    }
    NyValue::NULL
}
