//! `run --watch` with the operating system's file notifications on a temporary folder: a saved
//! edit runs the eval again and says what it fixed and broke; a broken save shows its error and
//! the watch goes on; Ctrl-C ends it.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{Workspace, tooleval_process};

const SUITE: &str = "tasks:\n  - id: checkout-logs\n    prompt: Search the checkout logs for errors in the last 30 minutes.\n    expect: { tool: search_logs }\n  - id: nothing\n    prompt: What a lovely day.\n    expect: none\n";

/// The watching process, killed if the test fails before it ends.
struct Watching(std::process::Child);

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of the watch's stderr, as they come.
struct Lines {
    rx: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    /// Waits for a line containing `needle` (30 s at most), keeping every line seen.
    fn wait_for(&mut self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let left = Duration::from_secs(30).saturating_sub(start.elapsed());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; seen:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// How many lines seen so far contain `needle`.
    fn count(&self, needle: &str) -> usize {
        self.seen.iter().filter(|l| l.contains(needle)).count()
    }
}

/// `tooleval run --watch` with `args` started in `ws`, and its stderr line by line.
fn watch(ws: &Workspace, args: &[&str]) -> (Watching, Lines) {
    let child = tooleval_process()
        .current_dir(ws.path())
        .args(["run", "--watch", "--cache", "readwrite"])
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Watching(child);
    let stderr = child.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let lines = Lines {
        rx,
        seen: Vec::new(),
    };
    (child, lines)
}

const EVAL: &str = "servers:\n  shop: { command: tooleval, args: [demo-server] }\nsuites: [suite.yaml]\nmodel: baseline\n";

/// The suite with the checkout task expecting another tool: the baseline fails it.
fn regressed() -> String {
    SUITE.replace(
        "expect: { tool: search_logs }",
        "expect: { tool: get_metric }",
    )
}

#[test]
fn a_saved_edit_runs_again_and_says_what_it_did() {
    let ws = Workspace::new();
    ws.write("suite.yaml", SUITE);
    ws.write("eval.yaml", EVAL);
    let (child, mut lines) = watch(&ws, &["--out", "r.json", "eval.yaml"]);
    lines.wait_for("watching 2 file(s) for changes");

    // The checkout task now expects another tool: one run more, and what the edit did comes
    // first, the run's summary after it.
    ws.write("suite.yaml", &regressed());
    lines.wait_for("running again");
    let change = lines.wait_for("against the previous run:");
    assert!(change.contains("0 fixed, 1 regressed"), "{change}");
    lines.wait_for("  regressed: checkout-logs");
    lines.wait_for("tool selection accuracy");
    lines.wait_for("watching 2 file(s) for changes");

    // A broken save: its error, located, and the watch goes on.
    ws.write("suite.yaml", "tasks:\n  - id: x\n    promt: hi\n");
    let error = lines.wait_for("unknown field `promt`");
    assert!(error.contains("suite.yaml:3:5"), "{error}");
    lines.wait_for("watching");
    // Mended: it runs again, and the task is fixed against the last run that ran.
    ws.write("suite.yaml", SUITE);
    let change = lines.wait_for("against the previous run:");
    assert!(change.contains("1 fixed, 0 regressed"), "{change}");
    lines.wait_for("watching");
    // A file the eval does not read, in the same folder: no run.
    ws.write("notes.txt", "not part of the eval");
    std::thread::sleep(Duration::from_millis(1500));
    while let Ok(line) = lines.rx.try_recv() {
        lines.seen.push(line);
    }
    assert_eq!(
        lines.count("running again"),
        3,
        "one run per save, none for other files"
    );

    // Ctrl-C between runs ends the watch.
    interrupt(child, &lines);
}

/// Ctrl-C between runs: the watch ends with exit 0.
fn interrupt(mut child: Watching, lines: &Lines) {
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the watch did not end"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{}", lines.seen.join("\n"));
}

/// Variants side by side: each says what the edit did against its own previous run, before
/// the variants' table; a save of the variant's descriptions file runs again too.
#[test]
fn each_variant_is_compared_with_its_own_previous_run() {
    let ws = Workspace::new();
    ws.write("suite.yaml", SUITE);
    ws.write("eval.yaml", EVAL);
    ws.write(
        "terse.yaml",
        "tools:\n  search_logs:\n    description: Search logs.\n",
    );
    let (child, mut lines) = watch(
        &ws,
        &["--out", "r.json", "--variant", "terse.yaml", "eval.yaml"],
    );
    lines.wait_for("watching 3 file(s) for changes");
    ws.write("suite.yaml", &regressed());
    lines.wait_for("running again");
    for name in ["original", "terse"] {
        lines.wait_for(&format!("variant {name}:"));
        let change = lines.wait_for("against the previous run of");
        assert!(
            change.contains(&format!("of `{name}`: 0 fixed, 1 regressed")),
            "{change}"
        );
    }
    lines.wait_for("watching 3 file(s)");
    // The variant's own file is watched.
    ws.write(
        "terse.yaml",
        "tools:\n  search_logs:\n    description: Search the logs.\n",
    );
    let again = lines.wait_for("running again");
    assert!(again.contains("terse.yaml"), "{again}");
    lines.wait_for("against the previous run of `terse`");
    lines.wait_for("watching 3 file(s)");
    interrupt(child, &lines);
}

/// A host matrix of an agent suite (the read-only tools really run): each host's change
/// against its own previous run, before the matrix.
#[test]
fn each_host_of_a_matrix_is_compared_with_its_own_previous_run() {
    let ws = Workspace::new();
    ws.write("suite.yaml", &format!("mode: agent\n{SUITE}"));
    ws.write("eval.yaml", EVAL);
    let (child, mut lines) = watch(
        &ws,
        &[
            "--out",
            "r.json",
            "--host",
            "raw",
            "--host",
            "claude-code",
            "eval.yaml",
        ],
    );
    lines.wait_for("watching 2 file(s) for changes");
    ws.write("suite.yaml", &format!("mode: agent\n{}", regressed()));
    lines.wait_for("running again");
    for host in ["raw", "claude-code"] {
        let change = lines.wait_for(&format!("against the previous run of `{host}`"));
        assert!(change.contains("0 fixed, 1 regressed"), "{change}");
    }
    let matrix = lines.wait_for("matrix: ");
    assert!(matrix.contains("r-matrix.json"), "{matrix}");
    lines.wait_for("watching 2 file(s)");
    interrupt(child, &lines);
    let report = ws.read_json("r-raw.json");
    assert!(
        report["trials"][0]["agent"]["turns"].is_array(),
        "an agent trial: {}",
        report["trials"][0]
    );
}
