//! Writing files atomically: through a temporary file in the same folder and a rename, so that
//! a crash never leaves half a file where a report, a cache entry or a baseline should be.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The project's root, where reports (`reports/`) and the response cache (`.tooleval/cache`)
/// go, whatever subfolder a command runs in: the root of the git repository holding `start`,
/// else `start` itself (a stray `.tooleval` higher up, in a home folder say, never captures a
/// project). Relative to `start` (`.` or `../..`) when `start` is relative, so the paths a
/// command prints stay short.
pub(crate) fn project_root(start: &Path) -> PathBuf {
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let Some(up) = absolute.ancestors().position(|d| d.join(".git").exists()) else {
        return start.to_path_buf();
    };
    if start.is_absolute() {
        return absolute
            .ancestors()
            .nth(up)
            .unwrap_or(&absolute)
            .to_path_buf();
    }
    if up == 0 {
        return start.to_path_buf();
    }
    let mut root = if start == Path::new(".") {
        PathBuf::new()
    } else {
        start.to_path_buf()
    };
    for _ in 0..up {
        root.push("..");
    }
    root
}

/// A path under the project root of the current folder, kept relative (`reports/runs`, or
/// `../reports/runs` from a subfolder).
pub(crate) fn in_project(rest: impl AsRef<Path>) -> PathBuf {
    let root = project_root(Path::new("."));
    if root == Path::new(".") {
        rest.as_ref().to_path_buf()
    } else {
        root.join(rest)
    }
}

#[cfg(test)]
mod root_tests {
    use super::*;

    #[test]
    fn the_project_root_is_the_git_repositorys_else_the_folder_itself() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        // No repository: the folder itself, whatever `.tooleval` lies above it.
        std::fs::create_dir_all(dir.path().join("a/.tooleval")).unwrap();
        assert_eq!(project_root(&deep), deep);
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        assert_eq!(project_root(&deep), dir.path());
        assert_eq!(project_root(dir.path()), dir.path());
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename. A link is
/// written through to its target; anything but a regular file there is refused.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`], with the content written by `fill` as it goes (no copy of it in memory),
/// into a buffer of a concrete type (a serializer's many small writes stay cheap).
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&mut std::fs::File>) -> std::io::Result<()>,
) -> Result<()> {
    let path = &target_of(path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create the folder", dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, tmp.as_file_mut());
    fill(&mut buffered)
        .and_then(|()| buffered.flush())
        .map_err(|e| Error::io("write", path, e))?;
    drop(buffered);
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("write", tmp.path().to_path_buf(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Reports are for reading by others (CI, colleagues); the temporary file starts as 0600.
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| Error::io("write", path, e.error))?;
    Ok(())
}

/// Where writing `path` should land: its target when it is a link; an error when something other
/// than a regular file is there.
fn target_of(path: &Path) -> Result<PathBuf> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {
            Ok(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
        }
        Ok(m) => Err(Error::usage(
            format!(
                "`{}` is {}, not a file",
                path.display(),
                if m.is_dir() {
                    "a folder"
                } else {
                    "a special file"
                }
            ),
            Some("give the path of a file, e.g. reports/latest.json".to_owned()),
        )),
        Err(_) => Ok(path.to_path_buf()),
    }
}

/// Checks, before a run, that a report can be written at `path`: the folder exists or can be
/// made, files can be created in it, and `path` is not a folder or a device.
pub(crate) fn check_writable(path: &Path) -> Result<()> {
    let path = target_of(path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Nothing is created yet: a run that fails early leaves no empty folders behind. The nearest
    // existing folder must take files, so the folders below it can be made later.
    let mut existing = dir;
    while !existing.exists() {
        existing = existing
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
    }
    if !existing.is_dir() {
        return Err(Error::usage(
            format!("`{}` is not a folder", existing.display()),
            Some("give a path inside a folder, e.g. reports/latest.json".to_owned()),
        ));
    }
    tempfile::NamedTempFile::new_in(existing)
        .map_err(|e| Error::io("write a report in", existing, e))?;
    Ok(())
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
    fn refuses_folders_and_devices_and_writes_through_links() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomic(dir.path(), b"x").is_err());
        // A device is refused, whatever its permissions say.
        assert!(check_writable(Path::new("/dev/null")).is_err());
        let target = dir.path().join("t.json");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("l.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }
}
