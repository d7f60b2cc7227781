//! The tools of every server as one set: names kept apart, mapped to what chat APIs accept,
//! and mapped back when scoring.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::convert::Change;
use crate::config::Provider;

/// A tool as a server lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerTool {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(rename = "inputSchema")]
    pub input_schema: Value,
    /// The MCP hints about what calling it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

/// What a server says calling a tool does (MCP tool annotations). Hints, not guarantees: a tool
/// without them must be taken to write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

/// What calling a tool does, as its annotations say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// `readOnlyHint: true`: it only reads.
    ReadOnly,
    /// It may write, and `destructiveHint` is not `false`: it may destroy or overwrite. The MCP
    /// default for a tool that is not read-only.
    Destructive,
    /// It writes, and `destructiveHint: false` says only additively.
    Writes,
    /// No `readOnlyHint` nor `destructiveHint`: taken to write.
    Unannotated,
}

impl Effect {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Effect::ReadOnly => "read-only",
            Effect::Destructive => "destructive",
            Effect::Writes => "writes",
            Effect::Unannotated => "unannotated",
        }
    }
}

impl Annotations {
    /// What the hints say calling the tool does.
    pub(crate) fn effect(annotations: Option<&Annotations>) -> Effect {
        match annotations {
            Some(a) if a.read_only_hint == Some(true) => Effect::ReadOnly,
            Some(a) if a.destructive_hint == Some(false) => Effect::Writes,
            Some(a) if a.read_only_hint.is_some() || a.destructive_hint.is_some() => {
                Effect::Destructive
            }
            _ => Effect::Unannotated,
        }
    }
}

/// A tool as the model sees it, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// The name suites use: the server's name for it, or `server/name` when two servers share it.
    pub name: String,
    /// The name sent to the model (`^[a-zA-Z0-9_-]{1,64}$`).
    pub api_name: String,
    pub server: String,
    /// The name the server gave it.
    pub server_name: String,
    pub description: String,
    /// The input schema as sent (`$schema` dropped).
    pub input_schema: Value,
    /// The schema's `$schema` as the server gave it: arguments are validated under that draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_dialect: Option<String>,
    /// Tokens of the definition as sent (`definition()`), when counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<usize>,
    /// What a descriptions file replaced: `description`, `parameter NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<String>,
    /// The server's hints about what calling it does; not sent to the model, not in the hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

impl ToolInfo {
    /// What calling it does, as its annotations say.
    pub(crate) fn effect(&self) -> Effect {
        Annotations::effect(self.annotations.as_ref())
    }

    /// The parameters its input schema marks as required.
    pub(crate) fn required(&self) -> Vec<&str> {
        self.input_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The tool's definition in the chat API's `tools` form, compact JSON: what its token count
    /// measures. Providers wrap definitions in their own framing, so the prompt grows by about
    /// this much per tool.
    pub fn definition(&self) -> String {
        serde_json::json!({
            "type": "function",
            "function": {"name": self.api_name, "description": self.description, "parameters": self.input_schema}
        })
        .to_string()
    }
}

/// A name that was changed on its way to the model, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rename {
    pub server: String,
    pub server_name: String,
    pub name: String,
    pub api_name: String,
    pub reason: String,
}

/// Every tool of an eval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolSet {
    /// A hash of the names, descriptions and schemas as sent: equal hashes, equal tool sets.
    pub hash: String,
    pub tools: Vec<ToolInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<Rename>,
    /// The tokenizer the tools' `tokens` were counted with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// How the schemas were sent to a provider that takes another form of JSON Schema (the
    /// `input_schema` of each tool is what the OpenAI-compatible API is sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<Converted>,
}

/// The schemas as a provider's API was sent them, where they differ from the servers' own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Converted {
    pub provider: Provider,
    /// Each tool whose schema changed on the way, in the set's order.
    pub tools: Vec<ConvertedTool>,
}

/// One tool's schema as sent, and every feature changed or dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvertedTool {
    pub name: String,
    pub sent: Value,
    pub changes: Vec<Change>,
}

