//! `nyash check FILE`: parse, lower and run the passes; report diagnostics; run nothing.

use crate::cli::CheckArgs;
use crate::compile::{front_end, read_source};
use crate::timings::Phases;
use crate::{Ctx, Exit};
use nyash_mir::pipeline::Passes;
use nyash_mir::Timings;

pub(crate) fn check(ctx: &Ctx, a: &CheckArgs) -> Result<(), Exit> {
    let file = read_source(&a.file)?;
    let mut t = Timings::default();
    front_end(&file, ctx.opts.verify, Passes::default(), &mut t)?;
    ctx.record_timings(&t, Phases::default(), true);
    Ok(())
}
