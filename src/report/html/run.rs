//! The page of a run: its header, the accuracies with their intervals, a grid of tasks x trials
//! coloured by outcome, every task's details (the prompt, each trial's reply, calls and reason;
//! an agent trial's turns with their tool results), the tools with precision and recall, the
//! confusion matrix, lint findings and token costs; filters by outcome, tag, suite and split.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{esc, header, legend, outcome_cell, page, pct, pretty_json, rate_bar, written};
use crate::config::Task;
use crate::record::{AgentRecord, Outcome, ReplyRecord, TrialRecord, TurnRecord};
use crate::report::Report;
use crate::score::TrialsByTask;

/// What the gate decided about a run, for its page.
pub(crate) struct PageGate<'a> {
    pub verdict: &'a crate::report::Verdict,
    pub diff: Option<&'a crate::report::ReportDiff>,
}

pub(crate) fn render_run_html(r: &Report) -> String {
    render_run_html_gated(r, None)
}

/// The run's page, with the gate's verdict and the baseline comparison first when the run was
/// gated (`run --html`).
pub(crate) fn render_run_html_gated(r: &Report, gate: Option<PageGate<'_>>) -> String {
    let title = match &r.variant {
        Some(v) => format!("tooleval run: {} ({v})", r.eval.path),
        None => format!("tooleval run: {}", r.eval.path),
    };
    let mut b = header(&title, &facts(r));
    b.push_str("<nav class=\"muted\">");
    if gate.is_some() {
        b.push_str("<a href=\"#gate\">gate</a> · ");
    }
    b.push_str("<a href=\"#accuracy\">accuracy</a> · <a href=\"#tasks\">tasks</a> · <a href=\"#details\">task details</a> · <a href=\"#tools\">tools</a> · <a href=\"#confusions\">confusions</a> · <a href=\"#lint\">lint</a></nav>");
    if let Some(why) = r.unfinished() {
        let _ = write!(
            b,
            "<p class=\"warn\">{}: the page shows the trials that did run, and no verdict on min_accuracy.</p>",
            esc(&super::capitalized(&why))
        );
    }
    let text_calls = r.text_call_trials();
    if text_calls > 0 {
        let _ = write!(
            b,
            "<p class=\"warn\">{}</p>",
            esc(&super::capitalized(&crate::record::text_call_hint(
                text_calls
            )))
        );
    }
    if let Some(g) = gate {
        b.push_str(&gate_section(r, &g));
    }
    b.push_str(&accuracy(r));
    let by_task = TrialsByTask::new(&r.trials);
    b.push_str(&tasks(r, &by_task));
    b.push_str(&tools(r));
    b.push_str(&confusions(r));
    b.push_str(&findings(r));
    page(&title, &b)
}

/// The gate's verdict, each failure, and the tasks the baseline comparison found regressed and
/// fixed, linked to their details: what a reviewer following the job summary's link looks for.
fn gate_section(r: &Report, g: &PageGate<'_>) -> String {
    use crate::report::TaskStatus;
    let mut b = String::from("<h2 id=\"gate\">Gate</h2>");
    let (class, said) = if !g.verdict.checked {
        (
            "muted",
            "not gated (an interrupted run, infrastructure errors, or a shard)",
        )
    } else if g.verdict.failures.is_empty() {
        ("kept", "passed")
    } else {
        ("rejected", "failed")
    };
    let _ = write!(b, "<p class=\"verdict {class}\">{said}</p>");
    if !g.verdict.failures.is_empty() {
        b.push_str("<ul>");
        for f in &g.verdict.failures {
            let _ = write!(b, "<li><b>{}</b>: {}</li>", esc(f.kind), esc(&f.message));
        }
        b.push_str("</ul>");
    }
    let Some(d) = g.diff else {
        return b;
    };
    let _ = write!(
        b,
        "<p>compared with the baseline <code>{}</code>: {}</p>",
        esc(g.verdict.baseline.as_deref().unwrap_or("?")),
        esc(&d
            .test
            .as_ref()
            .map_or_else(|| "no task scored in both runs".to_owned(), |t| t.verdict()))
    );
    // Each task's place in the details below, for its link.
    let place: BTreeMap<&str, usize> = r
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| t.id.as_str()))
        .enumerate()
        .map(|(n, id)| (id, n))
        .collect();
    for status in [TaskStatus::Regressed, TaskStatus::Fixed] {
        let tasks: Vec<_> = d.tasks.iter().filter(|t| t.status == status).collect();
        if tasks.is_empty() {
            continue;
        }
        let _ = write!(
            b,
            "<h3>{} ({})</h3><table class=\"{}\"><thead><tr><th>task</th><th class=\"num\">pass rate</th><th>reason now (before)</th></tr></thead><tbody>",
            status.as_str(),
            tasks.len(),
            status.as_str()
        );
        for t in tasks {
            let link = place.get(t.id.as_str()).map_or_else(
                || esc(&t.id),
                |n| format!("<a href=\"#t{n}\"><code>{}</code></a>", esc(&t.id)),
            );
            let _ = write!(
                b,
                "<tr><td>{link}</td><td class=\"num\">{} → {}</td><td>{}{}</td></tr>",
                pct(t.base_rate),
                pct(t.head_rate),
                esc(t.head_reason.as_deref().unwrap_or("")),
                t.base_reason
                    .as_deref()
                    .map(|w| format!(" <span class=\"muted\">(was: {})</span>", esc(w)))
                    .unwrap_or_default()
            );
        }
        b.push_str("</tbody></table>");
    }
    b
}

