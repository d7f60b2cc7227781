//! The native providers (Anthropic's Messages API, Gemini's `generateContent`) against scripted
//! servers that speak them on 127.0.0.1: calls, parallel calls, text-call recovery, agent
//! conversations, the schemas as sent, every failure, the cache, keys never written; and a
//! matrix of three models, one per provider.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, outcomes, runtime, tooleval};

const SUITE: &str = "name: native
tasks:
  - id: lookup
    prompt: Find the customer alice@example.com.
    expect: { tool: find_customer, args: { email: alice@example.com } }
  - id: both
    prompt: Refund order 42 and email its customer.
    expect:
      calls:
        - { tool: refund_order, args: { order: 42 } }
        - { tool: send_email }
  - id: chat
    prompt: Thanks, that is all.
    expect: none
";

/// Tools whose schemas use what Gemini does not take (`format: email`, `additionalProperties`,
/// `oneOf`) and what both take.
fn tools_file(ws: &Workspace) -> PathBuf {
    let tools = json!([
        {"name": "find_customer", "description": "Find one customer account by its email address; returns the account id and plan.",
         "inputSchema": {"type": "object", "additionalProperties": false, "required": ["email"],
                         "properties": {"email": {"type": "string", "format": "email", "description": "The customer's email."}}}},
        {"name": "refund_order", "description": "Refund a paid order in full or in part; returns the refund id.",
         "inputSchema": {"type": "object", "required": ["order"],
                         "properties": {"order": {"type": "integer", "description": "The order number."},
                                        "amount": {"oneOf": [{"type": "number"}, {"type": "string"}], "description": "How much; all when left out."}}}},
        {"name": "send_email", "description": "Send an email to a customer of an order; returns the message id.",
         "inputSchema": {"type": "object", "properties": {"subject": {"type": "string", "description": "The subject line."}}}}
    ]);
    ws.write("tools.json", &tools.to_string())
}

