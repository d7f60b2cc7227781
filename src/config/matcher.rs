//! One expected tool call, and how each of its arguments is checked (`Matcher`): what a
//! suite's `expect` and an agent task's `trajectory` both name.

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// One expected tool call.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The tool's name as the server offers it (or `server/name` when two servers offer the same name).
    pub tool: String,
    /// Matchers for the arguments, by argument name. Arguments not named here may take any value.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub args: IndexMap<String, Matcher>,
    /// Reject arguments that `args` does not name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub strict_args: bool,
}

/// How one argument is checked.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Equal to this value (numbers compare by value: 5 equals 5.0).
    Exact(Value),
    /// A string containing this text, ignoring case.
    Contains(String),
    /// A string matching this regular expression.
    Regex(regex::Regex),
    /// Equal to one of these values.
    OneOf(Vec<Value>),
    /// A number within `tolerance` of `value`.
    Approx { value: f64, tolerance: f64 },
    /// Given, with any value.
    Present,
    /// Not given.
    Absent,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.to_value() == other.to_value()
    }
}

const MATCHER_KEYS: &[&str] = &[
    "equals",
    "contains",
    "regex",
    "one_of",
    "approx",
    "tolerance",
    "present",
    "absent",
];

/// A one-key mapping whose key is a misspelled matcher is a mistake, not a value to match.
fn misspelled_matcher(map: &serde_json::Map<String, Value>) -> Option<String> {
    if map.len() != 1 {
        return None;
    }
    let key = map.keys().next()?;
    if MATCHER_KEYS.contains(&key.as_str()) {
        return None;
    }
    let m = MATCHER_KEYS
        .iter()
        .find(|m| key.len() >= 4 && crate::error::edit_distance(key, m) <= 2)?;
    Some(format!(
        "unknown matcher `{key}`; did you mean `{m}`? (to match a mapping exactly, write `equals: {{{key}: ...}}`)"
    ))
}

/// `regex: PATTERN`, compiled.
fn regex_matcher(v: &Value) -> Result<Matcher, String> {
    match v {
        Value::String(s) => regex::Regex::new(s).map(Matcher::Regex).map_err(|e| {
            // regex errors span lines (the pattern, a caret, the reason): keep the reason.
            let text = e.to_string();
            let why = text
                .lines()
                .last()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            format!("invalid regex `{s}`: {why}")
        }),
        other => Err(format!("`regex` takes a string, found {other}")),
    }
}

/// `approx: NUMBER`, with an optional `tolerance`.
fn approx_matcher(map: &serde_json::Map<String, Value>) -> Result<Matcher, String> {
    let value = map["approx"]
        .as_f64()
        .ok_or_else(|| format!("`approx` takes a number, found {}", map["approx"]))?;
    let tolerance = match map.get("tolerance") {
        Some(t) => t
            .as_f64()
            .filter(|t| *t >= 0.0)
            .ok_or_else(|| format!("`tolerance` takes a number of at least 0, found {t}"))?,
        None => 1e-9,
    };
    if map.len() > 2 || (map.len() == 2 && !map.contains_key("tolerance")) {
        return Err("`approx` combines only with `tolerance`".into());
    }
    Ok(Matcher::Approx { value, tolerance })
}

impl Matcher {
    /// Reads a matcher from its written form. A mapping whose keys are all matcher keywords is
    /// a matcher; anything else is an exact value (`{equals: ...}` matches a mapping exactly).
    pub(crate) fn from_value(v: Value) -> Result<Matcher, String> {
        let Value::Object(map) = &v else {
            return Ok(Matcher::Exact(v));
        };
        if map.is_empty() || !map.keys().all(|k| MATCHER_KEYS.contains(&k.as_str())) {
            return match misspelled_matcher(map) {
                Some(e) => Err(e),
                None => Ok(Matcher::Exact(v)),
            };
        }
        let single = |key: &str| -> Result<&Value, String> {
            if map.len() != 1 {
                let others: Vec<&str> = map
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != key)
                    .collect();
                return Err(format!(
                    "`{key}` cannot be combined with `{}`",
                    others.join("`, `")
                ));
            }
            Ok(&map[key])
        };
        let flag = |key: &str, val: &Value| -> Result<(), String> {
            match val {
                Value::Bool(true) => Ok(()),
                _ => Err(format!("write `{key}: true`")),
            }
        };
        if map.contains_key("equals") {
            return Ok(Matcher::Exact(single("equals")?.clone()));
        }
        if map.contains_key("contains") {
            return match single("contains")? {
                Value::String(s) => Ok(Matcher::Contains(s.clone())),
                other => Err(format!("`contains` takes a string, found {other}")),
            };
        }
        if map.contains_key("regex") {
            return regex_matcher(single("regex")?);
        }
        if map.contains_key("one_of") {
            return match single("one_of")? {
                Value::Array(a) if !a.is_empty() => Ok(Matcher::OneOf(a.clone())),
                other => Err(format!("`one_of` takes a non-empty list, found {other}")),
            };
        }
        if map.contains_key("approx") {
            return approx_matcher(map);
        }
        if map.contains_key("tolerance") {
            return Err("`tolerance` goes with `approx`".into());
        }
        if map.contains_key("present") {
            flag("present", single("present")?)?;
            return Ok(Matcher::Present);
        }
        flag("absent", single("absent")?)?;
        Ok(Matcher::Absent)
    }

    /// The written form of the matcher.
    pub(crate) fn to_value(&self) -> Value {
        use serde_json::json;
        match self {
            Matcher::Exact(v @ Value::Object(_)) => json!({ "equals": v }),
            Matcher::Exact(v) => v.clone(),
            Matcher::Contains(s) => json!({ "contains": s }),
            Matcher::Regex(r) => json!({ "regex": r.as_str() }),
            Matcher::OneOf(v) => json!({ "one_of": v }),
            Matcher::Approx { value, tolerance } => {
                json!({ "approx": value, "tolerance": tolerance })
            }
            Matcher::Present => json!({ "present": true }),
            Matcher::Absent => json!({ "absent": true }),
        }
    }
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Matcher::from_value(Value::deserialize(d)?).map_err(de::Error::custom)
    }
}

impl Serialize for Matcher {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl JsonSchema for Matcher {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Matcher".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An exact value, or one matcher: `contains`, `regex`, `one_of`, `approx` (with `tolerance`), `present`, `absent`, `equals`.",
            "anyOf": [
                { "type": "object", "properties": { "contains": { "type": "string", "description": "A string containing this text, ignoring case." } }, "required": ["contains"], "additionalProperties": false },
                { "type": "object", "properties": { "regex": { "type": "string", "description": "A string matching this regular expression." } }, "required": ["regex"], "additionalProperties": false },
                { "type": "object", "properties": { "one_of": { "type": "array", "minItems": 1, "description": "Equal to one of these values." } }, "required": ["one_of"], "additionalProperties": false },
                { "type": "object", "properties": { "approx": { "type": "number" }, "tolerance": { "type": "number", "minimum": 0 } }, "required": ["approx"], "additionalProperties": false, "description": "A number within `tolerance` of `approx`." },
                { "type": "object", "properties": { "present": { "const": true } }, "required": ["present"], "additionalProperties": false, "description": "Given, with any value." },
                { "type": "object", "properties": { "absent": { "const": true } }, "required": ["absent"], "additionalProperties": false, "description": "Not given." },
                { "type": "object", "properties": { "equals": {} }, "required": ["equals"], "additionalProperties": false, "description": "Exactly this value (use it to match a mapping)." },
                { "description": "Exactly this value." }
            ]
        })
    }
}
