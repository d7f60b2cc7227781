//! The lint rules: offline checks on tool definitions, each finding with a rule id, a severity,
//! the tool, a message and a hint.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::similarity::Similarity;
use crate::config::LintConfig;
use crate::error::edit_distance;
use crate::mcp::ToolSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// The tool, or the tools (`a, b`) a finding is about.
    pub tool: String,
    pub message: String,
    pub hint: String,
}

/// Every rule, its severity and what it checks: the `lint.disable` list takes these ids.
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "description-missing",
        Severity::Error,
        "a tool without a description",
    ),
    (
        "description-short",
        Severity::Warning,
        "a description too short to tell the tool apart",
    ),
    (
        "param-undescribed",
        Severity::Warning,
        "an optional parameter without a description",
    ),
    (
        "required-param-undescribed",
        Severity::Error,
        "a required parameter without a description",
    ),
    (
        "enum-in-prose",
        Severity::Warning,
        "allowed values listed in prose where an `enum` belongs",
    ),
    (
        "shared-prefix",
        Severity::Warning,
        "many tools whose names start alike",
    ),
    (
        "similar-names",
        Severity::Warning,
        "names that differ by a character",
    ),
    (
        "similar-descriptions",
        Severity::Warning,
        "descriptions so alike that a model will confuse them",
    ),
    (
        "schema-unsupported",
        Severity::Error,
        "schema features that chat APIs reject",
    ),
    (
        "name-mapped",
        Severity::Info,
        "a name chat APIs do not accept, sent under another name",
    ),
    (
        "strict-mode",
        Severity::Info,
        "a schema that OpenAI strict mode would not accept",
    ),
    (
        "tool-tokens",
        Severity::Warning,
        "a tool definition that costs many tokens",
    ),
    (
        "token-budget",
        Severity::Error,
        "the tool set costs more tokens than `max_tool_tokens`",
    ),
];

pub const DEFAULT_MIN_DESCRIPTION_CHARS: usize = 40;
pub const DEFAULT_SHARED_PREFIX_COUNT: usize = 5;
pub const DEFAULT_SIMILARITY_THRESHOLD: f64 = 0.6;
pub const DEFAULT_MAX_TOKENS_PER_TOOL: usize = 800;

