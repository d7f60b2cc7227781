//! Tool schemas as each native provider API takes them: what is converted, and what is lost.
//!
//! MCP tools describe their arguments in JSON Schema (draft-07 or 2020-12). Anthropic's Messages
//! API takes nearly all of it; Gemini's function declarations take a subset of the OpenAPI 3.0
//! Schema object. Each conversion returns the schema to send and one [`Change`] for every feature
//! that is not sent as written, so a report can say what the model was not told.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

mod anthropic;
mod gemini;

pub(crate) use anthropic::{anthropic, not_2020_12};
pub(crate) use gemini::gemini;

/// One feature of a schema that a provider does not take as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Where in the schema, as a JSON pointer (`""` for the top, `/properties/when`).
    pub at: String,
    /// The keyword as written, e.g. `format: email`, `oneOf`, `$ref: #/$defs/Point`, `additionalProperties`.
    pub feature: String,
    /// What was done: `dropped`, or how it was changed (`sent as anyOf`, `inlined`, `sent as enum`, `sent as nullable`...).
    pub action: String,
}

impl Change {
    fn new(at: &str, feature: impl Into<String>, action: impl Into<String>) -> Self {
        Change {
            at: at.to_owned(),
            feature: feature.into(),
            action: action.into(),
        }
    }

    /// One line for a person, e.g. "`format: email` at /properties/to dropped".
    pub(crate) fn describe(&self) -> String {
        let place = if self.at.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("at {}", self.at)
        };
        format!("`{}` {place} {}", self.feature, self.action)
    }
}

/// The schema sent in place of one that is not a JSON object.
fn not_an_object(schema: &Value) -> (Value, Vec<Change>) {
    (
        json!({ "type": "object" }),
        vec![Change::new(
            "",
            written(schema),
            "replaced by {\"type\": \"object\"}",
        )],
    )
}

/// The one type a schema declares, if it declares one besides `null`.
fn effective_type(node: &Map<String, Value>) -> Option<&str> {
    match node.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => {
            let mut others = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null");
            let only = others.next()?;
            others.next().is_none().then_some(only)
        }
        _ => None,
    }
}

/// Whether a schema describes an object: `type: object`, or no type and object keywords.
fn is_object_schema(schema: &Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(t) => t == "object",
        None => schema.contains_key("properties") || schema.contains_key("required"),
    }
}

/// The branches of a top-level `allOf` to merge, with where each is, if all are object schemas.
/// A branch that is only a local `$ref` stands for the definition it points to.
fn object_branches<'a>(
    root: &'a Value,
    all_of: &'a Value,
) -> Option<Vec<(String, &'a Map<String, Value>)>> {
    let branches = all_of.as_array().filter(|b| !b.is_empty())?;
    branches
        .iter()
        .enumerate()
        .map(|(i, branch)| {
            let branch = branch.as_object()?;
            let (from, branch) = match branch.get("$ref").and_then(Value::as_str) {
                Some(reference) if branch.len() == 1 => {
                    let pointer = local_pointer(reference)?;
                    let target = root.pointer(&pointer)?.as_object()?;
                    (pointer, target)
                }
                _ => (format!("/allOf/{i}"), branch),
            };
            is_object_schema(branch).then_some((from, branch))
        })
        .collect()
}

/// How [`assemble`] settles a property that two merged schemas both define, and `required`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// A property defined twice is sent as the `allOf` of both; `required` is kept as written.
    Anthropic,
    /// A property defined twice keeps the first definition; `required` keeps only names that
    /// have a property.
    Gemini,
}

/// Keywords for the schema being built: from one of its own keywords, or from a schema merged
/// into it (an `allOf` branch, a `$ref`'s definition, a lone `anyOf` branch).
struct Piece {
    entries: Vec<(String, Value)>,
    /// Where the merged schema is; `None` for the schema's own keywords, which win over merged
    /// ones wherever they are written.
    from: Option<String>,
    changes: Vec<Change>,
}

impl Piece {
    fn own(entries: Vec<(String, Value)>, changes: Vec<Change>) -> Self {
        Piece {
            entries,
            from: None,
            changes,
        }
    }

