//! A lint finding: the rule, the tools it is about, what is wrong and how to fix it.

use serde::{Deserialize, Serialize};

use super::rule::{Rule, Severity};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// The tools the finding is about: one, a pair or a group; none when it is about the whole set.
    pub tools: Vec<String>,
    pub message: String,
    pub hint: String,
}

impl Finding {
    /// A finding of `rule`, at the rule's severity.
    pub(crate) fn new(rule: Rule, tools: Vec<String>, message: String, hint: &str) -> Finding {
        Finding {
            rule,
            severity: rule.severity(),
            tools,
            message,
            hint: hint.into(),
        }
    }

    /// The tools as a table shows them: `a, b`, or `(all)` for the whole set.
    pub(crate) fn tools_text(&self) -> String {
        if self.tools.is_empty() {
            "(all)".into()
        } else {
            self.tools.join(", ")
        }
    }
}
