//! A model matrix: several models asked the same suite in one run. Accuracy per model with its
//! interval, every pair of models compared by the paired test on the tasks both ran, and the
//! tasks x models grid, with the tasks where the models disagree.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{DiffOptions, Report, TaskStatus, ToolIdentity, diff_reports};
use crate::record::{ModelInfo, Outcome};
use crate::score::{PairedTest, Rate, TaskSummary};

/// Bumped whenever a field changes meaning or goes away.
pub(crate) const MATRIX_SCHEMA_VERSION: u32 = 1;

/// The combined summary of a model matrix, written beside the models' reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Matrix {
    pub schema_version: u32,
    /// Always `matrix`: tells this file from a run's, a sweep's or an improve report.
    pub kind: String,
    pub tooleval: ToolIdentity,
    pub eval: String,
    pub started_at: String,
    /// The tool set every model was offered (as the servers listed it).
    pub tools_hash: String,
    pub trials: u32,
    /// What the entries differ in: `model`, or `host` (one model under several hosts).
    #[serde(default = "model_axis")]
    pub axis: String,
    pub models: Vec<MatrixModel>,
    /// Every pair of models, in the order listed: `b` against `a`.
    pub pairs: Vec<MatrixPair>,
    /// Every task, in suite order, with each model's result.
    pub tasks: Vec<MatrixTask>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MatrixModel {
    /// How the tables name the model: its name, with the provider when two share a name.
    pub label: String,
    pub model: ModelInfo,
    /// The model's own report (a run report: `diff` takes any two).
    pub report: String,
    pub complete: bool,
    pub selection: Option<Rate>,
    pub full_call: Option<Rate>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// What the entry's run cost in all, in US dollars, at its models' prices (absent: the
    /// measured model's price is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// Tools whose schemas this model's API was sent converted.
    #[serde(default)]
    pub converted_tools: usize,
    /// The host the tools were presented as (none: the raw API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Under a deferring host: how often search returned the expected tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_hit_rate: Option<Rate>,
    /// Tokens of the tool definitions in the first request (the search tool alone when
    /// deferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_request_tool_tokens: Option<usize>,
}

