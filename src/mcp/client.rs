//! Connecting to MCP servers (stdio child process or streamable HTTP) and listing their tools.

use std::collections::{HashMap, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::toolset::ServerTool;
use crate::config::{ServerEntry, ServerSpec};
use crate::error::{Error, Result};
use crate::record::ServerInfo;

const DEFAULT_TIMEOUT_SECS: u64 = 30;
const STDERR_LINES: usize = 20;

/// An initialized MCP session, seen from our side.
type Client = RunningService<RoleClient, ClientConfig>;

/// A live connection to one server, with the tools it listed.
pub(crate) struct Connection {
    pub info: ServerInfo,
    pub tools: Vec<ServerTool>,
    client: Client,
    /// What a stdio server last wrote to stderr, kept draining while the connection lives.
    stderr: Option<StderrTail>,
}

/// Why a `tools/call` brought no result.
#[derive(Debug, Clone)]
pub(crate) enum CallError {
    /// The server answered with a JSON-RPC error: the call's own failure, which the model is
    /// shown like a tool error.
    Refused(String),
    /// The connection is gone (the server exited or crashed) or the server did not answer in
    /// time: an infrastructure failure.
    Lost(String),
}

impl Connection {
    /// Calls `name` with `arguments`, waiting at most `timeout`; the result as JSON.
    pub(crate) async fn call(
        &self,
        name: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
        timeout: Duration,
    ) -> std::result::Result<serde_json::Value, CallError> {
        let mut params = rmcp::model::CallToolRequestParams::new(name.to_owned());
        params.arguments = Some(arguments);
        match tokio::time::timeout(timeout, self.client.call_tool(params)).await {
            Err(_) => Err(CallError::Lost(format!(
                "no answer to `tools/call` of `{name}` within {}s",
                timeout.as_secs()
            ))),
            Ok(Err(rmcp::ServiceError::McpError(e))) => {
                Err(CallError::Refused(e.message.to_string()))
            }
            Ok(Err(e)) => Err(CallError::Lost(format!(
                "`tools/call` of `{name}` failed: {}",
                root_cause(&e)
            ))),
            Ok(Ok(result)) => serde_json::to_value(&result)
                .map_err(|e| CallError::Refused(format!("the result cannot be read: {e}"))),
        }
    }

    /// The last lines a stdio server wrote to stderr (none for HTTP servers).
    pub(crate) fn stderr_tail(&self) -> Vec<String> {
        self.stderr
            .as_ref()
            .map(StderrTail::lines)
            .unwrap_or_default()
    }

    /// Ends the session; a stdio server is asked to exit and killed if it does not.
    pub(crate) async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.cancel()).await;
    }
}

fn client_config() -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("tooleval", env!("CARGO_PKG_VERSION")),
    )
    .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
}

/// How a server entry is shown in reports and messages: `${VAR}` unexpanded, no header values.
pub(crate) fn describe_target(written: &ServerSpec) -> String {
    match (&written.command, &written.url) {
        (Some(cmd), _) => std::iter::once(cmd.as_str())
            .chain(written.args.iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" "),
        (None, Some(url)) => url.clone(),
        _ => String::new(),
    }
}

/// Counts the tokens of each server's instructions with `encoding`.
pub(crate) fn count_instructions(servers: &mut [ServerInfo], encoding: crate::tokens::Encoding) {
    for s in servers {
        s.instructions_tokens = s.instructions.as_deref().map(|i| encoding.count(i));
    }
}

