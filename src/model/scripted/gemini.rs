//! The Gemini dialect: `POST /v1beta/models/{model}:generateContent`, checked as the API checks
//! a request (https://ai.google.dev/api/generate-content).

use super::*;
/// The fields of a `GenerateContentRequest`. The API reads a field by its JSON (camelCase) name
/// or its proto (snake_case) name alike; both are accepted here too.
const GEMINI_FIELDS: &[&str] = &[
    "model",
    "contents",
    "tools",
    "toolConfig",
    "safetySettings",
    "systemInstruction",
    "generationConfig",
    "cachedContent",
];
/// The data fields of a `Part`, exactly one of which a part holds.
const GEMINI_PART_DATA: &[&str] = &[
    "text",
    "inlineData",
    "functionCall",
    "functionResponse",
    "fileData",
    "executableCode",
    "codeExecutionResult",
];
/// The other fields of a `Part`.
const GEMINI_PART_META: &[&str] = &[
    "thought",
    "thoughtSignature",
    "videoMetadata",
    "partMetadata",
    "mediaResolution",
];
const GEMINI_TOOL_FIELDS: &[&str] = &[
    "functionDeclarations",
    "googleSearchRetrieval",
    "codeExecution",
    "googleSearch",
    "urlContext",
    "computerUse",
    "fileSearch",
    "googleMaps",
];
const GEMINI_DECLARATION_FIELDS: &[&str] = &[
    "name",
    "description",
    "behavior",
    "parameters",
    "parametersJsonSchema",
    "response",
    "responseJsonSchema",
];
/// The fields of the `Schema` subset function parameters are written in.
const GEMINI_SCHEMA_FIELDS: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];
const GEMINI_TYPES: &[&str] = &[
    "TYPE_UNSPECIFIED",
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "ARRAY",
    "OBJECT",
    "NULL",
];
const GEMINI_GENERATION_FIELDS: &[&str] = &[
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "enableEnhancedCivicAnswers",
    "speechConfig",
    "thinkingConfig",
    "imageConfig",
    "mediaResolution",
];
const GEMINI_PROTO: &str = "type.googleapis.com/google.ai.generativelanguage.v1beta";

/// A Gemini error body: `{"error": {"code", "message", "status"}}`.
fn gemini_error(code: StatusCode, status: &str, message: &str) -> Response {
    (
        code,
        axum::Json(json!({"error": {"code": code.as_u16(), "message": message, "status": status}})),
    )
        .into_response()
}

/// The proto (snake_case) form of a JSON field name.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Field `name` (given in camelCase) of a message, under its JSON or its proto name.
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| obj.get(&snake(name)))
}

/// Whether `key` is one of `known` (camelCase names), under either name.
fn known_field(key: &str, known: &[&str]) -> bool {
    let key = snake(key);
    known.iter().any(|k| snake(k) == key)
}

/// The elements of a repeated field with the index each has in an error's path; like the API,
/// a single value where a list is due counts as a list of one (with no index in paths).
fn repeated(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        v => vec![(String::new(), v)],
    }
}

/// The problems a Gemini request has, kept as the API reports them: a body that does not parse
/// as the request message (an unknown field, a wrong type) is refused with the first such
/// problem; then every field violation is listed, one `* path: problem` line each; then the
/// conversation's order is checked.
#[derive(Default)]
struct GeminiProblems {
    parse: Option<String>,
    violations: Vec<String>,
}

impl GeminiProblems {
    fn parse(&mut self, message: String) {
        self.parse.get_or_insert(message);
    }

    fn unknown(&mut self, key: &str, at: &str) {
        self.parse(if at.is_empty() {
            format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field.")
        } else {
            format!(
                "Invalid JSON payload received. Unknown name \"{key}\" at '{at}': Cannot find field."
            )
        });
    }

    fn invalid(&mut self, at: &str, ty: &str, value: &Value) {
        self.parse(format!(
            "Invalid JSON payload received. Invalid value at '{at}' ({ty}), {value}"
        ));
    }

    /// `v` as an object, checking its fields against `known`; `None` (a problem noted) when it
    /// is not an object.
    fn message<'a>(
        &mut self,
        v: &'a Value,
        at: &str,
        ty: &str,
        known: &[&str],
    ) -> Option<&'a Map<String, Value>> {
        let Some(obj) = v.as_object() else {
            self.invalid(at, &format!("{GEMINI_PROTO}.{ty}"), v);
            return None;
        };
        for k in obj.keys() {
            if !known_field(k, known) {
                self.unknown(k, at);
            }
        }
        Some(obj)
    }

    fn violation(&mut self, path: &str, problem: &str) {
        self.violations
            .push(format!("* GenerateContentRequest.{path}: {problem}\n"));
    }
}

