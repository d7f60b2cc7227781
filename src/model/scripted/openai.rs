//! The OpenAI chat-completions dialect: `POST /v1/chat/completions`.

use super::*;
pub(super) async fn answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> Response {
    let auth = header_text(&headers, "authorization");
    let key = auth.strip_prefix("Bearer ").unwrap_or(auth).trim();
    shared.arrive(
        key.to_string(),
        Bytes::from(serde_json::to_vec(&body.0).unwrap_or_default()),
    );
    let structured = match check_response_format(&body) {
        Err(response) => return response,
        Ok(structured) => structured,
    };
    if structured && let Some(refused) = refusal(&shared) {
        return refused;
    }
    let (read, written) =
        prompt_cache(&shared, &[crate::model::prompt_cache::openai_prefix(&body)]);
    script_delay(&shared).await;
    let model = body.get("model").cloned().unwrap_or(Value::Null);
    let view = openai_view(&body);
    let message = match settle(choose_reply(&shared, &view)).await {
        Err(response) => return response,
        Ok(Answer::Text(text)) => json!({"role": "assistant", "content": text}),
        Ok(Answer::Calls(calls)) => calls_message(&calls, view.turn),
    };
    let mut response = completion(message, model);
    if shared.script.prompt_cache {
        // The cached share is part of `prompt_tokens`: the request's size.
        let prompt = crate::model::prompt_cache::tokens(&body.to_string()).max(read + written);
        response["usage"] = json!({
            "prompt_tokens": prompt,
            "completion_tokens": 10,
            "total_tokens": prompt + 10,
            "prompt_tokens_details": {"cached_tokens": read}
        });
    }
    if let Some((input, output)) = shared.script.usage {
        response["usage"] = json!({
            "prompt_tokens": input,
            "completion_tokens": output,
            "total_tokens": input + output
        });
    }
    axum::Json(response).into_response()
}

/// A chat-completions request as the rules see it: the last `user` message's content (when it
/// is a string), the `tools`, the `tool` messages' contents.
fn openai_view(body: &Value) -> View<'_> {
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let role = |m: &Value, r: &str| m.get("role").and_then(Value::as_str) == Some(r);
    let last_user = messages
        .iter()
        .rev()
        .find(|m| role(m, "user"))
        .and_then(|m| m.get("content").and_then(Value::as_str))
        .unwrap_or("");
    View {
        last_user: Cow::Borrowed(last_user),
        tools_text: body.get("tools").map(Value::to_string).unwrap_or_default(),
        tool_count: body
            .get("tools")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        turn: turn_of(body),
        results: messages
            .iter()
            .filter(|m| role(m, "tool"))
            .filter_map(|m| m.get("content").and_then(Value::as_str))
            .map(Cow::Borrowed)
            .collect(),
    }
}

/// The turn of an agent conversation a request is: 1 plus the replies with calls before it.
fn turn_of(body: &Value) -> usize {
    1 + body
        .get("messages")
        .and_then(Value::as_array)
        .map_or(0, |m| {
            m.iter()
                .filter(|m| {
                    m.get("role").and_then(Value::as_str) == Some("assistant")
                        && m.get("tool_calls").is_some()
                })
                .count()
        })
}

/// An assistant message making these calls, with ids as the chat API numbers them (distinct
/// over a conversation: the turn is part of each).
fn calls_message(calls: &[(String, String)], turn: usize) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"id": call_id("call", turn, i), "type": "function", "function": {"name": name, "arguments": args}})
        })
        .collect();
    json!({"role": "assistant", "content": null, "tool_calls": calls})
}

/// A chat-completion body around one message, with fixed token usage.
fn completion(message: Value, model: Value) -> Value {
    let finish = if message.get("tool_calls").is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    json!({
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
    })
}

/// Checks `response_format` as the API does: its `type`, and for `json_schema` the name and, when
/// strict, the schema's strict rules. `Ok(true)` when it asks for structured output. The texts
/// are the API's as its users reported them (as of 2026-12-06): an unknown type
/// (epuerta9/deep-research-py#19), a strict schema missing `additionalProperties: false`
/// (moeru-ai/xsai#145, dottxt-ai/outlines#844) or a required property (openai/codex error
/// fixtures), `json_object` without the word json in the messages; the name's pattern as the API
/// words it for tool names.
#[allow(clippy::result_large_err)]
fn check_response_format(body: &Value) -> Result<bool, Response> {
    let Some(format) = body.get("response_format") else {
        return Ok(false);
    };
    let refuse = |message: String, param: &str, code: Value| {
        Err((
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}})),
        )
            .into_response())
    };
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(false),
        Some("json_object") => {
            let mentions = body
                .get("messages")
                .is_some_and(|m| m.to_string().to_lowercase().contains("json"));
            if mentions {
                Ok(true)
            } else {
                refuse("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.".into(), "messages", Value::Null)
            }
        }
        Some("json_schema") => {
            let spec = format.get("json_schema").cloned().unwrap_or(Value::Null);
            let name = spec.get("name").and_then(Value::as_str).unwrap_or("");
            let valid_name = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid_name {
                return refuse(
                    "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.".into(),
                    "response_format.json_schema.name",
                    "invalid_value".into(),
                );
            }
            let Some(schema) = spec.get("schema") else {
                return refuse(
                    "Missing required parameter: 'response_format.json_schema.schema'.".into(),
                    "response_format.json_schema.schema",
                    "missing_required_parameter".into(),
                );
            };
            if spec.get("strict").and_then(Value::as_bool) == Some(true)
                && let Some(problem) = strict_problem(schema, &mut Vec::new())
            {
                return refuse(
                    format!("Invalid schema for response_format '{name}': {problem}"),
                    "response_format",
                    Value::Null,
                );
            }
            Ok(true)
        }
        other => refuse(
            format!(
                "Invalid value: '{}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
                other.unwrap_or("")
            ),
            "response_format.type",
            "invalid_value".into(),
        ),
    }
}

/// The first break of the strict rules in a schema: an object without `additionalProperties:
/// false`, or a property left out of `required`; `path` is the context the API names.
fn strict_problem(schema: &Value, path: &mut Vec<String>) -> Option<String> {
    let context = |path: &[String]| {
        let inner: Vec<String> = path.iter().map(|p| format!("'{p}'")).collect();
        match inner.len() {
            0 => "()".to_owned(),
            1 => format!("({},)", inner[0]),
            _ => format!("({})", inner.join(", ")),
        }
    };
    if schema.get("type").and_then(Value::as_str) == Some("object") {
        if schema.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Some(format!(
                "In context={}, 'additionalProperties' is required to be supplied and to be false.",
                context(path)
            ));
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, sub) in properties.into_iter().flatten() {
            if !required.contains(&key.as_str()) {
                return Some(format!(
                    "In context={}, 'required' is required to be supplied and to be an array including every key in properties. Missing '{key}'.",
                    context(path)
                ));
            }
            path.extend(["properties".to_owned(), key.clone()]);
            let found = strict_problem(sub, path);
            path.truncate(path.len() - 2);
            if found.is_some() {
                return found;
            }
        }
    }
    if let Some(items) = schema.get("items") {
        path.push("items".into());
        let found = strict_problem(items, path);
        path.pop();
        return found;
    }
    None
}
