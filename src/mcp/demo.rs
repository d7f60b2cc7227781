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

#[derive(Clone)]
pub struct DemoServer {
    tools: Arc<Vec<Tool>>,
}

impl Default for DemoServer {
    fn default() -> Self {
        let tools = demo_tools()
            .into_iter()
            .map(|t| {
                let Value::Object(schema) = t.input_schema else {
                    unreachable!("demo schemas are objects (checked by a test)")
                };
                Tool::new(t.name, t.description.unwrap_or_default(), Arc::new(schema))
            })
            .collect();
        DemoServer {
            tools: Arc::new(tools),
        }
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
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items((*self.tools).clone()))
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
        let args = Value::Object(request.arguments.unwrap_or_default());
        let body = json!({
            "tool": request.name,
            "arguments": args,
            "note": "demo data from the imaginary Larkspur Shop",
            "items": [],
        });
        Ok(CallToolResult::success(vec![ContentBlock::text(body.to_string())]).into())
    }
}

/// Serves the demo over stdio until the client goes away.
pub async fn serve_stdio() -> Result<()> {
    let running = DemoServer::default()
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| Error::usage(format!("demo server: the MCP handshake failed: {e}"), None))?;
    let _ = running.waiting().await;
    Ok(())
}

/// Serves the demo over streamable HTTP at `http://ADDR/mcp` until Ctrl-C.
pub async fn serve_http(addr: &str) -> Result<()> {
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };
    let ct = tokio_util::sync::CancellationToken::new();
    let server = DemoServer::default();
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
    eprintln!("demo server: listening on http://{local}/mcp (Ctrl-C stops it)");
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
