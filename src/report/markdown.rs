//! The run summary as markdown, for a CI job summary.

use std::fmt::Write as _;

use super::Report;
use crate::score::{Rate, TaskState};

pub fn render_summary_markdown(r: &Report) -> String {
    let s = &r.summary;
    let rate = |x: &Option<Rate>| {
        x.as_ref()
            .map(Rate::display)
            .unwrap_or_else(|| "n/a".into())
    };
    let mut out = String::from("## tooleval\n\n");
    let who = match &r.model.note {
        Some(note) => format!("{} ({note})", r.model.name),
        None => r.model.name.clone(),
    };
    let tasks: usize = r.suites.iter().map(|s| s.tasks.len()).sum();
    let _ = writeln!(
        out,
        "Model {who} · {} tools · {tasks} tasks × {} trial(s)\n",
        r.tools.tools.len(),
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
            "| min_accuracy {:.0}% | {} |",
            min * 100.0,
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
            let why = t.failure.clone().unwrap_or_default().replace('|', "\\|");
            let _ = writeln!(out, "| `{}` | {}/{} | {why} |", t.id, t.passes, t.scored());
        }
        out.push('\n');
    }
    out
}
