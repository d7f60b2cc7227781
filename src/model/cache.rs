//! The response cache: replies on disk, content-addressed by everything that can change them,
//! so a re-run where nothing changed asks the model nothing, and a recorded run can be replayed
//! in CI without a key. Entries hold the reply only: never the key, never headers.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{ErrorKind, Model, ModelError, ModelReply, ModelRequest};
use crate::error::{Error, Result};
use crate::record::ModelInfo;

/// `.tooleval/cache`, in the project's root folder (`default_cache_dir`).
pub(crate) const DEFAULT_CACHE_DIR: &str = ".tooleval/cache";

/// Where the cache lives unless given: `.tooleval/cache` at the project's root
/// (`files::project_root` of the current folder), as reports do. One cache per project,
/// whichever of its folders tooleval runs in, and `tooleval cache` finds it from any of them.
pub(crate) fn default_cache_dir() -> PathBuf {
    crate::files::in_project(DEFAULT_CACHE_DIR)
}

/// How the response cache is used (`--cache`, `--replay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheMode {
    /// Read entries and write new ones.
    Readwrite,
    /// Read entries; write none.
    Read,
    /// Neither read nor write.
    Off,
    /// Read entries and never ask the model: a miss stops the run, naming the task.
    Replay,
}

#[derive(Debug, Clone)]
pub(crate) struct CacheSettings {
    pub mode: CacheMode,
    pub dir: PathBuf,
}

impl CacheSettings {
    /// The cache as asked: `--replay` over `--cache`, which is otherwise off under CI (`ci`: a
    /// CI job measures the model, never a recording left on the runner) and read and written
    /// elsewhere; the folder given, else the project root's (`default_cache_dir`).
    pub(crate) fn resolve(
        mode: Option<CacheMode>,
        replay: bool,
        dir: Option<PathBuf>,
        ci: bool,
    ) -> CacheSettings {
        let mode = match (replay, mode) {
            (true, _) => CacheMode::Replay,
            (false, Some(m)) => m,
            (false, None) if ci => CacheMode::Off,
            (false, None) => CacheMode::Readwrite,
        };
        CacheSettings {
            mode,
            dir: dir.unwrap_or_else(default_cache_dir),
        }
    }
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            mode: CacheMode::Off,
            dir: PathBuf::from(DEFAULT_CACHE_DIR),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    created: String,
    model: String,
    reply: ModelReply,
}

/// A model with the cache in front of it.
pub(crate) struct CachedModel {
    inner: std::sync::Arc<dyn Model>,
    dir: PathBuf,
    mode: CacheMode,
}

impl CachedModel {
    pub(crate) fn new(inner: std::sync::Arc<dyn Model>, dir: PathBuf, mode: CacheMode) -> Self {
        CachedModel { inner, dir, mode }
    }

    fn path(&self, key: &str) -> PathBuf {
        entry_path(&self.dir, key)
    }
}

/// Where the entry of `key` lives in the cache folder `dir`: in a folder named by the key's
/// first two hex digits.
pub(crate) fn entry_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(&key[..2.min(key.len())])
        .join(format!("{key}.json"))
}

