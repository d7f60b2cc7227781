//! Tool lists in files: the shape of `tools/list` as JSON, served by `demo-server --tools` and
//! drawn from as distractors by `sweep --pool`; and the pool shipped with tooleval.

use serde_json::Value;

use super::ServerTool;
use crate::error::{Error, Result};

/// Reads a tool list: a JSON list of `{name, description, inputSchema}`, the shape of
/// `tools/list` (or of the `tools` field of its result).
pub(crate) fn read_tools_file(path: &std::path::Path) -> Result<Vec<ServerTool>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Error::usage(
            format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()),
            None,
        )
    })?;
    let list = value.get("tools").cloned().unwrap_or(value);
    serde_json::from_value(list).map_err(|e| {
        Error::usage(
            format!("{}: not a tool list: {e}", path.display()),
            Some(
                "write a JSON list of {\"name\", \"description\", \"inputSchema\"} objects"
                    .to_owned(),
            ),
        )
    })
}

/// The distractor pool shipped with tooleval: realistic tools across many domains.
const SHIPPED_POOL: &str = include_str!("../../suites/distractors/pool.json");

/// The shipped pool's tools.
pub fn shipped_pool() -> Vec<ServerTool> {
    serde_json::from_str(SHIPPED_POOL).expect("the shipped pool is valid (checked by a test)")
}
