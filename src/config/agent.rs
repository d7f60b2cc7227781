//! Agent mode in eval and suite files: how a task runs (one reply, or a loop of turns with tools
//! executed), what stands in for tools that must not run (`mocks`), and what the whole
//! conversation is judged by (`trajectory`, `answer`).

use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::matcher::{Call, Matcher};

/// How a task runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One request; the first reply is scored and no tool runs.
    #[default]
    Single,
    /// A loop: the calls of each reply run (or are mocked), their results go back to the model,
    /// until it answers without a call or `max_turns` is reached.
    Agent,
}

/// Turns an agent conversation may take unless `max_turns` says otherwise.
pub(crate) const DEFAULT_MAX_TURNS: u32 = 8;

/// How often the same call (tool and arguments) may be made before the loop ends, unless
/// `max_repeats` says otherwise.
pub(crate) const DEFAULT_MAX_REPEATS: u32 = 3;
/// Bytes of one tool result fed back to the model unless `max_result_bytes` says otherwise.
pub(crate) const DEFAULT_MAX_RESULT_BYTES: usize = 16 * 1024;

/// What stands in for a tool: one mock, or a list tried in order (the first whose `when` fits
/// the call's arguments answers).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MockSpec {
    One(Mock),
    Many(Vec<Mock>),
}

impl MockSpec {
    /// The mocks, in the order they are tried.
    pub(crate) fn mocks(&self) -> &[Mock] {
        match self {
            MockSpec::One(m) => std::slice::from_ref(m),
            MockSpec::Many(v) => v,
        }
    }
}

/// One mocked answer of a tool: a result or an error, for calls whose arguments fit `when`.
/// Written and read in the form of files (`when`, `result` or `error`), so reports read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Mock {
    /// Argument matchers (the language of `expect`); absent, every call fits.
    pub when: IndexMap<String, Matcher>,
    pub answer: MockAnswer,
}

impl Serialize for Mock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (result, error) = match &self.answer {
            MockAnswer::Result(v) => (Some(v.clone()), None),
            MockAnswer::Error(e) => (None, Some(e.clone())),
        };
        MockMap {
            when: (!self.when.is_empty()).then(|| self.when.clone()),
            result,
            error,
        }
        .serialize(s)
    }
}

/// What a mocked call returns.
#[derive(Debug, Clone, PartialEq)]
pub enum MockAnswer {
    /// A result: text as it is, anything else as its JSON text.
    Result(Value),
    /// A tool error (`isError`) with this text.
    Error(String),
}

impl MockAnswer {
    /// The text the model is shown.
    pub(crate) fn text(&self) -> String {
        match self {
            MockAnswer::Result(Value::String(s)) | MockAnswer::Error(s) => s.clone(),
            MockAnswer::Result(v) => v.to_string(),
        }
    }

    pub(crate) fn is_error(&self) -> bool {
        matches!(self, MockAnswer::Error(_))
    }
}

/// The written form of a mock.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Mock")]
struct MockMap {
    /// Answer only calls whose arguments fit these matchers (the language of `expect`'s `args`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    when: Option<IndexMap<String, Matcher>>,
    /// The result the model is shown: text, or any JSON value (sent as its JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result: Option<Value>,
    /// Answer with a tool error (`isError: true`) of this text instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl<'de> Deserialize<'de> for Mock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = MockMap::deserialize(d)?;
        let answer = match (m.result, m.error) {
            (Some(r), None) => MockAnswer::Result(r),
            (None, Some(e)) => MockAnswer::Error(e),
            (Some(_), Some(_)) => {
                return Err(de::Error::custom(
                    "a mock takes `result` or `error`, not both",
                ));
            }
            (None, None) => {
                return Err(de::Error::custom(
                    "a mock needs `result` (what the tool returns) or `error` (a tool error's text)",
                ));
            }
        };
        Ok(Mock {
            when: m.when.unwrap_or_default(),
            answer,
        })
    }
}

impl JsonSchema for Mock {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Mock".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let map = generator.subschema_for::<MockMap>();
        json_schema!({
            "description": "A mocked answer: `result` or `error`, optionally only for calls whose arguments fit `when`.",
            "allOf": [map],
            "oneOf": [{ "required": ["result"] }, { "required": ["error"] }]
        })
    }
}

