//! Models: the OpenAI-compatible client, the offline baseline, how replies are read, and what
//! wraps a model (retries, rate limits, the response cache).

mod anthropic;
mod baseline;
mod budget;
mod cache;
mod gemini;
mod http;
mod limit;
mod openai;
pub(crate) mod prompt_cache;
mod reply;
#[cfg(any(test, feature = "testing"))]
pub mod scripted;
mod transport;

use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub(crate) use anthropic::with_tool_search;
pub(crate) use baseline::Baseline;
pub(crate) use budget::{Budgeted, RequestBudget};
pub(crate) use cache::{
    CacheMode, CacheSettings, CachedModel, cache_key, cache_stats, default_cache_dir, prune_cache,
    read_recorded, write_recorded,
};
pub(crate) use http::DEFAULT_MAX_RETRIES;
pub(crate) use limit::RateLimiter;
pub(crate) use reply::{parse_reply_body, recover_text_calls};

use crate::config::{Message, ModelConfig, Provider};
use crate::error::Result;
use crate::mcp::ToolSet;
pub(crate) use crate::record::OutputFormat;
use crate::record::{ModelInfo, Usage};

/// One request: the conversation and the tools offered.
#[derive(Debug, Clone)]
pub(crate) struct ModelRequest {
    pub messages: Vec<Message>,
    /// The text of the user's messages (what the baseline ranks against).
    pub user_text: String,
    pub tools: Arc<ToolSet>,
    /// The tools in the chat API's form, serialized once per run (not once per request).
    pub api_tools: Arc<Box<serde_json::value::RawValue>>,
    /// 0-based trial index.
    pub trial: u32,
    /// The task's id, for messages (a replay miss names it).
    pub task: String,
    /// The conversation so far in agent mode: each earlier reply with what its calls returned.
    /// Empty in single-turn mode, where the request is the task's messages alone.
    pub exchanges: Vec<Exchange>,
    /// A reply shaped by this schema, asked of the API in its own way (a judge's verdict, a
    /// writer's descriptions); no tool is offered with it.
    pub output: Option<Arc<OutputSchema>>,
    /// What a host adds to the system prompt (the servers' instructions, the names of deferred
    /// tools), after the task's or the eval's own.
    pub host_system: Option<Arc<str>>,
    /// The host's search tool among `tools`, when the tools are deferred behind it.
    pub search: Option<Arc<SearchOffer>>,
}

/// A deferring host's search tool, as a model may need to know it (the offline baseline calls
/// it with the prompt's words before it chooses).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchOffer {
    /// Its name, as offered.
    pub name: String,
    /// The argument that holds the query.
    pub query: String,
}

/// The JSON a reply should be, for APIs that can hold a model to a schema: OpenAI-compatible
/// `response_format` (`json_schema`, strict), a tool Anthropic is made to call, Gemini's
/// `responseSchema`. The schema meets OpenAI's strict rules (every property required, no other
/// properties), which the others accept too.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutputSchema {
    /// `^[a-zA-Z0-9_-]{1,64}$`: OpenAI's rule for `json_schema.name`, and a valid tool name.
    pub name: String,
    pub description: String,
    pub schema: serde_json::Value,
}

/// One earlier turn of an agent conversation: what the model said and called, and what each
/// call returned (fed back as one `tool` message per call).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Exchange {
    pub content: Option<String>,
    pub calls: Vec<ExchangedCall>,
    /// What the user said next, after the results (a conversation's next turn); with no
    /// calls, `content` is the answer it follows.
    pub user: Option<String>,
}

/// A call of an earlier turn and its result as the model is shown it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExchangedCall {
    /// The call's id (the model's, or one given when it sent none).
    pub id: String,
    /// The name as the model wrote it.
    pub name: String,
    /// The arguments as the model wrote them.
    pub arguments: String,
    /// The result's text (or the error's), capped.
    pub result: String,
    /// The call failed: `result` is the error's text.
    pub is_error: bool,
    /// The id is the model's own (false: the model sent none and was given one, which APIs
    /// that number calls themselves are not sent back).
    pub id_from_model: bool,
    /// The call's [`RawCall::signature`], sent back with it.
    pub signature: Option<String>,
}

impl ModelRequest {
    /// A request for text held to `output`, offering no tool: the standing instructions and
    /// one user message (what a writer is asked).
    pub(crate) fn written(system: &str, user: String, task: String, output: OutputSchema) -> Self {
        let messages = vec![
            Message {
                role: crate::config::Role::System,
                content: system.to_owned(),
            },
            Message {
                role: crate::config::Role::User,
                content: user.clone(),
            },
        ];
        let mut req = ModelRequest::new(messages, user, Arc::new(ToolSet::default()), 0);
        req.task = task;
        req.output = Some(Arc::new(output));
        req
    }

    /// The conversation of `self` followed by the model's `reply` and a new user message, held
    /// to the same form (a writer told why its reply was rejected).
    pub(crate) fn follow_up(&self, reply: &str, user: String) -> Self {
        let mut messages = self.messages.clone();
        messages.push(Message {
            role: crate::config::Role::Assistant,
            content: reply.to_owned(),
        });
        messages.push(Message {
            role: crate::config::Role::User,
            content: user.clone(),
        });
        let mut req = ModelRequest::new(messages, user, Arc::new(ToolSet::default()), 0);
        req.task = self.task.clone();
        req.output = self.output.clone();
        req
    }

