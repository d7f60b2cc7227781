use super::*;

/// Posts `body` with these headers; the status and the JSON answer.
async fn post(url: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut request = reqwest::Client::new().post(url).json(&body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let resp = request.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

const ANTHROPIC_HEADERS: &[(&str, &str)] = &[
    ("x-api-key", "sk-ant-test"),
    ("anthropic-version", "2023-06-01"),
];

async fn anthropic(server: &ScriptedServer, body: Value) -> (u16, Value) {
    post(
        &format!("{}/v1/messages", server.base()),
        ANTHROPIC_HEADERS,
        body,
    )
    .await
}

async fn gemini(server: &ScriptedServer, body: Value) -> (u16, Value) {
    post(
        &format!(
            "{}/v1beta/models/gemini-2.5-flash:generateContent",
            server.base()
        ),
        &[("x-goog-api-key", "AIza-test")],
        body,
    )
    .await
}

/// An Anthropic request with these messages and one tool.
fn messages(messages: Value) -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": "Pick a tool.",
        "messages": messages,
        "tools": [{
            "name": "search_logs",
            "description": "Search the logs.",
            "input_schema": {"type": "object", "properties": {"service": {"type": "string"}}, "required": ["service"]}
        }],
        "tool_choice": {"type": "auto"}
    })
}

