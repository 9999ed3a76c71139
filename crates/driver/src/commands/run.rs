//! `nyash run FILE [ARGS…]`: compile and run in this process (JIT, or the VM).

use crate::cli::RunArgs;
use crate::compile::{front_end, in_backend, read_source};
use crate::timings::Phases;
use crate::{Ctx, Exit};
use nyash_mir::Timings;

pub(crate) fn run(ctx: &Ctx, a: &RunArgs) -> Result<i32, Exit> {
    let file = read_source(&a.file)?;
    let mut t = Timings::default();
    let module = front_end(&file, ctx.opts.verify, ctx.backend().backend().passes(), &mut t)?;
    ctx.record_timings(&t, Phases::default(), false);

    // argv[0] is the source file exactly as given, like a script interpreter's.
    let mut argv = vec![a.file.to_string_lossy().into_owned()];
    argv.extend(a.args.iter().map(|s| s.to_string_lossy().into_owned()));

    let outcome = in_backend(ctx.backend(), |b| b.run(&module, &ctx.opts, &argv));
    // Whatever happened, output the program already wrote must reach the terminal now.
    nyash_runtime::flush_stdout();
    let outcome = outcome?;
    t.codegen = outcome.timings.codegen;
    t.run = outcome.timings.run;
    ctx.record_timings(&t, Phases { codegen: true, link: false, run: true }, true);
    Ok(outcome.exit_code)
}
