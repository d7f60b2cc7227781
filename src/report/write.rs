//! Writing reports: atomically, so a crash never leaves half a file where a report should be.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Report;
use crate::error::{Error, Result};

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create the folder", dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io("write", tmp.path().to_path_buf(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("write", path, e.error))?;
    Ok(())
}

/// Writes a report as pretty JSON.
pub fn write_report(path: &Path, report: &Report) -> Result<()> {
    let mut text = serde_json::to_vec_pretty(report).expect("reports serialize");
    text.push(b'\n');
    write_atomic(path, &text)
}

/// Reads a report back.
pub fn read_report(path: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::usage(
            format!(
                "{}:{}:{}: not a tooleval report: {e}",
                path.display(),
                e.line(),
                e.column()
            ),
            Some("reports are the JSON files that `tooleval run` writes".to_owned()),
        )
    })
}

/// `reports/runs/<eval>-<UTC time>.json`: everyday runs, ignored by git.
pub fn default_report_path(eval: &Path, started: std::time::SystemTime) -> PathBuf {
    let stem = eval
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let stamp = humantime::format_rfc3339_seconds(started)
        .to_string()
        .replace([':', '-'], "")
        .trim_end_matches('Z')
        .to_owned();
    PathBuf::from("reports")
        .join("runs")
        .join(format!("{stem}-{stamp}.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/r.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn default_path_is_under_reports_runs() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000);
        let p = default_report_path(Path::new("evals/demo.yaml"), t);
        assert_eq!(p, PathBuf::from("reports/runs/demo-20251124T160000.json"));
    }
}
