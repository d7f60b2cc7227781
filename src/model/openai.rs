//! The OpenAI-compatible chat-completions client (OpenAI, OpenRouter, vLLM, Ollama, llama.cpp...).

use std::collections::BTreeMap;
use std::time::Duration;

use async_openai::config::{Config as _, OpenAIConfig};
use futures::future::BoxFuture;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

use sha2::{Digest, Sha256};

use super::transport::Transport;
use super::{
    ErrorKind, Model, ModelError, ModelReply, ModelRequest, RateLimiter, parse_reply_body,
};
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
    /// To `{base_url}/chat/completions`, with the API's headers (the key marked sensitive).
    transport: Transport,
    /// The request parameters from the eval (`temperature`, `seed`...), built once.
    params: serde_json::Map<String, Value>,
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
    messages: Vec<ChatMessage<'a>>,
    /// Left out when no tool is offered (a judge's request): APIs refuse an empty list.
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a serde_json::value::RawValue>,
    stream: bool,
    #[serde(flatten)]
    params: &'a serde_json::Map<String, Value>,
}

/// A message as the chat API takes it, borrowed from the task and the conversation.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum ChatMessage<'a> {
    /// A message of the task's prompt (or the system prompt).
    Plain { role: Role, content: &'a str },
    /// An earlier reply of an agent conversation, with its calls.
    Calls {
        role: &'static str,
        content: Option<&'a str>,
        tool_calls: Vec<ChatCall<'a>>,
    },
    /// What one call returned.
    Result {
        role: &'static str,
        tool_call_id: &'a str,
        content: &'a str,
    },
}

#[derive(serde::Serialize)]
struct ChatCall<'a> {
    id: &'a str,
    r#type: &'static str,
    function: ChatFunction<'a>,
}

#[derive(serde::Serialize)]
struct ChatFunction<'a> {
    name: &'a str,
    arguments: &'a str,
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
        let transport =
            Transport::new(endpoint, headers, timeout).map_err(|message| Error::Model {
                message,
                hint: Some(
                    "on a minimal system, install the CA certificates (e.g. `ca-certificates`)"
                        .into(),
                ),
            })?;
        Ok(OpenAiModel {
            params: request_params(config),
            transport,
            config: config.clone(),
            base_url,
            limiter: RateLimiter::new(config.requests_per_minute, config.tokens_per_minute),
            max_retries: config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
        })
    }

    /// One attempt: the reply, or why there is none.
    async fn send(&self, body: bytes::Bytes) -> Result<ModelReply, ModelError> {
        let answer = self.transport.post(body).await?;
        let bytes = answer.body;
        if !(200..300).contains(&answer.status) {
            return Err(http_failure(answer.status, &bytes, answer.retry_after));
        }
        match parse_reply_body(&bytes) {
            Ok(reply) => reply.map_err(|message| ModelError::new(ErrorKind::Other, message)),
            Err(e) => Err(ModelError::new(
                ErrorKind::Other,
                format!(
                    "the reply is not valid JSON ({e}): {}",
                    first_line(&String::from_utf8_lossy(&bytes))
                ),
            )),
        }
    }

    fn body<'a>(&'a self, req: &'a ModelRequest) -> Body<'a> {
        let mut messages = Vec::with_capacity(req.messages.len() + 1);
        if let Some(sys) = &self.config.system_prompt
            && !req.messages.iter().any(|m| m.role == Role::System)
        {
            messages.push(ChatMessage::Plain {
                role: Role::System,
                content: sys,
            });
        }
        messages.extend(req.messages.iter().map(|m| ChatMessage::Plain {
            role: m.role,
            content: &m.content,
        }));
        for x in &req.exchanges {
            messages.push(ChatMessage::Calls {
                role: "assistant",
                content: x.content.as_deref(),
                tool_calls: x
                    .calls
                    .iter()
                    .map(|c| ChatCall {
                        id: &c.id,
                        r#type: "function",
                        function: ChatFunction {
                            name: &c.name,
                            arguments: &c.arguments,
                        },
                    })
                    .collect(),
            });
            messages.extend(x.calls.iter().map(|c| ChatMessage::Result {
                role: "tool",
                tool_call_id: &c.id,
                content: &c.result,
            }));
        }
        Body {
            model: &self.config.name,
            messages,
            tools: (!req.tools.tools.is_empty()).then_some(&**req.api_tools),
            stream: false,
            params: &self.params,
        }
    }
}

/// The request parameters the eval sets, in the order the API documents them.
fn request_params(config: &ModelConfig) -> serde_json::Map<String, Value> {
    let mut obj = serde_json::Map::new();
    if let Some(t) = config.tool_choice {
        obj.insert("tool_choice".into(), t.as_str().into());
    }
    if let Some(t) = config.temperature {
        obj.insert("temperature".into(), json!(t));
    }
    if let Some(s) = config.seed {
        obj.insert("seed".into(), s.into());
    }
    if let Some(m) = config.max_tokens {
        obj.insert("max_tokens".into(), m.into());
    }
    if let Some(p) = config.parallel_tool_calls {
        obj.insert("parallel_tool_calls".into(), p.into());
    }
    obj
}

impl Model for OpenAiModel {
    fn info(&self) -> ModelInfo {
        // What is sent with every request, plus what shapes the conversation and its reading.
        let mut parameters: BTreeMap<String, Value> = self
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let c = &self.config;
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
                    Ok(mut reply) => {
                        reply.retries = attempt;
                        return Ok(reply);
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