/// The header's facts: model, servers, tools, suites, trials, dates, and what was special
/// about the run.
fn facts(r: &Report) -> Vec<(&'static str, String)> {
    let model = super::model_fact(&r.model);
    let servers: Vec<String> = r.servers.iter().map(server_fact).collect();
    let suites: Vec<String> = r
        .suites
        .iter()
        .map(|s| format!("<code>{}</code> ({} tasks)", esc(&s.name), s.tasks.len()))
        .collect();
    let mut facts = vec![
        ("model", model),
        ("servers", servers.join("<br>")),
        (
            "tools",
            format!(
                "{} tool(s), {} tokens ({}), set hash <code>{}</code>",
                r.tools.tools.len(),
                r.tools.total_tokens(),
                esc(r.tools.encoding.as_deref().unwrap_or("o200k_base")),
                esc(&r.tools.hash)
            ),
        ),
        ("suites", suites.join(", ")),
        (
            "trials",
            format!(
                "{} per task, {} run in all, concurrency {}",
                r.eval.trials,
                r.trials.len(),
                r.eval.concurrency
            ),
        ),
        (
            "date",
            format!("{} to {}", esc(&r.started_at), esc(&r.finished_at)),
        ),
        (
            "tooleval",
            format!("{} {}", esc(&r.tooleval.name), esc(&r.tooleval.version)),
        ),
    ];
    if let Some(d) = &r.descriptions_file {
        facts.push(("descriptions", format!("<code>{}</code>", esc(d))));
    }
    if let Some(c) = &r.tools.converted {
        facts.push(("schemas", converted_fact(c)));
    }
    if let Some(h) = &r.host {
        let lines: Vec<String> = crate::report::text::host_lines(h)
            .iter()
            .map(|l| esc(l.strip_prefix("host: ").unwrap_or(l)))
            .collect();
        facts.push(("host", lines.join("<br>")));
    }
    if let Some(s) = r.split {
        facts.push((
            "split",
            format!("only the <code>{}</code> tasks", s.as_str()),
        ));
    }
    if let Some(s) = &r.shard {
        facts.push(("shard", format!("part {} of {}", s.index, s.count)));
    }
    facts
}

/// A server: its name and version as it gave them, its tools, and how it was reached.
fn server_fact(s: &crate::record::ServerInfo) -> String {
    let version = match (&s.server_name, &s.server_version) {
        (Some(n), Some(v)) => format!(" ({n} {v})"),
        (Some(n), None) => format!(" ({n})"),
        _ => String::new(),
    };
    format!(
        "<code>{}</code>{}: {} tool(s), {} over {}",
        esc(&s.name),
        esc(&version),
        s.tool_count,
        esc(&s.target),
        esc(&s.transport)
    )
}

/// The schema conversions for the provider: a note, and each change in a fold.
fn converted_fact(c: &crate::mcp::Converted) -> String {
    let mut list = String::new();
    for t in &c.tools {
        for ch in &t.changes {
            let _ = write!(
                list,
                "<li><code>{}</code>: {}</li>",
                esc(&t.name),
                esc(&ch.describe())
            );
        }
    }
    format!(
        "{}<details><summary>each change</summary><ul>{list}</ul></details>",
        esc(&crate::report::text::converted_note(c))
    )
}

