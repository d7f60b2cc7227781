//! Tool schemas as each native provider API takes them: what is converted, and what is lost.
//!
//! MCP tools describe their arguments in JSON Schema (draft-07 or 2020-12). Anthropic's Messages
//! API takes nearly all of it; Gemini's function declarations take a subset of the OpenAPI 3.0
//! Schema object. Each conversion returns the schema to send and one [`Change`] for every feature
//! that is not sent as written, so a report can say what the model was not told.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

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

/// The schema as Anthropic's Messages API takes it in `input_schema`.
///
/// The API takes JSON Schema as it is, except at the top level: it must be `type: object`, and
/// `oneOf`, `anyOf` and `allOf` are refused there. A top-level `allOf` of object schemas is merged
/// into the top level; any other is dropped, like `oneOf` and `anyOf`.
pub(crate) fn anthropic(schema: &Value) -> (Value, Vec<Change>) {
    let Some(top) = schema.as_object() else {
        return not_an_object(schema);
    };
    let mut pieces = Vec::new();
    if !top.contains_key("type") {
        pieces.push(Piece::own(
            vec![("type".into(), "object".into())],
            vec![Change::new("", "type", "set to object")],
        ));
    }
    for (key, value) in top {
        match key.as_str() {
            "type" if value == "object" => pieces.push(Piece::keep(key, value)),
            "type" => pieces.push(Piece::own(
                vec![("type".into(), "object".into())],
                vec![Change::new("", keyword(key, value), "set to object")],
            )),
            "oneOf" | "anyOf" => pieces.push(Piece::dropped("", key)),
            "allOf" => match object_branches(schema, value) {
                Some(branches) => {
                    pieces.push(Piece::note(Change::new(
                        "",
                        "allOf",
                        "merged into the top level",
                    )));
                    for (from, branch) in branches {
                        pieces.push(Piece::merged(from, branch.clone(), vec![]));
                    }
                }
                None => pieces.push(Piece::dropped("", key)),
            },
            _ => pieces.push(Piece::keep(key, value)),
        }
    }
    let (out, changes) = assemble(pieces, "", Rules::Anthropic);
    (Value::Object(out), changes)
}

/// The schema as Gemini's `generateContent` takes it in a function declaration's `parameters`
/// (an OpenAPI 3.0 Schema subset).
///
/// Local `$ref`s are inlined, `oneOf` and `type` arrays become `anyOf` or `nullable`, `allOf` of
/// object schemas is merged, `const` and `examples` take their OpenAPI form, and every other
/// keyword Gemini does not know is dropped. Changes inside a definition are reported once, at the
/// definition.
pub(crate) fn gemini(schema: &Value) -> (Value, Vec<Change>) {
    if !schema.is_object() {
        return not_an_object(schema);
    }
    let mut converter = Gemini {
        root: schema,
        path: Vec::new(),
        nodes: 0,
    };
    let mut changes = Vec::new();
    let mut out = converter
        .schema(schema, "", &mut changes)
        .unwrap_or_default();
    match out.get("type") {
        Some(t) if t == "object" => {}
        Some(t) => {
            changes.push(Change::new("", keyword("type", t), "set to object"));
            out.insert("type".into(), "object".into());
        }
        None => {
            changes.push(Change::new("", "type", "set to object"));
            let rest = std::mem::take(&mut out);
            out.insert("type".into(), "object".into());
            out.extend(rest);
        }
    }
    let mut seen = HashSet::new();
    changes.retain(|c| seen.insert((c.at.clone(), c.feature.clone(), c.action.clone())));
    (Value::Object(out), changes)
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

/// The types Gemini's Schema takes, as JSON Schema writes them.
const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];

/// How deep schemas may nest before a `$ref` is no longer inlined.
const MAX_DEPTH: usize = 64;

/// How many schema objects one conversion may produce before a `$ref` is no longer inlined:
/// references that fan out would otherwise grow the output exponentially.
const MAX_NODES: usize = 10_000;

/// The state of one Gemini conversion.
struct Gemini<'a> {
    /// The whole schema, which local `$ref`s point into.
    root: &'a Value,
    /// Pointers of the schemas being converted, outermost first: a `$ref` to one is a cycle.
    path: Vec<String>,
    /// Schema objects converted so far.
    nodes: usize,
}

