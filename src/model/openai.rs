//! The OpenAI-compatible chat-completions client (OpenAI, OpenRouter, vLLM, Ollama, llama.cpp...).

use std::collections::BTreeMap;
use std::time::Duration;

use async_openai::config::{Config as _, OpenAIConfig};
use reqwest::header::AUTHORIZATION;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::http::{Hints, HttpModel, Place, Wire, http_failure, not_json};
use super::{ErrorKind, ModelError, ModelReply, ModelRequest, OutputFormat, parse_reply_body};
use crate::config::{ModelConfig, Provider, Role};
use crate::error::{Error, Result};
use crate::mcp::ToolSet;

/// The OpenAI-compatible chat-completions API: `{base_url}/chat/completions`.
pub(super) type OpenAiModel = HttpModel<OpenAiWire>;

pub(super) struct OpenAiWire {
    /// The request parameters from the eval (`temperature`, `seed`...), built once.
    params: serde_json::Map<String, Value>,
    config: ModelConfig,
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
    /// A reply held to a JSON Schema (structured outputs), when the request asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Value>,
    #[serde(flatten)]
    params: &'a serde_json::Map<String, Value>,
}

/// A message as the chat API takes it, borrowed from the task and the conversation.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum ChatMessage<'a> {
    /// A message of the task's prompt (or the system prompt).
    Plain {
        role: Role,
        content: std::borrow::Cow<'a, str>,
    },
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

/// A model behind an OpenAI-compatible API. `replay` builds a client that will never be
/// asked: no key is needed then.
pub(crate) fn new(config: &ModelConfig, replay: bool) -> Result<OpenAiModel> {
    let place = Place::resolve(config, replay)?;
    let endpoint = place.endpoint(Provider::Openai, "/chat/completions")?;
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
    let mut headers = OpenAIConfig::new()
        .with_api_key(place.key.clone())
        .headers();
    if place.key.is_empty() {
        headers.remove(AUTHORIZATION);
    } else if let Some(v) = headers.get_mut(AUTHORIZATION) {
        v.set_sensitive(true);
    }
    let wire = OpenAiWire {
        params: request_params(config),
        config: config.clone(),
    };
    HttpModel::new(wire, config, place, endpoint, headers)
}

impl OpenAiWire {
    fn body<'a>(&'a self, req: &'a ModelRequest) -> Body<'a> {
        let mut messages = Vec::with_capacity(req.messages.len() + 1);
        let own_system = req.messages.iter().any(|m| m.role == Role::System);
        if !own_system
            && let Some(sys) = super::http::with_host(self.config.system_prompt.clone(), req)
        {
            messages.push(ChatMessage::Plain {
                role: Role::System,
                content: sys.into(),
            });
        }
        // The host's text follows the task's last system message.
        let last_system = req.messages.iter().rposition(|m| m.role == Role::System);
        messages.extend(req.messages.iter().enumerate().map(|(i, m)| {
            let content = match (Some(i) == last_system, req.host_system.as_deref()) {
                (true, Some(host)) => format!("{}\n\n{host}", m.content).into(),
                _ => std::borrow::Cow::Borrowed(m.content.as_str()),
            };
            ChatMessage::Plain {
                role: m.role,
                content,
            }
        }));
        for x in &req.exchanges {
            if x.calls.is_empty() {
                // An answer the user replied to: a plain assistant message.
                messages.push(ChatMessage::Plain {
                    role: Role::Assistant,
                    content: x.content.as_deref().unwrap_or("").into(),
                });
            } else {
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
            }
            messages.extend(x.calls.iter().map(|c| ChatMessage::Result {
                role: "tool",
                tool_call_id: &c.id,
                content: &c.result,
            }));
            if let Some(user) = &x.user {
                messages.push(ChatMessage::Plain {
                    role: Role::User,
                    content: user.as_str().into(),
                });
            }
        }
        Body {
            model: &self.config.name,
            messages,
            tools: (!req.tools.tools.is_empty()).then_some(&**req.api_tools),
            stream: false,
            response_format: req.output.as_ref().map(|o| {
                json!({
                    "type": "json_schema",
                    "json_schema": {
                        "name": o.name,
                        "description": o.description,
                        "schema": o.schema,
                        "strict": true,
                    }
                })
            }),
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

impl Wire for OpenAiWire {
    fn provider(&self) -> Provider {
        Provider::Openai
    }

    fn output_format(&self) -> OutputFormat {
        OutputFormat::JsonSchema
    }

    fn write_body(&self, req: &ModelRequest, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, &self.body(req))
    }

    fn read_reply(&self, body: &[u8]) -> Result<ModelReply, ModelError> {
        match parse_reply_body(body) {
            Ok(reply) => reply.map_err(|message| ModelError::new(ErrorKind::Other, message)),
            Err(e) => Err(not_json(Provider::Openai, &e, body)),
        }
    }

    fn failure(&self, status: u16, body: &[u8], retry_after: Option<Duration>) -> ModelError {
        http_failure(
            Provider::Openai,
            status,
            body,
            retry_after,
            Hints {
                key: "the API key was refused: check OPENAI_API_KEY (or the eval file's `api_key`) and that it may use this model".into(),
                missing: "the model or the endpoint does not exist here: check `model.name` and that `base_url` ends in /v1".into(),
            },
        )
    }

    fn tools(&self, tools: &ToolSet) -> Box<RawValue> {
        tools.to_openai_json()
    }

    fn parameters(&self) -> BTreeMap<String, Value> {
        self.params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
