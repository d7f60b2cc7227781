//! Human renderings: the run summary and the tool list as terminal tables.

use std::fmt::Write as _;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
use serde_json::Value;

use super::Report;
use crate::mcp::ToolSet;
use crate::record::Outcome;
use crate::score::Rate;

/// A table in the house style, laid out for `width` columns.
pub(crate) fn table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The summary of a run, for people: per task, per tool, confusions, overall.
pub fn render_table(r: &Report, width: u16) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let who = if r.model.kind == "baseline" {
        "baseline (offline lexical ranking, not an LLM)".to_owned()
    } else {
        format!(
            "{} at {}",
            r.model.name,
            r.model.base_url.as_deref().unwrap_or("?")
        )
    };
    let tasks: usize = r.suites.iter().map(|s| s.tasks.len()).sum();
    let _ = writeln!(
        out,
        "model {who} · {} tools from {} server(s) · {tasks} tasks × {} trial(s)",
        r.tools.tools.len(),
        r.servers.len(),
        r.eval.trials
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

    let mut t = table(width);
    t.set_header(["task", "expected", "result", "why it failed"]);
    for task in &s.tasks {
        let info = r
            .suites
            .iter()
            .flat_map(|s| &s.tasks)
            .find(|t| t.id == task.id);
        let expected = info
            .map(|t| {
                let tools = t.expect.tools();
                if tools.is_empty() {
                    "(none)".to_owned()
                } else {
                    tools.join(", ")
                }
            })
            .unwrap_or_default();
        let result = if task.trials == 0 {
            "not run".to_owned()
        } else if task.errors == task.trials {
            "error".to_owned()
        } else if r.eval.trials == 1 && task.errors == 0 {
            let o = task
                .outcomes
                .keys()
                .next()
                .copied()
                .unwrap_or(Outcome::Error);
            if o == Outcome::Pass {
                "pass".into()
            } else {
                o.as_str().into()
            }
        } else {
            format!("{}/{} pass", task.passes, task.trials - task.errors)
        };
        let why = task.failure.clone().unwrap_or_default();
        let why = why
            .split_once(": ")
            .map(|(_, w)| w.to_owned())
            .unwrap_or(why);
        t.add_row([
            Cell::new(&task.id),
            Cell::new(expected),
            Cell::new(result),
            Cell::new(why),
        ]);
    }
    let _ = writeln!(out, "{t}");

    if !s.tools.is_empty() {
        let mut t = table(width);
        t.set_header(["tool", "expected", "called", "precision", "recall"]);
        for ts in &s.tools {
            t.add_row([
                Cell::new(&ts.name),
                Cell::new(ts.true_positives + ts.false_negatives)
                    .set_alignment(CellAlignment::Right),
                Cell::new(ts.true_positives + ts.false_positives)
                    .set_alignment(CellAlignment::Right),
                Cell::new(pct(ts.precision)).set_alignment(CellAlignment::Right),
                Cell::new(pct(ts.recall)).set_alignment(CellAlignment::Right),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }

    if !s.confusions.is_empty() {
        let _ = writeln!(out, "most confused (expected -> chosen):");
        for c in s.confusions.iter().take(8) {
            let sim = c
                .similarity
                .map(|x| format!("  (descriptions {:.0}% alike)", x * 100.0))
                .unwrap_or_default();
            let _ = writeln!(out, "  {} -> {}  ×{}{sim}", c.expected, c.chosen, c.count);
            for h in &c.hints {
                let _ = writeln!(out, "      lint {h}");
            }
        }
        let _ = writeln!(out);
    }

    let rate = |r: &Option<Rate>| {
        r.as_ref()
            .map(Rate::display)
            .unwrap_or_else(|| "n/a".into())
    };
    let ci = if s.full_call.is_some_and(|r| r.clustered) {
        "95% CI, clustered by task"
    } else {
        "95% CI"
    };
    let mut t = table(width);
    t.set_header(["overall", "value"]);
    t.add_row([
        format!("tool selection accuracy ({ci})"),
        rate(&s.selection),
    ]);
    t.add_row([format!("full-call accuracy ({ci})"), rate(&s.full_call)]);
    for (split, rates) in &r.splits {
        t.add_row([
            format!(
                "`{split}` split ({} tasks): selection / full call",
                rates.tasks
            ),
            format!("{} / {}", rate(&rates.selection), rate(&rates.full_call)),
        ]);
    }
    if let Some(split) = r.split {
        t.add_row(["ran only the split".to_owned(), split.as_str().to_owned()]);
    }
    if r.eval.trials > 1 {
        let k = r.eval.trials;
        t.add_row([
            format!("pass@{k} / pass^{k} (share of tasks)"),
            format!("{} / {}", rate(&s.pass_at_k), rate(&s.pass_hat_k)),
        ]);
        let flaky = if s.flaky.is_empty() {
            "none".to_owned()
        } else {
            s.flaky.join(", ")
        };
        t.add_row([format!("flaky tasks ({})", s.flaky.len()), flaky]);
    }
    let outcomes = Outcome::ALL
        .iter()
        .filter_map(|o| s.outcomes.get(o).map(|n| format!("{} {n}", o.as_str())))
        .collect::<Vec<_>>()
        .join(", ");
    t.add_row(["outcomes".to_owned(), outcomes]);
    t.add_row([
        "infrastructure errors (not scored)".to_owned(),
        s.errors.to_string(),
    ]);
    if s.retries > 0 {
        t.add_row([
            "requests retried (429, 5xx, timeouts)".to_owned(),
            s.retries.to_string(),
        ]);
    }
    if s.cached > 0 {
        t.add_row([
            "answered from the cache".to_owned(),
            format!("{} of {} trials", s.cached, s.trials),
        ]);
    }
    if s.tokens.prompt + s.tokens.completion > 0 {
        t.add_row([
            "tokens (prompt / completion)".to_owned(),
            format!("{} / {}", s.tokens.prompt, s.tokens.completion),
        ]);
    }
    if let (Some(min), Some(ok)) = (s.min_accuracy, s.meets_min_accuracy) {
        let verdict = if ok { "met" } else { "NOT met" };
        t.add_row([
            "min_accuracy".to_owned(),
            format!("{:.0}%: {verdict}", min * 100.0),
        ]);
    }
    let _ = writeln!(out, "{t}");
    if !r.complete {
        let _ = writeln!(
            out,
            "warning: the run did not finish; this summary covers the trials obtained"
        );
    }
    out
}

/// A tool list: server, name, description, parameters (`*` marks required ones), tokens.
pub fn render_tools_table(set: &ToolSet, width: u16) -> String {
    let mut t = table(width);
    t.set_header(["server", "tool", "description", "parameters", "tokens"]);
    for tool in &set.tools {
        t.add_row([
            Cell::new(&tool.server),
            Cell::new(&tool.name),
            Cell::new(&tool.description),
            Cell::new(parameters(&tool.input_schema)),
            Cell::new(tool.tokens.map(|n| n.to_string()).unwrap_or_default())
                .set_alignment(CellAlignment::Right),
        ]);
    }
    let mut per_server: Vec<(String, usize, usize)> = Vec::new();
    for tool in &set.tools {
        match per_server.iter_mut().find(|(s, _, _)| *s == tool.server) {
            Some(e) => {
                e.1 += 1;
                e.2 += tool.tokens.unwrap_or(0);
            }
            None => per_server.push((tool.server.clone(), 1, tool.tokens.unwrap_or(0))),
        }
    }
    let mut out = format!("{t}\n");
    let enc = set.encoding.as_deref().unwrap_or("?");
    for (server, n, tokens) in &per_server {
        out.push_str(&format!("{server}: {n} tool(s), {tokens} tokens ({enc})\n"));
    }
    out.push_str(&format!(
        "{} tool(s), {} tokens in all, set hash {}\n",
        set.tools.len(),
        set.total_tokens(),
        set.hash
    ));
    out
}

/// Lint findings: rule, severity, tool, message and hint; then the counts.
pub fn render_findings(
    findings: &[crate::lint::Finding],
    set: &ToolSet,
    width: u16,
    notes: bool,
) -> String {
    let mut out = String::new();
    let shown: Vec<_> = findings
        .iter()
        .filter(|f| notes || f.severity != crate::lint::Severity::Info)
        .collect();
    if !shown.is_empty() {
        let mut t = table(width);
        t.set_header(["severity", "rule", "tool", "finding", "hint"]);
        for f in shown {
            t.add_row([
                f.severity.as_str(),
                f.rule.id(),
                &f.tools_text(),
                &f.message,
                &f.hint,
            ]);
        }
        out = format!("{t}\n");
    }
    let count = |s: crate::lint::Severity| findings.iter().filter(|f| f.severity == s).count();
    out.push_str(&format!(
        "{} tool(s), {} tokens ({}): {} error(s), {} warning(s), {} note(s)\n",
        set.tools.len(),
        set.total_tokens(),
        set.encoding.as_deref().unwrap_or("?"),
        count(crate::lint::Severity::Error),
        count(crate::lint::Severity::Warning),
        count(crate::lint::Severity::Info)
    ));
    if !notes && count(crate::lint::Severity::Info) > 0 {
        out.push_str("notes are hidden: --all shows them\n");
    }
    out
}

fn parameters(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return String::new();
    };
    props
        .iter()
        .map(|(name, p)| {
            let ty = p
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join("|")
                })
                .or_else(|| {
                    p.get("type").map(|t| {
                        t.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| t.to_string())
                    })
                })
                .unwrap_or_else(|| "any".into());
            let star = if required.contains(&name.as_str()) {
                "*"
            } else {
                ""
            };
            format!("{name}{star}: {ty}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