/// A cache key: the SHA-256 of the parts, one per line, in hex.
pub(crate) fn cache_key(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(parts.join("\n").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What else a run records beside the model's replies, so a replay needs neither model nor
/// servers: tool listings and tool results.
#[derive(Serialize, Deserialize)]
struct Recorded<T> {
    created: String,
    /// `listing` or `tool-result`.
    kind: String,
    value: T,
}

/// A recorded value of `kind` under `key`, or `None` when there is none (or it cannot be read).
pub(crate) fn read_recorded<T: serde::de::DeserializeOwned>(
    dir: &Path,
    kind: &str,
    key: &str,
) -> Option<T> {
    let text = std::fs::read_to_string(entry_path(dir, key)).ok()?;
    let r: Recorded<T> = serde_json::from_str(&text).ok()?;
    (r.kind == kind).then_some(r.value)
}

/// Records `value` of `kind` under `key`. A cache that cannot be written costs speed, not
/// results: a failure is ignored.
pub(crate) fn write_recorded<T: Serialize>(dir: &Path, kind: &str, key: &str, value: &T) {
    let entry = Recorded {
        created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        kind: kind.to_owned(),
        value,
    };
    if let Ok(text) = serde_json::to_string_pretty(&entry) {
        let _ = crate::output::write_file(&entry_path(dir, key), &text);
    }
}

impl Model for CachedModel {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn cache_key(&self, req: &ModelRequest) -> Option<String> {
        self.inner.cache_key(req)
    }

    fn share_slots(&self, slots: std::sync::Arc<tokio::sync::Semaphore>) {
        self.inner.share_slots(slots);
    }

    fn api_tools(&self, tools: &crate::mcp::ToolSet) -> Box<serde_json::value::RawValue> {
        self.inner.api_tools(tools)
    }

    fn converted(&self, tools: &crate::mcp::ToolSet) -> Option<crate::mcp::Converted> {
        self.inner.converted(tools)
    }

    fn complete<'a>(
        &'a self,
        req: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<ModelReply, ModelError>> {
        Box::pin(async move {
            let Some(key) = self.inner.cache_key(req) else {
                return self.inner.complete(req).await;
            };
            let path = self.path(&key);
            if self.mode != CacheMode::Off
                && let Ok(text) = tokio::fs::read_to_string(&path).await
                && let Ok(entry) = serde_json::from_str::<Entry>(&text)
            {
                let mut reply = entry.reply;
                reply.cached = true;
                return Ok(reply);
            }
            if self.mode == CacheMode::Replay {
                let mut e = ModelError::new(
                    ErrorKind::Fatal,
                    format!(
                        "replay: no recorded answer for task `{}` (trial {}) in {}",
                        req.task,
                        req.trial,
                        self.dir.display()
                    ),
                );
                e.hint = Some("record it first with `--cache readwrite` (the default outside CI) against the model, with the same eval, tools and parameters".into());
                return Err(e);
            }
            let reply = self.inner.complete(req).await?;
            if self.mode == CacheMode::Readwrite {
                let entry = Entry {
                    created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
                    model: self.inner.info().name,
                    reply: reply.clone(),
                };
                let text = serde_json::to_string_pretty(&entry).unwrap_or_default();
                // A cache that cannot be written costs speed, not results.
                let _ = crate::output::write_file(&path, &text);
            }
            Ok(reply)
        })
    }
}

/// What the cache holds.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct CacheStats {
    pub dir: String,
    pub entries: usize,
    pub bytes: u64,
    pub oldest: Option<String>,
    pub newest: Option<String>,
}

fn entries(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut out = Vec::new();
    let Ok(shards) = std::fs::read_dir(dir) else {
        return out;
    };
    // Entries live in folders named by the first two hex digits of their key; anything else in
    // the folder (an older version's token counts, say) is not an entry.
    let is_shard = |name: &std::ffi::OsStr| {
        name.to_str()
            .is_some_and(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    for shard in shards.flatten().filter(|s| is_shard(&s.file_name())) {
        let Ok(files) = std::fs::read_dir(shard.path()) else {
            continue;
        };
        for f in files.flatten() {
            if f.path().extension().is_some_and(|e| e == "json")
                && let Ok(m) = f.metadata()
            {
                out.push((f.path(), m));
            }
        }
    }
    out
}

pub(crate) fn cache_stats(dir: &Path) -> CacheStats {
    let all = entries(dir);
    let times: Vec<SystemTime> = all.iter().filter_map(|(_, m)| m.modified().ok()).collect();
    let fmt = |t: &SystemTime| humantime::format_rfc3339_seconds(*t).to_string();
    CacheStats {
        dir: dir.display().to_string(),
        entries: all.len(),
        bytes: all.iter().map(|(_, m)| m.len()).sum(),
        oldest: times.iter().min().map(fmt),
        newest: times.iter().max().map(fmt),
    }
}

/// Removes entries older than `older_than` (all of them when `None`); returns how many.
pub(crate) fn prune_cache(dir: &Path, older_than: Option<std::time::Duration>) -> Result<usize> {
    let now = SystemTime::now();
    let mut removed = 0;
    for (path, meta) in entries(dir) {
        let old = match older_than {
            None => true,
            Some(age) => meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|a| a >= age),
        };
        if old {
            std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn the_cache_is_off_by_default_under_ci_and_asked_modes_win() {
        let mode = |m, replay, ci| CacheSettings::resolve(m, replay, Some("c".into()), ci).mode;
        assert_eq!(mode(None, false, true), CacheMode::Off);
        assert_eq!(mode(None, false, false), CacheMode::Readwrite);
        assert_eq!(
            mode(Some(CacheMode::Readwrite), false, true),
            CacheMode::Readwrite
        );
        assert_eq!(mode(Some(CacheMode::Off), false, false), CacheMode::Off);
        assert_eq!(mode(Some(CacheMode::Off), true, true), CacheMode::Replay);
        let given = CacheSettings::resolve(None, false, Some("here".into()), false);
        assert_eq!(given.dir, PathBuf::from("here"));
    }
}
