//! Running trials: bounded concurrency, a timeout per request, progress, and Ctrl-C.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value};

use crate::config::Task;
use crate::mcp::ToolSet;
use crate::model::{Model, ModelReply, ModelRequest, recover_text_calls};
use crate::record::Outcome;
use crate::record::{ReplyRecord, ToolCallRecord, TrialRecord};
use crate::score::{ActualCall, Judge};

/// One task of the run, with the suite it came from.
#[derive(Debug, Clone)]
pub struct PlannedTask {
    pub suite: String,
    pub task: Task,
}

pub struct ExecOptions {
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
}

impl ExecOptions {
    /// The options an eval's settings give: every job, no retrieval.
    pub fn for_eval(eval: &crate::config::Eval, progress: bool) -> Self {
        ExecOptions {
            shard: None,
            trials: eval.trials,
            concurrency: eval.concurrency,
            // A backstop above the model's own limits: every attempt may take its timeout and
            // wait the longest backoff before the next.
            request_timeout: {
                let attempts = u64::from(
                    eval.model
                        .max_retries
                        .unwrap_or(crate::model::DEFAULT_MAX_RETRIES),
                ) + 1;
                Duration::from_secs((eval.model.timeout_secs.unwrap_or(60) + 30) * attempts + 5)
            },
            recover_text_calls: eval.model.recover_text_calls,
            progress,
            retrieve: None,
        }
    }
}

/// What the trials produced, and whether every trial ran.
pub struct Executed {
    pub trials: Vec<TrialRecord>,
    pub interrupted: bool,
    /// A failure no retry can cure (a refused key, an unreachable server, a replay miss): the
    /// run stopped at it.
    pub fatal: Option<crate::model::ModelError>,
}

