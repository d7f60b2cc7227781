//! Conversations end to end: scripted user turns with checks per turn, and a simulated user
//! played by a model, against the real demo server and a scripted model on 127.0.0.1 that
//! plays both the assistant and the user (the user model's requests are told apart by what
//! the assistant said last). Each API's wire carries the user's later messages.

use serde_json::Value;
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, outcomes, runtime, tooleval};

const SUITE: &str = r#"
name: conversations
tasks:
  - id: asks-then-acts-scripted
    prompt: Roll back the last deploy.
    trajectory: { forbid: [rollback_deployment] }
    answer: { regex: '\?' }
    turns:
      - prompt: Payments, in production.
        expect: { tool: rollback_deployment, args: { service: payments, environment: production } }
        answer: { contains: v2.13.9 }
  - id: second-turn-fails
    prompt: What errors do the payments logs show?
    expect: { tool: search_logs, args: { service: payments } }
    answer: { contains: card_token_v2 }
    turns:
      - prompt: Only the last 15 minutes, please.
        expect: { tool: search_logs, args: { service: payments, since: 15m } }
      - prompt: Thanks. Anything else I should know?
        expect: none
  - id: asks-then-acts-simulated
    prompt: Roll back the broken deploy.
    user:
      persona: An on-call engineer, terse.
      goal: Have the broken deploy rolled back.
      knows: [the service is payments, the environment is production]
      max_turns: 4
    expect: { tool: rollback_deployment, args: { service: payments, environment: production } }
    answer: { contains: v2.13.9 }
  - id: invents-the-service
    prompt: Undo the last release.
    user:
      goal: Have the last release undone.
      knows: [the service is payments, the environment is production]
    expect: { tool: rollback_deployment }
  - id: user-never-satisfied
    prompt: Something is off with checkout, help.
    user:
      goal: Understand what is wrong with checkout.
      max_turns: 3
"#;

fn call(tool: &str, args: &str) -> Scripted {
    Scripted::Calls(vec![(tool.into(), args.into())])
}

fn text(t: &str) -> Scripted {
    Scripted::Text(t.into())
}

/// The assistant's and the user's lines. A rule keyed by a result comes before the plain rule
/// of the same message; the user model's rules key on what the assistant said last.
fn script() -> Script {
    Script::default()
        // Scripted turns: asks, then acts on the answer.
        .rule(
            "Roll back the last deploy.",
            text("Which service, and which environment?"),
        )
        .after_result(
            "Payments, in production.",
            "v2.13.9",
            text("Rolled payments back to v2.13.9 in production."),
        )
        .call(
            "Payments, in production.",
            "rollback_deployment",
            serde_json::json!({"service": "payments", "environment": "production"}),
        )
        // Scripted turns: the second turn searches the wrong service.
        .at_turn(
            "Only the last 15 minutes",
            3,
            text("Nothing in the last 15 minutes."),
        )
        .rule(
            "Only the last 15 minutes",
            call("search_logs", r#"{"service": "checkout", "since": "15m"}"#),
        )
        .after_result(
            "What errors do the payments logs show?",
            "card_token_v2",
            text("The payments logs show card_token_v2 errors."),
        )
        .rule(
            "What errors do the payments logs show?",
            call("search_logs", r#"{"service": "payments"}"#),
        )
        // A simulated user: the assistant asks, the user answers, the assistant acts.
        .rule(
            "Roll back the broken deploy.",
            text("Which service should I roll back, and in which environment?"),
        )
        .rule(
            "Which service should I roll back",
            text("payments, production"),
        )
        .after_result(
            "payments, production",
            "v2.13.9",
            text("Done: payments is back on v2.13.9."),
        )
        .call(
            "payments, production",
            "rollback_deployment",
            serde_json::json!({"service": "payments", "environment": "production"}),
        )
        .rule("Done: payments is back", text("Thanks!\nGOAL_REACHED"))
        // A simulated user: the assistant guesses the service at once.
        .after_result(
            "Undo the last release.",
            "v2.13.9",
            text("Rolled back payments to v2.13.9."),
        )
        .call(
            "Undo the last release.",
            "rollback_deployment",
            serde_json::json!({"service": "payments", "environment": "production"}),
        )
        .rule("Rolled back payments to v2.13.9.", text("GOAL_REACHED"))
        // A simulated user who never says the goal is met.
        .rule("Can you tell me more?", text("It is just off."))
        .rule(
            "Something is off with checkout",
            text("Can you tell me more?"),
        )
        .rule("It is just off.", text("Can you tell me more?"))
}

/// The eval: the demo server, the model and the user model on `model`, the rollback mocked.
fn eval(ws: &Workspace, model: &str) -> std::path::PathBuf {
    ws.write("suite.yaml", SUITE);
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {model}\nuser_model: {model}\nsuites: [suite.yaml]\nmode: agent\nconcurrency: 2\nmocks:\n  rollback_deployment:\n    result: {{ service: payments, from: v2.14.0, to: v2.13.9 }}\n"
        ),
    )
}

