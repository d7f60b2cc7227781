//! The schema as Gemini's function declarations take it: a subset of the OpenAPI 3.0 Schema
//! object, walked node by node.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::*;

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
    if no_properties(&out)
        && let Some(Value::Array(branches)) = out.remove("anyOf")
    {
        merge_top_union(&mut out, &branches, &mut changes);
    }
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
    settle_tree(&mut out, "", &mut changes);
    let mut seen = HashSet::new();
    changes.retain(|c| seen.insert((c.at.clone(), c.feature.clone(), c.action.clone())));
    (Value::Object(out), changes)
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
                changes.push(Change::new(at, "true", ANY_AS_STRING));
                Some(Map::from_iter([("type".to_owned(), Value::from("string"))]))
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
        if let Some((split, change)) = split_types(node, at) {
            changes.push(change);
            return self.object(&split, at, changes);
        }
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
            "type" => convert_type(value, at),
            "format" => match value.as_str() {
                Some(format) if format_fits(format, effective_type(node)) => {
                    Piece::keep(key, value)
                }
                _ => Piece::note(Change::new(at, keyword(key, value), "dropped")),
            },
            "enum" => convert_enum(value, at),
            "const" if !node.contains_key("enum") => Piece::own(
                vec![("enum".into(), json!([value]))],
                vec![Change::new(at, keyword(key, value), "sent as enum")],
            ),
            "const" => Piece::note(Change::new(at, keyword(key, value), "dropped")),
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
            "items" if value.is_array() && !node.contains_key("prefixItems") => {
                self.tuple(key, value, at)
            }
            "prefixItems" if value.is_array() => self.tuple(key, value, at),
            "items" => match value {
                _ if node.contains_key("prefixItems") => Piece::note(Change::new(
                    at,
                    keyword(key, value),
                    "dropped (beside prefixItems)",
                )),
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

    /// Converts a tuple (`prefixItems`, or draft-07's `items` array): Gemini has no tuples, so
    /// the members become one `items` schema (their `anyOf` when they differ) and the length is
    /// kept with `minItems` and `maxItems`.
    fn tuple(&mut self, key: &str, value: &Value, at: &str) -> Piece {
        let members = value.as_array().map(Vec::as_slice).unwrap_or_default();
        let mut changes = Vec::new();
        let mut distinct: Vec<Value> = Vec::new();
        for (i, member) in members.iter().enumerate() {
            if let Some(m) = self.schema(member, &format!("{at}/{key}/{i}"), &mut changes) {
                let m = Value::Object(m);
                if !distinct.contains(&m) {
                    distinct.push(m);
                }
            }
        }
        let n = members.len();
        let kinds = distinct.len();
        let items = match kinds {
            0 => {
                changes.insert(0, Change::new(at, format!("{key} (tuple)"), "dropped"));
                return Piece::own(vec![], changes);
            }
            1 => distinct.remove(0),
            _ => json!({ "anyOf": distinct }),
        };
        let action = if kinds == 1 {
            format!("sent as items of one schema, minItems and maxItems {n}")
        } else {
            format!("sent as items of anyOf its {kinds} schemas, minItems and maxItems {n}")
        };
        changes.insert(0, Change::new(at, format!("{key} (tuple of {n})"), action));
        Piece::own(
            vec![
                ("items".into(), items),
                ("minItems".into(), n.into()),
                ("maxItems".into(), n.into()),
            ],
            changes,
        )
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

/// Converts `type`: a type Gemini knows is kept, `null` with one other becomes `nullable`.
fn convert_type(value: &Value, at: &str) -> Piece {
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
        // Several types are split into branches before this (`split_types`); beside a union of
        // the schema's own they cannot be said.
        _ => return dropped(),
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
        // Values other than text: `settle` names them in the description.
        return Piece::keep("enum", value);
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

/// Whether Gemini takes `format` for a schema of type `ty`.
fn format_fits(format: &str, ty: Option<&str>) -> bool {
    matches!(
        (ty, format),
        (Some("string"), "enum" | "date-time")
            | (Some("integer"), "int32" | "int64")
            | (Some("number"), "float" | "double")
    )
}

/// The action for a schema that allows any value (`true`, `{}`): Gemini needs a type, and any
/// value can be written as text.
const ANY_AS_STRING: &str =
    "sent as type: string (Gemini needs a type; any value can be written as text)";

/// The keywords that belong to each type, for splitting a type list into `anyOf` branches (as
/// python-genai's `Schema.from_json_schema` does, `related_field_names_by_type`).
fn keywords_of(ty: &str) -> &'static [&'static str] {
    match ty {
        "string" => &[
            "enum",
            "const",
            "format",
            "minLength",
            "maxLength",
            "pattern",
        ],
        "number" | "integer" => &[
            "enum",
            "const",
            "format",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
        "object" => &[
            "properties",
            "required",
            "minProperties",
            "maxProperties",
            "additionalProperties",
            "patternProperties",
            "propertyOrdering",
        ],
        "array" => &[
            "items",
            "prefixItems",
            "minItems",
            "maxItems",
            "uniqueItems",
            "contains",
        ],
        _ => &[],
    }
}

/// A schema whose `type` lists two or more types (besides `null`) as an `anyOf` of one branch per
/// type, each with the keywords that belong to it (`items` to the array, `properties` to the
/// object), `null` as `nullable`. Gemini refuses `items` or `properties` beside a union
/// ("items: field predicate failed: $type == Type.ARRAY", "properties: only allowed for OBJECT
/// type"). `None` when the type is not such a list, or the schema has a union of its own.
fn split_types(node: &Map<String, Value>, at: &str) -> Option<(Map<String, Value>, Change)> {
    let listed = node.get("type")?.as_array()?;
    if node.contains_key("anyOf") || node.contains_key("oneOf") {
        return None;
    }
    let mut types: Vec<&str> = Vec::new();
    for t in listed
        .iter()
        .filter_map(Value::as_str)
        .filter(|t| *t != "null")
    {
        if TYPES.contains(&t) && !types.contains(&t) {
            types.push(t);
        }
    }
    if types.len() < 2 {
        return None;
    }
    let branches: Vec<Value> = types
        .iter()
        .map(|t| {
            let mut branch = Map::from_iter([("type".to_owned(), Value::from(*t))]);
            for k in keywords_of(t) {
                if let Some(v) = node.get(*k) {
                    branch.insert((*k).to_owned(), v.clone());
                }
            }
            Value::Object(branch)
        })
        .collect();
    let mut split: Map<String, Value> = node
        .iter()
        .filter(|(k, _)| {
            *k != "type" && !TYPES.iter().any(|t| keywords_of(t).contains(&k.as_str()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    split.insert("anyOf".into(), Value::Array(branches));
    if listed.iter().any(|t| t == "null") {
        split.insert("nullable".into(), Value::Bool(true));
    }
    let change = Change::new(
        at,
        keyword("type", &node["type"]),
        "sent as anyOf, each type with its own keywords",
    );
    Some((split, change))
}

/// [`settle`] on `node` and every schema inside it (`at` is its place in what is sent).
fn settle_tree(node: &mut Map<String, Value>, at: &str, changes: &mut Vec<Change>) {
    settle(node, at, changes);
    if let Some(Value::Object(properties)) = node.get_mut("properties") {
        for (name, sub) in properties.iter_mut() {
            if let Value::Object(sub) = sub {
                settle_tree(sub, &format!("{at}/properties/{}", escape(name)), changes);
            }
        }
    }
    if let Some(Value::Object(items)) = node.get_mut("items") {
        settle_tree(items, &format!("{at}/items"), changes);
    }
    if let Some(Value::Array(branches)) = node.get_mut("anyOf") {
        for (i, b) in branches.iter_mut().enumerate() {
            if let Value::Object(b) = b {
                settle_tree(b, &format!("{at}/anyOf/{i}"), changes);
            }
        }
    }
}

/// What Gemini requires of a converted schema, made true with a change for each: a `type`
/// unless it is a union (inferred from its keywords, else `string`), `enum` only on strings (other
/// values are named in the description), `items` on every array, `items` only on arrays, and
/// `properties` and `required` only on objects.
fn settle(out: &mut Map<String, Value>, at: &str, changes: &mut Vec<Change>) {
    if !out.contains_key("type") {
        let union = out.contains_key("anyOf");
        let inferred = match inferred_type(out) {
            Some(ty) => Some((ty, format!("missing: sent as {ty}, as its keywords say"))),
            None if !union => Some((
                "string",
                ANY_AS_STRING.replace("sent as type: string", "missing: sent as string"),
            )),
            None => None,
        };
        if let Some((ty, action)) = inferred {
            changes.push(Change::new(at, "type", action));
            out.shift_insert(0, "type".into(), ty.into());
        }
    }
    let ty = out.get("type").and_then(Value::as_str).map(str::to_owned);
    let ty = ty.as_deref();
    if let Some(values) = out.get("enum").and_then(Value::as_array)
        && (ty != Some("string") || !values.iter().all(Value::is_string))
    {
        let listed: Vec<String> = values.iter().map(Value::to_string).collect();
        let line = format!("Allowed values: {}.", listed.join(", "));
        let description = match out.get("description").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => format!("{d} {line}"),
            _ => line,
        };
        out.insert("description".into(), description.into());
        out.remove("enum");
        changes.push(Change::new(
            at,
            format!("enum: [{}]", listed.join(", ")),
            "dropped, the values named in the description (Gemini takes enum on strings only)",
        ));
    }
    if ty == Some("array") && !out.contains_key("items") {
        out.insert("items".into(), json!({ "type": "string" }));
        changes.push(Change::new(
            at,
            "items",
            "missing: sent as items of type string (Gemini needs items on an array)",
        ));
    }
    if ty != Some("array") && out.remove("items").is_some() {
        changes.push(Change::new(
            at,
            "items",
            "dropped (Gemini takes it on arrays only)",
        ));
    }
    if ty != Some("object") {
        for k in ["properties", "required"] {
            if out.remove(k).is_some() {
                changes.push(Change::new(
                    at,
                    k,
                    "dropped (Gemini takes it on objects only)",
                ));
            }
        }
    }
}

/// The type a schema without one has, as its keywords say; `None` when they say nothing.
fn inferred_type(out: &Map<String, Value>) -> Option<&'static str> {
    let has = |keys: &[&str]| keys.iter().any(|k| out.contains_key(*k));
    if has(&["properties", "required", "minProperties", "maxProperties"]) {
        return Some("object");
    }
    if has(&["items", "minItems", "maxItems"]) {
        return Some("array");
    }
    if let Some(values) = out.get("enum").and_then(Value::as_array) {
        return Some(if values.iter().all(Value::is_string) {
            "string"
        } else if values.iter().all(|v| v.is_i64() || v.is_u64()) {
            "integer"
        } else if values.iter().all(Value::is_number) {
            "number"
        } else if values.iter().all(Value::is_boolean) {
            "boolean"
        } else {
            "string"
        });
    }
    if has(&["pattern", "minLength", "maxLength"]) {
        return Some("string");
    }
    if has(&["minimum", "maximum"]) {
        return Some("number");
    }
    None
}
