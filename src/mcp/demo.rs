//! The built-in demo server: an observability toolset for an imaginary shop, spoken over real
//! MCP (stdio or streamable HTTP). Some descriptions overlap the way real ones do, so a run
//! against it shows the problem tooleval measures.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};

use super::toolset::ServerTool;
use crate::error::{Error, Result};

const TOOLS_JSON: &str = include_str!("demo_tools.json");

/// The demo server's tools, as it lists them.
pub fn demo_tools() -> Vec<ServerTool> {
    serde_json::from_str(TOOLS_JSON).expect("demo_tools.json is valid (checked by a test)")
}

/// The tools of one part of the demo.
pub(crate) fn demo_part(part: DemoPart) -> Vec<ServerTool> {
    demo_tools()
        .into_iter()
        .filter(|t| part.offers(&t.name))
        .collect()
}

/// Which of the demo's tools a demo server offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum DemoPart {
    /// All fifteen tools.
    #[default]
    All,
    /// Logs, traces and incidents: `search_logs`, `tail_logs`, `get_trace`, `list_incidents`,
    /// `get_incident`, `create_incident`.
    Logs,
    /// Metrics, service state, deployments and alerts: the other nine.
    Ops,
}

impl DemoPart {
    const LOGS: [&str; 6] = [
        "search_logs",
        "tail_logs",
        "get_trace",
        "list_incidents",
        "get_incident",
        "create_incident",
    ];

    /// Whether this part offers `tool`.
    pub(crate) fn offers(self, tool: &str) -> bool {
        match self {
            DemoPart::All => true,
            DemoPart::Logs => Self::LOGS.contains(&tool),
            DemoPart::Ops => !Self::LOGS.contains(&tool),
        }
    }
}

/// A failure the demo server can be told to act out after some calls, to try how a client
/// copes with a server that dies or stops answering mid-run. For the tests only (the `testing`
/// feature): never in a user's binary.
#[cfg(feature = "testing")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Exit (status 3) instead of answering.
    Crash,
    /// Never answer.
    Hang,
}

#[derive(Clone)]
pub(crate) struct DemoServer {
    tools: Arc<Vec<Tool>>,
    /// List tools in pages of this many (exercises clients' pagination); all at once when absent.
    page_size: Option<usize>,
    /// Act out this failure at every call after the first N.
    #[cfg(feature = "testing")]
    fault: Option<(usize, Fault)>,
    /// Wait this long before answering a call.
    delay: Option<std::time::Duration>,
    /// Calls answered so far, for `fault`.
    #[cfg(feature = "testing")]
    calls: Arc<std::sync::atomic::AtomicUsize>,
    /// A file each call is appended to (its tool and arguments, a line each): what a test
    /// checks on the server's side.
    #[cfg(feature = "testing")]
    call_log: Option<std::path::PathBuf>,
}

impl Default for DemoServer {
    fn default() -> Self {
        DemoServer::new(demo_tools(), None)
    }
}

impl DemoServer {
    /// A server offering `tools` (schemas that are not objects become empty object schemas).
    pub(crate) fn new(tools: Vec<ServerTool>, page_size: Option<usize>) -> Self {
        let tools = tools
            .into_iter()
            .map(|t| {
                let schema = match t.input_schema {
                    Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                };
                let tool = Tool::new(t.name, t.description.unwrap_or_default(), Arc::new(schema));
                match t.annotations {
                    Some(a) => tool.with_annotations(rmcp::model::ToolAnnotations::from_raw(
                        None,
                        a.read_only_hint,
                        a.destructive_hint,
                        a.idempotent_hint,
                        a.open_world_hint,
                    )),
                    None => tool,
                }
            })
            .collect();
        DemoServer {
            tools: Arc::new(tools),
            page_size: page_size.filter(|n| *n > 0),
            #[cfg(feature = "testing")]
            fault: None,
            delay: None,
            #[cfg(feature = "testing")]
            calls: Arc::default(),
            #[cfg(feature = "testing")]
            call_log: None,
        }
    }

    /// Append each call to `path`.
    #[cfg(feature = "testing")]
    pub(crate) fn with_call_log(mut self, path: std::path::PathBuf) -> Self {
        self.call_log = Some(path);
        self
    }

