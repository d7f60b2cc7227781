//! What every model API over HTTP shares: the connection, the rate limits, retries with backoff
//! and `Retry-After`, the response-cache key, and reading a failed answer. A provider (the
//! OpenAI-compatible chat API, Anthropic's Messages API, Gemini's `generateContent`) is a
//! [`Wire`]: how a request is written, how a reply is read, what an error status means.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::transport::{Transport, public_url};
use super::{
    ErrorKind, Model, ModelError, ModelReply, ModelRequest, OutputFormat, OutputSchema, RateLimiter,
};
use crate::config::{ModelConfig, Provider};
use crate::error::{Error, Result};
use crate::mcp::ToolSet;
use crate::record::ModelInfo;

const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Retries of a transient failure (429, 5xx, timeout, dropped connection) unless configured.
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 3;
/// The first backoff; it doubles each attempt, up to `MAX_BACKOFF`, with full jitter.
const BASE_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest `Retry-After` waited for before a retry: the bound of Anthropic's and OpenAI's
/// SDKs (`0 < retry_after <= 60`, `_calculate_retry_timeout`, as of 2026). A server asking for
/// more is asked again after this long, and the reply notes it.
const MAX_ASKED_WAIT: Duration = Duration::from_secs(60);

/// One provider's side of the exchange.
pub(super) trait Wire: Send + Sync {
    fn provider(&self) -> Provider;
    /// How this API is asked for a reply that follows a request's `output` schema.
    fn output_format(&self) -> OutputFormat;
    /// Writes the request for `req` (its tools already in this API's form).
    fn write_body(&self, req: &ModelRequest, out: &mut Vec<u8>) -> serde_json::Result<()>;
    /// Reads a 2xx answer's body.
    fn read_reply(&self, body: &[u8]) -> Result<ModelReply, ModelError>;
    /// What a non-2xx answer means.
    fn failure(&self, status: u16, body: &[u8], retry_after: Option<Duration>) -> ModelError;
    /// The tools in this API's form, serialized once per run.
    fn tools(&self, tools: &ToolSet) -> Box<RawValue>;
    /// The schemas as [`Wire::tools`] sends them, where they differ from the servers' own.
    fn converted(&self, tools: &ToolSet) -> Option<crate::mcp::Converted> {
        crate::mcp::Converted::of(tools, self.provider())
    }
    /// The request parameters the eval set, as this API is sent them (for the report).
    fn parameters(&self) -> BTreeMap<String, Value>;
    /// What a reader of the report should know about how the eval's settings were sent.
    fn note(&self) -> Option<String> {
        None
    }
    /// What this request was sent otherwise than the conversation holds it (a stand-in for a
    /// value the API refuses), for the reply's notes.
    fn request_notes(&self, _req: &ModelRequest) -> Vec<String> {
        Vec::new()
    }
}

/// A model behind an HTTP API, spoken to through its provider's [`Wire`].
pub(super) struct HttpModel<W> {
    wire: W,
    /// To the provider's endpoint, with its headers (the key marked sensitive).
    transport: Transport,
    config: ModelConfig,
    base_url: String,
    limiter: RateLimiter,
    max_retries: u32,
    /// Slots shared with other models asked at once: a request holds one while on the wire.
    slots: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>>,
    /// The endpoint as the cache key names it (host and path; for Gemini, the model is in it).
    endpoint: String,
    /// The API refused a structured reply once: later requests ask for plain text at once.
    refused_output: AtomicBool,
}

/// `req` asking for plain text.
fn without_output(req: &ModelRequest) -> ModelRequest {
    ModelRequest {
        output: None,
        ..req.clone()
    }
}

/// Whether a failure is the API refusing a structured reply (a model or server without
/// structured outputs), by the texts the APIs and servers are known to answer with (each with
/// its source in docs/suite-format.md, "Structured replies"): a status 400, 422 or 500 whose
/// message names the feature. The request is then asked again as plain text.
fn refuses_output(err: &ModelError) -> bool {
    const SIGNS: [&str; 9] = [
        "response_format",
        "json_schema",
        "output_config",
        "output_format",
        "response_schema",
        "responseschema",
        "response mime type",
        "tool_choice forces tool use",
        "structured output",
    ];
    let message = err.message.to_lowercase();
    matches!(err.status, Some(400 | 422 | 500)) && SIGNS.iter().any(|s| message.contains(s))
}

/// Where a provider's model is and the key it is asked with, from the eval, else the
/// provider's variables. `replay` builds a client that will never be asked: no key is needed.
pub(super) struct Place {
    pub base_url: String,
    pub key: String,
}

impl Place {
    pub(crate) fn resolve(config: &ModelConfig, replay: bool) -> Result<Place> {
        Place::resolve_in(config, replay, |var| std::env::var(var).ok())
    }

