//! The checks a generated task passes before it is kept: every expected call names a real tool
//! and its arguments hold to the tool's input schema (types, enums, required parameters), an
//! exact value is one the prompt states (or, in a multi-step task, one the server returned), the
//! prompt names no tool and copies no run of a description's words, it is not too alike to a
//! task that exists or was kept before, and a multi-step task's answer is a value the server
//! really returned. A rejection says why, in words the writer can act on.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::ground::Observation;
use super::task::{Generated, Job, Kind};
use super::writer::{ArgCheck, Candidate};
use crate::config::{Call, Matcher};
use crate::mcp::{ToolInfo, ToolSet};
use crate::text::Copies;

/// Share of words two prompts may have in common before one is a duplicate of the other.
pub(crate) const DUPLICATE_SIMILARITY: f64 = 0.75;

/// A prompt that exists (in the eval's suites) or was kept, as words to compare.
pub(crate) struct Seen {
    pub prompt: String,
    words: HashSet<String>,
}

impl Seen {
    pub(crate) fn new(prompt: &str) -> Seen {
        Seen {
            prompt: prompt.to_owned(),
            words: crate::text::words(prompt).into_iter().collect(),
        }
    }
}

/// What a candidate is checked against.
pub(crate) struct Bounds<'a> {
    pub tools: &'a ToolSet,
    pub seen: &'a [Seen],
    pub observed: &'a [Observation],
    /// Agent mode: a task that lacks an argument must end in a question to the user.
    pub agent: bool,
}

/// A candidate checked: the task it makes, or why it is rejected.
pub(crate) fn check(c: &Candidate, job: &Job, b: &Bounds<'_>) -> Result<Generated, String> {
    let prompt = c.prompt.trim();
    if prompt.split_whitespace().count() < 3 {
        return Err("the prompt is empty or too short to be a request".into());
    }
    if let Some(shown) = crate::lint::hidden_in(prompt) {
        return Err(format!(
            "the prompt holds characters a reviewer cannot see ({shown}); write plain text"
        ));
    }
    names_no_tool(prompt, b.tools)?;
    not_a_duplicate(prompt, b.seen)?;
    let mut task = Generated::new(prompt, job.kind());
    match job {
        Job::Positive { tool, .. } => {
            if c.tool != *tool {
                return Err(format!(
                    "it expects `{}`, and these tasks must each need `{tool}`",
                    c.tool
                ));
            }
            task.expect = Some(call(b.tools, &c.tool, &c.args, prompt, None, true)?);
            task.tool = Some(tool.clone());
        }
        Job::NearMiss { a, b: other, .. } => {
            if c.tool != *a && c.tool != *other {
                return Err(format!(
                    "it expects `{}`, and these tasks must each need `{a}` or `{other}`",
                    c.tool
                ));
            }
            task.expect = Some(call(b.tools, &c.tool, &c.args, prompt, None, true)?);
            task.tool = Some(c.tool.clone());
            task.pair = Some((a.clone(), other.clone()));
        }
        Job::Negatives { .. } => negative(c, b, &mut task)?,
        Job::Grounded { .. } => grounded(c, b, prompt, &mut task)?,
        Job::Explore { .. } => return Err("an exploration reply holds calls, not tasks".into()),
    }
    for tool in task.tools() {
        copies_no_description(prompt, b.tools, &tool)?;
    }
    Ok(task)
}

fn negative(c: &Candidate, b: &Bounds<'_>, task: &mut Generated) -> Result<(), String> {
    match c.kind.as_str() {
        "out_of_domain" => {
            task.kind = Kind::OutOfDomain;
            Ok(())
        }
        "missing_argument" => {
            let tool = tool(b.tools, &c.tool)?;
            let required = tool.required();
            if !required.contains(&c.missing.as_str()) {
                return Err(format!(
                    "`{}` is not a required parameter of `{}` (its required parameters: {})",
                    c.missing,
                    c.tool,
                    listed(&required)
                ));
            }
            task.kind = Kind::MissingArgument;
            task.tool = Some(c.tool.clone());
            task.missing = Some(c.missing.clone());
            if b.agent {
                task.asks = true;
            }
            Ok(())
        }
        other => Err(format!(
            "its kind is `{other}`; a negative task is `out_of_domain` or `missing_argument`"
        )),
    }
}

