//! Markdown for a CI job summary or a pull-request comment: the run's verdict and summary, and
//! the diff.

use std::fmt::Write as _;

use super::diff::{InstructionChange, ReportDiff, TaskStatus, ToolChanges};
use super::text::{
    WordMarks, accuracy_changes, changed_lines, pct, percent, rate, rate_change, reason_change,
    scope, word_diff_text,
};
use super::{Report, Verdict};
use crate::score::TaskState;

/// `<del>old</del> <ins>new</ins>`: GitHub renders both tags, which no flanking rule can break
/// (`~~`/`**` fail next to punctuation or a space inside them).
const MARKS: WordMarks = WordMarks {
    delete: ("<del>", "</del>"),
    insert: ("<ins>", "</ins>"),
    space_between: true,
    escape: super::text::markdown_inline,
};

/// Text for a table cell: a `|` would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The job summary of a finished run: the verdict first, then what changed against the
/// baseline (regressed and fixed tasks, tool changes), and the failures the run already had
/// collapsed at the end.
pub(crate) fn render_step_summary(
    r: &Report,
    diff: Option<&ReportDiff>,
    verdict: &Verdict,
) -> String {
    let mut out = format!("## tooleval: {}\n\n", headline(r, verdict));
    for f in &verdict.failures {
        let _ = writeln!(out, "- **{}:** {}", f.kind, cell(&f.message));
    }
    if !verdict.failures.is_empty() {
        out.push('\n');
    }
    let _ = write!(out, "{}", run_line(r));
    if let Some(c) = &r.tools.converted {
        let _ = write!(out, " · {}", super::text::converted_note(c));
    }
    match (&verdict.baseline, diff) {
        (Some(b), Some(_)) => {
            let _ = writeln!(out, " · compared with the baseline `{b}`\n");
        }
        _ => out.push_str("\n\n"),
    }
    match diff {
        Some(d) => {
            out.push_str(&diff_body(d));
        }
        None => {
            out.push_str(&accuracy_table(r));
            let failing: Vec<_> = r
                .summary
                .tasks
                .iter()
                .filter(|t| matches!(t.state(), TaskState::Fail | TaskState::Flaky))
                .collect();
            if !failing.is_empty() {
                let _ = writeln!(
                    out,
                    "<details><summary>{} failing task(s)</summary>\n",
                    failing.len()
                );
                let _ = writeln!(out, "| failing task | passed | reason |\n|---|---|---|");
                for t in failing {
                    let why = cell(&t.failure.clone().unwrap_or_default());
                    let _ = writeln!(out, "| `{}` | {}/{} | {why} |", t.id, t.passes, t.scored());
                }
                out.push_str("\n</details>\n\n");
            }
        }
    }
    out
}

/// What the run came to, in a few words.
fn headline(r: &Report, verdict: &Verdict) -> String {
    if verdict.checked {
        return if verdict.failures.is_empty() {
            "gate passed".to_owned()
        } else {
            "gate failed".to_owned()
        };
    }
    if let Some(s) = r.shard {
        return format!(
            "shard {}/{} (the gate runs on the merged report)",
            s.index, s.count
        );
    }
    if r.summary.errors > 0 {
        return "infrastructure errors (not gated)".to_owned();
    }
    if !r.complete {
        return "incomplete run (partial report, not gated)".to_owned();
    }
    "measured".to_owned()
}

/// `Model m — note · 15 tools · 40 tasks × 1 trial(s)`.
fn run_line(r: &Report) -> String {
    let who = match &r.model.note {
        Some(note) => format!("{} — {note}", r.model.name),
        None => r.model.name.clone(),
    };
    format!("Model {who} · {} tools · {}", r.tools.tools.len(), scope(r))
}

/// The accuracies of a run with no baseline to compare with.
fn accuracy_table(r: &Report) -> String {
    let s = &r.summary;
    let mut out = String::from("| | value |\n|---|---|\n");
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
    out
}

/// The diff as markdown, for a pull-request comment (`tooleval diff --format markdown`): the
/// verdict, the accuracies, regressed and fixed tasks, tool changes, then the rest collapsed.
pub(crate) fn render_diff_markdown(d: &ReportDiff, verdict: &Verdict) -> String {
    let mut out = String::from("## tooleval: what changed\n\n");
    if verdict.checked {
        let _ = writeln!(
            out,
            "**{}**\n",
            if verdict.failures.is_empty() {
                "gate passed"
            } else {
                "gate failed"
            }
        );
        for f in &verdict.failures {
            let _ = writeln!(out, "- **{}:** {}", f.kind, cell(&f.message));
        }
        if !verdict.failures.is_empty() {
            out.push('\n');
        }
    }
    if let Some(b) = &verdict.baseline {
        let _ = writeln!(out, "Compared with the baseline `{b}`.\n");
    }
    out.push_str(&diff_body(d));
    out
}

/// What a diff shows, most important first.
fn diff_body(d: &ReportDiff) -> String {
    let mut out = String::new();
    for w in &d.warnings {
        let _ = writeln!(out, "> **warning:** {w}");
    }
    if !d.warnings.is_empty() {
        out.push('\n');
    }
    out.push_str(&diff_accuracies(d));
    out.push_str(&diff_tasks(d));
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
    if let Some(line) = crate::report::text::cost_change(d) {
        let _ = writeln!(out, "{line}\n");
    }
    if let Some(t) = &d.test {
        let _ = writeln!(out, "{}\n", t.verdict());
    }
    out
}

