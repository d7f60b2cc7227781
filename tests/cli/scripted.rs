//! The demo server with a scripted OpenAI-compatible model on 127.0.0.1: every outcome scores
//! exactly as scripted, malformed replies and HTTP errors end as infrastructure errors, and the
//! report and table are pinned by snapshots.

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, outcomes, runtime, tooleval};

const SUITE: &str = r#"
name: scripted
tasks:
  - id: pass
    prompt: Show error logs of checkout from the last hour.
    expect: { tool: search_logs, args: { service: checkout, level: error } }
  - id: wrong-tool
    prompt: Stream the payments logs live.
    expect: { tool: tail_logs, args: { service: payments } }
  - id: no-call
    prompt: Which alerts are firing on cart?
    expect: { tool: list_alerts }
  - id: unexpected-call
    prompt: Thanks, that is all.
    expect: none
  - id: bad-args
    prompt: Deploys of payments this week?
    expect: { tool: list_deployments, args: { service: payments } }
  - id: invalid-json
    prompt: Open trace 4bf92f3577b34da6a3ce929d0e0e4736.
    expect: { tool: get_trace }
  - id: invalid-schema
    prompt: Open trace abc.
    expect: { tool: get_trace }
  - id: multi
    prompt: Alerts and deploys for cart, please.
    expect:
      calls: [{ tool: list_alerts, args: { service: cart } }, { tool: list_deployments, args: { service: cart } }]
      order: any
  - id: text-call
    prompt: Health of search?
    expect: { tool: get_service_health, args: { service: search } }
"#;

fn script() -> Script {
    Script::default()
        .call("Show error logs", "search_logs", json!({"service": "checkout", "level": "error", "since": "1h"}))
        .call("Stream the payments", "search_logs", json!({"service": "payments"}))
        .rule("Which alerts", Scripted::Text("I cannot tell.".into()))
        .call("Thanks", "get_service_health", json!({"service": "cart"}))
        .call("Deploys of payments", "list_deployments", json!({"service": "cart"}))
        .rule("Open trace 4bf", Scripted::Calls(vec![("get_trace".into(), "{\"trace_id\": ".into())]))
        .call("Open trace abc", "get_trace", json!({"trace_id": 42}))
        .rule(
            "Alerts and deploys",
            Scripted::Calls(vec![
                ("list_deployments".into(), json!({"service": "cart"}).to_string()),
                ("list_alerts".into(), json!({"service": "cart"}).to_string()),
            ]),
        )
        .rule(
            "Health of search",
            Scripted::Text("<tool_call>{\"name\": \"get_service_health\", \"arguments\": {\"service\": \"search\"}}</tool_call>".into()),
        )
}

/// Runs the eval with the given key and flags; returns the exit code, stderr and the report.
fn run(
    ws: &Workspace,
    eval: &std::path::Path,
    key: &str,
    flags: &[&str],
) -> (Option<i32>, String, Value) {
    let out = tooleval()
        .env("TOOLEVAL_TEST_KEY", key)
        .arg("run")
        .args(flags)
        .arg("--out")
        .arg(ws.path().join("r.json"))
        .arg(eval)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), stderr, ws.read_json("r.json"))
}

fn eval(ws: &Workspace, url: &str, extra: &str) -> std::path::PathBuf {
    ws.write("suite.yaml", SUITE);
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel:\n  name: scripted-model\n  base_url: {url}\n  api_key: ${{TOOLEVAL_TEST_KEY}}\n  temperature: 0\n{extra}suites: [suite.yaml]\ntrials: 2\nconcurrency: 3\nmin_accuracy: 0.5\n"
        ),
    )
}

