//! Reports: the value a run produces, how it is written, and how it is shown.

mod diff;
mod diff_render;
mod junit;
mod markdown;
mod sweep;
mod table;
mod types;
mod variants;
mod write;

pub use diff::{
    DiffOptions, RateChange, ReportDiff, TaskChange, TaskStatus, ToolChange, ToolChanges,
    WordChange, diff_reports, schema_changes, tool_changes, word_diff,
};
pub use diff_render::{render_diff_markdown, render_diff_table};
pub use junit::render_junit;
pub use markdown::render_summary_markdown;
pub use sweep::{
    SWEEP_SCHEMA_VERSION, SweepPoint, SweepReport, TaskBreak, TrialOutcome, render_sweep_svg,
    render_sweep_table,
};
pub use table::{render_findings, render_summary_json, render_table, render_tools_table};
pub use types::{
    EvalInfo, ModelInfo, ReplyRecord, Report, SCHEMA_VERSION, ServerInfo, ShardInfo, SplitRates,
    SuiteInfo, ToolCallRecord, ToolIdentity, TrialRecord, Usage,
};
pub use variants::render_variants;
pub use write::{
    check_writable, default_report_path, parse_report, read_report, write_atomic, write_fallback,
    write_report,
};
