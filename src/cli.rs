//! The command line, as clap sees it. Nothing here does any work, and nothing below the
//! commands sees a type of this file: `commands/resolve.rs` turns these values into the plain
//! ones of the layers below (an enum clap needs is mirrored here, with a `From` there).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "tooleval",
    version = env!("TOOLEVAL_VERSION"),
    about = "Measure whether a language model picks the right MCP tool from your tool descriptions.",
    long_about = "Measure whether a language model picks the right MCP tool from your tool descriptions.\n\n\
        tooleval lists the tools of your MCP servers, asks a model (any OpenAI-compatible API, or the \
        offline baseline) to answer each task of a YAML suite, scores the tool it chose and the \
        arguments it passed over repeated trials, and writes a report.",
    after_help = "Examples:\n  tooleval run evals/demo.yaml\n  tooleval tools -- npx -y @modelcontextprotocol/server-everything\n  tooleval tools --eval evals/demo.yaml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The process's arguments parsed; on a usage error, clap's message and exit code 2.
    pub fn from_args() -> Cli {
        <Cli as Parser>::parse()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an eval: ask the model every task, score the calls, write a report.
    #[command(
        after_help = "Examples:\n  tooleval run evals/demo.yaml\n  tooleval run evals/demo.yaml --model gpt-4o-mini --trials 5 --format json\n  tooleval run evals/demo.yaml --baseline-ref main --fail-on regression,min-accuracy --junit junit.xml\n  tooleval run evals/agent-demo.yaml --dry-run\n  tooleval run evals/agent-demo.yaml\n\nThe model's key and base URL come from the eval file, or from OPENAI_API_KEY and OPENAI_BASE_URL.\n\nExit codes: 0 passed (by default: met min_accuracy), 1 a --fail-on condition held, 2 usage or file error, 3 infrastructure error, 130 interrupted, 143 terminated."
    )]
    Run(RunArgs),
    /// List the tools a server exposes: name, description, parameters.
    #[command(
        after_help = "Examples:\n  tooleval tools -- tooleval demo-server\n  tooleval tools --format json http://127.0.0.1:3001/mcp\n  tooleval tools --eval evals/demo.yaml"
    )]
    Tools(ToolsArgs),
    /// Check tool definitions offline: vague or missing descriptions, names and descriptions a
    /// model will confuse, schema features APIs reject, token cost. Exit code 1 on errors.
    #[command(
        after_help = "Examples:\n  tooleval lint -- tooleval demo-server\n  tooleval lint --eval evals/demo.yaml --format json\n  tooleval lint --provider gemini -- npx -y @modelcontextprotocol/server-filesystem /tmp\n\nRules: description-missing, description-short, param-undescribed, required-param-undescribed, enum-in-prose, shared-prefix, similar-names, similar-descriptions, schema-unsupported, schema-converted, name-mapped, strict-mode, tool-tokens, token-budget, instructions-missing, instructions-unknown-tool, instructions-long, hidden-characters, model-instructions, tool-shadowing, exfiltration, annotation-mismatch. Switch them off or tune them under `lint:` in the eval file."
    )]
    Lint(LintArgs),
    /// Write a starter eval file and suite for a server's tools: one task per tool, the prompts
    /// left for you to write.
    #[command(
        after_help = "Examples:\n  tooleval init -- npx -y @modelcontextprotocol/server-everything\n  tooleval init --name docs http://127.0.0.1:3001/mcp"
    )]
    /// Run the built-in demo, offline: the demo server, its suite and the offline baseline (no
    /// clone, no key, no network); or write its files into a folder to start from.
    #[command(
        after_help = "Examples:\n  tooleval demo\n  tooleval demo --html demo.html\n  tooleval demo --dir my-evals\n\nThe run's folder (eval, suite, report) is kept in the temporary folder and named at the end."
    )]
    Demo(DemoArgs),
    Init(InitArgs),
    /// Write a first suite for a server's tools with a writer model: positive, near-miss and
    /// negative tasks (and, in agent mode, multi-step tasks grounded in real data), each held
    /// to guards, then run once to mark the tasks to review.
    #[command(
        after_help = "Examples:\n  tooleval generate --eval evals/demo.yaml --out suites/demo-generated.yaml --writer-model gpt-4o\n  tooleval generate --out suites/docs.yaml --writer-model anthropic:claude-sonnet-4-5 -- npx -y @modelcontextprotocol/server-everything\n  tooleval generate --eval evals/agent-demo.yaml --mode agent --out suites/incident-generated.yaml\n\nThe writer is `--writer-model` (a name on the eval's model API, or PROVIDER:NAME), else the eval's `writer_model`, else its `model`; never the offline baseline. Every task carries `source: generated`; the tasks the check model fails are marked `review:` and listed at the end of the file: read those first.\n\nExit codes: 0 written, 2 usage or file error, 3 infrastructure error (what was written before is saved), 130 interrupted (what was written is saved)."
    )]
    Generate(GenerateArgs),
    /// Say what this installation can find: its version and commit, Node.js for `npx` servers,
    /// uv for `uvx` servers, Chromium for page screenshots, and which API keys are set (never
    /// their values).
    SelfCheck(SelfCheckArgs),
    /// Serve the built-in demo toolset (an imaginary shop's observability tools) over MCP.
    #[command(
        after_help = "Examples:\n  tooleval demo-server                      # stdio, for an eval's `command`\n  tooleval demo-server --http 127.0.0.1:8931  # streamable HTTP at /mcp"
    )]
    DemoServer(DemoServerArgs),
    /// Run the suite at growing tool-set sizes (its tools plus distractors) and chart accuracy and
    /// token cost against the number of tools.
    #[command(
        after_help = "Examples:\n  tooleval sweep evals/demo.yaml --sizes 5,10,20,50,100,200\n  tooleval sweep evals/demo.yaml --sizes 15,50,200 --strategy random,similar --retrieve 10\n\nDistractors come from the eval's servers' other tools, --pool files and the shipped pool\n(suites/distractors/pool.json). The JSON report and an SVG chart are written side by side."
    )]
    Sweep(SweepArgs),
    /// Propose new tool descriptions from the failures of the tune tasks, and keep only what the
    /// holdout tasks confirm: a writer model rewrites, guards check, a run measures, a paired
    /// test decides.
    #[command(
        after_help = "Examples:\n  tooleval improve evals/demo.yaml --writer-model gpt-4o\n  tooleval improve evals/demo.yaml --rounds 3 --max-requests 400\n  tooleval improve evals/demo.yaml --from reports/runs/demo.json\n\nThe writer is the eval's `writer_model`, else its `model`; `--writer-model` names another model on the same API. Holdout prompts are never shown to the writer. The servers are never edited: the kept texts go to a descriptions file (--out), with a markdown summary and a JSON report (--report).\n\nExit codes: 0 the loop ran (kept or not), 2 usage or file error, 3 infrastructure error, 130 interrupted."
    )]
    Improve(ImproveArgs),
    /// Write the HTML page of a report that `run`, `sweep` or `improve` wrote.
    #[command(
        after_help = "Examples:\n  tooleval report reports/runs/demo.json --html demo.html\n  tooleval report reports/sweeps/demo.json --html sweep.html\n\nThe page is one file: inline CSS, a little JavaScript for filters and sorting (it reads without), nothing fetched."
    )]
    Report(ReportArgs),
    /// Compare two reports: tool changes, accuracy changes and whether they are noise, per task.
    #[command(
        after_help = "Examples:\n  tooleval diff reports/baseline-demo.json reports/runs/demo-latest.json\n  tooleval diff base.json head.json --format markdown > comment.md\n  tooleval diff base.json head.json --fail-on regression"
    )]
    Diff(DiffArgs),
    /// Combine the reports of `run --shard I/N` into one report, as one run would have written it.
    #[command(
        after_help = "Example:\n  tooleval merge shard-1.json shard-2.json shard-3.json --out merged.json --fail-on regression --baseline reports/baseline-demo.json"
    )]
    Merge(MergeArgs),
    /// Measure what the harness adds to the model's latency: a mock model with a fixed delay, a
    /// generated suite, the real run path; wall time against the floor, CPU time, peak memory.
    #[command(
        after_help = "Examples:\n  tooleval bench --tasks 1000 --concurrency 64 --latency-ms 100\n  tooleval bench --tasks 200,1000 --concurrency 1,16,64 --runs 3\n  tooleval bench --scale --tasks 1000,10000,100000\n  tooleval bench --tasks 10000 --latency-ms 10 --compare-with \"python3 benches/thin_client.py\"\n  tooleval bench --html --tasks 1000 --trials 5"
    )]
    Bench(BenchArgs),
    /// The mock model of `bench` (internal).
    #[command(hide = true)]
    BenchServer(BenchServerArgs),
    /// Show or prune the response cache.
    #[command(
        after_help = "Examples:\n  tooleval cache stats\n  tooleval cache prune --older-than 30d"
    )]
    Cache(CacheCommand),
    /// Print the JSON Schema of eval, suite, descriptions or host profile files (as committed
    /// under schemas/).
    #[command(after_help = "Example:\n  tooleval schema suite > schemas/suite.schema.json")]
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The eval file (YAML).
    pub eval: PathBuf,
    #[command(flatten)]
    pub settings: RunSettings,
    /// Where to write the JSON report [default: reports/runs/<eval>-<time>.json].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// `table`: a summary table on stderr; `json`: the summary as JSON on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bar and no table; errors and the report path only.
    #[arg(long, short)]
    pub quiet: bool,
    /// List every task in a table (what it expected, its result, why it failed), not only the
    /// tasks that did not pass, one line each.
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Lay this descriptions file over the servers' texts (new tool and parameter descriptions).
    #[arg(long, value_name = "FILE", conflicts_with = "variant")]
    pub descriptions: Option<PathBuf>,
    /// Also run under this descriptions file; repeat for several. The servers' own texts run as
    /// `original`; the variants are shown side by side and each gets its own report.
    #[arg(long, value_name = "FILE")]
    pub variant: Vec<PathBuf>,
    /// Run only the tasks of this split: `tune` while iterating, `holdout` to check.
    #[arg(long, value_enum)]
    pub split: Option<Split>,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Run only part I of N of the tasks x trials (e.g. 2/3), for CI machines working in
    /// parallel; combine the parts with `tooleval merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// List, per agent task, which tools could run, which are mocked and which would stop the
    /// loop; ask no model, call no tool, write no report.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the servers' tool definitions as they are now: write them over the lock file
    /// beside the eval (`tooleval.lock`) before the run.
    #[arg(long)]
    pub update_lock: bool,
    /// Run, then run again whenever the eval, a suite, a descriptions file or a tool-list file
    /// changes (after a quiet moment), showing what the change fixed and broke against the
    /// previous run. Unchanged requests come from the response cache. A broken file shows its
    /// error and the watch waits for the next save. Ctrl-C ends it.
    #[arg(long, conflicts_with = "dry_run")]
    pub watch: bool,
    /// Also write the run as a self-contained HTML page here (one per variant or model, named
    /// like the reports; with several models, this is the matrix's page); it needs no server
    /// and no network to read.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A JSON report of `tooleval run`, `sweep` or `improve`, or a model matrix (`-matrix.json`).
    pub report: PathBuf,
    /// Where to write the HTML page [default: the report's path with `.html`].
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImproveArgs {
    /// The eval file (YAML); its tasks with `split: holdout` are held out, the others tuned on.
    pub eval: PathBuf,
    #[command(flatten)]
    pub settings: RunSettings,
    /// Start from this report of a run of the eval (the servers' own texts, every task) instead
    /// of running one first.
    #[arg(long, value_name = "REPORT")]
    pub from: Option<PathBuf>,
    /// Rounds of propose, check, measure and decide; each starts from the texts kept so far.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
    /// Stop once this many requests have gone to the model APIs (replies from the response cache
    /// and the offline baseline are free).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,
    /// Run without held-out tasks: every decision is made on the tasks the proposals were written
    /// from, and the result is marked unconfirmed.
    #[arg(long)]
    pub no_holdout: bool,
    /// The writer's model name (sent to the API of the eval's `writer_model`, else `model`).
    #[arg(long, value_name = "NAME")]
    pub writer_model: Option<String>,
    /// Where to write the kept descriptions [default: <eval's folder>/<eval>-improved.yaml].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to write the JSON report [default: reports/improve/<eval>-<time>.json]; the markdown
    /// summary (`.md`), the run reports and each round's descriptions go beside it.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// The most tools the writer is asked to rewrite in one round (those with the most failures).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tools: u64,
    /// The token budget of the tool set [default: the eval's `max_tool_tokens`, else the current
    /// cost + 20%].
    #[arg(long, value_name = "N")]
    pub max_tool_tokens: Option<usize>,
    /// The significance level of the paired test on the holdout tasks.
    #[arg(long, default_value_t = 0.05, value_name = "ALPHA", value_parser = parse_alpha)]
    pub alpha: f64,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Also write the loop as a self-contained HTML page here: its rounds, decisions and word
    /// diffs.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// `table`: rounds and a table on stderr; `json`: the improve report on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress bar and no table; errors and the paths written only.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// An http(s):// URL, or a command line after `--` (stdio); or `--eval`.
    #[arg(trailing_var_arg = true, required_unless_present = "eval")]
    pub server: Vec<String>,
    /// Write for the servers of this eval file, with its settings (`writer_model`, `host`,
    /// `allow_tools`); the tasks of its suites are read so that none is repeated.
    #[arg(long, value_name = "FILE", conflicts_with = "server")]
    pub eval: Option<PathBuf>,
    /// The suite file to write (e.g. suites/NAME.yaml).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub force: bool,
    /// The writer's model: a name (sent to the eval's model API) or `PROVIDER:NAME`
    /// (`anthropic:claude-sonnet-4-5`). Required without `--eval`.
    #[arg(long, value_name = "MODEL")]
    pub writer_model: Option<String>,
    /// The model that runs each task once to check it [default: the writer]; `baseline` checks
    /// offline.
    #[arg(long, value_name = "MODEL", conflicts_with = "no_check")]
    pub check_model: Option<String>,
    /// Skip the check: no task is run, none is marked for review.
    #[arg(long)]
    pub no_check: bool,
    /// Tasks per tool that need it.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=20))]
    pub per_tool: u64,
    /// Tasks that should call no tool: half out of the server's domain, half missing a
    /// required argument.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=50))]
    pub negatives: u64,
    /// The share of tasks marked `split: holdout`, stratified by tool (0 for none).
    #[arg(long, value_name = "SHARE", default_value_t = 0.25, value_parser = parse_share)]
    pub holdout: f64,
    /// `single`: tasks answered in one reply; `agent`: the suite runs in agent mode, and
    /// multi-step tasks are written from data the tools that may run return.
    #[arg(long, value_enum, default_value_t = GenerateMode::Single)]
    pub mode: GenerateMode,
    /// Agent mode: how many multi-step tasks.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(0..=50))]
    pub multi_step: u64,
    /// Write for at most this many tools (those the eval's newest run called most first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tools: Option<u64>,
    /// Stop once this many requests have gone to the model APIs (what was written is saved).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,
    /// The most the writing and the check may cost, in US dollars (over the eval's
    /// `max_cost`): estimated above it, nothing starts; once the replies cost that much, the
    /// writing stops and what was written is saved. Needs the models' prices.
    #[arg(long, value_name = "DOLLARS", value_parser = positive_dollars)]
    pub max_cost: Option<f64>,
    /// Prices of models, over the shipped table (as `run --prices`).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// The suite's `name` [default: the file's name].
    #[arg(long)]
    pub name: Option<String>,
    /// How a host presents the tools to the check model (as `run --host`).
    #[arg(long, value_name = "NAME|FILE")]
    pub host: Option<String>,
    /// Agent mode: let tools annotated destructive be called to read data when the eval also
    /// lists them in `allow_tools` (they never are otherwise).
    #[arg(long)]
    pub allow_destructive: bool,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// No progress bar; errors and the summary only.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `generate --mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateMode {
    Single,
    Agent,
}