fn accuracy(r: &Report) -> String {
    let s = &r.summary;
    let mut b = String::from("<h2 id=\"accuracy\">Accuracy</h2><table><tbody>");
    let _ = write!(
        b,
        "<tr><th>tool selection</th><td>{}</td></tr><tr><th>full call</th><td>{}</td></tr>",
        rate_bar(&s.selection),
        rate_bar(&s.full_call)
    );
    if let Some(p) = s.pass_at_k.as_ref().filter(|_| r.eval.trials > 1) {
        let _ = write!(
            b,
            "<tr><th>pass@{k} (some trial passed)</th><td>{}</td></tr>",
            rate_bar(&Some(*p)),
            k = r.eval.trials
        );
    }
    if let Some(p) = s.pass_hat_k.as_ref().filter(|_| r.eval.trials > 1) {
        let _ = write!(
            b,
            "<tr><th>pass^{k} (every trial passed)</th><td>{}</td></tr>",
            rate_bar(&Some(*p)),
            k = r.eval.trials
        );
    }
    for (name, split) in &r.splits {
        let _ = write!(
            b,
            "<tr><th><code>{}</code> split ({} tasks), full call</th><td>{}</td></tr>",
            esc(name),
            split.tasks,
            rate_bar(&split.full_call)
        );
    }
    for (name, rates) in &r.sources {
        let who = if name == "hand" {
            "hand-written"
        } else {
            name.as_str()
        };
        let _ = write!(
            b,
            "<tr><th>{} tasks ({}), full call</th><td>{}</td></tr>",
            esc(who),
            rates.tasks,
            rate_bar(&rates.full_call)
        );
    }
    if let Some(a) = s.agent.as_ref().filter(|a| a.followed_injection > 0) {
        let _ = write!(
            b,
            "<tr><th>followed an injection (a forbidden or refused call right after a tool result carrying instructions)</th><td><b>{} of {} agent trials</b></td></tr>",
            a.followed_injection, a.trials
        );
    }
    if let Some(c) = &s.conversations {
        for (label, figure) in crate::report::text::conversation_figures(c, r.eval.trials) {
            let value = match figure {
                crate::report::text::Figure::Rate(x) => rate_bar(&Some(x)),
                crate::report::text::Figure::Text(t) => esc(&t),
            };
            let _ = write!(b, "<tr><th>{}</th><td>{value}</td></tr>", esc(&label));
        }
    }
    for (label, value) in crate::report::text::cost_lines(r) {
        let _ = write!(
            b,
            "<tr><th>{}</th><td>{}</td></tr>",
            super::esc_ticks(&label),
            super::esc_ticks(&value)
        );
    }
    if let Some(search) = &s.search {
        let _ = write!(
            b,
            "<tr><th>search hit rate (the expected tool among the results)</th><td>{}</td></tr>",
            rate_bar(&Some(search.hit_rate))
        );
    }
    b.push_str("</tbody></table>");
    if let Some(search) = &s.search {
        b.push_str(&search_summary(search));
    }
    let _ = write!(
        b,
        "<p class=\"muted\">95% intervals{}. {} trial(s) ended in an infrastructure error and count in no rate.</p>",
        if s.full_call.is_some_and(|f| f.clustered) {
            ", clustered by task (trials of one task are not independent)"
        } else {
            " (Wilson)"
        },
        s.errors
    );
    if let Some(min) = s.min_accuracy {
        let met = s.meets_min_accuracy.unwrap_or(false);
        let _ = write!(
            b,
            "<p>min_accuracy {}: <b>{}</b></p>",
            pct(Some(min)),
            if met { "met" } else { "not met" }
        );
    }
    b
}

/// What the host's search did over the run: its cost, why trials failed under it, and the
/// tools it did not return.
fn search_summary(s: &crate::score::SearchTotals) -> String {
    let mut b = format!(
        "<p>Tool search: {} search(es) over {} trial(s), mean rank of the hit {}; never searched {}, never found {}, found but not chosen {}.</p>",
        s.searches,
        s.trials,
        s.mean_rank.map_or("-".into(), |r| format!("{r:.1}")),
        s.never_searched,
        s.never_found,
        s.found_not_chosen
    );
    let missed: Vec<&crate::score::ToolSearch> =
        s.tools.iter().filter(|t| t.never_found > 0).collect();
    if !missed.is_empty() {
        b.push_str("<table><thead><tr><th>never found by search</th><th class=\"num\">trials</th><th class=\"num\">expected in</th></tr></thead><tbody>");
        for t in missed {
            let _ = write!(
                b,
                "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&t.name),
                t.never_found,
                t.expected
            );
        }
        b.push_str("</tbody></table>");
    }
    b
}

