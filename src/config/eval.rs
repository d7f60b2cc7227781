//! The eval file: which servers, which model, which suites, how many trials.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// An eval: what to run. Paths are relative to the eval file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvalFile {
    /// MCP servers by name, in the shape of the `mcpServers` entries of MCP clients' mcp.json.
    /// Their tools are offered to the model in this order.
    pub servers: IndexMap<String, ServerSpec>,
    /// The model: a name, or a mapping. Omitted, or `baseline`: the offline lexical baseline (not an LLM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelSpec>,
    /// Several models, each asked the whole suite in one run (a model matrix): one report per
    /// model and a combined summary. Each entry is a name or a mapping, as `model`, laid over
    /// `model` (which then holds what the entries share, e.g. `temperature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<ModelSpec>>,
    /// How a host presents the tools to the model: a built-in profile (`raw`, the default: the
    /// API itself; `claude-code`, `vscode`, `cursor`, `copilot-cli`) or a profile file, relative
    /// to this file. docs/hosts.md says what each does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Several hosts, each presenting the tools to the same model in one run (a host matrix):
    /// one report per host and a combined summary. Instead of `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Suite files, relative to this file.
    pub suites: Vec<PathBuf>,
    /// How many times each task is asked (default 1). Repeated trials measure how stable a choice is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub trials: Option<u32>,
    /// How many requests may be in flight at once (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub concurrency: Option<usize>,
    /// The full-call accuracy (0 to 1) the run must reach; below it, `tooleval run` exits with 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_accuracy: Option<f64>,
    /// A report to compare each run with (relative to this file), e.g. a baseline kept in git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<PathBuf>,
    /// The lowest recall (0 to 1) any tool may have, for `--fail-on tool-floor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub tool_floor: Option<f64>,
    /// The most tokens the whole tool set may cost per request; the gate (`token-budget`) and
    /// `tooleval lint` check it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_tokens: Option<usize>,
    /// The tokenizer for token counts (default `o200k_base`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<crate::tokens::Encoding>,
    /// Tuning for `tooleval lint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<LintConfig>,
    /// How tasks run unless their suite or they say otherwise: `single` (default; one reply is
    /// scored, no tool runs) or `agent` (the calls of each reply run or are mocked, their results
    /// go back to the model, until it answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<super::Mode>,
    /// Agent mode: the most turns (model replies) a conversation may take (default 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_turns: Option<u32>,
    /// Agent mode: the loop ends when the model makes the same call (tool and arguments) this
    /// many times, each after seeing the result of the last (default 3; 0: never). Suites and
    /// tasks may set their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_repeats: Option<u32>,
    /// Agent mode: the most bytes of one tool result fed back to the model (default 16384);
    /// a longer result is cut, and the report says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_result_bytes: Option<usize>,
    /// Agent mode: tools that may run although they are not annotated `readOnlyHint: true`.
    /// A tool annotated `destructiveHint: true` also needs `--allow-destructive`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_tools: Vec<String>,
    /// Agent mode: mocked tool results for every task, by tool (suites' and tasks' mocks of a tool
    /// replace these). A mocked tool is never called on its server.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub mocks: super::Mocks,
    /// Agent mode: the model that grades final answers against tasks' `judge` rubrics (a name
    /// or a mapping, as `model`); never the offline baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_model: Option<ModelSpec>,
    /// The model `tooleval improve` asks for new descriptions (a name or a mapping, as
    /// `model`; default: `model`); never the offline baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer_model: Option<ModelSpec>,
    /// The model that plays the user of tasks with a simulated `user` (a name or a mapping, as
    /// `model`); never the offline baseline. A task's `user.model` renames it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_model: Option<ModelSpec>,
    /// The most a run may cost, in US dollars (`--max-cost` overrides it): a run estimated
    /// above it does not start, one that reaches it stops, writing what it has. Every model
    /// asked counts: a matrix's, the judge, simulated users, `improve`'s writer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_cost: Option<f64>,
}

/// Lint settings: rules to switch off, and thresholds.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LintConfig {
    /// Rule ids to switch off (see `tooleval lint --help`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
    /// A description shorter than this is `description-short` (default 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_description_chars: Option<usize>,
    /// This many tools sharing a name prefix is `shared-prefix` (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_prefix_count: Option<usize>,
    /// Description similarity (0 to 1) from which a pair is `similar-descriptions` (default 0.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub similarity_threshold: Option<f64>,
    /// A tool definition costing more tokens than this is `tool-tokens` (default 800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_per_tool: Option<usize>,
}

