//! The baseline a run is compared with: a report file, or that file as it is at a git ref.

use std::path::Path;

use crate::error::{Error, Result};
use crate::report::{self, Report};

/// Reads the baseline: from the file, or from the file as it is at a git ref. A baseline that
/// does not exist yet is a warning, not an error: the first run has nothing to compare with.
pub fn load_baseline(path: &Path, git_ref: Option<&str>) -> Result<Option<Report>> {
    let Some(git_ref) = git_ref else {
        if !path.exists() {
            crate::sayln!(
                "note: no baseline at {} yet; `--update-baseline` writes one",
                path.display()
            );
            return Ok(None);
        }
        return report::read_report(path).map(Some);
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("show")
        .arg(format!("{git_ref}:./{file}"))
        .output()
        .map_err(|e| {
            Error::usage(
                format!("cannot run git to read the baseline at `{git_ref}`: {e}"),
                Some("install git, or pass --baseline without --baseline-ref".to_owned()),
            )
        })?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if why.contains("does not exist") || why.contains("exists on disk, but not in") {
            crate::sayln!(
                "note: {} does not exist at `{git_ref}`; nothing to compare with",
                path.display()
            );
            return Ok(None);
        }
        return Err(Error::usage(
            format!("cannot read {} at `{git_ref}`: {why}", path.display()),
            Some("check the ref (e.g. `main`, `origin/main`); in CI, fetch it first (actions/checkout with fetch-depth: 0)".to_owned()),
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    report::parse_report(&text, &format!("{} at `{git_ref}`", path.display())).map(Some)
}
