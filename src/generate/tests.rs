//! The guards one by one, and the holdout's stratification.

use serde_json::json;

use super::ground::Observation;
use super::guard::{self, Bounds, Seen};
use super::writer::{ArgCheck, CallCandidate, Candidate};
use super::{Generated, Job, Kind, mark_holdout};
use crate::config::{Matcher, Split};
use crate::mcp::{ServerTool, ToolSet};

fn tools() -> ToolSet {
    let tool = |name: &str, description: &str, schema: serde_json::Value| ServerTool {
        name: name.into(),
        description: Some(description.into()),
        input_schema: schema,
        annotations: None,
    };
    ToolSet::new(vec![(
        "shop".into(),
        vec![
            tool(
                "search_logs",
                "Search the past log lines of one service by level and text.",
                json!({
                    "type": "object",
                    "properties": {
                        "service": { "type": "string", "enum": ["checkout", "payments"] },
                        "level": { "type": "string", "enum": ["warn", "error"] },
                        "limit": { "type": "integer", "minimum": 1 },
                        "metric_name": { "type": "string" },
                        "follow": { "type": "boolean" },
                        "query": { "type": ["string", "null"] },
                        "count": { "type": ["integer", "null"] }
                    },
                    "required": ["service"]
                }),
            ),
            tool(
                "tail_logs",
                "Follow the newest lines of a service as they arrive.",
                json!({
                    "type": "object",
                    "properties": { "service": { "type": "string" } },
                    "required": ["service"]
                }),
            ),
            tool(
                "echo",
                "Say a text back.",
                json!({ "type": "object", "properties": { "text": { "type": "string" } }, "required": ["text"] }),
            ),
            tool(
                "get_metric",
                "Read one metric of a service.",
                json!({
                    "type": "object",
                    "properties": { "service": { "type": "string" }, "metric": { "type": "string", "enum": ["error_rate", "latency_p99"] } },
                    "required": ["service", "metric"]
                }),
            ),
        ],
    )])
}

fn arg(name: &str, matcher: &str, value: &str) -> ArgCheck {
    ArgCheck {
        name: name.into(),
        matcher: matcher.into(),
        value: value.into(),
    }
}

fn positive(prompt: &str, tool: &str, args: Vec<ArgCheck>) -> Candidate {
    Candidate {
        prompt: prompt.into(),
        tool: tool.into(),
        args,
        ..Candidate::default()
    }
}

fn check_in(
    c: &Candidate,
    job: &Job,
    seen: &[Seen],
    observed: &[Observation],
) -> Result<Generated, String> {
    let tools = tools();
    guard::check(
        c,
        job,
        &Bounds {
            tools: &tools,
            seen,
            observed,
            agent: true,
        },
    )
}

fn check(c: &Candidate) -> Result<Generated, String> {
    let job = Job::Positive {
        tool: c.tool.clone(),
        count: 3,
    };
    check_in(c, &job, &[], &[])
}

#[test]
fn a_good_task_keeps_its_checks() {
    let t = check(&positive(
        "Show the error lines payments wrote in the last hour, at most 20.",
        "search_logs",
        vec![
            arg("service", "equals", "\"payments\""),
            arg("level", "equals", "\"error\""),
            arg("limit", "equals", "20"),
        ],
    ))
    .unwrap();
    let call = t.expect.unwrap();
    assert_eq!(call.tool, "search_logs");
    assert_eq!(call.args["service"], Matcher::Exact(json!("payments")));
    assert_eq!(call.args["limit"], Matcher::Exact(json!(20)));
    assert_eq!(t.kind, Kind::Positive);
}

#[test]
fn a_prompt_of_fewer_than_three_words_is_no_request() {
    let c = |prompt: &str| positive(prompt, "tail_logs", vec![arg("service", "present", "")]);
    let e = check(&c("Checkout logs")).unwrap_err();
    assert!(e.contains("too short to be a request"), "{e}");
    assert!(check(&c("Follow checkout live")).is_ok());
}

#[test]
fn a_prompt_hiding_characters_is_rejected() {
    let e = check(&positive(
        "Follow checkout live\u{200B} and tell me.",
        "tail_logs",
        vec![arg("service", "present", "")],
    ))
    .unwrap_err();
    assert!(
        e.contains("characters a reviewer cannot see (Follow checkout live<U+200B>"),
        "{e}"
    );
}

