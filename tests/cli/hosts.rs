//! Host profiles end to end (`host:` in an eval, `--host` on `run`): the demo server's log tools
//! presented as Claude Code presents them (`mcp__<server>__<tool>`, every tool deferred behind
//! `ToolSearch`), each search answered by tooleval and the tools it returned defined from the
//! next request, every search verdict, the search tool in each provider's form, `raw` changing
//! no byte, replays of deferred trials, a host that refuses a name before any request, a host
//! matrix, and a profile file of one's own.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, outcomes, runtime, tooleval};

/// The prompt of the one task: its expected call is `search_logs` for checkout.
const PROMPT: &str = "Show the checkout errors from the last hour.";

const SUITE: &str = "name: hosts
tasks:
  - id: errors
    prompt: Show the checkout errors from the last hour.
    expect: { tool: search_logs, args: { service: checkout } }
";

/// The six log tools of the demo server, in the order it lists them.
const LOG_TOOLS: [&str; 6] = [
    "search_logs",
    "tail_logs",
    "get_trace",
    "list_incidents",
    "get_incident",
    "create_incident",
];

const KEY: &str = "sk-hosts-test";

/// The name Claude Code gives a tool of the eval's server `shop`.
fn cc(tool: &str) -> String {
    format!("mcp__shop__{tool}")
}

/// A reply calling `tool` with `args`.
fn call(tool: &str, args: Value) -> Scripted {
    Scripted::Calls(vec![(tool.into(), args.to_string())])
}

/// A reply searching Claude Code's deferred tools for `query`.
fn search(query: &str) -> Scripted {
    call("ToolSearch", json!({ "query": query }))
}

/// A model that searches at turn 1 and answers `then` at turn 2.
fn search_then(query: &str, then: Scripted) -> Script {
    Script::default()
        .at_turn(PROMPT, 1, search(query))
        .at_turn(PROMPT, 2, then)
}

/// The model of `provider` at `server`, its key read from `HOSTS_KEY`.
fn model(provider: &str, server: &ScriptedServer) -> String {
    let (name, base) = match provider {
        "anthropic" => ("claude-sonnet-4-5", server.base()),
        "gemini" => ("gemini-2.5-flash", format!("{}/v1beta", server.base())),
        _ => ("gpt-4o-mini", server.url.clone()),
    };
    format!(
        "{{ name: {name}, provider: {provider}, base_url: \"{base}\", api_key: \"${{HOSTS_KEY}}\" }}"
    )
}

/// An eval of the one task against the demo server's log tools (as server `shop`), asking
/// `provider` at `server`, with `extra` lines (a `host:`) before `suites`.
fn eval(ws: &Workspace, provider: &str, server: &ScriptedServer, extra: &str) -> PathBuf {
    ws.write("suite.yaml", SUITE);
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --part, logs] }}\nmodel: {}\n{extra}suites: [suite.yaml]\n",
            model(provider, server)
        ),
    )
}

/// `tooleval run ARGS EVAL --out REPORT` in the eval's folder.
fn run(eval: &Path, report: &str, args: &[&str]) -> std::process::Output {
    tooleval()
        .current_dir(eval.parent().unwrap())
        .env("HOSTS_KEY", KEY)
        .args(["run", "--quiet", "--out", report])
        .args(args)
        .arg(eval)
        .output()
        .unwrap()
}

/// Runs and reads the report, the run having finished (exit 0: the gate has no floor).
fn run_ok(ws: &Workspace, eval: &Path, report: &str, args: &[&str]) -> Value {
    let out = run(eval, report, args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    ws.read_json(report)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The names of the tools a chat-completions request offers.
fn offered(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The tool definition named `name` in a chat-completions request.
fn offered_tool<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == name)
        .unwrap_or_else(|| panic!("no tool `{name}` in {}", body["tools"]))
}

/// The messages of a chat-completions request with this role.
fn messages<'a>(body: &'a Value, role: &str) -> Vec<&'a Value> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == role)
        .collect()
}

