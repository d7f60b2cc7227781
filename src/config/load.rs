//! Reading eval and suite files into validated values, with every problem pointing at its place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::agent::Mode;
use super::document::{Document, expand_env};
use super::eval::{EvalFile, ModelConfig, ServerSpec, Transport};
use super::located::Seg::{Index, Key};
use super::located::{Place, Places, Seg};
use super::models::{extra_model, matrix_models, model_config};
use super::suite::{Prompt, Suite};
use super::yaml::parse_yaml;
use crate::error::{Diagnostic, Error, Result};

/// How `tooleval init` marks the prompts it leaves for the author; `run` refuses them.
pub(crate) const PLACEHOLDER: &str = "TODO:";

/// A suite file as read: its path, its text (for pointing at places) and its value.
#[derive(Debug, Clone)]
pub struct LoadedSuite {
    pub path: PathBuf,
    pub source: String,
    pub suite: Suite,
    /// Where each value is written; read the first time a problem needs a place.
    places: OnceLock<Places>,
}

impl LoadedSuite {
    /// The suite's name: its `name`, or the file stem.
    pub(crate) fn name(&self) -> String {
        self.suite.name.clone().unwrap_or_else(|| {
            self.path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }

    /// Where each value of the file is written.
    pub(crate) fn places(&self) -> &Places {
        self.places.get_or_init(|| Places::parse(&self.source))
    }

    /// The place of the value at `path` inside the `task`-th task (0-based).
    pub fn place_in_task(&self, task: usize, path: &[Seg]) -> Option<Place> {
        self.places().value(&task_path(task, path))
    }

    /// A diagnostic at the value at `path` inside the `task`-th task (0-based), e.g.
    /// `[Key("expect"), Key("tool")]`.
    pub(crate) fn value_in_task(
        &self,
        task: usize,
        path: &[Seg],
        message: impl Into<String>,
    ) -> Diagnostic {
        let d = Diagnostic::new(&self.path, message);
        self.places()
            .at_value(d, &self.source, &task_path(task, path))
    }

    /// A diagnostic at the key at `path` inside the `task`-th task (0-based), e.g. an argument's
    /// name in `[Key("expect"), Key("args"), Key(name)]`.
    pub(crate) fn key_in_task(
        &self,
        task: usize,
        path: &[Seg],
        message: impl Into<String>,
    ) -> Diagnostic {
        let d = Diagnostic::new(&self.path, message);
        self.places()
            .at_key(d, &self.source, &task_path(task, path))
    }
}

/// `path` inside the `task`-th task, from the top of the suite file.
fn task_path<'a>(task: usize, path: &[Seg<'a>]) -> Vec<Seg<'a>> {
    [&[Key("tasks"), Index(task)], path].concat()
}

/// A server, named, with `${VAR}` values read from the environment.
#[derive(Debug, Clone)]
pub(crate) struct ServerEntry {
    pub name: String,
    pub spec: ServerSpec,
}

/// An eval as read and checked: everything a run needs besides the servers' tools.
#[derive(Debug, Clone)]
pub(crate) struct Eval {
    pub path: PathBuf,
    /// The file as written, `${VAR}` unexpanded: safe to put in a report.
    pub file: EvalFile,
    pub servers: Vec<ServerEntry>,
    pub model: ModelConfig,
    /// The models of a matrix (`models`, or `--model` given more than once), `${VAR}` values
    /// read; empty for a run of `model` alone. The first is also `model`.
    pub models: Vec<ModelConfig>,
    /// The file's own `model`, `${VAR}` values read: what `models` entries and `--model` start
    /// from (with `models`, `model` is the first entry instead).
    pub model_defaults: ModelConfig,
    pub suites: Vec<LoadedSuite>,
    pub trials: u32,
    pub concurrency: usize,
    pub min_accuracy: Option<f64>,
    /// The baseline report, resolved against the eval file's folder.
    pub baseline: Option<PathBuf>,
    pub tool_floor: Option<f64>,
    /// `--allow-destructive`: tools annotated destructive that `allow_tools` lists may run.
    pub allow_destructive: bool,
    /// The hosts the tools are presented as: `host`, or the `hosts` of a host matrix (empty:
    /// the raw API).
    pub hosts: Vec<super::HostProfile>,
    /// The model grading answers against rubrics, `${VAR}` values read.
    pub judge_model: Option<ModelConfig>,
    /// The model `improve` asks for new descriptions, `${VAR}` values read.
    pub writer_model: Option<ModelConfig>,
    /// The model that plays simulated users, `${VAR}` values read.
    pub user_model: Option<ModelConfig>,
    /// `--prices FILE`: the file and its prices by model name.
    pub prices: Option<(PathBuf, HashMap<String, super::PriceSpec>)>,
    /// The most a run may cost (`--max-cost`, else the file's `max_cost`).
    pub max_cost: Option<f64>,
}

