//! `tooleval merge`: the reports of `run --shard I/N` combined into the report one run would
//! have written (`report::merge_reports`), then finished like a run (written, compared, gated).

use crate::cli::{Format, MergeArgs};
use crate::error::Result;
use crate::files::check_writable;
use crate::gate::{self, GateSettings};
use crate::output::Output;
use crate::report::{self, merge_reports};
use crate::session::{self, Finish};

/// `tooleval merge`.
pub(crate) async fn merge_command(out: &Output, args: MergeArgs) -> Result<i32> {
    check_writable(&args.out)?;
    let gate = GateSettings::from(&args.gate);
    gate::check_args(&gate, gate.baseline.is_some(), gate.tool_floor)?;
    let reports = args
        .reports
        .iter()
        .map(|p| report::read_report(p))
        .collect::<Result<Vec<_>>>()?;
    let merged = merge_reports(reports)?;
    session::finish(
        out,
        &merged,
        &Finish {
            out: args.out.clone(),
            show: super::resolve::show(args.format, args.quiet, args.verbose),
            stdout_json: args.format == Format::Json,
            gate: &gate,
            eval_baseline: None,
            eval_tool_floor: None,
            interrupted: false,
            stopped: false,
            gate_enabled: true,
        },
    )
}
