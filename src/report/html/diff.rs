//! The page of a diff: the tools added, removed and edited and the servers' instructions
//! changed (word diffs highlighted), both accuracies with intervals and the paired verdict in
//! words, and the tasks fixed, regressed, flaky and still failing, each opening onto both runs'
//! trials.

use std::fmt::Write as _;

use super::{esc, header, outcome_cell, page, pct, rate_bar, word_diff};
use crate::record::TrialRecord;
use crate::report::{Report, ReportDiff, TaskStatus};
use crate::score::TrialsByTask;

pub(crate) fn render_diff_html(d: &ReportDiff, base: &Report, head: &Report) -> String {
    let title = format!(
        "tooleval diff: {} vs {}",
        d.base.file.clone().unwrap_or_else(|| side(base)),
        d.head.file.clone().unwrap_or_else(|| side(head))
    );
    let id = |r: &crate::report::diff::RunIdentity| {
        format!(
            "<code>{}</code>{}, {} task(s) x {} trial(s), started {}, tools <code>{}</code>{}",
            esc(&r.model),
            r.host
                .as_deref()
                .map(|h| format!(" under host <code>{}</code>", esc(h)))
                .unwrap_or_default(),
            r.tasks,
            r.trials,
            esc(&r.started_at),
            esc(&r.tools_hash),
            if r.complete { "" } else { " (incomplete)" }
        )
    };
    let mut b = header(
        &title,
        &[
            (
                "base",
                format!(
                    "{}: {}",
                    esc(&d.base.file.clone().unwrap_or_else(|| side(base))),
                    id(&d.base)
                ),
            ),
            (
                "head",
                format!(
                    "{}: {}",
                    esc(&d.head.file.clone().unwrap_or_else(|| side(head))),
                    id(&d.head)
                ),
            ),
            (
                "tooleval",
                format!(
                    "{} {}",
                    esc(&head.tooleval.name),
                    esc(&head.tooleval.version)
                ),
            ),
        ],
    );
    for w in &d.warnings {
        let _ = write!(b, "<p class=\"warn\">{}</p>", esc(w));
    }
    accuracy(&mut b, d);
    if let Some(line) = crate::report::text::cost_change(d) {
        let _ = write!(b, "<p>{}</p>", esc(&line));
    }
    b.push_str(&tools(d));
    b.push_str(&instructions(d));
    b.push_str(&tasks(d, base, head));
    page(&title, &b)
}

/// The accuracy of both runs, their change with its interval, and the paired tests' verdicts.
fn accuracy(b: &mut String, d: &ReportDiff) {
    b.push_str("<h2>Accuracy</h2><table><thead><tr><th></th><th>base</th><th>head</th><th>change (points, 95% CI)</th></tr></thead><tbody>");
    let mut rows = vec![
        ("tool selection".to_owned(), &d.selection),
        ("full call".to_owned(), &d.full_call),
    ];
    rows.extend(crate::report::text::accuracy_changes(d).into_iter().skip(2));
    for (name, c) in rows {
        let change = match (c.diff, c.low, c.high) {
            (Some(x), Some(l), Some(h)) => {
                format!("{:+.1} [{:+.1}, {:+.1}]", x * 100.0, l * 100.0, h * 100.0)
            }
            (Some(x), _, _) => format!("{:+.1}", x * 100.0),
            _ => "n/a".into(),
        };
        let _ = write!(
            b,
            "<tr><th>{name}</th><td>{}</td><td>{}</td><td class=\"mono\">{change}</td></tr>",
            rate_bar(&c.base),
            rate_bar(&c.head)
        );
    }
    b.push_str("</tbody></table>");
    for (name, test) in [
        ("Full call", &d.test),
        ("Tool selection", &d.selection_test),
    ] {
        if let Some(t) = test {
            let _ = write!(
                b,
                "<p><span class=\"verdict\">{name}:</span> {}</p>",
                esc(&t.verdict())
            );
        }
    }
}

/// How a report is named on the page: its variant, else its start time.
fn side(r: &Report) -> String {
    r.variant.clone().unwrap_or_else(|| r.started_at.clone())
}

