//! `tooleval generate`: a first suite written by a writer model from the server's tools, each
//! task held to the guards (`guard`) with one retry per job, the held-out share marked by tool,
//! the file read back by tooleval's own loader, and every task run once through the normal
//! pipeline (the solvability check) so that the tasks the check model fails are marked for
//! review. In agent mode, tooleval first reads real data from the tools that may run
//! (`ground`), and the multi-step tasks' answers must come from it.

pub(crate) mod ground;
pub(crate) mod guard;
mod render;
mod task;
pub(crate) mod writer;

pub(crate) use task::{Existing, Generated, Job, Kind, Outcome, Rejected};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{self, LoadedSuite, Mode, ModelConfig, Split};
use crate::error::{Error, Result, exit};
use crate::lint::{self, Rule};
use crate::mcp::ToolSet;
use crate::model::{self, CacheMode, CacheSettings, Model, ModelRequest, RequestBudget};
use crate::output::Output;
use crate::report;
use crate::session::{Plan, Prepare, Session, Texts};
use guard::Seen;

/// What the command line asks.
pub(crate) struct Options {
    pub out: PathBuf,
    pub writer_model: Option<String>,
    /// The model of the solvability check (`None`: the writer); `check` false skips it.
    pub check_model: Option<String>,
    pub check: bool,
    pub per_tool: usize,
    pub negatives: usize,
    /// Agent mode: how many multi-step tasks grounded in real data.
    pub multi_step: usize,
    /// The share of tasks marked `split: holdout`, by tool.
    pub holdout: f64,
    pub mode: Mode,
    pub max_requests: Option<u64>,
    pub max_tools: Option<usize>,
    pub name: Option<String>,
    pub cache: CacheSettings,
    pub force: bool,
    pub progress: bool,
}

