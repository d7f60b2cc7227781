//! `tooleval improve`: a scripted writer proposes descriptions, a scripted evaluator (or the
//! offline baseline) whose choices depend on the descriptions it is shown measures them, and the
//! loop keeps or rejects each proposal; the guards reject bad proposals with their reasons.

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, repo, runtime, tooleval};

/// Two tune tasks (one fails under the servers' texts) and two held out.
const SUITE: &str = "tasks:
  - id: follow
    prompt: Follow the payments logs live.
    split: tune
    expect: { tool: tail_logs, args: { service: payments } }
  - id: errors
    prompt: Show error logs of checkout.
    expect: { tool: search_logs, args: { service: checkout } }
  - id: watch
    prompt: Watch the frontend logs as they arrive.
    split: holdout
    expect: { tool: tail_logs, args: { service: frontend } }
  - id: warnings
    prompt: Find warning logs of the search service.
    split: holdout
    expect: { tool: search_logs, args: { service: search } }
";

/// Fixes the confusion: the evaluator picks `tail_logs` for live logs once it reads this.
const GOOD: &str = "tools:
  tail_logs:
    description: Stream the newest log lines of one service as they are written; for past logs matching a query, use search_logs.
";

/// Helps tune, hurts holdout: the evaluator also sends warning searches to `tail_logs`.
const OVERREACH: &str = "tools:
  tail_logs:
    description: Returns the newest log lines of one service. Prefer it for any log question about a service.
";

/// The writer's brief is the last user message of a request without tools.
const BRIEF: &str = "Tools to rewrite";

/// The evaluator, after the writer's rules (the brief holds tune prompts, so the writer's rules
/// come first), after the rules that fail a writer's request holding a holdout prompt.
fn evaluator(writer: Script) -> Script {
    let call = |tool: &str, service: &str| {
        Scripted::Calls(vec![(
            tool.into(),
            json!({ "service": service }).to_string(),
        )])
    };
    let mut script = Script::default()
        // The writer never sees a holdout prompt: a request without tools holding one fails.
        .rule_if_at_most(
            "Watch the frontend",
            0,
            Scripted::Status(500, "holdout leaked".into()),
        )
        .rule_if_at_most(
            "warning logs of the search",
            0,
            Scripted::Status(500, "holdout leaked".into()),
        );
    script.rules.extend(writer.rules);
    script
        .rule_if_tools(
            "warning logs of the search",
            "Prefer it for any log",
            call("tail_logs", "search"),
        )
        .rule_if_tools(
            "Follow the payments",
            "Stream the newest",
            call("tail_logs", "payments"),
        )
        .rule_if_tools(
            "Follow the payments",
            "Prefer it for any log",
            call("tail_logs", "payments"),
        )
        .rule_if_tools(
            "Watch the frontend",
            "Stream the newest",
            call("tail_logs", "frontend"),
        )
        .rule("Follow the payments", call("search_logs", "payments"))
        .rule("Watch the frontend", call("search_logs", "frontend"))
        .rule("warning logs of the search", call("search_logs", "search"))
        .rule("error logs of checkout", call("search_logs", "checkout"))
}

fn eval(ws: &Workspace, url: &str, extra: &str) -> std::path::PathBuf {
    ws.write("suite.yaml", SUITE);
    ws.write(
        "eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {{ name: m, base_url: \"{url}\", api_key: k }}\nsuites: [suite.yaml]\n{extra}"),
    )
}

/// Runs `improve` in the workspace with the scripted writer `w`; (exit code, stderr, the
/// improve report).
fn improve(ws: &Workspace, eval: &std::path::Path, args: &[&str]) -> (i32, String, Value) {
    let mut all = vec!["--writer-model", "w", "--out", "improved.yaml"];
    all.extend(args);
    improve_with(ws, eval, &all)
}

