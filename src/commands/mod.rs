//! One file per subcommand, each a short sequence of calls into the layers below.

mod bench;
mod cache;
mod demo_server;
mod diff;
mod improve;
mod init;
mod lint;
mod matrix;
mod merge;
mod report;
mod resolve;
mod run;
mod schema;
mod servers;
mod sweep;
mod tools;

pub use bench::{
    BenchResult, HEADLESS_CHROMIUM, bench_command, bench_server_command, find_chromium,
};
pub use cache::cache_command;
pub use demo_server::demo_server_command;
pub use diff::diff_command;
pub use improve::improve_command;
pub use init::init_command;
pub use lint::lint_command;
pub use merge::merge_command;
pub use report::{report_command, write_page};
pub use run::run_command;
pub use schema::schema_command;
pub use sweep::{sweep_command, tool_sets};
pub use tools::tools_command;