/// How to reach one MCP server: `command` (stdio child process) or `url` (streamable HTTP).
/// `${VAR}` in any value is read from the environment.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerSpec {
    /// The transport, as mcp.json files write it: `stdio` goes with `command`, `http` or
    /// `streamable-http` with `url`. Inferred when omitted.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// The program to start. `tooleval` names the running tooleval executable (for `tooleval demo-server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Arguments of `command`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment variables for `command`, added to tooleval's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Working directory of `command`, relative to the eval file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// The server's streamable HTTP endpoint, e.g. `http://127.0.0.1:3001/mcp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// HTTP headers sent with every request, e.g. `Authorization: Bearer ${TOKEN}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Seconds to wait for the server to start and list its tools, and (agent mode) for each
    /// tool call (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout_secs: Option<u64>,
    /// Agent mode, stdio servers: `run` (default) shares one process by every trial; `trial`
    /// starts a fresh process for each trial (for stateful servers, such as a memory or git
    /// server, when writes are allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate: Option<Isolate>,
}

/// How trials share a stdio server's process in agent mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Isolate {
    /// One process for the whole run.
    #[default]
    Run,
    /// A fresh process for each trial, stopped when the trial ends.
    Trial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Transport {
    Stdio,
    Http,
    StreamableHttp,
    /// The deprecated HTTP+SSE transport: accepted here only to say it is not supported.
    Sse,
}

/// The model and how to ask it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelConfig {
    /// The model name sent to the API (e.g. `gpt-4o-mini`, `claude-sonnet-4-5`,
    /// `gemini-2.5-flash`, `qwen2.5:7b`), or `baseline`.
    pub name: String,
    /// The API the model is asked through: `openai` (any OpenAI-compatible chat API, the
    /// default), `anthropic` (the Messages API) or `gemini` (`generateContent`). Never guessed
    /// from the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// The API's base URL. Default: `OPENAI_BASE_URL` else OpenAI's (including `/v1`);
    /// `ANTHROPIC_BASE_URL` else Anthropic's; `GEMINI_BASE_URL` else Gemini's (including
    /// `/v1beta`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The API key. Write `${SOME_VAR}`; never the key itself. Default: `OPENAI_API_KEY`,
    /// `ANTHROPIC_API_KEY` or `GEMINI_API_KEY`, by provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// A seed, for providers that honor it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// The most tokens a reply may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `auto`, `required` or `none`; sent only when set (APIs then take `auto`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools in one reply (sent only when set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// A system message put before every prompt that has none of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Seconds a request may take before the trial ends as an error (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout_secs: Option<u64>,
    /// Gemini only: how tool schemas are sent. `convert` (the default): as `parameters`, in
    /// Gemini's subset of the OpenAPI Schema, each change recorded in the report and listed by
    /// `lint --provider gemini`. `json_schema`: as `parametersJsonSchema`, the server's JSON
    /// Schema as it is (no conversion; which keywords the API honours there is not documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaForm>,
    /// Recover tool calls that a model wrote as JSON in its text instead of `tool_calls`;
    /// such calls are marked as recovered. Off: they score as `no_call` with a note.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recover_text_calls: bool,
    /// How often a request that failed transiently (HTTP 429, 5xx, a timeout, a dropped
    /// connection) is tried again, with exponential backoff honoring `Retry-After` (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// At most this many requests per minute, shared by all workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub requests_per_minute: Option<u32>,
    /// At most about this many tokens per minute (estimated from the request), shared by all workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub tokens_per_minute: Option<u32>,
    /// Baseline only: the lowest relevance score at which it calls a tool (default 1.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_threshold: Option<f64>,
    /// Anthropic only: mark the tools and the system prompt as a prefix for the provider's
    /// prompt cache (`cache_control` breakpoints), so requests after the first read them at the
    /// cached price (default true). OpenAI-compatible APIs and Gemini cache a repeated prefix
    /// on their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<bool>,
    /// What the model's tokens cost, in US dollars per million (`input`, `output`, and
    /// optionally `cached_input` and `cache_write`); default: `--prices`, else the shipped price
    /// table (LiteLLM's), else unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<super::prices::PriceSpec>,
}

impl ModelConfig {
    /// The API the model is asked through: `provider`, else the OpenAI-compatible one.
    pub(crate) fn provider(&self) -> Provider {
        self.provider.unwrap_or_default()
    }

    /// This model renamed (`--model`, a simulated user's `model`): `NAME` keeps its provider and
    /// settings (not its `price`: another model's); `PROVIDER:NAME` (one of the three provider
    /// names, then a colon) asks that provider, keeping the settings but not where the model is
    /// or its key when the provider changes.
    pub(crate) fn named(&self, arg: &str) -> ModelConfig {
        let mut m = self.clone();
        let prefixed = Provider::ALL.into_iter().find_map(|p| {
            arg.strip_prefix(p.as_str())
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|name| (p, name))
        });
        match prefixed {
            Some((p, name)) => {
                if p != m.provider() {
                    m.base_url = None;
                    m.api_key = None;
                }
                m.provider = Some(p);
                m.name = name.to_owned();
            }
            None => m.name = arg.to_owned(),
        }
        // A price is the named model's own: another model's tokens cost what its own price says.
        if m.name != self.name {
            m.price = None;
        }
        m
    }
}

