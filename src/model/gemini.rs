//! Google's Gemini API: `POST {base_url}/models/{model}:generateContent`, the key in
//! `x-goog-api-key`, tools as `functionDeclarations` (their parameters in Gemini's subset of
//! JSON Schema), calls as `functionCall` parts and their results as `functionResponse` parts.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::http::{
    Body, Hints, HttpModel, Place, Wire, arguments_object, error_in_reply, first_line,
    http_failure, raw, read_json_reply, secret_header, system_text,
};
use super::{ErrorKind, ModelError, ModelReply, ModelRequest, OutputFormat, RawCall};
use crate::config::{ModelConfig, Provider, Role, SchemaForm, ToolChoice};
use crate::error::Result;
use crate::mcp::ToolSet;
use crate::mcp::convert;
use crate::record::Usage;

pub(super) struct GeminiWire {
    config: ModelConfig,
    /// `toolConfig`, when the eval sets `tool_choice`.
    tool_config: Option<Value>,
    /// `generationConfig`, when the eval sets any of it.
    generation: Option<Value>,
}

/// A model behind the Gemini API. `replay` builds a client that will never be asked.
pub(super) fn new(config: &ModelConfig, replay: bool) -> Result<HttpModel<GeminiWire>> {
    if let Some(seed) = config.seed.filter(|s| i32::try_from(*s).is_err()) {
        return Err(crate::error::Error::usage(
            format!(
                "`{}`: Gemini takes a 32-bit seed, and the eval sets {seed}",
                config.name
            ),
            Some(format!(
                "set `seed` in this model's entry between {} and {}",
                i32::MIN,
                i32::MAX
            )),
        ));
    }
    let place = Place::resolve(config, replay)?;
    let name = config.name.strip_prefix("models/").unwrap_or(&config.name);
    let endpoint = place.endpoint(Provider::Gemini, &format!("/models/{name}:generateContent"))?;
    let mut headers = HeaderMap::new();
    if !place.key.is_empty() {
        headers.insert(
            HeaderName::from_static("x-goog-api-key"),
            secret_header(&place.key)?,
        );
    }
    let wire = GeminiWire {
        tool_config: config.tool_choice.map(|t| {
            let mode = match t {
                ToolChoice::Auto => "AUTO",
                ToolChoice::Required => "ANY",
                ToolChoice::None => "NONE",
            };
            json!({ "functionCallingConfig": { "mode": mode } })
        }),
        generation: generation_config(config),
        config: config.clone(),
    };
    HttpModel::new(wire, config, place, endpoint, headers)
}

fn generation_config(c: &ModelConfig) -> Option<Value> {
    let mut g = serde_json::Map::new();
    if let Some(t) = c.temperature {
        g.insert("temperature".into(), json!(t));
    }
    if let Some(m) = c.max_tokens {
        g.insert("maxOutputTokens".into(), m.into());
    }
    if let Some(s) = c.seed {
        g.insert("seed".into(), s.into());
    }
    (!g.is_empty()).then_some(Value::Object(g))
}

impl GeminiWire {
    fn body<'a>(&self, req: &'a ModelRequest) -> Body<'a> {
        let c = &self.config;
        let system = system_text(req, c);
        let mut contents: Vec<Value> = req
            .messages
            .iter()
            .filter(|m| m.role != Role::System)
            .map(|m| {
                let role = if m.role == Role::Assistant {
                    "model"
                } else {
                    "user"
                };
                json!({ "role": role, "parts": [{ "text": m.content }] })
            })
            .collect();
        for x in &req.exchanges {
            let mut parts = Vec::with_capacity(x.calls.len() + 1);
            if let Some(text) = x.content.as_deref().filter(|t| !t.is_empty()) {
                parts.push(json!({ "text": text }));
            }
            for (i, call) in x.calls.iter().enumerate() {
                let mut f = json!({ "name": call.name, "args": arguments_object(&call.arguments) });
                if call.id_from_model {
                    f["id"] = call.id.clone().into();
                }
                let mut part = json!({ "functionCall": f });
                // The signature of the model's thinking goes back as it came: Gemini 3 refuses
                // a conversation whose first call of a step lacks one. A call with none (read
                // from the reply's text) gets the stand-in the API documents for calls it did not
                // make.
                match &call.signature {
                    Some(sig) => part["thoughtSignature"] = sig.clone().into(),
                    None if i == 0 => part["thoughtSignature"] = STAND_IN_SIGNATURE.into(),
                    None => {}
                }
                parts.push(part);
            }
            if !parts.is_empty() || x.user.is_none() {
                contents.push(json!({ "role": "model", "parts": parts }));
            }
            let responses: Vec<Value> = x
                .calls
                .iter()
                .map(|call| {
                    let key = if call.is_error { "error" } else { "result" };
                    let mut f = json!({ "name": call.name, "response": { key: call.result } });
                    if call.id_from_model {
                        f["id"] = call.id.clone().into();
                    }
                    json!({ "functionResponse": f })
                })
                .collect();
            if !responses.is_empty() {
                contents.push(json!({ "role": "user", "parts": responses }));
            }
            // The user's next message is a content of its own after the function responses:
            // a function call turn may follow a user turn, and the responses must answer the
            // calls one for one (the order rules the scripted server holds requests to, from
            // the API's 400s).
            if let Some(user) = &x.user {
                contents.push(json!({ "role": "user", "parts": [{ "text": user }] }));
            }
        }
        let mut fields = serde_json::Map::new();
        fields.insert("contents".into(), contents.into());
        if let Some(s) = system {
            fields.insert(
                "systemInstruction".into(),
                json!({ "parts": [{ "text": s }] }),
            );
        }
        let mut generation = self.generation.clone();
        // A reply held to a schema: JSON, in Gemini's subset of the schema.
        if let Some(o) = &req.output {
            let g = generation.get_or_insert_with(|| json!({}));
            g["responseMimeType"] = "application/json".into();
            g["responseSchema"] = convert::gemini(&o.schema).0;
        }
        if let Some(g) = generation {
            fields.insert("generationConfig".into(), g);
        }
        let offered = !req.tools.tools.is_empty();
        let mut with_tools = serde_json::Map::new();
        if let Some(t) = self.tool_config.as_ref().filter(|_| offered) {
            with_tools.insert("toolConfig".into(), t.clone());
        }
        Body {
            fields,
            tools: offered.then_some(&**req.api_tools),
            with_tools,
        }
    }
}

