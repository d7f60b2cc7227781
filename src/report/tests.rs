//! Snapshots of every renderer on one fixed report: the committed demo baseline, and a head run
//! derived from it for the diff and the variants.

use crate::record::Outcome;
use crate::score::Rate;

use super::*;

/// The committed demo baseline: 40 tasks, one trial each, from the offline baseline model.
fn baseline() -> Report {
    parse_report(
        include_str!("../../reports/baseline-demo.json"),
        "reports/baseline-demo.json",
    )
    .expect("the demo baseline parses")
}

/// The baseline after a description edit: one task fixed, one regressed, one tool's description
/// and schema changed, a model parameter changed, run as the variant `sharper`.
fn head() -> Report {
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
    let order: Vec<(&str, &str)> = r
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| (s.name.as_str(), t.id.as_str())))
        .collect();
    let names: Vec<String> = r.tools.tools.iter().map(|t| t.name.clone()).collect();
    let summary = crate::score::summarize(&r.trials, &order, &names, r.eval.min_accuracy);
    r.summary = summary;
    r
}

fn diff() -> ReportDiff {
    diff_reports(&baseline(), &head(), DiffOptions::default()).expect("same suites")
}

fn point(line: &str, size: usize, tokens: usize, passes: usize, failing: &[&str]) -> SweepPoint {
    SweepPoint {
        line: line.into(),
        strategy: line.split('+').next().unwrap_or(line).into(),
        retrieve: None,
        size,
        tools: vec![],
        tool_tokens: tokens,
        selection: Some(Rate::new(passes + 1, 10)),
        full_call: Some(Rate::new(passes, 10)),
        prompt_tokens: Some(tokens as f64 + 120.4),
        latency_ms: 3.6 * size as f64,
        errors: 0,
        failing: failing.iter().map(|s| (*s).to_owned()).collect(),
        trials: vec![],
    }
}

/// Two lines over three sizes, each losing tasks as distractors are added.
fn sweep() -> SweepReport {
    let r = baseline();
    SweepReport {
        schema_version: SWEEP_SCHEMA_VERSION,
        kind: "sweep".into(),
        tooleval: r.tooleval,
        started_at: r.started_at,
        finished_at: r.finished_at,
        complete: true,
        eval: r.eval,
        model: r.model,
        seed: 7,
        needed: vec!["search_logs".into(), "get_metric".into()],
        distractors: 40,
        encoding: "o200k_base".into(),
        points: vec![
            point("random", 2, 510, 9, &["t3"]),
            point("random", 8, 1980, 7, &["t3", "t5", "t8"]),
            point("random", 32, 7940, 5, &["t1", "t3", "t5", "t8", "t9"]),
            point("similar", 2, 510, 9, &["t3"]),
            point("similar", 8, 2110, 5, &["t1", "t3", "t5", "t8", "t9"]),
            point(
                "similar",
                32,
                8020,
                3,
                &["t1", "t2", "t3", "t5", "t6", "t8", "t9"],
            ),
        ],
        breaks: vec![
            TaskBreak {
                line: "random".into(),
                task: "t5".into(),
                size: 8,
            },
            TaskBreak {
                line: "similar".into(),
                task: "t1".into(),
                size: 8,
            },
        ],
    }
}

/// One filter table for every snapshot: times, temporary paths, ports and versions.
#[path = "../../tests/cli/filters.rs"]
mod filters;

/// Snapshots named as they are, through the shared filter table.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    for (pattern, replacement) in filters::snapshot_filters() {
        s.add_filter(&pattern, replacement);
    }
    s
}

const WIDTH: u16 = 100;

#[test]
fn run_table() {
    settings().bind(|| insta::assert_snapshot!(render_table(&baseline(), WIDTH)));
}

#[test]
fn tools_table() {
    settings().bind(|| insta::assert_snapshot!(render_tools_table(&baseline().tools, WIDTH)));
}

#[test]
fn findings() {
    let tools = baseline().tools;
    let findings = crate::lint::lint(&tools, &Default::default(), None);
    settings().bind(|| {
        insta::assert_snapshot!("findings", render_findings(&findings, &tools, WIDTH, false));
        insta::assert_snapshot!(
            "findings_all",
            render_findings(&findings, &tools, WIDTH, true)
        );
    });
}

#[test]
fn diff_table() {
    settings().bind(|| insta::assert_snapshot!(render_diff_table(&diff(), WIDTH)));
}

#[test]
fn diff_markdown() {
    settings().bind(|| insta::assert_snapshot!(render_diff_markdown(&diff())));
}

#[test]
fn summary_markdown() {
    settings().bind(|| insta::assert_snapshot!(render_summary_markdown(&baseline())));
}

#[test]
fn variants_table() {
    let reports = [baseline(), head()];
    settings().bind(|| insta::assert_snapshot!(render_variants(&reports, WIDTH, 0.05)));
}

#[test]
fn sweep_table() {
    settings().bind(|| insta::assert_snapshot!(render_sweep_table(&sweep(), WIDTH)));
}

#[test]
fn sweep_svg() {
    settings().bind(|| insta::assert_snapshot!(render_sweep_svg(&sweep())));
}

#[test]
fn junit() {
    settings().bind(|| insta::assert_snapshot!(render_junit(&baseline())));
}

#[test]
fn github_annotations() {
    // The suite files are read relative to the crate root, where `cargo test` runs.
    settings().bind(|| insta::assert_snapshot!(render_annotations(&baseline())));
}

#[test]
fn summary_json() {
    let base = baseline();
    let d = diff();
    settings().bind(|| {
        insta::assert_json_snapshot!("summary_json", super::summary_json(&base, None));
        insta::assert_json_snapshot!("summary_json_diff", super::summary_json(&base, Some(&d)));
    });
}