#[test]
fn an_exact_value_must_be_stated_and_underscores_read_as_spaces() {
    let metric = |prompt: &str| {
        check(&positive(
            prompt,
            "get_metric",
            vec![
                arg("service", "equals", "\"checkout\""),
                arg("metric", "equals", "\"error_rate\""),
            ],
        ))
    };
    assert!(metric("What is the error rate of checkout now?").is_ok());
    let e = metric("How often does checkout fail now?").unwrap_err();
    assert!(
        e.contains("to equal \"error_rate\", which the prompt does not state"),
        "{e}"
    );
    // A number must be written too; a boolean need not be.
    let e = check(&positive(
        "Show payments' error lines, a few of them.",
        "search_logs",
        vec![
            arg("service", "equals", "\"payments\""),
            arg("limit", "equals", "5"),
        ],
    ))
    .unwrap_err();
    assert!(e.contains("to equal 5"), "{e}");
}

#[test]
fn contains_takes_text_parameters_and_a_boolean_need_not_be_stated() {
    let t = check(&positive(
        "Show the checkout lines about timeouts.",
        "search_logs",
        vec![
            arg("service", "equals", "\"checkout\""),
            arg("metric_name", "contains", "timeout"),
            arg("query", "contains", "timeout"),
            arg("follow", "equals", "false"),
        ],
    ))
    .unwrap();
    let call = t.expect.unwrap();
    assert_eq!(call.args["query"], Matcher::Contains("timeout".into()));
    assert_eq!(call.args["follow"], Matcher::Exact(json!(false)));
}

#[test]
fn each_schema_rule_rejects_with_its_reason() {
    let one = |args: Vec<ArgCheck>| {
        check(&positive(
            "Show the checkout lines with the word 7 in them.",
            "search_logs",
            args,
        ))
        .unwrap_err()
    };
    let service = || arg("service", "equals", "\"checkout\"");
    let cases = [
        (
            vec![service(), arg("colour", "present", "")],
            "`colour` is not a parameter of `search_logs`",
        ),
        (
            vec![service(), arg("limit", "contains", "7")],
            "`limit` of `search_logs` takes no text",
        ),
        (
            vec![service(), arg("count", "contains", "7")],
            "`count` of `search_logs` takes no text",
        ),
        (
            vec![service(), arg("level", "one_of", "[\"warn\", \"loud\"]")],
            "\"loud\" for `level`",
        ),
        (
            vec![service(), arg("level", "one_of", "warn")],
            "is not a JSON list",
        ),
        (
            vec![service(), arg("level", "one_of", "[]")],
            "`one_of` for `level` is empty",
        ),
        (
            vec![service(), arg("limit", "equals", "\"7\"")],
            "does not fit the tool's schema",
        ),
        (
            vec![service(), arg("limit", "equals", "0")],
            "0 is less than the minimum of 1",
        ),
        (
            vec![service(), arg("level", "about", "x")],
            "its check of `level` is `about`",
        ),
        (vec![service(), service()], "it checks `service` twice"),
        (
            vec![arg("level", "present", "")],
            "required parameter(s) `service`",
        ),
    ];
    for (args, reason) in cases {
        let e = one(args);
        assert!(e.contains(reason), "`{reason}` not in: {e}");
    }
    let e = check(&positive(
        "Show the checkout lines now please.",
        "no_such",
        vec![],
    ))
    .unwrap_err();
    assert!(
        e.contains("a tool `no_such` the server does not have"),
        "{e}"
    );
}

#[test]
fn a_prompt_names_no_tool_in_any_spelling_and_copies_no_description() {
    for prompt in [
        "Run search_logs on checkout now.",
        "Use search-logs on checkout now.",
        "Use searchlogs on checkout now.",
        "Call the TAIL_LOGS thing for checkout.",
    ] {
        let e = check(&positive(
            prompt,
            "search_logs",
            vec![arg("service", "present", "")],
        ))
        .unwrap_err();
        assert!(e.contains("the prompt names the tool"), "{prompt}: {e}");
    }
    // A name of one word is a word a user may write.
    assert!(
        check(&positive(
            "Please echo hello world back to me.",
            "echo",
            vec![arg("text", "contains", "hello")],
        ))
        .is_ok()
    );
    let e = check(&positive(
        "Please search the past log lines of one service, checkout.",
        "search_logs",
        vec![arg("service", "equals", "\"checkout\"")],
    ))
    .unwrap_err();
    assert!(
        e.contains(
            "copies the wording of `search_logs`'s description (\"search the past log lines\")"
        ),
        "{e}"
    );
    // Words of the description, not in a row, are a user's words.
    assert!(
        check(&positive(
            "Which error lines did checkout log in the past hour?",
            "search_logs",
            vec![arg("service", "equals", "\"checkout\"")],
        ))
        .is_ok()
    );
}