impl Converted {
    /// The schemas of `set` as `provider` takes them; `None` when every schema goes as it is.
    pub(crate) fn of(set: &ToolSet, provider: Provider) -> Option<Converted> {
        let convert: fn(&Value) -> (Value, Vec<Change>) = match provider {
            Provider::Openai => return None,
            Provider::Anthropic => super::convert::anthropic,
            Provider::Gemini => super::convert::gemini,
        };
        let tools: Vec<ConvertedTool> = set
            .tools
            .iter()
            .filter_map(|t| {
                let (sent, changes) = convert(&t.input_schema);
                (!changes.is_empty()).then(|| ConvertedTool {
                    name: t.name.clone(),
                    sent,
                    changes,
                })
            })
            .collect();
        (!tools.is_empty()).then_some(Converted { provider, tools })
    }

    /// Every change, counted by feature (`additionalProperties`, `format: uri`...), the most
    /// frequent first.
    pub(crate) fn features(&self) -> Vec<(String, usize)> {
        let mut count: HashMap<String, usize> = HashMap::new();
        for c in self.tools.iter().flat_map(|t| &t.changes) {
            let feature = c.feature.split(':').next().unwrap_or(&c.feature).trim();
            *count.entry(feature.to_owned()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = count.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

impl ToolSet {
    /// Builds the set from each server's tools, in the order given.
    pub fn new(servers: Vec<(String, Vec<ServerTool>)>) -> ToolSet {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (_, tools) in &servers {
            for t in tools {
                *count.entry(t.name.as_str()).or_default() += 1;
            }
        }
        let mut used_api: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        let mut renamed = Vec::new();
        for (server, tools) in &servers {
            for t in tools {
                let collides = count[t.name.as_str()] > 1;
                let name = if collides {
                    format!("{server}/{}", t.name)
                } else {
                    t.name.clone()
                };
                let base = api_name(&name);
                let mut api = base.clone();
                let mut n = 2;
                while used_api.contains(&api) {
                    let suffix = format!("_{n}");
                    api = format!("{}{suffix}", truncate(&base, 64 - suffix.len()));
                    n += 1;
                }
                used_api.insert(api.clone());
                if collides || api != t.name {
                    let reason = if collides {
                        "another server offers a tool of the same name"
                    } else if api == format!("_{}", t.name) {
                        FIRST_CHARACTER
                    } else {
                        CHARACTERS
                    };
                    renamed.push(Rename {
                        server: server.clone(),
                        server_name: t.name.clone(),
                        name: name.clone(),
                        api_name: api.clone(),
                        reason: reason.to_owned(),
                    });
                }
                out.push(ToolInfo {
                    name,
                    api_name: api,
                    server: server.clone(),
                    server_name: t.name.clone(),
                    description: t.description.clone().unwrap_or_default(),
                    input_schema: sanitize_schema(&t.input_schema),
                    schema_dialect: t
                        .input_schema
                        .get("$schema")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    tokens: None,
                    overridden: vec![],
                    annotations: t.annotations,
                });
            }
        }
        let hash = hash_tools(&out);
        ToolSet {
            hash,
            tools: out,
            renamed,
            encoding: None,
            converted: None,
        }
    }

    /// The tools named, in the order named (unknown names are skipped), as a set of their own.
    pub(crate) fn subset(&self, names: &[String]) -> ToolSet {
        let tools: Vec<ToolInfo> = names
            .iter()
            .filter_map(|n| self.tools.iter().find(|t| &t.name == n).cloned())
            .collect();
        let renamed = self
            .renamed
            .iter()
            .filter(|r| names.contains(&r.name))
            .cloned()
            .collect();
        ToolSet {
            hash: hash_tools(&tools),
            tools,
            renamed,
            encoding: self.encoding.clone(),
            converted: None,
        }
    }

    /// Counts each tool's tokens with `encoding`; returns the total.
    pub fn count_tokens(&mut self, encoding: crate::tokens::Encoding) -> usize {
        let mut total = 0;
        for t in &mut self.tools {
            let n = encoding.count(&t.definition());
            t.tokens = Some(n);
            total += n;
        }
        self.encoding = Some(encoding.as_str().to_owned());
        total
    }

    /// The sum of the counted tokens.
    pub(crate) fn total_tokens(&self) -> usize {
        self.tools.iter().filter_map(|t| t.tokens).sum()
    }

    /// Recomputes the hash after the tools changed (descriptions overridden).
    pub(crate) fn rehash(&mut self) {
        self.hash = hash_tools(&self.tools);
    }

    /// The tool the model called by this API name.
    pub(crate) fn by_api_name(&self, api: &str) -> Option<&ToolInfo> {
        self.tools.iter().find(|t| t.api_name == api)
    }

    /// The tool a suite names.
    pub(crate) fn by_name(&self, name: &str) -> Option<&ToolInfo> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// Tools whose server name is `name` (for suggesting `server/name` when a name is ambiguous).
    pub(crate) fn by_server_name(&self, name: &str) -> Vec<&ToolInfo> {
        self.tools
            .iter()
            .filter(|t| t.server_name == name)
            .collect()
    }

    /// [`Self::to_openai`] serialized, for sending as it is with every request.
    pub(crate) fn to_openai_json(&self) -> Box<serde_json::value::RawValue> {
        let text = serde_json::to_string(&self.to_openai()).expect("tools serialize");
        serde_json::value::RawValue::from_string(text).expect("serde_json wrote valid JSON")
    }

    /// The tools in the `tools` form of OpenAI-compatible chat APIs.
    pub(crate) fn to_openai(&self) -> Vec<Value> {
        self.tools
            .iter()
            .map(|t| {
                serde_json::json!({
                    "type": "function",
                    "function": {
                        "name": t.api_name,
                        "description": t.description,
                        "parameters": t.input_schema,
                    }
                })
            })
            .collect()
    }
}

/// Why a name was mapped: characters no chat API takes.
const CHARACTERS: &str = "chat APIs take names of letters, digits, `_` and `-`, at most 64 characters, and Gemini only those that start with a letter or `_`";

/// Why a name was mapped: a first character Gemini refuses.
const FIRST_CHARACTER: &str = "Gemini takes a function name only if it starts with a letter or `_` (\"Invalid function name. Must start with a letter or an underscore\"); every provider is sent the same name";

/// Maps a name to what every provider takes, `^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$`: `/` becomes
/// `__`, other characters `_`, and a name that starts with a digit or `-` gets a `_` in front.
///
/// OpenAI and Anthropic take `^[a-zA-Z0-9_-]{1,64}$` (Anthropic up to 128 since mid-2025);
/// Gemini's `FunctionDeclaration.name` must start with a letter or `_` (its 400:
/// "Invalid function name. Must start with a letter or an underscore. Must be alphameric
/// (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length
/// of 64.", as quoted in cline/cline#7339 for MCP tools named `21st_magic_*`, and in
/// router-for-me/Cli-Proxy-API-Management-Center#120, as of 2026-03-03). One name for every
/// provider keeps a model matrix comparing the same tool set.
pub fn api_name(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 1);
    for c in name.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '-' => s.push(c),
            '/' => s.push_str("__"),
            _ => s.push('_'),
        }
    }
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    truncate(&s, 64).to_owned()
}

fn truncate(s: &str, max: usize) -> &str {
    // The name is ASCII by construction, so byte and character counts agree.
    &s[..s.len().min(max)]
}

/// Drops what only costs tokens (`$schema`) and fills in what APIs insist on.
pub(crate) fn sanitize_schema(schema: &Value) -> Value {
    let mut s = match schema {
        Value::Object(m) => m.clone(),
        _ => serde_json::Map::new(),
    };
    s.remove("$schema");
    s.entry("type").or_insert_with(|| "object".into());
    if s.get("type") == Some(&Value::from("object")) {
        s.entry("properties")
            .or_insert_with(|| Value::Object(Default::default()));
    }
    Value::Object(s)
}

fn hash_tools(tools: &[ToolInfo]) -> String {
    let canonical: Vec<(&str, &str, &Value)> = tools
        .iter()
        .map(|t| (t.api_name.as_str(), t.description.as_str(), &t.input_schema))
        .collect();
    let bytes = serde_json::to_vec(&canonical).expect("tools serialize");
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{}", &hex[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str) -> ServerTool {
        ServerTool {
            name: name.into(),
            description: Some(format!("{name} things")),
            input_schema: json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}),
            ..Default::default()
        }
    }

    #[test]
    fn annotations_say_what_a_call_does_and_none_means_it_writes() {
        let e = |ro: Option<bool>, d: Option<bool>| {
            Annotations::effect(Some(&Annotations {
                read_only_hint: ro,
                destructive_hint: d,
                ..Annotations::default()
            }))
        };
        assert_eq!(e(Some(true), None), Effect::ReadOnly);
        assert_eq!(e(Some(true), Some(true)), Effect::ReadOnly);
        assert_eq!(e(Some(false), None), Effect::Destructive);
        assert_eq!(e(Some(false), Some(false)), Effect::Writes);
        assert_eq!(e(None, Some(true)), Effect::Destructive);
        assert_eq!(e(None, None), Effect::Unannotated);
        assert_eq!(Annotations::effect(None), Effect::Unannotated);
    }

    #[test]
    fn maps_names_to_api_form() {
        assert_eq!(api_name("get-sum"), "get-sum");
        assert_eq!(api_name("fs.read file"), "fs_read_file");
        assert_eq!(api_name("shop/search"), "shop__search");
        assert_eq!(api_name(&"x".repeat(100)).len(), 64);
        assert_eq!(api_name(""), "_");
        // Gemini wants a letter or `_` first.
        assert_eq!(
            api_name("21st_magic_component_builder"),
            "_21st_magic_component_builder"
        );
        assert_eq!(api_name("-x"), "_-x");
        assert_eq!(api_name(&format!("9{}", "x".repeat(100))).len(), 64);
        assert_eq!(api_name("_x"), "_x");
    }

    #[test]
    fn a_name_gemini_refuses_is_mapped_and_says_why() {
        let set = ToolSet::new(vec![(
            "magic".into(),
            vec![tool("21st_magic_component_builder"), tool("4.x")],
        )]);
        let why: Vec<(&str, &str)> = set
            .renamed
            .iter()
            .map(|r| (r.api_name.as_str(), r.reason.as_str()))
            .collect();
        assert_eq!(why[0].0, "_21st_magic_component_builder");
        assert!(
            why[0]
                .1
                .starts_with("Gemini takes a function name only if it starts with a letter or `_`"),
            "{}",
            why[0].1
        );
        assert_eq!(why[1].0, "_4_x");
        assert!(
            why[1].1.starts_with("chat APIs take names of letters"),
            "{}",
            why[1].1
        );
    }

    #[test]
    fn keeps_colliding_names_apart_only_when_needed() {
        let set = ToolSet::new(vec![
            ("a".into(), vec![tool("search"), tool("fs.read")]),
            ("b".into(), vec![tool("search"), tool("other")]),
        ]);
        let names: Vec<(&str, &str)> = set
            .tools
            .iter()
            .map(|t| (t.name.as_str(), t.api_name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("a/search", "a__search"),
                ("fs.read", "fs_read"),
                ("b/search", "b__search"),
                ("other", "other")
            ]
        );
        assert_eq!(set.renamed.len(), 3);
        assert_eq!(set.by_api_name("fs_read").unwrap().server_name, "fs.read");
        assert_eq!(set.by_server_name("search").len(), 2);
    }

    #[test]
    fn api_names_stay_unique_after_mapping() {
        let set = ToolSet::new(vec![("a".into(), vec![tool("x.y"), tool("x_y")])]);
        assert_eq!(set.tools[0].api_name, "x_y");
        assert_eq!(set.tools[1].api_name, "x_y_2");
    }

    #[test]
    fn drops_dollar_schema_and_hashes_what_is_sent() {
        let a = ToolSet::new(vec![("a".into(), vec![tool("t")])]);
        assert_eq!(
            a.tools[0].input_schema,
            json!({"type": "object", "properties": {}})
        );
        let mut changed = tool("t");
        changed.description = Some("different".into());
        let b = ToolSet::new(vec![("a".into(), vec![changed])]);
        assert_ne!(a.hash, b.hash);
        assert_eq!(
            a.hash,
            ToolSet::new(vec![("a".into(), vec![tool("t")])]).hash
        );
    }
}