/// Reads the eval (or the server named on the command line), writes, checks and saves the
/// suite. The exit code: 0, or 130 when interrupted (what was written so far is saved).
pub(crate) async fn generate(out: &Output, session: Session, o: &Options) -> Result<i32> {
    if o.out.exists() && !o.force {
        return Err(Error::usage(
            format!("{} exists already", o.out.display()),
            Some("pass --force to replace it (its tasks are not kept), or --out to write another file; tasks of the eval's other suites are read so that none is repeated".into()),
        ));
    }
    crate::files::check_writable(&o.out)?;
    let writer_cfg = session.writer_config(o.writer_model.as_deref(), "tasks")?;
    let check_cfg = check_config(&writer_cfg, o)?;
    // One budget of requests and dollars for the writer and the check model, each reply at its
    // own model's price.
    let budget = RequestBudget::with_cost(o.max_requests, session.eval.max_cost);
    let writer = budgeted(&session, &writer_cfg, &budget, o)
        .map_err(|e| Session::writer_key_error(e, &writer_cfg, "tasks"))?;
    let writer_timeout = model::request_backstop(&writer_cfg, crate::session::WRITER_TIMEOUT_SECS);
    let agent = o.mode == Mode::Agent;
    if agent && o.cache.mode == CacheMode::Replay {
        return Err(Error::usage(
            "--mode agent reads real data from the servers, and --replay starts none",
            Some("leave --replay out: with the response cache on (the default), a re-run asks the writer nothing it asked before".into()),
        ));
    }
    let existing = existing_tasks(&session, &o.out)?;
    let listed = session.list_tools(agent, &o.cache).await?;
    let tools = listed.tools.clone();
    if tools.tools.is_empty() {
        return Err(Error::usage(
            "the servers list no tools, so there is nothing to write tasks for",
            None,
        ));
    }
    let mut jobs = plan_jobs(&session, &tools, o);
    let policy = session
        .agent_run(&listed, &o.cache, None, Default::default())
        .policy
        .clone();
    let runnable: Vec<String> = ground::runnable(&tools, &policy)
        .iter()
        .map(|t| t.name.clone())
        .collect();
    if agent && o.multi_step > 0 {
        if runnable.is_empty() {
            crate::sayln!(
                "warning: no tool may run (none is annotated read-only, and `allow_tools` names none), so no multi-step task is written"
            );
        } else {
            jobs.push(Job::Explore {
                max: 6,
                allowed: runnable.clone(),
            });
            jobs.push(Job::Grounded {
                count: o.multi_step,
            });
        }
    }
    let preview = preview(&jobs, &tools, o, &writer_cfg, check_cfg.as_ref(), &session);
    say(out, &preview.line);
    session.hold_cost_cap(
        "writing the suite",
        preview.dollars,
        preview.unpriced.as_deref().unwrap_or_default(),
        preview.requests,
        "raise --max-cost, or write for fewer tools (--max-tools) or fewer tasks (--per-tool, --negatives), or skip the check (--no-check)",
    )?;
    let mut w = Writing {
        writer: writer.clone(),
        timeout: writer_timeout,
        tools: &tools,
        existing: &existing,
        seen: existing.iter().map(|e| Seen::new(&e.prompt)).collect(),
        outcome: Outcome {
            writer: writer.info().name,
            ..Outcome::default()
        },
        agent,
        out,
    };
    for job in &jobs {
        let step = match job {
            Job::Explore { .. } => {
                let Some(live) = &listed.live else { continue };
                let first = ground::first_calls(&tools, &policy);
                ground::observe(live, &tools, first, &mut w.outcome.observed).await;
                w.explore(job, &policy, live).await
            }
            _ => w.job(job).await,
        };
        match step {
            Ok(()) => {}
            Err(Stop::Interrupted) => {
                w.outcome.interrupted = true;
                break;
            }
            Err(Stop::Failed(e)) => {
                w.outcome.stopped = Some(e);
                break;
            }
        }
    }
    if let Some(live) = &listed.live {
        live.close().await;
    }
    let mut outcome = w.outcome;
    let ids: HashSet<String> = existing.iter().map(|e| e.id.clone()).collect();
    name_tasks(&mut outcome.tasks, &ids);
    mark_holdout(&mut outcome.tasks, o.holdout);
    if outcome.tasks.is_empty() {
        outcome.requests = budget.sent();
        summary(out, &outcome, o, &session, false);
        if outcome.interrupted {
            return Ok(crate::run::interrupted_code());
        }
        return Err(outcome.stopped.unwrap_or_else(|| {
            Error::usage(
                format!("no task passed the guards, so {} is not written", o.out.display()),
                Some("the reasons are above; try another --writer-model, or fewer tools at a time (--max-tools)".into()),
            )
        }));
    }
    let name = o.name.clone().unwrap_or_else(|| suite_name(&o.out));
    let text = file_text(&name, &tools, &outcome, o);
    // Saved before it is read back: a file tooleval cannot read is still the writer's work.
    out.write_file(&o.out, &text)?;
    let loaded = config::suite_from_str(&o.out, text.clone()).map_err(|e| {
        Error::usage(
            format!(
                "the suite written to {} does not read back: {}",
                o.out.display(),
                e.render()
            ),
            Some("this is a bug of tooleval generate: please report it with the file".into()),
        )
    })?;
    let done = outcome.interrupted || outcome.stopped.is_some();
    if o.check && !done && !outcome.tasks.is_empty() {
        let cfg = check_cfg.expect("a check model when checking");
        match check(out, &session, loaded, &cfg, &budget, o).await {
            Ok(Checked::Reviews(reviews)) => {
                outcome.checked_with = Some(cfg.name.clone());
                for t in &mut outcome.tasks {
                    t.review = reviews.get(&t.id).cloned();
                }
                let text = file_text(&name, &tools, &outcome, o);
                config::suite_from_str(&o.out, text.clone())?;
                out.write_file(&o.out, &text)?;
            }
            Ok(Checked::Interrupted) => outcome.interrupted = true,
            Err(e) => {
                out.say(&e.render());
                crate::sayln!(
                    "warning: the check did not finish, so no task is marked for review; {} holds every task written",
                    o.out.display()
                );
            }
        }
    }
    outcome.requests = budget.sent();
    summary(out, &outcome, o, &session, true);
    if let Some(e) = outcome.stopped {
        return Err(e);
    }
    if outcome.interrupted {
        return Ok(crate::run::interrupted_code());
    }
    Ok(exit::OK)
}