/// The thought signature sent with a call the model made without one: "you can set the
/// following dummy signatures of either "context_engineering_is_the_way_to_go" or
/// "skip_thought_signature_validator" in the thought signature field to skip validation"
/// (https://ai.google.dev/gemini-api/docs/thought-signatures, FAQ, as of 2026-05). The second
/// is the one Vertex AI documents too (pydantic-ai uses it for both; vercel/ai#15560 saw a 400
/// become a 200 with it).
const STAND_IN_SIGNATURE: &str = "skip_thought_signature_validator";

/// A function declaration: the parameters converted to Gemini's schema subset, always sent, as
/// an object without properties for a tool that takes none. (The API once refused that with
/// "properties: should be non-empty for OBJECT type"; it takes it since 2025 (litellm#9289,
/// zeph#1641, as of 2026-03), and a declaration without `parameters` was refused under function
/// calling mode ANY (googleapis/python-genai#981, as of 2025-06), which is why pydantic-ai sends
/// the empty object too.) What is sent is what the report's converted schemas record.
fn declaration(name: &str, description: &str, schema: &Value) -> Value {
    let (parameters, _) = convert::gemini(schema);
    json!({ "name": name, "description": description, "parameters": parameters })
}

impl Wire for GeminiWire {
    fn provider(&self) -> Provider {
        Provider::Gemini
    }

    fn output_format(&self) -> OutputFormat {
        OutputFormat::ResponseSchema
    }

    fn write_body(&self, req: &ModelRequest, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, &self.body(req))
    }

    fn read_reply(&self, body: &[u8]) -> Result<ModelReply, ModelError> {
        read_json_reply(Provider::Gemini, body, parse_response)
    }

    fn failure(&self, status: u16, body: &[u8], retry_after: Option<Duration>) -> ModelError {
        let value: Option<Value> = serde_json::from_slice(body).ok();
        let reason = |r: &str| {
            value
                .as_ref()
                .and_then(|v| v.pointer("/error/details"))
                .and_then(Value::as_array)
                .is_some_and(|d| {
                    d.iter()
                        .any(|x| x.get("reason").and_then(Value::as_str) == Some(r))
                })
        };
        let key = "Gemini refused the key: check GEMINI_API_KEY (or the eval file's `api_key`) and that the API is enabled for it";
        let mut e = http_failure(
            Provider::Gemini,
            status,
            body,
            retry_after.or_else(|| value.as_ref().and_then(retry_delay)),
            Hints {
                key: key.into(),
                missing: "Gemini knows no such model or endpoint: check `model.name` (e.g. `gemini-2.5-flash`) and that `base_url` ends in /v1beta".into(),
            },
        );
        // A wrong key is answered 400 `API_KEY_INVALID`: as fatal as a 401.
        if status == 400 && reason("API_KEY_INVALID") {
            e.kind = ErrorKind::Fatal;
            e.hint = Some(key.into());
        }
        e
    }

    fn tools(&self, tools: &ToolSet) -> Box<RawValue> {
        let as_is = self.config.schema == Some(SchemaForm::JsonSchema);
        let declarations: Vec<Value> = tools
            .tools
            .iter()
            .map(|t| match as_is {
                // `parametersJsonSchema`: "Describes the parameters to the function in JSON
                // Schema format. ... This field is mutually exclusive with `parameters`."
                // (js-genai `types.ts` FunctionDeclaration, as of 2026.)
                true => json!({
                    "name": t.api_name,
                    "description": t.description,
                    "parametersJsonSchema": t.input_schema,
                }),
                false => declaration(&t.api_name, &t.description, &t.input_schema),
            })
            .collect();
        raw(&json!([{ "functionDeclarations": declarations }]))
    }

    fn converted(&self, tools: &ToolSet) -> Option<crate::mcp::Converted> {
        match self.config.schema {
            Some(SchemaForm::JsonSchema) => None,
            _ => crate::mcp::Converted::of(tools, Provider::Gemini),
        }
    }

    fn parameters(&self) -> BTreeMap<String, Value> {
        let mut p = BTreeMap::new();
        if self.config.schema == Some(SchemaForm::JsonSchema) {
            p.insert("schema".into(), "parametersJsonSchema".into());
        }
        if let Some(t) = &self.tool_config {
            p.insert("toolConfig".into(), t.clone());
        }
        if let Some(g) = &self.generation {
            p.insert("generationConfig".into(), g.clone());
        }
        p
    }

    fn note(&self) -> Option<String> {
        self.config.parallel_tool_calls.map(|_| {
            "Gemini has no switch for parallel calls: `parallel_tool_calls` was not sent".to_owned()
        })
    }
}

