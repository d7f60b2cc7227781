//! What a run costs: prices from the shipped table, the eval or a `--prices` file, cached
//! tokens apart, Anthropic's prompt-cache breakpoints, against the real demo server and a
//! scripted model that keeps a prompt cache as the providers do.

use serde_json::Value;
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, repo, runtime, tooleval};

/// The demo's 40 tasks, one trial each, one request at a time, against `model`.
fn eval(ws: &Workspace, model: &str) -> std::path::PathBuf {
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\nmodel: {model}\nconcurrency: 1\n",
            repo().join("suites/observability.yaml").display()
        ),
    )
}

fn run(ws: &Workspace, eval: &std::path::Path, flags: &[&str]) -> (String, Value) {
    let o = tooleval()
        .arg("run")
        .args(flags)
        .arg("--out")
        .arg(ws.path().join("r.json"))
        .arg(eval)
        .env("COLUMNS", "300")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{:?}: {stderr}",
        o.status
    );
    (stderr, ws.read_json("r.json"))
}

/// `run --max-cost CAP` of `eval` with no response cache, its report at `r.json`: the exit code
/// and stderr.
fn run_capped(ws: &Workspace, eval: &std::path::Path, cap: &str) -> (Option<i32>, String) {
    let o = tooleval()
        .current_dir(ws.path())
        .args([
            "run",
            "--cache",
            "off",
            "--max-cost",
            cap,
            "--out",
            "r.json",
        ])
        .arg(eval)
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn script() -> Script {
    Script::default()
        .rule("", Scripted::Text("No tool fits.".into()))
        .with_prompt_cache()
}

#[test]
fn anthropic_reads_the_tools_from_its_prompt_cache_and_the_run_costs_less() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    let model = |cache: &str| {
        format!(
            "{{ name: claude-sonnet-4-5, provider: anthropic, base_url: \"{}\", api_key: k{cache} }}",
            server.base()
        )
    };
    let ws = Workspace::new();
    let (stderr, r) = run(&ws, &eval(&ws, &model("")), &["--cache", "off"]);
    let price = &r["price"];
    assert!(
        price["source"]
            .as_str()
            .unwrap()
            .starts_with("LiteLLM's price table, as of "),
        "{price}"
    );
    assert_eq!(
        (price["input"].as_f64(), price["output"].as_f64()),
        (Some(3.0), Some(15.0))
    );
    let t = &r["summary"]["tokens"];
    let (prompt, cached) = (t["prompt"].as_u64().unwrap(), t["cached"].as_u64().unwrap());
    assert!(t["cache_writes"].as_u64().unwrap() > 1024, "{t}");
    assert!(cached as f64 > 0.9 * prompt as f64, "{t}");
    let c = &r["summary"]["cost"];
    let (dollars, without) = (
        c["dollars"].as_f64().unwrap(),
        c["without_cache"].as_f64().unwrap(),
    );
    assert!(dollars > 0.0 && dollars < 0.5 * without, "{c}");
    // Each task's cost, and the run's, agree.
    let tasks: f64 = r["summary"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["cost"].as_f64().unwrap())
        .sum();
    assert!((tasks - dollars).abs() < 1e-9, "{tasks} {dollars}");
    for needle in [
        "read from the provider's cache",
        "without the provider's prompt cache",
        "per million input/output tokens (LiteLLM's price table, as of ",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    // Every request marked its tools for the cache.
    for b in server.bodies() {
        let tools = b["tools"].as_array().unwrap();
        assert_eq!(tools.last().unwrap()["cache_control"]["type"], "ephemeral");
    }

    // `cache: false`: no breakpoint, nothing cached, the cost is the plain one.
    let server_requests = server.requests();
    let plain_ws = Workspace::new();
    let (_, r) = run(
        &plain_ws,
        &eval(&plain_ws, &model(", cache: false")),
        &["--cache", "off"],
    );
    assert_eq!(
        r["summary"]["tokens"].get("cached"),
        None,
        "{}",
        r["summary"]["tokens"]
    );
    let c = &r["summary"]["cost"];
    assert_eq!(c["dollars"], c["without_cache"]);
    assert!(
        server.bodies()[server_requests..]
            .iter()
            .all(|b| !b.to_string().contains("cache_control"))
    );
    // The diff of the two says what the cache saved.
    let o = tooleval()
        .arg("diff")
        .arg(ws.path().join("r.json"))
        .arg(plain_ws.path().join("r.json"))
        .env("COLUMNS", "400")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line = format!(
        "cost: {} -> {} (+",
        tooleval_dollars(dollars),
        tooleval_dollars(without)
    );
    assert!(stdout.contains(&line), "{line}: {stdout}");
    // And the task whose cost changed most, from the two reports.
    let costs = |ws: &Workspace| -> Vec<(String, f64)> {
        ws.read_json("r.json")["summary"]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["id"].as_str().unwrap().to_owned(),
                    t["cost"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (before, after) = (costs(&ws), costs(&plain_ws));
    let (id, b, h) = before
        .iter()
        .zip(&after)
        .map(|((id, b), (_, h))| (id.clone(), *b, *h))
        .max_by(|x, y| {
            (x.2 - x.1)
                .abs()
                .total_cmp(&(y.2 - y.1).abs())
                .then(y.0.cmp(&x.0))
        })
        .unwrap();
    let most = format!(
        "; most changed: {id} {} -> {}",
        tooleval_dollars(b),
        tooleval_dollars(h)
    );
    assert!(stdout.contains(&most), "{most}: {stdout}");

    // A model matrix: each model's cost, and the cheapest per pass.
    let ws = Workspace::new();
    let haiku = model("").replace("claude-sonnet-4-5", "claude-haiku-4-5");
    let text = std::fs::read_to_string(eval(&ws, &model(""))).unwrap();
    let e = ws.write(
        "eval.yaml",
        &text
            .replace("model: {", &format!("models:\n  - {haiku}\n  - {{"))
            .replace("concurrency: 1", "concurrency: 2"),
    );
    let o = tooleval()
        .args(["run", "--cache", "off", "--out"])
        .arg(ws.path().join("r.json"))
        .arg(&e)
        .env("COLUMNS", "300")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let m = ws.read_json("r-matrix.json");
    let costs: Vec<f64> = m["models"]
        .as_array()
        .unwrap_or_else(|| panic!("{m}"))
        .iter()
        .map(|x| x["cost"].as_f64().unwrap())
        .collect();
    assert!(costs[0] < costs[1], "haiku is cheaper: {costs:?}");
    assert!(
        stderr.contains("cheapest per full-call pass: claude-haiku-4-5 at $"),
        "{stderr}"
    );
}

/// Dollars as the reports write them: two significant digits at least when small.
fn tooleval_dollars(x: f64) -> String {
    if x == 0.0 {
        "$0".to_owned()
    } else if x < 0.01 {
        let places = ((-x.log10()).ceil() as usize + 1).clamp(4, 7);
        format!("${x:.places$}")
    } else if x < 100.0 {
        format!("${x:.2}")
    } else {
        format!("${x:.0}")
    }
}

#[test]
fn each_task_s_cost_is_shown_in_the_table_and_on_the_page() {
    let rt = runtime();
    let server = rt.block_on(ScriptedServer::start(script())).unwrap();
    // Input counted from each request's size: a longer prompt costs more.
    let model = format!(
        "{{ name: scripted-model, base_url: \"{}\", api_key: k, price: {{ input: 100, output: 200 }} }}",
        server.url
    );
    let ws = Workspace::new();
    let e = eval(&ws, &model);
    let page = ws.path().join("page.html");
    let (stderr, r) = run(
        &ws,
        &e,
        &[
            "--cache",
            "off",
            "--verbose",
            "--html",
            page.to_str().unwrap(),
        ],
    );
    let mut tasks: Vec<(String, f64)> = r["summary"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_owned(),
                t["cost"].as_f64().unwrap(),
            )
        })
        .collect();
    tasks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    assert!(tasks[0].1 > tasks[39].1, "{tasks:?}");
    let total = r["summary"]["cost"]["dollars"].as_f64().unwrap();
    // The three costliest, with their shares of the run's cost.
    let row = stderr
        .lines()
        .find(|l| l.contains("costliest tasks"))
        .unwrap_or_else(|| panic!("{stderr}"));
    let first = format!(
        "{} {} ({:.0}%)",
        tasks[0].0,
        tooleval_dollars(tasks[0].1),
        tasks[0].1 / total * 100.0
    );
    assert!(row.contains(&first), "{first}: {row}");
    assert!(
        row.contains(&tasks[2].0) && !row.contains(&format!(" {} ", tasks[3].0)),
        "{row}"
    );
    // --verbose: a cost column, each task's row with its cost.
    assert!(stderr.contains("┆ cost"), "{stderr}");
    for (id, cost) in &tasks {
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("│ {id} ")))
            .unwrap_or_else(|| panic!("{id}: {stderr}"));
        assert!(line.contains(&tooleval_dollars(*cost)), "{id}: {line}");
    }
    // The page: a cost column, and each task's cost in its details.
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<th class=\"num\">cost</th>"));
    for (id, cost) in &tasks {
        let shown = tooleval_dollars(*cost);
        let row = html
            .split("<tr ")
            .find(|r| r.contains(&format!("<code>{id}</code></a>")))
            .unwrap_or_else(|| panic!("{id}"));
        assert!(
            row.contains(&format!("<td class=\"num\">{shown}</td>")),
            "{id}: {row}"
        );
        assert!(
            html.contains(&format!(
                "<code>{id}</code> <span class=\"muted\">1/1 passed ({shown})"
            )) || html.contains(&format!(
                "<code>{id}</code> <span class=\"muted\">0/1 passed ({shown})"
            )),
            "{id}"
        );
    }
}

