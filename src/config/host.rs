//! Host profiles: how a host (Claude Code, VS Code, Cursor, an agent of one's own) presents MCP
//! tools to its model. Names formed and limited, a cap on the tools, where the servers'
//! instructions go, and deferral behind a tool search. The built-in profiles are the files of
//! `hosts/` in the repository, compiled in; a user's own is a file of the same form.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::yaml::parse_yaml;
use crate::error::{Diagnostic, Error, Result};

/// The built-in profiles: (name, the file's text). `raw` first: today's behaviour, every tool as
/// the API takes it.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("raw", include_str!("../../hosts/raw.yaml")),
    ("claude-code", include_str!("../../hosts/claude-code.yaml")),
    (
        "claude-code-auto",
        include_str!("../../hosts/claude-code-auto.yaml"),
    ),
    ("vscode", include_str!("../../hosts/vscode.yaml")),
    ("cursor", include_str!("../../hosts/cursor.yaml")),
    ("copilot-cli", include_str!("../../hosts/copilot-cli.yaml")),
];

/// How a host presents tools to its model. Every part left out is presented as the raw API
/// takes it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HostProfile {
    /// The profile's name, as reports, tables and `--host` name the host.
    pub name: String,
    /// What it emulates, in words (`Claude Code 2.x`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// How a tool's name is formed from its server's name and its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<NameRule>,
    /// What the host does to tool descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions: Option<DescriptionRule>,
    /// Where each server's `instructions` go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<InstructionsRule>,
    /// The most tools the host sends in one request, and what it does past them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<ToolCap>,
    /// Whether tool definitions are held back behind a search tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferral: Option<Deferral>,
}

/// How the name a model sees is formed, and what the host does with a name it cannot send.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameRule {
    /// The name's form: `{server}` and `{tool}` are replaced by the server's name and the tool's
    /// (each mapped as `map` says), e.g. `mcp__{server}__{tool}`. Default `{tool}`.
    #[serde(default = "default_template")]
    pub template: String,
    /// The parts whose characters outside `allowed` become `replacement`: `server`, `tool`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub map: Vec<NamePart>,
    /// The server's part is lower-cased first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub server_lowercase: bool,
    /// The server's part is cut to this many characters (after mapping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_max_chars: Option<usize>,
    /// The characters a mapped part keeps, as the inside of a regex class (`a-zA-Z0-9_-`).
    #[serde(default = "default_allowed")]
    pub allowed: String,
    /// What replaces each other character of a mapped part.
    #[serde(default = "default_replacement")]
    pub replacement: String,
    /// The longest name the host sends, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// What the host does with a longer name: `drop` the tool, `truncate` the name, or `refuse`
    /// every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub too_long: Option<Violation>,
    /// A regex every name must match once formed (e.g. `^[a-zA-Z0-9_-]{1,128}$`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// What the host does with a name that does not match `pattern`: `drop` the tool or
    /// `refuse` every request (`truncate` is not an answer to a bad character).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid: Option<Violation>,
}

fn default_template() -> String {
    "{tool}".into()
}

fn default_allowed() -> String {
    "a-zA-Z0-9_-".into()
}

fn default_replacement() -> String {
    "_".into()
}

/// What a host does to tool descriptions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescriptionRule {
    /// Descriptions longer than this many characters are cut to it.
    pub max_chars: usize,
    /// What is put after a cut description.
    #[serde(default)]
    pub suffix: String,
}

/// A part of a formed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NamePart {
    Server,
    Tool,
}

/// What a host does with a tool it cannot send as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Violation {
    /// The tool is left out; the rest go.
    Drop,
    /// The name is cut to the limit.
    Truncate,
    /// No request goes at all: the host fails.
    Refuse,
}

/// Where the servers' `instructions` go.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstructionsRule {
    /// `system` (appended to the system prompt), `tool_description` (appended to the
    /// description of each of the server's tools) or `none`.
    pub place: InstructionsPlace,
    /// Each server's part: `{server}` and `{instructions}` replaced. Default
    /// `## {server}\n{instructions}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// A heading before every server's part, in the system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// Instructions longer than this many characters are cut to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<usize>,
}

/// Where a host puts server instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum InstructionsPlace {
    System,
    ToolDescription,
    None,
}

/// A cap on the tools in one request.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolCap {
    /// The most tools one request carries.
    pub max: usize,
    /// Past it: `first` (the first `max` tools go, in the servers' order) or `refuse` (no
    /// request goes).
    pub past: CapAction,
}

/// What a host does past its tool cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CapAction {
    First,
    Refuse,
}

