//! Reading chat-completion replies leniently: what real servers send, not what a spec promises.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use super::{ModelReply, RawCall};
use crate::record::Usage;

/// Reads a chat-completion reply body. Only a body with no usable first choice is an error;
/// missing optional fields, unknown finish reasons and odd argument encodings are tolerated.
pub(crate) fn parse_reply(body: &Value) -> Result<ModelReply, String> {
    if let Some(err) = body.get("error").filter(|e| !e.is_null()) {
        let msg = err
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| err.to_string());
        return Err(format!("the server answered with an error: {msg}"));
    }
    let choice = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| {
            format!(
                "the reply has no `choices`: {}",
                cut(&body.to_string(), 200)
            )
        })?;
    let message = choice
        .get("message")
        .or_else(|| choice.get("delta"))
        .ok_or_else(|| "the reply's first choice has no `message`".to_owned())?;
    let content = match message.get("content") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Array(parts)) => {
            let text: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            (!text.is_empty()).then(|| text.join(""))
        }
        _ => None,
    };
    let mut tool_calls = Vec::new();
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        for c in calls {
            let f = c.get("function").unwrap_or(c);
            let mut call = raw_call(f)?;
            call.id = c.get("id").and_then(Value::as_str).map(str::to_owned);
            tool_calls.push(call);
        }
    } else if let Some(f) = message.get("function_call").filter(|f| !f.is_null()) {
        tool_calls.push(raw_call(f)?);
    }
    // `prompt_tokens` includes `prompt_tokens_details.cached_tokens`.
    let usage = body.get("usage").filter(|u| u.is_object()).map(|u| Usage {
        prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
        completion_tokens: u
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        cached_tokens: u
            .pointer("/prompt_tokens_details/cached_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        cache_write_tokens: 0,
    });
    Ok(ModelReply {
        content,
        tool_calls,
        finish_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        usage,
        notes: vec![],
        retries: 0,
        cached: false,
        format: None,
        server_searches: Vec::new(),
    })
}

/// Reads a reply body as it came over the wire: `Err` when it is not JSON at all, else what
/// [`parse_reply`] makes of it.
///
/// The usual shape (a first choice with a `message` of text and/or `tool_calls` whose
/// `function` has a string `name` and string `arguments`) is read straight into place, borrowing
/// its strings; any other shape is read into a JSON value and through [`parse_reply`]. Both ways
/// give the same reply (a unit test holds them to it), the first without building a value tree.
pub(crate) fn parse_reply_body(
    body: &[u8],
) -> Result<Result<ModelReply, String>, serde_json::Error> {
    if let Ok(wire) = serde_json::from_slice::<WireReply>(body)
        && let Some(reply) = wire.into_reply()
    {
        return Ok(Ok(reply));
    }
    serde_json::from_slice::<Value>(body).map(|v| parse_reply(&v))
}

/// The usual reply, as [`parse_reply_body`] reads it first. A field of another type fails the
/// read, and the body then goes the lenient way.
#[derive(Deserialize)]
struct WireReply<'a> {
    /// Anything but `null` here goes the lenient way (and becomes an error there).
    #[serde(default, borrow)]
    error: Option<&'a serde_json::value::RawValue>,
    #[serde(borrow)]
    choices: Vec<WireChoice<'a>>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice<'a> {
    #[serde(borrow)]
    message: Option<WireMessage<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct WireMessage<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<WireCall<'a>>>,
    /// The legacy single call: present, it goes the lenient way.
    #[serde(default, borrow)]
    function_call: Option<&'a serde_json::value::RawValue>,
}

#[derive(Deserialize)]
struct WireCall<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function: WireFunction<'a>,
}

#[derive(Deserialize)]
struct WireFunction<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<WireTokenDetails>,
}

#[derive(Deserialize)]
struct WireTokenDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