#[test]
fn a_price_comes_from_the_eval_or_a_prices_file_or_is_said_to_be_unknown() {
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule("", Scripted::Text("No tool fits.".into())),
        ))
        .unwrap();
    let model = format!(
        "{{ name: scripted-model, base_url: \"{}\", api_key: k }}",
        server.url
    );
    let ws = Workspace::new();
    let e = eval(&ws, &model);
    // Unknown: tokens, and why there is no cost.
    let (stderr, r) = run(&ws, &e, &["--cache", "off"]);
    assert!(r.get("price").is_none() && r["summary"].get("cost").is_none());
    assert!(
        stderr.contains("unknown: no price for `scripted-model`"),
        "{stderr}"
    );
    // A file: 100 prompt and 10 completion tokens a trial at $1 and $2 per million.
    let prices = ws.write(
        "prices.yaml",
        "scripted-model: { input: 1.0, output: 2.0 }\n",
    );
    let (stderr, r) = run(
        &ws,
        &e,
        &["--cache", "off", "--prices", prices.to_str().unwrap()],
    );
    let dollars = r["summary"]["cost"]["dollars"].as_f64().unwrap();
    assert!((dollars - 40.0 * 120.0 / 1e6).abs() < 1e-12, "{dollars}");
    assert!(stderr.contains("$0.0048, $0.00012 per trial"), "{stderr}");
    assert!(
        r["price"]["source"]
            .as_str()
            .unwrap()
            .starts_with("--prices ")
    );
    // The eval's own price wins over the file.
    let e = eval(
        &ws,
        &model.replace(" }", ", price: { input: 10, output: 20 } }"),
    );
    let (_, r) = run(
        &ws,
        &e,
        &["--cache", "off", "--prices", prices.to_str().unwrap()],
    );
    let dollars = r["summary"]["cost"]["dollars"].as_f64().unwrap();
    assert!((dollars - 40.0 * 1200.0 / 1e6).abs() < 1e-12, "{dollars}");
    assert_eq!(r["price"]["source"], "the eval's `price`");
    // A broken prices file is located.
    let bad = ws.write("bad.yaml", "scripted-model: { input: 1.0, ouput: 2.0 }\n");
    let o = tooleval()
        .current_dir(ws.path())
        .args(["run", "--prices"])
        .arg(&bad)
        .arg(&e)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.yaml:1:") && stderr.contains("unknown field `ouput`"),
        "{stderr}"
    );
}

