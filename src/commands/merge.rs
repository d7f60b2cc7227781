//! `tooleval merge` (shard reports into one) and `tooleval diff` (two reports compared).

use std::collections::BTreeSet;
use std::io::Write as _;

use super::gate::{self, Finish};
use crate::cli::{DiffArgs, DiffFormat, FailOn, MergeArgs};
use crate::error::{Error, Result};
use crate::report::{self, DiffOptions, Report};

/// Combines shard reports into the report one run of every shard's trials would have written.
pub fn merge_reports(mut reports: Vec<Report>) -> Result<Report> {
    let Some(first) = reports.first() else {
        return Err(Error::usage("nothing to merge", None));
    };
    let same = |r: &Report| {
        let mut problems = Vec::new();
        if r.tools.hash != first.tools.hash {
            problems.push("tool sets");
        }
        if r.model.name != first.model.name || r.model.parameters != first.model.parameters {
            problems.push("models");
        }
        if r.eval.trials != first.eval.trials {
            problems.push("trials per task");
        }
        let ids = |r: &Report| {
            r.suites
                .iter()
                .flat_map(|s| s.tasks.iter().map(|t| t.id.clone()))
                .collect::<Vec<_>>()
        };
        if ids(r) != ids(first) {
            problems.push("suites");
        }
        problems
    };
    for r in &reports[1..] {
        let p = same(r);
        if !p.is_empty() {
            return Err(Error::usage(
                format!("the reports differ in their {}: they are not shards of one run", p.join(", ")),
                Some("merge only the reports of `run --shard I/N` with one eval file, model and tool set".to_owned()),
            ));
        }
    }
    let counts: BTreeSet<u32> = reports
        .iter()
        .filter_map(|r| r.shard.map(|s| s.count))
        .collect();
    let mut indices = BTreeSet::new();
    for r in &reports {
        if let Some(s) = r.shard
            && !indices.insert(s.index)
        {
            return Err(Error::usage(
                format!("shard {}/{} is given twice", s.index, s.count),
                None,
            ));
        }
    }
    let mut merged = reports.remove(0);
    for r in reports {
        merged.started_at = merged.started_at.min(r.started_at);
        merged.finished_at = merged.finished_at.max(r.finished_at);
        merged.complete &= r.complete;
        merged.trials.extend(r.trials);
    }
    let mut missing = Vec::new();
    if let Some(&n) = counts.iter().next() {
        if counts.len() > 1 {
            return Err(Error::usage(
                "the reports come from different shard counts",
                None,
            ));
        }
        missing = (1..=n).filter(|i| !indices.contains(i)).collect();
    }
    if !missing.is_empty() {
        crate::sayln!(
            "warning: shard(s) {} missing: the merged report is incomplete",
            missing
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        merged.complete = false;
    }
    // Trials in suite order, as a single run lists them.
    let order: std::collections::HashMap<String, usize> = merged
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| t.id.clone()))
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    merged
        .trials
        .sort_by_key(|t| (order.get(&t.task).copied().unwrap_or(usize::MAX), t.trial));
    merged
        .trials
        .dedup_by(|a, b| a.task == b.task && a.trial == b.trial);
    merged.shard = None;
    merged.resummarize();
    Ok(merged)
}

/// `tooleval merge`.
pub async fn merge_command(args: MergeArgs) -> Result<i32> {
    report::check_writable(&args.out)?;
    gate::check_args(
        &args.gate,
        args.gate.baseline.is_some(),
        args.gate.tool_floor,
    )?;
    let reports = args
        .reports
        .iter()
        .map(|p| report::read_report(p))
        .collect::<Result<Vec<_>>>()?;
    let merged = merge_reports(reports)?;
    gate::finish(
        &merged,
        &Finish {
            out: args.out.clone(),
            format: args.format,
            quiet: args.quiet,
            gate: &args.gate,
            eval_baseline: None,
            eval_tool_floor: None,
            interrupted: false,
            gate_enabled: true,
        },
    )
}

/// `tooleval diff`.
pub async fn diff_command(args: DiffArgs) -> Result<i32> {
    if let Some(c) = args
        .fail_on
        .iter()
        .find(|c| !matches!(c, FailOn::Regression | FailOn::SignificantRegression))
    {
        return Err(Error::usage(
            format!("`diff --fail-on` takes `regression` and `significant-regression`, not {c:?}"),
            Some("the other conditions belong to `run` and `merge`".to_owned()),
        ));
    }
    let base = report::read_report(&args.base)?;
    let head = report::read_report(&args.head)?;
    let d = report::diff_reports(
        &base,
        &head,
        DiffOptions {
            common_tasks: args.common_tasks,
            alpha: args.alpha,
        },
    )?;
    let text = match args.format {
        DiffFormat::Table => report::render_diff_table(&d, super::terminal_width()),
        DiffFormat::Markdown => report::render_diff_markdown(&d),
        DiffFormat::Json => serde_json::to_string_pretty(&d).unwrap_or_default() + "\n",
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(gate::gate_exit(&gate::evaluate(
        &args.fail_on,
        &head,
        Some(&d),
        None,
    )))
}
