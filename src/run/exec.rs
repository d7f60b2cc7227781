//! Running trials: bounded concurrency, a timeout per request, progress, and Ctrl-C.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};

use super::plan::{AgentRun, PlannedTask};
use super::reply::{score_reply, unscored_record};
use crate::host::Presented;
use crate::mcp::ToolSet;
use crate::model::{Model, ModelRequest};
use crate::record::Outcome;
use crate::record::TrialRecord;
use crate::score::Judge;

#[derive(Clone)]
pub(crate) struct ExecOptions {
    /// Run only part I (1-based) of N: the jobs, numbered task by task and trial by trial, whose
    /// number modulo N is I - 1.
    pub shard: Option<(u32, u32)>,
    pub trials: u32,
    pub concurrency: usize,
    /// The longest one request may take before its trial ends as an error.
    pub request_timeout: Duration,
    pub recover_text_calls: bool,
    pub progress: bool,
    /// Retrieval first: before each request, keep only the K tools the offline ranking rates
    /// best for the prompt.
    pub retrieve: Option<usize>,
    /// The servers and rules agent tasks run their calls with; needed when any task is one.
    pub agent: Option<Arc<AgentRun>>,
    /// Executions run side by side (the models of a matrix) share these: one progress bar, one
    /// stop.
    pub shared: Option<Shared>,
    /// The host profile the tools are presented as (`None`: the raw API, every tool in every
    /// request); each measurement presents its own tool set with it, into `host`.
    pub profile: Option<Arc<crate::config::HostProfile>>,
    /// The tools as the host presents them (its names, its system text, its search).
    pub host: Option<Arc<Presented>>,
}

/// What executions running at once share (the models' requests share their slots apart, through
/// [`crate::model::Model::share_slots`]).
#[derive(Clone)]
pub(crate) struct Shared {
    /// Counts every execution's trials; its owner finishes it.
    pub bar: ProgressBar,
    /// Cancelled on the first Ctrl-C or SIGTERM (its owner listens for them).
    pub stop: tokio_util::sync::CancellationToken,
}

impl Shared {
    /// Shares a bar of `total` trials (drawn when `progress` and stderr is a terminal); the stop
    /// is cancelled on the first stopping signal.
    pub(crate) fn new(total: u64, progress: bool) -> Shared {
        let stop = tokio_util::sync::CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            super::stop_signal().await;
            token.cancel();
        });
        Shared {
            bar: progress_bar(total, progress),
            stop,
        }
    }
}

impl ExecOptions {
    /// The options an eval's settings give: every job, no retrieval.
    pub(crate) fn for_eval(eval: &crate::config::Eval, progress: bool) -> Self {
        ExecOptions {
            shard: None,
            trials: eval.trials,
            concurrency: eval.concurrency,
            request_timeout: crate::model::request_backstop(&eval.model, 60),
            recover_text_calls: eval.model.recover_text_calls,
            progress,
            retrieve: None,
            agent: None,
            shared: None,
            profile: eval.host(),
            host: None,
        }
    }
}

/// What the trials produced, and whether every trial ran.
pub(crate) struct Executed {
    pub trials: Vec<TrialRecord>,
    pub interrupted: bool,
    /// A failure no retry can cure (a refused key, an unreachable server, a replay miss): the
    /// run stopped at it.
    pub fatal: Option<crate::model::ModelError>,
}

/// Runs every task `trials` times. Stops early on `stop` (Ctrl-C), keeping what finished.
pub(crate) async fn execute(
    tasks: &[PlannedTask],
    model: Arc<dyn Model>,
    tools: Arc<ToolSet>,
    judge: Arc<Judge>,
    opts: &ExecOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Executed {
    let total = (0..tasks.len() as u64 * u64::from(opts.trials))
        .filter(|j| in_shard(opts.shard, *j))
        .count() as u64;
    let bar = match &opts.shared {
        Some(shared) => shared.bar.clone(),
        None => progress_bar(total, opts.progress),
    };
    let api_tools = Arc::new(model.api_tools(&tools));
    let index = opts
        .retrieve
        .map(|_| Arc::new(crate::mcp::Index::new(&tools)));
    // Anthropic's own tool search, where the host asks for it: every tool sent deferred.
    let native = opts
        .host
        .as_ref()
        .and_then(|h| h.search.as_ref())
        .and_then(|s| s.native)
        .filter(|_| model.info().kind == "anthropic")
        .map(|kind| Arc::new(crate::model::with_tool_search(&api_tools, kind)));
    let trials = opts.trials;
    let jobs = tasks
        .iter()
        .flat_map(|t| (0..trials).map(move |i| (t, i)))
        .enumerate()
        .filter(|(j, _)| in_shard(opts.shard, *j as u64));
    let stream = futures::stream::iter(jobs)
        .map(|(j, (t, trial))| {
            let model = model.clone();
            let tools = tools.clone();
            let judge = judge.clone();
            let api_tools = api_tools.clone();
            let index = index.clone();
            let native = native.clone();
            async move {
                let retrieval = index.as_deref().zip(opts.retrieve);
                let mut req = request_for(t, trial, &tools, api_tools, retrieval, &*model);
                if let Some(host) = &opts.host {
                    req.host_system = host.system.as_deref().map(Arc::from);
                    req.search = host.search.as_ref().map(|s| {
                        Arc::new(crate::model::SearchOffer {
                            name: s.spec.name.clone(),
                            query: s.spec.query.clone(),
                        })
                    });
                }
                let deferred = opts.host.as_deref().filter(|h| h.search.is_some());
                let (rec, fatal) = match (&t.agent, &opts.agent) {
                    (Some(settings), Some(run)) => {
                        super::agent::AgentTrial {
                            t,
                            settings,
                            run,
                            model: model.as_ref(),
                            tools: &req.tools.clone(),
                            judge: &judge,
                            request_timeout: opts.request_timeout,
                            recover: opts.recover_text_calls,
                            deferred,
                        }
                        .run(req)
                        .await
                    }
                    (Some(_), None) => {
                        let mut rec = unscored_record(t, trial, 0);
                        rec.reason =
                            "an agent task, but this command does not run agent tasks".into();
                        (rec, None)
                    }
                    _ => match (deferred, native) {
                        (Some(host), Some(native)) => {
                            req.api_tools = native;
                            let (mut rec, fatal) =
                                run_trial(t, &req, model.as_ref(), &tools, &judge, opts).await;
                            super::deferred::finish_native(host, &mut rec);
                            (rec, fatal)
                        }
                        (Some(host), None) => {
                            super::deferred::run_trial(
                                t,
                                req,
                                model.as_ref(),
                                host,
                                &judge,
                                opts.request_timeout,
                                opts.recover_text_calls,
                            )
                            .await
                        }
                        (None, _) => run_trial(t, &req, model.as_ref(), &tools, &judge, opts).await,
                    },
                };
                (j, rec, fatal)
            }
        })
        .buffer_unordered(opts.concurrency.max(1));
    let executed = gather(stream, stop, &bar, total as usize).await;
    if opts.shared.is_none() {
        bar.finish_and_clear();
    }
    executed
}

/// Whether job `job` (numbered task by task and trial by trial from 0) is in this shard.
fn in_shard(shard: Option<(u32, u32)>, job: u64) -> bool {
    match shard {
        Some((i, n)) => job % u64::from(n) == u64::from(i - 1),
        None => true,
    }
}

/// A bar of `total` trials, drawn only when asked for and stderr is a terminal, so logs and
/// pipes get no control codes.
fn progress_bar(total: u64, show: bool) -> ProgressBar {
    if !(show && std::io::stderr().is_terminal()) {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} trials · {elapsed} · ETA {eta} {wide_msg}",
        )
        .expect("a valid template"),
    );
    b
}

