//! A lint finding, and `lint`: every enabled rule run over a tool set, the findings in order.

use serde::{Deserialize, Serialize};

use super::checks::{self, Context};
use super::rule::{Rule, Severity};
use crate::config::LintConfig;
use crate::mcp::ToolSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// The tool, or the tools (`a, b`) a finding is about.
    pub tool: String,
    pub message: String,
    pub hint: String,
}

impl Finding {
    /// A finding of `rule`, at the rule's severity, about `tools` (none: the whole set).
    pub fn new(rule: Rule, tools: Vec<String>, message: String, hint: &str) -> Finding {
        Finding {
            rule,
            severity: rule.severity(),
            tool: if tools.is_empty() {
                "(all)".into()
            } else {
                tools.join(", ")
            },
            message,
            hint: hint.into(),
        }
    }
}

/// Runs every rule not disabled. Tokens must have been counted for the token rules to apply.
/// Findings come most severe first, then by rule id and tools.
pub fn lint(set: &ToolSet, cfg: &LintConfig, max_tool_tokens: Option<usize>) -> Vec<Finding> {
    let ctx = Context {
        set,
        cfg,
        max_tool_tokens,
    };
    let mut out: Vec<Finding> = Rule::ALL
        .into_iter()
        .filter(|r| !cfg.disable.iter().any(|d| d == r.id()))
        .flat_map(|r| checks::run(r, &ctx))
        .collect();
    // Stable: one tool's findings of one rule keep the order the rule found them in.
    out.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.rule.id().cmp(b.rule.id()))
            .then_with(|| a.tool.cmp(&b.tool))
    });
    out
}
