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

    /// A rule answering with one call.
    pub fn call(self, when: &str, tool: &str, args: Value) -> Self {
        self.rule(when, Scripted::Calls(vec![(tool.into(), args.to_string())]))
    }
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
        });
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(answer))
            .route("/v1/messages", post(anthropic))
            .route("/v1beta/models/{model_action}", post(gemini))
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

// ---------------------------------------------------------------------------------------------
// OpenAI chat completions.

async fn answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    let auth = header_text(&headers, "authorization");
    let key = auth.strip_prefix("Bearer ").unwrap_or(auth).trim();
    shared.arrive(
        key.to_string(),
        Bytes::from(serde_json::to_vec(&body.0).unwrap_or_default()),
    );
    script_delay(&shared).await;
    let model = body.get("model").cloned().unwrap_or(Value::Null);
    let view = openai_view(&body);
    let message = match settle(choose_reply(&shared, &view)).await {
        Err(response) => return response,
        Ok(Answer::Text(text)) => json!({"role": "assistant", "content": text}),
        Ok(Answer::Calls(calls)) => calls_message(&calls, view.turn),
    };
    completion(message, model)
}

/// A chat-completions request as the rules see it: the last `user` message's content (when it
/// is a string), the `tools`, the `tool` messages' contents.
fn openai_view(body: &Value) -> View<'_> {
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let role = |m: &Value, r: &str| m.get("role").and_then(Value::as_str) == Some(r);
    let last_user = messages
        .iter()
        .rev()
        .find(|m| role(m, "user"))
        .and_then(|m| m.get("content").and_then(Value::as_str))
        .unwrap_or("");
    View {
        last_user: Cow::Borrowed(last_user),
        tools_text: body.get("tools").map(Value::to_string).unwrap_or_default(),
        tool_count: body
            .get("tools")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        turn: turn_of(body),
        results: messages
            .iter()
            .filter(|m| role(m, "tool"))
            .filter_map(|m| m.get("content").and_then(Value::as_str))
            .map(Cow::Borrowed)
            .collect(),
    }
}

/// The turn of an agent conversation a request is: 1 plus the replies with calls before it.
fn turn_of(body: &Value) -> usize {
    1 + body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, |m| {
            m.iter()
                .filter(|m| {
                    m.get("role").and_then(Value::as_str) == Some("assistant")
                        && m.get("tool_calls").is_some()
                })
                .count()
        })
}

/// An assistant message making these calls, with ids as the chat API numbers them (distinct
/// over a conversation: the turn is part of each).
fn calls_message(calls: &[(String, String)], turn: usize) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"id": call_id("call", turn, i), "type": "function", "function": {"name": name, "arguments": args}})
        })
        .collect();
    json!({"role": "assistant", "content": null, "tool_calls": calls})
}

/// A chat-completion body around one message, with fixed token usage.
fn completion(message: Value, model: Value) -> Response {
    let finish = if message.get("tool_calls").is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    axum::Json(json!({
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages (https://docs.anthropic.com/en/api/messages).

/// The request fields the Messages API knows; any other is refused as the API does.
const ANTHROPIC_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_k",
    "top_p",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "context_management",
    "mcp_servers",
    "output_config",
    "output_format",
];

/// The content block types a message may hold besides `text`, `tool_use` and `tool_result`
/// (accepted as they are; no rule reads them).
const ANTHROPIC_OTHER_BLOCKS: &[&str] = &[
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
];

/// The fields of a custom tool definition.
const ANTHROPIC_TOOL_FIELDS: &[&str] = &[
    "type",
    "name",
    "description",
    "input_schema",
    "cache_control",
    "strict",
    "input_examples",
    "defer_loading",
    "allowed_callers",
];

/// A content block of an Anthropic message, as far as the rules and checks read it.
enum Block<'a> {
    Text(&'a str),
    ToolUse(&'a str),
    ToolResult { id: &'a str, text: Cow<'a, str> },
    Other,
}

/// A message of an Anthropic request; consecutive messages of one role merged, as the API does.
struct Turn<'a> {
    assistant: bool,
    blocks: Vec<Block<'a>>,
}

impl Turn<'_> {
    fn tool_uses(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolUse(id) => Some(*id),
                _ => None,
            })
            .collect()
    }
}

/// An Anthropic error body with this status.
fn anthropic_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
        .into_response()
}

async fn anthropic(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let key = header_text(&headers, "x-api-key").trim().to_string();
    shared.arrive(key.clone(), body.clone());
    if key.is_empty() {
        return anthropic_error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "x-api-key header is required",
        );
    }
    let invalid =
        |message: &str| anthropic_error(StatusCode::BAD_REQUEST, "invalid_request_error", message);
    if headers.get("anthropic-version").is_none() {
        return invalid("anthropic-version: header is required");
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return invalid(&format!("The request body is not valid JSON: {e}")),
    };
    let turns = match anthropic_turns(&body) {
        Ok(turns) => turns,
        Err(message) => return invalid(&message),
    };
    script_delay(&shared).await;
    let view = anthropic_view(&body, &turns);
    let (content, stop) = match settle(choose_reply(&shared, &view)).await {
        Err(response) => return response,
        Ok(Answer::Text(text)) => (json!([{"type": "text", "text": text}]), "end_turn"),
        Ok(Answer::Calls(calls)) => {
            let blocks: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, (name, args))| {
                    json!({"type": "tool_use", "id": call_id("toolu", view.turn, i), "name": name, "input": args_object(args)})
                })
                .collect();
            (Value::Array(blocks), "tool_use")
        }
    };
    axum::Json(json!({
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": body.get("model").cloned().unwrap_or(Value::Null),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {"input_tokens": 100, "output_tokens": 10}
    }))
    .into_response()
}