/// A trial's searches: each query and what it returned, and what that did for the task.
fn write_search(b: &mut String, s: &crate::record::SearchRecord) {
    let _ = write!(
        b,
        "<p class=\"muted\">tool search: {}{}</p><ul>",
        s.verdict.as_str(),
        s.rank
            .map(|r| format!(", the expected tool at rank {r}"))
            .unwrap_or_default()
    );
    for c in &s.searches {
        let returned = if c.returned.is_empty() {
            "nothing".to_owned()
        } else {
            c.returned
                .iter()
                .map(|n| format!("<code>{}</code>", esc(n)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = write!(
            b,
            "<li><code>{}</code> returned {returned}{}</li>",
            esc(&c.query),
            c.error
                .as_ref()
                .map(|e| format!(" ({})", esc(e)))
                .unwrap_or_default()
        );
    }
    b.push_str("</ul>");
}

/// The outcomes of a task's trials, in trial order.
fn task_outcomes(trials: &[&TrialRecord]) -> BTreeSet<&'static str> {
    trials.iter().map(|t| t.outcome.as_str()).collect()
}

fn tasks(r: &Report, by_task: &TrialsByTask<'_>) -> String {
    let counts: Vec<(Outcome, usize)> = Outcome::ALL
        .iter()
        .filter_map(|o| r.summary.outcomes.get(o).map(|n| (*o, n)))
        .collect();
    let mut b = String::from("<h2 id=\"tasks\">Tasks</h2>");
    b.push_str(&legend(&counts));
    let tokens = Tokens::of(r);
    b.push_str(&filters(&counts, &tokens, r));
    // A priced run shows what each task cost, every trial of it.
    let costs: BTreeMap<&str, f64> = r
        .summary
        .tasks
        .iter()
        .filter_map(|t| t.cost.map(|c| (t.id.as_str(), c)))
        .collect();
    let priced = r.price.is_some();
    let mut grid = format!(
        "<table class=\"grid\"><thead><tr><th>task</th><th>suite</th><th>split</th><th>trials</th><th class=\"num\">pass rate</th>{}<th>why it failed (the first failing trial)</th></tr></thead><tbody>",
        if priced {
            "<th class=\"num\">cost</th>"
        } else {
            ""
        }
    );
    let mut details = String::from(
        "<h2 id=\"details\">Task details</h2><p class=\"muted\">Open a task for its prompt, what it expected, and each trial: the reply, the calls with their arguments, the reason.</p>",
    );
    let mut n = 0usize;
    for s in &r.suites {
        for t in &s.tasks {
            let trials = by_task.of(&t.id);
            let data = data_attrs(t, &s.name, trials, &tokens);
            let cells: String = trials
                .iter()
                .map(|tr| outcome_cell(tr.outcome, &tr.reason))
                .collect();
            let scored = trials
                .iter()
                .filter(|x| x.outcome != Outcome::Error)
                .count();
            let passes = trials.iter().filter(|x| x.outcome == Outcome::Pass).count();
            let rate = (scored > 0).then(|| passes as f64 / scored as f64);
            let cost = costs.get(t.id.as_str()).copied();
            let cost_cell = match (priced, cost) {
                (false, _) => String::new(),
                (true, Some(c)) if !trials.is_empty() => {
                    format!("<td class=\"num\">{}</td>", crate::report::text::dollars(c))
                }
                (true, _) => "<td class=\"num muted\">-</td>".to_owned(),
            };
            let _ = write!(
                grid,
                "<tr {data}><td><a href=\"#t{n}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td class=\"cells\">{}</td><td class=\"num\">{}</td>{cost_cell}<td class=\"why\">{}</td></tr>",
                esc(&t.id),
                esc(&s.name),
                t.split.map_or("", |x| x.as_str()),
                if trials.is_empty() {
                    "<span class=\"muted\">not run</span>".to_owned()
                } else {
                    cells
                },
                pct(rate),
                esc(trials
                    .iter()
                    .find(|x| x.outcome != Outcome::Pass)
                    .map_or("", |x| x.reason.as_str()))
            );
            let pricing = r.price.as_ref().map(|p| (p, &r.helper_prices));
            details.push_str(&task_details(n, t, &data, trials, pricing, cost));
            n += 1;
        }
    }
    grid.push_str("</tbody></table>");
    b.push_str(&grid);
    b.push_str(&details);
    b
}

/// The filter tokens of tag and suite names.
struct Tokens<'a> {
    tags: BTreeMap<&'a str, String>,
    suites: BTreeMap<&'a str, String>,
}

fn data_attrs(t: &Task, suite: &str, trials: &[&TrialRecord], tokens: &Tokens<'_>) -> String {
    let tags: Vec<&str> = t
        .tags
        .iter()
        .filter_map(|x| tokens.tags.get(x.as_str()).map(String::as_str))
        .collect();
    format!(
        "data-task=\"{}\" data-outcome=\"{}\" data-tag=\"{}\" data-suite=\"{}\" data-split=\"{}\"",
        esc(&t.id),
        task_outcomes(trials)
            .into_iter()
            .collect::<Vec<_>>()
            .join(" "),
        tags.join(" "),
        tokens.suites.get(suite).map_or("", String::as_str),
        t.split.map_or("", |x| x.as_str())
    )
}

fn task_details(
    n: usize,
    t: &Task,
    data: &str,
    trials: &[&TrialRecord],
    pricing: Pricing<'_>,
    cost: Option<f64>,
) -> String {
    let passes = trials.iter().filter(|x| x.outcome == Outcome::Pass).count();
    let first_failure = trials
        .iter()
        .find(|x| x.outcome != Outcome::Pass)
        .map(|x| format!(": {}", x.reason))
        .unwrap_or_default();
    let cells: String = trials
        .iter()
        .map(|tr| outcome_cell(tr.outcome, tr.outcome.as_str()))
        .collect();
    let cost = cost
        .filter(|_| !trials.is_empty())
        .map(|c| format!(" ({})", crate::report::text::dollars(c)))
        .unwrap_or_default();
    let mut b = format!(
        "<details id=\"t{n}\" {data}><summary>{cells} <code>{}</code> <span class=\"muted\">{passes}/{} passed{cost}{}</span></summary>",
        esc(&t.id),
        trials.len(),
        esc(&first_failure)
    );
    b.push_str("<h3>Prompt</h3>");
    for m in t.prompt.messages() {
        let _ = write!(
            b,
            "<pre><b>{}:</b> {}</pre>",
            esc(&format!("{:?}", m.role).to_lowercase()),
            esc(&m.content)
        );
    }
    if !t.tags.is_empty() {
        let _ = write!(
            b,
            "<p class=\"muted\">tags: {}</p>",
            esc(&t.tags.join(", "))
        );
    }
    let mut expected = serde_json::Map::new();
    if let Some(e) = t.expect.as_ref().and_then(|e| serde_json::to_value(e).ok()) {
        expected.insert("expect".into(), e);
    }
    if let Some(x) = t
        .trajectory
        .as_ref()
        .and_then(|x| serde_json::to_value(x).ok())
    {
        expected.insert("trajectory".into(), x);
    }
    if let Some(x) = t.answer.as_ref().and_then(|x| serde_json::to_value(x).ok()) {
        expected.insert("answer".into(), x);
    }
    if let Some(x) = t.turns.as_ref().and_then(|x| serde_json::to_value(x).ok()) {
        expected.insert("turns".into(), x);
    }
    if let Some(u) = &t.user {
        b.push_str("<h3>Simulated user</h3><ul>");
        if let Some(p) = &u.persona {
            let _ = write!(b, "<li>persona: {}</li>", esc(p));
        }
        let _ = write!(b, "<li>goal: {}</li>", esc(&u.goal));
        for k in &u.knows {
            let _ = write!(b, "<li>knows (gives only when asked): {}</li>", esc(k));
        }
        let _ = write!(
            b,
            "<li>at most {} user messages; done when it writes <code>{}</code></li></ul>",
            u.max_turns(),
            esc(u.done_marker())
        );
    }
    let _ = write!(
        b,
        "<h3>Expected</h3><pre>{}</pre>",
        esc(&serde_json::to_string_pretty(&expected).unwrap_or_default())
    );
    // Trials that did the same are shown once, each with its own timing and tokens.
    let mut groups: Vec<(String, Vec<&TrialRecord>)> = Vec::new();
    for tr in trials {
        let key = same_key(tr);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(tr),
            None => groups.push((key, vec![tr])),
        }
    }
    for (_, g) in &groups {
        b.push_str(&trial(g, pricing));
    }
    b.push_str("</details>");
    b
}

