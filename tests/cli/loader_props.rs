//! Property tests of the suite loader, `tooleval::config::suite_from_str`: whatever the text, it
//! returns (never panics, never hangs) and every error it returns says where it is. The
//! cargo-fuzz target in fuzz/ holds the loader to the same promise with coverage-guided inputs;
//! docs/fuzzing.md tells how the two fit together.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{LazyLock, mpsc};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use tooleval::config::{Expect, Places, Seg, suite_from_str};
use tooleval::error::Error;

/// 256 cases per property (a few seconds in a debug build), or `PROPTEST_CASES` for a longer run.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig::with_cases(cases)
}

fn path() -> &'static Path {
    Path::new("props.yaml")
}

/// Loads `source`, checks the promise every input is owed (an error renders as `error: ...`), and
/// gives back the result.
fn load(source: &str) -> tooleval::error::Result<tooleval::config::LoadedSuite> {
    let result = suite_from_str(path(), source.to_owned());
    if let Err(e) = &result {
        let text = e.render();
        assert!(
            text.starts_with("error:"),
            "the error does not render as `error: ...`:\n{text}\n--- input ---\n{source}"
        );
    }
    result
}

// ------------------------------------------------------------------------------------------
// (a) Arbitrary text.
// ------------------------------------------------------------------------------------------

/// Pieces of YAML, and of suites, that arbitrary text is built from.
const FRAGMENTS: &[&str] = &[
    "tasks:",
    "tasks: []",
    "- id:",
    "  - id: a\n",
    "id: x",
    "prompt:",
    "prompt: hi",
    "expect:",
    "expect: none",
    "none",
    "tool:",
    "tool: t",
    "args:",
    "calls:",
    "any_of:",
    "order: strict",
    "strict_args: true",
    "role: user",
    "content:",
    "contains:",
    "regex:",
    "regex: \"(\"",
    "one_of: []",
    "approx: 1",
    "tolerance: -1",
    "present: true",
    "absent: false",
    "equals:",
    "TODO: ",
    "{",
    "}",
    "[",
    "]",
    ":",
    ": ",
    ",",
    "-",
    "- ",
    "?",
    "? ",
    "|",
    "|-",
    ">",
    ">+",
    "\"",
    "'",
    "\\",
    "\\u",
    "\\x",
    "#",
    " #",
    "\t",
    "\n",
    "\r\n",
    "\r",
    " ",
    "  ",
    "    ",
    "&anchor ",
    "&a ",
    "*alias",
    "*a",
    "<<: *a",
    "!!tag ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!!binary ",
    "!local ",
    "!<tag:yaml.org,2002:str> ",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "---",
    "---\n",
    "...",
    "...\n",
    "~",
    "null",
    "true",
    "1e309",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "1_000",
    "18446744073709551616",
    "é",
    "\u{feff}",
    "\u{0}",
    "\u{85}",
    "\u{2028}",
    "🦀",
];

/// Text made of YAML-ish fragments.
fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(select(FRAGMENTS), 0..64).prop_map(|v| v.concat())
}

/// Very deep nesting, flow or block, sometimes closed, sometimes inside a suite.
fn deep() -> impl Strategy<Value = String> {
    let open = select(&["[", "{", "[{a: ", "{a: [", "- ", "&x [", "!!seq [", "? "][..]);
    (open, 1usize..4000, any::<bool>(), any::<bool>()).prop_map(|(open, depth, close, in_suite)| {
        let mut s = open.repeat(depth);
        if close {
            let closing: String = open
                .chars()
                .rev()
                .filter_map(|c| match c {
                    '[' => Some(']'),
                    '{' => Some('}'),
                    _ => None,
                })
                .collect();
            s.push_str(&closing.repeat(depth));
        }
        if in_suite {
            s = format!("tasks:\n  - id: deep\n    prompt: {s}\n    expect: none\n");
        }
        s
    })
}

