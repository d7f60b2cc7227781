//! Snapshots of every renderer on one fixed report: the committed demo baseline, and a head run
//! derived from it for the diff and the variants.

use crate::score::Rate;

use super::fixtures::{baseline, head, instructed, resummarize};
use super::*;

fn diff() -> ReportDiff {
    diff_reports(&instructed(baseline()), &head(), DiffOptions::default()).expect("same suites")
}

fn point(line: &str, size: usize, tokens: usize, passes: usize, failing: &[&str]) -> SweepPoint {
    SweepPoint {
        line: line.into(),
        strategy: line.split('+').next().unwrap_or(line).into(),
        retrieve: None,
        size,
        asked: Vec::new(),
        tools: vec![],
        tool_tokens: tokens,
        deferred: false,
        search_hit_rate: None,
        selection: Some(Rate::new(passes + 1, 10)),
        full_call: Some(Rate::new(passes, 10)),
        prompt_tokens: Some(tokens as f64 + 120.4),
        latency_ms: 3.6 * size as f64,
        errors: 0,
        failing: failing.iter().map(|s| (*s).to_owned()).collect(),
        trials: vec![],
    }
}

/// Two lines over three sizes, each losing tasks as distractors are added.
fn sweep() -> SweepReport {
    let r = baseline();
    SweepReport {
        schema_version: SWEEP_SCHEMA_VERSION,
        kind: "sweep".into(),
        tooleval: r.tooleval,
        started_at: r.started_at,
        finished_at: r.finished_at,
        complete: true,
        eval: r.eval,
        model: r.model,
        host: None,
        seed: 7,
        needed: vec!["search_logs".into(), "get_metric".into()],
        distractors: 40,
        encoding: "o200k_base".into(),
        points: vec![
            point("random", 2, 510, 9, &["t3"]),
            point("random", 8, 1980, 7, &["t3", "t5", "t8"]),
            point("random", 32, 7940, 5, &["t1", "t3", "t5", "t8", "t9"]),
            point("similar", 2, 510, 9, &["t3"]),
            point("similar", 8, 2110, 5, &["t1", "t3", "t5", "t8", "t9"]),
            point(
                "similar",
                32,
                8020,
                3,
                &["t1", "t2", "t3", "t5", "t6", "t8", "t9"],
            ),
        ],
        breaks: vec![
            TaskBreak {
                line: "random".into(),
                task: "t5".into(),
                size: 8,
            },
            TaskBreak {
                line: "similar".into(),
                task: "t1".into(),
                size: 8,
            },
        ],
    }
}

/// One filter table for every snapshot: times, temporary paths, ports and versions.
#[path = "../../tests/cli/filters.rs"]
mod filters;

/// Snapshots named as they are, through the shared filter table.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    for (pattern, replacement) in filters::snapshot_filters() {
        s.add_filter(&pattern, replacement);
    }
    s
}

const WIDTH: u16 = 100;

#[test]
fn run_table() {
    settings().bind(|| insta::assert_snapshot!(render_table(&baseline(), WIDTH, TaskRows::All)));
}

#[test]
fn tools_table() {
    settings().bind(|| insta::assert_snapshot!(render_tools_table(&baseline().tools, WIDTH)));
}

#[test]
fn findings() {
    let tools = baseline().tools;
    let findings = crate::lint::lint(&tools, &Default::default(), None);
    settings().bind(|| {
        insta::assert_snapshot!("findings", render_findings(&findings, &tools, WIDTH, false));
        insta::assert_snapshot!(
            "findings_all",
            render_findings(&findings, &tools, WIDTH, true)
        );
    });
}

#[test]
fn diff_table() {
    settings().bind(|| insta::assert_snapshot!(render_diff_table(&diff(), WIDTH, false)));
}

/// The gate as `--fail-on regression` decides on the head run: `traces-by-id` regressed.
fn failed_gate() -> Verdict {
    Verdict {
        checked: true,
        failures: vec![GateFailure {
            message: "1 task(s) regressed: traces-by-id".into(),
            kind: "regressed",
            tasks: vec!["traces-by-id".into()],
        }],
        baseline: Some("origin/main:reports/baseline-demo.json".into()),
    }
}

