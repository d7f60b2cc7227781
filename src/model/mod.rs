//! Models: the OpenAI-compatible client, the offline baseline, and how replies are read.

mod baseline;
mod openai;
mod reply;
pub mod scripted;

use std::sync::Arc;

use futures::future::BoxFuture;

pub use baseline::{Baseline, Index, tokens};
pub use openai::OpenAiModel;
pub use reply::{parse_reply, recover_text_calls};

use crate::config::{Message, ModelConfig};
use crate::error::Result;
use crate::mcp::ToolSet;
use crate::report::{ModelInfo, Usage};

/// One request: the conversation and the tools offered.
#[derive(Debug, Clone)]
pub struct ModelRequest {
    pub messages: Vec<Message>,
    /// The text of the user's messages (what the baseline ranks against).
    pub user_text: String,
    pub tools: Arc<ToolSet>,
    /// The tools in the chat API's form, built once per run.
    pub api_tools: Arc<Vec<serde_json::Value>>,
    /// 0-based trial index.
    pub trial: u32,
}

impl ModelRequest {
    pub fn new(messages: Vec<Message>, user_text: String, tools: Arc<ToolSet>, trial: u32) -> Self {
        let api_tools = Arc::new(tools.to_openai());
        ModelRequest {
            messages,
            user_text,
            tools,
            api_tools,
            trial,
        }
    }
}

/// A tool call as the model wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawCall {
    pub name: String,
    /// The arguments as a JSON text (possibly malformed).
    pub arguments: String,
    /// Recovered from the reply's text rather than read from `tool_calls`.
    pub recovered: bool,
}

/// A model's reply, read leniently.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelReply {
    pub content: Option<String>,
    pub tool_calls: Vec<RawCall>,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
    /// Remarks a person should see next to the outcome.
    pub notes: Vec<String>,
}

/// Why a request produced no reply. Always an infrastructure problem, never a model failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    pub message: String,
    /// The HTTP status, when the server answered with one.
    pub status: Option<u16>,
}

/// Anything that answers chat requests with tool calls.
pub trait Model: Send + Sync {
    /// Who this model is, for the report. Never includes credentials.
    fn info(&self) -> ModelInfo;
    fn complete<'a>(
        &'a self,
        req: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<ModelReply, ModelError>>;
}

/// Whether a configured model name means the offline baseline.
pub fn is_baseline(name: &str) -> bool {
    name.is_empty() || name.eq_ignore_ascii_case("baseline")
}

/// The model an eval asks for.
pub fn from_config(config: &ModelConfig) -> Result<Arc<dyn Model>> {
    if is_baseline(&config.name) {
        Ok(Arc::new(Baseline::new(config.baseline_threshold)))
    } else {
        Ok(Arc::new(OpenAiModel::new(config)?))
    }
}