/// Deep nesting by indentation: `a:` under `a:` under `a:` ...
fn deep_block() -> impl Strategy<Value = String> {
    (1usize..600, select(&["a:", "- a:", "-"][..])).prop_map(|(depth, key)| {
        (0..depth)
            .map(|i| format!("{}{key}\n", " ".repeat(i * 2)))
            .collect()
    })
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(?s).{0,200}",
        prop::collection::vec(any::<u8>(), 0..512)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        fragments(),
        // Fragments after a valid start, so that the text gets past the first line.
        fragments().prop_map(|f| format!("tasks:\n  - id: a\n    prompt: hi\n    {f}")),
        deep(),
        deep_block(),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// (a) Whatever the text, the loader returns, and an error renders as `error: ...`.
    #[test]
    fn any_text_loads_or_errors(source in arbitrary_text()) {
        let _ = load(&source);
    }

    /// (a) Whatever the text, the located layer reads it without panicking, and every place it
    /// gives lies in the text.
    #[test]
    fn any_text_is_placed(source in arbitrary_text()) {
        let places = Places::parse(&source);
        let lines = source.lines().count() + 1;
        let paths: [&[Seg]; 5] = [
            &[],
            &[Seg::Key("tasks")],
            &[Seg::Key("tasks"), Seg::Index(0), Seg::Key("id")],
            &[Seg::Index(0), Seg::Index(0)],
            &[Seg::Key("a"), Seg::Key("a"), Seg::Key("a")],
        ];
        for path in paths {
            for (line, col) in places.value(path).into_iter().chain(places.key(path)) {
                prop_assert!((1..=lines).contains(&line) && col >= 1, "{line}:{col} in {source:?}");
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Valid suites, generated, written out in mixed YAML styles.
// ------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone)]
enum MatcherSpec {
    Exact(Scalar),
    ExactList(Vec<Scalar>),
    ExactMap(BTreeMap<String, Scalar>),
    Contains(String),
    /// A literal, escaped into a regex; anchored or not.
    RegexLiteral(String, bool),
    OneOf(Vec<Scalar>),
    Approx(f64, Option<f64>),
    Present,
    Absent,
}

#[derive(Debug, Clone)]
struct CallSpec {
    tool: String,
    args: BTreeMap<String, MatcherSpec>,
    strict_args: Option<bool>,
}

#[derive(Debug, Clone)]
enum ExpectSpec {
    None,
    Call(CallSpec),
    Calls(Vec<CallSpec>, Option<&'static str>),
    AnyOf(Vec<ExpectSpec>),
}

impl ExpectSpec {
    fn tools(&self) -> Vec<String> {
        match self {
            ExpectSpec::None => vec![],
            ExpectSpec::Call(c) => vec![c.tool.clone()],
            ExpectSpec::Calls(calls, _) => calls.iter().map(|c| c.tool.clone()).collect(),
            ExpectSpec::AnyOf(alts) => alts.iter().flat_map(ExpectSpec::tools).collect(),
        }
    }
}

#[derive(Debug, Clone)]
enum PromptSpec {
    Text(String),
    /// (role, content); at least one is `user`.
    Messages(Vec<(&'static str, String)>),
}

#[derive(Debug, Clone)]
struct TaskSpec {
    id: String,
    prompt: PromptSpec,
    tags: Vec<String>,
    expect: ExpectSpec,
    split: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct SuiteSpec {
    name: Option<String>,
    description: Option<String>,
    tasks: Vec<TaskSpec>,
    /// Style choices (flow or block, plain or quoted, comments), used in turn.
    styles: Vec<bool>,
}

/// Free text: any printable characters, never blank, never a placeholder.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}( [a-z]{1,8}){1,5}",
        "\\PC{1,40}",
        "[ -~]{1,40}",
        "[a-z :#'\"\\\\\\t-]{1,30}",
    ]
    .prop_filter("non-blank, no placeholder", |s| {
        !s.trim().is_empty() && !s.trim_start().starts_with("TODO:")
    })
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        text().prop_map(Scalar::Str),
        any::<i64>().prop_map(Scalar::Int),
        (-1.0e6..1.0e6f64).prop_map(Scalar::Float),
        any::<bool>().prop_map(Scalar::Bool),
    ]
}

fn matcher() -> impl Strategy<Value = MatcherSpec> {
    prop_oneof![
        scalar().prop_map(MatcherSpec::Exact),
        prop::collection::vec(scalar(), 0..4).prop_map(MatcherSpec::ExactList),
        prop::collection::btree_map("[a-z]{1,6}_[a-z]{1,6}", scalar(), 0..3)
            .prop_map(MatcherSpec::ExactMap),
        text().prop_map(MatcherSpec::Contains),
        (text(), any::<bool>()).prop_map(|(s, a)| MatcherSpec::RegexLiteral(s, a)),
        prop::collection::vec(scalar(), 1..4).prop_map(MatcherSpec::OneOf),
        (-1.0e6..1.0e6f64, prop::option::of(0.0..1000.0f64))
            .prop_map(|(v, t)| MatcherSpec::Approx(v, t)),
        Just(MatcherSpec::Present),
        Just(MatcherSpec::Absent),
    ]
}

fn call() -> impl Strategy<Value = CallSpec> {
    (
        "([a-z]{1,6}/)?[a-z]{1,8}_[a-z0-9]{1,8}",
        prop::collection::btree_map("[a-z]{1,8}(_[a-z0-9]{1,4})?", matcher(), 0..4),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(tool, args, strict_args)| CallSpec {
            tool,
            args,
            strict_args,
        })
}

fn expect() -> impl Strategy<Value = ExpectSpec> {
    let leaf = prop_oneof![
        Just(ExpectSpec::None),
        call().prop_map(ExpectSpec::Call),
        (
            prop::collection::vec(call(), 1..4),
            prop::option::of(select(&["strict", "any"][..])),
        )
            .prop_map(|(calls, order)| ExpectSpec::Calls(calls, order)),
    ]
    .boxed();
    let any_of = leaf.clone().prop_recursive(2, 12, 4, |inner| {
        prop::collection::vec(inner, 2..4).prop_map(ExpectSpec::AnyOf)
    });
    // Mostly one shape, sometimes alternatives (themselves nested up to twice).
    prop_oneof![3 => leaf, 1 => any_of]
}

fn prompt() -> impl Strategy<Value = PromptSpec> {
    let role = select(&["system", "user", "assistant"][..]);
    prop_oneof![
        text().prop_map(PromptSpec::Text),
        (
            prop::collection::vec((role, text()), 0..3),
            text(),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(mut messages, user, at)| {
                let i = at.index(messages.len() + 1);
                messages.insert(i, ("user", user));
                PromptSpec::Messages(messages)
            }),
    ]
}

fn task() -> impl Strategy<Value = TaskSpec> {
    (
        "[a-z][a-z0-9]{0,8}",
        prompt(),
        prop::collection::vec("[a-z]{1,8}", 0..3),
        expect(),
        prop::option::of(select(&["tune", "holdout"][..])),
    )
        .prop_map(|(id, prompt, tags, expect, split)| TaskSpec {
            id,
            prompt,
            tags,
            expect,
            split,
        })
}

fn suite() -> impl Strategy<Value = SuiteSpec> {
    (
        prop::option::of(text()),
        prop::option::of(text()),
        prop::collection::vec(task(), 1..6),
        prop::collection::vec(any::<bool>(), 1..32),
    )
        .prop_map(|(name, description, mut tasks, styles)| {
            // Unique ids, whatever was drawn.
            for (i, t) in tasks.iter_mut().enumerate() {
                t.id = format!("{}-{i}", t.id);
            }
            SuiteSpec {
                name,
                description,
                tasks,
                styles,
            }
        })
}

/// A YAML node, about to be written out.
enum Node {
    /// A scalar, already written (plain, quoted, or a number).
    Leaf(String),
    Seq(Vec<Node>, bool),
    Map(Vec<(String, Node)>, bool),
}

/// Takes the style choices in turn.
struct Styles<'a> {
    bits: &'a [bool],
    next: usize,
}

impl Styles<'_> {
    fn flip(&mut self) -> bool {
        let b = self.bits[self.next % self.bits.len()];
        self.next += 1;
        b
    }
}

/// A double-quoted YAML string: escapes make any text safe.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A string, plain when that is safe and the styles say so, else quoted.
fn string(s: &str, st: &mut Styles) -> Node {
    static PLAIN_SAFE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"^[a-z][a-z0-9]*([ _/-][a-z0-9]+)+$").unwrap());
    if PLAIN_SAFE.is_match(s) && st.flip() {
        Node::Leaf(s.to_owned())
    } else {
        Node::Leaf(quoted(s))
    }
}

fn float(f: f64) -> String {
    // Display never writes an exponent; make sure a dot says "float".
    let s = f.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

fn scalar_node(v: &Scalar, st: &mut Styles) -> Node {
    match v {
        Scalar::Str(s) => string(s, st),
        Scalar::Int(i) => Node::Leaf(i.to_string()),
        Scalar::Float(f) => Node::Leaf(float(*f)),
        Scalar::Bool(b) => Node::Leaf(b.to_string()),
    }
}

fn map(entries: Vec<(&str, Node)>, st: &mut Styles) -> Node {
    let flow = st.flip();
    Node::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        flow,
    )
}

fn matcher_node(m: &MatcherSpec, st: &mut Styles) -> Node {
    let seq = |items: &[Scalar], st: &mut Styles| {
        let nodes = items.iter().map(|v| scalar_node(v, st)).collect();
        Node::Seq(nodes, st.flip())
    };
    match m {
        MatcherSpec::Exact(v) => scalar_node(v, st),
        MatcherSpec::ExactList(items) => seq(items, st),
        MatcherSpec::ExactMap(m) => {
            let value = Node::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), scalar_node(v, st)))
                    .collect(),
                st.flip(),
            );
            map(vec![("equals", value)], st)
        }
        MatcherSpec::Contains(s) => {
            let v = Node::Leaf(quoted(s));
            map(vec![("contains", v)], st)
        }
        MatcherSpec::RegexLiteral(s, anchored) => {
            let re = regex::escape(s);
            let re = if *anchored { format!("^{re}$") } else { re };
            map(vec![("regex", Node::Leaf(quoted(&re)))], st)
        }
        MatcherSpec::OneOf(items) => {
            let v = seq(items, st);
            map(vec![("one_of", v)], st)
        }
        MatcherSpec::Approx(v, t) => {
            let mut entries = vec![("approx", Node::Leaf(float(*v)))];
            if let Some(t) = t {
                entries.push(("tolerance", Node::Leaf(float(*t))));
            }
            map(entries, st)
        }
        MatcherSpec::Present => map(vec![("present", Node::Leaf("true".into()))], st),
        MatcherSpec::Absent => map(vec![("absent", Node::Leaf("true".into()))], st),
    }
}

