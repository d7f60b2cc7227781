//! Renderings of a diff: a terminal table and markdown for a pull-request comment.

use std::fmt::Write as _;

use comfy_table::Cell;

use super::diff::{RateChange, ReportDiff, TaskStatus, WordChange};
use crate::score::Rate;

/// The statuses worth listing, in the order a reader wants them.
const LISTED: [TaskStatus; 6] = [
    TaskStatus::Regressed,
    TaskStatus::Fixed,
    TaskStatus::Flaky,
    TaskStatus::StillFailing,
    TaskStatus::Added,
    TaskStatus::Removed,
];

fn rate(r: &Option<Rate>) -> String {
    r.as_ref()
        .map(Rate::display)
        .unwrap_or_else(|| "n/a".into())
}

fn change(c: &RateChange) -> String {
    match (c.diff, c.low, c.high) {
        (Some(d), Some(l), Some(h)) => {
            format!("{:+.1} [{:+.1}, {:+.1}]", d * 100.0, l * 100.0, h * 100.0)
        }
        (Some(d), _, _) => format!("{:+.1}", d * 100.0),
        _ => "n/a".into(),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn words(changes: &[WordChange], del: (&str, &str), ins: (&str, &str)) -> String {
    changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                i > 0 && c.op == "insert" && changes[i - 1].op == "delete",
                c,
            )
        })
        .map(|(after_delete, c)| match c.op.as_str() {
            // Markdown needs a space between a struck-out run and the bold one after it.
            "insert" if after_delete && ins.0 == "**" => {
                format!(" {}{}{}", ins.0, c.text.trim_end(), ins.1)
                    + if c.text.ends_with(' ') { " " } else { "" }
            }
            "delete" => {
                format!("{}{}{}", del.0, c.text.trim_end(), del.1)
                    + if c.text.ends_with(' ') { " " } else { "" }
            }
            "insert" => {
                format!("{}{}{}", ins.0, c.text.trim_end(), ins.1)
                    + if c.text.ends_with(' ') { " " } else { "" }
            }
            _ => c.text.clone(),
        })
        .collect()
}

fn reason_change(b: &Option<String>, h: &Option<String>) -> String {
    match (b, h) {
        (Some(b), Some(h)) if b == h => h.clone(),
        (Some(b), Some(h)) => format!("{b} -> {h}"),
        (Some(b), None) => format!("was: {b}"),
        (None, Some(h)) => h.clone(),
        (None, None) => String::new(),
    }
}