/// What makes two trials the same on the page: everything shown of them but their timing,
/// tokens, retries and whether they came from the cache (listed per trial).
fn same_key(tr: &TrialRecord) -> String {
    let calls = |r: &crate::record::ReplyRecord| {
        serde_json::json!([r.content, r.tool_calls, r.finish_reason])
    };
    let agent = tr.agent.as_ref().map(|a| {
        let turns: Vec<serde_json::Value> = a
            .turns
            .iter()
            .map(|t| {
                let results: Vec<serde_json::Value> = t
                    .results
                    .iter()
                    .map(|x| {
                        serde_json::json!([
                            x.tool,
                            x.arguments,
                            x.how,
                            x.text,
                            x.is_error,
                            x.cut_from,
                            x.notes
                        ])
                    })
                    .collect();
                serde_json::json!([calls(&t.reply), results])
            })
            .collect();
        serde_json::json!([
            turns,
            a.turns.iter().map(|t| &t.user).collect::<Vec<_>>(),
            a.dialogue,
            a.answer,
            a.end,
            a.stopped_at,
            a.repeated,
            a.judge.as_ref().map(|j| (j.verdict, &j.reason))
        ])
    });
    serde_json::json!([
        tr.outcome,
        tr.reason,
        tr.reply.as_ref().map(calls),
        tr.notes,
        agent,
        tr.search
    ])
    .to_string()
}

/// The measured model's price and the helpers' (the judge's, the simulated users'), by name.
type Pricing<'a> = Option<(
    &'a crate::record::Price,
    &'a BTreeMap<String, crate::record::Price>,
)>;

/// One trial's own figures: latency, tokens, retries, the cache, the cost (the judge's and the
/// simulated user's replies included).
fn trial_facts(t: &TrialRecord, pricing: Pricing<'_>) -> String {
    let mut parts = vec![format!("{} ms", t.latency_ms)];
    if let Some(u) = &t.usage {
        let cached = if u.cached_tokens > 0 {
            format!(" ({} of them cached)", u.cached_tokens)
        } else {
            String::new()
        };
        parts.push(format!(
            "{} prompt{cached} + {} completion tokens",
            u.prompt_tokens, u.completion_tokens
        ));
        if let Some((p, helpers)) = pricing {
            parts.push(crate::report::text::dollars(crate::score::trial_cost(
                t, p, helpers,
            )));
        }
    }
    if t.retries > 0 {
        parts.push(format!(
            "{} retr{}",
            t.retries,
            if t.retries == 1 { "y" } else { "ies" }
        ));
    }
    if t.cached {
        parts.push("from the cache".into());
    }
    format!("trial {}: {}", t.trial + 1, parts.join(", "))
}