#[test]
fn duplicates_are_dropped_at_the_threshold_with_the_similarity_shown() {
    let c = positive(
        "Show the error lines checkout wrote this morning.",
        "search_logs",
        vec![arg("service", "equals", "\"checkout\"")],
    );
    let job = Job::Positive {
        tool: "search_logs".into(),
        count: 3,
    };
    // 4 words of 5 shared (80%; stop words and plurals aside): a duplicate.
    let seen = [Seen::new("Show me the error line checkout wrote.")];
    let e = check_in(&c, &job, &seen, &[]).unwrap_err();
    assert!(
        e.contains("too alike to \"Show me the error line checkout wrote.\" (80%"),
        "{e}"
    );
    // 4 of 6 (67%): another task.
    let seen = [Seen::new(
        "Show the error lines checkout wrote this evening.",
    )];
    assert!(check_in(&c, &job, &seen, &[]).is_ok());
    // 3 of 8: another task.
    let seen = [Seen::new(
        "Which error lines did payments log in the past hour?",
    )];
    assert!(check_in(&c, &job, &seen, &[]).is_ok());
    let a: std::collections::HashSet<String> = ["a", "b", "c", "d"].map(String::from).into();
    let b: std::collections::HashSet<String> = ["a", "b", "c", "e"].map(String::from).into();
    assert!((guard::similarity(&a, &b) - 0.6).abs() < 1e-9);
}