/// A content of a Gemini request, as the order checks read it.
struct GeminiTurn<'a> {
    model: bool,
    calls: Vec<&'a str>,
    responses: Vec<&'a str>,
    /// The first `functionCall` part of a model turn carries a `thoughtSignature`.
    signed: bool,
}

pub(super) async fn answer(
    State(shared): State<Arc<Shared>>,
    Path(model_action): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let Some((model, "generateContent")) = model_action.rsplit_once(':') else {
        return gemini_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!(
                "models/{model_action} is not found: the scripted server answers only models/{{model}}:generateContent"
            ),
        );
    };
    let mut key = header_text(&headers, "x-goog-api-key").trim().to_string();
    if key.is_empty() {
        key = query_param(uri.query().unwrap_or(""), "key").unwrap_or_default();
    }
    shared.arrive(key.clone(), body.clone());
    if key.is_empty() {
        return gemini_error(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        );
    }
    let invalid =
        |message: &str| gemini_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message);
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return invalid(&format!("Invalid JSON payload received. {e}")),
    };
    let (cache_read, cache_written) =
        prompt_cache(&shared, &[crate::model::prompt_cache::gemini_prefix(&body)]);
    if let Err(message) = gemini_check(&body) {
        return invalid(&message);
    }
    if body.pointer("/generationConfig/responseSchema").is_some()
        && let Some(refused) = refusal(&shared)
    {
        return refused;
    }
    script_delay(&shared).await;
    let view = gemini_view(&body);
    let parts: Vec<Value> = match settle(choose_reply(&shared, &view)).await {
        Err(response) => return response,
        Ok(Answer::Text(text)) => vec![json!({ "text": text })],
        Ok(Answer::Calls(calls)) => calls
            .iter()
            .enumerate()
            .map(|(i, (name, args))| {
                let mut part = json!({"functionCall": {"name": name, "args": args_object(args)}});
                // As Gemini 3 does: a signature on the first call of the step, to be sent back.
                if i == 0 {
                    part["thoughtSignature"] = thought_signature(view.turn).into();
                }
                part
            })
            .collect(),
    };
    axum::Json(json!({
        "candidates": [{
            "content": {"role": "model", "parts": parts},
            "finishReason": "STOP",
            "index": 0
        }],
        // The cached share is part of `promptTokenCount`.
        "usageMetadata": if shared.script.prompt_cache {
            let prompt = crate::model::prompt_cache::tokens(&body.to_string()).max(cache_read + cache_written);
            json!({
                "promptTokenCount": prompt,
                "candidatesTokenCount": 10,
                "totalTokenCount": prompt + 10,
                "cachedContentTokenCount": cache_read
            })
        } else {
            json!({"promptTokenCount": 100, "candidatesTokenCount": 10, "totalTokenCount": 110})
        },
        "modelVersion": model
    }))
    .into_response()
}

/// The opaque signature the first call of turn `turn` carries (base64, as the API's are).
pub(super) fn thought_signature(turn: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("scripted thinking, turn {turn}"))
}

/// A query parameter's value, percent-decoded (`+` as a space).
fn query_param(query: &str, name: &str) -> Option<String> {
    let raw = query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == name)?
        .1;
    let bytes = raw.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The `contents` of a request (none when absent).
fn gemini_contents(obj: &Map<String, Value>) -> Vec<(String, &Value)> {
    field(obj, "contents").map(repeated).unwrap_or_default()
}

/// The parts of a content (none when absent).
fn gemini_parts(content: &Value) -> Vec<(String, &Value)> {
    content
        .as_object()
        .and_then(|c| field(c, "parts"))
        .map(repeated)
        .unwrap_or_default()
}

/// Field `name` of each of a content's parts that has it.
fn part_fields<'a>(content: &'a Value, name: &str) -> Vec<&'a Value> {
    gemini_parts(content)
        .into_iter()
        .filter_map(|(_, p)| p.as_object().and_then(|p| field(p, name)))
        .collect()
}