impl Gemini<'_> {
    /// Converts the subschema `value` found at `at`; `None` when nothing of it can be sent.
    fn schema(
        &mut self,
        value: &Value,
        at: &str,
        changes: &mut Vec<Change>,
    ) -> Option<Map<String, Value>> {
        match value {
            Value::Object(node) => Some(self.object(node, at, changes)),
            Value::Bool(true) => {
                changes.push(Change::new(at, "true", "sent as {}"));
                Some(Map::new())
            }
            other => {
                changes.push(Change::new(at, written(other), "dropped"));
                None
            }
        }
    }

    /// Converts a schema object keyword by keyword, in the order written.
    fn object(
        &mut self,
        node: &Map<String, Value>,
        at: &str,
        changes: &mut Vec<Change>,
    ) -> Map<String, Value> {
        self.nodes += 1;
        self.path.push(at.to_owned());
        let mut pieces = Vec::new();
        for (key, value) in node {
            self.convert_keyword(node, key, value, at, &mut pieces);
        }
        self.path.pop();
        let (out, notes) = assemble(pieces, at, Rules::Gemini);
        changes.extend(notes);
        out
    }

    /// Converts one keyword of the schema object `node` at `at`.
    fn convert_keyword(
        &mut self,
        node: &Map<String, Value>,
        key: &str,
        value: &Value,
        at: &str,
        pieces: &mut Vec<Piece>,
    ) {
        let piece = match key {
            // Read through `$ref`; never sent, and unused ones are no loss.
            "$defs" | "definitions" => return,
            "type" => convert_type(node, value, at),
            "format" => match value.as_str() {
                Some(format) if format_fits(format, effective_type(node)) => {
                    Piece::keep(key, value)
                }
                _ => Piece::note(Change::new(at, keyword(key, value), "dropped")),
            },
            "enum" => convert_enum(value, at),
            "const" => match value {
                Value::String(_) if !node.contains_key("enum") => Piece::own(
                    vec![("enum".into(), json!([value]))],
                    vec![Change::new(at, keyword(key, value), "sent as enum")],
                ),
                _ => Piece::note(Change::new(at, keyword(key, value), "dropped")),
            },
            "examples" => match value.as_array().and_then(|a| a.first()) {
                Some(first) if !node.contains_key("example") => Piece::own(
                    vec![("example".into(), first.clone())],
                    vec![Change::new(at, key, "sent as example")],
                ),
                _ => Piece::dropped(at, key),
            },
            "properties" => match value.as_object() {
                Some(properties) => self.properties(properties, at),
                None => Piece::dropped(at, key),
            },
            "required" => convert_required(value, at),
            "items" => match value {
                Value::Array(_) => Piece::dropped(at, key),
                _ => {
                    let mut changes = Vec::new();
                    let items = self.schema(value, &format!("{at}/items"), &mut changes);
                    let entries = items
                        .map(|items| vec![("items".into(), Value::Object(items))])
                        .unwrap_or_default();
                    Piece::own(entries, changes)
                }
            },
            "anyOf" | "oneOf" => {
                if key == "oneOf" && node.contains_key("anyOf") {
                    Piece::dropped(at, key)
                } else {
                    self.union(key, value, at, pieces);
                    return;
                }
            }
            "allOf" => {
                self.all_of(value, at, pieces);
                return;
            }
            "$ref" => self.reference(value, at),
            "title" | "description" | "pattern" if value.is_string() => Piece::keep(key, value),
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties"
                if value.is_u64() =>
            {
                Piece::keep(key, value)
            }
            "minimum" | "maximum" if value.is_number() => Piece::keep(key, value),
            "nullable" if value.is_boolean() => Piece::keep(key, value),
            "propertyOrdering" if is_string_array(value) => Piece::keep(key, value),
            "default" | "example" => Piece::keep(key, value),
            _ => Piece::dropped(at, key),
        };
        pieces.push(piece);
    }

    /// Converts each property's schema; the names are kept as written.
    fn properties(&mut self, properties: &Map<String, Value>, at: &str) -> Piece {
        let mut changes = Vec::new();
        let mut out = Map::new();
        for (name, schema) in properties {
            let property_at = format!("{at}/properties/{}", escape(name));
            if let Some(converted) = self.schema(schema, &property_at, &mut changes) {
                out.insert(name.clone(), Value::Object(converted));
            }
        }
        Piece::own(vec![("properties".into(), Value::Object(out))], changes)
    }

    /// Converts `anyOf` or `oneOf`. A `{"type": "null"}` branch becomes `nullable`, and a single
    /// remaining branch is merged into the schema, which is how Gemini writes an optional value.
    fn union(&mut self, key: &str, value: &Value, at: &str, pieces: &mut Vec<Piece>) {
        let Some(branches) = value.as_array().filter(|b| !b.is_empty()) else {
            pieces.push(Piece::dropped(at, key));
            return;
        };
        let mut changes = Vec::new();
        let mut kept = Vec::new();
        let mut nullable = false;
        for (i, branch) in branches.iter().enumerate() {
            let branch_at = format!("{at}/{key}/{i}");
            match branch
                .as_object()
                .filter(|b| b.get("type") == Some(&"null".into()))
            {
                Some(null) => {
                    nullable = true;
                    changes.push(Change::new(&branch_at, "type: null", "sent as nullable"));
                    for other in null.keys().filter(|k| *k != "type") {
                        changes.push(Change::new(&branch_at, other, "dropped"));
                    }
                }
                None => {
                    if let Some(converted) = self.schema(branch, &branch_at, &mut changes) {
                        kept.push((branch_at, converted));
                    }
                }
            }
        }
        let nullable = nullable.then(|| ("nullable".to_owned(), Value::Bool(true)));
        match kept.len() {
            0 => {
                if nullable.is_none() {
                    changes.insert(0, Change::new(at, key, "dropped"));
                }
                pieces.push(Piece::own(nullable.into_iter().collect(), changes));
            }
            1 => {
                if nullable.is_none() {
                    changes.insert(0, Change::new(at, key, "merged"));
                }
                let (from, branch) = kept.remove(0);
                pieces.push(Piece::merged(from, branch, changes));
                pieces.extend(nullable.map(|n| Piece::own(vec![n], vec![])));
            }
            _ => {
                if key == "oneOf" {
                    changes.insert(0, Change::new(at, key, "sent as anyOf"));
                }
                let any_of = kept.into_iter().map(|(_, b)| Value::Object(b)).collect();
                let mut entries = vec![("anyOf".to_owned(), Value::Array(any_of))];
                entries.extend(nullable);
                pieces.push(Piece::own(entries, changes));
            }
        }
    }

    /// Merges an `allOf` of object schemas (or of a single schema) into the schema; drops any
    /// other, which Gemini cannot express.
    fn all_of(&mut self, value: &Value, at: &str, pieces: &mut Vec<Piece>) {
        let Some(branches) = value.as_array().filter(|b| !b.is_empty()) else {
            pieces.push(Piece::dropped(at, "allOf"));
            return;
        };
        let mut converted = Vec::with_capacity(branches.len());
        for (i, branch) in branches.iter().enumerate() {
            let branch_at = format!("{at}/allOf/{i}");
            let mut changes = Vec::new();
            match self.schema(branch, &branch_at, &mut changes) {
                Some(b) => converted.push((branch_at, b, changes)),
                // Whatever else the branches lost goes with the dropped `allOf`.
                None => {
                    pieces.push(Piece::dropped(at, "allOf"));
                    return;
                }
            }
        }
        let mergeable =
            converted.len() == 1 || converted.iter().all(|(_, b, _)| is_object_schema(b));
        if mergeable {
            pieces.push(Piece::note(Change::new(at, "allOf", "merged")));
            pieces.extend(
                converted
                    .into_iter()
                    .map(|(from, b, changes)| Piece::merged(from, b, changes)),
            );
        } else {
            pieces.push(Piece::dropped(at, "allOf"));
        }
    }

    /// Inlines the local definition a `$ref` points to, converted; keywords written beside the
    /// `$ref` win over the definition's.
    fn reference(&mut self, value: &Value, at: &str) -> Piece {
        let feature = keyword("$ref", value);
        let target = value
            .as_str()
            .and_then(local_pointer)
            .and_then(|pointer| self.root.pointer(&pointer).map(|t| (pointer, t)));
        let Some((pointer, target)) = target else {
            return Piece::note(Change::new(at, feature, "dropped"));
        };
        let stand_in = |action: &str| {
            let object = Map::from_iter([("type".to_owned(), Value::from("object"))]);
            Piece::merged(
                pointer.clone(),
                object,
                vec![Change::new(at, &feature, action)],
            )
        };
        if self.path.contains(&pointer) {
            return stand_in("dropped (recursive)");
        }
        if self.path.len() >= MAX_DEPTH {
            return stand_in("dropped (nested too deep)");
        }
        if self.nodes >= MAX_NODES {
            return stand_in("dropped (too many references)");
        }
        let mut changes = vec![Change::new(at, &feature, "inlined")];
        match self.schema(target, &pointer, &mut changes) {
            Some(inlined) => Piece::merged(pointer, inlined, changes),
            None => Piece::own(vec![], changes),
        }
    }
}

