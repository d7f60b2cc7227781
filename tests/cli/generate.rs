//! `tooleval generate`: a scripted writer proposes good, copied, invalid, duplicate and
//! unsolvable tasks; each guard's outcome is asserted on the file written, the retry, the
//! holdout and the solvability check; agent mode reads real data from the demo servers, never
//! calling a tool that writes.

use serde_json::{Value, json};
use tooleval::model::scripted::{Rule, Script, Scripted, ScriptedServer};

use crate::support::{Workspace, repo, runtime, tooleval};

/// A writer's reply: these tasks, as the JSON object the job's form asks for.
fn tasks(list: Value) -> Scripted {
    Scripted::Text(json!({ "tasks": list }).to_string())
}

/// A positive or near-miss task: prompt, tool, argument checks `(name, match, value)`.
fn task(prompt: &str, tool: &str, args: &[(&str, &str, &str)]) -> Value {
    let args: Vec<Value> = args
        .iter()
        .map(|(n, m, v)| json!({ "name": n, "match": m, "value": v }))
        .collect();
    json!({ "prompt": prompt, "tool": tool, "args": args })
}

/// Three of the demo's tools, served by the demo server from a tool list.
fn tools_file(ws: &Workspace) -> std::path::PathBuf {
    let all: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(repo().join("src/mcp/demo_tools.json")).unwrap(),
    )
    .unwrap();
    let three: Vec<&Value> = all
        .iter()
        .filter(|t| {
            ["search_logs", "tail_logs", "get_metric"].contains(&t["name"].as_str().unwrap())
        })
        .collect();
    ws.write("tools.json", &serde_json::to_string(&three).unwrap())
}

/// The good prompts, each with the call the check model makes for it.
const GOOD: &[(&str, &str, &str)] = &[
    (
        "Find the error lines the payments service logged over the past day.",
        "search_logs",
        r#"{"service":"payments","level":"error"}"#,
    ),
    (
        "Were there any fatal entries for auth yesterday?",
        "search_logs",
        r#"{"service":"auth","level":"fatal"}"#,
    ),
    (
        "Look back through cart's history for lines mentioning timeout.",
        "search_logs",
        r#"{"service":"cart","query":"timeout"}"#,
    ),
    (
        "Stream what checkout is printing right now.",
        "tail_logs",
        r#"{"service":"checkout"}"#,
    ),
    (
        "Follow the newest shipping lines as they come in.",
        "tail_logs",
        r#"{"service":"shipping"}"#,
    ),
    (
        "Keep an eye on frontend output live for a minute.",
        "tail_logs",
        r#"{"service":"frontend","follow_seconds":60}"#,
    ),
    (
        "How busy is search at the moment, in requests per second?",
        "get_metric",
        r#"{"service":"search","metric":"request_rate"}"#,
    ),
    (
        "What share of calls to payments are failing this hour?",
        "get_metric",
        r#"{"service":"payments","metric":"error_rate"}"#,
    ),
    // Unsolvable as the tools are described: the check model reaches for the logs.
    (
        "Is catalog slow for its worst requests today?",
        "search_logs",
        r#"{"service":"catalog"}"#,
    ),
    (
        "Watch cart live, not its past.",
        "tail_logs",
        r#"{"service":"cart"}"#,
    ),
    (
        "Dig through notifications' past lines for bounced mail.",
        "search_logs",
        r#"{"service":"notifications"}"#,
    ),
    ("Did we deploy anything on Friday?", "", ""),
    ("Book me a flight to Lisbon for next week.", "", ""),
    ("Show me the logs.", "", ""),
    ("Get me a metric for payments.", "", ""),
];

