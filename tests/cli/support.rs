//! Shared pieces of the end-to-end tests: the binary, temporary workspaces, a runtime for the
//! scripted model server, and the reference servers from the npm registry.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tooleval"))
}

/// The binary under test, with a clean environment for model settings.
pub fn tooleval() -> assert_cmd::Command {
    assert_cmd::Command::from_std(tooleval_process())
}

/// The binary under test as a plain process (for tests that signal it or close its pipes), with
/// the same clean environment.
pub fn tooleval_process() -> std::process::Command {
    let mut c = Command::new(bin_path());
    clean_env(&mut c);
    c
}

/// The environment every process of the tests runs in: no model settings or proxies from the
/// machine, no colour, the cache off as under CI, 120 columns.
pub fn clean_env(c: &mut Command) {
    c.env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_ORG_ID")
        .env_remove("OPENAI_PROJECT_ID")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_BASE_URL")
        .env_remove("GEMINI_API_KEY")
        .env_remove("GEMINI_BASE_URL")
        // Requests go straight to the servers on 127.0.0.1 unless a test sets a proxy.
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("NO_COLOR", "1")
        // As under CI, the response cache is off unless a test asks for it: tests never share answers.
        .env("CI", "true")
        .env("COLUMNS", "120");
}

/// A runtime whose worker threads serve the scripted model while the test blocks.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// A temporary folder holding eval and suite files.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn read_json(&self, name: &str) -> Value {
        let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

/// The outcome of each task's first trial, by task id, from a report.
pub fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trial"] == 0)
        .map(|t| {
            (
                t["task"].as_str().unwrap().to_owned(),
                t["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A child process killed when the test ends, pass or fail.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tooleval demo-server --http 127.0.0.1:0` and returns it with its /mcp URL.
pub fn demo_http_server() -> (ChildGuard, String) {
    demo_http_server_with(&[])
}

/// Starts `tooleval demo-server --http 127.0.0.1:0 ARGS...` and returns it with its /mcp URL.
pub fn demo_http_server_with(args: &[&str]) -> (ChildGuard, String) {
    let mut child = Command::new(bin_path())
        .args(["demo-server", "--http", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let guard = ChildGuard(child);
    let mut line = String::new();
    BufReader::new(stderr).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    (guard, url)
}

/// The reference server-everything from tests/peers, installed by `npm ci --prefix tests/peers`.
/// Without it the test is skipped with a reason, except under CI, where it must be there.
pub fn everything_bin() -> Option<PathBuf> {
    peer_bin("mcp-server-everything")
}

/// A reference server's executable from tests/peers (`mcp-server-everything`,
/// `mcp-server-filesystem`), as `everything_bin` finds it.
pub fn peer_bin(name: &str) -> Option<PathBuf> {
    let bin = repo().join("tests/peers/node_modules/.bin").join(name);
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if bin.exists() && node {
        return Some(bin);
    }
    let why = if node {
        "tests/peers/node_modules is missing: run `npm ci --prefix tests/peers`"
    } else {
        "node is not installed"
    };
    if std::env::var_os("CI").is_some() {
        panic!("the reference MCP servers are required under CI, but {why}");
    }
    skipped(why);
    None
}

/// A free port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts TCP connections on 127.0.0.1:port.
pub fn wait_for_port(port: u16, limit: Duration) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < limit,
            "nothing listens on port {port} after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub use crate::filters::snapshot_filters;

/// Asserts a snapshot through the shared filters, plus any of the test's own: `snapshot!(name,
/// text)` or `snapshot!(name, text, extra)` with `extra: &[(String, String)]`. A macro, so that
/// snapshots are named after the calling module.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $text:expr) => {
        $crate::snapshot!($name, $text, &[])
    };
    ($name:expr, $text:expr, $extra:expr) => {{
        let mut settings = insta::Settings::clone_current();
        let extra: &[(String, String)] = $extra;
        for (pattern, replacement) in extra.iter().chain(&$crate::support::snapshot_filters()) {
            settings.add_filter(pattern, replacement.as_str());
        }
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}

/// Says that the current test did not run, and why, where the person running the tests sees it:
/// straight to the terminal's stderr (the test harness captures `eprintln!`, and would show the
/// line only for a failing test).
pub fn skipped(why: &str) {
    use std::io::Write as _;
    let name = std::thread::current().name().unwrap_or("a test").to_owned();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "\nSKIPPED {name}: {why}");
}
