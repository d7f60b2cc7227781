//! A deferring host's search tool, answered by tooleval: the query read from the call, the
//! tools ranked as the profile says (BM25, a regex, Claude Code's keyword scores, or a
//! selection by name), and the result the model is shown.

use regex::RegexBuilder;
use serde_json::Value;

use crate::config::{Ranking, Returns, SearchTool};
use crate::mcp::{Index, ToolInfo, ToolSet, split_identifier};

/// The search tool of a presentation, with what it ranks.
#[derive(Debug)]
pub(crate) struct Search {
    pub spec: SearchTool,
    /// The most searches a trial may make.
    pub max_searches: u32,
    /// The tool as the model is offered it.
    pub tool: ToolInfo,
    /// With Anthropic's API, its own search instead of this one (single-turn tasks).
    pub native: Option<crate::config::NativeSearch>,
    index: Option<Index>,
}

/// A search answered: the query, the tools returned (indexes into the presented set, best
/// first), and the result's text for the model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchAnswer {
    pub query: String,
    pub returned: Vec<usize>,
    pub text: String,
    pub error: Option<String>,
}

impl Search {
    pub(crate) fn new(
        spec: &SearchTool,
        max_searches: u32,
        native: Option<crate::config::NativeSearch>,
        set: &ToolSet,
    ) -> Search {
        let tool = ToolInfo {
            name: spec.name.clone(),
            api_name: spec.name.clone(),
            server: String::new(),
            server_name: spec.name.clone(),
            description: spec.description.clone(),
            input_schema: spec.input_schema.clone(),
            schema_dialect: None,
            tokens: None,
            overridden: vec![],
            annotations: None,
        };
        let index = (spec.ranking == Ranking::Bm25).then(|| Index::weighted(set, &spec.weights));
        Search {
            spec: spec.clone(),
            max_searches,
            tool,
            native,
            index,
        }
    }

    /// Whether a call (by the name the model wrote) is to the search tool.
    pub(crate) fn is_search(&self, api_name: &str) -> bool {
        api_name == self.spec.name
    }

    /// Answers a call of the search tool with `arguments` (as the model wrote them) over the
    /// presented `set`.
    pub(crate) fn answer(&self, arguments: &str, set: &ToolSet) -> SearchAnswer {
        let args: Value = serde_json::from_str(arguments).unwrap_or(Value::Null);
        let query = args
            .get(&self.spec.query)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_owned();
        if query.is_empty() {
            let why = format!("`{}` needs a `{}` text", self.spec.name, self.spec.query);
            return SearchAnswer {
                query,
                returned: vec![],
                text: format!("Error: {why}"),
                error: Some(why),
            };
        }
        let limit = self
            .spec
            .limit_argument
            .as_ref()
            .and_then(|a| args.get(a))
            .and_then(Value::as_u64)
            .map_or(self.spec.results, |n| (n as usize).max(1));
        let found = match self.spec.select_prefix.as_deref() {
            Some(prefix) if query.starts_with(prefix) => Ok(select(&query[prefix.len()..], set)),
            _ => self.rank(&query, set).map(|mut r| {
                r.truncate(limit);
                r
            }),
        };
        match found {
            Err(why) => SearchAnswer {
                query,
                returned: vec![],
                text: format!("Error: {why}"),
                error: Some(why),
            },
            Ok(returned) => {
                let text = self.result_text(&returned, set);
                SearchAnswer {
                    query,
                    returned,
                    text,
                    error: None,
                }
            }
        }
    }

    /// Tools for a query, best first, those that match at all.
    fn rank(&self, query: &str, set: &ToolSet) -> Result<Vec<usize>, String> {
        match self.spec.ranking {
            Ranking::Bm25 => {
                let index = self.index.as_ref().expect("built for bm25");
                Ok(index
                    .rank(query)
                    .into_iter()
                    .filter(|(_, s)| *s > 0.0)
                    .map(|(i, _)| i)
                    .collect())
            }
            Ranking::Regex => {
                let re = RegexBuilder::new(query)
                    .case_insensitive(true)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("the query is not a valid regex: {e}"))?;
                Ok(set
                    .tools
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| re.is_match(&t.api_name) || re.is_match(&t.description))
                    .map(|(i, _)| i)
                    .collect())
            }
            Ranking::Keywords => Ok(keywords(query, set)),
        }
    }

    fn result_text(&self, returned: &[usize], set: &ToolSet) -> String {
        if returned.is_empty() {
            return "No matching deferred tools found".into();
        }
        let lines: Vec<String> = returned
            .iter()
            .map(|&i| {
                let t = &set.tools[i];
                match self.spec.returns {
                    Returns::Names => t.api_name.clone(),
                    Returns::Summaries => {
                        format!("{}: {}", t.api_name, first_sentence(&t.description))
                    }
                }
            })
            .collect();
        format!(
            "Loaded {} tool(s), callable from now on:\n{}",
            lines.len(),
            lines.join("\n")
        )
    }
}

fn first_sentence(text: &str) -> &str {
    let end = text
        .find(". ")
        .map_or(text.len(), |i| i + 1)
        .min(text.find('\n').unwrap_or(text.len()));
    &text[..end]
}

/// `select:a,b`: the tools of those names (as the model sees them, or the servers' own).
fn select(list: &str, set: &ToolSet) -> Vec<usize> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if let Some(i) = set
            .tools
            .iter()
            .position(|t| t.api_name == name || t.server_name == name)
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

/// The words of a name, lower-cased: split at `_`, `-`, `.` and lower-to-upper case changes.
/// An MCP tool's name (`mcp__server__tool`) without its `mcp` prefix, which every such name
/// shares: Claude Code splits the name at `__` into the server's and the tool's parts.
fn name_parts(name: &str) -> Vec<String> {
    let name = name.strip_prefix("mcp__").unwrap_or(name);
    split_identifier(name)
        .split_whitespace()
        .map(str::to_lowercase)
        .collect()
}

/// Claude Code's keyword scores, as an analysis of its source describes them: an exact name
/// returns that tool; per query word, 12 when it is a whole part of the name, 6 when a part
/// holds it, 2 when the description does; a `+word` must be in the name. Ties keep the
/// servers' order.
fn keywords(query: &str, set: &ToolSet) -> Vec<usize> {
    let q = query.trim();
    if let Some(i) = set
        .tools
        .iter()
        .position(|t| t.api_name.eq_ignore_ascii_case(q))
    {
        return vec![i];
    }
    let mut required = Vec::new();
    let mut words = Vec::new();
    for w in q.split_whitespace() {
        match w.strip_prefix('+') {
            Some(r) if !r.is_empty() => required.push(r.to_lowercase()),
            _ => words.push(w.to_lowercase()),
        }
    }
    let mut scored: Vec<(usize, u32)> = Vec::new();
    for (i, t) in set.tools.iter().enumerate() {
        let parts = name_parts(&t.api_name);
        let lower_name = t.api_name.to_lowercase();
        if !required.iter().all(|r| lower_name.contains(r.as_str())) {
            continue;
        }
        let description = t.description.to_lowercase();
        let mut score = 0;
        for w in words.iter().chain(&required) {
            if parts.iter().any(|p| p == w) {
                score += 12;
            } else if parts.iter().any(|p| p.contains(w.as_str())) {
                score += 6;
            }
            if description.contains(w.as_str()) {
                score += 2;
            }
        }
        if score > 0 {
            scored.push((i, score));
        }
    }
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(i, _)| i).collect()
}