fn call_entries(c: &CallSpec, st: &mut Styles) -> Vec<(&'static str, Node)> {
    let mut entries = vec![("tool", string(&c.tool, st))];
    if !c.args.is_empty() || st.flip() {
        let args = c
            .args
            .iter()
            .map(|(k, m)| (k.clone(), matcher_node(m, st)))
            .collect();
        entries.push(("args", Node::Map(args, st.flip())));
    }
    if let Some(b) = c.strict_args {
        entries.push(("strict_args", Node::Leaf(b.to_string())));
    }
    entries
}

fn expect_node(e: &ExpectSpec, st: &mut Styles) -> Node {
    match e {
        ExpectSpec::None => Node::Leaf("none".into()),
        ExpectSpec::Call(c) => {
            let entries = call_entries(c, st);
            map(entries, st)
        }
        ExpectSpec::Calls(calls, order) => {
            let items = calls
                .iter()
                .map(|c| {
                    let entries = call_entries(c, st);
                    map(entries, st)
                })
                .collect();
            let mut entries = vec![("calls", Node::Seq(items, st.flip()))];
            if let Some(o) = order {
                entries.push(("order", Node::Leaf((*o).to_owned())));
            }
            map(entries, st)
        }
        ExpectSpec::AnyOf(alts) => {
            let items = alts.iter().map(|a| expect_node(a, st)).collect();
            let seq = Node::Seq(items, st.flip());
            map(vec![("any_of", seq)], st)
        }
    }
}

