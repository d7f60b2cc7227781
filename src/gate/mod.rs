//! The gate: what fails a run (`--fail-on`), decided from a report and its diff against the
//! baseline. Deciding only: writing and printing belong to the commands.

mod baseline;

pub(crate) use baseline::load_baseline;

use std::path::PathBuf;

use crate::error::{Error, Result, exit};
use crate::report::{GateFailure, Report, ReportDiff, TaskStatus};
use crate::score::TaskState;

/// What fails a run (exit code 1); `--fail-on` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailOn {
    /// Full-call or selection accuracy fell, and the paired test says it is not noise.
    SignificantRegression,
    /// Any task that passed every trial in the baseline does not now.
    Regression,
    /// Full-call accuracy is below the eval file's `min_accuracy`.
    MinAccuracy,
    /// A tool's recall is below the tool floor.
    ToolFloor,
    /// A task tagged `critical` did not pass every trial.
    Critical,
    /// The tool set costs more tokens than the eval file's `max_tool_tokens`.
    TokenBudget,
    /// Under a deferring host, search returned the expected tool less often than the floor.
    SearchHitRate,
    /// The servers' tool definitions differ from the lock file's (checked before any request).
    ToolsChanged,
}

impl FailOn {
    /// The condition's name on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            FailOn::SignificantRegression => "significant-regression",
            FailOn::Regression => "regression",
            FailOn::MinAccuracy => "min-accuracy",
            FailOn::ToolFloor => "tool-floor",
            FailOn::Critical => "critical",
            FailOn::TokenBudget => "token-budget",
            FailOn::SearchHitRate => "search-hit-rate",
            FailOn::ToolsChanged => "tools-changed",
        }
    }
}

/// What to compare a run against and what fails it, as the command line asked.
#[derive(Debug, Clone)]
pub(crate) struct GateSettings {
    /// The baseline report's path, when given on the command line (else the eval file's).
    pub baseline: Option<PathBuf>,
    /// Read the baseline as it is at this git ref.
    pub baseline_ref: Option<String>,
    /// Write the run's report over the baseline file.
    pub update_baseline: bool,
    /// The conditions that fail the run; empty: the default ones.
    pub fail_on: Vec<FailOn>,
    /// The lowest recall any tool may have (else the eval file's `tool_floor`).
    pub tool_floor: Option<f64>,
    /// The lowest search hit rate, for `--fail-on search-hit-rate`.
    pub min_search_hit_rate: Option<f64>,
    /// Where JUnit XML goes.
    pub junit: Option<PathBuf>,
    /// Compare only the tasks both runs share.
    pub common_tasks: bool,
    /// The significance level of the paired test.
    pub alpha: f64,
    /// Gate a report that lacks tasks on the tasks that ran.
    pub allow_incomplete: bool,
}

impl GateSettings {
    /// No baseline, the default conditions, the usual 0.05: also the gate of a report that is
    /// not gated (a `static` can hold it).
    pub(crate) const NONE: GateSettings = GateSettings {
        baseline: None,
        baseline_ref: None,
        update_baseline: false,
        fail_on: Vec::new(),
        tool_floor: None,
        min_search_hit_rate: None,
        junit: None,
        common_tasks: false,
        alpha: 0.05,
        allow_incomplete: false,
    };
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings::NONE
    }
}

