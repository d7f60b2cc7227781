//! The pipeline every measuring command shares: load the eval and apply the command line's
//! overrides, build the model, connect to the servers and list their tools, check the suites
//! against them, plan the tasks, execute the trials, and build the report. `run` (and each of
//! its variants) and `sweep` are sequences of these steps; a new mode plugs in here once.

mod assemble;
mod check;
mod estimate;
mod finish;
mod prepare;
mod variant;

use std::sync::Arc;
use std::time::SystemTime;

pub(crate) use assemble::{build_report, eval_info};
pub(crate) use check::check_expectations;
pub(crate) use estimate::Estimate;
pub(crate) use finish::{Finish, Show, finish, finish_with, write_report};
pub(crate) use prepare::Prepare;
pub(crate) use variant::{Ended, Plan, Texts, host_info};

use crate::config::Mode;
use crate::config::{self, Eval, ModelConfig, Overrides, ServerSpec, Split};
use crate::error::{Error, Result};
use crate::mcp::LiveServers;
use crate::mcp::{self, ToolSet};
use crate::model::{self, CacheMode, CacheSettings, Model};
use crate::record::ServerInfo;
use crate::run::{AgentRun, AgentTask, ExecOptions, Executed, PlannedTask, Policy, execute};
use crate::score::Judge;

/// Why a writer's request brought no reply.
pub(crate) enum WriterStop {
    Interrupted,
    Failed(Error),
}

/// The writer's reply to `req` within `timeout`; Ctrl-C or a failure stops. `what` follows the
/// writer's name in a failure ("", or " (writer: tasks for `x`)"); `after` ends the timeout's
/// hint.
pub(crate) async fn ask_writer(
    writer: &dyn Model,
    req: &model::ModelRequest,
    timeout: std::time::Duration,
    what: &str,
    after: &str,
) -> std::result::Result<model::ModelReply, WriterStop> {
    let name = writer.info().name;
    let reply = tokio::select! {
        r = tokio::time::timeout(timeout, writer.complete(req)) => r,
        () = crate::run::stop_signal() => return Err(WriterStop::Interrupted),
    };
    match reply {
        Err(_) => Err(WriterStop::Failed(Error::Model {
            message: format!(
                "the writer `{name}` did not answer{what} in {} s",
                timeout.as_secs()
            ),
            hint: Some(format!(
                "raise the writer's `timeout_secs`, or try again{after}"
            )),
        })),
        Ok(Err(e)) => Err(WriterStop::Failed(Error::Model {
            message: format!("the writer `{name}` failed{what}: {}", e.message),
            hint: e.hint,
        })),
        Ok(Ok(r)) => Ok(r),
    }
}

/// Seconds a writer's request may take (it writes several texts, not one call).
pub(crate) const WRITER_TIMEOUT_SECS: u64 = 120;

/// One eval being measured: the file as loaded with the overrides applied, and when it started.
pub(crate) struct Session {
    pub eval: Eval,
    pub started: SystemTime,
    /// The dollars every model of the measurement spends together, held to `max_cost`: made on
    /// first use, `None` without a cap.
    budget: std::sync::OnceLock<Option<Arc<model::RequestBudget>>>,
}

/// What the servers offered, and the servers themselves when agent tasks will call them.
pub(crate) struct Listed {
    pub tools: ToolSet,
    pub servers: Vec<ServerInfo>,
    pub live: Option<Arc<LiveServers>>,
}

impl Session {
    /// Loads the eval file and its suites, and applies the command line's overrides.
    pub(crate) fn load(path: &std::path::Path, overrides: &Overrides) -> Result<Session> {
        let mut eval = config::load_eval(path)?;
        overrides.apply(&mut eval)?;
        Ok(Session::of(eval))
    }

    /// A session of an eval already loaded (one `generate` builds to check its tasks).
    pub(crate) fn of(eval: Eval) -> Session {
        Session {
            eval,
            started: SystemTime::now(),
            budget: Default::default(),
        }
    }

