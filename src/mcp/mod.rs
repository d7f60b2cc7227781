//! MCP servers: connecting, listing tools, the tool set as models see it, and the demo server.

mod client;
pub mod convert;
pub mod demo;
mod demo_world;
mod descriptions;
mod listing;
mod live;
mod tools_file;
mod toolset;

pub use client::{CallError, Connection, connect, describe_target};
pub use listing::{connect_all, list_tools, list_tools_keeping};
pub use live::{LiveServers, MAX_RESTARTS, ServerFailure, ToolOutput, TrialServers};
pub use tools_file::{read_tools_file, shipped_pool};
pub use toolset::{
    Annotations, Converted, ConvertedTool, Effect, Rename, ServerTool, ToolInfo, ToolSet, api_name,
    sanitize_schema,
};