    /// [`Place::resolve`] with the environment's variables read by `env`.
    fn resolve_in(
        config: &ModelConfig,
        replay: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Place> {
        let provider = config.provider();
        let base_url = config
            .base_url
            .clone()
            .or_else(|| env(provider.base_url_var()))
            .unwrap_or_else(|| provider.default_base_url().to_owned())
            .trim_end_matches('/')
            .to_owned();
        let var = provider.key_var();
        let key = config
            .api_key
            .clone()
            .or_else(|| env(var))
            .unwrap_or_default()
            .trim()
            .to_owned();
        crate::secrets::register_secret(var, &key);
        if key.chars().any(char::is_control) {
            return Err(Error::Model {
                message: format!("the {} key holds a control character", provider.title()),
                hint: Some(format!(
                    "check {var} (or the eval's `api_key`) for a stray newline"
                )),
            });
        }
        if key.is_empty() && base_url == provider.default_base_url() && !replay {
            let local = match provider {
                Provider::Openai => {
                    ", or set `model.base_url` to a local server (Ollama, vLLM, llama.cpp)"
                }
                _ => "",
            };
            return Err(Error::usage(
                format!(
                    "no API key for `{}` at {base_url} ({})",
                    config.name,
                    provider.title()
                ),
                Some(format!(
                    "export {var}{local}, or use `--model baseline` to run offline"
                )),
            ));
        }
        Ok(Place { base_url, key })
    }

    /// The endpoint `path` under the base URL, checked to be http(s).
    pub(crate) fn endpoint(&self, provider: Provider, path: &str) -> Result<reqwest::Url> {
        reqwest::Url::parse(&format!("{}{path}", self.base_url))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                Error::usage(
                    format!("`{}` is not an http(s) URL", public_url(&self.base_url)),
                    Some(format!(
                        "set `model.base_url` (or {}) to the API's root, e.g. {}",
                        provider.base_url_var(),
                        provider.default_base_url()
                    )),
                )
            })
    }
}

/// A request body: its fields, and the tools as serialized once per run (sent as they are, not
/// parsed and written again per request). Left out when no tool is offered.
#[derive(serde::Serialize)]
pub(super) struct Body<'a> {
    #[serde(flatten)]
    pub fields: serde_json::Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<&'a RawValue>,
    /// What goes with the tools (the tool choice), left out with them.
    #[serde(flatten)]
    pub with_tools: serde_json::Map<String, Value>,
}

/// The system text of a request for APIs that take it apart from the conversation: the task's
/// system messages, else the eval's `system_prompt`; then what the host adds.
pub(super) fn system_text(req: &ModelRequest, config: &ModelConfig) -> Option<String> {
    let system: Vec<&str> = req
        .messages
        .iter()
        .filter(|m| m.role == crate::config::Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let own = if system.is_empty() {
        config.system_prompt.clone()
    } else {
        Some(system.join("\n\n"))
    };
    with_host(own, req)
}

/// `own` system text followed by the host's, when it adds any.
pub(super) fn with_host(own: Option<String>, req: &ModelRequest) -> Option<String> {
    match (own, req.host_system.as_deref()) {
        (Some(own), Some(host)) => Some(format!("{own}\n\n{host}")),
        (None, Some(host)) => Some(host.to_owned()),
        (own, None) => own,
    }
}

/// A call's arguments as the object APIs with structured arguments take; arguments that are not
/// a JSON object (the model's mistake, already answered with an error) are sent as an empty one.
pub(super) fn arguments_object(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::Object(serde_json::Map::new()),
    }
}

/// A value serialized once, to be sent as it is.
pub(super) fn raw(value: &impl serde::Serialize) -> Box<RawValue> {
    let text = serde_json::to_string(value).expect("tools serialize");
    RawValue::from_string(text).expect("serde_json wrote valid JSON")
}

