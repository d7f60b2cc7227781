//! tooleval: measure whether a language model picks the right MCP tool from your tool
//! descriptions, and what changed when you edited one.

pub mod cli;
pub mod config;
pub mod error;
pub mod lint;
pub mod mcp;
pub mod model;
pub mod report;
pub mod run;
pub mod score;
pub mod tokens;

use std::io::Write as _;

use cli::{Cli, Command, SchemaFile};
use error::{Result, exit};

/// Runs the command line and returns the process exit code.
pub fn main_with(cli: Cli) -> i32 {
    // reqwest is built without a bundled crypto provider; install ring's before any client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            crate::sayln!("error: cannot start the async runtime: {e}");
            return exit::INFRASTRUCTURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            crate::say!("{}", e.render());
            e.exit_code()
        }
    }
}

async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run(args) => run::run_command(args).await,
        Command::Tools(args) => run::tools_command(args).await,
        Command::Lint(args) => run::lint_command(args).await,
        Command::Init(args) => run::init_command(args).await,
        Command::Sweep(args) => run::sweep_command(args).await,
        Command::Cache(args) => run::cache_command(args),
        Command::Bench(args) => run::bench_command(args).await,
        Command::BenchServer(args) => run::bench_server_command(args).await,
        Command::Diff(args) => run::diff_command(args).await,
        Command::Merge(args) => run::merge_command(args).await,
        Command::DemoServer(args) => {
            let tools = match &args.tools {
                Some(path) => mcp::demo::read_tools_file(path)?,
                None => mcp::demo::demo_tools(),
            };
            let server = mcp::demo::DemoServer::new(tools, args.page_size);
            match args.http {
                Some(addr) => mcp::demo::serve_http(server, &addr).await?,
                None => mcp::demo::serve_stdio(server).await?,
            }
            Ok(exit::OK)
        }
        Command::Schema(args) => {
            let text = match args.file {
                SchemaFile::Eval => config::eval_schema(),
                SchemaFile::Suite => config::suite_schema(),
                SchemaFile::Descriptions => config::descriptions_schema(),
            };
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(exit::OK)
        }
    }
}