/// The one trial of a report, and its search record.
fn the_trial(report: &Value) -> (&Value, &Value) {
    let trials = report["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 1, "{report}");
    (&trials[0], &trials[0]["search"])
}

/// The tools each search of a record returned, by the suite's names.
fn returned(search: &Value) -> Vec<Vec<String>> {
    search["searches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["returned"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn a_deferred_tool_is_found_by_search_loaded_in_the_next_request_and_called() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(search_then(
            "logs",
            call(
                &cc("search_logs"),
                json!({"service": "checkout", "level": "error"}),
            ),
        )))
        .unwrap();
    let eval = eval(&ws, "openai", &server, "");
    // The server's instructions (from a descriptions file: the demo server sends none) go to the
    // system prompt, before the deferred names.
    let instructions = ws.write(
        "instructions.yaml",
        "servers:\n  shop:\n    instructions: Start from `search_logs`.\n",
    );
    let r = run_ok(
        &ws,
        &eval,
        "r.json",
        &[
            "--host",
            "claude-code",
            "--descriptions",
            instructions.to_str().unwrap(),
        ],
    );

    let (trial, search) = the_trial(&r);
    assert_eq!(trial["outcome"], "pass", "{trial}");
    // The search call is not one of the task's calls.
    assert_eq!(trial["called"], json!(["search_logs"]), "{trial}");
    assert_eq!(search["searches"][0]["query"], "logs", "{search}");
    let found = returned(search);
    assert_eq!(found.len(), 1, "{search}");
    assert_eq!(found[0][0], "search_logs", "{search}");
    assert!(found[0].contains(&"tail_logs".to_owned()), "{search}");
    assert_eq!(
        (
            &search["hit"],
            &search["rank"],
            &search["verdict"],
            &search["turns"]
        ),
        (&json!(true), &json!(1), &json!("found"), &json!(1)),
        "{search}"
    );
    // The report names the host and what its first request's tools cost: the search tool alone,
    // far less than the six definitions.
    let host = &r["host"];
    assert_eq!(host["name"], "claude-code", "{host}");
    assert_eq!(host["search_tool"], "ToolSearch", "{host}");
    let first = host["first_request_tool_tokens"].as_u64().unwrap();
    let all: u64 = r["tools"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokens"].as_u64().unwrap())
        .sum();
    assert!(first > 0 && first < all, "{first} of {all}: {host}");
    let s = &r["summary"]["search"];
    assert_eq!(
        (&s["trials"], &s["found"], &s["searches"], &s["mean_rank"]),
        (&json!(1), &json!(1), &json!(1), &json!(1.0)),
        "{s}"
    );
    assert_eq!(s["hit_rate"]["successes"], 1, "{s}");

    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2, "one search, then the scored reply");
    // The first request: the search tool alone, as the profile defines it; the system prompt
    // holds the instructions and the deferred tools' names.
    let first = &bodies[0];
    assert_eq!(offered(first), ["ToolSearch"], "{first}");
    let tool_search = &first["tools"][0]["function"];
    assert_eq!(
        tool_search["parameters"]["required"],
        json!(["query"]),
        "{tool_search}"
    );
    assert!(
        tool_search["parameters"]["properties"]
            .get("max_results")
            .is_some(),
        "{tool_search}"
    );
    let system = messages(first, "system");
    assert_eq!(system.len(), 1, "{first}");
    let system = system[0]["content"].as_str().unwrap();
    for name in LOG_TOOLS {
        assert!(system.contains(&cc(name)), "{name} not named: {system}");
    }
    assert!(
        system.contains("The following deferred tools are now available via ToolSearch:"),
        "{system}"
    );
    let at = |text: &str| {
        system
            .find(text)
            .unwrap_or_else(|| panic!("no {text:?} in {system}"))
    };
    assert!(
        at("# MCP Server Instructions") < at("## shop\nStart from `search_logs`.")
            && at("## shop\nStart from `search_logs`.") < at("via ToolSearch"),
        "{system}"
    );
    // No definition of a deferred tool went before a search returned it.
    assert!(
        !first["tools"]
            .to_string()
            .contains("Search historical application logs"),
        "{first}"
    );

    // The second request: the search tool, then every tool the search returned, each fully
    // defined; the search and its result are in the conversation.
    let second = &bodies[1];
    let mut expected = vec!["ToolSearch".to_owned()];
    expected.extend(found[0].iter().map(|t| cc(t)));
    assert_eq!(offered(second), expected, "{second}");
    let defined = &offered_tool(second, &cc("search_logs"))["function"];
    assert!(
        defined["description"]
            .as_str()
            .unwrap()
            .starts_with("Search historical application logs"),
        "{defined}"
    );
    assert_eq!(
        defined["parameters"]["required"],
        json!(["service"]),
        "{defined}"
    );
    assert!(
        defined["parameters"]["properties"]["service"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("checkout")),
        "{defined}"
    );
    let asked = messages(second, "assistant");
    assert_eq!(asked.len(), 1, "{second}");
    let asked = &asked[0]["tool_calls"][0];
    assert_eq!(asked["function"]["name"], "ToolSearch", "{asked}");
    let answer = messages(second, "tool");
    assert_eq!(answer.len(), 1, "{second}");
    assert_eq!(answer[0]["tool_call_id"], asked["id"], "{second}");
    let text = answer[0]["content"].as_str().unwrap();
    assert!(
        text.starts_with(&format!(
            "Loaded {} tool(s), callable from now on:",
            found[0].len()
        )) && text.contains(&cc("search_logs")),
        "{text}"
    );
}

