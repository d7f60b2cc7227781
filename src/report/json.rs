//! Machine renderings: the summary of a run (with its diff against the baseline) and of variants
//! side by side, as JSON values for `--format json`.

use serde_json::{Value, json};

use super::{Report, ReportDiff};

/// The summary of a run for `--format json`: who ran, the summary, and the diff against the
/// baseline when there is one.
pub fn summary_json(r: &Report, diff: Option<&ReportDiff>) -> Value {
    let mut v = json!({
        "schema_version": r.schema_version,
        "complete": r.complete,
        "model": r.model,
        "tools_hash": r.tools.hash,
        "summary": r.summary,
    });
    if let Some(d) = diff {
        v["diff"] = json!(d);
    }
    v
}

/// Variants side by side for `--format json`: each variant's summary.
pub fn variants_json(reports: &[Report]) -> Value {
    json!({ "variants": reports.iter().map(|r| summary_json(r, None)).collect::<Vec<_>>() })
}