fn parse_share(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "`{s}` is not a share from 0 up to (not including) 1"
        ))
    }
}

/// What overrides the eval file; shared by `run` and `sweep`.
#[derive(Debug, Args, Default)]
pub struct RunSettings {
    /// The model, overriding the eval file's: a name (`baseline` runs offline), or
    /// `PROVIDER:NAME` for another API (`anthropic:claude-sonnet-4-5`, `gemini:gemini-2.5-flash`).
    /// Given more than once, `run` asks each model the whole suite (a model matrix).
    #[arg(long, value_name = "MODEL")]
    pub model: Vec<String>,
    /// How a host presents the tools, overriding the eval's `host`: a built-in profile (`raw`,
    /// `claude-code`, `claude-code-auto`, `vscode`, `cursor`, `copilot-cli`) or a profile
    /// file. Given more than once, `run` measures the suite under each host (a host matrix).
    #[arg(long, value_name = "NAME|FILE")]
    pub host: Vec<String>,
    /// Trials per task.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: Option<u32>,
    /// Requests in flight at once.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,
    /// Agent mode: let tools annotated destructive run when the eval also lists them in
    /// `allow_tools` (they never run otherwise).
    #[arg(long)]
    pub allow_destructive: bool,
    /// Prices of models, over the shipped table (LiteLLM's, dated): a YAML or JSON file mapping
    /// model names to `{ input, output, cached_input, cache_write }` in dollars per million
    /// tokens. A model's own `price:` in the eval wins.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// The most the command may cost, in US dollars, overriding the eval's `max_cost`: one
    /// estimated above it (every turn taken, no prompt cache) does not start, and one that
    /// reaches it stops, writing what it has. Every model asked counts (a matrix's, the judge,
    /// simulated users, improve's writer). Needs their prices.
    #[arg(long, value_name = "DOLLARS", value_parser = positive_dollars)]
    pub max_cost: Option<f64>,
}

