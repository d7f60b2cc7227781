//! A scripted chat server on 127.0.0.1, answering each prompt from a script. The test suite and
//! benchmarks use it as the model: real HTTP, known answers, no network.
//!
//! One server (one listener, one script, one set of counters) speaks three dialects:
//! - OpenAI chat completions: `POST /v1/chat/completions` (clients use [`ScriptedServer::url`]);
//! - Anthropic Messages: `POST /v1/messages` (clients use [`ScriptedServer::base`]);
//! - Gemini `generateContent`: `POST /v1beta/models/{model}:generateContent` (clients use
//!   [`ScriptedServer::base`] followed by `/v1beta`).
//!
//! The Anthropic and Gemini routes check the key, headers and body as the real APIs document
//! them and answer a mistake with the real API's status and error shape, so a client bug fails
//! here as it would there. The OpenAI route checks nothing (it is what the suite always used).
//! Each request is read into one neutral view (the last user text, the tools offered, the turn,
//! the tool results sent back) that the script's rules match, whatever the dialect.

use std::borrow::Cow;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Rules tried in order; the first whose `when` occurs in the last user message answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Script {
    pub rules: Vec<Rule>,
    /// Delay before every answer (latency injection), in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
    /// Keep no request's key or body (`keys` and `bodies` stay empty): a benchmark's server
    /// answers hundreds of thousands and should not hold them.
    #[serde(default)]
    pub forget_requests: bool,
    /// Answer every request that asks for structured output (`response_format` other than
    /// `text`, a forced `tool_choice`, a `responseSchema`) with this status and body, as a model
    /// or server without the feature does; the same request as plain text is answered by the
    /// rules.
    #[serde(default)]
    pub refuse_structured: Option<(u16, String)>,
    /// Keep a prompt cache as the provider does and report its reads and writes in each
    /// reply's usage (`model::prompt_cache`); off, usage is a fixed 100 input and 10 output
    /// tokens.
    #[serde(default)]
    pub prompt_cache: bool,
    /// OpenAI-compatible replies: every reply says it took these input and output tokens (a
    /// costly model, to reach a cost cap quickly).
    #[serde(default)]
    pub usage: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    /// A substring of the last user message; empty matches every prompt.
    pub when: String,
    /// When set, the rule applies only if the request's tool definitions contain this text (so a
    /// script can answer differently under another description).
    #[serde(default)]
    pub tools_contain: Option<String>,
    /// When set, the rule applies only if the request offers at most this many tools (so a script
    /// can degrade as tool sets grow).
    #[serde(default)]
    pub max_tools: Option<usize>,
    /// When set, the rule applies only at this turn of an agent conversation (1 for the first
    /// request, 2 after one reply with calls, ...).
    #[serde(default)]
    pub turn: Option<usize>,
    /// When set, the rule applies only if a tool result sent back (a `tool` message, a
    /// `tool_result` block, a `functionResponse` part) contains this text.
    #[serde(default)]
    pub results_contain: Option<String>,
    pub reply: Scripted,
}

/// What the server answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scripted {
    /// Tool calls: (name, arguments as a JSON text, possibly malformed).
    Calls(Vec<(String, String)>),
    /// A plain text answer, no tool call.
    Text(String),
    /// An HTTP error status with this body.
    Status(u16, String),
    /// A 200 answer with this body, verbatim (e.g. malformed JSON).
    Raw(String),
    /// Never answer.
    Hang,
    /// A 200 answer with this JSON body as it is (e.g. a reply missing optional fields).
    Body(Value),
    /// An HTTP status with these headers (e.g. `Retry-After`) and body.
    StatusWithHeaders(u16, Vec<(String, String)>, String),
    /// The n-th request this rule answers gets the n-th reply (the last one from then on).
    Sequence(Vec<Scripted>),
    /// This reply after a pause of so many milliseconds.
    Delay(u64, Box<Scripted>),
}

impl Rule {
    /// A rule for prompts containing `when`, with no other condition.
    pub fn new(when: &str, reply: Scripted) -> Rule {
        Rule {
            when: when.into(),
            tools_contain: None,
            max_tools: None,
            turn: None,
            results_contain: None,
            reply,
        }
    }
}

impl Script {
    pub fn rule(mut self, when: &str, reply: Scripted) -> Self {
        self.rules.push(Rule::new(when, reply));
        self
    }

    /// A rule that applies only when the tool definitions sent contain `text`.
    pub fn rule_if_tools(mut self, when: &str, text: &str, reply: Scripted) -> Self {
        self.rules.push(Rule {
            tools_contain: Some(text.into()),
            ..Rule::new(when, reply)
        });
        self
    }

