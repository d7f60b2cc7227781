//! Provider faults end to end: retries with Retry-After, 5xx, slow replies, dropped connections,
//! a refused key; the response cache and replay; no secret in any file written.

use std::io::Read as _;
use std::path::Path;

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, runtime, tooleval};

const SUITE: &str = "tasks:
  - id: logs
    prompt: Show error logs of checkout.
    expect: { tool: search_logs, args: { service: checkout } }
  - id: alerts
    prompt: Which alerts fire on cart?
    expect: { tool: list_alerts, args: { service: cart } }
  - id: thanks
    prompt: Thanks!
    expect: none
";

fn good(tool: &str, args: Value) -> Scripted {
    Scripted::Calls(vec![(tool.into(), args.to_string())])
}

fn script_with(first: Scripted) -> Script {
    Script::default()
        .rule("error logs", first)
        .call("Which alerts", "list_alerts", json!({"service": "cart"}))
        .rule("Thanks", Scripted::Text("Welcome.".into()))
}

fn eval(ws: &Workspace, url: &str, model_extra: &str) -> std::path::PathBuf {
    ws.write("suite.yaml", SUITE);
    ws.write(
        "eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel:\n  name: m\n  base_url: \"{url}\"\n  api_key: ${{TOOLEVAL_FAULTS_KEY}}\n{model_extra}suites: [suite.yaml]\nconcurrency: 1\n"),
    )
}

fn run(ws: &Workspace, eval: &Path, flags: &[&str]) -> (Option<i32>, String, Value) {
    let out = tooleval()
        .env("TOOLEVAL_FAULTS_KEY", "sk-faults-sentinel-4242424242")
        .current_dir(ws.path())
        .args(["run", "--quiet", "--out", "r.json"])
        .args(flags)
        .arg(eval)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(ws.path().join("r.json").exists(), "no report: {stderr}");
    let r = ws.read_json("r.json");
    std::fs::remove_file(ws.path().join("r.json")).unwrap();
    (out.status.code(), stderr, r)
}

fn trial<'a>(r: &'a Value, task: &str) -> &'a Value {
    r["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == task)
        .unwrap()
}

#[test]
fn a_429_with_retry_after_is_retried_and_counted() {
    let rt = runtime();
    let limited = Scripted::StatusWithHeaders(
        429,
        vec![("Retry-After".into(), "1".into())],
        "{\"error\": {\"message\": \"slow down\"}}".into(),
    );
    let server = rt
        .block_on(ScriptedServer::start(script_with(Scripted::Sequence(
            vec![limited, good("search_logs", json!({"service": "checkout"}))],
        ))))
        .unwrap();
    let ws = Workspace::new();
    let (code, stderr, r) = run(&ws, &eval(&ws, &server.url, ""), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(trial(&r, "logs")["outcome"], "pass");
    assert_eq!(trial(&r, "logs")["retries"], 1);
    assert_eq!(r["summary"]["retries"], 1);
    assert_eq!(server.requests(), 4, "3 tasks, one retried once");
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    let rt = runtime();
    let boom = Scripted::Status(503, "overloaded".into());
    let server = rt
        .block_on(ScriptedServer::start(script_with(Scripted::Sequence(
            vec![
                boom.clone(),
                boom.clone(),
                good("search_logs", json!({"service": "checkout"})),
            ],
        ))))
        .unwrap();
    let ws = Workspace::new();
    let (code, _, r) = run(&ws, &eval(&ws, &server.url, "  max_retries: 2\n"), &[]);
    assert_eq!(code, Some(0));
    assert_eq!(trial(&r, "logs")["retries"], 2);

    // Always failing: it gives up after max_retries and says so; the other tasks still run.
    let server = rt
        .block_on(ScriptedServer::start(script_with(boom)))
        .unwrap();
    let ws = Workspace::new();
    let (code, stderr, r) = run(&ws, &eval(&ws, &server.url, "  max_retries: 1\n"), &[]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(trial(&r, "logs")["outcome"], "error");
    assert_eq!(
        trial(&r, "logs")["reason"],
        "HTTP 503 from OpenAI-compatible API: overloaded (after 1 retries)"
    );
    assert_eq!(trial(&r, "alerts")["outcome"], "pass");
    assert_eq!(server.requests(), 4);
}

#[test]
fn a_slow_reply_times_out_and_the_retry_answers() {
    let rt = runtime();
    let slow = Scripted::Delay(
        2500,
        Box::new(good("search_logs", json!({"service": "checkout"}))),
    );
    let server = rt
        .block_on(ScriptedServer::start(script_with(Scripted::Sequence(
            vec![slow, good("search_logs", json!({"service": "checkout"}))],
        ))))
        .unwrap();
    let ws = Workspace::new();
    let (code, stderr, r) = run(&ws, &eval(&ws, &server.url, "  timeout_secs: 1\n"), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(trial(&r, "logs")["outcome"], "pass");
    assert_eq!(trial(&r, "logs")["retries"], 1);
}

#[test]
fn a_dropped_connection_is_retried_then_reported() {
    // A server that accepts and hangs up at once, for a bounded number of connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::thread::spawn(move || {
        let mut n = 0;
        for stream in listener.incoming().take(6) {
            let mut s = stream.unwrap();
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            drop(s);
            n += 1;
        }
        n
    });
    let ws = Workspace::new();
    ws.write(
        "suite.yaml",
        "tasks:\n  - { id: one, prompt: hi, expect: none }\n",
    );
    let eval = ws.write(
        "eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {{ name: m, base_url: \"http://127.0.0.1:{port}/v1\", api_key: k, max_retries: 2 }}\nsuites: [suite.yaml]\n"),
    );
    let (code, stderr, r) = run(&ws, &eval, &[]);
    assert_eq!(code, Some(3), "{stderr}");
    let t = trial(&r, "one");
    assert_eq!(t["retries"], 2);
    assert!(
        t["reason"]
            .as_str()
            .unwrap()
            .starts_with("the request failed"),
        "{t}"
    );
    // Let the acceptor finish: connect three more times so `take(6)` ends.
    for _ in 0..3 {
        let _ = std::net::TcpStream::connect(("127.0.0.1", port));
    }
    assert_eq!(accepted.join().unwrap(), 6);
}