/// Runs `improve` with `args` alone, its report at `out/improve.json`.
fn improve_with(ws: &Workspace, eval: &std::path::Path, args: &[&str]) -> (i32, String, Value) {
    let out = tooleval()
        .current_dir(ws.path())
        .arg("improve")
        .arg(eval)
        .args(["--report", "out/improve.json"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = std::fs::read_to_string(ws.path().join("out/improve.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), err, report)
}

#[test]
fn a_proposal_that_fixes_the_confusion_is_kept_and_written_with_why() {
    let rt = runtime();
    let script =
        evaluator(Script::default().rule(BRIEF, Scripted::Text(format!("```yaml\n{GOOD}```"))));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let (code, err, r) = improve(&ws, &eval, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("improve: at most "),
        "the cost comes first: {err}"
    );
    assert!(
        err.contains("round 1: kept: tune 50.0% -> 100.0%; holdout 50.0% -> 100.0%"),
        "{err}"
    );
    let round = &r["rounds"][0];
    assert_eq!(round["decision"], "kept");
    // The tool that was expected comes before the one chosen in its place.
    assert_eq!(round["evidence"][0]["tool"], "tail_logs");
    assert_eq!(round["evidence"][1]["tool"], "search_logs");
    assert_eq!(round["evidence"][0]["failures"][0]["task"], "follow");
    assert_eq!(r["holdout_consulted"], 1);
    assert_eq!(round["measured"]["holdout"]["fixed"], json!(["watch"]));
    assert_eq!(r["after"]["holdout"]["successes"], 2);
    // The kept texts, with why, read back as a descriptions file that `run` takes.
    let kept = std::fs::read_to_string(ws.path().join("improved.yaml")).unwrap();
    assert!(
        kept.contains("# round 1: 1 failing tune task(s): follow (wrong_tool)"),
        "{kept}"
    );
    assert!(kept.contains("confused with `search_logs`"), "{kept}");
    let out = tooleval()
        .current_dir(ws.path())
        .args([
            "run",
            "--out",
            "check.json",
            "--descriptions",
            "improved.yaml",
        ])
        .arg(&eval)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let check = ws.read_json("check.json");
    assert!(
        check["trials"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["outcome"] == "pass")
    );
    // The summary and the run reports beside the report; `diff` reads them.
    let md = std::fs::read_to_string(ws.path().join("out/improve.md")).unwrap();
    assert!(md.contains("### Round 1: kept"), "{md}");
    assert!(md.contains("<ins>Stream the newest"), "word diff: {md}");
    let diff = tooleval()
        .current_dir(ws.path())
        .args([
            "diff",
            "out/improve-before.json",
            "out/improve-round-1.json",
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&diff.stdout).into_owned() + &String::from_utf8_lossy(&diff.stderr);
    assert!(text.contains("tail_logs"), "{text}");
}

/// The writer's requests among the server's (requests without tools holding the brief).
fn writer_bodies(server: &ScriptedServer) -> Vec<Value> {
    server
        .bodies()
        .into_iter()
        .filter(|b| b.get("tools").is_none() && b.to_string().contains(BRIEF))
        .collect()
}

#[test]
fn the_writer_is_held_to_a_schema_of_the_tools_to_rewrite_and_its_yaml_quoting_is_mended() {
    let rt = runtime();
    // As a small model wrote it: an unquoted `: ` inside a description.
    let unquoted = "tools:\n  tail_logs:\n    description: Stream the newest log lines of one service as they are written: for past logs matching a query, use search_logs.\n";
    let json_reply = json!({"tools": {"tail_logs": {
        "description": "Stream the newest log lines of one service as they are written; for past logs matching a query, use search_logs.",
        "parameters": {"service": "Service to follow."}
    }}})
    .to_string();
    for (reply, mended) in [(unquoted.to_owned(), true), (json_reply, false)] {
        let server = rt
            .block_on(ScriptedServer::start(evaluator(
                Script::default().rule(BRIEF, Scripted::Text(reply.clone())),
            )))
            .unwrap();
        let ws = Workspace::new();
        let eval = eval(&ws, &server.url, "");
        let (code, err, r) = improve(&ws, &eval, &[]);
        assert_eq!(code, 0, "{err}");
        let round = &r["rounds"][0];
        assert_eq!(round["decision"], "kept", "{reply}: {err}");
        let attempt = &round["attempts"][0];
        assert_eq!(attempt["format"], "json_schema");
        assert_eq!(attempt["reply"], reply.as_str());
        let notes = attempt["notes"].to_string();
        assert_eq!(notes.contains("mended"), mended, "{notes}");
        if mended {
            assert!(notes.contains("1 value(s)"), "{notes}");
            assert!(err.contains("proposal 1: the YAML was mended"), "{err}");
            // Every word as the writer wrote it.
            let kept = std::fs::read_to_string(ws.path().join("improved.yaml")).unwrap();
            assert!(
                kept.contains("as they are written: for past logs"),
                "{kept}"
            );
        }
        // The schema names exactly the tools to rewrite, each parameter they have, all
        // required, nothing else (OpenAI's strict rules, which the scripted server checks).
        let bodies = writer_bodies(&server);
        let format = &bodies[0]["response_format"]["json_schema"];
        assert_eq!(format["name"], "descriptions");
        assert_eq!(format["strict"], true);
        let tools = &format["schema"]["properties"]["tools"];
        let asked: Vec<&String> = tools["properties"].as_object().unwrap().keys().collect();
        assert_eq!(asked, ["tail_logs", "search_logs"]);
        assert_eq!(tools["required"], json!(["tail_logs", "search_logs"]));
        let params = &tools["properties"]["tail_logs"]["properties"]["parameters"];
        assert_eq!(params["additionalProperties"], false);
        assert!(params["properties"].get("service").is_some(), "{params}");
    }
}

#[test]
fn a_writer_whose_api_refuses_structured_output_is_asked_for_text() {
    let rt = runtime();
    let refusal = r#"{"error":{"message":"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model. Learn more about supported models at the Structured Outputs guide: https://platform.openai.com/docs/guides/structured-outputs","type":"invalid_request_error","param":null,"code":null}}"#;
    let server = rt
        .block_on(ScriptedServer::start(
            evaluator(Script::default().rule(BRIEF, Scripted::Text(GOOD.into())))
                .refusing_structured(400, refusal),
        ))
        .unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let (code, err, r) = improve(&ws, &eval, &[]);
    assert_eq!(code, 0, "{err}");
    let attempt = &r["rounds"][0]["attempts"][0];
    assert_eq!(r["rounds"][0]["decision"], "kept");
    assert_eq!(attempt["format"], "text");
    assert!(
        attempt["notes"][0]
            .as_str()
            .unwrap()
            .contains("refused structured output, so plain text was asked for: HTTP 400"),
        "{attempt}"
    );
    let asked: Vec<bool> = writer_bodies(&server)
        .iter()
        .map(|b| b.get("response_format").is_some())
        .collect();
    assert_eq!(asked, [true, false]);
}

#[test]
fn a_proposal_that_helps_tune_but_hurts_holdout_is_rejected() {
    let rt = runtime();
    let script = evaluator(Script::default().rule(BRIEF, Scripted::Text(OVERREACH.into())));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let (code, err, r) = improve(&ws, &eval, &[]);
    assert_eq!(code, 0, "{err}");
    let round = &r["rounds"][0];
    assert_eq!(round["decision"], "rejected", "{err}");
    assert!(
        round["why"]
            .as_str()
            .unwrap()
            .contains("holdout full-call accuracy dropped"),
        "{round}"
    );
    assert_eq!(round["measured"]["tune"]["fixed"], json!(["follow"]));
    assert_eq!(
        round["measured"]["holdout"]["regressed"],
        json!(["warnings"])
    );
    assert!(err.contains("descriptions: none written"), "{err}");
    assert!(!ws.path().join("improved.yaml").exists());
}

#[test]
fn a_rejected_round_is_told_to_the_next_without_the_holdout_and_the_next_is_kept() {
    let rt = runtime();
    let writer = Script::default()
        .rule(
            "did not hold on tasks held out from you",
            Scripted::Text(GOOD.into()),
        )
        .rule(BRIEF, Scripted::Text(OVERREACH.into()));
    let server = rt
        .block_on(ScriptedServer::start(evaluator(writer)))
        .unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let (code, err, r) = improve(&ws, &eval, &["--rounds", "3"]);
    assert_eq!(code, 0, "{err}");
    let decisions: Vec<&str> = r["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["decision"].as_str().unwrap())
        .collect();
    // Round 3 finds every tune task passing, and ends the loop without asking.
    assert_eq!(decisions, ["rejected", "kept"], "{err}");
    assert_eq!(r["holdout_consulted"], 2);
    assert!(
        r["ended"]
            .as_str()
            .unwrap()
            .starts_with("every tune task passes"),
        "{r}"
    );
    let kept = std::fs::read_to_string(ws.path().join("improved.yaml")).unwrap();
    assert!(kept.contains("# round 2:"), "{kept}");
    assert!(kept.contains("Stream the newest"), "{kept}");
    assert!(!kept.contains("Prefer it for any log"), "{kept}");
}

#[test]
fn bad_proposals_are_rejected_with_their_reasons_and_the_writer_retries_once() {
    let long = "Stream the newest log lines. ".repeat(200);
    let cases: [(&str, String, &str); 5] = [
        (
            "copies a tune prompt",
            "tools:\n  tail_logs:\n    description: Use it to follow the payments logs live.\n"
                .into(),
            "copies the wording of a tune task's prompt (\"follow the payments logs live\"",
        ),
        (
            "over budget",
            format!("tools:\n  tail_logs:\n    description: {long}\n"),
            "over the budget of",
        ),
        (
            "names an unknown tool",
            "tools:\n  tail_log:\n    description: Stream the newest lines.\n".into(),
            "no server offers a tool `tail_log`",
        ),
        (
            "is not YAML",
            "tools: [unclosed\n".into(),
            "it is not YAML or JSON",
        ),
        (
            "adds a field",
            "tools:\n  tail_logs:\n    summary: Stream it.\n".into(),
            "does not validate against the descriptions file's schema",
        ),
    ];
    let rt = runtime();
    for (what, bad, reason) in cases {
        // The good proposal comes back only when the retry carries the reason.
        let script = evaluator(
            Script::default()
                .rule(&reason[..24.min(reason.len())], Scripted::Text(GOOD.into()))
                .rule(BRIEF, Scripted::Text(bad)),
        );
        let server = rt.block_on(ScriptedServer::start(script)).unwrap();
        let ws = Workspace::new();
        let eval = eval(&ws, &server.url, "");
        let (code, err, r) = improve(&ws, &eval, &[]);
        assert_eq!(code, 0, "{what}: {err}");
        let round = &r["rounds"][0];
        let first = round["attempts"][0]["rejected"]
            .as_str()
            .unwrap_or_default();
        assert!(first.contains(reason), "{what}: {first}");
        assert!(
            err.contains("proposal 1 rejected before it ran"),
            "{what}: {err}"
        );
        assert!(
            round["attempts"][1].get("rejected").is_none(),
            "{what}: {round}"
        );
        assert_eq!(round["decision"], "kept", "{what}: {round}");
    }
}

#[test]
fn a_writer_that_fails_twice_ends_the_round_without_running_anything() {
    let rt = runtime();
    let script = evaluator(Script::default().rule(
        BRIEF,
        Scripted::Text("Sure! Here are better descriptions.".into()),
    ));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let (code, err, r) = improve(&ws, &eval, &["--rounds", "3"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["rounds"].as_array().unwrap().len(), 1);
    assert_eq!(r["rounds"][0]["decision"], "no_proposal");
    assert_eq!(r["rounds"][0]["attempts"].as_array().unwrap().len(), 2);
    assert!(r["rounds"][0].get("measured").is_none());
    assert_eq!(r["holdout_consulted"], 0);
}

#[test]
fn improve_refuses_a_suite_without_holdout_unless_told_and_then_says_it_is_unconfirmed() {
    let rt = runtime();
    let mut script = evaluator(Script::default().rule(BRIEF, Scripted::Text(GOOD.into())));
    // Every task is tuned on here, so the writer may see every prompt.
    script.rules.drain(..2);
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let tune_only = SUITE.replace("split: holdout", "split: tune");
    ws.write("suite.yaml", &tune_only);
    let (code, err, _) = improve(&ws, &eval, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no task is held out"), "{err}");
    assert!(err.contains("--no-holdout"), "{err}");
    let (code, err, r) = improve(&ws, &eval, &["--no-holdout"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("UNCONFIRMED"), "{err}");
    assert_eq!(r["unconfirmed"], true);
    assert_eq!(r["holdout_consulted"], 0);
    let md = std::fs::read_to_string(ws.path().join("out/improve.md")).unwrap();
    assert!(md.contains("**Unconfirmed:**"), "{md}");
    let kept = std::fs::read_to_string(ws.path().join("improved.yaml")).unwrap();
    assert!(kept.contains("UNCONFIRMED"), "{kept}");
}

#[test]
fn the_request_cap_stops_the_loop_and_the_cache_makes_a_rerun_free() {
    let rt = runtime();
    let script = evaluator(Script::default().rule(BRIEF, Scripted::Text(GOOD.into())));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    // One request at a time, so the cap falls at the same request every time.
    let eval = eval(&ws, &server.url, "concurrency: 1\n");
    // Four tasks measured before, one writer request, four more: nine in all.
    let (code, err, r) = improve(&ws, &eval, &["--max-requests", "6", "--cache", "readwrite"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--max-requests cap of 6"), "{err}");
    assert_eq!(r["complete"], false);
    assert_eq!(r["requests"]["sent"], 6);
    assert_eq!(r["rounds"][0]["decision"], "unfinished");
    let (code, err, r) = improve(&ws, &eval, &["--max-requests", "9", "--cache", "readwrite"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        r["requests"]["sent"], 3,
        "six replies came from the cache: {err} {}",
        r["requests"]
    );
    let (code, err, r) = improve(&ws, &eval, &["--max-requests", "1", "--cache", "readwrite"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["requests"]["sent"], 0, "a re-run is free: {err}");
    assert_eq!(r["rounds"][0]["decision"], "kept");
}

#[test]
fn from_a_report_skips_the_first_run_and_must_hold_every_task() {
    let rt = runtime();
    let script = evaluator(Script::default().rule(BRIEF, Scripted::Text(GOOD.into())));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let run = |args: &[&str]| {
        tooleval()
            .current_dir(ws.path())
            .arg("run")
            .arg(&eval)
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&["--out", "all.json"]).status.code(), Some(0));
    assert!(matches!(
        run(&["--out", "tune.json", "--split", "tune"])
            .status
            .code(),
        Some(0 | 1)
    ));
    let (code, err, r) = improve(&ws, &eval, &["--from", "all.json"]);
    assert_eq!(code, 0, "{err}");
    assert!(r.get("before_report").is_none());
    assert_eq!(r["rounds"][0]["decision"], "kept");
    let (code, err, _) = improve(&ws, &eval, &["--from", "tune.json"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        !err.contains("report:"),
        "refused before anything ran: {err}"
    );
    assert!(
        err.contains("holds no trial of 3 of the eval's tasks"),
        "{err}"
    );
}

/// The demo end to end: the offline baseline (a lexical ranking, so its choices follow the
/// descriptions it reads) measures, a scripted writer proposes the owner/version rewrite.
#[test]
fn on_the_demo_the_baseline_measures_a_scripted_writers_proposal() {
    let rt = runtime();
    let proposal = "tools:
  get_service_status:
    description: >-
      Look up who owns a service and which version it is running, with its
      dependencies. Static facts only: for whether it is up or healthy, use get_service_health.
";
    let script = Script::default().rule(BRIEF, Scripted::Text(proposal.into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let suite = repo().join("suites/observability.yaml");
    let eval = ws.write(
        "demo.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\nmodel: baseline\nwriter_model: {{ name: w, base_url: \"{}\", api_key: k }}\n",
            suite.display(),
            server.url
        ),
    );
    let (code, err, r) = improve_with(&ws, &eval, &["--out", "improved.yaml", "--max-tools", "15"]);
    assert_eq!(code, 0, "{err}");

    assert_eq!(r["tune_tasks"], 30);
    assert_eq!(r["holdout_tasks"], 10);
    let round = &r["rounds"][0];
    let evidence: Vec<&str> = round["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["tool"].as_str().unwrap())
        .collect();
    assert!(evidence.contains(&"get_service_status"), "{evidence:?}");
    // The figures are the baseline's own: `run --variant` with the same texts gives them.
    let m = &round["measured"];
    assert!(
        m["tune"]["fixed"]
            .as_array()
            .unwrap()
            .contains(&json!("services-notifications-owner-version")),
        "{m}"
    );
    assert_eq!(round["decision"], "kept", "{}", round["why"]);
    assert!(m["tool_tokens"][1].as_u64() > m["tool_tokens"][0].as_u64());
}

#[test]
fn a_writer_that_refuses_the_key_stops_the_loop_naming_it_and_the_report_is_written() {
    let rt = runtime();
    // As OpenAI does, the refusal quotes the key it was given.
    const KEY: &str = "sk-writer-sentinel-5c1e0d";
    let refused = Scripted::Status(
        401,
        format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}"}}}}"#),
    );
    let script = evaluator(Script::default().rule(BRIEF, refused));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(
        &ws,
        &server.url,
        "writer_model: { name: w, base_url: \"URL\", api_key: \"${WRITER_KEY}\" }\n"
            .replace("URL", &server.url)
            .as_str(),
    );
    let out = tooleval()
        .current_dir(ws.path())
        .env("WRITER_KEY", KEY)
        .arg("improve")
        .arg(&eval)
        .args(["--report", "out/improve.json", "--out", "improved.yaml"])
        .output()
        .unwrap();
    let (code, err) = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    let written = std::fs::read_to_string(ws.path().join("out/improve.json")).unwrap();
    let r: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("the writer `w` failed: HTTP 401"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(r["complete"], false);
    assert_eq!(r["rounds"][0]["decision"], "unfinished");
    assert!(
        r["ended"]
            .as_str()
            .unwrap()
            .contains("the writer `w` failed"),
        "{r}"
    );
    // The key the server quoted is never shown or written.
    assert!(err.contains("Incorrect API key provided"), "{err}");
    assert!(!err.contains(KEY), "{err}");
    assert!(!written.contains(KEY), "{written}");
}

#[test]
fn ctrl_c_while_the_writer_thinks_writes_the_partial_report_and_exits_130() {
    let rt = runtime();
    let script = evaluator(Script::default().rule(BRIEF, Scripted::Hang));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let child = crate::support::tooleval_process()
        .current_dir(ws.path())
        .args([
            "improve",
            "--writer-model",
            "w",
            "--report",
            "out/improve.json",
        ])
        .arg(&eval)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The four tasks measured, then the writer asked: five requests.
    let start = std::time::Instant::now();
    while server.requests() < 5 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "the loop never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    let r = ws.read_json("out/improve.json");
    assert_eq!(r["complete"], false);
    assert_eq!(r["ended"], "interrupted");
    assert_eq!(
        r["before"]["tune"]["n"], 2,
        "what was measured is kept: {r}"
    );
    assert!(ws.path().join("out/improve-before.json").exists());
}

#[test]
fn format_json_prints_the_improve_report() {
    let rt = runtime();
    let script = evaluator(Script::default().rule(BRIEF, Scripted::Text(GOOD.into())));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let out = tooleval()
        .current_dir(ws.path())
        .arg("improve")
        .arg(&eval)
        .args([
            "--writer-model",
            "w",
            "--format",
            "json",
            "--report",
            "r.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["kind"], "improve");
    assert_eq!(printed, ws.read_json("r.json"));
    let default_out = ws.path().join("eval-improved.yaml");
    assert!(
        default_out.exists(),
        "the descriptions go next to the eval by default"
    );
}

/// Agent mode: the offline baseline runs the incident conversations against both demo servers,
/// and a proposal is measured the same way.
#[test]
fn an_agent_eval_is_improved_through_its_conversations() {
    let rt = runtime();
    let proposal = "tools:
  search_logs:
    description: Search the log lines of one service over a time window, by level and text; for the newest lines as they arrive, use tail_logs.
";
    let script = Script::default().rule(BRIEF, Scripted::Text(proposal.into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let agent_demo = std::fs::read_to_string(repo().join("evals/agent-demo.yaml")).unwrap();
    let suite = repo().join("suites/incident.yaml");
    assert!(agent_demo.contains("../suites/incident.yaml"));
    let eval = ws.write(
        "agent.yaml",
        &format!(
            "{}\nwriter_model: {{ name: w, base_url: \"{}\", api_key: k }}\n",
            agent_demo.replace(
                "../suites/",
                &format!("{}/", suite.parent().unwrap().display())
            ),
            server.url
        ),
    );
    let (code, err, r) = improve_with(&ws, &eval, &["--no-holdout", "--max-tools", "30"]);
    assert_eq!(code, 0, "{err}");

    let round = &r["rounds"][0];
    assert!(
        round["measured"]["tune"]["tasks"].as_u64().unwrap() > 10,
        "{round}"
    );
    let before = ws.read_json("out/improve-before.json");
    let agent_trials = before["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("agent").is_some())
        .count();
    assert!(agent_trials > 10, "the tasks ran as conversations");
    let after = ws.read_json("out/improve-round-1.json");
    let searched = after["tools"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "search_logs")
        .unwrap();
    assert!(
        searched["description"]
            .as_str()
            .unwrap()
            .starts_with("Search the log lines"),
        "{searched}"
    );
    assert!(
        matches!(round["decision"].as_str(), Some("kept" | "rejected")),
        "{round}"
    );
}

#[test]
fn the_writer_without_a_key_is_not_pointed_at_the_baseline_and_the_cost_line_fits_the_cache() {
    let ws = Workspace::new();
    let demo = repo().join("evals/demo.yaml");
    let out = tooleval()
        .current_dir(ws.path())
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .args(["improve", "--writer-model", "gpt-4o", "--out"])
        .arg(ws.path().join("kept.yaml"))
        .arg("--report")
        .arg(ws.path().join("improve.json"))
        .arg(&demo)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: the writer: no API key for `gpt-4o`"),
        "{err}"
    );
    assert!(
        err.contains("the offline baseline cannot write descriptions"),
        "{err}"
    );
    assert!(!err.contains("--model baseline"), "{err}");

    let rt = runtime();
    let script = evaluator(Script::default().rule(BRIEF, Scripted::Text(GOOD.into())));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let eval = eval(&ws, &server.url, "");
    for (cache, says) in [("off", false), ("readwrite", true)] {
        let (code, err, _) = improve(&ws, &eval, &["--cache", cache]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("improve: at most "), "{err}");
        // The line is wrapped to the terminal.
        let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("the cost is unknown (no price for `m`"),
            "{err}"
        );
        assert_eq!(
            flat.contains("replies in the response cache cost nothing"),
            says,
            "--cache {cache}: {err}"
        );
    }
}

/// Under a host that puts server instructions before the model, the writer is shown each
/// server's instructions, may rewrite them (its schema has `servers`), and a kept proposal's
/// instructions are what the next measurement's requests carry and what the file keeps.
#[test]
fn under_a_host_that_places_instructions_the_writer_may_rewrite_them() {
    let rt = runtime();
    let instructions = "The shop's logs: search_logs looks back, tail_logs follows them live.";
    let reply = json!({
        "tools": {"tail_logs": {"description": "Stream the newest log lines of one service as they are written; for past logs matching a query, use search_logs."}},
        "servers": {"shop": {"instructions": instructions}}
    })
    .to_string();
    let server = rt
        .block_on(ScriptedServer::start(evaluator(
            Script::default().rule(BRIEF, Scripted::Text(reply)),
        )))
        .unwrap();
    let ws = Workspace::new();
    ws.write(
        "ours.yaml",
        "name: ours\ninstructions: {place: system, heading: 'Server instructions:'}\n",
    );
    let eval = eval(&ws, &server.url, "host: ours.yaml\n");
    let (code, err, r) = improve(&ws, &eval, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["rounds"][0]["decision"], "kept", "{err}");

    // The brief shows the instructions (none yet) and the schema asks for them.
    let bodies = writer_bodies(&server);
    let brief = bodies[0]["messages"].to_string();
    assert!(brief.contains("- server `shop`: (none)"), "{brief}");
    let schema = &bodies[0]["response_format"]["json_schema"]["schema"];
    assert_eq!(
        schema["properties"]["servers"]["properties"]["shop"]["required"],
        json!(["instructions"])
    );
    assert_eq!(schema["required"], json!(["tools", "servers"]));

    // The round's measurement sent them in the system prompt, after the host's heading.
    let measured: Vec<Value> = server
        .bodies()
        .into_iter()
        .filter(|b| b.get("tools").is_some())
        .filter(|b| b.to_string().contains(instructions))
        .collect();
    assert!(
        !measured.is_empty(),
        "no request carried the new instructions"
    );
    let system = measured[0]["messages"][0].clone();
    assert_eq!(system["role"], "system", "{system}");
    assert!(
        system["content"]
            .as_str()
            .unwrap()
            .starts_with("Server instructions:\n\n## shop\n"),
        "{system}"
    );

    // The file kept holds them, and the round's report records them as overridden.
    let kept = std::fs::read_to_string(ws.path().join("improved.yaml")).unwrap();
    assert!(
        kept.contains("servers:\n  shop:\n    instructions: "),
        "{kept}"
    );
    let run: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join(r["rounds"][0]["report"].as_str().unwrap()))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(run["servers"][0]["instructions"], instructions);
    assert_eq!(run["servers"][0]["instructions_overridden"], true);
}

/// `--max-cost`: a loop estimated above it, or with a model of unknown price, does not start;
/// one whose replies (the measured model's and the writer's, each at its price) reach it
/// stops, and the report says what was spent.
#[test]
fn the_cost_cap_holds_the_whole_loop() {
    let rt = runtime();
    // Every reply says it took a million input tokens: a dollar at $1 per million.
    let script = evaluator(Script::default().rule(BRIEF, Scripted::Text(GOOD.into())))
        .with_usage(1_000_000, 0);
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "concurrency: 1\n");
    // No price for `m`: the cap cannot be held.
    let (code, err, _) = improve(&ws, &eval, &["--max-cost", "100", "--cache", "off"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the cost cap of $100 cannot be held: the price of `m` is unknown"),
        "{err}"
    );
    ws.write(
        "prices.yaml",
        "m: { input: 1, output: 1 }\nw: { input: 1, output: 1 }\n",
    );
    let priced = |cap: &'static str| {
        [
            "--prices",
            "prices.yaml",
            "--max-cost",
            cap,
            "--cache",
            "off",
        ]
    };
    // Estimated above the cap: nothing is asked.
    let (code, err, _) = improve(&ws, &eval, &priced("0.001"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the loop is estimated at up to $"), "{err}");
    assert!(err.contains("above the cost cap of $0.0010"), "{err}");
    assert_eq!(server.requests(), 0);
    // Reached: the third reply costs the third dollar, and nothing is asked after it.
    let (code, err, r) = improve(&ws, &eval, &priced("2.5"));
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the --max-cost cap of $2.50 is reached ($3.00 spent)"),
        "{err}"
    );
    assert!(err.contains("capped at $2.50 by --max-cost"), "{err}");
    assert_eq!(server.requests(), 3);
    assert_eq!(r["complete"], false);
    assert_eq!(r["requests"]["sent"], 3);
    assert_eq!(r["requests"]["dollars"], 3.0);
    assert_eq!(r["requests"]["max_cost"], 2.5);
    let md = std::fs::read_to_string(ws.path().join("out/improve.md")).unwrap();
    assert!(md.contains("Model requests: 3 sent ($3.00)"), "{md}");
}
