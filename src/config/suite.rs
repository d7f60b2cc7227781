//! The suite file: tasks, their prompts and what each expects the model to call.

use indexmap::IndexMap;
use std::fmt;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::agent::{Answer, Mocks, Mode, Trajectory};
use super::conversation::{Turn, User};
use super::expect::Expect;

/// A suite: a named list of tasks.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// A short name for the suite, shown in reports. Defaults to the file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the suite checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How its tasks run: `single` (one reply) or `agent` (a loop of turns with tools executed).
    /// Default: the eval's `mode`. A task's own `mode` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Agent mode: mocked tool results for every task of the suite, by tool. A task's mocks of
    /// a tool replace these; these replace the eval's.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub mocks: Mocks,
    /// Agent mode: the loop ends when the model makes the same call this many times (0: never).
    /// Default: the eval's `max_repeats`, else 3. A task's own wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_repeats: Option<u32>,
    /// The tasks. Each id is unique across every suite of an eval.
    // Shared, not copied, by the run plan and the report.
    pub tasks: Vec<Arc<Task>>,
}

/// One natural-language request and the tool calls it should lead to.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// A unique id, used in reports and diffs. Keep it stable when you edit the prompt.
    pub id: String,
    /// The request: a string (one user message) or a list of chat messages giving context.
    pub prompt: Prompt,
    /// Labels for grouping results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// What the model should do: `none`, one call (`tool`, `args`), several (`calls`), or `any_of`.
    /// Required in single-turn mode. In agent mode it is held against the calls of every turn
    /// (docs/suite-format.md says how), and may be left out when `trajectory` or `answer` says
    /// what is expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// How this task runs: `single` or `agent`. Default: the suite's, else the eval's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Agent mode: the most turns (model replies) before the trial ends as `turn_limit`.
    /// Default: the eval's `max_turns`, else 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_turns: Option<u32>,
    /// Agent mode: the loop ends when the model makes the same call (tool and arguments) this
    /// many times, each after seeing the result of the last; 0: never. Default: the suite's,
    /// else the eval's, else 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_repeats: Option<u32>,
    // The agent fields are boxed: a suite of 100,000 single-turn tasks should not pay for them.
    /// Agent mode: mocked tool results for this task, by tool; they replace the suite's and the
    /// eval's mocks of the same tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mocks: Option<Box<Mocks>>,
    /// Agent mode: what the calls of every turn together must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<Box<Trajectory>>,
    /// Agent mode: checks of the final answer's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Box<Answer>>,
    /// Agent mode: a rubric the eval's `judge_model` grades the final answer against. Its
    /// verdict is recorded and counted apart; it does not change the trial's outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    /// A conversation: what the user says after the prompt, one message per turn, each with
    /// checks of its own. The task's `expect`, `trajectory`, `answer` and `judge` check the
    /// first turn (the reply to `prompt`). Runs in agent mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns: Option<Box<Vec<Turn>>>,
    /// A conversation with a simulated user: a model playing a person with a goal, who gives
    /// the facts it `knows` only when asked. `expect` and `trajectory` check every call,
    /// `answer` the last answer, `judge` the whole conversation. Runs in agent mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Box<User>>,
    /// `tune` for tasks you iterate descriptions against, `holdout` for tasks you check the result
    /// on; `run --split` runs one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
    /// Who wrote the task: `generated` by `tooleval generate`, `hand` by a person. Reports
    /// count generated and hand-written tasks apart. Default: `hand`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// For a generated task: the model that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<String>,
    /// What a person should check before trusting the task: `generate` sets it when the check
    /// model did not pass the task (either the task or the descriptions are wrong). Delete it
    /// once the task is reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<String>,
}