/// Two searches, by keywords and by `select:`, neither returning `search_logs`; then an answer
/// without a call.
#[test]
fn a_search_that_never_returns_the_expected_tool_is_never_found() {
    let ws = Workspace::new();
    let rt = runtime();
    let script = Script::default()
        .at_turn(PROMPT, 1, search("incident"))
        .at_turn(
            PROMPT,
            2,
            search(&format!("select:{},tail_logs", cc("get_trace"))),
        )
        .at_turn(PROMPT, 3, Scripted::Text("I found no log tool.".into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let eval = eval(&ws, "openai", &server, "host: claude-code\n");
    let out = run(&eval, "r.json", &[]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    assert_eq!(server.requests(), 3);
    let r = ws.read_json("r.json");
    let (trial, search) = the_trial(&r);
    assert_eq!(trial["outcome"], "no_call", "{trial}");
    let found = returned(search);
    // Claude Code's keywords: `incident` is a whole part of two names (12, and 2 for the
    // description) and inside a part of a third (6 + 2); ties keep the servers' order.
    assert_eq!(
        found[0],
        ["get_incident", "create_incident", "list_incidents"],
        "{search}"
    );
    // `select:` takes the host's names or the server's, in the order asked.
    assert_eq!(found[1], ["get_trace", "tail_logs"], "{search}");
    assert_eq!(
        (&search["verdict"], &search["hit"], &search["turns"]),
        (&json!("never_found"), &json!(false), &json!(2)),
        "{search}"
    );
    assert!(search.get("rank").is_none(), "{search}");
    let reason = trial["reason"].as_str().unwrap();
    assert!(
        reason.contains("(never found: 2 search(es), `search_logs` never returned)"),
        "{reason}"
    );
    // The second request offered what the first search loaded; the third, both searches'.
    let bodies = server.bodies();
    assert_eq!(offered(&bodies[1]).len(), 1 + found[0].len());
    let third = offered(&bodies[2]);
    assert_eq!(
        third.len(),
        1 + found[0].len() + found[1].len(),
        "{third:?}"
    );
    assert!(!third.contains(&cc("search_logs")), "{third:?}");
    let s = &r["summary"]["search"];
    assert_eq!(
        (&s["never_found"], &s["searches"], &s["turns"]),
        (&json!(1), &json!(2), &json!(2)),
        "{s}"
    );
    assert_eq!(s["hit_rate"]["successes"], 0, "{s}");
    assert_eq!(s["tools"][0]["name"], "search_logs", "{s}");
    assert_eq!(s["tools"][0]["never_found"], 1, "{s}");
}

#[test]
fn a_returned_tool_the_model_does_not_call_is_found_but_not_chosen() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(search_then(
            "logs",
            call(&cc("tail_logs"), json!({"service": "checkout"})),
        )))
        .unwrap();
    let eval = eval(&ws, "openai", &server, "host: claude-code\n");
    let out = run(&eval, "r.json", &[]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let r = ws.read_json("r.json");
    let (trial, search) = the_trial(&r);
    assert_eq!(trial["outcome"], "wrong_tool", "{trial}");
    // Scored by the suite's names, not the host's.
    assert_eq!(trial["called"], json!(["tail_logs"]), "{trial}");
    assert_eq!(
        (&search["verdict"], &search["hit"], &search["rank"]),
        (&json!("found_not_chosen"), &json!(true), &json!(1)),
        "{search}"
    );
    let reason = trial["reason"].as_str().unwrap();
    assert!(
        reason.contains("found but not chosen: search returned `search_logs` at rank 1"),
        "{reason}"
    );
    assert_eq!(r["summary"]["search"]["found_not_chosen"], 1);
}

#[test]
fn a_model_that_answers_at_once_never_searched() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule(PROMPT, Scripted::Text("Checkout looks fine.".into())),
        ))
        .unwrap();
    let eval = eval(&ws, "openai", &server, "host: claude-code\n");
    let out = run(&eval, "r.json", &[]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let r = ws.read_json("r.json");
    let (trial, search) = the_trial(&r);
    assert_eq!(trial["outcome"], "no_call", "{trial}");
    assert_eq!(search["verdict"], "never_searched", "{search}");
    assert_eq!(search["searches"], json!([]), "{search}");
    assert!(
        trial["reason"].as_str().unwrap().contains("never searched"),
        "{trial}"
    );
    assert_eq!(r["summary"]["search"]["never_searched"], 1);
    assert_eq!(server.requests(), 1);
}