/// A `--max-cost`: a positive number of dollars.
fn positive_dollars(s: &str) -> Result<f64, String> {
    match s.trim_start_matches('$').parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err("a positive number of US dollars, e.g. 2.50".into()),
    }
}

/// The response cache; shared by `run` and `sweep`.
#[derive(Debug, Args, Default)]
pub struct CacheArgs {
    /// `readwrite` (the default, except under CI where it is `off`), `read`, or `off`.
    #[arg(long, value_enum, value_name = "MODE")]
    pub cache: Option<CacheMode>,
    /// Never ask the model: answer from the cache, and stop at the first request it has no answer
    /// for, naming the task. A recorded run re-scored in CI without a key.
    #[arg(long, conflicts_with = "cache")]
    pub replay: bool,
    /// Where the cache lives [default: `.tooleval/cache` at the root of the git repository that
    /// holds the eval file, else beside the eval file].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CacheCommand {
    #[command(subcommand)]
    pub action: CacheAction,
    /// Where the cache lives [default: `.tooleval/cache` at the root of the git repository that
    /// holds the current folder, else in the current folder].
    #[arg(long, value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// How many entries the cache holds, their size and age.
    Stats,
    /// Remove entries: those older than --older-than, or all of them (asked first).
    Prune {
        /// e.g. `30d`, `12h` (all entries when omitted).
        #[arg(long, value_parser = humantime::parse_duration)]
        older_than: Option<std::time::Duration>,
        /// Remove every entry without asking (needed without --older-than when not on a
        /// terminal).
        #[arg(long)]
        yes: bool,
    },
}

