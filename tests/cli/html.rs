//! The HTML pages in a real browser: Debian's Chromium, headless, renders each page (`--dump-dom`
//! after its script ran, and a screenshot); the DOM must hold the expected task rows, the
//! filters must work from the URL, and nothing may be logged to the console. The pages come from
//! real runs: the demo, the agent demo, a diff, a sweep, an improve loop, and a run whose tool
//! descriptions and model replies try to break out of the page.
//!
//! They run wherever Chromium is installed (`.ci/run` installs it); under `CI` a missing Chromium
//! fails them, and elsewhere each says why it skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use tooleval::model::scripted::{Script, Scripted, ScriptedServer};

use crate::support::{Workspace, repo, runtime, tooleval};

/// Chromium, to render the pages: the browser tests run wherever it is installed, and under CI
/// it must be (`bash .ci/run` installs it).
fn chromium() -> Option<PathBuf> {
    match tooleval::commands::find_chromium() {
        Some(found) => Some(found),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI is set and Chromium is not installed: `apt-get install chromium`")
        }
        None => {
            crate::support::skipped(
                "Chromium is not installed (`apt-get install chromium`; `bash .ci/run` installs it)",
            );
            None
        }
    }
}

/// What a page became in the browser: its DOM after the script ran, and the console's lines.
struct Rendered {
    dom: String,
    console: Vec<String>,
}

/// Renders `page` (with `hash` after it) headless, and takes a screenshot into `shot`.
fn render(browser: &Path, page: &Path, hash: &str, shot: &Path) -> Rendered {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{hash}", page.display());
    let base = |c: &mut Command| {
        c.args(tooleval::commands::HEADLESS_CHROMIUM)
            .args(["--hide-scrollbars", "--enable-logging=stderr", "--v=0"])
            .arg(format!("--user-data-dir={}", profile.path().display()));
    };
    let mut dump = Command::new(browser);
    base(&mut dump);
    let out = dump.args(["--dump-dom", &url]).output().unwrap();
    assert!(out.status.success(), "chromium failed on {url}");
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    let mut screenshot = Command::new(browser);
    base(&mut screenshot);
    let status = screenshot
        .arg("--window-size=1280,1600")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .unwrap()
        .status;
    assert!(status.success(), "chromium took no screenshot of {url}");
    let png = std::fs::read(shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} is no picture",
        shot.display()
    );
    Rendered {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
    }
}

