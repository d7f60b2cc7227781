//! `tooleval sweep`: the same suite at growing tool-set sizes, the suite's tools plus
//! distractors, to show how accuracy and token cost move as tools are added.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::cli::{Format, SweepArgs};
use crate::error::{Result, exit};
use crate::lint::Similarity;
use crate::mcp::{self, ServerTool, ToolSet};
use crate::output::Output;
use crate::report::{self, SweepPoint, SweepReport, ToolIdentity};
use crate::run::{ExecOptions, PlannedTask};
use crate::session::{self, Prepare, Session};
use crate::sweep::{
    Strategy, breaks, needed_tools, order_distractors, point, retrieved_tokens, sizes, tool_sets,
};

pub(crate) async fn sweep_command(out: &Output, args: SweepArgs) -> Result<i32> {
    let session = Session::load(&args.eval, &(&args.settings).into())?;
    let cache = super::resolve::cache_settings(&args.cache);
    session.one_model("sweep")?;
    let sizes = sizes(&args.sizes)?;
    let report_path = args
        .out
        .clone()
        .unwrap_or_else(|| default_sweep_path(&session));
    let prepare = Prepare {
        writes: std::iter::once(report_path.as_path())
            .chain(args.html.as_deref())
            .collect(),
        gate: None,
        split: None,
        cache: &cache,
        progress: !args.quiet && args.format == Format::Table,
        // The suites are checked against every candidate tool below.
        check_listing: false,
    };
    let (model, prepared) = session
        .prepare(prepare, || {
            Ok((session.model_capped(&cache)?, session.judge(&cache)?))
        })
        .await?;
    let (tasks, listed) = (&prepared.tasks, &prepared.listed);
    let encoding = session.eval.file.encoding.unwrap_or_default();
    let mut all = candidates(&listed.tools, &args)?;
    all.count_tokens(encoding);
    session.check(&all)?;
    let needed = needed_tools(&all, tasks);
    let distractors: Vec<String> = all
        .tools
        .iter()
        .map(|t| t.name.clone())
        .filter(|n| !needed.contains(n))
        .collect();
    note_sizes(out, &sizes, needed.len(), distractors.len());
    // An upper bound: every point as large as the whole candidate set.
    let lines = args.strategy.len().max(1) * if args.retrieve.is_some() { 2 } else { 1 };
    let estimate = session.estimate(
        tasks,
        &all,
        &session.eval.model.name,
        (sizes.len() * lines) as u64,
    );
    session.check_cost(
        out,
        &estimate,
        "sweep",
        args.quiet || args.format != Format::Table,
    )?;

    let candidates = Candidates {
        all: &all,
        needed: &needed,
        distractors: &distractors,
        sizes: &sizes,
        servers: &listed.servers,
    };
    let (points, interrupted, stopped) = measure_lines(
        out,
        &session,
        model.clone(),
        &candidates,
        tasks,
        &args,
        &prepared.opts,
    )
    .await?;
    if let Some(live) = &listed.live {
        live.close().await;
    }
    let report = SweepReport {
        schema_version: report::SWEEP_SCHEMA_VERSION,
        kind: "sweep".into(),
        tooleval: ToolIdentity::current(),
        started_at: humantime::format_rfc3339_seconds(session.started).to_string(),
        finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        complete: !interrupted && stopped.is_none(),
        eval: session::eval_info(&session.eval),
        model: model.info(),
        host: prepared.opts.profile.as_ref().map(|h| h.name.clone()),
        seed: args.seed,
        needed,
        distractors: distractors.len(),
        encoding: encoding.as_str().to_owned(),
        breaks: breaks(&points),
        points,
    };
    // A sweep stopped by a failure no retry cures (a refused key, the cost cap) keeps the
    // points it measured: written first, then the error.
    let code = finish(out, &report, &report_path, &args, interrupted)?;
    match stopped {
        Some(e) => Err(e),
        None => Ok(code),
    }
}