fn passed_gate() -> Verdict {
    Verdict {
        checked: true,
        failures: vec![],
        baseline: None,
    }
}

#[test]
fn diff_markdown() {
    settings().bind(|| insta::assert_snapshot!(render_diff_markdown(&diff(), &failed_gate())));
}

#[test]
fn summary_markdown() {
    settings()
        .bind(|| insta::assert_snapshot!(render_step_summary(&baseline(), None, &passed_gate())));
}

#[test]
fn step_summary_leads_with_the_regression() {
    let md = render_step_summary(&head(), Some(&diff()), &failed_gate());
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {md}"))
    };
    assert!(md.starts_with("## tooleval: gate failed\n"), "{md}");
    assert!(
        md.contains("`origin/main:reports/baseline-demo.json`"),
        "{md}"
    );
    // Regressed, then fixed, then the tools, then the old failures, collapsed.
    assert!(at("### Regressed (1)") < at("### Fixed (1)"), "{md}");
    assert!(at("### Fixed (1)") < at("### Tool changes"), "{md}");
    assert!(at("### Tool changes") < at("<details>"), "{md}");
    assert!(at("`traces-by-id`") < at("<details>"), "{md}");
    // A failing task is listed once.
    assert_eq!(
        md.matches("`logs-shipping-connection-reset`").count(),
        1,
        "{md}"
    );
    // No nested parentheses around the model's note.
    assert!(!md.contains("((") && !md.contains("))"), "{md}");
    settings().bind(|| insta::assert_snapshot!(md));
}

#[test]
fn variants_table() {
    let reports = [baseline(), head()];
    settings().bind(|| insta::assert_snapshot!(render_variants(&reports, WIDTH, 0.05)));
}

#[test]
fn sweep_table() {
    settings().bind(|| insta::assert_snapshot!(render_sweep_table(&sweep(), WIDTH)));
}

#[test]
fn sweep_svg() {
    settings().bind(|| insta::assert_snapshot!(render_sweep_svg(&sweep())));
}

#[test]
fn junit() {
    settings().bind(|| insta::assert_snapshot!(render_junit(&baseline())));
}

#[test]
fn github_annotations() {
    // The suite files are read relative to the crate root, where `cargo test` runs.
    let text = render_annotations(&head(), Some(&diff()), &failed_gate());
    let lines: Vec<&str> = text.lines().collect();
    // What the gate failed on comes first, as the only error, named as a regression.
    assert!(
        lines[0].starts_with("::error file=suites/observability.yaml,line=")
            && lines[0].contains("title=tooleval%3A regressed%3A traces-by-id::"),
        "{text}"
    );
    assert_eq!(text.matches("::error").count(), 1, "{text}");
    // Old failures are notices, at most ten, the last saying how many more there are.
    let notices = lines.iter().filter(|l| l.starts_with("::notice")).count();
    assert_eq!(notices, 10, "{text}");
    assert!(
        lines[10].contains("more failing task(s) are not annotated"),
        "{text}"
    );
    settings().bind(|| insta::assert_snapshot!(text));
}

