//! The servers of an agent run, kept open so trials can call their tools: one connection per
//! server shared by every trial, a server that died or hung restarted for later trials (a few
//! times at most), and each result turned into the text a model is shown.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::RwLock;

use super::client::{CallError, Connection, connect};
use crate::config::{Isolate, ServerEntry};
use crate::error::Result;

/// How often one server may be started again after it died or hung, over a whole run.
pub(crate) const MAX_RESTARTS: u32 = 3;
const DEFAULT_CALL_TIMEOUT_SECS: u64 = 30;

/// What a call returned, as the model is shown it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolOutput {
    pub text: String,
    /// The result is a tool error (`isError`, or the server refused the call).
    pub is_error: bool,
    /// What was summarized rather than passed on (images, structured content).
    pub notes: Vec<String>,
}

/// A call that brought no result because the server failed: an infrastructure error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServerFailure {
    pub server: String,
    pub message: String,
    /// What the server last wrote to stderr.
    pub stderr: Vec<String>,
}

impl ServerFailure {
    /// One line for a trial's reason, with the last line the server wrote to stderr.
    pub(crate) fn reason(&self) -> String {
        match self.stderr.iter().rev().find(|l| !l.trim().is_empty()) {
            Some(line) => format!(
                "server `{}`: {} (its stderr ends: {})",
                self.server,
                self.message,
                line.trim()
            ),
            None => format!("server `{}`: {}", self.server, self.message),
        }
    }
}

struct Live {
    entry: ServerEntry,
    target: String,
    /// `None` once the server died or hung, until it is started again.
    conn: RwLock<Option<Arc<Connection>>>,
    restarts: AtomicU32,
}

/// The servers of a run, open for calls.
pub(crate) struct LiveServers {
    servers: HashMap<String, Live>,
}

/// The processes one trial started for itself (servers with `isolate: trial`), stopped when
/// the trial ends (`close`).
#[derive(Default)]
pub(crate) struct TrialServers {
    conns: tokio::sync::Mutex<HashMap<String, Arc<Connection>>>,
}

impl TrialServers {
    /// Stops every process this trial started.
    pub(crate) async fn close(self) {
        for (_, conn) in self.conns.into_inner() {
            if let Ok(conn) = Arc::try_unwrap(conn) {
                conn.close().await;
            }
        }
    }
}

impl LiveServers {
    /// Wraps connections already made (listing the tools opened them).
    pub(crate) fn new(conns: Vec<(Connection, ServerEntry, String)>) -> LiveServers {
        let servers = conns
            .into_iter()
            .map(|(c, entry, target)| {
                (
                    entry.name.clone(),
                    Live {
                        entry,
                        target,
                        conn: RwLock::new(Some(Arc::new(c))),
                        restarts: AtomicU32::new(0),
                    },
                )
            })
            .collect();
        LiveServers { servers }
    }

    /// Calls the tool the server knows as `tool` on server `server`, for a trial (a server
    /// with `isolate: trial` answers on a process of the trial's own).
    pub(crate) async fn call(
        &self,
        trial: &TrialServers,
        server: &str,
        tool: &str,
        arguments: Map<String, Value>,
    ) -> std::result::Result<ToolOutput, ServerFailure> {
        let failure = |message: String, stderr| ServerFailure {
            server: server.to_owned(),
            message,
            stderr,
        };
        let Some(live) = self.servers.get(server) else {
            return Err(failure("the server is not connected".into(), vec![]));
        };
        let conn = if live.entry.spec.isolate == Some(Isolate::Trial) {
            let mut own = trial.conns.lock().await;
            match own.get(server) {
                Some(c) => c.clone(),
                None => {
                    let c = connect(&live.entry, live.target.clone())
                        .await
                        .map_err(|e| {
                            failure(
                                format!("starting it for the trial failed: {}", e.render().trim()),
                                vec![],
                            )
                        })?;
                    let c = Arc::new(c);
                    own.insert(server.to_owned(), c.clone());
                    c
                }
            }
        } else {
            live.connection().await.map_err(|m| failure(m, vec![]))?
        };
        let timeout = Duration::from_secs(
            live.entry
                .spec
                .timeout_secs
                .unwrap_or(DEFAULT_CALL_TIMEOUT_SECS),
        );
        match conn.call(tool, arguments, timeout).await {
            Ok(result) => Ok(output(&result)),
            Err(CallError::Refused(message)) => Ok(ToolOutput {
                text: format!("error: {message}"),
                is_error: true,
                notes: vec!["the server refused the call (a JSON-RPC error)".into()],
            }),
            Err(CallError::Lost(message)) => {
                let stderr = conn.stderr_tail();
                live.drop_connection(&conn).await;
                Err(failure(message, stderr))
            }
        }
    }

