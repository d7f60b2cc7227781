//! What the writer model is asked for each job (a tool's tasks, a near-miss pair, the
//! negatives, the exploration calls and the multi-step tasks of agent mode), the form its reply
//! is held to, and the retry that tells it why tasks were rejected.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{Value, json};

use super::task::{Existing, Job};
use crate::mcp::ToolSet;
use crate::model::{ModelRequest, OutputSchema};

/// The standing instructions.
pub(crate) const RULES: &str = "You write test tasks for the tools of an MCP server: requests a \
user would send to an assistant that has these tools. A model is later asked each task, and the \
tool calls it makes are checked against what the task expects, to measure whether the tools' \
descriptions lead it to the right tool with the right arguments.

Rules:
1. Write each prompt as a user would ask: a concrete need in everyday words. Never name a tool, \
and do not reuse a tool's description: a prompt that repeats the description measures nothing.
2. Put the values the call needs in the prompt (a service, an ID, a time range), unless the job \
says to leave one out.
3. Check each expected argument with one of: `equals` only for a value the prompt states word for \
word (`value`: its JSON, e.g. \"\\\"payments\\\"\" or \"20\"); `one_of` when a few values are \
right (`value`: a JSON list); `contains` for text the argument must hold (`value`: the text); \
`present` when any value will do (`value`: \"\").
4. Name every required parameter of the expected tool.
5. Vary the tasks: different needs, wordings and lengths; no two alike, and none like the existing \
tasks you are shown.
6. Reply with one JSON object and nothing else, in the form the job gives.";

/// A task as the writer proposes it (every field of every job's form; those a job's form
/// leaves out stay empty).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Candidate {
    pub prompt: String,
    pub tool: String,
    pub args: Vec<ArgCheck>,
    /// Negatives: `out_of_domain` or `missing_argument`.
    pub kind: String,
    /// A `missing_argument` negative: the argument the prompt leaves out.
    pub missing: String,
    /// A multi-step task: the calls that reach the answer, in order.
    pub calls: Vec<CallCandidate>,
    /// A multi-step task: values the final answer must hold.
    pub answer: Vec<String>,
}

/// One expected argument and how to check it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ArgCheck {
    pub name: String,
    #[serde(rename = "match")]
    pub matcher: String,
    pub value: String,
}

/// One call of a multi-step task.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CallCandidate {
    pub tool: String,
    pub args: Vec<ArgCheck>,
}

/// A reply: the tasks of a job, or the exploration calls.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Reply {
    pub tasks: Vec<Candidate>,
    pub calls: Vec<ExploreCall>,
}

/// An exploration call the writer asks for: a tool and its arguments as a JSON text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExploreCall {
    pub tool: String,
    pub arguments: String,
}

/// What a request says beside the job: every tool, the tasks that exist, what the tools
/// returned (agent mode).
pub(crate) struct Context<'a> {
    pub tools: &'a ToolSet,
    /// The tasks that exist.
    pub existing: &'a [Existing],
    /// Calls made to read real data, and what each returned.
    pub observed: &'a [super::ground::Observation],
}

/// The first request of a job.
pub(crate) fn request(job: &Job, cx: &Context<'_>) -> ModelRequest {
    let mut user = tools_text(cx.tools);
    user.push('\n');
    user.push_str(&job_text(job, cx));
    ModelRequest::written(
        RULES,
        user,
        format!("(writer: {})", job.label()),
        output_schema(job),
    )
}

/// The retry after some of a job's tasks were rejected: the conversation so far, the reply,
/// each rejected prompt with why, and how many to write instead.
pub(crate) fn retry(
    first: &ModelRequest,
    reply: &str,
    job: &Job,
    rejected: &[(String, String)],
    wanted: usize,
) -> ModelRequest {
    let mut user = format!("Some of the tasks {} were rejected:\n", job.marker());
    for (prompt, why) in rejected {
        let _ = writeln!(user, "- \"{}\": {why}", one_line(prompt));
    }
    let _ = write!(
        user,
        "\nWrite {wanted} new task(s) {} to replace them, following the rules. Reply with the JSON object only, in the same form.",
        job.marker()
    );
    first.follow_up(reply, user)
}

