//! `lint`: every enabled rule run over a tool set, the findings in order.

use super::checks::{self, Context};
use super::finding::Finding;
use super::rule::Rule;
use crate::config::{LintConfig, Provider};
use crate::mcp::{Converted, ToolSet};

/// Runs every rule not disabled. Tokens must have been counted for the token rules to apply.
/// Findings come most severe first, then by rule id and tools.
pub(crate) fn lint(
    set: &ToolSet,
    cfg: &LintConfig,
    max_tool_tokens: Option<usize>,
) -> Vec<Finding> {
    lint_for(set, cfg, max_tool_tokens, &[], &[])
}

/// [`lint`], also listing what each of `providers` is sent changed (besides the provider the
/// set records it was sent to), and checking the `servers`' instructions.
pub(crate) fn lint_for(
    set: &ToolSet,
    cfg: &LintConfig,
    max_tool_tokens: Option<usize>,
    providers: &[Provider],
    servers: &[crate::record::ServerInfo],
) -> Vec<Finding> {
    let mut converted: Vec<Converted> = set.converted.iter().cloned().collect();
    for &p in providers {
        if !converted.iter().any(|c| c.provider == p)
            && let Some(c) = Converted::of(set, p)
        {
            converted.push(c);
        }
    }
    let mut named: Vec<Provider> = providers.to_vec();
    named.extend(set.converted.iter().map(|c| c.provider));
    let ctx = Context {
        set,
        cfg,
        max_tool_tokens,
        converted,
        providers: named,
        servers,
    };
    let mut out: Vec<Finding> = Rule::ALL
        .into_iter()
        .filter(|r| !cfg.disable.iter().any(|d| d == r.id()))
        .flat_map(|r| checks::run(r, &ctx))
        .collect();
    // By the tools as shown, so the order is the one the table has always had. The sort is
    // stable: one tool's findings of one rule keep the order the rule found them in.
    out.sort_by_cached_key(|f| (f.severity, f.rule.id(), f.tools_text()));
    out
}