/// A Messages request as the rules see it: the last user message with text (its string, or its
/// `text` blocks), the `tools`, the `tool_result` blocks' texts.
fn anthropic_view<'a>(body: &'a Value, turns: &[Turn<'a>]) -> View<'a> {
    let last_user = turns
        .iter()
        .rev()
        .filter(|t| !t.assistant)
        .map(|t| {
            t.blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Text(t) => Some(*t),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .find(|texts| !texts.is_empty())
        .map_or(Cow::Borrowed(""), joined);
    let results = turns
        .iter()
        .flat_map(|t| &t.blocks)
        .filter_map(|b| match b {
            Block::ToolResult { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    View {
        last_user,
        tools_text: body.get("tools").map(Value::to_string).unwrap_or_default(),
        tool_count: body
            .get("tools")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        turn: 1 + turns
            .iter()
            .filter(|t| t.assistant && !t.tool_uses().is_empty())
            .count(),
        results,
    }
}

/// Checks a Messages request as the API does; its messages (merged by role) when it is valid,
/// else the API's `invalid_request_error` message.
fn anthropic_turns(body: &Value) -> Result<Vec<Turn<'_>>, String> {
    let Some(obj) = body.as_object() else {
        return Err("body: Input should be a valid dictionary".into());
    };
    if let Some(k) = obj.keys().find(|k| !ANTHROPIC_FIELDS.contains(&k.as_str())) {
        return Err(format!("{k}: Extra inputs are not permitted"));
    }
    match obj.get("model") {
        None => return Err("model: Field required".into()),
        Some(Value::String(_)) => {}
        Some(_) => return Err("model: Input should be a valid string".into()),
    }
    match obj.get("max_tokens") {
        None => return Err("max_tokens: Field required".into()),
        Some(v) if !v.is_i64() && !v.is_u64() => {
            return Err("max_tokens: Input should be a valid integer".into());
        }
        Some(v) if v.as_i64().is_some_and(|n| n < 1) => {
            return Err("max_tokens: Input should be greater than or equal to 1".into());
        }
        Some(_) => {}
    }
    anthropic_settings(obj)?;
    let turns = anthropic_messages(obj.get("messages"))?;
    anthropic_tools(obj)?;
    Ok(turns)
}

/// The sampling and framing fields: `system`, `stream`, `temperature`, `top_p`, `top_k`,
/// `stop_sequences`, `metadata`.
fn anthropic_settings(obj: &Map<String, Value>) -> Result<(), String> {
    match obj.get("system") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(blocks)) => {
            for (i, b) in blocks.iter().enumerate() {
                if b.get("type").and_then(Value::as_str) != Some("text") {
                    return Err(format!("system.{i}.type: Input should be 'text'"));
                }
                if !b.get("text").is_some_and(Value::is_string) {
                    return Err(format!("system.{i}.text: Field required"));
                }
            }
        }
        Some(_) => return Err("system: Input should be a valid string".into()),
    }
    match obj.get("stream") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            return Err(
                "stream: the scripted server does not stream; send \"stream\": false or leave it out"
                    .into(),
            );
        }
        Some(_) => return Err("stream: Input should be a valid boolean".into()),
    }
    for name in ["temperature", "top_p"] {
        match obj.get(name) {
            None => {}
            Some(Value::Number(n)) => {
                let n = n.as_f64().unwrap_or_default();
                if n < 0.0 {
                    return Err(format!(
                        "{name}: Input should be greater than or equal to 0"
                    ));
                }
                if n > 1.0 {
                    return Err(format!("{name}: Input should be less than or equal to 1"));
                }
            }
            Some(_) => return Err(format!("{name}: Input should be a valid number")),
        }
    }
    if let Some(k) = obj.get("top_k")
        && !k.is_u64()
    {
        return Err("top_k: Input should be a valid integer, greater than or equal to 0".into());
    }
    if let Some(s) = obj.get("stop_sequences")
        && !s.as_array().is_some_and(|s| s.iter().all(Value::is_string))
    {
        return Err("stop_sequences: Input should be a valid list of strings".into());
    }
    if let Some(m) = obj.get("metadata")
        && !m.is_object()
    {
        return Err("metadata: Input should be a valid dictionary".into());
    }
    Ok(())
}

/// Checks `messages` and merges consecutive messages of one role, then checks that every
/// `tool_use` is answered at the start of the next message and every `tool_result` answers a
/// `tool_use` of the message before it.
fn anthropic_messages(messages: Option<&Value>) -> Result<Vec<Turn<'_>>, String> {
    let messages = match messages {
        None => return Err("messages: Field required".into()),
        Some(Value::Array(m)) => m,
        Some(_) => return Err("messages: Input should be a valid list".into()),
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut turns: Vec<Turn> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let Some(m) = m.as_object() else {
            return Err(format!("messages.{i}: Input should be a valid dictionary"));
        };
        if let Some(k) = m.keys().find(|k| *k != "role" && *k != "content") {
            return Err(format!("messages.{i}.{k}: Extra inputs are not permitted"));
        }
        let assistant = match m.get("role").and_then(Value::as_str) {
            Some("user") => false,
            Some("assistant") => true,
            Some("system") => {
                return Err("messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \"system\" as an input message role.".into());
            }
            Some(_) => {
                return Err(format!(
                    "messages.{i}.role: Input should be 'user' or 'assistant'"
                ));
            }
            None => return Err(format!("messages.{i}.role: Field required")),
        };
        let blocks = anthropic_blocks(i, assistant, m.get("content"))?;
        if blocks.is_empty() && !(assistant && i + 1 == messages.len()) {
            return Err(format!(
                "messages.{i}: all messages must have non-empty content except for the optional final assistant message"
            ));
        }
        match turns.last_mut() {
            Some(t) if t.assistant == assistant => t.blocks.extend(blocks),
            _ => turns.push(Turn { assistant, blocks }),
        }
    }
    if turns[0].assistant {
        return Err("messages: first message must use the \"user\" role".into());
    }
    for i in 0..turns.len() {
        let before = match i {
            0 => Vec::new(),
            _ => turns[i - 1].tool_uses(),
        };
        for (j, b) in turns[i].blocks.iter().enumerate() {
            if let Block::ToolResult { id, .. } = b
                && !before.contains(id)
            {
                return Err(format!(
                    "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                ));
            }
        }
        let uses = turns[i].tool_uses();
        let Some(next) = turns.get(i + 1) else {
            continue;
        };
        if uses.is_empty() {
            continue;
        }
        let answered: Vec<&str> = next
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolResult { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        let missing: Vec<&str> = uses
            .iter()
            .copied()
            .filter(|u| !answered.contains(u))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                missing.join(", ")
            ));
        }
        let leading = next
            .blocks
            .iter()
            .take_while(|b| matches!(b, Block::ToolResult { .. }))
            .count();
        if leading < uses.len() {
            return Err(format!(
                "messages.{}: Did not find {} tool_result block(s) at the beginning of this message. Messages following tool_use blocks must begin with a matching number of tool_result blocks.",
                i + 1,
                uses.len()
            ));
        }
    }
    Ok(turns)
}

/// The blocks of message `i`'s content: a string, or a list of content blocks.
fn anthropic_blocks(
    i: usize,
    assistant: bool,
    content: Option<&Value>,
) -> Result<Vec<Block<'_>>, String> {
    match content {
        None => Err(format!("messages.{i}.content: Field required")),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Block::Text(s)]),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .enumerate()
            .map(|(j, b)| anthropic_block(&format!("messages.{i}.content.{j}"), assistant, b))
            .collect(),
        Some(_) => Err(format!(
            "messages.{i}.content: Input should be a valid string or a valid list"
        )),
    }
}

fn anthropic_block<'a>(path: &str, assistant: bool, b: &'a Value) -> Result<Block<'a>, String> {
    let Some(b) = b.as_object() else {
        return Err(format!("{path}: Input should be a valid dictionary"));
    };
    let Some(kind) = b.get("type").and_then(Value::as_str) else {
        return Err(format!(
            "{path}: Unable to extract tag using discriminator 'type'"
        ));
    };
    let text = |b: &'a Map<String, Value>, path: &str| match b.get("text") {
        Some(Value::String(t)) if t.is_empty() => {
            Err("messages: text content blocks must be non-empty".to_string())
        }
        Some(Value::String(t)) => Ok(t.as_str()),
        Some(_) => Err(format!("{path}.text: Input should be a valid string")),
        None => Err(format!("{path}.text: Field required")),
    };
    match kind {
        "text" => Ok(Block::Text(text(b, &format!("{path}.text"))?)),
        "tool_use" => {
            let path = format!("{path}.tool_use");
            if !assistant {
                return Err(format!(
                    "{path}: `tool_use` blocks may only appear in `assistant` messages"
                ));
            }
            let id = match b.get("id") {
                Some(Value::String(id))
                    if !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    id.as_str()
                }
                Some(Value::String(_)) => {
                    return Err(format!(
                        "{path}.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
                    ));
                }
                Some(_) => return Err(format!("{path}.id: Input should be a valid string")),
                None => return Err(format!("{path}.id: Field required")),
            };
            match b.get("name") {
                Some(Value::String(_)) => {}
                Some(_) => return Err(format!("{path}.name: Input should be a valid string")),
                None => return Err(format!("{path}.name: Field required")),
            }
            match b.get("input") {
                Some(Value::Object(_)) => Ok(Block::ToolUse(id)),
                Some(_) => Err(format!("{path}.input: Input should be a valid dictionary")),
                None => Err(format!("{path}.input: Field required")),
            }
        }
        "tool_result" => {
            let path = format!("{path}.tool_result");
            if assistant {
                return Err(format!(
                    "{path}: `tool_result` blocks may only appear in `user` messages"
                ));
            }
            let id = match b.get("tool_use_id") {
                Some(Value::String(id)) => id.as_str(),
                Some(_) => {
                    return Err(format!(
                        "{path}.tool_use_id: Input should be a valid string"
                    ));
                }
                None => return Err(format!("{path}.tool_use_id: Field required")),
            };
            if let Some(e) = b.get("is_error")
                && !e.is_boolean()
            {
                return Err(format!("{path}.is_error: Input should be a valid boolean"));
            }
            let text = match b.get("content") {
                None => Cow::Borrowed(""),
                Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
                Some(Value::Array(items)) => {
                    let mut texts = Vec::new();
                    for (k, item) in items.iter().enumerate() {
                        let path = format!("{path}.content.{k}");
                        let Some(item) = item.as_object() else {
                            return Err(format!("{path}: Input should be a valid dictionary"));
                        };
                        match item.get("type").and_then(Value::as_str) {
                            Some("text") => texts.push(text(item, &format!("{path}.text"))?),
                            Some("image" | "document" | "search_result") => {}
                            Some(other) => {
                                return Err(format!(
                                    "{path}: Input tag '{other}' found using 'type' does not match any of the expected tags: 'text', 'image', 'search_result', 'document'"
                                ));
                            }
                            None => {
                                return Err(format!(
                                    "{path}: Unable to extract tag using discriminator 'type'"
                                ));
                            }
                        }
                    }
                    joined(texts)
                }
                Some(_) => {
                    return Err(format!(
                        "{path}.content: Input should be a valid string or a valid list"
                    ));
                }
            };
            Ok(Block::ToolResult { id, text })
        }
        other if ANTHROPIC_OTHER_BLOCKS.contains(&other) => Ok(Block::Other),
        other => Err(format!(
            "{path}: Input tag '{other}' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result', 'server_tool_use', 'web_search_tool_result'"
        )),
    }
}

