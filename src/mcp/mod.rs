//! MCP servers: connecting, listing tools, the tool set as models see it, and the demo server.

mod client;
pub mod demo;
mod toolset;

pub use client::{Connection, connect, describe_target};
pub use toolset::{Rename, ServerTool, ToolInfo, ToolSet, api_name, sanitize_schema};