/// The suite file as it stands.
fn file_text(name: &str, tools: &ToolSet, outcome: &Outcome, o: &Options) -> String {
    render::suite(&render::Header {
        name,
        tools,
        outcome,
        mode: o.mode,
        holdout: o.holdout,
    })
}

/// The model of the solvability check: `--check-model` (a name, `PROVIDER:NAME`, or
/// `baseline`) on the writer's API, else the writer; `None` with `--no-check`.
/// The model `cfg`, its requests and its replies' cost (at its price) counted against `budget`.
fn budgeted(
    session: &Session,
    cfg: &ModelConfig,
    budget: &Arc<RequestBudget>,
    o: &Options,
) -> Result<Arc<dyn Model>> {
    model::from_config_budgeted(
        cfg,
        &o.cache,
        Some(budget.clone()),
        session.eval.price_of_config(cfg),
    )
}

fn check_config(writer: &ModelConfig, o: &Options) -> Result<Option<ModelConfig>> {
    if !o.check {
        return Ok(None);
    }
    let mut cfg = match &o.check_model {
        Some(n) => config::model_named(writer, n),
        None => writer.clone(),
    };
    cfg.timeout_secs = writer.timeout_secs;
    Ok(Some(cfg))
}

/// The tasks of the eval's suites (but the file being written, which is replaced): the writer
/// is shown their prompts, no new task may repeat one, no new id may take one of theirs. A
/// suite that does not exist yet is passed over.
fn existing_tasks(session: &Session, out: &Path) -> Result<Vec<Existing>> {
    let out = absolute(out);
    let mut tasks = Vec::new();
    for path in existing_suite_paths(session) {
        if path == out || !path.exists() {
            continue;
        }
        let loaded = config::load_suite(&path)?;
        for t in &loaded.suite.tasks {
            tasks.push(Existing {
                id: t.id.clone(),
                tool: t.expected_tools().first().map(|s| (*s).to_owned()),
                prompt: t.prompt.user_text(),
            });
        }
    }
    Ok(tasks)
}

/// A path made absolute and normal, to compare.
fn absolute(p: &Path) -> PathBuf {
    config::normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_owned()))
}

/// The eval's suite files, absolute.
fn existing_suite_paths(session: &Session) -> Vec<PathBuf> {
    let dir = session.eval.path.parent().unwrap_or(Path::new("."));
    session
        .eval
        .file
        .suites
        .iter()
        .map(|p| absolute(&dir.join(p)))
        .collect()
}

/// The jobs, in order: each tool's positives (the most used first, up to `--max-tools`), a
/// near-miss job per pair lint or the last run's confusions mark alike, the negatives.
fn plan_jobs(session: &Session, tools: &ToolSet, o: &Options) -> Vec<Job> {
    let used = usage(session);
    let mut order: Vec<&str> = tools.tools.iter().map(|t| t.name.as_str()).collect();
    // Stable: tools no run called keep the server's order.
    order.sort_by_key(|n| std::cmp::Reverse(used.get(*n).copied().unwrap_or(0)));
    if let Some(cap) = o.max_tools {
        order.truncate(cap);
    }
    let mut jobs: Vec<Job> = order
        .iter()
        .map(|t| Job::Positive {
            tool: (*t).to_owned(),
            count: o.per_tool,
        })
        .collect();
    let kept: HashSet<&str> = order.iter().copied().collect();
    for (a, b, why) in alike_pairs(session, tools) {
        if kept.contains(a.as_str()) || kept.contains(b.as_str()) {
            jobs.push(Job::NearMiss { a, b, why });
        }
    }
    if o.negatives > 0 {
        let with_required = tools.tools.iter().any(|t| !t.required().is_empty());
        let missing = if with_required { o.negatives / 2 } else { 0 };
        jobs.push(Job::Negatives {
            out_of_domain: o.negatives - missing,
            missing,
        });
    }
    jobs
}

