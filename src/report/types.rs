//! The report: everything a run produced, and everything a later diff needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Split, Task};
use crate::mcp::ToolSet;
use crate::score::{Outcome, Summary};

/// Bumped whenever a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tooleval: ToolIdentity,
    pub started_at: String,
    pub finished_at: String,
    /// False when the run was interrupted or could not finish: the trials hold what was obtained.
    pub complete: bool,
    pub eval: EvalInfo,
    pub model: ModelInfo,
    pub servers: Vec<ServerInfo>,
    pub tools: ToolSet,
    pub suites: Vec<SuiteInfo>,
    pub trials: Vec<TrialRecord>,
    pub summary: Summary,
    /// Accuracy per split (`tune`, `holdout`), when tasks carry one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub splits: BTreeMap<String, SplitRates>,
    /// Set on the report of `run --shard I/N`: it holds only that part of the trials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// The eval file's token budget for the tool set, checked by the gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_tokens: Option<usize>,
    /// The descriptions variant this run used (`original` for the servers' own texts), and the
    /// file it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions_file: Option<String>,
    /// The eval file's lint settings, which the confusion hints follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lint: Option<crate::config::LintConfig>,
    /// The split the run was limited to (`run --split`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
}

/// Accuracy over the tasks of one split.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SplitRates {
    pub tasks: usize,
    pub selection: Option<crate::score::Rate>,
    pub full_call: Option<crate::score::Rate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

impl Report {
    /// Recomputes the summary from the trials (after a merge, for instance).
    pub fn resummarize(&mut self) {
        let order: Vec<(String, String)> = self
            .suites
            .iter()
            .flat_map(|s| s.tasks.iter().map(move |t| (s.name.clone(), t.id.clone())))
            .collect();
        let names: Vec<String> = self.tools.tools.iter().map(|t| t.name.clone()).collect();
        self.summary =
            crate::score::summarize(&self.trials, &order, &names, self.eval.min_accuracy);
        self.explain_confusions();
        self.splits = self.split_rates(&order, &names);
    }

    /// Accuracy per split, when tasks carry one: tune and holdout are read apart.
    fn split_rates(
        &self,
        order: &[(String, String)],
        names: &[String],
    ) -> BTreeMap<String, SplitRates> {
        let mut out = BTreeMap::new();
        let tasks: Vec<&Task> = self.suites.iter().flat_map(|s| &s.tasks).collect();
        for split in [Split::Tune, Split::Holdout] {
            let ids: Vec<&str> = tasks
                .iter()
                .filter(|t| t.split == Some(split))
                .map(|t| t.id.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let trials: Vec<TrialRecord> = self
                .trials
                .iter()
                .filter(|t| ids.contains(&t.task.as_str()))
                .cloned()
                .collect();
            let order: Vec<(String, String)> = order
                .iter()
                .filter(|(_, id)| ids.contains(&id.as_str()))
                .cloned()
                .collect();
            let s = crate::score::summarize(&trials, &order, names, None);
            out.insert(
                split.as_str().to_owned(),
                SplitRates {
                    tasks: ids.len(),
                    selection: s.selection,
                    full_call: s.full_call,
                },
            );
        }
        out
    }

    /// Adds to each confusion the similarity of the two descriptions and the lint findings about
    /// the pair: where an author learns which two descriptions to pull apart.
    fn explain_confusions(&mut self) {
        let sim = crate::lint::Similarity::new(&self.tools.tools);
        let findings = crate::lint::lint(&self.tools, &self.lint.clone().unwrap_or_default(), None);
        for c in &mut self.summary.confusions {
            c.similarity = sim.between(&c.expected, &c.chosen);
            c.hints = findings
                .iter()
                .filter(|f| f.tools.contains(&c.expected) && f.tools.contains(&c.chosen))
                .map(|f| format!("{}: {}", f.rule, f.message))
                .collect();
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToolIdentity {
    pub name: String,
    pub version: String,
}

impl ToolIdentity {
    pub fn current() -> Self {
        ToolIdentity {
            name: "tooleval".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalInfo {
    pub path: String,
    pub trials: u32,
    pub concurrency: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_accuracy: Option<f64>,
}

/// Who answered. Never holds the API key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    /// `baseline` (offline lexical ranking, not an LLM) or `openai-compatible`.
    pub kind: String,
    /// What the model is, when a reader could mistake it (the baseline is not an LLM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The API's scheme, host, port and path; never credentials or query strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The request parameters that can change answers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerInfo {
    pub name: String,
    /// `stdio` or `streamable-http`.
    pub transport: String,
    /// The command line (as written in the eval file, `${VAR}` unexpanded) or the URL.
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    pub tool_count: usize,
    /// Tokens of this server's tool definitions as sent, summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_tokens: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuiteInfo {
    pub path: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub tasks: Vec<Task>,
}

/// One trial of one task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialRecord {
    pub task: String,
    pub suite: String,
    /// 0-based.
    pub trial: u32,
    pub outcome: Outcome,
    pub reason: String,
    /// The tools of the expectation judged against.
    pub expected: Vec<String>,
    /// The tools called, by the suite's names (or the model's, for tools no server offers).
    pub called: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    pub latency_ms: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Failed attempts retried before this outcome (429, 5xx, timeouts).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
    /// The reply came from the response cache.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What the model answered, as it answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplyRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    /// The name as the model wrote it.
    pub name: String,
    /// The arguments as the model wrote them (a JSON text, possibly malformed).
    pub arguments: String,
    /// True when the call was recovered from the reply's text, not from `tool_calls`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}
