//! The corpus of broken eval and suite files in `tests/corpus/`: one folder per mistake, each
//! holding an `eval.yaml` and whatever else the case needs. Every case runs `tooleval run --quiet
//! eval.yaml` in its folder and must exit with 2 or 3 without a panic, start its stderr with
//! `error:`, name the place of every error (`file:line:column:` in a YAML file, or `server
//! \`name\``) and give a `hint:` for every error. Its stderr and exit code are snapshotted in
//! `snapshots/cli__corpus__<case>.snap`.
//!
//! The folder `huge-suite-broken-task-near-the-end` holds no suite: its ~5 MB `suite.yaml` is
//! written at run time into a temporary folder, with `broken-task.yaml` inserted near the end.
//!
//! Messages that do not meet the bar yet are listed in `KNOWN_GAPS`: the test checks that they
//! still fall short in exactly that way, so a fix fails the test until its entry is removed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use regex::Regex;

use crate::support::{repo, tooleval};

/// The corpus may grow, never silently shrink.
const MIN_CASES: usize = 30;

/// The case whose suite is generated at run time.
const HUGE: &str = "huge-suite-broken-task-near-the-end";

/// How a message falls short of "names the place and the fix".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    /// An `error:` line names neither `file:line:column:` nor a server.
    NoPlace,
    /// An error is not followed by a `hint:` line before the next error.
    NoHint,
}

/// Product bugs: messages that do not yet name the place or the fix. Remove an entry when the
/// message is fixed (the test fails until then, so the list stays true).
const KNOWN_GAPS: &[(&str, Gap)] = &[];

struct Outcome {
    name: String,
    code: Option<i32>,
    stderr: String,
    /// Where the command ran: the case folder, or a temporary copy of it.
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    /// For the generated case, the line of the broken task's mistake.
    broken_line: Option<usize>,
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// Writes a suite of about 5 MB: generated tasks, the broken task, then a few more. Returns the
/// line of the broken task's second line (its mistake).
fn write_huge_suite(case: &Path, dir: &Path) -> usize {
    let broken = std::fs::read_to_string(case.join("broken-task.yaml")).unwrap();
    let task = |i: usize| {
        format!(
            "  - id: generated-{i:05}\n    prompt: Show me error logs from the checkout service, batch {i}.\n    tags: [generated]\n    expect:\n      tool: search_logs\n      args: {{ service: checkout, level: error }}\n"
        )
    };
    let mut text = String::from("name: huge\ntasks:\n");
    let mut i = 0;
    while text.len() < 5_000_000 {
        text.push_str(&task(i));
        i += 1;
    }
    let broken_line = text.lines().count() + 2;
    text.push_str(&broken);
    for j in i..i + 3 {
        text.push_str(&task(j));
    }
    std::fs::write(dir.join("suite.yaml"), text).unwrap();
    broken_line
}

fn run_case(case: &Path) -> Outcome {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    // Every case runs in a copy of its folder: a run writes (a report, the writability probe),
    // and tests write only in temporary folders.
    let tmp = tempfile::tempdir().unwrap();
    let broken_line = if name == HUGE {
        std::fs::copy(case.join("eval.yaml"), tmp.path().join("eval.yaml")).unwrap();
        Some(write_huge_suite(case, tmp.path()))
    } else {
        copy_tree(case, tmp.path());
        None
    };
    let (dir, tmp) = (tmp.path().to_path_buf(), Some(tmp));
    let out = tooleval()
        .env_remove("TOOLEVAL_CORPUS_UNSET")
        .current_dir(&dir)
        .args(["run", "--quiet", "eval.yaml"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    Outcome {
        name,
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dir,
        _tmp: tmp,
        broken_line,
    }
}

/// `from`'s files and folders copied into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs every case, a few at a time.
fn run_all(cases: &[PathBuf]) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    let outcome = run_case(case);
                    done.lock().unwrap().push(outcome);
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by(|a, b| a.name.cmp(&b.name));
    done
}

/// Checks one case's stderr; returns its hard failures and the gaps it shows, each with the
/// first error that shows it.
fn check(o: &Outcome) -> (Vec<String>, BTreeMap<Gap, String>) {
    let place = Regex::new(r"^error: ([^\s:]+\.ya?ml):(\d+):(\d+): \S").unwrap();
    let server = Regex::new(r"^error: server `[^`]+`: \S").unwrap();
    let summary = Regex::new(r"^error: \d+ problems found$").unwrap();
    let mut failures = Vec::new();
    let mut gaps = BTreeMap::new();
    let err = &o.stderr;
    if !matches!(o.code, Some(2) | Some(3)) {
        failures.push(format!("exit code {:?}, expected 2 or 3", o.code));
    }
    if err.contains("panicked") {
        failures.push("panicked".to_owned());
    }
    if !err.lines().next().unwrap_or("").starts_with("error:") {
        failures.push("the first line of stderr does not start with `error:`".to_owned());
    }
    // Each error runs up to the next `error:` line; it must name its place and hold a hint.
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in err.lines() {
        if line.starts_with("error:") && !summary.is_match(line) {
            blocks.push(vec![line]);
        } else if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    if blocks.is_empty() {
        failures.push("no `error:` line".to_owned());
    }
    for b in &blocks {
        let head = b[0];
        if let Some(c) = place.captures(head) {
            // The place must exist: the file, and a line within it.
            let file = o.dir.join(&c[1]);
            let line: usize = c[2].parse().unwrap();
            match std::fs::read(&file) {
                Ok(bytes) => {
                    let lines = String::from_utf8_lossy(&bytes).lines().count().max(1);
                    if line == 0 || line > lines {
                        failures.push(format!("line {line} is outside `{}`: {head}", &c[1]));
                    }
                }
                Err(e) => failures.push(format!("`{}` cannot be read ({e}): {head}", &c[1])),
            }
        } else if !server.is_match(head) {
            gaps.entry(Gap::NoPlace).or_insert_with(|| head.to_owned());
        }
        if !b.iter().any(|l| l.starts_with("hint: ")) {
            gaps.entry(Gap::NoHint).or_insert_with(|| head.to_owned());
        }
    }
    if let Some(expected) = o.broken_line {
        let want = format!("error: suite.yaml:{expected}:");
        if !err.starts_with(&want) {
            failures.push(format!(
                "the broken task is on line {expected}, expected `{want}`"
            ));
        }
    }
    (failures, gaps)
}

fn snapshot_filters(o: &Outcome) -> Vec<(String, String)> {
    // The case's own folder first (it may lie in the temporary folder); then the shared table.
    vec![
        (
            regex::escape(&o.dir.to_string_lossy()),
            "[CASE_DIR]".to_owned(),
        ),
        // A server that exits at once is reported in one of two ways, depending on whether it
        // was gone before `initialize` was written (a product bug: the message should not
        // depend on timing, nor show rmcp's internals).
        (
            r"connection closed: initialize response|Send message error Transport \[rmcp::transport::child_process::TokioChildProcess\] error: Broken pipe \(os error 32\), when send initialize request".to_owned(),
            "[connection closed: initialize response | Broken pipe, by timing]".to_owned(),
        ),
    ]
}

/// The files under `dir`, at any depth.
fn walk_files(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk_files(&p));
        } else {
            files.push(p.display().to_string());
        }
    }
    files
}