    /// The budget every model of the measurement spends from, when the eval caps its cost.
    fn cost_budget(&self) -> Option<Arc<model::RequestBudget>> {
        self.budget
            .get_or_init(|| {
                self.eval
                    .max_cost
                    .map(|max| model::RequestBudget::with_cost(None, Some(max)))
            })
            .clone()
    }

    /// The model `config` (measured, a matrix's, the judge, a simulated user's), its replies'
    /// cost counted against the eval's `max_cost` at its own price, one budget for them all.
    pub(crate) fn capped(
        &self,
        config: &config::ModelConfig,
        cache: &CacheSettings,
    ) -> Result<Arc<dyn Model>> {
        match self.cost_budget() {
            None => model::from_config(config, cache),
            budget => model::from_config_budgeted(
                config,
                cache,
                budget,
                self.eval.price_of_config(config),
            ),
        }
    }

    /// The model that writes (`improve`'s descriptions, `generate`'s tasks): `name` (a name,
    /// or `PROVIDER:NAME`) over the eval's `writer_model`, else its `model`. Borrowed from
    /// `model`, it keeps the API, the key and the sampling, not what belongs to tool calls
    /// (`tool_choice`, `parallel_tool_calls`, text-call recovery: APIs refuse the first two on
    /// a request without tools) nor a reply limit sized for a tool call. Its requests may take
    /// `WRITER_TIMEOUT_SECS` unless it says otherwise. The offline baseline cannot write.
    pub(crate) fn writer_config(&self, name: Option<&str>, writes: &str) -> Result<ModelConfig> {
        let eval = &self.eval;
        let mut config = match &eval.writer_model {
            Some(w) => w.clone(),
            None => {
                let mut c = eval.model.clone();
                c.tool_choice = None;
                c.parallel_tool_calls = None;
                c.recover_text_calls = false;
                c.max_tokens = None;
                c
            }
        };
        if let Some(n) = name {
            config = config::model_named(&config, n);
        }
        config.timeout_secs = Some(config.timeout_secs.unwrap_or(WRITER_TIMEOUT_SECS));
        if config::is_baseline(&config.name) {
            return Err(Error::usage(
                format!("the offline baseline cannot write {writes}, and it is the writer here"),
                Some(
                    "name an LLM: `--writer-model NAME` (sent to the eval's model API, or `PROVIDER:NAME`), or `writer_model:` in the eval file (a name, or a mapping with `base_url` and `api_key`)"
                        .to_owned(),
                ),
            ));
        }
        Ok(config)
    }

    /// A writer's model is missing its key: the error says it is the writer's, and that the
    /// offline baseline is no way out (it cannot write `writes`).
    pub(crate) fn writer_key_error(e: Error, cfg: &ModelConfig, writes: &str) -> Error {
        match e {
            Error::Usage { message, .. } if message.starts_with("no API key") => Error::Usage {
                message: format!("the writer: {message}"),
                hint: Some(format!(
                    "export {} (or give `api_key` in the eval's `writer_model`); the writer must be an LLM: the offline baseline cannot write {writes}",
                    cfg.provider().key_var()
                )),
            },
            e => e,
        }
    }

    /// Refuses a model or host matrix for a command that measures one model under one host.
    pub(crate) fn one_model(&self, command: &str) -> Result<()> {
        if self.eval.hosts.len() > 1 {
            return Err(Error::usage(
                format!(
                    "`{command}` measures under one host, and {} are named",
                    self.eval.hosts.len()
                ),
                Some(format!(
                    "pass one `--host` (a matrix of hosts is `tooleval run`'s), e.g. `--host {}`",
                    self.eval.hosts[0].name
                )),
            ));
        }
        if self.eval.models.len() > 1 {
            return Err(Error::usage(
                format!(
                    "`{command}` measures one model, and {} are named",
                    self.eval.models.len()
                ),
                Some(format!(
                    "pass one `--model` (a matrix of models is `tooleval run`'s), e.g. `--model {}`",
                    self.eval.models[0].name
                )),
            ));
        }
        Ok(())
    }