/// Converts `type`: a type Gemini knows is kept, `null` with one other becomes `nullable`,
/// several become `anyOf`.
fn convert_type(node: &Map<String, Value>, value: &Value, at: &str) -> Piece {
    let feature = keyword("type", value);
    let dropped = || Piece::note(Change::new(at, &feature, "dropped"));
    let names = match value {
        Value::String(name) if TYPES.contains(&name.as_str()) => return Piece::keep("type", value),
        Value::Array(names) => names.iter().map(Value::as_str).collect::<Option<Vec<_>>>(),
        _ => None,
    };
    let Some(names) = names.filter(|n| n.iter().all(|t| *t == "null" || TYPES.contains(t))) else {
        return dropped();
    };
    let nullable = names.contains(&"null");
    let mut types: Vec<&str> = Vec::new();
    for name in names {
        if name != "null" && !types.contains(&name) {
            types.push(name);
        }
    }
    let (mut entries, action) = match types.as_slice() {
        [] => return dropped(),
        [one] => {
            let action = if nullable {
                "sent as nullable"
            } else {
                "sent as a single type"
            };
            (vec![("type".to_owned(), Value::from(*one))], action)
        }
        _ if node.contains_key("anyOf") || node.contains_key("oneOf") => return dropped(),
        several => {
            let any_of = several.iter().map(|t| json!({ "type": t })).collect();
            let action = if nullable {
                "sent as nullable anyOf"
            } else {
                "sent as anyOf"
            };
            (vec![("anyOf".to_owned(), Value::Array(any_of))], action)
        }
    };
    if nullable {
        entries.push(("nullable".into(), Value::Bool(true)));
    }
    Piece::own(entries, vec![Change::new(at, feature, action)])
}

/// Converts `enum`: Gemini takes strings only, and a `null` among them as `nullable`.
fn convert_enum(value: &Value, at: &str) -> Piece {
    let Some(values) = value.as_array() else {
        return Piece::dropped(at, "enum");
    };
    if values.iter().all(Value::is_string) {
        return Piece::keep("enum", value);
    }
    let strings: Vec<Value> = values.iter().filter(|v| v.is_string()).cloned().collect();
    if strings.is_empty() || values.iter().any(|v| !v.is_string() && !v.is_null()) {
        return Piece::dropped(at, "enum");
    }
    Piece::own(
        vec![
            ("enum".into(), Value::Array(strings)),
            ("nullable".into(), Value::Bool(true)),
        ],
        vec![Change::new(at, "enum", "sent as nullable")],
    )
}