/// A Gemini request with these contents and one function.
fn contents(contents: Value) -> Value {
    json!({
        "contents": contents,
        "systemInstruction": {"parts": [{"text": "Pick a tool."}]},
        "tools": [{"functionDeclarations": [{
            "name": "search_logs",
            "description": "Search the logs.",
            "parameters": {"type": "object", "properties": {"service": {"type": "string"}}, "required": ["service"]}
        }]}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generationConfig": {"temperature": 0, "maxOutputTokens": 1024}
    })
}

fn script() -> Script {
    Script::default()
        .call(
            "error logs",
            "search_logs",
            json!({"service": "checkout", "level": "error"}),
        )
        .rule(
            "broken args",
            Scripted::Calls(vec![("get_trace".into(), "{\"trace_id\": ".into())]),
        )
        .rule("hello", Scripted::Text("Hi there.".into()))
        .rule("teapot", Scripted::Status(418, "short and stout".into()))
}

fn message(code: u16, body: &Value) -> String {
    assert!(code >= 400, "{body}");
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_openai_route_answers_as_before_and_records_key_and_body() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "Show error logs"}], "tools": []});
    let (code, reply) = post(
        &format!("{}/chat/completions", server.url),
        &[("authorization", "Bearer sk-openai")],
        body.clone(),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls");
    let call = &reply["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["id"], "call_0");
    assert_eq!(call["function"]["name"], "search_logs");
    assert_eq!(
        call["function"]["arguments"],
        json!({"service": "checkout", "level": "error"}).to_string()
    );
    assert_eq!(server.requests(), 1);
    assert_eq!(server.keys(), ["sk-openai"]);
    assert_eq!(server.bodies(), [body]);
    assert_eq!(server.url, format!("{}/v1", server.base()));
}

#[tokio::test]
async fn anthropic_answers_text_and_calls() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let (code, reply) = anthropic(
        &server,
        messages(json!([{"role": "user", "content": "hello"}])),
    )
    .await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(
        reply,
        json!({
            "id": "msg_scripted", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Hi there."}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 100, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 10}
        })
    );
    // Text blocks are read as the prompt too.
    let (code, reply) = anthropic(
        &server,
        messages(
            json!([{"role": "user", "content": [{"type": "text", "text": "Show error logs"}]}]),
        ),
    )
    .await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(reply["stop_reason"], "tool_use");
    assert_eq!(
        reply["content"],
        json!([{"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {"service": "checkout", "level": "error"}}])
    );
    let (_, reply) = anthropic(
        &server,
        messages(json!([{"role": "user", "content": "broken args"}])),
    )
    .await;
    assert_eq!(
        reply["content"][0]["input"],
        json!({"_raw": "{\"trace_id\": "})
    );
    // Other replies are sent as scripted.
    let (code, reply) = anthropic(
        &server,
        messages(json!([{"role": "user", "content": "teapot"}])),
    )
    .await;
    assert_eq!((code, reply), (418, json!("short and stout")));
}

#[tokio::test]
async fn anthropic_refuses_a_request_without_key_or_version() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let url = format!("{}/v1/messages", server.base());
    let body = messages(json!([{"role": "user", "content": "hello"}]));
    let (code, reply) = post(&url, &[("anthropic-version", "2023-06-01")], body.clone()).await;
    assert_eq!(code, 401);
    assert_eq!(
        reply,
        json!({"type": "error", "error": {"type": "authentication_error", "message": "x-api-key header is required"}})
    );
    // A bearer token is not an Anthropic key.
    let (code, _) = post(
        &url,
        &[
            ("authorization", "Bearer sk-ant"),
            ("anthropic-version", "2023-06-01"),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(code, 401);
    let (code, reply) = post(&url, &[("x-api-key", "sk-ant")], body).await;
    assert_eq!(code, 400);
    assert_eq!(reply["error"]["type"], "invalid_request_error");
    assert_eq!(server.requests(), 3);
    assert_eq!(server.keys(), ["", "", "sk-ant"]);
}

#[tokio::test]
async fn anthropic_refuses_what_the_api_refuses() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let refused = async |body: Value| {
        let (code, reply) = anthropic(&server, body).await;
        assert_eq!(code, 400, "{reply}");
        assert_eq!(reply["type"], "error");
        assert_eq!(reply["error"]["type"], "invalid_request_error");
        message(code, &reply)
    };
    // Every tool deferred, and the API's own search tool taken as a server tool.
    let mut all_deferred = messages(json!([{"role": "user", "content": "hello"}]));
    all_deferred["tools"] =
        json!([{"name": "a", "input_schema": {"type": "object"}, "defer_loading": true}]);
    assert_eq!(
        refused(all_deferred).await,
        "At least one tool must have defer_loading=false. All tools cannot be deferred."
    );
    let mut searched = messages(json!([{"role": "user", "content": "hello"}]));
    searched["tools"] = json!([
        {"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25"},
        {"name": "a", "input_schema": {"type": "object"}, "defer_loading": true}
    ]);
    assert_eq!(anthropic(&server, searched).await.0, 200);
    let system = refused(messages(json!([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello"}
    ])))
    .await;
    assert!(
        system.starts_with("messages: Unexpected role \"system\""),
        "{system}"
    );
    let orphan = refused(messages(json!([
        {"role": "user", "content": "Show error logs"},
        {"role": "assistant", "content": "Let me look."},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "3 lines"}]}
    ])))
    .await;
    assert_eq!(
        orphan,
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_0. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
    );
    let unanswered = refused(messages(json!([
        {"role": "user", "content": "Show error logs"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {}}]},
        {"role": "user", "content": "and then?"}
    ])))
    .await;
    // An error result needs text, and no text block may be only whitespace.
    let empty_error = refused(messages(json!([
        {"role": "user", "content": "Show error logs"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "", "is_error": true}]}
    ])))
    .await;
    assert_eq!(
        empty_error,
        "messages.2.content.0.tool_result: content cannot be empty if `is_error` is true"
    );
    let blank = refused(messages(json!([
        {"role": "user", "content": "Show error logs"},
        {"role": "assistant", "content": [{"type": "text", "text": "  \n"}, {"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "3 lines"}]}
    ])))
    .await;
    assert_eq!(
        blank,
        "messages: text content blocks must contain non-whitespace text"
    );
    // A schema of an older draft: the whole request is refused, in the API's words.
    let mut tuple = messages(json!([{"role": "user", "content": "hello"}]));
    tuple["tools"][0]["input_schema"]["properties"]["point"] =
        json!({"type": "array", "items": [{"type": "number"}, {"type": "number"}]});
    assert_eq!(
        refused(tuple).await,
        "tools.0.custom.input_schema: JSON schema is invalid. It must match JSON Schema draft 2020-12 (https://json-schema.org/draft/2020-12). Learn more about tool use at https://platform.claude.com/docs/en/agents-and-tools/tool-use/overview."
    );
    assert!(
        unanswered.starts_with("messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_0."),
        "{unanswered}"
    );
    let mut any_of = messages(json!([{"role": "user", "content": "hello"}]));
    any_of["tools"][0]["input_schema"] =
        json!({"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}]});
    assert_eq!(
        refused(any_of).await,
        "tools.0.custom.input_schema: input_schema does not support oneOf, allOf, or anyOf at the top level"
    );
    let mut dotted = messages(json!([{"role": "user", "content": "hello"}]));
    dotted["tools"][0]["name"] = json!("logs.search");
    assert_eq!(
        refused(dotted).await,
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"
    );
    let mut openai_shape = messages(json!([{"role": "user", "content": "hello"}]));
    openai_shape["tools"] = json!([{"type": "function", "function": {"name": "search_logs", "parameters": {"type": "object"}}}]);
    assert!(
        refused(openai_shape)
            .await
            .starts_with("tools.0: Input tag 'function'")
    );
    let mut choice = messages(json!([{"role": "user", "content": "hello"}]));
    choice["tool_choice"] = json!("auto");
    refused(choice).await;
    let mut choice = messages(json!([{"role": "user", "content": "hello"}]));
    choice["tool_choice"] = json!({"type": "required"});
    refused(choice).await;
    let mut extra = messages(json!([{"role": "user", "content": "hello"}]));
    extra["parallel_tool_calls"] = json!(false);
    assert_eq!(
        refused(extra).await,
        "parallel_tool_calls: Extra inputs are not permitted"
    );
    let mut no_max = messages(json!([{"role": "user", "content": "hello"}]));
    no_max.as_object_mut().unwrap().remove("max_tokens");
    assert_eq!(refused(no_max).await, "max_tokens: Field required");
    let mut zero = messages(json!([{"role": "user", "content": "hello"}]));
    zero["max_tokens"] = json!(0);
    refused(zero).await;
    refused(messages(json!([]))).await;
    refused(messages(json!([{"role": "assistant", "content": "hi"}]))).await;
    refused(messages(
        json!([{"role": "user", "content": [{"type": "text", "text": ""}]}]),
    ))
    .await;
    // Every refused request was still counted and recorded.
    assert_eq!(server.requests(), 19);
    assert_eq!(server.bodies().len(), 19);
}

#[tokio::test]
async fn anthropic_merges_consecutive_messages_of_one_role() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let (code, reply) = anthropic(
        &server,
        messages(json!([
            {"role": "user", "content": "Show error logs"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0", "name": "search_logs", "input": {"service": "checkout"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "3 lines"}]},
            {"role": "user", "content": "now say hello"}
        ])),
    )
    .await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(reply["content"][0]["text"], "Hi there.");
}

#[tokio::test]
async fn anthropic_conversations_match_turns_and_results() {
    let script = Script::default()
        .after_result("", "no errors", Scripted::Text("Checkout is clean.".into()))
        .at_turn(
            "",
            2,
            Scripted::Calls(vec![
                ("get_trace".into(), "{\"id\": \"a\"}".into()),
                ("get_trace".into(), "{\"id\": \"b\"}".into()),
            ]),
        )
        .call("checkout", "search_logs", json!({"service": "checkout"}));
    let server = ScriptedServer::start(script).await.unwrap();
    let mut history = vec![json!({"role": "user", "content": "Is checkout healthy?"})];
    let (code, first) = anthropic(&server, messages(json!(history))).await;
    assert_eq!(code, 200, "{first}");
    assert_eq!(first["content"][0]["id"], "toolu_0");
    history.push(json!({"role": "assistant", "content": first["content"]}));
    history.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": [{"type": "text", "text": "2 traces"}]}]}));
    let (code, second) = anthropic(&server, messages(json!(history))).await;
    assert_eq!(code, 200, "{second}");
    assert_eq!(second["stop_reason"], "tool_use");
    let ids: Vec<&Value> = second["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["id"])
        .collect();
    assert_eq!(ids, [&json!("toolu_2_0"), &json!("toolu_2_1")]);
    history.push(json!({"role": "assistant", "content": second["content"]}));
    history.push(json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_2_0", "content": "no errors in a"},
        {"type": "tool_result", "tool_use_id": "toolu_2_1", "content": "timeout in b", "is_error": true}
    ]}));
    let (code, third) = anthropic(&server, messages(json!(history))).await;
    assert_eq!(code, 200, "{third}");
    assert_eq!(third["content"][0]["text"], "Checkout is clean.");
    // What the client sent is kept, the tool results with it.
    let sent = server.bodies();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2]["messages"][4]["content"][1]["is_error"], true);
}