/// Runs every rule not disabled. Tokens must have been counted for the token rules to apply.
pub fn lint(set: &ToolSet, cfg: &LintConfig, max_tool_tokens: Option<usize>) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |rule: &str, tool: &str, message: String, hint: &str| {
        if cfg.disable.iter().any(|d| d == rule) {
            return;
        }
        let severity = RULES
            .iter()
            .find(|r| r.0 == rule)
            .map_or(Severity::Warning, |r| r.1);
        out.push(Finding {
            rule: rule.into(),
            severity,
            tool: tool.into(),
            message,
            hint: hint.into(),
        });
    };
    let min_chars = cfg
        .min_description_chars
        .unwrap_or(DEFAULT_MIN_DESCRIPTION_CHARS);
    for t in &set.tools {
        let desc = t.description.trim();
        if desc.is_empty() {
            push(
                "description-missing",
                &t.name,
                "no description".into(),
                "say what the tool does, when to use it and when to use another tool instead",
            );
        } else if desc.chars().count() < min_chars {
            push(
                "description-short",
                &t.name,
                format!(
                    "the description has {} characters: {desc:?}",
                    desc.chars().count()
                ),
                "a model picks tools by their descriptions: say what it returns and how it differs from its neighbours",
            );
        }
        let required: Vec<&str> = t
            .input_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = t.input_schema.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                let pdesc = p
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim();
                if pdesc.is_empty() {
                    if required.contains(&name.as_str()) {
                        push(
                            "required-param-undescribed",
                            &t.name,
                            format!("required parameter `{name}` has no description"),
                            "say what value it takes, its format and an example",
                        );
                    } else {
                        push(
                            "param-undescribed",
                            &t.name,
                            format!("parameter `{name}` has no description"),
                            "say what it does and what happens when it is left out",
                        );
                    }
                }
                // A pattern or format constrains the value already; then quoted values are examples.
                let constrained = p.get("enum").is_some()
                    || p.get("pattern").is_some()
                    || p.get("format").is_some();
                if !constrained && let Some(values) = values_in_prose(pdesc) {
                    push(
                        "enum-in-prose",
                        &t.name,
                        format!(
                            "parameter `{name}` lists values in prose: {}",
                            values.join(", ")
                        ),
                        "put the allowed values in an `enum`: models follow a schema better than prose",
                    );
                }
            }
        }
        schema_support(&t.name, &t.input_schema, &mut push);
        let open = t.input_schema.get("additionalProperties") != Some(&Value::Bool(false));
        let props: Vec<&String> = t
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        let optional: Vec<&str> = props
            .iter()
            .filter(|p| !required.contains(&p.as_str()))
            .map(|p| p.as_str())
            .collect();
        if open || !optional.is_empty() {
            let mut why = Vec::new();
            if open {
                why.push("`additionalProperties` is not false".to_owned());
            }
            if !optional.is_empty() {
                why.push(format!("`{}` not required", optional.join("`, `")));
            }
            push(
                "strict-mode",
                &t.name,
                format!("not ready for strict mode: {}", why.join("; ")),
                "strict mode needs `additionalProperties: false` and every property required (optional ones typed as a union with null)",
            );
        }
        if let Some(n) = t.tokens {
            let max = cfg
                .max_tokens_per_tool
                .unwrap_or(DEFAULT_MAX_TOKENS_PER_TOOL);
            if n > max {
                push(
                    "tool-tokens",
                    &t.name,
                    format!("the definition costs {n} tokens (more than {max})"),
                    "every request pays for every tool: trim examples and repeated text from the description and schema",
                );
            }
        }
    }
    for r in &set.renamed {
        if r.server_name == r.name {
            push(
                "name-mapped",
                &r.name,
                format!("sent to the model as `{}`", r.api_name),
                "chat APIs accept names of letters, digits, `_` and `-`, up to 64 characters; models see the mapped name",
            );
        }
    }

    // Names that crowd together.
    let shared = cfg
        .shared_prefix_count
        .unwrap_or(DEFAULT_SHARED_PREFIX_COUNT);
    let mut by_prefix: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for t in &set.tools {
        if let Some(p) = prefix(&t.server_name) {
            by_prefix.entry(p).or_default().push(&t.name);
        }
    }
    for (p, names) in by_prefix.iter().filter(|(_, n)| n.len() >= shared) {
        push(
            "shared-prefix",
            &names.join(", "),
            format!("{} tools start with `{p}`", names.len()),
            "names alike up to the object are easy to confuse: make each description say which object and when, or merge them into one tool with a parameter",
        );
    }
    for (i, a) in set.tools.iter().enumerate() {
        for b in &set.tools[i + 1..] {
            let (x, y) = (fold(&a.server_name), fold(&b.server_name));
            if x == y || edit_distance(&x, &y) <= 1 {
                push(
                    "similar-names",
                    &format!("{}, {}", a.name, b.name),
                    format!("`{}` and `{}` differ by a character", a.name, b.name),
                    "rename one so the difference is a word a model can reason about",
                );
            }
        }
    }
    let threshold = cfg
        .similarity_threshold
        .unwrap_or(DEFAULT_SIMILARITY_THRESHOLD);
    for (a, b, s) in Similarity::new(&set.tools).pairs_above(threshold) {
        push(
            "similar-descriptions",
            &format!("{a}, {b}"),
            format!(
                "the descriptions of `{a}` and `{b}` are {:.0}% alike",
                s * 100.0
            ),
            "say in each description when to use it rather than the other",
        );
    }
    if let Some(max) = max_tool_tokens {
        let total = set.total_tokens();
        if total > max {
            push(
                "token-budget",
                "(all)",
                format!("the tool set costs {total} tokens, over the budget of {max}"),
                "shorten the longest definitions (see `tooleval tools`), or expose fewer tools",
            );
        }
    }
    out.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.tool.cmp(&b.tool))
    });
    out
}

/// The first word of a name (`update_user` -> `update_`), or none for one-word names.
fn prefix(name: &str) -> Option<String> {
    let cut = name.find(['_', '-', '.']).or_else(|| {
        // camelCase: the first upper-case letter after the start.
        name.char_indices()
            .skip(1)
            .find(|(_, c)| c.is_uppercase())
            .map(|(i, _)| i)
    })?;
    let sep = name[cut..]
        .chars()
        .next()
        .filter(|c| !c.is_alphanumeric())
        .map(String::from)
        .unwrap_or_default();
    Some(format!("{}{sep}", &name[..cut]))
}

