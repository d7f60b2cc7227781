//! `tooleval bench --cold-start`: a user's first command, measured.

use std::path::Path;

use serde_json::json;

use super::measure::measure_median;
use crate::error::{Error, Result, exit};
use crate::output::Output;

/// `tooleval bench --cold-start`: a first `tooleval tools` on the demo server in a new, empty
/// folder, as a user's first command meets it: process start, the server started and listed,
/// every tool's tokens counted, the table printed.
pub(super) fn cold_start(out: &Output, exe: &Path, runs: usize) -> Result<i32> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    let args = ["tools", "--", "tooleval", "demo-server"].map(std::ffi::OsStr::new);
    let (wall, cpu, mb) = measure_median(exe, &args, dir.path(), runs)?;
    out.say(&format!(
        "cold `tools` on the demo server: wall {:.1} ms  cpu {:.1} ms  peak RSS {mb:.1} MB (median of {})\n",
        wall * 1000.0,
        cpu * 1000.0,
        runs.max(1)
    ));
    out.print_json(&json!({"cold_start": {"wall_ms": wall * 1000.0, "cpu_ms": cpu * 1000.0, "peak_rss_mb": mb, "runs": runs.max(1)}}));
    Ok(exit::OK)
}
