//! `run --dry-run`: what each agent task's calls would meet, before any model is asked.

use comfy_table::Cell;

use super::{laid_out, table, wrap};
use crate::record::DryRunTask;

/// What holds in every agent task, said once; then the tasks that differ (their own mocks or
/// turn limits), a row each; then why each stopping tool stops.
pub(crate) fn render_dry_run(tasks: &[DryRunTask], single: usize, width: u16) -> String {
    let mut out = String::new();
    // What most tasks meet is said once; the tasks that meet something else get a row.
    /// What a task meets: the tools that run, are mocked, would stop the loop.
    type Meets<'a> = (&'a [String], &'a [String], Vec<&'a str>);
    let mut counts: std::collections::HashMap<Meets, usize> = std::collections::HashMap::new();
    fn key(d: &DryRunTask) -> Meets<'_> {
        (
            &d.runs,
            &d.mocked,
            d.stops.iter().map(|(t, _)| t.as_str()).collect(),
        )
    }
    for d in tasks {
        *counts.entry(key(d)).or_default() += 1;
    }
    let Some(first) = tasks.iter().max_by_key(|d| counts[&key(d)]) else {
        out.push_str("dry run: no task runs in agent mode, so no tool would run.\n");
        return out;
    };
    let single = if single > 0 {
        format!(" ({single} single-turn task(s) call no tools)")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "dry run: {} agent task(s){single}; no model is asked and no tool is called.\n",
        tasks.len()
    ));
    let stops = |d: &DryRunTask| d.stops.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
    let same = |d: &DryRunTask| {
        d.runs == first.runs && d.mocked == first.mocked && stops(d) == stops(first)
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let all = tasks.iter().all(same);
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
        let mut t = table(width);
        t.set_header(["task", "runs besides", "mocked", "would stop the loop"]);
        for d in tasks.iter().filter(|d| !same(d)) {
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
        out.push_str(&laid_out(t, width, &[1, 2, 3]).to_string());
        out.push('\n');
    }
    let mut why: Vec<&(String, String)> = Vec::new();
    for d in tasks {
        for s in &d.stops {
            if !why.iter().any(|w| w.0 == s.0) {
                why.push(s);
            }
        }
    }
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
