//! The conformance harness: every program in `programs/**/*.nyash` × every mode (vm,
//! cranelift-jit, cranelift-aot, llvm-jit, llvm-aot) becomes one libtest-mimic trial named
//! `<relpath>::<mode>`, checked against the `.stdout`/`.exit`/`.stderr` files beside it.
//! `NYASH_BLESS=1` rewrites those files from the vm's result and checks the other modes
//! against it.

pub mod corpus;
pub mod exec;
pub mod verdict;

use corpus::{Case, Expectation};
use exec::{Cli, Mode};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Per program, shared by its five trials: the arguments and (when blessing) the vm's result,
/// computed by whichever trial gets there first. Blessing through a `OnceLock` means the
/// files are rewritten once, before any other mode reads the expectation.
struct Shared {
    case: Case,
    blessed: OnceLock<Result<Expectation, String>>,
}

/// Discovers the corpus under `root`, runs the trials, and exits the process.
pub fn conformance_main(root: &Path) -> ! {
    let args = Arguments::from_args();
    let cli = match exec::self_as_cli() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(101)
        }
    };
    let trials = match trials(root, &cli) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("conformance: {e}");
            std::process::exit(101)
        }
    };
    libtest_mimic::run(&args, trials).exit()
}

fn trials(root: &Path, cli: &Cli) -> Result<Vec<Trial>, String> {
    let bless = std::env::var_os("NYASH_BLESS").is_some_and(|v| v == "1");
    let timeout = exec::timeout_from_env();
    let mut trials = Vec::new();
    for case in corpus::discover(root)? {
        let shared = Arc::new(Shared { case, blessed: OnceLock::new() });
        for mode in Mode::ALL {
            let name = format!("{}::{}", shared.case.rel, mode.name());
            let (shared, cli) = (Arc::clone(&shared), cli.clone());
            trials.push(Trial::test(name, move || run_trial(&shared, &cli, mode, bless, timeout)));
        }
    }
    Ok(trials)
}

fn run_trial(
    shared: &Shared,
    cli: &Cli,
    mode: Mode,
    bless: bool,
    timeout: Duration,
) -> Result<(), Failed> {
    let case = &shared.case;
    let args = corpus::load_args(case)?;
    let expected = if bless {
        let blessed = shared.blessed.get_or_init(|| bless_from_vm(cli, case, &args, timeout));
        let expected = blessed.clone()?;
        if mode == Mode::Vm {
            return Ok(());
        }
        expected
    } else {
        corpus::load_expectation(case)?
    };
    let actual = exec::run_case(cli, case, mode, &args, timeout);
    verdict::judge(&expected, &actual)
        .map_err(|report| Failed::from(format!("{} in mode {}:\n{report}", case.rel, mode.name())))
}

/// Runs the vm and writes its result as the expectation. A vm that crashed, hung or was
/// killed is not blessed: that would enshrine a bug.
fn bless_from_vm(
    cli: &Cli,
    case: &Case,
    args: &[String],
    timeout: Duration,
) -> Result<Expectation, String> {
    let out = exec::run_case(cli, case, Mode::Vm, args, timeout);
    match out.exit {
        Ok(code) if code != 101 => corpus::bless(case, &out.stdout, code, &out.stderr),
        other => Err(format!(
            "not blessing {}: the vm ended with {other:?}\nstderr:\n{}",
            case.rel,
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}
