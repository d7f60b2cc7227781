//! `tooleval run`: an eval measured, under the servers' own descriptions and under each
//! descriptions file given (variants side by side), then finished: written, compared, gated.

use std::path::{Path, PathBuf};

use crate::cli::{Format, RunArgs};
use crate::config::Descriptions;
use crate::error::{Error, Result, exit};
use crate::gate::GateSettings;
use crate::output::Output;
use crate::report::{self, Report, ShardInfo};
use crate::run::{ExecOptions, PlannedTask};
use crate::session::{self, Finish, Plan, Prepare, Session, Texts};

use super::watch::Runs;

/// One set of descriptions to run under: the servers' own texts (`None`), or a file's.
struct Variant {
    /// `None` for a plain run; the variant's name when descriptions are laid over.
    name: Option<String>,
    descriptions: Option<Descriptions>,
    out: PathBuf,
}

pub(crate) async fn run_command(out: &Output, args: RunArgs) -> Result<i32> {
    if args.watch {
        return super::watch::watch(out, &args.eval, |runs| run_watched(out, &args, runs)).await;
    }
    run_once(out, &args, &mut Vec::new(), None).await
}

/// One run of `--watch`: its exit code (or its error), the files it read, and the reports of
/// the runs so far with its own.
async fn run_watched(
    out: &Output,
    args: &RunArgs,
    mut runs: Runs,
) -> (Result<i32>, Vec<PathBuf>, Runs) {
    let mut read = Vec::new();
    let result = run_once(out, args, &mut read, Some(&mut runs)).await;
    (result, read, runs)
}

/// The files an eval is read from: the eval, its suites, and the tool lists its servers serve
/// (`--tools FILE` of a demo server).
fn files_of(session: &Session) -> Vec<PathBuf> {
    let eval = &session.eval;
    let dir = eval.path.parent().unwrap_or(Path::new("."));
    let mut files = vec![eval.path.clone()];
    files.extend(eval.suites.iter().map(|s| s.path.clone()));
    for s in &eval.servers {
        let args = &s.spec.args;
        for w in args.windows(2).filter(|w| w[0] == "--tools") {
            files.push(dir.join(&w[1]));
        }
    }
    files
}

/// A run: its exit code. `read` gains the files the run was read from, as soon as they are
/// known. Under `--watch`, each measurement says what changed against the runs before, and
/// `runs` keeps its report.
async fn run_once(
    out: &Output,
    args: &RunArgs,
    read: &mut Vec<PathBuf>,
    runs: Option<&mut Runs>,
) -> Result<i32> {
    read.push(args.eval.clone());
    read.extend(args.variant.iter().cloned());
    read.extend(args.descriptions.iter().cloned());
    let session = Session::load(&args.eval, &(&args.settings).into())?;
    read.extend(files_of(&session));
    if (session.eval.models.len() > 1 || session.eval.hosts.len() > 1) && !args.dry_run {
        return super::matrix::run_matrix(out, args, session, runs).await;
    }
    let cache = super::resolve::cache_settings(&args.cache);
    let gate = GateSettings::from(&args.gate);
    let split = args.split.map(Into::into);
    let variants = variants(args, &session)?;
    if args.dry_run {
        // A dry run writes nothing, so it runs in a read-only folder too.
        session.check_first(&[], Some(&gate))?;
        let tasks = session.plan(split)?;
        return dry_run(out, &session, &tasks, args).await;
    }
    let writes = variants
        .iter()
        .map(|v| v.out.as_path())
        .chain(args.html.as_deref());
    let prepare = Prepare {
        writes: writes.collect(),
        gate: Some(&gate),
        split,
        cache: &cache,
        progress: !args.quiet && args.format == Format::Table,
        check_listing: true,
    };
    // The servers are asked once; every variant shares their tool lists (and, for agent tasks,
    // their open connections).
    let (model, prepared) = session
        .prepare(prepare, || {
            Ok((session.model_capped(&cache)?, session.judge(&cache)?))
        })
        .await?;
    check_descriptions(&variants, &prepared.listed)?;
    // A rug pull is caught before any request: the listing against the lock beside the eval.
    if let Some(code) = super::lock::check_before_run(
        out,
        &args.eval,
        &prepared.listed,
        args.update_lock,
        gate.fail_on.contains(&crate::gate::FailOn::ToolsChanged),
    )
    .await?
    {
        return Ok(code);
    }
    let estimate = session.estimate(
        &prepared.tasks,
        &prepared.listed.tools,
        &session.eval.model.name,
        variants.len() as u64,
    );
    session.check_cost(
        out,
        &estimate,
        "run",
        args.quiet || args.format != Format::Table,
    )?;
    let plan = Plan {
        tasks: prepared.tasks,
        opts: ExecOptions {
            shard: args.shard.map(|s| (s.index, s.count)),
            ..prepared.opts
        },
        model,
        listed: prepared.listed,
    };
    let side_by_side = variants.len() > 1;
    let (code, reports) =
        measure_variants(out, &session, &plan, variants, args, &gate, runs).await?;
    if side_by_side {
        show_variants(out, &reports, args);
    }
    if let Some(live) = &plan.listed.live {
        live.close().await;
    }
    // The process ends after this command: freeing a large run's millions of small allocations
    // one by one would cost a few percent of its time for nothing.
    // (A watch runs again: it frees as it goes.)
    if !args.watch {
        std::mem::forget((session, plan, reports));
    }
    Ok(code)
}

