//! Anthropic's Messages API: `POST {base_url}/v1/messages`, the key in `x-api-key`, tools with an
//! `input_schema`, calls as `tool_use` blocks and their results as `tool_result` blocks.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::http::{
    Body, Hints, HttpModel, Place, Wire, arguments_object, error_in_reply, http_failure, raw,
    read_json_reply, secret_header, system_text,
};
use super::{ModelError, ModelReply, ModelRequest, OutputFormat, RawCall};
use crate::config::{ModelConfig, Provider, Role, ToolChoice};
use crate::error::Result;
use crate::mcp::ToolSet;
use crate::mcp::convert;
use crate::record::Usage;

/// The API version every request names (the one the Messages API is documented at).
pub(crate) const API_VERSION: &str = "2023-06-01";
/// The API requires `max_tokens`: this many unless the eval sets it.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 4096;

pub(super) struct AnthropicWire {
    config: ModelConfig,
    /// `tool_choice`, when the eval sets it or parallel calls are turned off.
    tool_choice: Option<Value>,
}

/// A model behind Anthropic's Messages API. `replay` builds a client that will never be asked.
pub(super) fn new(config: &ModelConfig, replay: bool) -> Result<HttpModel<AnthropicWire>> {
    // The Messages API refuses what other APIs take (OpenAI's goes to 2): said once, here,
    // rather than by every request.
    if let Some(t) = config.temperature.filter(|t| !(0.0..=1.0).contains(t)) {
        return Err(crate::error::Error::usage(
            format!(
                "`{}`: Anthropic takes a temperature from 0 to 1, and the eval sets {t}",
                config.name
            ),
            Some("set `temperature` in this model's entry (e.g. 1.0)".to_owned()),
        ));
    }
    let place = Place::resolve(config, replay)?;
    let endpoint = place.endpoint(Provider::Anthropic, "/v1/messages")?;
    let mut headers = HeaderMap::new();
    if !place.key.is_empty() {
        headers.insert(
            HeaderName::from_static("x-api-key"),
            secret_header(&place.key)?,
        );
    }
    headers.insert(
        HeaderName::from_static("anthropic-version"),
        HeaderValue::from_static(API_VERSION),
    );
    let wire = AnthropicWire {
        tool_choice: tool_choice(config),
        config: config.clone(),
    };
    HttpModel::new(wire, config, place, endpoint, headers)
}

/// `tool_choice` as the Messages API takes it: `required` is `any`; turning parallel calls off
/// is a flag of the choice.
fn tool_choice(config: &ModelConfig) -> Option<Value> {
    let kind = match config.tool_choice {
        Some(ToolChoice::Auto) => "auto",
        Some(ToolChoice::Required) => "any",
        Some(ToolChoice::None) => "none",
        None if config.parallel_tool_calls == Some(false) => "auto",
        None => return None,
    };
    let mut choice = json!({ "type": kind });
    if config.parallel_tool_calls == Some(false) && kind != "none" {
        choice["disable_parallel_tool_use"] = true.into();
    }
    Some(choice)
}

/// The setting a 400 says the model refuses: "`temperature` is deprecated for this model." (Claude
/// Opus 4.7 and later; UKGovernmentBEIS/inspect_ai#3721, as of 2026-04), and the same for `top_p`
/// and `top_k`.
fn refused_setting(body: &str) -> Option<&'static str> {
    ["temperature", "top_p", "top_k"].into_iter().find(|s| {
        body.contains(&format!("`{s}` is deprecated for this model"))
            || body.contains(&format!("{s} is deprecated for this model"))
    })
}

/// The text sent for an error result without any: the API refuses `is_error: true` with empty
/// content ("messages.N.content.M.tool_result: content cannot be empty if `is_error` is true",
/// bytedance/trae-agent#230, as of 2025-07) and text of only whitespace ("messages: text content
/// blocks must contain non-whitespace text", anthropics/claude-code#23440, as of 2026-02).
const EMPTY_ERROR: &str = "(the tool reported an error without any text)";

/// Whether a call's result is an error with no text to send.
fn empty_error(call: &super::ExchangedCall) -> bool {
    call.is_error && call.result.trim().is_empty()
}

/// A prompt-cache breakpoint: the prefix up to and including the block it is on is cached (for
/// five minutes, renewed by each read), and a request with the same prefix reads it at a tenth
/// of the input price. Prompt caching,
/// https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching, as of 2026-12: at most 4
/// breakpoints; the cache holds tools, then system, then messages; a prefix under the model's
/// minimum (1,024 tokens for Sonnet and Opus, 2,048 to 4,096 for Haiku) is not cached, and
/// the request still succeeds.
static CACHE_CONTROL: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| json!({ "type": "ephemeral" }));

