//! The sweep report: accuracy and token cost at each tool-set size, per strategy; its table and
//! its chart.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment};
use serde::{Deserialize, Serialize};

use super::{EvalInfo, ToolIdentity};
use crate::record::{ModelInfo, Outcome};
use crate::score::Rate;

pub const SWEEP_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepReport {
    pub schema_version: u32,
    /// Always `sweep`, to tell it from a run report.
    pub kind: String,
    pub tooleval: ToolIdentity,
    pub started_at: String,
    pub finished_at: String,
    pub complete: bool,
    pub eval: EvalInfo,
    pub model: ModelInfo,
    pub seed: u64,
    /// The tools the suite's expectations name: in every tool set.
    pub needed: Vec<String>,
    /// How many distractors there were to draw from.
    pub distractors: usize,
    pub encoding: String,
    pub points: Vec<SweepPoint>,
    /// For each line and task that passed at the smallest size: the first size where it failed.
    pub breaks: Vec<TaskBreak>,
}

/// One tool-set size under one strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepPoint {
    /// `random` or `similar`, with `+retrieveK` when retrieval ran first.
    pub line: String,
    pub strategy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieve: Option<usize>,
    /// Tools offered (the requested size, or the needed tools when the size is smaller).
    pub size: usize,
    /// The tools, in the order sent.
    pub tools: Vec<String>,
    /// Tokens of the tool definitions one request carries: the whole set, or with retrieval first
    /// the mean over prompts of the K tools kept.
    pub tool_tokens: usize,
    pub selection: Option<Rate>,
    pub full_call: Option<Rate>,
    /// Mean prompt tokens per request as the model reported them, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<f64>,
    pub latency_ms: f64,
    pub errors: usize,
    /// Tasks that did not pass every trial.
    pub failing: Vec<String>,
    pub trials: Vec<TrialOutcome>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialOutcome {
    pub task: String,
    pub trial: u32,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskBreak {
    pub line: String,
    pub task: String,
    pub size: usize,
}

/// The sweep for a terminal.
pub fn render_sweep_table(r: &SweepReport, width: u16) -> String {
    let rate = |x: &Option<Rate>| {
        x.as_ref()
            .map(Rate::display)
            .unwrap_or_else(|| "n/a".into())
    };
    let mut t = super::table::table(width);
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

const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A standalone SVG: full-call accuracy (solid) and tool tokens (dashed) against the number of
/// tools (log scale), one color per line.
pub fn render_sweep_svg(r: &SweepReport) -> String {
    let (w, h) = (760.0_f64, 440.0_f64);
    let (left, right, top, bottom) = (70.0, 80.0, 50.0, 60.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let mut sizes: Vec<usize> = r.points.iter().map(|p| p.size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let (min, max) = (
        *sizes.first().unwrap_or(&1) as f64,
        *sizes.last().unwrap_or(&1) as f64,
    );
    let x = |size: usize| {
        if max <= min {
            left + pw / 2.0
        } else {
            left + pw * ((size as f64).ln() - min.ln()) / (max.ln() - min.ln())
        }
    };
    let max_tokens = r
        .points
        .iter()
        .map(|p| p.tool_tokens)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let y_acc = |a: f64| top + ph * (1.0 - a);
    let y_tok = |t: usize| top + ph * (1.0 - t as f64 / max_tokens);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">Tool-selection sweep: {} ({} trial(s) per task)</text>"#,
        w / 2.0,
        esc(&r.model.name),
        r.eval.trials
    );
    // Axes and grid.
    let _ = writeln!(
        s,
        r##"<g stroke="#999" stroke-width="1"><line x1="{left}" y1="{top}" x2="{left}" y2="{}"/><line x1="{left}" y1="{}" x2="{}" y2="{}"/><line x1="{}" y1="{top}" x2="{}" y2="{}"/></g>"##,
        top + ph,
        top + ph,
        left + pw,
        top + ph,
        left + pw,
        left + pw,
        top + ph
    );
    for i in 0..=4 {
        let a = f64::from(i) / 4.0;
        let y = y_acc(a);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{:.0}%</text><text x="{}" y="{:.1}">{:.0}</text>"##,
            left + pw,
            left - 6.0,
            y + 4.0,
            a * 100.0,
            left + pw + 6.0,
            y + 4.0,
            a * max_tokens
        );
    }
    for size in &sizes {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{size}</text>"#,
            x(*size),
            top + ph + 18.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">tools offered (log scale)</text>"#,
        left + pw / 2.0,
        h - 16.0
    );
    let _ = writeln!(
        s,
        r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">full-call accuracy (solid)</text>"#,
        top + ph / 2.0,
        top + ph / 2.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle" transform="rotate(90 {} {})">tool-definition tokens (dashed)</text>"#,
        w - 18.0,
        top + ph / 2.0,
        w - 18.0,
        top + ph / 2.0
    );
    let mut lines: Vec<&str> = r.points.iter().map(|p| p.line.as_str()).collect();
    lines.dedup();
    let mut seen = Vec::new();
    for l in lines {
        if seen.contains(&l) {
            continue;
        }
        seen.push(l);
        let color = COLORS[(seen.len() - 1) % COLORS.len()];
        let pts: Vec<&SweepPoint> = r.points.iter().filter(|p| p.line == l).collect();
        let acc: Vec<String> = pts
            .iter()
            .filter_map(|p| {
                p.full_call
                    .and_then(|f| f.rate)
                    .map(|a| format!("{:.1},{:.1}", x(p.size), y_acc(a)))
            })
            .collect();
        let tok: Vec<String> = pts
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.size), y_tok(p.tool_tokens)))
            .collect();
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            acc.join(" ")
        );
        let _ = writeln!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="5 4" points="{}"/>"#,
            tok.join(" ")
        );
        for p in &pts {
            if let Some(a) = p.full_call.and_then(|f| f.rate) {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}" data-line="{}" data-size="{}" data-accuracy="{:.4}" data-tokens="{}"><title>{}: {} tools, {:.1}% full-call, {} tokens</title></circle>"#,
                    x(p.size),
                    y_acc(a),
                    esc(l),
                    p.size,
                    a,
                    p.tool_tokens,
                    esc(l),
                    p.size,
                    a * 100.0,
                    p.tool_tokens
                );
            }
        }
        let ly = top + 14.0 + 16.0 * (seen.len() - 1) as f64;
        let _ = writeln!(
            s,
            r#"<line x1="{}" y1="{ly:.1}" x2="{}" y2="{ly:.1}" stroke="{color}" stroke-width="2"/><text x="{}" y="{:.1}">{}</text>"#,
            left + 10.0,
            left + 30.0,
            left + 36.0,
            ly + 4.0,
            esc(l)
        );
    }
    s.push_str("</svg>\n");
    s
}
