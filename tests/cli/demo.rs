//! The demo eval, the `tools` command, and the demo server over stdio and streamable HTTP.

use serde_json::Value;

use crate::support::{Workspace, demo_http_server, repo, tooleval};

#[test]
fn demo_eval_runs_offline_and_writes_a_report() {
    let ws = Workspace::new();
    let out = tooleval()
        .current_dir(ws.path())
        .arg("run")
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("baseline (offline lexical ranking, not an LLM)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tool selection accuracy (95% CI)"),
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find(|l| l.starts_with("report: "))
        .expect("the report path is printed");
    let rel = line.trim_start_matches("report: ");
    assert!(rel.starts_with("reports/runs/demo-"), "{rel}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join(rel)).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["complete"], true);
    assert_eq!(report["model"]["kind"], "baseline");
    let suite_tasks = report["suites"][0]["tasks"].as_array().unwrap().len();
    assert!(suite_tasks >= 30, "{suite_tasks}");
    assert_eq!(report["trials"].as_array().unwrap().len(), suite_tasks);
    assert_eq!(report["servers"][0]["server_name"], "tooleval-demo");
    assert_eq!(report["servers"][0]["transport"], "stdio");
    assert!(
        report["tools"]["hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // Every trial carries a reply, an outcome from the closed set and a reason.
    const OUTCOMES: [&str; 11] = [
        "pass",
        "bad_args",
        "invalid_args",
        "wrong_tool",
        "no_call",
        "unexpected_call",
        "wrong_answer",
        "turn_limit",
        "looped",
        "stopped",
        "error",
    ];
    for t in report["trials"].as_array().unwrap() {
        assert!(OUTCOMES.contains(&t["outcome"].as_str().unwrap()), "{t}");
        assert!(t["reply"].is_object(), "{t}");
        assert!(!t["reason"].as_str().unwrap().is_empty(), "{t}");
    }
    // The baseline is deterministic: a second run scores the same.
    let again = tooleval()
        .current_dir(ws.path())
        .args(["run", "--quiet", "--format", "json", "--out", "again.json"])
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        summary["summary"]["full_call"],
        report["summary"]["full_call"]
    );
    assert_eq!(
        summary["summary"]["selection"],
        report["summary"]["selection"]
    );
    assert!(
        again.stderr.starts_with(b"report: again.json"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn tools_lists_the_demo_server_as_table_and_json() {
    let out = tooleval()
        .args(["tools", "--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("search_logs") && table.contains("service*:"),
        "{table}"
    );
    assert!(
        table.contains("15 tool(s), ") && table.contains(" tokens in all, set hash sha256:"),
        "{table}"
    );
    // What calling each tool does, as the server's annotations say.
    assert!(
        table.contains("calls by annotation: 11 read-only, 3 writes, 1 destructive, 0 unannotated"),
        "{table}"
    );

    let out = tooleval()
        .args(["tools", "--format", "json", "--eval"])
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let set: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tools = set["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 15);
    assert!(
        tools
            .iter()
            .all(|t| t["server"] == "shop" && t["input_schema"]["type"] == "object")
    );
}

#[test]
fn demo_server_over_streamable_http_gives_the_same_results() {
    let (_server, url) = demo_http_server();
    let out = tooleval()
        .args(["tools", "--format", "json", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let set: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(set["tools"].as_array().unwrap().len(), 15);
    // The annotations travel over HTTP as over stdio.
    let annotations = |name: &str| {
        set["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["annotations"]
            .clone()
    };
    assert_eq!(
        annotations("search_logs"),
        serde_json::json!({"readOnlyHint": true})
    );
    assert_eq!(
        annotations("rollback_deployment"),
        serde_json::json!({"readOnlyHint": false, "destructiveHint": true})
    );

    let ws = Workspace::new();
    let suite = repo().join("suites/observability.yaml");
    let eval = ws.write(
        "http.yaml",
        &format!(
            "servers:\n  shop: {{ url: \"{url}\" }}\nsuites: [\"{}\"]\n",
            suite.display()
        ),
    );
    let out = tooleval()
        .args(["run", "--quiet", "--out"])
        .arg(ws.path().join("http.json"))
        .arg(&eval)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let http = ws.read_json("http.json");
    assert_eq!(http["servers"][0]["transport"], "streamable-http");
    let out = tooleval()
        .args(["run", "--quiet", "--out"])
        .arg(ws.path().join("stdio.json"))
        .arg(repo().join("evals/demo.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdio = ws.read_json("stdio.json");
    assert_eq!(http["tools"]["hash"], stdio["tools"]["hash"]);
    assert_eq!(http["summary"]["full_call"], stdio["summary"]["full_call"]);
}

#[test]
fn help_explains_itself_with_examples() {
    let out = tooleval().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Examples:") && text.contains("tooleval run evals/demo.yaml"),
        "{text}"
    );
    for sub in ["run", "tools", "demo-server", "schema"] {
        let out = tooleval().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Example"),
            "{sub}"
        );
    }
    let out = tooleval().args(["run", "--help"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Exit codes: 0 passed (by default: met min_accuracy)")
    );
}

#[test]
fn colliding_tool_names_are_kept_apart_and_reported() {
    let ws = Workspace::new();
    let servers = "servers:\n  shop: { command: tooleval, args: [demo-server] }\n  mirror: { command: tooleval, args: [demo-server] }\n";
    ws.write(
        "ambiguous.yaml",
        "tasks:\n  - id: a\n    prompt: ack ALR-4821\n    expect: { tool: acknowledge_alert }\n",
    );
    let eval = ws.write("e1.yaml", &format!("{servers}suites: [ambiguous.yaml]\n"));
    let out = tooleval()
        .args(["run", "--quiet"])
        .arg(&eval)
        .current_dir(ws.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ambiguous.yaml:4:")
            && err.contains("tool `acknowledge_alert`, which several servers offer"),
        "{err}"
    );
    assert!(
        err.contains("hint: write `shop/acknowledge_alert` or `mirror/acknowledge_alert`"),
        "{err}"
    );

    ws.write("qualified.yaml", "tasks:\n  - id: a\n    prompt: ack ALR-4821\n    expect: { tool: shop/acknowledge_alert }\n");
    let eval = ws.write("e2.yaml", &format!("{servers}suites: [qualified.yaml]\n"));
    let out = tooleval()
        .args(["run", "--out", "r.json"])
        .arg(&eval)
        .current_dir(ws.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.replace("\n  ", " ").contains(
            "note: 30 tools are called by other names here (`shop/search_logs`, `shop/tail_logs`, `shop/get_metric`, and 27 more): another server offers a tool of the same name; the report lists each"
        ),
        "{err}"
    );
    let report = ws.read_json("r.json");
    assert_eq!(report["tools"]["tools"].as_array().unwrap().len(), 30);
    assert_eq!(report["tools"]["renamed"].as_array().unwrap().len(), 30);
    let ack = report["tools"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mirror/acknowledge_alert")
        .unwrap();
    assert_eq!(ack["api_name"], "mirror__acknowledge_alert");
    // The baseline ranks the two identical tools equally and takes the first listed: servers
    // keep the eval file's order, so that is `shop`'s, and the call maps back to its name.
    assert_eq!(report["trials"][0]["called"][0], "shop/acknowledge_alert");
    assert_eq!(report["trials"][0]["outcome"], "pass");
}