/// The request for one trial of a task. With retrieval, (index, k), only the k tools the
/// offline ranking rates best for the prompt are offered; otherwise every tool.
fn request_for(
    t: &PlannedTask,
    trial: u32,
    tools: &Arc<ToolSet>,
    api_tools: Arc<Box<serde_json::value::RawValue>>,
    retrieval: Option<(&crate::mcp::Index, usize)>,
    model: &dyn Model,
) -> ModelRequest {
    let user_text = t.task.prompt.user_text();
    let (offered, api_tools) = match retrieval {
        Some((index, k)) => {
            let keep: Vec<String> = index
                .rank(&user_text)
                .into_iter()
                .take(k)
                .map(|(i, _)| tools.tools[i].name.clone())
                .collect();
            let subset = Arc::new(tools.subset(&keep));
            let api = Arc::new(model.api_tools(&subset));
            (subset, api)
        }
        None => (tools.clone(), api_tools),
    };
    ModelRequest {
        messages: t.task.prompt.messages(),
        user_text,
        tools: offered,
        api_tools,
        trial,
        task: t.task.id.clone(),
        exchanges: Vec::new(),
        output: None,
        host_system: None,
        search: None,
    }
}

/// Collects finished trials as they come, until every job is done, one fails fatally or
/// `stop` fires; trials are in suite order.
async fn gather(
    mut stream: impl futures::Stream<Item = (usize, TrialRecord, Option<crate::model::ModelError>)>
    + Unpin,
    stop: impl std::future::Future<Output = ()>,
    bar: &ProgressBar,
    expected: usize,
) -> Executed {
    let mut records = Vec::with_capacity(expected);
    let mut interrupted = false;
    let mut fatal_error = None;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some((job, rec, fatal)) => {
                    if rec.outcome != Outcome::Pass {
                        bar.set_message(format!("last failure: {}", rec.task));
                    }
                    bar.inc(1);
                    records.push((job, rec));
                    if fatal.is_some() {
                        // One clear error instead of a thousand failed trials.
                        fatal_error = fatal;
                        break;
                    }
                }
                None => break,
            },
            () = &mut stop => {
                interrupted = true;
                break;
            }
        }
    }
    // Reports list trials in suite order, whatever order they finished in: jobs are numbered
    // task by task and trial by trial.
    records.sort_unstable_by_key(|(job, _)| *job);
    Executed {
        fatal: fatal_error,
        trials: records.into_iter().map(|(_, rec)| rec).collect(),
        interrupted,
    }
}

/// Runs one trial: asks the model within the request timeout, then scores the reply.
async fn run_trial(
    t: &PlannedTask,
    req: &ModelRequest,
    model: &dyn Model,
    tools: &ToolSet,
    judge: &Judge,
    opts: &ExecOptions,
) -> (TrialRecord, Option<crate::model::ModelError>) {
    let started = Instant::now();
    let result = tokio::time::timeout(opts.request_timeout, model.complete(req)).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let mut rec = unscored_record(t, req.trial, latency_ms);
    match result {
        Err(_) => {
            rec.reason = format!(
                "the model did not answer within {}s",
                opts.request_timeout.as_secs()
            );
            (rec, None)
        }
        Ok(Err(e)) => {
            rec.reason = e.message.clone();
            rec.retries = e.retries;
            if e.retries > 0 {
                rec.reason = format!("{} (after {} retries)", e.message, e.retries);
            }
            let fatal = (e.kind == crate::model::ErrorKind::Fatal).then_some(e);
            (rec, fatal)
        }
        Ok(Ok(reply)) => {
            score_reply(&mut rec, reply, t, tools, judge, opts.recover_text_calls);
            (rec, None)
        }
    }
}