/// Each variant measured on the plan and finished in turn (the first, the servers' own texts,
/// gated); stops at an interruption. The command's exit code and the reports.
async fn measure_variants(
    out: &Output,
    session: &Session,
    plan: &Plan,
    variants: Vec<Variant>,
    args: &RunArgs,
    gate: &GateSettings,
    mut runs: Option<&mut Runs>,
) -> Result<(i32, Vec<Report>)> {
    let split = args.split.map(Into::into);
    let side_by_side = variants.len() > 1;
    let mut reports = Vec::new();
    let mut code = exit::OK;
    for (i, variant) in variants.into_iter().enumerate() {
        if side_by_side {
            out.say(&format!(
                "variant {}:\n",
                variant.name.as_deref().unwrap_or_default()
            ));
        }
        let texts = Texts {
            name: variant.name,
            descriptions: variant.descriptions.as_ref(),
        };
        let shard = args.shard.map(|s| ShardInfo {
            index: s.index,
            count: s.count,
        });
        let (report, ended) = session.measure(plan, texts, split, shard).await;
        // Under --watch, what the edit did comes first, the summary after it.
        if let Some(runs) = runs.as_deref_mut() {
            runs.show_change(out, report.variant.as_deref().unwrap_or_default(), &report);
        }
        // With variants, the gate and the baseline belong to the servers' own texts; every
        // variant's report is written for `diff`, and the variants are shown side by side.
        let first = i == 0;
        let show = match side_by_side {
            true => session::Show::Nothing,
            false => super::resolve::show(args.format, args.quiet, args.verbose),
        };
        let json = args.format == Format::Json;
        let finish = Finish::measured(variant.out, &session.eval, gate, &ended, first, show, json);
        let variant_code =
            finish_variant(out, &report, &finish, args.html.as_deref(), side_by_side)?;
        if first || variant_code == exit::INFRASTRUCTURE || ended.interrupted {
            code = code.max(variant_code);
        }
        if let Some(e) = ended.fatal {
            return Err(session::fatal_error(
                e,
                "the run stopped there, and the report holds the trials before it",
            ));
        }
        reports.push(report);
        if ended.interrupted {
            break;
        }
    }
    Ok((code, reports))
}

/// A variant's report finished (written, compared, gated) and its page written; its exit code.
fn finish_variant(
    out: &Output,
    report: &Report,
    finish: &Finish,
    html: Option<&Path>,
    side_by_side: bool,
) -> Result<i32> {
    let done = session::finish_with(out, report, finish)?;
    if let Some(html) = html {
        let path = match (&report.variant, side_by_side) {
            (Some(name), true) => report::with_suffix(html, name),
            _ => html.to_path_buf(),
        };
        // The page shows what the terminal and the job summary show: the gate's verdict and
        // what the baseline comparison found.
        let gate = finish.gate_enabled.then_some(report::PageGate {
            verdict: &done.verdict,
            diff: done.diff.as_ref(),
        });
        super::write_page(out, &path, &report::render_run_html_gated(report, gate))?;
    }
    Ok(done.code)
}