/// A name without case and separators, for comparing.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Values a description lists in prose: two or more quoted words joined by `,`, `or`, `|`, `/`,
/// or three or more bare words joined by `|`.
fn values_in_prose(text: &str) -> Option<Vec<String>> {
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    static PIPES: OnceLock<Regex> = OnceLock::new();
    let quoted = QUOTED.get_or_init(|| Regex::new(r#"["'`]([\w .:-]{1,30})["'`]"#).expect("valid"));
    let pipes = PIPES.get_or_init(|| Regex::new(r"\b\w+(?:\|\w+){2,}\b").expect("valid"));
    if let Some(m) = pipes.find(text) {
        return Some(m.as_str().split('|').map(str::to_owned).collect());
    }
    let caps: Vec<regex::Match> = quoted.find_iter(text).collect();
    // Values given as examples are not a closed set.
    let before = &text[..caps.first()?.start()].to_lowercase();
    if ["e.g", "such as", "for example", "for instance", "like "]
        .iter()
        .any(|cue| before.contains(cue))
    {
        return None;
    }
    for w in caps.windows(2) {
        let between = text[w[0].end()..w[1].start()].trim().to_lowercase();
        if matches!(
            between.as_str(),
            "," | "or" | "|" | "/" | ", or" | "and" | ", and"
        ) {
            let values: Vec<String> = caps
                .iter()
                .map(|m| m.as_str().trim_matches(['"', '\'', '`']).to_owned())
                .collect();
            return Some(values);
        }
    }
    None
}

/// Schema features chat APIs reject in function parameters.
fn schema_support(tool: &str, schema: &Value, push: &mut impl FnMut(&str, &str, String, &str)) {
    match schema.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        other => push(
            "schema-unsupported",
            tool,
            format!(
                "the parameters' top-level type is {}, not `object`",
                other.map_or("missing".into(), Value::to_string)
            ),
            "chat APIs take parameters as an object: wrap the value in a property",
        ),
    }
    for key in ["oneOf", "anyOf", "allOf", "not", "enum"] {
        if schema.get(key).is_some() {
            push(
                "schema-unsupported",
                tool,
                format!("`{key}` at the top level of the parameters"),
                "OpenAI rejects these at the top level: move the choice into a property",
            );
        }
    }
    let text = schema.to_string();
    if text.contains("\"$ref\":\"http") {
        push(
            "schema-unsupported",
            tool,
            "a `$ref` to a remote schema".into(),
            "inline the referenced schema: APIs do not fetch it",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::ServerTool;
    use serde_json::json;

    /// (name, description, input schema)
    type Def<'a> = (&'a str, &'a str, Value);

    fn set(tools: Vec<Def>) -> ToolSet {
        ToolSet::new(vec![(
            "s".into(),
            tools
                .into_iter()
                .map(|(n, d, s)| ServerTool {
                    name: n.into(),
                    description: Some(d.into()),
                    input_schema: s,
                })
                .collect(),
        )])
    }

    fn rules(set: &ToolSet) -> Vec<String> {
        lint(set, &LintConfig::default(), None)
            .into_iter()
            .map(|f| format!("{} {}", f.rule, f.tool))
            .collect()
    }

    const GOOD: &str =
        "Search the archived order records of one customer by date range and status.";

    fn strict(props: Value, required: &[&str]) -> Value {
        json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
    }

    #[test]
    fn a_clean_tool_has_no_findings() {
        let s = set(vec![(
            "find_orders",
            GOOD,
            strict(
                json!({"customer_id": {"type": "string", "description": "The customer's id, e.g. C-1."}}),
                &["customer_id"],
            ),
        )]);
        assert!(rules(&s).is_empty(), "{:?}", rules(&s));
    }

    #[test]
    fn each_rule_fires_on_its_case() {
        let empty = strict(json!({}), &[]);
        let cases: Vec<(Vec<Def>, &str)> = vec![
            (
                vec![("a_tool", "", empty.clone())],
                "description-missing a_tool",
            ),
            (
                vec![("a_tool", "Gets data.", empty.clone())],
                "description-short a_tool",
            ),
            (
                vec![(
                    "a_tool",
                    GOOD,
                    json!({"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": false}),
                )],
                "param-undescribed a_tool",
            ),
            (
                vec![(
                    "a_tool",
                    GOOD,
                    strict(json!({"x": {"type": "string"}}), &["x"]),
                )],
                "required-param-undescribed a_tool",
            ),
            (
                vec![(
                    "a_tool",
                    GOOD,
                    strict(
                        json!({"x": {"type": "string", "description": "Sort order: 'asc' or 'desc'."}}),
                        &["x"],
                    ),
                )],
                "enum-in-prose a_tool",
            ),
            (
                vec![(
                    "a_tool",
                    GOOD,
                    strict(
                        json!({"x": {"type": "string", "description": "One of low|medium|high."}}),
                        &["x"],
                    ),
                )],
                "enum-in-prose a_tool",
            ),
            (
                vec![("a_tool", GOOD, json!({"type": "string"}))],
                "schema-unsupported a_tool",
            ),
            (
                vec![(
                    "a_tool",
                    GOOD,
                    json!({"type": "object", "anyOf": [], "additionalProperties": false}),
                )],
                "schema-unsupported a_tool",
            ),
            (
                vec![("fs.read", GOOD, empty.clone())],
                "name-mapped fs.read",
            ),
            (
                vec![("a_tool", GOOD, json!({"type": "object", "properties": {}}))],
                "strict-mode a_tool",
            ),
            (
                vec![
                    ("get_user", GOOD, empty.clone()),
                    (
                        "get_users",
                        "List every customer account in the billing system by region.",
                        empty.clone(),
                    ),
                ],
                "similar-names get_user, get_users",
            ),
            (
                vec![
                    ("fetch_order", GOOD, empty.clone()),
                    ("load_order", GOOD, empty.clone()),
                ],
                "similar-descriptions fetch_order, load_order",
            ),
            (
                (1..=5)
                    .map(|i| {
                        (
                            ["update_a", "update_b", "update_c", "update_d", "update_e"][i - 1],
                            GOOD,
                            empty.clone(),
                        )
                    })
                    .collect(),
                "shared-prefix update_a, update_b, update_c, update_d, update_e",
            ),
        ];
        for (tools, want) in cases {
            let s = set(tools);
            let got = rules(&s);
            assert!(got.iter().any(|g| g == want), "{want}: {got:?}");
        }
    }

    #[test]
    fn near_misses_do_not_fire() {
        let empty = strict(json!({}), &[]);
        // Four tools sharing a prefix (under 5), names two edits apart, different descriptions,
        // values named without quotes, an enum given.
        let s = set(vec![
            ("update_order", GOOD, empty.clone()),
            (
                "update_invoice",
                "Email an invoice PDF to a customer when their order has shipped.",
                empty.clone(),
            ),
            (
                "update_key",
                "Rotate the signing key of one API client and revoke the old one.",
                empty.clone(),
            ),
            (
                "update_tickets",
                "Count the open support tickets of a team, grouped by priority.",
                strict(
                    json!({
                        "p": {"type": "string", "enum": ["a", "b"], "description": "Priority, 'a' or 'b'."},
                        "w": {"type": "string", "description": "A window such as '1h' or '7d'."},
                        "d": {"type": "string", "pattern": "^[0-9]+[mhd]$", "description": "A duration: '30m', '2h'."}
                    }),
                    &["p", "w", "d"],
                ),
            ),
        ]);
        let got = rules(&s);
        assert!(
            !got.iter().any(|g| g.starts_with("shared-prefix")
                || g.starts_with("similar-")
                || g.starts_with("enum-in-prose")),
            "{got:?}"
        );
    }

    #[test]
    fn tokens_and_budget_and_disabling() {
        let mut s = set(vec![(
            "a_tool",
            &"Explain at length. ".repeat(300),
            strict(json!({}), &[]),
        )]);
        s.count_tokens(crate::tokens::Encoding::O200kBase);
        let f = lint(&s, &LintConfig::default(), Some(100));
        assert!(f.iter().any(|f| f.rule == "tool-tokens"));
        assert!(
            f.iter()
                .any(|f| f.rule == "token-budget" && f.severity == Severity::Error)
        );
        let cfg = LintConfig {
            disable: vec!["tool-tokens".into(), "token-budget".into()],
            ..Default::default()
        };
        assert!(lint(&s, &cfg, Some(100)).is_empty());
        assert!(
            lint(
                &s,
                &LintConfig {
                    max_tokens_per_tool: Some(100_000),
                    ..Default::default()
                },
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix("update_user").as_deref(), Some("update_"));
        assert_eq!(prefix("get-sum").as_deref(), Some("get-"));
        assert_eq!(prefix("getUser").as_deref(), Some("get"));
        assert_eq!(prefix("echo"), None);
    }
}
