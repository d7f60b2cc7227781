//! Working on descriptions: overrides and variants, lint, token counts and budgets, held-out
//! splits, and `init`.

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, everything_bin, repo, runtime, tooleval};

const SUITE: &str = "tasks:
  - id: follow
    prompt: Follow the payments logs live.
    split: tune
    expect: { tool: tail_logs, args: { service: payments } }
  - id: errors
    prompt: Show error logs of checkout.
    split: holdout
    expect: { tool: search_logs, args: { service: checkout } }
";

const BETTER: &str = "# yaml-language-server: $schema=../schemas/descriptions.schema.json
tools:
  tail_logs:
    description: Stream the newest log lines of one service live, as they arrive.
    parameters:
      lines: How many recent lines to show before following.
";

/// A model that picks `tail_logs` for live logs only when its description says so.
fn script() -> Script {
    Script::default()
        .rule_if_tools(
            "Follow the payments",
            "Stream the newest",
            Scripted::Calls(vec![(
                "tail_logs".into(),
                json!({"service": "payments"}).to_string(),
            )]),
        )
        .call(
            "Follow the payments",
            "search_logs",
            json!({"service": "payments"}),
        )
        .call(
            "error logs of checkout",
            "search_logs",
            json!({"service": "checkout"}),
        )
}

fn eval(ws: &Workspace, url: &str, extra: &str) -> std::path::PathBuf {
    ws.write("suite.yaml", SUITE);
    ws.write(
        "eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {{ name: m, base_url: \"{url}\", api_key: k }}\nsuites: [suite.yaml]\n{extra}"),
    )
}

#[test]
fn a_descriptions_file_is_applied_and_recorded() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let better = ws.write("better.yaml", BETTER);
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--out", "r.json", "--descriptions"])
        .arg(&better)
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("descriptions: better ("), "{err}");
    assert!(
        err.contains("overridden: `tail_logs`: description, parameter lines"),
        "{err}"
    );
    let r = ws.read_json("r.json");
    assert_eq!(r["variant"], "better");
    let tail = r["tools"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "tail_logs")
        .unwrap();
    assert_eq!(
        tail["description"],
        "Stream the newest log lines of one service live, as they arrive."
    );
    assert_eq!(
        tail["input_schema"]["properties"]["lines"]["description"],
        "How many recent lines to show before following."
    );
    assert_eq!(
        tail["overridden"],
        json!(["description", "parameter lines"])
    );
    assert_eq!(
        r["trials"][0]["outcome"], "pass",
        "the model saw the new description"
    );
}

#[test]
fn unknown_tools_and_parameters_in_a_descriptions_file_get_did_you_mean() {
    let ws = Workspace::new();
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "eval.yaml",
        "servers:\n  shop: { command: tooleval, args: [demo-server] }\nsuites: [suite.yaml]\n",
    );
    let bad = ws.write("bad.yaml", "tools:\n  tail_log:\n    description: x\n  search_logs:\n    parameters:\n      servce: y\n");
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--descriptions"])
        .arg(&bad)
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.yaml:2:3: no server offers a tool `tail_log`")
            && err.contains("hint: did you mean `tail_logs`?"),
        "{err}"
    );
    assert!(
        err.contains("bad.yaml:6:7: tool `search_logs` has no parameter `servce`")
            && err.contains("hint: did you mean `service`?"),
        "{err}"
    );
}