impl<'de> Deserialize<'de> for MockSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MockSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a mock (`result` or `error`, with an optional `when`), or a list of them",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MockSpec, A::Error> {
                Mock::deserialize(de::value::MapAccessDeserializer::new(map)).map(MockSpec::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<MockSpec, A::Error> {
                let v = Vec::<Mock>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                if v.is_empty() {
                    return Err(de::Error::custom(
                        "the list of mocks is empty: give at least one",
                    ));
                }
                Ok(MockSpec::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for MockSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MockSpec".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let one = generator.subschema_for::<Mock>();
        json_schema!({
            "description": "One mock, or a list tried in order (the first whose `when` fits answers).",
            "anyOf": [one, { "type": "array", "items": one, "minItems": 1 }]
        })
    }
}

/// Mocks by tool name (as suites name tools).
pub(crate) type Mocks = IndexMap<String, MockSpec>;

/// How the calls of a `trajectory` must follow one another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sequence {
    /// These calls and no others, in this order.
    Exact,
    /// These calls in this order; other calls may come before, between and after.
    #[default]
    InOrder,
    /// These calls in any order.
    Any,
}

/// What the calls of a whole agent conversation (every turn) must be.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trajectory {
    /// Calls that must be made, each with argument matchers as in `expect`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<Call>,
    /// How `calls` must follow one another: `exact`, `in_order` (default) or `any`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Sequence>,
    /// Whether calls besides `calls` may be made (default: yes, except with `order: exact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_extra: Option<bool>,
    /// Tools that must never be called.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbid: Vec<String>,
    /// The most calls the conversation may make, over every turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_calls: Option<usize>,
}

impl Trajectory {
    pub(crate) fn sequence(&self) -> Sequence {
        self.order.unwrap_or_default()
    }

    /// Whether calls besides the listed ones are allowed.
    pub(crate) fn extra_allowed(&self) -> bool {
        self.allow_extra
            .unwrap_or(self.sequence() != Sequence::Exact)
    }
}

/// One check of an agent's final answer (the text of its last reply).
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerCheck {
    /// A matcher of `expect`'s language, held against the answer's text.
    Matcher(Matcher),
    /// The answer must not contain this text (ignoring case).
    NotContains(String),
}

impl AnswerCheck {
    fn from_value(v: Value) -> Result<AnswerCheck, String> {
        if let Value::Object(map) = &v
            && let Some(n) = map.get("not_contains")
        {
            if map.len() > 1 {
                return Err("`not_contains` cannot be combined with other checks in one entry; list them apart".into());
            }
            return match n {
                Value::String(s) => Ok(AnswerCheck::NotContains(s.clone())),
                other => Err(format!("`not_contains` takes a string, found {other}")),
            };
        }
        match Matcher::from_value(v)? {
            Matcher::Approx { .. } => Err(
                "`approx` compares numbers; an answer is text: use `contains` or `regex`".into(),
            ),
            m => Ok(AnswerCheck::Matcher(m)),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            AnswerCheck::Matcher(m) => m.to_value(),
            AnswerCheck::NotContains(s) => serde_json::json!({ "not_contains": s }),
        }
    }
}

/// The checks of a task's final answer: one, or a list that must all hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer(pub Vec<AnswerCheck>);

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let items = match v {
            Value::Array(items) if items.is_empty() => {
                return Err(de::Error::custom(
                    "`answer` is an empty list: give at least one check",
                ));
            }
            Value::Array(items) => items,
            one => vec![one],
        };
        items
            .into_iter()
            .map(AnswerCheck::from_value)
            .collect::<Result<Vec<_>, _>>()
            .map(Answer)
            .map_err(de::Error::custom)
    }
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.to_value().serialize(s),
            many => many
                .iter()
                .map(AnswerCheck::to_value)
                .collect::<Vec<_>>()
                .serialize(s),
        }
    }
}

