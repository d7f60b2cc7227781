//! Markdown for a CI job summary or a pull-request comment: the run summary and the diff.

use std::fmt::Write as _;

use super::Report;
use super::diff::{ReportDiff, TaskStatus, ToolChanges};
use super::text::{
    WordMarks, accuracy_changes, pct, percent, rate, rate_change, reason_change, word_diff_text,
};
use crate::score::TaskState;

/// `~~old~~ **new**`.
const MARKS: WordMarks = WordMarks {
    delete: ("~~", "~~"),
    insert: ("**", "**"),
    space_between: true,
};

/// Text for a table cell: a `|` would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The run summary: the model, the accuracies, and the failing tasks with their reasons.
pub fn render_summary_markdown(r: &Report) -> String {
    let s = &r.summary;
    let mut out = String::from("## tooleval\n\n");
    let who = match &r.model.note {
        Some(note) => format!("{} ({note})", r.model.name),
        None => r.model.name.clone(),
    };
    let _ = writeln!(
        out,
        "Model {who} · {} tools · {} tasks × {} trial(s)\n",
        r.tools.tools.len(),
        r.task_count(),
        r.eval.trials
    );
    let _ = writeln!(out, "| | value |\n|---|---|");
    let _ = writeln!(
        out,
        "| tool selection accuracy (95% CI) | {} |",
        rate(&s.selection)
    );
    let _ = writeln!(
        out,
        "| full-call accuracy (95% CI) | {} |",
        rate(&s.full_call)
    );
    if let (Some(min), Some(ok)) = (s.min_accuracy, s.meets_min_accuracy) {
        let _ = writeln!(
            out,
            "| min_accuracy {} | {} |",
            percent(min),
            if ok { "met" } else { "**not met**" }
        );
    }
    let _ = writeln!(out, "| infrastructure errors | {} |\n", s.errors);
    let failing: Vec<_> = s
        .tasks
        .iter()
        .filter(|t| matches!(t.state(), TaskState::Fail | TaskState::Flaky))
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "| failing task | passed | reason |\n|---|---|---|");
        for t in failing {
            let why = cell(&t.failure.clone().unwrap_or_default());
            let _ = writeln!(out, "| `{}` | {}/{} | {why} |", t.id, t.passes, t.scored());
        }
        out.push('\n');
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
    out.push_str(&diff_accuracies(d));
    out.push_str(&diff_tasks(d));
    out.push_str(&diff_tools(&d.tools));
    out
}

/// Both accuracies in base and head, the change, and the verdict of the paired test.
fn diff_accuracies(d: &ReportDiff) -> String {
    let mut out = String::from("| | base | head | change (points) |\n|---|---|---|---|\n");
    for (name, c) in accuracy_changes(d) {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            rate(&c.base),
            rate(&c.head),
            rate_change(c)
        );
    }
    out.push('\n');
    if let Some(t) = &d.test {
        let _ = writeln!(out, "{}\n", t.verdict());
    }
    out
}

/// How many tasks changed in each way, and a row per task that changed.
fn diff_tasks(d: &ReportDiff) -> String {
    let mut out = String::new();
    let counts: Vec<String> = TaskStatus::LISTED
        .iter()
        .filter_map(|s| d.counts.get(s).map(|n| format!("{n} {}", s.as_str())))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "**Tasks:** {}\n", counts.join(", "));
    }
    let listed: Vec<_> = d
        .tasks
        .iter()
        .filter(|t| TaskStatus::LISTED.contains(&t.status))
        .collect();
    if listed.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "| task | status | pass rate | reason |\n|---|---|---|---|"
    );
    for t in listed {
        let why = cell(&reason_change(&t.base_reason, &t.head_reason));
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
    out
}

/// Tools added, removed and changed, with a word diff of each changed description.
fn diff_tools(t: &ToolChanges) -> String {
    let mut out = String::new();
    if t.is_empty() {
        return out;
    }
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
                word_diff_text(&c.description, &MARKS)
            );
        }
        for s in &c.schema {
            let _ = writeln!(out, "  - {s}");
        }
    }
    out.push('\n');
    out
}
