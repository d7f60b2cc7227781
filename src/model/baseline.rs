//! The offline baseline: not an LLM. It ranks tools by BM25 over their names, descriptions and
//! parameters, calls the best one when it scores above a threshold, and fills in arguments it can
//! read straight off the prompt (enum values, ids, durations). It needs no key and no network, and
//! it is a cheap first signal of how distinguishable the descriptions are.

use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;
use serde_json::{Map, Value};

use super::{Model, ModelError, ModelReply, ModelRequest, RawCall, SearchOffer};
use crate::mcp::{Index, ToolInfo, ToolSet};
use crate::record::ModelInfo;

pub(crate) const DEFAULT_THRESHOLD: f64 = 1.5;

pub(crate) struct Baseline {
    threshold: f64,
    /// The index of the last tool set seen, by its hash: built once per run, not per request.
    index: Mutex<Option<(String, Arc<Index>)>>,
}

impl Baseline {
    pub(crate) fn new(threshold: Option<f64>) -> Self {
        Baseline {
            threshold: threshold.unwrap_or(DEFAULT_THRESHOLD),
            index: Mutex::default(),
        }
    }

    fn index_for(&self, tools: &ToolSet) -> Arc<Index> {
        let mut cached = self.index.lock().unwrap_or_else(|p| p.into_inner());
        match &*cached {
            Some((hash, index)) if *hash == tools.hash => index.clone(),
            _ => {
                let index = Arc::new(Index::new(tools));
                *cached = Some((tools.hash.clone(), index.clone()));
                index
            }
        }
    }
}

impl Baseline {
    /// The best tool for the prompt, called when it scores above the threshold.
    fn choose(&self, tools: &ToolSet, user_text: &str) -> ModelReply {
        let index = self.index_for(tools);
        let ranked = index.rank(user_text);
        let mut reply = ModelReply::default();
        match ranked.first() {
            Some(&(i, score)) if score >= self.threshold => {
                let tool = &tools.tools[i];
                let args = extract_args(tool, user_text);
                reply.tool_calls.push(RawCall {
                    name: tool.api_name.clone(),
                    arguments: Value::Object(args).to_string(),
                    recovered: false,
                    id: None,
                    signature: None,
                });
                reply.finish_reason = Some("tool_calls".into());
                reply.notes.push(format!(
                    "baseline: `{}` scored {score:.2} (threshold {})",
                    tool.name, self.threshold
                ));
            }
            best => {
                reply.content = Some("No tool is relevant enough.".into());
                reply.finish_reason = Some("stop".into());
                let best = best
                    .map(|&(i, s)| format!("`{}` at {s:.2}", tools.tools[i].name))
                    .unwrap_or_else(|| "nothing".into());
                reply.notes.push(format!(
                    "baseline: best was {best}, under the threshold {}",
                    self.threshold
                ));
            }
        }
        reply
    }

    /// Under a host that defers its tools: first a search with the prompt's words, then the
    /// best of the tools it loaded (the search tool left out), as on a first turn.
    fn deferred(&self, req: &ModelRequest, search: &SearchOffer) -> ModelReply {
        let calls = || req.exchanges.iter().flat_map(|x| &x.calls);
        if !calls().any(|c| c.name == search.name) {
            let query = crate::text::words(&req.user_text).join(" ");
            let mut args = Map::new();
            args.insert(search.query.clone(), query.into());
            return ModelReply {
                tool_calls: vec![RawCall {
                    name: search.name.clone(),
                    arguments: Value::Object(args).to_string(),
                    recovered: false,
                    id: None,
                    signature: None,
                }],
                finish_reason: Some("tool_calls".into()),
                notes: vec!["baseline: searched the deferred tools with the prompt's words".into()],
                ..ModelReply::default()
            };
        }
        // Once it searched, it chooses among what it loaded: on its first turn, and when the
        // user says more in a conversation.
        let user_spoke = req.exchanges.last().is_some_and(|x| x.user.is_some());
        if user_spoke || calls().all(|c| c.name == search.name) {
            let mut loaded = (*req.tools).clone();
            loaded.tools.retain(|t| t.api_name != search.name);
            loaded.rehash();
            return self.choose(&loaded, &req.user_text);
        }
        agent_answer()
    }
}

/// In agent mode: one call, then an answer without text. It reads no results.
fn agent_answer() -> ModelReply {
    ModelReply {
        finish_reason: Some("stop".into()),
        notes: vec![
            "baseline: in agent mode it makes its one call, then answers with no text (it does not read results)".into(),
        ],
        ..ModelReply::default()
    }
}

impl Model for Baseline {
    fn info(&self) -> ModelInfo {
        let mut parameters = std::collections::BTreeMap::new();
        parameters.insert("threshold".into(), self.threshold.into());
        ModelInfo {
            name: "baseline".into(),
            kind: "baseline".into(),
            note: Some("offline lexical baseline (BM25 over tool names, descriptions and parameters), not an LLM".into()),
            base_url: None,
            parameters,
        }
    }