/// The host profiles `host` or `hosts` names, each a built-in name or a file relative to the
/// eval's folder; a problem is located at its entry.
fn host_profiles(
    doc: &Document,
    dir: &Path,
    file: &EvalFile,
    diags: &mut Vec<Diagnostic>,
) -> Vec<super::HostProfile> {
    let entries: Vec<(Vec<Seg<'_>>, &String)> = match (&file.host, &file.hosts) {
        (Some(_), Some(_)) => {
            diags.push(
                doc.key("`host` and `hosts` are both set", &[Key("hosts")])
                    .with_hint("keep `hosts` for a host matrix, or `host` for one host"),
            );
            return Vec::new();
        }
        (Some(h), None) => vec![(vec![Key("host")], h)],
        (None, Some(hs)) => hs
            .iter()
            .enumerate()
            .map(|(i, h)| (vec![Key("hosts"), Index(i)], h))
            .collect(),
        (None, None) => return Vec::new(),
    };
    let mut out = Vec::new();
    for (at, name) in entries {
        match super::HostProfile::resolve(name, dir) {
            Ok(p) => out.push(p),
            Err(Error::Input(mut d)) => diags.append(&mut d),
            Err(Error::Usage { message, hint }) => {
                diags.push(doc.value(message, &at).with_hint(hint.unwrap_or_else(|| {
                    "a built-in profile's name, or a profile file's path".into()
                })))
            }
            Err(e) => diags.push(doc.value(e.to_string(), &at)),
        }
    }
    out
}

impl Eval {
    /// What the tokens of the model named `name` (one of the eval's) cost: its own `price`,
    /// else `--prices`, else the shipped table; `None` when none knows it.
    pub(crate) fn price_of(&self, name: &str) -> Option<crate::record::Price> {
        let config = std::iter::once(&self.model)
            .chain(&self.models)
            .chain(&self.user_model)
            .chain(&self.judge_model)
            .chain(&self.writer_model)
            .find(|m| m.name == name);
        match config {
            Some(m) => self.price_of_config(m),
            None => super::price_of(
                name,
                super::Provider::Openai.as_str(),
                None,
                self.prices.as_ref().map(|(p, m)| (p.as_path(), m)),
            ),
        }
    }

    /// What the tokens of the model `m` cost: its own `price`, else `--prices`, else the
    /// shipped table as its provider keys it.
    pub(crate) fn price_of_config(&self, m: &ModelConfig) -> Option<crate::record::Price> {
        super::price_of(
            &m.name,
            m.provider().as_str(),
            m.price.as_ref(),
            self.prices.as_ref().map(|(p, m)| (p.as_path(), m)),
        )
    }

    /// What `input` and `output` tokens of the model `m` cost at its price: nothing for the
    /// offline baseline, `None` when its price is unknown.
    pub(crate) fn cost_of(&self, m: &ModelConfig, input: u64, output: u64) -> Option<f64> {
        if super::is_baseline(&m.name) {
            return Some(0.0);
        }
        self.price_of_config(m).map(|p| {
            p.cost(&crate::record::Usage {
                prompt_tokens: input,
                completion_tokens: output,
                ..Default::default()
            })
        })
    }

    /// The model that plays `user`: the one it names (a name or `PROVIDER:NAME`, with the
    /// settings of the eval's `user_model`, else of `model`), else the eval's `user_model`.
    pub(crate) fn user_config_of(&self, user: &super::User) -> Option<ModelConfig> {
        match (&user.model, &self.user_model) {
            (None, Some(m)) => Some(m.clone()),
            (Some(name), Some(m)) => Some(m.named(name)),
            (Some(name), None) => Some(self.model.named(name)),
            // Loading refuses a simulated user with no model to play it.
            (None, None) => None,
        }
    }

    /// The models that help measure, besides the one measured: the judge, and each model
    /// that plays a simulated user in the suites; each once, by name.
    pub(crate) fn helper_models(&self) -> Vec<ModelConfig> {
        let mut models: Vec<ModelConfig> = self.judge_model.iter().cloned().collect();
        let users = self
            .suites
            .iter()
            .flat_map(|s| &s.suite.tasks)
            .filter_map(|t| t.user.as_ref())
            .filter_map(|u| self.user_config_of(u));
        for m in users {
            if !models.iter().any(|x| x.name == m.name) {
                models.push(m);
            }
        }
        models
    }

    /// The one host the tools are presented as, when it changes anything: `None` for the raw
    /// API and for a host matrix (each of whose entries is presented apart).
    pub(crate) fn host(&self) -> Option<std::sync::Arc<super::HostProfile>> {
        match self.hosts.as_slice() {
            [one] if !one.is_raw() => Some(std::sync::Arc::new(one.clone())),
            _ => None,
        }
    }
}

fn read(path: &Path, missing_hint: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        let hint = (e.kind() == std::io::ErrorKind::NotFound).then(|| missing_hint.to_owned());
        match hint {
            Some(h) => Error::Input(vec![
                Diagnostic::new(path, format!("cannot read the file: {e}")).with_hint(h),
            ]),
            None => Error::io("read", path, e),
        }
    })
}

/// Loads an eval file and its suites, checking everything that needs no server.
pub(crate) fn load_eval(path: &Path) -> Result<Eval> {
    load(path, true)
}

/// Loads an eval file for its servers and settings only, leaving its suites unread (for
/// `tools` and `lint`, which need no tasks, and for suites still being written).
pub(crate) fn load_eval_servers(path: &Path) -> Result<Eval> {
    load(path, false)
}

