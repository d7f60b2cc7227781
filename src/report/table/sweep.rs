//! A sweep for a terminal: a row per line and tool-set size, then the tasks that break first.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment};

use super::{laid_out_dropping, rate, table};
use crate::report::sweep::SweepReport;

/// The sweep for a terminal.
pub(crate) fn render_sweep_table(r: &SweepReport, width: u16) -> String {
    let mut t = table(width);
    t.set_header([
        "line",
        "tools",
        "tool tokens",
        "selection / full call (95% CI)",
        "prompt tokens",
        "latency ms",
        "failing",
    ]);
    for p in &r.points {
        let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
        t.add_row([
            Cell::new(&p.line),
            right(if p.asked.is_empty() {
                p.size.to_string()
            } else {
                // The sizes asked for that came to this set: `15 (5,10,12)`.
                let asked: Vec<String> = p.asked.iter().map(ToString::to_string).collect();
                format!("{} ({})", p.size, asked.join(","))
            }),
            // Under a host that deferred the set: the search tool's, marked.
            right(if p.deferred {
                format!("{} deferred", p.tool_tokens)
            } else {
                p.tool_tokens.to_string()
            }),
            Cell::new(match &p.search_hit_rate {
                Some(hit) => format!(
                    "{} / {}; search hit {}",
                    rate(&p.selection),
                    rate(&p.full_call),
                    rate(&Some(*hit))
                ),
                None => format!("{} / {}", rate(&p.selection), rate(&p.full_call)),
            }),
            right(
                p.prompt_tokens
                    .map(|x| format!("{x:.0}"))
                    .unwrap_or_else(|| "-".into()),
            ),
            right(format!("{:.0}", p.latency_ms)),
            right(p.failing.len().to_string()),
        ]);
    }
    // In a narrow terminal, latency and prompt tokens give way first; the report holds them.
    let (t, hidden) = laid_out_dropping(t, width, &[3], &[5, 4, 2]);
    let host = r
        .host
        .as_deref()
        .map(|h| format!(" · host {h}"))
        .unwrap_or_default();
    let mut out = format!(
        "model {}{host} · {} needed tool(s) · {} distractor(s) to draw from · seed {}\n{t}\n",
        r.model.name,
        r.needed.len(),
        r.distractors,
        r.seed,
    );
    if !hidden.is_empty() {
        let _ = writeln!(
            out,
            "(not shown at this width: {}; the report holds them)",
            hidden.join(", ")
        );
    }
    if !r.breaks.is_empty() {
        let _ = writeln!(out, "tasks that break first (first size where they fail):");
        for b in r.breaks.iter().take(12) {
            let _ = writeln!(out, "  {:>4} tools  {}  ({})", b.size, b.task, b.line);
        }
    }
    out
}