#[test]
fn every_outcome_scores_as_scripted() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let (code, stderr, report) = run(&ws, &eval, "sk-test-sentinel-0123456789", &[]);
    assert_eq!(code, Some(1), "below min_accuracy: {stderr}");
    assert_eq!(server.requests(), 18, "9 tasks x 2 trials");
    let got = outcomes(&report);
    let want = [
        ("pass", "pass"),
        ("wrong-tool", "wrong_tool"),
        ("no-call", "no_call"),
        ("unexpected-call", "unexpected_call"),
        ("bad-args", "bad_args"),
        ("invalid-json", "invalid_args"),
        ("invalid-schema", "invalid_args"),
        ("multi", "pass"),
        ("text-call", "no_call"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    let s = &report["summary"];
    assert_eq!(s["full_call"]["successes"], 4);
    assert_eq!(s["full_call"]["n"], 18);
    assert_eq!(s["selection"]["successes"], 10);
    assert_eq!(s["tokens"]["prompt"], 1800);
    let text_call = report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == "text-call")
        .unwrap();
    assert!(
        text_call["notes"][0]
            .as_str()
            .unwrap()
            .contains("recover_text_calls"),
        "{text_call}"
    );
    // The fix is shown where people look, not only in the report's notes.
    let unwrapped = stderr.replace("\n  ", " ");
    assert!(
        unwrapped.contains("hint: 2 trial(s) wrote a tool call as text instead of `tool_calls`"),
        "{stderr}"
    );
    assert!(
        unwrapped.contains("`recover_text_calls: true` under `model`"),
        "{stderr}"
    );
    // The key never reaches the report.
    let raw = std::fs::read_to_string(ws.path().join("r.json")).unwrap();
    assert!(!raw.contains("sk-test-sentinel"));
    assert!(!stderr.contains("sk-test-sentinel"));

    let mut report = report;
    normalize(&mut report, &server.url);
    crate::snapshot!(
        "scripted_report",
        serde_json::to_string_pretty(&report).unwrap()
    );
    crate::snapshot!("scripted_table", stderr);
}

#[test]
fn recovered_text_calls_are_scored_and_marked() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "  recover_text_calls: true\n");
    let (_, _, report) = run(&ws, &eval, "k", &["--quiet"]);
    let t = report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == "text-call")
        .unwrap()
        .clone();
    assert_eq!(t["outcome"], "pass", "{t}");
    assert_eq!(t["reply"]["tool_calls"][0]["recovered"], true);
    assert!(
        t["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("recovered 1 call(s)")
    );
}