#[tokio::test]
async fn gemini_answers_text_and_calls() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let (code, reply) = gemini(
        &server,
        contents(json!([{"role": "user", "parts": [{"text": "hello"}]}])),
    )
    .await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(
        reply,
        json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi there."}]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 10, "totalTokenCount": 110},
            "modelVersion": "gemini-2.5-flash"
        })
    );
    // No role means the user's.
    let (code, reply) = gemini(
        &server,
        contents(json!([{"parts": [{"text": "Show error logs"}]}])),
    )
    .await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(
        reply["candidates"][0]["content"]["parts"],
        json!([{"functionCall": {"name": "search_logs", "args": {"service": "checkout", "level": "error"}},
                "thoughtSignature": super::gemini::thought_signature(1)}])
    );
    let (_, reply) = gemini(
        &server,
        contents(json!([{"role": "user", "parts": [{"text": "broken args"}]}])),
    )
    .await;
    assert_eq!(
        reply["candidates"][0]["content"]["parts"][0]["functionCall"]["args"],
        json!({"_raw": "{\"trace_id\": "})
    );
    let (code, reply) = gemini(
        &server,
        contents(json!([{"role": "user", "parts": [{"text": "teapot"}]}])),
    )
    .await;
    assert_eq!((code, reply), (418, json!("short and stout")));
}