fn openai(server: &ScriptedServer) -> String {
    format!(
        "{{ name: scripted-model, base_url: \"{}\", api_key: sk-test }}",
        server.url
    )
}

fn run(
    ws: &Workspace,
    eval: &std::path::Path,
    flags: &[&str],
    out: &str,
) -> (Option<i32>, String, Value) {
    let o = tooleval()
        .arg("run")
        .args(flags)
        .arg("--out")
        .arg(ws.path().join(out))
        .arg(eval)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    (o.status.code(), stderr, ws.read_json(out))
}

fn trial<'a>(report: &'a Value, task: &str) -> &'a Value {
    report["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == task)
        .unwrap_or_else(|| panic!("no trial of {task}"))
}

fn dialogue<'a>(report: &'a Value, task: &str) -> &'a Value {
    &trial(report, task)["agent"]["dialogue"]
}

/// What every API must give: each conversation's outcome, how it ended, and its measures.
fn check(report: &Value) {
    let outcome = |task: &str| trial(report, task)["outcome"].as_str().unwrap().to_owned();
    let reason = |task: &str| trial(report, task)["reason"].as_str().unwrap().to_owned();

    assert_eq!(
        outcome("asks-then-acts-scripted"),
        "pass",
        "{}",
        reason("asks-then-acts-scripted")
    );
    let d = dialogue(report, "asks-then-acts-scripted");
    assert_eq!(d["user_turns"], 2);
    assert_eq!(d["end"], "scripted");
    assert_eq!(d["verdicts"].as_array().unwrap().len(), 2);

    assert_eq!(outcome("second-turn-fails"), "bad_args");
    assert!(
        reason("second-turn-fails").starts_with("turn 2: "),
        "{}",
        reason("second-turn-fails")
    );
    let d = dialogue(report, "second-turn-fails");
    assert_eq!(
        (d["failed_turn"].as_u64(), d["end"].as_str()),
        (Some(2), Some("failed_turn"))
    );
    assert_eq!(d["user_turns"], 2, "the third message is never sent: {d}");

    assert_eq!(
        outcome("asks-then-acts-simulated"),
        "pass",
        "{}",
        reason("asks-then-acts-simulated")
    );
    let d = dialogue(report, "asks-then-acts-simulated");
    assert_eq!(d["end"], "done");
    assert_eq!(d["turns_to_goal"], 2);
    assert_eq!(d["questions"], 1);
    assert_eq!(d["closing"], "Thanks!");
    // The user model's tokens are counted apart from the assistant's.
    let user_tokens = d["user_usage"]["prompt_tokens"].as_u64().unwrap();
    assert!(user_tokens > 0, "{d}");
    assert_eq!(d["asked"]["passed"], true);
    let asked: Vec<&str> = d["asked"]["asked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["argument"].as_str().unwrap())
        .collect();
    assert_eq!(asked, ["service", "environment"]);

    assert_eq!(
        outcome("invents-the-service"),
        "invented_argument",
        "{}",
        reason("invents-the-service")
    );
    assert!(
        reason("invents-the-service")
            .contains("`service` of `rollback_deployment` = \"payments\" (turn 1)"),
        "{}",
        reason("invents-the-service")
    );

    assert_eq!(
        outcome("user-never-satisfied"),
        "turn_limit",
        "{}",
        reason("user-never-satisfied")
    );
    let d = dialogue(report, "user-never-satisfied");
    assert_eq!(
        (d["end"].as_str(), d["user_turns"].as_u64()),
        (Some("turn_limit"), Some(3))
    );
    assert_eq!(d["questions"], 3);

    let c = &report["summary"]["conversations"];
    assert_eq!(c["tasks"], 5);
    assert_eq!(c["pass_rate"]["successes"], 2, "{c}");
    assert_eq!(c["goal_met"]["successes"], 2, "{c}");
    assert_eq!(c["goal_met"]["n"], 3, "{c}");
    assert_eq!(c["asked_before_acting"]["successes"], 1, "{c}");
    assert_eq!(c["asked_before_acting"]["n"], 2, "{c}");
    assert!(
        c["user_tokens"]["prompt"].as_u64().unwrap() >= user_tokens,
        "{c}"
    );
}

#[test]
fn conversations_are_held_turn_by_turn_and_a_simulated_user_is_played() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &openai(&server));
    let page = ws.path().join("page.html").display().to_string();
    let (code, stderr, report) = run(&ws, &eval, &["--html", page.as_str()], "r.json");
    assert_eq!(code, Some(0), "{stderr}");
    check(&report);

    // The model saw its earlier calls and results, then the user's next message.
    let bodies = server.bodies();
    let second = bodies
        .iter()
        .find(|b| b.to_string().contains("Payments, in production.") && b["tools"].is_array())
        .expect("the second turn's request");
    let roles: Vec<&str> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user"], "{second}");
    // The user model never sees the tools or a result.
    let users: Vec<&Value> = bodies
        .iter()
        .filter(|b| b.to_string().contains("GOAL_REACHED"))
        .collect();
    assert!(users.len() >= 4, "{}", users.len());
    for u in &users {
        assert!(u.get("tools").is_none(), "{u}");
        let text = u.to_string();
        assert!(
            !text.contains("card_token_v2") && !text.contains("v2.14.0"),
            "{text}"
        );
        assert!(!text.contains("\"role\":\"tool\""), "{text}");
    }

    // The table shows the conversation figures.
    for needle in [
        "conversations (5 tasks): passing",
        "simulated users: goal met",
        "asked before acting (no argument invented)",
        "invented_argument",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    // The page shows the conversation as it happened.
    let page = std::fs::read_to_string(ws.path().join("page.html")).unwrap();
    for needle in [
        "user (message 2)</b><pre>Payments, in production.</pre>",
        "user turn 2: <b>bad_args</b>",
        "asked before acting: <b>failed</b>",
        "goal met after 2 user message(s)",
        "<h3>Simulated user</h3>",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
}

#[test]
fn the_native_apis_carry_the_users_later_messages() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let base = server.base();
    for model in [
        format!(
            "{{ name: claude-sonnet-4-5, provider: anthropic, base_url: \"{base}\", api_key: k }}"
        ),
        format!(
            "{{ name: gemini-2.5-flash, provider: gemini, base_url: \"{base}/v1beta\", api_key: k }}"
        ),
    ] {
        let ws = Workspace::new();
        let eval = eval(&ws, &model);
        let (code, stderr, report) = run(&ws, &eval, &[], "r.json");
        assert_eq!(code, Some(0), "{model}: {stderr}");
        check(&report);
    }
}