fn script() -> Script {
    Script::default()
        .call(
            "Find the customer",
            "find_customer",
            json!({"email": "alice@example.com"}),
        )
        .rule(
            "Refund order 42",
            Scripted::Calls(vec![
                ("refund_order".into(), r#"{"order": 42}"#.into()),
                ("send_email".into(), r#"{"subject": "Your refund"}"#.into()),
            ]),
        )
        .rule("Thanks", Scripted::Text("Glad to help.".into()))
}

/// An eval of `provider` against `server`, its key read from `SENTINEL_KEY`.
fn eval(ws: &Workspace, provider: &str, server: &ScriptedServer, extra: &str) -> PathBuf {
    let tools = tools_file(ws);
    ws.write("suite.yaml", SUITE);
    let (name, base) = match provider {
        "anthropic" => ("claude-sonnet-4-5", server.base()),
        "gemini" => ("gemini-2.5-flash", format!("{}/v1beta", server.base())),
        _ => ("gpt-4o-mini", server.url.clone()),
    };
    ws.write(
        &format!("{provider}.yaml"),
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\nmodel: {{ name: {name}, provider: {provider}, base_url: \"{base}\", api_key: \"${{SENTINEL_KEY}}\"{extra} }}\nsuites: [suite.yaml]\n",
            tools.display()
        ),
    )
}

/// An agent eval of one task (find why checkout fails in the logs) on the demo server's log
/// tools, asking `model` (the inside of the mapping), with `extra` lines before `suites`.
fn agent_eval(ws: &Workspace, model: &str, extra: &str) -> PathBuf {
    ws.write(
        "suite.yaml",
        "name: agent\ntasks:\n  - id: look\n    prompt: Why does checkout fail?\n    expect: { tool: search_logs, args: { service: checkout } }\n",
    );
    ws.write(
        "agent.yaml",
        &format!(
            "servers:\n  logs: {{ command: tooleval, args: [demo-server, --part, logs] }}\nmodel: {{ {model} }}\nmode: agent\n{extra}suites: [suite.yaml]\n"
        ),
    )
}

/// The trial of task `id` in a report.
fn trial(report: &Value, id: &str) -> Value {
    report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == id)
        .unwrap()
        .clone()
}

const SENTINEL: &str = "sk-sentinel-7f3a9c-never-written";

/// `tooleval run` in the eval's folder (the workspace: its cache lands there).
fn run(eval: &Path, report: &Path, args: &[&str]) -> std::process::Output {
    tooleval()
        .current_dir(eval.parent().unwrap())
        .env("SENTINEL_KEY", SENTINEL)
        .args(["run", "--out"])
        .arg(report)
        .args(args)
        .arg(eval)
        .output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn both_native_apis_run_a_suite_with_parallel_calls_and_keep_the_key_out_of_everything() {
    for provider in ["anthropic", "gemini"] {
        let ws = Workspace::new();
        let rt = runtime();
        let server = rt.block_on(ScriptedServer::start(script())).unwrap();
        let eval = eval(&ws, provider, &server, "");
        let report = ws.path().join("report.json");
        let out = run(&eval, &report, &["--cache", "readwrite"]);
        assert_eq!(out.status.code(), Some(0), "{provider}: {}", stderr(&out));
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(
            outcomes(&r),
            [
                ("lookup".to_owned(), "pass".to_owned()),
                ("both".to_owned(), "pass".to_owned()),
                ("chat".to_owned(), "pass".to_owned())
            ],
            "{provider}"
        );
        assert_eq!(r["model"]["kind"], provider);
        // Usage is read from the provider's own fields.
        assert_eq!(r["summary"]["tokens"]["prompt"], 300, "{provider}");
        // The key went to the server, in the provider's header, and nowhere else.
        assert_eq!(server.keys(), vec![SENTINEL.to_owned(); 3], "{provider}");
        let mut written = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
        written += &std::fs::read_to_string(&report).unwrap();
        for entry in walk(ws.path()) {
            written += &String::from_utf8_lossy(&std::fs::read(entry).unwrap());
        }
        assert!(
            !written.contains(SENTINEL),
            "{provider}: the key was written"
        );

        let bodies = server.bodies();
        let sent = &bodies[0];
        match provider {
            "anthropic" => {
                assert_eq!(sent["max_tokens"], 4096);
                let tools = sent["tools"].as_array().unwrap();
                assert_eq!(tools[0]["name"], "find_customer");
                // Anthropic takes the schema as it is.
                assert_eq!(tools[0]["input_schema"]["additionalProperties"], false);
                assert!(r["tools"].get("converted").is_none(), "{}", r["tools"]);
            }
            _ => {
                let decl = &sent["tools"][0]["functionDeclarations"];
                assert_eq!(decl[0]["name"], "find_customer");
                assert!(decl[0]["parameters"].get("additionalProperties").is_none());
                assert!(
                    decl[0]["parameters"]["properties"]["email"]
                        .get("format")
                        .is_none()
                );
                // What was sent, and what changed, is in the report.
                let converted = &r["tools"]["converted"];
                assert_eq!(converted["provider"], "gemini");
                let names: Vec<&str> = converted["tools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].as_str().unwrap())
                    .collect();
                assert_eq!(names, ["find_customer", "refund_order"]);
                assert_eq!(converted["tools"][0]["sent"], decl[0]["parameters"]);
                let features: Vec<&str> = converted["tools"][0]["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["feature"].as_str().unwrap())
                    .collect();
                assert!(features.contains(&"additionalProperties"), "{features:?}");
                assert!(features.contains(&"format: email"), "{features:?}");
                assert!(
                    stderr(&out).contains("Gemini was sent 2 tool schema(s) converted"),
                    "{}",
                    stderr(&out)
                );
                // The page lists each change.
                let page = ws.path().join("page.html");
                let out = tooleval()
                    .arg("report")
                    .arg(&report)
                    .arg("--html")
                    .arg(&page)
                    .output()
                    .unwrap();
                assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
                let html = std::fs::read_to_string(&page).unwrap();
                assert!(
                    html.contains("<li><code>find_customer</code>: `format: email` at /properties/email dropped</li>"),
                    "{html}"
                );
            }
        }

        // The cache answers a second run: no request, the same outcomes, no key in its files.
        let again = ws.path().join("again.json");
        let out = run(&eval, &again, &["--replay"]);
        assert_eq!(out.status.code(), Some(0), "{provider}: {}", stderr(&out));
        assert_eq!(
            server.requests(),
            3,
            "{provider}: the replay asked the server"
        );
        let r2: Value = serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
        assert_eq!(outcomes(&r2), outcomes(&r));
    }
}

/// Every file under `dir`, the cache's included.
fn walk(dir: &Path) -> Vec<PathBuf> {
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

#[test]
fn the_cache_key_names_the_provider() {
    // The same request to two providers at one address is two entries.
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let cache = ws.path().join("cache");
    for provider in ["anthropic", "gemini"] {
        let eval = eval(&ws, provider, &server, "");
        let out = tooleval()
            .env("SENTINEL_KEY", SENTINEL)
            .args(["run", "--quiet", "--cache", "readwrite", "--cache-dir"])
            .arg(&cache)
            .arg("--out")
            .arg(ws.path().join(format!("{provider}.json")))
            .arg(&eval)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert_eq!(
        server.requests(),
        6,
        "a provider was answered from another's cache"
    );
}

#[test]
fn text_calls_are_recovered_from_both_apis() {
    for provider in ["anthropic", "gemini"] {
        let ws = Workspace::new();
        let rt = runtime();
        let server = rt
            .block_on(ScriptedServer::start(
                Script::default().rule(
                    "Find the customer",
                    Scripted::Text(
                        r#"{"name": "find_customer", "arguments": {"email": "alice@example.com"}}"#
                            .into(),
                    ),
                ),
            ))
            .unwrap();
        let eval = eval(&ws, provider, &server, ", recover_text_calls: true");
        let report = ws.path().join("r.json");
        let out = run(&eval, &report, &["--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let lookup = trial(&r, "lookup");
        assert_eq!(lookup["outcome"], "pass", "{provider}: {lookup}");
        assert_eq!(lookup["reply"]["tool_calls"][0]["recovered"], true);
    }
}

/// Each failure a provider can answer with: one clear error naming the provider, with a hint,
/// or retries that end in an answer.
#[test]
fn failures_name_the_provider_and_retries_honour_retry_after() {
    let anthropic_error = |kind: &str, msg: &str| {
        json!({"type": "error", "error": {"type": kind, "message": msg}}).to_string()
    };
    let gemini_error = |code: u16, status: &str, msg: &str| {
        json!({"error": {"code": code, "message": msg, "status": status}}).to_string()
    };
    let cases: Vec<(&str, Scripted, &str, &str)> = vec![
        (
            "anthropic",
            Scripted::Status(401, anthropic_error("authentication_error", "invalid x-api-key")),
            "HTTP 401 from Anthropic: invalid x-api-key",
            "ANTHROPIC_API_KEY",
        ),
        (
            "anthropic",
            Scripted::Status(404, anthropic_error("not_found_error", "model: claude-x")),
            "HTTP 404 from Anthropic: model: claude-x",
            "check `model.name`",
        ),
        (
            "gemini",
            Scripted::Status(
                400,
                json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                                 "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}})
                .to_string(),
            ),
            "HTTP 400 from Gemini: API key not valid",
            "GEMINI_API_KEY",
        ),
        (
            "gemini",
            Scripted::Status(
                404,
                gemini_error(404, "NOT_FOUND", "models/gemini-x is not found"),
            ),
            "HTTP 404 from Gemini: models/gemini-x is not found",
            "ends in /v1beta",
        ),
    ];
    for (provider, reply, message, hint) in cases {
        let ws = Workspace::new();
        let rt = runtime();
        let server = rt
            .block_on(ScriptedServer::start(Script::default().rule("", reply)))
            .unwrap();
        let eval = eval(&ws, provider, &server, ", max_retries: 0");
        let out = run(&eval, &ws.path().join("r.json"), &["--quiet"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{provider}: {err}");
        assert!(err.contains(message), "{provider}: {err}");
        assert!(err.contains(hint), "{provider}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    // A malformed body is this trial's error, not the run's end; 429 and Anthropic's 529 are
    // retried after what the server asked (Gemini asks in its body).
    for provider in ["anthropic", "gemini"] {
        let busy = match provider {
            "anthropic" => Scripted::StatusWithHeaders(
                529,
                vec![("retry-after".into(), "0".into())],
                anthropic_error("overloaded_error", "Overloaded"),
            ),
            _ => Scripted::Status(
                429,
                json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota",
                                 "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0s"}]}})
                .to_string(),
            ),
        };
        let script = Script::default()
            .rule(
                "Find the customer",
                Scripted::Sequence(vec![
                    busy.clone(),
                    busy,
                    Scripted::Calls(vec![(
                        "find_customer".into(),
                        r#"{"email": "alice@example.com"}"#.into(),
                    )]),
                ]),
            )
            .rule("Refund", Scripted::Raw("{\"content\": [".into()))
            .rule("Thanks", Scripted::Body(json!({"unexpected": true})));
        let ws = Workspace::new();
        let rt = runtime();
        let server = rt.block_on(ScriptedServer::start(script)).unwrap();
        let eval = eval(&ws, provider, &server, "");
        let report = ws.path().join("r.json");
        // Trials without an answer are infrastructure errors: exit 3, the report written.
        let out = run(&eval, &report, &["--quiet"]);
        assert_eq!(out.status.code(), Some(3), "{provider}: {}", stderr(&out));
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let trial = |id: &str| trial(&r, id);
        assert_eq!(trial("lookup")["outcome"], "pass", "{provider}");
        assert_eq!(trial("lookup")["retries"], 2, "{provider}");
        assert_eq!(trial("both")["outcome"], "error", "{provider}");
        assert!(
            trial("both")["reason"]
                .as_str()
                .unwrap()
                .contains("reply is not valid JSON"),
            "{provider}: {}",
            trial("both")
        );
        let shape = trial("chat")["reason"].as_str().unwrap().to_owned();
        let want = if provider == "anthropic" {
            "Anthropic's reply has no `content` blocks"
        } else {
            "Gemini's reply has no `candidates`"
        };
        assert!(
            stderr(&out).contains(if provider == "anthropic" {
                "hint: check that Anthropic's Messages API (http://127.0.0.1:"
            } else {
                "hint: check that Gemini's generateContent API (http://127.0.0.1:"
            }),
            "{}",
            stderr(&out)
        );
        assert!(shape.contains(want), "{provider}: {shape}");
    }
}

/// Claude Opus 4.7 and later refuse `temperature` ("`temperature` is deprecated for this model.",
/// inspect_ai#3721, as of 2026-04): one clear error naming the model and the setting, no retry
/// with other settings; and a `models:` entry can unset the temperature it takes from `model`.
#[test]
fn a_setting_the_model_refuses_is_named_once_and_an_entry_can_unset_it() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let tools = tools_file(&ws);
    ws.write("suite.yaml", SUITE);
    let servers = format!(
        "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\nsuites: [suite.yaml]\n",
        tools.display()
    );
    let model = format!(
        "model: {{ name: claude-opus-4-7, provider: anthropic, base_url: \"{}\", api_key: k, temperature: 0.2 }}\n",
        server.base()
    );
    let eval = ws.write("one.yaml", &format!("{servers}{model}concurrency: 1\n"));
    let report = ws.path().join("r.json");
    let out = run(&eval, &report, &["--quiet"]);
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("`claude-opus-4-7` refuses the setting `temperature`"),
        "{err}"
    );
    assert!(err.contains("`temperature: null` unsets"), "{err}");
    assert_eq!(
        server.requests(),
        1,
        "stopped at the first refusal, never retried"
    );
    // The same model in a matrix, its entry unsetting the temperature: every request taken.
    let matrix = ws.write(
        "matrix.yaml",
        &format!(
            "{servers}{}models:\n  - {{ name: claude-opus-4-7, temperature: null }}\n  - claude-sonnet-4-5\n",
            model.replace("claude-opus-4-7", "claude-sonnet-4-5")
        ),
    );
    let out = run(&matrix, &ws.path().join("m.json"), &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The first body is the refused request of the single run.
    let bodies: Vec<Value> = server.bodies().into_iter().skip(1).collect();
    let opus: Vec<&Value> = bodies
        .iter()
        .filter(|b| b["model"] == "claude-opus-4-7")
        .collect();
    assert!(opus.len() > 1, "{}", opus.len());
    assert!(opus.iter().all(|b| b.get("temperature").is_none()));
    assert!(
        bodies
            .iter()
            .filter(|b| b["model"] == "claude-sonnet-4-5")
            .all(|b| b["temperature"]
                .as_f64()
                .is_some_and(|t| (t - 0.2).abs() < 1e-6))
    );
}

/// `schema: json_schema`: Gemini is sent each tool's JSON Schema as it is, in
/// `parametersJsonSchema`; nothing is converted, so the report records no conversion and `lint`
/// on the eval lists none for Gemini.
#[test]
fn gemini_can_be_sent_the_json_schema_as_it_is() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let as_is = eval(&ws, "gemini", &server, ", schema: json_schema");
    let report = ws.path().join("r.json");
    let out = run(&as_is, &report, &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = &server.bodies()[0];
    let d = &body["tools"][0]["functionDeclarations"][0];
    assert_eq!(d["name"], "find_customer");
    assert!(d.get("parameters").is_none(), "{d}");
    assert_eq!(
        d["parametersJsonSchema"]["properties"]["email"]["format"], "email",
        "sent as the server wrote it: {d}"
    );
    assert_eq!(d["parametersJsonSchema"]["additionalProperties"], false);
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(r["tools"].get("converted").is_none(), "{}", r["tools"]);
    assert_eq!(
        r["model"]["parameters"]["schema"], "parametersJsonSchema",
        "{}",
        r["model"]
    );
    let out = tooleval()
        .args(["lint", "--format", "json", "--eval"])
        .arg(&as_is)
        .env("SENTINEL_KEY", SENTINEL)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "schema-converted"),
        "{v}"
    );
    // Converted, as by default, the same eval lists Gemini's changes.
    let converted = eval(&ws, "gemini", &server, "");
    let out = tooleval()
        .args(["lint", "--format", "json", "--eval"])
        .arg(&converted)
        .env("SENTINEL_KEY", SENTINEL)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "schema-converted"),
        "{v}"
    );
}

/// A schema no rewrite makes JSON Schema 2020-12 (`type: int`): Anthropic would refuse every
/// request, so the run stops before the first, naming the tool and the place.
#[test]
fn a_schema_anthropic_cannot_take_stops_the_run_before_any_request() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let tools = ws.write(
        "tools.json",
        &json!([{"name": "count", "description": "Counts.", "inputSchema": {"type": "object", "properties": {"n": {"type": "int"}}}}]).to_string(),
    );
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "e.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\nsuites: [suite.yaml]\nmodel: {{ name: claude-sonnet-4-5, provider: anthropic, base_url: \"{}\", api_key: k }}\n",
            tools.display(),
            server.base()
        ),
    );
    let out = run(&eval, &ws.path().join("r.json"), &["--quiet"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("tool `count` of server `shop`: its input schema is not JSON Schema draft 2020-12 (at /properties/n/type: "),
        "{err}"
    );
    assert!(err.contains("lint --provider anthropic"), "{err}");
    assert_eq!(server.requests(), 0);
    // `lint` says so too, as an error.
    let out = tooleval()
        .args(["lint", "--format", "json", "--provider", "anthropic", "--"])
        .args(["tooleval", "demo-server", "--tools"])
        .arg(&tools)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "schema-unsupported"
                && f["severity"] == "error"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("Anthropic refuses it: not JSON Schema draft 2020-12")),
        "{v}"
    );
}