/// The tools a sweep draws its sets from.
struct Candidates<'a> {
    all: &'a ToolSet,
    needed: &'a [String],
    distractors: &'a [String],
    sizes: &'a [usize],
    /// The servers listed, whose instructions a host may place.
    servers: &'a [crate::record::ServerInfo],
}

/// Every line (strategy, with and without retrieval) at every size: a point each. Stops at an
/// interruption (the `bool` says so) or at a failure no retry cures (the error), keeping the
/// points measured.
async fn measure_lines(
    out: &Output,
    session: &Session,
    model: Arc<dyn crate::model::Model>,
    c: &Candidates<'_>,
    tasks: &[PlannedTask],
    args: &SweepArgs,
    base: &ExecOptions,
) -> Result<(Vec<SweepPoint>, bool, Option<crate::error::Error>)> {
    let servers = c.servers;
    let encoding = session.eval.file.encoding.unwrap_or_default();
    let mut strategies: Vec<Strategy> = args.strategy.iter().map(|&s| s.into()).collect();
    if strategies.is_empty() {
        strategies.push(Strategy::Random);
    }
    strategies.dedup();
    let similarity = Similarity::new(&c.all.tools);
    let retrieves: Vec<Option<usize>> = match args.retrieve {
        Some(k) => vec![None, Some(k)],
        None => vec![None],
    };
    let mut points = Vec::new();
    for strategy in &strategies {
        let ordered = order_distractors(*strategy, c.needed, c.distractors, &similarity, args.seed);
        let sets = tool_sets(c.needed, &ordered, c.sizes, args.seed);
        for &retrieve in &retrieves {
            let line = match retrieve {
                Some(k) => format!("{}+retrieve{k}", strategy.name()),
                None => strategy.name().to_owned(),
            };
            for (size, names, asked) in &sets {
                let mut subset = Arc::new(c.all.subset(names));
                let mut opts = ExecOptions {
                    retrieve,
                    ..base.clone()
                };
                // As the host presents this set: deferred or not, by its own rule.
                let mut first_request = None;
                if let Some(profile) = &base.profile {
                    let presented =
                        crate::host::present(profile, &subset, servers, &|t| encoding.count(t));
                    subset = presented.tools.clone();
                    first_request = presented
                        .search
                        .as_ref()
                        .map(|s| encoding.count(&s.tool.definition()));
                    opts.host = Some(Arc::new(presented));
                }
                if !args.quiet {
                    out.say(&format!(
                        "{line}: {size} tools{}\n",
                        stands_for(*size, asked)
                    ));
                }
                let executed = session
                    .execute(model.clone(), subset.clone(), tasks, &opts)
                    .await;
                let mut p = point(
                    &line,
                    *strategy,
                    retrieve,
                    *size,
                    &subset,
                    tasks,
                    executed.trials,
                );
                if let Some(k) = retrieve {
                    p.tool_tokens = retrieved_tokens(&subset, tasks, k);
                }
                if let Some(n) = first_request {
                    p.tool_tokens = n;
                    p.deferred = true;
                }
                if asked.as_slice() != [*size] {
                    p.asked.clone_from(asked);
                }
                points.push(p);
                if let Some(e) = executed.fatal {
                    let e = session::fatal_error(
                        e,
                        "the sweep stopped there, and its report holds the points before it",
                    );
                    return Ok((points, false, Some(e)));
                }
                if executed.interrupted {
                    return Ok((points, true, None));
                }
            }
        }
    }
    Ok((points, false, None))
}

/// `reports/runs/sweep-<eval>-<UTC time>.json`.
fn default_sweep_path(session: &Session) -> PathBuf {
    let eval = &session.eval.path;
    let stem = eval
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let run = report::default_report_path(eval, session.started);
    let stamp = run
        .file_name()
        .map(|f| {
            f.to_string_lossy()
                .trim_start_matches(&format!("{stem}-"))
                .to_owned()
        })
        .unwrap_or_default();
    run.with_file_name(format!("sweep-{stem}-{stamp}"))
}