/// How often each tool was called in the eval's newest run report (`reports/runs/<eval>-*`).
fn usage(session: &Session) -> HashMap<String, usize> {
    let mut used = HashMap::new();
    let Some(report) = newest_report(&session.eval.path) else {
        return used;
    };
    for t in &report.trials {
        for c in &t.called {
            *used.entry(c.clone()).or_insert(0) += 1;
        }
    }
    used
}

fn newest_report(eval: &Path) -> Option<report::Report> {
    let stem = eval.file_stem()?.to_string_lossy().into_owned();
    let dir = crate::files::in_project(Path::new("reports").join("runs"));
    let newest = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&format!("{stem}-")) && n.ends_with(".json")
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())?;
    report::read_report(&newest.path()).ok()
}

/// Pairs of tools a model may confuse: those lint finds alike (names or descriptions), and
/// those the newest run confused, each with why.
fn alike_pairs(session: &Session, tools: &ToolSet) -> Vec<(String, String, String)> {
    let cfg = session.eval.file.lint.clone().unwrap_or_default();
    let mut pairs: Vec<(String, String, String)> = Vec::new();
    let mut add = |a: &str, b: &str, why: String| {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        if a != b && !pairs.iter().any(|(x, y, _)| x == a && y == b) {
            pairs.push((a.to_owned(), b.to_owned(), why));
        }
    };
    for f in lint::lint(tools, &cfg, None) {
        if matches!(f.rule, Rule::SimilarNames | Rule::SimilarDescriptions)
            && let [a, b] = f.tools.as_slice()
        {
            add(a, b, format!("lint: {}", f.message));
        }
    }
    if let Some(r) = newest_report(&session.eval.path) {
        for c in &r.summary.confusions {
            if tools.by_name(&c.expected).is_some() && tools.by_name(&c.chosen).is_some() {
                add(
                    &c.expected,
                    &c.chosen,
                    format!(
                        "the last run called `{}` {} time(s) where `{}` was expected",
                        c.chosen, c.count, c.expected
                    ),
                );
            }
        }
    }
    pairs
}

