//! The lock file: the tool definitions someone approved, per server (each tool's name,
//! description, input schema and annotations, with a hash of them; each server's
//! instructions), written by `tooleval tools --lock` and compared with what the servers list
//! now, before any request. A definition that changed under you (a "rug pull") is then a change
//! someone reviews, as in a lockfile.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::diff::{InstructionChange, ToolChange, ToolChanges, instruction_changes, tool_changes};
use crate::error::{Error, Result};
use crate::mcp::{Annotations, ServerTool, ToolSet};
use crate::record::ServerInfo;

/// The file's format version.
pub(crate) const LOCK_VERSION: u32 = 1;

/// The lock's name beside the eval file (or in the working folder for a server named on the
/// command line).
const LOCK_FILE: &str = "tooleval.lock";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Lock {
    pub version: u32,
    pub servers: Vec<LockedServer>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockedServer {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub tools: Vec<LockedTool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockedTool {
    pub name: String,
    /// `sha256:` of the definition's JSON: name, description, input schema, annotations.
    pub hash: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "inputSchema")]
    pub input_schema: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

fn hash(
    name: &str,
    description: &str,
    schema: &Value,
    annotations: &Option<Annotations>,
) -> String {
    let text = json!({
        "name": name,
        "description": description,
        "inputSchema": schema,
        "annotations": annotations,
    })
    .to_string();
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Where the lock of an eval (or of the working folder) is.
pub(crate) fn lock_path(eval: Option<&Path>) -> PathBuf {
    match eval {
        Some(e) => e.parent().unwrap_or(Path::new(".")).join(LOCK_FILE),
        None => PathBuf::from(LOCK_FILE),
    }
}

impl Lock {
    /// The servers' definitions as listed (their own texts: no descriptions file laid over).
    pub(crate) fn of(tools: &ToolSet, servers: &[ServerInfo]) -> Lock {
        let servers = servers
            .iter()
            .map(|s| LockedServer {
                name: s.name.clone(),
                instructions: s.instructions.clone(),
                tools: tools
                    .tools
                    .iter()
                    .filter(|t| t.server == s.name)
                    .map(|t| LockedTool {
                        name: t.server_name.clone(),
                        hash: hash(
                            &t.server_name,
                            &t.description,
                            &t.input_schema,
                            &t.annotations,
                        ),
                        description: t.description.clone(),
                        input_schema: t.input_schema.clone(),
                        annotations: t.annotations,
                    })
                    .collect(),
            })
            .collect();
        Lock {
            version: LOCK_VERSION,
            servers,
        }
    }

    /// The lock at `path`; `None` when there is none.
    pub(crate) fn read(path: &Path) -> Result<Option<Lock>> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        let lock: Lock = serde_json::from_str(&text).map_err(|e| {
            Error::usage(
                format!(
                    "{}:{}:{}: not a tooleval lock file: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                ),
                Some(
                    "write it again with `tooleval tools --lock` (or delete it to stop comparing)"
                        .into(),
                ),
            )
        })?;
        if lock.version != LOCK_VERSION {
            return Err(Error::usage(
                format!(
                    "{}: lock format {} (this tooleval reads {LOCK_VERSION})",
                    path.display(),
                    lock.version
                ),
                Some("write it again with `tooleval tools --lock`".into()),
            ));
        }
        Ok(Some(lock))
    }

    /// The file's text: pretty JSON, one tool after another, ending in a newline.
    pub(crate) fn text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// How many tools it holds.
    pub(crate) fn tool_count(&self) -> usize {
        self.servers.iter().map(|s| s.tools.len()).sum()
    }

    /// What changed from the lock to what the servers list now: tools added, removed and
    /// changed (word diffs of descriptions, schema changes, annotations), and instructions.
    pub(crate) fn compare(&self, tools: &ToolSet, servers: &[ServerInfo]) -> LockChanges {
        let locked = ToolSet::new(
            self.servers
                .iter()
                .map(|s| {
                    let tools = s
                        .tools
                        .iter()
                        .map(|t| ServerTool {
                            name: t.name.clone(),
                            description: Some(t.description.clone()),
                            input_schema: t.input_schema.clone(),
                            annotations: t.annotations,
                        })
                        .collect();
                    (s.name.clone(), tools)
                })
                .collect(),
        );
        let mut changes = tool_changes(&locked.tools, &tools.tools);
        for now in &tools.tools {
            let Some(then) = locked.by_name(&now.name) else {
                continue;
            };
            if then.annotations != now.annotations {
                let said = format!(
                    "annotations: {} -> {}",
                    annotations_text(&then.annotations),
                    annotations_text(&now.annotations)
                );
                match changes.changed.iter_mut().find(|c| c.name == now.name) {
                    Some(c) => c.schema.push(said),
                    None => changes.changed.push(ToolChange {
                        name: now.name.clone(),
                        description: vec![],
                        schema: vec![said],
                    }),
                }
            }
        }
        let then: Vec<ServerInfo> = self
            .servers
            .iter()
            .map(|s| {
                let mut info = servers
                    .iter()
                    .find(|n| n.name == s.name)
                    .cloned()
                    .unwrap_or_else(|| ServerInfo {
                        name: s.name.clone(),
                        transport: String::new(),
                        target: String::new(),
                        server_name: None,
                        server_version: None,
                        protocol_version: None,
                        tool_count: s.tools.len(),
                        instructions: None,
                        instructions_tokens: None,
                        instructions_overridden: false,
                        tool_tokens: None,
                        restarts: 0,
                    });
                info.instructions = s.instructions.clone();
                info
            })
            .collect();
        LockChanges {
            tools: changes,
            instructions: instruction_changes(&then, servers),
        }
    }
}

fn annotations_text(a: &Option<Annotations>) -> String {
    match a {
        None => "none".into(),
        Some(a) => serde_json::to_string(a).unwrap_or_default(),
    }
}

/// What differs between a lock and the servers now.
pub(crate) struct LockChanges {
    pub tools: ToolChanges,
    pub instructions: Vec<InstructionChange>,
}

impl LockChanges {
    pub(crate) fn is_empty(&self) -> bool {
        self.tools.is_empty() && self.instructions.is_empty()
    }

    /// How many tools and servers changed, in words.
    pub(crate) fn count_text(&self) -> String {
        let t = &self.tools;
        let mut parts = Vec::new();
        if !t.added.is_empty() {
            parts.push(format!("{} added", t.added.len()));
        }
        if !t.removed.is_empty() {
            parts.push(format!("{} removed", t.removed.len()));
        }
        if !t.changed.is_empty() {
            parts.push(format!("{} changed", t.changed.len()));
        }
        if !self.instructions.is_empty() {
            parts.push(format!(
                "the instructions of {} server(s) changed",
                self.instructions.len()
            ));
        }
        format!("tool(s): {}", parts.join(", "))
    }
}