/// Anthropic's Messages API and Gemini take the search tool in their own form, answer the
/// search in their own form (a `tool_result` block, a `functionResponse` part), and the trial
/// passes.
#[test]
fn each_native_api_receives_the_search_tool_in_its_own_form() {
    for provider in ["anthropic", "gemini"] {
        let ws = Workspace::new();
        let rt = runtime();
        let server = rt
            .block_on(ScriptedServer::start(search_then(
                "logs",
                call(&cc("search_logs"), json!({"service": "checkout"})),
            )))
            .unwrap();
        let eval = eval(&ws, provider, &server, "host: claude-code\n");
        let r = run_ok(&ws, &eval, "r.json", &[]);
        let (trial, search) = the_trial(&r);
        assert_eq!(trial["outcome"], "pass", "{provider}: {trial}");
        assert_eq!(search["verdict"], "found", "{provider}: {search}");

        let bodies = server.bodies();
        assert_eq!(bodies.len(), 2, "{provider}");
        let (first, second) = (&bodies[0], &bodies[1]);
        match provider {
            "anthropic" => {
                let tools = first["tools"].as_array().unwrap();
                assert_eq!(tools.len(), 1, "{first}");
                assert_eq!(tools[0]["name"], "ToolSearch", "{first}");
                assert_eq!(tools[0]["input_schema"]["type"], "object", "{first}");
                assert_eq!(
                    tools[0]["input_schema"]["required"],
                    json!(["query"]),
                    "{first}"
                );
                assert!(
                    first["system"].to_string().contains(&cc("search_logs")),
                    "{first}"
                );
                let names: Vec<&str> = second["tools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    names.get(..2),
                    Some(&["ToolSearch", &*cc("search_logs")][..]),
                    "{second}"
                );
                assert!(second["messages"].to_string().contains("\"tool_result\""));
            }
            _ => {
                let decls = first["tools"][0]["functionDeclarations"]
                    .as_array()
                    .unwrap();
                assert_eq!(decls.len(), 1, "{first}");
                assert_eq!(decls[0]["name"], "ToolSearch", "{first}");
                assert_eq!(decls[0]["parameters"]["type"], "object", "{first}");
                assert!(
                    first["systemInstruction"]
                        .to_string()
                        .contains(&cc("search_logs")),
                    "{first}"
                );
                let names: Vec<&str> = second["tools"][0]["functionDeclarations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    names.get(..2),
                    Some(&["ToolSearch", &*cc("search_logs")][..]),
                    "{second}"
                );
                assert!(second["contents"].to_string().contains("functionResponse"));
            }
        }
    }
}

