//! Sweeps: the curve a model scripted to degrade with tool count gives, reproducible tool sets,
//! a chart whose points match the report, and the shipped distractor pool.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, runtime, tooleval};

const SUITE: &str = "tasks:
  - id: a
    prompt: Show error logs of checkout.
    expect: { tool: search_logs, args: { service: checkout } }
  - id: b
    prompt: Which alerts fire on cart?
    expect: { tool: list_alerts, args: { service: cart } }
  - id: c
    prompt: Roll back payments in production.
    expect: { tool: rollback_deployment, args: { service: payments } }
  - id: d
    prompt: Thanks!
    expect: none
";

/// Right with up to 20 tools; tasks a and b survive up to 60; everything fails beyond.
fn degrading() -> Script {
    let call = |tool: &str, args: Value| Scripted::Calls(vec![(tool.into(), args.to_string())]);
    Script::default()
        .rule_if_at_most(
            "error logs",
            60,
            call("search_logs", json!({"service": "checkout"})),
        )
        .rule_if_at_most(
            "Which alerts",
            60,
            call("list_alerts", json!({"service": "cart"})),
        )
        .rule_if_at_most(
            "Roll back",
            20,
            call(
                "rollback_deployment",
                json!({"service": "payments", "environment": "production"}),
            ),
        )
        .rule("Thanks", Scripted::Text("You're welcome.".into()))
        .rule(
            "",
            Scripted::Calls(vec![(
                "get_trace".into(),
                json!({"trace_id": "0".repeat(32)}).to_string(),
            )]),
        )
}

fn run_sweep(ws: &Workspace, url: &str, out: &str, extra: &[&str]) -> Value {
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {{ name: degrading, base_url: \"{url}\", api_key: k }}\nsuites: [suite.yaml]\n"),
    );
    let o = tooleval()
        .current_dir(ws.path())
        .args([
            "sweep",
            "--quiet",
            "--sizes",
            "5,10,20,50,100,200",
            "--out",
            out,
        ])
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
    ws.read_json(out)
}

#[test]
fn the_sweep_reports_the_curve_the_model_was_scripted_to_give() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(degrading())).unwrap();
    let ws = Workspace::new();
    let r = run_sweep(
        &ws,
        &server.url,
        "sweep.json",
        &["--strategy", "random,similar"],
    );
    assert_eq!(r["kind"], "sweep");
    assert_eq!(r["needed"].as_array().unwrap().len(), 3);
    let curve = |line: &str| -> Vec<(u64, u64)> {
        r["points"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["line"] == line)
            .map(|p| {
                (
                    p["size"].as_u64().unwrap(),
                    p["full_call"]["successes"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // 4 tasks: all pass up to 20 tools, 3 at 50 (c breaks), 1 beyond (only d, no tool).
    let want = vec![(5, 4), (10, 4), (20, 4), (50, 3), (100, 1), (200, 1)];
    assert_eq!(curve("random"), want);
    assert_eq!(curve("similar"), want);
    for p in r["points"].as_array().unwrap() {
        let tools: Vec<&str> = p["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(tools.len() as u64, p["size"].as_u64().unwrap());
        for needed in ["search_logs", "list_alerts", "rollback_deployment"] {
            assert!(tools.contains(&needed), "{needed} missing at {}", p["size"]);
        }
        assert!(p["tool_tokens"].as_u64().unwrap() > 0);
    }
    // Token cost grows with the tool count.
    let tokens: Vec<u64> = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["line"] == "random")
        .map(|p| p["tool_tokens"].as_u64().unwrap())
        .collect();
    assert!(tokens.windows(2).all(|w| w[0] < w[1]), "{tokens:?}");
    // The task that breaks first is c, at 50 tools.
    assert_eq!(r["breaks"][0]["task"], "c");
    assert_eq!(r["breaks"][0]["size"], 50);
    // `similar` adds the distractors most alike to the needed tools first: at 20 tools they
    // resemble them more than random ones do (the demo server's own tools, then pool tools).
    let random20: BTreeSet<&str> = point_tools(&r, "random", 20);
    let similar20: BTreeSet<&str> = point_tools(&r, "similar", 20);
    assert_ne!(random20, similar20);
}

fn point_tools<'a>(r: &'a Value, line: &str, size: u64) -> BTreeSet<&'a str> {
    r["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["line"] == line && p["size"] == size)
        .unwrap()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_tool_sets_and_another_seed_does_not() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(degrading())).unwrap();
    let ws = Workspace::new();
    let one = run_sweep(&ws, &server.url, "one.json", &["--seed", "42"]);
    let two = run_sweep(&ws, &server.url, "two.json", &["--seed", "42"]);
    let three = run_sweep(&ws, &server.url, "three.json", &["--seed", "43"]);
    let sets = |r: &Value| {
        r["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["tools"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(sets(&one), sets(&two));
    assert_ne!(sets(&one), sets(&three));
}

#[test]
fn retrieval_first_recovers_accuracy_and_the_chart_matches_the_report() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(degrading())).unwrap();
    let ws = Workspace::new();
    let r = run_sweep(&ws, &server.url, "sweep.json", &["--retrieve", "5"]);
    let retrieved: Vec<&Value> = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["line"] == "random+retrieve5")
        .collect();
    assert_eq!(retrieved.len(), 6);
    // With 5 tools sent per request the scripted model stays in its good range; the ranking
    // still has to put the right tool among the 5, which the offline baseline does for these.
    let at200 = retrieved.iter().find(|p| p["size"] == 200).unwrap();
    let plain200 = r["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["line"] == "random" && p["size"] == 200)
        .unwrap();
    assert!(
        at200["full_call"]["successes"].as_u64() > plain200["full_call"]["successes"].as_u64(),
        "{at200}"
    );

    // The chart: well-formed SVG, one circle per point with the report's numbers.
    let svg = std::fs::read_to_string(ws.path().join("sweep.svg")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&svg);
    let mut circles = Vec::new();
    loop {
        match reader.read_event().expect("well-formed SVG") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().as_ref() == b"circle" =>
            {
                let attr = |k: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k.as_bytes())
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                        .unwrap()
                };
                circles.push((
                    attr("data-line"),
                    attr("data-size").parse::<u64>().unwrap(),
                    attr("data-accuracy").parse::<f64>().unwrap(),
                    attr("data-tokens").parse::<u64>().unwrap(),
                ));
            }
            _ => {}
        }
    }
    let points = r["points"].as_array().unwrap();
    assert_eq!(circles.len(), points.len());
    for (line, size, acc, tokens) in &circles {
        let p = points
            .iter()
            .find(|p| p["line"] == line.as_str() && p["size"] == *size)
            .unwrap();
        assert!((p["full_call"]["rate"].as_f64().unwrap() - acc).abs() < 1e-4);
        assert_eq!(p["tool_tokens"].as_u64().unwrap(), *tokens);
    }
    crate::snapshot!("sweep_chart", svg);
}

