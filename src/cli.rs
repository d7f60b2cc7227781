//! The command line, as clap sees it. Nothing here does any work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "tooleval",
    version,
    about = "Measure whether a language model picks the right MCP tool from your tool descriptions.",
    long_about = "Measure whether a language model picks the right MCP tool from your tool descriptions.\n\n\
        tooleval lists the tools of your MCP servers, asks a model (any OpenAI-compatible API, or the\n\
        offline baseline) to answer each task of a YAML suite, scores the tool it chose and the\n\
        arguments it passed over repeated trials, and writes a report.",
    after_help = "Examples:\n  tooleval run evals/demo.yaml\n  tooleval tools -- npx -y @modelcontextprotocol/server-everything\n  tooleval tools --eval evals/demo.yaml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an eval: ask the model every task, score the calls, write a report.
    #[command(
        after_help = "Examples:\n  tooleval run evals/demo.yaml\n  tooleval run evals/demo.yaml --model gpt-4o-mini --trials 5 --format json\n\nExit codes: 0 met min_accuracy, 1 below it, 2 usage or file error, 3 infrastructure error, 130 interrupted."
    )]
    Run(RunArgs),
    /// List the tools a server exposes: name, description, parameters.
    #[command(
        after_help = "Examples:\n  tooleval tools -- tooleval demo-server\n  tooleval tools http://127.0.0.1:3001/mcp --format json\n  tooleval tools --eval evals/demo.yaml"
    )]
    Tools(ToolsArgs),
    /// Serve the built-in demo toolset (an imaginary shop's observability tools) over MCP.
    #[command(
        after_help = "Examples:\n  tooleval demo-server                      # stdio, for an eval's `command`\n  tooleval demo-server --http 127.0.0.1:8931  # streamable HTTP at /mcp"
    )]
    DemoServer(DemoServerArgs),
    /// Print the JSON Schema of eval or suite files (as committed under schemas/).
    #[command(after_help = "Example:\n  tooleval schema suite > schemas/suite.schema.json")]
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The eval file (YAML).
    pub eval: PathBuf,
    /// The model name, overriding the eval file's (`baseline` runs offline).
    #[arg(long)]
    pub model: Option<String>,
    /// Trials per task.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: Option<u32>,
    /// Requests in flight at once.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,
    /// Where to write the JSON report [default: reports/runs/<eval>-<time>.json].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// `table`: a summary table on stderr; `json`: the summary as JSON on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bar and no table; errors and the report path only.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ToolsArgs {
    /// An http(s):// URL, or a command line after `--` (stdio).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required_unless_present = "eval"
    )]
    pub server: Vec<String>,
    /// List the tools of every server of this eval file.
    #[arg(long, conflicts_with = "server")]
    pub eval: Option<PathBuf>,
    /// `table` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DemoServerArgs {
    /// Serve streamable HTTP on this address (e.g. 127.0.0.1:8931) instead of stdio.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,
    /// Serve these tools instead of the demo's: a JSON list of {name, description, inputSchema}.
    /// Lets you try descriptions before the real server exists.
    #[arg(long, value_name = "FILE")]
    pub tools: Option<PathBuf>,
    /// List tools in pages of this many (to exercise a client's pagination).
    #[arg(long, value_name = "N")]
    pub page_size: Option<usize>,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema.
    #[arg(value_enum)]
    pub file: SchemaFile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFile {
    Eval,
    Suite,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tools_takes_a_command_after_dashes() {
        let cli = Cli::try_parse_from(["tooleval", "tools", "--", "npx", "-y", "pkg"]).unwrap();
        let Command::Tools(t) = cli.command else {
            panic!()
        };
        assert_eq!(t.server, ["npx", "-y", "pkg"]);
        assert!(Cli::try_parse_from(["tooleval", "tools"]).is_err());
    }
}