fn grounded(
    c: &Candidate,
    b: &Bounds<'_>,
    prompt: &str,
    task: &mut Generated,
) -> Result<(), String> {
    if c.calls.len() < 2 {
        return Err(format!(
            "it has {} call(s); a multi-step task needs at least 2",
            c.calls.len()
        ));
    }
    let mut calls = Vec::new();
    for cc in &c.calls {
        calls.push(call(
            b.tools,
            &cc.tool,
            &cc.args,
            prompt,
            Some(b.observed),
            false,
        )?);
    }
    let answer: Vec<String> = c
        .answer
        .iter()
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.is_empty())
        .collect();
    if answer.is_empty() {
        return Err("it gives no answer to check".into());
    }
    let tools: HashSet<&str> = calls.iter().map(|c| c.tool.as_str()).collect();
    for value in &answer {
        let low = value.to_lowercase();
        let from: Vec<&Observation> = b
            .observed
            .iter()
            .filter(|o| o.result.to_lowercase().contains(&low))
            .collect();
        if from.is_empty() {
            return Err(format!(
                "its answer \"{value}\" is in no result the server returned; copy answers from the data shown"
            ));
        }
        if !from.iter().any(|o| tools.contains(o.tool.as_str())) {
            return Err(format!(
                "its answer \"{value}\" was returned by `{}`, which its calls do not include",
                from[0].tool
            ));
        }
        if prompt.to_lowercase().contains(&low) {
            return Err(format!(
                "its answer \"{value}\" is already in the prompt, so the task checks nothing"
            ));
        }
    }
    task.tool = Some(calls[0].tool.clone());
    task.trajectory = calls;
    task.answer = answer;
    Ok(())
}

fn tool<'t>(tools: &'t ToolSet, name: &str) -> Result<&'t ToolInfo, String> {
    tools.by_name(name).ok_or_else(|| {
        let names: Vec<&str> = tools.tools.iter().map(|t| t.name.as_str()).collect();
        format!(
            "it names a tool `{name}` the server does not have; the tools are {}",
            listed(&names)
        )
    })
}

/// An expected call, its arguments checked against the tool's schema. An exact value must be
/// stated in the prompt (or, with `observed`, returned by the server); with `all_required`,
/// every required parameter must be named.
fn call(
    tools: &ToolSet,
    name: &str,
    args: &[ArgCheck],
    prompt: &str,
    observed: Option<&[Observation]>,
    all_required: bool,
) -> Result<Call, String> {
    let t = tool(tools, name)?;
    let props = t
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let validator = open_validator(&t.input_schema);
    let mut out: IndexMap<String, Matcher> = IndexMap::new();
    for a in args {
        let Some(prop) = props.get(&a.name) else {
            let names: Vec<&str> = props.keys().map(String::as_str).collect();
            return Err(format!(
                "`{}` is not a parameter of `{name}` (its parameters: {})",
                a.name,
                listed(&names)
            ));
        };
        if out.contains_key(&a.name) {
            return Err(format!("it checks `{}` twice", a.name));
        }
        let valid = |v: &Value| -> Result<(), String> {
            let Some(validator) = &validator else {
                return Ok(());
            };
            let instance = Value::Object(Map::from_iter([(a.name.clone(), v.clone())]));
            match validator.iter_errors(&instance).next() {
                None => Ok(()),
                Some(e) => Err(format!(
                    "its value {v} for `{}` of `{name}` does not fit the tool's schema: {e}",
                    a.name
                )),
            }
        };
        let matcher = match a.matcher.as_str() {
            "equals" => {
                let v = serde_json::from_str::<Value>(&a.value)
                    .unwrap_or_else(|_| Value::String(a.value.clone()));
                valid(&v)?;
                stated(&v, prompt, observed).map_err(|why| {
                    format!(
                        "it expects `{}` to equal {v}, {why}; use `one_of`, `contains` or `present` for a value the prompt does not state",
                        a.name
                    )
                })?;
                Matcher::Exact(v)
            }
            "one_of" => {
                let Ok(Value::Array(values)) = serde_json::from_str::<Value>(&a.value) else {
                    return Err(format!(
                        "its `one_of` for `{}` is not a JSON list: {}",
                        a.name, a.value
                    ));
                };
                if values.is_empty() {
                    return Err(format!("its `one_of` for `{}` is empty", a.name));
                }
                for v in &values {
                    valid(v)?;
                }
                Matcher::OneOf(values)
            }
            "contains" => {
                if a.value.trim().is_empty() {
                    return Err(format!("its `contains` for `{}` is empty", a.name));
                }
                if !takes_strings(prop) {
                    return Err(format!(
                        "it checks `{}` with `contains`, and `{}` of `{name}` takes no text",
                        a.name, a.name
                    ));
                }
                Matcher::Contains(a.value.clone())
            }
            "present" => Matcher::Present,
            other => {
                return Err(format!(
                    "its check of `{}` is `{other}`; use equals, one_of, contains or present",
                    a.name
                ));
            }
        };
        out.insert(a.name.clone(), matcher);
    }
    if all_required {
        let missing: Vec<&str> = t
            .required()
            .into_iter()
            .filter(|r| !out.contains_key(*r))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "it does not check the required parameter(s) {} of `{name}`: a call needs them, so the prompt must give them",
                listed(&missing)
            ));
        }
    }
    Ok(Call {
        tool: t.name.clone(),
        args: out,
        strict_args: false,
    })
}