#[test]
fn the_cost_is_said_before_the_first_request_and_a_run_above_the_cap_does_not_start() {
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule("", Scripted::Text("No tool fits.".into())),
        ))
        .unwrap();
    let ws = Workspace::new();
    let e = eval(
        &ws,
        &format!(
            "{{ name: scripted-model, base_url: \"{}\", api_key: k, price: {{ input: 1.0, output: 2.0 }} }}",
            server.url
        ),
    );
    // The estimate: 40 requests, each with the 15 tools.
    let (stderr, _) = run(&ws, &e, &["--cache", "off"]);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("run: at most 40 request(s) to `scripted-model`"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        line.contains("; at most $0.1") && line.ends_with("(the eval's `price`)"),
        "{line}"
    );
    assert_eq!(server.requests(), 40);
    // Under the estimate: refused before any request.
    let o = tooleval()
        .current_dir(ws.path())
        .args(["run", "--cache", "off", "--max-cost", "0.05"])
        .arg(&e)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("(40 requests), above the cost cap of $0.05"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: raise --max-cost"), "{stderr}");
    assert_eq!(server.requests(), 40, "no request was sent");
    // The eval's `max_cost` too, and a cap with no price cannot be held.
    let unpriced = ws.write(
        "unpriced.yaml",
        &std::fs::read_to_string(&e)
            .unwrap()
            .replace(", price: { input: 1.0, output: 2.0 }", "")
            .replace("concurrency: 1\n", "concurrency: 1\nmax_cost: 5\n"),
    );
    let o = tooleval()
        .current_dir(ws.path())
        .arg("run")
        .arg(&unpriced)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "the cost cap of $5.00 cannot be held: the price of `scripted-model` is unknown"
        ),
        "{stderr}"
    );
    assert_eq!(server.requests(), 40);
}

