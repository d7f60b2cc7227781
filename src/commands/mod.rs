//! One file per subcommand, each a short sequence of calls into the layers below.

mod bench;
mod cache;
mod demo;
mod demo_server;
mod diff;
mod generate;
mod improve;
mod init;
mod lint;
mod matrix;
mod merge;
mod report;
mod resolve;
mod run;
mod schema;
mod self_check;
mod servers;
mod sweep;
mod tools;

pub use bench::{HEADLESS_CHROMIUM, find_chromium};
pub(crate) use bench::{bench_command, bench_server_command};
pub(crate) use cache::cache_command;
pub(crate) use demo::demo_command;
pub(crate) use demo_server::demo_server_command;
pub(crate) use diff::diff_command;
pub(crate) use generate::generate_command;
pub(crate) use improve::improve_command;
pub(crate) use init::init_command;
pub(crate) use lint::lint_command;
pub(crate) use merge::merge_command;
pub(crate) use report::{report_command, write_page};
pub(crate) use run::run_command;
pub(crate) use schema::schema_command;
pub(crate) use self_check::self_check_command;
pub(crate) use sweep::sweep_command;
pub(crate) use tools::tools_command;
