//! `tooleval generate`: a scripted writer proposes good, copied, invalid, duplicate and
//! unsolvable tasks; each guard's outcome is asserted on the file written, the retry, the
//! holdout and the solvability check; agent mode reads real data from the demo servers, never
//! calling a tool that writes.

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

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

fn writer() -> Script {
    let s = Script::default();
    // search_logs: one good task, then one of each fault.
    let s = s.rule_if_at_most(
        "Tasks to write: for `search_logs`",
        0,
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
        0,
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
        0,
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
        0,
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
        0,
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
        0,
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
}