#[test]
fn near_misses_and_negatives_hold_to_their_job() {
    let pair = Job::NearMiss {
        a: "search_logs".into(),
        b: "tail_logs".into(),
        why: "alike".into(),
    };
    let c = positive("Read checkout's newest lines live.", "get_metric", vec![]);
    let e = check_in(&c, &pair, &[], &[]).unwrap_err();
    assert!(
        e.contains("must each need `search_logs` or `tail_logs`"),
        "{e}"
    );
    let c = positive(
        "Read checkout's newest lines live.",
        "tail_logs",
        vec![arg("service", "equals", "\"checkout\"")],
    );
    let t = check_in(&c, &pair, &[], &[]).unwrap();
    assert_eq!(t.pair, Some(("search_logs".into(), "tail_logs".into())));

    let negatives = Job::Negatives {
        out_of_domain: 1,
        missing: 1,
    };
    let neg = |kind: &str, tool: &str, missing: &str| Candidate {
        prompt: "Read me the numbers for it please.".into(),
        kind: kind.into(),
        tool: tool.into(),
        missing: missing.into(),
        ..Candidate::default()
    };
    let t = check_in(
        &neg("missing_argument", "get_metric", "metric"),
        &negatives,
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(
        (t.kind, t.asks, t.expect.is_none()),
        (Kind::MissingArgument, true, true)
    );
    let e = check_in(
        &neg("missing_argument", "get_metric", "window"),
        &negatives,
        &[],
        &[],
    )
    .unwrap_err();
    assert!(
        e.contains("`window` is not a required parameter of `get_metric`"),
        "{e}"
    );
    let e = check_in(&neg("sideways", "", ""), &negatives, &[], &[]).unwrap_err();
    assert!(e.contains("its kind is `sideways`"), "{e}");
    assert_eq!(
        check_in(&neg("out_of_domain", "", ""), &negatives, &[], &[])
            .unwrap()
            .kind,
        Kind::OutOfDomain
    );
}

#[test]
fn a_multi_step_answer_comes_from_what_its_calls_returned() {
    let observed = [
        Observation {
            tool: "search_logs".into(),
            arguments: "{}".into(),
            result: "payments v2.14.0 rejects card_token_v2".into(),
        },
        Observation {
            tool: "get_metric".into(),
            arguments: "{}".into(),
            result: "error_rate 0.087".into(),
        },
    ];
    let job = Job::Grounded { count: 2 };
    let multi = |prompt: &str, tools: &[&str], answer: &[&str]| Candidate {
        prompt: prompt.into(),
        calls: tools
            .iter()
            .map(|t| CallCandidate {
                tool: (*t).into(),
                args: vec![arg("service", "equals", "\"payments\"")],
            })
            .collect(),
        answer: answer.iter().map(|a| (*a).to_owned()).collect(),
        ..Candidate::default()
    };
    let ok = multi(
        "What broke payments, and which version did it?",
        &["tail_logs", "search_logs"],
        &["v2.14.0"],
    );
    let t = check_in(&ok, &job, &[], &observed).unwrap();
    assert_eq!(t.trajectory.len(), 2);
    assert_eq!(t.answer, ["v2.14.0"]);
    let cases = [
        (
            multi(
                "What broke payments, and when?",
                &["tail_logs", "search_logs"],
                &["v9"],
            ),
            "is in no result the server returned",
        ),
        (
            multi(
                "What broke payments, and when?",
                &["tail_logs", "search_logs"],
                &["0.087"],
            ),
            "was returned by `get_metric`, which its calls do not include",
        ),
        (
            multi(
                "Did payments v2.14.0 break anything?",
                &["tail_logs", "search_logs"],
                &["v2.14.0"],
            ),
            "already in the prompt",
        ),
        (
            multi(
                "What broke payments, and when?",
                &["search_logs"],
                &["v2.14.0"],
            ),
            "needs at least 2",
        ),
        (
            multi(
                "What broke payments, and when?",
                &["tail_logs", "search_logs"],
                &[" "],
            ),
            "gives no answer",
        ),
    ];
    for (c, reason) in cases {
        let e = check_in(&c, &job, &[], &observed).unwrap_err();
        assert!(e.contains(reason), "`{reason}` not in: {e}");
    }
    // A value an earlier result gave may be checked exactly though the prompt does not state it.
    let mut c = multi(
        "What broke the payment service, and which version?",
        &["tail_logs", "search_logs"],
        &["v2.14.0"],
    );
    c.calls[0].args = vec![arg("service", "equals", "\"payments\"")];
    assert!(check_in(&c, &job, &[], &observed).is_ok());
    c.calls[0].args = vec![arg("service", "equals", "\"cart\"")];
    let e = check_in(&c, &job, &[], &observed).unwrap_err();
    assert!(
        e.contains("neither the prompt states nor the server returned"),
        "{e}"
    );
}

fn generated(tool: Option<&str>, retried: bool) -> Generated {
    let mut g = Generated::new("p", Kind::Positive);
    g.tool = tool.map(String::from);
    g.retried = retried;
    g
}

#[test]
fn the_holdout_takes_each_tools_share_and_never_a_retried_task() {
    // 4 of a, 4 of b, 2 with no tool: a quarter is 2.5 -> 3 held out; each tool's 1 first,
    // then the largest remainder.
    let mut tasks: Vec<Generated> = (0..4)
        .map(|_| generated(Some("a"), false))
        .chain((0..4).map(|_| generated(Some("b"), false)))
        .chain((0..2).map(|_| generated(None, false)))
        .collect();
    mark_holdout(&mut tasks, 0.25);
    let held = |tasks: &[Generated], tool: Option<&str>| {
        tasks
            .iter()
            .filter(|t| t.tool.as_deref() == tool && t.split == Some(Split::Holdout))
            .count()
    };
    assert_eq!((held(&tasks, Some("a")), held(&tasks, Some("b"))), (1, 1));
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t.split == Some(Split::Holdout))
            .count(),
        3
    );
    assert!(tasks.iter().all(|t| t.split.is_some()));
    // The last tasks of a stratum are held out, unless the writer wrote them in a retry.
    let mut tasks = vec![
        generated(Some("a"), false),
        generated(Some("a"), false),
        generated(Some("a"), true),
        generated(Some("a"), true),
    ];
    mark_holdout(&mut tasks, 0.5);
    let splits: Vec<Option<Split>> = tasks.iter().map(|t| t.split).collect();
    assert_eq!(
        splits,
        [
            Some(Split::Holdout),
            Some(Split::Holdout),
            Some(Split::Tune),
            Some(Split::Tune)
        ]
    );
    // No share: no split at all.
    let mut tasks = vec![generated(Some("a"), false)];
    mark_holdout(&mut tasks, 0.0);
    assert_eq!(tasks[0].split, None);
}
