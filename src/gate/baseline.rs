//! The baseline a run is compared with: a report file, or that file as it is at a git ref.

use std::path::Path;

use crate::error::{Error, Result};
use crate::report::{self, Report};

/// Reads the baseline: from the file, or from the file as it is at a git ref. A baseline that
/// does not exist yet is a warning, not an error: the first run has nothing to compare with.
pub(crate) fn load_baseline(path: &Path, git_ref: Option<&str>) -> Result<Option<Report>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str = include_str!("../../reports/baseline-demo.json");

    fn git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    #[test]
    fn a_baseline_file_is_read_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        assert!(load_baseline(&path, None).unwrap().is_none());
        std::fs::write(&path, DEMO).unwrap();
        let r = load_baseline(&path, None).unwrap().expect("read");
        assert_eq!(r.trials.len(), 40);
        std::fs::write(&path, "{").unwrap();
        assert!(load_baseline(&path, None).is_err());
    }

    #[test]
    fn a_baseline_is_read_as_it_is_at_a_git_ref() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        git(repo, &["init", "-q"]);
        std::fs::create_dir(repo.join("reports")).unwrap();
        let path = repo.join("reports/baseline.json");
        std::fs::write(&path, DEMO).unwrap();
        git(repo, &["add", "."]);
        git(repo, &["commit", "-qm", "baseline"]);
        // What the ref holds, not what is on disk.
        std::fs::write(&path, "not json").unwrap();
        let r = load_baseline(&path, Some("HEAD")).unwrap().expect("read");
        assert_eq!(r.trials.len(), 40);
        // Not at the ref, whether or not it is on disk: nothing to compare with.
        let new = repo.join("reports/new.json");
        assert!(load_baseline(&new, Some("HEAD")).unwrap().is_none());
        std::fs::write(&new, DEMO).unwrap();
        assert!(load_baseline(&new, Some("HEAD")).unwrap().is_none());
        // A ref that does not exist is an error, with a hint.
        let err = load_baseline(&path, Some("no-such-ref")).unwrap_err();
        assert!(
            err.to_string().contains("cannot read") && err.to_string().contains("no-such-ref"),
            "{err}"
        );
    }
}