/// Every tool as the model will see it: name, effect, description, parameters (type,
/// required, enum, description).
fn tools_text(tools: &ToolSet) -> String {
    let mut s = format!("The server's tools ({}):\n", tools.tools.len());
    for t in &tools.tools {
        let _ = writeln!(
            s,
            "\n- `{}` ({}): {}",
            t.name,
            t.effect().as_str(),
            one_line(&t.description)
        );
        let required = t.required();
        if let Some(props) = t.input_schema.get("properties").and_then(Value::as_object) {
            for (p, v) in props {
                let ty = v.get("type").map(|t| t.to_string()).unwrap_or_default();
                let req = if required.contains(&p.as_str()) {
                    ", required"
                } else {
                    ""
                };
                let choices = v
                    .get("enum")
                    .map(|e| format!(", one of {e}"))
                    .unwrap_or_default();
                let desc = v.get("description").and_then(Value::as_str).unwrap_or("");
                let _ = writeln!(
                    s,
                    "  - `{p}` ({}{req}{choices}): {}",
                    ty.trim_matches('"'),
                    one_line(desc)
                );
            }
        }
    }
    s
}

fn job_text(job: &Job, cx: &Context<'_>) -> String {
    let mut s = String::new();
    match job {
        Job::Positive { tool, count } => {
            let _ = writeln!(
                s,
                "Write {count} task(s) that each need the tool `{tool}` (and no other tool) to be done."
            );
            existing_for(&mut s, cx, |t| t == Some(tool.as_str()));
            let _ = write!(
                s,
                "\nForm: {{\"tasks\": [{{\"prompt\": \"...\", \"tool\": \"{tool}\", \"args\": [{{\"name\": \"PARAMETER\", \"match\": \"equals|one_of|contains|present\", \"value\": \"...\"}}]}}]}}\n\nTasks to write: {}\n",
                job.marker()
            );
        }
        Job::NearMiss { a, b, why } => {
            let _ = writeln!(
                s,
                "The tools `{a}` and `{b}` are easy to confuse ({why}). Write 2 tasks: one that needs `{a}` and not `{b}`, and one that needs `{b}` and not `{a}`. Each prompt must make the difference clear to a reader who knows what each tool does, without naming either."
            );
            existing_for(&mut s, cx, |t| {
                t == Some(a.as_str()) || t == Some(b.as_str())
            });
            let _ = write!(
                s,
                "\nForm: {{\"tasks\": [{{\"prompt\": \"...\", \"tool\": \"{a} or {b}\", \"args\": [{{\"name\": \"PARAMETER\", \"match\": \"equals|one_of|contains|present\", \"value\": \"...\"}}]}}]}}\n\nTasks to write: {}\n",
                job.marker()
            );
        }
        Job::Negatives {
            out_of_domain,
            missing,
        } => {
            let _ = writeln!(
                s,
                "Write tasks for which the right behaviour is to call no tool:\n- {out_of_domain} request(s) close to these tools' domain that none of them can do (`kind`: \"out_of_domain\"; `tool` and `missing`: \"\");\n- {missing} request(s) that need a tool but leave out a required argument the assistant cannot guess, so it should ask for it instead of calling (`kind`: \"missing_argument\"; `tool`: the tool it needs; `missing`: the required parameter the prompt leaves out)."
            );
            existing_for(&mut s, cx, |t| t.is_none());
            let _ = write!(
                s,
                "\nForm: {{\"tasks\": [{{\"prompt\": \"...\", \"kind\": \"out_of_domain|missing_argument\", \"tool\": \"...\", \"missing\": \"...\"}}]}}\n\nTasks to write: {}\n",
                job.marker()
            );
        }
        Job::Explore { max, allowed } => {
            let _ = writeln!(
                s,
                "Before multi-step tasks are written, real data is read from the server. These read-only calls were made:\n"
            );
            observed_text(&mut s, cx);
            let names: Vec<String> = allowed.iter().map(|n| format!("`{n}`")).collect();
            let _ = write!(
                s,
                "\nPropose up to {max} more calls that would show data worth asking about (a record behind an ID seen above, a detail of a name seen above). Only these tools may be called: {}. `arguments` is the call's arguments as a JSON object text.\n\nForm: {{\"calls\": [{{\"tool\": \"...\", \"arguments\": \"{{...}}\"}}]}}\n\nCalls to explore: up to {max}\n",
                names.join(", ")
            );
        }
        Job::Grounded { count } => {
            let _ = writeln!(
                s,
                "These calls were made to the server, and this is what they returned (real data):\n"
            );
            observed_text(&mut s, cx);
            existing_for(&mut s, cx, |_| true);
            let _ = write!(
                s,
                "\nWrite {count} task(s) that need several calls in a row, where a later call uses what an earlier one returned, and whose answer is a value in the data above (an ID, a count, a version, a name). For each task: `prompt`; `calls`, the calls that reach the answer, in order, each with its argument checks as in rule 3 (a value the prompt does not state, but an earlier result does, may be checked with `equals` too); `answer`, the values the final answer must contain, copied exactly from the data above.\n\nForm: {{\"tasks\": [{{\"prompt\": \"...\", \"calls\": [{{\"tool\": \"...\", \"args\": [{{\"name\": \"PARAMETER\", \"match\": \"equals|one_of|contains|present\", \"value\": \"...\"}}]}}], \"answer\": [\"...\"]}}]}}\n\nTasks to write: {}\n",
                job.marker()
            );
        }
    }
    s
}