    /// The model the eval names, its replies' cost counted against the eval's `max_cost` (when
    /// set) at its price.
    pub(crate) fn model_capped(&self, cache: &CacheSettings) -> Result<Arc<dyn Model>> {
        self.capped(&self.eval.model, cache)
    }

    /// Says what the measurement may cost at most, before its first request, and refuses one
    /// estimated above `max_cost` (or with `max_cost` and no price to hold it to).
    pub(crate) fn check_cost(
        &self,
        out: &crate::output::Output,
        e: &Estimate,
        command: &str,
        quiet: bool,
    ) -> Result<()> {
        let model = &self.eval.model.name;
        if config::is_baseline(model) && e.helpers.is_empty() {
            return Ok(());
        }
        if !quiet {
            let line = crate::report::wrap(&e.line(command, model), out.width, "  ");
            out.say(&format!("{line}\n"));
        }
        self.hold_cost_cap(
            "the run",
            e.dollars(),
            e.unpriced(model).unwrap_or(model),
            e.requests + e.helpers.iter().map(|h| h.requests).sum::<u64>(),
            "raise --max-cost (or `max_cost:` in the eval), or run fewer trials, a --split or a --shard; the estimate counts every turn an agent task may take and no prompt cache, so a real run usually costs less",
        )
    }

    /// Refuses, before the first request, `what` (`the run`) estimated at more than the eval's
    /// `max_cost` (`estimated`, over `requests` requests), or one whose cost cannot be held to
    /// it (`estimated` is `None`: the price of `unpriced` is unknown). `lower` says how to ask
    /// for less.
    pub(crate) fn hold_cost_cap(
        &self,
        what: &str,
        estimated: Option<f64>,
        unpriced: &str,
        requests: u64,
        lower: &str,
    ) -> Result<()> {
        let Some(max) = self.eval.max_cost else {
            return Ok(());
        };
        let shown = crate::text::dollars(max);
        match estimated {
            None => Err(Error::usage(
                format!(
                    "the cost cap of {shown} cannot be held: the price of `{unpriced}` is unknown"
                ),
                Some(format!(
                    "give `{unpriced}` a `price: {{ input: ..., output: ... }}` (dollars per million tokens) in the eval, or pass --prices FILE"
                )),
            )),
            Some(d) if d > max => Err(Error::usage(
                format!(
                    "{what} is estimated at up to {} ({requests} requests), above the cost cap of {shown}",
                    crate::text::dollars(d),
                ),
                Some(lower.to_owned()),
            )),
            Some(_) => Ok(()),
        }
    }

    /// The model that grades answers against rubrics, with the response cache around it (its
    /// replies' cost counted against `max_cost`); `None` when the eval names none.
    pub(crate) fn judge(&self, cache: &CacheSettings) -> Result<Option<Arc<dyn Model>>> {
        self.eval
            .judge_model
            .as_ref()
            .map(|j| self.capped(j, cache))
            .transpose()
    }

    /// Connects to every server and lists its tools; the connections stay open when `keep`
    /// (agent tasks call the tools), else they are closed. The listing is recorded in the cache
    /// (`--cache readwrite`), and a replay takes it from there: it needs no server.
    pub(crate) async fn list_tools(&self, keep: bool, cache: &CacheSettings) -> Result<Listed> {
        let written: Vec<(String, ServerSpec)> =
            self.eval.file.servers.clone().into_iter().collect();
        let key = listing_key(&written);
        if cache.mode == CacheMode::Replay
            && let Some(r) = model::read_recorded::<RecordedListing>(&cache.dir, LISTING, &key)
        {
            return Ok(Listed {
                tools: ToolSet::new(r.tools),
                servers: r.servers,
                live: None,
            });
        }
        let (tools, servers, live) = if keep {
            let (tools, servers, live) =
                mcp::list_tools_keeping(&self.eval.servers, &written).await?;
            (tools, servers, Some(Arc::new(live)))
        } else {
            let (tools, servers) = mcp::list_tools(&self.eval.servers, &written).await?;
            (tools, servers, None)
        };
        if cache.mode == CacheMode::Readwrite {
            let per_server = servers
                .iter()
                .map(|s| {
                    let listed = tools
                        .tools
                        .iter()
                        .filter(|t| t.server == s.name)
                        .map(|t| mcp::ServerTool {
                            name: t.server_name.clone(),
                            description: Some(t.description.clone()),
                            input_schema: with_dialect(t),
                            annotations: t.annotations,
                        })
                        .collect();
                    (s.name.clone(), listed)
                })
                .collect();
            let record = RecordedListing {
                tools: per_server,
                servers: servers.clone(),
            };
            model::write_recorded(&cache.dir, LISTING, &key, &record);
        }
        Ok(Listed {
            tools,
            servers,
            live,
        })
    }

