//! The run summary for a terminal: who ran what, a row per task, per tool, the confusions and
//! the overall rates.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment};

use super::{laid_out, rate, table};
use crate::record::Outcome;
use crate::report::Report;
use crate::report::text::{pct, percent, scope};
use crate::score::{Summary, TaskSummary};

/// How the tasks of a run are listed in the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskRows {
    /// One line per task that did not pass, grouped by how it failed, cut to the width.
    Failing,
    /// A table of every task: what it expected, its result and why it failed, wrapped.
    All,
}

/// The summary of a run, for people: the tasks, per tool, confusions, overall.
pub(crate) fn render_table(r: &Report, width: u16, rows: TaskRows) -> String {
    let mut out = header(r, width);
    // An unfinished run says so first, and what it covers.
    if let Some(why) = r.unfinished() {
        let _ = writeln!(
            out,
            "{}",
            super::wrap(
                &format!(
                    "warning: {why}; what follows covers the trials that ran, and gives no verdict on min_accuracy"
                ),
                width,
                "  "
            )
        );
    }
    match rows {
        TaskRows::All => {
            let _ = writeln!(out, "{}", task_table(r, width));
        }
        TaskRows::Failing => out.push_str(&failing_lines(r, width)),
    }
    let text_calls = r.text_call_trials();
    if text_calls > 0 {
        let hint = crate::record::text_call_hint(text_calls);
        let _ = writeln!(
            out,
            "{}",
            super::wrap(&format!("hint: {hint}"), width, "  ")
        );
    }
    // Per-tool counts and confusions of a run without a scored trial are all zeros.
    let scored = r.summary.trials > r.summary.errors;
    if scored && !r.summary.tools.is_empty() {
        let _ = writeln!(out, "{}", tool_table(&r.summary, width));
    }
    out.push_str(&confusions(&r.summary));
    let _ = writeln!(out, "{}", overall_table(r, width));
    out
}

/// Who ran, on what, and what was renamed or overridden on the way.
fn header(r: &Report, width: u16) -> String {
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
    let parts = [
        format!("model {who}"),
        format!(
            "{} tools from {} server(s)",
            r.tools.tools.len(),
            r.servers.len()
        ),
        scope(r),
    ];
    let _ = writeln!(out, "{}", join_within(&parts, " · ", usize::from(width)));
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
    for s in r.servers.iter().filter(|s| s.instructions_overridden) {
        let _ = writeln!(out, "overridden: server `{}`: instructions", s.name);
    }
    // A few renames one by one; many (two servers with one tool set) grouped by why, with the
    // first of them: the report lists each (`tools.renamed`).
    if r.tools.renamed.len() <= 3 {
        for rn in &r.tools.renamed {
            let line = format!(
                "note: `{}` of server `{}` is called `{}` here: {}",
                rn.server_name, rn.server, rn.name, rn.reason
            );
            let _ = writeln!(out, "{}", super::wrap(&line, width, "  "));
        }
    } else {
        let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
        for rn in &r.tools.renamed {
            match reasons.iter_mut().find(|(why, _)| *why == rn.reason) {
                Some((_, names)) => names.push(&rn.name),
                None => reasons.push((&rn.reason, vec![&rn.name])),
            }
        }
        for (why, names) in reasons {
            let line = format!(
                "note: {} tools are called by other names here ({}): {why}; the report lists each",
                names.len(),
                crate::report::first_few(&names, 3)
            );
            let _ = writeln!(out, "{}", super::wrap(&line, width, "  "));
        }
    }
    if let Some(c) = &r.tools.converted {
        let _ = writeln!(
            out,
            "{}",
            super::wrap(
                &format!("note: {}", crate::report::text::converted_note(c)),
                width,
                "  "
            )
        );
    }
    if let Some(h) = &r.host {
        for line in crate::report::text::host_lines(h) {
            let _ = writeln!(out, "{}", super::wrap(&line, width, "  "));
        }
    }
    out
}

