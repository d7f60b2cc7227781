//! The page of a sweep: the chart with its interval bands, the table of sizes, and the tasks
//! that break first.

use std::fmt::Write as _;

use super::{esc, header, page, rate_bar};
use crate::report::SweepReport;

pub(crate) fn render_sweep_html(r: &SweepReport) -> String {
    let title = format!("tooleval sweep: {}", r.eval.path);
    let mut b = header(
        &title,
        &[
            ("model", super::model_fact(&r.model)),
            (
                "tools",
                format!(
                    "{} needed by the suite, drawn among {} distractors (seed {}), tokens in {}",
                    r.needed.len(),
                    r.distractors,
                    r.seed,
                    esc(&r.encoding)
                ),
            ),
            ("trials", format!("{} per task", r.eval.trials)),
            (
                "date",
                format!("{} to {}", esc(&r.started_at), esc(&r.finished_at)),
            ),
            (
                "tooleval",
                format!("{} {}", esc(&r.tooleval.name), esc(&r.tooleval.version)),
            ),
        ],
    );
    if !r.complete {
        b.push_str(
            "<p class=\"warn\">This sweep did not finish: the page shows the sizes that did.</p>",
        );
    }
    // The chart is the SVG `sweep --svg` writes, every text in it escaped by its renderer.
    let _ = write!(
        b,
        "<h2>Accuracy and token cost by tool count</h2><figure>{}</figure>",
        crate::report::render_sweep_svg(r)
    );
    b.push_str("<h2>Sizes</h2><table class=\"sortable\"><thead><tr><th>line</th><th class=\"num\">tools</th><th class=\"num\">tool tokens</th><th>tool selection</th><th>full call</th><th class=\"num\">latency (ms)</th><th class=\"num\">errors</th><th class=\"num\">failing tasks</th></tr></thead><tbody>");
    for p in &r.points {
        let _ = write!(
            b,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.0}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&p.line),
            p.size,
            p.tool_tokens,
            rate_bar(&p.selection),
            rate_bar(&p.full_call),
            p.latency_ms,
            p.errors,
            p.failing.len()
        );
    }
    b.push_str("</tbody></table><h2>Tasks that break first</h2>");
    if r.breaks.is_empty() {
        b.push_str("<p>No task that passed at the smallest size failed at a larger one.</p>");
    } else {
        let mut breaks = r.breaks.clone();
        breaks.sort_by(|a, c| a.size.cmp(&c.size).then_with(|| a.task.cmp(&c.task)));
        b.push_str("<table class=\"sortable\"><thead><tr><th>line</th><th>task</th><th class=\"num\">first failing size</th></tr></thead><tbody>");
        for x in &breaks {
            let _ = write!(
                b,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td></tr>",
                esc(&x.line),
                esc(&x.task),
                x.size
            );
        }
        b.push_str("</tbody></table>");
    }
    page(&title, &b)
}