    /// How often each server was started again, for those that were.
    pub(crate) fn restarts(&self) -> Vec<(String, u32)> {
        let mut r: Vec<(String, u32)> = self
            .servers
            .iter()
            .map(|(n, l)| (n.clone(), l.restarts.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        r.sort();
        r
    }

    /// Ends every session (stdio servers are asked to exit); calls after it fail.
    pub(crate) async fn close(&self) {
        for live in self.servers.values() {
            live.restarts.store(MAX_RESTARTS, Ordering::Relaxed);
            let conn = live.conn.write().await.take();
            if let Some(conn) = conn
                && let Ok(conn) = Arc::try_unwrap(conn)
            {
                conn.close().await;
            }
        }
    }
}

impl Live {
    /// The open connection, or a new one when the last died and restarts are left.
    async fn connection(&self) -> std::result::Result<Arc<Connection>, String> {
        if let Some(c) = self.conn.read().await.as_ref() {
            return Ok(c.clone());
        }
        let mut slot = self.conn.write().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let n = self.restarts.load(Ordering::Relaxed);
        if n >= MAX_RESTARTS {
            return Err(format!(
                "the server failed and was started again {n} times; it is not started again"
            ));
        }
        self.restarts.store(n + 1, Ordering::Relaxed);
        crate::sayln!(
            "warning: server `{}` failed; starting it again ({} of at most {MAX_RESTARTS})",
            self.entry.name,
            n + 1
        );
        let conn: Result<Connection> = connect(&self.entry, self.target.clone()).await;
        match conn {
            Ok(c) => {
                let c = Arc::new(c);
                *slot = Some(c.clone());
                Ok(c)
            }
            Err(e) => Err(format!("starting it again failed: {}", e.render().trim())),
        }
    }

    /// Forgets a connection that failed (unless another trial already replaced it); a stdio
    /// server is stopped when the last trial using it lets go.
    async fn drop_connection(&self, failed: &Arc<Connection>) {
        let mut slot = self.conn.write().await;
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, failed)) {
            *slot = None;
        }
    }
}

/// The text of a `tools/call` result: text content as it is; images, audio and resources named
/// with a note; structured content as its JSON text when nothing else was given.
pub(crate) fn output(result: &Value) -> ToolOutput {
    let mut parts: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for block in result
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "text" => parts.push(
                block
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            "image" | "audio" => {
                let mime = block
                    .get("mimeType")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown type");
                let bytes = block
                    .get("data")
                    .and_then(Value::as_str)
                    .map_or(0, |d| d.len() * 3 / 4);
                parts.push(format!("[{kind}: {mime}, about {bytes} bytes, not shown]"));
                notes.push(format!("an {kind} ({mime}) was summarized as text"));
            }
            "resource" => {
                let r = block.get("resource").unwrap_or(&Value::Null);
                match r.get("text").and_then(Value::as_str) {
                    Some(t) => parts.push(t.to_owned()),
                    None => {
                        let uri = r.get("uri").and_then(Value::as_str).unwrap_or("?");
                        parts.push(format!("[resource {uri}: binary, not shown]"));
                        notes.push(format!("the binary resource {uri} was summarized as text"));
                    }
                }
            }
            "resource_link" => {
                let uri = block.get("uri").and_then(Value::as_str).unwrap_or("?");
                parts.push(format!("[resource link: {uri}]"));
            }
            other => {
                parts.push(format!("[{other} content, not shown]"));
                notes.push(format!("content of type `{other}` was left out"));
            }
        }
    }
    if parts.is_empty()
        && let Some(s) = result.get("structuredContent").filter(|s| !s.is_null())
    {
        parts.push(s.to_string());
        notes.push("structured content was passed as its JSON text".into());
    }
    ToolOutput {
        text: parts.join("\n"),
        is_error: result
            .get("isError")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_become_text_with_notes_for_what_is_not_text() {
        let r = output(&json!({"content": [
            {"type": "text", "text": "line 1"},
            {"type": "image", "mimeType": "image/png", "data": "AAAA"},
            {"type": "resource", "resource": {"uri": "file:///a", "text": "inside"}},
            {"type": "resource_link", "uri": "file:///b", "name": "b"}
        ]}));
        assert_eq!(
            r.text,
            "line 1\n[image: image/png, about 3 bytes, not shown]\ninside\n[resource link: file:///b]"
        );
        assert_eq!(r.notes.len(), 1);
        assert!(!r.is_error);
        let r = output(&json!({"content": [], "structuredContent": {"n": 1}, "isError": true}));
        assert_eq!(r.text, r#"{"n":1}"#);
        assert!(r.is_error);
        assert!(r.notes[0].contains("structured"));
    }
}
