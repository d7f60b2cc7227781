//! Token counts of tool definitions as sent: what each tool costs in every request's context.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use tiktoken_rs::CoreBPE;

use crate::mcp::ToolInfo;

/// The tokenizer. Counts are exact for OpenAI models of that encoding and an estimate for others.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    ValueEnum,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Encoding {
    /// GPT-4o, GPT-4.1, o-series.
    #[default]
    O200kBase,
    /// GPT-4, GPT-3.5.
    Cl100kBase,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::O200kBase => "o200k_base",
            Encoding::Cl100kBase => "cl100k_base",
        }
    }

    fn bpe(self) -> &'static CoreBPE {
        match self {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        }
    }

    pub fn count(self, text: &str) -> usize {
        self.bpe().encode_ordinary(text).len()
    }

    /// Token counts of many tools, remembered on disk by definition (`.tooleval/cache/tokens/`):
    /// the vocabulary, slow to load and large in memory, is loaded only for definitions not
    /// counted before. Counts are a pure function of the text, so the cache cannot go stale.
    pub fn count_tools(self, tools: &[ToolInfo]) -> Vec<usize> {
        let path = std::path::Path::new(TOKEN_CACHE_DIR).join(format!("{}.json", self.as_str()));
        let mut known: std::collections::BTreeMap<String, usize> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let mut added = false;
        let counts = tools
            .iter()
            .map(|t| {
                let def = definition(t);
                let key = digest(&def);
                *known.entry(key).or_insert_with(|| {
                    added = true;
                    self.count(&def)
                })
            })
            .collect();
        if added {
            // A cache that cannot be written costs time, not results.
            let text = serde_json::to_string(&known).unwrap_or_default();
            let _ = crate::files::write_atomic(&path, text.as_bytes());
        }
        counts
    }

    /// The tokens of one tool definition in the chat API's `tools` form, compact JSON. Providers
    /// wrap definitions in their own framing, so the prompt grows by about this much per tool.
    pub fn tool_tokens(self, tool: &ToolInfo) -> usize {
        self.count(&definition(tool))
    }
}

/// Where token counts are remembered.
const TOKEN_CACHE_DIR: &str = ".tooleval/cache/tokens";

/// A tool definition as sent, compact JSON.
fn definition(tool: &ToolInfo) -> String {
    serde_json::json!({
        "type": "function",
        "function": {"name": tool.api_name, "description": tool.description, "parameters": tool.input_schema}
    })
    .to_string()
}

fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_known_encodings() {
        // Known token ids: "hello world" is [24912, 2375] in o200k_base, [15339, 1917] in cl100k_base.
        assert_eq!(
            Encoding::O200kBase.bpe().encode_ordinary("hello world"),
            [24912, 2375]
        );
        assert_eq!(
            Encoding::Cl100kBase.bpe().encode_ordinary("hello world"),
            [15339, 1917]
        );
        assert_eq!(Encoding::O200kBase.count(""), 0);
        let tool = ToolInfo {
            name: "get_sum".into(),
            api_name: "get_sum".into(),
            server: "s".into(),
            server_name: "get_sum".into(),
            description: "Returns the sum of two numbers".into(),
            input_schema: serde_json::json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}),
            schema_dialect: None,
            tokens: None,
            overridden: vec![],
        };
        let n = Encoding::O200kBase.tool_tokens(&tool);
        // {"function":{"description":"Returns the sum of two numbers","name":"get_sum","parameters":{...}},"type":"function"}
        assert!((35..=60).contains(&n), "{n}");
        assert!(
            Encoding::O200kBase.tool_tokens(&ToolInfo {
                description: tool.description.repeat(4),
                ..tool.clone()
            }) > n + 15
        );
    }
}