#[test]
fn a_run_that_reaches_its_cost_cap_stops_and_writes_what_it_has() {
    let rt = runtime();
    // Each reply says it took a million prompt tokens: a dollar at $1 per million.
    let costly = serde_json::json!({
        "id": "chatcmpl-costly", "object": "chat.completion", "model": "scripted-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "No tool fits."}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0, "total_tokens": 1_000_000}
    });
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule("", Scripted::Body(costly)),
        ))
        .unwrap();
    let ws = Workspace::new();
    let e = eval(
        &ws,
        &format!(
            "{{ name: scripted-model, base_url: \"{}\", api_key: k, price: {{ input: 1.0, output: 2.0 }} }}",
            server.url
        ),
    );
    let (code, stderr) = run_capped(&ws, &e, "2.5");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("the --max-cost cap of $2.50 is reached ($3.00 spent)"),
        "{stderr}"
    );
    assert_eq!(server.requests(), 3, "no request after the cap");
    let r = ws.read_json("r.json");
    assert_eq!(r["complete"], false);
    assert_eq!(r["summary"]["cost"]["dollars"], 3.0);
}

/// A reply of the judge's: a verdict, and the tokens it says it took.
fn verdict_body(prompt_tokens: u64) -> Scripted {
    Scripted::Body(serde_json::json!({
        "id": "chatcmpl-judge", "object": "chat.completion", "model": "scripted-judge",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"verdict\": \"pass\", \"reason\": \"it answers\"}"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 10, "total_tokens": prompt_tokens + 10}
    }))
}

const HELPED: &str = "mode: agent\ntasks:\n  - id: judged\n    prompt: Is anything on fire?\n    expect: none\n    judge: Says whether anything is on fire.\n  - id: simulated\n    prompt: Undo the last release.\n    user:\n      goal: Have the last release undone.\n    expect: { tool: rollback_deployment }\n";

/// The eval of `suite` with the model, the judge and the user model on `server`, each at its
/// own price per million tokens.
fn helped_eval(ws: &Workspace, server: &ScriptedServer, suite: &str) -> std::path::PathBuf {
    ws.write("suite.yaml", suite);
    let m = |name: &str, price: f64| {
        format!(
            "{{ name: {name}, base_url: \"{}\", api_key: k, price: {{ input: {price}, output: {price} }} }}",
            server.url
        )
    };
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nmodel: {}\njudge_model: {}\nuser_model: {}\nsuites: [suite.yaml]\nconcurrency: 1\nmocks:\n  rollback_deployment:\n    result: {{ service: payments, from: v2.14.0, to: v2.13.9 }}\n",
            m("scripted-model", 1.0),
            m("scripted-judge", 10.0),
            m("scripted-user", 100.0)
        ),
    )
}