    fn complete<'a>(
        &'a self,
        req: &'a ModelRequest,
    ) -> futures::future::BoxFuture<'a, Result<ModelReply, ModelError>> {
        Box::pin(async move {
            // A conversation's new user message is chosen for afresh, as a first turn is.
            let user_spoke = req.exchanges.last().is_some_and(|x| x.user.is_some());
            if req.search.is_none() && !req.exchanges.is_empty() && !user_spoke {
                return Ok(agent_answer());
            }
            if let Some(search) = &req.search {
                return Ok(self.deferred(req, search));
            }
            Ok(self.choose(&req.tools, &req.user_text))
        })
    }
}

/// Arguments read straight off the prompt: enum values named in it, ids, durations.
fn extract_args(tool: &ToolInfo, prompt: &str) -> Map<String, Value> {
    static ID: OnceLock<Regex> = OnceLock::new();
    static HEX: OnceLock<Regex> = OnceLock::new();
    static DURATION: OnceLock<Regex> = OnceLock::new();
    let id = ID.get_or_init(|| Regex::new(r"\b[A-Z]{2,}-\d+\b").expect("valid"));
    let hex = HEX.get_or_init(|| Regex::new(r"\b[0-9a-f]{16,64}\b").expect("valid"));
    let duration = DURATION.get_or_init(|| {
        Regex::new(r"(?i)\b(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)\b").expect("valid")
    });
    let lower = prompt.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
        .collect();
    let mut args = Map::new();
    let Some(props) = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
    else {
        return args;
    };
    for (name, prop) in props {
        if let Some(options) = prop.get("enum").and_then(Value::as_array) {
            let hit = options.iter().find(|o| {
                o.as_str().is_some_and(|s| {
                    let s = s.to_lowercase();
                    if s.contains(' ') {
                        lower.contains(&s)
                    } else {
                        words.contains(&s.as_str())
                    }
                })
            });
            if let Some(v) = hit {
                args.insert(name.clone(), v.clone());
            }
            continue;
        }
        let kind = prop.get("type").and_then(Value::as_str).unwrap_or("");
        if kind != "string" {
            continue;
        }
        let lname = name.to_lowercase();
        if lname.ends_with("id") {
            if let Some(m) = id.find(prompt).or_else(|| hex.find(prompt)) {
                args.insert(name.clone(), m.as_str().into());
            }
        } else if ["since", "window", "duration", "period", "range"]
            .iter()
            .any(|k| lname.contains(k))
            && let Some(c) = duration.captures(prompt)
        {
            let unit = c[2].chars().next().unwrap_or('m').to_ascii_lowercase();
            args.insert(name.clone(), format!("{}{unit}", &c[1]).into());
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn calls_above_threshold_only_and_reads_arguments() {
        let set = std::sync::Arc::new(crate::mcp::test_tools());
        let m = Baseline::new(None);
        let req = |text: &str| ModelRequest::new(vec![], text.into(), set.clone(), 0);
        let r = m
            .complete(&req("search checkout logs from the last 30 minutes"))
            .await
            .unwrap();
        assert_eq!(r.tool_calls.len(), 1);
        assert_eq!(r.tool_calls[0].name, "search_logs");
        let args: Value = serde_json::from_str(&r.tool_calls[0].arguments).unwrap();
        assert_eq!(args, json!({"service": "checkout", "since": "30m"}));
        let r = m.complete(&req("acknowledge ALR-4821")).await.unwrap();
        assert_eq!(r.tool_calls[0].arguments, r#"{"alert_id":"ALR-4821"}"#);
        let r = m.complete(&req("what a lovely day")).await.unwrap();
        assert!(r.tool_calls.is_empty());
        assert!(r.notes[0].contains("under the threshold"), "{:?}", r.notes);
    }

    #[tokio::test]
    async fn in_a_conversation_it_chooses_again_when_the_user_says_more() {
        let set = std::sync::Arc::new(crate::mcp::test_tools());
        let m = Baseline::new(None);
        let mut req = ModelRequest::new(vec![], "acknowledge ALR-4821".into(), set, 0);
        req.exchanges.push(crate::model::Exchange {
            content: None,
            calls: vec![],
            user: None,
        });
        // After its call it answers without one...
        assert!(m.complete(&req).await.unwrap().tool_calls.is_empty());
        // ...until the user's next message, which it ranks the tools against.
        req.exchanges.push(crate::model::Exchange {
            content: Some("Done.".into()),
            calls: vec![],
            user: Some("now search checkout logs from the last 30 minutes".into()),
        });
        req.user_text = "now search checkout logs from the last 30 minutes".into();
        let r = m.complete(&req).await.unwrap();
        assert_eq!(r.tool_calls[0].name, "search_logs");
    }
}
