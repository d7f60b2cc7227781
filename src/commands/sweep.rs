//! `tooleval sweep`: the same suite at growing tool-set sizes, the suite's tools plus
//! distractors, to show how accuracy and token cost move as tools are added.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::cli::{Format, SweepArgs, SweepStrategy};
use crate::error::{Error, Result, exit};
use crate::lint::Similarity;
use crate::mcp::{self, ServerTool, ToolSet};
use crate::output::Output;
use crate::record::{Outcome, TrialRecord};
use crate::report::{self, SweepPoint, SweepReport, TaskBreak, ToolIdentity, TrialOutcome};
use crate::run::{ExecOptions, PlannedTask};
use crate::score::{TaskState, summarize};
use crate::session::{self, Prepare, Session};

/// SplitMix64: a small generator whose sequence is fixed by its definition, so a seed gives the
/// same tool sets on every machine and every version.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fisher-Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// One tool set of a sweep: its size, its tools, and the sizes asked for that it stands for
/// (several when they are below what the suite needs, or above what is available).
pub(crate) type SizedSet = (usize, Vec<String>, Vec<usize>);

/// The tool sets of one strategy: the needed tools plus the first distractors in the strategy's
/// order, nested as sizes grow, in positions shuffled by the seed and size. Sizes that come to
/// the same set (all those below the suite's need, all those above what is available) are one
/// set, run once.
pub(crate) fn tool_sets(
    needed: &[String],
    ordered_distractors: &[String],
    sizes: &[usize],
    seed: u64,
) -> Vec<SizedSet> {
    let mut sets: Vec<SizedSet> = Vec::new();
    for &size in sizes {
        let k = size
            .saturating_sub(needed.len())
            .min(ordered_distractors.len());
        let len = needed.len() + k;
        if let Some(last) = sets.last_mut().filter(|s| s.0 == len) {
            last.2.push(size);
            continue;
        }
        let mut set: Vec<String> = needed
            .iter()
            .chain(&ordered_distractors[..k])
            .cloned()
            .collect();
        SplitMix64(seed ^ (len as u64).wrapping_mul(0x2545_F491_4F6C_DD1D)).shuffle(&mut set);
        sets.push((len, set, vec![size]));
    }
    sets
}

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
            Ok((session.model(&cache)?, session.judge(&cache)?))
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

    let candidates = Candidates {
        all: &all,
        needed: &needed,
        distractors: &distractors,
        sizes: &sizes,
    };
    let (points, interrupted) = measure_lines(
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
        complete: !interrupted,
        eval: session::eval_info(&session.eval),
        model: model.info(),
        seed: args.seed,
        needed,
        distractors: distractors.len(),
        encoding: encoding.as_str().to_owned(),
        breaks: breaks(&points),
        points,
    };
    finish(out, &report, &report_path, &args, interrupted)
}

/// The sizes asked for, ascending and once each.
fn sizes(asked: &[usize]) -> Result<Vec<usize>> {
    let mut sizes = asked.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.is_empty() || sizes[0] == 0 {
        return Err(Error::usage(
            "--sizes needs sizes of at least 1, e.g. 5,10,20,50",
            None,
        ));
    }
    Ok(sizes)
}

/// The tools a sweep draws its sets from.
struct Candidates<'a> {
    all: &'a ToolSet,
    needed: &'a [String],
    distractors: &'a [String],
    sizes: &'a [usize],
}

/// Every line (strategy, with and without retrieval) at every size: a point each. Stops at an
/// interruption, keeping the points measured (the `bool` says so).
async fn measure_lines(
    out: &Output,
    session: &Session,
    model: Arc<dyn crate::model::Model>,
    c: &Candidates<'_>,
    tasks: &[PlannedTask],
    args: &SweepArgs,
    base: &ExecOptions,
) -> Result<(Vec<SweepPoint>, bool)> {
    let mut strategies = args.strategy.clone();
    if strategies.is_empty() {
        strategies.push(SweepStrategy::Random);
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
                Some(k) => format!("{}+retrieve{k}", strategy_name(*strategy)),
                None => strategy_name(*strategy).to_owned(),
            };
            for (size, names, asked) in &sets {
                let subset = Arc::new(c.all.subset(names));
                let opts = ExecOptions {
                    retrieve,
                    ..base.clone()
                };
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
                if asked.as_slice() != [*size] {
                    p.asked.clone_from(asked);
                }
                points.push(p);
                if let Some(e) = executed.fatal {
                    return Err(session::fatal_error(e, "the sweep stopped"));
                }
                if executed.interrupted {
                    return Ok((points, true));
                }
            }
        }
    }
    Ok((points, false))
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