/// `--dry-run`: the servers listed (their annotations say what may run), the plan laid against
/// the eval's rules, shown; no model is built or asked, no tool called, no report written.
async fn dry_run(
    out: &Output,
    session: &Session,
    tasks: &[PlannedTask],
    args: &RunArgs,
) -> Result<i32> {
    let cache = super::resolve::cache_settings(&args.cache);
    let listed = session.list_tools(false, &cache).await?;
    session.check(&listed.tools)?;
    let agent = session.agent_run(&listed, &cache, None, Default::default());
    let user_model = session.eval.user_model.as_ref().map(|m| m.name.as_str());
    let plan = crate::run::dry_run(tasks, &agent, &listed.tools, user_model);
    let single = tasks.iter().filter(|t| t.agent.is_none()).count();
    match args.format {
        Format::Json => {
            out.print_json(&serde_json::json!({ "dry_run": plan, "single_turn_tasks": single }))
        }
        Format::Table => out.print(&report::render_dry_run(&plan, single, out.width)),
    }
    Ok(exit::OK)
}

/// The variants to run: the servers' own texts and each `--variant` file, or the one
/// `--descriptions` file, or the servers' own texts alone; each with the report path it gets.
fn variants(args: &RunArgs, session: &Session) -> Result<Vec<Variant>> {
    let mut named: Vec<(Option<String>, Option<Descriptions>)> = Vec::new();
    if !args.variant.is_empty() {
        named.push((Some("original".to_owned()), None));
        for path in &args.variant {
            let d = Descriptions::load(path)?;
            if d.name() == "original" {
                return Err(Error::usage(
                    format!(
                        "{}: the variant name `original` is reserved for the servers' own texts",
                        path.display()
                    ),
                    Some(
                        "variants are named by their file names: rename the file (e.g. `current.yaml`)"
                            .to_owned(),
                    ),
                ));
            }
            if named
                .iter()
                .any(|(n, _)| n.as_deref() == Some(d.name().as_str()))
            {
                return Err(Error::usage(
                    format!("two variants are named `{}`", d.name()),
                    Some("variants are named by their file names: rename one file".to_owned()),
                ));
            }
            named.push((Some(d.name()), Some(d)));
        }
    } else if let Some(path) = &args.descriptions {
        let d = Descriptions::load(path)?;
        named.push((Some(d.name()), Some(d)));
    } else {
        named.push((None, None));
    }
    let base_out = args
        .out
        .clone()
        .unwrap_or_else(|| report::default_report_path(&session.eval.path, session.started));
    let several = named.len() > 1;
    Ok(named
        .into_iter()
        .map(|(name, descriptions)| Variant {
            out: match &name {
                Some(n) if several => report::with_suffix(&base_out, n),
                _ => base_out.clone(),
            },
            name,
            descriptions,
        })
        .collect())
}

/// Every descriptions file is checked before the first request: a typo in the last variant
/// should not cost the runs before it.
fn check_descriptions(variants: &[Variant], listed: &session::Listed) -> Result<()> {
    let mut diags = Vec::new();
    for d in variants.iter().filter_map(|v| v.descriptions.as_ref()) {
        let (mut tools, mut servers) = (listed.tools.clone(), listed.servers.clone());
        match crate::mcp::apply_descriptions(&mut tools, &mut servers, d) {
            Err(Error::Input(mut more)) => diags.append(&mut more),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(diags))
    }
}

/// The variants side by side: a table on stderr, or every summary as JSON on stdout.
fn show_variants(out: &Output, reports: &[Report], args: &RunArgs) {
    match args.format {
        Format::Json => out.print_json(&report::variants_json(reports)),
        Format::Table if !args.quiet => out.say(&report::render_variants(
            reports,
            out.width,
            args.gate.alpha,
        )),
        Format::Table => {}
    }
}