fn tools(d: &ReportDiff) -> String {
    let t = &d.tools;
    let mut b = String::from("<h2>Tool changes</h2>");
    if t.is_empty() {
        b.push_str("<p>No tool was added, removed or edited.</p>");
        return b;
    }
    b.push_str("<ul>");
    for a in &t.added {
        let _ = write!(b, "<li><code>{}</code> added</li>", esc(a));
    }
    for r in &t.removed {
        let _ = write!(b, "<li><code>{}</code> removed</li>", esc(r));
    }
    for c in &t.changed {
        let _ = write!(b, "<li><code>{}</code>", esc(&c.name));
        if !c.description.is_empty() {
            let _ = write!(b, "<p>{}</p>", word_diff(&c.description));
        }
        for s in &c.schema {
            let _ = write!(b, "<p class=\"muted\">{}</p>", esc(s));
        }
        b.push_str("</li>");
    }
    b.push_str("</ul>");
    b
}

/// Servers whose instructions changed (no section when none did): each whole text, its lines
/// kept, with the words deleted and inserted marked.
fn instructions(d: &ReportDiff) -> String {
    if d.instructions.is_empty() {
        return String::new();
    }
    let mut b = String::from("<h2>Server instructions</h2><ul>");
    for c in &d.instructions {
        let what = match (&c.old, &c.new) {
            (None, _) => " added",
            (_, None) => " removed",
            _ => "",
        };
        let _ = write!(
            b,
            "<li><code>{}</code>{what}<pre>{}</pre></li>",
            esc(&c.server),
            word_diff(&c.diff)
        );
    }
    b.push_str("</ul>");
    b
}

fn tasks(d: &ReportDiff, base: &Report, head: &Report) -> String {
    let (bt, ht) = (
        TrialsByTask::new(&base.trials),
        TrialsByTask::new(&head.trials),
    );
    let mut b = String::from("<h2>Tasks</h2>");
    let counts: Vec<String> = TaskStatus::LISTED
        .iter()
        .filter_map(|s| d.counts.get(s).map(|n| format!("{n} {}", s.as_str())))
        .collect();
    let _ = write!(
        b,
        "<p>{}</p>",
        if counts.is_empty() {
            "Every task passes in both runs.".to_owned()
        } else {
            esc(&counts.join(", "))
        }
    );
    for status in TaskStatus::LISTED {
        let rows: Vec<_> = d.tasks.iter().filter(|t| t.status == status).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(b, "<h3>{} ({})</h3>", status.as_str(), rows.len());
        for t in rows {
            let _ = write!(
                b,
                "<details data-status=\"{}\"><summary><code>{}</code> <span class=\"muted\">{} -> {}</span> {}</summary>",
                status.as_str().replace(' ', "_"),
                esc(&t.id),
                pct(t.base_rate),
                pct(t.head_rate),
                esc(t
                    .head_reason
                    .as_deref()
                    .or(t.base_reason.as_deref())
                    .unwrap_or(""))
            );
            let _ = write!(
                b,
                "<h4>base</h4>{}<h4>head</h4>{}</details>",
                trials(bt.of(&t.id)),
                trials(ht.of(&t.id))
            );
        }
    }
    b
}

fn trials(trials: &[&TrialRecord]) -> String {
    if trials.is_empty() {
        return "<p class=\"muted\">not run</p>".into();
    }
    let mut b = String::new();
    for t in trials {
        let _ = write!(
            b,
            "<div class=\"trial\"><p>trial {} {} {}</p>",
            t.trial + 1,
            outcome_cell(t.outcome, t.outcome.as_str()),
            esc(&t.reason)
        );
        let reply = t
            .agent
            .as_ref()
            .and_then(|a| a.answer.clone())
            .or_else(|| t.reply.as_ref().and_then(|r| r.content.clone()));
        if let Some(text) = reply.filter(|x| !x.is_empty()) {
            let _ = write!(b, "<pre>{}</pre>", esc(&text));
        }
        let calls: Vec<String> = t
            .replies()
            .iter()
            .flat_map(|r| &r.tool_calls)
            .map(|c| format!("{}({})", c.name, c.arguments))
            .collect();
        if !calls.is_empty() {
            let _ = write!(b, "<pre>{}</pre>", esc(&calls.join("\n")));
        }
        b.push_str("</div>");
    }
    b
}
