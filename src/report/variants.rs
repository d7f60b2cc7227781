//! Variants side by side: accuracy under each set of descriptions, and the tasks they disagree on.

use std::fmt::Write as _;

use comfy_table::Cell;

use super::{DiffOptions, Report, diff_reports};
use crate::score::Rate;

/// `reports[0]` is the servers' own texts; the rest are variants of it.
pub fn render_variants(reports: &[Report], width: u16, alpha: f64) -> String {
    let mut out = String::new();
    let rate = |r: &Option<Rate>| {
        r.as_ref()
            .map(Rate::display)
            .unwrap_or_else(|| "n/a".into())
    };
    let mut t = super::table::table(width);
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
            match diff_reports(
                original,
                r,
                DiffOptions {
                    common_tasks: false,
                    alpha,
                },
            ) {
                Ok(d) => d
                    .test
                    .map(|t| {
                        format!(
                            "{:+.1} points, p = {:.3}{}",
                            t.mean_diff * 100.0,
                            t.p_value,
                            if t.significant() {
                                " (significant)"
                            } else {
                                ""
                            }
                        )
                    })
                    .unwrap_or_default(),
                Err(e) => e.to_string(),
            }
        };
        t.add_row([
            Cell::new(r.variant.as_deref().unwrap_or("original")),
            Cell::new(rate(&r.summary.selection)),
            Cell::new(rate(&r.summary.full_call)),
            Cell::new(r.tools.total_tokens()),
            Cell::new(versus),
        ]);
    }
    let _ = writeln!(out, "{t}");

    // Tasks whose outcome differs between variants.
    let mut t = super::table::table(width);
    let mut header = vec!["task".to_owned()];
    header.extend(
        reports
            .iter()
            .map(|r| r.variant.clone().unwrap_or_else(|| "original".into())),
    );
    t.set_header(header);
    let mut rows = 0;
    for task in &original.summary.tasks {
        let cells: Vec<String> = reports
            .iter()
            .map(|r| {
                r.summary
                    .tasks
                    .iter()
                    .find(|t| t.id == task.id)
                    .map_or_else(
                        || "-".to_owned(),
                        |t| match (r.eval.trials, t.outcomes.keys().next()) {
                            (1, Some(o)) if t.outcomes.len() == 1 => o.as_str().to_owned(),
                            _ => format!("{}/{} pass", t.passes, t.scored()),
                        },
                    )
            })
            .collect();
        if cells.iter().all(|c| *c == cells[0]) {
            continue;
        }
        let mut row = vec![task.id.clone()];
        row.extend(cells);
        t.add_row(row);
        rows += 1;
    }
    if rows == 0 {
        let _ = writeln!(out, "every task has the same outcome under every variant");
    } else {
        let _ = writeln!(out, "tasks whose outcome differs ({rows}):\n{t}");
    }
    out
}
