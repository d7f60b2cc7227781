//! tooleval: measure whether a language model picks the right MCP tool from your tool
//! descriptions, and what changed when you edited one.
//!
//! docs/architecture.md maps the modules and the pipeline.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
mod files;
mod gate;
mod generate;
mod host;
mod improve;
mod lint;
pub mod mcp;
pub mod model;
mod output;
mod record;
mod report;
mod run;
mod score;
mod secrets;
mod session;
mod sweep;
mod text;
pub mod tokens;

use cli::{Cli, Command};
use error::{Result, exit};
use output::Output;

/// Runs the command line and returns the process exit code.
pub fn main_with(cli: Cli) -> i32 {
    // reqwest is built without a bundled crypto provider; install ring's before any client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Client commands run on one thread: trials are futures polled together and the work
    // between requests is small, so worker threads would only add cross-thread wake-ups
    // (measured: a fifth more CPU per request). Blocking work (writing a report) still goes to
    // `spawn_blocking`. The servers (the demo server, the benchmark's mock model) serve many
    // clients at once and get worker threads.
    let mut builder = match cli.command {
        Command::DemoServer(_) | Command::BenchServer(_) | Command::Bench(_) => {
            tokio::runtime::Builder::new_multi_thread()
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            crate::sayln!("error: cannot start the async runtime: {e}");
            return exit::INFRASTRUCTURE;
        }
    };
    let out = Output::from_env();
    match runtime.block_on(dispatch(&out, cli)) {
        Ok(code) => code,
        Err(e) => {
            out.say(&e.render());
            e.exit_code()
        }
    }
}

async fn dispatch(out: &Output, cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => commands::run_command(out, args).await,
        Command::Tools(args) => commands::tools_command(out, args).await,
        Command::Lint(args) => commands::lint_command(out, args).await,
        Command::Init(args) => commands::init_command(out, args).await,
        Command::Demo(args) => commands::demo_command(out, args).await,
        Command::SelfCheck(args) => commands::self_check_command(out, args).await,
        Command::Generate(args) => commands::generate_command(out, args).await,
        Command::Sweep(args) => commands::sweep_command(out, args).await,
        Command::Cache(args) => commands::cache_command(out, args),
        Command::Bench(args) => commands::bench_command(out, args).await,
        Command::BenchServer(args) => commands::bench_server_command(out, args).await,
        Command::Diff(args) => commands::diff_command(out, args).await,
        Command::Improve(args) => commands::improve_command(out, args).await,
        Command::Report(args) => commands::report_command(out, args).await,
        Command::Merge(args) => commands::merge_command(out, args).await,
        Command::DemoServer(args) => commands::demo_server_command(args).await,
        Command::Schema(args) => commands::schema_command(out, args),
    }
}