impl WireReply<'_> {
    /// The reply, or `None` when this shape is one for the lenient reader.
    fn into_reply(self) -> Option<ModelReply> {
        if self.error.is_some() {
            return None;
        }
        let choice = self.choices.into_iter().next()?;
        let message = choice.message?;
        if message.function_call.is_some() {
            return None;
        }
        let tool_calls = message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .map(|c| RawCall {
                name: c.function.name.map(Cow::into_owned).unwrap_or_default(),
                arguments: match c.function.arguments {
                    Some(a) if !a.trim().is_empty() => a.into_owned(),
                    _ => "{}".to_owned(),
                },
                recovered: false,
                id: c.id.map(Cow::into_owned),
                signature: None,
            })
            .collect();
        Some(ModelReply {
            content: message
                .content
                .filter(|c| !c.is_empty())
                .map(Cow::into_owned),
            tool_calls,
            finish_reason: choice.finish_reason.map(Cow::into_owned),
            usage: self.usage.map(|u| Usage {
                prompt_tokens: u.prompt_tokens.unwrap_or(0),
                completion_tokens: u.completion_tokens.unwrap_or(0),
                cached_tokens: u
                    .prompt_tokens_details
                    .and_then(|d| d.cached_tokens)
                    .unwrap_or(0),
                cache_write_tokens: 0,
            }),
            notes: vec![],
            retries: 0,
            cached: false,
            format: None,
            server_searches: Vec::new(),
        })
    }
}

fn raw_call(f: &Value) -> Result<RawCall, String> {
    // A call without a name is the model's mistake, scored as a wrong tool, not a failed request.
    let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
    let arguments = match f.get("arguments") {
        Some(Value::String(s)) if s.trim().is_empty() => "{}".to_owned(),
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => "{}".to_owned(),
        // Some servers send the arguments as an object rather than a JSON text.
        Some(other) => other.to_string(),
    };
    Ok(RawCall {
        name: name.to_owned(),
        arguments,
        recovered: false,
        id: None,
        signature: None,
    })
}