impl Task {
    /// The scripted turns after the prompt (none when it gives none).
    pub(crate) fn turns(&self) -> &[Turn] {
        self.turns.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Whether the task is a conversation: scripted turns or a simulated user.
    pub(crate) fn conversation(&self) -> bool {
        !self.turns().is_empty() || self.user.is_some()
    }

    /// How the task runs: its own `mode`; agent mode for a conversation; else the suite's,
    /// else the eval's.
    pub(crate) fn mode_in(&self, suite: Option<Mode>, eval: Option<Mode>) -> Mode {
        self.mode
            .or(self.conversation().then_some(Mode::Agent))
            .or(suite)
            .or(eval)
            .unwrap_or_default()
    }

    /// Whether `tooleval generate` wrote the task.
    pub(crate) fn generated(&self) -> bool {
        self.source == Some(Source::Generated)
    }

    /// The task's own mocks (none when it gives none).
    pub(crate) fn mocks(&self) -> &Mocks {
        static NONE: std::sync::LazyLock<Mocks> = std::sync::LazyLock::new(Mocks::new);
        self.mocks.as_deref().unwrap_or(&NONE)
    }

    /// The expectation of the first reply: `expect`, or none at all for an agent task that
    /// leaves it out (loading refuses a single-turn task without one).
    pub fn expectation(&self) -> &Expect {
        static NOTHING: Expect = Expect::None;
        self.expect.as_ref().unwrap_or(&NOTHING)
    }

    /// Every tool `expect` and then `trajectory` name as calls to make, in order of
    /// appearance (a tool expected twice is named twice).
    pub(crate) fn expected_tools(&self) -> Vec<&str> {
        let mut tools = self.expectation().tools();
        if let Some(t) = &self.trajectory {
            tools.extend(t.calls.iter().map(|c| c.tool.as_str()));
        }
        tools
    }
}

/// Who wrote a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Written by `tooleval generate`.
    Generated,
    /// Written by a person.
    Hand,
}

/// Which side of a held-out split a task is on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Tasks to iterate descriptions against.
    Tune,
    /// Tasks kept aside to check that an edit generalizes.
    Holdout,
}

impl Split {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Holdout => "holdout",
        }
    }
}

/// A prompt: one user message, or a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Prompt {
    Text(String),
    Messages(Vec<Message>),
}

