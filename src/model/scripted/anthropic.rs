//! The Anthropic Messages dialect: `POST /v1/messages`, checked as the API checks a request
//! (https://docs.anthropic.com/en/api/messages).

use super::*;
/// The request fields the Messages API knows; any other is refused as the API does.
const ANTHROPIC_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_k",
    "top_p",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "context_management",
    "mcp_servers",
    "output_config",
    "output_format",
];

/// The content block types a message may hold besides `text`, `tool_use` and `tool_result`
/// (accepted as they are; no rule reads them).
const ANTHROPIC_OTHER_BLOCKS: &[&str] = &[
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
];

/// The fields of a custom tool definition.
const ANTHROPIC_TOOL_FIELDS: &[&str] = &[
    "type",
    "name",
    "description",
    "input_schema",
    "cache_control",
    "strict",
    "input_examples",
    "defer_loading",
    "allowed_callers",
];

/// A content block of an Anthropic message, as far as the rules and checks read it.
enum Block<'a> {
    Text(&'a str),
    ToolUse(&'a str),
    ToolResult { id: &'a str, text: Cow<'a, str> },
    Other,
}

/// A message of an Anthropic request; consecutive messages of one role merged, as the API does.
struct Turn<'a> {
    assistant: bool,
    blocks: Vec<Block<'a>>,
}

impl Turn<'_> {
    fn tool_uses(&self) -> Vec<&str> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolUse(id) => Some(*id),
                _ => None,
            })
            .collect()
    }
}

/// An Anthropic error body with this status.
fn anthropic_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
        .into_response()
}

pub(super) async fn answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = header_text(&headers, "x-api-key").trim().to_string();
    shared.arrive(key.clone(), body.clone());
    if key.is_empty() {
        return anthropic_error(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "x-api-key header is required",
        );
    }
    let invalid =
        |message: &str| anthropic_error(StatusCode::BAD_REQUEST, "invalid_request_error", message);
    if headers.get("anthropic-version").is_none() {
        return invalid("anthropic-version: header is required");
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return invalid(&format!("The request body is not valid JSON: {e}")),
    };
    let turns = match anthropic_turns(&body) {
        Ok(turns) => turns,
        Err(message) => return invalid(&message),
    };
    // A tool the model is made to call: the way to hold a reply to a schema.
    let forced = body
        .get("tool_choice")
        .filter(|c| c.get("type").and_then(Value::as_str) == Some("tool"))
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str);
    if forced.is_some()
        && let Some(refused) = refusal(&shared)
    {
        return refused;
    }
    let (cache_read, cache_write) = match anthropic_cache(&shared, &body) {
        Ok(tokens) => tokens,
        Err(message) => return invalid(&message),
    };
    // With a prompt cache kept, the input is the request's size (what the cache did not serve
    // or write); without, a fixed 100.
    let input_tokens = if shared.script.prompt_cache {
        crate::model::prompt_cache::tokens(&body.to_string())
            .saturating_sub(cache_read + cache_write)
            .max(1)
    } else {
        100
    };
    script_delay(&shared).await;
    let view = anthropic_view(&body, &turns);
    let (content, stop) = match settle(choose_reply(&shared, &view)).await {
        Err(response) => return response,
        // Made to call a tool, the model answers with that call: the script's text is its input.
        Ok(Answer::Text(text)) if forced.is_some() => {
            let Ok(input @ Value::Object(_)) = serde_json::from_str::<Value>(&text) else {
                return anthropic_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "api_error",
                    "the script's text is not a JSON object, so it cannot be the forced tool's input",
                );
            };
            let name = forced.unwrap_or_default();
            (
                json!([{"type": "tool_use", "id": call_id("toolu", view.turn, 0), "name": name, "input": input}]),
                "tool_use",
            )
        }
        Ok(Answer::Text(text)) => (json!([{"type": "text", "text": text}]), "end_turn"),
        Ok(Answer::Calls(calls)) => {
            let blocks: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, (name, args))| {
                    json!({"type": "tool_use", "id": call_id("toolu", view.turn, i), "name": name, "input": args_object(args)})
                })
                .collect();
            (Value::Array(blocks), "tool_use")
        }
    };
    axum::Json(json!({
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": body.get("model").cloned().unwrap_or(Value::Null),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
            "output_tokens": 10
        }
    }))
    .into_response()
}