/// The `retryDelay` of a `RetryInfo` detail (`"22s"`), which Gemini sends with a 429.
fn retry_delay(body: &Value) -> Option<Duration> {
    body.pointer("/error/details")?
        .as_array()?
        .iter()
        .find_map(|d| d.get("retryDelay").and_then(Value::as_str))
        .and_then(|s| s.strip_suffix('s'))
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

/// Reads a `generateContent` reply: the first candidate's text parts, its `functionCall` parts
/// as calls, its finish reason in the chat API's words, and the usage. A prompt Gemini blocked
/// is a reply with no answer and a note, as a refusal is.
pub(crate) fn parse_response(body: &Value) -> std::result::Result<ModelReply, String> {
    if let Some(error) = error_in_reply(Provider::Gemini, body) {
        return Err(error);
    }
    let usage = body
        .get("usageMetadata")
        .filter(|u| u.is_object())
        .map(|u| {
            let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
            // `promptTokenCount` includes the cached tokens.
            Usage {
                prompt_tokens: n("promptTokenCount"),
                completion_tokens: n("candidatesTokenCount") + n("thoughtsTokenCount"),
                cached_tokens: n("cachedContentTokenCount"),
                cache_write_tokens: 0,
            }
        });
    let Some(candidate) = body
        .get("candidates")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        if let Some(reason) = body
            .pointer("/promptFeedback/blockReason")
            .and_then(Value::as_str)
        {
            return Ok(ModelReply {
                finish_reason: Some("content_filter".into()),
                usage,
                notes: vec![format!("Gemini blocked the prompt (`{reason}`)")],
                ..ModelReply::default()
            });
        }
        return Err(format!(
            "Gemini's reply has no `candidates`: {}",
            first_line(&body.to_string())
        ));
    };
    let mut text = Vec::new();
    let mut tool_calls = Vec::new();
    let parts = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for part in parts {
        if let Some(f) = part.get("functionCall") {
            tool_calls.push(RawCall {
                name: f
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                arguments: match f.get("args") {
                    None | Some(Value::Null) => "{}".to_owned(),
                    Some(v) => v.to_string(),
                },
                recovered: false,
                id: f.get("id").and_then(Value::as_str).map(str::to_owned),
                // Gemini 3 puts it beside the first call of a step (2.5 inside the call).
                signature: part
                    .get("thoughtSignature")
                    .or_else(|| f.get("thoughtSignature"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        } else if let Some(t) = part.get("text").and_then(Value::as_str)
            && part.get("thought").and_then(Value::as_bool) != Some(true)
        {
            text.push(t);
        }
    }
    let reason = candidate.get("finishReason").and_then(Value::as_str);
    let mut notes = Vec::new();
    let finish = reason.map(|r| match r {
        "STOP" if !tool_calls.is_empty() => "tool_calls".to_owned(),
        "STOP" => "stop".to_owned(),
        "MAX_TOKENS" => {
            notes.push("the reply was cut at `max_tokens` (Gemini's `MAX_TOKENS`)".to_owned());
            "length".to_owned()
        }
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" => {
            notes.push(format!("Gemini stopped the reply (`{r}`)"));
            "content_filter".to_owned()
        }
        "MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" => {
            notes.push(format!("Gemini could not make the call it began (`{r}`)"));
            r.to_ascii_lowercase()
        }
        other => other.to_ascii_lowercase(),
    });
    let content = text.concat();
    Ok(ModelReply {
        content: (!content.is_empty()).then_some(content),
        tool_calls,
        finish_reason: finish,
        usage,
        notes,
        retries: 0,
        cached: false,
        format: None,
        server_searches: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reply of the function-calling guide's example.
    #[test]
    fn reads_the_reference_function_call_reply() {
        let body = json!({
            "candidates": [{
                "content": {"role": "model", "parts": [
                    {"functionCall": {"name": "set_light_values", "args": {"brightness": 25, "color_temp": "warm"}}}
                ]},
                "finishReason": "STOP",
                "index": 0
            }],
            "usageMetadata": {"promptTokenCount": 121, "candidatesTokenCount": 24, "totalTokenCount": 145, "thoughtsTokenCount": 6, "cachedContentTokenCount": 100},
            "modelVersion": "gemini-2.5-flash"
        });
        let r = parse_response(&body).unwrap();
        assert_eq!(r.content, None);
        assert_eq!(r.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(r.tool_calls[0].name, "set_light_values");
        assert_eq!(
            serde_json::from_str::<Value>(&r.tool_calls[0].arguments).unwrap(),
            json!({"brightness": 25, "color_temp": "warm"})
        );
        assert_eq!(r.tool_calls[0].id, None);
        let u = r.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (121, 30));
        assert_eq!(u.cached_tokens, 100);
    }

    #[test]
    fn a_blocked_prompt_is_a_reply_with_a_note_and_no_candidates_is_an_error() {
        let r = parse_response(&json!({"promptFeedback": {"blockReason": "SAFETY"}})).unwrap();
        assert_eq!(r.finish_reason.as_deref(), Some("content_filter"));
        assert!(r.notes[0].contains("SAFETY"));
        let e = parse_response(&json!({"modelVersion": "x"})).unwrap_err();
        assert!(e.contains("no `candidates`"), "{e}");
        let r = parse_response(&json!({"candidates": [{"content": {"parts": [
            {"text": "thinking…", "thought": true}, {"text": "Done."}
        ]}, "finishReason": "MAX_TOKENS"}]}))
        .unwrap();
        assert_eq!(r.content.as_deref(), Some("Done."));
        assert_eq!(r.finish_reason.as_deref(), Some("length"));
    }

    /// Gemini 3 signs the first call of a step beside it; 2.5 put the signature in the call.
    #[test]
    fn a_calls_thought_signature_is_kept_to_send_back() {
        let r = parse_response(
            &json!({"candidates": [{"content": {"role": "model", "parts": [
            {"functionCall": {"name": "a", "args": {}}, "thoughtSignature": "c2lnLTE="},
            {"functionCall": {"name": "b", "args": {}}}
        ]}, "finishReason": "STOP"}]}),
        )
        .unwrap();
        let sigs: Vec<Option<&str>> = r
            .tool_calls
            .iter()
            .map(|c| c.signature.as_deref())
            .collect();
        assert_eq!(sigs, [Some("c2lnLTE="), None]);
        let r = parse_response(&json!({"candidates": [{"content": {"parts": [
            {"functionCall": {"name": "a", "args": {}, "thoughtSignature": "b2xk"}}
        ]}}]}))
        .unwrap();
        assert_eq!(r.tool_calls[0].signature.as_deref(), Some("b2xk"));
    }

    #[test]
    fn the_retry_delay_comes_from_the_body() {
        let body = json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "22s"}
        ]}});
        assert_eq!(retry_delay(&body), Some(Duration::from_secs(22)));
        assert_eq!(retry_delay(&json!({"error": {}})), None);
    }

    #[test]
    fn a_tool_without_parameters_declares_an_empty_object() {
        let d = declaration(
            "ping",
            "Checks",
            &json!({"type": "object", "properties": {}}),
        );
        assert_eq!(
            d,
            json!({"name": "ping", "description": "Checks", "parameters": {"type": "object", "properties": {}}})
        );
    }

    #[test]
    fn a_top_level_union_of_objects_is_declared_with_its_properties() {
        let d = declaration(
            "act",
            "Acts",
            &json!({"anyOf": [
                {"type": "object", "properties": {"kind": {"const": "click"}, "x": {"type": "integer"}}, "required": ["kind", "x"]},
                {"type": "object", "properties": {"kind": {"const": "type"}, "text": {"type": "string"}}, "required": ["kind", "text"]}
            ]}),
        );
        let p = &d["parameters"];
        assert_eq!(p["type"], "object");
        let names: Vec<&String> = p["properties"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["kind", "x", "text"]);
        assert_eq!(p["required"], json!(["kind"]));
    }
}