#[test]
fn a_recorded_conversation_replays_with_the_user_model_gone() {
    let ws = Workspace::new();
    let cache = ws.path().join("cache").display().to_string();
    let recorded = {
        let rt = runtime();
        let server = rt.block_on(ScriptedServer::start(script())).unwrap();
        let eval = eval(&ws, &openai(&server));
        let flags = ["--cache", "readwrite", "--cache-dir", cache.as_str()];
        let (code, stderr, recorded) = run(&ws, &eval, &flags, "recorded.json");
        assert_eq!(code, Some(0), "{stderr}");
        recorded
        // The model and the user model stop here.
    };
    let eval = ws.path().join("eval.yaml");
    let replay = ["--replay", "--cache-dir", cache.as_str()];
    let (code, stderr, replayed) = run(&ws, &eval, &replay, "replayed.json");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(outcomes(&replayed), outcomes(&recorded));
    check(&replayed);
    for task in ["asks-then-acts-simulated", "user-never-satisfied"] {
        assert_eq!(
            dialogue(&replayed, task),
            dialogue(&recorded, task),
            "{task}"
        );
    }
}

#[test]
fn pass_hat_k_shows_how_often_every_trial_of_a_conversation_passed() {
    let rt = runtime();
    // The second trial of the scripted rollback guesses instead of asking.
    let script = Script::default()
        .rule(
            "Roll back the last deploy.",
            Scripted::Sequence(vec![
                text("Which service, and which environment?"),
                text("Rolled back payments."),
            ]),
        )
        .rule(
            "Payments, in production.",
            text("Rolled payments back to v2.13.9."),
        );
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    ws.write(
        "suite.yaml",
        "tasks:\n  - id: asks\n    prompt: Roll back the last deploy.\n    answer: { regex: '\\?' }\n    turns:\n      - prompt: Payments, in production.\n        answer: { contains: v2.13.9 }\n",
    );
    let eval = ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {}\nsuites: [suite.yaml]\ntrials: 2\nconcurrency: 1\n",
            openai(&server)
        ),
    );
    let page = ws.path().join("page.html").display().to_string();
    let (code, stderr, report) = run(&ws, &eval, &["--html", page.as_str()], "r.json");
    assert_eq!(code, Some(0), "{stderr}");
    let c = &report["summary"]["conversations"];
    assert_eq!(
        (
            c["pass_at_k"]["successes"].as_u64(),
            c["pass_hat_k"]["successes"].as_u64()
        ),
        (Some(1), Some(0)),
        "{c}"
    );
    assert!(
        stderr.contains("conversations: pass@2 (some trial passed)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("conversations: pass^2 (every trial passed)"),
        "{stderr}"
    );
    let page = std::fs::read_to_string(ws.path().join("page.html")).unwrap();
    assert!(page.contains("conversations: pass^2 (every trial passed)"));

    // The diff of two runs shows both, in each of its forms.
    let report = ws.path().join("r.json");
    let diff_page = ws.path().join("diff.html");
    for format in ["table", "markdown"] {
        let o = tooleval()
            .args(["diff", "--format", format, "--html"])
            .arg(&diff_page)
            .arg(&report)
            .arg(&report)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            stdout.contains("conversations: pass@2"),
            "{format}: {stdout}"
        );
        assert!(
            stdout.contains("conversations: pass^2"),
            "{format}: {stdout}"
        );
    }
    let page = std::fs::read_to_string(&diff_page).unwrap();
    assert!(page.contains("conversations: pass^2"));
}

