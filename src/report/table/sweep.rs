//! A sweep for a terminal: a row per line and tool-set size, then the tasks that break first.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment};

use super::table;
use crate::report::sweep::SweepReport;
use crate::report::text::rate;

/// The sweep for a terminal.
pub fn render_sweep_table(r: &SweepReport, width: u16) -> String {
    let mut t = table(width);
    t.set_header([
        "line",
        "tools",
        "tool tokens",
        "selection (95% CI)",
        "full call (95% CI)",
        "prompt tokens",
        "latency ms",
        "failing",
    ]);
    for p in &r.points {
        let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
        t.add_row([
            Cell::new(&p.line),
            right(p.size.to_string()),
            right(p.tool_tokens.to_string()),
            Cell::new(rate(&p.selection)),
            Cell::new(rate(&p.full_call)),
            right(
                p.prompt_tokens
                    .map(|x| format!("{x:.0}"))
                    .unwrap_or_else(|| "-".into()),
            ),
            right(format!("{:.0}", p.latency_ms)),
            right(p.failing.len().to_string()),
        ]);
    }
    let mut out = format!(
        "model {} · {} needed tool(s) · {} distractor(s) to draw from · seed {}\n{t}\n",
        r.model.name,
        r.needed.len(),
        r.distractors,
        r.seed
    );
    if !r.breaks.is_empty() {
        let _ = writeln!(out, "tasks that break first (first size where they fail):");
        for b in r.breaks.iter().take(12) {
            let _ = writeln!(out, "  {:>4} tools  {}  ({})", b.size, b.task, b.line);
        }
    }
    out
}
