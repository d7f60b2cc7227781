//! `run --watch`: the local loop of a description author. Runs, then runs again whenever one of
//! the files the run read changes (the eval, its suites, a descriptions file, a tool list),
//! after a quiet moment so that one save is one run, and says what the change did against the
//! previous run: the fixed and the regressed tasks and the paired test's verdict. A run that
//! cannot start (a broken file) shows its located error, and the watch waits for the next save.
//! Ctrl-C between runs ends the watch; during a run it ends the run as usual, then the watch.
//!
//! Files are watched through their folders (editors often save by writing a new file and
//! renaming it over the old), with the operating system's notifications (the `notify` crate).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::error::{Error, Result, exit};
use crate::output::Output;
use crate::report::{self, Report};

/// How long the files must stay quiet after a change before the run starts.
const QUIET: Duration = Duration::from_millis(300);

/// `path` made absolute (its folder resolved, the file itself possibly absent mid-save).
fn absolute(path: &Path) -> PathBuf {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir
            .canonicalize()
            .map(|d| d.join(name))
            .unwrap_or(path.clone()),
        _ => path,
    }
}

/// The reports of a watch's runs, by what each measured: `""` for a plain run, the variant's
/// name beside the servers' own texts, the model's or host's label in a matrix.
#[derive(Default)]
pub(crate) struct Runs {
    /// The latest report of each measurement, from the runs before this one.
    before: BTreeMap<String, Report>,
    /// This run's reports.
    now: BTreeMap<String, Report>,
}

impl Runs {
    /// Shows what the edit did to the measurement `label` against its previous report (nothing
    /// on the first run), before the run's summary; keeps `report` for the next run.
    pub(crate) fn show_change(&mut self, out: &Output, label: &str, report: &Report) {
        if let Some(before) = self.before.get(label) {
            out.say(&what_changed(label, before, report, out.width));
        }
        self.now.insert(label.to_owned(), report.clone());
    }

    /// The state for the next run: what this run measured replaces what it measured before; a
    /// measurement it did not reach (a broken file, an interruption) keeps its last report.
    fn next(mut self) -> Runs {
        self.before.append(&mut self.now);
        self
    }
}

/// Runs `once` now and after every change to the files it read; the last run's exit code when
/// the watch ends (Ctrl-C between runs ends it with the last code; an interrupted run with 130).
/// `once` is handed the reports of the runs before and gives them back with its own.
pub(crate) async fn watch<F, Fut>(out: &Output, eval: &Path, mut once: F) -> Result<i32>
where
    F: FnMut(Runs) -> Fut,
    Fut: Future<Output = (Result<i32>, Vec<PathBuf>, Runs)>,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(e) = event
            && !e.kind.is_access()
        {
            for p in e.paths {
                let _ = tx.send(p);
            }
        }
    })
    .map_err(|e| Error::usage(format!("cannot watch files: {e}"), None))?;
    let mut files: BTreeSet<PathBuf> = BTreeSet::from([absolute(eval)]);
    let mut folders: BTreeSet<PathBuf> = BTreeSet::new();
    let mut runs = Runs::default();
    let mut code;
    loop {
        let (result, read, after) = once(runs).await;
        runs = after.next();
        match result {
            Ok(c) if c == exit::INTERRUPTED => return Ok(c),
            Ok(c) => code = c,
            Err(e) => {
                out.say(&e.render());
                code = e.exit_code();
            }
        }
        files.extend(read.iter().map(|p| absolute(p)));
        for dir in files.iter().filter_map(|f| f.parent()) {
            if folders.insert(dir.to_path_buf())
                && let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive)
            {
                out.say(&format!("warning: cannot watch {}: {e}\n", dir.display()));
            }
        }
        out.say(&format!(
            "watching {} file(s) for changes; Ctrl-C to stop\n",
            files.len()
        ));
        // Changes made during the run are what the next run is for.
        let changed = loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(code),
                p = rx.recv() => match p {
                    Some(p) if files.contains(&absolute(&p)) => break p,
                    Some(_) => {}
                    None => return Ok(code),
                },
            }
        };
        // One save is often several events: wait for the files to stay quiet.
        while let Ok(Some(_)) = tokio::time::timeout(QUIET, rx.recv()).await {}
        out.say(&format!(
            "\nchanged: {}; running again\n",
            changed.display()
        ));
    }
}

/// What a change did to the measurement `label`: the tasks it fixed and broke, and whether
/// the change in full-call accuracy is more than noise, wrapped to `width`.
fn what_changed(label: &str, before: &Report, now: &Report, width: u16) -> String {
    let mut s = match label {
        "" => "against the previous run: ".to_owned(),
        l => format!("against the previous run of `{l}`: "),
    };
    let d = match report::diff_reports(before, now, Default::default()) {
        Ok(d) => d,
        Err(e) => return format!("{s}{}\n", e.render()),
    };
    let named = |status| {
        d.tasks
            .iter()
            .filter(|t| t.status == status)
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>()
    };
    let fixed = named(report::TaskStatus::Fixed);
    let regressed = named(report::TaskStatus::Regressed);
    if fixed.is_empty() && regressed.is_empty() {
        s.push_str("no task changed");
    } else {
        s.push_str(&format!(
            "{} fixed, {} regressed",
            fixed.len(),
            regressed.len()
        ));
    }
    s.push('\n');
    let mut lines: Vec<String> = [("fixed", &fixed), ("regressed", &regressed)]
        .into_iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(what, ids)| format!("  {what}: {}", ids.join(", ")))
        .collect();
    if let Some(t) = &d.test {
        lines.push(format!("  full call: {}", t.verdict()));
    }
    for line in lines {
        s.push_str(&report::wrap(&line, width, "    "));
        s.push('\n');
    }
    s
}
