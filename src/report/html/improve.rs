//! The page of an improve loop: before and after on tune and holdout, then each round with its
//! evidence, the writer's rejected proposals, its measurement and the word diffs of its texts.

use std::fmt::Write as _;

use super::{esc, header, page, rate_bar, word_diff};
use crate::report::{Compared, Decision, ImproveReport, Measured, Round};

pub(crate) fn render_improve_html(r: &ImproveReport) -> String {
    let title = format!("tooleval improve: {}", r.eval);
    let kept = r
        .rounds
        .iter()
        .filter(|x| x.decision == Decision::Kept)
        .count();
    let mut b = header(
        &title,
        &[
            ("model", super::model_fact(&r.model)),
            ("writer", format!("<code>{}</code>", esc(&r.writer.name))),
            (
                "tasks",
                format!(
                    "{} tune, {} holdout, {} trial(s) each",
                    r.tune_tasks, r.holdout_tasks, r.trials
                ),
            ),
            (
                "rounds",
                format!("{} run, {kept} kept; {}", r.rounds.len(), esc(&r.ended)),
            ),
            (
                "holdout",
                format!(
                    "consulted {} time(s), only to keep or reject",
                    r.holdout_consulted
                ),
            ),
            (
                "requests",
                format!(
                    "{} (at most {} estimated, about {} tokens)",
                    r.requests.sent_line(),
                    r.requests.estimated,
                    r.requests.estimated_tokens
                ),
            ),
            (
                "date",
                format!("{} to {}", esc(&r.started_at), esc(&r.finished_at)),
            ),
        ],
    );
    if r.unconfirmed {
        b.push_str("<p class=\"warn\"><b>Unconfirmed:</b> no task was held out, so every decision was made on the tasks the proposals were written from.</p>");
    }
    b.push_str("<h2>Before and after</h2><table><thead><tr><th></th><th>tune full call</th><th>holdout full call</th><th class=\"num\">tool tokens</th></tr></thead><tbody>");
    for (name, s) in [("before", &r.before), ("after", &r.after)] {
        let _ = write!(
            b,
            "<tr><th>{name}</th><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            rate_bar(&s.tune),
            if r.unconfirmed {
                "not held out".into()
            } else {
                rate_bar(&s.holdout)
            },
            s.tool_tokens
        );
    }
    b.push_str("</tbody></table>");
    if let Some(f) = &r.descriptions_file {
        let _ = write!(b, "<p>The kept texts are in <code>{}</code>.</p>", esc(f));
    }
    for round in &r.rounds {
        write_round(&mut b, round);
    }
    page(&title, &b)
}

/// A round: its decision and why, its evidence, each proposal, and its measurement.
fn write_round(b: &mut String, round: &Round) {
    let class = match round.decision {
        Decision::Kept => "kept",
        _ => "rejected",
    };
    let _ = write!(
        b,
        "<h2>Round {}: <span class=\"{class}\">{}</span></h2><p>{}</p>",
        round.round,
        round.decision.as_str(),
        esc(&round.why)
    );
    b.push_str("<ul>");
    for e in &round.evidence {
        let _ = write!(
            b,
            "<li><code>{}</code>: {}</li>",
            esc(&e.tool),
            esc(&e.why())
        );
    }
    b.push_str("</ul>");
    for (i, a) in round.attempts.iter().enumerate() {
        let verdict = match &a.rejected {
            Some(why) => format!("rejected before it ran: {}", esc(why)),
            None => "passed the guards".into(),
        };
        let asked = a
            .format
            .map(|f| format!(" <span class=\"muted\">(asked as {})</span>", f.as_str()))
            .unwrap_or_default();
        let notes: String = a
            .notes
            .iter()
            .map(|n| format!("<p class=\"muted\">{}</p>", esc(n)))
            .collect();
        let _ = write!(
            b,
            "<details><summary>proposal {}{asked}: {verdict}</summary>{notes}<pre>{}</pre></details>",
            i + 1,
            esc(&a.reply)
        );
    }
    if let Some(m) = &round.measured {
        write_measured(b, m);
    }
}

/// A round's measurement: before and after with the paired test, and the word diffs.
fn write_measured(b: &mut String, m: &Measured) {
    b.push_str("<table><thead><tr><th></th><th>before</th><th>after</th><th>paired test</th></tr></thead><tbody>");
    let mut row = |name: &str, c: &Compared| {
        let _ = write!(
            b,
            "<tr><th>{name} ({} tasks)</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.tasks,
            rate_bar(&c.before),
            rate_bar(&c.after),
            c.test
                .as_ref()
                .map_or_else(|| "n/a".into(), |t| esc(&t.verdict()))
        );
    };
    row("tune", &m.tune);
    if let Some(h) = &m.holdout {
        row("holdout", h);
    }
    b.push_str("</tbody></table>");
    for c in &m.changes.changed {
        let _ = write!(
            b,
            "<p><code>{}</code>: {}</p>",
            esc(&c.name),
            word_diff(&c.description)
        );
        for s in &c.schema {
            let _ = write!(b, "<p class=\"muted\">{}</p>", esc(s));
        }
    }
}
