//! A scripted OpenAI-compatible chat server on 127.0.0.1, answering each prompt from a script.
//! The test suite and benchmarks use it as the model: real HTTP, known answers, no network.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Rules tried in order; the first whose `when` occurs in the last user message answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Script {
    pub rules: Vec<Rule>,
    /// Delay before every answer (latency injection), in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
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
    /// When set, the rule applies only if a tool result sent back (a `tool` message) contains
    /// this text.
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

struct Shared {
    script: Script,
    requests: AtomicUsize,
    /// Requests each rule has answered, for `Sequence`.
    answered: std::sync::Mutex<Vec<usize>>,
}

/// A running scripted server. Dropping it stops the server.
pub struct ScriptedServer {
    /// The base URL, including `/v1`.
    pub url: String,
    shared: Arc<Shared>,
    stop: tokio_util::sync::CancellationToken,
}

impl ScriptedServer {
    /// Starts the server on 127.0.0.1 on a free port, in the current tokio runtime.
    pub async fn start(script: Script) -> std::io::Result<ScriptedServer> {
        let answered = std::sync::Mutex::new(vec![0; script.rules.len()]);
        let shared = Arc::new(Shared {
            script,
            requests: AtomicUsize::new(0),
            answered,
        });
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(answer))
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
            shared,
            stop,
        })
    }

    /// How many chat requests arrived.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn answer(State(shared): State<Arc<Shared>>, body: axum::Json<Value>) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    if shared.script.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(shared.script.delay_ms)).await;
    }
    let model = body.get("model").cloned().unwrap_or(Value::Null);
    let mut reply = choose_reply(&shared, &body);
    while let Scripted::Delay(ms, inner) = reply {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        reply = *inner;
    }
    let message = match reply {
        Scripted::Sequence(_) | Scripted::Delay(..) => {
            json!({"role": "assistant", "content": "nested sequences are not scripted"})
        }
        Scripted::StatusWithHeaders(code, headers, body) => {
            return status_with_headers(code, headers, body);
        }
        Scripted::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        Scripted::Status(code, body) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, body).into_response();
        }
        Scripted::Raw(text) => {
            return (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                text,
            )
                .into_response();
        }
        Scripted::Body(body) => return axum::Json(body).into_response(),
        Scripted::Text(text) => json!({"role": "assistant", "content": text}),
        Scripted::Calls(calls) => calls_message(&calls, turn_of(&body)),
    };
    completion(message, model)
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

/// The reply of the first rule that fits the request, counting the request against that rule
/// so a `Sequence` moves on; a fixed text when no rule fits.
fn choose_reply(shared: &Shared, body: &Value) -> Scripted {
    let last_user = body
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        })
        .and_then(|m| m.get("content").and_then(Value::as_str))
        .unwrap_or("");
    let tools_text = body.get("tools").map(Value::to_string).unwrap_or_default();
    let tool_count = body
        .get("tools")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let role = |m: &Value, r: &str| m.get("role").and_then(Value::as_str) == Some(r);
    let turn = turn_of(body);
    let results: Vec<&str> = messages
        .iter()
        .filter(|m| role(m, "tool"))
        .filter_map(|m| m.get("content").and_then(Value::as_str))
        .collect();
    let rule = shared.script.rules.iter().enumerate().find(|(_, r)| {
        last_user.contains(&r.when)
            && r.tools_contain
                .as_ref()
                .is_none_or(|t| tools_text.contains(t.as_str()))
            && r.max_tools.is_none_or(|n| tool_count <= n)
            && r.turn.is_none_or(|n| n == turn)
            && r.results_contain
                .as_ref()
                .is_none_or(|t| results.iter().any(|r| r.contains(t.as_str())))
    });
    let Some((i, r)) = rule else {
        return Scripted::Text("no script for this prompt".into());
    };
    let mut answered = shared.answered.lock().unwrap_or_else(|p| p.into_inner());
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

/// An assistant message making these calls, with ids as the chat API numbers them (distinct
/// over a conversation: the turn is part of each).
fn calls_message(calls: &[(String, String)], turn: usize) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            let id = if turn > 1 {
                format!("call_{turn}_{i}")
            } else {
                format!("call_{i}")
            };
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
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
