//! Checking a suite against the tools the servers offer: every tool an expectation names, and
//! every argument it matches, exists (with a suggestion when it does not).

use crate::config::{Call, Eval, LoadedSuite, Matcher, MockSpec, Places, Seg, Task};
use crate::error::{Diagnostic, did_you_mean};
use crate::mcp::ToolSet;

/// Checks every tool an expectation, a trajectory or a mock names, and every argument it
/// matches, against the tool set: unknown or ambiguous names are diagnostics with a suggestion.
pub(crate) fn check_expectations(suites: &[LoadedSuite], tools: &ToolSet) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for s in suites {
        check_suite_mocks(s, tools, &mut diags);
        for (i, task) in s.suite.tasks.iter().enumerate() {
            check_task(s, i, task, tools, &mut diags);
        }
    }
    diags
}

/// The suite's own mocks: each names a tool, and its `when` the tool's arguments.
fn check_suite_mocks(s: &LoadedSuite, tools: &ToolSet, diags: &mut Vec<Diagnostic>) {
    for (name, spec) in &s.suite.mocks {
        let path = [Seg::Key("mocks"), Seg::Key(name)];
        if let Err((message, hint)) = named_tool("the suite mocks", name, tools) {
            let d = Diagnostic::new(&s.path, message);
            diags.push(s.places().at_key(d, &s.source, &path).with_hint(hint));
            continue;
        }
        for (m, mock) in spec.mocks().iter().enumerate() {
            let at = mock_path(&path, spec, m);
            let place = |d, arg: &str| {
                let at = [&at[..], &[Seg::Key(arg)]].concat();
                s.places().at_key(d, &s.source, &at)
            };
            let whose = "a mock of the suite";
            check_args(&s.path, place, whose, name, &mock.when, tools, diags);
        }
    }
}

/// The `i`-th task: the calls it expects (and its trajectory's), the tools it forbids, and its
/// mocks.
fn check_task(
    s: &LoadedSuite,
    i: usize,
    task: &Task,
    tools: &ToolSet,
    diags: &mut Vec<Diagnostic>,
) {
    let who = format!("task `{}`", task.id);
    let mut calls: Vec<(Vec<Seg>, &Call)> = task
        .expectation()
        .calls_with_paths()
        .into_iter()
        .map(|(at, c)| ([&[Seg::Key("expect")], &at[..]].concat(), c))
        .collect();
    if let Some(t) = &task.trajectory {
        calls.extend(t.calls.iter().enumerate().map(|(n, c)| {
            (
                vec![Seg::Key("trajectory"), Seg::Key("calls"), Seg::Index(n)],
                c,
            )
        }));
        for (n, name) in t.forbid.iter().enumerate() {
            if let Err((message, hint)) = named_tool(&format!("{who} forbids"), name, tools) {
                let at = [Seg::Key("trajectory"), Seg::Key("forbid"), Seg::Index(n)];
                diags.push(s.value_in_task(i, &at, message).with_hint(hint));
            }
        }
    }
    for (call_path, call) in calls {
        let tool_path = [&call_path[..], &[Seg::Key("tool")]].concat();
        if let Err((message, hint)) = named_tool(&format!("{who} expects"), &call.tool, tools) {
            diags.push(s.value_in_task(i, &tool_path, message).with_hint(hint));
            continue;
        }
        let at = [&call_path[..], &[Seg::Key("args")]].concat();
        let place = |d, arg: &str| {
            let at = [&at[..], &[Seg::Key(arg)]].concat();
            s.places().at_key(d, &s.source, &in_task(i, &at))
        };
        check_args(&s.path, place, &who, &call.tool, &call.args, tools, diags);
    }
    for (name, spec) in task.mocks() {
        let path = [Seg::Key("mocks"), Seg::Key(name)];
        if let Err((message, hint)) = named_tool(&format!("{who} mocks"), name, tools) {
            diags.push(s.key_in_task(i, &path, message).with_hint(hint));
            continue;
        }
        for (m, mock) in spec.mocks().iter().enumerate() {
            let at = mock_path(&path, spec, m);
            let place = |d, arg: &str| {
                let at = [&at[..], &[Seg::Key(arg)]].concat();
                s.places().at_key(d, &s.source, &in_task(i, &at))
            };
            let whose = format!("a mock of {who}");
            check_args(&s.path, place, &whose, name, &mock.when, tools, diags);
        }
    }
}

