//! GitHub Actions workflow commands: annotations at task lines, what the gate failed on first.
//!
//! GitHub shows a step's first ten annotations of each level. The errors are what the gate
//! failed on (a regressed or critical task at its line, a run-wide condition without one);
//! regressions the gate did not check are warnings; other failing tasks are notices, at most
//! ten, and never errors, so a failure the run already had cannot hide a new one.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::text::pct;
use super::{Report, ReportDiff, TaskStatus, Verdict};
use crate::config::{self, normalize};
use crate::score::{TaskState, TaskSummary};

/// At most this many notices for failing tasks the gate did not fail on; the last says how many
/// more there are.
const MAX_NOTICES: usize = 10;

/// The annotations of a finished run, errors first.
pub(crate) fn render_annotations(
    r: &Report,
    diff: Option<&ReportDiff>,
    verdict: &Verdict,
) -> String {
    let places = Places::new(r);
    let summaries: HashMap<&str, &TaskSummary> =
        r.summary.tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let changes: HashMap<&str, _> = diff
        .map(|d| d.tasks.iter().map(|t| (t.id.as_str(), t)).collect())
        .unwrap_or_default();
    // What a task's annotation says: how it fell, and why it fails now.
    let says = |id: &str| -> String {
        let now = summaries.get(id);
        let why = now.and_then(|t| t.failure.clone()).unwrap_or_default();
        match changes.get(id) {
            Some(c) if c.status == TaskStatus::Regressed => format!(
                "passed {} of trials in the baseline, {} now; {why}",
                pct(c.base_rate),
                pct(c.head_rate)
            ),
            _ => match now {
                Some(t) => format!("{}/{} trials passed; {why}", t.passes, t.scored()),
                None => why,
            },
        }
    };
    let mut out = String::new();
    let mut shown: HashSet<&str> = HashSet::new();
    for failure in &verdict.failures {
        if failure.tasks.is_empty() {
            command(&mut out, "error", None, failure.kind, &failure.message);
        }
        for id in &failure.tasks {
            if shown.insert(id.as_str()) {
                let title = format!("{}: {id}", failure.kind);
                command(&mut out, "error", places.get(id), &title, &says(id));
            }
        }
    }
    // Regressions the gate did not fail on still deserve a look.
    for c in diff.iter().flat_map(|d| &d.tasks) {
        if c.status == TaskStatus::Regressed && shown.insert(c.id.as_str()) {
            let title = format!("regressed: {}", c.id);
            command(&mut out, "warning", places.get(&c.id), &title, &says(&c.id));
        }
    }
    notices(&mut out, r, &shown, &places, &says, |id| {
        changes.get(id).map(|c| c.status)
    });
    out
}

/// The failing and flaky tasks the errors and warnings did not name, as notices: at most
/// `MAX_NOTICES`, the last saying how many more there are.
fn notices<'a>(
    out: &mut String,
    r: &'a Report,
    shown: &HashSet<&str>,
    places: &Places,
    says: &dyn Fn(&str) -> String,
    status: impl Fn(&str) -> Option<TaskStatus>,
) {
    let rest: Vec<&TaskSummary> = r
        .summary
        .tasks
        .iter()
        .filter(|t| matches!(t.state(), TaskState::Fail | TaskState::Flaky))
        .filter(|t| !shown.contains(t.id.as_str()))
        .collect();
    let listed = if rest.len() > MAX_NOTICES {
        MAX_NOTICES - 1
    } else {
        rest.len()
    };
    for t in &rest[..listed] {
        let title = match status(t.id.as_str()) {
            Some(TaskStatus::StillFailing) => format!("still failing: {}", t.id),
            Some(TaskStatus::Flaky) | None if t.state() == TaskState::Flaky => {
                format!("flaky: {}", t.id)
            }
            _ => format!("failing: {}", t.id),
        };
        command(out, "notice", places.get(&t.id), &title, &says(&t.id));
    }
    if rest.len() > listed {
        command(
            out,
            "notice",
            None,
            "more failing tasks",
            &format!(
                "{} more failing task(s) are not annotated; the job summary and the report list them all",
                rest.len() - listed
            ),
        );
    }
}

/// One workflow command: `::error file=F,line=L,title=T::message`.
fn command(out: &mut String, level: &str, at: Option<&(PathBuf, usize)>, title: &str, msg: &str) {
    let _ = write!(out, "::{level} ");
    if let Some((file, line)) = at {
        let _ = write!(
            out,
            "file={},line={line},",
            escape_property(&file.display().to_string())
        );
    }
    let _ = writeln!(
        out,
        "title={}::{}",
        escape_property(&format!("tooleval: {title}")),
        escape_data(msg)
    );
}

/// Where each task is written: its suite file (relative to the current folder, the checkout
/// where CI runs) and the line of its `id`.
struct Places(HashMap<String, (PathBuf, usize)>);

impl Places {
    fn new(r: &Report) -> Self {
        let cwd = std::env::current_dir().ok();
        let mut map = HashMap::new();
        for suite in &r.suites {
            let path = normalize(Path::new(&suite.path));
            let shown = cwd
                .as_ref()
                .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
                .unwrap_or_else(|| path.clone());
            let Ok(loaded) = config::load_suite(&path) else {
                // The file is gone or changed beyond reading: its tasks are annotated at line 1.
                for t in &suite.tasks {
                    map.insert(t.id.clone(), (shown.clone(), 1));
                }
                continue;
            };
            for (i, task) in loaded.suite.tasks.iter().enumerate() {
                let line = loaded
                    .place_in_task(i, &[config::Seg::Key("id")])
                    .map_or(1, |(l, _)| l);
                map.insert(task.id.clone(), (shown.clone(), line));
            }
        }
        Places(map)
    }

    fn get(&self, id: &str) -> Option<&(PathBuf, usize)> {
        self.0.get(id)
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