    /// What agent tasks run their calls with: the open servers (none in a replay), the
    /// eval's rules of what may run, and where results are recorded for a replay.
    pub(crate) fn agent_run(
        &self,
        listed: &Listed,
        cache: &CacheSettings,
        judge: Option<Arc<dyn Model>>,
        users: std::collections::HashMap<String, Arc<dyn Model>>,
    ) -> Arc<AgentRun> {
        let file = &self.eval.file;
        let allow = file
            .allow_tools
            .iter()
            .map(|n| {
                listed
                    .tools
                    .by_name(n)
                    .map_or_else(|| n.clone(), |t| t.name.clone())
            })
            .collect();
        Arc::new(AgentRun {
            servers: listed.live.clone(),
            server_names: listed.servers.iter().map(|s| s.name.clone()).collect(),
            policy: Policy {
                allow,
                allow_destructive: self.eval.allow_destructive,
            },
            max_result_bytes: file
                .max_result_bytes
                .unwrap_or(config::DEFAULT_MAX_RESULT_BYTES),
            cache: cache.clone(),
            judge,
            users,
        })
    }

    /// The models that play the simulated users of the planned tasks: the eval's `user_model`
    /// (under `""`) and each task's `user.model` (under its name), with the response cache
    /// around each. Built before any server starts: a missing key fails fast.
    pub(crate) fn user_models(
        &self,
        tasks: &[crate::run::PlannedTask],
        cache: &CacheSettings,
    ) -> Result<std::collections::HashMap<String, Arc<dyn Model>>> {
        let mut users = std::collections::HashMap::new();
        for t in tasks {
            let Some(user) = &t.task.user else { continue };
            let key = user.model.clone().unwrap_or_default();
            if users.contains_key(&key) {
                continue;
            }
            let Some(config) = self.eval.user_config_of(user) else {
                continue;
            };
            users.insert(key, self.capped(&config, cache)?);
        }
        Ok(users)
    }

    /// Checks that every tool and argument the suites expect is in `tools`.
    pub(crate) fn check(&self, tools: &ToolSet) -> Result<()> {
        check::check_schemas(&self.eval, tools)?;
        let mut diags = check_expectations(&self.eval.suites, tools);
        diags.extend(check::check_eval_tools(&self.eval, tools));
        if diags.is_empty() {
            Ok(())
        } else {
            Err(Error::Input(diags))
        }
    }