/// Tool definitions held back behind a search tool: the model sees the search tool (and what
/// `visible` says) and gets full definitions of the tools a search returns, from the next turn.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Deferral {
    /// `off`, `always`, or `auto`: when the tool definitions pass `auto_share` of
    /// `context_tokens`.
    pub mode: DeferralMode,
    /// `auto`: the share (0 to 1) of the context window past which tools are deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub auto_share: Option<f64>,
    /// `auto`: the context window's size in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_tokens: Option<usize>,
    /// What the model sees of a deferred tool before a search: `names` (listed in the system
    /// prompt) or `nothing`.
    #[serde(default = "default_visible")]
    pub visible: Visible,
    /// The text before the list of deferred names, in the system prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names_heading: Option<String>,
    /// The search tool the host offers.
    pub search: SearchTool,
    /// Single-turn tasks: the most replies that only search (or call a tool not yet loaded)
    /// before the next reply is scored. In agent mode the turn limit bounds them.
    #[serde(default = "default_max_searches")]
    pub max_searches: u32,
    /// With `provider: anthropic`, single-turn tasks use the Messages API's own tool search
    /// instead of tooleval's emulation: every tool is sent with `defer_loading: true` beside
    /// the API's search tool (`anthropic_bm25` or `anthropic_regex`), and the API searches.
    /// Other providers, and agent tasks, use the emulation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<NativeSearch>,
}

/// The Messages API's own tool search tools (https://platform.claude.com/docs/en/agents-and-tools/tool-use/tool-search-tool,
/// generally available, no beta header; seen 2026-12-06).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NativeSearch {
    /// `tool_search_tool_bm25_20251119`: natural-language queries.
    AnthropicBm25,
    /// `tool_search_tool_regex_20251119`: Python `re.search()` patterns.
    AnthropicRegex,
}

impl NativeSearch {
    /// The tool's `type` and `name` in the `tools` array.
    pub(crate) fn tool(self) -> (&'static str, &'static str) {
        match self {
            NativeSearch::AnthropicBm25 => {
                ("tool_search_tool_bm25_20251119", "tool_search_tool_bm25")
            }
            NativeSearch::AnthropicRegex => {
                ("tool_search_tool_regex_20251119", "tool_search_tool_regex")
            }
        }
    }
}

fn default_visible() -> Visible {
    Visible::Names
}

fn default_max_searches() -> u32 {
    3
}

/// When a host defers tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DeferralMode {
    Off,
    Always,
    Auto,
}

/// What stays visible of a deferred tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Visible {
    Names,
    Nothing,
}

/// The search tool a deferring host offers, and how it answers.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchTool {
    /// Its name, as the model calls it.
    pub name: String,
    /// Its description, as the model reads it.
    pub description: String,
    /// Its input schema (JSON Schema of an object).
    pub input_schema: serde_json::Value,
    /// The argument that holds the query.
    #[serde(default = "default_query")]
    pub query: String,
    /// The argument that sets how many tools to return, if the tool has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_argument: Option<String>,
    /// How many tools a search returns unless the model asks for fewer or more.
    pub results: usize,
    /// A query starting with this selects tools by name, comma-separated
    /// (`select:Read,Edit`), instead of searching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_prefix: Option<String>,
    /// How tools are ranked for a query: `bm25`, `regex` or `keywords`.
    pub ranking: Ranking,
    /// `bm25`: the weight of each field of a tool.
    #[serde(default = "Weights::standard")]
    pub weights: Weights,
    /// What the search result tells the model: `names` of the tools now loaded, or `summaries`
    /// (each name with its description's first sentence).
    #[serde(default = "default_returns")]
    pub returns: Returns,
}

fn default_query() -> String {
    "query".into()
}

fn default_returns() -> Returns {
    Returns::Names
}

/// How a search ranks tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Ranking {
    /// BM25 over the tools' names, descriptions and parameters, weighted by `weights`.
    Bm25,
    /// The query is a regex (case-insensitive) matched against each tool's name and
    /// description; matches in the servers' order.
    Regex,
    /// Claude Code's keyword scoring: each query word scores 12 when it is a whole part of the
    /// tool's name, 6 when it is inside one, 2 when the description holds it; a `+word` must be
    /// in the name.
    Keywords,
}

/// What a search result says of each tool it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Returns {
    Names,
    Summaries,
}

/// The weight of each field of a tool in a BM25 ranking.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Weights {
    /// The tool's name, split into words.
    pub name: f64,
    /// Its description.
    pub description: f64,
    /// Its parameters' names and descriptions.
    pub parameters: f64,
}

impl Weights {
    /// The offline baseline's weights: the name counts double, parameters half.
    pub(crate) fn standard() -> Weights {
        Weights {
            name: 2.0,
            description: 1.0,
            parameters: 0.5,
        }
    }
}

