//! MCP servers: connecting, listing tools, the tool set as models see it, and the demo server.

mod client;
pub(crate) mod convert;
pub mod demo;
mod demo_world;
mod descriptions;
mod listing;
mod live;
mod search;
mod tools_file;
mod toolset;

pub(crate) use client::{Connection, connect, count_instructions, describe_target};
pub(crate) use descriptions::apply_descriptions;
pub(crate) use listing::{list_tools, list_tools_keeping};
pub(crate) use live::{LiveServers, ToolOutput, TrialServers};
#[cfg(test)]
pub(crate) use search::test_tools;
pub(crate) use search::{Index, split_identifier};
pub(crate) use tools_file::read_tools_file;
pub use tools_file::shipped_pool;
pub use toolset::Annotations;
pub use toolset::Converted;
pub use toolset::ConvertedTool;
pub(crate) use toolset::Effect;
pub use toolset::Rename;
pub use toolset::ServerTool;
pub use toolset::ToolInfo;
pub use toolset::{ToolSet, api_name};