#[test]
fn the_judge_and_the_simulated_user_are_priced_at_their_own_models_prices() {
    let rt = runtime();
    let text = |t: &str| Scripted::Text(t.into());
    let script = Script::default()
        .rule("Rubric:", verdict_body(100))
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
        .rule("", text("Nothing is on fire."));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let e = helped_eval(&ws, &server, HELPED);
    let (stderr, r) = run(&ws, &e, &["--cache", "off"]);
    assert_eq!(server.requests(), 5, "{stderr}");
    // Every request took 100 prompt and 10 completion tokens: the model's three (an answer; a
    // call and an answer) at $1 per million, the judge's one at $10, the user model's one at
    // $100.
    let s = &r["summary"];
    let model = 3.0 * 110.0 / 1e6;
    assert!(
        (s["cost"]["dollars"].as_f64().unwrap() - model).abs() < 1e-12,
        "{s}"
    );
    let helpers: Vec<(String, String, u64, f64)> = s["helpers"]
        .as_array()
        .unwrap_or_else(|| panic!("{s}"))
        .iter()
        .map(|h| {
            (
                h["role"].as_str().unwrap().to_owned(),
                h["model"].as_str().unwrap().to_owned(),
                h["tokens"]["prompt"].as_u64().unwrap(),
                h["dollars"].as_f64().unwrap(),
            )
        })
        .collect();
    let (judge, user) = (1100.0 / 1e6, 11000.0 / 1e6);
    assert_eq!(helpers.len(), 2, "{helpers:?}");
    assert_eq!(
        (helpers[0].0.as_str(), helpers[0].1.as_str(), helpers[0].2),
        ("judge", "scripted-judge", 100)
    );
    assert_eq!(
        (helpers[1].0.as_str(), helpers[1].1.as_str(), helpers[1].2),
        ("user", "scripted-user", 100)
    );
    assert!(
        (helpers[0].3 - judge).abs() < 1e-12 && (helpers[1].3 - user).abs() < 1e-12,
        "{helpers:?}"
    );
    // Each task's cost holds its helper's.
    let task = |id: &str| {
        s["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["cost"]
            .as_f64()
            .unwrap()
    };
    assert!((task("judged") - (110.0 / 1e6 + judge)).abs() < 1e-12);
    assert!((task("simulated") - (220.0 / 1e6 + user)).abs() < 1e-12);
    for needle in [
        "judge `scripted-judge` (prompt / completion)",
        "simulated user `scripted-user` (prompt / completion)",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    let all = stderr.lines().find(|l| l.contains("cost in all")).unwrap();
    assert!(
        all.contains(&format!("┆ {} ", tooleval_dollars(model + judge + user))),
        "{all}"
    );
    // Said before the first request: the requests to each model.
    let line = stderr
        .lines()
        .find(|l| l.starts_with("run: at most"))
        .unwrap();
    assert!(
        line.contains(" to `scripted-model`, 1 to `scripted-judge`, 5 to `scripted-user`"),
        "{line}"
    );
}

#[test]
fn the_judge_s_replies_count_against_the_cost_cap() {
    let rt = runtime();
    // Each verdict says it took a million prompt tokens: $10 at the judge's price.
    let script = Script::default()
        .rule("Rubric:", verdict_body(1_000_000))
        .rule("", Scripted::Text("Nothing is on fire.".into()));
    let server = rt.block_on(ScriptedServer::start(script)).unwrap();
    let ws = Workspace::new();
    let suite = (1..=4)
        .map(|i| format!("  - id: judged-{i}\n    prompt: Is service {i} on fire?\n    expect: none\n    judge: Says whether it is on fire.\n"))
        .collect::<String>();
    let e = helped_eval(&ws, &server, &format!("mode: agent\ntasks:\n{suite}"));
    let (code, stderr) = run_capped(&ws, &e, "25");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("the --max-cost cap of $25.00 is reached ($30.00 spent)"),
        "{stderr}"
    );
    // Three tasks answered and judged; the fourth's first request refused.
    assert_eq!(server.requests(), 6, "{stderr}");
    let r = ws.read_json("r.json");
    assert_eq!(r["complete"], false);
    let judged = r["summary"]["helpers"][0]["dollars"].as_f64().unwrap();
    assert!((judged - 30.0003).abs() < 1e-9, "{judged}");
}

/// A model matrix: each model's most said before the first request, their sum held to the cap,
/// and one budget for them all.
#[test]
fn a_matrix_is_held_to_one_cost_cap() {
    let rt = runtime();
    // Every reply says it took a million input tokens: a dollar at $1 per million.
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default()
                .rule("", Scripted::Text("No tool fits.".into()))
                .with_usage(1_000_000, 0),
        ))
        .unwrap();
    let ws = Workspace::new();
    let m = |name: &str| {
        format!(
            "{{ name: {name}, base_url: \"{}\", api_key: k, price: {{ input: 1, output: 1 }} }}",
            server.url
        )
    };
    let e = ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\nmodels:\n  - {}\n  - {}\nconcurrency: 1\n",
            repo().join("suites/observability.yaml").display(),
            m("model-a"),
            m("model-b")
        ),
    );
    let (code, stderr) = run_capped(&ws, &e, "0.01");
    assert_eq!(code, Some(2), "{stderr}");
    for name in ["model-a", "model-b"] {
        assert!(
            stderr.contains(&format!("{name}: at most 40 request(s) to `{name}`")),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("the matrix is estimated at up to $") && stderr.contains("(80 requests)"),
        "{stderr}"
    );
    assert_eq!(server.requests(), 0);
    // Both models spend from one budget: past the fifth dollar no request starts, but one
    // already waiting for its turn on the wire (the other model's) may still go.
    let (code, stderr) = run_capped(&ws, &e, "4.5");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("the --max-cost cap of $4.50 is reached"),
        "{stderr}"
    );
    let sent = server.requests();
    assert!((5..=6).contains(&sent), "{sent} requests: {stderr}");
    let spent: f64 = ["r-model-a.json", "r-model-b.json"]
        .iter()
        .map(|f| {
            ws.read_json(f)["summary"]["cost"]["dollars"]
                .as_f64()
                .unwrap()
        })
        .sum();
    assert_eq!(spent, sent as f64);
}