/// Converts `required`; names without a property are removed once the schema is assembled.
fn convert_required(value: &Value, at: &str) -> Piece {
    let Some(names) = value.as_array() else {
        return Piece::dropped(at, "required");
    };
    let changes = names
        .iter()
        .filter(|n| !n.is_string())
        .map(|n| Change::new(at, keyword("required", n), "dropped"))
        .collect();
    let kept = names.iter().filter(|n| n.is_string()).cloned().collect();
    Piece::own(vec![("required".into(), Value::Array(kept))], changes)
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

/// Whether Gemini takes `format` for a schema of type `ty`.
fn format_fits(format: &str, ty: Option<&str>) -> bool {
    matches!(
        (ty, format),
        (Some("string"), "enum" | "date-time")
            | (Some("integer"), "int32" | "int64")
            | (Some("number"), "float" | "double")
    )
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
mod tests {
    use super::*;

    fn c(at: &str, feature: &str, action: &str) -> Change {
        Change::new(at, feature, action)
    }

    /// The schema as Gemini takes it, and its changes as `(at, feature, action)`.
    fn g(schema: Value) -> (Value, Vec<(String, String, String)>) {
        let (out, changes) = gemini(&schema);
        (out, triples(changes))
    }

    fn a(schema: Value) -> (Value, Vec<(String, String, String)>) {
        let (out, changes) = anthropic(&schema);
        (out, triples(changes))
    }

    fn triples(changes: Vec<Change>) -> Vec<(String, String, String)> {
        changes
            .into_iter()
            .map(|c| (c.at, c.feature, c.action))
            .collect()
    }

    fn t(at: &str, feature: &str, action: &str) -> (String, String, String) {
        (at.into(), feature.into(), action.into())
    }

    /// Gemini's changes for one property schema, `/properties/p`, and what it became.
    fn prop(schema: Value) -> (Value, Vec<(String, String, String)>) {
        let (out, changes) = g(json!({ "type": "object", "properties": { "p": schema } }));
        (out["properties"]["p"].clone(), changes)
    }

    #[test]
    fn describe_names_the_feature_the_place_and_the_action() {
        assert_eq!(
            c("/properties/to", "format: email", "dropped").describe(),
            "`format: email` at /properties/to dropped"
        );
        assert_eq!(
            c("", "oneOf", "dropped").describe(),
            "`oneOf` at the top level dropped"
        );
    }

    #[test]
    fn a_change_round_trips_through_json() {
        let change = c("/properties/when", "$ref: #/$defs/Point", "inlined");
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            text,
            r##"{"at":"/properties/when","feature":"$ref: #/$defs/Point","action":"inlined"}"##
        );
        assert_eq!(serde_json::from_str::<Change>(&text).unwrap(), change);
    }

    // Anthropic

    #[test]
    fn anthropic_takes_a_plain_schema_as_it_is() {
        let schema = json!({
            "type": "object",
            "description": "Send a message.",
            "properties": {
                "to": { "type": "string", "format": "email" },
                "body": { "oneOf": [{ "type": "string" }, { "$ref": "#/$defs/Rich" }] },
                "tags": { "type": "array", "items": { "type": "string" }, "uniqueItems": true },
                "at": { "type": ["string", "null"], "format": "date-time" }
            },
            "required": ["to", "body"],
            "additionalProperties": false,
            "$defs": { "Rich": { "type": "object", "properties": { "html": { "type": "string" } } } }
        });
        let (out, changes) = anthropic(&schema);
        assert_eq!(changes, vec![]);
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            serde_json::to_string(&schema).unwrap(),
            "same keys in the same order"
        );
    }

    #[test]
    fn anthropic_drops_top_level_one_of_and_any_of() {
        let (out, changes) = a(json!({
            "type": "object",
            "properties": { "id": { "type": "string" }, "name": { "type": "string" } },
            "oneOf": [{ "required": ["id"] }, { "required": ["name"] }],
            "anyOf": [{ "required": ["id"] }]
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": { "id": { "type": "string" }, "name": { "type": "string" } }
            })
        );
        assert_eq!(
            changes,
            vec![t("", "oneOf", "dropped"), t("", "anyOf", "dropped")]
        );
    }

    #[test]
    fn anthropic_merges_a_top_level_all_of_of_objects() {
        let (out, changes) = a(json!({
            "type": "object",
            "allOf": [
                { "type": "object", "properties": { "page": { "type": "integer" } } },
                { "$ref": "#/$defs/Query" }
            ],
            "properties": { "verbose": { "type": "boolean" } },
            "required": ["verbose"],
            "$defs": {
                "Query": {
                    "type": "object",
                    "description": "A search.",
                    "properties": { "q": { "type": "string" } },
                    "required": ["q"]
                }
            }
        }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            serde_json::to_string(&json!({
                "type": "object",
                "properties": {
                    "page": { "type": "integer" },
                    "q": { "type": "string" },
                    "verbose": { "type": "boolean" }
                },
                "description": "A search.",
                "required": ["q", "verbose"],
                "$defs": {
                    "Query": {
                        "type": "object",
                        "description": "A search.",
                        "properties": { "q": { "type": "string" } },
                        "required": ["q"]
                    }
                }
            }))
            .unwrap()
        );
        assert_eq!(changes, vec![t("", "allOf", "merged into the top level")]);
    }

    #[test]
    fn anthropic_sends_a_property_defined_twice_as_the_all_of_of_both() {
        let (out, changes) = a(json!({
            "type": "object",
            "properties": { "n": { "type": "integer" } },
            "allOf": [
                { "properties": { "n": { "minimum": 1 }, "m": { "type": "string" } } },
                { "properties": { "m": { "type": "string" } }, "description": "Mixin." }
            ],
            "description": "Own."
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "n": { "allOf": [{ "type": "integer" }, { "minimum": 1 }] },
                    "m": { "type": "string" }
                },
                "description": "Own."
            })
        );
        assert_eq!(
            changes,
            vec![
                t("", "allOf", "merged into the top level"),
                t("/allOf/0", "properties: n", "combined with allOf"),
                t("/allOf/1", "description", "dropped (overridden)"),
            ]
        );
    }

    #[test]
    fn anthropic_drops_a_top_level_all_of_that_is_not_all_objects() {
        let (out, changes) = a(json!({
            "type": "object",
            "properties": { "x": { "type": "number" } },
            "allOf": [{ "properties": { "x": {} } }, { "not": { "required": ["x"] } }]
        }));
        assert_eq!(
            out,
            json!({ "type": "object", "properties": { "x": { "type": "number" } } })
        );
        assert_eq!(changes, vec![t("", "allOf", "dropped")]);
    }

    #[test]
    fn anthropic_sets_the_top_level_type_to_object() {
        let (out, changes) = a(json!({ "properties": { "x": { "type": "string" } } }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"type":"object","properties":{"x":{"type":"string"}}}"#
        );
        assert_eq!(changes, vec![t("", "type", "set to object")]);

        let (out, changes) = a(json!({ "description": "d", "type": ["object", "null"] }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"description":"d","type":"object"}"#
        );
        assert_eq!(
            changes,
            vec![t("", r#"type: ["object", "null"]"#, "set to object")]
        );
    }

    #[test]
    fn a_schema_that_is_not_an_object_is_replaced() {
        for convert in [anthropic, gemini] {
            let (out, changes) = convert(&json!(true));
            assert_eq!(out, json!({ "type": "object" }));
            assert_eq!(
                changes,
                vec![c("", "true", "replaced by {\"type\": \"object\"}")]
            );
        }
    }

    // Gemini

    #[test]
    fn gemini_takes_a_schema_of_supported_keywords_as_it_is() {
        let schema = json!({
            "type": "object",
            "title": "Query",
            "description": "Search the logs.",
            "properties": {
                "service": { "type": "string", "enum": ["checkout", "payments"], "default": "checkout" },
                "since": { "type": "string", "format": "date-time", "example": "2026-11-30T13:52:00Z" },
                "limit": { "type": "integer", "format": "int32", "minimum": 1, "maximum": 500 },
                "ratio": { "type": "number", "format": "double", "nullable": true },
                "level": { "type": "string", "format": "enum", "enum": ["info", "error"] },
                "text": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[a-z]+$" },
                "ids": { "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 10 },
                "filter": {
                    "type": "object",
                    "properties": { "key": { "type": "string" } },
                    "required": ["key"],
                    "minProperties": 1,
                    "maxProperties": 3,
                    "propertyOrdering": ["key"]
                },
                "either": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
                "anything": {}
            },
            "required": ["service"]
        });
        let (out, changes) = gemini(&schema);
        assert_eq!(changes, vec![]);
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            serde_json::to_string(&schema).unwrap(),
            "same keys in the same order"
        );
    }

    #[test]
    fn property_names_that_look_like_keywords_are_names() {
        let schema = json!({
            "type": "object",
            "properties": {
                "format": { "type": "string" },
                "$ref": { "type": "string" },
                "additionalProperties": { "type": "boolean" },
                "$defs": { "type": "string" },
                "not": { "type": "string", "default": { "format": "email", "$ref": "#/x" } }
            },
            "required": ["format", "$ref", "additionalProperties", "$defs", "not"]
        });
        for convert in [anthropic, gemini] {
            let (out, changes) = convert(&schema);
            assert_eq!(changes, vec![]);
            assert_eq!(out, schema);
        }
    }

    #[test]
    fn data_is_never_read_as_schema() {
        let (out, changes) = prop(json!({
            "type": "object",
            "default": { "format": "email", "oneOf": [1], "$ref": "#/nowhere" },
            "example": { "additionalProperties": false },
            "enum": ["{\"$ref\": \"#\"}"]
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "default": { "format": "email", "oneOf": [1], "$ref": "#/nowhere" },
                "example": { "additionalProperties": false },
                "enum": ["{\"$ref\": \"#\"}"]
            })
        );
        assert_eq!(changes, vec![]);
    }

    #[test]
    fn formats_are_kept_only_where_gemini_takes_them() {
        let cases = [
            ("string", "date-time", true),
            ("string", "enum", true),
            ("integer", "int32", true),
            ("integer", "int64", true),
            ("number", "float", true),
            ("number", "double", true),
            ("string", "email", false),
            ("string", "uri", false),
            ("string", "date", false),
            ("string", "uuid", false),
            ("number", "int32", false),
            ("integer", "double", false),
            ("string", "int64", false),
        ];
        for (ty, format, kept) in cases {
            let (out, changes) = prop(json!({ "type": ty, "format": format }));
            if kept {
                assert_eq!(
                    out,
                    json!({ "type": ty, "format": format }),
                    "{ty} {format}"
                );
                assert_eq!(changes, vec![], "{ty} {format}");
            } else {
                assert_eq!(out, json!({ "type": ty }), "{ty} {format}");
                assert_eq!(
                    changes,
                    vec![t("/properties/p", &format!("format: {format}"), "dropped")]
                );
            }
        }
        let (out, changes) = prop(json!({ "type": ["string", "null"], "format": "date-time" }));
        assert_eq!(
            out,
            json!({ "type": "string", "nullable": true, "format": "date-time" })
        );
        assert_eq!(
            changes,
            vec![t(
                "/properties/p",
                r#"type: ["string", "null"]"#,
                "sent as nullable"
            )]
        );
        let (out, changes) = prop(json!({ "format": "date-time" }));
        assert_eq!(out, json!({}));
        assert_eq!(
            changes,
            vec![t("/properties/p", "format: date-time", "dropped")]
        );
    }

    #[test]
    fn type_arrays_become_nullable_or_any_of() {
        let (out, changes) = prop(json!({ "type": ["string", "null"], "description": "d" }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"type":"string","nullable":true,"description":"d"}"#
        );
        assert_eq!(
            changes,
            vec![t(
                "/properties/p",
                r#"type: ["string", "null"]"#,
                "sent as nullable"
            )]
        );

        let (out, changes) = prop(json!({ "type": ["string", "integer"] }));
        assert_eq!(
            out,
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })
        );
        assert_eq!(
            changes,
            vec![t(
                "/properties/p",
                r#"type: ["string", "integer"]"#,
                "sent as anyOf"
            )]
        );

        let (out, changes) = prop(json!({ "type": ["null", "string", "integer"] }));
        assert_eq!(
            out,
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }], "nullable": true })
        );
        assert_eq!(
            changes,
            vec![t(
                "/properties/p",
                r#"type: ["null", "string", "integer"]"#,
                "sent as nullable anyOf"
            )]
        );

        let (out, changes) = prop(json!({ "type": ["boolean"] }));
        assert_eq!(out, json!({ "type": "boolean" }));
        assert_eq!(
            changes,
            vec![t(
                "/properties/p",
                r#"type: ["boolean"]"#,
                "sent as a single type"
            )]
        );
    }

    #[test]
    fn types_gemini_cannot_take_are_dropped() {
        for (ty, feature) in [
            (json!("null"), "type: null"),
            (json!(["null"]), r#"type: ["null"]"#),
            (json!("any"), "type: any"),
            (json!(["string", "date"]), r#"type: ["string", "date"]"#),
            (json!([]), "type: []"),
            (json!(3), "type: 3"),
        ] {
            let (out, changes) = prop(json!({ "type": ty, "description": "d" }));
            assert_eq!(out, json!({ "description": "d" }), "{feature}");
            assert_eq!(changes, vec![t("/properties/p", feature, "dropped")]);
        }
        let (out, changes) = prop(json!({
            "type": ["string", "integer"],
            "anyOf": [{ "minimum": 0 }, { "minLength": 1 }]
        }));
        assert_eq!(
            out,
            json!({ "anyOf": [{ "minimum": 0 }, { "minLength": 1 }] })
        );
        assert_eq!(
            changes,
            vec![t(
                "/properties/p",
                r#"type: ["string", "integer"]"#,
                "dropped"
            )]
        );
    }

    #[test]
    fn one_of_is_sent_as_any_of() {
        let (out, changes) = prop(json!({
            "description": "A point or a name.",
            "oneOf": [
                { "type": "string", "format": "email" },
                { "type": "object", "properties": { "x": { "type": "number" } }, "additionalProperties": false }
            ]
        }));
        assert_eq!(
            out,
            json!({
                "description": "A point or a name.",
                "anyOf": [
                    { "type": "string" },
                    { "type": "object", "properties": { "x": { "type": "number" } } }
                ]
            })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/p", "oneOf", "sent as anyOf"),
                t("/properties/p/oneOf/0", "format: email", "dropped"),
                t("/properties/p/oneOf/1", "additionalProperties", "dropped"),
            ]
        );
    }

    #[test]
    fn a_null_branch_becomes_nullable_and_a_lone_branch_is_merged() {
        // How pydantic writes `Optional[str] = None`.
        let (out, changes) = prop(json!({
            "anyOf": [{ "type": "string" }, { "type": "null" }],
            "default": null,
            "title": "Name"
        }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"type":"string","nullable":true,"default":null,"title":"Name"}"#
        );
        assert_eq!(
            changes,
            vec![t("/properties/p/anyOf/1", "type: null", "sent as nullable")]
        );

        let (out, changes) = prop(json!({
            "oneOf": [{ "type": "integer" }, { "type": "string" }, { "type": "null" }]
        }));
        assert_eq!(
            out,
            json!({ "anyOf": [{ "type": "integer" }, { "type": "string" }], "nullable": true })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/p", "oneOf", "sent as anyOf"),
                t("/properties/p/oneOf/2", "type: null", "sent as nullable"),
            ]
        );

        let (out, changes) = prop(json!({ "oneOf": [{ "type": "integer", "minimum": 0 }] }));
        assert_eq!(out, json!({ "type": "integer", "minimum": 0 }));
        assert_eq!(changes, vec![t("/properties/p", "oneOf", "merged")]);

        let (out, changes) = prop(json!({ "anyOf": [] }));
        assert_eq!(out, json!({}));
        assert_eq!(changes, vec![t("/properties/p", "anyOf", "dropped")]);
    }

    #[test]
    fn one_of_beside_any_of_is_dropped() {
        let (out, changes) = prop(json!({
            "anyOf": [{ "type": "string" }, { "type": "integer" }],
            "oneOf": [{ "minimum": 1 }, { "maximum": 0 }]
        }));
        assert_eq!(
            out,
            json!({ "anyOf": [{ "type": "string" }, { "type": "integer" }] })
        );
        assert_eq!(changes, vec![t("/properties/p", "oneOf", "dropped")]);
    }

    #[test]
    fn all_of_of_objects_is_merged() {
        let (out, changes) = prop(json!({
            "allOf": [
                {
                    "type": "object",
                    "description": "Paging.",
                    "properties": { "page": { "type": "integer", "format": "uint32" } },
                    "required": ["page"]
                },
                {
                    "properties": { "q": { "type": "string" } },
                    "required": ["q"],
                    "additionalProperties": false
                }
            ],
            "required": ["extra"]
        }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            serde_json::to_string(&json!({
                "type": "object",
                "description": "Paging.",
                "properties": { "page": { "type": "integer" }, "q": { "type": "string" } },
                "required": ["page", "q"]
            }))
            .unwrap()
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/p", "allOf", "merged"),
                t(
                    "/properties/p/allOf/0/properties/page",
                    "format: uint32",
                    "dropped"
                ),
                t("/properties/p/allOf/1", "additionalProperties", "dropped"),
                t("/properties/p", "required: extra", "dropped"),
            ]
        );
    }

    #[test]
    fn all_of_keeps_the_schemas_own_keywords_and_the_first_definition() {
        let (out, changes) = prop(json!({
            "description": "Own.",
            "allOf": [
                { "type": "object", "description": "First.", "properties": { "a": { "type": "string" } } },
                { "type": "object", "properties": { "a": { "type": "integer" }, "b": { "type": "string" } } }
            ]
        }));
        assert_eq!(
            out,
            json!({
                "description": "Own.",
                "type": "object",
                "properties": { "a": { "type": "string" }, "b": { "type": "string" } }
            })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/p", "allOf", "merged"),
                t(
                    "/properties/p/allOf/0",
                    "description",
                    "dropped (overridden)"
                ),
                t(
                    "/properties/p/allOf/1",
                    "properties: a",
                    "dropped (overridden)"
                ),
            ]
        );
    }

    #[test]
    fn all_of_that_is_not_all_objects_is_dropped() {
        let (out, changes) = prop(json!({
            "type": "string",
            "allOf": [{ "minLength": 1 }, { "format": "email" }]
        }));
        assert_eq!(out, json!({ "type": "string" }));
        assert_eq!(changes, vec![t("/properties/p", "allOf", "dropped")]);

        let (out, changes) = prop(json!({ "allOf": [{ "type": "object" }, false] }));
        assert_eq!(out, json!({}));
        assert_eq!(changes, vec![t("/properties/p", "allOf", "dropped")]);
    }

    #[test]
    fn a_lone_all_of_branch_is_merged_whatever_it_is() {
        // How pydantic v1 writes a described field of an enum type.
        let (out, changes) = g(json!({
            "type": "object",
            "properties": {
                "color": { "description": "The color.", "allOf": [{ "$ref": "#/definitions/Color" }] }
            },
            "definitions": {
                "Color": { "title": "Color", "description": "An enumeration.", "enum": ["red", "green"], "type": "string" }
            }
        }));
        assert_eq!(
            out["properties"]["color"],
            json!({ "description": "The color.", "title": "Color", "enum": ["red", "green"], "type": "string" })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/color", "allOf", "merged"),
                t(
                    "/properties/color/allOf/0",
                    "$ref: #/definitions/Color",
                    "inlined"
                ),
                // Reported where the definition was merged, not where it was written.
                t(
                    "/properties/color/allOf/0",
                    "description",
                    "dropped (overridden)"
                ),
            ]
        );
    }

    #[test]
    fn local_refs_are_inlined_and_their_definitions_removed() {
        let (out, changes) = g(json!({
            "type": "object",
            "properties": {
                "from": { "$ref": "#/$defs/Point" },
                "to": { "$ref": "#/$defs/Point", "description": "Where to." },
                "inner": { "$ref": "#/$defs/Shape/properties/center" },
                "legacy": { "$ref": "#/definitions/Size" },
                "escaped": { "$ref": "#/$defs/a~1b%20c" }
            },
            "$defs": {
                "Point": {
                    "type": "object",
                    "description": "A point.",
                    "properties": { "x": { "type": "number" }, "y": { "type": "number" } },
                    "required": ["x", "y"]
                },
                "Shape": { "type": "object", "properties": { "center": { "type": "string", "format": "email" } } },
                "a/b c": { "type": "boolean" },
                "Unused": { "type": "string", "format": "email" }
            },
            "definitions": { "Size": { "type": "integer", "exclusiveMinimum": 0 } }
        }));
        let point = json!({
            "type": "object",
            "description": "A point.",
            "properties": { "x": { "type": "number" }, "y": { "type": "number" } },
            "required": ["x", "y"]
        });
        let mut to = point.clone();
        to["description"] = json!("Where to.");
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "from": point,
                    "to": to,
                    "inner": { "type": "string" },
                    "legacy": { "type": "integer" },
                    "escaped": { "type": "boolean" }
                }
            })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/from", "$ref: #/$defs/Point", "inlined"),
                t("/properties/to", "$ref: #/$defs/Point", "inlined"),
                t("/$defs/Point", "description", "dropped (overridden)"),
                t(
                    "/properties/inner",
                    "$ref: #/$defs/Shape/properties/center",
                    "inlined"
                ),
                t("/$defs/Shape/properties/center", "format: email", "dropped"),
                t("/properties/legacy", "$ref: #/definitions/Size", "inlined"),
                t("/definitions/Size", "exclusiveMinimum", "dropped"),
                t("/properties/escaped", "$ref: #/$defs/a~1b%20c", "inlined"),
            ]
        );
    }

    #[test]
    fn an_optional_reference_becomes_the_nullable_definition() {
        // How pydantic v2 writes `Optional[Color] = None`.
        let (out, changes) = g(json!({
            "type": "object",
            "properties": {
                "color": {
                    "anyOf": [{ "$ref": "#/$defs/Color" }, { "type": "null" }],
                    "default": null,
                    "description": "Paint color."
                }
            },
            "$defs": { "Color": { "enum": ["red", "green"], "title": "Color", "type": "string" } }
        }));
        assert_eq!(
            serde_json::to_string(&out["properties"]["color"]).unwrap(),
            r#"{"enum":["red","green"],"title":"Color","type":"string","nullable":true,"default":null,"description":"Paint color."}"#
        );
        assert_eq!(
            changes,
            vec![
                t(
                    "/properties/color/anyOf/0",
                    "$ref: #/$defs/Color",
                    "inlined"
                ),
                t(
                    "/properties/color/anyOf/1",
                    "type: null",
                    "sent as nullable"
                ),
            ]
        );
    }

    #[test]
    fn a_schema_that_is_a_reference_is_inlined_at_the_top() {
        let (out, changes) = g(json!({
            "$ref": "#/$defs/Input",
            "$defs": {
                "Input": { "type": "object", "properties": { "q": { "type": "string" } }, "required": ["q"] }
            }
        }));
        assert_eq!(
            out,
            json!({ "type": "object", "properties": { "q": { "type": "string" } }, "required": ["q"] })
        );
        assert_eq!(changes, vec![t("", "$ref: #/$defs/Input", "inlined")]);
    }

    #[test]
    fn changes_inside_a_definition_are_reported_once() {
        let (_, changes) = g(json!({
            "type": "object",
            "properties": {
                "a": { "$ref": "#/$defs/Mail" },
                "b": { "type": "array", "items": { "$ref": "#/$defs/Mail" } }
            },
            "$defs": { "Mail": { "type": "string", "format": "email" } }
        }));
        assert_eq!(
            changes,
            vec![
                t("/properties/a", "$ref: #/$defs/Mail", "inlined"),
                t("/$defs/Mail", "format: email", "dropped"),
                t("/properties/b/items", "$ref: #/$defs/Mail", "inlined"),
            ]
        );
    }

    #[test]
    fn refs_that_cannot_be_resolved_are_dropped() {
        for reference in [
            "#/$defs/Missing",
            "https://example.com/schema.json#/$defs/Point",
            "other.json",
            "#anchor",
            "#/$defs/%zz",
        ] {
            let (out, changes) = prop(json!({ "$ref": reference, "description": "d" }));
            assert_eq!(out, json!({ "description": "d" }), "{reference}");
            assert_eq!(
                changes,
                vec![t("/properties/p", &format!("$ref: {reference}"), "dropped")]
            );
        }
    }

    #[test]
    fn a_recursive_ref_is_cut_with_an_object() {
        let (out, changes) = g(json!({
            "type": "object",
            "properties": { "root": { "$ref": "#/$defs/Node" } },
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string" },
                        "children": { "type": "array", "items": { "$ref": "#/$defs/Node" } },
                        "parent": { "$ref": "#", "description": "The whole request." }
                    }
                }
            }
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "root": {
                        "type": "object",
                        "properties": {
                            "name": { "type": "string" },
                            "children": { "type": "array", "items": { "type": "object" } },
                            "parent": { "type": "object", "description": "The whole request." }
                        }
                    }
                }
            })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/root", "$ref: #/$defs/Node", "inlined"),
                t(
                    "/$defs/Node/properties/children/items",
                    "$ref: #/$defs/Node",
                    "dropped (recursive)"
                ),
                t(
                    "/$defs/Node/properties/parent",
                    "$ref: #",
                    "dropped (recursive)"
                ),
            ]
        );
    }

    #[test]
    fn mutually_recursive_refs_are_cut_where_they_loop() {
        let (out, changes) = g(json!({
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/A" } },
            "$defs": {
                "A": { "type": "object", "properties": { "b": { "$ref": "#/$defs/B" } } },
                "B": { "type": "object", "properties": { "a": { "$ref": "#/$defs/A" } } }
            }
        }));
        assert_eq!(
            out["properties"]["a"],
            json!({
                "type": "object",
                "properties": {
                    "b": { "type": "object", "properties": { "a": { "type": "object" } } }
                }
            })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/a", "$ref: #/$defs/A", "inlined"),
                t("/$defs/A/properties/b", "$ref: #/$defs/B", "inlined"),
                t(
                    "/$defs/B/properties/a",
                    "$ref: #/$defs/A",
                    "dropped (recursive)"
                ),
            ]
        );
    }

    #[test]
    fn refs_that_fan_out_stop_growing_the_schema() {
        // Each level refers to the next twice: 2^40 copies if inlined in full.
        let mut defs = Map::new();
        for level in 0..40 {
            let next = json!({ "$ref": format!("#/$defs/L{}", level + 1) });
            defs.insert(
                format!("L{level}"),
                json!({ "type": "object", "properties": { "left": next, "right": next } }),
            );
        }
        defs.insert("L40".into(), json!({ "type": "string" }));
        let (out, changes) = gemini(&json!({
            "type": "object",
            "properties": { "tree": { "$ref": "#/$defs/L0" } },
            "$defs": defs
        }));
        assert_eq!(out["type"], "object");
        assert!(
            changes
                .iter()
                .any(|c| c.action == "dropped (too many references)"),
            "{changes:?}"
        );
        assert!(changes.len() < 200, "{} changes", changes.len());
    }

    #[test]
    fn const_is_sent_as_enum_when_it_is_a_string() {
        let (out, changes) = prop(json!({ "type": "string", "const": "utf-8" }));
        assert_eq!(out, json!({ "type": "string", "enum": ["utf-8"] }));
        assert_eq!(
            changes,
            vec![t("/properties/p", "const: utf-8", "sent as enum")]
        );

        let (out, changes) = prop(json!({ "type": "integer", "const": 3 }));
        assert_eq!(out, json!({ "type": "integer" }));
        assert_eq!(changes, vec![t("/properties/p", "const: 3", "dropped")]);

        let (out, changes) = prop(json!({ "const": "a", "enum": ["a", "b"] }));
        assert_eq!(out, json!({ "enum": ["a", "b"] }));
        assert_eq!(changes, vec![t("/properties/p", "const: a", "dropped")]);
    }

    #[test]
    fn enum_takes_strings_only() {
        let (out, changes) = prop(json!({ "type": "integer", "enum": [1, 2, 3] }));
        assert_eq!(out, json!({ "type": "integer" }));
        assert_eq!(changes, vec![t("/properties/p", "enum", "dropped")]);

        let (out, changes) = prop(json!({ "enum": ["a", 1] }));
        assert_eq!(out, json!({}));
        assert_eq!(changes, vec![t("/properties/p", "enum", "dropped")]);

        let (out, changes) = prop(json!({ "type": "string", "enum": ["asc", "desc", null] }));
        assert_eq!(
            out,
            json!({ "type": "string", "enum": ["asc", "desc"], "nullable": true })
        );
        assert_eq!(
            changes,
            vec![t("/properties/p", "enum", "sent as nullable")]
        );
    }

    #[test]
    fn additional_properties_is_dropped_whatever_its_value() {
        for value in [json!(false), json!(true), json!({ "type": "string" })] {
            let (out, changes) = prop(json!({ "type": "object", "additionalProperties": value }));
            assert_eq!(out, json!({ "type": "object" }));
            assert_eq!(
                changes,
                vec![t("/properties/p", "additionalProperties", "dropped")]
            );
        }
    }

    #[test]
    fn examples_is_sent_as_its_first_example() {
        let (out, changes) = prop(json!({ "type": "string", "examples": ["a", "b"] }));
        assert_eq!(out, json!({ "type": "string", "example": "a" }));
        assert_eq!(
            changes,
            vec![t("/properties/p", "examples", "sent as example")]
        );

        let (out, changes) = prop(json!({ "examples": [] }));
        assert_eq!(out, json!({}));
        assert_eq!(changes, vec![t("/properties/p", "examples", "dropped")]);

        let (out, changes) = prop(json!({ "example": "x", "examples": ["y"] }));
        assert_eq!(out, json!({ "example": "x" }));
        assert_eq!(changes, vec![t("/properties/p", "examples", "dropped")]);
    }

    #[test]
    fn every_unsupported_keyword_is_dropped_once_in_order() {
        let keywords = [
            "exclusiveMinimum",
            "exclusiveMaximum",
            "not",
            "if",
            "then",
            "else",
            "patternProperties",
            "propertyNames",
            "uniqueItems",
            "multipleOf",
            "contains",
            "prefixItems",
            "dependentRequired",
            "readOnly",
            "writeOnly",
            "deprecated",
            "$comment",
            "$id",
            "$anchor",
            "contentMediaType",
            "contentEncoding",
            "x-vendor",
        ];
        let mut schema = Map::from_iter([("type".to_owned(), json!("number"))]);
        for k in keywords {
            schema.insert(k.to_owned(), json!(1));
        }
        let (out, changes) = prop(Value::Object(schema));
        assert_eq!(out, json!({ "type": "number" }));
        let expected: Vec<_> = keywords
            .iter()
            .map(|k| t("/properties/p", k, "dropped"))
            .collect();
        assert_eq!(changes, expected);
    }

    #[test]
    fn supported_keywords_with_values_gemini_cannot_take_are_dropped() {
        let (out, changes) = prop(json!({
            "type": "string",
            "description": 3,
            "minLength": -1,
            "maximum": "10",
            "nullable": "yes"
        }));
        assert_eq!(out, json!({ "type": "string" }));
        assert_eq!(
            changes,
            vec![
                t("/properties/p", "description", "dropped"),
                t("/properties/p", "minLength", "dropped"),
                t("/properties/p", "maximum", "dropped"),
                t("/properties/p", "nullable", "dropped"),
            ]
        );
    }

    #[test]
    fn tuple_items_are_dropped() {
        let (out, changes) = prop(json!({
            "type": "array",
            "items": [{ "type": "number" }, { "type": "number" }],
            "minItems": 2
        }));
        assert_eq!(out, json!({ "type": "array", "minItems": 2 }));
        assert_eq!(changes, vec![t("/properties/p", "items", "dropped")]);
    }

    #[test]
    fn boolean_subschemas() {
        let (out, changes) = g(json!({
            "type": "object",
            "properties": { "any": true, "never": false, "list": { "type": "array", "items": true } },
            "required": ["never"]
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": { "any": {}, "list": { "type": "array", "items": {} } }
            })
        );
        assert_eq!(
            changes,
            vec![
                t("/properties/any", "true", "sent as {}"),
                t("/properties/never", "false", "dropped"),
                t("/properties/list/items", "true", "sent as {}"),
                t("", "required: never", "dropped"),
            ]
        );
    }

    #[test]
    fn required_keeps_only_names_with_a_property() {
        let (out, changes) = g(json!({
            "type": "object",
            "required": ["a", "ghost", 7],
            "properties": { "a": { "type": "string" } }
        }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"type":"object","required":["a"],"properties":{"a":{"type":"string"}}}"#
        );
        assert_eq!(
            changes,
            vec![
                t("", "required: 7", "dropped"),
                t("", "required: ghost", "dropped")
            ]
        );

        let (out, changes) = prop(json!({ "type": "object", "required": ["ghost"] }));
        assert_eq!(out, json!({ "type": "object" }));
        assert_eq!(
            changes,
            vec![t("/properties/p", "required: ghost", "dropped")]
        );

        let (out, changes) = g(json!({ "type": "object", "properties": {}, "required": [] }));
        assert_eq!(
            out,
            json!({ "type": "object", "properties": {}, "required": [] })
        );
        assert_eq!(changes, vec![]);
    }

    #[test]
    fn nested_arrays_of_objects_are_converted_all_the_way_down() {
        let (out, changes) = g(json!({
            "type": "object",
            "properties": {
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "cell": { "type": ["string", "null"], "format": "uri" },
                                "a/b~c": { "const": "x" }
                            },
                            "required": ["cell"],
                            "additionalProperties": false
                        },
                        "uniqueItems": true
                    }
                }
            }
        }));
        assert_eq!(
            out,
            json!({
                "type": "object",
                "properties": {
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "cell": { "type": "string", "nullable": true },
                                    "a/b~c": { "enum": ["x"] }
                                },
                                "required": ["cell"]
                            }
                        }
                    }
                }
            })
        );
        let cell = "/properties/rows/items/items/properties/cell";
        assert_eq!(
            changes,
            vec![
                t(cell, r#"type: ["string", "null"]"#, "sent as nullable"),
                t(cell, "format: uri", "dropped"),
                t(
                    "/properties/rows/items/items/properties/a~1b~0c",
                    "const: x",
                    "sent as enum"
                ),
                t(
                    "/properties/rows/items/items",
                    "additionalProperties",
                    "dropped"
                ),
                t("/properties/rows/items", "uniqueItems", "dropped"),
            ]
        );
    }

    #[test]
    fn gemini_sets_the_top_level_type_to_object() {
        let (out, changes) = g(json!({ "properties": { "x": { "type": "string" } } }));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"type":"object","properties":{"x":{"type":"string"}}}"#
        );
        assert_eq!(changes, vec![t("", "type", "set to object")]);
    }

    #[test]
    fn a_realistic_edit_file_schema() {
        // The filesystem server's `edit_file`, as zod-to-json-schema writes it, with a few more
        // of the features MCP servers use.
        let schema = json!({
            "type": "object",
            "properties": {
                "path": { "type": "string", "format": "uri", "description": "File to edit." },
                "edits": {
                    "type": "array",
                    "items": { "$ref": "#/$defs/Edit" },
                    "description": "Edits to apply in order."
                },
                "dryRun": {
                    "type": "boolean",
                    "default": false,
                    "description": "Preview changes using git-style diff format"
                },
                "encoding": { "oneOf": [{ "const": "utf-8" }, { "const": "latin1" }] }
            },
            "required": ["path", "edits"],
            "additionalProperties": false,
            "$defs": {
                "Edit": {
                    "type": "object",
                    "properties": {
                        "oldText": { "type": "string", "description": "Text to search for - must match exactly" },
                        "newText": { "type": "string", "description": "Text to replace with" }
                    },
                    "required": ["oldText", "newText"],
                    "additionalProperties": false
                }
            }
        });
        let (out, changes) = gemini(&schema);
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            serde_json::to_string(&json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string", "description": "File to edit." },
                    "edits": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "oldText": { "type": "string", "description": "Text to search for - must match exactly" },
                                "newText": { "type": "string", "description": "Text to replace with" }
                            },
                            "required": ["oldText", "newText"]
                        },
                        "description": "Edits to apply in order."
                    },
                    "dryRun": {
                        "type": "boolean",
                        "default": false,
                        "description": "Preview changes using git-style diff format"
                    },
                    "encoding": { "anyOf": [{ "enum": ["utf-8"] }, { "enum": ["latin1"] }] }
                },
                "required": ["path", "edits"]
            }))
            .unwrap()
        );
        assert_eq!(
            changes,
            vec![
                c("/properties/path", "format: uri", "dropped"),
                c("/properties/edits/items", "$ref: #/$defs/Edit", "inlined"),
                c("/$defs/Edit", "additionalProperties", "dropped"),
                c("/properties/encoding", "oneOf", "sent as anyOf"),
                c(
                    "/properties/encoding/oneOf/0",
                    "const: utf-8",
                    "sent as enum"
                ),
                c(
                    "/properties/encoding/oneOf/1",
                    "const: latin1",
                    "sent as enum"
                ),
                c("", "additionalProperties", "dropped"),
            ]
        );
        assert_eq!(
            changes[1].describe(),
            "`$ref: #/$defs/Edit` at /properties/edits/items inlined"
        );
        assert_eq!(
            changes[6].describe(),
            "`additionalProperties` at the top level dropped"
        );

        let (out, changes) = anthropic(&schema);
        assert_eq!(out, schema);
        assert_eq!(changes, vec![]);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(percent_decode("/%24defs").as_deref(), Some("/$defs"));
        assert_eq!(percent_decode("/a%2"), None);
        assert_eq!(percent_decode("/a%+1"), None);
        assert_eq!(percent_decode("/%ff"), None);
        assert_eq!(local_pointer("#").as_deref(), Some(""));
        assert_eq!(local_pointer("#foo"), None);
        assert_eq!(local_pointer("/$defs/X"), None);
    }
}