/// Whether `ty` names a server tool, such as `web_search_20250305`.
fn server_tool(ty: &str) -> bool {
    ty.rsplit_once('_').is_some_and(|(name, date)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && date.len() == 8
            && date.chars().all(|c| c.is_ascii_digit())
    })
}

/// Checks `tools` and `tool_choice`.
fn anthropic_tools(obj: &Map<String, Value>) -> Result<(), String> {
    if let Some(tools) = obj.get("tools") {
        let Some(tools) = tools.as_array() else {
            return Err("tools: Input should be a valid list".into());
        };
        let mut names = HashSet::new();
        for (i, t) in tools.iter().enumerate() {
            let Some(t) = t.as_object() else {
                return Err(format!("tools.{i}: Input should be a valid dictionary"));
            };
            match t.get("type") {
                None => {}
                Some(Value::String(ty)) if ty == "custom" => {}
                Some(Value::String(ty)) if server_tool(ty) => {
                    if let Some(name) = t.get("name").and_then(Value::as_str)
                        && !names.insert(name)
                    {
                        return Err("tools: Tool names must be unique.".into());
                    }
                    continue;
                }
                Some(ty) => {
                    let ty = ty.as_str().map_or_else(|| ty.to_string(), str::to_string);
                    return Err(format!(
                        "tools.{i}: Input tag '{ty}' found using 'type' does not match any of the expected tags: 'custom', 'bash_20250124', 'text_editor_20250728', 'web_search_20250305'"
                    ));
                }
            }
            let path = format!("tools.{i}.custom");
            if let Some(k) = t
                .keys()
                .find(|k| !ANTHROPIC_TOOL_FIELDS.contains(&k.as_str()))
            {
                return Err(format!("{path}.{k}: Extra inputs are not permitted"));
            }
            let name = match t.get("name") {
                Some(Value::String(n))
                    if (1..=128).contains(&n.len())
                        && n.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    n.as_str()
                }
                Some(Value::String(_)) => {
                    return Err(format!(
                        "{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
                    ));
                }
                Some(_) => return Err(format!("{path}.name: Input should be a valid string")),
                None => return Err(format!("{path}.name: Field required")),
            };
            if !names.insert(name) {
                return Err("tools: Tool names must be unique.".into());
            }
            if let Some(d) = t.get("description")
                && !d.is_string()
            {
                return Err(format!(
                    "{path}.description: Input should be a valid string"
                ));
            }
            let schema = match t.get("input_schema") {
                Some(Value::Object(s)) => s,
                Some(_) => {
                    return Err(format!(
                        "{path}.input_schema: Input should be a valid dictionary"
                    ));
                }
                None => return Err(format!("{path}.input_schema: Field required")),
            };
            if ["oneOf", "anyOf", "allOf"]
                .iter()
                .any(|k| schema.contains_key(*k))
            {
                return Err(format!(
                    "{path}.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level"
                ));
            }
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return Err(format!(
                    "{path}.input_schema.type: Input should be 'object'"
                ));
            }
            if let Err(e) = jsonschema::meta::validate(&t["input_schema"]) {
                return Err(format!(
                    "{path}.input_schema: JSON schema is invalid. It must match JSON Schema draft 2020-12 (https://json-schema.org/draft/2020-12): {e}"
                ));
            }
        }
    }
    if let Some(choice) = obj.get("tool_choice") {
        let Some(choice) = choice.as_object() else {
            return Err(
                "tool_choice: Input should be a valid dictionary or object to extract fields from"
                    .into(),
            );
        };
        let kind = choice.get("type").and_then(Value::as_str).unwrap_or("");
        let fields: &[&str] = match kind {
            "auto" | "any" => &["type", "disable_parallel_tool_use"],
            "tool" => &["type", "name", "disable_parallel_tool_use"],
            "none" => &["type"],
            _ => {
                return Err(format!(
                    "tool_choice: Input tag '{kind}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"
                ));
            }
        };
        if let Some(k) = choice.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(format!(
                "tool_choice.{kind}.{k}: Extra inputs are not permitted"
            ));
        }
        if kind == "tool" && !choice.get("name").is_some_and(Value::is_string) {
            return Err("tool_choice.tool.name: Field required".into());
        }
        if let Some(d) = choice.get("disable_parallel_tool_use")
            && !d.is_boolean()
        {
            return Err(format!(
                "tool_choice.{kind}.disable_parallel_tool_use: Input should be a valid boolean"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Gemini generateContent (https://ai.google.dev/api/generate-content).

/// The fields of a `GenerateContentRequest`. The API reads a field by its JSON (camelCase) name
/// or its proto (snake_case) name alike; both are accepted here too.
const GEMINI_FIELDS: &[&str] = &[
    "model",
    "contents",
    "tools",
    "toolConfig",
    "safetySettings",
    "systemInstruction",
    "generationConfig",
    "cachedContent",
];
/// The data fields of a `Part`, exactly one of which a part holds.
const GEMINI_PART_DATA: &[&str] = &[
    "text",
    "inlineData",
    "functionCall",
    "functionResponse",
    "fileData",
    "executableCode",
    "codeExecutionResult",
];
/// The other fields of a `Part`.
const GEMINI_PART_META: &[&str] = &[
    "thought",
    "thoughtSignature",
    "videoMetadata",
    "partMetadata",
    "mediaResolution",
];
const GEMINI_TOOL_FIELDS: &[&str] = &[
    "functionDeclarations",
    "googleSearchRetrieval",
    "codeExecution",
    "googleSearch",
    "urlContext",
    "computerUse",
    "fileSearch",
    "googleMaps",
];
const GEMINI_DECLARATION_FIELDS: &[&str] = &[
    "name",
    "description",
    "behavior",
    "parameters",
    "parametersJsonSchema",
    "response",
    "responseJsonSchema",
];
/// The fields of the `Schema` subset function parameters are written in.
const GEMINI_SCHEMA_FIELDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];
const GEMINI_TYPES: &[&str] = &[
    "TYPE_UNSPECIFIED",
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "ARRAY",
    "OBJECT",
    "NULL",
];
const GEMINI_GENERATION_FIELDS: &[&str] = &[
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "speechConfig",
    "thinkingConfig",
    "imageConfig",
    "mediaResolution",
];
const GEMINI_PROTO: &str = "type.googleapis.com/google.ai.generativelanguage.v1beta";

/// A Gemini error body: `{"error": {"code", "message", "status"}}`.
fn gemini_error(code: StatusCode, status: &str, message: &str) -> Response {
    (
        code,
        axum::Json(json!({"error": {"code": code.as_u16(), "message": message, "status": status}})),
    )
        .into_response()
}

/// The proto (snake_case) form of a JSON field name.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Field `name` (given in camelCase) of a message, under its JSON or its proto name.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| obj.get(&snake(name)))
}

/// Whether `key` is one of `known` (camelCase names), under either name.
fn known_field(key: &str, known: &[&str]) -> bool {
    let key = snake(key);
    known.iter().any(|k| snake(k) == key)
}

/// The elements of a repeated field with the index each has in an error's path; like the API,
/// a single value where a list is due counts as a list of one (with no index in paths).
fn repeated(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        v => vec![(String::new(), v)],
    }
}

/// The problems a Gemini request has, kept as the API reports them: a body that does not parse
/// as the request message (an unknown field, a wrong type) is refused with the first such
/// problem; then every field violation is listed, one `* path: problem` line each; then the
/// conversation's order is checked.
#[derive(Default)]
struct GeminiProblems {
    parse: Option<String>,
    violations: Vec<String>,
}

impl GeminiProblems {
    fn parse(&mut self, message: String) {
        self.parse.get_or_insert(message);
    }

    fn unknown(&mut self, key: &str, at: &str) {
        self.parse(if at.is_empty() {
            format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field.")
        } else {
            format!(
                "Invalid JSON payload received. Unknown name \"{key}\" at '{at}': Cannot find field."
            )
        });
    }

    fn invalid(&mut self, at: &str, ty: &str, value: &Value) {
        self.parse(format!(
            "Invalid JSON payload received. Invalid value at '{at}' ({ty}), {value}"
        ));
    }

    /// `v` as an object, checking its fields against `known`; `None` (a problem noted) when it
    /// is not an object.
    fn message<'a>(
        &mut self,
        v: &'a Value,
        at: &str,
        ty: &str,
        known: &[&str],
    ) -> Option<&'a Map<String, Value>> {
        let Some(obj) = v.as_object() else {
            self.invalid(at, &format!("{GEMINI_PROTO}.{ty}"), v);
            return None;
        };
        for k in obj.keys() {
            if !known_field(k, known) {
                self.unknown(k, at);
            }
        }
        Some(obj)
    }

    fn violation(&mut self, path: &str, problem: &str) {
        self.violations
            .push(format!("* GenerateContentRequest.{path}: {problem}\n"));
    }
}

