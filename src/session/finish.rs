//! After a run or a merge: the report written (never lost), the baseline compared, the outputs
//! CI reads (JUnit, the job summary, annotations), the summary shown, and the gate's exit code.
//! Each step is its own function; `finish` is their sequence.

use std::path::{Path, PathBuf};

use crate::error::{Result, exit};
use crate::gate::{self, FailOn, GateSettings};
use crate::output::Output;
use crate::record::Outcome;
use crate::report::{self, DiffOptions, Report, ReportDiff, Verdict};

/// What the terminal shows of a report's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Show {
    /// Nothing: `--quiet`, or the command shows a combined summary of its own (the variants
    /// side by side, the models of a matrix).
    Nothing,
    /// A table on stderr, the tasks that did not pass one line each.
    Failing,
    /// A table on stderr with every task (`--verbose`).
    Every,
    /// The summary as JSON on stdout.
    Json,
}

/// Where the outputs go and what fails the run.
pub(crate) struct Finish<'a> {
    pub out: PathBuf,
    pub show: Show,
    /// Stdout carries JSON (this summary or the command's own): annotations go to stderr.
    pub stdout_json: bool,
    pub gate: &'a GateSettings,
    /// The baseline path from the eval file, when `--baseline` is not given.
    pub eval_baseline: Option<PathBuf>,
    pub eval_tool_floor: Option<f64>,
    pub interrupted: bool,
    /// The run stopped at a failure no retry can cure; the caller reports that error, once.
    pub stopped: bool,
    /// Whether `--fail-on` applies (not to variants beside the servers' own texts).
    pub gate_enabled: bool,
}

/// The gate of a report that is not gated: no baseline, no condition.
static NO_GATE: GateSettings = GateSettings::NONE;

impl<'a> Finish<'a> {
    /// The finish of one measurement of `eval` (a run, a variant, a model of a matrix) that
    /// `ended` so, its report written to `out`. Only a `gated` one (the servers' own texts, the
    /// first model) is compared with the baseline and gated: a baseline was recorded under one
    /// set of texts, by one model.
    pub(crate) fn measured(
        out: PathBuf,
        eval: &crate::config::Eval,
        gate: &'a GateSettings,
        ended: &super::variant::Ended,
        gated: bool,
        show: Show,
        stdout_json: bool,
    ) -> Finish<'a> {
        Finish {
            out,
            show,
            stdout_json,
            gate: if gated { gate } else { &NO_GATE },
            eval_baseline: if gated { eval.baseline.clone() } else { None },
            eval_tool_floor: eval.tool_floor,
            interrupted: ended.interrupted,
            stopped: ended.fatal.is_some(),
            gate_enabled: gated,
        }
    }
}

impl Finish<'_> {
    fn baseline_path(&self) -> Option<PathBuf> {
        self.gate
            .baseline
            .clone()
            .or_else(|| self.eval_baseline.clone())
    }

    /// Where the baseline comes from, as the outputs name it: `origin/main:reports/b.json` with
    /// `--baseline-ref`, else the file.
    fn baseline_source(&self) -> Option<String> {
        let path = self.baseline_path()?;
        Some(match &self.gate.baseline_ref {
            Some(r) => format!("{r}:{}", path.display()),
            None => path.display().to_string(),
        })
    }
}

/// Writes the report and every requested output, shows the summary, and returns the exit code.
pub(crate) fn finish(out: &Output, report: &Report, f: &Finish) -> Result<i32> {
    finish_with(out, report, f).map(|done| done.code)
}

/// What finishing decided, for outputs written after it (the run's page).
pub(crate) struct Finished {
    pub code: i32,
    /// The comparison with the baseline, when there was one.
    pub diff: Option<ReportDiff>,
    pub verdict: Verdict,
}

/// [`finish`], keeping the comparison and the gate's verdict.
pub(crate) fn finish_with(out: &Output, report: &Report, f: &Finish) -> Result<Finished> {
    let written = write_report(out, report, &f.out)?;
    let diff = compare_with_baseline(report, f)?;
    let verdict = decide(report, diff.as_ref(), f);
    show(out, report, diff.as_ref(), &verdict, f);
    out.say(&format!("report: {}\n", written.display()));
    write_ci_outputs(out, report, diff.as_ref(), &verdict, f)?;
    update_baseline(out, report, f)?;
    let code = exit_code(out, report, &verdict, f);
    Ok(Finished {
        code,
        diff,
        verdict,
    })
}

/// Writes the report where asked; when that fails, to a new file in the temporary folder, so
/// that what the run obtained is kept.
pub(crate) fn write_report(
    out: &Output,
    report: &impl serde::Serialize,
    path: &Path,
) -> Result<PathBuf> {
    match out.write_json(path, report) {
        Ok(()) => Ok(path.to_path_buf()),
        Err(e) => {
            out.say(&e.render());
            let fallback = report::fallback_path()?;
            out.write_json(&fallback, report)?;
            out.say(&format!(
                "the report was written to {} instead\n",
                fallback.display()
            ));
            Ok(fallback)
        }
    }
}

