//! `tooleval bench-server`: the mock model of `bench`, in a process of its own. It speaks the
//! three APIs tooleval asks (OpenAI chat completions, Anthropic Messages, Gemini
//! `generateContent`) just enough for the bench's conversation, and checks nothing: what each
//! API refuses is the test suite's scripted server's business (`model::scripted`, built for the
//! tests only).
//!
//! Every request is answered after `--latency-ms` with a call of `tool_0` for record `x`; with
//! `--agent`, turn 2 (a request carrying one reply with calls) calls it for `y` and turn 3
//! answers in text. Usage is what each API would report: the request's tokens (estimated at 4
//! bytes each), with the share its prompt cache served (`model::prompt_cache`) in each API's
//! own fields.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::cli::BenchServerArgs;
use crate::error::{Error, Result, exit};
use crate::model::prompt_cache::{self, PromptCache};
use crate::output::Output;

/// The mock's settings and its count of requests.
struct Mock {
    delay: Duration,
    agent: bool,
    requests: AtomicUsize,
    cache: PromptCache,
}

/// What the mock says at a turn: a call of `tool_0` for this record, or the final text.
enum Say {
    Call(&'static str),
    Text(&'static str),
}

impl Mock {
    /// Counts the request, waits the latency, and says what the turn calls for.
    async fn turn(&self, earlier_calls: usize) -> Say {
        self.requests.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.delay).await;
        match (self.agent, earlier_calls) {
            (true, 1) => Say::Call("y"),
            (true, n) if n >= 2 => Say::Text("Records x and y fetched."),
            _ => Say::Call("x"),
        }
    }
}

/// The request's body as JSON; anything else reads as an empty request (turn 1).
fn read(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// How many earlier messages of `role` in the body's `list` made calls (`has_call`).
fn earlier(body: &Value, list: &str, role: &str, has_call: impl Fn(&Value) -> bool) -> usize {
    body.get(list).and_then(Value::as_array).map_or(0, |m| {
        m.iter()
            .filter(|m| m.get("role").and_then(Value::as_str) == Some(role) && has_call(m))
            .count()
    })
}

async fn openai(State(mock): State<Arc<Mock>>, bytes: Bytes) -> axum::Json<Value> {
    let body = read(&bytes);
    let (read, written) = mock.cache.lookup(&[prompt_cache::openai_prefix(&body)]);
    let prompt = (bytes.len() as u64 / 4).max(read + written);
    let n = earlier(&body, "messages", "assistant", |m| {
        m.get("tool_calls").is_some()
    });
    let (message, finish) = match mock.turn(n).await {
        Say::Call(id) => (
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": format!("call_{n}"), "type": "function", "function": {"name": "tool_0", "arguments": json!({"id": id}).to_string()}}]}),
            "tool_calls",
        ),
        Say::Text(text) => (json!({"role": "assistant", "content": text}), "stop"),
    };
    axum::Json(json!({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": body.get("model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": 10, "total_tokens": prompt + 10, "prompt_tokens_details": {"cached_tokens": read}}
    }))
}

async fn anthropic(State(mock): State<Arc<Mock>>, bytes: Bytes) -> axum::Json<Value> {
    let body = read(&bytes);
    let (read, written) = mock.cache.lookup(&prompt_cache::anthropic_prefixes(&body));
    let input = (bytes.len() as u64 / 4).saturating_sub(read + written);
    let n = earlier(&body, "messages", "assistant", |m| {
        m.get("content")
            .and_then(Value::as_array)
            .is_some_and(|b| b.iter().any(|b| b.get("type") == Some(&json!("tool_use"))))
    });
    let (content, stop) = match mock.turn(n).await {
        Say::Call(id) => (
            json!([{"type": "tool_use", "id": format!("toolu_{n}"), "name": "tool_0", "input": {"id": id}}]),
            "tool_use",
        ),
        Say::Text(text) => (json!([{"type": "text", "text": text}]), "end_turn"),
    };
    axum::Json(json!({
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {"input_tokens": input, "cache_read_input_tokens": read, "cache_creation_input_tokens": written, "output_tokens": 10}
    }))
}

async fn gemini(State(mock): State<Arc<Mock>>, bytes: Bytes) -> axum::Json<Value> {
    let body = read(&bytes);
    let (read, written) = mock.cache.lookup(&[prompt_cache::gemini_prefix(&body)]);
    let prompt = (bytes.len() as u64 / 4).max(read + written);
    let n = earlier(&body, "contents", "model", |c| {
        c.get("parts")
            .and_then(Value::as_array)
            .is_some_and(|p| p.iter().any(|p| p.get("functionCall").is_some()))
    });
    let part = match mock.turn(n).await {
        Say::Call(id) => json!({"functionCall": {"name": "tool_0", "args": {"id": id}}}),
        Say::Text(text) => json!({ "text": text }),
    };
    axum::Json(json!({
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": 10, "totalTokenCount": prompt + 10, "cachedContentTokenCount": read}
    }))
}

/// `tooleval bench-server`: prints its URL (the OpenAI-compatible root, `/v1`), serves until
/// stdin closes, then prints how many requests came.
pub(crate) async fn bench_server_command(out: &Output, args: BenchServerArgs) -> Result<i32> {
    let mock = Arc::new(Mock {
        delay: Duration::from_millis(args.latency_ms),
        agent: args.agent,
        requests: AtomicUsize::new(0),
        cache: PromptCache::default(),
    });
    let router = axum::Router::new()
        .route("/v1/chat/completions", post(openai))
        .route("/v1/messages", post(anthropic))
        .route("/v1beta/models/{action}", post(gemini))
        .with_state(mock.clone());
    let bind = |e| Error::io("start the mock model on", "127.0.0.1", e);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    // Stdout is line-buffered: the parent reads the URL at once.
    out.print(&format!("http://{addr}/v1\n"));
    // Serve until the parent closes stdin, then report how many requests came.
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        let _ = std::io::stdin().read_line(&mut sink);
    })
    .await;
    out.print(&format!(
        "requests {}\n",
        mock.requests.load(Ordering::Relaxed)
    ));
    Ok(exit::OK)
}
