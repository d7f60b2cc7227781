//! The gate: what fails a run (`--fail-on`), decided from a report and its diff against the
//! baseline. Deciding only: writing and printing belong to the commands.

mod baseline;

pub use baseline::load_baseline;

use crate::cli::{FailOn, GateArgs};
use crate::error::{Error, Result, exit};
use crate::report::{GateFailure, Report, ReportDiff, TaskStatus};
use crate::score::TaskState;

/// Checks the gate's arguments before any work is done.
pub fn check_args(gate: &GateArgs, has_baseline: bool, tool_floor: Option<f64>) -> Result<()> {
    if !(0.0..1.0).contains(&gate.alpha) || gate.alpha == 0.0 {
        return Err(Error::usage(
            format!("--alpha {} must lie between 0 and 1", gate.alpha),
            Some("0.05 is usual".to_owned()),
        ));
    }
    for c in &gate.fail_on {
        match c {
            FailOn::SignificantRegression | FailOn::Regression if !has_baseline => {
                return Err(Error::usage(
                    format!("--fail-on {} needs a baseline to compare with", name(*c)),
                    Some("pass --baseline REPORT, or set `baseline:` in the eval file".to_owned()),
                ));
            }
            FailOn::ToolFloor if tool_floor.is_none() => {
                return Err(Error::usage(
                    "--fail-on tool-floor needs a floor",
                    Some("pass --tool-floor 0.8, or set `tool_floor:` in the eval file".to_owned()),
                ));
            }
            _ => {}
        }
    }
    if let Some(f) = tool_floor
        && !(0.0..=1.0).contains(&f)
    {
        return Err(Error::usage(
            format!("the tool floor {f} must lie between 0 and 1"),
            None,
        ));
    }
    if gate.update_baseline && !has_baseline {
        return Err(Error::usage(
            "--update-baseline needs a baseline path",
            Some("pass --baseline PATH, or set `baseline:` in the eval file".to_owned()),
        ));
    }
    Ok(())
}

fn name(c: FailOn) -> &'static str {
    match c {
        FailOn::SignificantRegression => "significant-regression",
        FailOn::Regression => "regression",
        FailOn::MinAccuracy => "min-accuracy",
        FailOn::ToolFloor => "tool-floor",
        FailOn::Critical => "critical",
        FailOn::TokenBudget => "token-budget",
    }
}

/// The exit code of the conditions that held.
pub fn exit_code(failures: &[GateFailure]) -> i32 {
    if failures.is_empty() {
        exit::OK
    } else {
        exit::GATE_FAILED
    }
}

/// The conditions that hold, each with its sentence and the tasks it names.
pub fn evaluate(
    conditions: &[FailOn],
    r: &Report,
    diff: Option<&ReportDiff>,
    tool_floor: Option<f64>,
) -> Vec<GateFailure> {
    conditions
        .iter()
        .flat_map(|c| match c {
            FailOn::MinAccuracy => below_min_accuracy(r),
            FailOn::Regression => diff.map(regressed_tasks).unwrap_or_default(),
            FailOn::SignificantRegression => diff.map(significant_drops).unwrap_or_default(),
            FailOn::ToolFloor => tools_under_floor(r, tool_floor.unwrap_or(0.0)),
            FailOn::TokenBudget => over_token_budget(r),
            FailOn::Critical => failing_critical_tasks(r),
        })
        .collect()
}

/// A failure of the run as a whole, naming no task.
fn whole(kind: &'static str, message: String) -> GateFailure {
    GateFailure {
        message,
        kind,
        tasks: Vec::new(),
    }
}

fn below_min_accuracy(r: &Report) -> Vec<GateFailure> {
    let (Some(min), Some(false)) = (r.summary.min_accuracy, r.summary.meets_min_accuracy) else {
        return Vec::new();
    };
    let got = r.summary.full_call.and_then(|f| f.rate).unwrap_or(0.0);
    vec![whole(
        "min accuracy",
        format!(
            "full-call accuracy {:.1}% is below min_accuracy {:.1}%",
            got * 100.0,
            min * 100.0
        ),
    )]
}

fn regressed_tasks(d: &ReportDiff) -> Vec<GateFailure> {
    let ids: Vec<&str> = d
        .tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Regressed)
        .map(|t| t.id.as_str())
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    vec![GateFailure {
        message: format!("{} task(s) regressed: {}", ids.len(), ids.join(", ")),
        kind: "regressed",
        tasks: ids.into_iter().map(str::to_owned).collect(),
    }]
}

fn significant_drops(d: &ReportDiff) -> Vec<GateFailure> {
    [("full-call", &d.test), ("selection", &d.selection_test)]
        .into_iter()
        .filter_map(|(what, t)| {
            let t = t.as_ref()?;
            (t.significant() && t.mean_diff < 0.0).then(|| GateFailure {
                message: format!("{what} accuracy fell significantly: {}", t.verdict()),
                kind: "significant regression",
                // The tasks that fell carry the drop: each is pointed at.
                tasks: d
                    .tasks
                    .iter()
                    .filter(|t| t.status == TaskStatus::Regressed)
                    .map(|t| t.id.clone())
                    .collect(),
            })
        })
        .collect()
}

fn tools_under_floor(r: &Report, floor: f64) -> Vec<GateFailure> {
    r.summary
        .tools
        .iter()
        .filter_map(|t| {
            let recall = t.recall?;
            (recall < floor).then(|| {
                whole(
                    "tool floor",
                    format!(
                        "tool `{}` has recall {:.0}%, below the floor {:.0}%",
                        t.name,
                        recall * 100.0,
                        floor * 100.0
                    ),
                )
            })
        })
        .collect()
}

fn over_token_budget(r: &Report) -> Vec<GateFailure> {
    let Some(max) = r.max_tool_tokens else {
        return Vec::new();
    };
    let total = r.tools.total_tokens();
    if total <= max {
        return Vec::new();
    }
    vec![whole(
        "token budget",
        format!("the tool set costs {total} tokens, over max_tool_tokens {max}"),
    )]
}

fn failing_critical_tasks(r: &Report) -> Vec<GateFailure> {
    let critical: std::collections::HashSet<&str> = r
        .suites
        .iter()
        .flat_map(|s| &s.tasks)
        .filter(|t| t.tags.iter().any(|g| g == "critical"))
        .map(|t| t.id.as_str())
        .collect();
    r.summary
        .tasks
        .iter()
        .filter(|t| critical.contains(t.id.as_str()))
        .filter(|t| matches!(t.state(), TaskState::Fail | TaskState::Flaky))
        .map(|t| GateFailure {
            message: format!(
                "critical task `{}` failed: {}",
                t.id,
                t.failure.clone().unwrap_or_default()
            ),
            kind: "critical",
            tasks: vec![t.id.clone()],
        })
        .collect()
}
