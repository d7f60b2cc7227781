//! What a task expects the model to call: `none`, one call, several, or `any_of`.

use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::located::Seg;
use super::matcher::{Call, Matcher};

/// Whether the calls of a multi-call expectation must come in the listed order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// The calls must come in the listed order.
    Strict,
    /// Any order will do.
    #[default]
    Any,
}

/// What a task expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// No tool may be called.
    None,
    /// Exactly this one call.
    Call(Call),
    /// These calls, all of them, in one reply.
    Calls { calls: Vec<Call>, order: Order },
    /// Any one of these answers.
    AnyOf(Vec<Expect>),
}

impl Expect {
    /// Every tool this expectation names, in order of appearance.
    pub fn tools(&self) -> Vec<&str> {
        match self {
            Expect::None => vec![],
            Expect::Call(c) => vec![c.tool.as_str()],
            Expect::Calls { calls, .. } => calls.iter().map(|c| c.tool.as_str()).collect(),
            Expect::AnyOf(alts) => alts.iter().flat_map(Expect::tools).collect(),
        }
    }

    /// Every call this expectation names.
    #[cfg(test)]
    pub(crate) fn calls(&self) -> Vec<&Call> {
        match self {
            Expect::None => vec![],
            Expect::Call(c) => vec![c],
            Expect::Calls { calls, .. } => calls.iter().collect(),
            Expect::AnyOf(alts) => alts.iter().flat_map(Expect::calls).collect(),
        }
    }

    /// Every call this expectation names, each with its path inside the expectation as written
    /// (`[]` for `tool`, `[calls, 1]`, `[any_of, 0, calls, 2]`), to point at its place.
    pub fn calls_with_paths(&self) -> Vec<(Vec<Seg<'static>>, &Call)> {
        match self {
            Expect::None => vec![],
            Expect::Call(c) => vec![(vec![], c)],
            Expect::Calls { calls, .. } => calls
                .iter()
                .enumerate()
                .map(|(i, c)| (vec![Seg::Key("calls"), Seg::Index(i)], c))
                .collect(),
            Expect::AnyOf(alts) => alts
                .iter()
                .enumerate()
                .flat_map(|(i, alt)| {
                    alt.calls_with_paths().into_iter().map(move |(path, c)| {
                        (
                            [&[Seg::Key("any_of"), Seg::Index(i)], &path[..]].concat(),
                            c,
                        )
                    })
                })
                .collect(),
        }
    }
}

/// The mapping form of `expect`, as written in files.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Expectation")]
struct ExpectMap {
    /// The one tool to call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool: Option<String>,
    /// Argument matchers for `tool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    args: Option<IndexMap<String, Matcher>>,
    /// Reject arguments of `tool` that `args` does not name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    strict_args: Option<bool>,
    /// Several calls expected in one reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calls: Option<Vec<Call>>,
    /// With `calls`: `strict` (listed order) or `any` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order: Option<Order>,
    /// Acceptable alternatives; the task passes when any one passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any_of: Option<Vec<Expect>>,
}

impl ExpectMap {
    fn into_expect(self) -> Result<Expect, String> {
        let shapes = [
            self.tool.is_some(),
            self.calls.is_some(),
            self.any_of.is_some(),
        ];
        match shapes.iter().filter(|s| **s).count() {
            0 => {
                return Err(
                    "`expect` needs one of `tool`, `calls` or `any_of` (or the word `none`)".into(),
                );
            }
            1 => {}
            _ => return Err("`expect` takes only one of `tool`, `calls` and `any_of`".into()),
        }
        if let Some(tool) = self.tool {
            if self.order.is_some() {
                return Err("`order` goes with `calls`, not with `tool`".into());
            }
            return Ok(Expect::Call(Call {
                tool,
                args: self.args.unwrap_or_default(),
                strict_args: self.strict_args.unwrap_or(false),
            }));
        }
        if self.args.is_some() || self.strict_args.is_some() {
            return Err(
                "`args` and `strict_args` go with `tool`; inside `calls`, give them per call"
                    .into(),
            );
        }
        if let Some(calls) = self.calls {
            if calls.is_empty() {
                return Err(
                    "`calls` is empty: list at least one call, or write `expect: none`".into(),
                );
            }
            return Ok(Expect::Calls {
                calls,
                order: self.order.unwrap_or_default(),
            });
        }
        if self.order.is_some() {
            return Err("`order` goes with `calls`".into());
        }
        let alts = self.any_of.unwrap_or_default();
        if alts.len() < 2 {
            return Err("`any_of` needs at least two alternatives".into());
        }
        Ok(Expect::AnyOf(alts))
    }

    fn from_expect(e: &Expect) -> Self {
        match e {
            Expect::None => ExpectMap::default(),
            Expect::Call(c) => ExpectMap {
                tool: Some(c.tool.clone()),
                args: (!c.args.is_empty()).then(|| c.args.clone()),
                strict_args: c.strict_args.then_some(true),
                ..Default::default()
            },
            Expect::Calls { calls, order } => ExpectMap {
                calls: Some(calls.clone()),
                order: Some(*order),
                ..Default::default()
            },
            Expect::AnyOf(alts) => ExpectMap {
                any_of: Some(alts.clone()),
                ..Default::default()
            },
        }
    }
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Expect;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`none`, or a mapping with `tool`, `calls` or `any_of`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expect, E> {
                if v == "none" {
                    Ok(Expect::None)
                } else {
                    Err(E::custom(format!(
                        "expected `none` or a mapping with `tool`, `calls` or `any_of`, found the string `{v}`"
                    )))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Expect, A::Error> {
                ExpectMap::deserialize(de::value::MapAccessDeserializer::new(map))?
                    .into_expect()
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Expect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expect::None => s.serialize_str("none"),
            other => ExpectMap::from_expect(other).serialize(s),
        }
    }
}

impl JsonSchema for Expect {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Expect".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let map = generator.subschema_for::<ExpectMap>();
        json_schema!({
            "description": "`none` (no tool may be called), or one of: `tool` with `args`; `calls` with `order`; `any_of`.",
            "oneOf": [
                { "const": "none", "description": "No tool may be called." },
                map
            ]
        })
    }
}
