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

/// The baseline after a description edit: one task fixed, one regressed, one tool's description
/// and schema changed, a model parameter changed, run as the variant `sharper`.
pub(crate) fn head() -> Report {
    let mut r = baseline();
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