fn task_node(t: &TaskSpec, st: &mut Styles) -> Node {
    let prompt = match &t.prompt {
        PromptSpec::Text(s) => string(s, st),
        PromptSpec::Messages(m) => {
            let items = m
                .iter()
                .map(|(role, content)| {
                    let entries = vec![
                        ("role", Node::Leaf((*role).to_owned())),
                        ("content", string(content, st)),
                    ];
                    map(entries, st)
                })
                .collect();
            Node::Seq(items, st.flip())
        }
    };
    let mut entries = vec![("id", string(&t.id, st)), ("prompt", prompt)];
    if !t.tags.is_empty() {
        let tags = t.tags.iter().map(|s| string(s, st)).collect();
        entries.push(("tags", Node::Seq(tags, st.flip())));
    }
    entries.push(("expect", expect_node(&t.expect, st)));
    if let Some(split) = t.split {
        entries.push(("split", Node::Leaf(split.to_owned())));
    }
    map(entries, st)
}

/// Writes a node in flow style, on one line.
fn flow(n: &Node) -> String {
    match n {
        Node::Leaf(s) => s.clone(),
        Node::Seq(items, _) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Node::Map(entries, _) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

fn is_block(n: &Node) -> bool {
    match n {
        Node::Leaf(_) => false,
        Node::Seq(items, flow) => !flow && !items.is_empty(),
        Node::Map(entries, flow) => !flow && !entries.is_empty(),
    }
}

/// Writes a block collection at `indent`, one line per entry; a flow one goes on its key's line.
fn block(n: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match n {
        Node::Map(entries, _) => {
            for (k, v) in entries {
                if is_block(v) {
                    out.push_str(&format!("{pad}{k}:\n"));
                    block(v, indent + 2, out);
                } else {
                    out.push_str(&format!("{pad}{k}: {}\n", flow(v)));
                }
            }
        }
        Node::Seq(items, _) => {
            for item in items {
                if is_block(item) {
                    // The item's block, with its first indentation turned into the dash.
                    let mut inner = String::new();
                    block(item, indent + 2, &mut inner);
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&inner[indent + 2..]);
                } else {
                    out.push_str(&format!("{pad}- {}\n", flow(item)));
                }
            }
        }
        Node::Leaf(s) => out.push_str(&format!("{pad}{s}\n")),
    }
}

/// The suite as YAML text.
fn write_suite(s: &SuiteSpec) -> String {
    let mut st = Styles {
        bits: &s.styles,
        next: 0,
    };
    let mut out = String::new();
    if st.flip() {
        out.push_str("# yaml-language-server: $schema=../schemas/suite.schema.json\n");
    }
    if let Some(name) = &s.name {
        out.push_str(&format!("name: {}\n", flow(&string(name, &mut st))));
    }
    if let Some(d) = &s.description {
        out.push_str(&format!("description: {}\n", flow(&string(d, &mut st))));
    }
    out.push_str("tasks:\n");
    for t in &s.tasks {
        let node = Node::Seq(vec![task_node(t, &mut st)], false);
        block(&node, 2, &mut out);
        if st.flip() {
            out.push_str("  # a comment between tasks\n");
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    /// (b) A valid suite, however written, loads with the same tasks in the same order.
    #[test]
    fn valid_suites_load(spec in suite()) {
        let source = write_suite(&spec);
        let loaded = match load(&source) {
            Ok(l) => l,
            Err(e) => panic!("a valid suite did not load:\n{}\n--- input ---\n{source}", e.render()),
        };
        let ids: Vec<&str> = loaded.suite.tasks.iter().map(|t| t.id.as_str()).collect();
        let want: Vec<&str> = spec.tasks.iter().map(|t| t.id.as_str()).collect();
        prop_assert_eq!(ids, want, "{}", source);
        for (got, want) in loaded.suite.tasks.iter().zip(&spec.tasks) {
            let got_tools: Vec<String> = got.expectation().tools().into_iter().map(str::to_owned).collect();
            prop_assert_eq!(got_tools, want.expect.tools(), "{}", source);
            prop_assert_eq!(
                matches!(got.expect, Some(Expect::None)),
                matches!(want.expect, ExpectSpec::None),
                "{}",
                source
            );
        }
        // Every id and every expected tool is placed where its text is written.
        for (i, task) in loaded.suite.tasks.iter().enumerate() {
            let at = loaded.place_in_task(i, &[Seg::Key("id")]);
            prop_assert!(written_at(&source, at, &task.id), "id of task {i} at {at:?}\n{source}");
            for (path, call) in task.expectation().calls_with_paths() {
                let tool = [&[Seg::Key("expect")], &path[..], &[Seg::Key("tool")]].concat();
                let at = loaded.place_in_task(i, &tool);
                prop_assert!(written_at(&source, at, &call.tool), "{tool:?} at {at:?}\n{source}");
            }
        }
    }

    /// (c) A valid suite with one line deleted or one character changed loads, or its error
    /// points at a line of the file.
    ///
    /// This property found the loader reporting errors without a line (a first line indented
    /// deeper than the next reads as "more than one document"); `first_line_indented_has_a_place`
    /// below keeps the input it shrank to.
    #[test]
    fn damaged_suites_error_with_a_place(
        spec in suite(),
        delete_line in any::<bool>(),
        line_start in any::<bool>(),
        at in any::<prop::sample::Index>(),
        with in prop_oneof![
            select(&[':', '-', '[', ']', '{', '}', '"', '\'', '#', '&', '*', '!', '|', '>',
                     '\t', '\n', ' ', '%', '@', '`', ',', '?', 'x', '0', '\u{feff}'][..]),
            any::<char>(),
        ],
    ) {
        let source = write_suite(&spec);
        let lines: Vec<&str> = source.lines().collect();
        let damaged = if delete_line {
            let mut lines = lines;
            lines.remove(at.index(lines.len()));
            lines.iter().map(|l| format!("{l}\n")).collect::<String>()
        } else {
            let mut chars: Vec<char> = source.chars().collect();
            // Anywhere, or where YAML looks hardest: the first character of a line.
            let i = if line_start {
                let line = at.index(lines.len());
                lines[..line].iter().map(|l| l.chars().count() + 1).sum()
            } else {
                at.index(chars.len())
            };
            chars[i] = with;
            chars.into_iter().collect()
        };
        assert_loads_or_errors_with_a_place(&damaged);
    }
}

/// Whether the string `value` is written at `place` (1-based line and column in characters),
/// plain or double-quoted as `write_suite` writes it.
fn written_at(source: &str, place: Option<(usize, usize)>, value: &str) -> bool {
    let Some((line, col)) = place else {
        return false;
    };
    let text: String = source
        .lines()
        .nth(line - 1)
        .map(|l| l.chars().skip(col - 1).collect())
        .unwrap_or_default();
    text.starts_with(&quoted(value)) || text.starts_with(value)
}

/// Loads `source`: it must load, or every problem must name a line of the file.
fn assert_loads_or_errors_with_a_place(source: &str) {
    let lines = source.lines().count().max(1);
    match load(source) {
        Ok(_) => {}
        Err(Error::Input(diags)) => {
            assert!(!diags.is_empty(), "an error without problems");
            for d in diags {
                assert!(
                    d.line.is_some_and(|l| (1..=lines).contains(&l)),
                    "the error has no line in 1..={lines}:\n{}\n--- input ---\n{source}",
                    Error::Input(vec![d.clone()]).render(),
                );
            }
        }
        Err(other) => panic!("not an input error: {}", other.render()),
    }
}

/// The minimal input found by `damaged_suites_error_with_a_place` (shrunk by proptest): a valid
/// suite whose first character, the `d` of `description:`, became a space.
///
/// yaml_serde reads the indented first line as a whole document, reads the syntax error after
/// it as "a second document", and reports "deserializing from YAML containing more than one
/// document is not supported" without a location (` a: 1\nb: 2\n` and `[a]\nb\n` do the same,
/// and so does a file that really holds two documents). The loader's diagnostic had no line
/// until the loader learned to place such errors.
#[test]
fn first_line_indented_has_a_place() {
    assert_loads_or_errors_with_a_place(
        " escription: \"a a\"\ntasks:\n  - id: \"a-0\"\n    prompt: \"a a\"\n    expect: none\n",
    );
}

// ------------------------------------------------------------------------------------------
// Pathological inputs.
// ------------------------------------------------------------------------------------------

/// Loads `source` on its own thread and fails if that takes longer than `limit`.
fn load_within(source: String, limit: Duration) -> std::result::Result<(), String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = suite_from_str(path(), source)
            .map(|_| ())
            .map_err(|e| e.render());
        let _ = tx.send(result);
    });
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the loader took longer than {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the loader panicked"),
    }
}