#[tokio::test]
async fn gemini_takes_the_key_from_the_header_or_the_query_and_refuses_none() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let url = format!(
        "{}/v1beta/models/gemini-2.5-flash:generateContent",
        server.base()
    );
    let body = contents(json!([{"role": "user", "parts": [{"text": "hello"}]}]));
    let (code, reply) = post(&url, &[], body.clone()).await;
    assert_eq!(code, 403);
    assert_eq!(reply["error"]["code"], 403);
    assert_eq!(reply["error"]["status"], "PERMISSION_DENIED");
    assert!(message(code, &reply).starts_with("Method doesn't allow unregistered callers"));
    let (code, _) = post(&format!("{url}?key=AIza%2Bq"), &[], body.clone()).await;
    assert_eq!(code, 200);
    let (code, _) = post(&url, &[("x-goog-api-key", "AIza-h")], body.clone()).await;
    assert_eq!(code, 200);
    assert_eq!(server.keys(), ["", "AIza+q", "AIza-h"]);
    // Only generateContent is served; other actions are not counted.
    let stream = url.replace(":generateContent", ":streamGenerateContent");
    let (code, reply) = post(&stream, &[("x-goog-api-key", "k")], body).await;
    assert_eq!(code, 404);
    assert_eq!(reply["error"]["status"], "NOT_FOUND");
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn gemini_refuses_what_the_api_refuses() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let refused = async |body: Value| {
        let (code, reply) = gemini(&server, body).await;
        assert_eq!(code, 400, "{reply}");
        assert_eq!(reply["error"]["code"], 400);
        assert_eq!(reply["error"]["status"], "INVALID_ARGUMENT");
        message(code, &reply)
    };
    let user = json!([{"role": "user", "parts": [{"text": "hello"}]}]);
    let mut extra = contents(user.clone());
    extra["tools"][0]["functionDeclarations"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "get_trace", "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": false}}));
    assert_eq!(
        refused(extra).await,
        "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[1].parameters': Cannot find field."
    );
    let mut nested = contents(user.clone());
    nested["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["service"] =
        json!({"type": "string", "const": "checkout"});
    assert_eq!(
        refused(nested).await,
        "Invalid JSON payload received. Unknown name \"const\" at 'tools[0].function_declarations[0].parameters.properties[0].value': Cannot find field."
    );
    // A property named like a keyword is a name, not a keyword.
    let mut named = contents(user.clone());
    named["tools"][0]["functionDeclarations"][0]["parameters"]["properties"] =
        json!({"additionalProperties": {"type": "string"}});
    named["tools"][0]["functionDeclarations"][0]["parameters"]["required"] = json!([]);
    let (code, reply) = gemini(&server, named).await;
    assert_eq!(code, 200, "{reply}");
    let mut union = contents(user.clone());
    union["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["service"]["type"] =
        json!(["string", "null"]);
    refused(union).await;
    let mut numbers = contents(user.clone());
    numbers["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["service"] =
        json!({"type": "integer", "enum": [1, 2]});
    refused(numbers).await;
    // `parametersJsonSchema` is taken as it is, but not beside `parameters`.
    let mut as_is = contents(user.clone());
    let d = &mut as_is["tools"][0]["functionDeclarations"][0];
    d["parametersJsonSchema"] = d["parameters"].take();
    d.as_object_mut().unwrap().remove("parameters");
    d["parametersJsonSchema"]["additionalProperties"] = json!(false);
    let (code, reply) = gemini(&server, as_is.clone()).await;
    assert_eq!(code, 200, "{reply}");
    let mut both = as_is;
    both["tools"][0]["functionDeclarations"][0]["parameters"] =
        json!({"type": "object", "properties": {}});
    assert!(
        refused(both)
            .await
            .contains("parameters and parameters_json_schema are mutually exclusive")
    );
    // An object without properties is taken, at the top and nested.
    let mut empty = contents(user.clone());
    empty["tools"][0]["functionDeclarations"][0]["parameters"] =
        json!({"type": "object", "properties": {"filter": {"type": "object", "properties": {}}}});
    let (code, reply) = gemini(&server, empty).await;
    assert_eq!(code, 200, "{reply}");
    // The type rules, one `* path: problem` line each, in the API's words.
    let schema_refused = async |property: Value| {
        let mut body = contents(user.clone());
        body["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["service"] =
            property;
        refused(body).await
    };
    let at =
        "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[service]";
    assert_eq!(
        schema_refused(json!({"description": "anything"})).await,
        format!("{at}.type: must be specified when not using one_of, any_of or all_of fields\n")
    );
    assert_eq!(
        schema_refused(json!({"type": "array"})).await,
        format!("{at}.items: missing field.\n")
    );
    assert_eq!(
        schema_refused(json!({"type": "string", "items": {"type": "string"}})).await,
        format!("{at}.items: field predicate failed: $type == Type.ARRAY\n")
    );
    assert_eq!(
        schema_refused(json!({"type": "string", "properties": {"a": {"type": "string"}}})).await,
        format!("{at}.properties: only allowed for OBJECT type\n")
    );
    assert_eq!(
        schema_refused(json!({"enum": ["a", "b"]})).await,
        format!(
            "{at}.type: must be specified when not using one_of, any_of or all_of fields\n{at}.enum: only allowed for STRING type\n"
        )
    );
    assert_eq!(
        schema_refused(
            json!({"anyOf": [{"type": "array"}, {"type": "object"}], "items": {"type": "string"}})
        )
        .await,
        format!(
            "{at}.items: field predicate failed: $type == Type.ARRAY\n{at}.any_of[0].items: missing field.\n"
        )
    );
    let mut bad_name = contents(user.clone());
    bad_name["tools"][0]["functionDeclarations"][0]["name"] = json!("search logs");
    assert!(refused(bad_name).await.contains("Invalid function name"));
    let mut mode = contents(user.clone());
    mode["toolConfig"]["functionCallingConfig"]["mode"] = json!("REQUIRED");
    refused(mode).await;
    // A functionResponse answers a functionCall of the model turn just before it.
    let orphan = refused(contents(json!([
        {"role": "user", "parts": [{"text": "Show error logs"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "search_logs", "response": {"lines": 3}}}]}
    ])))
    .await;
    assert_eq!(
        orphan,
        "Please ensure that function response turn comes immediately after a function call turn."
    );
    // As Gemini 3 does: the first call of a step goes back with its thought signature.
    let unsigned = refused(contents(json!([
        {"role": "user", "parts": [{"text": "Show error logs"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "search_logs", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "search_logs", "response": {"lines": 3}}}]}
    ])))
    .await;
    assert!(
        unsigned.starts_with("Function call is missing a thought_signature in functionCall parts"),
        "{unsigned}"
    );
    let other_name = refused(contents(json!([
        {"role": "user", "parts": [{"text": "Show error logs"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "search_logs", "args": {}}, "thoughtSignature": "c2ln"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_trace", "response": {"lines": 3}}}]}
    ])))
    .await;
    assert!(other_name.contains("\"get_trace\""), "{other_name}");
    refused(contents(json!([
        {"role": "user", "parts": [{"text": "Show error logs"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "search_logs", "args": {}}, "thoughtSignature": "c2ln"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "search_logs", "response": "3 lines"}}]}
    ])))
    .await;
    refused(contents(
        json!([{"role": "system", "parts": [{"text": "hi"}]}]),
    ))
    .await;
    refused(contents(json!([]))).await;
    refused(contents(json!([{"role": "user", "parts": []}]))).await;
    let mut unknown = contents(user.clone());
    unknown["messages"] = json!([]);
    assert_eq!(
        refused(unknown).await,
        "Invalid JSON payload received. Unknown name \"messages\": Cannot find field."
    );
}

#[tokio::test]
async fn gemini_reads_proto_field_names_too() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let body = json!({
        "contents": [{"role": "user", "parts": [{"text": "Show error logs"}]}],
        "system_instruction": {"parts": [{"text": "Pick a tool."}]},
        "tools": [{"function_declarations": [{"name": "search_logs", "parameters": {"type": "OBJECT", "properties": {"service": {"type": "STRING"}}}}]}],
        "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["search_logs"]}}
    });
    let (code, reply) = gemini(&server, body).await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(
        reply["candidates"][0]["content"]["parts"][0]["functionCall"]["name"],
        "search_logs"
    );
}