/// Retries as Anthropic's and OpenAI's SDKs make them (`_should_retry`, as of 2026): 408 and
/// 409 are retried, and `x-should-retry` wins over the status either way.
#[test]
fn retries_follow_the_sdks_statuses_and_the_servers_word() {
    let error = |kind: &str, msg: &str| {
        json!({"type": "error", "error": {"type": kind, "message": msg}}).to_string()
    };
    let header = |v: &str| vec![("x-should-retry".to_owned(), v.to_owned())];
    let found = Scripted::Calls(vec![(
        "find_customer".into(),
        r#"{"email": "alice@example.com"}"#.into(),
    )]);
    let script = Script::default()
        .rule(
            "Find the customer",
            Scripted::Sequence(vec![
                Scripted::Status(408, error("timeout_error", "Request timed out")),
                Scripted::Status(409, error("conflict_error", "Conflict")),
                Scripted::StatusWithHeaders(
                    400,
                    header("true"),
                    error("invalid_request_error", "try again"),
                ),
                found,
            ]),
        )
        .rule(
            "Refund",
            Scripted::StatusWithHeaders(500, header("false"), error("api_error", "do not retry")),
        )
        .rule("Thanks", Scripted::Text("Glad to help.".into()));
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let eval = eval(&ws, "anthropic", &server, ", max_retries: 3");
    let report = ws.path().join("r.json");
    let out = run(&eval, &report, &["--quiet"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let trial = |id: &str| trial(&r, id);
    assert_eq!(trial("lookup")["outcome"], "pass", "{}", trial("lookup"));
    assert_eq!(trial("lookup")["retries"], 3);
    assert_eq!(trial("both")["outcome"], "error");
    assert_eq!(
        trial("both")["retries"].as_u64().unwrap_or(0),
        0,
        "{}",
        trial("both")
    );
    // Four requests for the lookup, one for the refund, one for the chat.
    assert_eq!(server.requests(), 6);
}

#[test]
fn a_hanging_provider_times_out_as_an_error_of_its_trial() {
    for provider in ["anthropic", "gemini"] {
        let ws = Workspace::new();
        let rt = runtime();
        // The first rule that matches answers: the hang comes before the script's call.
        let mut s = Script::default().rule("Find the customer", Scripted::Hang);
        s.rules.extend(script().rules);
        let server = rt.block_on(ScriptedServer::start(s)).unwrap();
        let eval = eval(&ws, provider, &server, ", timeout_secs: 1, max_retries: 0");
        let report = ws.path().join("r.json");
        // Trials without an answer are infrastructure errors: exit 3, the report written.
        let out = run(&eval, &report, &["--quiet"]);
        assert_eq!(out.status.code(), Some(3), "{provider}: {}", stderr(&out));
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let lookup = trial(&r, "lookup");
        assert_eq!(lookup["outcome"], "error");
        assert!(
            lookup["reason"].as_str().unwrap().contains("timed out"),
            "{lookup}"
        );
    }
}

#[test]
fn agent_conversations_feed_results_back_in_each_api() {
    // The agent demo's first step, with the result of a real read-only call fed back as a
    // `tool_result` block (Anthropic) or a `functionResponse` part (Gemini).
    for provider in ["anthropic", "gemini"] {
        let ws = Workspace::new();
        let rt = runtime();
        let script = Script::default()
            .at_turn(
                "",
                1,
                Scripted::Calls(vec![(
                    "search_logs".into(),
                    r#"{"service": "checkout", "level": "error"}"#.into(),
                )]),
            )
            .rule(
                "",
                Scripted::Text("Checkout fails on payment timeouts.".into()),
            );
        let server = rt.block_on(ScriptedServer::start(script)).unwrap();
        let (name, base) = match provider {
            "anthropic" => ("claude-sonnet-4-5", server.base()),
            _ => ("gemini-2.5-flash", format!("{}/v1beta", server.base())),
        };
        let eval = agent_eval(
            &ws,
            &format!("name: {name}, provider: {provider}, base_url: \"{base}\", api_key: k"),
            "",
        );
        let report = ws.path().join("r.json");
        let out = run(&eval, &report, &["--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{provider}: {}", stderr(&out));
        let bodies = server.bodies();
        assert_eq!(bodies.len(), 2, "{provider}");
        let second = bodies[1].to_string();
        let fed_back = match provider {
            "anthropic" => second.contains("\"tool_result\"") && second.contains("\"tool_use_id\""),
            _ => second.contains("\"functionResponse\"") && second.contains("\"functionCall\""),
        };
        assert!(fed_back, "{provider}: {second}");
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let agent = &r["trials"][0]["agent"];
        assert_eq!(agent["turns"].as_array().unwrap().len(), 2, "{agent}");
        assert_eq!(
            r["trials"][0]["reply"]["content"],
            "Checkout fails on payment timeouts."
        );
    }
}

/// Anthropic refuses an error result without text ("content cannot be empty if `is_error` is
/// true", trae-agent#230, as of 2025-07): a mocked error of no text goes with a stand-in, and the
/// reply says so.
#[test]
fn an_empty_error_result_goes_to_anthropic_with_a_stand_in_text() {
    let ws = Workspace::new();
    let rt = runtime();
    let script = Script::default()
        .at_turn(
            "",
            1,
            Scripted::Calls(vec![(
                "search_logs".into(),
                r#"{"service": "checkout"}"#.into(),
            )]),
        )
        .rule("", Scripted::Text("No logs to read.".into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let eval = agent_eval(
        &ws,
        &format!(
            "name: claude-sonnet-4-5, provider: anthropic, base_url: \"{}\", api_key: k",
            server.base()
        ),
        "mocks:\n  search_logs: { error: \"\" }\n",
    );
    let report = ws.path().join("r.json");
    let out = run(&eval, &report, &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    let result = &bodies[1]["messages"][2]["content"][0];
    assert_eq!(result["is_error"], true, "{result}");
    assert_eq!(
        result["content"], "(the tool reported an error without any text)",
        "{result}"
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let notes = r["trials"][0]["notes"].to_string();
    assert!(
        notes.contains("the empty error result of `search_logs` was sent as"),
        "{notes}"
    );
}

/// A call recovered from the text of a Gemini reply has no thought signature, and Gemini 3
/// refuses a conversation whose call lacks one ("Function call is missing a thought_signature in
/// functionCall parts", koog#1148, as of 2025-11): it goes back with the documented stand-in.
#[test]
fn a_recovered_text_call_goes_back_to_gemini_with_the_stand_in_signature() {
    let ws = Workspace::new();
    let rt = runtime();
    let script = Script::default()
        .at_turn(
            "",
            1,
            Scripted::Text(
                r#"{"name": "search_logs", "arguments": {"service": "checkout", "level": "error"}}"#
                    .into(),
            ),
        )
        .rule("", Scripted::Text("Payment timeouts.".into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let eval = agent_eval(
        &ws,
        &format!(
            "name: gemini-3-pro-preview, provider: gemini, base_url: \"{}/v1beta\", api_key: k, recover_text_calls: true",
            server.base()
        ),
        "",
    );
    let report = ws.path().join("r.json");
    let out = run(&eval, &report, &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    let parts = &bodies[1]["contents"][1]["parts"];
    let call = parts
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p.get("functionCall").is_some())
        .unwrap_or_else(|| panic!("no call went back: {parts}"));
    assert_eq!(call["functionCall"]["name"], "search_logs", "{parts}");
    assert_eq!(
        call["thoughtSignature"], "skip_thought_signature_validator",
        "{parts}"
    );
}

#[test]
fn lint_lists_what_each_provider_is_sent_converted() {
    let ws = Workspace::new();
    let tools = tools_file(&ws);
    let out = tooleval()
        .args(["lint", "--format", "json", "--provider", "gemini", "--"])
        .args(["tooleval", "demo-server", "--tools"])
        .arg(&tools)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let converted: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema-converted")
        .map(|f| format!("{} {}", f["tools"][0], f["message"]))
        .collect();
    assert_eq!(converted.len(), 2, "{converted:?}");
    assert!(converted[0].contains("format: email"), "{converted:?}");
    assert!(converted[1].contains("oneOf"), "{converted:?}");
    // With an eval, its models' providers are checked: Anthropic takes these schemas as they are.
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "e.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\nsuites: [suite.yaml]\nmodels:\n  - {{ name: c, provider: anthropic }}\n  - {{ name: g, provider: gemini }}\n",
            tools.display()
        ),
    );
    let out = tooleval()
        .args(["lint", "--format", "json", "--eval"])
        .arg(&eval)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema-converted")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages.iter().all(|m| m.starts_with("Gemini: ")),
        "{messages:?}"
    );
    // Without a native provider named, the rule stays quiet.
    let out = tooleval()
        .args(["lint", "--format", "json", "--"])
        .args(["tooleval", "demo-server", "--tools"])
        .arg(&tools)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "schema-converted")
    );
}

/// A script whose answers differ from [`script`] on `lookup` (wrong tool) or `both` (one
/// call), so the three models disagree.
fn script_variant(which: &str) -> Script {
    let s = Script::default().rule("Thanks", Scripted::Text("Glad to help.".into()));
    match which {
        "wrong-lookup" => s
            .call("Find the customer", "send_email", json!({"subject": "hi"}))
            .rule(
                "Refund order 42",
                Scripted::Calls(vec![
                    ("refund_order".into(), r#"{"order": 42}"#.into()),
                    ("send_email".into(), "{}".into()),
                ]),
            ),
        _ => s
            .call(
                "Find the customer",
                "find_customer",
                json!({"email": "alice@example.com"}),
            )
            .call("Refund order 42", "refund_order", json!({"order": 42})),
    }
}

#[test]
fn a_matrix_of_three_providers_writes_a_report_each_and_the_combined_table() {
    let ws = Workspace::new();
    let rt = runtime();
    let openai = rt.block_on(ScriptedServer::start(script())).unwrap();
    let anthropic = rt
        .block_on(ScriptedServer::start(script_variant("wrong-lookup")))
        .unwrap();
    let gemini = rt
        .block_on(ScriptedServer::start(script_variant("one-call")))
        .unwrap();
    let tools = tools_file(&ws);
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "matrix.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\n\
             model: {{ name: gpt-4o-mini, base_url: \"{}\", api_key: \"${{SENTINEL_KEY}}\", temperature: 0 }}\n\
             models:\n  - gpt-4o-mini\n  - {{ name: claude-sonnet-4-5, provider: anthropic, base_url: \"{}\", api_key: \"${{SENTINEL_KEY}}\" }}\n  - {{ name: gemini-2.5-flash, provider: gemini, base_url: \"{}/v1beta\", api_key: \"${{SENTINEL_KEY}}\" }}\n\
             suites: [suite.yaml]\n",
            tools.display(),
            openai.url,
            anthropic.base(),
            gemini.base()
        ),
    );
    let report = ws.path().join("reports/m.json");
    let summary = ws.path().join("summary.md");
    let page = ws.path().join("m.html");
    let out = tooleval()
        .env("SENTINEL_KEY", SENTINEL)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["run", "--out"])
        .arg(&report)
        .arg("--html")
        .arg(&page)
        .arg(&eval)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // The job summary ends with the matrix; the page shows it and each model has its own.
    let md = std::fs::read_to_string(&summary).unwrap();
    let matrix_md = &md[md
        .find("## tooleval: 3 models on 3 tasks")
        .expect("the matrix section")..];
    assert!(
        matrix_md.contains("| `claude-sonnet-4-5` vs `gpt-4o-mini` | -33.3 points, p = 0.317 | `gpt-4o-mini`: lookup |"),
        "{matrix_md}"
    );
    assert!(
        matrix_md.contains("2 task(s) where the models disagree"),
        "{matrix_md}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for label in ["gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash"] {
        assert!(html.contains(&format!("<th>{label}</th>")), "{label}");
        assert!(
            ws.path().join(format!("m-{label}.html")).is_file(),
            "{label}"
        );
    }
    assert_eq!(html.matches(" class=\"disagree\"><td>").count(), 2);
    assert!(!html.contains(SENTINEL) && !md.contains(SENTINEL));
    // `tooleval report` makes the same page from the summary.
    let again = ws.path().join("again.html");
    let out = tooleval()
        .arg("report")
        .arg(ws.path().join("reports/m-matrix.json"))
        .arg("--html")
        .arg(&again)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&again).unwrap(), html);
    // One report per model, and the combined summary.
    for (name, kind) in [
        ("m-gpt-4o-mini.json", "openai-compatible"),
        ("m-claude-sonnet-4-5.json", "anthropic"),
        ("m-gemini-2.5-flash.json", "gemini"),
    ] {
        let r: Value = serde_json::from_str(
            &std::fs::read_to_string(ws.path().join("reports").join(name)).unwrap(),
        )
        .unwrap();
        assert_eq!(r["model"]["kind"], kind, "{name}");
        // The shared setting reached every model.
        assert!(
            r["model"]["parameters"].to_string().contains("temperature"),
            "{name}: {}",
            r["model"]
        );
    }
    assert_eq!(
        (openai.requests(), anthropic.requests(), gemini.requests()),
        (3, 3, 3)
    );
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("reports/m-matrix.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["kind"], "matrix");
    let disagree: Vec<&str> = m["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["disagree"] == true)
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(disagree, ["lookup", "both"]);
    assert_eq!(m["pairs"].as_array().unwrap().len(), 3);
    assert_eq!(m["pairs"][0]["a"], "gpt-4o-mini");
    assert_eq!(m["pairs"][0]["b"], "claude-sonnet-4-5");
    assert_eq!(m["pairs"][0]["a_better"], json!(["lookup"]));
    assert!(!err.contains(SENTINEL));
    // The combined table, pinned.
    let start = err.find("│ model ").expect("the models table");
    let start = err[..start].rfind('┌').unwrap_or(start);
    let table = &err[start..];
    crate::snapshot!(
        "matrix_table",
        table,
        &[(regex_path(ws.path()), "[ws]".to_owned())]
    );

    // In GitHub Actions with JSON on stdout, stdout is the matrix alone (the annotations go to
    // stderr).
    let out = tooleval()
        .env("SENTINEL_KEY", SENTINEL)
        .env("GITHUB_ACTIONS", "true")
        .args(["run", "--format", "json", "--out"])
        .arg(ws.path().join("json/m.json"))
        .arg(&eval)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON value");
    assert_eq!(v["kind"], "matrix");
    assert!(
        stderr(&out).contains("::"),
        "the annotations: {}",
        stderr(&out)
    );
    // `diff` takes any two of the reports.
    let out = tooleval()
        .args(["diff", "--format", "json"])
        .arg(ws.path().join("reports/m-gpt-4o-mini.json"))
        .arg(ws.path().join("reports/m-claude-sonnet-4-5.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let regressed: Vec<&str> = d["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "regressed")
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(regressed, ["lookup"]);
}

fn regex_path(p: &Path) -> String {
    regex::escape(&p.display().to_string())
}

#[test]
fn repeated_model_flags_make_a_matrix_and_other_commands_refuse_one() {
    let ws = Workspace::new();
    let tools = tools_file(&ws);
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "e.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\nsuites: [suite.yaml]\n",
            tools.display()
        ),
    );
    // A model named twice is refused; a missing key stops before any server starts.
    let out = tooleval()
        .args(["run", "--model", "baseline", "--model", "baseline"])
        .arg(&eval)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`--model` names `baseline` (baseline) twice"),
        "{err}"
    );
    let out = tooleval()
        .args([
            "run",
            "--model",
            "baseline",
            "--model",
            "anthropic:claude-sonnet-4-5",
        ])
        .arg(&eval)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no API key for `claude-sonnet-4-5`"), "{err}");
    assert!(err.contains("export ANTHROPIC_API_KEY"), "{err}");
    let out = tooleval()
        .args([
            "sweep",
            "--model",
            "baseline",
            "--model",
            "gemini:gemini-2.5-flash",
        ])
        .arg(&eval)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`sweep` measures one model, and 2 are named"),
        "{err}"
    );
}

