//! The tool schemas of real MCP servers (`tests/tool-schemas/`, README there: reference servers,
//! FastMCP/pydantic and zod output, third-party servers), each served by a demo server of its
//! own, sent to the scripted Anthropic and Gemini servers through a real run: every request must
//! be taken as the real API takes it, after conversion. What each provider is sent otherwise than
//! the server wrote it, tool by tool, is snapshotted from `lint --provider`.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, repo, runtime, tooleval};

/// Each corpus file: a server name made of its stem, and its tools as `demo-server --tools` takes
/// them (the `source` field left out).
fn corpus() -> Vec<(String, Value)> {
    let dir = repo().join("tests/tool-schemas");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus is in {}", dir.display());
    files
        .iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy();
            let server: String = stem
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let tools: Vec<Value> = serde_json::from_str::<Vec<Value>>(
                &std::fs::read_to_string(p).unwrap(),
            )
            .unwrap()
            .into_iter()
            .map(|t| {
                json!({"name": t["name"], "description": t["description"], "inputSchema": t["inputSchema"]})
            })
            .collect();
            (server, Value::Array(tools))
        })
        .collect()
}

/// An eval of every corpus server, one task asking for no tool, `model` its model line.
fn eval(ws: &Workspace, model: &str) -> PathBuf {
    let mut servers = String::new();
    for (server, tools) in corpus() {
        let file = ws.write(&format!("{server}.json"), &tools.to_string());
        servers.push_str(&format!(
            "  {server}: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\n",
            file.display()
        ));
    }
    ws.write(
        "suite.yaml",
        "name: corpus\ntasks:\n  - id: hello\n    prompt: Say hello.\n    expect: none\n",
    );
    ws.write(
        "eval.yaml",
        &format!("servers:\n{servers}{model}suites: [suite.yaml]\n"),
    )
}

#[test]
fn every_corpus_schema_is_taken_by_each_native_api_after_conversion() {
    let tools: usize = corpus()
        .iter()
        .map(|(_, t)| t.as_array().unwrap().len())
        .sum();
    for provider in ["anthropic", "gemini"] {
        let ws = Workspace::new();
        let rt = runtime();
        let server = rt
            .block_on(ScriptedServer::start(
                Script::default().rule("", Scripted::Text("Hello.".into())),
            ))
            .unwrap();
        let (name, base) = match provider {
            "anthropic" => ("claude-sonnet-4-5", server.base()),
            _ => ("gemini-2.5-flash", format!("{}/v1beta", server.base())),
        };
        let eval = eval(
            &ws,
            &format!(
                "model: {{ name: {name}, provider: {provider}, base_url: \"{base}\", api_key: k }}\n"
            ),
        );
        let report = ws.path().join("r.json");
        let out = tooleval()
            .current_dir(ws.path())
            .args(["run", "--quiet", "--out"])
            .arg(&report)
            .arg(&eval)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{provider}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(server.requests(), 1, "{provider}");
        let body = &server.bodies()[0];
        let sent = match provider {
            "anthropic" => body["tools"].as_array().unwrap().len(),
            _ => body["tools"][0]["functionDeclarations"]
                .as_array()
                .unwrap()
                .len(),
        };
        assert_eq!(sent, tools, "{provider}: every tool is sent");
    }
}

/// `lint --provider P --format json` on the corpus: each tool's conversion and mapped name.
fn changes(ws: &Workspace, eval: &Path, provider: &str) -> String {
    let out = tooleval()
        .current_dir(ws.path())
        .args(["lint", "--format", "json", "--provider", provider, "--eval"])
        .arg(eval)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut lines = Vec::new();
    for f in v["findings"].as_array().unwrap() {
        if f["rule"] == "schema-converted" || f["rule"] == "name-mapped" {
            let tools: Vec<&str> = f["tools"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            lines.push(format!(
                "{} {}: {}",
                f["rule"].as_str().unwrap(),
                tools.join(", "),
                f["message"].as_str().unwrap()
            ));
        }
    }
    lines.sort();
    lines.join("\n")
}

#[test]
fn what_each_provider_is_sent_of_the_corpus_is_listed_per_tool() {
    let ws = Workspace::new();
    let eval = eval(&ws, "");
    for provider in ["anthropic", "gemini"] {
        let text = changes(&ws, &eval, provider);
        assert!(text.contains("schema-converted"), "{provider}: {text}");
        crate::snapshot!(format!("tool_schemas_{provider}"), text);
    }
}