#[tokio::test]
async fn gemini_conversations_match_turns_and_results() {
    let script = Script::default()
        .after_result("", "no errors", Scripted::Text("Checkout is clean.".into()))
        .at_turn(
            "",
            2,
            Scripted::Calls(vec![
                ("get_trace".into(), "{\"id\": \"a\"}".into()),
                ("get_trace".into(), "{\"id\": \"b\"}".into()),
            ]),
        )
        .rule_if_at_most("checkout", 0, Scripted::Text("no tools".into()))
        .rule_if_tools(
            "checkout",
            "Search the logs",
            Scripted::Calls(vec![("search_logs".into(), "{}".into())]),
        );
    let server = ScriptedServer::start(script).await.unwrap();
    let mut history = vec![json!({"role": "user", "parts": [{"text": "Is checkout healthy?"}]})];
    let (code, first) = gemini(&server, contents(json!(history))).await;
    assert_eq!(code, 200, "{first}");
    let first = first["candidates"][0]["content"].clone();
    assert_eq!(first["parts"][0]["functionCall"]["name"], "search_logs");
    history.push(first);
    history.push(json!({"role": "user", "parts": [{"functionResponse": {"name": "search_logs", "response": {"result": "2 traces"}}}]}));
    let (code, second) = gemini(&server, contents(json!(history))).await;
    assert_eq!(code, 200, "{second}");
    let second = second["candidates"][0]["content"].clone();
    assert_eq!(second["parts"].as_array().unwrap().len(), 2);
    history.push(second);
    history.push(json!({"role": "user", "parts": [
        {"functionResponse": {"name": "get_trace", "response": {"result": "no errors in a"}}},
        {"functionResponse": {"name": "get_trace", "response": {"error": "timeout in b"}}}
    ]}));
    let (code, third) = gemini(&server, contents(json!(history))).await;
    assert_eq!(code, 200, "{third}");
    assert_eq!(
        third["candidates"][0]["content"]["parts"][0]["text"],
        "Checkout is clean."
    );
    // Without tools the tool-count rule answers.
    let mut bare = contents(json!([{"role": "user", "parts": [{"text": "checkout?"}]}]));
    bare.as_object_mut().unwrap().remove("tools");
    let (_, reply) = gemini(&server, bare).await;
    assert_eq!(
        reply["candidates"][0]["content"]["parts"][0]["text"],
        "no tools"
    );
    assert_eq!(
        server.bodies()[2]["contents"][4]["parts"][1]["functionResponse"]["response"]["error"],
        "timeout in b"
    );
}