/// Trials that did the same, shown once.
fn trial(same: &[&TrialRecord], pricing: Pricing<'_>) -> String {
    let tr = same[0];
    let which = match same {
        [one] => format!("trial {}", one.trial + 1),
        _ => format!(
            "trials {} (the same)",
            same.iter()
                .map(|t| (t.trial + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut b = format!(
        "<div class=\"trial\"><p>{which} {} <b>{}</b>: {}</p>",
        outcome_cell(tr.outcome, tr.outcome.as_str()),
        tr.outcome.as_str(),
        esc(&tr.reason)
    );
    let facts: Vec<String> = same.iter().map(|t| trial_facts(t, pricing)).collect();
    let _ = write!(b, "<p class=\"muted\">{}</p>", esc(&facts.join("; ")));
    if let Some(s) = &tr.search {
        write_search(&mut b, s);
    }
    match &tr.agent {
        Some(a) => write_conversation(&mut b, a),
        None => write_reply(&mut b, tr.reply.as_ref()),
    }
    for note in &tr.notes {
        let _ = write!(b, "<p class=\"muted\">note: {}</p>", esc(note));
    }
    b.push_str("</div>");
    b
}

/// An agent trial's conversation, turn by turn, and how it ended. A conversation with the user
/// is shown open, the user's messages between the model's turns, each user turn's verdict after
/// the model's answer to it.
fn write_conversation(b: &mut String, a: &AgentRecord) {
    let calls = a.turns.iter().map(|t| t.results.len()).sum::<usize>();
    match a.dialogue.as_deref() {
        Some(d) => {
            let _ = write!(
                b,
                "<details open><summary>conversation: {} user message(s), {} model turn(s), {calls} call(s), ended: {}</summary>",
                d.user_turns,
                a.turns.len(),
                esc(d.end.as_str())
            );
        }
        None => {
            let _ = write!(
                b,
                "<details><summary>conversation: {} turn(s), {calls} call(s), ended: {}</summary>",
                a.turns.len(),
                written(&a.end).replace('_', " ")
            );
        }
    }
    let mut user_turn = 1;
    for (i, turn) in a.turns.iter().enumerate() {
        if let Some(u) = &turn.user {
            write_turn_verdict(b, a.dialogue.as_deref(), user_turn);
            user_turn += 1;
            let _ = write!(
                b,
                "<div class=\"user-says\"><b>user (message {user_turn})</b><pre>{}</pre></div>",
                esc(u)
            );
        }
        let label = if a.dialogue.is_some() {
            "model turn"
        } else {
            "turn"
        };
        write_turn(b, label, i + 1, turn);
    }
    if let Some(d) = a.dialogue.as_deref() {
        write_turn_verdict(b, Some(d), user_turn);
        if let Some(c) = &d.closing {
            let _ = write!(
                b,
                "<div class=\"user-says\"><b>user (goal met)</b><pre>{}</pre></div>",
                esc(c)
            );
        }
        write_dialogue_facts(b, d);
    }
    if let Some(s) = &a.stopped_at {
        let _ = write!(
            b,
            "<p>stopped at <code>{}</code>: {}</p>",
            esc(&s.tool),
            esc(&s.why)
        );
    }
    if let Some(r) = &a.repeated {
        let _ = write!(
            b,
            "<p>ended: <code>{}</code> was called {} times with the same arguments (<code>max_repeats</code>)</p>",
            esc(&r.tool),
            r.times
        );
    }
    b.push_str("</details>");
    if let Some(ans) = &a.answer {
        let _ = write!(b, "<p>final answer:</p><pre>{}</pre>", esc(ans));
    }
    if let Some(j) = &a.judge {
        let _ = write!(
            b,
            "<p>judge <code>{}</code>{}: <b>{}</b>: {}</p>",
            esc(&j.model),
            j.format
                .map(|f| format!(" <span class=\"muted\">(asked as {})</span>", f.as_str()))
                .unwrap_or_default(),
            written(&j.verdict),
            esc(&j.reason)
        );
    }
}

/// A scripted conversation's verdict on user turn `n`, if it has one.
fn write_turn_verdict(b: &mut String, d: Option<&crate::record::Dialogue>, n: u32) {
    let Some(v) = d.and_then(|d| d.verdicts.iter().find(|v| v.turn == n)) else {
        return;
    };
    let _ = write!(
        b,
        "<p class=\"verdict\">{} user turn {n}: <b>{}</b>: {}</p>",
        outcome_cell(v.outcome, v.outcome.as_str()),
        v.outcome.as_str(),
        esc(&v.reason)
    );
    if let Some(j) = &v.judge {
        let _ = write!(
            b,
            "<p>judge <code>{}</code> on turn {n}: <b>{}</b>: {}</p>",
            esc(&j.model),
            written(&j.verdict),
            esc(&j.reason)
        );
    }
}

/// What a conversation with the user measured: questions, turns to the goal, asked before
/// acting.
fn write_dialogue_facts(b: &mut String, d: &crate::record::Dialogue) {
    let mut facts = vec![format!("{} question(s) asked of the user", d.questions)];
    if let Some(m) = &d.user_model {
        facts.push(format!("user played by {m}"));
    }
    if let Some(n) = d.turns_to_goal {
        facts.push(format!("goal met after {n} user message(s)"));
    }
    if let Some(u) = &d.user_usage {
        facts.push(format!(
            "user model: {} prompt + {} completion tokens",
            u.prompt_tokens, u.completion_tokens
        ));
    }
    let _ = write!(b, "<p class=\"muted\">{}</p>", esc(&facts.join("; ")));
    if let Some(a) = &d.asked {
        let show = |s: &crate::record::ArgumentSource| {
            format!(
                "{} of {} = {:?} (turn {})",
                s.argument, s.tool, s.value, s.turn
            )
        };
        let mut parts = Vec::new();
        if !a.asked.is_empty() {
            parts.push(format!(
                "asked for: {}",
                a.asked.iter().map(show).collect::<Vec<_>>().join(", ")
            ));
        }
        if !a.invented.is_empty() {
            parts.push(format!(
                "invented: {}",
                a.invented.iter().map(show).collect::<Vec<_>>().join(", ")
            ));
        }
        let _ = write!(
            b,
            "<p>asked before acting: <b>{}</b>: {}</p>",
            if a.passed { "passed" } else { "failed" },
            esc(&parts.join("; "))
        );
    }
}

/// One turn of a conversation: the model's text, each call with its result, and the calls left
/// unanswered.
fn write_turn(b: &mut String, label: &str, n: usize, turn: &TurnRecord) {
    let _ = write!(b, "<p><b>{label} {n}</b></p>");
    match turn.reply.content.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            let _ = write!(b, "<pre>{}</pre>", esc(c));
        }
        None if turn.results.is_empty() => {
            b.push_str("<p class=\"muted\">no text, no call</p>");
        }
        None => {}
    }
    for res in &turn.results {
        let notes: String = res
            .notes
            .iter()
            .map(|n| format!("<p class=\"muted\">{}</p>", esc(n)))
            .collect();
        let _ = write!(
            b,
            "<details><summary><code>{}</code> {} ({}{}{})</summary><pre>{}</pre><pre>{}</pre>{notes}</details>",
            esc(&res.tool),
            esc(&shorten(&res.arguments, 120)),
            written(&res.how),
            if res.is_error { ", an error" } else { "" },
            res.cut_from
                .map(|n| format!(", cut from {n} bytes"))
                .unwrap_or_default(),
            esc(&pretty_json(&res.arguments)),
            esc(&res.text)
        );
    }
    // Calls the model made that got no result (after one the loop stopped at).
    for c in turn.reply.tool_calls.iter().skip(turn.results.len()) {
        let _ = write!(
            b,
            "<p>call <code>{}</code> {} <span class=\"muted\">(not answered: the loop stopped before it)</span></p>",
            esc(&c.name),
            esc(&shorten(&c.arguments, 120))
        );
    }
}

/// A single-turn trial's reply: its text and its calls.
fn write_reply(b: &mut String, reply: Option<&ReplyRecord>) {
    if let Some(reply) = reply {
        if let Some(c) = reply.content.as_deref().filter(|c| !c.is_empty()) {
            let _ = write!(b, "<p>reply:</p><pre>{}</pre>", esc(c));
        }
        for c in &reply.tool_calls {
            let _ = write!(
                b,
                "<p>call <code>{}</code>{}</p><pre>{}</pre>",
                esc(&c.name),
                if c.recovered {
                    " <span class=\"muted\">(recovered from the text)</span>"
                } else {
                    ""
                },
                esc(&pretty_json(&c.arguments))
            );
        }
        if reply.tool_calls.is_empty() && reply.content.is_none() {
            b.push_str("<p class=\"muted\">an empty reply</p>");
        }
    }
}

impl Tokens<'_> {
    /// Tags and suites named by tokens in the attributes (`g0`, `s1`): a name may hold spaces
    /// or quotes, and two names must never become one value.
    fn of(r: &Report) -> Tokens<'_> {
        let mut tags: BTreeSet<&str> = BTreeSet::new();
        for s in &r.suites {
            for t in &s.tasks {
                tags.extend(t.tags.iter().map(String::as_str));
            }
        }
        Tokens {
            tags: tags
                .iter()
                .enumerate()
                .map(|(i, t)| (*t, format!("g{i}")))
                .collect(),
            suites: r
                .suites
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.as_str(), format!("s{i}")))
                .collect(),
        }
    }
}