#[test]
fn variants_run_side_by_side_and_each_writes_a_report() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let better = ws.write("better.yaml", BETTER);
    let worse = ws.write(
        "worse.yaml",
        "tools:\n  search_logs:\n    description: Logs.\n",
    );
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--out", "r.json", "--variant"])
        .arg(&better)
        .arg("--variant")
        .arg(&worse)
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(server.requests(), 6, "2 tasks under 3 variants");
    for v in ["original", "better", "worse"] {
        let r = ws.read_json(&format!("r-{v}.json"));
        assert_eq!(r["variant"], v);
    }
    assert_eq!(
        ws.read_json("r-original.json")["trials"][0]["outcome"],
        "wrong_tool"
    );
    assert_eq!(
        ws.read_json("r-better.json")["trials"][0]["outcome"],
        "pass"
    );
    // The side-by-side table: every variant, and the one task they disagree on.
    assert!(
        err.contains("│ better ") && err.contains("│ worse ") && err.contains("│ original "),
        "{err}"
    );
    assert!(err.contains("tasks whose outcome differs (1):"), "{err}");
    let row = err
        .lines()
        .find(|l| l.contains("│ follow"))
        .expect("the differing task is listed");
    assert!(row.contains("wrong_tool") && row.contains("pass"), "{row}");
    // Any pair can be diffed.
    let out = tooleval()
        .current_dir(ws.path())
        .args([
            "diff",
            "r-original.json",
            "r-better.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["counts"]["fixed"], 1);
}

#[test]
fn splits_run_apart_and_a_tune_only_diff_warns() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let ws = Workspace::new();
    let eval = eval(&ws, &server.url, "");
    let better = ws.write("better.yaml", BETTER);
    let run = |out: &str, extra: &[&str]| {
        let o = tooleval()
            .current_dir(ws.path())
            .args(["run", "--quiet", "--out", out])
            .args(extra)
            .arg(&eval)
            .output()
            .unwrap();
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run("all.json", &[]);
    let all = ws.read_json("all.json");
    assert_eq!(all["splits"]["tune"]["tasks"], 1);
    assert_eq!(all["splits"]["holdout"]["full_call"]["successes"], 1);
    run("tune-before.json", &["--split", "tune"]);
    run(
        "tune-after.json",
        &[
            "--split",
            "tune",
            "--descriptions",
            better.to_str().unwrap(),
        ],
    );
    let r = ws.read_json("tune-after.json");
    assert_eq!(r["split"], "tune");
    assert_eq!(r["trials"].as_array().unwrap().len(), 1);
    let out = tooleval()
        .current_dir(ws.path())
        .args(["diff", "tune-before.json", "tune-after.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: descriptions changed and only the `tune` split ran"),
        "{text}"
    );
}

#[test]
fn tools_and_reports_count_tokens_and_the_gate_checks_the_budget() {
    let out = tooleval()
        .args(["tools", "--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("tokens") && table.contains("(o200k_base)"),
        "{table}"
    );
    let out = tooleval()
        .args([
            "tools",
            "--format",
            "json",
            "--encoding",
            "cl100k_base",
            "--",
            "tooleval",
            "demo-server",
        ])
        .output()
        .unwrap();
    let set: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(set["encoding"], "cl100k_base");
    let counts: Vec<u64> = set["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokens"].as_u64().unwrap())
        .collect();
    assert!(counts.iter().all(|n| (30..2000).contains(n)), "{counts:?}");

    let ws = Workspace::new();
    let suite = repo().join("suites/observability.yaml");
    let eval = ws.write(
        "e.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\nmax_tool_tokens: 1000\n", suite.display()),
    );
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--quiet", "--out", "r.json"])
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("fail: the tool set costs") && err.contains("over max_tool_tokens 1000"),
        "{err}"
    );
    let r = ws.read_json("r.json");
    let total: u64 = r["tools"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tokens"].as_u64().unwrap())
        .sum();
    assert!(total > 1000);
}

#[test]
fn lint_reports_findings_and_takes_its_settings_from_the_eval_file() {
    let out = tooleval()
        .args(["lint", "--format", "json", "--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let has = |rule: &str, tool: &str| {
        findings
            .iter()
            .any(|f| f["rule"] == rule && f["tools"].as_array().unwrap().contains(&tool.into()))
    };
    assert!(has("description-short", "get_incident"), "{findings:#?}");
    assert!(has("shared-prefix", "get_metric"));
    assert!(
        findings
            .iter()
            .all(|f| f["hint"].as_str().is_some_and(|h| !h.is_empty()))
    );

    let ws = Workspace::new();
    let eval = ws.write(
        "e.yaml",
        "servers:\n  shop: { command: tooleval, args: [demo-server] }\nsuites: [s.yaml]\nmax_tool_tokens: 500\nlint:\n  disable: [description-short]\n  shared_prefix_count: 20\n",
    );
    ws.write(
        "s.yaml",
        "tasks:\n  - { id: a, prompt: hi, expect: none }\n",
    );
    let out = tooleval()
        .args(["lint", "--eval"])
        .arg(&eval)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the token budget is an error: {text}"
    );
    assert!(
        text.contains("token-budget")
            && !text.contains("description-short")
            && !text.contains("shared-prefix"),
        "{text}"
    );
    let eval = ws.write("e2.yaml", "servers:\n  shop: { command: tooleval, args: [demo-server] }\nsuites: [s.yaml]\nlint: { disable: [descripton-short] }\n");
    let out = tooleval()
        .args(["lint", "--eval"])
        .arg(&eval)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `description-short`?"));
}