/// Connects to a server, initializes, lists every tool (following pagination).
pub(crate) async fn connect(entry: &ServerEntry, target: String) -> Result<Connection> {
    let timeout = Duration::from_secs(entry.spec.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let (client, tail, transport) = if let Some(command) = &entry.spec.command {
        let (client, tail) = start_stdio(entry, command, &target, timeout).await?;
        (client, tail, "stdio")
    } else {
        (start_http(entry, timeout).await?, None, "streamable-http")
    };
    let mut tail = tail;
    let listed = list_server_tools(entry, &client, timeout, &mut tail).await?;
    let peer = client.peer_info();
    let info = ServerInfo {
        name: entry.name.clone(),
        transport: transport.into(),
        target,
        server_name: peer
            .as_ref()
            .and_then(|p| p.server_info.as_ref())
            .map(|s| s.name.clone()),
        server_version: peer
            .as_ref()
            .and_then(|p| p.server_info.as_ref())
            .map(|s| s.version.clone()),
        protocol_version: peer.as_ref().map(|p| p.protocol_version.to_string()),
        tool_count: listed.len(),
        instructions: peer
            .as_ref()
            .and_then(|p| p.instructions.clone())
            .filter(|i| !i.trim().is_empty()),
        instructions_tokens: None,
        instructions_overridden: false,
        tool_tokens: None,
        restarts: 0,
    };
    let tools = listed
        .into_iter()
        .map(|t| ServerTool {
            name: t.name.to_string(),
            description: t.description.map(|d| d.to_string()),
            input_schema: serde_json::Value::Object((*t.input_schema).clone()),
            annotations: t.annotations.map(|a| crate::mcp::Annotations {
                read_only_hint: a.read_only_hint,
                destructive_hint: a.destructive_hint,
                idempotent_hint: a.idempotent_hint,
                open_world_hint: a.open_world_hint,
            }),
        })
        .collect();
    Ok(Connection {
        info,
        tools,
        client,
        stderr: tail,
    })
}

/// An error about server `entry`, with what it last wrote to stderr and what to try.
fn server_error(
    entry: &ServerEntry,
    message: String,
    stderr: Vec<String>,
    hint: Option<String>,
) -> Error {
    Error::Server {
        server: entry.name.clone(),
        message,
        stderr,
        hint,
    }
}

/// Starts a stdio server and completes the MCP handshake. The stderr tail comes back with the
/// client: it keeps draining in the background so a chatty server never blocks, and its last
/// lines explain a later failure.
async fn start_stdio(
    entry: &ServerEntry,
    command: &str,
    target: &str,
    timeout: Duration,
) -> Result<(Client, Option<StderrTail>)> {
    let program = resolve_program(command);
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&entry.spec.args)
        .envs(&entry.spec.env)
        .kill_on_drop(true);
    if let Some(cwd) = &entry.spec.cwd {
        cmd.current_dir(cwd);
    }
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "is `{command}` installed and on PATH? Check `command` of server `{}`",
                    entry.name
                )
            } else {
                "check `command`, `args` and `cwd` of the server".to_owned()
            };
            server_error(
                entry,
                format!("cannot start `{command}`: {e}"),
                vec![],
                Some(hint),
            )
        })?;
    let tail = stderr.map(|s| StderrTail::spawn(s, STDERR_LINES));
    match tokio::time::timeout(timeout, client_config().serve(transport)).await {
        Ok(Ok(c)) => Ok((c, tail)),
        Ok(Err(e)) => Err(server_error(
            entry,
            format!(
                "the server did not complete the MCP handshake: {}",
                root_cause(&e)
            ),
            finish(tail).await,
            Some(format!(
                "run `{target}` by hand to see whether it starts and speaks MCP on stdio"
            )),
        )),
        Err(_) => Err(server_error(
            entry,
            format!("no answer to `initialize` within {}s", timeout.as_secs()),
            finish(tail).await,
            Some("the server may be waiting for input or a slow download; raise `timeout_secs` if it is only slow".into()),
        )),
    }
}

/// Opens a streamable HTTP session with the server's headers and completes the MCP handshake.
async fn start_http(entry: &ServerEntry, timeout: Duration) -> Result<Client> {
    let url = entry.spec.url.clone().unwrap_or_default();
    let headers = http_headers(entry)?;
    let http = reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| {
            server_error(
                entry,
                format!("cannot set up the HTTP client: {e}"),
                vec![],
                None,
            )
        })?;
    let config = StreamableHttpClientTransportConfig::with_uri(url.clone()).custom_headers(headers);
    let transport = StreamableHttpClientTransport::with_client(http, config);
    match tokio::time::timeout(timeout, client_config().serve(transport)).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => {
            let cause = http_cause(&url, &e);
            let (message, hint) = match http_status(&cause) {
                Some((status, body)) => (
                    format!(
                        "HTTP {status} from {url} to `initialize`{}",
                        body.map(|b| format!(": {b}")).unwrap_or_default()
                    ),
                    status_hint(status),
                ),
                None => (
                    format!("cannot initialize an MCP session at {url}: {cause}"),
                    "check that the server runs and that the URL is its streamable HTTP endpoint (often ending in /mcp)",
                ),
            };
            Err(server_error(entry, message, vec![], Some(hint.into())))
        }
        Err(_) => Err(server_error(
            entry,
            format!(
                "no answer to `initialize` from {url} within {}s",
                timeout.as_secs()
            ),
            vec![],
            None,
        )),
    }
}

/// The server's `headers` as HTTP headers, refusing names and values HTTP cannot carry.
fn http_headers(
    entry: &ServerEntry,
) -> Result<HashMap<reqwest::header::HeaderName, reqwest::header::HeaderValue>> {
    let mut headers = HashMap::new();
    for (k, v) in &entry.spec.headers {
        let key = reqwest::header::HeaderName::from_bytes(k.as_bytes()).map_err(|e| {
            server_error(
                entry,
                format!("header `{k}` is not a valid header name: {e}"),
                vec![],
                None,
            )
        })?;
        let value = reqwest::header::HeaderValue::from_str(v).map_err(|_| {
            server_error(
                entry,
                format!("the value of header `{k}` is not a valid header value"),
                vec![],
                Some("check for stray newlines in the variable it comes from".into()),
            )
        })?;
        headers.insert(key, value);
    }
    Ok(headers)
}

/// Every tool the server lists, page after page. On failure the stderr tail is read out for
/// the error; on success it stays with the connection and keeps draining.
async fn list_server_tools(
    entry: &ServerEntry,
    client: &Client,
    timeout: Duration,
    tail: &mut Option<StderrTail>,
) -> Result<Vec<rmcp::model::Tool>> {
    match tokio::time::timeout(timeout, client.list_all_tools()).await {
        Ok(Ok(tools)) => Ok(tools),
        Ok(Err(e)) => Err(server_error(
            entry,
            format!("`tools/list` failed: {e}"),
            finish(tail.take()).await,
            None,
        )),
        Err(_) => Err(server_error(
            entry,
            format!("no answer to `tools/list` within {}s", timeout.as_secs()),
            finish(tail.take()).await,
            None,
        )),
    }
}