#[test]
fn a_model_that_stops_does_not_stop_the_others() {
    // Anthropic refuses the key; the other two models finish, every report and the matrix are
    // written, and the run ends with Anthropic's error.
    let ws = Workspace::new();
    let rt = runtime();
    let openai = rt.block_on(ScriptedServer::start(script())).unwrap();
    let anthropic = rt
        .block_on(ScriptedServer::start(Script::default().rule(
            "",
            Scripted::Status(
                401,
                json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
                    .to_string(),
            ),
        )))
        .unwrap();
    let gemini = rt.block_on(ScriptedServer::start(script())).unwrap();
    let tools = tools_file(&ws);
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "matrix.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\n\
             models:\n  - {{ name: gpt-4o-mini, base_url: \"{}\", api_key: k }}\n  - {{ name: claude-sonnet-4-5, provider: anthropic, base_url: \"{}\", api_key: k }}\n  - {{ name: gemini-2.5-flash, provider: gemini, base_url: \"{}/v1beta\", api_key: k }}\n\
             suites: [suite.yaml]\nconcurrency: 1\n",
            tools.display(),
            openai.url,
            anthropic.base(),
            gemini.base()
        ),
    );
    let out = run(&eval, &ws.path().join("m.json"), &["--quiet"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(
            "HTTP 401 from Anthropic: invalid x-api-key; `claude-sonnet-4-5` stopped there"
        ),
        "{err}"
    );
    assert!(err.contains("hint: Anthropic refused the key"), "{err}");
    assert_eq!((openai.requests(), gemini.requests()), (3, 3));
    // One request, not one per task: the refusal stopped that model at once.
    assert_eq!(anthropic.requests(), 1);
    let m = ws.read_json("m-matrix.json");
    let complete: Vec<bool> = m["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["complete"].as_bool().unwrap())
        .collect();
    assert_eq!(complete, [true, false, true]);
}

/// Every outcome of a single reply, read alike through the three APIs: the same script and
/// suite give the same outcome for every task whichever API carries them.
#[test]
fn every_outcome_reads_the_same_through_each_api() {
    const OUTCOMES: &str = "name: outcomes
tasks:
  - id: pass
    prompt: Find the customer alice@example.com.
    expect: { tool: find_customer, args: { email: alice@example.com } }
  - id: bad-args
    prompt: Find the customer bob@example.com.
    expect: { tool: find_customer, args: { email: bob@example.com } }
  - id: invalid-args
    prompt: Refund order forty-two.
    expect: { tool: refund_order }
  - id: wrong-tool
    prompt: Refund order 7.
    expect: { tool: refund_order, args: { order: 7 } }
  - id: no-call
    prompt: Email the customer of order 9.
    expect: { tool: send_email }
  - id: unexpected-call
    prompt: Thanks, that is all.
    expect: none
";
    let script = || {
        Script::default()
            .call(
                "alice@example.com",
                "find_customer",
                json!({"email": "alice@example.com"}),
            )
            .call(
                "bob@example.com",
                "find_customer",
                json!({"email": "carol@example.com"}),
            )
            .call("forty-two", "refund_order", json!({"order": "forty-two"}))
            .call("Refund order 7", "send_email", json!({"subject": "Refund"}))
            .rule("Email the customer", Scripted::Text("Which order?".into()))
            .call("Thanks", "send_email", json!({"subject": "Thanks"}))
    };
    let mut seen = Vec::new();
    for provider in ["openai", "anthropic", "gemini"] {
        let ws = Workspace::new();
        let rt = runtime();
        let server = rt.block_on(ScriptedServer::start(script())).unwrap();
        let eval = eval(&ws, provider, &server, "");
        ws.write("suite.yaml", OUTCOMES);
        let report = ws.path().join("r.json");
        let out = run(&eval, &report, &["--quiet"]);
        assert_eq!(out.status.code(), Some(0), "{provider}: {}", stderr(&out));
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        seen.push((provider, outcomes(&r)));
    }
    let want: Vec<(String, String)> = [
        ("pass", "pass"),
        ("bad-args", "bad_args"),
        ("invalid-args", "invalid_args"),
        ("wrong-tool", "wrong_tool"),
        ("no-call", "no_call"),
        ("unexpected-call", "unexpected_call"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    for (provider, got) in seen {
        assert_eq!(got, want, "{provider}");
    }
}

#[test]
fn settings_a_native_api_refuses_stop_the_run_before_any_request() {
    let rt = runtime();
    for (provider, extra, says) in [
        (
            "anthropic",
            ", temperature: 1.5",
            "Anthropic takes a temperature from 0 to 1, and the eval sets 1.5",
        ),
        (
            "gemini",
            ", seed: 4294967296",
            "Gemini takes a 32-bit seed, and the eval sets 4294967296",
        ),
    ] {
        let ws = Workspace::new();
        let server = rt.block_on(ScriptedServer::start(script())).unwrap();
        let eval = eval(&ws, provider, &server, extra);
        let out = run(&eval, &ws.path().join("r.json"), &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{provider}: {err}");
        assert!(err.contains(says), "{provider}: {err}");
        assert!(err.contains("hint:"), "{err}");
        assert_eq!(server.requests(), 0, "{provider}: nothing was asked");
        assert!(!ws.path().join("r.json").exists());
    }
}