#[test]
fn lint_runs_against_the_reference_server() {
    let Some(bin) = everything_bin() else { return };
    let out = tooleval()
        .args(["lint", "--format", "json", "--"])
        .arg(&bin)
        .arg("stdio")
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    // Its tools share the `get-` prefix and none of its schemas is strict-mode ready.
    assert!(
        findings.iter().any(|f| f["rule"] == "shared-prefix"
            && f["message"].as_str().unwrap().contains("start with `get-`")),
        "{findings:#?}"
    );
    assert!(findings.iter().any(|f| f["rule"] == "strict-mode"));
    assert!(v["total_tokens"].as_u64().unwrap() > 200);
}

/// The reference server's `instructions` (from `initialize`): `tools` and `lint` show them with
/// their tokens, and a run's report records them.
#[test]
fn server_instructions_are_shown_counted_and_recorded() {
    let Some(bin) = everything_bin() else { return };
    let out = tooleval()
        .args(["tools", "--format", "json", "--"])
        .arg(&bin)
        .arg("stdio")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = &v["instructions"][0];
    assert_eq!(i["server"], "stdio", "{v}");
    assert!(i["text"].as_str().unwrap().contains("Everything"), "{i}");
    assert!(i["tokens"].as_u64().unwrap() > 50, "{i}");
    let out = tooleval()
        .env("COLUMNS", "80")
        .args(["tools", "--"])
        .arg(&bin)
        .arg("stdio")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("instructions of `stdio` ("), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    let out = tooleval()
        .args(["lint", "--format", "json", "--"])
        .arg(&bin)
        .arg("stdio")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["instructions"][0]["tokens"], i["tokens"], "{v}");
    // Its instructions name tools it lists only to clients with more capabilities.
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "instructions-unknown-tool"
                && f["message"].as_str().unwrap().contains("`get-roots-list`")),
        "{v}"
    );
    // A run records them with the server.
    let ws = Workspace::new();
    ws.write(
        "s.yaml",
        "tasks:\n  - id: a\n    prompt: echo hello\n    expect: { tool: echo }\n",
    );
    let eval = ws.write(
        "e.yaml",
        &format!(
            "servers:\n  everything: {{ command: \"{}\", args: [stdio] }}\nsuites: [s.yaml]\n",
            bin.display()
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
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let s = &r["servers"][0];
    assert!(
        s["instructions"].as_str().unwrap().contains("Everything"),
        "{s}"
    );
    assert_eq!(s["instructions_tokens"], i["tokens"], "{s}");
}

/// A descriptions file's `servers:` replaces a server's instructions (the demo server sends
/// none): `tools` and `lint` show and check the new text, a variant's report records it as
/// overridden, and an unknown server is named at its place in the file.
#[test]
fn a_descriptions_file_replaces_server_instructions() {
    let ws = Workspace::new();
    // 2082 characters: past the 2048 Claude Code keeps.
    let long = format!("Start from `search_logs`.{}", " Then read.".repeat(187));
    assert_eq!(long.chars().count(), 2082);
    let file = ws.write(
        "sharp.yaml",
        &format!("servers:\n  stdio:\n    instructions: {long:?}\n"),
    );
    let out = tooleval()
        .args(["tools", "--format", "json", "--descriptions"])
        .arg(&file)
        .args(["--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = &v["instructions"][0];
    assert_eq!(
        (&i["server"], &i["text"], &i["overridden"]),
        (&json!("stdio"), &json!(long), &json!(true)),
        "{v}"
    );
    let out = tooleval()
        .env("COLUMNS", "80")
        .args(["tools", "--descriptions"])
        .arg(&file)
        .args(["--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("instructions of `stdio` from the descriptions file ("),
        "{table}"
    );
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    let out = tooleval()
        .args(["lint", "--format", "json", "--descriptions"])
        .arg(&file)
        .args(["--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let long_finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "instructions-long")
        .unwrap_or_else(|| panic!("{v}"));
    let message = long_finding["message"].as_str().unwrap();
    assert!(
        message.starts_with("the instructions of server `stdio` are 2082 characters (")
            && message.ends_with("; Claude Code keeps the first 2048"),
        "{message}"
    );
    assert_eq!(long_finding["severity"], "warning");
    // A run under it: the variant's report records the text as overridden, the original's has
    // none.
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "eval.yaml",
        "servers:\n  shop: { command: tooleval, args: [demo-server] }\nmodel: baseline\nsuites: [suite.yaml]\n",
    );
    let sharp = ws.write(
        "sharp.yaml",
        "servers:\n  shop:\n    instructions: Start from `search_logs`.\n",
    );
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--out", "r.json", "--variant"])
        .arg(&sharp)
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{err}");
    let original = &ws.read_json("r-original.json")["servers"][0];
    assert!(
        original.get("instructions").is_none() && original.get("instructions_overridden").is_none(),
        "{original}"
    );
    let s = &ws.read_json("r-sharp.json")["servers"][0];
    assert_eq!(s["instructions"], "Start from `search_logs`.", "{s}");
    assert_eq!(s["instructions_overridden"], true, "{s}");
    assert!(s["instructions_tokens"].as_u64().unwrap() > 3, "{s}");
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--out", "r.json", "--descriptions"])
        .arg(&sharp)
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("overridden: server `shop`: instructions"),
        "{err}"
    );
    // An unknown server, before any model is asked.
    let typo = ws.write(
        "typo.yaml",
        "servers:\n  shoop:\n    instructions: x\n  other:\n    instructions: y\n",
    );
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--variant"])
        .arg(&typo)
        .arg(&eval)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("typo.yaml:2:3: no server is called `shoop`")
            && err.contains("hint: did you mean `shop`?"),
        "{err}"
    );
    assert!(
        err.contains("typo.yaml:4:3: no server is called `other`")
            && err.contains("hint: the servers are `shop`"),
        "{err}"
    );
}

#[test]
fn init_writes_a_suite_that_validates_and_that_run_refuses_until_prompts_are_written() {
    let ws = Workspace::new();
    let out = tooleval()
        .current_dir(ws.path())
        .args(["init", "--name", "shop", "--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let suite_text = std::fs::read_to_string(ws.path().join("suites/shop.yaml")).unwrap();
    assert!(
        suite_text.starts_with("# yaml-language-server: $schema=../schemas/suite.schema.json\n")
    );
    let eval_text = std::fs::read_to_string(ws.path().join("evals/shop.yaml")).unwrap();
    for (schema, text) in [("suite", &suite_text), ("eval", &eval_text)] {
        let s: Value = serde_json::from_str(
            &std::fs::read_to_string(ws.path().join(format!("schemas/{schema}.schema.json")))
                .unwrap(),
        )
        .unwrap();
        let doc: Value =
            tooleval::config::parse_yaml(std::path::Path::new("descriptions.yaml"), text).unwrap();
        let v = jsonschema::validator_for(&s).unwrap();
        assert!(
            v.is_valid(&doc),
            "{schema}: {:?}",
            v.iter_errors(&doc)
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        );
    }
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "evals/shop.yaml"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("task `search-logs` still has a placeholder prompt")
            && err.contains("16 problems found"),
        "{err}"
    );
    // `lint --eval` and `tools --eval` read the servers and settings only: they work on the
    // scaffold while its prompts are still to be written, as docs/descriptions.md says.
    for command in ["lint", "tools"] {
        let out = tooleval()
            .current_dir(ws.path())
            .args([command, "--eval", "evals/shop.yaml"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Once the prompts are written, it runs.
    let written = suite_text
        .replace("TODO: a request that needs", "Please use")
        .replace(
            "TODO: a request that none of these tools serves",
            "Tell me a joke.",
        );
    std::fs::write(ws.path().join("suites/shop.yaml"), written).unwrap();
    let out = tooleval()
        .current_dir(ws.path())
        .args(["run", "--quiet", "evals/shop.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It does not overwrite.
    let out = tooleval()
        .current_dir(ws.path())
        .args(["init", "--name", "shop", "--", "tooleval", "demo-server"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
}

#[test]
fn confusions_carry_similarity_and_the_lint_hints_the_eval_file_allows() {
    let ws = Workspace::new();
    let suite = repo().join("suites/observability.yaml");
    let hints = |extra: &str| -> Vec<String> {
        let eval = ws.write(
            "e.yaml",
            &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\n{extra}", suite.display()),
        );
        let out = tooleval()
            .current_dir(ws.path())
            .args(["run", "--quiet", "--out", "r.json"])
            .arg(&eval)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = ws.read_json("r.json");
        let confusions = r["summary"]["confusions"].as_array().unwrap().clone();
        assert!(
            confusions
                .iter()
                .any(|c| c["similarity"].as_f64().is_some()),
            "{confusions:?}"
        );
        confusions
            .iter()
            .flat_map(|c| c["hints"].as_array().cloned().unwrap_or_default())
            .map(|h| h.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(hints("").iter().any(|h| h.starts_with("shared-prefix")));
    assert!(
        !hints("lint: { disable: [shared-prefix] }\n")
            .iter()
            .any(|h| h.starts_with("shared-prefix"))
    );
}