/// `raw` is the default: the same request, byte for byte, as with no host at all, and so the
/// same cache entries.
#[test]
fn the_raw_host_sends_the_same_bytes_as_no_host() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(Script::default().call(
            PROMPT,
            "search_logs",
            json!({"service": "checkout"}),
        )))
        .unwrap();
    let eval = eval(&ws, "openai", &server, "");
    let cache = ws.path().join("cache");
    let cache = cache.to_str().unwrap();
    let plain = run_ok(
        &ws,
        &eval,
        "plain.json",
        &["--cache", "readwrite", "--cache-dir", cache],
    );
    let raw = run_ok(&ws, &eval, "raw.json", &["--host", "raw"]);
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 2);
    // The scripted server keeps each body as JSON in its key order (serde_json's
    // `preserve_order`): the texts are equal where the bytes sent were.
    assert_eq!(bodies[0].to_string(), bodies[1].to_string());
    assert_eq!(offered(&bodies[1]).len(), LOG_TOOLS.len());
    assert!(raw.get("host").is_none(), "{}", raw["host"]);
    assert_eq!(outcomes(&raw), outcomes(&plain));

    // The cache key is the request's bytes: a run without a host replays under `raw`.
    let out = run(
        &eval,
        "replayed.json",
        &["--host", "raw", "--replay", "--cache-dir", cache],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(server.requests(), 2, "the replay asked the server");
    assert_eq!(outcomes(&ws.read_json("replayed.json")), outcomes(&plain));
}

/// A deferred trial is recorded search by search: its replay asks nothing and finds the same.
#[test]
fn a_deferred_run_replays_from_the_cache_with_the_same_searches() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(search_then(
            "logs",
            call(&cc("search_logs"), json!({"service": "checkout"})),
        )))
        .unwrap();
    let eval = eval(&ws, "openai", &server, "host: claude-code\n");
    let cache = ws.path().join("cache");
    let cache = cache.to_str().unwrap();
    let recorded = run_ok(
        &ws,
        &eval,
        "recorded.json",
        &["--cache", "readwrite", "--cache-dir", cache],
    );
    assert_eq!(server.requests(), 2);
    let replayed = run_ok(
        &ws,
        &eval,
        "replayed.json",
        &["--replay", "--cache-dir", cache],
    );
    assert_eq!(server.requests(), 2, "the replay asked the server");
    assert_eq!(outcomes(&replayed), outcomes(&recorded));
    assert_eq!(outcomes(&replayed)[0].1, "pass");
    let (_, was) = the_trial(&recorded);
    let (trial, now) = the_trial(&replayed);
    assert_eq!(trial["cached"], true, "{trial}");
    for field in ["searches", "hit", "rank", "verdict", "turns"] {
        assert_eq!(now[field], was[field], "{field}: {now} vs {was}");
    }
    assert_eq!(
        replayed["summary"]["search"]["found"],
        recorded["summary"]["search"]["found"]
    );
}

/// Copilot CLI passes names through, and the API refuses a `.`: the run stops before any
/// request, naming the tool's place in the request and the pattern.
#[test]
fn copilot_cli_refuses_a_dotted_name_before_any_request() {
    let ws = Workspace::new();
    let tools = json!([
        {"name": "search_logs", "description": "Search the logs of one service.",
         "inputSchema": {"type": "object", "properties": {"service": {"type": "string"}}}},
        {"name": "logs.tail", "description": "Follow the newest log lines of one service.",
         "inputSchema": {"type": "object", "properties": {"service": {"type": "string"}}}}
    ]);
    let tools = ws.write("tools.json", &tools.to_string());
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(Script::default().call(
            PROMPT,
            "shop-search_logs",
            json!({"service": "checkout"}),
        )))
        .unwrap();
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\nmodel: {}\nsuites: [suite.yaml]\n",
            tools.display(),
            model("openai", &server)
        ),
    );
    let out = run(&eval, "r.json", &["--host", "copilot-cli"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`tools.1` would be refused by copilot-cli: name `shop-logs.tail` does not match `^[a-zA-Z0-9_-]{1,128}$`"),
        "{err}"
    );
    assert!(err.contains("hint: rename the tool"), "{err}");
    assert_eq!(server.requests(), 0, "a request went");
    assert!(!ws.path().join("r.json").exists());
}