/// The prompt cache as the API keeps it: the breakpoints checked (at most 4, each `ephemeral`
/// with an optional `ttl` of `5m` or `1h`; Prompt caching,
/// https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching, as of 2026-12), then
/// the tokens read and written (`model::prompt_cache`), when the script keeps a cache.
fn anthropic_cache(shared: &Shared, body: &Value) -> Result<(u64, u64), String> {
    let blocks = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let tools = blocks(body.get("tools"));
    let system = blocks(body.get("system"));
    let in_messages = blocks(body.get("messages"))
        .iter()
        .flat_map(|m| blocks(m.get("content")))
        .filter(|b| b.get("cache_control").is_some())
        .count();
    let marked = |list: &[Value]| -> Vec<usize> {
        list.iter()
            .enumerate()
            .filter(|(_, b)| b.get("cache_control").is_some())
            .map(|(i, _)| i)
            .collect()
    };
    let (in_tools, in_system) = (marked(&tools), marked(&system));
    let found = in_tools.len() + in_system.len() + in_messages;
    if found > 4 {
        return Err(format!(
            "A maximum of 4 blocks with cache_control may be provided. Found {found}."
        ));
    }
    for (place, list, at) in [
        ("tools", &tools, &in_tools),
        ("system", &system, &in_system),
    ] {
        for &i in at {
            let c = &list[i]["cache_control"];
            if c.get("type").and_then(Value::as_str) != Some("ephemeral") {
                return Err(format!(
                    "{place}.{i}.cache_control.type: Input should be 'ephemeral'"
                ));
            }
            if let Some(ttl) = c.get("ttl")
                && ttl != "5m"
                && ttl != "1h"
            {
                return Err(format!(
                    "{place}.{i}.cache_control.ttl: Input should be '5m' or '1h'"
                ));
            }
        }
    }
    Ok(super::prompt_cache(
        shared,
        &crate::model::prompt_cache::anthropic_prefixes(body),
    ))
}