#[test]
fn github_annotations_of_a_passing_run_hold_no_error() {
    let text = render_annotations(&baseline(), None, &passed_gate());
    assert!(
        !text.contains("::error") && !text.contains("::warning"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 10, "{text}");
    assert!(text.lines().all(|l| l.starts_with("::notice ")), "{text}");
}

#[test]
fn summary_json() {
    let base = baseline();
    let d = diff();
    settings().bind(|| {
        insta::assert_json_snapshot!("summary_json", super::summary_json(&base, None, None));
        insta::assert_json_snapshot!(
            "summary_json_diff",
            super::summary_json(&base, Some(&d), Some(&failed_gate()))
        );
    });
}

#[test]
fn a_shard_says_which_part_of_the_run_it_holds() {
    let mut r = baseline();
    assert_eq!(text::scope(&r), "40 tasks × 1 trial(s)");
    let mut one = r.clone();
    one.suites[0].tasks.truncate(1);
    assert_eq!(text::scope(&one), "1 task × 1 trial(s)");
    r.shard = Some(ShardInfo { index: 1, count: 3 });
    assert_eq!(text::scope(&r), "shard 1/3: 14 of 40 tasks × 1 trial(s)");
    r.shard = Some(ShardInfo { index: 3, count: 3 });
    assert_eq!(text::scope(&r), "shard 3/3: 13 of 40 tasks × 1 trial(s)");
    r.eval.trials = 5;
    r.shard = Some(ShardInfo { index: 2, count: 3 });
    assert_eq!(
        text::scope(&r),
        "shard 2/3: 67 of 200 trials (40 tasks × 5)"
    );
    assert!(render_table(&r, WIDTH, TaskRows::Failing).contains("shard 2/3: 67 of 200 trials"));
}

#[test]
fn run_table_fits_80_and_120_columns() {
    for width in [80u16, 120] {
        let text = render_table(&baseline(), width, TaskRows::Failing);
        for line in text.lines() {
            assert!(
                console::measure_text_width(line) <= usize::from(width),
                "{width} columns: {line}"
            );
        }
        // Every failing task is listed by its whole id, on a line of its own.
        for t in baseline().summary.tasks.iter().filter(|t| t.passes == 0) {
            assert!(
                text.lines()
                    .any(|l| l.trim_start().starts_with(&format!("{} ", t.id))),
                "{}",
                t.id
            );
        }
        settings().bind(|| insta::assert_snapshot!(format!("run_table_{width}"), text));
    }
}

/// Every terminal renderer keeps within 80 and 120 columns, a word never split: the tables of a
/// run (every task), lint, the tools and a diff, snapshotted at both widths.
#[test]
fn every_table_fits_80_and_120_columns() {
    let tools = baseline().tools;
    let findings = crate::lint::lint(&tools, &Default::default(), None);
    for width in [80u16, 120] {
        let rendered = [
            ("run_all", render_table(&baseline(), width, TaskRows::All)),
            ("lint", render_findings(&findings, &tools, width, true)),
            ("tools", render_tools_table(&tools, width)),
            ("diff", render_diff_table(&diff(), width, false)),
        ];
        for (name, text) in rendered {
            for line in text.lines() {
                assert!(
                    console::measure_text_width(line) <= usize::from(width),
                    "{name} at {width} columns: {line}"
                );
            }
            settings().bind(|| insta::assert_snapshot!(format!("{name}_{width}"), text));
        }
    }
}

#[test]
fn the_full_task_table_never_splits_a_word() {
    let r = baseline();
    let text = render_table(&r, 80, TaskRows::All);
    for t in &r.summary.tasks {
        assert!(text.contains(&t.id), "{} is split:\n{text}", t.id);
    }
    assert!(text.contains("50.0%\u{a0}[35.2,\u{a0}64.8]"), "{text}");
}

/// A few tasks of the baseline, one of each outcome it has, summarized again.
fn small_run() -> Report {
    let keep = [
        "logs-checkout-errors",
        "metrics-payments-p99-chat",
        "metrics-cart-error-rate-day",
        "traces-by-id",
        "alerts-shipping-any",
        "none-thanks",
    ];
    let mut r = baseline();
    for s in &mut r.suites {
        s.tasks.retain(|t| keep.contains(&t.id.as_str()));
    }
    r.trials.retain(|t| keep.contains(&t.task.as_str()));
    resummarize(&mut r);
    // All six are tune tasks.
    r.splits.retain(|name, _| name == "tune");
    if let Some(tune) = r.splits.get_mut("tune") {
        tune.tasks = 6;
        tune.full_call = r.summary.full_call;
        tune.selection = r.summary.selection;
    }
    r
}

/// The small run with one trial made an agent conversation: a call with its result, then an
/// answer.
fn small_agent_run() -> Report {
    use crate::record::{
        AgentRecord, CallHow, CallResult, LoopEnd, ReplyRecord, ToolCallRecord, TurnRecord,
    };
    let mut r = small_run();
    let t = r
        .trials
        .iter_mut()
        .find(|t| t.task == "traces-by-id")
        .expect("the small run has traces-by-id");
    let call = ToolCallRecord {
        name: "get_trace".into(),
        arguments: r#"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#.into(),
        recovered: false,
    };
    t.agent = Some(Box::new(AgentRecord {
        turns: vec![
            TurnRecord {
                reply: ReplyRecord {
                    content: None,
                    tool_calls: vec![call.clone()],
                    finish_reason: Some("tool_calls".into()),
                },
                results: vec![CallResult {
                    tool: "get_trace".into(),
                    arguments: call.arguments.clone(),
                    how: CallHow::Executed,
                    text: r#"{"spans":[{"service":"checkout","ms":812}]}"#.into(),
                    ms: 3,
                    ..CallResult::default()
                }],
                ..TurnRecord::default()
            },
            TurnRecord {
                reply: ReplyRecord {
                    content: Some("The trace spent 812 ms in checkout.".into()),
                    tool_calls: Vec::new(),
                    finish_reason: Some("stop".into()),
                },
                ..TurnRecord::default()
            },
        ],
        answer: Some("The trace spent 812 ms in checkout.".into()),
        end: LoopEnd::Answered,
        ..AgentRecord::default()
    }));
    r
}

/// The small agent run whose trace task is a conversation with a simulated user: the user
/// narrows the question, the model asks once, the user's goal is met.
fn conversation_run() -> Report {
    use crate::record::{
        ArgumentSource, AskedBeforeActing, Dialogue, DialogueEnd, ReplyRecord, TurnRecord, Usage,
    };
    let mut r = small_agent_run();
    r.eval.trials = 1;
    let t = r
        .trials
        .iter_mut()
        .find(|t| t.task == "traces-by-id")
        .expect("the small run has traces-by-id");
    let a = t.agent.as_deref_mut().expect("an agent trial");
    a.turns[1].reply.content = Some("The trace spent 812 ms in checkout. Which span?".into());
    a.turns.push(TurnRecord {
        user: Some("Only the slowest span, please.".into()),
        reply: ReplyRecord {
            content: Some("The slowest span is checkout's, at 812 ms.".into()),
            tool_calls: Vec::new(),
            finish_reason: Some("stop".into()),
        },
        ..TurnRecord::default()
    });
    a.answer = Some("The slowest span is checkout's, at 812 ms.".into());
    a.dialogue = Some(Box::new(Dialogue {
        user_turns: 2,
        user_model: Some("gpt-4o-mini".into()),
        end: DialogueEnd::Done,
        turns_to_goal: Some(2),
        closing: Some("Thanks.".into()),
        questions: 1,
        user_usage: Some(Usage {
            prompt_tokens: 120,
            completion_tokens: 12,
            ..Default::default()
        }),
        asked: Some(AskedBeforeActing {
            passed: true,
            asked: vec![ArgumentSource {
                tool: "get_trace".into(),
                argument: "span".into(),
                value: "slowest".into(),
                turn: 2,
            }],
            invented: Vec::new(),
        }),
        ..Dialogue::default()
    }));
    crate::report::summarize(&mut r);
    r
}

#[test]
fn conversation_run_table_and_html() {
    let r = conversation_run();
    let c = r.summary.conversations.expect("conversation totals");
    assert_eq!((c.tasks, c.user_turns, c.questions), (1, 2, 1));
    for width in [80u16, 120] {
        let text = render_table(&r, width, TaskRows::Failing);
        for line in text.lines() {
            assert!(
                console::measure_text_width(line) <= usize::from(width),
                "{width} columns: {line}"
            );
        }
        assert!(text.contains("simulated users: goal met"), "{text}");
        settings().bind(|| insta::assert_snapshot!(format!("conversation_table_{width}"), text));
    }
    let page = render_run_html(&r);
    for needle in [
        "conversation: 2 user message(s), 3 model turn(s), 1 call(s), ended: the user&#39;s goal was met",
        "<b>user (message 2)</b><pre>Only the slowest span, please.</pre>",
        "<b>user (goal met)</b><pre>Thanks.</pre>",
        "asked before acting: <b>passed</b>",
        "user model: 120 prompt + 12 completion tokens",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
}

#[test]
fn run_html() {
    settings().bind(|| insta::assert_snapshot!(render_run_html(&small_run())));
}

#[test]
fn agent_run_html() {
    let page = render_run_html(&small_agent_run());
    assert!(page.contains("conversation: 2 turn(s), 1 call(s), ended: answered"));
    settings().bind(|| insta::assert_snapshot!(page));
}

#[test]
fn diff_html() {
    let (mut base, mut head) = (instructed(small_run()), head());
    let ids: Vec<String> = base.trials.iter().map(|t| t.task.clone()).collect();
    for s in &mut head.suites {
        s.tasks.retain(|t| ids.contains(&t.id));
    }
    head.trials.retain(|t| ids.contains(&t.task));
    resummarize(&mut head);
    base.variant = Some("original".into());
    let d = diff_reports(&base, &head, DiffOptions::default()).expect("same suites");
    let page = render_diff_html(&d, &base, &head);
    assert!(
        page.contains("<del>historical</del> <ins>past</ins>"),
        "the word diff"
    );
    assert!(
        page.contains("<del>shop:</del> <ins>shop&#39;s services:</ins>"),
        "the instructions' word diff"
    );
    settings().bind(|| insta::assert_snapshot!(page));
}

#[test]
fn sweep_html() {
    settings().bind(|| insta::assert_snapshot!(render_sweep_html(&sweep())));
}

/// Every text from a report is escaped: each field gets a hostile text of its own (a script,
/// closing tags, quotes), and each must come out as text, in place.
#[test]
fn html_pages_escape_everything_from_the_report() {
    let hostile = |field: &str| {
        format!(
            "</details></pre></td><script>alert('{field}')</script><img src=x onerror=alert(1)> \"{field}\" &amp;"
        )
    };
    let shown = |field: &str| {
        format!(
            "&lt;/details&gt;&lt;/pre&gt;&lt;/td&gt;&lt;script&gt;alert(&#39;{field}&#39;)&lt;/script&gt;"
        )
    };
    let mut r = small_agent_run();
    let fields = [
        "description",
        "model",
        "target",
        "reason",
        "reply",
        "answer",
        "result",
        "tag",
        "suite",
        "variant",
        "prompt",
        "arguments",
        "task",
    ];
    r.tools.tools[0].description = hostile("description");
    r.model.name = hostile("model");
    r.servers[0].target = hostile("target");
    r.variant = Some(hostile("variant"));
    let suite = hostile("suite");
    r.suites[0].name = suite.clone();
    let task = std::sync::Arc::make_mut(&mut r.suites[0].tasks[0]);
    let old_id = task.id.clone();
    task.id = hostile("task");
    task.tags = vec![hostile("tag")];
    task.prompt = crate::config::Prompt::Text(hostile("prompt"));
    for t in &mut r.trials {
        t.suite = suite.clone();
        if t.task == old_id {
            t.task = hostile("task");
        }
        t.reason = hostile("reason");
        if let Some(reply) = &mut t.reply {
            reply.content = Some(hostile("reply"));
            for c in &mut reply.tool_calls {
                c.arguments = hostile("arguments");
            }
        }
        if let Some(a) = &mut t.agent {
            a.answer = Some(hostile("answer"));
            a.turns[0].results[0].text = hostile("result");
        }
    }
    let page = render_run_html(&r);
    for f in fields {
        assert!(page.contains(&shown(f)), "the {f} is not shown as text");
    }
    let mut base = small_run();
    base.suites[0].name = suite.clone();
    for t in &mut base.trials {
        t.suite = suite.clone();
    }
    let d = diff_reports(
        &base,
        &r,
        DiffOptions {
            common_tasks: true,
            alpha: 0.05,
        },
    )
    .expect("diffable");
    let mut sweep = sweep();
    sweep.points[0].line = hostile("line");
    sweep.breaks[0].task = hostile("break");
    for page in [
        page,
        render_diff_html(&d, &base, &r),
        render_sweep_html(&sweep),
    ] {
        assert!(!page.contains("<script>alert"), "a script got through");
        assert!(!page.contains("<img"), "an element got through");
        // The page's own structure is intact: every element opened is closed.
        for tag in ["details", "pre", "script", "table", "td"] {
            assert_eq!(
                page.matches(&format!("<{tag}")).count(),
                page.matches(&format!("</{tag}>")).count(),
                "<{tag}> opened and closed"
            );
        }
        assert_eq!(
            page.matches("<script>").count(),
            1,
            "only the page's own script"
        );
    }
    let sweep_page = render_sweep_html(&sweep);
    assert!(sweep_page.contains(&shown("line")) && sweep_page.contains(&shown("break")));
}

/// Markdown through a CommonMark renderer with GitHub's strikethrough, as a job summary is read.
fn rendered_markdown(md: &str) -> String {
    let mut html = String::new();
    let parser = pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

/// The text a reader sees: tags removed, entities read.
fn visible(html: &str) -> String {
    let text = regex::Regex::new(r"<[^>]+>").unwrap().replace_all(html, "");
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Instructions a server gained or lost are added or removed whole, in every format; two
/// reports with none (older reports, servers that give none) diff without an `instructions`
/// list, and such a diff reads back.
#[test]
fn instructions_gained_lost_or_absent() {
    let opts = DiffOptions::default();
    let none = diff_reports(&baseline(), &baseline(), opts).expect("same suites");
    assert!(none.instructions.is_empty());
    let json = serde_json::to_value(&none).unwrap();
    assert!(json.get("instructions").is_none(), "{json}");
    let back: ReportDiff = serde_json::from_value(json).unwrap();
    assert!(back.instructions.is_empty());
    assert!(!render_diff_table(&none, WIDTH, false).contains("instructions"));
    assert!(!render_diff_markdown(&none, &passed_gate()).contains("Server instructions"));
    let gained = diff_reports(&baseline(), &instructed(baseline()), opts).expect("same suites");
    let lost = diff_reports(&instructed(baseline()), &baseline(), opts).expect("same suites");
    assert_eq!(
        (
            gained.instructions[0].old.as_deref(),
            lost.instructions[0].new.as_deref()
        ),
        (None, None)
    );
    let table = render_diff_table(&gained, 120, false);
    assert!(
        table.contains("  + shop (added)\n      {+Observability of the shop:")
            && table.contains("Deployments: `list_deployments`.+}\n"),
        "{table}"
    );
    let table = render_diff_table(&lost, 120, false);
    assert!(
        table.contains("  - shop (removed)\n      [-Observability of the shop:"),
        "{table}"
    );
    let md = render_diff_markdown(&lost, &passed_gate());
    assert!(
        md.contains("- `shop` removed\n  > <del>Observability of the shop:"),
        "{md}"
    );
    let page = render_diff_html(&gained, &baseline(), &instructed(baseline()));
    assert!(
        page.contains("<li><code>shop</code> added<pre><ins>Observability of the shop:"),
        "{page}"
    );
}

#[test]
fn word_diffs_render_in_markdown_and_on_pages_with_their_spaces() {
    let cases = [
        // The words around a run keep their spaces on both sides (seen: `for~~ a single~~ ** one**`).
        (
            "Search logs for a single service.",
            "Search logs for one service.",
            "Search logs for <del>a single</del> <ins>one</ins> service.",
        ),
        // A deletion with nothing inserted (seen on the page: `<del>Larkspur Shop</del>service`).
        (
            "Get the Larkspur Shop service status.",
            "Get the service status.",
            "Get the <del>Larkspur Shop</del> service status.",
        ),
        // Punctuation next to the markers, and text that looks like a tag.
        (
            "Returns (raw) lines of <file>.",
            "Returns lines of <path>, newest first.",
            "Returns <del>(raw)</del> lines of <del>&lt;file&gt;.</del> <ins>&lt;path&gt;, newest first.</ins>",
        ),
    ];
    // The runs as a longer edit came out (`for~~ a single~~ ** one** service` before): the
    // spaces at the start of each run.
    let change = |op: &str, text: &str| super::WordChange {
        op: op.into(),
        text: text.into(),
    };
    let leading = vec![
        change("equal", "for"),
        change("delete", " a single"),
        change("insert", " one"),
        change("equal", " service"),
    ];
    let diffs = cases
        .iter()
        .map(|(old, new, want)| (super::diff::word_diff(old, new), *want))
        .chain([(leading, "for <del>a single</del> <ins>one</ins> service")]);
    let both = regex::Regex::new(r"\w(<del>|<ins>)|(</del>|</ins>)\w").unwrap();
    for (changes, want) in diffs {
        let tools = super::diff::ToolChanges {
            changed: vec![super::diff::ToolChange {
                name: "t".into(),
                description: changes.clone(),
                schema: vec![],
            }],
            ..Default::default()
        };
        let md = super::markdown::diff_tools(&tools);
        let html = rendered_markdown(&md);
        assert!(html.contains(want), "{md}\n{html}");
        // Read as text, the old words and the new stand apart, each with its spaces.
        let text = visible(&html);
        assert!(!both.is_match(&html), "{html}");
        assert!(!text.contains("~~") && !text.contains("**"), "{text}");
        // The page marks the same runs, its text escaped once.
        let page = super::html::word_diff(&changes);
        assert!(page.contains(want), "{page}");
    }
}

#[test]
fn a_call_written_as_text_shows_its_fix_on_the_page_and_in_the_terminal() {
    let mut r = small_run();
    assert!(!render_run_html(&r).contains("wrote a tool call as text"));
    r.trials[0].notes.push(format!(
        "the reply's text holds what looks like a call to `search_logs`; {}",
        crate::record::TEXT_CALL_NOTE
    ));
    let page = render_run_html(&r);
    assert!(
        page.contains("1 trial(s) wrote a tool call as text instead of `tool_calls`"),
        "the hint"
    );
    assert!(page.contains("`recover_text_calls: true` under `model`"));
    let table = render_table(&r, 200, TaskRows::Failing);
    assert!(
        table.contains("hint: 1 trial(s) wrote a tool call as text"),
        "{table}"
    );
}

#[test]
fn host_lines_name_the_host_and_count_many_findings_by_kind() {
    use crate::host::{Effect, HostFinding};
    let finding = |tool: &str, effect| HostFinding {
        tool: Some(tool.into()),
        effect,
        message: format!("cursor leaves out `{tool}`"),
    };
    let mut h = crate::report::HostInfo {
        name: "cursor".into(),
        title: Some("Cursor".into()),
        search_tool: None,
        system_tokens: None,
        first_request_tool_tokens: Some(900),
        findings: vec![finding("a", Effect::Dropped)],
    };
    assert_eq!(
        crate::report::host_lines(&h),
        [
            "host: cursor (Cursor): every tool in every request; the first request carries 900 tokens of tool definitions",
            "note: cursor leaves out `a`"
        ]
    );
    h.findings = ["a", "b", "c", "d"]
        .iter()
        .map(|t| finding(t, Effect::Dropped))
        .chain([finding("e", Effect::Truncated)])
        .collect();
    let lines = crate::report::host_lines(&h);
    assert_eq!(
        lines[1..],
        [
            "note: cursor leaves out 4 tools (`a`, `b`, `c`, and 1 more); the report lists each",
            "note: cursor cuts the names of 1 tool (`e`); the report lists each"
        ]
    );
    h.findings.push(HostFinding {
        tool: None,
        effect: Effect::Refused,
        message: "cursor would refuse every request".into(),
    });
    assert_eq!(
        crate::report::host_lines(&h)[0],
        "host: cursor (Cursor): it would refuse every request"
    );
}