/// An eval written in memory (`generate` on a server named on the command line), read as
/// `load_eval_servers` reads a file; `path` names it in errors and is where relative paths
/// start.
pub(crate) fn eval_from_text(path: &Path, source: &str) -> Result<Eval> {
    load_source(path, source, false)
}

fn load(path: &Path, with_suites: bool) -> Result<Eval> {
    let source = read(
        path,
        "check the path of the eval file (e.g. evals/demo.yaml)",
    )?;
    load_source(path, &source, with_suites)
}

fn load_source(path: &Path, source: &str, with_suites: bool) -> Result<Eval> {
    let file: EvalFile = parse_yaml(path, source)?;
    let doc = Document::new(path, source);
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut diags = Vec::new();

    if file.servers.is_empty() {
        diags.push(
            doc.value("`servers` is empty", &[Key("servers")])
                .with_hint("add a server, e.g. `demo: { command: tooleval, args: [demo-server] }`"),
        );
    }
    let servers = file
        .servers
        .iter()
        .map(|(name, spec)| server_entry(&doc, &dir, name, spec, &mut diags))
        .collect();
    let model = model_config(&doc, &file, &mut diags);
    // The entries as written: a setting written `null` unsets what the entry takes from `model`,
    // and a `false` turns a switch off (typed, both read as "not set").
    let raw: Vec<serde_json::Value> = match &file.models {
        Some(_) => parse_yaml::<serde_json::Value>(path, source)?
            .get("models")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let models = matrix_models(&doc, &file, &raw, &model, &mut diags);
    let entries = models
        .iter()
        .enumerate()
        .map(|(i, m)| (vec![Key("models"), Index(i), Key("schema")], m));
    for (at, m) in std::iter::once((vec![Key("model"), Key("schema")], &model)).chain(entries) {
        if m.schema.is_some() && m.provider() != super::Provider::Gemini {
            diags.push(
                doc.value(format!("`schema` is for Gemini; `{}` is asked through {}", m.name, m.provider().title()), &at)
                    .with_hint("remove `schema`: other APIs are sent the server's JSON Schema (Anthropic rewritten to draft 2020-12)"),
            );
        }
    }
    let model_defaults = model.clone();
    let model = models.first().cloned().unwrap_or(model);
    if file.suites.is_empty() {
        diags.push(
            doc.value("`suites` is empty", &[Key("suites")])
                .with_hint("list at least one suite file"),
        );
    }
    let suites = if with_suites {
        load_suites(&doc, &dir, &file.suites, &mut diags)?
    } else {
        Vec::new()
    };
    diags.extend(check_unique_ids(&suites));
    for s in &suites {
        check_modes(s, file.mode, &mut diags);
    }
    let judge_model = judge_config(&doc, &file, &suites, &mut diags);
    let user_model = user_config(&doc, &file, &suites, &mut diags);
    let writer_model = file
        .writer_model
        .clone()
        .and_then(|spec| extra_model(&doc, spec, "writer_model", "write descriptions", &mut diags));
    check_settings(&doc, &file, &mut diags);
    let hosts = host_profiles(&doc, &dir, &file, &mut diags);
    if !diags.is_empty() {
        return Err(Error::Input(diags));
    }
    Ok(Eval {
        path: path.to_path_buf(),
        servers,
        model,
        models,
        model_defaults,
        suites,
        trials: file.trials.unwrap_or(1),
        concurrency: file.concurrency.unwrap_or(4),
        min_accuracy: file.min_accuracy,
        baseline: file.baseline.as_ref().map(|b| normalize(&dir.join(b))),
        tool_floor: file.tool_floor,
        allow_destructive: false,
        hosts,
        judge_model,
        writer_model,
        user_model,
        prices: None,
        max_cost: file.max_cost,
        file,
    })
}

/// A server as it will be started: `${VAR}` values read, `cwd` resolved against the eval
/// file's folder; what contradicts itself is a diagnostic.
fn server_entry(
    doc: &Document,
    dir: &Path,
    name: &str,
    spec: &ServerSpec,
    diags: &mut Vec<Diagnostic>,
) -> ServerEntry {
    let env =
        |value: &str, at: &[Seg], diags: &mut Vec<Diagnostic>| expand_env(value, doc, at, diags);
    let at = |field: &'static str| in_server(name, &[Key(field)]);
    let mut s = spec.clone();
    s.command = s.command.map(|c| env(&c, &at("command"), diags));
    s.args = s
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| env(a, &in_server(name, &[Key("args"), Index(i)]), diags))
        .collect();
    // Environment variables and headers: a mapping of texts each.
    let texts = |field: &'static str,
                 map: &mut std::collections::BTreeMap<String, String>,
                 diags: &mut Vec<Diagnostic>| {
        for (k, v) in map.iter_mut() {
            *v = env(v, &in_server(name, &[Key(field), Key(k)]), diags);
        }
    };
    texts("env", &mut s.env, diags);
    s.url = s.url.map(|u| env(&u, &at("url"), diags));
    texts("headers", &mut s.headers, diags);
    s.cwd = s
        .cwd
        .map(|c| dir.join(env(&c.to_string_lossy(), &at("cwd"), diags)));
    if let Some(cwd) = &s.cwd
        && !cwd.is_dir()
    {
        diags.push(
            doc.value(
                format!("server `{name}`: `cwd` {} is not a folder", cwd.display()),
                &at("cwd"),
            )
            .with_hint("`cwd` is relative to the eval file; create the folder or fix the path"),
        );
    }
    check_transport(doc, name, &s, diags);
    ServerEntry {
        name: name.to_owned(),
        spec: s,
    }
}

