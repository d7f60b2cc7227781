//! The page of a model matrix: accuracy per model with interval bars, each pair of models
//! compared, and the tasks x models grid (disagreements first), each model linking its report.

use std::fmt::Write as _;

use super::{esc, header, outcome_cell, page, rate_bar};
use crate::report::{Matrix, MatrixCell};

pub(crate) fn render_matrix_html(m: &Matrix) -> String {
    let title = format!("tooleval matrix: {}", m.eval);
    let by_host = m.axis == "host";
    let mut b = header(
        &title,
        &[
            (
                if by_host { "model" } else { "models" },
                if by_host {
                    m.models
                        .first()
                        .map(|x| super::model_fact(&x.model))
                        .unwrap_or_default()
                } else {
                    m.models
                        .iter()
                        .map(|x| super::model_fact(&x.model))
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            ),
            ("tools", format!("<code>{}</code>", esc(&m.tools_hash))),
            ("trials", format!("{} per task", m.trials)),
            ("date", esc(&m.started_at)),
            (
                "tooleval",
                format!("{} {}", esc(&m.tooleval.name), esc(&m.tooleval.version)),
            ),
        ],
    );
    models_table(&mut b, m);
    if !m.pairs.is_empty() {
        pairs_table(&mut b, m);
    }
    tasks_table(&mut b, m);
    page(&title, &b)
}

/// Accuracy, tokens and the report of each model (or host: its first request's tool tokens and
/// its search hit rate in place of the provider and converted schemas).
fn models_table(b: &mut String, m: &Matrix) {
    if m.axis == "host" {
        b.push_str("<h2>Hosts</h2><table class=\"sortable\"><thead><tr><th>host</th><th class=\"num\">tool tokens, first request</th><th>tool selection</th><th>full call</th><th>search hit rate</th><th class=\"num\">tokens in</th><th class=\"num\">tokens out</th><th>report</th></tr></thead><tbody>");
        for x in &m.models {
            let _ = write!(
                b,
                "<tr><td><code>{}</code>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
                esc(&x.label),
                if x.complete {
                    ""
                } else {
                    " <span class=\"warn\">(incomplete)</span>"
                },
                x.first_request_tool_tokens
                    .map_or_else(|| "-".to_owned(), |n| n.to_string()),
                rate_bar(&x.selection),
                rate_bar(&x.full_call),
                x.search_hit_rate
                    .map_or_else(|| "-".to_owned(), |r| rate_bar(&Some(r))),
                x.prompt_tokens,
                x.completion_tokens,
                esc(&x.report)
            );
        }
        b.push_str("</tbody></table>");
        return;
    }
    b.push_str("<h2>Models</h2><table class=\"sortable\"><thead><tr><th>model</th><th>provider</th><th>tool selection</th><th>full call</th><th class=\"num\">tokens in</th><th class=\"num\">tokens out</th><th class=\"num\">cost</th><th class=\"num\">cost per pass</th><th class=\"num\">converted schemas</th><th>report</th></tr></thead><tbody>");
    for x in &m.models {
        let _ = write!(
            b,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            esc(&x.label),
            if x.complete {
                ""
            } else {
                " <span class=\"warn\">(incomplete)</span>"
            },
            esc(x.provider()),
            rate_bar(&x.selection),
            rate_bar(&x.full_call),
            x.prompt_tokens,
            x.completion_tokens,
            x.cost
                .map_or_else(|| "unknown".to_owned(), crate::text::dollars),
            x.cost_per_pass()
                .map_or_else(|| "-".to_owned(), crate::text::dollars),
            x.converted_tools,
            esc(&x.report)
        );
    }
    b.push_str("</tbody></table>");
}

/// Each pair of models: the paired test, and the tasks one passes where the other does not.
fn pairs_table(b: &mut String, m: &Matrix) {
    let both = if m.axis == "host" { "hosts" } else { "models" };
    let _ = write!(
        b,
        "<h2>Pairs</h2><p class=\"muted\">Full-call accuracy, the paired test on the tasks both {both} scored.</p>"
    );
    b.push_str("<table class=\"sortable\"><thead><tr><th>pair</th><th class=\"num\">change (points)</th><th class=\"num\">p</th><th>passes where the other does not</th></tr></thead><tbody>");
    for p in &m.pairs {
        let (change, pv) = p.test.as_ref().map_or_else(
            || ("n/a".to_owned(), "n/a".to_owned()),
            |t| {
                (
                    format!("{:+.1}", t.mean_diff * 100.0),
                    format!(
                        "{:.3}{}",
                        t.p_value,
                        if t.significant() {
                            " (significant)"
                        } else {
                            ""
                        }
                    ),
                )
            },
        );
        let mut better = String::new();
        for (who, tasks) in p.better() {
            let _ = write!(
                better,
                "<div><code>{}</code>: {}</div>",
                esc(who),
                tasks
                    .iter()
                    .map(|t| format!("<code>{}</code>", esc(t)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = write!(
            b,
            "<tr><td><code>{}</code> vs <code>{}</code></td><td class=\"num\">{change}</td><td class=\"num\">{pv}</td><td>{}</td></tr>",
            esc(&p.b),
            esc(&p.a),
            if better.is_empty() {
                "-".to_owned()
            } else {
                better
            }
        );
    }
    b.push_str("</tbody></table>");
}

/// The tasks x models grid, the tasks the models disagree on first.
fn tasks_table(b: &mut String, m: &Matrix) {
    let disagree = m.disagreements().count();
    let _ = write!(
        b,
        "<h2>Tasks</h2><p>The {} disagree on {disagree} of {} tasks; those come first.</p><table class=\"sortable\"><thead><tr><th>task</th><th>suite</th>",
        if m.axis == "host" { "hosts" } else { "models" },
        m.tasks.len()
    );
    for x in &m.models {
        let _ = write!(b, "<th>{}</th>", esc(&x.label));
    }
    b.push_str("</tr></thead><tbody>");
    let ordered = m
        .tasks
        .iter()
        .filter(|t| t.disagree)
        .chain(m.tasks.iter().filter(|t| !t.disagree));
    for t in ordered {
        let _ = write!(
            b,
            "<tr data-task=\"{}\"{}><td><code>{}</code></td><td>{}</td>",
            esc(&t.id),
            if t.disagree {
                " class=\"disagree\""
            } else {
                ""
            },
            esc(&t.id),
            esc(&t.suite)
        );
        for c in &t.cells {
            let _ = write!(b, "<td>{}</td>", cell(c.as_ref()));
        }
        b.push_str("</tr>");
    }
    b.push_str("</tbody></table>");
}

/// A task's result for one model: the outcome's coloured letter for a single trial, else the
/// passes over scored trials.
fn cell(c: Option<&MatrixCell>) -> String {
    let Some(c) = c else {
        return "<span class=\"muted\">not scored</span>".to_owned();
    };
    match c.outcome {
        Some(o) => format!("{} {}", outcome_cell(o, o.as_str()), esc(o.as_str())),
        None => format!("<span class=\"mono\">{}/{}</span>", c.passes, c.scored),
    }
}