    /// A rule that applies only when the request offers at most `n` tools.
    pub fn rule_if_at_most(mut self, when: &str, n: usize, reply: Scripted) -> Self {
        self.rules.push(Rule {
            max_tools: Some(n),
            ..Rule::new(when, reply)
        });
        self
    }

    /// A rule for turn `turn` (1-based) of an agent conversation.
    pub fn at_turn(mut self, when: &str, turn: usize, reply: Scripted) -> Self {
        self.rules.push(Rule {
            turn: Some(turn),
            ..Rule::new(when, reply)
        });
        self
    }

    /// A rule that applies once a tool result sent back contains `text`.
    pub fn after_result(mut self, when: &str, text: &str, reply: Scripted) -> Self {
        self.rules.push(Rule {
            results_contain: Some(text.into()),
            ..Rule::new(when, reply)
        });
        self
    }

    /// Keep a prompt cache and report it in usage (see `prompt_cache`).
    pub fn with_prompt_cache(mut self) -> Self {
        self.prompt_cache = true;
        self
    }

    /// Every OpenAI-compatible reply says it took `input` and `output` tokens (see `usage`).
    pub fn with_usage(mut self, input: u64, output: u64) -> Self {
        self.usage = Some((input, output));
        self
    }

    /// Refuse structured output as a model without it does (see `refuse_structured`).
    pub fn refusing_structured(mut self, status: u16, body: &str) -> Self {
        self.refuse_structured = Some((status, body.into()));
        self
    }

    /// A rule answering with one call.
    pub fn call(self, when: &str, tool: &str, args: Value) -> Self {
        self.rule(when, Scripted::Calls(vec![(tool.into(), args.to_string())]))
    }
}

/// The refusal of a request that asks for structured output, when the script refuses it.
fn refusal(shared: &Shared) -> Option<Response> {
    let (status, body) = shared.script.refuse_structured.as_ref()?;
    Some(
        (
            StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST),
            [("content-type", "application/json")],
            body.clone(),
        )
            .into_response(),
    )
}

/// One request as it arrived: the API key it carried and its body.
struct Seen {
    key: String,
    body: Bytes,
}

struct Shared {
    script: Script,
    requests: AtomicUsize,
    /// Requests each rule has answered, for `Sequence`.
    answered: Mutex<Vec<usize>>,
    /// Every request, in arrival order.
    seen: Mutex<Vec<Seen>>,
    /// The provider's prompt cache, when the script keeps one.
    prompt_cache: super::prompt_cache::PromptCache,
}

impl Shared {
    /// Counts a request and keeps its key and body.
    fn arrive(&self, key: String, body: Bytes) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        if !self.script.forget_requests {
            lock(&self.seen).push(Seen { key, body });
        }
    }
}

/// A lock that outlives a test thread that panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running scripted server. Dropping it stops the server.
pub struct ScriptedServer {
    /// The base URL, including `/v1`.
    pub url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: tokio_util::sync::CancellationToken,
}

impl ScriptedServer {
    /// Starts the server on 127.0.0.1 on a free port, in the current tokio runtime.
    pub async fn start(script: Script) -> std::io::Result<ScriptedServer> {
        let answered = Mutex::new(vec![0; script.rules.len()]);
        let shared = Arc::new(Shared {
            script,
            requests: AtomicUsize::new(0),
            answered,
            seen: Mutex::new(Vec::new()),
            prompt_cache: Default::default(),
        });
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(openai::answer))
            .route("/v1/messages", post(anthropic::answer))
            .route("/v1beta/models/{model_action}", post(gemini::answer))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let stop = tokio_util::sync::CancellationToken::new();
        let token = stop.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled_owned().await })
                .await;
        });
        Ok(ScriptedServer {
            url: format!("http://{addr}/v1"),
            addr,
            shared,
            stop,
        })
    }

    /// The server's root, `http://127.0.0.1:PORT` without `/v1`: the base URL of an Anthropic
    /// client (which appends `/v1/messages`); a Gemini client's is this followed by `/v1beta`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many model requests arrived, in any dialect (those the Anthropic and Gemini routes
    /// refused count too; an OpenAI request whose body is not JSON does not, as before).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The API key of every request counted by [`requests`](Self::requests), in arrival order:
    /// the `Authorization: Bearer` token (OpenAI), `x-api-key` (Anthropic), `x-goog-api-key` or
    /// the `key` query parameter (Gemini); an empty string when the request carried none.
    pub fn keys(&self) -> Vec<String> {
        lock(&self.shared.seen)
            .iter()
            .map(|s| s.key.clone())
            .collect()
    }

    /// The body of every request counted by [`requests`](Self::requests), in arrival order (a
    /// body that is not JSON comes back as a JSON string of its text).
    pub fn bodies(&self) -> Vec<Value> {
        lock(&self.shared.seen)
            .iter()
            .map(|s| {
                serde_json::from_slice(&s.body).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(&s.body).into_owned())
                })
            })
            .collect()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What a request is, whatever its dialect, as the rules see it.