/// Runs tooleval in the workspace; it must end with 0 or 1 (a gate may fail).
fn run(ws: &Workspace, args: &[&str]) {
    let out = tooleval()
        .current_dir(ws.path())
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The opening tags of the grid's task rows, however the DOM is laid out.
fn task_row_tags(dom: &str) -> Vec<&str> {
    regex::Regex::new(r"<tr data-task=[^>]*>")
        .unwrap()
        .find_iter(dom)
        .map(|m| m.as_str())
        .collect()
}

fn task_rows(dom: &str) -> usize {
    task_row_tags(dom).len()
}

#[test]
fn the_run_page_renders_every_task_and_filters_from_the_url() {
    let Some(browser) = chromium() else { return };
    let ws = Workspace::new();
    let eval = repo().join("evals/demo.yaml");
    run(
        &ws,
        &[
            "run",
            eval.to_str().unwrap(),
            "--quiet",
            "--out",
            "r.json",
            "--html",
            "run.html",
        ],
    );
    let report = ws.read_json("r.json");
    let tasks = report["summary"]["tasks"].as_array().unwrap();
    let page = ws.path().join("run.html");
    let r = render(&browser, &page, "", &ws.path().join("run.png"));
    assert!(r.console.is_empty(), "the console: {:?}", r.console);
    assert_eq!(task_rows(&r.dom), tasks.len());
    assert!(
        r.dom
            .contains(&format!("{0} of {0} tasks shown", tasks.len())),
        "the script ran"
    );
    assert!(
        !r.dom.contains("id=\"filters\" class=\"filters\" hidden"),
        "the filters show"
    );
    // With JavaScript off the page still reads: every task, every detail, no empty filters. (The
    // page without its one script, rendered: headless Chromium dumps no DOM with scripts off.)
    let html = std::fs::read_to_string(&page).unwrap();
    let script = regex::Regex::new(r"(?s)<script\b.*?</script>").unwrap();
    assert_eq!(script.find_iter(&html).count(), 1);
    ws.write("plain.html", &script.replace_all(&html, ""));
    let dom = render(
        &browser,
        &ws.path().join("plain.html"),
        "",
        &ws.path().join("plain.png"),
    )
    .dom;
    assert_eq!(task_rows(&dom), tasks.len());
    assert_eq!(dom.matches("<details id=\"t").count(), tasks.len());
    assert!(
        dom.contains("id=\"filters\" class=\"filters\" hidden"),
        "the filters stay hidden without the script that runs them"
    );
    assert!(!dom.contains("tasks shown"), "the script did not run");
    // The filter from the URL: only the tasks with a wrong_tool trial stay.
    let wrong = tasks
        .iter()
        .filter(|t| t["outcomes"].get("wrong_tool").is_some())
        .count();
    assert!(wrong > 0);
    let r = render(
        &browser,
        &page,
        "#outcome=wrong_tool",
        &ws.path().join("filtered.png"),
    );
    assert!(r.console.is_empty(), "the console: {:?}", r.console);
    assert!(
        r.dom
            .contains(&format!("{wrong} of {} tasks shown", tasks.len())),
        "{}",
        &r.dom[..2000]
    );
    let hidden_rows = task_row_tags(&r.dom)
        .iter()
        .filter(|t| t.contains(" hidden"))
        .count();
    assert_eq!(hidden_rows, tasks.len() - wrong);

    // Sorting: the page with a probe that clicks the precision header twice (the probe needs the
    // page's script policy left out, which admits only the page's own script).
    let html = std::fs::read_to_string(&page).unwrap();
    let policy = regex::Regex::new(r#"<meta http-equiv="Content-Security-Policy"[^>]*>"#).unwrap();
    let probe = r#"<script>
var t=document.querySelectorAll('table.sortable')[0],th=t.querySelectorAll('th')[4];
function col(){return [].map.call(t.tBodies[0].rows,function(r){return r.cells[4].textContent}).join(',')}
th.click();var up=col();th.click();document.body.setAttribute('data-up',up);document.body.setAttribute('data-down',col());
</script></body>"#;
    let probed = ws.path().join("probed.html");
    std::fs::write(&probed, policy.replace(&html, "").replace("</body>", probe)).unwrap();
    let r = render(&browser, &probed, "", &ws.path().join("probed.png"));
    assert!(r.console.is_empty(), "the console: {:?}", r.console);
    let attr = |name: &str| {
        let re = regex::Regex::new(&format!(r#"{name}="([^"]*)""#)).unwrap();
        re.captures(&r.dom)
            .map(|c| c[1].to_owned())
            .unwrap_or_default()
    };
    let read = |s: String| -> Vec<Option<f64>> {
        s.split(',')
            .map(|x| x.trim_end_matches('%').parse::<f64>().ok())
            .collect()
    };
    let (up, down) = (read(attr("data-up")), read(attr("data-down")));
    assert_eq!(up.len(), report["tools"]["tools"].as_array().unwrap().len());
    let numbers = |v: &[Option<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
    let (nu, nd) = (numbers(&up), numbers(&down));
    assert!(nu.windows(2).all(|w| w[0] <= w[1]), "ascending: {up:?}");
    assert!(nd.windows(2).all(|w| w[0] >= w[1]), "descending: {down:?}");
    // Cells without a number (n/a) come last both ways.
    for v in [&up, &down] {
        let first_blank = v.iter().position(Option::is_none).unwrap_or(v.len());
        assert!(
            v[first_blank..].iter().all(Option::is_none),
            "n/a last: {v:?}"
        );
    }
}

#[test]
fn the_agent_run_diff_sweep_and_improve_pages_render() {
    let Some(browser) = chromium() else { return };
    let ws = Workspace::new();
    let demo = repo().join("evals/demo.yaml");
    let demo = demo.to_str().unwrap();
    let agent = repo().join("evals/agent-demo.yaml");
    run(
        &ws,
        &[
            "run",
            agent.to_str().unwrap(),
            "--quiet",
            "--out",
            "agent.json",
            "--html",
            "agent.html",
        ],
    );
    run(&ws, &["run", demo, "--quiet", "--out", "base.json"]);
    let owner = repo().join("evals/descriptions/owner.yaml");
    run(
        &ws,
        &[
            "run",
            demo,
            "--quiet",
            "--out",
            "owner.json",
            "--descriptions",
            owner.to_str().unwrap(),
        ],
    );
    run(
        &ws,
        &["diff", "base.json", "owner.json", "--html", "diff.html"],
    );
    // A deletion with nothing in its place, between two words that must stay apart.
    ws.write(
        "cut.yaml",
        "tools:\n  search_logs:\n    description: Search historical application logs for one service over a time window.\n",
    );
    run(
        &ws,
        &[
            "run",
            demo,
            "--quiet",
            "--out",
            "cut.json",
            "--descriptions",
            "cut.yaml",
        ],
    );
    run(
        &ws,
        &["diff", "base.json", "cut.json", "--html", "cut.html"],
    );
    // Gated against the owner descriptions' run, one task regresses: the page says so first.
    run(
        &ws,
        &[
            "run",
            demo,
            "--quiet",
            "--out",
            "gated.json",
            "--baseline",
            "owner.json",
            "--fail-on",
            "regression",
            "--html",
            "gated.html",
        ],
    );
    run(
        &ws,
        &[
            "sweep",
            demo,
            "--quiet",
            "--sizes",
            "15,30",
            "--out",
            "sweep.json",
            "--html",
            "sweep.html",
        ],
    );

    let agent_tasks = ws.read_json("agent.json")["summary"]["tasks"]
        .as_array()
        .unwrap()
        .len();
    // Each page rendered headless, with a screenshot beside it.
    let open = |name: &str| {
        render(
            &browser,
            &ws.path().join(format!("{name}.html")),
            "",
            &ws.path().join(format!("{name}.png")),
        )
    };
    let r = open("agent");
    assert!(r.console.is_empty(), "{:?}", r.console);
    assert_eq!(task_rows(&r.dom), agent_tasks);
    assert!(
        r.dom.contains("conversation: 2 turn(s), 1 call(s)"),
        "the turns are there"
    );

    let r = open("diff");
    assert!(r.console.is_empty(), "{:?}", r.console);
    assert!(r.dom.contains("<del>"), "the word diff");
    // Words next to a marked run keep their space: no "Shop</del>service".
    let joined = regex::Regex::new(r"\w<(del|ins)>|</(del|ins)>\w").unwrap();
    let cut = open("cut");
    assert!(
        cut.dom.contains("one <del>Larkspur Shop</del> service"),
        "the deletion"
    );
    let gated = open("gated");
    assert!(gated.console.is_empty(), "{:?}", gated.console);
    let gate = gated.dom.find("id=\"gate\"").expect("the gate");
    assert!(gate < gated.dom.find("id=\"accuracy\"").unwrap());
    assert!(gated.dom.contains(">failed</p>") && gated.dom.contains("regressed (1)"));
    for dom in [&r.dom, &cut.dom] {
        assert!(
            !joined.is_match(dom),
            "{:?}",
            joined.find(dom).map(|m| m.as_str())
        );
    }
    assert!(r.dom.contains("fixed (1)"), "the fixed task");
    assert!(
        r.dom.contains("tooleval diff: base.json vs owner.json"),
        "the sides by their files"
    );
    assert!(r.dom.contains("services-notifications-owner-version"));

    let r = open("sweep");
    assert!(r.console.is_empty(), "{:?}", r.console);
    assert!(r.dom.contains("<svg"), "the chart");
    let points = ws.read_json("sweep.json")["points"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        r.dom
            .matches("<tr><td>random</td><td class=\"num\">")
            .count(),
        points
    );

    // An improve loop on the demo: a scripted writer, the baseline measuring.
    let rt = runtime();
    let proposal = "tools:\n  get_service_status:\n    description: Look up who owns a service and which version it is running. Static facts only: for whether it is up, use get_service_health.\n";
    let writer = rt
        .block_on(ScriptedServer::start(
            Script::default().rule("Tools to rewrite", Scripted::Text(proposal.into())),
        ))
        .unwrap();
    let suite = repo().join("suites/observability.yaml");
    ws.write(
        "improve.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\nmodel: baseline\nwriter_model: {{ name: w, base_url: \"{}\", api_key: k }}\n",
            suite.display(),
            writer.url
        ),
    );
    run(
        &ws,
        &[
            "improve",
            "improve.yaml",
            "--max-tools",
            "15",
            "--report",
            "out/improve.json",
            "--html",
            "improve.html",
        ],
    );
    let r = render(
        &browser,
        &ws.path().join("improve.html"),
        "",
        &ws.path().join("improve.png"),
    );
    assert!(r.console.is_empty(), "{:?}", r.console);
    let decision = ws.read_json("out/improve.json")["rounds"][0]["decision"]
        .as_str()
        .unwrap()
        .replace('_', " ");
    assert!(
        r.dom.contains("Round 1: <span class=") && r.dom.contains(&format!(">{decision}</span>")),
        "the round"
    );
    // The same page again from the saved report.
    run(&ws, &["report", "out/improve.json", "--html", "again.html"]);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("again.html")).unwrap(),
        std::fs::read_to_string(ws.path().join("improve.html")).unwrap()
    );
}

/// A matrix of the demo under two models (the offline baseline and a scripted Anthropic model
/// that answers every task with one tool): the page shows both, the pairs, and every task, those
/// where the models disagree first, sortable by its headers.
#[test]
fn the_matrix_page_renders_every_task_for_every_model() {
    let Some(browser) = chromium() else { return };
    let ws = Workspace::new();
    let rt = runtime();
    let claude = rt
        .block_on(ScriptedServer::start(Script::default().call(
            "",
            "search_logs",
            json!({"service": "checkout"}),
        )))
        .unwrap();
    let suite = repo().join("suites/observability.yaml");
    ws.write(
        "matrix.yaml",
        &format!(
            "servers:\n  shop: {{ command: tooleval, args: [demo-server] }}\nsuites: [\"{}\"]\nmodels:\n  - baseline\n  - {{ name: claude-sonnet-4-5, provider: anthropic, base_url: \"{}\", api_key: k }}\n",
            suite.display(),
            claude.base()
        ),
    );
    run(
        &ws,
        &[
            "run",
            "matrix.yaml",
            "--quiet",
            "--out",
            "m.json",
            "--html",
            "m.html",
        ],
    );
    let r = render(
        &browser,
        &ws.path().join("m.html"),
        "",
        &ws.path().join("m.png"),
    );
    assert!(r.console.is_empty(), "{:?}", r.console);
    let m = ws.read_json("m-matrix.json");
    let tasks = m["tasks"].as_array().unwrap();
    let disagree = tasks.iter().filter(|t| t["disagree"] == true).count();
    assert!(disagree > 0 && disagree < tasks.len(), "{disagree}");
    assert_eq!(task_rows(&r.dom), tasks.len());
    assert_eq!(
        task_row_tags(&r.dom)
            .iter()
            .filter(|t| t.contains("class=\"disagree\""))
            .count(),
        disagree
    );
    for label in ["baseline", "claude-sonnet-4-5"] {
        assert!(r.dom.contains(&format!("<th>{label}</th>")), "{label}");
    }
    assert!(r.dom.contains("claude-sonnet-4-5</code> vs <code>baseline"));
}

/// Tool descriptions and model replies that try to close the page's elements and run a script
/// are shown as text: the script does not run, the page keeps its structure.
#[test]
fn a_hostile_report_renders_as_text() {
    let Some(browser) = chromium() else { return };
    let hostile = "</details></pre></td></tr></table><script>document.title='pwned';console.log('pwned')</script><img src=x onerror=\"console.log('img')\"> \"quoted\"";
    let tools = json!([{
        "name": "lookup",
        "description": format!("Look a thing up. {hostile}"),
        "inputSchema": { "type": "object", "properties": { "q": { "type": "string", "description": hostile } } }
    }]);
    let ws = Workspace::new();
    ws.write("tools.json", &tools.to_string());
    let rt = runtime();
    let server = rt
        .block_on(ScriptedServer::start(
            Script::default().rule("", Scripted::Text(hostile.into())),
        ))
        .unwrap();
    ws.write(
        "suite.yaml",
        &format!(
            "tasks:\n  - id: look\n    prompt: {}\n    expect: {{ tool: lookup }}\n",
            Value::from(hostile)
        ),
    );
    ws.write(
        "eval.yaml",
        &format!(
            "servers:\n  s: {{ command: tooleval, args: [demo-server, --tools, tools.json] }}\nmodel: {{ name: m, base_url: \"{}\", api_key: k }}\nsuites: [suite.yaml]\n",
            server.url
        ),
    );
    run(
        &ws,
        &[
            "run",
            "eval.yaml",
            "--quiet",
            "--out",
            "r.json",
            "--html",
            "hostile.html",
        ],
    );
    let r = render(
        &browser,
        &ws.path().join("hostile.html"),
        "",
        &ws.path().join("hostile.png"),
    );
    assert!(
        r.console.is_empty(),
        "a script from the report ran: {:?}",
        r.console
    );
    assert!(
        r.dom.contains("<title>tooleval run: eval.yaml</title>"),
        "the title is the page's"
    );
    assert!(
        r.dom.contains("&lt;script&gt;document.title='pwned'"),
        "shown as text"
    );
    assert!(!r.dom.contains("<img"), "no element from the report");
    assert_eq!(task_rows(&r.dom), 1);
    assert!(
        r.dom.contains("<h2 id=\"lint\">"),
        "the page goes on after the hostile texts"
    );
}