/// A chat message of a prompt.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Prompt {
    /// The prompt as chat messages.
    pub(crate) fn messages(&self) -> Vec<Message> {
        match self {
            Prompt::Text(text) => vec![Message {
                role: Role::User,
                content: text.clone(),
            }],
            Prompt::Messages(m) => m.clone(),
        }
    }

    /// The text of each message, in order, without copying it.
    pub(crate) fn contents(&self) -> impl Iterator<Item = &str> {
        let (text, messages) = match self {
            Prompt::Text(t) => (Some(t.as_str()), &[][..]),
            Prompt::Messages(m) => (None, m.as_slice()),
        };
        text.into_iter()
            .chain(messages.iter().map(|m| m.content.as_str()))
    }

    /// The text of every user message, joined: what the offline baseline ranks against.
    pub(crate) fn user_text(&self) -> String {
        match self {
            Prompt::Text(t) => t.clone(),
            Prompt::Messages(m) => m
                .iter()
                .filter(|m| m.role == Role::User)
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

impl<'de> Deserialize<'de> for Prompt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Prompt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, or a list of messages with `role` and `content`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Prompt, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("the prompt is empty"));
                }
                Ok(Prompt::Text(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Prompt, A::Error> {
                let messages =
                    Vec::<Message>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                if !messages.iter().any(|m| m.role == Role::User) {
                    return Err(de::Error::custom(
                        "a prompt given as messages needs at least one `role: user` message",
                    ));
                }
                Ok(Prompt::Messages(messages))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Matcher, Order, located::Seg};
    use serde_json::Value;

    fn parse(yaml: &str) -> Result<Suite, serde_saphyr::Error> {
        serde_saphyr::from_str_with_options(yaml, super::super::yaml::yaml_options())
    }

    #[test]
    fn a_prompt_gives_its_texts_and_its_user_text() {
        let suite = parse(
            "tasks:\n  - id: a\n    prompt: Show logs\n    expect: none\n  - id: b\n    prompt:\n      - { role: system, content: Be brief. }\n      - { role: user, content: Hi }\n      - { role: assistant, content: Hello }\n      - { role: user, content: Show logs }\n    expect: none\n",
        )
        .unwrap();
        let (a, b) = (&suite.tasks[0].prompt, &suite.tasks[1].prompt);
        assert_eq!(a.contents().collect::<Vec<_>>(), ["Show logs"]);
        assert_eq!(
            b.contents().collect::<Vec<_>>(),
            ["Be brief.", "Hi", "Hello", "Show logs"]
        );
        assert_eq!(a.user_text(), "Show logs");
        assert_eq!(b.user_text(), "Hi\nShow logs");
        assert_eq!(b.messages().len(), 4);
        assert_eq!(a.messages()[0].role, Role::User);
    }

    #[test]
    fn expectations_write_back_as_they_read_and_name_their_calls() {
        for (yaml, tools) in [
            ("none", vec![]),
            ("{ tool: t, args: { a: 1 }, strict_args: true }", vec!["t"]),
            (
                "{ calls: [{ tool: t }, { tool: u }], order: strict }",
                vec!["t", "u"],
            ),
            (
                "{ any_of: [{ tool: t }, { calls: [{ tool: u }, { tool: v }] }] }",
                vec!["t", "u", "v"],
            ),
        ] {
            let e: Expect = serde_saphyr::from_str(yaml).unwrap();
            let names: Vec<&str> = e.calls().iter().map(|c| c.tool.as_str()).collect();
            assert_eq!(names, tools, "{yaml}");
            let written = serde_json::to_string(&e).unwrap();
            let again: Expect = serde_saphyr::from_str(&written).unwrap();
            assert_eq!(again, e, "{yaml} -> {written}");
        }
    }

    #[test]
    fn matchers_are_equal_when_they_match_alike() {
        use serde_json::json;
        let m = |v: serde_json::Value| Matcher::from_value(v).unwrap();
        assert_eq!(m(json!({"contains": "a"})), m(json!({"contains": "a"})));
        assert_ne!(m(json!({"contains": "a"})), m(json!({"contains": "b"})));
        assert_ne!(m(json!({"contains": "a"})), m(json!({"regex": "a"})));
    }

    #[test]
    fn matcher_keys_misspelled_or_combined_are_refused_and_other_mappings_are_values() {
        use serde_json::json;
        let read = |v: serde_json::Value| Matcher::from_value(v);
        let err = read(json!({"containz": "a"})).unwrap_err();
        assert!(
            err.contains("unknown matcher `containz`; did you mean `contains`?"),
            "{err}"
        );
        // Short keys and keys unlike any matcher are values to match exactly.
        for v in [json!({"id": 7}), json!({"banana": 1}), json!({})] {
            assert_eq!(read(v.clone()).unwrap(), Matcher::Exact(v));
        }
        assert_eq!(
            read(json!({"equals": {"contains": "a"}})).unwrap(),
            Matcher::Exact(json!({"contains": "a"}))
        );
        let err = read(json!({"contains": "a", "regex": "b"})).unwrap_err();
        assert!(
            err.contains("`contains` cannot be combined with `regex`"),
            "{err}"
        );
        let err = read(json!({"approx": 1, "tolerance": 0.1, "present": true})).unwrap_err();
        assert!(
            err.contains("`approx` combines only with `tolerance`"),
            "{err}"
        );
        assert!(read(json!({"approx": 1, "tolerance": 0.1})).is_ok());
    }

    #[test]
    fn a_prompt_of_the_wrong_shape_says_what_a_prompt_is() {
        let err = parse("tasks:\n  - id: a\n    prompt: { x: 1 }\n    expect: none\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a string, or a list of messages with `role` and `content`"),
            "{err}"
        );
    }

    #[test]
    fn a_task_s_own_mocks_are_its_own() {
        let suite = parse(
            "tasks:\n  - id: a\n    prompt: p\n    mode: agent\n    expect: none\n    mocks: { t: { result: 1 } }\n  - id: b\n    prompt: p\n    expect: none\n",
        )
        .unwrap();
        assert_eq!(suite.tasks[0].mocks().keys().collect::<Vec<_>>(), ["t"]);
        assert!(suite.tasks[1].mocks().is_empty());
    }

    #[test]
    fn reads_every_expectation_shape() {
        let s = parse(
            r#"
tasks:
  - id: a
    prompt: hi
    expect: none
  - id: b
    prompt: [{role: user, content: x}]
    expect: { tool: t, args: { n: 1, s: { contains: X } }, strict_args: true }
  - id: c
    prompt: y
    expect: { calls: [{ tool: t }, { tool: u }], order: strict }
  - id: d
    prompt: z
    expect: { any_of: [{ tool: t }, none] }
"#,
        )
        .unwrap();
        assert_eq!(s.tasks[0].expect, Some(Expect::None));
        let Some(Expect::Call(c)) = &s.tasks[1].expect else {
            panic!()
        };
        assert!(c.strict_args);
        assert_eq!(c.args["n"], Matcher::Exact(1.into()));
        assert_eq!(c.args["s"], Matcher::Contains("X".into()));
        assert!(
            matches!(&s.tasks[2].expect, Some(Expect::Calls { calls, order: Order::Strict }) if calls.len() == 2)
        );
        assert!(
            matches!(&s.tasks[3].expect, Some(Expect::AnyOf(a)) if a.len() == 2 && a[1] == Expect::None)
        );
    }

    #[test]
    fn calls_come_with_their_paths() {
        use crate::config::located::{Places, Seg::Index, Seg::Key};
        let text = "tasks:\n  - id: a\n    prompt: hi\n    expect:\n      any_of:\n        - tool: t\n        - none\n        - calls:\n            - { tool: u }\n            - { tool: v }\n";
        let s = parse(text).unwrap();
        let found = s.tasks[0].expectation().calls_with_paths();
        let paths: Vec<_> = found
            .iter()
            .map(|(p, c)| (p.clone(), c.tool.as_str()))
            .collect();
        assert_eq!(
            paths,
            vec![
                (vec![Key("any_of"), Index(0)], "t"),
                (vec![Key("any_of"), Index(2), Key("calls"), Index(0)], "u"),
                (vec![Key("any_of"), Index(2), Key("calls"), Index(1)], "v"),
            ]
        );
        // Each path leads to its call's `tool` in the text.
        let places = Places::parse(text);
        let tool = |p: &[Seg<'static>]| {
            let full = [&[Key("tasks"), Index(0), Key("expect")], p, &[Key("tool")]].concat();
            places.value(&full)
        };
        assert_eq!(tool(&found[0].0), Some((6, 17)));
        assert_eq!(tool(&found[2].0), Some((10, 23)));
        let one = Expect::Call(found[0].1.clone());
        assert_eq!(one.calls_with_paths()[0].0, Vec::<Seg>::new());
    }

    #[test]
    fn rejects_unknown_fields_with_a_place() {
        let err = parse("tasks:\n  - id: a\n    prompt: hi\n    expct: none\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `expct`"), "{err}");
        assert_eq!(err.location().unwrap().line(), 4);
    }

    #[test]
    fn rejects_mixed_and_empty_expectations() {
        for (yaml, needle) in [
            ("{ tool: t, calls: [{tool: u}] }", "only one of"),
            ("{ args: { a: 1 } }", "needs one of"),
            ("{ calls: [] }", "is empty"),
            ("{ any_of: [none] }", "at least two"),
            ("nothing", "found the string `nothing`"),
            ("{ tool: t, order: strict }", "`order` goes with `calls`"),
            (
                "{ calls: [{tool: u}], strict_args: true }",
                "give them per call",
            ),
            (
                "{ calls: [{tool: u}], args: { a: 1 } }",
                "give them per call",
            ),
            ("5", "`none`, or a mapping with `tool`, `calls` or `any_of`"),
        ] {
            let doc = format!("tasks:\n  - id: a\n    prompt: hi\n    expect: {yaml}\n");
            let err = parse(&doc).unwrap_err().to_string();
            assert!(err.contains(needle), "{yaml}: {err}");
        }
    }

    #[test]
    fn matchers_read_and_write_back() {
        let cases = [
            (r#"{"contains": "ab"}"#, true),
            (r#"{"regex": "^a+$"}"#, true),
            (r#"{"one_of": [1, 2]}"#, true),
            (r#"{"approx": 2.5, "tolerance": 0.5}"#, true),
            (r#"{"present": true}"#, true),
            (r#"{"absent": true}"#, true),
            (r#"{"equals": {"contains": 1}}"#, true),
            (r#""plain""#, true),
            (r#"{"regex": "("}"#, false),
            (r#"{"one_of": []}"#, false),
            (r#"{"present": false}"#, false),
            (r#"{"contains": "a", "regex": "b"}"#, false),
            (r#"{"tolerance": 1}"#, false),
            (r#"{"contain": "x"}"#, false),
            (r#"{"equals": {"contain": "x"}}"#, true),
        ];
        for (text, ok) in cases {
            let v: Value = serde_json::from_str(text).unwrap();
            let m = Matcher::from_value(v.clone());
            assert_eq!(m.is_ok(), ok, "{text}: {m:?}");
            if let Ok(m) = m {
                assert_eq!(Matcher::from_value(m.to_value()).unwrap(), m, "{text}");
            }
        }
        // A mapping with other keys is an exact value.
        let m = Matcher::from_value(serde_json::json!({"a": 1})).unwrap();
        assert_eq!(m, Matcher::Exact(serde_json::json!({"a": 1})));
    }
}
