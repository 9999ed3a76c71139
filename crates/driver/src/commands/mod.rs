//! One module per subcommand; each returns its exit status or an already-reported `Exit`.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod compare;
pub(crate) mod emit;
pub(crate) mod run;
