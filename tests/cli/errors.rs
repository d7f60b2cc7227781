//! Bad input: every error names the place and a fix, with the documented exit code; no panics.

use crate::support::{Workspace, repo, tooleval};

fn run(ws: &Workspace, eval: &std::path::Path) -> (Option<i32>, String) {
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--quiet"])
        .arg(eval)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), stderr)
}

/// Runs a one-task suite against the server described by `server` (a YAML mapping entry).
fn run_with_server(server: &str) -> (Option<i32>, String) {
    let ws = Workspace::new();
    ws.write(
        "suite.yaml",
        "tasks:\n  - id: a\n    prompt: hi\n    expect: none\n",
    );
    let eval = ws.write(
        "eval.yaml",
        &format!("servers:\n  {server}\nsuites: [suite.yaml]\n"),
    );
    run(&ws, &eval)
}

fn demo_eval(ws: &Workspace, suite: &str) -> std::path::PathBuf {
    ws.write("suite.yaml", suite);
    ws.write(
        "eval.yaml",
        "servers:\n  shop: { command: tooleval, args: [demo-server] }\nsuites: [suite.yaml]\n",
    )
}

#[test]
fn broken_yaml_points_at_line_and_column() {
    let ws = Workspace::new();
    let eval = demo_eval(
        &ws,
        "tasks:\n  - id: a\n    prompt: hi: there\n    expect: none\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("suite.yaml:3:15: mapping values are not allowed"),
        "{err}"
    );
    assert!(err.contains(" | ") && err.contains('^'), "{err}");
}

#[test]
fn unknown_fields_are_rejected_with_a_suggestion() {
    let ws = Workspace::new();
    let eval = demo_eval(
        &ws,
        "tasks:\n  - id: a\n    prompt: hi\n    expect: { tool: search_logs, strict_arg: true }\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("suite.yaml:4:") && err.contains("unknown field `strict_arg`"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `strict_args`?"), "{err}");

    let eval = ws.write(
        "eval2.yaml",
        "servers:\n  shop: { command: tooleval, arg: [demo-server] }\nsuites: [suite.yaml]\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("eval2.yaml:2:") && err.contains("did you mean `args`?"),
        "{err}"
    );
}

#[test]
fn an_unknown_tool_in_an_expectation_gets_did_you_mean() {
    let ws = Workspace::new();
    let eval = demo_eval(
        &ws,
        "tasks:\n  - id: a\n    prompt: hi\n    expect: none\n  - id: b\n    prompt: logs\n    expect:\n      tool: serch_logs\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("suite.yaml:8:13: task `b` expects tool `serch_logs`, which no server offers"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `search_logs`?"), "{err}");
}

#[test]
fn a_missing_variable_and_a_missing_suite_are_both_reported() {
    let ws = Workspace::new();
    let eval = ws.write(
        "eval.yaml",
        "servers:\n  s: { url: \"http://127.0.0.1:1/mcp\", headers: { Authorization: \"Bearer ${TOOLEVAL_NO_SUCH_VAR}\" } }\nsuites: [nope.yaml]\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("eval.yaml:2:") && err.contains("`TOOLEVAL_NO_SUCH_VAR` is not set"),
        "{err}"
    );
    assert!(
        err.contains("eval.yaml:3:") && err.contains("nope.yaml` does not exist"),
        "{err}"
    );
    assert!(err.contains("2 problems found"), "{err}");
}

#[test]
fn a_server_that_cannot_start_is_named_with_a_hint() {
    let (code, err) = run_with_server("ghost: { command: tooleval-no-such-program }");
    assert_eq!(code, Some(3));
    assert!(
        err.contains("error: server `ghost`: cannot start `tooleval-no-such-program`"),
        "{err}"
    );
    assert!(
        err.contains("hint: is `tooleval-no-such-program` installed and on PATH?"),
        "{err}"
    );
}

#[test]
fn a_server_that_crashes_shows_its_stderr() {
    let (code, err) = run_with_server(
        "crashy: { command: sh, args: [\"-c\", \"echo 'fatal: no config found' >&2; exit 1\"] }",
    );
    assert_eq!(code, Some(3));
    assert!(
        err.contains("server `crashy`: the server did not complete the MCP handshake"),
        "{err}"
    );
    assert!(err.contains("| fatal: no config found"), "{err}");
}

#[test]
fn a_server_that_hangs_times_out_naming_it() {
    let (code, err) =
        run_with_server("sleepy: { command: sleep, args: [\"30\"], timeout_secs: 1 }");
    assert_eq!(code, Some(3));
    assert!(
        err.contains("server `sleepy`: no answer to `initialize` within 1s"),
        "{err}"
    );
}

#[test]
fn no_api_key_for_openai_says_how_to_fix_it() {
    let ws = Workspace::new();
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--model", "gpt-4o-mini"])
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a configuration problem");
    assert!(
        err.contains("no API key for `gpt-4o-mini`") && err.contains("hint: export OPENAI_API_KEY"),
        "{err}"
    );
}

#[test]
fn an_argument_the_tool_does_not_take_gets_did_you_mean() {
    let ws = Workspace::new();
    let eval = demo_eval(
        &ws,
        "tasks:\n  - id: a\n    prompt: logs\n    expect:\n      tool: search_logs\n      args:\n        servce: checkout\n        trace_id: { absent: true }\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("suite.yaml:7:9: task `a`: tool `search_logs` has no parameter `servce`"),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `service`?"), "{err}");
    // `absent` may name any argument: it checks the model does not invent it.
    assert!(!err.contains("trace_id"), "{err}");
}

