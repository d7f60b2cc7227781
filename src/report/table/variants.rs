//! Variants side by side for a terminal: accuracy under each set of descriptions, and the tasks
//! they disagree on.

use std::collections::HashMap;
use std::fmt::Write as _;

use comfy_table::Cell;

use super::{laid_out, rate, table};
use crate::report::{DiffOptions, Report, diff_reports};
use crate::score::TaskSummary;

/// `reports[0]` is the servers' own texts; the rest are variants of it.
pub(crate) fn render_variants(reports: &[Report], width: u16, alpha: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", accuracy_table(reports, width, alpha));
    let (t, rows) = differing_tasks(reports, width);
    if rows == 0 {
        let _ = writeln!(out, "every task has the same outcome under every variant");
    } else {
        let _ = writeln!(out, "tasks whose outcome differs ({rows}):\n{t}");
    }
    out
}

fn name(r: &Report) -> &str {
    r.variant.as_deref().unwrap_or("original")
}

/// A row per variant: its accuracies, its tool tokens, and how it compares with the original.
fn accuracy_table(reports: &[Report], width: u16, alpha: f64) -> super::Laid {
    let mut t = table(width);
    t.set_header([
        "variant",
        "tool selection (95% CI)",
        "full call (95% CI)",
        "tool tokens",
        "vs original",
    ]);
    let original = &reports[0];
    for r in reports {
        let versus = if std::ptr::eq(r, original) {
            String::new()
        } else {
            versus(original, r, alpha)
        };
        t.add_row([
            Cell::new(name(r)),
            Cell::new(rate(&r.summary.selection)),
            Cell::new(rate(&r.summary.full_call)),
            Cell::new(r.tools.total_tokens()),
            Cell::new(versus),
        ]);
    }
    laid_out(t, width, &[])
}

/// The paired test of a variant against the original: the change in points and its p-value.
fn versus(original: &Report, r: &Report, alpha: f64) -> String {
    let opts = DiffOptions {
        common_tasks: false,
        alpha,
    };
    match diff_reports(original, r, opts) {
        Ok(d) => d
            .test
            .as_ref()
            .map(crate::report::text::test_short)
            .unwrap_or_default(),
        Err(e) => e.to_string(),
    }
}

/// A row per task whose outcome differs between variants, and how many there are.
fn differing_tasks(reports: &[Report], width: u16) -> (super::Laid, usize) {
    let mut t = table(width);
    let mut header = vec!["task".to_owned()];
    header.extend(reports.iter().map(|r| name(r).to_owned()));
    t.set_header(header);
    let mut rows = 0;
    // Each variant's tasks by id, looked up once per row instead of searched.
    let by_id: Vec<HashMap<&str, &TaskSummary>> = reports
        .iter()
        .map(|r| r.summary.tasks.iter().map(|t| (t.id.as_str(), t)).collect())
        .collect();
    for task in &reports[0].summary.tasks {
        let cells: Vec<String> = reports
            .iter()
            .zip(&by_id)
            .map(|(r, tasks)| outcome(r, tasks.get(task.id.as_str()).copied()))
            .collect();
        if cells.iter().all(|c| *c == cells[0]) {
            continue;
        }
        let mut row = vec![task.id.clone()];
        row.extend(cells);
        t.add_row(row);
        rows += 1;
    }
    (laid_out(t, width, &[]), rows)
}

/// A task's outcome under one variant: the outcome of a single trial, else passes over scored
/// trials; `-` where the variant did not run it.
fn outcome(r: &Report, task: Option<&TaskSummary>) -> String {
    task.map_or_else(
        || "-".to_owned(),
        |t| match (r.eval.trials, t.outcomes.keys().next()) {
            (1, Some(o)) if t.outcomes.len() == 1 => o.as_str().to_owned(),
            _ => format!("{}/{} pass", t.passes, t.scored()),
        },
    )
}