/// The existing tasks a job's tasks must not repeat (at most 20).
fn existing_for(s: &mut String, cx: &Context<'_>, keep: impl Fn(Option<&str>) -> bool) {
    let shown: Vec<&String> = cx
        .existing
        .iter()
        .filter(|e| keep(e.tool.as_deref()))
        .map(|e| &e.prompt)
        .take(20)
        .collect();
    if shown.is_empty() {
        return;
    }
    s.push_str("\nTasks that exist already (write none like these):\n");
    for p in shown {
        let _ = writeln!(s, "- \"{}\"", one_line(p));
    }
}

fn observed_text(s: &mut String, cx: &Context<'_>) {
    if cx.observed.is_empty() {
        s.push_str("(none)\n");
    }
    for o in cx.observed {
        let _ = writeln!(s, "- `{}` {}:\n{}\n", o.tool, o.arguments, o.result);
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form a job's reply is held to, strict (every property required, nothing else): OpenAI's
/// rules for `json_schema` output, which the other APIs take too.
fn output_schema(job: &Job) -> OutputSchema {
    let strict = |properties: Value| {
        let required: Vec<String> = properties
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    };
    let string = json!({ "type": "string" });
    let arg = strict(json!({
        "name": string,
        "match": { "type": "string", "enum": ["equals", "one_of", "contains", "present"] },
        "value": string,
    }));
    let args = json!({ "type": "array", "items": arg });
    let list = |item: Value| json!({ "type": "array", "items": item });
    let (name, root) = match job {
        Job::Positive { .. } | Job::NearMiss { .. } => (
            "tasks",
            strict(json!({ "tasks": list(strict(json!({
                "prompt": string, "tool": string, "args": args,
            }))) })),
        ),
        Job::Negatives { .. } => (
            "tasks",
            strict(json!({ "tasks": list(strict(json!({
                "prompt": string,
                "kind": { "type": "string", "enum": ["out_of_domain", "missing_argument"] },
                "tool": string,
                "missing": string,
            }))) })),
        ),
        Job::Explore { .. } => (
            "calls",
            strict(json!({ "calls": list(strict(json!({
                "tool": string, "arguments": string,
            }))) })),
        ),
        Job::Grounded { .. } => (
            "tasks",
            strict(json!({ "tasks": list(strict(json!({
                "prompt": string,
                "calls": list(strict(json!({ "tool": string, "args": args }))),
                "answer": list(string.clone()),
            }))) })),
        ),
    };
    OutputSchema {
        name: name.into(),
        description: "Test tasks for the tools, or calls to read data with.".into(),
        schema: root,
    }
}

/// The reply read: its JSON object (a Markdown fence around it is taken off).
pub(crate) fn parse(reply: &str) -> Result<Reply, String> {
    let text = crate::text::unfence(reply);
    if text.is_empty() {
        return Err("the reply is empty".into());
    }
    serde_json::from_str(text).map_err(|e| {
        format!("the reply is not the JSON object asked for ({e}); reply with the JSON object only")
    })
}