/// Whether a configured model name means the offline baseline.
pub(crate) fn is_baseline(name: &str) -> bool {
    name.is_empty() || name.eq_ignore_ascii_case("baseline")
}

/// The model: a name, or the full mapping.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum ModelSpec {
    Name(String),
    Config(Box<ModelConfig>),
}

impl ModelSpec {
    pub(crate) fn into_config(self) -> ModelConfig {
        match self {
            ModelSpec::Name(name) => ModelConfig {
                name,
                ..ModelConfig::default()
            },
            ModelSpec::Config(c) => *c,
        }
    }
}

impl<'de> Deserialize<'de> for ModelSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ModelSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a model name, or a mapping with `name`, `base_url`, `api_key`, ...")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModelSpec, E> {
                Ok(ModelSpec::Name(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ModelSpec, A::Error> {
                ModelConfig::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|c| ModelSpec::Config(Box::new(c)))
            }
        }
        d.deserialize_any(V)
    }
}

/// The API a model is asked through.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Any OpenAI-compatible chat-completions API (OpenAI, OpenRouter, vLLM, Ollama...).
    #[default]
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
    /// Google's Gemini API (`generateContent`).
    Gemini,
}

impl Provider {
    pub(crate) const ALL: [Provider; 3] = [Provider::Openai, Provider::Anthropic, Provider::Gemini];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Provider::Openai => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Gemini => "gemini",
        }
    }

    /// The name a person knows the API by.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Provider::Openai => "OpenAI-compatible API",
            Provider::Anthropic => "Anthropic",
            Provider::Gemini => "Gemini",
        }
    }

    /// The variable the key comes from unless the eval names one.
    pub(crate) fn key_var(self) -> &'static str {
        match self {
            Provider::Openai => "OPENAI_API_KEY",
            Provider::Anthropic => "ANTHROPIC_API_KEY",
            Provider::Gemini => "GEMINI_API_KEY",
        }
    }

    /// The variable the base URL comes from unless the eval names one.
    pub(crate) fn base_url_var(self) -> &'static str {
        match self {
            Provider::Openai => "OPENAI_BASE_URL",
            Provider::Anthropic => "ANTHROPIC_BASE_URL",
            Provider::Gemini => "GEMINI_BASE_URL",
        }
    }

    /// The provider's own API.
    pub(crate) const fn default_base_url(self) -> &'static str {
        match self {
            Provider::Openai => "https://api.openai.com/v1",
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::Gemini => "https://generativelanguage.googleapis.com/v1beta",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Provider {
    type Err = String;

    fn from_str(s: &str) -> Result<Provider, String> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a provider: use openai, anthropic or gemini"))
    }
}

/// How a provider that takes another form of schema is sent the tools' (Gemini).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SchemaForm {
    /// Converted to the provider's form, every change recorded.
    #[default]
    Convert,
    /// The server's JSON Schema as it is (Gemini's `parametersJsonSchema`).
    JsonSchema,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ToolChoice {
    Auto,
    Required,
    None,
}

impl ToolChoice {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ToolChoice::Auto => "auto",
            ToolChoice::Required => "required",
            ToolChoice::None => "none",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_is_named_baseline_or_nothing() {
        for name in ["", "baseline", "Baseline", "BASELINE"] {
            assert!(is_baseline(name), "{name:?}");
        }
        for name in ["gpt-4o", "baseline-2", " baseline"] {
            assert!(!is_baseline(name), "{name:?}");
        }
    }

    #[test]
    fn a_model_is_a_name_or_a_mapping() {
        let spec: ModelSpec = serde_saphyr::from_str("gpt-4o-mini").unwrap();
        assert_eq!(spec.into_config().name, "gpt-4o-mini");
        let spec: ModelSpec =
            serde_saphyr::from_str("{ name: claude, provider: anthropic }").unwrap();
        let c = spec.into_config();
        assert_eq!(
            (c.name.as_str(), c.provider()),
            ("claude", Provider::Anthropic)
        );
        let err = serde_saphyr::from_str::<ModelSpec>("[1, 2]")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a model name, or a mapping with `name`, `base_url`, `api_key`"),
            "{err}"
        );
    }

    #[test]
    fn providers_and_tool_choices_read_and_write_as_the_files_name_them() {
        for p in Provider::ALL {
            let named = serde_json::to_value(p).unwrap();
            assert_eq!(named, p.as_str());
            assert_eq!(p.to_string(), p.as_str());
            assert_eq!(p.as_str().parse::<Provider>(), Ok(p));
        }
        assert_eq!(
            "open-ai".parse::<Provider>(),
            Err("`open-ai` is not a provider: use openai, anthropic or gemini".to_owned())
        );
        for c in [ToolChoice::Auto, ToolChoice::Required, ToolChoice::None] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