/// The diff against the baseline, when there is one to compare with (not for an interrupted
/// run or a shard: their reports hold part of the trials).
fn compare_with_baseline(report: &Report, f: &Finish) -> Result<Option<ReportDiff>> {
    let baseline = match f.baseline_path() {
        Some(p) if !f.interrupted && !f.stopped && report.shard.is_none() => {
            gate::load_baseline(&p, f.gate.baseline_ref.as_deref())?
        }
        _ => None,
    };
    let opts = DiffOptions {
        common_tasks: f.gate.common_tasks,
        alpha: f.gate.alpha,
    };
    let mut diff = baseline
        .as_ref()
        .map(|b| report::diff_reports(b, report, opts))
        .transpose()?;
    if let Some(d) = &mut diff {
        d.base.file = f.baseline_source();
        d.head.file = Some(f.out.display().to_string());
    }
    Ok(diff)
}

/// The summary: a table on stderr, or JSON (with the diff) on stdout.
fn show(out: &Output, report: &Report, diff: Option<&ReportDiff>, verdict: &Verdict, f: &Finish) {
    let rows = match f.show {
        Show::Nothing => return,
        Show::Json => {
            out.print_json(&report::summary_json(report, diff, Some(verdict)));
            return;
        }
        Show::Failing => report::TaskRows::Failing,
        Show::Every => report::TaskRows::All,
    };
    out.say(&report::render_table(report, out.width, rows));
    if let Some(d) = diff {
        out.say(&format!(
            "\ncompared with the baseline {}:\n{}",
            f.baseline_source().unwrap_or_default(),
            report::render_diff_table(d, out.width, true)
        ));
    }
}

/// JUnit XML (`--junit`), the GitHub job summary and annotations.
fn write_ci_outputs(
    out: &Output,
    report: &Report,
    diff: Option<&ReportDiff>,
    verdict: &Verdict,
    f: &Finish,
) -> Result<()> {
    if let Some(path) = &f.gate.junit {
        out.write_file(path, &report::render_junit(report))?;
        out.say(&format!("junit: {}\n", path.display()));
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let md = report::render_step_summary(report, diff, verdict);
        out.append_file(Path::new(&summary), &md)?;
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let lines = report::render_annotations(report, diff, verdict);
        // Workflow commands are read from both streams; keep stdout for JSON when it carries JSON.
        if f.stdout_json {
            out.say(&lines);
        } else {
            out.print(&lines);
        }
    }
    Ok(())
}

/// `--update-baseline`: a complete, unsharded report becomes the baseline.
fn update_baseline(out: &Output, report: &Report, f: &Finish) -> Result<()> {
    if f.gate.update_baseline
        && report.complete
        && report.shard.is_none()
        && let Some(p) = f.baseline_path()
    {
        out.write_json(&p, report)?;
        out.say(&format!("baseline updated: {}\n", p.display()));
    }
    Ok(())
}

/// What the gate decides: nothing for an interrupted run, one with infrastructure errors, a
/// shard (gated after the merge) or a variant; else the conditions that hold.
fn decide(report: &Report, diff: Option<&ReportDiff>, f: &Finish) -> Verdict {
    let mut verdict = Verdict {
        baseline: diff.and(f.baseline_source()),
        ..Verdict::default()
    };
    if f.interrupted || report.summary.errors > 0 || report.shard.is_some() || !f.gate_enabled {
        return verdict;
    }
    let default = [FailOn::MinAccuracy, FailOn::TokenBudget];
    let conditions = if f.gate.fail_on.is_empty() {
        &default[..]
    } else {
        &f.gate.fail_on[..]
    };
    let tool_floor = f.gate.tool_floor.or(f.eval_tool_floor);
    verdict.checked = true;
    // A report that lacks tasks passes no gate unless told to judge what it has.
    if !report.complete && !f.gate.allow_incomplete {
        let not_run = report.not_run();
        verdict.failures.push(report::GateFailure {
            kind: "incomplete",
            message: format!(
                "{}: the gate judges only a complete run (pass --allow-incomplete to judge the tasks that ran)",
                report.unfinished().unwrap_or_default()
            ),
            tasks: not_run.iter().map(|t| (*t).to_owned()).collect(),
        });
    }
    verdict.failures.extend(gate::evaluate(
        conditions,
        report,
        diff,
        tool_floor,
        f.gate.min_search_hit_rate,
    ));
    verdict
}

/// Interrupted, infrastructure errors, a shard (gated after the merge), or the gate's verdict.
fn exit_code(out: &Output, report: &Report, verdict: &Verdict, f: &Finish) -> i32 {
    if f.interrupted {
        return crate::run::interrupted_code();
    }
    let s = &report.summary;
    if f.stopped {
        return exit::INFRASTRUCTURE;
    }
    if s.errors > 0 {
        out.say(&format!(
            "error: {} of {} trial(s) hit an infrastructure error (not scored); first: {}\n",
            s.errors,
            s.trials,
            report
                .trials
                .iter()
                .find(|t| t.outcome == Outcome::Error)
                .map(|t| format!("task `{}`: {}", t.task, t.reason))
                .unwrap_or_default()
        ));
        let api = match report.model.kind.as_str() {
            "anthropic" => "Anthropic's Messages API",
            "gemini" => "Gemini's generateContent API",
            _ => "the model server",
        };
        let at = report
            .model
            .base_url
            .as_deref()
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        out.say(&format!(
            "hint: check that {api}{at} is reachable and answers requests with tools\n"
        ));
        return exit::INFRASTRUCTURE;
    }
    if let Some(shard) = report.shard {
        out.say(&format!(
            "shard {}/{}: the gate runs on the merged report (`tooleval merge`)\n",
            shard.index, shard.count
        ));
        return exit::OK;
    }
    for why in &verdict.failures {
        out.fail(&why.message);
    }
    gate::exit_code(&verdict.failures)
}