/// Checks the tools the eval file names for agent runs (`allow_tools`, `mocks`).
pub(crate) fn check_eval_tools(eval: &Eval, tools: &ToolSet) -> Vec<Diagnostic> {
    let file = &eval.file;
    if file.allow_tools.is_empty() && file.mocks.is_empty() {
        return Vec::new();
    }
    // The file is read again (for the places of its values) only when something is wrong.
    let doc: std::cell::OnceCell<(String, Places)> = std::cell::OnceCell::new();
    let doc = || {
        doc.get_or_init(|| {
            let source = std::fs::read_to_string(&eval.path).unwrap_or_default();
            let places = Places::parse(&source);
            (source, places)
        })
    };
    let mut diags = Vec::new();
    for (n, name) in file.allow_tools.iter().enumerate() {
        if let Err((message, hint)) = named_tool("`allow_tools` names", name, tools) {
            let d = Diagnostic::new(&eval.path, message);
            let at = [Seg::Key("allow_tools"), Seg::Index(n)];
            let (source, places) = doc();
            diags.push(places.at_value(d, source, &at).with_hint(hint));
        }
    }
    for (name, spec) in &file.mocks {
        let path = [Seg::Key("mocks"), Seg::Key(name)];
        if let Err((message, hint)) = named_tool("the eval mocks", name, tools) {
            let d = Diagnostic::new(&eval.path, message);
            let (source, places) = doc();
            diags.push(places.at_key(d, source, &path).with_hint(hint));
            continue;
        }
        for (m, mock) in spec.mocks().iter().enumerate() {
            let at = mock_path(&path, spec, m);
            let place = |d, arg: &str| {
                let at = [&at[..], &[Seg::Key(arg)]].concat();
                let (source, places) = doc();
                places.at_key(d, source, &at)
            };
            check_args(
                &eval.path,
                place,
                "a mock of the eval",
                name,
                &mock.when,
                tools,
                &mut diags,
            );
        }
    }
    diags
}

/// `path` inside the `task`-th task of a suite.
fn in_task<'a>(task: usize, path: &[Seg<'a>]) -> Vec<Seg<'a>> {
    [&[Seg::Key("tasks"), Seg::Index(task)], path].concat()
}

/// Where the `when` of the `m`-th mock of a tool is written.
fn mock_path<'a>(tool: &[Seg<'a>], spec: &MockSpec, m: usize) -> Vec<Seg<'a>> {
    match spec {
        MockSpec::One(_) => [tool, &[Seg::Key("when")]].concat(),
        MockSpec::Many(_) => [tool, &[Seg::Index(m), Seg::Key("when")]].concat(),
    }
}

/// A tool a file names exists (once): `Err` with the message and the way out when not.
fn named_tool(who: &str, name: &str, tools: &ToolSet) -> Result<(), (String, String)> {
    if tools.by_name(name).is_some() {
        Ok(())
    } else {
        Err(unknown_tool(who, name, tools))
    }
}

/// Every argument the matchers name is a parameter of `tool` (when its schema lists them all).
/// `place` points a diagnostic at the matchers' mapping, given the argument's path below it.
fn check_args<'a>(
    file: &std::path::Path,
    place: impl Fn(Diagnostic, &str) -> Diagnostic + 'a,
    who: &str,
    tool: &str,
    args: &indexmap::IndexMap<String, Matcher>,
    tools: &ToolSet,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(tool) = tools.by_name(tool) else {
        return;
    };
    let Some(props) = closed_properties(&tool.input_schema) else {
        return;
    };
    for (arg, matcher) in args {
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
        let message = format!("{who}: tool `{}` has no parameter `{arg}`", tool.name);
        diags.push(place(Diagnostic::new(file, message), arg).with_hint(hint));
    }
}

/// What is wrong with an expected tool no server offers under that name, and the way out.
fn unknown_tool(who: &str, name: &str, tools: &ToolSet) -> (String, String) {
    let same = tools.by_server_name(name);
    if same.is_empty() {
        let hint = match did_you_mean(name, tools.tools.iter().map(|t| t.name.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "`tooleval tools --eval <EVAL_FILE>` lists every tool the servers offer".to_owned()
            }
        };
        (format!("{who} tool `{name}`, which no server offers"), hint)
    } else {
        let options = same
            .iter()
            .map(|t| format!("`{}`", t.name))
            .collect::<Vec<_>>()
            .join(" or ");
        (
            format!("{who} tool `{name}`, which several servers offer"),
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

/// Refuses a run whose Anthropic model would be sent a tool schema the API refuses: not JSON
/// Schema draft 2020-12 even after the conversion's rewrites (a `type: int`, a property that is
/// not a schema). The API answers every request carrying it with 400 "JSON schema is invalid. It
/// must match JSON Schema draft 2020-12", so not one task could run.
pub(crate) fn check_schemas(eval: &Eval, tools: &ToolSet) -> crate::error::Result<()> {
    let anthropic = std::iter::once(&eval.model).chain(&eval.models).any(|m| {
        m.provider() == crate::config::Provider::Anthropic && !crate::config::is_baseline(&m.name)
    });
    if !anthropic {
        return Ok(());
    }
    for t in &tools.tools {
        let (sent, _) = crate::mcp::convert::anthropic(&t.input_schema);
        if let Some(problem) = crate::mcp::convert::not_2020_12(&sent) {
            return Err(crate::error::Error::Model {
                message: format!(
                    "tool `{}` of server `{}`: its input schema is not JSON Schema draft 2020-12 ({problem}), and Anthropic refuses every request that carries it",
                    t.name, t.server
                ),
                hint: Some(
                    "fix the schema where the server defines it, or ask this eval through another provider; `tooleval lint --provider anthropic` shows what is sent"
                        .into(),
                ),
            });
        }
    }
    Ok(())
}