impl AnthropicWire {
    /// Whether requests mark their prefix for the prompt cache (`cache`, default true).
    fn caching(&self) -> bool {
        self.config.cache != Some(false)
    }

    fn body<'a>(&self, req: &'a ModelRequest) -> Body<'a> {
        let c = &self.config;
        // System messages go in `system`; the conversation holds user and assistant turns.
        let system = system_text(req, c);
        let mut messages: Vec<Value> = req
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| {
                let role = if m.role == Role::Assistant {
                    "assistant"
                } else {
                    "user"
                };
                json!({ "role": role, "content": m.content })
            })
            .collect();
        for x in &req.exchanges {
            let mut blocks = Vec::with_capacity(x.calls.len() + 1);
            // "text content blocks must contain non-whitespace text": a reply of only spaces is
            // left out as an empty one is.
            if let Some(text) = x.content.as_deref().filter(|t| !t.trim().is_empty()) {
                blocks.push(json!({ "type": "text", "text": text }));
            }
            for call in &x.calls {
                blocks.push(json!({
                    "type": "tool_use",
                    "id": call.id,
                    "name": call.name,
                    "input": arguments_object(&call.arguments),
                }));
            }
            // An answer of no text before the user's next message is left out (the API refuses
            // an empty assistant message that is not the last): the two user messages around
            // it are one turn, as the API merges them.
            if !blocks.is_empty() || x.user.is_none() {
                messages.push(json!({ "role": "assistant", "content": blocks }));
            }
            let mut results: Vec<Value> = x
                .calls
                .iter()
                .map(|call| {
                    let content = if empty_error(call) {
                        EMPTY_ERROR
                    } else {
                        call.result.as_str()
                    };
                    let mut r = json!({
                        "type": "tool_result",
                        "tool_use_id": call.id,
                        "content": content,
                    });
                    if call.is_error {
                        r["is_error"] = true.into();
                    }
                    r
                })
                .collect();
            // The user's next message follows the results in the same turn: the API wants the
            // tool_result blocks at the start of the message after tool_use ("Did not find N
            // tool_result block(s) at the beginning of this message"), text may follow them,
            // and it merges consecutive messages of one role (Messages API reference,
            // https://docs.anthropic.com/en/api/messages, as of 2026-12; the scripted server
            // holds requests to both rules).
            if let Some(user) = x.user.as_deref().filter(|u| !u.trim().is_empty()) {
                results.push(json!({ "type": "text", "text": user }));
            }
            if !results.is_empty() {
                messages.push(json!({ "role": "user", "content": results }));
            }
        }
        let mut fields = serde_json::Map::new();
        fields.insert("model".into(), c.name.clone().into());
        fields.insert(
            "max_tokens".into(),
            c.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS).into(),
        );
        if let Some(s) = system {
            // The system prompt closes the cached prefix (tools, then system) when it is the
            // same across requests; a breakpoint on the last tool caches the tools even when it
            // is not.
            let system = if self.caching() && !s.trim().is_empty() {
                json!([{ "type": "text", "text": s, "cache_control": CACHE_CONTROL.clone() }])
            } else {
                s.into()
            };
            fields.insert("system".into(), system);
        }
        fields.insert("messages".into(), messages.into());
        if let Some(t) = c.temperature {
            fields.insert("temperature".into(), json!(t));
        }
        // Left out when no tool is offered (a judge's or a writer's request), with the choice.
        let offered = !req.tools.tools.is_empty();
        let mut with_tools = serde_json::Map::new();
        if let Some(choice) = self.tool_choice.as_ref().filter(|_| offered) {
            with_tools.insert("tool_choice".into(), choice.clone());
        }
        Body {
            fields,
            tools: offered.then_some(&**req.api_tools),
            with_tools,
        }
    }
}

impl Wire for AnthropicWire {
    fn provider(&self) -> Provider {
        Provider::Anthropic
    }

    fn output_format(&self) -> OutputFormat {
        OutputFormat::ForcedTool
    }