    /// The tasks to run, in suite order: all of them, or those of one split.
    pub(crate) fn plan(&self, split: Option<Split>) -> Result<Vec<PlannedTask>> {
        let file = &self.eval.file;
        let eval_turns = file.max_turns.unwrap_or(config::DEFAULT_MAX_TURNS);
        let tasks: Vec<PlannedTask> = self
            .eval
            .suites
            .iter()
            .flat_map(|s| {
                let suite: Arc<str> = s.name().into();
                let suite_repeats = s
                    .suite
                    .max_repeats
                    .or(file.max_repeats)
                    .unwrap_or(config::DEFAULT_MAX_REPEATS);
                // One set of settings for the suite's agent tasks that add nothing of their own.
                let shared = Arc::new(AgentTask::merged(
                    eval_turns,
                    suite_repeats,
                    [&file.mocks, &s.suite.mocks, &config::Mocks::new()],
                ));
                s.suite.tasks.iter().map(move |t| {
                    let mode = t.mode_in(s.suite.mode, file.mode);
                    let agent = (mode == Mode::Agent).then(|| {
                        if t.mocks().is_empty() && t.max_turns.is_none() && t.max_repeats.is_none()
                        {
                            shared.clone()
                        } else {
                            Arc::new(AgentTask::merged(
                                t.max_turns.unwrap_or(eval_turns),
                                t.max_repeats.unwrap_or(suite_repeats),
                                [&file.mocks, &s.suite.mocks, t.mocks()],
                            ))
                        }
                    });
                    PlannedTask {
                        suite: suite.clone(),
                        task: t.clone(),
                        agent,
                    }
                })
            })
            .filter(|t| split.is_none() || t.task.split == split)
            .collect();
        if tasks.is_empty() {
            return Err(Error::usage(
                format!(
                    "no task is in the `{}` split",
                    split.map_or("", |s| s.as_str())
                ),
                Some("mark tasks with `split: tune` or `split: holdout` in the suite".to_owned()),
            ));
        }
        let unreviewed: Vec<&str> = tasks
            .iter()
            .filter(|t| t.task.review.is_some())
            .map(|t| t.task.id.as_str())
            .collect();
        if let Some(first) = unreviewed.first() {
            crate::sayln!(
                "note: {} task(s) still carry `review:` (e.g. `{first}`): `tooleval generate`'s check model did not pass them; read them, fix or delete each, and delete `review:`",
                unreviewed.len()
            );
        }
        Ok(tasks)
    }

    /// The execution options of the eval's settings.
    pub(crate) fn exec_options(&self, progress: bool) -> ExecOptions {
        ExecOptions::for_eval(&self.eval, progress)
    }

    /// Runs every planned task against `tools`, scoring each reply; stops early on Ctrl-C,
    /// keeping what finished.
    pub(crate) async fn execute(
        &self,
        model: Arc<dyn Model>,
        tools: Arc<ToolSet>,
        tasks: &[PlannedTask],
        opts: &ExecOptions,
    ) -> Executed {
        let judge = Arc::new(Judge::new(&tools));
        for (tool, why) in judge.skipped() {
            crate::sayln!(
                "warning: the input schema of `{tool}` does not compile ({why}); its arguments are not checked against it"
            );
        }
        match &opts.shared {
            Some(shared) => {
                let stop = shared.stop.clone();
                execute(tasks, model, tools, judge, opts, stop.cancelled_owned()).await
            }
            None => execute(tasks, model, tools, judge, opts, crate::run::stop_signal()).await,
        }
    }
}

const LISTING: &str = "listing";

/// The tools of an eval's servers as listed, kept in the cache for a replay.
#[derive(serde::Serialize, serde::Deserialize)]
struct RecordedListing {
    tools: Vec<(String, Vec<mcp::ServerTool>)>,
    servers: Vec<ServerInfo>,
}

/// The cache key of the servers' listing: the servers as written (`${VAR}` unexpanded).
fn listing_key(written: &[(String, ServerSpec)]) -> String {
    let servers = serde_json::to_string(written).unwrap_or_default();
    model::cache_key(&["listing-v1", &servers])
}

/// A tool's input schema with the `$schema` it was listed with.
fn with_dialect(t: &mcp::ToolInfo) -> serde_json::Value {
    let mut schema = t.input_schema.clone();
    if let (Some(d), Some(obj)) = (&t.schema_dialect, schema.as_object_mut()) {
        obj.insert("$schema".into(), d.clone().into());
    }
    schema
}

/// A fatal model error of an execution as the error the command ends with.
pub(crate) fn fatal_error(fatal: crate::model::ModelError, what: &str) -> Error {
    Error::Model {
        message: format!("{}; {what}", fatal.message),
        hint: fatal.hint,
    }
}
