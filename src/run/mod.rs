//! The `run` and `tools` commands: servers up, tools listed, trials run, report written.

mod bench;
mod exec;
mod gate;
mod init;
mod merge;
mod sweep;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

pub use bench::{BenchResult, bench_command, bench_server_command};
pub use exec::{ExecOptions, Executed, PlannedTask, execute};
pub use gate::{Finish, evaluate, finish, load_baseline};
pub use init::init_command;
pub use merge::{diff_command, merge_command, merge_reports};
pub use sweep::{shipped_pool, sweep_command, tool_sets};

use crate::cli::{Format, LintArgs, RunArgs, ToolsArgs};
use crate::config::{self, Eval, LoadedSuite, Matcher, Seg, ServerEntry, ServerSpec};
use crate::error::{Diagnostic, Error, Result, did_you_mean, exit};
use crate::lint;
use crate::mcp::{self, Connection, ToolSet};
use crate::model;
use crate::report::{
    self, EvalInfo, Report, SCHEMA_VERSION, ServerInfo, ShardInfo, SuiteInfo, ToolIdentity,
};
use crate::score::Judge;

/// Connects to every server at once; all failures are reported, not just the first.
pub async fn connect_all(
    servers: &[ServerEntry],
    written: &[(String, ServerSpec)],
) -> Result<Vec<Connection>> {
    let futures = servers.iter().map(|s| {
        let target = written
            .iter()
            .find(|(n, _)| n == &s.name)
            .map(|(_, w)| mcp::describe_target(w))
            .unwrap_or_default();
        mcp::connect(s, target)
    });
    let results = futures::future::join_all(futures).await;
    let mut conns = Vec::new();
    let mut first_err = None;
    for r in results {
        match r {
            Ok(c) => conns.push(c),
            Err(e) if first_err.is_none() => first_err = Some(e),
            Err(e) => crate::say!("{}", e.render()),
        }
    }
    if let Some(e) = first_err {
        for c in conns {
            c.close().await;
        }
        return Err(e);
    }
    Ok(conns)
}

/// Lists tools and closes the connections.
async fn list_tools(
    servers: &[ServerEntry],
    written: &[(String, ServerSpec)],
) -> Result<(ToolSet, Vec<ServerInfo>)> {
    let conns = connect_all(servers, written).await?;
    let mut per_server = Vec::new();
    let mut infos = Vec::new();
    for c in conns {
        per_server.push((c.info.name.clone(), c.tools.clone()));
        infos.push(c.info.clone());
        c.close().await;
    }
    Ok((ToolSet::new(per_server), infos))
}

/// Checks every tool an expectation names, and every argument it matches, against the tool set:
/// unknown or ambiguous names are diagnostics with a suggestion.
pub fn check_expectations(suites: &[LoadedSuite], tools: &ToolSet) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for s in suites {
        for (i, task) in s.suite.tasks.iter().enumerate() {
            for (at, call) in task.expect.calls_with_paths() {
                let call_path = [&[Seg::Key("expect")], &at[..]].concat();
                let tool_path = [&call_path[..], &[Seg::Key("tool")]].concat();
                let Some(tool) = tools.by_name(&call.tool) else {
                    let same = tools.by_server_name(&call.tool);
                    let (message, hint) = if same.is_empty() {
                        let hint = match did_you_mean(&call.tool, tools.tools.iter().map(|t| t.name.as_str())) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "`tooleval tools --eval <EVAL_FILE>` lists every tool the servers offer".to_owned(),
                        };
                        (
                            format!(
                                "task `{}` expects tool `{}`, which no server offers",
                                task.id, call.tool
                            ),
                            hint,
                        )
                    } else {
                        let options = same
                            .iter()
                            .map(|t| format!("`{}`", t.name))
                            .collect::<Vec<_>>()
                            .join(" or ");
                        (
                            format!(
                                "task `{}`: tool `{}` is offered by several servers",
                                task.id, call.tool
                            ),
                            format!("write {options}"),
                        )
                    };
                    diags.push(s.value_in_task(i, &tool_path, message).with_hint(hint));
                    continue;
                };
                let Some(props) = closed_properties(&tool.input_schema) else {
                    continue;
                };
                for (arg, matcher) in &call.args {
                    if props.contains_key(arg) || matches!(matcher, Matcher::Absent) {
                        continue;
                    }
                    let hint = match did_you_mean(arg, props.keys().map(String::as_str)) {
                        Some(p) => format!("did you mean `{p}`?"),
                        None if props.is_empty() => format!("`{}` takes no parameters", tool.name),
                        None => format!(
                            "`{}` takes `{}`",
                            tool.name,
                            props.keys().cloned().collect::<Vec<_>>().join("`, `")
                        ),
                    };
                    let message = format!(
                        "task `{}`: tool `{}` has no parameter `{arg}`",
                        task.id, tool.name
                    );
                    let arg_path = [&call_path[..], &[Seg::Key("args"), Seg::Key(arg)]].concat();
                    diags.push(s.key_in_task(i, &arg_path, message).with_hint(hint));
                }
            }
        }
    }
    diags
}