#[test]
fn a_refused_key_stops_the_run_at_once() {
    let rt = runtime();
    let refused = Scripted::Status(
        401,
        "{\"error\": {\"message\": \"Incorrect API key provided\"}}".into(),
    );
    let server = rt
        .block_on(ScriptedServer::start(Script::default().rule("", refused)))
        .unwrap();
    let ws = Workspace::new();
    let (code, stderr, r) = run(&ws, &eval(&ws, &server.url, ""), &["--trials", "5"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(server.requests(), 1, "one request, not fifteen");
    assert!(
        stderr.contains(
            "error: model: HTTP 401 from OpenAI-compatible API: Incorrect API key provided"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("hint: the API key was refused"), "{stderr}");
    assert_eq!(r["complete"], false);
    assert!(!stderr.contains("sk-faults-sentinel"), "{stderr}");
}

/// A model that answers every task with a good call to `search_logs` for checkout.
fn checkout_server(rt: &tokio::runtime::Runtime) -> ScriptedServer {
    rt.block_on(ScriptedServer::start(script_with(good(
        "search_logs",
        json!({"service": "checkout"}),
    ))))
    .unwrap()
}

#[test]
fn the_cache_answers_a_rerun_and_replay_needs_no_model() {
    let rt = runtime();
    let server = checkout_server(&rt);
    let ws = Workspace::new();
    let e = eval(&ws, &server.url, "");
    let cache = [
        "--cache",
        "readwrite",
        "--cache-dir",
        "cache",
        "--trials",
        "2",
    ];
    let (code, _, first) = run(&ws, &e, &cache);
    assert_eq!(code, Some(0));
    assert_eq!(server.requests(), 6);
    // Trials stay independent: one entry per task and trial, and one for the servers' tool
    // listing (what a replay lists instead of starting them).
    let stats = tooleval()
        .current_dir(ws.path())
        .args(["cache", "stats", "--dir", "cache"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&stats.stdout).contains("cache: 7 entries"),
        "{}",
        String::from_utf8_lossy(&stats.stdout)
    );
    let (code, _, second) = run(&ws, &e, &cache);
    assert_eq!(code, Some(0));
    assert_eq!(server.requests(), 6, "the rerun asked the model nothing");
    assert_eq!(second["summary"]["cached"], 6);
    assert_eq!(
        first["summary"]["full_call"],
        second["summary"]["full_call"]
    );

    // Replay: no model needed. The recording is keyed by host and path, not port, so it
    // replays against a URL where nothing listens.
    drop(server);
    let dead = eval(&ws, "http://127.0.0.1:9/v1", "");
    let (code, stderr, replayed) = run(
        &ws,
        &dead,
        &["--replay", "--cache-dir", "cache", "--trials", "2"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(replayed["summary"]["cached"], 6);
    assert_eq!(
        replayed["summary"]["full_call"],
        first["summary"]["full_call"]
    );
    // A third trial was never recorded: replay fails loudly, naming the task.
    let (code, stderr, partial) = run(
        &ws,
        &dead,
        &["--replay", "--cache-dir", "cache", "--trials", "3"],
    );
    assert_eq!(partial["complete"], false);
    assert_eq!(code, Some(3));
    assert!(
        stderr.contains("(trial 2)") && stderr.contains("hint: record it first"),
        "{stderr}"
    );

    // No file written holds the key.
    for entry in walk(ws.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("sk-faults-sentinel"),
            "{}",
            entry.display()
        );
    }
    // Only entries count: a folder of something else beside them is not one.
    ws.write("cache/tokens/o200k_base.json", "{}");
    let stats = tooleval()
        .current_dir(ws.path())
        .args(["cache", "stats", "--dir", "cache"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&stats.stdout).contains("cache: 7 entries"),
        "{}",
        String::from_utf8_lossy(&stats.stdout)
    );
    // Removing everything is asked for; off a terminal it needs --yes.
    let refused = tooleval()
        .current_dir(ws.path())
        .args(["cache", "prune", "--dir", "cache"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("would remove all 7 entries") && err.contains("hint: pass --yes"),
        "{err}"
    );
    let pruned = tooleval()
        .current_dir(ws.path())
        .args(["cache", "prune", "--yes", "--dir", "cache"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&pruned.stderr).contains("removed 7 entries"));
}

#[test]
fn the_cache_lives_at_the_project_root_wherever_tooleval_runs() {
    let rt = runtime();
    let server = checkout_server(&rt);
    let ws = Workspace::new();
    std::fs::create_dir(ws.path().join(".git")).unwrap();
    ws.write("evals/suite.yaml", SUITE);
    let e = ws.write(
        "evals/eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel:\n  name: m\n  base_url: \"{}\"\n  api_key: k\nsuites: [suite.yaml]\nconcurrency: 1\n", server.url),
    );
    let out = tooleval()
        .current_dir(ws.path().join("evals"))
        .args([
            "run",
            "--quiet",
            "--cache",
            "readwrite",
            "--out",
            "r.json",
            "eval.yaml",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(e.exists());
    assert!(
        ws.path().join(".tooleval/cache").is_dir(),
        "the cache is at the root"
    );
    assert!(
        !ws.path().join("evals/.tooleval").exists(),
        "and nowhere else"
    );
    // `tooleval cache` finds the same folder from anywhere in the project.
    let stats = tooleval()
        .current_dir(ws.path().join("evals"))
        .args(["cache", "stats"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&stats.stdout);
    // Three replies and the servers' tool listing.
    assert!(text.contains(".tooleval/cache: 4 entries"), "{text}");
    // Reports go to the same root, not beside the eval file.
    let out = tooleval()
        .current_dir(ws.path().join("evals"))
        .args(["run", "--quiet", "--cache", "readwrite", "eval.yaml"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("report: ../reports/runs/eval-"), "{err}");
    assert_eq!(
        std::fs::read_dir(ws.path().join("reports/runs"))
            .unwrap()
            .count(),
        1
    );
    assert!(!ws.path().join("evals/reports").exists());

    // Outside git the root is the current folder: a run from the project folder and `cache
    // stats` from it see one cache, and nothing lands beside the eval file.
    let plain = Workspace::new();
    plain.write("evals/suite.yaml", SUITE);
    plain.write(
        "evals/eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel:\n  name: m\n  base_url: \"{}\"\n  api_key: k\nsuites: [suite.yaml]\nconcurrency: 1\n", server.url),
    );
    let out = tooleval()
        .current_dir(plain.path())
        .args(["run", "--quiet", "--cache", "readwrite", "evals/eval.yaml"])
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1));
    assert!(plain.path().join(".tooleval/cache").is_dir());
    assert!(plain.path().join("reports/runs").is_dir());
    assert!(!plain.path().join("evals/.tooleval").exists());
    let stats = tooleval()
        .current_dir(plain.path())
        .args(["cache", "stats"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&stats.stdout);
    assert!(text.contains(".tooleval/cache: 4 entries"), "{text}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