    pub(crate) fn new(
        messages: Vec<Message>,
        user_text: String,
        tools: Arc<ToolSet>,
        trial: u32,
    ) -> Self {
        let api_tools = Arc::new(tools.to_openai_json());
        ModelRequest {
            messages,
            user_text,
            tools,
            api_tools,
            trial,
            task: String::new(),
            exchanges: Vec::new(),
            output: None,
            host_system: None,
            search: None,
        }
    }
}

/// A tool call as the model wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RawCall {
    pub name: String,
    /// The arguments as a JSON text (possibly malformed).
    pub arguments: String,
    /// Recovered from the reply's text rather than read from `tool_calls`.
    #[serde(default)]
    pub recovered: bool,
    /// The id the API gave the call, which the result's `tool` message refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the API asks to get back with the call when the conversation goes on (Gemini's
    /// `thoughtSignature`, an opaque token of the model's thinking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// A model's reply, read leniently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModelReply {
    pub content: Option<String>,
    pub tool_calls: Vec<RawCall>,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
    /// Remarks a person should see next to the outcome.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Attempts that failed and were retried before this reply.
    #[serde(default, skip_serializing)]
    pub retries: u32,
    /// Whether the reply came from the response cache.
    #[serde(default, skip_serializing)]
    pub cached: bool,
    /// How the request's [`OutputSchema`] was asked for, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<OutputFormat>,
    /// Searches the API ran itself (Anthropic's tool search): each query and the tools it
    /// returned, by the names sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_searches: Vec<ServerSearch>,
}

/// A search an API ran on its own side within one reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ServerSearch {
    pub query: String,
    pub returned: Vec<String>,
    /// The API's error code, when the search failed (`invalid_tool_input`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a failed request may be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    /// Worth another attempt: HTTP 429, 5xx, a timeout, a dropped connection.
    Transient,
    /// No retry can cure it and every other request would fail alike: a refused key, an unknown
    /// model, an unreachable server, a replay miss. The run stops.
    Fatal,
    /// This request failed; others may not.
    Other,
}

/// Why a request produced no reply. Always an infrastructure problem, never a model failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ModelError {
    pub message: String,
    /// The HTTP status, when the server answered with one.
    pub status: Option<u16>,
    pub kind: ErrorKind,
    /// What the server asked for in `Retry-After`.
    pub retry_after: Option<std::time::Duration>,
    /// Attempts that failed before this error.
    pub retries: u32,
    /// What to do about a fatal error.
    pub hint: Option<String>,
}

impl ModelError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ModelError {
            message: message.into(),
            status: None,
            kind,
            retry_after: None,
            retries: 0,
            hint: None,
        }
    }
}

/// Anything that answers chat requests with tool calls.
pub(crate) trait Model: Send + Sync {
    /// Who this model is, for the report. Never includes credentials.
    fn info(&self) -> ModelInfo;
    fn complete<'a>(
        &'a self,
        req: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<ModelReply, ModelError>>;
    /// A key for the response cache covering everything that can change the answer, or `None`
    /// for models not worth caching (the offline baseline).
    fn cache_key(&self, _req: &ModelRequest) -> Option<String> {
        None
    }
    /// Requests to this model's API each take one of `slots` while on the wire (not while the
    /// rate limits or a backoff hold them back): models asked at once share a bound on the
    /// requests in flight.
    fn share_slots(&self, _slots: Arc<tokio::sync::Semaphore>) {}
    /// The tools in the form this model's API takes, serialized once per run and sent as they
    /// are with every request.
    fn api_tools(&self, tools: &ToolSet) -> Box<serde_json::value::RawValue> {
        tools.to_openai_json()
    }
    /// The schemas as this model's API is sent them, where they differ from the servers' own
    /// (for the report).
    fn converted(&self, _tools: &ToolSet) -> Option<crate::mcp::Converted> {
        None
    }
}

pub(crate) use crate::config::is_baseline;

/// A backstop above a model's own limits: every attempt may take its timeout (`default_secs`
/// unless the config sets one) and wait the longest backoff before the next.
pub(crate) fn request_backstop(config: &ModelConfig, default_secs: u64) -> std::time::Duration {
    let attempts = u64::from(config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)) + 1;
    std::time::Duration::from_secs(
        (config.timeout_secs.unwrap_or(default_secs) + 30) * attempts + 5,
    )
}

/// The model an eval asks for, with the response cache around it.
pub(crate) fn from_config(config: &ModelConfig, cache: &CacheSettings) -> Result<Arc<dyn Model>> {
    from_config_budgeted(config, cache, None, None)
}

/// The model an eval asks for, its requests to the API (not the cache's replies, not the
/// offline baseline's) counted against `budget`, and each reply's cost at `price` against the
/// budget's dollars.
pub(crate) fn from_config_budgeted(
    config: &ModelConfig,
    cache: &CacheSettings,
    budget: Option<Arc<RequestBudget>>,
    price: Option<crate::record::Price>,
) -> Result<Arc<dyn Model>> {
    if is_baseline(&config.name) {
        return Ok(Arc::new(Baseline::new(config.baseline_threshold)));
    }
    let replay = cache.mode == CacheMode::Replay;
    let mut model: Arc<dyn Model> = match config.provider() {
        Provider::Openai => Arc::new(openai::new(config, replay)?),
        Provider::Anthropic => Arc::new(anthropic::new(config, replay)?),
        Provider::Gemini => Arc::new(gemini::new(config, replay)?),
    };
    if let Some(budget) = budget {
        model = Arc::new(Budgeted {
            inner: model,
            budget,
            price,
        });
    }
    Ok(match cache.mode {
        CacheMode::Off => model,
        mode => Arc::new(CachedModel::new(model, cache.dir.clone(), mode)),
    })
}
