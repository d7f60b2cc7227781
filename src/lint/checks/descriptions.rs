//! Rules on what the texts say: tool descriptions, parameter descriptions, values in prose.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::Context;
use super::schema::required;
use crate::lint::finding::Finding;
use crate::lint::rule::Rule;

const DEFAULT_MIN_DESCRIPTION_CHARS: usize = 40;

pub(crate) fn description_missing(ctx: &Context) -> Vec<Finding> {
    ctx.set
        .tools
        .iter()
        .filter(|t| t.description.trim().is_empty())
        .map(|t| {
            Finding::new(
                Rule::DescriptionMissing,
                vec![t.name.clone()],
                "no description".into(),
                "say what the tool does, when to use it and when to use another tool instead",
            )
        })
        .collect()
}

pub(crate) fn description_short(ctx: &Context) -> Vec<Finding> {
    let min_chars = ctx
        .cfg
        .min_description_chars
        .unwrap_or(DEFAULT_MIN_DESCRIPTION_CHARS);
    let mut out = Vec::new();
    for t in &ctx.set.tools {
        let desc = t.description.trim();
        let chars = desc.chars().count();
        // An empty description is `description-missing`.
        if !desc.is_empty() && chars < min_chars {
            out.push(Finding::new(
                Rule::DescriptionShort,
                vec![t.name.clone()],
                format!("the description has {chars} characters: {desc:?}"),
                "a model picks tools by their descriptions: say what it returns and how it differs from its neighbours",
            ));
        }
    }
    out
}

pub(crate) fn param_undescribed(ctx: &Context) -> Vec<Finding> {
    undescribed(ctx, false)
        .into_iter()
        .map(|(tool, name)| {
            Finding::new(
                Rule::ParamUndescribed,
                vec![tool.into()],
                format!("parameter `{name}` has no description"),
                "say what it does and what happens when it is left out",
            )
        })
        .collect()
}

pub(crate) fn required_param_undescribed(ctx: &Context) -> Vec<Finding> {
    undescribed(ctx, true)
        .into_iter()
        .map(|(tool, name)| {
            Finding::new(
                Rule::RequiredParamUndescribed,
                vec![tool.into()],
                format!("required parameter `{name}` has no description"),
                "say what value it takes, its format and an example",
            )
        })
        .collect()
}

/// Each tool and parameter without a description, among the required parameters or the optional.
fn undescribed<'a>(ctx: &Context<'a>, required: bool) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    for t in &ctx.set.tools {
        for p in params(&t.input_schema) {
            if p.description.is_empty() && p.required == required {
                out.push((t.name.as_str(), p.name));
            }
        }
    }
    out
}

pub(crate) fn enum_in_prose(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for t in &ctx.set.tools {
        for p in params(&t.input_schema) {
            // A pattern or format constrains the value already; then quoted values are examples.
            let constrained = ["enum", "pattern", "format"]
                .iter()
                .any(|k| p.schema.get(k).is_some());
            if !constrained && let Some(values) = values_in_prose(p.description) {
                out.push(Finding::new(
                    Rule::EnumInProse,
                    vec![t.name.clone()],
                    format!(
                        "parameter `{}` lists values in prose: {}",
                        p.name,
                        values.join(", ")
                    ),
                    "put the allowed values in an `enum`: models follow a schema better than prose",
                ));
            }
        }
    }
    out
}

/// A top-level property of an input schema.
struct Param<'a> {
    name: &'a str,
    schema: &'a Value,
    /// Trimmed; empty when there is none.
    description: &'a str,
    required: bool,
}

fn params(schema: &Value) -> Vec<Param<'_>> {
    let required = required(schema);
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, p)| Param {
            name,
            schema: p,
            description: p
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim(),
            required: required.contains(&name.as_str()),
        })
        .collect()
}

/// Values a description lists in prose: two or more quoted words joined by `,`, `or`, `|`, `/`,
/// or three or more bare words joined by `|`.
fn values_in_prose(text: &str) -> Option<Vec<String>> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    static PIPES: OnceLock<Regex> = OnceLock::new();
    let quoted = QUOTED.get_or_init(|| Regex::new(r#"["'`]([\w .:-]{1,30})["'`]"#).expect("valid"));
    let pipes = PIPES.get_or_init(|| Regex::new(r"\b\w+(?:\|\w+){2,}\b").expect("valid"));
    if let Some(m) = pipes.find(text) {
        return Some(m.as_str().split('|').map(str::to_owned).collect());
    }
    let caps: Vec<regex::Match> = quoted.find_iter(text).collect();
    // Values given as examples are not a closed set.
    let before = &text[..caps.first()?.start()].to_lowercase();
    if ["e.g", "such as", "for example", "for instance", "like "]
        .iter()
        .any(|cue| before.contains(cue))
    {
        return None;
    }
    for w in caps.windows(2) {
        let between = text[w[0].end()..w[1].start()].trim().to_lowercase();
        if matches!(
            between.as_str(),
            "," | "or" | "|" | "/" | ", or" | "and" | ", and"
        ) {
            let values: Vec<String> = caps
                .iter()
                .map(|m| m.as_str().trim_matches(['"', '\'', '`']).to_owned())
                .collect();
            return Some(values);
        }
    }
    None
}
