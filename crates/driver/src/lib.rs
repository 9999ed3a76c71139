//! The `nyash` driver: command-line parsing, running the front end and a backend, linking
//! AOT executables, `compare` and `bench` (with SVG charts), and phase timings. `main_with_args` is the whole program, so
//! tests can embed the CLI in their own binary.

mod chart;
mod cli;
mod commands;
mod compile;
mod ice;
mod link;
mod runtime_lib;
mod tempdir;
mod timings;

use clap::Parser;
/// Backend and mode names shared with the benches.
pub use cli::{BackendKind, Mode};
use cli::{Cli, Command};
use nyash_mir::{Options, Timings};
use std::ffi::OsString;
use std::path::PathBuf;

/// An exit status whose message (if any) has already been printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exit(pub i32);

/// Settings from the global flags, shared by every command.
pub(crate) struct Ctx {
    /// `--backend` as given (`None` = not given; most commands then use Cranelift).
    pub backend: Option<BackendKind>,
    pub opts: Options,
    pub time: bool,
    pub timings_file: Option<PathBuf>,
}

impl Ctx {
    pub fn backend(&self) -> BackendKind {
        self.backend.unwrap_or(BackendKind::Cranelift)
    }

    /// Reports the phases of one command: the `--time` table on stderr and, for `compare`,
    /// the hidden timings file. Called once with the front-end times before running the
    /// program (a runtime error exits the process) and again at the end.
    pub fn record_timings(&self, t: &Timings, phases: timings::Phases, final_report: bool) {
        if let Some(path) = &self.timings_file {
            timings::write_file(path, t, phases);
        }
        if final_report && self.time {
            eprint!("{}", timings::table(t, phases));
        }
    }
}

/// Runs `nyash` with `args` (`args[0]` is the program name) and returns the exit status.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    ice::install_hook();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // `--help`/`--version` print to stdout and exit 0; usage errors go to stderr, 2.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let ctx = Ctx {
        backend: cli.backend,
        opts: Options { opt_level: cli.opt, verify: cli.verify },
        time: cli.time,
        timings_file: cli.timings_file,
    };
    let result = match &cli.command {
        Command::Run(a) => commands::run::run(&ctx, a),
        Command::Build(a) => commands::build::build(&ctx, a).map(|()| 0),
        Command::Check(a) => commands::check::check(&ctx, a).map(|()| 0),
        Command::Emit(a) => commands::emit::emit(&ctx, a).map(|()| 0),
        Command::Compare(a) => commands::compare::compare(&ctx, a),
        Command::Bench(a) => commands::bench::bench(&ctx, a),
    };
    match result {
        Ok(code) => code,
        Err(Exit(code)) => code,
    }
}