#[test]
fn malformed_replies_and_http_errors_are_infrastructure_errors() {
    let rt = runtime();
    let script = Script::default()
        .rule(
            "Show error logs",
            Scripted::Status(500, "upstream exploded".into()),
        )
        .rule(
            "Stream the payments",
            Scripted::Raw("{\"choices\": [".into()),
        )
        .rule(
            "Which alerts",
            Scripted::Raw("{\"object\": \"chat.completion\"}".into()),
        )
        .rule(
            "Thanks",
            Scripted::Status(
                429,
                "{\"error\": {\"message\": \"Rate limit reached\"}}".into(),
            ),
        )
        .rule("", Scripted::Text("fine".into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "  max_retries: 0\n");
    let (code, stderr, report) = run(&ws, &eval, "k", &["--quiet", "--trials", "1"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("4 of 9 trial(s) hit an infrastructure error"),
        "{stderr}"
    );
    let reason = |id: &str| -> String {
        let t = report["trials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["task"] == id)
            .unwrap();
        assert_eq!(t["outcome"], "error", "{t}");
        t["reason"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        reason("pass"),
        "HTTP 500 from OpenAI-compatible API: upstream exploded"
    );
    assert!(
        reason("wrong-tool").starts_with("the reply is not valid JSON"),
        "{}",
        reason("wrong-tool")
    );
    assert!(
        reason("no-call").starts_with("the reply has no `choices`"),
        "{}",
        reason("no-call")
    );
    assert_eq!(
        reason("unexpected-call"),
        "HTTP 429 from OpenAI-compatible API: Rate limit reached"
    );
    // Errors are reported apart and never scored as model failures.
    assert_eq!(report["summary"]["errors"], 4);
    assert_eq!(report["summary"]["full_call"]["n"], 5);
}

#[test]
fn a_model_that_hangs_times_out_and_the_report_is_still_written() {
    let rt = runtime();
    let script = Script::default()
        .rule("Which alerts", Scripted::Hang)
        .rule("", Scripted::Text("ok".into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "  timeout_secs: 1\n  max_retries: 0\n");
    let (code, stderr, report) = run(&ws, &eval, "k", &["--quiet", "--trials", "1"]);
    assert_eq!(code, Some(3), "{stderr}");
    let t = report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == "no-call")
        .unwrap();
    assert_eq!(t["outcome"], "error");
    assert!(t["reason"].as_str().unwrap().contains("timed out"), "{t}");
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["trials"].as_array().unwrap().len(), 9);
}

/// A proxy named in the environment carries the requests: here the scripted server itself,
/// answering for a host that does not exist (and is never looked up: the proxy is asked).
#[test]
fn requests_go_through_a_proxy_from_the_environment() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let proxy = server.url.trim_end_matches("/v1").to_owned();
    let ws = Workspace::new();
    let eval = eval(&ws, "http://model.invalid/v1", "");
    let out = tooleval()
        .env("TOOLEVAL_TEST_KEY", "k")
        .env("HTTP_PROXY", &proxy)
        .args(["run", "--quiet", "--out"])
        .arg(ws.path().join("r.json"))
        .arg(&eval)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "below min_accuracy: {stderr}");
    assert_eq!(
        server.requests(),
        18,
        "9 tasks x 2 trials, all through the proxy"
    );
    let report = ws.read_json("r.json");
    assert_eq!(outcomes(&report)[0], ("pass".to_owned(), "pass".to_owned()));
}

#[test]
fn an_unreachable_model_is_an_infrastructure_error() {
    let ws = Workspace::new();
    let port = crate::support::free_port();
    let eval = eval(&ws, &format!("http://127.0.0.1:{port}/v1"), "");
    let (code, stderr, report) = run(&ws, &eval, "k", &["--quiet", "--trials", "1"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        report["trials"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("cannot connect to the model server"),
        "{}",
        report["trials"][0]
    );
    // No retry can cure it: the run stops at once, with one error and a hint.
    assert_eq!(report["trials"].as_array().unwrap().len(), 1);
    assert_eq!(report["complete"], false);
    assert!(
        stderr.contains("hint: check that the model server runs"),
        "{stderr}"
    );
    // One error, one hint: the run's own summary does not repeat it.
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("hint:").count(), 1, "{stderr}");
    // Shown, the summary says first that the run did not finish and what ran, counts the tasks
    // that never ran apart from failures, and gives no verdict from them.
    let (_, stderr, _) = run(&ws, &eval, "k", &["--trials", "1"]);
    let lines: Vec<&str> = stderr.lines().collect();
    // What it may cost comes first, before any request.
    assert!(
        lines[0].starts_with("run: at most 9 request(s) to `scripted-model`"),
        "{stderr}"
    );
    // (The estimate is wrapped to the terminal; the model's line follows it.)
    let warning = lines
        .iter()
        .position(|l| l.starts_with("warning: "))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        lines[warning].starts_with("warning: the run did not finish: 1 of 9 tasks ran; 8 did not"),
        "{stderr}"
    );
    assert!(
        lines[warning - 1].starts_with("model scripted-model"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 1 tasks that ran did not pass"),
        "{stderr}"
    );
    assert!(!stderr.contains("NOT met"), "{stderr}");
    assert!(
        !stderr.contains("precision"),
        "no per-tool table of zeros: {stderr}"
    );
}

/// Replaces what changes from run to run: times, ports, paths, the version.
fn normalize(report: &mut Value, url: &str) {
    report["started_at"] = "[time]".into();
    report["finished_at"] = "[time]".into();
    report["tooleval"]["version"] = "[version]".into();
    report["eval"]["path"] = "[eval]".into();
    report["suites"][0]["path"] = "[suite]".into();
    assert_eq!(report["model"]["base_url"], url);
    report["model"]["base_url"] = "http://127.0.0.1:[port]/v1".into();
    report["servers"][0]["server_version"] = "[version]".into();
    for t in report["trials"].as_array_mut().unwrap() {
        t["latency_ms"] = 0.into();
    }
}

#[test]
fn ctrl_c_writes_the_partial_report_and_exits_130() {
    interrupt_a_run("-INT", 130, "interrupted: writing the partial report");
}

#[test]
fn sigterm_writes_the_partial_report_and_exits_143() {
    interrupt_a_run(
        "-TERM",
        143,
        "terminated (SIGTERM): writing the partial report",
    );
}

/// Sends `signal` to a run once a few requests were answered: the partial report is written and
/// the run exits with `code`, saying `says`.
fn interrupt_a_run(signal: &str, code: i32, says: &str) {
    let rt = runtime();
    let mut script = script();
    script.delay_ms = 250;
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let child = crate::support::tooleval_process()
        .env("TOOLEVAL_TEST_KEY", "k")
        .args(["run", "--concurrency", "1", "--out"])
        .arg(ws.path().join("r.json"))
        .arg(&eval)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until a few requests have been answered, then interrupt.
    let start = std::time::Instant::now();
    while server.requests() < 4 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the run never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(says), "{stderr}");
    let report = ws.read_json("r.json");
    assert_eq!(report["complete"], false);
    let done = report["trials"].as_array().unwrap().len();
    assert!((3..18).contains(&done), "{done} trials recorded");
    // Every task is still listed in the summary, the unfinished ones without trials.
    assert_eq!(report["summary"]["tasks"].as_array().unwrap().len(), 9);
    // The summary says so first, and the tasks that never ran are not failures.
    let ran = report["summary"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trials"] != 0)
        .count();
    assert!(
        stderr.contains(&format!(
            "warning: the run did not finish: {ran} of 9 tasks ran; {} did not",
            9 - ran
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("of {ran} tasks that ran did not pass"))
            || stderr.contains(&format!("every task that ran passed ({ran} of {ran})")),
        "{stderr}"
    );
}

#[test]
fn a_bare_reply_without_optional_fields_is_scored() {
    let rt = runtime();
    let bare = json!({"choices": [{"message": {"tool_calls": [
        {"function": {"name": "search_logs", "arguments": "{\"service\": \"checkout\", \"level\": \"error\"}"}}
    ]}}]});
    let nameless = json!({"choices": [{"message": {"tool_calls": [{"function": {"arguments": "{}"}}]}, "finish_reason": "weird_new_reason"}]});
    let script = Script::default()
        .rule("Show error logs", Scripted::Body(bare))
        .rule("Stream the payments", Scripted::Body(nameless))
        .rule("", Scripted::Text("no".into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let (_, stderr, report) = run(&ws, &eval, "k", &["--quiet", "--trials", "1"]);
    let got = outcomes(&report);
    assert_eq!(got[0], ("pass".to_owned(), "pass".to_owned()), "{stderr}");
    assert!(report["trials"][0].get("usage").is_none());
    assert_eq!(got[1].1, "wrong_tool");
    let reason = report["trials"][1]["reason"].as_str().unwrap();
    assert!(reason.contains("a tool without a name"), "{reason}");
    assert_eq!(
        report["trials"][1]["reply"]["finish_reason"],
        "weird_new_reason"
    );
}

#[test]
fn a_terminal_shows_a_progress_bar_with_its_eta_and_a_pipe_gets_none() {
    // util-linux's `script` runs the command on a pseudo-terminal and copies what it draws.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        if std::env::var_os("CI").is_some() {
            panic!("`script` (util-linux) is needed to run tooleval on a terminal");
        }
        crate::support::skipped("`script` (util-linux) is not installed");
        return;
    }
    let rt = runtime();
    let mut slow = script();
    slow.delay_ms = 150;
    let server = rt.block_on(ScriptedServer::start(slow)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let line = format!(
        "'{}' run --trials 1 --concurrency 1 --out '{}' '{}'",
        crate::support::bin_path().display(),
        ws.path().join("r.json").display(),
        eval.display()
    );
    let mut on_terminal = std::process::Command::new("script");
    crate::support::clean_env(&mut on_terminal);
    let out = on_terminal
        .env("TOOLEVAL_TEST_KEY", "k")
        .env("TERM", "xterm")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .current_dir(ws.path())
        .output()
        .unwrap();
    let drawn = String::from_utf8_lossy(&out.stdout);
    // The bar counts trials out of the run's 9 and gives the time left.
    assert!(drawn.contains("/9 trials"), "{drawn}");
    assert!(drawn.contains("· ETA "), "{drawn}");
    assert!(
        drawn.contains("\x1b["),
        "a terminal gets control codes: {drawn}"
    );
    // Piped, the same run draws no bar and writes no control codes.
    let (code, stderr, _) = run(&ws, &eval, "k", &["--trials", "1", "--concurrency", "1"]);
    assert_eq!(
        out.status.code(),
        code,
        "the same run, the same verdict: {drawn}"
    );
    assert!(!stderr.contains("ETA"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr}");
}
