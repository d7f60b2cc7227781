//! What the writer is shown about each tool it is asked to rewrite, gathered from the tune
//! tasks of a report: the tasks that failed (prompt, expected call, actual call, reason), the
//! tools it was confused with and how alike their descriptions read, lint findings, token cost.
//! Holdout tasks never enter it.

use std::collections::{BTreeMap, HashSet};

use crate::config::LintConfig;
use crate::lint::{self, Severity};
use crate::mcp::ToolSet;
use crate::record::Outcome;
use crate::report::{Confused, Failure, Report, ToolEvidence};

/// The evidence of a report's tune tasks, per implicated tool, most failures first; at most
/// `max_tools` tools.
pub(crate) fn gather(
    report: &Report,
    tune: &HashSet<String>,
    tools: &ToolSet,
    lint_cfg: &LintConfig,
    max_tools: usize,
) -> Vec<ToolEvidence> {
    let tune_report = super::decide::subset(report, tune);
    let known: HashSet<&str> = tools.tools.iter().map(|t| t.name.as_str()).collect();
    let failures = failures(&tune_report, &known);

    let mut by_tool: BTreeMap<String, ToolEvidence> = BTreeMap::new();
    for (f, implicated) in &failures {
        for t in implicated {
            by_tool
                .entry(t.clone())
                .or_insert_with(|| empty(t, tools))
                .failures
                .push(f.clone());
        }
    }
    for c in &tune_report.summary.confusions {
        for side in [&c.expected, &c.chosen] {
            if let Some(e) = by_tool.get_mut(side) {
                e.confusions.push(Confused {
                    expected: c.expected.clone(),
                    chosen: c.chosen.clone(),
                    count: c.count,
                    similarity: c.similarity,
                });
            }
        }
    }
    for f in lint::lint(tools, lint_cfg, None) {
        if f.severity == Severity::Info {
            continue;
        }
        for t in &f.tools {
            if let Some(e) = by_tool.get_mut(t) {
                e.findings.push(format!("{}: {}", f.rule.id(), f.message));
            }
        }
    }
    let mut out: Vec<ToolEvidence> = by_tool.into_values().collect();
    // Most failing trials first; of equals, the tool that was expected before the one chosen in
    // its place.
    let expected = |e: &ToolEvidence| {
        e.failures
            .iter()
            .filter(|f| f.expected.contains(&format!("\"{}\"", e.tool)))
            .count()
    };
    out.sort_by(|a, b| {
        (b.weight(), expected(b))
            .cmp(&(a.weight(), expected(a)))
            .then_with(|| a.tool.cmp(&b.tool))
    });
    out.truncate(max_tools);
    out
}

/// Each task with failing trials, in suite order: its first failure, and the known tools it
/// implicates (expected or called), each once.
fn failures(report: &Report, known: &HashSet<&str>) -> Vec<(Failure, Vec<String>)> {
    let tasks: BTreeMap<&str, &crate::config::Task> = report
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| (t.id.as_str(), &**t)))
        .collect();

    let mut failures: Vec<(Failure, Vec<String>)> = Vec::new();
    let by_task = crate::score::TrialsByTask::new(&report.trials);
    for s in &report.summary.tasks {
        let trials = by_task.of(&s.id);
        let failed: Vec<_> = trials
            .iter()
            .filter(|t| t.outcome != Outcome::Pass && t.outcome != Outcome::Error)
            .collect();
        let (Some(first), Some(task)) = (failed.first(), tasks.get(s.id.as_str())) else {
            continue;
        };
        // Each tool once, even when a task expects it twice.
        let mut implicated: Vec<String> = Vec::new();
        for t in &failed {
            for c in t.expected.iter().chain(&t.called) {
                if known.contains(c.as_str()) && !implicated.contains(c) {
                    implicated.push(c.clone());
                }
            }
        }
        implicated.retain(|t| known.contains(t.as_str()));
        let actual = first
            .replies()
            .iter()
            .flat_map(|r| &r.tool_calls)
            .map(|c| format!("{}({})", c.name, c.arguments))
            .collect();
        failures.push((
            Failure {
                task: s.id.clone(),
                prompt: task.prompt.user_text(),
                expected: expected_text(task),
                actual,
                outcome: first.outcome,
                reason: first.reason.clone(),
                failed: failed.len(),
                trials: trials.len(),
            },
            implicated,
        ));
    }
    failures
}

fn empty(tool: &str, tools: &ToolSet) -> ToolEvidence {
    ToolEvidence {
        tool: tool.to_owned(),
        failures: Vec::new(),
        confusions: Vec::new(),
        findings: Vec::new(),
        tokens: tools.by_name(tool).and_then(|t| t.tokens),
    }
}

/// What a task expects, as written in the suite: its `expect`, and in agent mode its
/// `trajectory` and `answer` checks too (compact JSON).
fn expected_text(task: &crate::config::Task) -> String {
    let expect = task
        .expect
        .as_ref()
        .and_then(|e| serde_json::to_value(e).ok());
    if task.trajectory.is_none() && task.answer.is_none() {
        return expect.map_or_else(|| "none".into(), |e| e.to_string());
    }
    let mut all = serde_json::Map::new();
    if let Some(e) = expect {
        all.insert("expect".into(), e);
    }
    if let Some(t) = task
        .trajectory
        .as_ref()
        .and_then(|t| serde_json::to_value(t).ok())
    {
        all.insert("trajectory".into(), t);
    }
    if let Some(a) = task
        .answer
        .as_ref()
        .and_then(|a| serde_json::to_value(a).ok())
    {
        all.insert("answer".into(), a);
    }
    serde_json::Value::Object(all).to_string()
}
