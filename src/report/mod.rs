//! Reports: the value a run produces, how it is read back, and how it is shown. Data in
//! `types`, `diff` and `sweep`; one renderer per format in `table`, `markdown`, `json`, `junit`,
//! `github` and `svg`.

mod diff;
mod files;
mod github;
mod html;
mod improve;
mod json;
mod junit;
mod lock;
mod markdown;
mod matrix;
mod merge;
mod summarize;
mod svg;
mod sweep;
mod table;
mod text;
mod types;
mod verdict;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

pub(crate) use diff::{
    DiffOptions, ReportDiff, TaskChange, TaskStatus, WordChange, diff_reports, tool_changes,
};
pub(crate) use files::{
    default_path_in, default_report_path, fallback_path, parse_report, read_report, with_suffix,
};
pub(crate) use github::render_annotations;
pub(crate) use html::{
    PageGate, render_diff_html, render_improve_html, render_matrix_html, render_run_html,
    render_run_html_gated, render_sweep_html,
};
pub(crate) use improve::{
    Attempt, Compared, Confused, Decision, Failure, IMPROVE_SCHEMA_VERSION, ImproveReport,
    KeptTool, Measured, Requests, Round, Standing, ToolEvidence, render_descriptions_file,
    render_improve_markdown,
};
pub(crate) use json::{summary_json, variants_json};
pub(crate) use junit::render_junit;
pub(crate) use lock::{Lock, LockChanges, lock_path};
pub(crate) use markdown::{render_diff_markdown, render_matrix_markdown, render_step_summary};
pub(crate) use matrix::{Matrix, MatrixCell, build_matrix, matrix_labels, provider_name};
pub(crate) use merge::merge_reports;
pub(crate) use summarize::summarize;
pub(crate) use svg::render_sweep_svg;
pub(crate) use sweep::{SWEEP_SCHEMA_VERSION, SweepPoint, SweepReport, TaskBreak, TrialOutcome};
pub(crate) use table::{
    TaskRows, render_diff_table, render_dry_run, render_findings, render_improve_table,
    render_instructions, render_lock_changes, render_matrix, render_sweep_table, render_table,
    render_tools_table, render_variants, wrap,
};
pub(crate) use text::host_lines;
pub(crate) use types::{
    EvalInfo, HostInfo, Report, SCHEMA_VERSION, ShardInfo, SplitRates, SuiteInfo, ToolIdentity,
    first_few,
};
pub(crate) use verdict::{GateFailure, Verdict};