/// A content of a Gemini request, as the order checks read it.
struct GeminiTurn<'a> {
    model: bool,
    calls: Vec<&'a str>,
    responses: Vec<&'a str>,
}

async fn gemini(
    State(shared): State<Arc<Shared>>,
    Path(model_action): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let Some((model, "generateContent")) = model_action.rsplit_once(':') else {
        return gemini_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!(
                "models/{model_action} is not found: the scripted server answers only models/{{model}}:generateContent"
            ),
        );
    };
    let mut key = header_text(&headers, "x-goog-api-key").trim().to_string();
    if key.is_empty() {
        key = query_param(uri.query().unwrap_or(""), "key").unwrap_or_default();
    }
    shared.arrive(key.clone(), body.clone());
    if key.is_empty() {
        return gemini_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        );
    }
    let invalid =
        |message: &str| gemini_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message);
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return invalid(&format!("Invalid JSON payload received. {e}")),
    };
    if let Err(message) = gemini_check(&body) {
        return invalid(&message);
    }
    script_delay(&shared).await;
    let view = gemini_view(&body);
    let parts: Vec<Value> = match settle(choose_reply(&shared, &view)).await {
        Err(response) => return response,
        Ok(Answer::Text(text)) => vec![json!({ "text": text })],
        Ok(Answer::Calls(calls)) => calls
            .iter()
            .map(|(name, args)| json!({"functionCall": {"name": name, "args": args_object(args)}}))
            .collect(),
    };
    axum::Json(json!({
        "candidates": [{
            "content": {"role": "model", "parts": parts},
            "finishReason": "STOP",
            "index": 0
        }],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 10, "totalTokenCount": 110},
        "modelVersion": model
    }))
    .into_response()
}

/// A query parameter's value, percent-decoded (`+` as a space).
fn query_param(query: &str, name: &str) -> Option<String> {
    let raw = query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == name)?
        .1;
    let bytes = raw.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The `contents` of a request (none when absent).
fn gemini_contents(obj: &Map<String, Value>) -> Vec<(String, &Value)> {
    field(obj, "contents").map(repeated).unwrap_or_default()
}

/// The parts of a content (none when absent).
fn gemini_parts(content: &Value) -> Vec<(String, &Value)> {
    content
        .as_object()
        .and_then(|c| field(c, "parts"))
        .map(repeated)
        .unwrap_or_default()
}

/// Field `name` of each of a content's parts that has it.
fn part_fields<'a>(content: &'a Value, name: &str) -> Vec<&'a Value> {
    gemini_parts(content)
        .into_iter()
        .filter_map(|(_, p)| p.as_object().and_then(|p| field(p, name)))
        .collect()
}

/// Whether a content's role is `model` (an absent or empty role is the user's).
fn gemini_is_model(content: &Value) -> bool {
    content
        .as_object()
        .and_then(|c| field(c, "role"))
        .and_then(Value::as_str)
        == Some("model")
}

/// Checks a `generateContent` request as the API does; the API's message when it is invalid.
fn gemini_check(body: &Value) -> Result<(), String> {
    let Some(obj) = body.as_object() else {
        return Err(
            "Invalid JSON payload received. Unknown name \"\": Root element must be a message."
                .into(),
        );
    };
    let mut p = GeminiProblems::default();
    for k in obj.keys() {
        if !known_field(k, GEMINI_FIELDS) {
            p.unknown(k, "");
        }
    }
    let contents = gemini_contents(obj);
    if contents.is_empty() {
        p.violation("contents", "contents is not specified");
    }
    let mut turns = Vec::new();
    for (i, c) in &contents {
        let at = format!("contents{i}");
        let Some(c) = p.message(c, &at, "Content", &["role", "parts"]) else {
            continue;
        };
        let model = match field(c, "role") {
            None => false,
            Some(Value::String(r)) if r.is_empty() || r == "user" => false,
            Some(Value::String(r)) if r == "model" => true,
            Some(Value::String(_)) => return Err("Please use a valid role: user, model.".into()),
            Some(r) => {
                p.invalid(&format!("{at}.role"), "TYPE_STRING", r);
                false
            }
        };
        let parts = field(c, "parts").map(repeated).unwrap_or_default();
        if parts.is_empty() {
            p.violation(&format!("{at}.parts"), "contents.parts must not be empty.");
        }
        let mut turn = GeminiTurn {
            model,
            calls: Vec::new(),
            responses: Vec::new(),
        };
        for (j, part) in &parts {
            gemini_part(&mut p, part, &format!("{at}.parts{j}"), &mut turn);
        }
        turns.push(turn);
    }
    if let Some(system) = field(obj, "systemInstruction")
        && let Some(system) = p.message(system, "system_instruction", "Content", &["role", "parts"])
    {
        let mut ignored = GeminiTurn {
            model: false,
            calls: Vec::new(),
            responses: Vec::new(),
        };
        for (j, part) in field(system, "parts").map(repeated).unwrap_or_default() {
            gemini_part(
                &mut p,
                part,
                &format!("system_instruction.parts{j}"),
                &mut ignored,
            );
        }
    }
    gemini_tools(&mut p, obj);
    if let Some(config) = field(obj, "toolConfig")
        && let Some(config) = p.message(
            config,
            "tool_config",
            "ToolConfig",
            &["functionCallingConfig", "retrievalConfig"],
        )
        && let Some(calling) = field(config, "functionCallingConfig")
        && let Some(calling) = p.message(
            calling,
            "tool_config.function_calling_config",
            "FunctionCallingConfig",
            &["mode", "allowedFunctionNames"],
        )
    {
        if let Some(mode) = field(calling, "mode") {
            let valid = mode.as_str().is_some_and(|m| {
                ["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"]
                    .contains(&m.to_ascii_uppercase().as_str())
            });
            if !valid {
                p.invalid(
                    "tool_config.function_calling_config.mode",
                    &format!("{GEMINI_PROTO}.FunctionCallingConfig.Mode"),
                    mode,
                );
            }
        }
        if let Some(names) = field(calling, "allowedFunctionNames") {
            for (i, n) in repeated(names) {
                if !n.is_string() {
                    p.invalid(
                        &format!("tool_config.function_calling_config.allowed_function_names{i}"),
                        "TYPE_STRING",
                        n,
                    );
                }
            }
        }
    }
    if let Some(config) = field(obj, "generationConfig") {
        p.message(
            config,
            "generation_config",
            "GenerationConfig",
            GEMINI_GENERATION_FIELDS,
        );
    }
    if let Some(message) = p.parse {
        return Err(message);
    }
    if !p.violations.is_empty() {
        return Err(p.violations.concat());
    }
    gemini_order(&turns)
}