/// Whether a content's role is `model` (an absent or empty role is the user's).
fn gemini_is_model(content: &Value) -> bool {
    content
        .as_object()
        .and_then(|c| field(c, "role"))
        .and_then(Value::as_str)
        == Some("model")
}

/// Checks a `generateContent` request as the API does; the API's message when it is invalid.
fn gemini_check(body: &Value) -> Result<(), String> {
    let Some(obj) = body.as_object() else {
        return Err(
            "Invalid JSON payload received. Unknown name \"\": Root element must be a message."
                .into(),
        );
    };
    let mut p = GeminiProblems::default();
    for k in obj.keys() {
        if !known_field(k, GEMINI_FIELDS) {
            p.unknown(k, "");
        }
    }
    let contents = gemini_contents(obj);
    if contents.is_empty() {
        p.violation("contents", "contents is not specified");
    }
    let mut turns = Vec::new();
    for (i, c) in &contents {
        let at = format!("contents{i}");
        let Some(c) = p.message(c, &at, "Content", &["role", "parts"]) else {
            continue;
        };
        let model = match field(c, "role") {
            None => false,
            Some(Value::String(r)) if r.is_empty() || r == "user" => false,
            Some(Value::String(r)) if r == "model" => true,
            Some(Value::String(_)) => return Err("Please use a valid role: user, model.".into()),
            Some(r) => {
                p.invalid(&format!("{at}.role"), "TYPE_STRING", r);
                false
            }
        };
        let parts = field(c, "parts").map(repeated).unwrap_or_default();
        if parts.is_empty() {
            p.violation(&format!("{at}.parts"), "contents.parts must not be empty.");
        }
        let mut turn = GeminiTurn {
            model,
            calls: Vec::new(),
            responses: Vec::new(),
            signed: false,
        };
        for (j, part) in &parts {
            gemini_part(&mut p, part, &format!("{at}.parts{j}"), &mut turn);
        }
        turns.push(turn);
    }
    if let Some(system) = field(obj, "systemInstruction")
        && let Some(system) = p.message(system, "system_instruction", "Content", &["role", "parts"])
    {
        let mut ignored = GeminiTurn {
            model: false,
            calls: Vec::new(),
            responses: Vec::new(),
            signed: false,
        };
        for (j, part) in field(system, "parts").map(repeated).unwrap_or_default() {
            gemini_part(
                &mut p,
                part,
                &format!("system_instruction.parts{j}"),
                &mut ignored,
            );
        }
    }
    gemini_tools(&mut p, obj);
    if let Some(config) = field(obj, "toolConfig")
        && let Some(config) = p.message(
            config,
            "tool_config",
            "ToolConfig",
            &["functionCallingConfig", "retrievalConfig"],
        )
        && let Some(calling) = field(config, "functionCallingConfig")
        && let Some(calling) = p.message(
            calling,
            "tool_config.function_calling_config",
            "FunctionCallingConfig",
            &["mode", "allowedFunctionNames"],
        )
    {
        if let Some(mode) = field(calling, "mode") {
            let valid = mode.as_str().is_some_and(|m| {
                ["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"]
                    .contains(&m.to_ascii_uppercase().as_str())
            });
            if !valid {
                p.invalid(
                    "tool_config.function_calling_config.mode",
                    &format!("{GEMINI_PROTO}.FunctionCallingConfig.Mode"),
                    mode,
                );
            }
        }
        if let Some(names) = field(calling, "allowedFunctionNames") {
            for (i, n) in repeated(names) {
                if !n.is_string() {
                    p.invalid(
                        &format!("tool_config.function_calling_config.allowed_function_names{i}"),
                        "TYPE_STRING",
                        n,
                    );
                }
            }
        }
    }
    if let Some(config) = field(obj, "generationConfig")
        && let Some(config) = p.message(
            config,
            "generation_config",
            "GenerationConfig",
            GEMINI_GENERATION_FIELDS,
        )
    {
        // Structured output: `responseSchema` in the API's subset of OpenAPI (an unknown keyword
        // such as `additionalProperties` is refused as a parse error, as for parameters).
        if let Some(schema) = field(config, "responseSchema") {
            gemini_schema(
                &mut p,
                schema,
                "generation_config.response_schema",
                "generation_config.response_schema",
            );
        }
        // Before Gemini 3, JSON output and function calling do not mix (python-genai#867, as of
        // 2026-12-06); the scripted server holds every model to it.
        let json =
            field(config, "responseMimeType").and_then(Value::as_str) == Some("application/json");
        let declares =
            field(obj, "tools").is_some_and(|t| t.to_string().contains("unctionDeclarations"));
        if json && declares {
            return Err(
                "Function calling with a response mime type: 'application/json' is unsupported"
                    .into(),
            );
        }
    }
    if let Some(message) = p.parse {
        return Err(message);
    }
    if !p.violations.is_empty() {
        return Err(p.violations.concat());
    }
    gemini_order(&turns)
}

