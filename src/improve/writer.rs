//! What the writer model is asked: the rules, every tool as it stands, and the evidence about
//! the tools to rewrite; and, when a proposal is rejected, the reason with one more chance.

use crate::mcp::ToolSet;
use crate::model::{ModelRequest, OutputSchema};
use crate::report::ToolEvidence;
use serde_json::{Map, Value, json};

/// The standing instructions.
pub(crate) const RULES: &str = "You improve the descriptions of tools that a language model chooses from. \
The model sees only each tool's name, description and parameter descriptions, so the descriptions \
decide which tool it calls and with which arguments.

Rules:
1. Describe what the tool does and what it returns, when to use it, and when to use a named \
neighbouring tool instead.
2. Do not copy wording from the task prompts you are shown. They are examples of where the model \
went wrong, and the descriptions must work for requests you have not seen: describe the tool, not \
the tasks.
3. Rewrite only the tools listed under \"Tools to rewrite\". Do not rename tools or parameters, and \
do not describe parameters a tool does not have.
4. Stay within the token budget given.
5. Reply with the new descriptions as one JSON object and nothing else, in this form (give \
parameters when you change them; repeat a text you keep as it is):

{\"tools\": {\"TOOL_NAME\": {\"description\": \"The new description.\", \"parameters\": \
{\"PARAMETER_NAME\": \"The new description of the parameter.\"}}}}";

/// Everything the first request of a round says.
pub(crate) struct Brief<'a> {
    /// The tools as they stand (kept descriptions applied), token counts included.
    pub tools: &'a ToolSet,
    pub evidence: &'a [ToolEvidence],
    pub budget: usize,
    pub encoding: &'a str,
    /// Proposals of earlier rounds that were measured and not kept, with why.
    pub rejected: &'a [(String, String)],
    /// Each server's instructions as they stand, when the host puts them before the model
    /// (empty otherwise): the writer may rewrite them.
    pub instructions: &'a [(String, String)],
}

/// The first request of a round.
pub(crate) fn request(brief: &Brief<'_>) -> ModelRequest {
    ModelRequest::written(
        RULES,
        brief_text(brief),
        "(writer)".into(),
        output_schema(brief),
    )
}

/// The descriptions file of exactly the tools to rewrite, as a schema a model can be held to:
/// each tool's description and every parameter it has, all required (OpenAI's strict rules; a
/// text kept as it is counts as no change), nothing else.
fn output_schema(b: &Brief<'_>) -> OutputSchema {
    let strict = |properties: Map<String, Value>| {
        let required: Vec<&String> = properties.keys().collect();
        json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    };
    let mut tools = Map::new();
    for e in b.evidence {
        let mut fields = Map::new();
        fields.insert("description".into(), json!({ "type": "string" }));
        let parameters: Map<String, Value> = b
            .tools
            .by_name(&e.tool)
            .and_then(|t| t.input_schema.get("properties"))
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .keys()
                    .map(|p| (p.clone(), json!({ "type": "string" })))
                    .collect()
            })
            .unwrap_or_default();
        // An object with no properties is left out: Gemini refuses one.
        if !parameters.is_empty() {
            fields.insert("parameters".into(), strict(parameters));
        }
        tools.insert(e.tool.clone(), strict(fields));
    }
    let mut root = Map::new();
    root.insert("tools".into(), strict(tools));
    if !b.instructions.is_empty() {
        let servers: Map<String, Value> = b
            .instructions
            .iter()
            .map(|(name, _)| {
                let mut fields = Map::new();
                fields.insert("instructions".into(), json!({ "type": "string" }));
                (name.clone(), strict(fields))
            })
            .collect();
        root.insert("servers".into(), strict(servers));
    }
    OutputSchema {
        name: "descriptions".into(),
        description: "New descriptions of the tools to rewrite, and of their parameters.".into(),
        schema: strict(root),
    }
}

/// The retry after a rejected proposal: the conversation so far, the proposal, and why.
pub(crate) fn retry(first: &ModelRequest, proposal: &str, reason: &str) -> ModelRequest {
    first.follow_up(
        proposal,
        format!(
            "That proposal was rejected: {reason}\n\nWrite new descriptions that follow the rules. Reply with the JSON object only."
        ),
    )
}

fn brief_text(b: &Brief<'_>) -> String {
    let mut s = String::new();
    let total = b.tools.total_tokens();
    s.push_str(&format!(
        "Every tool, as the model sees it ({} tools, {total} tokens in {}):\n\n",
        b.tools.tools.len(),
        b.encoding
    ));
    for t in &b.tools.tools {
        s.push_str(&format!("- `{}`: {}\n", t.name, one_line(&t.description)));
        let required = t.required();
        if let Some(props) = t.input_schema.get("properties").and_then(|p| p.as_object()) {
            for (p, v) in props {
                let ty = v.get("type").map(|t| t.to_string()).unwrap_or_default();
                let req = if required.contains(&p.as_str()) {
                    ", required"
                } else {
                    ""
                };
                let desc = v.get("description").and_then(|d| d.as_str()).unwrap_or("");
                s.push_str(&format!(
                    "  - parameter `{p}` ({}{req}): {}\n",
                    ty.trim_matches('"'),
                    one_line(desc)
                ));
            }
        }
    }
    s.push_str(&format!(
        "\nToken budget: the whole tool set may cost at most {} tokens; it costs {total} now.\n",
        b.budget
    ));
    s.push_str("\nTools to rewrite, with what went wrong:\n");
    for e in b.evidence {
        s.push_str(&format!(
            "\n## `{}` ({} tokens)\n",
            e.tool,
            e.tokens.map_or_else(|| "?".into(), |t| t.to_string())
        ));
        for f in &e.failures {
            let actual = if f.actual.is_empty() {
                "no call".to_owned()
            } else {
                f.actual.join(", ")
            };
            s.push_str(&format!(
                "- Task: \"{}\"\n  Expected: {}\n  Called: {actual}\n  Result: {} ({}/{} trials failed): {}\n",
                one_line(&f.prompt),
                f.expected,
                f.outcome.as_str(),
                f.failed,
                f.trials,
                one_line(&f.reason)
            ));
        }
        for c in &e.confusions {
            let alike = c
                .similarity
                .map(|x| format!(" (descriptions {:.0}% alike)", x * 100.0))
                .unwrap_or_default();
            s.push_str(&format!(
                "- Confused: `{}` expected, `{}` called, {} time(s){alike}\n",
                c.expected, c.chosen, c.count
            ));
        }
        for f in &e.findings {
            s.push_str(&format!("- Lint: {f}\n"));
        }
    }
    if !b.instructions.is_empty() {
        s.push_str("\nServer instructions: the host puts each server's instructions before the model (when it defers tools, they and the tool names are all the model sees before it searches). You may also rewrite them, under `servers` (`{\"servers\": {\"SERVER\": {\"instructions\": \"...\"}}}`): say what the server is for and which tool serves which need, briefly; the same rules hold. Repeat a text you keep as it is.\n");
        for (name, text) in b.instructions {
            let text = if text.trim().is_empty() {
                "(none)".to_owned()
            } else {
                one_line(text)
            };
            s.push_str(&format!("- server `{name}`: {text}\n"));
        }
    }
    if !b.rejected.is_empty() {
        s.push_str("\nEarlier proposals that were measured and not kept (do not repeat them):\n");
        for (proposal, why) in b.rejected {
            s.push_str(&format!("\nNot kept because {why}:\n{proposal}\n"));
        }
    }
    s
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
