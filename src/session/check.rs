//! Checking a suite against the tools the servers offer: every tool an expectation names, and
//! every argument it matches, exists (with a suggestion when it does not).

use crate::config::{LoadedSuite, Matcher};
use crate::error::{Diagnostic, did_you_mean};
use crate::mcp::ToolSet;

/// Checks every tool an expectation names, and every argument it matches, against the tool set:
/// unknown or ambiguous names are diagnostics with a suggestion.
pub fn check_expectations(suites: &[LoadedSuite], tools: &ToolSet) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for s in suites {
        for task in &s.suite.tasks {
            for call in task.expect.calls() {
                let problem = |needle: &str, message: String, hint: String| {
                    s.diagnostic_in_task(&task.id, needle, message)
                        .with_hint(hint)
                };
                let Some(tool) = tools.by_name(&call.tool) else {
                    let same = tools.by_server_name(&call.tool);
                    diags.push(if same.is_empty() {
                        let hint = match did_you_mean(&call.tool, tools.tools.iter().map(|t| t.name.as_str())) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "`tooleval tools --eval <EVAL_FILE>` lists every tool the servers offer".to_owned(),
                        };
                        let message = format!("task `{}` expects tool `{}`, which no server offers", task.id, call.tool);
                        problem(&call.tool, message, hint)
                    } else {
                        let options = same.iter().map(|t| format!("`{}`", t.name)).collect::<Vec<_>>().join(" or ");
                        let message = format!("task `{}`: tool `{}` is offered by several servers", task.id, call.tool);
                        problem(&call.tool, message, format!("write {options}"))
                    });
                    continue;
                };
                let Some(props) = closed_properties(&tool.input_schema) else {
                    continue;
                };
                for (arg, matcher) in &call.args {
                    if props.contains_key(arg) || matches!(matcher, Matcher::Absent) {
                        continue;
                    }
                    let hint = match did_you_mean(arg, props.keys().map(String::as_str)) {
                        Some(p) => format!("did you mean `{p}`?"),
                        None if props.is_empty() => format!("`{}` takes no parameters", tool.name),
                        None => format!(
                            "`{}` takes `{}`",
                            tool.name,
                            props.keys().cloned().collect::<Vec<_>>().join("`, `")
                        ),
                    };
                    let message = format!(
                        "task `{}`: tool `{}` has no parameter `{arg}`",
                        task.id, tool.name
                    );
                    diags.push(problem(&format!("{arg}:"), message, hint));
                }
            }
        }
    }
    diags
}

/// The properties of a schema that lists them and does not invite others.
fn closed_properties(
    schema: &serde_json::Value,
) -> Option<&serde_json::Map<String, serde_json::Value>> {
    let open = match schema.get("additionalProperties") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::Object(_)) => true,
        _ => false,
    };
    let props = schema.get("properties")?.as_object()?;
    // A schema with no properties and no word on others accepts anything: nothing to check.
    let unconstrained = props.is_empty() && schema.get("additionalProperties").is_none();
    (!open && !unconstrained).then_some(props)
}