/// A header value holding a secret: never shown in debug output.
pub(super) fn secret_header(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| Error::Model {
        message: "the API key is not a valid header value".into(),
        hint: Some("check the variable the key comes from for stray characters".into()),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

impl<W: Wire> HttpModel<W> {
    pub(super) fn new(
        wire: W,
        config: &ModelConfig,
        place: Place,
        endpoint: reqwest::Url,
        mut headers: HeaderMap,
    ) -> Result<Self> {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let endpoint_key = format!("{}{}", endpoint.host_str().unwrap_or(""), endpoint.path());
        let timeout = Duration::from_secs(config.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS));
        let transport =
            Transport::new(endpoint, headers, timeout).map_err(|message| Error::Model {
                message,
                hint: Some(
                    "on a minimal system, install the CA certificates (e.g. `ca-certificates`)"
                        .into(),
                ),
            })?;
        Ok(HttpModel {
            wire,
            transport,
            config: config.clone(),
            base_url: place.base_url,
            limiter: RateLimiter::new(config.requests_per_minute, config.tokens_per_minute),
            max_retries: config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            slots: std::sync::OnceLock::new(),
            endpoint: endpoint_key,
            refused_output: AtomicBool::new(false),
        })
    }

    /// One attempt: the reply, or why there is none.
    async fn send(&self, body: bytes::Bytes) -> Result<ModelReply, ModelError> {
        let answer = self.transport.post(body).await?;
        if !(200..300).contains(&answer.status) {
            let mut err = self
                .wire
                .failure(answer.status, &answer.body, answer.retry_after);
            // The server's own word on a retry wins over its status, as in the SDKs.
            match answer.should_retry {
                Some(true) => err.kind = ErrorKind::Transient,
                Some(false) if err.kind == ErrorKind::Transient => err.kind = ErrorKind::Other,
                _ => {}
            }
            return Err(err);
        }
        self.wire.read_reply(&answer.body)
    }

    /// A reply to a request with an output schema, as the caller reads it: the forced tool's
    /// input as its text, and how it was asked for (with the refusal, when the API refused).
    fn shape(&self, reply: &mut ModelReply, output: &OutputSchema, refusal: Option<&str>) {
        if let Some(i) = reply.tool_calls.iter().position(|c| c.name == output.name) {
            let call = reply.tool_calls.remove(i);
            reply.content = Some(call.arguments);
        }
        reply.format = Some(match refusal {
            None => self.wire.output_format(),
            Some(why) => {
                reply.notes.push(format!(
                    "{} refused structured output, so plain text was asked for: {why}",
                    self.wire.provider().title()
                ));
                OutputFormat::Text
            }
        });
    }

    fn body(&self, req: &ModelRequest) -> Result<Vec<u8>, ModelError> {
        let mut body = Vec::with_capacity(req.api_tools.get().len() + 1024);
        self.wire.write_body(req, &mut body).map_err(|e| {
            ModelError::new(ErrorKind::Other, format!("cannot write the request: {e}"))
        })?;
        Ok(body)
    }
}

impl<W: Wire> Model for HttpModel<W> {
    fn info(&self) -> ModelInfo {
        // What is sent with every request, plus what shapes the conversation and its reading.
        let mut parameters = self.wire.parameters();
        let c = &self.config;
        if let Some(s) = &c.system_prompt {
            parameters.insert("system_prompt".into(), s.clone().into());
        }
        if c.recover_text_calls {
            parameters.insert("recover_text_calls".into(), true.into());
        }
        ModelInfo {
            name: c.name.clone(),
            kind: kind_of(self.wire.provider()).into(),
            note: self.wire.note(),
            base_url: Some(public_url(&self.base_url)),
            parameters,
        }
    }

    fn share_slots(&self, slots: std::sync::Arc<tokio::sync::Semaphore>) {
        let _ = self.slots.set(slots);
    }

    fn api_tools(&self, tools: &ToolSet) -> Box<RawValue> {
        self.wire.tools(tools)
    }

    fn converted(&self, tools: &ToolSet) -> Option<crate::mcp::Converted> {
        self.wire.converted(tools)
    }

    fn complete<'a>(
        &'a self,
        req: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<ModelReply, ModelError>> {
        Box::pin(async move {
            // A structured reply is asked for until the API refuses it once; then, for this
            // request and every later one, plain text (read leniently by the caller).
            let mut refusal: Option<String> = None;
            let plain;
            let mut asked = req;
            if req.output.is_some() && self.refused_output.load(Ordering::Relaxed) {
                plain = without_output(req);
                asked = &plain;
                refusal = Some("refused earlier in this run".into());
            }
            // Serialized once; every attempt sends the same bytes.
            let mut body = bytes::Bytes::from(self.body(asked)?);
            // About what the request costs against a tokens-per-minute limit: its text at four
            // characters a token, plus the reply it may get.
            let estimate = (body.len() / 4) as u32 + self.config.max_tokens.unwrap_or(256);
            let mut attempt = 0;
            let mut waits: Vec<String> = Vec::new();
            loop {
                self.limiter.acquire(estimate).await;
                // Held while on the wire only: a model the rate limits or a backoff hold back
                // does not keep other models waiting.
                let slot = match self.slots.get() {
                    Some(s) => s.clone().acquire_owned().await.ok(),
                    None => None,
                };
                let sent = self.send(body.clone()).await;
                drop(slot);
                let err = match sent {
                    Ok(mut reply) => {
                        reply.retries = attempt;
                        reply.notes.extend(self.wire.request_notes(asked));
                        reply.notes.append(&mut waits);
                        if let Some(o) = &req.output {
                            self.shape(&mut reply, o, refusal.as_deref());
                        }
                        return Ok(reply);
                    }
                    Err(e) => e,
                };
                if req.output.is_some() && refusal.is_none() && refuses_output(&err) {
                    self.refused_output.store(true, Ordering::Relaxed);
                    refusal = Some(err.message.clone());
                    body = bytes::Bytes::from(self.body(&without_output(req))?);
                    continue;
                }
                if err.kind != ErrorKind::Transient || attempt >= self.max_retries {
                    return Err(ModelError {
                        retries: attempt,
                        ..err
                    });
                }
                let (wait, note) = capped_wait(err.retry_after);
                waits.extend(note);
                tokio::time::sleep(backoff(attempt, wait)).await;
                attempt += 1;
            }
        })
    }

    fn cache_key(&self, req: &ModelRequest) -> Option<String> {
        // Everything that can change the answer: the provider, where (the endpoint: Gemini names
        // the model in it), the request as sent (the model, the messages, the tools, every
        // parameter) and the trial, so repeated trials stay independent. Never the key or
        // headers. The OpenAI-compatible API's keys predate the other providers and keep their
        // form (the base URL; the model is in the body).
        let body = self.body(req).ok()?;
        let mut material = match self.wire.provider() {
            Provider::Openai => {
                let host = reqwest::Url::parse(&self.base_url)
                    .ok()
                    .map(|u| format!("{}{}", u.host_str().unwrap_or(""), u.path()))
                    .unwrap_or_default();
                format!("v1\n{host}\n{}\n", req.trial)
            }
            p => format!("v1 {p}\n{}\n{}\n", self.endpoint, req.trial),
        }
        .into_bytes();
        material.extend_from_slice(&body);
        let digest = Sha256::digest(&material);
        Some(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// The report's name for the kind of model a provider serves.
pub(crate) fn kind_of(provider: Provider) -> &'static str {
    match provider {
        Provider::Openai => "openai-compatible",
        p => p.as_str(),
    }
}

/// The wait a server asked for, at most [`MAX_ASKED_WAIT`], and a note when it asked for more.
fn capped_wait(asked: Option<Duration>) -> (Option<Duration>, Option<String>) {
    let note = asked.filter(|d| *d > MAX_ASKED_WAIT).map(|d| {
        format!(
            "the server asked to wait {} s before a retry; it was asked again after {} s (the SDKs' bound)",
            d.as_secs(),
            MAX_ASKED_WAIT.as_secs()
        )
    });
    (asked.map(|d| d.min(MAX_ASKED_WAIT)), note)
}

/// The pause before attempt `attempt + 1`: what the server asked for, else exponential backoff
/// with full jitter (a random share of the doubled delay), so workers do not retry in step.
fn backoff(attempt: u32, asked: Option<Duration>) -> Duration {
    if let Some(d) = asked {
        return d;
    }
    let ceiling = BASE_BACKOFF
        .saturating_mul(1 << attempt.min(16))
        .min(MAX_BACKOFF);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let share = f64::from(nanos % 1000) / 1000.0;
    ceiling.mul_f64(0.5 + 0.5 * share)
}

/// What to tell a person about a status no retry cures.
pub(super) struct Hints {
    /// A refused key (401, 403).
    pub key: String,
    /// An unknown model or endpoint (404).
    pub missing: String,
}

/// A non-2xx answer: transient (429, 5xx, Anthropic's 529 "overloaded"), fatal (a refused key,
/// an unknown model) or this request's own failure.
pub(super) fn http_failure(
    provider: Provider,
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
    hints: Hints,
) -> ModelError {
    let message = api_message(&String::from_utf8_lossy(body));
    let (kind, hint) = match status {
        // What the providers' SDKs retry: a request timeout, a conflict (a lock), rate limits
        // and server errors (anthropic-sdk-python and openai-python `_should_retry`, as of 2026).
        408 | 409 | 429 | 500..=599 => (ErrorKind::Transient, None),
        401 | 403 => (ErrorKind::Fatal, Some(hints.key)),
        404 => (ErrorKind::Fatal, Some(hints.missing)),
        _ => (ErrorKind::Other, None),
    };
    ModelError {
        message: format!(
            "HTTP {status} from {}: {}",
            provider.title(),
            first_line(&message)
        ),
        status: Some(status),
        kind,
        retry_after,
        retries: 0,
        hint,
    }
}

/// A 2xx body that is not JSON.
pub(super) fn not_json(provider: Provider, e: &serde_json::Error, body: &[u8]) -> ModelError {
    ModelError::new(
        ErrorKind::Other,
        format!(
            "{} is not valid JSON ({e}): {}",
            the_reply(provider),
            first_line(&String::from_utf8_lossy(body))
        ),
    )
}

/// A 2xx body read as JSON, then by `parse`: not JSON, or a shape `parse` refuses, is this
/// request's own failure.
pub(super) fn read_json_reply(
    provider: Provider,
    body: &[u8],
    parse: fn(&Value) -> std::result::Result<ModelReply, String>,
) -> Result<ModelReply, ModelError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| not_json(provider, &e, body))?;
    parse(&value).map_err(|message| ModelError::new(ErrorKind::Other, message))
}

/// An `error` a native API put in a reply body, in a line naming the API.
pub(super) fn error_in_reply(provider: Provider, body: &Value) -> Option<String> {
    let err = body.get("error").filter(|e| !e.is_null())?;
    let msg = err
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| err.to_string(), str::to_owned);
    Some(format!(
        "{} answered with an error: {msg}",
        provider.title()
    ))
}