    /// A keyword sent as written.
    fn keep(key: &str, value: &Value) -> Self {
        Piece::own(vec![(key.to_owned(), value.clone())], vec![])
    }

    /// A change with nothing to send.
    fn note(change: Change) -> Self {
        Piece::own(vec![], vec![change])
    }

    fn dropped(at: &str, key: &str) -> Self {
        Piece::note(Change::new(at, key, "dropped"))
    }

    fn merged(from: String, schema: Map<String, Value>, changes: Vec<Change>) -> Self {
        Piece {
            entries: schema.into_iter().collect(),
            from: Some(from),
            changes,
        }
    }
}

/// Builds the schema at `at` from its pieces, in order: the first piece to set a keyword places
/// it, the schema's own keywords win over merged ones, and `properties` and `required` are the
/// union of all. A merged keyword that loses is reported; the changes come back in piece order.
fn assemble(mut pieces: Vec<Piece>, at: &str, rules: Rules) -> (Map<String, Value>, Vec<Change>) {
    let mut changes: Vec<Vec<Change>> = pieces
        .iter_mut()
        .map(|p| std::mem::take(&mut p.changes))
        .collect();
    let own: HashMap<&str, &Value> = pieces
        .iter()
        .filter(|p| p.from.is_none())
        .flat_map(|p| p.entries.iter().map(|(k, v)| (k.as_str(), v)))
        .collect();
    let own_properties = own.get("properties").and_then(|p| p.as_object());
    let mut out = Map::new();
    // Required names in order, with the piece that named each first.
    let mut required: Vec<(&str, usize)> = Vec::new();
    // Own properties already combined with a merged definition placed before them.
    let mut combined: HashMap<&str, Value> = HashMap::new();
    for (i, piece) in pieces.iter().enumerate() {
        let notes = &mut changes[i];
        for (key, value) in &piece.entries {
            match (key.as_str(), value) {
                ("required", Value::Array(names)) if names.iter().all(Value::is_string) => {
                    out.entry("required").or_insert(Value::Null);
                    for name in names.iter().filter_map(Value::as_str) {
                        if !required.iter().any(|(n, _)| *n == name) {
                            required.push((name, i));
                        }
                    }
                }
                ("properties", Value::Object(properties)) => {
                    let slot = out
                        .entry("properties")
                        .or_insert_with(|| Value::Object(Map::new()));
                    let Some(slot) = slot.as_object_mut() else {
                        if let Some(from) = &piece.from {
                            notes.push(Change::new(from, key, "dropped (overridden)"));
                        }
                        continue;
                    };
                    for (name, schema) in properties {
                        let Some(from) = &piece.from else {
                            let schema = combined
                                .remove(name.as_str())
                                .unwrap_or_else(|| schema.clone());
                            slot.insert(name.clone(), schema);
                            continue;
                        };
                        let earlier = slot
                            .get(name)
                            .or_else(|| own_properties.and_then(|p| p.get(name)));
                        match earlier {
                            None => {
                                slot.insert(name.clone(), schema.clone());
                            }
                            Some(earlier) if earlier == schema => {}
                            Some(earlier) => {
                                let feature = format!("properties: {name}");
                                if rules == Rules::Anthropic {
                                    let both = json!({ "allOf": [earlier, schema] });
                                    notes.push(Change::new(from, feature, "combined with allOf"));
                                    if slot.contains_key(name) {
                                        slot.insert(name.clone(), both);
                                    } else {
                                        combined.insert(name, both);
                                    }
                                } else {
                                    notes.push(Change::new(from, feature, "dropped (overridden)"));
                                }
                            }
                        }
                    }
                }
                ("nullable", _) => {
                    if *value == Value::Bool(true) || !out.contains_key("nullable") {
                        out.insert(key.clone(), value.clone());
                    }
                }
                _ => match &piece.from {
                    None => {
                        out.insert(key.clone(), value.clone());
                    }
                    Some(from) => match out.get(key).or_else(|| own.get(key.as_str()).copied()) {
                        None => {
                            out.insert(key.clone(), value.clone());
                        }
                        Some(earlier) if earlier == value => {}
                        Some(_) => notes.push(Change::new(from, key, "dropped (overridden)")),
                    },
                },
            }
        }
    }
    if out.get("required") == Some(&Value::Null) {
        let properties = out.get("properties").and_then(Value::as_object);
        let mut kept = Vec::with_capacity(required.len());
        for &(name, i) in &required {
            if rules == Rules::Anthropic || properties.is_some_and(|p| p.contains_key(name)) {
                kept.push(Value::from(name));
            } else {
                changes[i].push(Change::new(at, format!("required: {name}"), "dropped"));
            }
        }
        if kept.is_empty() && !required.is_empty() {
            out.retain(|key, _| key != "required");
        } else {
            out.insert("required".into(), Value::Array(kept));
        }
    }
    (out, changes.into_iter().flatten().collect())
}

