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
  nyash bench benches/programs/*.nyash --baseline c,luajit --svg bench.svg
                                               benchmark programs on every mode against C and LuaJIT

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

    /// Optimization level for the native backends: -O0, -O1, -O2 (the default) or -O3.
    /// LLVM runs its pass pipeline for the level; Cranelift turns on its e-graph optimizer at -O3
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
    /// The code generator behind this choice.
    pub fn backend(self) -> &'static dyn nyash_mir::Backend {
        match self {
            BackendKind::Vm => &nyash_backend_vm::VmBackend,
            BackendKind::Cranelift => &nyash_backend_cranelift::CraneliftBackend,
            BackendKind::Llvm => &nyash_backend_llvm::LlvmBackend,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Vm => "vm",
            BackendKind::Cranelift => "cranelift",
            BackendKind::Llvm => "llvm",
        }
    }
}

/// One way of running a program: a backend, in process (JIT / interpreter) or as a built
/// executable (AOT). Used by `compare` (all of them) and `bench --modes`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// The MIR interpreter
    Vm,
    /// Cranelift, compiled and run in process
    CraneliftJit,
    /// Cranelift object linked into an executable, then run
    CraneliftAot,
    /// LLVM ORC JIT, in process
    LlvmJit,
    /// LLVM object linked into an executable, then run
    LlvmAot,
}

impl Mode {
    pub const ALL: [Mode; 5] =
        [Mode::Vm, Mode::CraneliftJit, Mode::CraneliftAot, Mode::LlvmJit, Mode::LlvmAot];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Vm => "vm",
            Mode::CraneliftJit => "cranelift-jit",
            Mode::CraneliftAot => "cranelift-aot",
            Mode::LlvmJit => "llvm-jit",
            Mode::LlvmAot => "llvm-aot",
        }
    }

    pub fn backend(self) -> BackendKind {
        match self {
            Mode::Vm => BackendKind::Vm,
            Mode::CraneliftJit | Mode::CraneliftAot => BackendKind::Cranelift,
            Mode::LlvmJit | Mode::LlvmAot => BackendKind::Llvm,
        }
    }

    /// True when the mode builds an executable (`nyash build`) and runs it.
    pub fn aot(self) -> bool {
        matches!(self, Mode::CraneliftAot | Mode::LlvmAot)
    }
}

/// A non-Nyash implementation of a benchmark, found beside the `.nyash` file by stem.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Baseline {
    /// `<stem>.c`, compiled once with `cc -O2` (or `$CC -O2`)
    C,
    /// `<stem>.lua`, run with `luajit` from PATH (skipped with a note when not installed)
    Luajit,
}

impl Baseline {
    pub fn name(self) -> &'static str {
        match self {
            Baseline::C => "c",
            Baseline::Luajit => "luajit",
        }
    }

    /// The file extension of this baseline's source.
    pub fn extension(self) -> &'static str {
        match self {
            Baseline::C => "c",
            Baseline::Luajit => "lua",
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

  nyash compare --svg times.svg prog.nyash      (also draw compile and run times as a chart)

Prints one line per mode with front-end, codegen, link and run times in milliseconds, the
exit status, and whether stdout matches the vm's. Exits with 1 (after showing a diff) if any
mode's stdout or exit status differs from the vm's. Options go before FILE: everything after
FILE is passed to the program.")]
    Compare(CompareArgs),

    /// Benchmark programs on several modes (and C / LuaJIT baselines): median times, charts
    #[command(after_help = BENCH_HELP)]
    Bench(BenchArgs),
}

const BENCH_HELP: &str = "\
Examples:
  nyash bench benches/programs/fib.nyash
  nyash bench benches/programs/*.nyash --runs 5 --baseline c,luajit --svg bench.svg
  nyash bench prog.nyash --modes cranelift-jit,llvm-aot --warmup 0 --json samples.json
  nyash -O3 bench prog.nyash --modes llvm-aot,llvm-jit       (-O applies to the native backends)

Every program runs on each mode, each in a child process of nyash: --warmup unmeasured runs,
then --runs measured ones (fewer when a mode's runs on one program exceed --max-time), in
rounds that run every mode and baseline once, so drifts in machine speed hit them alike. The
table shows per program and mode the median compile ms (front end + code generation, plus
linking for AOT modes), the median run ms, the ratio of run time to C's, and whether the
output agrees. Run ms is the backend's own run phase for vm/JIT modes, and the wall time of
the executable for AOT modes and the baselines. With several programs, totals per mode
follow: the compile medians summed (compare cranelift-jit with llvm-jit for the compile-time
trade-off) and the geometric mean of the ratios to C (`-` unless C ran on each), over the
programs where the mode's output agreed.

Baselines live beside each program: prog.nyash is compared with prog.c (built once with
`cc -O2`) and prog.lua (run with luajit when it is on PATH). Every mode's and baseline's
stdout must equal the first mode's; a difference or a failed run is reported in the table
and makes the exit status 1. Progress goes to stderr, the table to stdout.

--json writes every sample (compile and run ms of each run) per program and mode/baseline;
--svg draws a grouped bar chart of median run times (log scale), one group per program.";

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The Nyash source file
    pub file: PathBuf,
    /// Arguments for the program (`main(args)`); everything after FILE is passed through
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Also write a bar chart of each mode's compile and run times to OUT (an SVG file)
    #[arg(long, value_name = "OUT")]
    pub svg: Option<PathBuf>,
    /// The Nyash source file
    pub file: PathBuf,
    /// Arguments for the program (`main(args)`); everything after FILE is passed through
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Nyash programs to benchmark; `<stem>.c` / `<stem>.lua` beside each are its baselines
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Modes to run, comma-separated, in this order; the first one's stdout is the reference
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "MODES",
        default_value = "vm,cranelift-jit,cranelift-aot,llvm-jit,llvm-aot"
    )]
    pub modes: Vec<Mode>,
    /// Measured runs per program and mode (the table shows medians)
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Unmeasured runs before the measured ones, per program and mode
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub warmup: u32,
    /// Baselines to run too, comma-separated: `c` (<stem>.c, cc -O2), `luajit` (<stem>.lua)
    #[arg(long = "baseline", value_enum, value_delimiter = ',', value_name = "BASELINES")]
    pub baselines: Vec<Baseline>,
    /// Stop repeating a mode on a program once its runs took this many seconds in total
    /// (at least one measured run is always made), so a slow VM does not take all day
    #[arg(long, value_name = "SECS", default_value_t = 60.0, value_parser = parse_seconds)]
    pub max_time: f64,
    /// Write every sample (compile and run ms of each run) as JSON to OUT
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Write a grouped bar chart of median run times (log scale) as SVG to OUT
    #[arg(long, value_name = "OUT")]
    pub svg: Option<PathBuf>,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a number of seconds")),
    }
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
    fn bench_flags() {
        let Command::Bench(b) = parse(&["bench", "a.nyash", "b.nyash"]).command else {
            panic!("not bench")
        };
        assert_eq!(b.files.len(), 2);
        assert_eq!(b.modes, Mode::ALL);
        assert_eq!((b.runs, b.warmup), (3, 1));
        assert!(b.baselines.is_empty() && b.json.is_none() && b.svg.is_none());
        let args = [
            "bench",
            "a.nyash",
            "--modes",
            "llvm-aot,vm",
            "--runs",
            "5",
            "--warmup",
            "0",
            "--baseline",
            "c,luajit",
            "--json",
            "x.json",
            "--svg",
            "x.svg",
            "--max-time",
            "2.5",
        ];
        let Command::Bench(b) = parse(&args).command else { panic!("not bench") };
        assert_eq!(b.modes, [Mode::LlvmAot, Mode::Vm]);
        assert_eq!((b.runs, b.warmup, b.max_time), (5, 0, 2.5));
        assert_eq!(b.baselines, [Baseline::C, Baseline::Luajit]);
        assert_eq!(b.svg, Some(PathBuf::from("x.svg")));
        assert!(fails(&["bench"]));
        assert!(fails(&["bench", "a.nyash", "--runs", "0"]));
        assert!(fails(&["bench", "a.nyash", "--modes", "gcc"]));
        assert!(fails(&["bench", "a.nyash", "--baseline", "python"]));
    }

    #[test]
    fn compare_svg_comes_before_the_file() {
        let args = ["compare", "--svg", "o.svg", "p.nyash", "x", "--svg"];
        let Command::Compare(c) = parse(&args).command else { panic!("not compare") };
        assert_eq!(c.svg, Some(PathBuf::from("o.svg")));
        assert_eq!(c.args, [OsString::from("x"), OsString::from("--svg")]);
    }

    #[test]
    fn hidden_timings_file() {
        let cli = parse(&["--timings-file", "/tmp/t", "run", "a.nyash"]);
        assert_eq!(cli.timings_file, Some(PathBuf::from("/tmp/t")));
    }
}