/// The cost preview: requests, tokens and dollars, before the first request.
fn preview(
    jobs: &[Job],
    tools: &ToolSet,
    o: &Options,
    writer: &ModelConfig,
    check: Option<&ModelConfig>,
    session: &Session,
) -> Preview {
    let tool_tokens = tools.total_tokens() as u64;
    let first = jobs.len() as u64;
    let tasks: usize = jobs.iter().map(Job::wanted).sum();
    let writer_tokens = first * (tool_tokens + 700) + tasks as u64 * 80;
    let mut line = format!(
        "generate: {first} request(s) to the writer `{}` for about {tasks} task(s) ({} more at most, one retry per request that has tasks rejected), about {writer_tokens} tokens",
        writer.name, first
    );
    let mut check_requests = 0;
    if let Some(c) = check {
        let turns = if o.mode == Mode::Agent {
            u64::from(
                session
                    .eval
                    .file
                    .max_turns
                    .unwrap_or(config::DEFAULT_MAX_TURNS),
            )
        } else {
            1
        };
        let free = if config::is_baseline(&c.name) {
            ", free"
        } else {
            ""
        };
        check_requests = tasks as u64 * turns;
        line.push_str(&format!(
            "; then each task run once by `{}` to check it: at most {} request(s), about {} tokens{free}",
            c.name,
            check_requests,
            check_requests * (tool_tokens + 100)
        ));
    }
    if o.cache.mode != CacheMode::Off {
        line.push_str("; replies in the response cache cost nothing");
    }
    if let Some(cap) = o.max_requests {
        line.push_str(&format!("; capped at {cap} request(s) by --max-requests"));
    }
    // The writer's replies are long (a task list), counted at 1,500 tokens a request; a check
    // request's reply at 150.
    let eval = &session.eval;
    let written = eval.cost_of(writer, writer_tokens * 2, first * 2 * 1500);
    let checked = match check {
        Some(c) => eval.cost_of(
            c,
            check_requests * (tool_tokens + 100),
            check_requests * 150,
        ),
        None => Some(0.0),
    };
    let (dollars, unpriced) = match (written, checked) {
        (Some(a), Some(b)) => (Some(a + b), None),
        (None, _) => (None, Some(writer.name.clone())),
        (_, None) => (None, check.map(|c| c.name.clone())),
    };
    match (dollars, &unpriced) {
        (Some(d), _) => line.push_str(&format!(
            "; at most {} ({})",
            crate::text::dollars(d),
            eval.price_of_config(writer)
                .map(|p| p.source)
                .unwrap_or_default()
        )),
        (None, Some(name)) => line.push_str(&format!(
            "; the price of `{name}` is unknown (`price:` in the eval, or --prices FILE)"
        )),
        (None, None) => {}
    }
    if let Some(cap) = eval.max_cost {
        line.push_str(&format!(
            "; capped at {} by --max-cost",
            crate::text::dollars(cap)
        ));
    }
    Preview {
        line,
        requests: first * 2 + check_requests,
        dollars,
        unpriced,
    }
}

/// The cost preview: its line, and the most requests and dollars.
struct Preview {
    line: String,
    requests: u64,
    dollars: Option<f64>,
    /// The first model with no known price.
    unpriced: Option<String>,
}

enum Stop {
    Interrupted,
    Failed(Error),
}

/// The writing in progress: the writer, what it is shown and what was kept.
struct Writing<'a> {
    writer: Arc<dyn Model>,
    timeout: Duration,
    tools: &'a ToolSet,
    existing: &'a [Existing],
    seen: Vec<Seen>,
    outcome: Outcome,
    agent: bool,
    out: &'a Output,
}