#[test]
fn a_type_that_contradicts_the_entry_is_rejected() {
    let (code, err) = run_with_server("legacy: { type: sse, url: \"http://127.0.0.1:1/sse\" }");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("HTTP+SSE transport, which tooleval does not support"),
        "{err}"
    );
    let (code, err) =
        run_with_server("odd: { type: http, command: tooleval, args: [demo-server] }");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("server `odd` is `type: http` but has a `command`"),
        "{err}"
    );
}

#[test]
fn keys_given_twice_and_misspelled_matchers_are_errors() {
    let ws = Workspace::new();
    let eval = demo_eval(
        &ws,
        "tasks:\n  - id: a\n    prompt: logs\n    expect:\n      tool: search_logs\n      args: { service: checkout, service: payments }\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("suite.yaml:6:") && err.contains("duplicate entry with key \"service\""),
        "{err}"
    );
    let eval = demo_eval(
        &ws,
        "tasks:\n  - id: a\n    prompt: logs\n    expect:\n      tool: search_logs\n      args: { query: { contain: timeout } }\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown matcher `contain`; did you mean `contains`?"),
        "{err}"
    );
    let eval = demo_eval(
        &ws,
        "tasks:\n  - id: a\n    prompt: logs\n    expect:\n      tool: search_logs\n      args: { query: { regex: \"(unclosed\" } }\n",
    );
    let (code, err) = run(&ws, &eval);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("invalid regex `(unclosed`: unclosed group"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
}

#[test]
fn values_from_the_environment_never_show_in_messages() {
    let ws = Workspace::new();
    ws.write(
        "suite.yaml",
        "tasks:\n  - id: a\n    prompt: hi\n    expect: none\n",
    );
    let eval = ws.write(
        "eval.yaml",
        "servers:\n  s: { url: \"http://127.0.0.1:9/mcp?key=${TOOLEVAL_TEST_SECRET}\", timeout_secs: 2 }\n  t: { command: \"/nonexistent/${TOOLEVAL_TEST_SECRET}\" }\nsuites: [suite.yaml]\n",
    );
    let out = tooleval()
        .env("TOOLEVAL_TEST_SECRET", "sk-sentinel-secret-42")
        .current_dir(ws.path())
        .args(["run", "--quiet"])
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("sk-sentinel-secret-42"), "{err}");
    assert!(err.contains("${TOOLEVAL_TEST_SECRET}"), "{err}");
}

#[test]
fn a_closed_stderr_is_not_a_crash() {
    let ws = Workspace::new();
    let mut child = crate::support::tooleval_process()
        .current_dir(ws.path())
        .arg("run")
        .arg(repo().join("evals/demo.yaml"))
        .args(["--out", "r.json"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // The report is still written, in the workspace.
    assert!(ws.path().join("r.json").exists());
}

#[test]
fn out_must_be_a_writable_file_and_is_checked_before_the_run() {
    let ws = Workspace::new();
    let out = tooleval()
        .args(["run", "--out", "/dev/null"])
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("`/dev/null` is a special file, not a file"),
        "{err}"
    );
    assert!(!err.contains("report:"), "the run must not start: {err}");
    let out = tooleval()
        .args(["run", "--out"])
        .arg(ws.path())
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a folder, not a file"));
}

#[test]
fn an_unknown_option_before_the_server_command_is_a_usage_error() {
    // Not "cannot start `--out`": clap's own error with the usage line, for every command that
    // takes a server command after `--`.
    let ws = Workspace::new();
    for command in ["tools", "lint", "init"] {
        let out = tooleval()
            .current_dir(ws.path())
            .args([command, "--out", "x", "--", "tooleval", "demo-server"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(
            err.contains("unexpected argument '--out'") && err.contains("Usage: tooleval"),
            "{command}: {err}"
        );
        assert!(!err.contains("cannot start"), "{command}: {err}");
    }
    // After `--`, options belong to the server's command line.
    let out = tooleval()
        .current_dir(ws.path())
        .args([
            "tools",
            "--format",
            "json",
            "--",
            "tooleval",
            "demo-server",
            "--page-size",
            "4",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tools: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        tools["tools"].as_array().is_some_and(|t| t.len() > 4),
        "{tools}"
    );
}

#[test]
fn a_variant_named_original_is_refused_as_reserved() {
    let ws = Workspace::new();
    let file = ws.write(
        "original.yaml",
        "tools:\n  get_incident:\n    description: Get one incident by its ID.\n",
    );
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--variant"])
        .arg(&file)
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the variant name `original` is reserved for the servers' own texts")
            && err.contains("hint: variants are named by their file names: rename the file"),
        "{err}"
    );
}

#[test]
fn an_http_error_from_an_mcp_url_is_said_in_plain_words() {
    // A web server that answers every request with 404, as a wrong path does.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read as _, Write as _};
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found",
            );
        }
    });
    let out = tooleval().args(["tools", &url]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("HTTP 404 from {url} to `initialize`: not found")),
        "{err}"
    );
    assert!(
        err.contains("hint: nothing is served at that path"),
        "{err}"
    );
    assert!(!err.contains("Transport error"), "{err}");
}

#[test]
fn every_model_of_a_matrix_without_a_key_is_named_at_once() {
    let out = tooleval()
        .args([
            "run",
            "--model",
            "gpt-4o",
            "--model",
            "anthropic:claude-x",
            "--model",
            "gpt-4o-mini",
        ])
        .arg(crate::support::repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for name in ["gpt-4o", "claude-x", "gpt-4o-mini"] {
        assert!(
            err.contains(&format!("error: no API key for `{name}`")),
            "{name}: {err}"
        );
    }
    assert_eq!(err.matches("hint:").count(), 3, "{err}");
    assert!(err.ends_with("error: 3 problems found\n"), "{err}");
}
