//! The sweep report: accuracy and token cost at each tool-set size, per strategy.

use serde::{Deserialize, Serialize};

use super::{EvalInfo, ToolIdentity};
use crate::record::{ModelInfo, Outcome};
use crate::score::Rate;

pub(crate) const SWEEP_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SweepReport {
    pub schema_version: u32,
    /// Always `sweep`, to tell it from a run report.
    pub kind: String,
    pub tooleval: ToolIdentity,
    pub started_at: String,
    pub finished_at: String,
    pub complete: bool,
    pub eval: EvalInfo,
    pub model: ModelInfo,
    /// The host each set was presented as; none for the raw API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub seed: u64,
    /// The tools the suite's expectations name: in every tool set.
    pub needed: Vec<String>,
    /// How many distractors there were to draw from.
    pub distractors: usize,
    pub encoding: String,
    pub points: Vec<SweepPoint>,
    /// For each line and task that passed at the smallest size: the first size where it failed.
    pub breaks: Vec<TaskBreak>,
}

/// One tool-set size under one strategy.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SweepPoint {
    /// `random` or `similar`, with `+retrieveK` when retrieval ran first.
    pub line: String,
    pub strategy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieve: Option<usize>,
    /// Tools offered (the requested size, or the needed tools when the size is smaller).
    pub size: usize,
    /// The sizes asked for that this point stands for, when it is not just `size` (sizes below
    /// what the suite needs, or above what is available, come to one set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asked: Vec<usize>,
    /// The tools, in the order sent.
    pub tools: Vec<String>,
    /// Tokens of the tool definitions one request carries: the whole set, or with retrieval first
    /// the mean over prompts of the K tools kept, or under a host that deferred the set, the
    /// first request's (its search tool).
    pub tool_tokens: usize,
    /// The host deferred this set behind its search tool.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
    /// Under deferral: how often search returned the expected tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_hit_rate: Option<Rate>,
    pub selection: Option<Rate>,
    pub full_call: Option<Rate>,
    /// Mean prompt tokens per request as the model reported them, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<f64>,
    pub latency_ms: f64,
    pub errors: usize,
    /// Tasks that did not pass every trial.
    pub failing: Vec<String>,
    pub trials: Vec<TrialOutcome>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TrialOutcome {
    pub task: String,
    pub trial: u32,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskBreak {
    pub line: String,
    pub task: String,
    pub size: usize,
}