/// Tool calls written as JSON in a reply's text (`{"name": ..., "arguments": {...}}`, bare, in a
/// code fence or in `<tool_call>` tags), as many local models do.
pub(crate) fn recover_text_calls(content: &str) -> Vec<RawCall> {
    let mut calls = Vec::new();
    let mut i = 0;
    while let Some(off) = content[i..].find('{') {
        let start = i + off;
        let mut stream = serde_json::Deserializer::from_str(&content[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => {
                let end = start + stream.byte_offset();
                if let Some(call) = call_in_value(&v) {
                    calls.push(call);
                }
                i = end;
            }
            _ => i = start + 1,
        }
    }
    calls
}

fn call_in_value(v: &Value) -> Option<RawCall> {
    let obj = v.as_object()?;
    let name = obj.get("name").and_then(Value::as_str)?;
    let args = obj.get("arguments").or_else(|| obj.get("parameters"))?;
    let arguments = match args {
        Value::String(s) => s.clone(),
        Value::Object(_) => args.to_string(),
        _ => return None,
    };
    Some(RawCall {
        name: name.to_owned(),
        arguments,
        recovered: true,
        id: None,
        signature: None,
    })
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_tool_calls_in_their_many_shapes() {
        let body = json!({"choices": [{"message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "1", "type": "function", "function": {"name": "a", "arguments": "{\"x\":1}"}},
            {"function": {"name": "b", "arguments": {"y": 2}}},
            {"function": {"name": "c", "arguments": ""}},
            {"function": {"name": "d", "arguments": "{not json"}}
        ]}, "finish_reason": "something_new"}]});
        let r = parse_reply(&body).unwrap();
        let got: Vec<(&str, &str)> = r
            .tool_calls
            .iter()
            .map(|c| (c.name.as_str(), c.arguments.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "{\"x\":1}"),
                ("b", "{\"y\":2}"),
                ("c", "{}"),
                ("d", "{not json")
            ]
        );
        assert_eq!(r.finish_reason.as_deref(), Some("something_new"));
        assert_eq!(r.usage, None);
    }

    #[test]
    fn reads_content_parts_usage_and_legacy_function_call() {
        let body = json!({"choices": [{"message": {"content": [{"type": "text", "text": "hi"}], "function_call": {"name": "f", "arguments": "{}"}}}], "usage": {"prompt_tokens": 10}});
        let r = parse_reply(&body).unwrap();
        assert_eq!(r.content.as_deref(), Some("hi"));
        assert_eq!(r.tool_calls[0].name, "f");
        assert_eq!(
            r.usage,
            Some(Usage {
                prompt_tokens: 10,
                ..Usage::default()
            })
        );
        // The cached share, where the API reports it, on the typed and the lenient path.
        let body = json!({"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 2006, "completion_tokens": 300, "prompt_tokens_details": {"cached_tokens": 1920}}});
        let lenient = parse_reply(&body).unwrap().usage.unwrap();
        let typed = parse_reply_body(body.to_string().as_bytes())
            .unwrap()
            .unwrap()
            .usage
            .unwrap();
        for u in [lenient, typed] {
            assert_eq!((u.prompt_tokens, u.cached_tokens), (2006, 1920));
        }
    }

    #[test]
    fn malformed_bodies_are_errors_with_reasons() {
        assert!(
            parse_reply(&json!({}))
                .unwrap_err()
                .contains("no `choices`")
        );
        assert!(
            parse_reply(&json!({"choices": [{}]}))
                .unwrap_err()
                .contains("no `message`")
        );
        assert!(
            parse_reply(&json!({"error": {"message": "quota"}}))
                .unwrap_err()
                .contains("quota")
        );
        let no_name =
            json!({"choices": [{"message": {"tool_calls": [{"function": {"arguments": "{}"}}]}}]});
        assert_eq!(parse_reply(&no_name).unwrap().tool_calls[0].name, "");
    }

    /// Bodies of every shape: the direct read and the lenient one agree on each.
    #[test]
    fn reading_a_body_directly_agrees_with_the_lenient_reader() {
        let bodies = [
            r#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_0","type":"function","function":{"name":"tool_0","arguments":"{\"id\":\"x\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110}}"#,
            r#"{"choices":[{"message":{"content":"No tool fits.\nSorry."},"finish_reason":"stop"}]}"#,
            r#"{"choices":[{"message":{"content":"","tool_calls":[{"function":{"name":"a","arguments":"  "}},{"function":{"arguments":"{}"}},{"function":{"name":"c"}}]}}],"usage":{"prompt_tokens":1.5}}"#,
            r#"{"choices":[{"message":{"content":[{"type":"text","text":"hi"}]}}]}"#,
            r#"{"choices":[{"message":{"tool_calls":[{"function":{"name":"b","arguments":{"y":2}}}]}}]}"#,
            r#"{"choices":[{"message":{"tool_calls":[{"name":"flat","arguments":"{}"}]}}]}"#,
            r#"{"choices":[{"message":{"function_call":{"name":"f","arguments":"{}"}}}]}"#,
            r#"{"choices":[{"message":{"tool_calls":null,"content":"x"},"finish_reason":7}]}"#,
            r#"{"choices":[{"delta":{"content":"streamed"}}]}"#,
            r#"{"choices":[{"message":null}]}"#,
            r#"{"choices":[],"usage":{}}"#,
            r#"{"error":{"message":"quota"},"choices":[{"message":{"content":"x"}}]}"#,
            r#"{"error":null,"choices":[{"message":{"content":"x"}}],"usage":"n/a"}"#,
            r#"{"choices":[{"message":{"content":"first"}},{"message":{"content":"second"}}]}"#,
            r#"{"choices":{"message":{"content":"not a list"}}}"#,
            r#"[1, 2]"#,
            r#""text""#,
        ];
        for body in bodies {
            let lenient = parse_reply(&serde_json::from_str::<Value>(body).unwrap());
            let direct = parse_reply_body(body.as_bytes()).unwrap();
            assert_eq!(direct, lenient, "{body}");
        }
        assert!(parse_reply_body(b"{not json").is_err());
        assert!(parse_reply_body(b"").is_err());
    }

    #[test]
    fn recovers_calls_written_as_text() {
        let text = "I'll call it.\n```json\n{\"name\": \"search_logs\", \"arguments\": {\"service\": \"cart\"}}\n```\n<tool_call>{\"name\": \"tail_logs\", \"parameters\": {}}</tool_call> {broken";
        let calls = recover_text_calls(text);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name, "search_logs");
        assert_eq!(calls[0].arguments, "{\"service\":\"cart\"}");
        assert!(calls[1].recovered);
        assert!(recover_text_calls("no calls {\"a\": 1} here").is_empty());
    }
}