/// Why an HTTP session failed: the transport hides the socket error, so a refused connection is
/// checked for directly.
fn http_cause(url: &str, e: &(dyn std::error::Error + 'static)) -> String {
    let text = root_cause(e);
    if !text.contains("error sending request") {
        return text;
    }
    let refused = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.socket_addrs(|| None).ok())
        .and_then(|a| a.into_iter().next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err()
        });
    if refused {
        "connection refused: nothing listens there".into()
    } else {
        "the HTTP request failed (the connection was cut, or the server does not speak HTTP)".into()
    }
}

/// The HTTP status (and the start of the body, when the server sent one) in a transport error's
/// text, as the MCP client words it: `... HTTP 404 Not Found: body, when send initialize request`.
fn http_status(cause: &str) -> Option<(u16, Option<String>)> {
    static STATUS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\bHTTP (\d{3})(?: [A-Za-z' -]+)?(?:: (.*?))?(?:, when send .*)?$")
            .expect("a valid pattern")
    });
    let c = STATUS.captures(cause)?;
    let status = c[1].parse().ok()?;
    let body = c
        .get(2)
        .map(|b| b.as_str().trim())
        .filter(|b| !b.is_empty())
        .map(|b| {
            if b.chars().count() > 120 {
                format!("{}…", b.chars().take(120).collect::<String>())
            } else {
                b.to_owned()
            }
        });
    Some((status, body))
}

/// What to do about an HTTP status from an MCP endpoint.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "the server refused the request: check the credentials in the server's `headers` (and the variables they come from)"
        }
        404 => {
            "nothing is served at that path: check the URL's path; streamable HTTP endpoints often end in /mcp"
        }
        405 | 501 => {
            "the server does not take POST there: it is not a streamable HTTP MCP endpoint (an SSE-only server needs its streamable HTTP URL instead)"
        }
        406 | 415 => {
            "the server refused the request's content types: it may not speak the streamable HTTP transport"
        }
        429 => "the server is rate limiting: wait, or lower the load on it",
        500..=599 => "the server failed: its own logs say why",
        _ => {
            "check that the server runs and that the URL is its streamable HTTP endpoint (often ending in /mcp)"
        }
    }
}

/// A word as a shell would need it, so a command line shown in a hint can be pasted.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+-,${}".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The innermost cause of an error, said plainly: the transport's own types stay out of messages.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = last.source() {
        last = next;
    }
    let text = last.to_string();
    if text.contains("Connection refused") {
        return "connection refused: nothing listens there".into();
    }
    if text.contains("Broken pipe") || text.contains("connection closed") {
        return "the server closed its stdio before answering `initialize` (it exited or crashed)"
            .into();
    }
    // Drop type paths such as `Transport [rmcp::transport::...]` that some errors carry.
    let cleaned = regex::Regex::new(r"\s*\[[A-Za-z_:<>, ]+\]")
        .map(|re| re.replace_all(&text, "").into_owned())
        .unwrap_or(text);
    cleaned.trim().to_owned()
}

/// `tooleval` as a command names this very executable, so evals of the built-in demo server
/// run from a fresh clone without an install step.
fn resolve_program(command: &str) -> std::path::PathBuf {
    if command == "tooleval"
        && let Ok(exe) = std::env::current_exe()
    {
        return exe;
    }
    command.into()
}

/// The last lines a child wrote to stderr.
struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl StderrTail {
    fn spawn(stderr: tokio::process::ChildStderr, keep: usize) -> Self {
        let lines = Arc::new(Mutex::new(VecDeque::with_capacity(keep)));
        let sink = lines.clone();
        let task = tokio::spawn(async move {
            let mut r = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = r.next_line().await {
                let mut q = sink.lock().unwrap_or_else(|p| p.into_inner());
                if q.len() == keep {
                    q.pop_front();
                }
                q.push_back(line);
            }
        });
        StderrTail { lines, task }
    }

    /// The lines kept so far.
    fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

async fn finish(tail: Option<StderrTail>) -> Vec<String> {
    let Some(tail) = tail else { return vec![] };
    let _ = tokio::time::timeout(Duration::from_secs(2), tail.task).await;
    tail.lines
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_status_is_read_from_the_transport_error() {
        assert_eq!(
            http_status(
                "Send message error Transport error: unexpected server response: HTTP 404 Not Found: no such page, when send initialize request"
            ),
            Some((404, Some("no such page".to_owned())))
        );
        assert_eq!(
            http_status(
                "Send message error Transport error: HTTP 500, when send initialize request"
            ),
            Some((500, None))
        );
        assert_eq!(
            http_status("connection refused: nothing listens there"),
            None
        );
        assert!(status_hint(404).contains("/mcp"));
        assert!(status_hint(401).contains("headers"));
    }
}
