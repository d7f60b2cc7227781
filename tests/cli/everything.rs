//! The official reference server `@modelcontextprotocol/server-everything` from the npm registry,
//! over stdio and over streamable HTTP (bound to 127.0.0.1), with the scripted model.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{
    ChildGuard, Workspace, everything_bin, free_port, outcomes, repo, runtime, tooleval,
    wait_for_port,
};

const SUITE: &str = r#"
tasks:
  - id: echo
    prompt: Repeat back the words "hello there".
    expect: { tool: echo, args: { message: { contains: hello } } }
  - id: sum
    prompt: What is 2 plus 3? Use a tool.
    expect: { tool: get-sum, args: { a: 2, b: { approx: 3, tolerance: 0.001 } } }
  - id: sum-wrong
    prompt: Add 10 and 20.
    expect: { tool: get-sum, args: { a: 10, b: 20 } }
  - id: sum-bad
    prompt: Add 1 and 1.
    expect: { tool: get-sum, args: { a: 1, b: 1 } }
  - id: nothing
    prompt: Tell me a joke.
    expect: none
"#;

fn script() -> Script {
    Script::default()
        .call("Repeat back", "echo", json!({"message": "hello there"}))
        .call("2 plus 3", "get-sum", json!({"a": 2, "b": 3.0}))
        .call("Add 10", "echo", json!({"message": "10 + 20"}))
        .call("Add 1 and 1", "get-sum", json!({"a": 1, "b": 2}))
        .rule(
            "joke",
            Scripted::Text("Why did the tool cross the road?".into()),
        )
}

fn check_scores(report: &Value) {
    let got = outcomes(report);
    let want = [
        ("echo", "pass"),
        ("sum", "pass"),
        ("sum-wrong", "wrong_tool"),
        ("sum-bad", "bad_args"),
        ("nothing", "pass"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(report["summary"]["full_call"]["successes"], 3);
    assert_eq!(report["summary"]["selection"]["successes"], 4);
    assert_eq!(
        report["servers"][0]["server_name"],
        "mcp-servers/everything"
    );
    assert!(report["servers"][0]["tool_count"].as_u64().unwrap() >= 12);
}

#[test]
fn server_everything_over_stdio_scores_as_scripted() {
    let Some(bin) = everything_bin() else { return };
    let rt = runtime();
    let model = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  everything: {{ command: \"{}\", args: [stdio] }}\nmodel: {{ name: m, base_url: \"{}\", api_key: k }}\nsuites: [suite.yaml]\n",
            bin.display(),
            model.url
        ),
    );
    let out = tooleval()
        .args(["run", "--quiet", "--out"])
        .arg(ws.path().join("r.json"))
        .arg(&eval)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = ws.read_json("r.json");
    check_scores(&report);
    assert_eq!(report["servers"][0]["transport"], "stdio");
    // Kebab-case names go through unchanged; the schema as sent has no `$schema`.
    let sum = report["tools"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "get-sum")
        .unwrap();
    assert_eq!(sum["api_name"], "get-sum");
    assert!(sum["input_schema"].get("$schema").is_none());
}

#[test]
fn server_everything_over_streamable_http_scores_as_scripted() {
    let Some(bin) = everything_bin() else { return };
    let port = free_port();
    let preload = repo().join("tests/peers/loopback.cjs");
    let child = Command::new(&bin)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .env("NODE_OPTIONS", format!("--require {}", preload.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = ChildGuard(child);
    wait_for_port(port, Duration::from_secs(20));
    let url = format!("http://127.0.0.1:{port}/mcp");

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
    let names: Vec<&str> = set["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo") && names.contains(&"get-sum"),
        "{names:?}"
    );

    let rt = runtime();
    let model = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "eval.yaml",
        &format!("servers:\n  everything: {{ url: \"{url}\" }}\nmodel: {{ name: m, base_url: \"{}\", api_key: k }}\nsuites: [suite.yaml]\n", model.url),
    );
    let out = tooleval()
        .args(["run", "--quiet", "--out"])
        .arg(ws.path().join("r.json"))
        .arg(&eval)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = ws.read_json("r.json");
    check_scores(&report);
    assert_eq!(report["servers"][0]["transport"], "streamable-http");
}