fn model_axis() -> String {
    "model".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MatrixPair {
    pub a: String,
    pub b: String,
    /// The paired test on per-task full-call pass rates, `b` minus `a`, over the tasks both
    /// scored; `None` when there are none.
    pub test: Option<PairedTest>,
    /// Tasks `a` passes on every trial and `b` does not.
    pub a_better: Vec<String>,
    /// Tasks `b` passes on every trial and `a` does not.
    pub b_better: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MatrixTask {
    pub id: String,
    pub suite: String,
    /// One cell per model, in the models' order; `None` where the model did not score it.
    pub cells: Vec<Option<MatrixCell>>,
    /// The models' results differ (some pass every trial and some do not, or pass rates
    /// differ).
    pub disagree: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct MatrixCell {
    pub passes: usize,
    pub scored: usize,
    /// The outcome of a task run once (`correct`, `wrong_tool`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl MatrixCell {
    fn of(t: &TaskSummary) -> Option<MatrixCell> {
        let scored = t.scored();
        (scored > 0).then(|| MatrixCell {
            passes: t.passes,
            scored,
            outcome: match (t.outcomes.len(), t.outcomes.keys().next()) {
                (1, Some(o)) if scored == 1 => Some(o),
                _ => None,
            },
        })
    }

    /// `correct`, `wrong_tool`... for one trial; else `passes/scored`.
    pub(crate) fn short(&self) -> String {
        match self.outcome {
            Some(o) => o.as_str().to_owned(),
            None => format!("{}/{}", self.passes, self.scored),
        }
    }
}

impl MatrixModel {
    /// Dollars per passing trial: what one full-call pass cost on this entry.
    pub(crate) fn cost_per_pass(&self) -> Option<f64> {
        let passes = self.full_call?.successes;
        self.cost.filter(|_| passes > 0).map(|c| c / passes as f64)
    }

    /// The provider as the eval names it (`openai`, `anthropic`, `gemini`), or `baseline`.
    pub(crate) fn provider(&self) -> &str {
        provider_name(&self.model.kind)
    }
}

/// A model's kind as the eval names its provider: `openai` for `openai-compatible`.
pub(crate) fn provider_name(kind: &str) -> &str {
    match kind {
        "openai-compatible" => "openai",
        other => other,
    }
}

/// The labels of the models: each name, with the provider where names repeat.
pub(crate) fn matrix_labels(models: &[ModelInfo]) -> Vec<String> {
    models
        .iter()
        .map(|m| {
            if models.iter().filter(|o| o.name == m.name).count() > 1 {
                format!("{} ({})", m.name, provider_name(&m.kind))
            } else {
                m.name.clone()
            }
        })
        .collect()
}

/// The matrix of `reports` (each with the path it was written to), compared at `alpha`.
pub(crate) fn build_matrix(reports: &[(&Report, String)], alpha: f64) -> Matrix {
    let infos: Vec<ModelInfo> = reports.iter().map(|(r, _)| r.model.clone()).collect();
    let host = |r: &Report| {
        r.host
            .as_ref()
            .map_or("raw", |h| h.name.as_str())
            .to_owned()
    };
    let by_host = reports.windows(2).any(|w| host(w[0].0) != host(w[1].0));
    let labels = if by_host {
        reports.iter().map(|(r, _)| host(r)).collect()
    } else {
        matrix_labels(&infos)
    };
    let first = reports.first().map(|(r, _)| *r);
    let models = reports
        .iter()
        .zip(&labels)
        .map(|((r, path), label)| MatrixModel {
            label: label.clone(),
            model: r.model.clone(),
            report: path.clone(),
            complete: r.complete,
            selection: r.summary.selection,
            full_call: r.summary.full_call,
            prompt_tokens: r.summary.tokens.prompt,
            completion_tokens: r.summary.tokens.completion,
            cost: r.summary.cost_in_all(),
            converted_tools: r.tools.converted.as_ref().map_or(0, |c| c.tools.len()),
            host: r.host.as_ref().map(|h| h.name.clone()),
            search_hit_rate: r.summary.search.as_ref().map(|s| s.hit_rate),
            first_request_tool_tokens: r
                .host
                .as_ref()
                .and_then(|h| h.first_request_tool_tokens)
                .or_else(|| Some(r.tools.total_tokens()).filter(|n| *n > 0)),
        })
        .collect();
    let mut pairs = Vec::new();
    for i in 0..reports.len() {
        for j in i + 1..reports.len() {
            pairs.push(pair(
                reports[i].0,
                reports[j].0,
                &labels[i],
                &labels[j],
                alpha,
            ));
        }
    }
    let by_id: Vec<HashMap<&str, &TaskSummary>> = reports
        .iter()
        .map(|(r, _)| r.summary.tasks.iter().map(|t| (t.id.as_str(), t)).collect())
        .collect();
    let tasks = first
        .map(|r| {
            r.suites
                .iter()
                .flat_map(|s| s.tasks.iter().map(move |t| (s.name.clone(), t.id.clone())))
                .map(|(suite, id)| {
                    let cells: Vec<Option<MatrixCell>> = by_id
                        .iter()
                        .map(|m| m.get(id.as_str()).and_then(|t| MatrixCell::of(t)))
                        .collect();
                    let rates: Vec<f64> = cells
                        .iter()
                        .flatten()
                        .map(|c| c.passes as f64 / c.scored as f64)
                        .collect();
                    let disagree = rates.windows(2).any(|w| (w[0] - w[1]).abs() > 1e-9);
                    MatrixTask {
                        id,
                        suite,
                        cells,
                        disagree,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Matrix {
        schema_version: MATRIX_SCHEMA_VERSION,
        kind: "matrix".into(),
        tooleval: ToolIdentity::current(),
        eval: first.map(|r| r.eval.path.clone()).unwrap_or_default(),
        started_at: first.map(|r| r.started_at.clone()).unwrap_or_default(),
        tools_hash: first.map(|r| r.tools.hash.clone()).unwrap_or_default(),
        trials: first.map_or(1, |r| r.eval.trials),
        axis: if by_host { "host" } else { "model" }.into(),
        models,
        pairs,
        tasks,
    }
}

/// `b` against `a` on the tasks both scored.
fn pair(a: &Report, b: &Report, la: &str, lb: &str, alpha: f64) -> MatrixPair {
    let opts = DiffOptions {
        common_tasks: true,
        alpha,
    };
    let (test, mut a_better, mut b_better) = (None, Vec::new(), Vec::new());
    let Ok(d) = diff_reports(a, b, opts) else {
        return MatrixPair {
            a: la.to_owned(),
            b: lb.to_owned(),
            test,
            a_better,
            b_better,
        };
    };
    for t in &d.tasks {
        match t.status {
            TaskStatus::Fixed => b_better.push(t.id.clone()),
            TaskStatus::Regressed => a_better.push(t.id.clone()),
            _ => {}
        }
    }
    MatrixPair {
        a: la.to_owned(),
        b: lb.to_owned(),
        test: d.test,
        a_better,
        b_better,
    }
}

impl MatrixPair {
    /// Each model of the pair with the tasks it passes where the other does not (`b` first, as
    /// the pair is named), leaving out a model that has none.
    pub(crate) fn better(&self) -> impl Iterator<Item = (&str, &[String])> {
        [(&self.b, &self.b_better), (&self.a, &self.a_better)]
            .into_iter()
            .filter(|(_, tasks)| !tasks.is_empty())
            .map(|(who, tasks)| (who.as_str(), tasks.as_slice()))
    }
}

impl Matrix {
    /// The tasks where the models disagree.
    pub(crate) fn disagreements(&self) -> impl Iterator<Item = &MatrixTask> {
        self.tasks.iter().filter(|t| t.disagree)
    }
}
