//! The OpenAI-compatible chat-completions client (OpenAI, OpenRouter, vLLM, Ollama, llama.cpp...).

use std::collections::BTreeMap;
use std::time::Duration;

use async_openai::config::{Config as _, OpenAIConfig};
use futures::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use sha2::{Digest, Sha256};

use super::{ErrorKind, Model, ModelError, ModelReply, ModelRequest, RateLimiter, parse_reply};
use crate::config::{DEFAULT_BASE_URL, ModelConfig, Role};
use crate::error::{Error, Result};
use crate::record::ModelInfo;

const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// Retries of a transient failure (429, 5xx, timeout, dropped connection) unless configured.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The first backoff; it doubles each attempt, up to `MAX_BACKOFF`, with full jitter.
const BASE_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct OpenAiModel {
    http: reqwest::Client,
    /// `{base_url}/chat/completions`, parsed once.
    endpoint: reqwest::Url,
    /// The API's headers (the key marked sensitive), built once.
    headers: HeaderMap,
    config: ModelConfig,
    base_url: String,
    limiter: RateLimiter,
    max_retries: u32,
}

/// A request body. The tools go in as serialized once per run: sending them is a copy, not a
/// serialization per request.
#[derive(serde::Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: Vec<Value>,
    tools: &'a serde_json::value::RawValue,
    stream: bool,
    #[serde(flatten)]
    params: serde_json::Map<String, Value>,
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(3600.0)));
    }
    let when = httpdate_to_system_time(v)?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn httpdate_to_system_time(v: &str) -> Option<std::time::SystemTime> {
    humantime::parse_rfc3339_weak(v).ok().or_else(|| {
        // IMF-fixdate, e.g. "Wed, 21 Oct 2026 07:28:00 GMT".
        let parts: Vec<&str> = v.split_whitespace().collect();
        let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
            return None;
        };
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let m = months.iter().position(|x| x == month)? + 1;
        humantime::parse_rfc3339_weak(&format!("{year}-{m:02}-{:0>2} {time}", day)).ok()
    })
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

