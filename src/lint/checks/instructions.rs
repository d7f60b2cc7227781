//! Rules on a server's `instructions`, the text hosts put before the model with (or, when they
//! defer tools, instead of) the tool definitions.

use super::Context;
use crate::lint::finding::Finding;
use crate::lint::rule::Rule;

/// From this many tools on, a server without instructions is noted: a host that defers tools
/// shows the model their names and the instructions alone.
const MANY_TOOLS: usize = 10;

/// Claude Code keeps the first 2 KB of a server's instructions and drops the rest: "Claude Code
/// truncates tool descriptions and server instructions at 2KB each"
/// (<https://code.claude.com/docs/en/mcp>, "For MCP server authors"; as of 2026-12-06, read
/// through quotes of the page; the cap dates from 2026-03,
/// <https://github.com/anthropics/claude-code/issues/39106>). The cut is seen at 2048
/// characters, mid-word (<https://github.com/pvliesdonk/markdown-vault-mcp/issues/1252>).
const MAX_INSTRUCTIONS_CHARS: usize = 2048;

pub(crate) fn instructions_missing(ctx: &Context) -> Vec<Finding> {
    ctx.servers
        .iter()
        .filter(|s| s.instructions.is_none() && s.tool_count >= MANY_TOOLS)
        .map(|s| {
            Finding::new(
                Rule::InstructionsMissing,
                vec![],
                format!(
                    "server `{}` offers {} tools and no instructions",
                    s.name, s.tool_count
                ),
                "hosts that defer tools (Claude Code's tool search) show the model only their names and each server's instructions: say in a few lines what the server is for and which tool serves which need",
            )
        })
        .collect()
}

/// Instructions longer than a host keeps: what follows the cut never reaches the model.
pub(crate) fn instructions_long(ctx: &Context) -> Vec<Finding> {
    ctx.servers
        .iter()
        .filter_map(|s| {
            let chars = s.instructions.as_deref()?.chars().count();
            (chars > MAX_INSTRUCTIONS_CHARS).then_some((s, chars))
        })
        .map(|(s, chars)| {
            let tokens = s
                .instructions_tokens
                .map(|t| format!(" ({t} tokens)"))
                .unwrap_or_default();
            Finding::new(
                Rule::InstructionsLong,
                vec![],
                format!(
                    "the instructions of server `{}` are {chars} characters{tokens}; Claude Code keeps the first {MAX_INSTRUCTIONS_CHARS}",
                    s.name
                ),
                "put first what the model needs to choose this server's tools (what it is for, which tool serves which need), and move reference material, examples and per-tool detail into the tool descriptions",
            )
        })
        .collect()
}

/// Names in backticks that read like tool names (letters, digits, `_` and `-`, with a `_` or
/// `-`, not all capitals: `get-roots-list`, not `GZIP_MAX_FETCH_SIZE`) but that the server does
/// not offer: a model told to use them looks for a tool that is not there.
pub(crate) fn instructions_unknown_tool(ctx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in ctx.servers {
        let Some(text) = s.instructions.as_deref() else {
            continue;
        };
        let offered: Vec<&str> = ctx
            .set
            .tools
            .iter()
            .filter(|t| t.server == s.name)
            .map(|t| t.server_name.as_str())
            .collect();
        let mut named: Vec<&str> = Vec::new();
        for word in text.split('`').skip(1).step_by(2) {
            if looks_like_a_tool(word) && !offered.contains(&word) && !named.contains(&word) {
                named.push(word);
            }
        }
        if !named.is_empty() {
            let list: Vec<String> = named.iter().map(|n| format!("`{n}`")).collect();
            out.push(Finding::new(
                Rule::InstructionsUnknownTool,
                vec![],
                format!(
                    "the instructions of server `{}` name {} that it does not list",
                    s.name,
                    list.join(", ")
                ),
                "name tools as the server lists them, or say when a tool is offered (e.g. only to clients that support sampling)",
            ));
        }
    }
    out
}

fn looks_like_a_tool(word: &str) -> bool {
    (1..=64).contains(&word.len())
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && word.contains(['_', '-'])
        && word.chars().any(|c| c.is_ascii_lowercase())
}