#[test]
fn the_shipped_pool_is_valid_and_has_no_duplicate_names() {
    let pool = tooleval::mcp::shipped_pool();
    assert!(pool.len() >= 200, "{}", pool.len());
    let names: BTreeSet<&str> = pool.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), pool.len(), "duplicate names");
    for t in &pool {
        assert!(
            t.description.as_deref().is_some_and(|d| d.len() > 10),
            "{}",
            t.name
        );
        assert_eq!(tooleval::mcp::api_name(&t.name), t.name);
        assert!(
            jsonschema::validator_for(&t.input_schema).is_ok(),
            "{}",
            t.name
        );
        assert_eq!(t.input_schema["type"], "object", "{}", t.name);
    }
    // No pool tool shadows a demo tool.
    for d in tooleval::mcp::demo::demo_tools() {
        assert!(!names.contains(d.name.as_str()), "{}", d.name);
    }
}

/// `--max-cost` holds the whole sweep: estimated above it (every point as large as the whole
/// candidate set), it does not start; once the replies cost that much, it stops, exit 3.
#[test]
fn the_cost_cap_holds_every_point_of_the_sweep() {
    let rt = runtime();
    // Every reply says it took a million input tokens: a dollar at $1 per million.
    let server = rt
        .block_on(ScriptedServer::start(degrading().with_usage(1_000_000, 0)))
        .unwrap();
    let ws = Workspace::new();
    ws.write("suite.yaml", SUITE);
    let eval = ws.write(
        "eval.yaml",
        &format!("servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {{ name: degrading, base_url: \"{}\", api_key: k, price: {{ input: 1, output: 1 }} }}\nsuites: [suite.yaml]\nconcurrency: 1\n", server.url),
    );
    let sweep = |cap: &str| {
        let o = tooleval()
            .current_dir(ws.path())
            .args([
                "sweep", "--sizes", "5,10,20", "--cache", "off", "--out", "s.json",
            ])
            .args(["--max-cost", cap])
            .arg(&eval)
            .env("COLUMNS", "200")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = sweep("0.01");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("sweep: at most 12 request(s) to `degrading`"),
        "{err}"
    );
    assert!(err.contains("above the cost cap of $0.01"), "{err}");
    assert_eq!(server.requests(), 0);
    let (code, err) = sweep("4.5");
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("the --max-cost cap of $4.50 is reached ($5.00 spent)"),
        "{err}"
    );
    assert_eq!(server.requests(), 5, "no request after the fifth dollar");
    // What was measured is written.
    assert_eq!(ws.read_json("s.json")["complete"], false);
}
