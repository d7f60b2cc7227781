//! JUnit XML: a test case per task, its trials in the output, for CI systems that read it.

use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::record::Outcome;
use crate::score::{TaskState, TrialsByTask};

/// The report as JUnit XML: one test suite per suite, one test case per task.
pub(crate) fn render_junit(r: &Report) -> String {
    let mut junit = quick_junit::Report::new("tooleval");
    let by_task = TrialsByTask::new(&r.trials);
    for suite in &r.suites {
        let mut ts = TestSuite::new(suite.name.clone());
        for task in r.summary.tasks.iter().filter(|t| t.suite == suite.name) {
            let trials = by_task.of(&task.id);
            let mut status = match task.state() {
                TaskState::Pass => TestCaseStatus::success(),
                TaskState::Unscored if task.trials == 0 => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message("not run");
                    s
                }
                TaskState::Unscored => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_type("error");
                    s
                }
                TaskState::Flaky => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_type("flaky");
                    s
                }
                TaskState::Fail => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    let first = trials.iter().find(|t| t.outcome != Outcome::Pass);
                    s.set_type(first.map_or("failure", |t| t.outcome.as_str()));
                    s
                }
            };
            if let Some(why) = &task.failure {
                status.set_message(format!("{}/{} passed; {why}", task.passes, task.scored()));
            }
            let mut case = TestCase::new(task.id.clone(), status);
            case.set_classname(suite.name.clone());
            let ms: u64 = trials.iter().map(|t| t.latency_ms).sum();
            case.set_time(Duration::from_millis(ms));
            let out: String = trials
                .iter()
                .map(|t| {
                    format!(
                        "trial {}: {}: {}\n",
                        t.trial + 1,
                        t.outcome.as_str(),
                        t.reason
                    )
                })
                .collect();
            case.set_system_out(out);
            ts.add_test_case(case);
        }
        junit.add_test_suite(ts);
    }
    junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot render JUnit: {e} -->\n"))
}