/// The parts joined by `sep`, a new line wherever the next part would pass `width`.
fn join_within(parts: &[String], sep: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for (i, part) in parts.iter().enumerate() {
        let w = console::measure_text_width(part);
        if i > 0 {
            if line + sep.len() + w > width {
                out.push('\n');
                line = 0;
            } else {
                out.push_str(sep);
                line += console::measure_text_width(sep);
            }
        }
        out.push_str(part);
        line += w;
    }
    out
}

/// One line per task that did not pass, grouped by how it failed (in suite order within a
/// group): its id and why, the reason cut at a word to fit the width (the report and `--verbose`
/// hold it whole). Ids are never cut.
fn failing_lines(r: &Report, width: u16) -> String {
    let failing: Vec<&TaskSummary> = r
        .summary
        .tasks
        .iter()
        .filter(|t| t.trials > 0 && t.state() != crate::score::TaskState::Pass)
        .collect();
    let mut out = String::new();
    // Tasks that never ran are neither passes nor failures.
    let total = r.summary.tasks.iter().filter(|t| t.trials > 0).count();
    let ran = if r.complete { "" } else { " that ran" };
    if failing.is_empty() {
        let _ = writeln!(out, "every task{ran} passed ({total} of {total})");
        return out;
    }
    let _ = writeln!(
        out,
        "{} of {total} tasks{ran} did not pass (--verbose: every task, with what it expected):",
        failing.len()
    );
    let width = usize::from(width);
    // Ids are aligned up to a point; a longer id pushes its own line's reason along.
    let id_w = failing
        .iter()
        .map(|t| console::measure_text_width(&t.id))
        .max()
        .unwrap_or(0)
        .min(width.saturating_sub(4 + 30).max(12));
    let mut groups: Vec<(String, Vec<&TaskSummary>)> = Vec::new();
    for t in failing {
        let group = group_of(t);
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, tasks)) => tasks.push(t),
            None => groups.push((group, vec![t])),
        }
    }
    groups.sort_by_key(|(g, _)| group_rank(g));
    for (group, tasks) in groups {
        let _ = writeln!(out, "{group} ({}):", tasks.len());
        for t in tasks {
            let mut why = reason(t);
            if r.eval.trials > 1 {
                why = format!("{}/{} passed; {why}", t.passes, t.scored());
            }
            let lead = format!("  {:<id_w$}  ", t.id);
            let room = width.saturating_sub(console::measure_text_width(&lead));
            let _ = writeln!(out, "{lead}{}", cut(&why, room).trim_end());
        }
    }
    out
}

/// How a task failed, for grouping: its outcome (`wrong_tool`...), `flaky` when some trials
/// pass, `error` when none was scored.
fn group_of(t: &TaskSummary) -> String {
    match t.state() {
        crate::score::TaskState::Flaky => "flaky".to_owned(),
        crate::score::TaskState::Unscored => "error".to_owned(),
        _ => t
            .failure
            .as_deref()
            .and_then(|f| f.split_once(": "))
            .map_or_else(|| "failed".to_owned(), |(o, _)| o.to_owned()),
    }
}

/// Groups in the order of `Outcome::ALL`, flaky tasks last but errors.
fn group_rank(group: &str) -> usize {
    Outcome::ALL
        .iter()
        .position(|o| o.as_str() == group)
        .unwrap_or(match group {
            "flaky" => Outcome::ALL.len(),
            _ => Outcome::ALL.len() + 1,
        })
}

/// `text` in at most `room` columns: cut at a word, with `…`, when longer.
fn cut(text: &str, room: usize) -> String {
    if console::measure_text_width(text) <= room {
        return text.to_owned();
    }
    let hard = console::truncate_str(text, room.saturating_sub(1), "");
    let soft = match hard.rfind(' ') {
        Some(i) if i > hard.len() / 2 => &hard[..i],
        _ => &hard[..],
    };
    format!("{}…", soft.trim_end())
}

