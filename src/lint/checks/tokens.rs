//! Rules on token cost: one tool's definition, and the whole set against its budget.

use super::Context;
use crate::lint::finding::Finding;
use crate::lint::rule::Rule;

const DEFAULT_MAX_TOKENS_PER_TOOL: usize = 800;

/// Applies to tools whose tokens have been counted.
pub(crate) fn tool_tokens(ctx: &Context) -> Vec<Finding> {
    let max = ctx
        .cfg
        .max_tokens_per_tool
        .unwrap_or(DEFAULT_MAX_TOKENS_PER_TOOL);
    ctx.set
        .tools
        .iter()
        .filter_map(|t| Some((t, t.tokens.filter(|n| *n > max)?)))
        .map(|(t, n)| {
            Finding::new(
                Rule::ToolTokens,
                vec![t.name.clone()],
                format!("the definition costs {n} tokens (more than {max})"),
                "every request pays for every tool: trim examples and repeated text from the description and schema",
            )
        })
        .collect()
}

/// Applies when a budget is set; the finding names no tool, as it is about the whole set.
pub(crate) fn token_budget(ctx: &Context) -> Vec<Finding> {
    let Some(max) = ctx.max_tool_tokens else {
        return Vec::new();
    };
    let total = ctx.set.total_tokens();
    if total <= max {
        return Vec::new();
    }
    vec![Finding::new(
        Rule::TokenBudget,
        Vec::new(),
        format!("the tool set costs {total} tokens, over the budget of {max}"),
        "shorten the longest definitions (see `tooleval tools`), or expose fewer tools",
    )]
}