impl OpenAiModel {
    /// `replay` builds a client that will never be asked: no key is needed then.
    pub fn new(config: &ModelConfig, replay: bool) -> Result<Self> {
        let base_url = config
            .base_url
            .clone()
            .or_else(|| std::env::var("OPENAI_BASE_URL").ok())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let key = config
            .api_key
            .clone()
            .or_else(|| std::env::var("OPENAI_API_KEY").ok())
            .unwrap_or_default()
            .trim()
            .to_owned();
        crate::secrets::register_secret("OPENAI_API_KEY", &key);
        if key.chars().any(char::is_control) {
            return Err(Error::Model {
                message: "the API key holds a control character".into(),
                hint: Some("check the variable the key comes from for a stray newline".into()),
            });
        }
        if key.is_empty() && base_url == DEFAULT_BASE_URL && !replay {
            return Err(Error::usage(
                format!("no API key for `{}` at {base_url}", config.name),
                Some("export OPENAI_API_KEY, or set `model.base_url` to a local server (Ollama, vLLM, llama.cpp), or use `--model baseline` to run offline".to_owned()),
            ));
        }
        let timeout = Duration::from_secs(config.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS));
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .timeout(timeout)
            // Retries are ours (counted, with backoff and `Retry-After`); reqwest's own would
            // also copy every request in case it needs one.
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .build()
            .map_err(|e| Error::Model {
                message: format!("cannot set up the HTTP client: {e}"),
                hint: Some(
                    "on a minimal system, install the CA certificates (e.g. `ca-certificates`)"
                        .into(),
                ),
            })?;
        let endpoint = reqwest::Url::parse(&format!("{base_url}/chat/completions"))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                Error::usage(
                    format!("`{}` is not an http(s) URL", public_url(&base_url)),
                    Some("set `model.base_url` (or OPENAI_BASE_URL) to the API's root, e.g. http://127.0.0.1:11434/v1".to_owned()),
                )
            })?;
        for var in ["OPENAI_ORG_ID", "OPENAI_PROJECT_ID"] {
            if std::env::var(var).is_ok_and(|v| v.chars().any(char::is_control)) {
                return Err(Error::Model {
                    message: format!("{var} holds a control character"),
                    hint: Some(format!("check {var} for a stray newline, or unset it")),
                });
            }
        }
        // async-openai knows the API's headers (the key, and the organization and project from
        // OPENAI_ORG_ID and OPENAI_PROJECT_ID); they are the same for every request.
        let mut headers = OpenAIConfig::new().with_api_key(key.clone()).headers();
        if key.is_empty() {
            headers.remove(AUTHORIZATION);
        } else if let Some(v) = headers.get_mut(AUTHORIZATION) {
            v.set_sensitive(true);
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(OpenAiModel {
            http,
            endpoint,
            headers,
            config: config.clone(),
            base_url,
            limiter: RateLimiter::new(config.requests_per_minute, config.tokens_per_minute),
            max_retries: config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
        })
    }

    /// One attempt: the reply's JSON, or why there is none.
    async fn send(&self, body: bytes::Bytes) -> Result<Value, ModelError> {
        let response = self
            .http
            .post(self.endpoint.clone())
            .headers(self.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(request_failed)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(request_failed)?;
        if !status.is_success() {
            return Err(http_failure(status.as_u16(), &bytes, retry_after));
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            ModelError::new(
                ErrorKind::Other,
                format!(
                    "the reply is not valid JSON ({e}): {}",
                    first_line(&String::from_utf8_lossy(&bytes))
                ),
            )
        })
    }

    fn body<'a>(&'a self, req: &'a ModelRequest) -> Body<'a> {
        let mut messages: Vec<Value> = Vec::new();
        if let Some(sys) = &self.config.system_prompt
            && !req.messages.iter().any(|m| m.role == Role::System)
        {
            messages.push(json!({"role": "system", "content": sys}));
        }
        messages.extend(
            req.messages
                .iter()
                .map(|m| json!({"role": m.role, "content": m.content})),
        );
        let mut body = Body {
            model: &self.config.name,
            messages,
            tools: &req.api_tools,
            stream: false,
            params: serde_json::Map::new(),
        };
        let obj = &mut body.params;
        if let Some(t) = self.config.tool_choice {
            obj.insert("tool_choice".into(), t.as_str().into());
        }
        if let Some(t) = self.config.temperature {
            obj.insert("temperature".into(), json!(t));
        }
        if let Some(s) = self.config.seed {
            obj.insert("seed".into(), s.into());
        }
        if let Some(m) = self.config.max_tokens {
            obj.insert("max_tokens".into(), m.into());
        }
        if let Some(p) = self.config.parallel_tool_calls {
            obj.insert("parallel_tool_calls".into(), p.into());
        }
        body
    }
}

impl Model for OpenAiModel {
    fn info(&self) -> ModelInfo {
        let mut parameters = BTreeMap::new();
        let c = &self.config;
        if let Some(t) = c.temperature {
            parameters.insert("temperature".into(), json!(t));
        }
        if let Some(s) = c.seed {
            parameters.insert("seed".into(), s.into());
        }
        if let Some(m) = c.max_tokens {
            parameters.insert("max_tokens".into(), m.into());
        }
        if let Some(t) = c.tool_choice {
            parameters.insert("tool_choice".into(), t.as_str().into());
        }
        if let Some(p) = c.parallel_tool_calls {
            parameters.insert("parallel_tool_calls".into(), p.into());
        }
        if let Some(s) = &c.system_prompt {
            parameters.insert("system_prompt".into(), s.clone().into());
        }
        if c.recover_text_calls {
            parameters.insert("recover_text_calls".into(), true.into());
        }
        ModelInfo {
            name: c.name.clone(),
            kind: "openai-compatible".into(),
            note: None,
            base_url: Some(public_url(&self.base_url)),
            parameters,
        }
    }