/// The properties of a schema that lists them and does not invite others.
fn closed_properties(
    schema: &serde_json::Value,
) -> Option<&serde_json::Map<String, serde_json::Value>> {
    let open = match schema.get("additionalProperties") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::Object(_)) => true,
        _ => false,
    };
    let props = schema.get("properties")?.as_object()?;
    // A schema with no properties and no word on others accepts anything: nothing to check.
    let unconstrained = props.is_empty() && schema.get("additionalProperties").is_none();
    (!open && !unconstrained).then_some(props)
}

/// `tooleval run`.
pub async fn run_command(args: RunArgs) -> Result<i32> {
    let mut eval = config::load_eval(&args.eval)?;
    args.settings.apply(&mut eval);
    let written: Vec<(String, ServerSpec)> = eval.file.servers.clone().into_iter().collect();
    // The variants: the servers' own texts, and each descriptions file laid over them.
    let mut variants: Vec<(Option<String>, Option<config::Descriptions>)> = Vec::new();
    if !args.variant.is_empty() {
        variants.push((Some("original".to_owned()), None));
        for path in &args.variant {
            let d = config::Descriptions::load(path)?;
            if variants
                .iter()
                .any(|(n, _)| n.as_deref() == Some(d.name().as_str()))
            {
                return Err(Error::usage(
                    format!("two variants are named `{}`", d.name()),
                    Some("variants are named by their file names: rename one file".to_owned()),
                ));
            }
            variants.push((Some(d.name()), Some(d)));
        }
    } else if let Some(path) = &args.descriptions {
        let d = config::Descriptions::load(path)?;
        variants.push((Some(d.name()), Some(d)));
    } else {
        variants.push((None, None));
    }
    // Where the reports go is checked first: a bad --out should not cost a run.
    let started = SystemTime::now();
    let base_out = args
        .out
        .clone()
        .unwrap_or_else(|| report::default_report_path(&eval.path, started));
    let outs: Vec<PathBuf> = variants
        .iter()
        .map(|(name, _)| match name {
            Some(n) if variants.len() > 1 => with_suffix(&base_out, n),
            _ => base_out.clone(),
        })
        .collect();
    for out in &outs {
        report::check_writable(out)?;
    }
    let has_baseline = args.gate.baseline.is_some() || eval.baseline.is_some();
    gate::check_args(
        &args.gate,
        has_baseline,
        args.gate.tool_floor.or(eval.tool_floor),
    )?;
    // Build the model next: a missing key should not wait for servers to start.
    let model = model::from_config(&eval.model, &args.cache.settings())?;
    let encoding = eval.file.encoding.unwrap_or_default();
    // The servers are asked once; every variant shares their tool lists.
    let (listed, servers) = list_tools(&eval.servers, &written).await?;
    let diags = check_expectations(&eval.suites, &listed);
    if !diags.is_empty() {
        return Err(Error::Input(diags));
    }
    // Every descriptions file is checked before the first request: a typo in the last variant
    // should not cost the runs before it.
    let mut diags = Vec::new();
    for d in variants.iter().filter_map(|(_, d)| d.as_ref()) {
        match d.apply(&mut listed.clone()) {
            Err(Error::Input(mut more)) => diags.append(&mut more),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
    }
    if !diags.is_empty() {
        return Err(Error::Input(diags));
    }
    let tasks: Vec<PlannedTask> = eval
        .suites
        .iter()
        .flat_map(|s| {
            s.suite.tasks.iter().map(|t| PlannedTask {
                suite: s.name(),
                task: t.clone(),
            })
        })
        .filter(|t| args.split.is_none() || t.task.split == args.split)
        .collect();
    if tasks.is_empty() {
        return Err(Error::usage(
            format!(
                "no task is in the `{}` split",
                args.split.map_or("", |s| s.as_str())
            ),
            Some("mark tasks with `split: tune` or `split: holdout` in the suite".to_owned()),
        ));
    }
    let opts = ExecOptions {
        shard: args.shard.map(|s| (s.index, s.count)),
        ..ExecOptions::for_eval(&eval, !args.quiet && args.format == Format::Table)
    };
    let side_by_side = variants.len() > 1;
    let mut reports = Vec::new();
    let mut code = exit::OK;
    let no_gate = crate::cli::GateArgs::default();
    for (i, ((name, descriptions), out)) in variants.into_iter().zip(outs).enumerate() {
        let mut tools = listed.clone();
        if let Some(d) = &descriptions {
            d.apply(&mut tools)?;
        }
        // Token counts are for the report: counted beside the run, off its critical path.
        let counting = {
            let mut counted = tools.clone();
            tokio::task::spawn_blocking(move || {
                counted.count_tokens(encoding);
                counted
            })
        };
        let tools = Arc::new(tools);
        let judge = Arc::new(Judge::new(&tools));
        for (tool, why) in judge.skipped() {
            crate::sayln!(
                "warning: the input schema of `{tool}` does not compile ({why}); its arguments are not checked against it"
            );
        }
        if side_by_side {
            crate::sayln!("variant {}:", name.as_deref().unwrap_or_default());
        }
        let executed = execute(
            &tasks,
            model.clone(),
            tools.clone(),
            judge,
            &opts,
            stop_on_ctrl_c(),
        )
        .await;
        let tools = counting.await.map(Arc::new).unwrap_or(tools);
        let mut report = build_report(
            &eval,
            &model.info(),
            servers.clone(),
            &tools,
            executed.trials,
            !executed.interrupted,
            started,
        );
        report.shard = args.shard.map(|s| ShardInfo {
            index: s.index,
            count: s.count,
        });
        if executed.fatal.is_some() {
            report.complete = false;
        }
        report.variant = name;
        report.descriptions_file = descriptions.map(|d| d.path.display().to_string());
        if let Some(split) = args.split {
            // The report holds the suite as it ran: the tasks of that split.
            report.split = Some(split);
            for s in &mut report.suites {
                s.tasks.retain(|t| t.split == Some(split));
            }
            report.resummarize();
        }
        // With variants, the gate and the baseline belong to the servers' own texts; every
        // variant's report is written for `diff`, and the variants are shown side by side.
        let variant_code = gate::finish(
            &report,
            &gate::Finish {
                out,
                format: if side_by_side {
                    Format::Table
                } else {
                    args.format
                },
                quiet: args.quiet || side_by_side,
                gate: if i == 0 { &args.gate } else { &no_gate },
                eval_baseline: if i == 0 { eval.baseline.clone() } else { None },
                eval_tool_floor: eval.tool_floor,
                interrupted: executed.interrupted,
                gate_enabled: i == 0,
            },
        )?;
        if i == 0 || variant_code == exit::INFRASTRUCTURE || variant_code == exit::INTERRUPTED {
            code = code.max(variant_code);
        }
        if let Some(e) = executed.fatal {
            return Err(Error::Model {
                message: format!(
                    "{}; the run stopped there, and the report holds the trials before it",
                    e.message
                ),
                hint: e.hint,
            });
        }
        reports.push(report);
        if executed.interrupted {
            break;
        }
    }
    if side_by_side {
        match args.format {
            Format::Json => {
                let all: Vec<serde_json::Value> = reports
                    .iter()
                    .map(|r| {
                        serde_json::from_str(&report::render_summary_json(r)).unwrap_or_default()
                    })
                    .collect();
                let text = serde_json::to_string_pretty(&serde_json::json!({ "variants": all }))
                    .unwrap_or_default()
                    + "\n";
                let _ = std::io::stdout()
                    .lock()
                    .write_all(crate::error::redact(&text).as_bytes());
            }
            Format::Table if !args.quiet => {
                crate::say!(
                    "{}",
                    report::render_variants(&reports, terminal_width(), args.gate.alpha)
                );
            }
            Format::Table => {}
        }
    }
    Ok(code)
}

/// `tooleval cache`.
pub fn cache_command(args: crate::cli::CacheCommand) -> Result<i32> {
    match args.action {
        crate::cli::CacheAction::Stats => {
            let s = model::cache_stats(&args.dir);
            let span = match (&s.oldest, &s.newest) {
                (Some(o), Some(n)) => format!(", from {o} to {n}"),
                _ => String::new(),
            };
            let text = format!(
                "{}: {} entries, {:.1} KiB{span}\n",
                s.dir,
                s.entries,
                s.bytes as f64 / 1024.0
            );
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        crate::cli::CacheAction::Prune { older_than } => {
            let n = model::prune_cache(&args.dir, older_than)?;
            crate::sayln!("removed {n} entries from {}", args.dir.display());
        }
    }
    Ok(exit::OK)
}

/// `reports/x.json` with suffix `a` -> `reports/x-a.json`.
fn with_suffix(path: &std::path::Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!("{stem}-{suffix}{ext}"))
}

/// Resolves on the first Ctrl-C, after which a second one exits at once.
async fn stop_on_ctrl_c() {
    if tokio::signal::ctrl_c().await.is_ok() {
        crate::sayln!("\ninterrupted: writing the partial report (Ctrl-C again to quit at once)");
        tokio::spawn(async {
            let _ = tokio::signal::ctrl_c().await;
            std::process::exit(exit::INTERRUPTED);
        });
    } else {
        std::future::pending::<()>().await;
    }
}

fn build_report(
    eval: &Eval,
    model: &report::ModelInfo,
    servers: Vec<ServerInfo>,
    tools: &ToolSet,
    trials: Vec<report::TrialRecord>,
    complete: bool,
    started: SystemTime,
) -> Report {
    let servers = servers
        .into_iter()
        .map(|mut s| {
            let tokens = tools
                .tools
                .iter()
                .filter(|t| t.server == s.name)
                .filter_map(|t| t.tokens)
                .sum();
            s.tool_tokens = Some(tokens);
            s
        })
        .collect();
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tooleval: ToolIdentity::current(),
        started_at: humantime::format_rfc3339_seconds(started).to_string(),
        finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        complete,
        eval: EvalInfo {
            path: eval.path.display().to_string(),
            trials: eval.trials,
            concurrency: eval.concurrency,
            min_accuracy: eval.min_accuracy,
        },
        model: model.clone(),
        servers,
        tools: tools.clone(),
        suites: eval
            .suites
            .iter()
            .map(|s| SuiteInfo {
                path: s.path.display().to_string(),
                name: s.name(),
                description: s.suite.description.clone(),
                tasks: s.suite.tasks.clone(),
            })
            .collect(),
        trials,
        summary: Default::default(),
        shard: None,
        max_tool_tokens: eval.file.max_tool_tokens,
        variant: None,
        descriptions_file: None,
        lint: eval.file.lint.clone(),
        split: None,
        splits: Default::default(),
    };
    report.resummarize();
    report
}