/// Checks the gate's settings before any work is done.
pub(crate) fn check_args(
    gate: &GateSettings,
    has_baseline: bool,
    tool_floor: Option<f64>,
) -> Result<()> {
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
                    format!("--fail-on {} needs a baseline to compare with", c.name()),
                    Some("pass --baseline REPORT, or set `baseline:` in the eval file".to_owned()),
                ));
            }
            FailOn::SearchHitRate if gate.min_search_hit_rate.is_none() => {
                return Err(Error::usage(
                    "--fail-on search-hit-rate needs a floor",
                    Some("pass --min-search-hit-rate 0.9".to_owned()),
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

/// The exit code of the conditions that held.
pub(crate) fn exit_code(failures: &[GateFailure]) -> i32 {
    if failures.is_empty() {
        exit::OK
    } else {
        exit::GATE_FAILED
    }
}

/// The conditions that hold, each with its sentence and the tasks it names.
pub(crate) fn evaluate(
    conditions: &[FailOn],
    r: &Report,
    diff: Option<&ReportDiff>,
    tool_floor: Option<f64>,
    min_search_hit_rate: Option<f64>,
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
            FailOn::SearchHitRate => below_search_floor(r, min_search_hit_rate.unwrap_or(0.0)),
            // Held against the lock file before the first request (`commands/lock.rs`): a run
            // that got this far had the definitions it locked.
            FailOn::ToolsChanged => Vec::new(),
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

/// Search returned the expected tools less often than `floor`, naming the tools it missed. A
/// run that deferred no tools does not fail it.
fn below_search_floor(r: &Report, floor: f64) -> Vec<GateFailure> {
    let Some(s) = &r.summary.search else {
        return Vec::new();
    };
    let Some(rate) = s.hit_rate.rate.filter(|rate| *rate + 1e-12 < floor) else {
        return Vec::new();
    };
    let missed: Vec<String> = s
        .tools
        .iter()
        .filter(|t| t.never_found > 0)
        .map(|t| t.name.clone())
        .collect();
    vec![GateFailure {
        message: format!(
            "search hit rate {:.1}% is below {:.1}%; never found: {}",
            rate * 100.0,
            floor * 100.0,
            if missed.is_empty() {
                "none".to_owned()
            } else {
                missed.join(", ")
            }
        ),
        kind: "search hit rate",
        tasks: Vec::new(),
    }]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Outcome;
    use crate::report::fixtures::{baseline, head, resummarize};
    use crate::report::{DiffOptions, diff_reports};

    fn args(fail_on: &[FailOn]) -> GateSettings {
        GateSettings {
            fail_on: fail_on.to_vec(),
            ..GateSettings::default()
        }
    }

    fn refused(gate: &GateSettings, has_baseline: bool, floor: Option<f64>) -> String {
        match check_args(gate, has_baseline, floor) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("accepted {gate:?} (baseline: {has_baseline}, floor: {floor:?})"),
        }
    }

    #[test]
    fn alpha_lies_strictly_between_0_and_1() {
        for ok in [0.05, 1e-9, 0.999] {
            let gate = GateSettings {
                alpha: ok,
                ..args(&[])
            };
            assert!(check_args(&gate, false, None).is_ok(), "{ok}");
        }
        for bad in [0.0, 1.0, -0.1, 1.5] {
            let gate = GateSettings {
                alpha: bad,
                ..args(&[])
            };
            assert!(refused(&gate, false, None).contains("must lie between 0 and 1"));
        }
    }

    #[test]
    fn comparing_conditions_need_a_baseline_and_the_floor_a_value() {
        for (c, name) in [
            (FailOn::Regression, "--fail-on regression needs a baseline"),
            (
                FailOn::SignificantRegression,
                "--fail-on significant-regression needs a baseline",
            ),
        ] {
            assert!(refused(&args(&[c]), false, None).contains(name));
            assert!(check_args(&args(&[c]), true, None).is_ok());
        }
        for c in [FailOn::MinAccuracy, FailOn::Critical, FailOn::TokenBudget] {
            assert!(check_args(&args(&[c]), false, None).is_ok(), "{c:?}");
        }
        let floor = args(&[FailOn::ToolFloor]);
        assert!(refused(&floor, true, None).contains("--fail-on tool-floor needs a floor"));
        for ok in [0.0, 0.8, 1.0] {
            assert!(check_args(&floor, false, Some(ok)).is_ok(), "{ok}");
        }
        // A floor out of range is refused even when no condition uses it.
        for bad in [-0.1, 1.01] {
            assert!(refused(&args(&[]), false, Some(bad)).contains("must lie between 0 and 1"));
        }
        let update = GateSettings {
            update_baseline: true,
            ..args(&[])
        };
        assert!(refused(&update, false, None).contains("--update-baseline needs a baseline"));
        assert!(check_args(&update, true, None).is_ok());
    }

    #[test]
    fn exit_code_is_1_when_a_condition_holds() {
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(exit_code(&[whole("min accuracy", "x".into())]), 1);
    }

    #[test]
    fn min_accuracy_fails_only_a_run_below_it() {
        let mut r = baseline();
        assert_eq!(r.summary.meets_min_accuracy, Some(true));
        assert!(evaluate(&[FailOn::MinAccuracy], &r, None, None, None).is_empty());
        r.eval.min_accuracy = Some(0.5);
        resummarize(&mut r);
        let failed = evaluate(&[FailOn::MinAccuracy], &r, None, None, None);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].kind, "min accuracy");
        assert_eq!(
            failed[0].message,
            "full-call accuracy 17.5% is below min_accuracy 50.0%"
        );
    }

    #[test]
    fn a_regression_names_the_tasks_that_fell() {
        let (base, head) = (baseline(), head());
        let diff = diff_reports(&base, &head, DiffOptions::default()).unwrap();
        let failed = evaluate(&[FailOn::Regression], &head, Some(&diff), None, None);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].kind, "regressed");
        assert_eq!(failed[0].tasks, ["traces-by-id"]);
        assert_eq!(failed[0].message, "1 task(s) regressed: traces-by-id");
        // No diff, nothing to regress from; a diff with no regression, nothing either.
        assert!(evaluate(&[FailOn::Regression], &head, None, None, None).is_empty());
        let same = diff_reports(&base, &base, DiffOptions::default()).unwrap();
        assert!(evaluate(&[FailOn::Regression], &base, Some(&same), None, None).is_empty());
    }

    /// The baseline with every passing trial turned into a wrong tool: 7 of 40 tasks fall.
    fn collapsed() -> Report {
        let mut r = baseline();
        for t in &mut r.trials {
            if t.outcome == Outcome::Pass {
                t.outcome = Outcome::WrongTool;
            }
        }
        resummarize(&mut r);
        r
    }

    #[test]
    fn only_a_significant_fall_fails_significant_regression() {
        let base = baseline();
        let c = [FailOn::SignificantRegression];
        // One task better and one worse is no significant change.
        let one = diff_reports(&base, &head(), DiffOptions::default()).unwrap();
        assert!(evaluate(&c, &head(), Some(&one), None, None).is_empty());
        // Seven tasks falling and none rising is.
        let fell = collapsed();
        let diff = diff_reports(&base, &fell, DiffOptions::default()).unwrap();
        let failed = evaluate(&c, &fell, Some(&diff), None, None);
        assert_eq!(
            failed.iter().map(|f| f.kind).collect::<Vec<_>>(),
            ["significant regression", "significant regression"],
            "{failed:?}"
        );
        assert!(
            failed[0]
                .message
                .starts_with("full-call accuracy fell significantly")
        );
        assert!(
            failed[1]
                .message
                .starts_with("selection accuracy fell significantly")
        );
        assert_eq!(failed[0].tasks.len(), 7);
        // The same change the other way is a significant rise, which fails nothing.
        let rose = diff_reports(&fell, &base, DiffOptions::default()).unwrap();
        assert!(rose.test.as_ref().unwrap().significant());
        assert!(evaluate(&c, &base, Some(&rose), None, None).is_empty());
    }

    #[test]
    fn the_tool_floor_fails_tools_strictly_below_it() {
        let r = baseline();
        let names = |floor: f64| -> Vec<String> {
            evaluate(&[FailOn::ToolFloor], &r, None, Some(floor), None)
                .into_iter()
                .map(|f| f.message)
                .collect()
        };
        assert!(names(0.0).is_empty());
        // Recall exactly at the floor holds: acknowledge_alert has 1/2, get_metric 1/3.
        let at_half = names(0.5);
        assert_eq!(at_half.len(), 5, "{at_half:?}");
        assert!(
            at_half
                .iter()
                .any(|m| m.contains("`get_metric` has recall 33%"))
        );
        assert!(!at_half.iter().any(|m| m.contains("`acknowledge_alert`")));
        assert_eq!(
            at_half[0],
            "tool `get_metric` has recall 33%, below the floor 50%"
        );
    }

    #[test]
    fn the_search_floor_fails_a_deferred_run_below_it_and_names_what_was_never_found() {
        let mut r = baseline();
        let c = [FailOn::SearchHitRate];
        // A run that deferred nothing has no search to judge.
        assert!(evaluate(&c, &r, None, None, Some(0.9)).is_empty());
        r.summary.search = Some(crate::score::SearchTotals {
            trials: 4,
            hit_rate: crate::score::Rate::new(3, 4),
            mean_rank: Some(1.0),
            searches: 4,
            turns: 4,
            tokens: 0,
            never_searched: 0,
            never_found: 1,
            found_not_chosen: 0,
            found: 3,
            tools: vec![crate::score::ToolSearch {
                name: "tail_logs".into(),
                expected: 2,
                found: 1,
                never_found: 1,
            }],
        });
        assert!(evaluate(&c, &r, None, None, Some(0.75)).is_empty());
        let failed = evaluate(&c, &r, None, None, Some(0.8));
        assert_eq!(failed.len(), 1);
        assert_eq!(
            failed[0].message,
            "search hit rate 75.0% is below 80.0%; never found: tail_logs"
        );
        let gate = GateSettings {
            fail_on: c.to_vec(),
            ..GateSettings::NONE
        };
        assert!(check_args(&gate, false, None).is_err());
    }

    #[test]
    fn the_token_budget_fails_a_tool_set_over_it() {
        let mut r = baseline();
        let total = r.tools.total_tokens();
        r.max_tool_tokens = None;
        assert!(evaluate(&[FailOn::TokenBudget], &r, None, None, None).is_empty());
        r.max_tool_tokens = Some(total);
        assert!(evaluate(&[FailOn::TokenBudget], &r, None, None, None).is_empty());
        r.max_tool_tokens = Some(total - 1);
        let failed = evaluate(&[FailOn::TokenBudget], &r, None, None, None);
        assert_eq!(failed.len(), 1);
        assert_eq!(
            failed[0].message,
            format!(
                "the tool set costs {total} tokens, over max_tool_tokens {}",
                total - 1
            )
        );
    }

    #[test]
    fn a_critical_task_fails_the_run_only_when_it_fails() {
        let mut r = baseline();
        let passing = r.summary.tasks.iter().find(|t| t.pass_rate == Some(1.0));
        let passing = passing.unwrap().id.clone();
        let failing = r.summary.tasks.iter().find(|t| t.pass_rate == Some(0.0));
        let failing = failing.unwrap().id.clone();
        assert!(evaluate(&[FailOn::Critical], &r, None, None, None).is_empty());
        for t in r.suites.iter_mut().flat_map(|s| &mut s.tasks) {
            if t.id == passing || t.id == failing {
                std::sync::Arc::make_mut(t).tags.push("critical".into());
            }
        }
        let failed = evaluate(&[FailOn::Critical], &r, None, None, None);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].tasks, std::slice::from_ref(&failing));
        assert!(
            failed[0]
                .message
                .starts_with(&format!("critical task `{failing}` failed: "))
        );
    }
}