/// Checks one part: one data field, of the right shape; notes its calls and responses.
fn gemini_part<'a>(p: &mut GeminiProblems, part: &'a Value, at: &str, turn: &mut GeminiTurn<'a>) {
    let known: Vec<&str> = GEMINI_PART_DATA
        .iter()
        .chain(GEMINI_PART_META)
        .copied()
        .collect();
    let Some(part) = p.message(part, at, "Part", &known) else {
        return;
    };
    let data: Vec<&String> = part
        .keys()
        .filter(|k| known_field(k, GEMINI_PART_DATA))
        .collect();
    match data.as_slice() {
        [] => p.violation(
            &format!("{at}.data"),
            "required oneof field 'data' must have one initialized field",
        ),
        [_] => {}
        [_, second, ..] => p.parse(format!(
            "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '{second}'"
        )),
    }
    if let Some(text) = field(part, "text")
        && !text.is_string()
    {
        p.invalid(&format!("{at}.text"), "TYPE_STRING", text);
    }
    if let Some(call) = field(part, "functionCall") {
        let at = format!("{at}.function_call");
        if let Some(call) = p.message(call, &at, "FunctionCall", &["id", "name", "args"]) {
            match field(call, "name") {
                Some(Value::String(n)) if !n.is_empty() => {
                    if turn.model {
                        if turn.calls.is_empty() {
                            turn.signed = field(part, "thoughtSignature")
                                .and_then(Value::as_str)
                                .is_some_and(|s| !s.is_empty());
                        }
                        turn.calls.push(n);
                    }
                }
                Some(
                    n @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_)),
                ) => p.invalid(&format!("{at}.name"), "TYPE_STRING", n),
                _ => p.violation(&format!("{at}.name"), "Name cannot be empty."),
            }
            if let Some(args) = field(call, "args")
                && !args.is_object()
            {
                p.invalid(
                    &format!("{at}.args"),
                    "type.googleapis.com/google.protobuf.Struct",
                    args,
                );
            }
        }
    }
    if let Some(response) = field(part, "functionResponse") {
        let at = format!("{at}.function_response");
        let known = [
            "id",
            "name",
            "response",
            "willContinue",
            "scheduling",
            "parts",
        ];
        if let Some(response) = p.message(response, &at, "FunctionResponse", &known) {
            match field(response, "name") {
                Some(Value::String(n)) if !n.is_empty() => turn.responses.push(n),
                Some(
                    n @ (Value::Number(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_)),
                ) => p.invalid(&format!("{at}.name"), "TYPE_STRING", n),
                _ => p.violation(&format!("{at}.name"), "Name cannot be empty."),
            }
            match field(response, "response") {
                Some(Value::Object(_)) => {}
                Some(r) => p.invalid(
                    &format!("{at}.response"),
                    "type.googleapis.com/google.protobuf.Struct",
                    r,
                ),
                None => p.violation(&format!("{at}.response"), "response is required."),
            }
        }
    }
}