/// The writer's rules apply to requests of at most one tool: none, or the one Anthropic's
/// writer is made to call with its reply (the check's requests offer three).
fn writer() -> Script {
    let s = Script::default();
    // search_logs: one good task, then one of each fault.
    let s = s.rule_if_at_most(
        "Tasks to write: for `search_logs`",
        1,
        tasks(json!([
            task(
                GOOD[0].0,
                "search_logs",
                &[
                    ("service", "equals", "\"payments\""),
                    ("level", "equals", "\"error\"")
                ]
            ),
            // Copies a run of the description's words.
            task(
                "Search historical application logs for one Larkspur Shop service, payments.",
                "search_logs",
                &[("service", "equals", "\"payments\"")]
            ),
            // Names the tool.
            task(
                "Run search_logs on checkout for me.",
                "search_logs",
                &[("service", "equals", "\"checkout\"")]
            ),
            // A value the schema refuses (not one of the enum).
            task(
                "Find the error lines of the billing service.",
                "search_logs",
                &[("service", "equals", "\"billing\"")]
            ),
            // An exact value the prompt does not state.
            task(
                "Find what went wrong in the shop overnight.",
                "search_logs",
                &[("service", "equals", "\"checkout\"")]
            ),
            // A required argument left unchecked.
            task(
                "Look for warnings in the logs from an hour ago.",
                "search_logs",
                &[("level", "equals", "\"warn\"")]
            ),
            // Too alike to the first.
            task(
                "Find the error lines the payments service logged over the past day, please.",
                "search_logs",
                &[("service", "equals", "\"payments\"")]
            ),
            // Too alike to the task that exists.
            task(
                "Which errors did checkout log this morning, exactly?",
                "search_logs",
                &[("service", "equals", "\"checkout\"")]
            ),
        ])),
    );
    let s = s.rule_if_at_most(
        "Some of the tasks for `search_logs` were rejected",
        1,
        tasks(json!([
            task(
                GOOD[1].0,
                "search_logs",
                &[
                    ("service", "equals", "\"auth\""),
                    ("level", "one_of", "[\"fatal\", \"error\"]")
                ]
            ),
            task(
                GOOD[2].0,
                "search_logs",
                &[
                    ("service", "equals", "\"cart\""),
                    ("query", "contains", "timeout")
                ]
            ),
        ])),
    );
    let s = s.rule_if_at_most(
        "Tasks to write: for `tail_logs`",
        1,
        tasks(json!([
            task(
                GOOD[3].0,
                "tail_logs",
                &[("service", "equals", "\"checkout\"")]
            ),
            task(
                GOOD[4].0,
                "tail_logs",
                &[("service", "equals", "\"shipping\"")]
            ),
            task(
                GOOD[5].0,
                "tail_logs",
                &[
                    ("service", "equals", "\"frontend\""),
                    ("follow_seconds", "present", "")
                ]
            ),
        ])),
    );
    let s = s.rule_if_at_most(
        "Tasks to write: for `get_metric`",
        1,
        tasks(json!([
            task(
                GOOD[6].0,
                "get_metric",
                &[
                    ("service", "equals", "\"search\""),
                    ("metric", "one_of", "[\"request_rate\"]")
                ]
            ),
            task(
                GOOD[7].0,
                "get_metric",
                &[
                    ("service", "equals", "\"payments\""),
                    ("metric", "one_of", "[\"error_rate\"]")
                ]
            ),
            task(
                GOOD[8].0,
                "get_metric",
                &[
                    ("service", "equals", "\"catalog\""),
                    ("metric", "one_of", "[\"latency_p99\", \"latency_p95\"]")
                ]
            ),
        ])),
    );
    let s = s.rule_if_at_most(
        "Tasks to write: for the pair `search_logs` / `tail_logs`",
        1,
        tasks(json!([
            task(GOOD[9].0, "tail_logs", &[("service", "equals", "\"cart\"")]),
            task(
                GOOD[10].0,
                "search_logs",
                &[("service", "equals", "\"notifications\"")]
            ),
        ])),
    );
    let negative = |prompt: &str, kind: &str, tool: &str, missing: &str| json!({ "prompt": prompt, "kind": kind, "tool": tool, "missing": missing });
    s.rule_if_at_most(
        "Tasks to write: that call no tool",
        1,
        tasks(json!([
            negative(GOOD[11].0, "out_of_domain", "", ""),
            negative(GOOD[12].0, "out_of_domain", "", ""),
            negative(GOOD[13].0, "missing_argument", "search_logs", "service"),
            // `level` is not required: rejected, and nothing replaces it.
            negative(
                "Show me some metric.",
                "missing_argument",
                "get_metric",
                "level"
            ),
            negative(GOOD[14].0, "missing_argument", "get_metric", "metric"),
        ])),
    )
}