/// Runs every task `trials` times. Stops early on `stop` (Ctrl-C), keeping what finished.
pub async fn execute(
    tasks: &[PlannedTask],
    model: Arc<dyn Model>,
    tools: Arc<ToolSet>,
    judge: Arc<Judge>,
    opts: &ExecOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Executed {
    let in_shard = |job: u64| match opts.shard {
        Some((i, n)) => job % u64::from(n) == u64::from(i - 1),
        None => true,
    };
    let total = (0..tasks.len() as u64 * u64::from(opts.trials))
        .filter(|j| in_shard(*j))
        .count() as u64;
    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:30} {pos}/{len} trials · {elapsed} · ETA {eta} {msg}",
            )
            .expect("a valid template"),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let api_tools = Arc::new(tools.to_openai_json());
    let index = opts
        .retrieve
        .map(|_| Arc::new(crate::model::Index::new(&tools)));
    let trials = opts.trials;
    let jobs = tasks
        .iter()
        .flat_map(|t| (0..trials).map(move |i| (t, i)))
        .enumerate()
        .filter(|(j, _)| in_shard(*j as u64))
        .map(|(_, job)| job);
    let mut stream = futures::stream::iter(jobs)
        .map(|(t, trial)| {
            let model = model.clone();
            let tools = tools.clone();
            let judge = judge.clone();
            let api_tools = api_tools.clone();
            let index = index.clone();
            async move {
                let user_text = t.task.prompt.user_text();
                let (offered, api_tools) = match (&index, opts.retrieve) {
                    (Some(index), Some(k)) => {
                        let keep: Vec<String> = index
                            .rank(&user_text)
                            .into_iter()
                            .take(k)
                            .map(|(i, _)| tools.tools[i].name.clone())
                            .collect();
                        let subset = Arc::new(tools.subset(&keep));
                        let api = Arc::new(subset.to_openai_json());
                        (subset, api)
                    }
                    _ => (tools.clone(), api_tools),
                };
                let req = ModelRequest {
                    messages: t.task.prompt.messages(),
                    user_text,
                    tools: offered,
                    api_tools,
                    trial,
                    task: t.task.id.clone(),
                };
                run_trial(t, &req, model.as_ref(), &tools, &judge, opts).await
            }
        })
        .buffer_unordered(opts.concurrency.max(1));

    let mut records = Vec::with_capacity(total as usize);
    let mut interrupted = false;
    let mut fatal_error = None;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some((rec, fatal)) => {
                    if rec.outcome != Outcome::Pass {
                        bar.set_message(format!("last failure: {}", rec.task));
                    }
                    bar.inc(1);
                    records.push(rec);
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
    bar.finish_and_clear();
    // Reports list trials in suite order, whatever order they finished in.
    let order: std::collections::HashMap<&str, usize> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.task.id.as_str(), i))
        .collect();
    records.sort_by_key(|r| {
        (
            order.get(r.task.as_str()).copied().unwrap_or(usize::MAX),
            r.trial,
        )
    });
    Executed {
        fatal: fatal_error,
        trials: records,
        interrupted,
    }
}

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
    let mut rec = TrialRecord {
        task: t.task.id.clone(),
        suite: t.suite.clone(),
        trial: req.trial,
        outcome: Outcome::Error,
        reason: String::new(),
        expected: t
            .task
            .expect
            .tools()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        called: vec![],
        reply: None,
        usage: None,
        latency_ms,
        notes: vec![],
        retries: 0,
        cached: false,
    };
    let reply = match result {
        Err(_) => {
            rec.reason = format!(
                "the model did not answer within {}s",
                opts.request_timeout.as_secs()
            );
            return (rec, None);
        }
        Ok(Err(e)) => {
            rec.reason = e.message.clone();
            rec.retries = e.retries;
            if e.retries > 0 {
                rec.reason = format!("{} (after {} retries)", e.message, e.retries);
            }
            let fatal = (e.kind == crate::model::ErrorKind::Fatal).then_some(e);
            return (rec, fatal);
        }
        Ok(Ok(reply)) => reply,
    };
    let ModelReply {
        content,
        mut tool_calls,
        finish_reason,
        usage,
        mut notes,
        retries,
        cached,
    } = reply;
    rec.retries = retries;
    rec.cached = cached;
    let mut text_call_unused = false;
    if tool_calls.is_empty()
        && let Some(text) = &content
    {
        let found = recover_text_calls(text);
        if !found.is_empty() {
            let names = found
                .iter()
                .map(|c| format!("`{}`", c.name))
                .collect::<Vec<_>>()
                .join(", ");
            if opts.recover_text_calls {
                notes.push(format!(
                    "recovered {} call(s) written as text: {names}",
                    found.len()
                ));
                tool_calls = found;
            } else {
                notes.push(format!(
                    "the reply's text holds what looks like a call to {names}; set `recover_text_calls: true` to score it"
                ));
                text_call_unused = true;
            }
        }
    }
    let actual: Vec<ActualCall> = tool_calls
        .iter()
        .map(|c| {
            let known = tools.by_api_name(&c.name);
            ActualCall {
                name: known
                    .map(|k| k.name.clone())
                    .unwrap_or_else(|| c.name.clone()),
                known: known.is_some(),
                arguments: parse_arguments(&c.arguments),
            }
        })
        .collect();
    let verdict = judge.judge(&t.task.expect, &actual);
    rec.outcome = verdict.outcome;
    rec.reason = verdict.reason;
    if text_call_unused && rec.outcome == Outcome::NoCall {
        rec.reason
            .push_str(" (it wrote a call as text instead; see notes)");
    }
    rec.expected = verdict.expected_tools;
    rec.called = actual.iter().map(|c| c.name.clone()).collect();
    rec.usage = usage;
    rec.notes = notes;
    rec.reply = Some(ReplyRecord {
        content,
        tool_calls: tool_calls
            .into_iter()
            .map(|c| ToolCallRecord {
                name: c.name,
                arguments: c.arguments,
                recovered: c.recovered,
            })
            .collect(),
        finish_reason,
    });
    (rec, None)
}

/// Arguments as a JSON object, or the text with the reason it is not one.
fn parse_arguments(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!("{text} (a {}, not an object)", kind(&other))),
        Err(e) => Err(format!("{text} ({e})")),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}