#[test]
fn a_broken_conversation_is_located_with_a_hint() {
    let ws = Workspace::new();
    ws.write(
        "suite.yaml",
        "tasks:\n  - id: both\n    prompt: Hi\n    turns: [{ prompt: more }]\n    user: { goal: g }\n  - id: no-goal\n    prompt: Hi\n    user: { goal: ' ', model: baseline }\n  - id: single\n    prompt: Hi\n    mode: single\n    expect: none\n    turns: [{ prompt: more, expect: none }]\n  - id: typo\n    prompt: Hi\n    turns: [{ prompt: more, expcet: none }]\n",
    );
    let eval = ws.write(
        "eval.yaml",
        "servers:\n  shop: { command: tooleval, args: [demo-server] }\nmodel: baseline\nsuites: [suite.yaml]\n",
    );
    let o = tooleval().arg("run").arg(&eval).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown field `expcet`"), "{stderr}");
    // The unknown field stops the parse of that file; the others are checked once it reads.
    ws.write(
        "suite.yaml",
        &std::fs::read_to_string(ws.path().join("suite.yaml"))
            .unwrap()
            .replace("expcet: none", "expect: none"),
    );
    let o = tooleval().arg("run").arg(&eval).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    for needle in [
        "task `both` has both `turns` and `user`",
        "task `no-goal`: the simulated user has no goal",
        "task `no-goal`: the offline baseline cannot play the user",
        "task `single` runs single-turn: `turns` applies only in agent mode",
        "task `both` has a simulated user, and neither it nor the eval names the model that plays it",
        "suite.yaml:5:",
        "hint: add `user_model: NAME`",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
}

#[test]
fn the_conversation_demo_says_how_each_user_is_played_before_any_request() {
    let o = tooleval()
        .args(["run", "--dry-run"])
        .arg(crate::support::repo().join("evals/conversation-demo.yaml"))
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("rollback-with-a-user: a simulated user played by gpt-4o-mini: up to 4 user messages, done at `GOAL_REACHED`; knows 2 fact(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rollback-asks-for-the-service: 2 scripted user messages"),
        "{stdout}"
    );
}