#[tokio::test]
async fn one_server_counts_and_records_every_dialect_in_order() {
    let server = ScriptedServer::start(Script::default().rule(
        "",
        Scripted::Sequence(vec![
            Scripted::Text("one".into()),
            Scripted::Text("two".into()),
            Scripted::Text("three".into()),
        ]),
    ))
    .await
    .unwrap();
    let openai_body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let (_, a) = post(
        &format!("{}/chat/completions", server.url),
        &[("authorization", "Bearer sk-o")],
        openai_body.clone(),
    )
    .await;
    let anthropic_body = messages(json!([{"role": "user", "content": "hi"}]));
    let (_, b) = anthropic(&server, anthropic_body.clone()).await;
    let gemini_body = contents(json!([{"parts": [{"text": "hi"}]}]));
    let (_, c) = gemini(&server, gemini_body.clone()).await;
    assert_eq!(a["choices"][0]["message"]["content"], "one");
    assert_eq!(b["content"][0]["text"], "two");
    assert_eq!(c["candidates"][0]["content"]["parts"][0]["text"], "three");
    assert_eq!(server.requests(), 3);
    assert_eq!(server.keys(), ["sk-o", "sk-ant-test", "AIza-test"]);
    assert_eq!(server.bodies(), [openai_body, anthropic_body, gemini_body]);
}