    fn complete<'a>(
        &'a self,
        req: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<ModelReply, ModelError>> {
        Box::pin(async move {
            // Serialized once; every attempt sends the same bytes.
            let mut body = Vec::with_capacity(req.api_tools.get().len() + 1024);
            serde_json::to_writer(&mut body, &self.body(req)).map_err(|e| {
                ModelError::new(ErrorKind::Other, format!("cannot write the request: {e}"))
            })?;
            // About what the request costs against a tokens-per-minute limit: its text at four
            // characters a token, plus the reply it may get.
            let estimate = (body.len() / 4) as u32 + self.config.max_tokens.unwrap_or(256);
            let body = bytes::Bytes::from(body);
            let mut attempt = 0;
            loop {
                self.limiter.acquire(estimate).await;
                let err = match self.send(body.clone()).await {
                    Ok(value) => {
                        return parse_reply(&value)
                            .map(|mut r| {
                                r.retries = attempt;
                                r
                            })
                            .map_err(|message| {
                                let mut e = ModelError::new(ErrorKind::Other, message);
                                e.retries = attempt;
                                e
                            });
                    }
                    Err(e) => e,
                };
                if err.kind != ErrorKind::Transient || attempt >= self.max_retries {
                    return Err(ModelError {
                        retries: attempt,
                        ..err
                    });
                }
                tokio::time::sleep(backoff(attempt, err.retry_after)).await;
                attempt += 1;
            }
        })
    }

    fn cache_key(&self, req: &ModelRequest) -> Option<String> {
        // Everything that can change the answer: where, which model, the request as sent (the
        // messages, the tools, every parameter) and the trial, so repeated trials stay
        // independent. Never the key or headers.
        let host = reqwest::Url::parse(&self.base_url)
            .ok()
            .map(|u| format!("{}{}", u.host_str().unwrap_or(""), u.path()));
        let body = serde_json::to_string(&self.body(req)).unwrap_or_default();
        let material = format!("v1\n{}\n{}\n{body}", host.unwrap_or_default(), req.trial);
        let digest = Sha256::digest(material.as_bytes());
        Some(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// The URL without credentials or query: safe for reports.
pub fn public_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string().trim_end_matches('/').to_owned()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

/// A non-2xx answer: transient (429, 5xx), fatal (a refused key, an unknown model) or this
/// request's own failure.
fn http_failure(status: u16, body: &[u8], retry_after: Option<Duration>) -> ModelError {
    let message = api_message(&String::from_utf8_lossy(body));
    let (kind, hint) = match status {
        429 | 500..=599 => (ErrorKind::Transient, None),
        401 | 403 => (
            ErrorKind::Fatal,
            Some(
                "the API key was refused: check OPENAI_API_KEY (or the eval file's `api_key`) and that it may use this model",
            ),
        ),
        404 => (
            ErrorKind::Fatal,
            Some(
                "the model or the endpoint does not exist here: check `model.name` and that `base_url` ends in /v1",
            ),
        ),
        _ => (ErrorKind::Other, None),
    };
    ModelError {
        message: format!("HTTP {status}: {}", first_line(&message)),
        status: Some(status),
        kind,
        retry_after,
        retries: 0,
        hint: hint.map(str::to_owned),
    }
}

/// A request that got no complete answer: a timeout or a dropped connection (transient), or no
/// server at all (fatal).
fn request_failed(r: reqwest::Error) -> ModelError {
    let (what, kind) = if r.is_timeout() {
        ("the request timed out", ErrorKind::Transient)
    } else if r.is_connect() {
        ("cannot connect to the model server", ErrorKind::Fatal)
    } else {
        ("the request failed", ErrorKind::Transient)
    };
    let mut cause = String::new();
    let mut src = std::error::Error::source(&r);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    let url = r.url().map(|u| public_url(u.as_str())).unwrap_or_default();
    let mut e = ModelError::new(
        kind,
        format!(
            "{what} ({url}){}",
            if cause.is_empty() {
                String::new()
            } else {
                format!(": {cause}")
            }
        ),
    );
    if kind == ErrorKind::Fatal {
        e.hint = Some(
            "check that the model server runs and that `base_url` (or OPENAI_BASE_URL) points at it"
                .into(),
        );
    }
    e
}

/// The `error.message` of an API error body, or the body itself.
fn api_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| body.to_owned())
}

fn first_line(s: &str) -> String {
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
    fn public_url_drops_credentials_and_query() {
        assert_eq!(
            public_url("https://user:secret@host:8080/v1?key=abc"),
            "https://host:8080/v1"
        );
        assert_eq!(
            public_url("http://127.0.0.1:11434/v1/"),
            "http://127.0.0.1:11434/v1"
        );
    }

    #[test]
    fn api_errors_show_their_message() {
        assert_eq!(
            api_message(r#"{"error": {"message": "Rate limit reached"}}"#),
            "Rate limit reached"
        );
        assert_eq!(api_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(first_line(""), "(empty body)");
    }
}