/// Why a task failed, without the outcome it starts with (the result says it).
fn reason(task: &TaskSummary) -> String {
    let why = task.failure.clone().unwrap_or_default();
    why.split_once(": ")
        .map(|(_, w)| w.to_owned())
        .unwrap_or(why)
}

/// A row per task: what was expected, what came out, and why it failed.
fn task_table(r: &Report, width: u16) -> super::Laid {
    let mut t = table(width);
    // A priced run shows what each task cost, every trial of it.
    let priced = r.price.is_some();
    let mut header = vec!["task", "expected", "result"];
    if priced {
        header.push("cost");
    }
    header.push("why it failed");
    t.set_header(header);
    let written: std::collections::HashMap<&str, &crate::config::Task> = r
        .suites
        .iter()
        .flat_map(|s| &s.tasks)
        .map(|t| (t.id.as_str(), &**t))
        .collect();
    for task in &r.summary.tasks {
        let why = reason(task);
        let mut row = vec![
            Cell::new(&task.id),
            Cell::new(expected(written.get(task.id.as_str()).copied())),
            Cell::new(result(r, task)),
        ];
        if priced {
            row.push(Cell::new(crate::report::text::task_cost(task)));
        }
        row.push(Cell::new(why));
        t.add_row(row);
    }
    laid_out(t, width, &[if priced { 4 } else { 3 }])
}