/// A server's `type`, `command` and `url` agree, and a URL is http(s).
fn check_transport(doc: &Document, name: &str, s: &ServerSpec, diags: &mut Vec<Diagnostic>) {
    let at = |field: &'static str| in_server(name, &[Key(field)]);
    let entry = in_server(name, &[]);
    match (s.transport, &s.command, &s.url) {
        (Some(Transport::Sse), _, _) => diags.push(
            doc.value(format!("server `{name}` uses the HTTP+SSE transport, which tooleval does not support"), &at("type"))
                .with_hint("point `url` at the server's streamable HTTP endpoint (often /mcp) and write `type: http`, or run the server over stdio"),
        ),
        (Some(Transport::Stdio), None, Some(_)) => diags.push(
            doc.key(format!("server `{name}` is `type: stdio` but has a `url`"), &entry)
                .with_hint("write `type: http` for a URL, or give `command` for a stdio server"),
        ),
        (Some(Transport::Http | Transport::StreamableHttp), Some(_), None) => diags.push(
            doc.key(format!("server `{name}` is `type: http` but has a `command`"), &entry)
                .with_hint("write `type: stdio` for a command, or give `url` for an HTTP server"),
        ),
        _ => {}
    }
    match (&s.command, &s.url) {
        (Some(_), Some(_)) => diags.push(
            doc.key(format!("server `{name}` has both `command` and `url`"), &entry)
                .with_hint("keep `command` for a stdio server or `url` for a streamable HTTP one"),
        ),
        (None, None) => diags.push(
            doc.key(format!("server `{name}` has neither `command` nor `url`"), &entry)
                .with_hint("give `command` (and `args`) for a stdio server, or `url` for a streamable HTTP one"),
        ),
        (None, Some(url)) if !url.starts_with("http://") && !url.starts_with("https://") => diags.push(
            doc.value(format!("server `{name}`: `{url}` is not an http(s) URL"), &at("url"))
                .with_hint("write the full endpoint, e.g. `http://127.0.0.1:3001/mcp`"),
        ),
        _ => {}
    }
    if s.isolate == Some(super::eval::Isolate::Trial) && s.command.is_none() {
        diags.push(
            doc.value(format!("server `{name}`: `isolate: trial` needs a stdio server (`command`)"), &at("isolate"))
                .with_hint("tooleval starts a fresh process per trial only for servers it starts itself; an HTTP server keeps its own state"),
        );
    }
}

