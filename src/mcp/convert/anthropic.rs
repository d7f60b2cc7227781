//! The schema as Anthropic's Messages API takes it.

use serde_json::{Map, Value};

use super::{Change, Piece, Rules, assemble, keyword, not_an_object, object_branches};

/// The schema as Anthropic's Messages API takes it in `input_schema`.
///
/// The API takes JSON Schema draft 2020-12 ("JSON schema is invalid. It must match JSON Schema
/// draft 2020-12", for the whole request), so the older drafts' spellings are rewritten
/// throughout: a tuple's `items` array as `prefixItems` (and `additionalItems` as `items`), a
/// boolean `exclusiveMinimum`/`exclusiveMaximum` as the number it qualifies, `dependencies` as
/// `dependentRequired` and `dependentSchemas`. At the top level it must be `type: object`, and
/// `oneOf`, `anyOf` and `allOf` are refused there. A top-level `allOf` of object schemas is merged
/// into the top level; any other is dropped, like `oneOf` and `anyOf`.
pub(crate) fn anthropic(schema: &Value) -> (Value, Vec<Change>) {
    if !schema.is_object() {
        return not_an_object(schema);
    }
    let mut rewritten = schema.clone();
    let mut changes = Vec::new();
    to_2020_12(&mut rewritten, "", &mut changes);
    let (out, more) = top_level(&rewritten);
    changes.extend(more);
    (out, changes)
}

/// The top level as the API takes it: `type: object`, no union.
fn top_level(schema: &Value) -> (Value, Vec<Change>) {
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
            // A union of objects with no properties beside it (a discriminated union): sent as
            // one object, so the tool is not sent without parameters.
            "oneOf" | "anyOf"
                if super::no_properties(top)
                    && value.as_array().is_some_and(|b| {
                        !b.is_empty() && b.iter().all(|b| b.get("properties").is_some())
                    }) =>
            {
                let mut merged = Map::new();
                let mut changes = Vec::new();
                super::merge_top_union(&mut merged, value.as_array().unwrap(), &mut changes);
                for c in &mut changes {
                    c.feature = key.clone();
                }
                pieces.push(Piece::own(merged.into_iter().collect(), changes));
            }
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

/// The keywords whose value is a schema, a list of schemas, or a map of names to schemas.
const ONE: [&str; 11] = [
    "additionalProperties",
    "items",
    "additionalItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
];
const LISTS: [&str; 4] = ["anyOf", "oneOf", "allOf", "prefixItems"];
const MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Rewrites draft-04 to 2019-09 spellings that draft 2020-12 reads otherwise, in `schema` and
/// every schema inside it, with a change for each (`at` is its JSON pointer).
fn to_2020_12(schema: &mut Value, at: &str, changes: &mut Vec<Change>) {
    let Some(node) = schema.as_object_mut() else {
        return;
    };
    tuple(node, at, changes);
    for (bound, limit) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        exclusive(node, bound, limit, at, changes);
    }
    dependencies(node, at, changes);
    for key in ONE {
        if let Some(sub) = node.get_mut(key) {
            to_2020_12(sub, &format!("{at}/{key}"), changes);
        }
    }
    for key in LISTS {
        if let Some(Value::Array(subs)) = node.get_mut(key) {
            for (i, sub) in subs.iter_mut().enumerate() {
                to_2020_12(sub, &format!("{at}/{key}/{i}"), changes);
            }
        }
    }
    for key in MAPS {
        if let Some(Value::Object(subs)) = node.get_mut(key) {
            for (name, sub) in subs.iter_mut() {
                to_2020_12(sub, &format!("{at}/{key}/{}", super::escape(name)), changes);
            }
        }
    }
}

/// A tuple's `items` array as `prefixItems`, its `additionalItems` as `items`.
fn tuple(node: &mut Map<String, Value>, at: &str, changes: &mut Vec<Change>) {
    if !node.get("items").is_some_and(Value::is_array) || node.contains_key("prefixItems") {
        return;
    }
    let members = node.remove("items").unwrap_or_default();
    node.insert("prefixItems".into(), members);
    changes.push(Change::new(
        at,
        "items (tuple)",
        "sent as prefixItems (JSON Schema 2020-12)",
    ));
    if let Some(rest) = node.remove("additionalItems") {
        node.insert("items".into(), rest);
        changes.push(Change::new(
            at,
            "additionalItems",
            "sent as items (JSON Schema 2020-12)",
        ));
    }
}

/// A draft-04 boolean `exclusiveMinimum` (or `exclusiveMaximum`) as the number it qualifies.
fn exclusive(
    node: &mut Map<String, Value>,
    bound: &str,
    limit: &str,
    at: &str,
    changes: &mut Vec<Change>,
) {
    let Some(Value::Bool(on)) = node.get(bound).cloned() else {
        return;
    };
    node.remove(bound);
    let feature = format!("{bound}: {on}");
    match node.get(limit).filter(|v| v.is_number()).cloned() {
        Some(n) if on => {
            node.remove(limit);
            node.insert(bound.into(), n.clone());
            changes.push(Change::new(
                at,
                feature,
                format!("sent as {bound}: {n} in place of {limit} (JSON Schema 2020-12)"),
            ));
        }
        _ => changes.push(Change::new(
            at,
            feature,
            "dropped (JSON Schema 2020-12 takes a number there)",
        )),
    }
}

/// Draft-07 `dependencies` as `dependentRequired` (name lists) and `dependentSchemas` (schemas).
fn dependencies(node: &mut Map<String, Value>, at: &str, changes: &mut Vec<Change>) {
    let Some(Value::Object(deps)) = node.remove("dependencies") else {
        return;
    };
    let (mut required, mut schemas) = (Map::new(), Map::new());
    for (name, dep) in deps {
        if dep.is_array() {
            required.insert(name, dep);
        } else {
            schemas.insert(name, dep);
        }
    }
    for (key, map) in [
        ("dependentRequired", required),
        ("dependentSchemas", schemas),
    ] {
        if !map.is_empty() && !node.contains_key(key) {
            node.insert(key.into(), Value::Object(map));
            changes.push(Change::new(
                at,
                "dependencies",
                format!("sent as {key} (JSON Schema 2020-12)"),
            ));
        }
    }
}

/// Why `schema` is not JSON Schema draft 2020-12 (the first error, at its place), or `None`.
pub(crate) fn not_2020_12(schema: &Value) -> Option<String> {
    let e = jsonschema::draft202012::meta::validate(schema).err()?;
    let at = e.instance_path().to_string();
    let place = if at.is_empty() {
        "at the top".to_owned()
    } else {
        format!("at {at}")
    };
    Some(format!("{place}: {e}"))
}