/// What to compare against and what fails the run; shared by `run` and `merge`.
#[derive(Debug, Args, Default)]
pub struct GateArgs {
    /// Compare with this report (default: the eval file's `baseline`), right after the run.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
    /// Read the baseline report as it is at this git ref (e.g. `main`), so a pull request is
    /// compared with its target.
    #[arg(long, value_name = "GIT_REF")]
    pub baseline_ref: Option<String>,
    /// Write this run's report over the baseline file.
    #[arg(long)]
    pub update_baseline: bool,
    /// Conditions that make the exit code 1 (comma-separated) [default: min-accuracy,token-budget].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CONDITIONS")]
    pub fail_on: Vec<FailOn>,
    /// The lowest recall any tool may have, for `--fail-on tool-floor` (default: the eval
    /// file's `tool_floor`).
    #[arg(long, value_name = "RATE")]
    pub tool_floor: Option<f64>,
    /// The lowest search hit rate (0 to 1) under a host that defers tools, for `--fail-on
    /// search-hit-rate`.
    #[arg(long, value_name = "RATE")]
    pub min_search_hit_rate: Option<f64>,
    /// Write JUnit XML here: a test case per task.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Compare only the tasks both runs share, even when their suites differ.
    #[arg(long)]
    pub common_tasks: bool,
    /// The significance level of the paired test.
    #[arg(long, default_value_t = 0.05, value_name = "ALPHA")]
    pub alpha: f64,
    /// Gate a report that lacks tasks (a merge missing a shard) on the tasks that ran, compared
    /// with the baseline's same tasks, instead of failing it.
    #[arg(long)]
    pub allow_incomplete: bool,
}

