//! The run summary for a terminal: who ran what, a row per task, per tool, the confusions and
//! the overall rates.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment, Table};

use super::table;
use crate::record::Outcome;
use crate::report::Report;
use crate::report::text::{pct, percent, rate, scope};
use crate::score::{Summary, TaskSummary};

/// The summary of a run, for people: per task, per tool, confusions, overall.
pub fn render_table(r: &Report, width: u16) -> String {
    let mut out = header(r);
    let _ = writeln!(out, "{}", task_table(r, width));
    if !r.summary.tools.is_empty() {
        let _ = writeln!(out, "{}", tool_table(&r.summary, width));
    }
    out.push_str(&confusions(&r.summary));
    let _ = writeln!(out, "{}", overall_table(r, width));
    if !r.complete {
        let _ = writeln!(
            out,
            "warning: the run did not finish; this summary covers the trials obtained"
        );
    }
    out
}

/// Who ran, on what, and what was renamed or overridden on the way.
fn header(r: &Report) -> String {
    let mut out = String::new();
    let who = if r.model.kind == "baseline" {
        "baseline (offline lexical ranking, not an LLM)".to_owned()
    } else {
        format!(
            "{} at {}",
            r.model.name,
            r.model.base_url.as_deref().unwrap_or("?")
        )
    };
    let _ = writeln!(
        out,
        "model {who} · {} tools from {} server(s) · {}",
        r.tools.tools.len(),
        r.servers.len(),
        scope(r)
    );
    if let Some(v) = &r.variant {
        let from = r
            .descriptions_file
            .as_deref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        let _ = writeln!(out, "descriptions: {v}{from}");
    }
    for t in r.tools.tools.iter().filter(|t| !t.overridden.is_empty()) {
        let _ = writeln!(out, "overridden: `{}`: {}", t.name, t.overridden.join(", "));
    }
    for rn in &r.tools.renamed {
        let _ = writeln!(
            out,
            "note: `{}` of server `{}` is called `{}` here: {}",
            rn.server_name, rn.server, rn.name, rn.reason
        );
    }
    out
}

/// A row per task: what was expected, what came out, and why it failed.
fn task_table(r: &Report, width: u16) -> Table {
    let mut t = table(width);
    t.set_header(["task", "expected", "result", "why it failed"]);
    let written: std::collections::HashMap<&str, &crate::config::Task> = r
        .suites
        .iter()
        .flat_map(|s| &s.tasks)
        .map(|t| (t.id.as_str(), &**t))
        .collect();
    for task in &r.summary.tasks {
        let why = task.failure.clone().unwrap_or_default();
        let why = why
            .split_once(": ")
            .map(|(_, w)| w.to_owned())
            .unwrap_or(why);
        t.add_row([
            Cell::new(&task.id),
            Cell::new(expected(written.get(task.id.as_str()).copied())),
            Cell::new(result(r, task)),
            Cell::new(why),
        ]);
    }
    t
}

/// The tools a task expects, `(none)` for none.
fn expected(task: Option<&crate::config::Task>) -> String {
    task.map(|t| {
        let tools = t.expect.tools();
        if tools.is_empty() {
            "(none)".to_owned()
        } else {
            tools.join(", ")
        }
    })
    .unwrap_or_default()
}

/// A task's result: its outcome for a single trial, else passes over scored trials.
fn result(r: &Report, task: &TaskSummary) -> String {
    if task.trials == 0 {
        "not run".to_owned()
    } else if task.errors == task.trials {
        "error".to_owned()
    } else if r.eval.trials == 1 && task.errors == 0 {
        let o = task.outcomes.keys().next().unwrap_or(Outcome::Error);
        if o == Outcome::Pass {
            "pass".into()
        } else {
            o.as_str().into()
        }
    } else {
        format!("{}/{} pass", task.passes, task.trials - task.errors)
    }
}

/// A row per tool: how often expected and called, precision and recall.
fn tool_table(s: &Summary, width: u16) -> Table {
    let mut t = table(width);
    t.set_header(["tool", "expected", "called", "precision", "recall"]);
    for ts in &s.tools {
        t.add_row([
            Cell::new(&ts.name),
            Cell::new(ts.true_positives + ts.false_negatives).set_alignment(CellAlignment::Right),
            Cell::new(ts.true_positives + ts.false_positives).set_alignment(CellAlignment::Right),
            Cell::new(pct(ts.precision)).set_alignment(CellAlignment::Right),
            Cell::new(pct(ts.recall)).set_alignment(CellAlignment::Right),
        ]);
    }
    t
}

