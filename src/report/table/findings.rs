//! Lint findings for a terminal: a row per finding, then the counts.

use super::{laid_out, table};
use crate::mcp::ToolSet;

/// Lint findings: rule, severity, tool, message and hint; then the counts.
pub(crate) fn render_findings(
    findings: &[crate::lint::Finding],
    set: &ToolSet,
    width: u16,
    notes: bool,
) -> String {
    let mut out = String::new();
    let shown: Vec<_> = findings
        .iter()
        .filter(|f| notes || f.severity != crate::lint::Severity::Info)
        .collect();
    if !shown.is_empty() {
        let mut t = table(width);
        t.set_header(["severity", "rule", "tool", "finding", "hint"]);
        for f in shown {
            t.add_row([
                f.severity.as_str(),
                f.rule.id(),
                &f.tools_text(),
                &f.message,
                &f.hint,
            ]);
        }
        out = format!("{}\n", laid_out(t, width, &[3, 4]));
    }
    let count = |s: crate::lint::Severity| findings.iter().filter(|f| f.severity == s).count();
    out.push_str(&format!(
        "{} tool(s), {} tokens ({}): {} error(s), {} warning(s), {} note(s)\n",
        set.tools.len(),
        set.total_tokens(),
        set.encoding.as_deref().unwrap_or("?"),
        count(crate::lint::Severity::Error),
        count(crate::lint::Severity::Warning),
        count(crate::lint::Severity::Info)
    ));
    if !notes && count(crate::lint::Severity::Info) > 0 {
        out.push_str("notes are hidden: --all shows them\n");
    }
    out
}