/// The tool's schema without `required` (one argument is checked at a time), compiled; `None`
/// when it does not compile (the listing already said so).
fn open_validator(schema: &Value) -> Option<jsonschema::Validator> {
    let mut s = schema.clone();
    if let Some(o) = s.as_object_mut() {
        o.remove("required");
    }
    jsonschema::validator_for(&s).ok()
}

/// Whether a value is in the prompt (text and numbers as written; true, false and null need
/// not be), or in a result the server returned.
fn stated(v: &Value, prompt: &str, observed: Option<&[Observation]>) -> Result<(), String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(_) | Value::Null => return Ok(()),
        _ => return Err("a list or mapping no prompt states word for word".into()),
    };
    // `error_rate` is stated by "error rate": `_` and `-` read as spaces on both sides.
    let plain = |t: &str| t.to_lowercase().replace(['_', '-'], " ");
    if plain(prompt).contains(&plain(&text)) {
        return Ok(());
    }
    let low = text.to_lowercase();
    if observed.is_some_and(|o| o.iter().any(|o| o.result.to_lowercase().contains(&low))) {
        return Ok(());
    }
    Err(if observed.is_some() {
        "which neither the prompt states nor the server returned".into()
    } else {
        "which the prompt does not state".into()
    })
}

fn takes_strings(prop: &Value) -> bool {
    match prop.get("type") {
        None => true,
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        Some(_) => false,
    }
}

/// Rejects a prompt that writes a tool's name (a name of two words or more, as written, with
/// `-` for `_` or the reverse, or run together).
fn names_no_tool(prompt: &str, tools: &ToolSet) -> Result<(), String> {
    let low = prompt.to_lowercase();
    for t in &tools.tools {
        for name in [&t.name, &t.server_name] {
            if crate::mcp::split_identifier(name)
                .split_whitespace()
                .count()
                < 2
            {
                continue;
            }
            let n = name.to_lowercase();
            let forms = [
                n.clone(),
                n.replace('_', "-"),
                n.replace('-', "_"),
                n.replace(['_', '-'], ""),
            ];
            if forms.iter().any(|f| low.contains(f.as_str())) {
                return Err(format!(
                    "the prompt names the tool `{name}`; a user asks for what they need, not for a tool"
                ));
            }
        }
    }
    Ok(())
}

/// Rejects a prompt that copies a run of words of the tool's description or its parameters'.
fn copies_no_description(prompt: &str, tools: &ToolSet, name: &str) -> Result<(), String> {
    let Some(t) = tools.by_name(name) else {
        return Ok(());
    };
    let mut texts: Vec<&str> = vec![t.description.as_str()];
    if let Some(props) = t.input_schema.get("properties").and_then(Value::as_object) {
        texts.extend(
            props
                .values()
                .filter_map(|p| p.get("description").and_then(Value::as_str)),
        );
    }
    let copies = Copies::new(texts, &[]);
    match copies.find(prompt) {
        Some((run, _)) => Err(format!(
            "the prompt copies the wording of `{name}`'s description (\"{run}\"); ask as a user would, in your own words"
        )),
        None => Ok(()),
    }
}

/// Rejects a prompt too alike to one that exists or was kept.
fn not_a_duplicate(prompt: &str, seen: &[Seen]) -> Result<(), String> {
    let words: HashSet<String> = crate::text::words(prompt).into_iter().collect();
    let best = seen
        .iter()
        .map(|s| (similarity(&words, &s.words), s))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((sim, s)) if sim >= DUPLICATE_SIMILARITY => Err(format!(
            "the prompt is too alike to \"{}\" ({:.0}% of their words are shared); write another need",
            s.prompt,
            sim * 100.0
        )),
        _ => Ok(()),
    }
}

/// Shared words over all words (Jaccard); 0 for two empty sets.
pub(crate) fn similarity(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

fn listed(names: &[&str]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