/// The tools a task expects, `(none)` for none.
fn expected(task: Option<&crate::config::Task>) -> String {
    task.map(|t| {
        let tools = t.expected_tools();
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
fn tool_table(s: &Summary, width: u16) -> super::Laid {
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
    laid_out(t, width, &[])
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
fn overall_table(r: &Report, width: u16) -> super::Laid {
    let mut t = table(width);
    t.set_header(["overall", "value"]);
    for row in rate_rows(r).into_iter().chain(count_rows(
        &r.summary,
        r.complete,
        &crate::report::text::cost_lines(r),
    )) {
        t.add_row(row);
    }
    laid_out(t, width, &[1])
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
    for (source, rates) in &r.sources {
        let who = if source == "hand" {
            "hand-written"
        } else {
            source.as_str()
        };
        rows.push([
            format!("{who} tasks ({}): selection / full call", rates.tasks),
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
    if let Some(c) = &s.conversations {
        for (label, figure) in crate::report::text::conversation_figures(c, r.eval.trials) {
            let value = match figure {
                crate::report::text::Figure::Rate(x) => rate(&Some(x)),
                crate::report::text::Figure::Text(t) => t,
            };
            rows.push([label, value]);
        }
    }
    rows
}

/// What the agent trials did: turns, calls and how they were answered, time apart.
fn agent_rows(a: &crate::score::AgentTotals) -> Vec<[String; 2]> {
    let per = |n: u64| format!("{:.1}", n as f64 / a.trials.max(1) as f64);
    let mut how: Vec<String> = [
        ("executed", a.executed),
        ("mocked", a.mocked),
        ("replayed", a.replayed),
        ("refused", a.refused),
        ("rejected", a.rejected),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(what, n)| format!("{what}{}{n}", super::NO_BREAK))
    .collect();
    if how.is_empty() {
        how.push("none".into());
    }
    let mut rows = vec![
        [
            "agent turns / calls per trial".to_owned(),
            format!(
                "{} / {} over {} trials",
                per(a.turns),
                per(a.calls),
                a.trials
            ),
        ],
        ["calls".to_owned(), how.join(", ")],
    ];
    let mut issues = Vec::new();
    for (what, n) in [
        ("redundant", a.redundant_calls),
        ("tool errors", a.tool_errors),
        ("results cut", a.cut_results),
    ] {
        if n > 0 {
            issues.push(format!("{what}{}{n}", super::NO_BREAK));
        }
    }
    if !issues.is_empty() {
        rows.push(["call issues".to_owned(), issues.join(", ")]);
    }
    if let Some(j) = &a.judge {
        rows.push([
            format!("judge: answers passing (95% CI, of {})", j.n),
            super::rate(&Some(*j)),
        ]);
    }
    if a.judge_errors > 0 {
        rows.push(["judge: no verdict".to_owned(), a.judge_errors.to_string()]);
    }
    if a.followed_injection > 0 {
        rows.push([
            "followed an injection (a forbidden or refused call right after a result carrying instructions)".to_owned(),
            format!("{} of {} trials", a.followed_injection, a.trials),
        ]);
    }
    rows.push([
        "time: model / tools".to_owned(),
        format!("{} / {}", seconds(a.model_ms), seconds(a.tool_ms)),
    ]);
    rows
}

/// What the host's search did: how often it returned the expected tool, at what place, what it
/// cost, and why trials failed under it.
fn search_rows(s: &crate::score::SearchTotals) -> Vec<[String; 2]> {
    let per = |n: u64| format!("{:.1}", n as f64 / s.trials.max(1) as f64);
    let mut rows = vec![
        [
            format!("search hit rate (95% CI, of {})", s.hit_rate.n),
            super::rate(&Some(s.hit_rate)),
        ],
        [
            "search: mean rank of the hit / searches per trial".to_owned(),
            format!(
                "{} / {}",
                s.mean_rank.map_or("-".into(), |r| format!("{r:.1}")),
                per(s.searches)
            ),
        ],
    ];
    if s.tokens > 0 {
        rows.push([
            "search: replies / their tokens".to_owned(),
            format!("{} / {}", s.turns, s.tokens),
        ]);
    }
    let verdicts: Vec<String> = [
        ("never searched", s.never_searched),
        ("never found", s.never_found),
        ("found but not chosen", s.found_not_chosen),
    ]
    .iter()
    .filter(|(_, n)| *n > 0)
    .map(|(what, n)| {
        format!(
            "{}{}{n}",
            what.replace(' ', &super::NO_BREAK.to_string()),
            super::NO_BREAK
        )
    })
    .collect();
    if !verdicts.is_empty() {
        rows.push(["search: failing trials".to_owned(), verdicts.join(", ")]);
    }
    let missed: Vec<String> = s
        .tools
        .iter()
        .filter(|t| t.never_found > 0)
        .map(|t| {
            format!(
                "{}{}{}/{}",
                t.name,
                super::NO_BREAK,
                t.never_found,
                t.expected
            )
        })
        .collect();
    if !missed.is_empty() {
        rows.push([
            "never found by search (trials)".to_owned(),
            missed.join(", "),
        ]);
    }
    rows
}

fn seconds(ms: u64) -> String {
    format!("{:.1}{}s", ms as f64 / 1000.0, super::NO_BREAK)
}

/// Outcomes, errors, retries, cache hits, tokens and the accuracy bar.
fn count_rows(s: &Summary, complete: bool, cost: &[(String, String)]) -> Vec<[String; 2]> {
    let outcomes = Outcome::ALL
        .iter()
        // An outcome stays on one line with its count.
        .filter_map(|o| {
            s.outcomes
                .get(o)
                .map(|n| format!("{}{}{n}", o.as_str(), super::NO_BREAK))
        })
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
    if let Some(a) = &s.agent {
        rows.extend(agent_rows(a));
    }
    if let Some(search) = &s.search {
        rows.extend(search_rows(search));
    }
    rows.extend(cost.iter().map(|(k, v)| [k.clone(), v.clone()]));
    if let (Some(min), Some(ok)) = (s.min_accuracy, s.meets_min_accuracy) {
        let verdict = match ok {
            _ if !complete => "not judged (the run did not finish)",
            true => "met",
            false => "NOT met",
        };
        rows.push([
            "min_accuracy".to_owned(),
            format!("{}: {verdict}", percent(min)),
        ]);
    }
    rows
}