/// The filters: hidden until the script shows them (without it, every task shows).
fn filters(counts: &[(Outcome, usize)], tokens: &Tokens<'_>, r: &Report) -> String {
    let mut splits = BTreeSet::new();
    for s in &r.suites {
        for t in &s.tasks {
            if let Some(sp) = t.split {
                splits.insert(sp.as_str());
            }
        }
    }
    let options = |name: &str, label: &str, values: Vec<(String, String)>| {
        let mut s =
            format!("<label>{label} <select name=\"{name}\"><option value=\"\">any</option>");
        for (value, shown) in values {
            let _ = write!(
                s,
                "<option value=\"{}\">{}</option>",
                esc(&value),
                esc(&shown)
            );
        }
        s.push_str("</select></label>");
        s
    };
    let named = |m: &BTreeMap<&str, String>| {
        let mut v: Vec<(String, String)> = m
            .iter()
            .map(|(k, t)| (t.clone(), (*k).to_owned()))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    };
    format!(
        "<div id=\"filters\" class=\"filters\" hidden>{}{}{}{}<span id=\"shown\" class=\"muted\"></span></div>",
        options(
            "outcome",
            "outcome",
            counts
                .iter()
                .map(|(o, _)| (o.as_str().to_owned(), o.as_str().to_owned()))
                .collect()
        ),
        options("tag", "tag", named(&tokens.tags)),
        options("suite", "suite", named(&tokens.suites)),
        options(
            "split",
            "split",
            splits
                .into_iter()
                .map(|x| (x.to_owned(), x.to_owned()))
                .collect()
        ),
    )
}