/// Checks one part: one data field, of the right shape; notes its calls and responses.
fn gemini_part<'a>(p: &mut GeminiProblems, part: &'a Value, at: &str, turn: &mut GeminiTurn<'a>) {
    let known: Vec<&str> = GEMINI_PART_DATA
        .iter()
        .chain(GEMINI_PART_META)
        .copied()
        .collect();
    let Some(part) = p.message(part, at, "Part", &known) else {
        return;
    };
    let data: Vec<&String> = part
        .keys()
        .filter(|k| known_field(k, GEMINI_PART_DATA))
        .collect();
    match data.as_slice() {
        [] => p.violation(
            &format!("{at}.data"),
            "required oneof field 'data' must have one initialized field",
        ),
        [_] => {}
        [_, second, ..] => p.parse(format!(
            "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '{second}'"
        )),
    }
    if let Some(text) = field(part, "text")
        && !text.is_string()
    {
        p.invalid(&format!("{at}.text"), "TYPE_STRING", text);
    }
    if let Some(call) = field(part, "functionCall") {
        let at = format!("{at}.function_call");
        if let Some(call) = p.message(call, &at, "FunctionCall", &["id", "name", "args"]) {
            match field(call, "name") {
                Some(Value::String(n)) if !n.is_empty() => {
                    if turn.model {
                        turn.calls.push(n);
                    }
                }
                Some(
                    n @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_)),
                ) => p.invalid(&format!("{at}.name"), "TYPE_STRING", n),
                _ => p.violation(&format!("{at}.name"), "Name cannot be empty."),
            }
            if let Some(args) = field(call, "args")
                && !args.is_object()
            {
                p.invalid(
                    &format!("{at}.args"),
                    "type.googleapis.com/google.protobuf.Struct",
                    args,
                );
            }
        }
    }
    if let Some(response) = field(part, "functionResponse") {
        let at = format!("{at}.function_response");
        let known = [
            "id",
            "name",
            "response",
            "willContinue",
            "scheduling",
            "parts",
        ];
        if let Some(response) = p.message(response, &at, "FunctionResponse", &known) {
            match field(response, "name") {
                Some(Value::String(n)) if !n.is_empty() => turn.responses.push(n),
                Some(
                    n @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_)),
                ) => p.invalid(&format!("{at}.name"), "TYPE_STRING", n),
                _ => p.violation(&format!("{at}.name"), "Name cannot be empty."),
            }
            match field(response, "response") {
                Some(Value::Object(_)) => {}
                Some(r) => p.invalid(
                    &format!("{at}.response"),
                    "type.googleapis.com/google.protobuf.Struct",
                    r,
                ),
                None => p.violation(&format!("{at}.response"), "response is required."),
            }
        }
    }
}

/// Checks `tools`: the function declarations' names and parameter schemas.
fn gemini_tools(p: &mut GeminiProblems, obj: &Map<String, Value>) {
    let Some(tools) = field(obj, "tools") else {
        return;
    };
    let mut names = HashSet::new();
    for (i, tool) in repeated(tools) {
        let at = format!("tools{i}");
        let Some(tool) = p.message(tool, &at, "Tool", GEMINI_TOOL_FIELDS) else {
            continue;
        };
        let Some(declarations) = field(tool, "functionDeclarations") else {
            continue;
        };
        for (j, d) in repeated(declarations) {
            let at = format!("{at}.function_declarations{j}");
            let Some(d) = p.message(d, &at, "FunctionDeclaration", GEMINI_DECLARATION_FIELDS)
            else {
                continue;
            };
            match field(d, "name") {
                Some(Value::String(name)) => {
                    if !gemini_function_name(name) {
                        p.violation(&format!("{at}.name"), "Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.");
                    } else if !names.insert(name.as_str()) {
                        p.violation(
                            "tools",
                            &format!("Duplicate function declaration found: {name}"),
                        );
                    }
                }
                Some(n) => p.invalid(&format!("{at}.name"), "TYPE_STRING", n),
                None => p.violation(&format!("{at}.name"), "Name cannot be empty."),
            }
            if let Some(description) = field(d, "description")
                && !description.is_string()
            {
                p.invalid(&format!("{at}.description"), "TYPE_STRING", description);
            }
            for name in ["parameters", "response"] {
                if let Some(schema) = field(d, name) {
                    gemini_schema(p, schema, &format!("{at}.{name}"), &format!("{at}.{name}"));
                }
            }
        }
    }
}

/// Whether a function name is one Gemini takes: `^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$`.
fn gemini_function_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// Checks a `Schema` and the schemas inside it. `at` is the path a parse error names (a property
/// by its index: `properties[0].value`), `named` the one a violation names (by its name:
/// `properties[city]`).
fn gemini_schema(p: &mut GeminiProblems, schema: &Value, at: &str, named: &str) {
    let Some(s) = p.message(schema, at, "Schema", GEMINI_SCHEMA_FIELDS) else {
        return;
    };
    let ty = match field(s, "type") {
        None => None,
        Some(Value::String(t)) if GEMINI_TYPES.contains(&t.to_ascii_uppercase().as_str()) => {
            Some(t.to_ascii_uppercase())
        }
        Some(Value::Array(_)) => {
            p.parse(
                "Invalid JSON payload received. Proto field is not repeating, cannot start list."
                    .into(),
            );
            None
        }
        Some(t) => {
            p.invalid(&format!("{at}.type"), &format!("{GEMINI_PROTO}.Type"), t);
            None
        }
    };
    let mut defined = Vec::new();
    match field(s, "properties") {
        None => {}
        Some(Value::Object(properties)) => {
            if properties.is_empty() && ty.as_deref() == Some("OBJECT") {
                p.violation(
                    &format!("{named}.properties"),
                    "should be non-empty for OBJECT type",
                );
            }
            for (k, (name, sub)) in properties.iter().enumerate() {
                defined.push(name.as_str());
                gemini_schema(
                    p,
                    sub,
                    &format!("{at}.properties[{k}].value"),
                    &format!("{named}.properties[{name}]"),
                );
            }
        }
        Some(v) => p.invalid(
            &format!("{at}.properties"),
            &format!("{GEMINI_PROTO}.Schema"),
            v,
        ),
    }
    if let Some(items) = field(s, "items") {
        gemini_schema(p, items, &format!("{at}.items"), &format!("{named}.items"));
    }
    if let Some(any) = field(s, "anyOf") {
        for (k, sub) in repeated(any) {
            gemini_schema(
                p,
                sub,
                &format!("{at}.any_of{k}"),
                &format!("{named}.any_of{k}"),
            );
        }
    }
    if let Some(required) = field(s, "required") {
        for (k, r) in repeated(required) {
            match r.as_str() {
                Some(r) if defined.contains(&r) => {}
                Some(_) => p.violation(&format!("{named}.required{k}"), "property is not defined"),
                None => p.invalid(&format!("{at}.required{k}"), "TYPE_STRING", r),
            }
        }
    }
    if let Some(values) = field(s, "enum") {
        for (k, v) in repeated(values) {
            if !v.is_string() {
                p.invalid(&format!("{at}.enum{k}"), "TYPE_STRING", v);
            }
        }
        if ty.as_deref() != Some("STRING") {
            p.violation(&format!("{named}.enum"), "only allowed for STRING type");
        }
    }
}

