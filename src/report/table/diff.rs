//! A diff for a terminal: the two runs, what changed in the tools, the accuracies side by side,
//! the tasks that changed and the per-tool rates.

use std::fmt::Write as _;

use comfy_table::Cell;

use super::{laid_out, rate, rate_change, table, unbroken, wrap};
use crate::report::diff::{InstructionChange, ReportDiff, TaskStatus, ToolChanges};
use crate::report::text::{
    WordMarks, accuracy_changes, changed_lines, pct, reason_change, word_diff_text,
};

/// `[-old-]{+new+}`, as `git diff --word-diff` marks words.
const MARKS: WordMarks = WordMarks {
    delete: ("[-", "-]"),
    insert: ("{+", "+}"),
    space_between: false,
    escape: crate::report::text::plain,
};

/// The diff for a terminal. `after_run`: the run's summary has just listed its failing tasks,
/// so tasks still failing for the same reason are counted, not listed again.
pub(crate) fn render_diff_table(d: &ReportDiff, width: u16, after_run: bool) -> String {
    let mut out = String::new();
    for (label, side) in [("base", &d.base), ("head", &d.head)] {
        let file = side
            .file
            .as_deref()
            .map(|f| format!("{f} · "))
            .unwrap_or_default();
        let host = side
            .host
            .as_deref()
            .map(|h| format!("host {h} · "))
            .unwrap_or_default();
        let line = format!(
            "{label}: {file}{} · {host}tools {} · {} tasks × {}",
            side.model, side.tools_hash, side.tasks, side.trials
        );
        let _ = writeln!(out, "{}", wrap(&line, width, "  "));
    }
    for w in &d.warnings {
        let _ = writeln!(out, "{}", wrap(&format!("warning: {w}"), width, "  "));
    }
    out.push_str(&tool_changes(&d.tools, width));
    out.push_str(&instruction_changes(&d.instructions, width));
    let _ = writeln!(out, "\n{}", accuracy_table(d, width));
    if let Some(line) = crate::report::text::cost_change(d) {
        let _ = writeln!(out, "{}", super::wrap(&line, width, "  "));
    }
    if let Some(test) = &d.test {
        let _ = writeln!(
            out,
            "{}",
            wrap(
                &unbroken(&format!("full call: {}", test.verdict())),
                width,
                "  "
            )
        );
    }
    if let Some(test) = &d.selection_test {
        let _ = writeln!(
            out,
            "{}",
            wrap(
                &unbroken(&format!("selection: {}", test.verdict())),
                width,
                "  "
            )
        );
    }
    out.push_str(&task_lists(d, width, after_run));
    out.push_str(&tool_stats(d));
    out
}

/// The longest schema change a terminal shows whole.
const SCHEMA_CHANGE_CHARS: usize = 200;

/// A schema change, cut at `SCHEMA_CHANGE_CHARS` with a note saying where it is whole.
fn shortened(change: &str) -> String {
    if change.chars().count() <= SCHEMA_CHANGE_CHARS {
        return change.to_owned();
    }
    let head: String = change.chars().take(SCHEMA_CHANGE_CHARS).collect();
    format!("{head}… (shortened; `--format json` or `--format markdown` shows it whole)")
}

/// Tools added, removed and changed, with a word diff of each changed description; schema
/// changes longer than `SCHEMA_CHANGE_CHARS` are shortened, saying so.
fn tool_changes(t: &ToolChanges, width: u16) -> String {
    let mut out = String::new();
    if t.is_empty() {
        let _ = writeln!(out, "\ntools: unchanged");
        return out;
    }
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
                "{}",
                wrap(
                    &format!(
                        "      description: {}",
                        word_diff_text(&c.description, &MARKS)
                    ),
                    width,
                    "        "
                )
            );
        }
        for s in &c.schema {
            let _ = writeln!(
                out,
                "{}",
                wrap(&format!("      {}", shortened(s)), width, "        ")
            );
        }
    }
    out
}

/// Servers whose instructions changed (nothing when none did), each with the lines of its word
/// diff that hold a change.
fn instruction_changes(changes: &[InstructionChange], width: u16) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\ninstructions:");
    for c in changes {
        let (mark, what) = match (&c.old, &c.new) {
            (None, _) => ('+', " (added)"),
            (_, None) => ('-', " (removed)"),
            _ => ('~', ""),
        };
        let _ = writeln!(out, "  {mark} {}{what}", c.server);
        for line in changed_lines(&c.diff, &MARKS) {
            let _ = writeln!(out, "{}", wrap(&format!("      {line}"), width, "        "));
        }
    }
    out
}

/// Both accuracies in base and head, and the change with its interval.
fn accuracy_table(d: &ReportDiff, width: u16) -> super::Laid {
    let mut t = table(width);
    t.set_header(["", "base", "head", "change (points)"]);
    for (name, c) in accuracy_changes(d) {
        t.add_row([
            Cell::new(name),
            Cell::new(rate(&c.base)),
            Cell::new(rate(&c.head)),
            Cell::new(rate_change(c)),
        ]);
    }
    laid_out(t, width, &[])
}

/// The tasks that changed, by status; those failing the same way as before by id only.
fn task_lists(d: &ReportDiff, width: u16, after_run: bool) -> String {
    let mut out = String::new();
    for status in TaskStatus::LISTED {
        let items: Vec<_> = d.tasks.iter().filter(|t| t.status == status).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({}):", status.as_str(), items.len());
        let (same, changed): (Vec<_>, Vec<_>) = items
            .into_iter()
            .partition(|t| status == TaskStatus::StillFailing && t.base_reason == t.head_reason);
        if !same.is_empty() && after_run {
            // The run's own summary just listed them.
            let _ = writeln!(
                out,
                "  {} with the same reason as before, listed above",
                same.len()
            );
        } else if !same.is_empty() {
            let ids: Vec<&str> = same.iter().map(|t| t.id.as_str()).collect();
            let text = format!("  {} (same reason as before)", ids.join(", "));
            let _ = writeln!(out, "{}", wrap(&text, width, "  "));
        }
        for t in changed {
            let rates = format!("{} -> {}", pct(t.base_rate), pct(t.head_rate));
            let why = reason_change(&t.base_reason, &t.head_reason);
            let text = format!("  {}  {rates}  {why}", t.id);
            let _ = writeln!(out, "{}", wrap(&text, width, "      "));
        }
    }
    out
}

/// Precision and recall of the tools whose rates moved.
fn tool_stats(d: &ReportDiff) -> String {
    let mut out = String::new();
    if d.tool_stats.is_empty() {
        return out;
    }
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
    out
}

/// What changed since a lock file: its tools added, removed and changed, and instructions.
pub(crate) fn render_lock_changes(c: &crate::report::LockChanges, width: u16) -> String {
    let mut out = tool_changes(&c.tools, width);
    out.push_str(&instruction_changes(&c.instructions, width));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_schema_change_is_shortened_saying_so() {
        let long = format!(
            "parameter `fields`: description \"a\" -> \"{}\"",
            "b ".repeat(150)
        );
        let shown = shortened(&long);
        assert!(shown.chars().count() < long.chars().count(), "{shown}");
        assert!(shown.contains("`--format json`"), "{shown}");
        assert_eq!(shortened("parameter `x` added"), "parameter `x` added");
    }
}
