//! The `nyash` command line: global flags, subcommands and their help texts (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use nyash_mir::OptLevel;
use std::ffi::OsString;
use std::path::PathBuf;

const MAIN_EXAMPLES: &str = "\
Examples:
  nyash run examples/fib.nyash                 run with the Cranelift JIT (the default)
  nyash --backend=vm run prog.nyash a b        run in the MIR interpreter, with two program arguments
  nyash --backend=llvm -O3 build prog.nyash -o prog
                                               compile to a native executable with LLVM
  nyash check prog.nyash                       report compile errors without running
  nyash emit --mir prog.nyash                  print the optimized MIR
  nyash compare prog.nyash                     run on every backend and compare outputs and times

Global flags may come before or after the subcommand (but arguments after a `run` FILE
belong to the program).";

/// The Nyash compiler: one MIR, three backends (MIR interpreter, Cranelift, LLVM).
#[derive(Parser, Debug)]
#[command(name = "nyash", version, after_help = MAIN_EXAMPLES)]
pub struct Cli {
    /// Code generator: `vm` (the MIR interpreter, the reference), `cranelift` or `llvm`
    /// [default: cranelift]
    #[arg(long, global = true, value_enum, value_name = "BACKEND")]
    pub backend: Option<BackendKind>,

    /// Optimization level for the native backends: -O0, -O1, -O2 (the default) or -O3
    #[arg(short = 'O', global = true, value_name = "LEVEL", value_parser = parse_opt_level,
          default_value = "2", hide_default_value = true)]
    pub opt: OptLevel,

    /// Print a table of phase times (parse, lower+passes, codegen, link, run) to stderr
    #[arg(long, global = true)]
    pub time: bool,

    /// Run the MIR verifier after every pass, and the backend's IR verifier, even in release builds
    #[arg(long, global = true)]
    pub verify: bool,

    /// (internal, used by `compare`) also write phase times as key=value lines to PATH
    #[arg(long, global = true, hide = true, value_name = "PATH")]
    pub timings_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// The MIR interpreter: the semantic oracle
    Vm,
    /// Cranelift: fast compile, JIT for `run`, objects for `build`
    Cranelift,
    /// LLVM 14: ORC JIT for `run`, optimized objects for `build`
    Llvm,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Vm => "vm",
            BackendKind::Cranelift => "cranelift",
            BackendKind::Llvm => "llvm",
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile FILE and run it in this process; arguments after FILE go to the program
    #[command(after_help = "\
Examples:
  nyash run hello.nyash
  nyash --backend=vm run prog.nyash first second    (main(args) sees [\"first\", \"second\"])
  nyash run --time prog.nyash                       (phase times on stderr)

The exit status is the program's: `return 3` from main exits with 3; a runtime error exits
with 1; a compile error exits with 1 before anything runs.")]
    Run(RunArgs),

    /// Compile FILE to a native executable (cranelift or llvm backend)
    #[command(after_help = "\
Examples:
  nyash build prog.nyash                       (writes ./prog)
  nyash --backend=llvm -O3 build prog.nyash -o /tmp/prog-fast

The executable links the Nyash runtime, which is built into `nyash` itself; a C compiler
driver is needed for linking: `cc`, or the one named by the CC environment variable.")]
    Build(BuildArgs),

    /// Report compile errors and warnings in FILE without running it (exit 0 if no errors)
    #[command(after_help = "\
Examples:
  nyash check prog.nyash")]
    Check(CheckArgs),

    /// Print an intermediate form of FILE: MIR, Cranelift IR, LLVM IR or assembly
    #[command(after_help = "\
Examples:
  nyash emit --mir prog.nyash                  the MIR after all passes
  nyash emit --clif prog.nyash                 Cranelift IR (implies --backend=cranelift)
  nyash emit --llvm-ir prog.nyash -o prog.ll   LLVM IR (implies --backend=llvm)
  nyash --backend=llvm -O3 emit --asm prog.nyash")]
    Emit(EmitArgs),

    /// Run FILE on every mode (vm, cranelift-jit, cranelift-aot, llvm-jit, llvm-aot) and compare
    #[command(after_help = "\
Examples:
  nyash compare prog.nyash
  nyash -O3 compare prog.nyash 10 20

Prints one line per mode with front-end, codegen, link and run times in milliseconds, the
exit status, and whether stdout matches the vm's. Exits with 1 (after showing a diff) if any
mode's stdout or exit status differs from the vm's.")]
    Compare(RunArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The Nyash source file
    pub file: PathBuf,
    /// Arguments for the program (`main(args)`); everything after FILE is passed through
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// The Nyash source file
    pub file: PathBuf,
    /// Output executable [default: FILE's stem, in the current directory]
    #[arg(short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The Nyash source file
    pub file: PathBuf,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("kind").required(true)
    .args(["mir", "clif", "llvm_ir", "asm"])))]
