//! `run --dry-run`: what each agent task's calls would meet, before any model is asked.

use comfy_table::Cell;

use super::{laid_out, table, wrap};
use crate::record::DryRunTask;

/// What holds in every agent task, said once; then the tasks that differ (their own mocks or
/// turn limits), a row each; then why each stopping tool stops.
pub(crate) fn render_dry_run(tasks: &[DryRunTask], single: usize, width: u16) -> String {
    // What most tasks meet is said once; the tasks that meet something else get a row.
    let Some(first) = most_common(tasks) else {
        return "dry run: no task runs in agent mode, so no tool would run.\n".to_owned();
    };
    let single = if single > 0 {
        format!(" ({single} single-turn task(s) call no tools)")
    } else {
        String::new()
    };
    let mut out = format!(
        "dry run: {} agent task(s){single}; no model is asked and no tool is called.\n",
        tasks.len()
    );
    let all = tasks.iter().all(|d| same(d, first));
    out.push_str(if all {
        "in every task:\n"
    } else {
        "in every task but those below:\n"
    });
    for (what, tools) in [
        ("run on their servers", &first.runs),
        ("mocked", &first.mocked),
        ("would stop the loop", &stops(first)),
    ] {
        let line = format!("  {what} ({}): {}", tools.len(), list(tools));
        out.push_str(&wrap(&line, width, "    "));
        out.push('\n');
    }
    if !all {
        out.push_str(&differing(tasks, first, width));
    }
    out.push_str(&stop_reasons(tasks, width));
    let talks: Vec<&DryRunTask> = tasks.iter().filter(|d| d.conversation.is_some()).collect();
    if !talks.is_empty() {
        out.push_str("conversations:\n");
        for d in talks {
            let line = format!("  {}: {}", d.task, d.conversation.as_deref().unwrap_or(""));
            out.push_str(&wrap(&line, width, "    "));
            out.push('\n');
        }
    }
    out
}

/// The task whose tools (run, mocked, stopping) most tasks share; `None` without tasks.
fn most_common(tasks: &[DryRunTask]) -> Option<&DryRunTask> {
    /// What a task meets: the tools that run, are mocked, would stop the loop.
    type Meets<'a> = (&'a [String], &'a [String], Vec<&'a str>);
    fn key(d: &DryRunTask) -> Meets<'_> {
        (
            &d.runs,
            &d.mocked,
            d.stops.iter().map(|(t, _)| t.as_str()).collect(),
        )
    }
    let mut counts: std::collections::HashMap<Meets, usize> = std::collections::HashMap::new();
    for d in tasks {
        *counts.entry(key(d)).or_default() += 1;
    }
    tasks.iter().max_by_key(|d| counts[&key(d)])
}

fn stops(d: &DryRunTask) -> Vec<String> {
    d.stops.iter().map(|(t, _)| t.clone()).collect()
}

/// Whether `d` meets what `first` meets.
fn same(d: &DryRunTask, first: &DryRunTask) -> bool {
    d.runs == first.runs && d.mocked == first.mocked && stops(d) == stops(first)
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

/// A row for each task that meets something other than `first` does.
fn differing(tasks: &[DryRunTask], first: &DryRunTask, width: u16) -> String {
    let mut t = table(width);
    t.set_header(["task", "runs besides", "mocked", "would stop the loop"]);
    for d in tasks.iter().filter(|d| !same(d, first)) {
        let extra: Vec<String> = d
            .runs
            .iter()
            .filter(|r| !first.runs.contains(r))
            .cloned()
            .collect();
        t.add_row([
            Cell::new(&d.task),
            Cell::new(list(&extra)),
            Cell::new(list(&d.mocked)),
            Cell::new(list(&stops(d))),
        ]);
    }
    format!("{}\n", laid_out(t, width, &[1, 2, 3]))
}

/// Why each stopping tool would stop the loop, each said once.
fn stop_reasons(tasks: &[DryRunTask], width: u16) -> String {
    let mut why: Vec<&(String, String)> = Vec::new();
    for d in tasks {
        for s in &d.stops {
            if !why.iter().any(|w| w.0 == s.0) {
                why.push(s);
            }
        }
    }
    let mut out = String::new();
    if !why.is_empty() {
        out.push_str("why a call would stop the loop:\n");
        for (_, reason) in why {
            out.push_str(&format!(
                "  {}\n",
                wrap(reason, width.saturating_sub(2), "    ")
            ));
        }
    }
    out
}