impl Writing<'_> {
    /// One job: a request, its tasks checked, one retry for the rejected ones.
    async fn job(&mut self, job: &Job) -> std::result::Result<(), Stop> {
        let cx = writer::Context {
            tools: self.tools,
            existing: self.existing,
            observed: &self.outcome.observed,
        };
        let mut req = writer::request(job, &cx);
        let wanted = job.wanted();
        let mut kept = 0;
        for attempt in 1..=2 {
            let reply = self.ask(&req).await?;
            let rejected = match writer::parse(&reply) {
                Ok(r) => self.keep(job, r.tasks, attempt > 1, &mut kept),
                Err(why) => vec![(String::new(), why)],
            };
            for (prompt, why) in &rejected {
                self.outcome.rejected.push(Rejected {
                    job: job.label(),
                    prompt: prompt.clone(),
                    why: why.clone(),
                });
            }
            if kept >= wanted || attempt == 2 {
                break;
            }
            if rejected.is_empty() {
                // Fewer tasks than asked, none rejected: ask once for the rest.
                req = writer::retry(&req, &reply, job, &[], wanted - kept);
            } else {
                say(
                    self.out,
                    &format!(
                        "{}: {} rejected; asking once more",
                        job.label(),
                        rejected.len()
                    ),
                );
                req = writer::retry(&req, &reply, job, &rejected, wanted - kept);
            }
        }
        if kept < wanted {
            self.outcome.short.push((job.label(), kept, wanted));
        }
        Ok(())
    }

    /// The candidates of a reply checked in order, up to `room`; the rejected with why.
    fn keep(
        &mut self,
        job: &Job,
        candidates: Vec<writer::Candidate>,
        retried: bool,
        kept: &mut usize,
    ) -> Vec<(String, String)> {
        let mut rejected = Vec::new();
        let mut sides: Vec<String> = self
            .outcome
            .tasks
            .iter()
            .filter(|t| t.kind == Kind::NearMiss && t.pair == job_pair(job))
            .filter_map(|t| t.tool.clone())
            .collect();
        for c in candidates {
            if *kept >= job.wanted() {
                break;
            }
            let bounds = guard::Bounds {
                tools: self.tools,
                seen: &self.seen,
                observed: &self.outcome.observed,
                agent: self.agent,
            };
            match guard::check(&c, job, &bounds) {
                Ok(mut task) => {
                    if let Job::NearMiss { .. } = job
                        && let Some(t) = &task.tool
                    {
                        if sides.contains(t) {
                            rejected.push((
                                c.prompt.clone(),
                                format!("another task of the pair already needs `{t}`; this one must need the other tool"),
                            ));
                            continue;
                        }
                        sides.push(t.clone());
                    }
                    task.retried = retried;
                    self.seen.push(Seen::new(&task.prompt));
                    self.outcome.tasks.push(task);
                    *kept += 1;
                }
                Err(why) => rejected.push((c.prompt.clone(), why)),
            }
        }
        rejected
    }

    /// Agent mode: the writer proposes calls to read more data; those that may run are made.
    async fn explore(
        &mut self,
        job: &Job,
        policy: &crate::run::Policy,
        live: &crate::mcp::LiveServers,
    ) -> std::result::Result<(), Stop> {
        let Job::Explore { max, .. } = job else {
            return Ok(());
        };
        let cx = writer::Context {
            tools: self.tools,
            existing: self.existing,
            observed: &self.outcome.observed,
        };
        let req = writer::request(job, &cx);
        let reply = self.ask(&req).await?;
        let calls = match writer::parse(&reply) {
            Ok(r) => r.calls,
            Err(why) => {
                say(
                    self.out,
                    &format!("exploration: {why}; no more data is read"),
                );
                return Ok(());
            }
        };
        let mut ok = Vec::new();
        for c in calls.into_iter().take(*max) {
            match ground::checked_call(self.tools, policy, &c.tool, &c.arguments) {
                Ok(call) => ok.push(call),
                Err(why) => say(self.out, &format!("exploration: not called: {why}")),
            }
        }
        ground::observe(live, self.tools, ok, &mut self.outcome.observed).await;
        Ok(())
    }

    /// The writer's reply text, within its time limit; an interrupt or a failure stops.
    async fn ask(&self, req: &ModelRequest) -> std::result::Result<String, Stop> {
        let what = format!(" {}", req.task);
        let after = " (what was written so far is saved)";
        match crate::session::ask_writer(self.writer.as_ref(), req, self.timeout, &what, after)
            .await
        {
            Ok(r) => Ok(r.content.unwrap_or_default()),
            Err(crate::session::WriterStop::Interrupted) => Err(Stop::Interrupted),
            Err(crate::session::WriterStop::Failed(e)) => Err(Stop::Failed(e)),
        }
    }
}

fn job_pair(job: &Job) -> Option<(String, String)> {
    match job {
        Job::NearMiss { a, b, .. } => Some((a.clone(), b.clone())),
        _ => None,
    }
}

/// Ids from the kind and the tool (`search-logs-1`, `none-2`, `multi-step-1`), free of the
/// eval's ids.
fn name_tasks(tasks: &mut [Generated], taken: &HashSet<String>) {
    let mut used: HashSet<String> = taken.clone();
    for t in tasks {
        let base = match (t.kind, &t.tool) {
            (Kind::Positive, Some(tool)) => kebab(tool),
            (Kind::NearMiss, Some(tool)) => format!("near-{}", kebab(tool)),
            (Kind::MissingArgument, Some(tool)) => format!("ask-{}", kebab(tool)),
            (Kind::MultiStep, _) => "multi-step".into(),
            _ => "no-tool".into(),
        };
        let mut n = 1;
        while used.contains(&format!("{base}-{n}")) {
            n += 1;
        }
        t.id = format!("{base}-{n}");
        used.insert(t.id.clone());
    }
}