pub struct EmitArgs {
    /// The MIR after all passes
    #[arg(long)]
    pub mir: bool,
    /// Cranelift IR (implies --backend=cranelift)
    #[arg(long)]
    pub clif: bool,
    /// LLVM IR (implies --backend=llvm)
    #[arg(long = "llvm-ir")]
    pub llvm_ir: bool,
    /// Target assembly from the chosen backend
    #[arg(long)]
    pub asm: bool,
    /// The Nyash source file
    pub file: PathBuf,
    /// Write to OUT instead of stdout
    #[arg(short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
}

fn parse_opt_level(s: &str) -> Result<OptLevel, String> {
    match s {
        "0" => Ok(OptLevel::O0),
        "1" => Ok(OptLevel::O1),
        "2" => Ok(OptLevel::O2),
        "3" => Ok(OptLevel::O3),
        _ => Err(format!("`{s}` is not an optimization level; use -O0, -O1, -O2 or -O3")),
    }
}

/// The text form of an optimization level, as accepted by `-O`.
pub fn opt_level_flag(level: OptLevel) -> &'static str {
    match level {
        OptLevel::O0 => "-O0",
        OptLevel::O1 => "-O1",
        OptLevel::O2 => "-O2",
        OptLevel::O3 => "-O3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        let argv = std::iter::once("nyash").chain(args.iter().copied());
        match Cli::try_parse_from(argv) {
            Ok(cli) => cli,
            Err(e) => panic!("{args:?} did not parse: {e}"),
        }
    }

    fn fails(args: &[&str]) -> bool {
        Cli::try_parse_from(std::iter::once("nyash").chain(args.iter().copied())).is_err()
    }

    #[test]
    fn defaults() {
        let cli = parse(&["run", "a.nyash"]);
        assert_eq!(cli.backend, None);
        assert_eq!(cli.opt, OptLevel::O2);
        assert!(!cli.time && !cli.verify);
        let Command::Run(r) = cli.command else { panic!("not run") };
        assert_eq!(r.file, PathBuf::from("a.nyash"));
        assert!(r.args.is_empty());
    }

    #[test]
    fn global_flags_before_and_after_subcommand() {
        for args in [
            &["--backend=vm", "-O0", "--time", "run", "a.nyash"][..],
            &["run", "--backend", "vm", "-O0", "--time", "a.nyash"][..],
            &["--backend", "vm", "run", "-O", "0", "--time", "a.nyash"][..],
        ] {
            let cli = parse(args);
            assert_eq!(cli.backend, Some(BackendKind::Vm), "{args:?}");
            assert_eq!(cli.opt, OptLevel::O0, "{args:?}");
            assert!(cli.time, "{args:?}");
        }
        assert_eq!(parse(&["-O3", "check", "a.nyash"]).opt, OptLevel::O3);
        assert!(parse(&["check", "--verify", "a.nyash"]).verify);
    }

    #[test]
    fn program_arguments_pass_through() {
        let cli = parse(&["run", "a.nyash", "x", "--time", "-O0", "--backend=vm"]);
        assert!(!cli.time);
        assert_eq!(cli.backend, None);
        let Command::Run(r) = cli.command else { panic!("not run") };
        let args: Vec<_> = r.args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(args, ["x", "--time", "-O0", "--backend=vm"]);
    }

    #[test]
    fn build_output() {
        let Command::Build(b) = parse(&["build", "a.nyash", "-o", "out"]).command else {
            panic!("not build")
        };
        assert_eq!(b.output, Some(PathBuf::from("out")));
    }

    #[test]
    fn emit_needs_exactly_one_kind() {
        let Command::Emit(e) = parse(&["emit", "--llvm-ir", "a.nyash"]).command else {
            panic!("not emit")
        };
        assert!(e.llvm_ir && !e.mir && !e.clif && !e.asm);
        assert!(fails(&["emit", "a.nyash"]));
        assert!(fails(&["emit", "--mir", "--clif", "a.nyash"]));
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(fails(&["-O4", "run", "a.nyash"]));
        assert!(fails(&["--backend=gcc", "run", "a.nyash"]));
        assert!(fails(&["run"]));
        assert!(fails(&["frobnicate", "a.nyash"]));
    }

    #[test]
    fn hidden_timings_file() {
        let cli = parse(&["--timings-file", "/tmp/t", "run", "a.nyash"]);
        assert_eq!(cli.timings_file, Some(PathBuf::from("/tmp/t")));
    }
}
