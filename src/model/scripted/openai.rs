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
    script_delay(&shared).await;
    let model = body.get("model").cloned().unwrap_or(Value::Null);
    let view = openai_view(&body);
    let message = match settle(choose_reply(&shared, &view)).await {
        Err(response) => return response,
        Ok(Answer::Text(text)) => json!({"role": "assistant", "content": text}),
        Ok(Answer::Calls(calls)) => calls_message(&calls, view.turn),
    };
    completion(message, model)
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
fn completion(message: Value, model: Value) -> Response {
    let finish = if message.get("tool_calls").is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    axum::Json(json!({
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
    }))
    .into_response()
}