/// The check model: the good prompts' calls, the negatives answered in words.
fn checker(mut s: Script) -> Script {
    for (prompt, tool, args) in GOOD {
        s = if tool.is_empty() {
            s.rule(prompt, Scripted::Text("Which service do you mean?".into()))
        } else {
            s.rule(
                prompt,
                Scripted::Calls(vec![((*tool).into(), (*args).into())]),
            )
        };
    }
    s
}

/// An eval on the three tools, its existing suite holding one task, and a run report whose
/// confusions mark `search_logs` and `tail_logs` alike.
fn eval(ws: &Workspace, url: &str) -> std::path::PathBuf {
    let tools = tools_file(ws);
    ws.write(
        "suites/existing.yaml",
        "tasks:\n  - id: payments-errors\n    prompt: Which errors did checkout log this morning?\n    expect: { tool: search_logs, args: { service: checkout } }\n",
    );
    // A run of the eval's tools in which `tail_logs` was expected and `search_logs` called.
    ws.write(
        "suites/live.yaml",
        "tasks:\n  - id: live\n    prompt: Follow the payments lines live.\n    expect: { tool: tail_logs, args: { service: payments } }\n",
    );
    ws.write(
        "first.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, {}] }}\nmodel: {{ name: m, base_url: \"{url}\", api_key: k }}\nsuites: [suites/live.yaml]\n",
            tools.display()
        ),
    );
    let run = tooleval()
        .current_dir(ws.path())
        .args([
            "run",
            "first.yaml",
            "--cache",
            "off",
            "--out",
            "reports/runs/eval-first.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, {}] }}\nmodel: {{ name: m, base_url: \"{url}\", api_key: k }}\nsuites: [suites/existing.yaml, suites/generated.yaml]\n",
            tools.display()
        ),
    )
}

fn generate(ws: &Workspace, args: &[&str]) -> (i32, String, String) {
    let out = tooleval()
        .current_dir(ws.path())
        .args([
            "generate",
            "--eval",
            "eval.yaml",
            "--out",
            "suites/generated.yaml",
        ])
        .args(args)
        .output()
        .unwrap();
    // Lines are wrapped to the terminal: read as one line.
    let err = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let file = std::fs::read_to_string(ws.path().join("suites/generated.yaml")).unwrap_or_default();
    (out.status.code().unwrap_or(-1), err, file)
}

