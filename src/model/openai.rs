//! The OpenAI-compatible chat-completions client (OpenAI, OpenRouter, vLLM, Ollama, llama.cpp...).

use std::collections::BTreeMap;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::{Model, ModelError, ModelReply, ModelRequest, parse_reply};
use crate::config::{DEFAULT_BASE_URL, ModelConfig, Role};
use crate::error::{Error, Result};
use crate::report::ModelInfo;

const DEFAULT_TIMEOUT_SECS: u64 = 60;

pub struct OpenAiModel {
    client: Client<OpenAIConfig>,
    config: ModelConfig,
    base_url: String,
}

/// A non-2xx answer, kept whole so its status survives whatever the body is.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {body}")]
struct HttpFailure {
    status: u16,
    body: String,
}

impl OpenAiModel {
    pub fn new(config: &ModelConfig) -> Result<Self> {
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
        crate::error::register_secret("OPENAI_API_KEY", &key);
        if key.chars().any(char::is_control) {
            return Err(Error::Model {
                message: "the API key holds a control character".into(),
                hint: Some("check the variable the key comes from for a stray newline".into()),
            });
        }
        if key.is_empty() && base_url == DEFAULT_BASE_URL {
            return Err(Error::usage(
                format!("no API key for `{}` at {base_url}", config.name),
                Some("export OPENAI_API_KEY, or set `model.base_url` to a local server (Ollama, vLLM, llama.cpp), or use `--model baseline` to run offline".to_owned()),
            ));
        }
        let timeout = Duration::from_secs(config.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS));
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Model {
                message: format!("cannot set up the HTTP client: {e}"),
                hint: Some(
                    "on a minimal system, install the CA certificates (e.g. `ca-certificates`)"
                        .into(),
                ),
            })?;
        let openai_config = OpenAIConfig::new()
            .with_api_base(&base_url)
            .with_api_key(key);
        // One attempt per request: a failed request is an infrastructure result, reported as such.
        let exec = http.clone();
        let service = tower::service_fn(
            move |factory: async_openai::middleware::HttpRequestFactory| {
                let exec = exec.clone();
                async move {
                    let response = exec
                        .execute(factory.build().await?)
                        .await
                        .map_err(OpenAIError::Reqwest)?;
                    if response.status().is_success() {
                        return Ok(response);
                    }
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    Err(OpenAIError::Boxed(Box::new(HttpFailure { status, body })))
                }
            },
        );
        let client = Client::build(http, openai_config).with_http_service(service);
        Ok(OpenAiModel {
            client,
            config: config.clone(),
            base_url,
        })
    }

    fn body(&self, req: &ModelRequest) -> Value {
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
        let mut body = json!({
            "model": self.config.name,
            "messages": messages,
            "tools": *req.api_tools,
            "stream": false,
        });
        let obj = body.as_object_mut().expect("an object");
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
            let body = self.body(req);
            let value: Value = self
                .client
                .chat()
                .create_byot::<Value, Value>(body)
                .await
                .map_err(describe_error)?;
            parse_reply(&value).map_err(|message| ModelError {
                message,
                status: None,
            })
        })
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

fn describe_error(e: OpenAIError) -> ModelError {
    match e {
        OpenAIError::Boxed(b) => match b.downcast_ref::<HttpFailure>() {
            Some(f) => ModelError {
                message: format!("HTTP {}: {}", f.status, first_line(&api_message(&f.body))),
                status: Some(f.status),
            },
            None => ModelError {
                message: b.to_string(),
                status: None,
            },
        },
        OpenAIError::Reqwest(r) => {
            let what = if r.is_timeout() {
                "the request timed out"
            } else if r.is_connect() {
                "cannot connect to the model server"
            } else {
                "the request failed"
            };
            let mut cause = String::new();
            let mut src = std::error::Error::source(&r);
            while let Some(s) = src {
                cause = s.to_string();
                src = s.source();
            }
            let url = r.url().map(|u| public_url(u.as_str())).unwrap_or_default();
            ModelError {
                message: format!(
                    "{what} ({url}){}",
                    if cause.is_empty() {
                        String::new()
                    } else {
                        format!(": {cause}")
                    }
                ),
                status: None,
            }
        }
        OpenAIError::JSONDeserialize(err, body) => ModelError {
            message: format!("the reply is not valid JSON ({err}): {}", first_line(&body)),
            status: None,
        },
        other => ModelError {
            message: other.to_string(),
            status: None,
        },
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