/// The width tables are laid out for: `COLUMNS` when set, else the terminal's, else 120.
pub(crate) fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| console::Term::stderr().size_checked().map(|(_, cols)| cols))
        .unwrap_or(120)
}

/// Servers to list, with their entries as written, and the eval file they came from if any.
struct Listing {
    servers: Vec<ServerEntry>,
    written: Vec<(String, ServerSpec)>,
    file: Option<config::EvalFile>,
}

/// The servers to list: every server of an eval file, or one named on the command line.
fn servers_to_list(eval: Option<&std::path::Path>, words: &[String]) -> Result<Listing> {
    if let Some(eval) = eval {
        let eval = config::load_eval_servers(eval)?;
        let written = eval.file.servers.clone().into_iter().collect();
        return Ok(Listing {
            servers: eval.servers,
            written,
            file: Some(eval.file),
        });
    }
    let spec = server_from_args(words)?;
    let name = if spec.url.is_some() { "http" } else { "stdio" }.to_owned();
    Ok(Listing {
        servers: vec![ServerEntry {
            name: name.clone(),
            spec: spec.clone(),
        }],
        written: vec![(name, spec)],
        file: None,
    })
}

/// `tooleval tools`.
pub async fn tools_command(args: ToolsArgs) -> Result<i32> {
    let Listing {
        servers,
        written,
        file,
    } = servers_to_list(args.target.eval.as_deref(), &args.target.server)?;
    let encoding = args
        .target
        .encoding
        .or(file.and_then(|f| f.encoding))
        .unwrap_or_default();
    let (mut tools, _) = list_tools(&servers, &written).await?;
    tools.count_tokens(encoding);
    let text = match args.target.format {
        Format::Json => serde_json::to_string_pretty(&tools).expect("serializes") + "\n",
        Format::Table => report::render_tools_table(&tools, terminal_width()),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(exit::OK)
}

/// `tooleval lint`.
pub async fn lint_command(args: LintArgs) -> Result<i32> {
    let Listing {
        servers,
        written,
        file,
    } = servers_to_list(args.target.eval.as_deref(), &args.target.server)?;
    let file = file.unwrap_or_default();
    let cfg = file.lint.clone().unwrap_or_default();
    if let Some(bad) = cfg
        .disable
        .iter()
        .find(|d| !lint::RULES.iter().any(|r| r.0 == d.as_str()))
    {
        let hint = match did_you_mean(bad, lint::RULES.iter().map(|r| r.0)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`tooleval lint --help` lists the rules".to_owned(),
        };
        return Err(Error::usage(
            format!("`lint.disable` names an unknown rule `{bad}`"),
            Some(hint),
        ));
    }
    let encoding = args.target.encoding.or(file.encoding).unwrap_or_default();
    let (mut tools, _) = list_tools(&servers, &written).await?;
    tools.count_tokens(encoding);
    let findings = lint::lint(&tools, &cfg, args.max_tool_tokens.or(file.max_tool_tokens));
    let text = match args.target.format {
        Format::Json => {
            serde_json::to_string_pretty(&serde_json::json!({
                "encoding": encoding.as_str(),
                "total_tokens": tools.total_tokens(),
                "findings": findings,
            }))
            .expect("serializes")
                + "\n"
        }
        Format::Table => report::render_findings(&findings, &tools, terminal_width(), args.all),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    let errors = findings
        .iter()
        .filter(|f| f.severity == lint::Severity::Error)
        .count();
    Ok(if errors > 0 {
        exit::BELOW_MIN_ACCURACY
    } else {
        exit::OK
    })
}

fn server_from_args(words: &[String]) -> Result<ServerSpec> {
    let Some(first) = words.first() else {
        return Err(Error::usage(
            "name a server: a URL, or a command after `--`",
            Some("e.g. `tooleval tools -- tooleval demo-server`".to_owned()),
        ));
    };
    if first.starts_with("http://") || first.starts_with("https://") {
        if words.len() > 1 {
            return Err(Error::usage("a URL takes no further arguments", None));
        }
        return Ok(ServerSpec {
            url: Some(first.clone()),
            ..ServerSpec::default()
        });
    }
    Ok(ServerSpec {
        command: Some(first.clone()),
        args: words[1..].to_vec(),
        ..ServerSpec::default()
    })
}