impl HostProfile {
    /// A built-in profile by name, or a profile file by path (relative to `base`): a value with
    /// a `/` or ending in `.yaml`/`.yml` is a path.
    pub(crate) fn resolve(value: &str, base: &Path) -> Result<HostProfile> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == value) {
            return HostProfile::parse(&PathBuf::from(format!("hosts/{value}.yaml")), text);
        }
        let is_path = value.contains('/') || value.ends_with(".yaml") || value.ends_with(".yml");
        if !is_path {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            return Err(Error::Usage {
                message: format!("no host profile is named `{value}`"),
                hint: Some(format!(
                    "the built-in profiles are {}; or give a profile file's path (`./hosts/ours.yaml`)",
                    names.join(", ")
                )),
            });
        }
        let path = if base == Path::new(".") {
            PathBuf::from(value)
        } else {
            base.join(value)
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::Input(vec![
                Diagnostic::new(&path, format!("cannot read the host profile: {e}"))
                    .with_hint("`tooleval schema host` prints the JSON Schema a profile follows; docs/hosts.md shows one"),
            ])
        })?;
        HostProfile::parse(&path, &text)
    }

    /// A profile from its text; `path` names it in errors.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<HostProfile> {
        let profile: HostProfile = parse_yaml(path, text)?;
        profile.check(path)?;
        Ok(profile)
    }

    /// Whether the profile changes nothing: the raw API's presentation.
    pub(crate) fn is_raw(&self) -> bool {
        self.names.is_none()
            && self.instructions.is_none()
            && self.cap.is_none()
            && self
                .deferral
                .as_ref()
                .is_none_or(|d| d.mode == DeferralMode::Off)
    }

    /// What serde cannot check: the regexes compile, a template names the tool, the numbers
    /// make sense.
    fn check(&self, path: &Path) -> Result<()> {
        let mut problems = Vec::new();
        if let Some(n) = &self.names {
            if !n.template.contains("{tool}") {
                problems.push(format!(
                    "names.template `{}` must contain `{{tool}}`",
                    n.template
                ));
            }
            if let Err(e) = regex::Regex::new(&format!("[^{}]", n.allowed)) {
                problems.push(format!(
                    "names.allowed `{}` is not a regex character class: {e}",
                    n.allowed
                ));
            }
            if let Some(p) = &n.pattern
                && let Err(e) = regex::Regex::new(p)
            {
                problems.push(format!("names.pattern `{p}` is not a regex: {e}"));
            }
            if n.invalid == Some(Violation::Truncate) {
                problems.push("names.invalid cannot be `truncate`: a name that breaks the pattern is dropped or refused".into());
            }
            if n.pattern.is_some() != n.invalid.is_some() {
                problems.push("names.pattern and names.invalid go together".into());
            }
            if n.max_length.is_some() != n.too_long.is_some() {
                problems.push("names.max_length and names.too_long go together".into());
            }
        }
        if let Some(d) = &self.deferral {
            if d.mode == DeferralMode::Auto
                && (d.auto_share.is_none() || d.context_tokens.is_none())
            {
                problems
                    .push("deferral.mode `auto` needs `auto_share` and `context_tokens`".into());
            }
            if d.search.results == 0 {
                problems.push("deferral.search.results must be at least 1".into());
            }
            if d.search.input_schema.get("type").and_then(|t| t.as_str()) != Some("object") {
                problems
                    .push("deferral.search.input_schema must be a schema of `type: object`".into());
            }
        }
        if let Some(c) = &self.cap
            && c.max == 0
        {
            problems.push("cap.max must be at least 1".into());
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::Input(
            problems
                .into_iter()
                .map(|p| {
                    Diagnostic::new(path, format!("host profile `{}`: {p}", self.name))
                        .with_hint("docs/hosts.md describes every field of a profile")
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_loads_and_is_named_as_its_file() {
        for (name, text) in BUILTIN {
            let p = HostProfile::parse(Path::new(name), text)
                .unwrap_or_else(|e| panic!("hosts/{name}.yaml: {e:?}"));
            assert_eq!(p.name, *name);
        }
        let raw = HostProfile::resolve("raw", Path::new(".")).unwrap();
        assert!(raw.is_raw());
        let cc = HostProfile::resolve("claude-code", Path::new(".")).unwrap();
        assert!(!cc.is_raw());
    }

    #[test]
    fn an_unknown_name_lists_the_builtin_profiles() {
        let e = HostProfile::resolve("claud-code", Path::new(".")).unwrap_err();
        let text = format!("{e}");
        assert!(text.contains("`claud-code`"), "{text}");
        assert!(
            format!("{e:?}").contains("claude-code, claude-code-auto, vscode"),
            "{e:?}"
        );
    }

    #[test]
    fn what_serde_cannot_check_is_refused_with_the_field() {
        let e = HostProfile::parse(
            Path::new("h.yaml"),
            "name: h\nnames: {template: 'x_{server}', pattern: '[', invalid: truncate}\n",
        )
        .unwrap_err();
        let text = format!("{e:?}");
        assert!(text.contains("must contain `{tool}`"), "{text}");
        assert!(text.contains("names.pattern `[` is not a regex"), "{text}");
        assert!(text.contains("cannot be `truncate`"), "{text}");
    }
}