impl JsonSchema for Answer {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Answer".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let matcher = generator.subschema_for::<Matcher>();
        let check = json_schema!({
            "anyOf": [
                { "type": "object", "properties": { "not_contains": { "type": "string", "description": "The answer must not contain this text (ignoring case)." } }, "required": ["not_contains"], "additionalProperties": false },
                matcher
            ]
        });
        json_schema!({
            "description": "Checks of the final answer's text: one, or a list that must all hold. Each is a matcher of `expect`'s language (`contains`, `regex`, `one_of`, `present`, `absent`, `equals`, an exact text) or `not_contains`.",
            "anyOf": [check, { "type": "array", "items": check, "minItems": 1 }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mock_of_the_wrong_shape_says_what_a_mock_is() {
        let err = serde_saphyr::from_str::<Mocks>("get_metric: 5")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "a mock (`result` or `error`, with an optional `when`), or a list of them"
            ),
            "{err}"
        );
        let err = serde_saphyr::from_str::<Mocks>("get_metric: []")
            .unwrap_err()
            .to_string();
        assert!(err.contains("the list of mocks is empty"), "{err}");
    }

    #[test]
    fn the_documented_defaults_are_the_ones_used() {
        let docs = include_str!("../../docs/suite-format.md");
        let default_of = |field: &str| -> String {
            let row = docs
                .lines()
                .find(|l| l.starts_with(&format!("| `{field}` | no | ")))
                .unwrap_or_else(|| panic!("docs/suite-format.md documents `{field}`"));
            row.split('|')
                .nth(3)
                .unwrap()
                .trim()
                .trim_matches('`')
                .to_owned()
        };
        assert_eq!(default_of("max_turns"), DEFAULT_MAX_TURNS.to_string());
        assert_eq!(default_of("max_repeats"), DEFAULT_MAX_REPEATS.to_string());
        assert_eq!(
            default_of("max_result_bytes"),
            DEFAULT_MAX_RESULT_BYTES.to_string()
        );
    }

    fn yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        serde_saphyr::from_str_with_options(text, super::super::yaml::yaml_options())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn mocks_read_in_each_shape() {
        let m: Mocks = yaml(
            "a: { result: done }\nb: [{ when: { id: 1 }, result: { ok: true } }, { error: nope }]\n",
        )
        .unwrap();
        assert_eq!(m["a"].mocks()[0].answer.text(), "done");
        let b = m["b"].mocks();
        assert_eq!(b[0].answer.text(), r#"{"ok":true}"#);
        assert_eq!(b[0].when["id"], Matcher::Exact(1.into()));
        assert!(b[1].answer.is_error());
        for (bad, needle) in [
            ("a: {}", "needs `result`"),
            ("a: { result: x, error: y }", "not both"),
            ("a: []", "empty"),
            ("a: { reslt: x }", "unknown field `reslt`"),
        ] {
            let e = yaml::<Mocks>(bad).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn mocks_and_answers_write_back_as_they_are_read() {
        let m: Mocks = yaml(
            "a: { result: done }\nb: [{ when: { id: { contains: x } }, result: { ok: true } }, { error: nope }]\n",
        )
        .unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Mocks>(&json).unwrap(), m, "{json}");
        let a: Answer = yaml("[{ regex: 'v\\d' }, { not_contains: x }]").unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Answer>(&json).unwrap(), a, "{json}");
    }

    #[test]
    fn answers_read_one_check_or_many() {
        let a: Answer = yaml("{ contains: v2.14 }").unwrap();
        assert_eq!(
            a.0,
            vec![AnswerCheck::Matcher(Matcher::Contains("v2.14".into()))]
        );
        let a: Answer = yaml("[{ regex: 'v\\d' }, { not_contains: rollback }]").unwrap();
        assert_eq!(a.0.len(), 2);
        assert_eq!(a.0[1], AnswerCheck::NotContains("rollback".into()));
        assert!(
            yaml::<Answer>("{ approx: 1 }")
                .unwrap_err()
                .contains("is text")
        );
        assert!(yaml::<Answer>("[]").unwrap_err().contains("empty"));
        assert!(
            yaml::<Answer>("{ not_contains: a, contains: b }")
                .unwrap_err()
                .contains("list them apart")
        );
    }

    #[test]
    fn extra_calls_are_allowed_except_in_an_exact_trajectory() {
        let t: Trajectory = yaml("{ calls: [{ tool: a }], order: exact }").unwrap();
        assert!(!t.extra_allowed());
        let t: Trajectory = yaml("{ calls: [{ tool: a }] }").unwrap();
        assert!(t.extra_allowed());
        assert_eq!(t.sequence(), Sequence::InOrder);
    }
}
