//! The report: everything a run produced, and everything a later diff needs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Split, Task};
use crate::mcp::ToolSet;
use crate::record::{ModelInfo, ServerInfo, TrialRecord};
use crate::score::Summary;

/// Bumped whenever a field changes meaning or goes away.
pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Report {
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
    /// What the model's tokens cost, per million, and where the price comes from; absent when
    /// no price is known (the cost is then unknown, never guessed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<crate::record::Price>,
    /// The prices of the models that helped measure (the judge, the simulated users), by model
    /// name; one with no known price is absent, and its tokens are shown unpriced.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub helper_prices: BTreeMap<String, crate::record::Price>,
    /// Accuracy per split (`tune`, `holdout`), when tasks carry one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub splits: BTreeMap<String, SplitRates>,
    /// Accuracy of `generated` and of `hand`-written tasks apart, when the run holds both.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, SplitRates>,
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
    /// The host the tools were presented as; none for the raw API. `tools` then holds the
    /// names the host's model saw (`api_name`) beside the servers' (`name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostInfo>,
}

/// How a host presented the tools in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HostInfo {
    /// The profile's name (`claude-code`), and what it emulates.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tools were deferred behind this search tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_tool: Option<String>,
    /// Tokens of what the host adds to the system prompt (instructions, deferred names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_tokens: Option<usize>,
    /// Tokens of the first request's tool definitions: every tool sent, or the search tool
    /// alone when deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_request_tool_tokens: Option<usize>,
    /// What the host did to tools before any request: left out, names or texts cut.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::host::HostFinding>,
}

impl Report {
    /// The tasks of every suite, run or not.
    pub(crate) fn task_count(&self) -> usize {
        self.suites.iter().map(|s| s.tasks.len()).sum()
    }

    /// How many trials wrote a call as text that was not scored (`recover_text_calls` is off).
    pub(crate) fn text_call_trials(&self) -> usize {
        self.trials
            .iter()
            .filter(|t| {
                t.notes
                    .iter()
                    .any(|n| n.ends_with(crate::record::TEXT_CALL_NOTE))
            })
            .count()
    }

    /// The tasks no trial of which ran (the run stopped before them, or their shard is not in
    /// a merge), in suite order.
    pub(crate) fn not_run(&self) -> Vec<&str> {
        self.summary
            .tasks
            .iter()
            .filter(|t| t.trials == 0)
            .map(|t| t.id.as_str())
            .collect()
    }

    /// What an unfinished run lacks, in a sentence: how many tasks ran and, when some did not,
    /// the first of those; `None` for a finished run.
    pub(crate) fn unfinished(&self) -> Option<String> {
        if self.complete {
            return None;
        }
        let not_run = self.not_run();
        let total = self.task_count();
        let ran = total - not_run.len();
        Some(if not_run.is_empty() {
            format!(
                "the run did not finish: every task ran, some of their {} trial(s) did not",
                self.eval.trials
            )
        } else {
            format!(
                "the run did not finish: {ran} of {total} tasks ran; {} did not ({})",
                not_run.len(),
                first_few(&not_run, 5)
            )
        })
    }
}

/// Accuracy over the tasks of one split.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SplitRates {
    pub tasks: usize,
    pub selection: Option<crate::score::Rate>,
    pub full_call: Option<crate::score::Rate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardInfo {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ToolIdentity {
    pub name: String,
    pub version: String,
}

impl ToolIdentity {
    pub(crate) fn current() -> Self {
        ToolIdentity {
            name: "tooleval".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EvalInfo {
    pub path: String,
    pub trials: u32,
    pub concurrency: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_accuracy: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SuiteInfo {
    pub path: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub tasks: Vec<std::sync::Arc<Task>>,
}

/// The first `n` names, backticked, and how many more.
pub(crate) fn first_few(names: &[&str], n: usize) -> String {
    let shown: Vec<String> = names.iter().take(n).map(|t| format!("`{t}`")).collect();
    match names.len().saturating_sub(n) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}