/// What fails a run (exit code 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Full-call or selection accuracy fell, and the paired test says it is not noise.
    SignificantRegression,
    /// Any task that passed every trial in the baseline does not now.
    Regression,
    /// Full-call accuracy is below the eval file's `min_accuracy`.
    MinAccuracy,
    /// A tool's recall is below the tool floor.
    ToolFloor,
    /// A task tagged `critical` did not pass every trial.
    Critical,
    /// The tool set costs more tokens than the eval file's `max_tool_tokens`.
    TokenBudget,
    /// Under a host that defers tools, search returned the expected tool less often than
    /// `--min-search-hit-rate`.
    SearchHitRate,
    /// The servers' tool definitions (names, descriptions, schemas, annotations, instructions)
    /// differ from the lock file beside the eval (`tooleval tools --lock`); checked before any
    /// request.
    ToolsChanged,
}

/// Part I (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s
        .split_once('/')
        .ok_or("write the shard as I/N, e.g. 1/3")?;
    let index: u32 = i
        .trim()
        .parse()
        .map_err(|_| format!("`{i}` is not a number"))?;
    let count: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a number"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("shard {index}/{count}: I must be between 1 and N"));
    }
    Ok(Shard { index, count })
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The report before the change.
    pub base: PathBuf,
    /// The report after it.
    pub head: PathBuf,
    /// `table` for a terminal, `markdown` for a pull-request comment, `json` for programs.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Also write the diff as a self-contained HTML page here, each task opening onto both
    /// runs' replies.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Compare only the tasks both reports share, even when their suites differ.
    #[arg(long)]
    pub common_tasks: bool,
    /// The significance level of the paired test.
    #[arg(long, default_value_t = 0.05, value_name = "ALPHA")]
    pub alpha: f64,
    /// Exit with 1 on these conditions: `regression`, `significant-regression`.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CONDITIONS")]
    pub fail_on: Vec<FailOn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Table,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shard reports (from `run --shard I/N`).
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Where to write the merged report.
    #[arg(long)]
    pub out: PathBuf,
    /// `table`: a summary table on stderr; `json`: the summary as JSON on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No table; errors and the report path only.
    #[arg(long, short)]
    pub quiet: bool,
    /// List every task in a table, not only the tasks that did not pass.
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[command(flatten)]
    pub target: ServerTarget,
    /// The tools as this host presents them: its names, what it leaves out or cuts, what it
    /// adds to the system prompt (a built-in profile or a profile file).
    #[arg(long, value_name = "NAME|FILE")]
    pub host: Option<String>,
    /// Record every server's tool definitions (names, descriptions, schemas, annotations,
    /// instructions, a hash per tool) in this lock file [default: tooleval.lock beside the eval,
    /// else in the working folder]; `run`, `lint` and `tools` then say what changed since.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["host", "descriptions"])]
    #[allow(clippy::option_option)]
    pub lock: Option<Option<PathBuf>>,
}