/// The pairs most often confused, with how alike their descriptions read and what lint says.
fn confusions(s: &Summary) -> String {
    let mut out = String::new();
    if s.confusions.is_empty() {
        return out;
    }
    let _ = writeln!(out, "most confused (expected -> chosen):");
    for c in s.confusions.iter().take(8) {
        let sim = c
            .similarity
            .map(|x| format!("  (descriptions {} alike)", percent(x)))
            .unwrap_or_default();
        let _ = writeln!(out, "  {} -> {}  ×{}{sim}", c.expected, c.chosen, c.count);
        for h in &c.hints {
            let _ = writeln!(out, "      lint {h}");
        }
    }
    let _ = writeln!(out);
    out
}

/// The overall block: the rates, then the counts.
fn overall_table(r: &Report, width: u16) -> Table {
    let mut t = table(width);
    t.set_header(["overall", "value"]);
    for row in rate_rows(r).into_iter().chain(count_rows(&r.summary)) {
        t.add_row(row);
    }
    t
}

/// Accuracy overall and per split, and over trials when there are several.
fn rate_rows(r: &Report) -> Vec<[String; 2]> {
    let s = &r.summary;
    let ci = if s.full_call.is_some_and(|r| r.clustered) {
        "95% CI, clustered by task"
    } else {
        "95% CI"
    };
    let mut rows = vec![
        [
            format!("tool selection accuracy ({ci})"),
            rate(&s.selection),
        ],
        [format!("full-call accuracy ({ci})"), rate(&s.full_call)],
    ];
    for (split, rates) in &r.splits {
        rows.push([
            format!(
                "`{split}` split ({} tasks): selection / full call",
                rates.tasks
            ),
            format!("{} / {}", rate(&rates.selection), rate(&rates.full_call)),
        ]);
    }
    if let Some(split) = r.split {
        rows.push(["ran only the split".to_owned(), split.as_str().to_owned()]);
    }
    if r.eval.trials > 1 {
        let k = r.eval.trials;
        rows.push([
            format!("pass@{k} / pass^{k} (share of tasks)"),
            format!("{} / {}", rate(&s.pass_at_k), rate(&s.pass_hat_k)),
        ]);
        let flaky = if s.flaky.is_empty() {
            "none".to_owned()
        } else {
            s.flaky.join(", ")
        };
        rows.push([format!("flaky tasks ({})", s.flaky.len()), flaky]);
    }
    rows
}

/// Outcomes, errors, retries, cache hits, tokens and the accuracy bar.
fn count_rows(s: &Summary) -> Vec<[String; 2]> {
    let outcomes = Outcome::ALL
        .iter()
        .filter_map(|o| s.outcomes.get(o).map(|n| format!("{} {n}", o.as_str())))
        .collect::<Vec<_>>()
        .join(", ");
    let mut rows = vec![
        ["outcomes".to_owned(), outcomes],
        [
            "infrastructure errors (not scored)".to_owned(),
            s.errors.to_string(),
        ],
    ];
    if s.retries > 0 {
        rows.push([
            "requests retried (429, 5xx, timeouts)".to_owned(),
            s.retries.to_string(),
        ]);
    }
    if s.cached > 0 {
        rows.push([
            "answered from the cache".to_owned(),
            format!("{} of {} trials", s.cached, s.trials),
        ]);
    }
    if s.tokens.prompt + s.tokens.completion > 0 {
        rows.push([
            "tokens (prompt / completion)".to_owned(),
            format!("{} / {}", s.tokens.prompt, s.tokens.completion),
        ]);
    }
    if let (Some(min), Some(ok)) = (s.min_accuracy, s.meets_min_accuracy) {
        let verdict = if ok { "met" } else { "NOT met" };
        rows.push([
            "min_accuracy".to_owned(),
            format!("{}: {verdict}", percent(min)),
        ]);
    }
    rows
}