/// `--host raw --host claude-code`: a report per host, the matrix across hosts, and `diff` of the
/// two reports says the hosts differ.
#[test]
fn a_host_matrix_writes_a_report_per_host_and_diff_names_the_hosts() {
    let ws = Workspace::new();
    let rt = runtime();
    // Under Claude Code: a search, then the call by its name; under raw: the call at once.
    let script = Script::default()
        .at_turn(
            PROMPT,
            2,
            call(&cc("search_logs"), json!({"service": "checkout"})),
        )
        .rule_if_tools(PROMPT, "\"ToolSearch\"", search("logs"))
        .call(PROMPT, "search_logs", json!({"service": "checkout"}));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let eval = eval(&ws, "openai", &server, "");
    let out = run(&eval, "r.json", &["--host", "raw", "--host", "claude-code"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        server.requests(),
        3,
        "one request under raw, two under claude-code"
    );

    let raw = ws.read_json("r-raw.json");
    let cc_report = ws.read_json("r-claude-code.json");
    assert!(raw.get("host").is_none(), "{}", raw["host"]);
    assert!(raw["summary"].get("search").is_none(), "{}", raw["summary"]);
    assert_eq!(cc_report["host"]["name"], "claude-code");
    assert_eq!(cc_report["summary"]["search"]["found"], 1);
    assert_eq!(outcomes(&raw)[0].1, "pass");
    assert_eq!(outcomes(&cc_report)[0].1, "pass");
    let matrix = ws.read_json("r-matrix.json");
    assert_eq!(matrix["axis"], "host", "{matrix}");
    let entries = matrix["models"].as_array().unwrap();
    let labels: Vec<&Value> = entries.iter().map(|e| &e["label"]).collect();
    assert_eq!(labels, [&json!("raw"), &json!("claude-code")], "{matrix}");
    assert_eq!(entries[0]["report"], "r-raw.json", "{matrix}");
    assert_eq!(entries[1]["report"], "r-claude-code.json", "{matrix}");
    assert_eq!(entries[1]["host"], "claude-code", "{matrix}");
    assert_eq!(entries[1]["search_hit_rate"]["successes"], 1, "{matrix}");
    // Deferral's point: the first request carries far fewer tokens of tools.
    let tokens = |e: &Value| e["first_request_tool_tokens"].as_u64().unwrap();
    assert!(tokens(&entries[1]) < tokens(&entries[0]), "{matrix}");

    let out = tooleval()
        .current_dir(ws.path())
        .args(["diff", "r-raw.json", "r-claude-code.json"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{said}");
    assert!(
        said.contains("the host differs: raw vs claude-code"),
        "{said}"
    );
}

/// A profile of one's own: names as its template forms them, the tools past its cap left out
/// with a warning; a field it does not know is an input error at its place.
#[test]
fn a_profile_file_names_and_caps_the_tools_and_its_mistakes_are_located() {
    let ws = Workspace::new();
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(Script::default().call(
            PROMPT,
            "x_search_logs",
            json!({"service": "checkout"}),
        )))
        .unwrap();
    let eval = eval(&ws, "openai", &server, "");
    ws.write(
        "ours.yaml",
        "name: ours\nnames: {template: \"x_{tool}\"}\ncap: {max: 2, past: first}\n",
    );
    let out = run(&eval, "r.json", &["--host", "./ours.yaml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for left_out in &LOG_TOOLS[2..] {
        assert!(
            err.contains(&format!(
                "warning: ours leaves out `{left_out}`: it sends only the first 2 tools"
            )),
            "{left_out}: {err}"
        );
    }
    for sent in &LOG_TOOLS[..2] {
        assert!(!err.contains(&format!("`{sent}`")), "{sent}: {err}");
    }
    let bodies = server.bodies();
    assert_eq!(offered(&bodies[0]), ["x_search_logs", "x_tail_logs"]);
    let r = ws.read_json("r.json");
    assert_eq!(outcomes(&r)[0].1, "pass");
    assert_eq!(r["trials"][0]["called"], json!(["search_logs"]));
    assert_eq!(r["host"]["name"], "ours");
    let dropped: Vec<&str> = r["host"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["effect"] == "dropped")
        .map(|f| f["tool"].as_str().unwrap())
        .collect();
    assert_eq!(dropped, LOG_TOOLS[2..]);
    assert!(r["host"].get("search_tool").is_none(), "{}", r["host"]);

    // A field no profile has, on the command line and in the eval.
    ws.write(
        "bad.yaml",
        "name: bad\nnames:\n  template: \"x_{tool}\"\n  prefx: y\n",
    );
    let out = run(&eval, "r2.json", &["--host", "./bad.yaml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: ./bad.yaml:4:3: names: unknown field `prefx`"),
        "{err}"
    );
    let with_host = ws.write(
        "eval-bad.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --part, logs] }}\nmodel: {}\nhost: bad.yaml\nsuites: [suite.yaml]\n",
            model("openai", &server)
        ),
    );
    let out = run(&with_host, "r3.json", &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let at = format!(
        "{}:4:3: names: unknown field `prefx`",
        ws.path().join("bad.yaml").display()
    );
    assert!(err.contains(&at), "{err}");
    // A name that is no built-in profile and no file.
    let out = run(&eval, "r4.json", &["--host", "claud-code"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no host profile is named `claud-code`"),
        "{err}"
    );
    assert!(
        err.contains("raw, claude-code, claude-code-auto, vscode, cursor, copilot-cli"),
        "{err}"
    );
    assert_eq!(server.requests(), 1, "a broken profile asked the model");
}

/// With `native: anthropic_bm25`, an Anthropic model is sent every tool deferred beside the
/// Messages API's own search tool, and the searches the API reports (its `server_tool_use` and
/// `tool_search_tool_result` blocks) are measured as tooleval's own are.
#[test]
fn anthropic_searches_for_itself_when_the_profile_asks_for_its_native_search() {
    let ws = Workspace::new();
    let rt = runtime();
    let reply = json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "tool_search_tool_bm25",
             "input": {"query": "search logs of a service"}},
            {"type": "tool_search_tool_result", "tool_use_id": "srvtoolu_1",
             "content": {"type": "tool_search_tool_search_result", "tool_references": [
                 {"type": "tool_reference", "tool_name": "tail_logs"},
                 {"type": "tool_reference", "tool_name": "search_logs"}]}},
            {"type": "tool_use", "id": "toolu_1", "name": "search_logs",
             "input": {"service": "checkout"}}
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 900, "output_tokens": 40}
    });
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule(PROMPT, Scripted::Body(reply)),
        ))
        .unwrap();
    ws.write(
        "native.yaml",
        "name: native\ndeferral:\n  mode: always\n  native: anthropic_bm25\n  search: {name: find_tools, description: Find tools., input_schema: {type: object, properties: {query: {type: string}}, required: [query]}, results: 5, ranking: bm25}\n",
    );
    let eval = eval(&ws, "anthropic", &server, "host: native.yaml\n");
    let r = run_ok(&ws, &eval, "r.json", &[]);
    let (trial, search) = the_trial(&r);
    assert_eq!(trial["outcome"], "pass", "{trial}");
    assert_eq!(
        returned(search),
        [vec!["tail_logs".to_owned(), "search_logs".to_owned()]]
    );
    assert_eq!(search["searches"][0]["query"], "search logs of a service");
    assert_eq!((&search["hit"], &search["rank"]), (&json!(true), &json!(2)));
    assert_eq!(search["verdict"], "found", "{search}");

    // One request: the API's search tool first, every tool after it deferred.
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 1);
    let tools = bodies[0]["tools"].as_array().unwrap();
    assert_eq!(
        tools[0],
        json!({"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25", "cache_control": {"type": "ephemeral"}})
    );
    assert_eq!(tools.len(), 1 + LOG_TOOLS.len(), "{}", bodies[0]);
    assert!(
        tools[1..]
            .iter()
            .all(|t| t["defer_loading"] == json!(true) && t["input_schema"].is_object()),
        "{}",
        bodies[0]
    );
}