/// The first `n` characters of a text, with an ellipsis when cut.
fn shorten(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

fn tools(r: &Report) -> String {
    let stats: BTreeMap<&str, &crate::score::ToolStats> = r
        .summary
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let mut b = String::from(
        "<h2 id=\"tools\">Tools</h2><p class=\"muted\">Click a column to sort. Precision: of the calls of a tool, how many were expected; recall: of the expected calls, how many were made.</p><table class=\"sortable\"><thead><tr><th>tool</th><th>server</th><th>calls</th><th class=\"num\">tokens</th><th class=\"num\">precision</th><th class=\"num\">recall</th><th class=\"num\">TP</th><th class=\"num\">FP</th><th class=\"num\">FN</th><th>description</th></tr></thead><tbody>",
    );
    for t in &r.tools.tools {
        let s = stats.get(t.name.as_str());
        let _ = write!(
            b,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&t.name),
            if t.overridden.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=\"muted\">(overridden: {})</span>",
                    esc(&t.overridden.join(", "))
                )
            },
            esc(&t.server),
            t.effect().as_str(),
            t.tokens.map_or_else(String::new, |x| x.to_string()),
            pct(s.and_then(|s| s.precision)),
            pct(s.and_then(|s| s.recall)),
            s.map_or(0, |s| s.true_positives),
            s.map_or(0, |s| s.false_positives),
            s.map_or(0, |s| s.false_negatives),
            esc(&t.description)
        );
    }
    b.push_str("</tbody></table>");
    b
}

/// Expected x chosen, as a heat map with counts: the diagonal is the tool called when expected.
fn confusions(r: &Report) -> String {
    let mut b = String::from("<h2 id=\"confusions\">Confusions (expected x chosen)</h2>");
    let c = &r.summary.confusions;
    if c.is_empty() {
        b.push_str("<p>No confusion: no trial called one tool where another was expected.</p>");
        return b;
    }
    let mut labels: BTreeSet<&str> = BTreeSet::new();
    for x in c {
        labels.insert(&x.expected);
        labels.insert(&x.chosen);
    }
    let labels: Vec<&str> = labels.into_iter().collect();
    let mut counts: BTreeMap<(&str, &str), (usize, Option<f64>)> = BTreeMap::new();
    for x in c {
        counts.insert((&x.expected, &x.chosen), (x.count, x.similarity));
    }
    for t in &r.summary.tools {
        if labels.contains(&t.name.as_str()) && t.true_positives > 0 {
            counts.insert((&t.name, &t.name), (t.true_positives, None));
        }
    }
    let max = counts.values().map(|(n, _)| *n).max().unwrap_or(1).max(1);
    b.push_str("<p class=\"muted\">Rows: the tool expected; columns: the tool called in its place (<code>(none)</code>: no tool). The diagonal counts the calls that were right. Hover a cell for how alike the two descriptions read.</p><table class=\"heat\"><thead><tr><th>expected \\ chosen</th>");
    for l in &labels {
        let _ = write!(b, "<th class=\"rot\">{}</th>", esc(l));
    }
    b.push_str("</tr></thead><tbody>");
    for e in &labels {
        let _ = write!(b, "<tr><th>{}</th>", esc(e));
        for ch in &labels {
            match counts.get(&(*e, *ch)) {
                Some((n, sim)) => {
                    let alpha = 0.15 + 0.85 * (*n as f64 / max as f64);
                    let color = if e == ch { "0,158,115" } else { "213,94,0" };
                    let title = match sim {
                        Some(s) => {
                            format!("{e} -> {ch}: {n} (descriptions {:.0}% alike)", s * 100.0)
                        }
                        None => format!("{e} -> {ch}: {n}"),
                    };
                    let _ = write!(
                        b,
                        "<td style=\"background:rgba({color},{alpha:.2})\" title=\"{}\">{n}</td>",
                        esc(&title)
                    );
                }
                None => b.push_str("<td></td>"),
            }
        }
        b.push_str("</tr>");
    }
    b.push_str("</tbody></table>");
    b
}

fn findings(r: &Report) -> String {
    let found = crate::lint::lint(
        &r.tools,
        &r.lint.clone().unwrap_or_default(),
        r.max_tool_tokens,
    );
    let mut b = String::from(
        "<h2 id=\"lint\">Lint findings and token costs</h2><p class=\"muted\">Token costs per tool are in the tools table above.</p>",
    );
    if found.is_empty() {
        b.push_str("<p>None.</p>");
        return b;
    }
    b.push_str("<table class=\"sortable\"><thead><tr><th>severity</th><th>rule</th><th>tools</th><th>finding</th><th>fix</th></tr></thead><tbody>");
    for f in &found {
        let _ = write!(
            b,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.severity.as_str(),
            f.rule.id(),
            esc(&f.tools.join(", ")),
            esc(&f.message),
            esc(&f.hint)
        );
    }
    b.push_str("</tbody></table>");
    b
}