    fn write_body(&self, req: &ModelRequest, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let mut body = self.body(req);
        // A reply held to a schema: one tool with the schema as its input, which the model is
        // made to call (`tool_choice: {type: tool}`); its input is the reply.
        let forced;
        if let Some(o) = &req.output {
            forced = raw(&json!([{
                "name": o.name,
                "description": o.description,
                "input_schema": o.schema,
            }]));
            body.tools = Some(&forced);
            body.with_tools = serde_json::Map::new();
            body.with_tools.insert(
                "tool_choice".into(),
                json!({ "type": "tool", "name": o.name }),
            );
        }
        serde_json::to_writer(out, &body)
    }

    fn read_reply(&self, body: &[u8]) -> Result<ModelReply, ModelError> {
        read_json_reply(Provider::Anthropic, body, parse_message)
    }

    fn failure(&self, status: u16, body: &[u8], retry_after: Option<Duration>) -> ModelError {
        let text = String::from_utf8_lossy(body);
        if status == 400
            && let Some(setting) = refused_setting(&text)
        {
            // Never retried with other settings: the measurement would change under the user.
            return ModelError {
                message: format!(
                    "HTTP 400 from Anthropic: `{}` refuses the setting `{setting}` (\"`{setting}` is deprecated for this model.\")",
                    self.config.name
                ),
                status: Some(400),
                kind: super::ErrorKind::Fatal,
                retry_after: None,
                retries: 0,
                hint: Some(format!(
                    "remove `{setting}` from this model's settings; in a `models:` entry, `{setting}: null` unsets what it takes from `model`"
                )),
            };
        }
        http_failure(
            Provider::Anthropic,
            status,
            body,
            retry_after,
            Hints {
                key: "Anthropic refused the key: check ANTHROPIC_API_KEY (or the eval file's `api_key`) and that it may use this model".into(),
                missing: "Anthropic knows no such model or endpoint: check `model.name` (e.g. `claude-sonnet-4-5`) and that `base_url` is the API's root, without /v1".into(),
            },
        )
    }

    fn tools(&self, tools: &ToolSet) -> Box<RawValue> {
        let mut list: Vec<Value> = tools
            .tools
            .iter()
            .map(|t| {
                json!({
                    "name": t.api_name,
                    "description": t.description,
                    "input_schema": convert::anthropic(&t.input_schema).0,
                })
            })
            .collect();
        // A breakpoint on the last tool: every request of the run sends the same tools first,
        // so all after the first read them from the provider's cache.
        if self.caching()
            && let Some(last) = list.last_mut()
        {
            last["cache_control"] = CACHE_CONTROL.clone();
        }
        raw(&list)
    }

    fn parameters(&self) -> BTreeMap<String, Value> {
        let c = &self.config;
        let mut p = BTreeMap::new();
        p.insert(
            "max_tokens".into(),
            c.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS).into(),
        );
        if let Some(choice) = &self.tool_choice {
            p.insert("tool_choice".into(), choice.clone());
        }
        if let Some(t) = c.temperature {
            p.insert("temperature".into(), json!(t));
        }
        p
    }

    fn request_notes(&self, req: &ModelRequest) -> Vec<String> {
        req.exchanges
            .iter()
            .flat_map(|x| &x.calls)
            .filter(|c| empty_error(c))
            .map(|c| {
                format!(
                    "the empty error result of `{}` was sent as \"{EMPTY_ERROR}\" (Anthropic refuses an empty one)",
                    c.name
                )
            })
            .collect()
    }

    fn note(&self) -> Option<String> {
        self.config
            .seed
            .map(|_| "the Messages API takes no seed: `seed` was not sent".to_owned())
    }
}