/// How many tasks changed in each way; regressed and fixed tasks in tables of their own, then
/// the tool changes, then every other listed task collapsed.
fn diff_tasks(d: &ReportDiff) -> String {
    let mut out = String::new();
    let counts: Vec<String> = TaskStatus::LISTED
        .iter()
        .filter_map(|s| d.counts.get(s).map(|n| format!("{n} {}", s.as_str())))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "**Tasks:** {}\n", counts.join(", "));
    }
    for (status, title) in [
        (TaskStatus::Regressed, "Regressed"),
        (TaskStatus::Fixed, "Fixed"),
    ] {
        let rows: Vec<_> = d.tasks.iter().filter(|t| t.status == status).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title} ({})\n", rows.len());
        task_table(&mut out, &rows, false);
    }
    out.push_str(&diff_tools(&d.tools));
    out.push_str(&diff_instructions(&d.instructions));
    let rest: Vec<_> = d
        .tasks
        .iter()
        .filter(|t| TaskStatus::LISTED.contains(&t.status))
        .filter(|t| !matches!(t.status, TaskStatus::Regressed | TaskStatus::Fixed))
        .collect();
    if !rest.is_empty() {
        let what: Vec<String> = TaskStatus::LISTED
            .iter()
            .filter(|s| !matches!(s, TaskStatus::Regressed | TaskStatus::Fixed))
            .filter_map(|s| d.counts.get(s).map(|n| format!("{n} {}", s.as_str())))
            .collect();
        let _ = writeln!(
            out,
            "<details><summary>Other tasks: {}</summary>\n",
            what.join(", ")
        );
        task_table(&mut out, &rest, true);
        out.push_str("</details>\n\n");
    }
    out
}

/// A row per task: its pass rate in base and head and the reason; with the status when the
/// table mixes them.
fn task_table(out: &mut String, rows: &[&super::TaskChange], with_status: bool) {
    if with_status {
        let _ = writeln!(
            out,
            "| task | status | pass rate | reason |\n|---|---|---|---|"
        );
    } else {
        let _ = writeln!(out, "| task | pass rate | reason |\n|---|---|---|");
    }
    for t in rows {
        let why = cell(&reason_change(&t.base_reason, &t.head_reason));
        let status = if with_status {
            format!(" {} |", t.status.as_str())
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| `{}` |{status} {} → {} | {why} |",
            t.id,
            pct(t.base_rate),
            pct(t.head_rate)
        );
    }
    out.push('\n');
}

/// Tools added, removed and changed, with a word diff of each changed description.
pub(super) fn diff_tools(t: &ToolChanges) -> String {
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

/// Servers whose instructions changed (nothing when none did), each with the lines of its
/// word diff that hold a change, quoted.
fn diff_instructions(changes: &[InstructionChange]) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        return out;
    }
    let _ = writeln!(out, "### Server instructions\n");
    for c in changes {
        let what = match (&c.old, &c.new) {
            (None, _) => " added",
            (_, None) => " removed",
            _ => "",
        };
        let _ = writeln!(out, "- `{}`{what}", c.server);
        let lines = changed_lines(&c.diff, &MARKS);
        for (i, line) in lines.iter().enumerate() {
            // One quoted paragraph, its lines kept apart; a blank line parts paragraphs.
            let next_blank = lines.get(i + 1).is_none_or(|l| l.trim().is_empty());
            let end = if line.trim().is_empty() || next_blank {
                ""
            } else {
                "<br>"
            };
            let _ = writeln!(out, "  > {}{end}", line.trim_end());
        }
    }
    out.push('\n');
    out
}

/// A model matrix for a job summary: accuracy per model, each pair compared, and the tasks
/// where the models disagree.
pub(crate) fn render_matrix_markdown(m: &super::Matrix) -> String {
    let mut out = format!(
        "## tooleval: {} models on {} tasks\n\n| model | provider | tool selection | full call |\n|---|---|---|---|\n",
        m.models.len(),
        m.tasks.len()
    );
    for x in &m.models {
        let _ = writeln!(
            out,
            "| `{}`{} | {} | {} | {} |",
            cell(&x.label),
            if x.complete { "" } else { " (incomplete)" },
            x.provider(),
            super::text::rate(&x.selection),
            super::text::rate(&x.full_call)
        );
    }
    if !m.pairs.is_empty() {
        out.push_str("\n| pair | full call, paired test | passes where the other does not |\n|---|---|---|\n");
        for p in &m.pairs {
            let better: Vec<String> = p
                .better()
                .map(|(who, tasks)| format!("`{}`: {}", cell(who), cell(&tasks.join(", "))))
                .collect();
            let _ = writeln!(
                out,
                "| `{}` vs `{}` | {} | {} |",
                cell(&p.b),
                cell(&p.a),
                p.test
                    .as_ref()
                    .map_or_else(|| "no common task".to_owned(), super::text::test_short),
                if better.is_empty() {
                    "-".to_owned()
                } else {
                    better.join("; ")
                }
            );
        }
    }
    let disagree: Vec<_> = m.disagreements().collect();
    if disagree.is_empty() {
        out.push_str("\nEvery model has the same result on each task.\n");
    } else {
        let _ = write!(
            out,
            "\n<details><summary>{} task(s) where the models disagree</summary>\n\n| task |",
            disagree.len()
        );
        for x in &m.models {
            let _ = write!(out, " {} |", cell(&x.label));
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(m.models.len()));
        out.push('\n');
        for t in disagree {
            let _ = write!(out, "| `{}` |", cell(&t.id));
            for c in &t.cells {
                let _ = write!(
                    out,
                    " {} |",
                    c.as_ref().map_or_else(|| "-".to_owned(), |c| c.short())
                );
            }
            out.push('\n');
        }
        out.push_str("\n</details>\n");
    }
    out.push('\n');
    out
}