/// `the reply`, named by the native API it came from (`Anthropic's reply`).
pub(super) fn the_reply(provider: Provider) -> String {
    match provider {
        Provider::Openai => "the reply".to_owned(),
        p => format!("{}'s reply", p.title()),
    }
}

/// The `error.message` of an API error body (OpenAI, Anthropic and Gemini all put it there),
/// or the body itself.
pub(super) fn api_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| body.to_owned())
}

/// The first line of a text, cut to 200 characters.
pub(super) fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else if line.is_empty() {
        "(empty body)".into()
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_beyond_the_sdks_bound_is_cut_to_it_and_noted() {
        let s = Duration::from_secs;
        assert_eq!(capped_wait(None), (None, None));
        assert_eq!(capped_wait(Some(s(60))), (Some(s(60)), None));
        let (wait, note) = capped_wait(Some(s(3600)));
        assert_eq!(wait, Some(s(60)));
        assert_eq!(
            note.as_deref(),
            Some(
                "the server asked to wait 3600 s before a retry; it was asked again after 60 s (the SDKs' bound)"
            )
        );
    }
    use crate::model::scripted::{Script, Scripted, ScriptedServer};
    use crate::model::{CacheMode, CacheSettings};
    use std::sync::Arc;

    /// The OpenAI-compatible model `name` at the scripted server `server`, retrying `retries`
    /// times.
    fn openai_at(server: &ScriptedServer, name: &str, retries: u32) -> Arc<dyn Model> {
        let config = ModelConfig {
            name: name.into(),
            base_url: Some(server.url.clone()),
            api_key: Some("sk-test".into()),
            max_retries: Some(retries),
            ..Default::default()
        };
        let off = CacheSettings {
            mode: CacheMode::Off,
            dir: std::path::PathBuf::new(),
        };
        crate::model::from_config(&config, &off).unwrap()
    }

    fn asking(prompt: &str, trial: u32) -> ModelRequest {
        ModelRequest::new(
            vec![crate::config::Message {
                role: crate::config::Role::User,
                content: prompt.into(),
            }],
            prompt.into(),
            Arc::new(ToolSet::default()),
            trial,
        )
    }

    fn verdict_schema() -> Arc<OutputSchema> {
        Arc::new(OutputSchema {
            name: "verdict".into(),
            description: "The verdict.".into(),
            schema: serde_json::json!({"type": "object", "properties": {"verdict": {"type": "string"}}, "required": ["verdict"], "additionalProperties": false}),
        })
    }

    /// A transient failure the server asks to retry at once.
    fn busy(status: u16) -> Scripted {
        Scripted::StatusWithHeaders(
            status,
            vec![("Retry-After".into(), "0".into())],
            r#"{"error": {"message": "busy"}}"#.into(),
        )
    }

    #[tokio::test]
    async fn transient_failures_are_retried_up_to_max_retries_and_counted() {
        let script = Script::default()
            .rule(
                "twice",
                Scripted::Sequence(vec![busy(429), busy(503), Scripted::Text("ok".into())]),
            )
            .rule("always", busy(500))
            .rule(
                "bad",
                Scripted::Status(400, r#"{"error": {"message": "no such parameter"}}"#.into()),
            )
            .rule(
                "plain",
                Scripted::Status(
                    400,
                    r#"{"error": {"message": "response_format is not supported"}}"#.into(),
                ),
            );
        let server = ScriptedServer::start(script).await.unwrap();
        let model = openai_at(&server, "m", 3);
        let reply = model.complete(&asking("twice", 0)).await.unwrap();
        assert_eq!((reply.content.as_deref(), reply.retries), (Some("ok"), 2));
        assert_eq!(server.requests(), 3);
        // Every retry spent: the last failure, with the retries it took.
        let err = model.complete(&asking("always", 0)).await.unwrap_err();
        assert_eq!(
            (err.kind, err.retries, err.status),
            (ErrorKind::Transient, 3, Some(500))
        );
        assert_eq!(server.requests(), 3 + 4);
        // A failure no retry cures is not retried.
        let err = model.complete(&asking("bad", 0)).await.unwrap_err();
        assert_eq!((err.kind, err.retries), (ErrorKind::Other, 0));
        assert!(err.message.contains("no such parameter"), "{}", err.message);
        assert_eq!(server.requests(), 3 + 4 + 1);
        // A request that asked for no structured reply is not asked again without one.
        let err = model.complete(&asking("plain", 0)).await.unwrap_err();
        assert_eq!((err.status, err.retries), (Some(400), 0));
        assert_eq!(server.requests(), 3 + 4 + 2);
        let none = openai_at(&server, "m", 0);
        assert_eq!(
            none.complete(&asking("always", 0))
                .await
                .unwrap_err()
                .retries,
            0
        );
    }

    #[tokio::test]
    async fn a_refused_structured_reply_is_asked_again_as_text_and_then_never_again() {
        let script = Script::default()
            .rule("judge", Scripted::Text(r#"{"verdict": "pass"}"#.into()))
            .refusing_structured(
                400,
                r#"{"error": {"message": "response_format type json_schema is not supported"}}"#,
            );
        let server = ScriptedServer::start(script).await.unwrap();
        let model = openai_at(&server, "m", 3);
        let mut req = asking("judge this", 0);
        req.output = Some(verdict_schema());
        let reply = model.complete(&req).await.unwrap();
        assert_eq!(reply.format, Some(OutputFormat::Text));
        assert!(
            reply.notes[0].contains("refused structured output"),
            "{:?}",
            reply.notes
        );
        assert_eq!(reply.retries, 0, "asking again as text is not a retry");
        let bodies = server.bodies();
        assert!(bodies[0].get("response_format").is_some());
        assert!(bodies[1].get("response_format").is_none(), "{}", bodies[1]);
        // Later requests ask for text at once.
        let again = model.complete(&req).await.unwrap();
        assert_eq!(again.format, Some(OutputFormat::Text));
        assert_eq!(server.requests(), 3);
        assert!(server.bodies()[2].get("response_format").is_none());
    }

    #[tokio::test]
    async fn anthropic_s_forced_tool_becomes_the_reply_s_text() {
        let script = Script::default().rule(
            "judge",
            Scripted::Text(r#"{"verdict": "pass", "reason": "ok"}"#.into()),
        );
        let server = ScriptedServer::start(script).await.unwrap();
        let config = ModelConfig {
            name: "claude-j".into(),
            provider: Some(Provider::Anthropic),
            base_url: Some(server.base()),
            api_key: Some("k".into()),
            ..Default::default()
        };
        let off = CacheSettings {
            mode: CacheMode::Off,
            dir: std::path::PathBuf::new(),
        };
        let model = crate::model::from_config(&config, &off).unwrap();
        assert_eq!(model.info().kind, "anthropic");
        let mut req = asking("judge this", 0);
        req.output = Some(verdict_schema());
        let reply = model.complete(&req).await.unwrap();
        assert_eq!(reply.format, Some(OutputFormat::ForcedTool));
        assert!(reply.tool_calls.is_empty(), "{:?}", reply.tool_calls);
        let verdict: Value = serde_json::from_str(reply.content.as_deref().unwrap()).unwrap();
        assert_eq!(verdict["verdict"], "pass");
    }

    #[tokio::test]
    async fn a_transient_failure_of_a_structured_request_is_retried_as_structured() {
        let script = Script::default().rule(
            "judge",
            Scripted::Sequence(vec![
                busy(503),
                Scripted::Text(r#"{"verdict": "fail"}"#.into()),
            ]),
        );
        let server = ScriptedServer::start(script).await.unwrap();
        let model = openai_at(&server, "m", 3);
        let mut req = asking("judge this", 0);
        req.output = Some(verdict_schema());
        let reply = model.complete(&req).await.unwrap();
        assert_eq!(reply.retries, 1);
        assert_eq!(reply.format, Some(OutputFormat::JsonSchema));
        assert!(reply.notes.is_empty(), "{:?}", reply.notes);
        assert!(
            server
                .bodies()
                .iter()
                .all(|b| b.get("response_format").is_some())
        );
    }

    #[test]
    fn only_a_refusal_that_names_structured_output_is_one() {
        let err = |status: Option<u16>, message: &str| ModelError {
            status,
            ..ModelError::new(ErrorKind::Other, message)
        };
        assert!(refuses_output(&err(
            Some(400),
            "Unsupported: Response_Format"
        )));
        assert!(refuses_output(&err(
            Some(422),
            "json_schema is not supported"
        )));
        assert!(!refuses_output(&err(Some(400), "max_tokens is too large")));
        assert!(!refuses_output(&err(Some(429), "response_format")));
        assert!(!refuses_output(&err(None, "response_format")));
    }

    #[tokio::test]
    async fn the_cache_key_names_the_request_and_trial_never_the_key() {
        let server = ScriptedServer::start(Script::default()).await.unwrap();
        let m = openai_at(&server, "m", 0);
        let key = |model: &Arc<dyn Model>, prompt: &str, trial: u32| {
            model.cache_key(&asking(prompt, trial)).expect("a key")
        };
        let k = key(&m, "hi", 0);
        assert_eq!(k.len(), 64);
        assert_eq!(k, key(&m, "hi", 0));
        assert_ne!(k, key(&m, "hello", 0));
        assert_ne!(k, key(&m, "hi", 1));
        assert_ne!(k, key(&openai_at(&server, "other", 0), "hi", 0));
        let config = ModelConfig {
            name: "m".into(),
            base_url: Some(server.url.clone()),
            api_key: Some("sk-another-key".into()),
            max_retries: Some(0),
            ..Default::default()
        };
        let off = CacheSettings {
            mode: CacheMode::Off,
            dir: std::path::PathBuf::new(),
        };
        let other_key = crate::model::from_config(&config, &off).unwrap();
        assert_eq!(k, key(&other_key, "hi", 0));
        assert!(m.info().note.is_none());
    }

    #[test]
    fn the_place_comes_from_the_eval_else_the_environment_and_a_key_is_needed_only_at_the_api() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let openai = ModelConfig {
            name: "gpt-4o-mini".into(),
            ..Default::default()
        };
        // No key at the API's own address: refused, with the way out for each provider.
        let err = Place::resolve_in(&openai, false, env(&[])).err().unwrap();
        let err = err.render();
        assert!(
            err.contains("no API key for `gpt-4o-mini` at https://api.openai.com/v1"),
            "{err}"
        );
        assert!(
            err.contains("export OPENAI_API_KEY, or set `model.base_url` to a local server"),
            "{err}"
        );
        let claude = ModelConfig {
            name: "claude".into(),
            provider: Some(Provider::Anthropic),
            ..Default::default()
        };
        let err = Place::resolve_in(&claude, false, env(&[])).err().unwrap();
        let err = err.render();
        assert!(err.contains("export ANTHROPIC_API_KEY, or use"), "{err}");
        // A replay, or a server of one's own, needs no key.
        assert!(Place::resolve_in(&openai, true, env(&[])).is_ok());
        let local = Place::resolve_in(
            &openai,
            false,
            env(&[("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/")]),
        )
        .unwrap();
        assert_eq!(
            (local.base_url.as_str(), local.key.as_str()),
            ("http://127.0.0.1:11434/v1", "")
        );
        // The eval's own values come before the environment's; the key is trimmed.
        let set = ModelConfig {
            base_url: Some("http://127.0.0.1:9/v1".into()),
            api_key: Some(" sk-eval \n".into()),
            ..openai.clone()
        };
        let p = Place::resolve_in(
            &set,
            false,
            env(&[
                ("OPENAI_BASE_URL", "http://elsewhere/v1"),
                ("OPENAI_API_KEY", "sk-env"),
            ]),
        )
        .unwrap();
        assert_eq!(
            (p.base_url.as_str(), p.key.as_str()),
            ("http://127.0.0.1:9/v1", "sk-eval")
        );
        let p = Place::resolve_in(&openai, false, env(&[("OPENAI_API_KEY", "sk-env")])).unwrap();
        assert_eq!(p.key, "sk-env");
        let bad = ModelConfig {
            api_key: Some("sk-a\u{7}b".into()),
            ..openai
        };
        let err = Place::resolve_in(&bad, false, env(&[])).err().unwrap();
        assert!(err.to_string().contains("control character"), "{err}");
    }

    #[tokio::test]
    async fn a_request_waits_for_a_shared_slot() {
        let server = ScriptedServer::start(Script::default().rule("", Scripted::Text("ok".into())))
            .await
            .unwrap();
        let m = openai_at(&server, "m", 0);
        assert_eq!(m.info().kind, "openai-compatible");
        let slots = Arc::new(tokio::sync::Semaphore::new(0));
        m.share_slots(slots.clone());
        let req = asking("hi", 0);
        let held = tokio::time::timeout(Duration::from_millis(300), m.complete(&req)).await;
        assert!(held.is_err(), "no slot free, no request");
        assert_eq!(server.requests(), 0);
        slots.add_permits(1);
        assert!(m.complete(&req).await.is_ok());
    }

    #[test]
    fn system_text_arguments_and_first_lines() {
        let msg = |role, content: &str| crate::config::Message {
            role,
            content: content.into(),
        };
        let mut req = asking("hi", 0);
        let config = ModelConfig {
            system_prompt: Some("Be brief.".into()),
            ..Default::default()
        };
        assert_eq!(system_text(&req, &config).as_deref(), Some("Be brief."));
        assert_eq!(system_text(&req, &ModelConfig::default()), None);
        req.messages
            .insert(0, msg(crate::config::Role::System, "One."));
        req.messages.push(msg(crate::config::Role::System, "Two."));
        assert_eq!(system_text(&req, &config).as_deref(), Some("One.\n\nTwo."));
        assert_eq!(arguments_object(r#"{"a": 1}"#), serde_json::json!({"a": 1}));
        assert_eq!(arguments_object("[1]"), serde_json::json!({}));
        assert_eq!(arguments_object("{\"a\": "), serde_json::json!({}));
        let long = "x".repeat(200);
        assert_eq!(first_line(&long), long);
        assert_eq!(first_line(&format!("{long}y")), format!("{long}…"));
        assert_eq!(first_line(" one \ntwo"), "one");
        assert_eq!(the_reply(Provider::Openai), "the reply");
        assert_eq!(the_reply(Provider::Anthropic), "Anthropic's reply");
        assert_eq!(kind_of(Provider::Openai), "openai-compatible");
        assert_eq!(kind_of(Provider::Gemini), "gemini");
        let body = serde_json::json!({"error": {"message": "quota"}});
        assert_eq!(
            error_in_reply(Provider::Gemini, &body).as_deref(),
            Some("Gemini answered with an error: quota")
        );
        assert_eq!(
            error_in_reply(Provider::Gemini, &serde_json::json!({"error": null})),
            None
        );
        assert_eq!(
            error_in_reply(Provider::Gemini, &serde_json::json!({})),
            None
        );
    }

    #[test]
    fn a_backoff_waits_what_the_server_asked_else_a_jittered_doubling() {
        let asked = Duration::from_millis(1234);
        for attempt in [0, 3, 20] {
            assert_eq!(backoff(attempt, Some(asked)), asked);
        }
        for attempt in [0u32, 1, 5, 20] {
            let ceiling = BASE_BACKOFF
                .saturating_mul(1 << attempt.min(16))
                .min(MAX_BACKOFF);
            let d = backoff(attempt, None);
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn two_gemini_models_never_share_a_cache_key() {
        // The model is in Gemini's endpoint, not in the body: the key must name it.
        let model = |name: &str| {
            let config = ModelConfig {
                name: name.into(),
                provider: Some(Provider::Gemini),
                ..Default::default()
            };
            super::super::gemini::new(&config, true).unwrap()
        };
        let req = ModelRequest::new(
            vec![crate::config::Message {
                role: crate::config::Role::User,
                content: "hi".into(),
            }],
            "hi".into(),
            std::sync::Arc::new(ToolSet::default()),
            0,
        );
        let (flash, pro) = (model("gemini-2.5-flash"), model("gemini-2.5-pro"));
        assert_ne!(flash.cache_key(&req), pro.cache_key(&req));
        assert_eq!(
            flash.cache_key(&req),
            model("gemini-2.5-flash").cache_key(&req)
        );
    }

    #[test]
    fn api_errors_show_their_message() {
        assert_eq!(
            api_message(r#"{"error": {"message": "Rate limit reached"}}"#),
            "Rate limit reached"
        );
        assert_eq!(
            api_message(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            "Overloaded"
        );
        assert_eq!(api_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(first_line(""), "(empty body)");
    }

    #[test]
    fn overloaded_is_retried_and_a_refused_key_stops() {
        let hints = || Hints {
            key: "key".into(),
            missing: "missing".into(),
        };
        let e = http_failure(Provider::Anthropic, 529, b"{}", None, hints());
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(
            e.message.starts_with("HTTP 529 from Anthropic"),
            "{}",
            e.message
        );
        let e = http_failure(Provider::Gemini, 401, b"{}", None, hints());
        assert_eq!((e.kind, e.hint.as_deref()), (ErrorKind::Fatal, Some("key")));
        let e = http_failure(Provider::Openai, 404, b"{}", None, hints());
        assert_eq!(e.hint.as_deref(), Some("missing"));
        assert_eq!(
            http_failure(Provider::Openai, 400, b"{}", None, hints()).kind,
            ErrorKind::Other
        );
    }
}
