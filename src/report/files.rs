//! Report files: reading them back, and where they go (written through `Output`, atomically).

use std::path::{Path, PathBuf};

use super::Report;
use crate::error::{Error, Result};

/// A new file in the temporary folder for a report: the last resort when its own place failed,
/// so that no result is lost.
pub(crate) fn fallback_path() -> Result<PathBuf> {
    let tmp = tempfile::Builder::new()
        .prefix("tooleval-report-")
        .suffix(".json")
        .tempfile()
        .map_err(|e| Error::io("create a file in", std::env::temp_dir(), e))?;
    let (_, path) = tmp
        .keep()
        .map_err(|e| Error::io("keep", std::env::temp_dir(), e.error))?;
    Ok(path)
}

/// Reads a report back.
pub(crate) fn read_report(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    parse_report(&text, &path.display().to_string())
}

/// A report from its text; `name` says where it came from in messages.
pub(crate) fn parse_report(text: &str, name: &str) -> Result<Report> {
    serde_json::from_str(text).map_err(|e| {
        #[derive(serde::Deserialize)]
        struct Kind {
            kind: Option<String>,
        }
        let kind = serde_json::from_str::<Kind>(text).ok().and_then(|k| k.kind);
        if kind.as_deref() == Some("matrix") {
            return Error::usage(
                format!("{name} is a model matrix's summary, not a run's report"),
                Some("the matrix names each model's own report under `models[].report`: `diff` takes any two of those".to_owned()),
            );
        }
        if kind.as_deref() == Some("sweep") {
            return Error::usage(
                format!("{name} is a sweep report (from `tooleval sweep`), not a run's report"),
                Some("`diff`, `merge` and `--baseline` take the reports `tooleval run` writes; a sweep's report is read through its SVG chart and table, or `tooleval sweep --format json`".to_owned()),
            );
        }
        Error::usage(
            format!(
                "{name}:{}:{}: not a tooleval report: {e}",
                e.line(),
                e.column()
            ),
            Some("reports are the JSON files that `tooleval run` writes".to_owned()),
        )
    })
}

/// `reports/runs/<eval>-<UTC time>.json`: everyday runs, ignored by git. A name already taken
/// (two runs in the same millisecond) gets a `-2`, `-3`, ... suffix.
pub(crate) fn default_report_path(eval: &Path, started: std::time::SystemTime) -> PathBuf {
    default_path_in("runs", eval, started)
}

/// `reports/<kind>/<eval>-<UTC time>.json`, a free name.
pub(crate) fn default_path_in(kind: &str, eval: &Path, started: std::time::SystemTime) -> PathBuf {
    let stem = eval
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let stamp = humantime::format_rfc3339_millis(started)
        .to_string()
        .replace([':', '-'], "")
        .replace('.', "-")
        .trim_end_matches('Z')
        .to_owned();
    let dir = crate::files::in_project(Path::new("reports").join(kind));
    let mut path = dir.join(format!("{stem}-{stamp}.json"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem}-{stamp}-{n}.json"));
        n += 1;
    }
    path
}

/// `reports/x.json` with suffix `a` -> `reports/x-a.json`.
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!("{stem}-{suffix}{ext}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_report_is_named_as_one() {
        let err = parse_report(
            r#"{"schema_version": 1, "kind": "sweep", "points": []}"#,
            "s.json",
        )
        .unwrap_err()
        .render();
        assert!(err.contains("s.json is a sweep report"), "{err}");
        assert!(!err.contains("missing field"), "{err}");
        let err = parse_report(r#"{"kind": "other"}"#, "o.json")
            .unwrap_err()
            .render();
        assert!(err.contains("o.json:1:17: not a tooleval report"), "{err}");
    }

    #[test]
    fn default_path_is_under_reports_runs() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000);
        let p = default_report_path(Path::new("evals/demo.yaml"), t);
        assert_eq!(
            p,
            PathBuf::from("reports/runs/demo-20251124T160000-000.json")
        );
    }
}