/// The conversation's order: a function call turn follows a user turn (or a function response
/// turn); a function response turn follows a function call turn and answers each of its calls.
fn gemini_order(turns: &[GeminiTurn<'_>]) -> Result<(), String> {
    for (i, turn) in turns.iter().enumerate() {
        let before = i.checked_sub(1).map(|b| &turns[b]);
        if !turn.calls.is_empty() && before.is_none_or(|b| b.model) {
            return Err("Please ensure that function call turn comes immediately after a user turn or after a function response turn.".into());
        }
        if !turn.responses.is_empty() {
            let Some(call) = before.filter(|b| !b.calls.is_empty()) else {
                return Err("Please ensure that function response turn comes immediately after a function call turn.".into());
            };
            let mut unanswered = call.calls.clone();
            for name in &turn.responses {
                match unanswered.iter().position(|c| c == name) {
                    Some(k) => {
                        unanswered.remove(k);
                    }
                    None => {
                        return Err(format!(
                            "Please ensure that function response turn comes immediately after a function call turn: the function response \"{name}\" answers no function call of that name."
                        ));
                    }
                }
            }
        }
        if !turn.calls.is_empty()
            && let Some(next) = turns.get(i + 1)
            && next.responses.len() != turn.calls.len()
        {
            return Err("Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.".into());
        }
    }
    Ok(())
}

/// A `generateContent` request as the rules see it: the last user content with text parts, the
/// function declarations, the function responses (each `response` as JSON text).
fn gemini_view(body: &Value) -> View<'_> {
    let Some(obj) = body.as_object() else {
        return View {
            last_user: Cow::Borrowed(""),
            tools_text: String::new(),
            tool_count: 0,
            turn: 1,
            results: Vec::new(),
        };
    };
    let contents = gemini_contents(obj);
    let last_user = contents
        .iter()
        .rev()
        .filter(|(_, c)| !gemini_is_model(c))
        .map(|(_, c)| {
            part_fields(c, "text")
                .into_iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
        })
        .find(|t| !t.is_empty())
        .map_or(Cow::Borrowed(""), joined);
    let turn = 1 + contents
        .iter()
        .filter(|(_, c)| gemini_is_model(c) && !part_fields(c, "functionCall").is_empty())
        .count();
    let results = contents
        .iter()
        .flat_map(|(_, c)| part_fields(c, "functionResponse"))
        .filter_map(|r| r.as_object().and_then(|r| field(r, "response")))
        .map(|r| Cow::Owned(r.to_string()))
        .collect();
    let tools = field(obj, "tools");
    let tool_count = tools.map_or(0, |t| {
        repeated(t)
            .into_iter()
            .filter_map(|(_, t)| t.as_object().and_then(|t| field(t, "functionDeclarations")))
            .map(|d| repeated(d).len())
            .sum()
    });
    View {
        last_user,
        tools_text: tools.map(Value::to_string).unwrap_or_default(),
        tool_count,
        turn,
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Posts `body` with these headers; the status and the JSON answer.
    async fn post(url: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut request = reqwest::Client::new().post(url).json(&body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let resp = request.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    const ANTHROPIC_HEADERS: &[(&str, &str)] = &[
        ("x-api-key", "sk-ant-test"),
        ("anthropic-version", "2023-06-01"),
    ];

    async fn anthropic(server: &ScriptedServer, body: Value) -> (u16, Value) {
        post(
            &format!("{}/v1/messages", server.base()),
            ANTHROPIC_HEADERS,
            body,
        )
        .await
    }

    async fn gemini(server: &ScriptedServer, body: Value) -> (u16, Value) {
        post(
            &format!(
                "{}/v1beta/models/gemini-2.5-flash:generateContent",
                server.base()
            ),
            &[("x-goog-api-key", "AIza-test")],
            body,
        )
        .await
    }

    /// An Anthropic request with these messages and one tool.
    fn messages(messages: Value) -> Value {
        json!({
            "model": "claude-sonnet-4-5",
            "max_tokens": 1024,
            "system": "Pick a tool.",
            "messages": messages,
            "tools": [{
                "name": "search_logs",
                "description": "Search the logs.",
                "input_schema": {"type": "object", "properties": {"service": {"type": "string"}}, "required": ["service"]}
            }],
            "tool_choice": {"type": "auto"}
        })
    }

    /// A Gemini request with these contents and one function.
    fn contents(contents: Value) -> Value {
        json!({
            "contents": contents,
            "systemInstruction": {"parts": [{"text": "Pick a tool."}]},
            "tools": [{"functionDeclarations": [{
                "name": "search_logs",
                "description": "Search the logs.",
                "parameters": {"type": "object", "properties": {"service": {"type": "string"}}, "required": ["service"]}
            }]}],
            "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
            "generationConfig": {"temperature": 0, "maxOutputTokens": 1024}
        })
    }

    fn script() -> Script {
        Script::default()
            .call(
                "error logs",
                "search_logs",
                json!({"service": "checkout", "level": "error"}),
            )
            .rule(
                "broken args",
                Scripted::Calls(vec![("get_trace".into(), "{\"trace_id\": ".into())]),
            )
            .rule("hello", Scripted::Text("Hi there.".into()))
            .rule("teapot", Scripted::Status(418, "short and stout".into()))
    }

    fn message(code: u16, body: &Value) -> String {
        assert!(code >= 400, "{body}");
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    #[tokio::test]
    async fn the_openai_route_answers_as_before_and_records_key_and_body() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let body = json!({"model": "m", "messages": [{"role": "user", "content": "Show error logs"}], "tools": []});
        let (code, reply) = post(
            &format!("{}/chat/completions", server.url),
            &[("authorization", "Bearer sk-openai")],
            body.clone(),
        )
        .await;
        assert_eq!(code, 200);
        assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls");
        let call = &reply["choices"][0]["message"]["tool_calls"][0];
        assert_eq!(call["id"], "call_0");
        assert_eq!(call["function"]["name"], "search_logs");
        assert_eq!(
            call["function"]["arguments"],
            json!({"service": "checkout", "level": "error"}).to_string()
        );
        assert_eq!(server.requests(), 1);
        assert_eq!(server.keys(), ["sk-openai"]);
        assert_eq!(server.bodies(), [body]);
        assert_eq!(server.url, format!("{}/v1", server.base()));
    }

    #[tokio::test]
    async fn anthropic_answers_text_and_calls() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let (code, reply) = anthropic(
            &server,
            messages(json!([{"role": "user", "content": "hello"}])),
        )
        .await;
        assert_eq!(code, 200, "{reply}");
        assert_eq!(
            reply,
            json!({
                "id": "msg_scripted", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                "content": [{"type": "text", "text": "Hi there."}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 100, "output_tokens": 10}
            })
        );
        // Text blocks are read as the prompt too.
        let (code, reply) = anthropic(
            &server,
            messages(
                json!([{"role": "user", "content": [{"type": "text", "text": "Show error logs"}]}]),
            ),
        )
        .await;
        assert_eq!(code, 200, "{reply}");
        assert_eq!(reply["stop_reason"], "tool_use");
        assert_eq!(
            reply["content"],
            json!([{"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {"service": "checkout", "level": "error"}}])
        );
        let (_, reply) = anthropic(
            &server,
            messages(json!([{"role": "user", "content": "broken args"}])),
        )
        .await;
        assert_eq!(
            reply["content"][0]["input"],
            json!({"_raw": "{\"trace_id\": "})
        );
        // Other replies are sent as scripted.
        let (code, reply) = anthropic(
            &server,
            messages(json!([{"role": "user", "content": "teapot"}])),
        )
        .await;
        assert_eq!((code, reply), (418, json!("short and stout")));
    }

    #[tokio::test]
    async fn anthropic_refuses_a_request_without_key_or_version() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let url = format!("{}/v1/messages", server.base());
        let body = messages(json!([{"role": "user", "content": "hello"}]));
        let (code, reply) = post(&url, &[("anthropic-version", "2023-06-01")], body.clone()).await;
        assert_eq!(code, 401);
        assert_eq!(
            reply,
            json!({"type": "error", "error": {"type": "authentication_error", "message": "x-api-key header is required"}})
        );
        // A bearer token is not an Anthropic key.
        let (code, _) = post(
            &url,
            &[
                ("authorization", "Bearer sk-ant"),
                ("anthropic-version", "2023-06-01"),
            ],
            body.clone(),
        )
        .await;
        assert_eq!(code, 401);
        let (code, reply) = post(&url, &[("x-api-key", "sk-ant")], body).await;
        assert_eq!(code, 400);
        assert_eq!(reply["error"]["type"], "invalid_request_error");
        assert_eq!(server.requests(), 3);
        assert_eq!(server.keys(), ["", "", "sk-ant"]);
    }

    #[tokio::test]
    async fn anthropic_refuses_what_the_api_refuses() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let refused = async |body: Value| {
            let (code, reply) = anthropic(&server, body).await;
            assert_eq!(code, 400, "{reply}");
            assert_eq!(reply["type"], "error");
            assert_eq!(reply["error"]["type"], "invalid_request_error");
            message(code, &reply)
        };
        let system = refused(messages(json!([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello"}
        ])))
        .await;
        assert!(
            system.starts_with("messages: Unexpected role \"system\""),
            "{system}"
        );
        let orphan = refused(messages(json!([
            {"role": "user", "content": "Show error logs"},
            {"role": "assistant", "content": "Let me look."},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "3 lines"}]}
        ])))
        .await;
        assert_eq!(
            orphan,
            "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_0. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
        );
        let unanswered = refused(messages(json!([
            {"role": "user", "content": "Show error logs"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {}}]},
            {"role": "user", "content": "and then?"}
        ])))
        .await;
        assert!(
            unanswered.starts_with("messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_0."),
            "{unanswered}"
        );
        let mut any_of = messages(json!([{"role": "user", "content": "hello"}]));
        any_of["tools"][0]["input_schema"] =
            json!({"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}]});
        assert_eq!(
            refused(any_of).await,
            "tools.0.custom.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level"
        );
        let mut dotted = messages(json!([{"role": "user", "content": "hello"}]));
        dotted["tools"][0]["name"] = json!("logs.search");
        assert_eq!(
            refused(dotted).await,
            "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"
        );
        let mut openai_shape = messages(json!([{"role": "user", "content": "hello"}]));
        openai_shape["tools"] = json!([{"type": "function", "function": {"name": "search_logs", "parameters": {"type": "object"}}}]);
        assert!(
            refused(openai_shape)
                .await
                .starts_with("tools.0: Input tag 'function'")
        );
        let mut choice = messages(json!([{"role": "user", "content": "hello"}]));
        choice["tool_choice"] = json!("auto");
        refused(choice).await;
        let mut choice = messages(json!([{"role": "user", "content": "hello"}]));
        choice["tool_choice"] = json!({"type": "required"});
        refused(choice).await;
        let mut extra = messages(json!([{"role": "user", "content": "hello"}]));
        extra["parallel_tool_calls"] = json!(false);
        assert_eq!(
            refused(extra).await,
            "parallel_tool_calls: Extra inputs are not permitted"
        );
        let mut no_max = messages(json!([{"role": "user", "content": "hello"}]));
        no_max.as_object_mut().unwrap().remove("max_tokens");
        assert_eq!(refused(no_max).await, "max_tokens: Field required");
        let mut zero = messages(json!([{"role": "user", "content": "hello"}]));
        zero["max_tokens"] = json!(0);
        refused(zero).await;
        refused(messages(json!([]))).await;
        refused(messages(json!([{"role": "assistant", "content": "hi"}]))).await;
        refused(messages(
            json!([{"role": "user", "content": [{"type": "text", "text": ""}]}]),
        ))
        .await;
        // Every refused request was still counted and recorded.
        assert_eq!(server.requests(), 14);
        assert_eq!(server.bodies().len(), 14);
    }

    #[tokio::test]
    async fn anthropic_merges_consecutive_messages_of_one_role() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let (code, reply) = anthropic(
            &server,
            messages(json!([
                {"role": "user", "content": "Show error logs"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {"service": "checkout"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "3 lines"}]},
                {"role": "user", "content": "now say hello"}
            ])),
        )
        .await;
        assert_eq!(code, 200, "{reply}");
        assert_eq!(reply["content"][0]["text"], "Hi there.");
    }

    #[tokio::test]
    async fn anthropic_conversations_match_turns_and_results() {
        let script = Script::default()
            .after_result("", "no errors", Scripted::Text("Checkout is clean.".into()))
            .at_turn(
                "",
                2,
                Scripted::Calls(vec![
                    ("get_trace".into(), "{\"id\": \"a\"}".into()),
                    ("get_trace".into(), "{\"id\": \"b\"}".into()),
                ]),
            )
            .call("checkout", "search_logs", json!({"service": "checkout"}));
        let server = ScriptedServer::start(script).await.unwrap();
        let mut history = vec![json!({"role": "user", "content": "Is checkout healthy?"})];
        let (code, first) = anthropic(&server, messages(json!(history))).await;
        assert_eq!(code, 200, "{first}");
        assert_eq!(first["content"][0]["id"], "toolu_0");
        history.push(json!({"role": "assistant", "content": first["content"]}));
        history.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": [{"type": "text", "text": "2 traces"}]}]}));
        let (code, second) = anthropic(&server, messages(json!(history))).await;
        assert_eq!(code, 200, "{second}");
        assert_eq!(second["stop_reason"], "tool_use");
        let ids: Vec<&Value> = second["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| &b["id"])
            .collect();
        assert_eq!(ids, [&json!("toolu_2_0"), &json!("toolu_2_1")]);
        history.push(json!({"role": "assistant", "content": second["content"]}));
        history.push(json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_2_0", "content": "no errors in a"},
            {"type": "tool_result", "tool_use_id": "toolu_2_1", "content": "timeout in b", "is_error": true}
        ]}));
        let (code, third) = anthropic(&server, messages(json!(history))).await;
        assert_eq!(code, 200, "{third}");
        assert_eq!(third["content"][0]["text"], "Checkout is clean.");
        // What the client sent is kept, the tool results with it.
        let sent = server.bodies();
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[2]["messages"][4]["content"][1]["is_error"], true);
    }

    #[tokio::test]
    async fn gemini_answers_text_and_calls() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let (code, reply) = gemini(
            &server,
            contents(json!([{"role": "user", "parts": [{"text": "hello"}]}])),
        )
        .await;
        assert_eq!(code, 200, "{reply}");
        assert_eq!(
            reply,
            json!({
                "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi there."}]}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 10, "totalTokenCount": 110},
                "modelVersion": "gemini-2.5-flash"
            })
        );
        // No role means the user's.
        let (code, reply) = gemini(
            &server,
            contents(json!([{"parts": [{"text": "Show error logs"}]}])),
        )
        .await;
        assert_eq!(code, 200, "{reply}");
        assert_eq!(
            reply["candidates"][0]["content"]["parts"],
            json!([{"functionCall": {"name": "search_logs", "args": {"service": "checkout", "level": "error"}}}])
        );
        let (_, reply) = gemini(
            &server,
            contents(json!([{"role": "user", "parts": [{"text": "broken args"}]}])),
        )
        .await;
        assert_eq!(
            reply["candidates"][0]["content"]["parts"][0]["functionCall"]["args"],
            json!({"_raw": "{\"trace_id\": "})
        );
        let (code, reply) = gemini(
            &server,
            contents(json!([{"role": "user", "parts": [{"text": "teapot"}]}])),
        )
        .await;
        assert_eq!((code, reply), (418, json!("short and stout")));
    }

    #[tokio::test]
    async fn gemini_takes_the_key_from_the_header_or_the_query_and_refuses_none() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let url = format!(
            "{}/v1beta/models/gemini-2.5-flash:generateContent",
            server.base()
        );
        let body = contents(json!([{"role": "user", "parts": [{"text": "hello"}]}]));
        let (code, reply) = post(&url, &[], body.clone()).await;
        assert_eq!(code, 403);
        assert_eq!(reply["error"]["code"], 403);
        assert_eq!(reply["error"]["status"], "PERMISSION_DENIED");
        assert!(message(code, &reply).starts_with("Method doesn't allow unregistered callers"));
        let (code, _) = post(&format!("{url}?key=AIza%2Bq"), &[], body.clone()).await;
        assert_eq!(code, 200);
        let (code, _) = post(&url, &[("x-goog-api-key", "AIza-h")], body.clone()).await;
        assert_eq!(code, 200);
        assert_eq!(server.keys(), ["", "AIza+q", "AIza-h"]);
        // Only generateContent is served; other actions are not counted.
        let stream = url.replace(":generateContent", ":streamGenerateContent");
        let (code, reply) = post(&stream, &[("x-goog-api-key", "k")], body).await;
        assert_eq!(code, 404);
        assert_eq!(reply["error"]["status"], "NOT_FOUND");
        assert_eq!(server.requests(), 3);
    }

    #[tokio::test]
    async fn gemini_refuses_what_the_api_refuses() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let refused = async |body: Value| {
            let (code, reply) = gemini(&server, body).await;
            assert_eq!(code, 400, "{reply}");
            assert_eq!(reply["error"]["code"], 400);
            assert_eq!(reply["error"]["status"], "INVALID_ARGUMENT");
            message(code, &reply)
        };
        let user = json!([{"role": "user", "parts": [{"text": "hello"}]}]);
        let mut extra = contents(user.clone());
        extra["tools"][0]["functionDeclarations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "get_trace", "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": false}}));
        assert_eq!(
            refused(extra).await,
            "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[1].parameters': Cannot find field."
        );
        let mut nested = contents(user.clone());
        nested["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["service"] =
            json!({"type": "string", "const": "checkout"});
        assert_eq!(
            refused(nested).await,
            "Invalid JSON payload received. Unknown name \"const\" at 'tools[0].function_declarations[0].parameters.properties[0].value': Cannot find field."
        );
        // A property named like a keyword is a name, not a keyword.
        let mut named = contents(user.clone());
        named["tools"][0]["functionDeclarations"][0]["parameters"]["properties"] =
            json!({"additionalProperties": {"type": "string"}});
        named["tools"][0]["functionDeclarations"][0]["parameters"]["required"] = json!([]);
        let (code, reply) = gemini(&server, named).await;
        assert_eq!(code, 200, "{reply}");
        let mut union = contents(user.clone());
        union["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["service"]["type"] =
            json!(["string", "null"]);
        refused(union).await;
        let mut numbers = contents(user.clone());
        numbers["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["service"] =
            json!({"type": "integer", "enum": [1, 2]});
        refused(numbers).await;
        let mut empty = contents(user.clone());
        empty["tools"][0]["functionDeclarations"][0]["parameters"] =
            json!({"type": "object", "properties": {}});
        assert_eq!(
            refused(empty).await,
            "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for OBJECT type\n"
        );
        let mut bad_name = contents(user.clone());
        bad_name["tools"][0]["functionDeclarations"][0]["name"] = json!("search logs");
        assert!(refused(bad_name).await.contains("Invalid function name"));
        let mut mode = contents(user.clone());
        mode["toolConfig"]["functionCallingConfig"]["mode"] = json!("REQUIRED");
        refused(mode).await;
        // A functionResponse answers a functionCall of the model turn just before it.
        let orphan = refused(contents(json!([
            {"role": "user", "parts": [{"text": "Show error logs"}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "search_logs", "response": {"lines": 3}}}]}
        ])))
        .await;
        assert_eq!(
            orphan,
            "Please ensure that function response turn comes immediately after a function call turn."
        );
        let other_name = refused(contents(json!([
            {"role": "user", "parts": [{"text": "Show error logs"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "search_logs", "args": {}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "get_trace", "response": {"lines": 3}}}]}
        ])))
        .await;
        assert!(other_name.contains("\"get_trace\""), "{other_name}");
        refused(contents(json!([
            {"role": "user", "parts": [{"text": "Show error logs"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "search_logs", "args": {}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "search_logs", "response": "3 lines"}}]}
        ])))
        .await;
        refused(contents(
            json!([{"role": "system", "parts": [{"text": "hi"}]}]),
        ))
        .await;
        refused(contents(json!([]))).await;
        refused(contents(json!([{"role": "user", "parts": []}]))).await;
        let mut unknown = contents(user.clone());
        unknown["messages"] = json!([]);
        assert_eq!(
            refused(unknown).await,
            "Invalid JSON payload received. Unknown name \"messages\": Cannot find field."
        );
    }

    #[tokio::test]
    async fn gemini_reads_proto_field_names_too() {
        let server = ScriptedServer::start(script()).await.unwrap();
        let body = json!({
            "contents": [{"role": "user", "parts": [{"text": "Show error logs"}]}],
            "system_instruction": {"parts": [{"text": "Pick a tool."}]},
            "tools": [{"function_declarations": [{"name": "search_logs", "parameters": {"type": "OBJECT", "properties": {"service": {"type": "STRING"}}}}]}],
            "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["search_logs"]}}
        });
        let (code, reply) = gemini(&server, body).await;
        assert_eq!(code, 200, "{reply}");
        assert_eq!(
            reply["candidates"][0]["content"]["parts"][0]["functionCall"]["name"],
            "search_logs"
        );
    }

    #[tokio::test]
    async fn gemini_conversations_match_turns_and_results() {
        let script = Script::default()
            .after_result("", "no errors", Scripted::Text("Checkout is clean.".into()))
            .at_turn(
                "",
                2,
                Scripted::Calls(vec![
                    ("get_trace".into(), "{\"id\": \"a\"}".into()),
                    ("get_trace".into(), "{\"id\": \"b\"}".into()),
                ]),
            )
            .rule_if_at_most("checkout", 0, Scripted::Text("no tools".into()))
            .rule_if_tools(
                "checkout",
                "Search the logs",
                Scripted::Calls(vec![("search_logs".into(), "{}".into())]),
            );
        let server = ScriptedServer::start(script).await.unwrap();
        let mut history =
            vec![json!({"role": "user", "parts": [{"text": "Is checkout healthy?"}]})];
        let (code, first) = gemini(&server, contents(json!(history))).await;
        assert_eq!(code, 200, "{first}");
        let first = first["candidates"][0]["content"].clone();
        assert_eq!(first["parts"][0]["functionCall"]["name"], "search_logs");
        history.push(first);
        history.push(json!({"role": "user", "parts": [{"functionResponse": {"name": "search_logs", "response": {"result": "2 traces"}}}]}));
        let (code, second) = gemini(&server, contents(json!(history))).await;
        assert_eq!(code, 200, "{second}");
        let second = second["candidates"][0]["content"].clone();
        assert_eq!(second["parts"].as_array().unwrap().len(), 2);
        history.push(second);
        history.push(json!({"role": "user", "parts": [
            {"functionResponse": {"name": "get_trace", "response": {"result": "no errors in a"}}},
            {"functionResponse": {"name": "get_trace", "response": {"error": "timeout in b"}}}
        ]}));
        let (code, third) = gemini(&server, contents(json!(history))).await;
        assert_eq!(code, 200, "{third}");
        assert_eq!(
            third["candidates"][0]["content"]["parts"][0]["text"],
            "Checkout is clean."
        );
        // Without tools the tool-count rule answers.
        let mut bare = contents(json!([{"role": "user", "parts": [{"text": "checkout?"}]}]));
        bare.as_object_mut().unwrap().remove("tools");
        let (_, reply) = gemini(&server, bare).await;
        assert_eq!(
            reply["candidates"][0]["content"]["parts"][0]["text"],
            "no tools"
        );
        assert_eq!(
            server.bodies()[2]["contents"][4]["parts"][1]["functionResponse"]["response"]["error"],
            "timeout in b"
        );
    }

    #[tokio::test]
    async fn one_server_counts_and_records_every_dialect_in_order() {
        let server = ScriptedServer::start(Script::default().rule(
            "",
            Scripted::Sequence(vec![
                Scripted::Text("one".into()),
                Scripted::Text("two".into()),
                Scripted::Text("three".into()),
            ]),
        ))
        .await
        .unwrap();
        let openai_body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        let (_, a) = post(
            &format!("{}/chat/completions", server.url),
            &[("authorization", "Bearer sk-o")],
            openai_body.clone(),
        )
        .await;
        let anthropic_body = messages(json!([{"role": "user", "content": "hi"}]));
        let (_, b) = anthropic(&server, anthropic_body.clone()).await;
        let gemini_body = contents(json!([{"parts": [{"text": "hi"}]}]));
        let (_, c) = gemini(&server, gemini_body.clone()).await;
        assert_eq!(a["choices"][0]["message"]["content"], "one");
        assert_eq!(b["content"][0]["text"], "two");
        assert_eq!(c["candidates"][0]["content"]["parts"][0]["text"], "three");
        assert_eq!(server.requests(), 3);
        assert_eq!(server.keys(), ["sk-o", "sk-ant-test", "AIza-test"]);
        assert_eq!(server.bodies(), [openai_body, anthropic_body, gemini_body]);
    }
}