fn kebab(s: &str) -> String {
    let k: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    k.trim_matches('-').to_owned()
}

/// Marks `share` of the tasks `split: holdout`, stratified by the tool each is for (the
/// no-tool tasks one stratum): each stratum gets its share rounded down, and what rounding
/// left goes to the strata with the largest remainders. A task written in a retry (the writer
/// had seen its earlier prompts) is never held out; the rest are `split: tune`.
pub(crate) fn mark_holdout(tasks: &mut [Generated], share: f64) {
    if share <= 0.0 {
        return;
    }
    let mut strata: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, t) in tasks.iter().enumerate() {
        let key = t.tool.clone().unwrap_or_default();
        strata.entry(key).or_default().push(i);
    }
    let total = tasks.len();
    let target = (share * total as f64).round() as usize;
    let mut quota: Vec<(String, usize, f64)> = strata
        .iter()
        .map(|(k, v)| {
            let exact = share * v.len() as f64;
            (k.clone(), exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let mut left = target.saturating_sub(quota.iter().map(|q| q.1).sum());
    let mut by_remainder: Vec<usize> = (0..quota.len()).collect();
    by_remainder.sort_by(|a, b| quota[*b].2.total_cmp(&quota[*a].2));
    for i in by_remainder {
        if left == 0 {
            break;
        }
        quota[i].1 += 1;
        left -= 1;
    }
    for (key, n, _) in quota {
        let members = &strata[&key];
        // The last tasks of the stratum that the writer saw once.
        let eligible: Vec<usize> = members
            .iter()
            .rev()
            .copied()
            .filter(|&i| !tasks[i].retried)
            .take(n)
            .collect();
        for i in eligible {
            tasks[i].split = Some(Split::Holdout);
        }
    }
    for t in tasks.iter_mut() {
        if t.split.is_none() {
            t.split = Some(Split::Tune);
        }
    }
}

fn suite_name(out: &Path) -> String {
    out.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "generated".into())
}

enum Checked {
    /// The tasks the check model did not pass, with why.
    Reviews(HashMap<String, String>),
    Interrupted,
}

/// The solvability check: the suite just written, each task run once by the check model
/// through the normal pipeline (the eval's servers, host and settings).
async fn check(
    out: &Output,
    session: &Session,
    suite: LoadedSuite,
    cfg: &ModelConfig,
    budget: &Arc<RequestBudget>,
    o: &Options,
) -> Result<Checked> {
    let mut eval = session.eval.clone();
    eval.suites = vec![suite];
    eval.model = cfg.clone();
    eval.models = Vec::new();
    eval.trials = 1;
    if o.mode == Mode::Agent {
        eval.file.mode = Some(Mode::Agent);
    }
    let checking = Session::of(eval);
    say(
        out,
        &format!(
            "checking: each task run once by `{}` through the normal pipeline",
            cfg.name
        ),
    );
    let prepare = Prepare {
        writes: Vec::new(),
        gate: None,
        split: None,
        cache: &o.cache,
        progress: o.progress,
        check_listing: true,
    };
    let (model, ready) = checking
        .prepare(prepare, || {
            let m = budgeted(session, cfg, budget, o)?;
            Ok((m, None))
        })
        .await?;
    let plan = Plan {
        tasks: ready.tasks,
        opts: ready.opts,
        model,
        listed: ready.listed,
    };
    let texts = Texts {
        name: None,
        descriptions: None,
    };
    let (report, ended) = checking.measure(&plan, texts, None, None).await;
    if let Some(live) = &plan.listed.live {
        live.close().await;
    }
    if ended.interrupted {
        return Ok(Checked::Interrupted);
    }
    if let Some(e) = ended.fatal {
        return Err(crate::session::fatal_error(e, "the check stopped there"));
    }
    let mut reviews = HashMap::new();
    for t in &report.trials {
        if t.outcome != crate::record::Outcome::Pass {
            reviews.insert(
                t.task.clone(),
                format!(
                    "the check model `{}` did not pass it ({}: {})",
                    cfg.name,
                    t.outcome.as_str(),
                    one_line(&t.reason)
                ),
            );
        }
    }
    Ok(Checked::Reviews(reviews))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What was written, what was rejected and why, what to review first, what to run next.
fn summary(out: &Output, r: &Outcome, o: &Options, session: &Session, written: bool) {
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    for t in &r.tasks {
        *kinds.entry(t.kind).or_insert(0) += 1;
    }
    let parts: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    let held = r
        .tasks
        .iter()
        .filter(|t| t.split == Some(Split::Holdout))
        .count();
    if written {
        say(
            out,
            &format!(
                "wrote {} task(s) to {} ({}); {held} held out; {} request(s) sent",
                r.tasks.len(),
                o.out.display(),
                if parts.is_empty() {
                    "none".into()
                } else {
                    parts.join(", ")
                },
                r.requests
            ),
        );
    }
    if !r.rejected.is_empty() {
        say(
            out,
            &format!(
                "{} candidate task(s) rejected by the guards:",
                r.rejected.len()
            ),
        );
        for x in r.rejected.iter().take(12) {
            let prompt = if x.prompt.is_empty() {
                String::new()
            } else {
                format!("\"{}\": ", one_line(&x.prompt))
            };
            say(out, &format!("  {}: {prompt}{}", x.job, x.why));
        }
        if r.rejected.len() > 12 {
            say(out, &format!("  ... and {} more", r.rejected.len() - 12));
        }
    }
    for (job, kept, wanted) in &r.short {
        say(
            out,
            &format!(
                "warning: {job}: {kept} of {wanted} written (the rest did not pass the guards)"
            ),
        );
    }
    let reviews: Vec<&Generated> = r.tasks.iter().filter(|t| t.review.is_some()).collect();
    if let Some(m) = &r.checked_with {
        if reviews.is_empty() {
            say(out, &format!("check: `{m}` passed every task"));
        } else {
            say(
                out,
                &format!(
                    "review first: `{m}` did not pass {} task(s) (marked `review:` in the file); the task or the descriptions are wrong:",
                    reviews.len()
                ),
            );
            for t in reviews {
                say(
                    out,
                    &format!("  {}: {}", t.id, t.review.as_deref().unwrap_or("")),
                );
            }
        }
    }
    if r.interrupted {
        say(
            out,
            &format!(
                "interrupted: the {} task(s) written so far are saved, unchecked",
                r.tasks.len()
            ),
        );
    }
    if !written {
        return;
    }
    let file = o.out.display();
    let next = if !session.eval.path.exists() {
        format!(
            "next: review {file}, then list it under `suites:` in an eval file for the server (`tooleval init` writes one), `tooleval run` it and `tooleval improve` from there"
        )
    } else {
        let eval = session.eval.path.display();
        let listed = existing_suite_paths(session).contains(&absolute(&o.out));
        let list = if listed {
            String::new()
        } else {
            format!(", list it under `suites:` in {eval}")
        };
        format!(
            "next: review {file}{list}, then `tooleval run {eval}` and `tooleval improve {eval}`"
        )
    };
    say(out, &next);
}

/// A line of progress, wrapped to the terminal between words.
fn say(out: &Output, text: &str) {
    for line in text.trim_end_matches('\n').split('\n') {
        out.say(&format!("{}\n", report::wrap(line, out.width, "    ")));
    }
}

#[cfg(test)]
mod tests;
