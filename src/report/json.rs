//! Machine renderings: the summary of a run (with its diff against the baseline) and of variants
//! side by side, as JSON values for `--format json`.

use serde_json::{Value, json};

use super::{Report, ReportDiff, Verdict};

/// The summary of a run for `--format json`: who ran, the summary, the diff against the
/// baseline when there is one, and the gate's verdict when it decided.
pub(crate) fn summary_json(
    r: &Report,
    diff: Option<&ReportDiff>,
    verdict: Option<&Verdict>,
) -> Value {
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
    if let Some(b) = verdict.and_then(|v| v.baseline.as_ref()) {
        v["baseline"] = json!(b);
    }
    if let Some(g) = verdict.filter(|v| v.checked) {
        v["gate"] = json!({
            "passed": g.failures.is_empty(),
            "failures": g.failures,
        });
    }
    v
}

/// Variants side by side for `--format json`: each variant's summary.
pub(crate) fn variants_json(reports: &[Report]) -> Value {
    json!({ "variants": reports.iter().map(|r| summary_json(r, None, None)).collect::<Vec<_>>() })
}