/// Checks `tools`: the function declarations' names and parameter schemas.
fn gemini_tools(p: &mut GeminiProblems, obj: &Map<String, Value>) {
    let Some(tools) = field(obj, "tools") else {
        return;
    };
    let mut names = HashSet::new();
    for (i, tool) in repeated(tools) {
        let at = format!("tools{i}");
        let Some(tool) = p.message(tool, &at, "Tool", GEMINI_TOOL_FIELDS) else {
            continue;
        };
        let Some(declarations) = field(tool, "functionDeclarations") else {
            continue;
        };
        for (j, d) in repeated(declarations) {
            let at = format!("{at}.function_declarations{j}");
            let Some(d) = p.message(d, &at, "FunctionDeclaration", GEMINI_DECLARATION_FIELDS)
            else {
                continue;
            };
            match field(d, "name") {
                Some(Value::String(name)) => {
                    if !gemini_function_name(name) {
                        p.violation(&format!("{at}.name"), "Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.");
                    } else if !names.insert(name.as_str()) {
                        p.violation(
                            "tools",
                            &format!("Duplicate function declaration found: {name}"),
                        );
                    }
                }
                Some(n) => p.invalid(&format!("{at}.name"), "TYPE_STRING", n),
                None => p.violation(&format!("{at}.name"), "Name cannot be empty."),
            }
            if let Some(description) = field(d, "description")
                && !description.is_string()
            {
                p.invalid(&format!("{at}.description"), "TYPE_STRING", description);
            }
            for name in ["parameters", "response"] {
                if let Some(schema) = field(d, name) {
                    gemini_schema(p, schema, &format!("{at}.{name}"), &format!("{at}.{name}"));
                }
                // "This field is mutually exclusive with `parameters`" (js-genai `types.ts`);
                // the service refuses both (firebase-android-sdk#7850, 2026-02). The wording of
                // that refusal is not on record: this one is the scripted server's own.
                let json = format!("{name}JsonSchema");
                match field(d, &json) {
                    Some(_) if field(d, name).is_some() => p.violation(
                        &format!("{at}.{name}_json_schema"),
                        &format!("{name} and {name}_json_schema are mutually exclusive"),
                    ),
                    Some(Value::Object(_)) | None => {}
                    Some(v) => p.invalid(
                        &format!("{at}.{name}_json_schema"),
                        "google.protobuf.Value (an object)",
                        v,
                    ),
                }
            }
        }
    }
}

/// Whether a function name is one Gemini takes: `^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$`.
fn gemini_function_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// Checks a `Schema` and the schemas inside it. `at` is the path a parse error names (a property
/// by its index: `properties[0].value`), `named` the one a violation names (by its name:
/// `properties[city]`).
fn gemini_schema(p: &mut GeminiProblems, schema: &Value, at: &str, named: &str) {
    let Some(s) = p.message(schema, at, "Schema", GEMINI_SCHEMA_FIELDS) else {
        return;
    };
    let ty = match field(s, "type") {
        None => None,
        Some(Value::String(t)) if GEMINI_TYPES.contains(&t.to_ascii_uppercase().as_str()) => {
            Some(t.to_ascii_uppercase())
        }
        Some(Value::Array(_)) => {
            p.parse(
                "Invalid JSON payload received. Proto field is not repeating, cannot start list."
                    .into(),
            );
            None
        }
        Some(t) => {
            p.invalid(&format!("{at}.type"), &format!("{GEMINI_PROTO}.Type"), t);
            None
        }
    };
    // The type rules as the API words them (quoted from real 400s, as of 2026-09: LibreChat#6971,
    // litellm#10251, hermes-agent#38972, opencode#11888, home-generative-agent#525). An empty
    // `properties` is taken (pydantic-ai has sent `{"type": "object", "properties": {}}` for
    // tools without parameters since 2025-06; the API once refused it).
    let union = ["anyOf", "oneOf", "allOf"]
        .iter()
        .any(|k| field(s, k).is_some());
    if field(s, "type").is_none() && !union {
        p.violation(
            &format!("{named}.type"),
            "must be specified when not using one_of, any_of or all_of fields",
        );
    }
    if ty.as_deref() == Some("ARRAY") && field(s, "items").is_none() {
        p.violation(&format!("{named}.items"), "missing field.");
    }
    if ty.as_deref() != Some("ARRAY") && field(s, "items").is_some() {
        p.violation(
            &format!("{named}.items"),
            "field predicate failed: $type == Type.ARRAY",
        );
    }
    if ty.as_deref() != Some("OBJECT") {
        for k in ["properties", "required"] {
            if field(s, k).is_some() {
                p.violation(&format!("{named}.{k}"), "only allowed for OBJECT type");
            }
        }
    }
    let mut defined = Vec::new();
    match field(s, "properties") {
        None => {}
        Some(Value::Object(properties)) => {
            for (k, (name, sub)) in properties.iter().enumerate() {
                defined.push(name.as_str());
                gemini_schema(
                    p,
                    sub,
                    &format!("{at}.properties[{k}].value"),
                    &format!("{named}.properties[{name}]"),
                );
            }
        }
        Some(v) => p.invalid(
            &format!("{at}.properties"),
            &format!("{GEMINI_PROTO}.Schema"),
            v,
        ),
    }
    if let Some(items) = field(s, "items") {
        gemini_schema(p, items, &format!("{at}.items"), &format!("{named}.items"));
    }
    if let Some(any) = field(s, "anyOf") {
        for (k, sub) in repeated(any) {
            gemini_schema(
                p,
                sub,
                &format!("{at}.any_of{k}"),
                &format!("{named}.any_of{k}"),
            );
        }
    }
    if let Some(required) = field(s, "required") {
        for (k, r) in repeated(required) {
            match r.as_str() {
                Some(r) if defined.contains(&r) => {}
                Some(_) => p.violation(&format!("{named}.required{k}"), "property is not defined"),
                None => p.invalid(&format!("{at}.required{k}"), "TYPE_STRING", r),
            }
        }
    }
    if let Some(values) = field(s, "enum") {
        for (k, v) in repeated(values) {
            if !v.is_string() {
                p.invalid(&format!("{at}.enum{k}"), "TYPE_STRING", v);
            }
        }
        if ty.as_deref() != Some("STRING") {
            p.violation(&format!("{named}.enum"), "only allowed for STRING type");
        }
    }
}

