//! After a run: the baseline comparison, the gate (`--fail-on`), and the outputs CI reads
//! (JUnit, the job summary, annotations).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::{FailOn, Format, GateArgs};
use crate::config::{self, normalize};
use crate::error::{Error, Result, exit};
use crate::report::{self, DiffOptions, Report, ReportDiff, TaskStatus};
use crate::score::{Outcome, TaskState};

/// Where the outputs go and what fails the run.
pub struct Finish<'a> {
    pub out: PathBuf,
    pub format: Format,
    pub quiet: bool,
    pub gate: &'a GateArgs,
    /// The baseline path from the eval file, when `--baseline` is not given.
    pub eval_baseline: Option<PathBuf>,
    pub eval_tool_floor: Option<f64>,
    pub interrupted: bool,
    /// Whether `--fail-on` applies (not to variants beside the servers' own texts).
    pub gate_enabled: bool,
}

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

/// Reads the baseline: from the file, or from the file as it is at a git ref. A baseline that
/// does not exist yet is a warning, not an error: the first run has nothing to compare with.
pub fn load_baseline(path: &Path, git_ref: Option<&str>) -> Result<Option<Report>> {
    let Some(git_ref) = git_ref else {
        if !path.exists() {
            crate::sayln!(
                "note: no baseline at {} yet; `--update-baseline` writes one",
                path.display()
            );
            return Ok(None);
        }
        return report::read_report(path).map(Some);
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("show")
        .arg(format!("{git_ref}:./{file}"))
        .output()
        .map_err(|e| {
            Error::usage(
                format!("cannot run git to read the baseline at `{git_ref}`: {e}"),
                Some("install git, or pass --baseline without --baseline-ref".to_owned()),
            )
        })?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if why.contains("does not exist") || why.contains("exists on disk, but not in") {
            crate::sayln!(
                "note: {} does not exist at `{git_ref}`; nothing to compare with",
                path.display()
            );
            return Ok(None);
        }
        return Err(Error::usage(
            format!("cannot read {} at `{git_ref}`: {why}", path.display()),
            Some("check the ref (e.g. `main`, `origin/main`); in CI, fetch it first (actions/checkout with fetch-depth: 0)".to_owned()),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    report::parse_report(&text, &format!("{} at `{git_ref}`", path.display())).map(Some)
}

/// Writes the report and every requested output, prints the summary, and returns the exit code.
pub fn finish(report: &Report, f: &Finish) -> Result<i32> {
    let g = f.gate;
    let baseline_path = g.baseline.clone().or_else(|| f.eval_baseline.clone());
    let tool_floor = g.tool_floor.or(f.eval_tool_floor);
    let out = match report::write_report(&f.out, report) {
        Ok(()) => f.out.clone(),
        Err(e) => {
            // Keep what the run obtained: fall back to a new file in the temporary folder.
            crate::say!("{}", e.render());
            let fallback = report::write_fallback(report)?;
            crate::sayln!("the report was written to {} instead", fallback.display());
            fallback
        }
    };
    let baseline = match &baseline_path {
        Some(p) if !f.interrupted && report.shard.is_none() => {
            load_baseline(p, g.baseline_ref.as_deref())?
        }
        _ => None,
    };
    let opts = DiffOptions {
        common_tasks: g.common_tasks,
        alpha: g.alpha,
    };
    let diff = baseline
        .as_ref()
        .map(|b| report::diff_reports(b, report, opts))
        .transpose()?;

    let width = super::terminal_width();
    match f.format {
        Format::Json => {
            let mut v: serde_json::Value =
                serde_json::from_str(&report::render_summary_json(report)).unwrap_or_default();
            if let Some(d) = &diff {
                v["diff"] = serde_json::to_value(d).unwrap_or_default();
            }
            let text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
            let _ = std::io::stdout()
                .lock()
                .write_all(crate::error::redact(&text).as_bytes());
        }
        Format::Table if !f.quiet => {
            crate::say!("{}", report::render_table(report, width));
            if let Some(d) = &diff {
                crate::say!(
                    "\ncompared with the baseline {}:\n{}",
                    baseline_path
                        .as_deref()
                        .map(Path::display)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    report::render_diff_table(d, width)
                );
            }
        }
        Format::Table => {}
    }
    crate::sayln!("report: {}", out.display());
    if let Some(path) = &g.junit {
        report::write_atomic(path, report::render_junit(report).as_bytes())?;
        crate::sayln!("junit: {}", path.display());
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        let mut md = report::render_summary_markdown(report);
        if let Some(d) = &diff {
            md.push_str(&report::render_diff_markdown(d));
        }
        append(Path::new(&summary), &md)?;
    }
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        annotate(report, f.format);
    }
    if g.update_baseline
        && report.complete
        && report.shard.is_none()
        && let Some(p) = &baseline_path
    {
        report::write_report(p, report)?;
        crate::sayln!("baseline updated: {}", p.display());
    }

    if f.interrupted {
        return Ok(exit::INTERRUPTED);
    }
    let s = &report.summary;
    if s.errors > 0 {
        crate::sayln!(
            "error: {} of {} trial(s) hit an infrastructure error (not scored); first: {}",
            s.errors,
            s.trials,
            report
                .trials
                .iter()
                .find(|t| t.outcome == Outcome::Error)
                .map(|t| format!("task `{}`: {}", t.task, t.reason))
                .unwrap_or_default()
        );
        crate::sayln!(
            "hint: check that the model server is reachable and answers chat completions with tools"
        );
        return Ok(exit::INFRASTRUCTURE);
    }
    if let Some(shard) = report.shard {
        crate::sayln!(
            "shard {}/{}: the gate runs on the merged report (`tooleval merge`)",
            shard.index,
            shard.count
        );
        return Ok(exit::OK);
    }
    if !f.gate_enabled {
        return Ok(exit::OK);
    }
    let default = [FailOn::MinAccuracy, FailOn::TokenBudget];
    let conditions = if g.fail_on.is_empty() {
        &default[..]
    } else {
        &g.fail_on[..]
    };
    Ok(gate_exit(&evaluate(
        conditions,
        report,
        diff.as_ref(),
        tool_floor,
    )))
}

/// Prints each condition that held; the exit code they make.
pub fn gate_exit(failures: &[String]) -> i32 {
    for why in failures {
        crate::sayln!("fail: {why}");
    }
    if failures.is_empty() {
        exit::OK
    } else {
        exit::BELOW_MIN_ACCURACY
    }
}

/// The conditions that hold, each as a sentence.
pub fn evaluate(
    conditions: &[FailOn],
    r: &Report,
    diff: Option<&ReportDiff>,
    tool_floor: Option<f64>,
) -> Vec<String> {
    let mut out = Vec::new();
    for c in conditions {
        match c {
            FailOn::MinAccuracy => {
                if let (Some(min), Some(false)) =
                    (r.summary.min_accuracy, r.summary.meets_min_accuracy)
                {
                    let got = r.summary.full_call.and_then(|f| f.rate).unwrap_or(0.0);
                    out.push(format!(
                        "full-call accuracy {:.1}% is below min_accuracy {:.1}%",
                        got * 100.0,
                        min * 100.0
                    ));
                }
            }
            FailOn::Regression => {
                if let Some(d) = diff {
                    let ids: Vec<&str> = d
                        .tasks
                        .iter()
                        .filter(|t| t.status == TaskStatus::Regressed)
                        .map(|t| t.id.as_str())
                        .collect();
                    if !ids.is_empty() {
                        out.push(format!(
                            "{} task(s) regressed: {}",
                            ids.len(),
                            ids.join(", ")
                        ));
                    }
                }
            }
            FailOn::SignificantRegression => {
                if let Some(d) = diff {
                    for (what, t) in [("full-call", &d.test), ("selection", &d.selection_test)] {
                        if let Some(t) = t
                            && t.significant()
                            && t.mean_diff < 0.0
                        {
                            out.push(format!(
                                "{what} accuracy fell significantly: {}",
                                t.verdict()
                            ));
                        }
                    }
                }
            }
            FailOn::ToolFloor => {
                let floor = tool_floor.unwrap_or(0.0);
                for t in &r.summary.tools {
                    if let Some(recall) = t.recall
                        && recall < floor
                    {
                        out.push(format!(
                            "tool `{}` has recall {:.0}%, below the floor {:.0}%",
                            t.name,
                            recall * 100.0,
                            floor * 100.0
                        ));
                    }
                }
            }
            FailOn::TokenBudget => {
                if let Some(max) = r.max_tool_tokens {
                    let total = r.tools.total_tokens();
                    if total > max {
                        out.push(format!(
                            "the tool set costs {total} tokens, over max_tool_tokens {max}"
                        ));
                    }
                }
            }
            FailOn::Critical => {
                let critical: Vec<&str> = r
                    .suites
                    .iter()
                    .flat_map(|s| &s.tasks)
                    .filter(|t| t.tags.iter().any(|g| g == "critical"))
                    .map(|t| t.id.as_str())
                    .collect();
                for t in r
                    .summary
                    .tasks
                    .iter()
                    .filter(|t| critical.contains(&t.id.as_str()))
                {
                    if matches!(t.state(), TaskState::Fail | TaskState::Flaky) {
                        out.push(format!(
                            "critical task `{}` failed: {}",
                            t.id,
                            t.failure.clone().unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }
    out
}

fn append(path: &Path, text: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io("open", path, e))?;
    f.write_all(crate::error::redact(text).as_bytes())
        .map_err(|e| Error::io("append to", path, e))
}

/// GitHub Actions annotations (`::error file=...,line=...::`) at each failing task's line.
fn annotate(r: &Report, format: Format) {
    let mut lines = String::new();
    for suite in &r.suites {
        let path = normalize(Path::new(&suite.path));
        // Annotations name files relative to the checkout, which is where CI runs.
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.clone());
        let loaded = config::load_suite(&path).ok();
        for t in r.summary.tasks.iter().filter(|t| t.suite == suite.name) {
            if !matches!(t.state(), TaskState::Fail | TaskState::Flaky) {
                continue;
            }
            let line = loaded
                .as_ref()
                .and_then(|s| {
                    let i = s.suite.tasks.iter().position(|task| task.id == t.id)?;
                    s.place_in_task(i, &[config::Seg::Key("id")])
                })
                .map_or(1, |(l, _)| l);
            let msg = format!(
                "{}/{} trials passed; {}",
                t.passes,
                t.scored(),
                t.failure.clone().unwrap_or_default()
            );
            lines.push_str(&format!(
                "::error file={},line={line},title={}::{}\n",
                escape_property(&shown.display().to_string()),
                escape_property(&format!("tooleval: {}", t.id)),
                escape_data(&msg)
            ));
        }
    }
    // Workflow commands are read from both streams; keep stdout for JSON when it carries JSON.
    match format {
        Format::Json => crate::say!("{lines}"),
        Format::Table => {
            let _ = std::io::stdout()
                .lock()
                .write_all(crate::error::redact(&lines).as_bytes());
        }
    }
}

/// Escapes a workflow command's message (`%` and line breaks).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_data() {
        assert_eq!(escape_data("50%: a,b\nc"), "50%25: a,b%0Ac");
        assert_eq!(escape_property("tooleval: a,b"), "tooleval%3A a%2Cb");
    }
}
