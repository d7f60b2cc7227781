//! A tool list for a terminal: each tool's server, description, parameters and tokens.

use comfy_table::{Cell, CellAlignment};
use serde_json::Value;

use super::table;
use crate::mcp::ToolSet;

/// How many tools each kind of call is, by their annotations: `11 read-only, 3 writes, 1
/// destructive, 0 unannotated (taken to write)`.
fn effects_line(set: &ToolSet) -> String {
    use crate::mcp::Effect;
    let kinds = [
        Effect::ReadOnly,
        Effect::Writes,
        Effect::Destructive,
        Effect::Unannotated,
    ];
    let counts: Vec<String> = kinds
        .iter()
        .map(|k| {
            let n = set.tools.iter().filter(|t| t.effect() == *k).count();
            match k {
                Effect::Unannotated => format!("{n} unannotated (taken to write)"),
                _ => format!("{n} {}", k.as_str()),
            }
        })
        .collect();
    format!("calls by annotation: {}", counts.join(", "))
}

/// A tool list: server, name, what calling it does (by its annotations), description,
/// parameters (`*` marks required ones), tokens.
pub(crate) fn render_tools_table(set: &ToolSet, width: u16) -> String {
    let mut t = table(width);
    t.set_header([
        "server",
        "tool",
        "calls",
        "description",
        "parameters",
        "tokens",
    ]);
    for tool in &set.tools {
        t.add_row([
            Cell::new(&tool.server),
            Cell::new(&tool.name),
            Cell::new(tool.effect().as_str()),
            Cell::new(&tool.description),
            Cell::new(parameters(&tool.input_schema)),
            Cell::new(tool.tokens.map(|n| n.to_string()).unwrap_or_default())
                .set_alignment(CellAlignment::Right),
        ]);
    }
    let mut per_server: Vec<(String, usize, usize)> = Vec::new();
    for tool in &set.tools {
        match per_server.iter_mut().find(|(s, _, _)| *s == tool.server) {
            Some(e) => {
                e.1 += 1;
                e.2 += tool.tokens.unwrap_or(0);
            }
            None => per_server.push((tool.server.clone(), 1, tool.tokens.unwrap_or(0))),
        }
    }
    // The calls and tokens columns go first when the words cannot fit: the lines below the table
    // give both per server and by annotation.
    let (t, hidden) = super::laid_out_dropping(t, width, &[3, 4], &[5, 2]);
    let mut out = format!("{t}\n");
    if !hidden.is_empty() {
        out.push_str(&format!(
            "({} left out for the width; a wider terminal shows them)\n",
            hidden.join(" and ")
        ));
    }
    let enc = set.encoding.as_deref().unwrap_or("?");
    for (server, n, tokens) in &per_server {
        out.push_str(&format!("{server}: {n} tool(s), {tokens} tokens ({enc})\n"));
    }
    out.push_str(&format!(
        "{} tool(s), {} tokens in all, set hash {}\n",
        set.tools.len(),
        set.total_tokens(),
        set.hash
    ));
    out.push_str(&super::wrap(&effects_line(set), width, "  "));
    out.push('\n');
    out
}

fn parameters(schema: &Value) -> String {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return String::new();
    };
    props
        .iter()
        .map(|(name, p)| {
            let ty = p
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .map(|v| {
                            v.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| v.to_string())
                        })
                        .collect::<Vec<_>>()
                        // A narrow column wraps between values, never inside one.
                        .join(" | ")
                })
                .or_else(|| {
                    p.get("type").map(|t| {
                        t.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| t.to_string())
                    })
                })
                .unwrap_or_else(|| "any".into());
            let star = if required.contains(&name.as_str()) {
                "*"
            } else {
                ""
            };
            format!("{name}{star}: {ty}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many lines of a server's instructions the table shows; `--format json` has them all.
const INSTRUCTION_LINES: usize = 6;

/// Each server's instructions (what hosts put before the model), with their tokens: the first
/// lines, wrapped to `width`.
pub(crate) fn render_instructions(servers: &[crate::record::ServerInfo], width: u16) -> String {
    let mut out = String::new();
    for s in servers {
        let Some(text) = s.instructions.as_deref() else {
            continue;
        };
        let tokens = s
            .instructions_tokens
            .map(|n| format!(", {n} tokens"))
            .unwrap_or_default();
        let from = if s.instructions_overridden {
            " from the descriptions file"
        } else {
            ""
        };
        let head = format!(
            "instructions of `{}`{from} ({} lines{tokens}; hosts show them to the model):",
            s.name,
            text.lines().count()
        );
        out.push('\n');
        out.push_str(&super::wrap(&head, width, "  "));
        out.push('\n');
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for line in lines.iter().take(INSTRUCTION_LINES) {
            out.push_str(&super::wrap(&format!("  {line}"), width, "    "));
            out.push('\n');
        }
        if lines.len() > INSTRUCTION_LINES {
            out.push_str(&format!(
                "  ... {} more lines (`--format json` shows them all)\n",
                lines.len() - INSTRUCTION_LINES
            ));
        }
    }
    out
}