/// Reads a Messages API reply: its text blocks, its `tool_use` blocks as calls, its stop reason
/// in the chat API's words (`tool_calls`, `stop`, `length`, `content_filter`) and its usage.
pub(crate) fn parse_message(body: &Value) -> std::result::Result<ModelReply, String> {
    if let Some(error) = error_in_reply(Provider::Anthropic, body) {
        return Err(error);
    }
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            format!(
                "Anthropic's reply has no `content` blocks: {}",
                super::http::first_line(&body.to_string())
            )
        })?;
    let mut text = Vec::new();
    let mut tool_calls = Vec::new();
    let mut server_searches: Vec<(String, super::ServerSearch)> = Vec::new();
    for b in blocks {
        match b.get("type").and_then(Value::as_str) {
            // The API's own tool search: its query, then (in a block of its own) what it found.
            Some("server_tool_use") => {
                let input = b.get("input");
                let query = ["query", "pattern"]
                    .iter()
                    .find_map(|k| input.and_then(|i| i.get(*k)).and_then(Value::as_str))
                    .unwrap_or_default();
                let id = b.get("id").and_then(Value::as_str).unwrap_or_default();
                server_searches.push((
                    id.to_owned(),
                    super::ServerSearch {
                        query: query.to_owned(),
                        ..Default::default()
                    },
                ));
            }
            Some("tool_search_tool_result") => {
                let id = b
                    .get("tool_use_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let content = b.get("content");
                let returned = content
                    .and_then(|c| c.get("tool_references"))
                    .and_then(Value::as_array)
                    .map(|refs| {
                        refs.iter()
                            .filter_map(|r| r.get("tool_name").and_then(Value::as_str))
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let error = content
                    .and_then(|c| c.get("error_code"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if let Some((_, s)) = server_searches.iter_mut().find(|(i, _)| i == id) {
                    s.returned = returned;
                    s.error = error;
                }
            }
            Some("text") => {
                if let Some(t) = b.get("text").and_then(Value::as_str) {
                    text.push(t);
                }
            }
            Some("tool_use") => tool_calls.push(RawCall {
                name: b
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                arguments: match b.get("input") {
                    None | Some(Value::Null) => "{}".to_owned(),
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                },
                recovered: false,
                id: b.get("id").and_then(Value::as_str).map(str::to_owned),
                signature: None,
            }),
            // Thinking and other blocks are not part of the answer.
            _ => {}
        }
    }
    let content = text.concat();
    let stop = body.get("stop_reason").and_then(Value::as_str);
    let mut notes = Vec::new();
    match stop {
        Some("max_tokens") => notes.push(
            "the reply was cut at `max_tokens` (Anthropic's stop reason `max_tokens`)".to_owned(),
        ),
        Some("refusal") => notes.push("Anthropic's stop reason: `refusal`".to_owned()),
        Some("pause_turn") => notes
            .push("Anthropic paused the turn (`pause_turn`): the reply is not finished".to_owned()),
        _ => {}
    }
    let usage = body.get("usage").filter(|u| u.is_object()).map(|u| {
        let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
        // `input_tokens` counts only what was neither read from nor written to the cache.
        Usage {
            prompt_tokens: n("input_tokens")
                + n("cache_creation_input_tokens")
                + n("cache_read_input_tokens"),
            completion_tokens: n("output_tokens"),
            cached_tokens: n("cache_read_input_tokens"),
            cache_write_tokens: n("cache_creation_input_tokens"),
        }
    });
    Ok(ModelReply {
        content: (!content.is_empty()).then_some(content),
        tool_calls,
        finish_reason: stop.map(|s| {
            match s {
                "tool_use" => "tool_calls",
                "end_turn" | "stop_sequence" => "stop",
                "max_tokens" | "model_context_window_exceeded" => "length",
                "refusal" => "content_filter",
                other => other,
            }
            .to_owned()
        }),
        usage,
        notes,
        retries: 0,
        cached: false,
        format: None,
        server_searches: server_searches.into_iter().map(|(_, s)| s).collect(),
    })
}

/// The tools as the Messages API takes them with its own tool search: the search tool first
/// (never deferred: "At least one tool must have defer_loading=false"), then every tool with
/// `defer_loading: true`; the API shows the model only the tools its searches return
/// (https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool, seen
/// 2026-12-06).
pub(crate) fn with_tool_search(
    api_tools: &serde_json::value::RawValue,
    search: crate::config::NativeSearch,
) -> Box<serde_json::value::RawValue> {
    let (kind, name) = search.tool();
    let mut tools: Vec<Value> = serde_json::from_str(api_tools.get()).unwrap_or_default();
    // Deferred tools are not part of the prompt: the cache breakpoint moves to the search tool.
    let mut cached = false;
    for t in &mut tools {
        if let Some(o) = t.as_object_mut() {
            o.insert("defer_loading".into(), true.into());
            cached |= o.remove("cache_control").is_some();
        }
    }
    let mut search_tool = json!({"type": kind, "name": name});
    if cached {
        search_tool["cache_control"] = CACHE_CONTROL.clone();
    }
    tools.insert(0, search_tool);
    raw(&tools)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reply of the Messages API reference's tool-use example.
    #[test]
    fn reads_the_reference_tool_use_reply() {
        let body = json!({
            "id": "msg_01Aq9w938a90dw8q",
            "model": "claude-sonnet-4-5",
            "stop_reason": "tool_use",
            "role": "assistant",
            "content": [
                {"type": "text", "text": "I'll check the weather."},
                {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9",
                 "name": "get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}}
            ],
            "usage": {"input_tokens": 472, "output_tokens": 91, "cache_read_input_tokens": 8, "cache_creation_input_tokens": 0}
        });
        let r = parse_message(&body).unwrap();
        assert_eq!(r.content.as_deref(), Some("I'll check the weather."));
        assert_eq!(r.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(r.tool_calls.len(), 1);
        assert_eq!(r.tool_calls[0].name, "get_weather");
        assert_eq!(
            serde_json::from_str::<Value>(&r.tool_calls[0].arguments).unwrap(),
            json!({"location": "San Francisco, CA", "unit": "celsius"})
        );
        assert_eq!(
            r.tool_calls[0].id.as_deref(),
            Some("toolu_01A09q90qw90lq917835lq9")
        );
        let u = r.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (480, 91));
        assert_eq!((u.cached_tokens, u.cache_write_tokens), (8, 0));
    }

    #[test]
    fn a_cut_reply_says_so_and_a_body_without_content_is_an_error() {
        let r = parse_message(&json!({
            "content": [{"type": "text", "text": "partial"}], "stop_reason": "max_tokens"
        }))
        .unwrap();
        assert_eq!(r.finish_reason.as_deref(), Some("length"));
        assert!(r.notes[0].contains("max_tokens"), "{:?}", r.notes);
        let e = parse_message(&json!({"type": "message"})).unwrap_err();
        assert!(e.contains("no `content`"), "{e}");
        let e = parse_message(
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        )
        .unwrap_err();
        assert!(e.contains("Overloaded"), "{e}");
    }

    #[test]
    fn tool_choice_follows_the_eval() {
        let mut c = ModelConfig::default();
        assert_eq!(tool_choice(&c), None);
        c.tool_choice = Some(ToolChoice::Required);
        assert_eq!(tool_choice(&c), Some(json!({"type": "any"})));
        c.parallel_tool_calls = Some(false);
        assert_eq!(
            tool_choice(&c),
            Some(json!({"type": "any", "disable_parallel_tool_use": true}))
        );
        c.tool_choice = None;
        assert_eq!(
            tool_choice(&c),
            Some(json!({"type": "auto", "disable_parallel_tool_use": true}))
        );
        c.tool_choice = Some(ToolChoice::None);
        assert_eq!(tool_choice(&c), Some(json!({"type": "none"})));
    }

    #[test]
    fn the_tools_and_system_prompt_are_marked_for_the_prompt_cache_unless_turned_off() {
        let tools = crate::mcp::test_tools();
        let wire = |cache: Option<bool>| AnthropicWire {
            config: ModelConfig {
                name: "claude-sonnet-4-5".into(),
                system_prompt: Some("Pick a tool.".into()),
                cache,
                ..ModelConfig::default()
            },
            tool_choice: None,
        };
        for (cache, marked) in [(None, true), (Some(true), true), (Some(false), false)] {
            let w = wire(cache);
            let api: Vec<Value> = serde_json::from_str(w.tools(&tools).get()).unwrap();
            let mut req = ModelRequest::new(
                vec![crate::config::Message {
                    role: Role::User,
                    content: "hi".into(),
                }],
                "hi".into(),
                std::sync::Arc::new(tools.clone()),
                0,
            );
            req.api_tools = std::sync::Arc::new(w.tools(&tools));
            let mut out = Vec::new();
            w.write_body(&req, &mut out).unwrap();
            let body: Value = serde_json::from_slice(&out).unwrap();
            let last = api.len() - 1;
            assert_eq!(
                api[last].get("cache_control").is_some(),
                marked,
                "{cache:?}"
            );
            assert!(api[..last].iter().all(|t| t.get("cache_control").is_none()));
            assert_eq!(body["tools"], Value::Array(api.clone()));
            if marked {
                assert_eq!(
                    body["system"],
                    json!([{"type": "text", "text": "Pick a tool.", "cache_control": {"type": "ephemeral"}}])
                );
            } else {
                assert_eq!(body["system"], "Pick a tool.");
            }
        }
        // Behind Anthropic's tool search the deferred tools are no prompt: the search tool holds
        // the breakpoint.
        let w = wire(None);
        let searched =
            with_tool_search(&w.tools(&tools), crate::config::NativeSearch::AnthropicBm25);
        let list: Vec<Value> = serde_json::from_str(searched.get()).unwrap();
        assert!(list[0].get("cache_control").is_some(), "{}", list[0]);
        assert!(list[1..].iter().all(|t| t.get("cache_control").is_none()));
    }
}