/// The positives, the near-miss pair from the last run's confusion, the negatives: each guard
/// rejects its fault with its reason, the writer gets one retry, the file reads back with
/// `source: generated`, the holdout never holds a retried task, and the task the check model
/// fails is marked for review and listed first.
#[test]
fn the_guards_keep_good_tasks_and_the_check_marks_the_unsolvable() {
    let rt = runtime();
    let script = checker(writer()).rule(
        "Follow the payments lines live",
        Scripted::Calls(vec![(
            "search_logs".into(),
            r#"{"service":"payments"}"#.into(),
        )]),
    );
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    eval(&ws, &server.url);
    let before = server.requests();
    let (code, err, file) = generate(&ws, &["--writer-model", "w", "--cache", "readwrite"]);
    assert_eq!(code, 0, "{err}");

    // The rejections, each with its reason.
    for reason in [
        "copies the wording of `search_logs`'s description",
        "the prompt names the tool `search_logs`",
        "does not fit the tool's schema",
        "which the prompt does not state",
        "does not check the required parameter(s) `service`",
        "too alike to \"Find the error lines the payments service logged over the past day.\"",
        "too alike to \"Which errors did checkout log this morning?\"",
        "`level` is not a required parameter of `get_metric`",
    ] {
        assert!(err.contains(reason), "no rejection `{reason}` in:\n{err}");
    }
    assert!(err.contains("asking once more"), "{err}");

    // The file reads back with tooleval's own loader, every task generated, none rejected.
    let suite: Value =
        tooleval::config::parse_yaml(std::path::Path::new("generated.yaml"), &file).unwrap();
    let tasks = suite["tasks"].as_array().unwrap();
    let prompts: Vec<&str> = tasks
        .iter()
        .map(|t| t["prompt"].as_str().unwrap())
        .collect();
    let kept: Vec<&str> = GOOD.iter().map(|g| g.0).collect();
    assert_eq!(prompts, kept, "{file}");
    for t in tasks {
        assert_eq!(t["source"], "generated");
        assert_eq!(t["writer"], "w");
    }
    assert!(
        !file.contains("billing")
            && !file.contains("Run search_logs")
            && !file.contains("overnight"),
        "{file}"
    );
    // Exact values only where stated; other checks as the writer gave them.
    assert_eq!(tasks[0]["expect"]["args"]["service"], "payments");
    assert_eq!(
        tasks[1]["expect"]["args"]["level"],
        json!({ "one_of": ["fatal", "error"] })
    );
    assert_eq!(
        tasks[2]["expect"]["args"]["query"],
        json!({ "contains": "timeout" })
    );
    assert_eq!(
        tasks[5]["expect"]["args"]["follow_seconds"],
        json!({ "present": true })
    );
    // The near-miss pair and the negatives.
    assert_eq!(tasks[9]["tags"][0], "near-miss");
    assert_eq!(tasks[10]["expect"]["tool"], "search_logs");
    for t in &tasks[11..] {
        assert_eq!(t["expect"], "none", "{t}");
    }
    assert_eq!(tasks[13]["tags"][0], "missing-argument");

    // The holdout: a quarter of each tool's tasks, never one written in the retry.
    let held: Vec<&str> = tasks
        .iter()
        .filter(|t| t["split"] == "holdout")
        .map(|t| t["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(held.len(), 4, "{held:?}");
    assert!(
        !held.contains(&GOOD[1].0) && !held.contains(&GOOD[2].0),
        "{held:?}"
    );
    assert!(
        tasks
            .iter()
            .all(|t| t["split"] == "holdout" || t["split"] == "tune")
    );

    // The solvability check: the catalog task is marked and listed first.
    let marked: Vec<&str> = tasks
        .iter()
        .filter(|t| t.get("review").is_some())
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["get-metric-3"], "{file}");
    assert!(
        tasks[8]["review"].as_str().unwrap().contains("wrong_tool"),
        "{file}"
    );
    assert!(
        file.contains("REVIEW FIRST") && file.contains("# Review first:\n#   get-metric-3:"),
        "{file}"
    );
    assert!(err.contains("review first"), "{err}");
    let sent = server.requests() - before;

    // A re-run with nothing changed asks nothing, and writes the same file.
    let (code, err, again) = generate(
        &ws,
        &["--writer-model", "w", "--cache", "readwrite", "--force"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.requests() - before, sent, "{err}");
    assert_eq!(again, file);
    assert!(err.contains("0 request(s) sent"), "{err}");
    // And so does a replay, which starts no model request at all.
    let (code, err, replayed) = generate(&ws, &["--writer-model", "w", "--replay", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.requests() - before, sent, "{err}");
    assert_eq!(replayed, file);

    // `run` counts generated and hand-written tasks apart.
    let run = tooleval()
        .current_dir(ws.path())
        .args([
            "run",
            "eval.yaml",
            "--model",
            "baseline",
            "--format",
            "json",
            "--out",
            "run.json",
        ])
        .output()
        .unwrap();
    let report = ws.read_json("run.json");
    assert_eq!(
        report["sources"]["generated"]["tasks"],
        15,
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(report["sources"]["hand"]["tasks"], 1);
    // The task still marked for review is named before the run.
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(
        said.contains("note: 1 task(s) still carry `review:` (e.g. `get-metric-3`)"),
        "{said}"
    );
}

/// Agent mode on the demo's two servers: tooleval reads real data from the tools that may run
/// (never one that writes: checked in the servers' own call logs), and the multi-step tasks
/// kept have answers the demo world returned, with the calls that reach them.
#[test]
fn agent_tasks_are_grounded_in_what_the_read_only_tools_returned() {
    let rt = runtime();
    let grounded = |prompt: &str, calls: Value, answer: &[&str]| json!({ "prompt": prompt, "calls": calls, "answer": answer });
    let call = |tool: &str, args: &[(&str, &str, &str)]| {
        let mut t = task("", tool, args);
        t.as_object_mut().unwrap().remove("prompt");
        t
    };
    let script = Script::default()
        .rule_if_at_most(
            "Tasks to write: for `search_logs`",
            1,
            tasks(json!([task("What did payments log at error level today?", "search_logs", &[("service", "equals", "\"payments\"")])])),
        )
        .rule_if_at_most(
            "Calls to explore",
            1,
            Scripted::Text(
                json!({ "calls": [
                    { "tool": "search_logs", "arguments": "{\"service\": \"payments\"}" },
                    { "tool": "rollback_deployment", "arguments": "{\"service\": \"payments\", \"environment\": \"production\"}" },
                    { "tool": "acknowledge_alert", "arguments": "{\"alert_id\": \"ALR-4821\"}" },
                    { "tool": "get_trace", "arguments": "{\"trace\": 1}" },
                ]})
                .to_string(),
            ),
        )
        .rule_if_at_most(
            "Tasks to write: of several steps",
            1,
            tasks(json!([
                grounded(
                    "Which payments release went out last, and which field does it now reject?",
                    json!([call("list_deployments", &[("service", "equals", "\"payments\"")]), call("search_logs", &[("service", "equals", "\"payments\"")])]),
                    &["v2.14.0", "card_token_v2"],
                ),
                grounded(
                    "Which payments release is the newest one?",
                    json!([call("list_deployments", &[]), call("search_logs", &[("service", "present", "")])]),
                    &["v9.9.9"],
                ),
                grounded("How many alerts are firing?", json!([call("list_alerts", &[])]), &["2"]),
            ])),
        )
        .rule_if_at_most(
            "Some of the tasks of several steps were rejected",
            1,
            tasks(json!([grounded(
                "Find the open incident, then tell me what the payments logs say about the failing requests.",
                json!([call("list_incidents", &[]), call("search_logs", &[("service", "equals", "\"payments\"")])]),
                &["INC-1042"],
            )])),
        );
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let logs = ws.path().join("logs-calls.txt");
    let ops = ws.path().join("ops-calls.txt");
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  logs: {{ command: tooleval, args: [demo-server, --part, logs, --call-log, {}] }}\n  ops: {{ command: tooleval, args: [demo-server, --part, ops, --call-log, {}] }}\nmodel: {{ name: m, base_url: \"{}\", api_key: k }}\nsuites: [suites/generated.yaml]\n",
            logs.display(),
            ops.display(),
            server.url
        ),
    );
    let (code, err, file) = generate(
        &ws,
        &[
            "--writer-model",
            "w",
            "--mode",
            "agent",
            "--max-tools",
            "1",
            "--per-tool",
            "1",
            "--negatives",
            "0",
            "--multi-step",
            "2",
            "--no-check",
            "--holdout",
            "0",
        ],
    );
    assert_eq!(code, 0, "{err}");

    // Nothing that writes ran: the servers' own logs hold reads only.
    let called = format!(
        "{}{}",
        std::fs::read_to_string(&logs).unwrap_or_default(),
        std::fs::read_to_string(&ops).unwrap_or_default()
    );
    assert!(
        called.contains("list_deployments {}")
            && called.contains(r#"search_logs {"service":"payments"}"#),
        "{called}"
    );
    for write in [
        "rollback_deployment",
        "acknowledge_alert",
        "silence_alert",
        "create_incident",
    ] {
        assert!(!called.contains(write), "{write} was called:\n{called}");
    }
    assert!(
        err.contains("not called: `rollback_deployment` is annotated destructive"),
        "{err}"
    );
    assert!(err.contains("not called: `acknowledge_alert`"), "{err}");
    assert!(
        err.contains("not called: `get_trace`: its arguments do not fit its schema"),
        "{err}"
    );

    // The tasks kept: the positive, and two multi-step tasks whose answers the world returned.
    let suite: Value =
        tooleval::config::parse_yaml(std::path::Path::new("generated.yaml"), &file).unwrap();
    assert_eq!(suite["mode"], "agent", "{file}");
    let tasks = suite["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 3, "{file}");
    let multi: Vec<&Value> = tasks
        .iter()
        .filter(|t| t["tags"][0] == "multi-step")
        .collect();
    assert_eq!(multi.len(), 2, "{file}");
    assert_eq!(
        multi[0]["answer"],
        json!([{ "contains": "v2.14.0" }, { "contains": "card_token_v2" }])
    );
    assert_eq!(
        multi[0]["trajectory"]["calls"][0]["tool"],
        "list_deployments"
    );
    assert_eq!(multi[0]["trajectory"]["order"], "in_order");
    assert_eq!(multi[1]["answer"], json!([{ "contains": "INC-1042" }]));
    assert!(
        err.contains(r#"its answer "v9.9.9" is in no result the server returned"#),
        "{err}"
    );
    assert!(err.contains("a multi-step task needs at least 2"), "{err}");
    // The answers are in the data the writer was shown, which the servers returned.
    let shown: String = server
        .bodies()
        .iter()
        .map(Value::to_string)
        .find(|b| b.contains("Tasks to write: of several steps"))
        .unwrap();
    for answer in ["v2.14.0", "card_token_v2", "INC-1042"] {
        assert!(shown.contains(answer), "{answer} was not in the data shown");
    }

    // The suite runs as written (the offline baseline, agent mode, the real servers).
    let run = tooleval()
        .current_dir(ws.path())
        .args([
            "run",
            "eval.yaml",
            "--model",
            "baseline",
            "--out",
            "run.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Ctrl-C while the writer is still writing: the tasks of the jobs that finished are saved,
/// unchecked, and the exit code says it was interrupted.
#[test]
fn an_interrupt_keeps_what_was_written() {
    let rt = runtime();
    // `search_logs` is answered; `tail_logs` never is.
    let mut script = writer();
    script.rules.insert(
        0,
        Rule::new("Tasks to write: for `tail_logs`", Scripted::Hang),
    );
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    eval(&ws, &server.url);
    let child = crate::support::tooleval_process()
        .current_dir(ws.path())
        .args([
            "generate",
            "--eval",
            "eval.yaml",
            "--out",
            "suites/generated.yaml",
            "--writer-model",
            "w",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first job and its retry answered, the second asked.
    let start = std::time::Instant::now();
    while server.requests() < 3 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "generate never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    let file = std::fs::read_to_string(ws.path().join("suites/generated.yaml")).unwrap();
    let suite: Value =
        tooleval::config::parse_yaml(std::path::Path::new("generated.yaml"), &file).unwrap();
    let prompts: Vec<&str> = suite["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["prompt"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, [GOOD[0].0, GOOD[1].0, GOOD[2].0], "{file}");
    assert!(file.contains("The writing stopped early"), "{file}");
    assert!(
        !file.contains("    review:"),
        "an interrupted run checks nothing: {file}"
    );
}

/// `--max-requests` stops the writing where the cap is reached; the tasks so far are saved.
#[test]
fn the_request_cap_stops_the_writing_and_keeps_the_tasks() {
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(checker(writer())))
        .unwrap();
    let ws = Workspace::new();
    eval(&ws, &server.url);
    let before = server.requests();
    let (code, err, file) = generate(
        &ws,
        &[
            "--writer-model",
            "w",
            "--max-requests",
            "2",
            "--cache",
            "off",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert_eq!(server.requests() - before, 2);
    assert!(
        err.contains("the --max-requests cap of 2 model requests is reached"),
        "{err}"
    );
    assert!(err.contains("wrote 3 task(s)"), "{err}");
    assert_eq!(file.matches("    source: generated").count(), 3, "{file}");
}

/// Without an eval: the server named after `--`, the writer named with its provider; the
/// check runs on the writer. The offline baseline is refused as a writer.
#[test]
fn a_server_on_the_command_line_and_a_writer_named_with_its_provider() {
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(checker(writer())))
        .unwrap();
    let ws = Workspace::new();
    let tools = tools_file(&ws);
    // Each API's writer is sent the job's form its own way, and the check runs through it.
    for (provider, url_var, url, key_var) in [
        (
            "openai",
            "OPENAI_BASE_URL",
            server.url.clone(),
            "OPENAI_API_KEY",
        ),
        (
            "anthropic",
            "ANTHROPIC_BASE_URL",
            server.base(),
            "ANTHROPIC_API_KEY",
        ),
        (
            "gemini",
            "GEMINI_BASE_URL",
            format!("{}/v1beta", server.base()),
            "GEMINI_API_KEY",
        ),
    ] {
        let name = format!("{provider}.yaml");
        let out = tooleval()
            .current_dir(ws.path())
            .env(url_var, &url)
            .env(key_var, "k")
            .args([
                "generate",
                "--out",
                &name,
                "--writer-model",
                &format!("{provider}:w"),
                "--negatives",
                "0",
                "--cache",
                "off",
            ])
            .args(["--", "tooleval", "demo-server", "--tools"])
            .arg(&tools)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{provider}: {err}");
        let file = std::fs::read_to_string(ws.path().join(&name)).unwrap();
        assert_eq!(
            file.matches("    source: generated").count(),
            9,
            "{provider}: {err}\n{file}"
        );
        assert!(file.contains("each task run once by `w`"), "{file}");
        // No suite to repeat here: the task alike to the eval's is kept, and the check model,
        // scripted for none such, calls no tool.
        assert_eq!(file.matches("    review:").count(), 2, "{provider}: {file}");
        assert!(
            file.contains("(no_call: expected `search_logs`"),
            "{provider}: {file}"
        );
    }

    let refused = tooleval()
        .current_dir(ws.path())
        .args([
            "generate",
            "--out",
            "t.yaml",
            "--",
            "tooleval",
            "demo-server",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the offline baseline cannot write tasks"),
        "{err}"
    );
    assert!(err.contains("--writer-model"), "{err}");
    assert!(!ws.path().join("t.yaml").exists());

    // An existing file is not replaced without --force.
    let again = tooleval()
        .current_dir(ws.path())
        .args([
            "generate",
            "--out",
            "openai.yaml",
            "--writer-model",
            "w",
            "--",
            "tooleval",
            "demo-server",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(
        err.contains("openai.yaml exists already") && err.contains("--force"),
        "{err}"
    );
}

/// `--max-tools`: the tools the eval's newest run called most are written for first; the pair
/// that run confused gets its near-miss tasks.
#[test]
fn the_most_used_tools_come_first_when_capped() {
    let rt = runtime();
    let script = checker(writer()).rule(
        "Follow the payments lines live",
        Scripted::Calls(vec![(
            "get_metric".into(),
            r#"{"service":"payments","metric":"error_rate"}"#.into(),
        )]),
    );
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    eval(&ws, &server.url);
    let (code, err, file) = generate(
        &ws,
        &[
            "--writer-model",
            "w",
            "--max-tools",
            "1",
            "--negatives",
            "0",
            "--no-check",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let asked: Vec<String> = server
        .bodies()
        .iter()
        .map(Value::to_string)
        .filter_map(|b| {
            b.split("Tasks to write: ")
                .nth(1)
                .map(|r| r.chars().take(50).collect())
        })
        .collect();
    // The tool's job, the pair's, and the pair's retry: no other tool is asked about.
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked[0].starts_with("for `get_metric`"), "{asked:?}");
    assert!(
        asked[1].starts_with("for the pair `get_metric` / `tail_logs`"),
        "{asked:?}"
    );
    // The script answers no pair but `search_logs` / `tail_logs`: the shortfall is said.
    assert!(
        err.contains("tasks for the pair `get_metric` / `tail_logs`: 0 of 2 written"),
        "{err}"
    );
    assert_eq!(file.matches("    source: generated").count(), 3, "{file}");
}

/// A writer that fails mid-way: the error names the job, and the tasks of the jobs before are
/// saved.
#[test]
fn a_writer_failure_names_the_job_and_keeps_the_tasks_before() {
    let rt = runtime();
    let mut script = checker(writer());
    let mut refuse = Rule::new(
        "Tasks to write: for `tail_logs`",
        Scripted::Status(400, r#"{"error":{"message":"Invalid schema for response_format","type":"invalid_request_error"}}"#.into()),
    );
    refuse.max_tools = Some(1);
    script.rules.insert(0, refuse);
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    eval(&ws, &server.url);
    let (code, err, file) = generate(&ws, &["--writer-model", "w", "--cache", "off"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the writer `w` failed (writer: tasks for `tail_logs`)"),
        "{err}"
    );
    assert!(err.contains("Invalid schema for response_format"), "{err}");
    assert_eq!(file.matches("    source: generated").count(), 3, "{file}");
    assert!(file.contains("The writing stopped early"), "{file}");
}

/// A writer whose replies are never the form asked for: every reason said, no file written.
#[test]
fn no_task_passing_writes_no_file() {
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule("", Scripted::Text("Sure! Here are some tasks.".into())),
        ))
        .unwrap();
    let ws = Workspace::new();
    let tools = tools_file(&ws);
    let out = tooleval()
        .current_dir(ws.path())
        .env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_API_KEY", "k")
        .args([
            "generate",
            "--out",
            "none.yaml",
            "--writer-model",
            "w",
            "--negatives",
            "0",
            "--",
            "tooleval",
            "demo-server",
            "--tools",
        ])
        .arg(&tools)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no task passed the guards, so none.yaml is not written"),
        "{err}"
    );
    assert!(
        err.contains("the reply is not the JSON object asked for"),
        "{err}"
    );
    assert!(!ws.path().join("none.yaml").exists());
}

/// `--max-cost`: the writing estimated above it does not start; once the writer's replies cost
/// that much, it stops and the tasks so far are saved.
#[test]
fn the_cost_cap_stops_the_writing_and_keeps_the_tasks() {
    let rt = runtime();
    // Every reply says it took a million input tokens: a dollar at $1 per million.
    let server = rt
        .block_on(ScriptedServer::start(
            checker(writer()).with_usage(1_000_000, 0),
        ))
        .unwrap();
    let ws = Workspace::new();
    eval(&ws, &server.url);
    ws.write("prices.yaml", "w: { input: 1, output: 1 }\n");
    let before = server.requests();
    let args = |cap: &'static str| {
        [
            "--writer-model",
            "w",
            "--prices",
            "prices.yaml",
            "--max-cost",
            cap,
            "--cache",
            "off",
        ]
    };
    let (code, err, file) = generate(&ws, &args("0.0001"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("writing the suite is estimated at up to $"),
        "{err}"
    );
    assert_eq!(server.requests(), before, "nothing was asked");
    assert!(file.is_empty());
    let (code, err, file) = generate(&ws, &args("1.5"));
    assert_eq!(code, 3, "{err}");
    assert_eq!(server.requests() - before, 2);
    assert!(
        err.contains("the --max-cost cap of $1.50 is reached ($2.00 spent)"),
        "{err}"
    );
    assert!(err.contains("wrote 3 task(s)"), "{err}");
    assert_eq!(file.matches("    source: generated").count(), 3, "{file}");
}