#[tokio::test]
async fn structured_output_is_checked_and_answered_as_each_api_does() {
    let server = ScriptedServer::start(
        Script::default()
            .rule("grade", Scripted::Text(r#"{"verdict": "pass"}"#.into()))
            .rule("refused", Scripted::Text("never".into())),
    )
    .await
    .unwrap();
    let openai = |format: Value| {
        let url = format!("{}/chat/completions", server.url);
        async move {
            let body = json!({"model": "m", "messages": [{"role": "user", "content": "grade it"}], "response_format": format});
            post(&url, &[("authorization", "Bearer k")], body).await
        }
    };
    let strict = |schema: Value| json!({"type": "json_schema", "json_schema": {"name": "verdict", "strict": true, "schema": schema}});
    let good = json!({"type": "object", "properties": {"verdict": {"type": "string"}}, "required": ["verdict"], "additionalProperties": false});
    let (code, reply) = openai(strict(good.clone())).await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(
        reply["choices"][0]["message"]["content"],
        r#"{"verdict": "pass"}"#
    );
    // OpenAI's strict rules, in its words.
    let open = json!({"type": "object", "properties": {"verdict": {"type": "string"}}, "required": ["verdict"]});
    let (code, reply) = openai(strict(open)).await;
    assert_eq!(
        message(code, &reply),
        "Invalid schema for response_format 'verdict': In context=(), 'additionalProperties' is required to be supplied and to be false."
    );
    let nested = json!({"type": "object", "properties": {"tools": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"], "additionalProperties": false}}, "required": ["tools"], "additionalProperties": false});
    let (code, reply) = openai(strict(nested)).await;
    assert_eq!(
        message(code, &reply),
        "Invalid schema for response_format 'verdict': In context=('properties', 'tools'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'."
    );
    let (code, reply) = openai(json!({"type": "object"})).await;
    assert!(message(code, &reply).starts_with("Invalid value: 'object'."));
    let (code, reply) =
        openai(json!({"type": "json_schema", "json_schema": {"name": "a.b", "schema": good}}))
            .await;
    assert!(message(code, &reply).contains("response_format.json_schema.name"));
    // Anthropic: made to call a tool, the model answers with it.
    let mut body = messages(json!([{"role": "user", "content": "grade it"}]));
    body["tools"] = json!([{"name": "verdict", "description": "v", "input_schema": good}]);
    body["tool_choice"] = json!({"type": "tool", "name": "verdict"});
    let (code, reply) = anthropic(&server, body).await;
    assert_eq!(code, 200, "{reply}");
    assert_eq!(reply["content"][0]["type"], "tool_use");
    assert_eq!(reply["content"][0]["input"], json!({"verdict": "pass"}));
    // Gemini: its subset of the schema, and no JSON output beside function calling.
    let mut body = contents(json!([{"role": "user", "parts": [{"text": "grade it"}]}]));
    body.as_object_mut().unwrap().remove("tools");
    body.as_object_mut().unwrap().remove("toolConfig");
    body["generationConfig"] = json!({"responseMimeType": "application/json", "responseSchema": {"type": "object", "properties": {"verdict": {"type": "string"}}}});
    let (code, reply) = gemini(&server, body.clone()).await;
    assert_eq!(code, 200, "{reply}");
    body["generationConfig"]["responseSchema"]["additionalProperties"] = false.into();
    let (code, reply) = gemini(&server, body.clone()).await;
    assert_eq!(
        message(code, &reply),
        "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'generation_config.response_schema': Cannot find field."
    );
    let mut mixed = contents(json!([{"role": "user", "parts": [{"text": "grade it"}]}]));
    mixed["generationConfig"]["responseMimeType"] = "application/json".into();
    let (code, reply) = gemini(&server, mixed).await;
    assert_eq!(
        message(code, &reply),
        "Function calling with a response mime type: 'application/json' is unsupported"
    );
}

#[tokio::test]
async fn a_script_can_refuse_structured_output_and_answer_the_same_request_as_text() {
    let refusal = r#"{"error":{"message":"Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.","type":"invalid_request_error","param":null,"code":null}}"#;
    let server = ScriptedServer::start(
        Script::default()
            .rule("grade", Scripted::Text("Verdict: pass".into()))
            .refusing_structured(400, refusal),
    )
    .await
    .unwrap();
    let url = format!("{}/chat/completions", server.url);
    let mut body = json!({"model": "m", "messages": [{"role": "user", "content": "grade it"}], "response_format": {"type": "json_schema", "json_schema": {"name": "v", "schema": {"type": "object"}}}});
    let (code, reply) = post(&url, &[], body.clone()).await;
    assert_eq!(code, 400);
    assert!(message(code, &reply).contains("is not supported with this model"));
    body.as_object_mut().unwrap().remove("response_format");
    let (code, reply) = post(&url, &[], body).await;
    assert_eq!(code, 200);
    assert_eq!(reply["choices"][0]["message"]["content"], "Verdict: pass");
}

/// A request whose one tool is long enough to cache (about 1,500 tokens), marked as the API's
/// prompt-caching guide does.
fn cacheable(system: &str) -> Value {
    let mut body = messages(json!([{"role": "user", "content": "Show error logs"}]));
    body["tools"][0]["description"] = "Search the logs of a service. ".repeat(200).into();
    body["tools"][0]["cache_control"] = json!({"type": "ephemeral"});
    body["system"] =
        json!([{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]);
    body
}

#[tokio::test]
async fn anthropic_reads_a_marked_prefix_from_its_cache_after_the_first_request() {
    let server = ScriptedServer::start(script().with_prompt_cache())
        .await
        .unwrap();
    let usage = |reply: &Value| {
        let u = &reply["usage"];
        (
            u["cache_read_input_tokens"].as_u64().unwrap(),
            u["cache_creation_input_tokens"].as_u64().unwrap(),
        )
    };
    let (code, first) = anthropic(&server, cacheable("Pick a tool.")).await;
    assert_eq!(code, 200, "{first}");
    let (read, written) = usage(&first);
    assert_eq!(read, 0);
    assert!(written > 1024, "{first}");
    let (_, second) = anthropic(&server, cacheable("Pick a tool.")).await;
    assert_eq!(usage(&second), (written, 0));
    // Another system prompt: the tools' prefix is read, the rest written.
    let (_, other) = anthropic(&server, cacheable("Pick one tool, carefully.")).await;
    let (read, more) = usage(&other);
    assert!(read > 1024 && read < written && more > 0, "{other}");
    // Unmarked, or too short, nothing is cached, and the request still succeeds.
    let (code, plain) = anthropic(
        &server,
        messages(json!([{"role": "user", "content": "Show error logs"}])),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(usage(&plain), (0, 0));
}

#[tokio::test]
async fn anthropic_refuses_a_fifth_breakpoint_and_an_unknown_kind() {
    let server = ScriptedServer::start(script()).await.unwrap();
    let mut body = cacheable("Pick a tool.");
    let marked = json!({"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}});
    body["system"] = json!([marked, marked, marked, marked]);
    let (code, reply) = anthropic(&server, body).await;
    assert_eq!(code, 400);
    assert_eq!(
        reply["error"]["message"],
        "A maximum of 4 blocks with cache_control may be provided. Found 5."
    );
    let mut body = cacheable("Pick a tool.");
    body["tools"][0]["cache_control"] = json!({"type": "persistent"});
    let (code, reply) = anthropic(&server, body).await;
    assert_eq!(code, 400);
    assert_eq!(
        reply["error"]["message"],
        "tools.0.cache_control.type: Input should be 'ephemeral'"
    );
}

#[tokio::test]
async fn openai_and_gemini_report_a_repeated_prefix_as_cached() {
    let server = ScriptedServer::start(script().with_prompt_cache())
        .await
        .unwrap();
    let long = "Search the logs of a service. ".repeat(200);
    let chat = json!({
        "model": "m",
        "messages": [{"role": "system", "content": "Pick a tool."}, {"role": "user", "content": "hello"}],
        "tools": [{"type": "function", "function": {"name": "search_logs", "description": long, "parameters": {"type": "object"}}}]
    });
    let (_, first) = post(
        &format!("{}/chat/completions", server.url),
        &[],
        chat.clone(),
    )
    .await;
    assert_eq!(
        first["usage"]["prompt_tokens_details"]["cached_tokens"], 0,
        "{first}"
    );
    let (_, second) = post(&format!("{}/chat/completions", server.url), &[], chat).await;
    let cached = second["usage"]["prompt_tokens_details"]["cached_tokens"]
        .as_u64()
        .unwrap();
    assert!(cached >= 1024 && cached % 128 == 0, "{second}");
    assert!(second["usage"]["prompt_tokens"].as_u64().unwrap() >= cached);
    let mut body = contents(json!([{"role": "user", "parts": [{"text": "hello"}]}]));
    body["tools"][0]["functionDeclarations"][0]["description"] = long.into();
    let (_, first) = gemini(&server, body.clone()).await;
    assert!(
        first["usageMetadata"]
            .get("cachedContentTokenCount")
            .unwrap()
            == 0,
        "{first}"
    );
    let (_, second) = gemini(&server, body).await;
    let cached = second["usageMetadata"]["cachedContentTokenCount"]
        .as_u64()
        .unwrap();
    assert!(cached >= 1024, "{second}");
}