/// The tools the suite expects, by their names in `all`, in first-use order.
fn needed_tools(all: &ToolSet, tasks: &[PlannedTask]) -> Vec<String> {
    let mut needed: Vec<String> = Vec::new();
    for t in tasks {
        for name in t.task.expected_tools() {
            let name = all
                .by_name(name)
                .map_or_else(|| name.to_owned(), |t| t.name.clone());
            if !needed.contains(&name) {
                needed.push(name);
            }
        }
    }
    needed
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

/// With retrieval first, what a request carries: the mean tokens of the K tools kept per prompt.
fn retrieved_tokens(tools: &ToolSet, tasks: &[PlannedTask], k: usize) -> usize {
    let index = crate::model::Index::new(tools);
    let sums: Vec<usize> = tasks
        .iter()
        .map(|t| {
            index
                .rank(&t.task.prompt.user_text())
                .into_iter()
                .take(k)
                .filter_map(|(i, _)| tools.tools[i].tokens)
                .sum()
        })
        .collect();
    sums.iter().sum::<usize>() / sums.len().max(1)
}

fn strategy_name(s: SweepStrategy) -> &'static str {
    match s {
        SweepStrategy::Random => "random",
        SweepStrategy::Similar => "similar",
    }
}

/// Distractors in the order a strategy adds them: shuffled by the seed (`random`), or the most
/// alike to a needed tool first (`similar`, the hard case).
fn order_distractors(
    strategy: SweepStrategy,
    needed: &[String],
    distractors: &[String],
    sim: &Similarity,
    seed: u64,
) -> Vec<String> {
    let mut out = distractors.to_vec();
    match strategy {
        SweepStrategy::Random => SplitMix64(seed).shuffle(&mut out),
        SweepStrategy::Similar => {
            let score = |d: &String| {
                needed
                    .iter()
                    .filter_map(|n| sim.between(d, n))
                    .fold(0.0_f64, f64::max)
            };
            let mut scored: Vec<(f64, String)> = out.into_iter().map(|d| (score(&d), d)).collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            out = scored.into_iter().map(|(_, d)| d).collect();
        }
    }
    out
}

fn point(
    line: &str,
    strategy: SweepStrategy,
    retrieve: Option<usize>,
    size: usize,
    tools: &ToolSet,
    tasks: &[PlannedTask],
    trials: Vec<TrialRecord>,
) -> SweepPoint {
    let order: Vec<(&str, &str)> = tasks
        .iter()
        .map(|t| (&*t.suite, t.task.id.as_str()))
        .collect();
    let names: Vec<String> = tools.tools.iter().map(|t| t.name.clone()).collect();
    let s = summarize(&trials, &order, &names, None);
    let usage: Vec<u64> = trials
        .iter()
        .filter_map(|t| t.usage.map(|u| u.prompt_tokens))
        .collect();
    SweepPoint {
        line: line.to_owned(),
        strategy: strategy_name(strategy).to_owned(),
        retrieve,
        size,
        asked: Vec::new(),
        tools: names,
        tool_tokens: tools.total_tokens(),
        selection: s.selection,
        full_call: s.full_call,
        prompt_tokens: (!usage.is_empty())
            .then(|| usage.iter().sum::<u64>() as f64 / usage.len() as f64),
        latency_ms: if trials.is_empty() {
            0.0
        } else {
            trials.iter().map(|t| t.latency_ms as f64).sum::<f64>() / trials.len() as f64
        },
        errors: s.errors,
        failing: s
            .tasks
            .iter()
            .filter(|t| matches!(t.state(), TaskState::Fail | TaskState::Flaky))
            .map(|t| t.id.clone())
            .collect(),
        trials: trials
            .iter()
            .map(|t| TrialOutcome {
                task: t.task.clone(),
                trial: t.trial,
                outcome: t.outcome,
            })
            .collect(),
    }
}