/// The conversation's order: a function call turn follows a user turn (or a function response
/// turn); a function response turn follows a function call turn and answers each of its calls.
fn gemini_order(turns: &[GeminiTurn<'_>]) -> Result<(), String> {
    for (i, turn) in turns.iter().enumerate() {
        // Gemini 3 hands a signature of its thinking to the first call of each step and wants it
        // back with the call when the conversation goes on.
        if turn.model && !turn.calls.is_empty() && !turn.signed {
            return Err(format!(
                "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:{}` , position {}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                turn.calls[0],
                i + 1
            ));
        }
        let before = i.checked_sub(1).map(|b| &turns[b]);
        if !turn.calls.is_empty() && before.is_none_or(|b| b.model) {
            return Err("Please ensure that function call turn comes immediately after a user turn or after a function response turn.".into());
        }
        if !turn.responses.is_empty() {
            let Some(call) = before.filter(|b| !b.calls.is_empty()) else {
                return Err("Please ensure that function response turn comes immediately after a function call turn.".into());
            };
            let mut unanswered = call.calls.clone();
            for name in &turn.responses {
                match unanswered.iter().position(|c| c == name) {
                    Some(k) => {
                        unanswered.remove(k);
                    }
                    None => {
                        return Err(format!(
                            "Please ensure that function response turn comes immediately after a function call turn: the function response \"{name}\" answers no function call of that name."
                        ));
                    }
                }
            }
        }
        if !turn.calls.is_empty()
            && let Some(next) = turns.get(i + 1)
            && next.responses.len() != turn.calls.len()
        {
            return Err("Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.".into());
        }
    }
    Ok(())
}

/// A `generateContent` request as the rules see it: the last user content with text parts, the
/// function declarations, the function responses (each `response` as JSON text).
fn gemini_view(body: &Value) -> View<'_> {
    let Some(obj) = body.as_object() else {
        return View {
            last_user: Cow::Borrowed(""),
            tools_text: String::new(),
            tool_count: 0,
            turn: 1,
            results: Vec::new(),
        };
    };
    let contents = gemini_contents(obj);
    let last_user = contents
        .iter()
        .rev()
        .filter(|(_, c)| !gemini_is_model(c))
        .map(|(_, c)| {
            part_fields(c, "text")
                .into_iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
        })
        .find(|t| !t.is_empty())
        .map_or(Cow::Borrowed(""), joined);
    let turn = 1 + contents
        .iter()
        .filter(|(_, c)| gemini_is_model(c) && !part_fields(c, "functionCall").is_empty())
        .count();
    let results = contents
        .iter()
        .flat_map(|(_, c)| part_fields(c, "functionResponse"))
        .filter_map(|r| r.as_object().and_then(|r| field(r, "response")))
        .map(|r| Cow::Owned(r.to_string()))
        .collect();
    let tools = field(obj, "tools");
    let tool_count = tools.map_or(0, |t| {
        repeated(t)
            .into_iter()
            .filter_map(|(_, t)| t.as_object().and_then(|t| field(t, "functionDeclarations")))
            .map(|d| repeated(d).len())
            .sum()
    });
    View {
        last_user,
        tools_text: tools.map(Value::to_string).unwrap_or_default(),
        tool_count,
        turn,
        results,
    }
}