/// `key: value` as written, for keywords whose value says what was lost.
fn keyword(key: &str, value: &Value) -> String {
    format!("{key}: {}", written(value))
}

/// A value as a person writes it: strings bare, anything else as compact JSON.
fn written(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(Value::to_string).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

fn is_string_array(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|a| a.iter().all(Value::is_string))
}

/// A property name as a JSON pointer token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The JSON pointer a local `$ref` (`#/$defs/Point`) points to; `None` for any other reference.
fn local_pointer(reference: &str) -> Option<String> {
    let fragment = reference.strip_prefix('#')?;
    let pointer = percent_decode(fragment)?;
    (pointer.is_empty() || pointer.starts_with('/')).then_some(pointer)
}

/// Decodes `%XX` escapes of a URI fragment; `None` if malformed or not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests;

/// A top-level union of objects (no `properties` of its own) sent as one object: the branches'
/// properties merged, and required only what every branch requires. A name several branches
/// define takes every schema they give it: string enums joined (a discriminator's values), else
/// the `anyOf` of the distinct schemas. A function's parameters are one object.
pub(super) fn merge_top_union(
    out: &mut Map<String, Value>,
    branches: &[Value],
    changes: &mut Vec<Change>,
) {
    let mut defined: Vec<(String, Vec<Value>)> = Vec::new();
    let mut required: Option<Vec<Value>> = None;
    for b in branches.iter().filter_map(Value::as_object) {
        if let Some(p) = b.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                match defined.iter_mut().find(|(name, _)| name == k) {
                    Some((_, schemas)) if !schemas.contains(v) => schemas.push(v.clone()),
                    Some(_) => {}
                    None => defined.push((k.clone(), vec![v.clone()])),
                }
            }
        }
        let r: Vec<Value> = b
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        required = Some(match required {
            None => r,
            Some(prev) => prev.into_iter().filter(|x| r.contains(x)).collect(),
        });
    }
    let properties = defined
        .into_iter()
        .map(|(name, schemas)| (name, joined(schemas)))
        .collect();
    out.insert("properties".into(), Value::Object(properties));
    match required.filter(|r| !r.is_empty()) {
        Some(r) => {
            out.insert("required".into(), Value::Array(r));
        }
        None => {
            out.remove("required");
        }
    }
    changes.push(Change::new(
        "",
        "anyOf",
        "sent as one object: the branches' properties merged, required only what every branch requires",
    ));
}

/// The schemas a property has in several branches as one: string enums joined, else `anyOf`.
fn joined(mut schemas: Vec<Value>) -> Value {
    if schemas.len() == 1 {
        return schemas.remove(0);
    }
    let enums: Option<Vec<&Vec<Value>>> = schemas
        .iter()
        .map(|s| {
            (s.get("type").is_none_or(|t| t == "string"))
                .then(|| s.get("enum").and_then(Value::as_array))
                .flatten()
        })
        .collect();
    match enums {
        Some(enums) => {
            let mut values: Vec<Value> = Vec::new();
            for v in enums.into_iter().flatten() {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
            json!({ "type": "string", "enum": values })
        }
        None => json!({ "anyOf": schemas }),
    }
}

/// Whether a schema defines no property (none, or `properties: {}`, which tool listings add to
/// every object).
pub(super) fn no_properties(schema: &Map<String, Value>) -> bool {
    schema
        .get("properties")
        .is_none_or(|p| p.as_object().is_some_and(Map::is_empty))
}
