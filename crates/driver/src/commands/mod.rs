//! One module per subcommand (plus `modes`, running a program on one mode, and
//! `bench_report`, the output of `bench`); each command returns its exit status or an
//! already-reported `Exit`.

pub(crate) mod bench;
mod bench_report;
pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod compare;
pub(crate) mod emit;
pub(crate) mod modes;
pub(crate) mod run;
