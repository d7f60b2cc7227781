//! Comparing runs: diff, baselines (file and git ref), the gate, shards and merge, and the
//! outputs CI reads (JUnit, the job summary, annotations).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tooleval::mcp::demo::demo_tools;
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, repo, runtime, tooleval};

const SUITE: &str = "name: compare
tasks:
  - id: steady
    prompt: Show error logs of checkout.
    expect: { tool: search_logs, args: { service: checkout } }
  - id: breaks
    prompt: Follow the payments logs live.
    expect: { tool: tail_logs, args: { service: payments } }
  - id: mends
    prompt: Which alerts fire on cart?
    expect: { tool: list_alerts, args: { service: cart } }
  - id: stuck
    prompt: Declare an incident for search.
    tags: [critical]
    expect: { tool: create_incident }
  - id: quiet
    prompt: Thanks!
    expect: none
";

fn script(after: bool) -> Script {
    let s = Script::default()
        .call(
            "error logs of checkout",
            "search_logs",
            json!({"service": "checkout"}),
        )
        .call("Declare an incident", "list_incidents", json!({}))
        .rule("Thanks", Scripted::Text("You're welcome.".into()));
    if after {
        s.call(
            "Follow the payments",
            "search_logs",
            json!({"service": "payments"}),
        )
        .call("Which alerts", "list_alerts", json!({"service": "cart"}))
    } else {
        s.call(
            "Follow the payments",
            "tail_logs",
            json!({"service": "payments"}),
        )
        .call(
            "Which alerts",
            "get_service_health",
            json!({"service": "cart"}),
        )
    }
}

/// Writes the demo's tools, with `tail_logs` described differently when `edited`.
fn tools_file(ws: &Workspace, name: &str, edited: bool) -> PathBuf {
    let mut tools = demo_tools();
    if edited {
        let t = tools.iter_mut().find(|t| t.name == "tail_logs").unwrap();
        t.description =
            Some("Stream the newest log lines of one service live, as they arrive.".into());
        t.input_schema["properties"]["lines"]["maximum"] = json!(200);
    }
    ws.write(name, &serde_json::to_string_pretty(&tools).unwrap())
}

fn eval(ws: &Workspace, name: &str, tools: &Path, url: &str) -> PathBuf {
    ws.write(
        name,
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server, --tools, \"{}\"] }}\nmodel: {{ name: scripted, base_url: \"{url}\", api_key: k }}\nsuites: [suite.yaml]\n",
            tools.display()
        ),
    )
}

/// Runs `before` and `after` with their scripts; returns the two report paths and the second
/// eval file.
fn two_runs(ws: &Workspace) -> (PathBuf, PathBuf, PathBuf) {
    let rt = runtime();
    ws.write("suite.yaml", SUITE);
    // Each run against its own scripted model and its own tool texts.
    let run = |after: bool, name: &str| -> (PathBuf, PathBuf) {
        let server = rt.block_on(ScriptedServer::start(script(after))).unwrap();
        let tools = tools_file(ws, &format!("tools-{name}.json"), after);
        let eval = eval(ws, &format!("{name}.yaml"), &tools, &server.url);
        let report = ws.path().join(format!("{name}.json"));
        let out = tooleval()
            .args(["run", "--quiet", "--out"])
            .arg(&report)
            .arg(&eval)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (report, eval)
    };
    let (base, _) = run(false, "before");
    let (head, e2) = run(true, "after");
    (base, head, e2)
}

