//! Real data for agent tasks: tooleval calls the server's tools that may run (read-only, or
//! allowed by name: the safety rules of agent runs, `run::Policy`), first those it can call
//! without guessing an argument, then those the writer asks for after seeing the first
//! results. Nothing else is ever called.

use serde_json::{Map, Value};

use crate::mcp::{LiveServers, ToolInfo, ToolSet, TrialServers};
use crate::run::Policy;

/// The most characters of one result the writer is shown (and answers are grounded in).
pub(crate) const RESULT_CHARS: usize = 1500;

/// A call tooleval made to read data, and what it returned.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    pub tool: String,
    /// The arguments as compact JSON.
    pub arguments: String,
    pub result: String,
}

/// The tools that may run under `policy`, by name.
pub(crate) fn runnable<'t>(tools: &'t ToolSet, policy: &Policy) -> Vec<&'t ToolInfo> {
    tools
        .tools
        .iter()
        .filter(|t| policy.permits(t).is_ok())
        .collect()
}

/// The first calls: each tool that may run and whose required parameters can be filled
/// without a guess (none, or each with a `default` or an `enum` to take the first of).
pub(crate) fn first_calls(tools: &ToolSet, policy: &Policy) -> Vec<(String, Map<String, Value>)> {
    runnable(tools, policy)
        .into_iter()
        .filter_map(|t| {
            let props = t.input_schema.get("properties").and_then(Value::as_object);
            let mut args = Map::new();
            for r in t.required() {
                let p = props.and_then(|p| p.get(r))?;
                let v = p
                    .get("default")
                    .cloned()
                    .or_else(|| p.get("enum").and_then(|e| e.get(0)).cloned())?;
                args.insert(r.to_owned(), v);
            }
            Some((t.name.clone(), args))
        })
        .collect()
}

/// A call the writer asked for, checked: a tool that may run, arguments that are a JSON object
/// fitting its schema. `Err` says why it is not made.
pub(crate) fn checked_call(
    tools: &ToolSet,
    policy: &Policy,
    tool: &str,
    arguments: &str,
) -> Result<(String, Map<String, Value>), String> {
    let t = tools
        .by_name(tool)
        .ok_or_else(|| format!("`{tool}`: no such tool"))?;
    policy.permits(t)?;
    let args = match serde_json::from_str::<Value>(if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    }) {
        Ok(Value::Object(m)) => m,
        _ => return Err(format!("`{tool}`: its arguments are not a JSON object")),
    };
    if let Ok(v) = jsonschema::validator_for(&t.input_schema)
        && let Some(e) = v.iter_errors(&Value::Object(args.clone())).next()
    {
        return Err(format!(
            "`{tool}`: its arguments do not fit its schema: {e}"
        ));
    }
    Ok((t.name.clone(), args))
}

/// Makes each call on the servers (skipping one already made); a call that fails is kept with
/// its error text, a server that is gone is said and skipped.
pub(crate) async fn observe(
    live: &LiveServers,
    tools: &ToolSet,
    calls: Vec<(String, Map<String, Value>)>,
    seen: &mut Vec<Observation>,
) {
    let trial = TrialServers::default();
    for (name, args) in calls {
        let Some(t) = tools.by_name(&name) else {
            continue;
        };
        let arguments = Value::Object(args.clone()).to_string();
        if seen
            .iter()
            .any(|o| o.tool == name && o.arguments == arguments)
        {
            continue;
        }
        match live.call(&trial, &t.server, &t.server_name, args).await {
            Ok(out) => {
                let mut result: String = out.text.chars().take(RESULT_CHARS).collect();
                if result.len() < out.text.len() {
                    result.push_str(" [cut]");
                }
                seen.push(Observation {
                    tool: name,
                    arguments,
                    result,
                });
            }
            Err(f) => crate::sayln!(
                "warning: reading `{name}` on server `{}` failed: {}",
                f.server,
                f.reason()
            ),
        }
    }
    trial.close().await;
}