/// Which servers to list: one on the command line, or every server of an eval file; shared by
/// `tools` and `lint`.
#[derive(Debug, Args)]
pub struct ServerTarget {
    /// An http(s):// URL, or a command line after `--` (stdio).
    // No `allow_hyphen_values`: an unknown option before `--` is clap's error, not a command.
    #[arg(trailing_var_arg = true, required_unless_present = "eval")]
    pub server: Vec<String>,
    /// Every server of this eval file (with its token and lint settings).
    #[arg(long, conflicts_with = "server")]
    pub eval: Option<PathBuf>,
    /// `table` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The tokenizer for token counts [default: the eval file's, else o200k_base].
    #[arg(long, value_enum)]
    pub encoding: Option<Encoding>,
    /// Lay this descriptions file over the servers' texts first (tool and parameter
    /// descriptions, server instructions), as `run --descriptions` does.
    #[arg(long, value_name = "FILE")]
    pub descriptions: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The eval file (YAML).
    pub eval: PathBuf,
    /// Tool-set sizes to run (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "5,10,20,50,100,200")]
    pub sizes: Vec<usize>,
    /// How distractors are added: `random`, or `similar` (most alike to the suite's tools first,
    /// the hard case). Comma-separated for several lines.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub strategy: Vec<SweepStrategy>,
    /// The seed of the distractor draw and the positions: the same seed, the same tool sets.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A distractor pool: a JSON list of tool definitions. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub pool: Vec<PathBuf>,
    /// Leave out the pool shipped with tooleval.
    #[arg(long)]
    pub no_shipped_pool: bool,
    /// Also run each size with retrieval first: only the K tools the offline ranking rates best
    /// for each prompt are sent.
    #[arg(long, value_name = "K")]
    pub retrieve: Option<usize>,
    #[command(flatten)]
    pub settings: RunSettings,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Where to write the JSON report (the SVG chart goes beside it).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write the sweep as a self-contained HTML page here: the chart, the table, the tasks
    /// that break first.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// `table` on stderr, or the report as JSON on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SweepStrategy {
    Random,
    Similar,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Tasks per run (comma-separated for several).
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    pub tasks: Vec<usize>,
    /// Requests in flight (comma-separated for several).
    #[arg(long, value_delimiter = ',', default_value = "64")]
    pub concurrency: Vec<usize>,
    /// The mock model's delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub latency_ms: u64,
    /// Tools in the generated tool set.
    #[arg(long, default_value_t = 20)]
    pub tools: usize,
    /// Runs per setting; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Measure a first `tooleval tools` on the demo server in an empty folder instead.
    #[arg(long)]
    pub cold_start: bool,
    /// Measure scale instead: for each `--tasks` count, a suite of that many distinct tasks over
    /// the demo server's tools, run with the offline baseline model (no mock, no latency); then
    /// `merge` of two shard reports and `diff` of two full reports.
    #[arg(long, conflicts_with = "cold_start")]
    pub scale: bool,
    /// Also run this command against the same mock model, measured the same way: a client to
    /// set tooleval's CPU against (e.g. `python3 benches/thin_client.py`). It gets the mock's
    /// URL, the task count, the concurrency and the generated tool list in `BENCH_URL`,
    /// `BENCH_TASKS`, `BENCH_CONCURRENCY` and `BENCH_TOOLS`, and must send one request per task.
    #[arg(long, value_name = "COMMAND", conflicts_with_all = ["cold_start", "scale"])]
    pub compare_with: Option<String>,
    /// Measure agent runs: each task a conversation of three model turns and two tool calls,
    /// the calls running on an MCP server of the bench's own that answers after
    /// `--tool-latency-ms`. The floor is ceil(N / C) x (3 x L + 2 x T).
    #[arg(long, conflicts_with_all = ["cold_start", "scale", "compare_with"])]
    pub agent: bool,
    /// With `--agent`: the tool server's delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 10, requires = "agent")]
    pub tool_latency_ms: u64,
    /// The API the mock model is asked through: `openai`, `anthropic` or `gemini` (the mock
    /// speaks all three).
    #[arg(long, default_value = "openai", value_name = "PROVIDER", conflicts_with_all = ["cold_start", "scale", "compare_with"])]
    pub provider: crate::config::Provider,
    /// Measure the HTML page instead: for each `--tasks` count, a run of that many distinct tasks
    /// x `--trials` (the offline baseline on the demo server), its page's size, the time
    /// `tooleval report --html` takes, and the time headless Chromium takes to load it.
    #[arg(long, conflicts_with_all = ["cold_start", "scale", "compare_with", "agent"])]
    pub html: bool,
    /// With `--html`: trials per task.
    #[arg(long, default_value_t = 5, requires = "html", value_parser = clap::value_parser!(u32).range(1..))]
    pub trials: u32,
    /// With `--html`: the browser to load the page in [default: /usr/bin/chromium when present].
    #[arg(long, value_name = "PATH", requires = "html")]
    pub browser: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchServerArgs {
    #[arg(long, default_value_t = 100)]
    pub latency_ms: u64,
    /// Hold agent conversations: a call at the first and second turns, an answer at the third.
    #[arg(long)]
    pub agent: bool,
}

#[derive(Debug, Args)]
pub struct SelfCheckArgs {
    /// `table`: a line per check on stdout; `json`: the checks as JSON.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Write the demo's eval, suite, descriptions files, baseline report and schemas into DIR
    /// instead of running it.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// With `--dir`: overwrite files that exist.
    #[arg(long, requires = "dir")]
    pub force: bool,
    /// Also write the run's HTML page here.
    #[arg(long, value_name = "FILE", conflicts_with = "dir")]
    pub html: Option<PathBuf>,
    /// No progress bar and no table; errors and the report path only.
    #[arg(long, short, conflicts_with = "dir")]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// An http(s):// URL, or a command line after `--` (stdio).
    #[arg(trailing_var_arg = true, required = true)]
    pub server: Vec<String>,
    /// The name of the eval, suite and server [default: from the server's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Where to write `evals/NAME.yaml`, `suites/NAME.yaml` and the schemas.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite existing files.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub target: ServerTarget,
    /// The token budget of the whole tool set (overrides the eval file's `max_tool_tokens`).
    #[arg(long, value_name = "TOKENS")]
    pub max_tool_tokens: Option<usize>,
    /// Show notes (severity info) in the table too, not only their count.
    #[arg(long)]
    pub all: bool,
    /// Also list what this provider's API is sent converted or not at all (`schema-converted`):
    /// `anthropic` or `gemini`. Repeatable. With `--eval`, the eval's models' providers are
    /// checked too.
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Vec<crate::config::Provider>,
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
    /// Serve one part of the demo: `logs` (logs, traces, incidents) or `ops` (metrics,
    /// services, deployments, alerts); both together make the whole demo.
    #[arg(long, value_enum, default_value = "all", conflicts_with = "tools")]
    pub part: DemoPart,
    /// Act out a failure after this many tool calls (with `--fail`), to see how a client copes.
    /// Test builds only (the `testing` feature).
    #[cfg(feature = "testing")]
    #[arg(long, value_name = "N", requires = "fail", hide = true)]
    pub fail_after: Option<usize>,
    /// The failure `--fail-after` acts out: `crash` or `hang`.
    #[cfg(feature = "testing")]
    #[arg(long, value_enum, requires = "fail_after", hide = true)]
    pub fail: Option<Fault>,
    /// Append every call (its tool and arguments, a line each) to this file. Test builds only.
    #[cfg(feature = "testing")]
    #[arg(long, value_name = "FILE", hide = true)]
    pub call_log: Option<PathBuf>,
    /// Wait this long before answering every tool call (the benchmark's tool latency).
    #[arg(long, value_name = "MS", hide = true)]
    pub call_delay_ms: Option<u64>,
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

/// `--cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CacheMode {
    /// Read entries and write new ones.
    Readwrite,
    /// Read entries; write none.
    Read,
    /// Neither read nor write.
    Off,
}

/// `--split`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Split {
    /// Tasks to iterate descriptions against.
    Tune,
    /// Tasks kept aside to check that an edit generalizes.
    Holdout,
}