    /// Answer every call after `delay`.
    pub(crate) fn with_delay(mut self, delay: std::time::Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// After `after` calls, act out `fault` at every call.
    #[cfg(feature = "testing")]
    pub(crate) fn with_fault(mut self, after: usize, fault: Fault) -> Self {
        self.fault = Some((after, fault));
        self
    }
}

impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new("tooleval-demo", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let Some(size) = self.page_size else {
            return Ok(ListToolsResult::with_all_items((*self.tools).clone()));
        };
        let start = match request.and_then(|r| r.cursor) {
            Some(c) => c
                .parse::<usize>()
                .map_err(|_| ErrorData::invalid_params(format!("bad cursor `{c}`"), None))?,
            None => 0,
        };
        let end = (start + size).min(self.tools.len());
        let mut page = ListToolsResult::with_all_items(
            self.tools.get(start..end).unwrap_or_default().to_vec(),
        );
        page.next_cursor = (end < self.tools.len()).then(|| end.to_string());
        Ok(page)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.tools.iter().any(|t| t.name == request.name) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {}", request.name),
                None,
            ));
        }
        #[cfg(feature = "testing")]
        if let Some(path) = &self.call_log {
            use std::io::Write as _;
            let line = format!(
                "{} {}\n",
                request.name,
                Value::Object(request.arguments.clone().unwrap_or_default())
            );
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(line.as_bytes()));
        }
        #[cfg(feature = "testing")]
        {
            let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            match self.fault {
                Some((after, Fault::Crash)) if n >= after => {
                    crate::sayln!(
                        "demo server: crashing at call {} as asked (--fail-after {after})",
                        n + 1
                    );
                    std::process::exit(3);
                }
                Some((after, Fault::Hang)) if n >= after => std::future::pending::<()>().await,
                _ => {}
            }
        }
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        let args = Value::Object(request.arguments.unwrap_or_default());
        // Tools read from a file (`--tools`) have no world to answer from.
        if !demo_tools().iter().any(|t| t.name == request.name) {
            let body = json!({"tool": request.name, "arguments": args, "note": "a tool from a tool list: no data behind it"});
            return Ok(CallToolResult::success(vec![ContentBlock::text(body.to_string())]).into());
        }
        Ok(match super::demo_world::answer(&request.name, &args) {
            Ok(body) => CallToolResult::success(vec![ContentBlock::text(body.to_string())]),
            Err(e) => CallToolResult::error(vec![ContentBlock::text(e)]),
        }
        .into())
    }
}

/// Serves over stdio until the client goes away.
pub(crate) async fn serve_stdio(server: DemoServer) -> Result<()> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Error::usage(format!("demo server: the MCP handshake failed: {e}"), None))?;
    let _ = running.waiting().await;
    Ok(())
}

/// Serves over streamable HTTP at `http://ADDR/mcp` until Ctrl-C.
pub(crate) async fn serve_http(server: DemoServer, addr: &str) -> Result<()> {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };
    let ct = tokio_util::sync::CancellationToken::new();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().with_cancellation_token(ct.child_token()),
    );
    let router = axum::Router::new().route_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Error::usage(
            format!("cannot listen on {addr}: {e}"),
            Some("pick a free port, e.g. 127.0.0.1:0".to_owned()),
        )
    })?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("read the address of", addr, e))?;
    crate::sayln!("demo server: listening on http://{local}/mcp (Ctrl-C stops it)");
    let stop = ct.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { ct.cancelled_owned().await })
        .await
        .map_err(|e| Error::io("serve on", addr, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_tools_are_well_formed() {
        let tools = demo_tools();
        assert!((10..=15).contains(&tools.len()), "{}", tools.len());
        let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), tools.len(), "duplicate names");
        for t in &tools {
            assert!(t.input_schema.is_object(), "{}", t.name);
            assert!(
                jsonschema::validator_for(&t.input_schema).is_ok(),
                "{}",
                t.name
            );
            assert_eq!(crate::mcp::toolset::api_name(&t.name), t.name);
        }
        assert_eq!(DemoServer::default().tools.len(), tools.len());
    }
}