#[test]
fn diff_finds_exactly_the_flipped_tasks_and_the_edited_description() {
    let ws = Workspace::new();
    let (base, head, _) = two_runs(&ws);
    let out = tooleval()
        .args(["diff", "--format", "json"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |id: &str| {
        d["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("steady"), "passing");
    assert_eq!(status("breaks"), "regressed");
    assert_eq!(status("mends"), "fixed");
    assert_eq!(status("stuck"), "still_failing");
    assert_eq!(status("quiet"), "passing");
    let changed = d["tools"]["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["name"], "tail_logs");
    assert_eq!(
        changed[0]["schema"][0],
        "parameter `lines`: maximum 500 -> 200"
    );
    let inserted: String = changed[0]["description"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] == "insert")
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(inserted.contains("Stream the newest"), "{inserted}");
    // One better, one worse: no significant change; McNemar because one trial per task.
    assert_eq!(d["test"]["method"], "McNemar score test, Tango interval");
    assert_eq!(d["test"]["p_value"], 1.0);
    assert_eq!(d["full_call"]["diff"], 0.0);

    // The gate: any regression fails; a significant regression does not hold here.
    let out = tooleval()
        .args(["diff", "--fail-on", "regression"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fail: 1 task(s) regressed: breaks"));
    let out = tooleval()
        .args(["diff", "--fail-on", "significant-regression"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    // Renderings, pinned.
    let table = tooleval()
        .args(["diff"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    let markdown = tooleval()
        .args(["diff", "--format", "markdown"])
        .arg(&base)
        .arg(&head)
        .output()
        .unwrap();
    // The tool-set hashes of the two temporary evals differ by their paths.
    let hashes = [(
        r"sha256:[0-9a-f]{16}".to_owned(),
        "sha256:[hash]".to_owned(),
    )];
    crate::snapshot!(
        "diff_table",
        String::from_utf8_lossy(&table.stdout),
        &hashes
    );
    crate::snapshot!(
        "diff_markdown",
        String::from_utf8_lossy(&markdown.stdout),
        &hashes
    );
}

#[test]
fn run_with_a_baseline_gates_and_writes_ci_outputs() {
    let ws = Workspace::new();
    let (base, _, e2) = two_runs(&ws);
    let rt = runtime();
    let after = rt.block_on(ScriptedServer::start(script(true))).unwrap();
    let e2 = ws.write(
        "after2.yaml",
        &std::fs::read_to_string(&e2).unwrap().replace(
            &regex_url(&std::fs::read_to_string(&e2).unwrap()),
            &after.url,
        ),
    );
    let summary = ws.path().join("summary.md");
    let junit = ws.path().join("junit.xml");
    let out = tooleval()
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_ACTIONS", "true")
        .current_dir(ws.path())
        .args([
            "run",
            "--quiet",
            "--out",
            "head.json",
            "--fail-on",
            "regression,critical",
            "--baseline",
        ])
        .arg(&base)
        .arg("--junit")
        .arg(&junit)
        .arg(&e2)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("fail: 1 task(s) regressed: breaks"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fail: critical task `stuck` failed: wrong_tool"),
        "{stderr}"
    );
    // Annotations point at each task the gate failed on, at its line in the suite file, first
    // and as errors, saying why.
    let lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        lines[0],
        "::error file=suite.yaml,line=6,title=tooleval%3A regressed%3A breaks::passed 100%25 of trials in the baseline, 0%25 now; wrong_tool: expected `tail_logs`, called `search_logs`",
        "{stdout}"
    );
    assert!(
        lines[1]
            .starts_with("::error file=suite.yaml,line=12,title=tooleval%3A critical%3A stuck::"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("::error").count(), 2, "{stdout}");
    // The job summary leads with the verdict and names the baseline.
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## tooleval: gate failed\n"), "{md}");
    assert!(
        md.contains(&format!("compared with the baseline `{}`", base.display())),
        "{md}"
    );
    assert!(md.contains("### Regressed (1)"), "{md}");
    assert!(md.contains("| `breaks` | 100% → 0% |"), "{md}");
    assert_eq!(md.matches("## tooleval").count(), 1, "{md}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    crate::snapshot!("junit", xml);
}

fn regex_url(text: &str) -> String {
    let start = text.find("http://127.0.0.1:").unwrap();
    let end = start + text[start..].find('"').unwrap();
    text[start..end].to_owned()
}

#[test]
fn different_suites_are_refused_unless_common_tasks() {
    let ws = Workspace::new();
    let (base, head, _) = two_runs(&ws);
    let mut other: Value = serde_json::from_str(&std::fs::read_to_string(&head).unwrap()).unwrap();
    other["suites"][0]["name"] = "renamed".into();
    other["summary"]["tasks"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["id"] != "quiet");
    let other_path = ws.write("other.json", &other.to_string());
    let out = tooleval()
        .arg("diff")
        .arg(&base)
        .arg(&other_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the reports hold different suites (base: compare; head: renamed)"),
        "{err}"
    );
    assert!(err.contains("hint: pass --common-tasks"), "{err}");
    let out = tooleval()
        .args(["diff", "--common-tasks", "--format", "json"])
        .arg(&base)
        .arg(&other_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["tasks"].as_array().unwrap().len(), 4);
}

#[test]
fn baseline_ref_reads_the_baseline_from_git() {
    let ws = Workspace::new();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // A baseline committed at HEAD, then overwritten in the work tree by a worse one.
    let suite = repo().join("suites/observability.yaml");
    let eval = ws.write(
        "eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\nbaseline: baseline.json\n", suite.display()),
    );
    let run = |extra: &[&str]| {
        tooleval()
            .current_dir(ws.path())
            .args(["run", "--quiet", "--out", "r.json"])
            .args(extra)
            .arg(&eval)
            .output()
            .unwrap()
    };
    assert_eq!(run(&["--update-baseline"]).status.code(), Some(0));
    git(&["init", "-q"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "add",
        "baseline.json",
    ]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "baseline",
    ]);
    let mut worse: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("baseline.json")).unwrap())
            .unwrap();
    for t in worse["summary"]["tasks"].as_array_mut().unwrap() {
        t["passes"] = 0.into();
        t["pass_rate"] = 0.0.into();
    }
    std::fs::write(ws.path().join("baseline.json"), worse.to_string()).unwrap();
    // Against the work tree's (worse) baseline, tasks look fixed; against HEAD's, nothing changed.
    let out = run(&["--format", "json"]);
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(d["diff"]["counts"]["fixed"].as_u64().unwrap() > 0);
    let out = run(&[
        "--format",
        "json",
        "--baseline-ref",
        "HEAD",
        "--fail-on",
        "regression",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        d["diff"]["counts"].get("fixed").is_none(),
        "{}",
        d["diff"]["counts"]
    );
    let out = run(&["--baseline-ref", "no-such-ref"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("baseline.json at `no-such-ref`: fatal: invalid object name 'no-such-ref'"),
        "{err}"
    );
}

#[test]
fn three_shards_merge_into_the_single_run() {
    let ws = Workspace::new();
    let eval = repo().join("evals/demo.yaml");
    let run = |out: &str, extra: &[&str]| {
        let o = tooleval()
            .current_dir(ws.path())
            .args(["run", "--quiet", "--trials", "2", "--out", out])
            .args(extra)
            .arg(&eval)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    run("single.json", &[]);
    let mut sizes = vec![];
    for i in 1..=3 {
        let err = run(&format!("shard-{i}.json"), &["--shard", &format!("{i}/3")]);
        assert!(
            err.contains(&format!("shard {i}/3: the gate runs on the merged report")),
            "{err}"
        );
        sizes.push(
            ws.read_json(&format!("shard-{i}.json"))["trials"]
                .as_array()
                .unwrap()
                .len(),
        );
    }
    let single = ws.read_json("single.json");
    let total = single["trials"].as_array().unwrap().len();
    assert_eq!(sizes.iter().sum::<usize>(), total);
    assert!(
        sizes.iter().all(|s| s.abs_diff(total / 3) <= 1),
        "{sizes:?}"
    );
    let out = tooleval()
        .current_dir(ws.path())
        .args([
            "merge",
            "--quiet",
            "--out",
            "merged.json",
            "shard-3.json",
            "shard-1.json",
            "shard-2.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let normalize = |mut v: Value| {
        v["started_at"] = Value::Null;
        v["finished_at"] = Value::Null;
        for t in v["trials"].as_array_mut().unwrap() {
            t["latency_ms"] = 0.into();
        }
        v
    };
    assert_eq!(normalize(ws.read_json("merged.json")), normalize(single));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("missing"),
        "no warning when every shard is there"
    );
    // A missing shard leaves the merge incomplete, with a warning.
    let out = tooleval()
        .current_dir(ws.path())
        .args([
            "merge",
            "--quiet",
            "--out",
            "part.json",
            "shard-1.json",
            "shard-2.json",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard(s) 3 missing"));
    assert_eq!(ws.read_json("part.json")["complete"], false);

    // Gated against the complete run, an incomplete merge of one-trial shards fails, naming
    // the tasks that did not run; told to judge what ran, it compares those tasks alone (like
    // with like).
    for (out, shard) in [
        ("one.json", None),
        ("one-1.json", Some("1/3")),
        ("one-2.json", Some("2/3")),
    ] {
        let o = tooleval()
            .current_dir(ws.path())
            .args(["run", "--quiet", "--out", out])
            .args(shard.map(|s| vec!["--shard", s]).unwrap_or_default())
            .arg(&eval)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
    }
    let gate = |extra: &[&str]| {
        let o = tooleval()
            .current_dir(ws.path())
            .env("COLUMNS", "100")
            .args([
                "merge",
                "--baseline",
                "one.json",
                "--fail-on",
                "regression,min-accuracy",
                "--out",
                "gated.json",
                "one-1.json",
                "one-2.json",
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let tasks = ws.read_json("one.json")["summary"]["tasks"]
        .as_array()
        .unwrap()
        .len();
    let (code, err) = gate(&[]);
    let part = ws.read_json("gated.json");
    let not_run: Vec<&str> = part["summary"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trials"] == 0)
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(!not_run.is_empty());
    let ran = tasks - not_run.len();
    assert_eq!(code, Some(1), "{err}");
    let said = format!(
        "the run did not finish: {ran} of {tasks} tasks ran; {} did not (`{}`",
        not_run.len(),
        not_run[0]
    );
    assert!(err.contains(&format!("fail: {said}")), "{err}");
    // Said first, before any task line; and no accuracy verdict from what never ran.
    let first_task_line = err.find(" tasks that ran did not pass").unwrap();
    assert!(err.find("warning: the run did not finish").unwrap() < first_task_line);
    assert!(err.contains("not judged (the run did not finish)"), "{err}");
    assert!(!err.contains("NOT met"), "{err}");
    assert!(
        err.contains(&format!("not scored in one run ({})", not_run.len())),
        "{err}"
    );
    let (code, err) = gate(&["--allow-incomplete"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "the change and the paired test are over the {ran} task(s) scored in both runs"
        )),
        "{err}"
    );
    assert!(
        err.contains("+0.0 [+0.0, +0.0]") || err.contains("No task changed"),
        "{err}"
    );
}

#[test]
fn the_committed_workflow_examples_are_valid_yaml_and_shown_as_they_are() {
    let doc = std::fs::read_to_string(repo().join("docs/ci.md")).unwrap();
    for (file, job) in [
        ("github-workflow.yml", "tooleval"),
        ("github-workflow-shards.yml", "gate"),
    ] {
        let text = std::fs::read_to_string(repo().join("docs/examples").join(file)).unwrap();
        let parsed: Value =
            tooleval::config::parse_yaml(std::path::Path::new(file), &text).unwrap();
        let steps = parsed["jobs"][job]["steps"].as_array().unwrap();
        let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
        assert!(
            runs.iter()
                .any(|r| r.contains("--baseline-ref") && r.contains("--fail-on")),
            "{file}: {runs:?}"
        );
        // docs/ci.md shows the file as it is.
        assert!(
            doc.contains(&format!("```yaml\n{text}```")),
            "docs/ci.md does not show {file} as it is"
        );
        // The build is cached or done once.
        assert!(text.contains("Swatinem/rust-cache"), "{file}");
    }
    // The shards do not build: they take the binary built once.
    let shards =
        std::fs::read_to_string(repo().join("docs/examples/github-workflow-shards.yml")).unwrap();
    assert_eq!(shards.matches("cargo build").count(), 1, "{shards}");
}

#[test]
fn a_model_that_stops_calling_tools_is_a_significant_regression() {
    // Against the committed demo baseline, a model that never calls a tool loses every task whose
    // tool the baseline chose, and gains only the few that expect no call: McNemar finds the fall
    // in selection accuracy significant.
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule("", Scripted::Text("I'd rather not.".into())),
        ))
        .unwrap();
    let ws = Workspace::new();
    let before = std::fs::read(repo().join("reports/baseline-demo.json")).unwrap();
    let out = tooleval()
        .env("OPENAI_BASE_URL", &server.url)
        .env("OPENAI_API_KEY", "k")
        .current_dir(repo())
        .args([
            "run",
            "--quiet",
            "--model",
            "silent",
            "--fail-on",
            "significant-regression,tool-floor",
            "--tool-floor",
            "0.5",
            "--out",
        ])
        .arg(ws.path().join("r.json"))
        .arg("evals/demo.yaml")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("fail: selection accuracy fell significantly: The change is a regression distinguishable from noise"), "{err}");
    assert!(err.contains("McNemar score test, Tango interval"), "{err}");
    assert!(
        err.contains("fail: tool `search_logs` has recall 0%, below the floor 50%"),
        "{err}"
    );
    // The baseline file itself is untouched.
    assert_eq!(
        std::fs::read(repo().join("reports/baseline-demo.json")).unwrap(),
        before
    );
}

#[test]
fn gate_arguments_are_checked_before_the_run() {
    let ws = Workspace::new();
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "e.yaml",
        "servers:\n  shop: { command: tooleval, args: [demo-server] }\nsuites: [suite.yaml]\n",
    );
    for (args, needle) in [
        (
            vec!["--fail-on", "regression"],
            "--fail-on regression needs a baseline",
        ),
        (
            vec!["--fail-on", "tool-floor"],
            "--fail-on tool-floor needs a floor",
        ),
        (
            vec!["--update-baseline"],
            "--update-baseline needs a baseline path",
        ),
        (vec!["--alpha", "2"], "--alpha 2 must lie between 0 and 1"),
        (vec!["--shard", "4/3"], "I must be between 1 and N"),
    ] {
        let out = tooleval()
            .current_dir(ws.path())
            .arg("run")
            .args(&args)
            .arg(&eval)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("report:"), "{args:?} ran anyway: {err}");
    }
}

#[test]
fn the_run_page_shows_the_gate_verdict_and_the_regressed_tasks_first() {
    let ws = Workspace::new();
    let eval = repo().join("evals/demo.yaml");
    let owner = repo().join("evals/descriptions/owner.yaml");
    let run = |extra: &[&str]| {
        tooleval()
            .current_dir(ws.path())
            .args(["run", "--quiet"])
            .args(extra)
            .arg(&eval)
            .output()
            .unwrap()
    };
    // The baseline ran with descriptions that fix a task; the head without them regresses it.
    let base = run(&[
        "--out",
        "base.json",
        "--descriptions",
        owner.to_str().unwrap(),
    ]);
    assert_eq!(base.status.code(), Some(0));
    let head = run(&[
        "--out",
        "head.json",
        "--baseline",
        "base.json",
        "--fail-on",
        "regression,min-accuracy",
        "--html",
        "head.html",
    ]);
    assert_eq!(head.status.code(), Some(1));
    let page = std::fs::read_to_string(ws.path().join("head.html")).unwrap();
    let gate = page
        .find("<h2 id=\"gate\">Gate</h2>")
        .expect("a gate section");
    let accuracy = page.find("<h2 id=\"accuracy\">").unwrap();
    assert!(gate < accuracy, "the verdict comes first");
    let section = &page[gate..accuracy];
    assert!(section.contains(">failed</p>"), "{section}");
    assert!(
        section.contains("1 task(s) regressed: services-notifications-owner-version"),
        "{section}"
    );
    assert!(section.contains("<h3>regressed (1)</h3>"), "{section}");
    assert!(
        section.contains("compared with the baseline <code>base.json</code>"),
        "{section}"
    );
    // The regressed task links to its details.
    let link = regex::Regex::new(
        r##"<a href="#(t\d+)"><code>services-notifications-owner-version</code></a>"##,
    )
    .unwrap();
    let anchor = &link.captures(section).expect("a link")[1];
    assert!(page.contains(&format!("<details id=\"{anchor}\"")));
    // Rebuilt from the report alone, the page has no verdict to show.
    let rebuilt = tooleval()
        .current_dir(ws.path())
        .args(["report", "head.json", "--html", "again.html"])
        .output()
        .unwrap();
    assert_eq!(rebuilt.status.code(), Some(0));
    let again = std::fs::read_to_string(ws.path().join("again.html")).unwrap();
    assert!(!again.contains("id=\"gate\""));
    // As the README's command table writes it: the page lands beside the report.
    let beside = tooleval()
        .current_dir(ws.path())
        .args(["report", "base.json"])
        .output()
        .unwrap();
    assert_eq!(beside.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&beside.stderr).contains("page: base.html"));
    assert!(ws.path().join("base.html").exists());
}