/// For each line, the tasks that passed at its smallest size, with the first size where they
/// failed; earliest first.
fn breaks(points: &[SweepPoint]) -> Vec<TaskBreak> {
    let mut by_line: BTreeMap<&str, Vec<&SweepPoint>> = BTreeMap::new();
    for p in points {
        by_line.entry(p.line.as_str()).or_default().push(p);
    }
    let mut out = Vec::new();
    for (line, mut pts) in by_line {
        pts.sort_by_key(|p| p.size);
        let Some(first) = pts.first() else { continue };
        // Sets, looked up per task: scanning the lists per task grew with the square of tasks.
        let failing: Vec<HashSet<&str>> = pts
            .iter()
            .map(|p| p.failing.iter().map(String::as_str).collect())
            .collect();
        let scored: HashSet<&str> = first
            .trials
            .iter()
            .filter(|t| t.outcome != Outcome::Error)
            .map(|t| t.task.as_str())
            .collect();
        let mut ids: Vec<&String> = first.trials.iter().map(|t| &t.task).collect();
        ids.dedup();
        for id in ids {
            if failing[0].contains(id.as_str()) || !scored.contains(id.as_str()) {
                continue;
            }
            if let Some(i) = failing.iter().position(|f| f.contains(id.as_str())) {
                out.push(TaskBreak {
                    line: line.to_owned(),
                    task: id.clone(),
                    size: pts[i].size,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.size
            .cmp(&b.size)
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.task.cmp(&b.task))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_nested_and_the_seed_shuffles_only_their_order() {
        let needed: Vec<String> = vec!["a".into(), "b".into()];
        let d: Vec<String> = (0..30).map(|i| format!("d{i}")).collect();
        let mut order = d.clone();
        SplitMix64(7).shuffle(&mut order);
        let one = tool_sets(&needed, &order, &[2, 5, 10, 40], 7);
        assert_eq!(
            one.iter().map(|(n, _, _)| *n).collect::<Vec<_>>(),
            [2, 5, 10, 32]
        );
        for (n, set, _) in &one {
            assert_eq!(set.len(), *n);
            assert!(set.contains(&"a".to_owned()) && set.contains(&"b".to_owned()));
            // The distractors are the first ones of the order, whatever their place in the set.
            let mut got: Vec<&String> = set.iter().filter(|t| t.starts_with('d')).collect();
            let mut want: Vec<&String> = order[..n - 2].iter().collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "at {n}");
        }
        // The needed tools are not always listed first: the set is shuffled.
        assert!(
            one.iter().any(|(_, set, _)| set[..2] != ["a", "b"]),
            "{one:?}"
        );
        // Another seed gives the same tools at each size, in another order somewhere.
        let other = tool_sets(&needed, &order, &[2, 5, 10, 40], 8);
        let sorted = |s: &[String]| {
            let mut s = s.to_vec();
            s.sort();
            s
        };
        for (x, y) in one.iter().zip(&other) {
            assert_eq!(sorted(&x.1), sorted(&y.1));
        }
        assert!(one.iter().zip(&other).any(|(x, y)| x.1 != y.1));
    }

    #[test]
    fn sizes_that_come_to_the_same_set_run_once() {
        let needed: Vec<String> = (0..15).map(|i| format!("n{i}")).collect();
        let d: Vec<String> = (0..10).map(|i| format!("d{i}")).collect();
        let sets = tool_sets(&needed, &d, &[5, 10, 12, 15, 20, 30, 40], 1);
        let shape: Vec<(usize, Vec<usize>)> =
            sets.iter().map(|(n, _, a)| (*n, a.clone())).collect();
        assert_eq!(
            shape,
            [
                (15, vec![5, 10, 12, 15]),
                (20, vec![20]),
                (25, vec![30, 40])
            ]
        );
        assert_eq!(
            stands_for(15, &[5, 10, 12, 15]),
            " (asked as 5, 10, 12, 15)"
        );
        assert_eq!(stands_for(20, &[20]), "");
    }

    #[test]
    fn similar_adds_the_most_alike_distractors_first() {
        let tool = |name: &str, description: &str| crate::mcp::ServerTool {
            name: name.into(),
            description: Some(description.into()),
            input_schema: serde_json::json!({"type": "object"}),
            annotations: None,
        };
        let set = ToolSet::new(vec![(
            "s".into(),
            vec![
                tool(
                    "search_logs",
                    "Search the application logs of a service by level and query.",
                ),
                tool(
                    "grep_logs",
                    "Search application logs of a service for a query.",
                ),
                tool("read_logs", "Read the logs of a service."),
                tool("send_email", "Send an email to a customer."),
                tool("pay_invoice", "Pay an invoice of a supplier."),
            ],
        )]);
        let sim = Similarity::new(&set.tools);
        let needed = vec!["search_logs".to_owned()];
        let distractors: Vec<String> = ["send_email", "pay_invoice", "read_logs", "grep_logs"]
            .map(String::from)
            .to_vec();
        let order = order_distractors(SweepStrategy::Similar, &needed, &distractors, &sim, 1);
        assert_eq!(order[..2], ["grep_logs", "read_logs"], "{order:?}");
        // The seed does not change it; `random` follows the seed instead.
        assert_eq!(
            order,
            order_distractors(SweepStrategy::Similar, &needed, &distractors, &sim, 9)
        );
    }

    #[test]
    fn splitmix_is_the_published_sequence() {
        // The first outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        let mut r = SplitMix64(0);
        assert_eq!(r.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next(), 0x6E78_9E6A_A1B9_65F4);
    }
}
