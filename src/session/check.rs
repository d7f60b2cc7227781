//! Checking a suite against the tools the servers offer: every tool an expectation names, and
//! every argument it matches, exists (with a suggestion when it does not).

use crate::config::{LoadedSuite, Matcher, Seg};
use crate::error::{Diagnostic, did_you_mean};
use crate::mcp::ToolSet;

/// Checks every tool an expectation names, and every argument it matches, against the tool set:
/// unknown or ambiguous names are diagnostics with a suggestion.
pub fn check_expectations(suites: &[LoadedSuite], tools: &ToolSet) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for s in suites {
        for (i, task) in s.suite.tasks.iter().enumerate() {
            for (at, call) in task.expect.calls_with_paths() {
                let call_path = [&[Seg::Key("expect")], &at[..]].concat();
                let tool_path = [&call_path[..], &[Seg::Key("tool")]].concat();
                let Some(tool) = tools.by_name(&call.tool) else {
                    let (message, hint) = unknown_tool(&task.id, &call.tool, tools);
                    diags.push(s.value_in_task(i, &tool_path, message).with_hint(hint));
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
                    let arg_path = [&call_path[..], &[Seg::Key("args"), Seg::Key(arg)]].concat();
                    diags.push(s.key_in_task(i, &arg_path, message).with_hint(hint));
                }
            }
        }
    }
    diags
}

/// What is wrong with an expected tool no server offers under that name, and the way out.
fn unknown_tool(task: &str, name: &str, tools: &ToolSet) -> (String, String) {
    let same = tools.by_server_name(name);
    if same.is_empty() {
        let hint = match did_you_mean(name, tools.tools.iter().map(|t| t.name.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "`tooleval tools --eval <EVAL_FILE>` lists every tool the servers offer".to_owned()
            }
        };
        (
            format!("task `{task}` expects tool `{name}`, which no server offers"),
            hint,
        )
    } else {
        let options = same
            .iter()
            .map(|t| format!("`{}`", t.name))
            .collect::<Vec<_>>()
            .join(" or ");
        (
            format!("task `{task}`: tool `{name}` is offered by several servers"),
            format!("write {options}"),
        )
    }
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
