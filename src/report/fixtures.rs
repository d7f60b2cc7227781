//! Reports for tests: the committed demo baseline, and a head run derived from it.

use crate::record::Outcome;

use super::*;

/// The committed demo baseline: 40 tasks, one trial each, from the offline baseline model.
pub(crate) fn baseline() -> Report {
    parse_report(
        include_str!("../../reports/baseline-demo.json"),
        "reports/baseline-demo.json",
    )
    .expect("the demo baseline parses")
}

/// A server's instructions before and after the edit of `head`: its first and third lines
/// changed, the others kept.
pub(crate) const INSTRUCTIONS: [&str; 2] = [
    "Observability of the shop: logs, metrics, traces, incidents and alerts.
Search historical logs with `search_logs`; follow live logs with `tail_logs`.
Incidents are read by ID with `get_incident`.
Alerts firing now: `list_alerts`.
Deployments: `list_deployments`.
",
    "Observability of the shop's services: logs, metrics, traces, incidents and alerts.
Search historical logs with `search_logs`; follow live logs with `tail_logs`.
Incidents are read by ID (INC-1042) with `get_incident`.
Alerts firing now: `list_alerts`.
Deployments: `list_deployments`.
",
];

/// `r` with its server's instructions as they were before `head` edited them (the demo server
/// gives none).
pub(crate) fn instructed(mut r: Report) -> Report {
    r.servers[0].instructions = Some(INSTRUCTIONS[0].into());
    r
}

/// The baseline after a description edit: one task fixed, one regressed, one tool's description
/// and schema changed, a model parameter changed, the server's instructions edited (as
/// `INSTRUCTIONS` shows), run as the variant `sharper`.
pub(crate) fn head() -> Report {
    let mut r = baseline();
    r.servers[0].instructions = Some(INSTRUCTIONS[1].into());
    r.servers[0].instructions_overridden = true;
    r.started_at = "2026-11-26T09:00:00Z".into();
    r.variant = Some("sharper".into());
    r.descriptions_file = Some("descriptions/sharper.yaml".into());
    r.tools.hash = "sha256:0123456789abcdef".into();
    r.model
        .parameters
        .insert("threshold".into(), serde_json::json!(2.0));
    let logs = r
        .tools
        .tools
        .iter_mut()
        .find(|t| t.name == "search_logs")
        .expect("the demo has search_logs");
    logs.description = logs
        .description
        .replacen("Search historical", "Search past", 1);
    logs.input_schema["required"] = serde_json::json!(["service", "since"]);
    for t in &mut r.trials {
        match t.task.as_str() {
            "logs-checkout-errors" => {
                t.outcome = Outcome::Pass;
                t.reason = "every expected call matched".into();
            }
            "traces-by-id" => {
                t.outcome = Outcome::WrongTool;
                t.called = vec!["search_logs".into()];
                t.reason = "expected `get_trace`, called `search_logs`".into();
            }
            _ => {}
        }
    }
    resummarize(&mut r);
    r
}

/// Summarizes `r` again from its trials, after a test changed them.
pub(crate) fn resummarize(r: &mut Report) {
    let order: Vec<(&str, &str)> = r
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| (s.name.as_str(), t.id.as_str())))
        .collect();
    let names: Vec<String> = r.tools.tools.iter().map(|t| t.name.clone()).collect();
    r.summary = crate::score::summarize(&r.trials, &order, &names, r.eval.min_accuracy);
}