#[test]
fn every_broken_file_gets_a_placed_message_with_a_fix() {
    let cases = cases();
    assert!(
        cases.len() >= MIN_CASES,
        "tests/corpus holds {} cases; it must keep at least {MIN_CASES}",
        cases.len()
    );
    for case in &cases {
        assert!(
            case.join("eval.yaml").is_file(),
            "{} has no eval.yaml",
            case.display()
        );
    }
    for (name, _) in KNOWN_GAPS {
        assert!(
            cases.iter().any(|c| c.ends_with(name)),
            "KNOWN_GAPS names `{name}`, which is not in tests/corpus"
        );
    }

    let outcomes = run_all(&cases);
    let mut failures = Vec::new();
    for o in &outcomes {
        let (hard, gaps) = check(o);
        for f in hard {
            failures.push(format!("{}: {f}", o.name));
        }
        let known: BTreeSet<Gap> = KNOWN_GAPS
            .iter()
            .filter(|(n, _)| *n == o.name)
            .map(|(_, g)| *g)
            .collect();
        for (g, head) in &gaps {
            if !known.contains(g) {
                let what = match g {
                    Gap::NoPlace => "names no place (`file:line:column:` or `server `name``)",
                    Gap::NoHint => "has no `hint:` line",
                };
                failures.push(format!("{}: this error {what}: {head}", o.name));
            }
        }
        for g in known.iter().filter(|g| !gaps.contains_key(g)) {
            failures.push(format!(
                "{}: {g:?} is fixed: remove it from KNOWN_GAPS",
                o.name
            ));
        }
        // A failing run must not leave a report behind in the corpus. (It may leave the empty
        // folder `reports/runs/`, made when the report path is checked before the run.)
        let reports = o.dir.join("reports");
        if reports.exists() {
            let written = walk_files(&reports);
            if !written.is_empty() {
                failures.push(format!("{}: wrote {}", o.name, written.join(", ")));
            }
            let _ = std::fs::remove_dir_all(&reports);
        }

        let code = o.code.map_or_else(|| "none".to_owned(), |c| c.to_string());
        let text = format!("exit {code}\n{}", o.stderr);
        let filters = snapshot_filters(o);
        let name = o.name.as_str();
        let snap = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::snapshot!(name, &text, &filters);
        }));
        if snap.is_err() {
            failures.push(format!("{name}: the snapshot differs"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
}