/// A Messages request as the rules see it: the last user message with text (its string, or its
/// `text` blocks), the `tools`, the `tool_result` blocks' texts.
fn anthropic_view<'a>(body: &'a Value, turns: &[Turn<'a>]) -> View<'a> {
    let last_user = turns
        .iter()
        .rev()
        .filter(|t| !t.assistant)
        .map(|t| {
            t.blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Text(t) => Some(*t),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .find(|texts| !texts.is_empty())
        .map_or(Cow::Borrowed(""), joined);
    let results = turns
        .iter()
        .flat_map(|t| &t.blocks)
        .filter_map(|b| match b {
            Block::ToolResult { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    View {
        last_user,
        tools_text: body.get("tools").map(Value::to_string).unwrap_or_default(),
        tool_count: body
            .get("tools")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        turn: 1 + turns
            .iter()
            .filter(|t| t.assistant && !t.tool_uses().is_empty())
            .count(),
        results,
    }
}

/// Checks a Messages request as the API does; its messages (merged by role) when it is valid,
/// else the API's `invalid_request_error` message.
fn anthropic_turns(body: &Value) -> Result<Vec<Turn<'_>>, String> {
    let Some(obj) = body.as_object() else {
        return Err("body: Input should be a valid dictionary".into());
    };
    if let Some(k) = obj.keys().find(|k| !ANTHROPIC_FIELDS.contains(&k.as_str())) {
        return Err(format!("{k}: Extra inputs are not permitted"));
    }
    match obj.get("model") {
        None => return Err("model: Field required".into()),
        Some(Value::String(_)) => {}
        Some(_) => return Err("model: Input should be a valid string".into()),
    }
    match obj.get("max_tokens") {
        None => return Err("max_tokens: Field required".into()),
        Some(v) if !v.is_i64() && !v.is_u64() => {
            return Err("max_tokens: Input should be a valid integer".into());
        }
        Some(v) if v.as_i64().is_some_and(|n| n < 1) => {
            return Err("max_tokens: Input should be greater than or equal to 1".into());
        }
        Some(_) => {}
    }
    anthropic_settings(obj)?;
    let turns = anthropic_messages(obj.get("messages"))?;
    anthropic_tools(obj)?;
    Ok(turns)
}

/// The models that refuse `temperature`, `top_p` and `top_k`: Claude Opus 4.7 and 4.8, and the
/// generation after (reports name Opus 5 and Sonnet 5).
fn takes_no_sampling(model: &str) -> bool {
    [
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-sonnet-5",
    ]
    .iter()
    .any(|m| model.starts_with(m))
}

/// The sampling and framing fields: `system`, `stream`, `temperature`, `top_p`, `top_k`,
/// `stop_sequences`, `metadata`.
fn anthropic_settings(obj: &Map<String, Value>) -> Result<(), String> {
    match obj.get("system") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(blocks)) => {
            for (i, b) in blocks.iter().enumerate() {
                if b.get("type").and_then(Value::as_str) != Some("text") {
                    return Err(format!("system.{i}.type: Input should be 'text'"));
                }
                if !b.get("text").is_some_and(Value::is_string) {
                    return Err(format!("system.{i}.text: Field required"));
                }
            }
        }
        Some(_) => return Err("system: Input should be a valid string".into()),
    }
    match obj.get("stream") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            return Err(
                "stream: the scripted server does not stream; send \"stream\": false or leave it out"
                    .into(),
            );
        }
        Some(_) => return Err("stream: Input should be a valid boolean".into()),
    }
    // Claude Opus 4.7 and later take no sampling settings: 400 "`temperature` is deprecated for
    // this model." (UKGovernmentBEIS/inspect_ai#3721, 2026-04-20; BerriAI/litellm#26444), each
    // setting refused on its own (vellum-ai/vellum-assistant#35820, 2026-06).
    let model = obj.get("model").and_then(Value::as_str).unwrap_or("");
    if takes_no_sampling(model) {
        for name in ["temperature", "top_p", "top_k"] {
            if obj.contains_key(name) {
                return Err(format!("`{name}` is deprecated for this model."));
            }
        }
    }
    for name in ["temperature", "top_p"] {
        match obj.get(name) {
            None => {}
            Some(Value::Number(n)) => {
                let n = n.as_f64().unwrap_or_default();
                if n < 0.0 {
                    return Err(format!(
                        "{name}: Input should be greater than or equal to 0"
                    ));
                }
                if n > 1.0 {
                    return Err(format!("{name}: Input should be less than or equal to 1"));
                }
            }
            Some(_) => return Err(format!("{name}: Input should be a valid number")),
        }
    }
    if let Some(k) = obj.get("top_k")
        && !k.is_u64()
    {
        return Err("top_k: Input should be a valid integer, greater than or equal to 0".into());
    }
    if let Some(s) = obj.get("stop_sequences")
        && !s.as_array().is_some_and(|s| s.iter().all(Value::is_string))
    {
        return Err("stop_sequences: Input should be a valid list of strings".into());
    }
    if let Some(m) = obj.get("metadata")
        && !m.is_object()
    {
        return Err("metadata: Input should be a valid dictionary".into());
    }
    Ok(())
}

/// Checks `messages` and merges consecutive messages of one role, then checks that every
/// `tool_use` is answered at the start of the next message and every `tool_result` answers a
/// `tool_use` of the message before it.
fn anthropic_messages(messages: Option<&Value>) -> Result<Vec<Turn<'_>>, String> {
    let messages = match messages {
        None => return Err("messages: Field required".into()),
        Some(Value::Array(m)) => m,
        Some(_) => return Err("messages: Input should be a valid list".into()),
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut turns: Vec<Turn> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let Some(m) = m.as_object() else {
            return Err(format!("messages.{i}: Input should be a valid dictionary"));
        };
        if let Some(k) = m.keys().find(|k| *k != "role" && *k != "content") {
            return Err(format!("messages.{i}.{k}: Extra inputs are not permitted"));
        }
        let assistant = match m.get("role").and_then(Value::as_str) {
            Some("user") => false,
            Some("assistant") => true,
            Some("system") => {
                return Err("messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \"system\" as an input message role.".into());
            }
            Some(_) => {
                return Err(format!(
                    "messages.{i}.role: Input should be 'user' or 'assistant'"
                ));
            }
            None => return Err(format!("messages.{i}.role: Field required")),
        };
        let blocks = anthropic_blocks(i, assistant, m.get("content"))?;
        if blocks.is_empty() && !(assistant && i + 1 == messages.len()) {
            return Err(format!(
                "messages.{i}: all messages must have non-empty content except for the optional final assistant message"
            ));
        }
        match turns.last_mut() {
            Some(t) if t.assistant == assistant => t.blocks.extend(blocks),
            _ => turns.push(Turn { assistant, blocks }),
        }
    }
    if turns[0].assistant {
        return Err("messages: first message must use the \"user\" role".into());
    }
    for i in 0..turns.len() {
        let before = match i {
            0 => Vec::new(),
            _ => turns[i - 1].tool_uses(),
        };
        for (j, b) in turns[i].blocks.iter().enumerate() {
            if let Block::ToolResult { id, .. } = b
                && !before.contains(id)
            {
                return Err(format!(
                    "messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                ));
            }
        }
        let uses = turns[i].tool_uses();
        let Some(next) = turns.get(i + 1) else {
            continue;
        };
        if uses.is_empty() {
            continue;
        }
        let answered: Vec<&str> = next
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolResult { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        let missing: Vec<&str> = uses
            .iter()
            .copied()
            .filter(|u| !answered.contains(u))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                missing.join(", ")
            ));
        }
        let leading = next
            .blocks
            .iter()
            .take_while(|b| matches!(b, Block::ToolResult { .. }))
            .count();
        if leading < uses.len() {
            return Err(format!(
                "messages.{}: Did not find {} tool_result block(s) at the beginning of this message. Messages following tool_use blocks must begin with a matching number of tool_result blocks.",
                i + 1,
                uses.len()
            ));
        }
    }
    Ok(turns)
}