struct View<'a> {
    /// The text of the last user message that has text.
    last_user: Cow<'a, str>,
    /// The request's tool definitions as JSON text.
    tools_text: String,
    tool_count: usize,
    /// 1 plus the earlier assistant replies that made calls.
    turn: usize,
    /// The texts of the tool results sent back.
    results: Vec<Cow<'a, str>>,
}

/// A scripted answer a dialect renders in its own shape.
enum Answer {
    Text(String),
    Calls(Vec<(String, String)>),
}

/// Waits out `Delay`s; then either an answer for the dialect to render, or (`Err`) a response
/// sent as scripted whatever the dialect (`Status`, `Raw`, `Body`...). `Hang` never returns.
async fn settle(mut reply: Scripted) -> Result<Answer, Response> {
    while let Scripted::Delay(ms, inner) = reply {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        reply = *inner;
    }
    match reply {
        Scripted::Sequence(_) | Scripted::Delay(..) => {
            Ok(Answer::Text("nested sequences are not scripted".into()))
        }
        Scripted::StatusWithHeaders(code, headers, body) => {
            Err(status_with_headers(code, headers, body))
        }
        Scripted::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        Scripted::Status(code, body) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err((status, body).into_response())
        }
        Scripted::Raw(text) => Err((
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response()),
        Scripted::Body(body) => Err(axum::Json(body).into_response()),
        Scripted::Text(text) => Ok(Answer::Text(text)),
        Scripted::Calls(calls) => Ok(Answer::Calls(calls)),
    }
}

/// The script's latency, before any answer.
async fn script_delay(shared: &Shared) {
    if shared.script.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(shared.script.delay_ms)).await;
    }
}

/// A header's value as text; empty when absent or not text.
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The reply of the first rule that fits the request, counting the request against that rule
/// so a `Sequence` moves on; a fixed text when no rule fits.
fn choose_reply(shared: &Shared, view: &View<'_>) -> Scripted {
    let rule = shared.script.rules.iter().enumerate().find(|(_, r)| {
        view.last_user.contains(&r.when)
            && r.tools_contain
                .as_ref()
                .is_none_or(|t| view.tools_text.contains(t.as_str()))
            && r.max_tools.is_none_or(|n| view.tool_count <= n)
            && r.turn.is_none_or(|n| n == view.turn)
            && r.results_contain
                .as_ref()
                .is_none_or(|t| view.results.iter().any(|r| r.contains(t.as_str())))
    });
    let Some((i, r)) = rule else {
        return Scripted::Text("no script for this prompt".into());
    };
    let mut answered = lock(&shared.answered);
    let n = answered[i];
    answered[i] += 1;
    match &r.reply {
        Scripted::Sequence(v) if !v.is_empty() => v[n.min(v.len() - 1)].clone(),
        other => other.clone(),
    }
}

/// An error status carrying headers such as `Retry-After`; a header that is not valid HTTP is
/// left out rather than failing the test that scripted it.
fn status_with_headers(code: u16, headers: Vec<(String, String)>, body: String) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, body).into_response();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            axum::http::HeaderValue::from_str(&v),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// The tokens of `prefixes` read from and written to the server's prompt cache, when the
/// script keeps one (`prompt_cache`); `(0, 0)` otherwise.
fn prompt_cache(shared: &Shared, prefixes: &[String]) -> (u64, u64) {
    if shared.script.prompt_cache {
        shared.prompt_cache.lookup(prefixes)
    } else {
        (0, 0)
    }
}

/// A call's id as the dialect numbers it (`call`, `toolu`): distinct over a conversation, the
/// turn being part of it after the first.
fn call_id(prefix: &str, turn: usize, i: usize) -> String {
    if turn > 1 {
        format!("{prefix}_{turn}_{i}")
    } else {
        format!("{prefix}_{i}")
    }
}

/// A call's arguments as the JSON object the Anthropic and Gemini dialects carry; text that is
/// not a JSON object travels as `{"_raw": text}`.
fn args_object(args: &str) -> Value {
    match serde_json::from_str::<Value>(args) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "_raw": args }),
    }
}

/// Joins texts, borrowing when there is only one.
fn joined<'a>(texts: Vec<&'a str>) -> Cow<'a, str> {
    match texts.as_slice() {
        [one] => Cow::Borrowed(*one),
        _ => Cow::Owned(texts.join("\n")),
    }
}

mod anthropic;
mod gemini;
mod openai;
#[cfg(test)]
mod tests;