/// Every suite the eval names, each pointed at where the eval file names it when it cannot be
/// read at all.
fn load_suites(
    doc: &Document,
    dir: &Path,
    paths: &[PathBuf],
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<LoadedSuite>> {
    let mut suites = Vec::new();
    for (i, rel) in paths.iter().enumerate() {
        let suite_path = normalize(&dir.join(rel));
        let named = [Key("suites"), Index(i)];
        match load_suite(&suite_path) {
            Ok(s) => suites.push(s),
            // A suite that cannot be read at all is pointed at where the eval file names it.
            Err(Error::Io { source: e, .. }) => {
                let (why, hint) = if suite_path.is_dir() {
                    (
                        "is a folder, not a suite file".to_owned(),
                        "name the YAML file inside it, e.g. suites/observability.yaml",
                    )
                } else if e.kind() == std::io::ErrorKind::InvalidData {
                    ("is not UTF-8 text".to_owned(), "save the file as UTF-8")
                } else {
                    (
                        format!("cannot be read: {e}"),
                        "check the file's permissions",
                    )
                };
                diags.push(
                    doc.value(format!("suite `{}` {why}", suite_path.display()), &named)
                        .with_hint(hint),
                );
            }
            Err(Error::Input(mut d)) => {
                if d.len() == 1 && d[0].line.is_none() && !suite_path.exists() {
                    d[0] = doc
                        .value(
                            format!("suite `{}` does not exist", suite_path.display()),
                            &named,
                        )
                        .with_hint("suite paths are relative to the eval file");
                }
                diags.extend(d);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(suites)
}

/// Each task has what its mode needs and nothing it cannot use: a single-turn task an `expect`
/// and no agent fields; an agent task something to be judged by.
fn check_modes(s: &LoadedSuite, eval_mode: Option<Mode>, diags: &mut Vec<Diagnostic>) {
    if s.suite.max_repeats == Some(1) {
        let d = Diagnostic::new(
            &s.path,
            "`max_repeats: 1` would end every conversation at its first call",
        );
        diags.push(
            s.places()
                .at_value(d, &s.source, &[Key("max_repeats")])
                .with_hint(REPEATS_HINT),
        );
    }
    const AGENT_HINT: &str =
        "add `mode: agent` to the task, to its suite or to the eval to run it as an agent";
    for (i, t) in s.suite.tasks.iter().enumerate() {
        let mode = t.mode_in(s.suite.mode, eval_mode);
        match mode {
            Mode::Single => {
                if t.expect.is_none() {
                    diags.push(
                        s.value_in_task(i, &[], format!("task `{}` has no `expect`", t.id))
                            .with_hint("say what the reply should call, e.g. `expect: { tool: NAME }`, or `expect: none`; an agent task (`mode: agent`) may say it with `trajectory` or `answer` instead"),
                    );
                }
                let agent_only = [
                    ("judge", t.judge.is_some()),
                    ("trajectory", t.trajectory.is_some()),
                    ("answer", t.answer.is_some()),
                    ("mocks", !t.mocks().is_empty()),
                    ("max_turns", t.max_turns.is_some()),
                    ("max_repeats", t.max_repeats.is_some()),
                    ("turns", t.turns.is_some()),
                    ("user", t.user.is_some()),
                ];
                for (field, set) in agent_only {
                    if set {
                        diags.push(
                            s.key_in_task(
                                i,
                                &[Key(field)],
                                format!("task `{}` runs single-turn: `{field}` applies only in agent mode", t.id),
                            )
                            .with_hint(AGENT_HINT),
                        );
                    }
                }
            }
            Mode::Agent => {
                if t.max_repeats == Some(1) {
                    diags.push(
                        s.value_in_task(
                            i,
                            &[Key("max_repeats")],
                            format!("task `{}`: `max_repeats: 1` would end the conversation at its first call", t.id),
                        )
                        .with_hint(REPEATS_HINT),
                    );
                }
                if t.max_turns == Some(0) {
                    diags.push(
                        s.value_in_task(
                            i,
                            &[Key("max_turns")],
                            format!("task `{}`: `max_turns` must be at least 1", t.id),
                        )
                        .with_hint("leave it out for the eval's `max_turns` (default 8)"),
                    );
                }
                check_conversation(s, i, diags);
                let turn_checks = t.turns().iter().any(|x| x.has_checks()) || t.user.is_some();
                if t.expect.is_none()
                    && t.trajectory.is_none()
                    && t.answer.is_none()
                    && !turn_checks
                {
                    diags.push(
                        s.value_in_task(i, &[], format!("task `{}` expects nothing", t.id))
                            .with_hint("give `expect`, `trajectory` or `answer`: what the calls or the final answer should be"),
                    );
                }
            }
        }
    }
}

/// A conversation's turns and simulated user are well formed.
fn check_conversation(s: &LoadedSuite, i: usize, diags: &mut Vec<Diagnostic>) {
    let t = &s.suite.tasks[i];
    if t.turns.is_some() && t.user.is_some() {
        diags.push(
            s.key_in_task(
                i,
                &[Key("user")],
                format!("task `{}` has both `turns` and `user`", t.id),
            )
            .with_hint("script the user's messages (`turns`) or let a model play the user (`user`), not both"),
        );
    }
    if let Some(turns) = &t.turns
        && turns.is_empty()
    {
        diags.push(
            s.value_in_task(i, &[Key("turns")], format!("task `{}`: `turns` is empty", t.id))
                .with_hint("list what the user says after the prompt, e.g. `turns: [{ prompt: Only the last hour, please. }]`, or leave `turns` out"),
        );
    }
    for (n, turn) in t.turns().iter().enumerate() {
        if turn.prompt.trim().is_empty() {
            diags.push(
                s.value_in_task(
                    i,
                    &[Key("turns"), Index(n), Key("prompt")],
                    format!("task `{}`: turn {} says nothing", t.id, n + 2),
                )
                .with_hint("write what the user says next"),
            );
        }
    }
    if let Some(u) = &t.user {
        if u.goal.trim().is_empty() {
            diags.push(
                s.value_in_task(
                    i,
                    &[Key("user"), Key("goal")],
                    format!("task `{}`: the simulated user has no goal", t.id),
                )
                .with_hint("say what the user wants done, e.g. `goal: roll back the last payments deploy in production`"),
            );
        }
        if u.max_turns == Some(0) {
            diags.push(
                s.value_in_task(
                    i,
                    &[Key("user"), Key("max_turns")],
                    format!("task `{}`: `max_turns` must be at least 1", t.id),
                )
                .with_hint("count the user's messages, the prompt included; leave it out for 6"),
            );
        }
        if u.done.as_deref().is_some_and(|d| d.trim().is_empty()) {
            diags.push(
                s.value_in_task(
                    i,
                    &[Key("user"), Key("done")],
                    format!("task `{}`: the done marker is empty", t.id),
                )
                .with_hint("leave `done` out for GOAL_REACHED"),
            );
        }
        if let Some(m) = &u.model
            && super::eval::is_baseline(m)
        {
            diags.push(
                s.value_in_task(
                    i,
                    &[Key("user"), Key("model")],
                    format!("task `{}`: the offline baseline cannot play the user", t.id),
                )
                .with_hint("name an LLM (e.g. `gpt-4o-mini` or `anthropic:claude-haiku-4-5`): the user must read the assistant's questions and answer them"),
            );
        }
    }
}

const REPEATS_HINT: &str = "the loop ends when one call (tool and arguments) has been made this many times: write 2 or more, or 0 to let a call repeat until `max_turns` (default 3)";

/// The run settings lie in their ranges.
fn check_settings(doc: &Document, file: &EvalFile, diags: &mut Vec<Diagnostic>) {
    if let Some(m) = file.min_accuracy
        && !(0.0..=1.0).contains(&m)
    {
        diags.push(
            doc.value(
                format!("`min_accuracy` is {m}; it must lie between 0 and 1"),
                &[Key("min_accuracy")],
            )
            .with_hint("write e.g. `min_accuracy: 0.8` for 80%"),
        );
    }
    if file.trials == Some(0) {
        diags.push(
            doc.value("`trials` must be at least 1", &[Key("trials")])
                .with_hint("write `trials: 1` for one answer per task, or more to measure how stable choices are"),
        );
    }
    for (field, value) in [
        ("max_turns", file.max_turns.map(|n| n as usize)),
        ("max_result_bytes", file.max_result_bytes),
    ] {
        if value == Some(0) {
            diags.push(
                doc.value(format!("`{field}` must be at least 1"), &[Key(field)])
                    .with_hint(format!(
                        "leave it out for the default ({})",
                        if field == "max_turns" { "8" } else { "16384" }
                    )),
            );
        }
    }
    if file.max_repeats == Some(1) {
        diags.push(
            doc.value(
                "`max_repeats: 1` would end every conversation at its first call",
                &[Key("max_repeats")],
            )
            .with_hint(REPEATS_HINT),
        );
    }
    if file.concurrency == Some(0) {
        diags.push(
            doc.value("`concurrency` must be at least 1", &[Key("concurrency")])
                .with_hint("write e.g. `concurrency: 4`"),
        );
    }
}

/// `rest` inside server `name` of an eval file.
fn in_server<'a>(name: &'a str, rest: &[Seg<'a>]) -> Vec<Seg<'a>> {
    [&[Key("servers"), Key(name)], rest].concat()
}

/// Loads one suite file and checks what needs no server.
pub(crate) fn load_suite(path: &Path) -> Result<LoadedSuite> {
    let source = read(
        path,
        "check the path; paths in an eval file are relative to that file",
    )?;
    suite_from_str(path, source)
}

/// Reads and checks a suite from its text; `path` names it in messages. Never panics, whatever
/// the text (a property test and a fuzz target hold it to that).
pub fn suite_from_str(path: &Path, source: String) -> Result<LoadedSuite> {
    let suite: Suite = parse_yaml(path, &source)?;
    let loaded = LoadedSuite {
        path: path.to_path_buf(),
        source,
        suite,
        places: OnceLock::new(),
    };
    let mut diags = Vec::new();
    if loaded.suite.tasks.is_empty() {
        let d = Diagnostic::new(path, "the suite has no tasks");
        diags.push(
            loaded
                .places()
                .at_value(d, &loaded.source, &[Key("tasks")])
                .with_hint("add a task with `id`, `prompt` and `expect`"),
        );
    }
    for (i, t) in loaded.suite.tasks.iter().enumerate() {
        let placeholder = t
            .prompt
            .contents()
            .position(|text| text.trim_start().starts_with(PLACEHOLDER));
        if let Some(m) = placeholder {
            let at: &[Seg] = match &t.prompt {
                Prompt::Text(_) => &[Key("prompt")],
                Prompt::Messages(_) => &[Key("prompt"), Index(m), Key("content")],
            };
            diags.push(
                loaded
                    .value_in_task(i, at, format!("task `{}` still has a placeholder prompt", t.id))
                    .with_hint("write the request a user would make; `tooleval init` leaves prompts starting with TODO for you"),
            );
        }
        if t.id.trim().is_empty() {
            diags.push(
                loaded
                    .value_in_task(i, &[Key("id")], "a task has an empty `id`")
                    .with_hint("give every task a short, stable id such as `logs-checkout-errors`"),
            );
        }
    }
    if !diags.is_empty() {
        return Err(Error::Input(diags));
    }
    Ok(loaded)
}

/// Every task id used a second time, in this eval's suites, pointed at where it is repeated.
fn check_unique_ids(suites: &[LoadedSuite]) -> Vec<Diagnostic> {
    let mut seen: HashMap<&str, &LoadedSuite> = HashMap::new();
    let mut diags = Vec::new();
    for s in suites {
        for (i, t) in s.suite.tasks.iter().enumerate() {
            match seen.get(t.id.as_str()) {
                Some(first) => diags.push(
                    s.value_in_task(i, &[Key("id")], format!("task id `{}` is used twice", t.id))
                        .with_hint(format!(
                            "ids must be unique across the eval; the first is in {}",
                            first.path.display()
                        )),
                ),
                None => {
                    seen.insert(&t.id, s);
                }
            }
        }
    }
    diags
}

/// `evals/../suites/x.yaml` -> `suites/x.yaml`, without touching the file system.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The judge model with `${VAR}` values read; an error when it is the offline baseline, or when
/// a task asks for a judge and the eval names none.
fn judge_config(
    doc: &Document,
    file: &EvalFile,
    suites: &[LoadedSuite],
    diags: &mut Vec<Diagnostic>,
) -> Option<ModelConfig> {
    let judged = suites.iter().find_map(|s| {
        s.suite
            .tasks
            .iter()
            .position(|t| t.judge.is_some() || t.turns().iter().any(|x| x.judge.is_some()))
            .map(|i| (s, i))
    });
    let Some(spec) = file.judge_model.clone() else {
        if let Some((s, i)) = judged {
            diags.push(
                s.key_in_task(
                    i,
                    &[Key("judge")],
                    format!(
                        "task `{}` asks for a judge, and the eval names no `judge_model`",
                        s.suite.tasks[i].id
                    ),
                )
                .with_hint("add `judge_model: NAME` (an LLM, as `model`) to the eval file"),
            );
        }
        return None;
    };
    extra_model(doc, spec, "judge_model", "judge answers", diags)
}

/// The model that plays simulated users: required when a task's `user` names none.
fn user_config(
    doc: &Document,
    file: &EvalFile,
    suites: &[LoadedSuite],
    diags: &mut Vec<Diagnostic>,
) -> Option<ModelConfig> {
    let Some(spec) = file.user_model.clone() else {
        let unnamed = suites.iter().find_map(|s| {
            s.suite
                .tasks
                .iter()
                .position(|t| t.user.as_ref().is_some_and(|u| u.model.is_none()))
                .map(|i| (s, i))
        });
        if let Some((s, i)) = unnamed {
            diags.push(
                s.key_in_task(
                    i,
                    &[Key("user")],
                    format!(
                        "task `{}` has a simulated user, and neither it nor the eval names the model that plays it",
                        s.suite.tasks[i].id
                    ),
                )
                .with_hint("add `user_model: NAME` (an LLM, as `model`) to the eval file, or `model: NAME` under the task's `user`"),
            );
        }
        return None;
    };
    extra_model(doc, spec, "user_model", "play the user", diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_suite_is_named_by_its_name_else_by_its_file() {
        let tasks = "tasks:\n  - { id: a, prompt: Show logs, expect: none }\n";
        let named = suite_from_str(Path::new("suites/a.yaml"), format!("name: shop\n{tasks}"));
        assert_eq!(named.unwrap().name(), "shop");
        let unnamed = suite_from_str(Path::new("suites/orders.yaml"), tasks.into());
        assert_eq!(unnamed.unwrap().name(), "orders");
    }

    #[test]
    fn a_server_s_type_must_agree_with_its_command_or_url() {
        let dir = tempfile::tempdir().unwrap();
        for (server, message) in [
            (
                "{ type: stdio, url: \"http://127.0.0.1:9/mcp\" }",
                "server `s` is `type: stdio` but has a `url`",
            ),
            (
                "{ type: http, command: tooleval }",
                "server `s` is `type: http` but has a `command`",
            ),
        ] {
            let text = format!("servers:\n  s: {server}\nsuites: []\n");
            let p = write(dir.path(), "e.yaml", &text);
            let Err(Error::Input(d)) = load_eval_servers(&p) else {
                panic!("{server} loaded")
            };
            assert!(d.iter().any(|d| d.message == message), "{d:#?}");
        }
    }

    #[test]
    fn reports_every_problem_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "s.yaml",
            "tasks:\n  - id: a\n    prompt: x\n    expect: none\n  - id: a\n    prompt: y\n    expect: none\n",
        );
        let eval = write(
            dir.path(),
            "e.yaml",
            "servers:\n  x: { command: \"${TOOLEVAL_TEST_UNSET_VAR}\" }\n  y: {}\nsuites: [s.yaml, missing.yaml]\nmin_accuracy: 2\n",
        );
        let Err(Error::Input(diags)) = load_eval(&eval) else {
            panic!("expected input errors")
        };
        let msgs: Vec<String> = diags
            .iter()
            .map(|d| format!("{}:{:?}: {}", d.file.display(), d.line, d.message))
            .collect();
        let all = msgs.join("\n");
        assert!(
            all.contains("`TOOLEVAL_TEST_UNSET_VAR` is not set"),
            "{all}"
        );
        assert!(
            all.contains("e.yaml:Some(3): server `y` has neither"),
            "{all}"
        );
        assert!(
            all.contains("suite") && all.contains("missing.yaml` does not exist"),
            "{all}"
        );
        assert!(
            all.contains("s.yaml:Some(5): task id `a` is used twice"),
            "{all}"
        );
        assert!(all.contains("e.yaml:Some(5): `min_accuracy` is 2"), "{all}");
        assert_eq!(diags.len(), 5, "{all}");
    }

    /// `models` entries start from `model`; an entry of another provider, even `openai` written
    /// out, takes neither its URL nor its key; `--model` starts from `model`, not an entry.
    #[test]
    fn a_matrix_entry_keeps_the_model_s_key_and_url_unless_it_gives_its_own_read_from_the_environment()
     {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "s.yaml",
            "tasks:\n  - { id: a, prompt: x, expect: none }\n",
        );
        // Cargo sets CARGO_PKG_VERSION for the tests it runs (too short to be kept as a secret).
        let version = std::env::var("CARGO_PKG_VERSION").expect("run by cargo");
        let eval = write(
            dir.path(),
            "e.yaml",
            "servers:\n  x: { command: tooleval }\nsuites: [s.yaml]\n\
             model: { name: m0, api_key: sk-shared, base_url: \"http://127.0.0.1:9/v1\" }\n\
             models:\n  - { name: m1, temperature: 0.1 }\n  - { name: m2, api_key: \"k-${CARGO_PKG_VERSION}\", base_url: \"http://127.0.0.1:9/${CARGO_PKG_VERSION}\" }\n  - { name: m1, provider: anthropic }\n",
        );
        let e = load_eval(&eval).unwrap();
        let m = &e.models;
        assert_eq!(m.len(), 3, "one name on two providers is two models");
        assert_eq!(m[0].api_key.as_deref(), Some("sk-shared"));
        assert_eq!(m[0].base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
        assert_eq!(
            m[1].api_key.as_deref(),
            Some(format!("k-{version}").as_str())
        );
        assert_eq!(
            m[1].base_url.as_deref(),
            Some(format!("http://127.0.0.1:9/{version}").as_str())
        );
    }

    #[test]
    fn matrix_entries_are_laid_over_the_model() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "s.yaml",
            "tasks:\n  - id: a\n    prompt: x\n    expect: none\n",
        );
        let eval = write(
            dir.path(),
            "e.yaml",
            "servers:\n  x: { command: tooleval }\nsuites: [s.yaml]\n\
             model: { name: claude-sonnet-4-5, provider: anthropic, api_key: sk-ant, base_url: \"http://127.0.0.1:9/a\", temperature: 0.5 }\n\
             models:\n  - claude-haiku-4-5\n  - { name: local, provider: openai, base_url: \"http://127.0.0.1:11434/v1\" }\n  - { name: gemini-2.5-flash, provider: gemini }\n",
        );
        let e = load_eval(&eval).unwrap();
        let m = &e.models;
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[0].name.as_str(), m[0].provider(), m[0].api_key.as_deref()),
            (
                "claude-haiku-4-5",
                super::super::Provider::Anthropic,
                Some("sk-ant")
            )
        );
        assert_eq!(m[0].temperature, Some(0.5));
        assert_eq!(m[1].provider(), super::super::Provider::Openai);
        assert_eq!(m[1].api_key, None, "the Anthropic key stays with Anthropic");
        assert_eq!(m[1].base_url.as_deref(), Some("http://127.0.0.1:11434/v1"));
        assert_eq!(m[1].temperature, Some(0.5));
        assert_eq!(
            (m[2].api_key.as_deref(), m[2].base_url.as_deref()),
            (None, None)
        );
        assert_eq!(e.model.name, "claude-haiku-4-5");
        assert_eq!(e.model_defaults.name, "claude-sonnet-4-5");
        // An entry unsets what it takes from `model` with `null`, and turns a switch off.
        let unset = write(
            dir.path(),
            "u.yaml",
            "servers:\n  x: { command: tooleval }\nsuites: [s.yaml]\n\
             model: { name: claude-sonnet-4-5, provider: anthropic, temperature: 0.5, recover_text_calls: true }\n\
             models:\n  - { name: claude-opus-4-7, temperature: null, recover_text_calls: false }\n  - claude-haiku-4-5\n",
        );
        let u = load_eval(&unset).unwrap();
        assert_eq!(
            (u.models[0].temperature, u.models[0].recover_text_calls),
            (None, false)
        );
        assert_eq!(
            (u.models[1].temperature, u.models[1].recover_text_calls),
            (Some(0.5), true)
        );
        // `--model` twice: from `model`, not from the first entry.
        let mut e = e;
        super::super::Overrides {
            models: vec!["claude-opus-4-5".into(), "gpt-4o".into()],
            ..Default::default()
        }
        .apply(&mut e)
        .unwrap();
        let names: Vec<(&str, Option<&str>)> = e
            .models
            .iter()
            .map(|m| (m.name.as_str(), m.base_url.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("claude-opus-4-5", Some("http://127.0.0.1:9/a")),
                ("gpt-4o", Some("http://127.0.0.1:9/a"))
            ]
        );
    }

    #[test]
    fn unknown_field_gets_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "s.yaml",
            "tasks:\n  - id: a\n    promt: x\n    expect: none\n",
        );
        let Err(Error::Input(d)) = load_suite(&p) else {
            panic!()
        };
        assert_eq!(d[0].line, Some(3));
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `prompt`?"));
        assert!(!d[0].message.contains("at line"), "{}", d[0].message);
    }

    #[test]
    fn normalizes_paths_lexically() {
        assert_eq!(
            normalize(Path::new("evals/../suites/a.yaml")),
            PathBuf::from("suites/a.yaml")
        );
        assert_eq!(normalize(Path::new("./x/./y")), PathBuf::from("x/y"));
        assert_eq!(normalize(Path::new("../up")), PathBuf::from("../up"));
        assert_eq!(normalize(Path::new("/a/b/../c")), PathBuf::from("/a/c"));
    }
}