/// The blocks of message `i`'s content: a string, or a list of content blocks.
fn anthropic_blocks(
    i: usize,
    assistant: bool,
    content: Option<&Value>,
) -> Result<Vec<Block<'_>>, String> {
    match content {
        None => Err(format!("messages.{i}.content: Field required")),
        Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Block::Text(s)]),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .enumerate()
            .map(|(j, b)| anthropic_block(&format!("messages.{i}.content.{j}"), assistant, b))
            .collect(),
        Some(_) => Err(format!(
            "messages.{i}.content: Input should be a valid string or a valid list"
        )),
    }
}

fn anthropic_block<'a>(path: &str, assistant: bool, b: &'a Value) -> Result<Block<'a>, String> {
    let Some(b) = b.as_object() else {
        return Err(format!("{path}: Input should be a valid dictionary"));
    };
    let Some(kind) = b.get("type").and_then(Value::as_str) else {
        return Err(format!(
            "{path}: Unable to extract tag using discriminator 'type'"
        ));
    };
    let text = |b: &'a Map<String, Value>, path: &str| match b.get("text") {
        // As real 400s word them (no block index): claude-code#53473 and #23440, as of 2026.
        Some(Value::String(t)) if t.is_empty() => {
            Err("messages: text content blocks must be non-empty".to_string())
        }
        Some(Value::String(t)) if t.trim().is_empty() => {
            Err("messages: text content blocks must contain non-whitespace text".to_string())
        }
        Some(Value::String(t)) => Ok(t.as_str()),
        Some(_) => Err(format!("{path}.text: Input should be a valid string")),
        None => Err(format!("{path}.text: Field required")),
    };
    match kind {
        "text" => Ok(Block::Text(text(b, &format!("{path}.text"))?)),
        "tool_use" => {
            let path = format!("{path}.tool_use");
            if !assistant {
                return Err(format!(
                    "{path}: `tool_use` blocks may only appear in `assistant` messages"
                ));
            }
            let id = match b.get("id") {
                Some(Value::String(id))
                    if !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    id.as_str()
                }
                Some(Value::String(_)) => {
                    return Err(format!(
                        "{path}.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
                    ));
                }
                Some(_) => return Err(format!("{path}.id: Input should be a valid string")),
                None => return Err(format!("{path}.id: Field required")),
            };
            match b.get("name") {
                Some(Value::String(_)) => {}
                Some(_) => return Err(format!("{path}.name: Input should be a valid string")),
                None => return Err(format!("{path}.name: Field required")),
            }
            match b.get("input") {
                Some(Value::Object(_)) => Ok(Block::ToolUse(id)),
                Some(_) => Err(format!("{path}.input: Input should be a valid dictionary")),
                None => Err(format!("{path}.input: Field required")),
            }
        }
        "tool_result" => {
            let path = format!("{path}.tool_result");
            if assistant {
                return Err(format!(
                    "{path}: `tool_result` blocks may only appear in `user` messages"
                ));
            }
            let id = match b.get("tool_use_id") {
                Some(Value::String(id)) => id.as_str(),
                Some(_) => {
                    return Err(format!(
                        "{path}.tool_use_id: Input should be a valid string"
                    ));
                }
                None => return Err(format!("{path}.tool_use_id: Field required")),
            };
            if let Some(e) = b.get("is_error")
                && !e.is_boolean()
            {
                return Err(format!("{path}.is_error: Input should be a valid boolean"));
            }
            let text = match b.get("content") {
                None => Cow::Borrowed(""),
                Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
                Some(Value::Array(items)) => {
                    let mut texts = Vec::new();
                    for (k, item) in items.iter().enumerate() {
                        let path = format!("{path}.content.{k}");
                        let Some(item) = item.as_object() else {
                            return Err(format!("{path}: Input should be a valid dictionary"));
                        };
                        match item.get("type").and_then(Value::as_str) {
                            Some("text") => texts.push(text(item, &format!("{path}.text"))?),
                            Some("image" | "document" | "search_result") => {}
                            Some(other) => {
                                return Err(format!(
                                    "{path}: Input tag '{other}' found using 'type' does not match any of the expected tags: 'text', 'image', 'search_result', 'document'"
                                ));
                            }
                            None => {
                                return Err(format!(
                                    "{path}: Unable to extract tag using discriminator 'type'"
                                ));
                            }
                        }
                    }
                    joined(texts)
                }
                Some(_) => {
                    return Err(format!(
                        "{path}.content: Input should be a valid string or a valid list"
                    ));
                }
            };
            // bytedance/trae-agent#230, as of 2025-07.
            if b.get("is_error") == Some(&Value::Bool(true)) && text.is_empty() {
                return Err(format!(
                    "{path}: content cannot be empty if `is_error` is true"
                ));
            }
            Ok(Block::ToolResult { id, text })
        }
        other if ANTHROPIC_OTHER_BLOCKS.contains(&other) => Ok(Block::Other),
        other => Err(format!(
            "{path}: Input tag '{other}' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result', 'server_tool_use', 'web_search_tool_result'"
        )),
    }
}

