//! Reports: the value a run produces, how it is written, and how it is shown.

mod diff;
mod diff_render;
mod files;
mod github;
mod json;
mod junit;
mod markdown;
mod sweep;
mod table;
mod types;
mod variants;

#[cfg(test)]
mod tests;

pub use diff::{
    DiffOptions, RateChange, ReportDiff, TaskChange, TaskStatus, ToolChange, ToolChanges,
    WordChange, diff_reports, schema_changes, tool_changes, word_diff,
};
pub use diff_render::{render_diff_markdown, render_diff_table};
pub use files::{default_report_path, fallback_path, parse_report, read_report};
pub use github::render_annotations;
pub use json::{summary_json, variants_json};
pub use junit::render_junit;
pub use markdown::render_summary_markdown;
pub use sweep::{
    SWEEP_SCHEMA_VERSION, SweepPoint, SweepReport, TaskBreak, TrialOutcome, render_sweep_svg,
    render_sweep_table,
};
pub use table::{render_findings, render_table, render_tools_table};
pub use types::{EvalInfo, Report, SCHEMA_VERSION, ShardInfo, SplitRates, SuiteInfo, ToolIdentity};
pub use variants::render_variants;