/// `--encoding`: the tokenizer. Counts are exact for OpenAI models of that encoding and an
/// estimate for others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, o-series.
    O200kBase,
    /// GPT-4, GPT-3.5.
    Cl100kBase,
}

/// `demo-server --part`: which of the demo's tools a demo server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoPart {
    /// All fifteen tools.
    All,
    /// Logs, traces and incidents: `search_logs`, `tail_logs`, `get_trace`, `list_incidents`,
    /// `get_incident`, `create_incident`.
    Logs,
    /// Metrics, service state, deployments and alerts: the other nine.
    Ops,
}

/// `demo-server --fail`: a failure the demo server acts out after some calls.
#[cfg(feature = "testing")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fault {
    /// Exit (status 3) instead of answering.
    Crash,
    /// Never answer.
    Hang,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaFile {
    Eval,
    Suite,
    Descriptions,
    /// A host profile (`hosts/*.yaml`).
    Host,
}

/// A significance level: strictly between 0 and 1.
fn parse_alpha(s: &str) -> Result<f64, String> {
    let a: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if a > 0.0 && a < 1.0 {
        Ok(a)
    } else {
        Err(format!("{a} is not between 0 and 1 (e.g. 0.05)"))
    }
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
        assert_eq!(t.target.server, ["npx", "-y", "pkg"]);
        assert!(Cli::try_parse_from(["tooleval", "tools"]).is_err());
    }

    #[test]
    fn lint_help_lists_every_rule() {
        let cli = Cli::command();
        let help = cli
            .find_subcommand("lint")
            .and_then(|c| c.get_after_help())
            .expect("lint has an after_help")
            .to_string();
        let listed: Vec<&str> = help
            .split("Rules:")
            .nth(1)
            .expect("the help lists the rules")
            .split_whitespace()
            .map(|w| w.trim_end_matches([',', '.']))
            .collect();
        for rule in crate::lint::Rule::ALL {
            assert!(listed.contains(&rule.id()), "`lint --help` omits {rule}");
        }
    }
}