/// The diff for a terminal.
pub fn render_diff_table(d: &ReportDiff, width: u16) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "base: {} · tools {} · {} tasks × {}\nhead: {} · tools {} · {} tasks × {}",
        d.base.model,
        d.base.tools_hash,
        d.base.tasks,
        d.base.trials,
        d.head.model,
        d.head.tools_hash,
        d.head.tasks,
        d.head.trials
    );
    for w in &d.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let t = &d.tools;
    if t.added.is_empty() && t.removed.is_empty() && t.changed.is_empty() {
        let _ = writeln!(out, "\ntools: unchanged");
    } else {
        let _ = writeln!(out, "\ntools:");
        for a in &t.added {
            let _ = writeln!(out, "  + {a} (added)");
        }
        for r in &t.removed {
            let _ = writeln!(out, "  - {r} (removed)");
        }
        for c in &t.changed {
            let _ = writeln!(out, "  ~ {}", c.name);
            if !c.description.is_empty() {
                let _ = writeln!(
                    out,
                    "      description: {}",
                    words(&c.description, ("[-", "-]"), ("{+", "+}"))
                );
            }
            for s in &c.schema {
                let _ = writeln!(out, "      {s}");
            }
        }
    }
    let mut table = super::table::table(width);
    table.set_header(["", "base", "head", "change (points)"]);
    table.add_row([
        Cell::new("tool selection accuracy"),
        Cell::new(rate(&d.selection.base)),
        Cell::new(rate(&d.selection.head)),
        Cell::new(change(&d.selection)),
    ]);
    table.add_row([
        Cell::new("full-call accuracy"),
        Cell::new(rate(&d.full_call.base)),
        Cell::new(rate(&d.full_call.head)),
        Cell::new(change(&d.full_call)),
    ]);
    let _ = writeln!(out, "\n{table}");
    if let Some(test) = &d.test {
        let _ = writeln!(out, "full call: {}", test.verdict());
    }
    if let Some(test) = &d.selection_test {
        let _ = writeln!(out, "selection: {}", test.verdict());
    }
    for status in LISTED {
        let items: Vec<_> = d.tasks.iter().filter(|t| t.status == status).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({}):", status.as_str(), items.len());
        // Tasks failing the same way before and after are listed by id only.
        let (same, changed): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|t| status == TaskStatus::StillFailing && t.base_reason == t.head_reason);
        if !same.is_empty() {
            let ids: Vec<&str> = same.iter().map(|t| t.id.as_str()).collect();
            let _ = writeln!(out, "  {} (same reason as before)", ids.join(", "));
        }
        for t in changed {
            let rates = format!("{} -> {}", pct(t.base_rate), pct(t.head_rate));
            let why = reason_change(&t.base_reason, &t.head_reason);
            let _ = writeln!(out, "  {}  {rates}  {why}", t.id);
        }
    }
    if !d.tool_stats.is_empty() {
        let _ = writeln!(out, "\nper tool (precision, recall):");
        for s in &d.tool_stats {
            let _ = writeln!(
                out,
                "  {}  precision {} -> {}, recall {} -> {}",
                s.name,
                pct(s.precision.0),
                pct(s.precision.1),
                pct(s.recall.0),
                pct(s.recall.1)
            );
        }
    }
    out
}

/// The diff as markdown, for a pull-request comment or a job summary.
pub fn render_diff_markdown(d: &ReportDiff) -> String {
    let mut out = String::from("## tooleval: what changed\n\n");
    for w in &d.warnings {
        let _ = writeln!(out, "> **warning:** {w}");
    }
    if !d.warnings.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| | base | head | change (points) |\n|---|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| tool selection accuracy | {} | {} | {} |",
        rate(&d.selection.base),
        rate(&d.selection.head),
        change(&d.selection)
    );
    let _ = writeln!(
        out,
        "| full-call accuracy | {} | {} | {} |\n",
        rate(&d.full_call.base),
        rate(&d.full_call.head),
        change(&d.full_call)
    );
    if let Some(t) = &d.test {
        let _ = writeln!(out, "{}\n", t.verdict());
    }
    let counts: Vec<String> = LISTED
        .iter()
        .filter_map(|s| d.counts.get(s).map(|n| format!("{n} {}", s.as_str())))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "**Tasks:** {}\n", counts.join(", "));
    }
    let listed: Vec<_> = d
        .tasks
        .iter()
        .filter(|t| LISTED.contains(&t.status))
        .collect();
    if !listed.is_empty() {
        let _ = writeln!(
            out,
            "| task | status | pass rate | reason |\n|---|---|---|---|"
        );
        for t in listed {
            let why = reason_change(&t.base_reason, &t.head_reason).replace('|', "\\|");
            let _ = writeln!(
                out,
                "| `{}` | {} | {} → {} | {why} |",
                t.id,
                t.status.as_str(),
                pct(t.base_rate),
                pct(t.head_rate)
            );
        }
        out.push('\n');
    }
    let t = &d.tools;
    if !(t.added.is_empty() && t.removed.is_empty() && t.changed.is_empty()) {
        let _ = writeln!(out, "### Tool changes\n");
        for a in &t.added {
            let _ = writeln!(out, "- `{a}` added");
        }
        for r in &t.removed {
            let _ = writeln!(out, "- `{r}` removed");
        }
        for c in &t.changed {
            let _ = writeln!(out, "- `{}`", c.name);
            if !c.description.is_empty() {
                let _ = writeln!(
                    out,
                    "  - description: {}",
                    words(&c.description, ("~~", "~~"), ("**", "**"))
                );
            }
            for s in &c.schema {
                let _ = writeln!(out, "  - {s}");
            }
        }
        out.push('\n');
    }
    out
}