/// Every candidate tool: the eval's servers' tools, then the pools (a name already taken is
/// skipped).
fn candidates(listed: &ToolSet, args: &SweepArgs) -> Result<ToolSet> {
    let mut pool: Vec<ServerTool> = Vec::new();
    for path in &args.pool {
        pool.extend(mcp::read_tools_file(path)?);
    }
    if !args.no_shipped_pool {
        pool.extend(mcp::shipped_pool());
    }
    let mut taken: HashSet<String> = listed.tools.iter().map(|t| t.server_name.clone()).collect();
    pool.retain(|t| taken.insert(t.name.clone()));
    let mut per_server: Vec<(String, Vec<ServerTool>)> = Vec::new();
    for t in &listed.tools {
        let tool = ServerTool {
            name: t.server_name.clone(),
            description: Some(t.description.clone()),
            input_schema: t.input_schema.clone(),
            annotations: t.annotations,
        };
        match per_server.iter_mut().find(|(s, _)| *s == t.server) {
            Some((_, v)) => v.push(tool),
            None => per_server.push((t.server.clone(), vec![tool])),
        }
    }
    if !pool.is_empty() {
        per_server.push(("pool".into(), pool));
    }
    Ok(ToolSet::new(per_server))
}

/// Says when sizes fall below what the suite needs or above what there is.
/// ` (asked as 5, 10, 12)` for a set that stands for several sizes asked for, else nothing.
fn stands_for(size: usize, asked: &[usize]) -> String {
    if asked == [size] {
        return String::new();
    }
    let list: Vec<String> = asked.iter().map(ToString::to_string).collect();
    format!(" (asked as {})", list.join(", "))
}

fn note_sizes(out: &Output, sizes: &[usize], needed: usize, distractors: usize) {
    let too_small: Vec<String> = sizes
        .iter()
        .filter(|s| **s < needed)
        .map(ToString::to_string)
        .collect();
    if !too_small.is_empty() {
        out.say(&format!(
            "note: the suite needs {needed} tools; sizes below that ({}) run once, as {needed}\n",
            too_small.join(", ")
        ));
    }
    if sizes.last().is_some_and(|s| *s > needed + distractors) {
        out.say(&format!(
            "note: only {} tools are available; larger sizes offer all of them\n",
            needed + distractors
        ));
    }
}

/// Writes the report and its chart, shows the table, and returns the exit code.
fn finish(
    out: &Output,
    report: &SweepReport,
    path: &Path,
    args: &SweepArgs,
    interrupted: bool,
) -> Result<i32> {
    out.write_json(path, report)?;
    let chart = path.with_extension("svg");
    out.write_file(&chart, &report::render_sweep_svg(report))?;
    match args.format {
        Format::Json => out.print_json(report),
        Format::Table if !args.quiet => out.say(&report::render_sweep_table(report, out.width)),
        Format::Table => {}
    }
    out.say(&format!(
        "report: {}\nchart: {}\n",
        path.display(),
        chart.display()
    ));
    if let Some(html) = &args.html {
        super::write_page(out, html, &report::render_sweep_html(report))?;
    }
    if interrupted {
        return Ok(crate::run::interrupted_code());
    }
    let errors: usize = report.points.iter().map(|p| p.errors).sum();
    Ok(if errors > 0 {
        out.say(&format!(
            "error: {errors} trial(s) hit an infrastructure error (not scored)\n"
        ));
        exit::INFRASTRUCTURE
    } else {
        exit::OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_says_which_sizes_it_stands_for() {
        assert_eq!(
            stands_for(15, &[5, 10, 12, 15]),
            " (asked as 5, 10, 12, 15)"
        );
        assert_eq!(stands_for(20, &[20]), "");
    }
}