/// `levels` anchors, each a list of `width` aliases of the one before: `width^levels` nodes if
/// expanded. The last one is used as the prompt of a task.
fn alias_bomb(levels: usize, width: usize) -> String {
    let mut s = String::from("a0: &a0 [\"lol\"]\n");
    for i in 1..=levels {
        let aliases = vec![format!("*a{}", i - 1); width].join(", ");
        s.push_str(&format!("a{i}: &a{i} [{aliases}]\n"));
    }
    s.push_str(&format!(
        "tasks:\n  - id: bomb\n    prompt: *a{levels}\n    expect: none\n"
    ));
    s
}

#[test]
fn alias_bombs_return_quickly() {
    // Small (10^4 nodes if expanded), then the classic billion laughs (10^9).
    for (levels, width) in [(4, 10), (9, 10)] {
        let result = load_within(alias_bomb(levels, width), Duration::from_secs(20));
        if let Err(text) = result {
            assert!(text.starts_with("error:"), "{text}");
        }
    }
}

#[test]
fn alias_bomb_inside_the_tasks_returns_quickly() {
    // The bomb where a task's value is read, past any unknown top-level key.
    let mut s = String::from(
        "tasks:\n  - id: bomb\n    prompt: hi\n    expect:\n      tool: t\n      args:\n",
    );
    s.push_str("        a0: &a0 [\"lol\"]\n");
    for i in 1..=9 {
        let aliases = vec![format!("*a{}", i - 1); 10].join(", ");
        s.push_str(&format!("        a{i}: &a{i} [{aliases}]\n"));
    }
    let result = load_within(s, Duration::from_secs(20));
    if let Err(text) = result {
        assert!(text.starts_with("error:"), "{text}");
    }
}

#[test]
fn self_referencing_alias_returns() {
    // An alias to the node being defined is an error in YAML, not a loop.
    for source in [
        "tasks: &t [*t]\n",
        "tasks:\n  - &x { id: a, prompt: *x, expect: none }\n",
    ] {
        if let Err(text) = load_within(source.to_owned(), Duration::from_secs(20)) {
            assert!(text.starts_with("error:"), "{text}");
        }
    }
}