/// Whether `ty` names a server tool, such as `web_search_20250305`.
fn server_tool(ty: &str) -> bool {
    ty.rsplit_once('_').is_some_and(|(name, date)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && date.len() == 8
            && date.chars().all(|c| c.is_ascii_digit())
    })
}

/// Checks `tools` and `tool_choice`.
fn anthropic_tools(obj: &Map<String, Value>) -> Result<(), String> {
    if let Some(tools) = obj.get("tools") {
        let Some(tools) = tools.as_array() else {
            return Err("tools: Input should be a valid list".into());
        };
        let mut names = HashSet::new();
        for (i, t) in tools.iter().enumerate() {
            let Some(t) = t.as_object() else {
                return Err(format!("tools.{i}: Input should be a valid dictionary"));
            };
            match t.get("type") {
                None => {}
                Some(Value::String(ty)) if ty == "custom" => {}
                Some(Value::String(ty)) if server_tool(ty) => {
                    if let Some(name) = t.get("name").and_then(Value::as_str)
                        && !names.insert(name)
                    {
                        return Err("tools: Tool names must be unique.".into());
                    }
                    continue;
                }
                Some(ty) => {
                    let ty = ty.as_str().map_or_else(|| ty.to_string(), str::to_string);
                    return Err(format!(
                        "tools.{i}: Input tag '{ty}' found using 'type' does not match any of the expected tags: 'custom', 'bash_20250124', 'text_editor_20250728', 'web_search_20250305'"
                    ));
                }
            }
            let path = format!("tools.{i}.custom");
            if let Some(k) = t
                .keys()
                .find(|k| !ANTHROPIC_TOOL_FIELDS.contains(&k.as_str()))
            {
                return Err(format!("{path}.{k}: Extra inputs are not permitted"));
            }
            let name = match t.get("name") {
                Some(Value::String(n))
                    if (1..=128).contains(&n.len())
                        && n.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                {
                    n.as_str()
                }
                Some(Value::String(_)) => {
                    return Err(format!(
                        "{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
                    ));
                }
                Some(_) => return Err(format!("{path}.name: Input should be a valid string")),
                None => return Err(format!("{path}.name: Field required")),
            };
            if !names.insert(name) {
                return Err("tools: Tool names must be unique.".into());
            }
            if let Some(d) = t.get("description")
                && !d.is_string()
            {
                return Err(format!(
                    "{path}.description: Input should be a valid string"
                ));
            }
            let schema = match t.get("input_schema") {
                Some(Value::Object(s)) => s,
                Some(_) => {
                    return Err(format!(
                        "{path}.input_schema: Input should be a valid dictionary"
                    ));
                }
                None => return Err(format!("{path}.input_schema: Field required")),
            };
            if ["oneOf", "anyOf", "allOf"]
                .iter()
                .any(|k| schema.contains_key(*k))
            {
                return Err(format!(
                    "{path}.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level"
                ));
            }
            if schema.get("type").and_then(Value::as_str) != Some("object") {
                return Err(format!(
                    "{path}.input_schema.type: Input should be 'object'"
                ));
            }
            // Checked against 2020-12 whatever its `$schema` says (mcp-docling#5, claude-code#586,
            // Dokploy/mcp#74: tuple `items` and boolean `exclusiveMinimum` refused, as of 2026-08).
            if !jsonschema::draft202012::meta::is_valid(&t["input_schema"]) {
                return Err(format!(
                    "{path}.input_schema: JSON schema is invalid. It must match JSON Schema draft 2020-12 (https://json-schema.org/draft/2020-12). Learn more about tool use at https://platform.claude.com/docs/en/agents-and-tools/tool-use/overview."
                ));
            }
        }
    }
    // "At least one tool, normally the tool search tool itself, must stay non-deferred": the
    // 400 as the generally available API words it (tool-search-tool docs, seen 2026-12-06).
    if let Some(tools) = obj.get("tools").and_then(Value::as_array)
        && !tools.is_empty()
        && tools
            .iter()
            .all(|t| t.get("defer_loading") == Some(&Value::Bool(true)))
    {
        return Err(
            "At least one tool must have defer_loading=false. All tools cannot be deferred.".into(),
        );
    }
    if let Some(choice) = obj.get("tool_choice") {
        let Some(choice) = choice.as_object() else {
            return Err(
                "tool_choice: Input should be a valid dictionary or object to extract fields from"
                    .into(),
            );
        };
        let kind = choice.get("type").and_then(Value::as_str).unwrap_or("");
        let fields: &[&str] = match kind {
            "auto" | "any" => &["type", "disable_parallel_tool_use"],
            "tool" => &["type", "name", "disable_parallel_tool_use"],
            "none" => &["type"],
            _ => {
                return Err(format!(
                    "tool_choice: Input tag '{kind}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"
                ));
            }
        };
        if let Some(k) = choice.keys().find(|k| !fields.contains(&k.as_str())) {
            return Err(format!(
                "tool_choice.{kind}.{k}: Extra inputs are not permitted"
            ));
        }
        if kind == "tool" && !choice.get("name").is_some_and(Value::is_string) {
            return Err("tool_choice.tool.name: Field required".into());
        }
        if let Some(d) = choice.get("disable_parallel_tool_use")
            && !d.is_boolean()
        {
            return Err(format!(
                "tool_choice.{kind}.disable_parallel_tool_use: Input should be a valid boolean"
            ));
        }
    }
    Ok(())
}
