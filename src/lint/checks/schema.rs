//! Rules on input schemas: features chat APIs reject, and what OpenAI strict mode needs.

use serde_json::Value;

use super::Context;
use crate::lint::finding::Finding;
use crate::lint::rule::Rule;

/// Schema features chat APIs reject in function parameters.
pub(crate) fn schema_unsupported(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.set.tools {
        let schema = &t.input_schema;
        let mut push = |message: String, hint: &str| {
            out.push(Finding::new(
                Rule::SchemaUnsupported,
                vec![t.name.clone()],
                message,
                hint,
            ));
        };
        match schema.get("type") {
            Some(Value::String(t)) if t == "object" => {}
            other => push(
                format!(
                    "the parameters' top-level type is {}, not `object`",
                    other.map_or("missing".into(), Value::to_string)
                ),
                "chat APIs take parameters as an object: wrap the value in a property",
            ),
        }
        for key in ["oneOf", "anyOf", "allOf", "not", "enum"] {
            if schema.get(key).is_some() {
                push(
                    format!("`{key}` at the top level of the parameters"),
                    "OpenAI rejects these at the top level: move the choice into a property",
                );
            }
        }
        if ctx.providers.contains(&crate::config::Provider::Anthropic)
            && let Some(why) =
                crate::mcp::convert::not_2020_12(&crate::mcp::convert::anthropic(schema).0)
        {
            push(
                format!("Anthropic refuses it: not JSON Schema draft 2020-12 ({why})"),
                "fix the schema where the server defines it: Anthropic refuses every request that carries it",
            );
        }
        if schema.to_string().contains("\"$ref\":\"http") {
            push(
                "a `$ref` to a remote schema".into(),
                "inline the referenced schema: APIs do not fetch it",
            );
        }
    }
    out
}

/// What each native provider named (and the one the set was sent to) is sent changed or not at
/// all: one finding per provider and tool.
pub(crate) fn schema_converted(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in &ctx.converted {
        for t in &c.tools {
            let changes: Vec<String> = t.changes.iter().map(|ch| ch.describe()).collect();
            out.push(Finding::new(
                Rule::SchemaConverted,
                vec![t.name.clone()],
                format!("{}: {}", c.provider.title(), changes.join("; ")),
                "if a dropped constraint matters, say it in the description",
            ));
        }
    }
    out
}

pub(crate) fn strict_mode(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.set.tools {
        let schema = &t.input_schema;
        let required = required(schema);
        let open = schema.get("additionalProperties") != Some(&Value::Bool(false));
        let optional: Vec<&str> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !required.contains(p))
            .collect();
        if !open && optional.is_empty() {
            continue;
        }
        let mut why = Vec::new();
        if open {
            why.push("`additionalProperties` is not false".to_owned());
        }
        if !optional.is_empty() {
            why.push(format!("`{}` not required", optional.join("`, `")));
        }
        out.push(Finding::new(
            Rule::StrictMode,
            vec![t.name.clone()],
            format!("not ready for strict mode: {}", why.join("; ")),
            "strict mode needs `additionalProperties: false` and every property required (optional ones typed as a union with null)",
        ));
    }
    out
}

/// The names a schema lists under `required`.
pub(crate) fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
