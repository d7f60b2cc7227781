//! Two reports in, a diff out: what changed in the tools, what changed in the results, and
//! whether the change is distinguishable from noise.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Report;
use crate::error::{Error, Result};
use crate::mcp::ToolInfo;
use crate::score::{PairedTest, Rate, TaskState, TaskSummary, TrialsByTask};

/// How to compare.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DiffOptions {
    /// Compare the tasks both reports share, even when their suites differ.
    pub common_tasks: bool,
    /// The significance level of the paired test.
    pub alpha: f64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            common_tasks: false,
            alpha: 0.05,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReportDiff {
    pub base: RunIdentity,
    pub head: RunIdentity,
    /// Differences in model or parameters that make the comparison less clean.
    pub warnings: Vec<String>,
    pub tools: ToolChanges,
    /// Servers whose instructions differ, matched by name (none in a diff of older reports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<InstructionChange>,
    pub selection: RateChange,
    pub full_call: RateChange,
    /// Under a deferring host in either run: how often search returned the expected tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_hit: Option<RateChange>,
    /// With conversations in either run and several trials in both: pass@k and pass^k of the
    /// conversation tasks (k the trials of each run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<ConversationChange>,
    /// What each run cost, in US dollars, when either has a price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostChange>,
    /// The paired test on per-task full-call pass rates.
    pub test: Option<PairedTest>,
    /// The same on tool selection.
    pub selection_test: Option<PairedTest>,
    pub tool_stats: Vec<ToolStatChange>,
    pub tasks: Vec<TaskChange>,
    pub counts: BTreeMap<TaskStatus, usize>,
}

/// What each run cost (absent where its price is unknown).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CostChange {
    pub base: Option<f64>,
    pub head: Option<f64>,
    /// The tasks of both runs whose cost changed most (three at most, the largest change
    /// first): id, base and head dollars.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<(String, f64, f64)>,
}

/// The tasks priced in both runs whose cost changed most: three at most, the largest change
/// first; a change under a millionth of a dollar is none.
fn task_cost_changes(base: &Report, head: &Report) -> Vec<(String, f64, f64)> {
    let before: BTreeMap<&str, f64> = base
        .summary
        .tasks
        .iter()
        .filter(|t| t.trials > 0)
        .filter_map(|t| t.cost.map(|c| (t.id.as_str(), c)))
        .collect();
    let mut changed: Vec<(String, f64, f64)> = head
        .summary
        .tasks
        .iter()
        .filter(|t| t.trials > 0)
        .filter_map(|t| {
            let (b, h) = (*before.get(t.id.as_str())?, t.cost?);
            ((h - b).abs() >= 1e-6).then(|| (t.id.clone(), b, h))
        })
        .collect();
    changed.sort_by(|x, y| {
        (y.2 - y.1)
            .abs()
            .total_cmp(&(x.2 - x.1).abs())
            .then_with(|| x.0.cmp(&y.0))
    });
    changed.truncate(3);
    changed
}

/// How the conversations' pass@k and pass^k changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ConversationChange {
    /// The trials per task of the base and head runs.
    pub k: (u32, u32),
    pub pass_at_k: RateChange,
    pub pass_hat_k: RateChange,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunIdentity {
    /// The report's file as the command was given it (`before.json`), when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub model: String,
    pub started_at: String,
    pub tools_hash: String,
    /// The host the tools were presented as; none for the raw API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    pub trials: u32,
    pub tasks: usize,
    pub complete: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ToolChanges {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ToolChange>,
}

impl ToolChanges {
    /// No tool added, removed or changed.
    pub(crate) fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// One tool whose description or schema changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ToolChange {
    pub name: String,
    /// A word-level diff of the description, when it changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub description: Vec<WordChange>,
    /// What changed in the parameters and schema, one sentence each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema: Vec<String>,
}

/// One server whose instructions differ between the runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstructionChange {
    pub server: String,
    /// The base run's instructions; `None`: it had none, or no server of that name.
    #[serde(default)]
    pub old: Option<String>,
    /// The head run's.
    #[serde(default)]
    pub new: Option<String>,
    /// A word-level diff from old to new.
    #[serde(default)]
    pub diff: Vec<WordChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WordChange {
    /// `equal`, `delete` or `insert`.
    pub op: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RateChange {
    pub base: Option<Rate>,
    pub head: Option<Rate>,
    /// head minus base.
    pub diff: Option<f64>,
    /// The interval of the difference, from the per-task paired standard error.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ToolStatChange {
    pub name: String,
    pub precision: (Option<f64>, Option<f64>),
    pub recall: (Option<f64>, Option<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TaskStatus {
    /// Passed every trial in head, not in base.
    Fixed,
    /// Passed every trial in base, not in head.
    Regressed,
    /// Some trials pass in one run or both, and neither run passes it fully.
    Flaky,
    /// Failed every trial in both.
    StillFailing,
    /// Passed every trial in both.
    Passing,
    /// Only in head.
    Added,
    /// Only in base.
    Removed,
    /// No scored trial in one of the runs (errors or not run).
    Unscored,
}

impl TaskStatus {
    /// The statuses worth listing, in the order a reader wants them.
    pub(crate) const LISTED: [TaskStatus; 7] = [
        TaskStatus::Regressed,
        TaskStatus::Fixed,
        TaskStatus::Flaky,
        TaskStatus::StillFailing,
        TaskStatus::Added,
        TaskStatus::Removed,
        TaskStatus::Unscored,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Fixed => "fixed",
            TaskStatus::Regressed => "regressed",
            TaskStatus::Flaky => "flaky",
            TaskStatus::StillFailing => "still failing",
            TaskStatus::Passing => "passing",
            TaskStatus::Added => "added",
            TaskStatus::Removed => "removed",
            TaskStatus::Unscored => "not scored in one run",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskChange {
    pub id: String,
    pub status: TaskStatus,
    pub base_rate: Option<f64>,
    pub head_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_reason: Option<String>,
}

/// Compares two reports.
pub(crate) fn diff_reports(base: &Report, head: &Report, opts: DiffOptions) -> Result<ReportDiff> {
    check_suites(base, head, opts)?;
    let runs = Runs::new(base, head);
    if opts.common_tasks
        && !runs
            .base_tasks
            .keys()
            .any(|k| runs.head_tasks.contains_key(k))
    {
        return Err(Error::usage("the reports share no task", None));
    }
    let mut warnings = warnings(base, head);
    let tasks = runs.task_changes(opts.common_tasks);
    let mut counts = BTreeMap::new();
    for t in &tasks {
        *counts.entry(t.status).or_default() += 1;
    }

    // The paired tests run over tasks scored in both runs.
    let single = base.eval.trials == 1 && head.eval.trials == 1;
    let test = PairedTest::new(&runs.paired_rates(&tasks, false), single, opts.alpha);
    let selection_test = PairedTest::new(&runs.paired_rates(&tasks, true), single, opts.alpha);
    let full_call = rate_change(base.summary.full_call, head.summary.full_call, &test);
    let selection = rate_change(
        base.summary.selection,
        head.summary.selection,
        &selection_test,
    );
    // Like with like: when either run scored tasks the other did not, the change is over the
    // tasks both scored, and the reader is told.
    let paired = test.as_ref().map_or(0, |t| t.tasks);
    let scored = |r: &Report| r.summary.tasks.iter().filter(|t| t.scored() > 0).count();
    let (sb, sh) = (scored(base), scored(head));
    if paired < sb.max(sh) {
        warnings.push(format!(
            "the change and the paired test are over the {paired} task(s) scored in both runs (base scored {sb}, head {sh}); the rates beside them are each run's own"
        ));
    }

    let tools = tool_changes(&base.tools.tools, &head.tools.tools);
    let described_anew = !tools.changed.is_empty() || !tools.added.is_empty();
    if described_anew && head.split == Some(crate::config::Split::Tune) {
        warnings.push(
            "descriptions changed and only the `tune` split ran: tuning to the tasks you check against overfits them; run `--split holdout` before trusting the gain"
                .to_owned(),
        );
    }
    let search_hit = (base.summary.search.is_some() || head.summary.search.is_some()).then(|| {
        let hit = |r: &Report| r.summary.search.as_ref().map(|s| s.hit_rate);
        rate_change(hit(base), hit(head), &None)
    });
    let conv = |r: &Report| r.summary.conversations.filter(|_| r.eval.trials > 1);
    let conversations = (conv(base).is_some() || conv(head).is_some()).then(|| {
        let (b, h) = (conv(base), conv(head));
        ConversationChange {
            k: (base.eval.trials, head.eval.trials),
            pass_at_k: rate_change(
                b.and_then(|c| c.pass_at_k),
                h.and_then(|c| c.pass_at_k),
                &None,
            ),
            pass_hat_k: rate_change(
                b.and_then(|c| c.pass_hat_k),
                h.and_then(|c| c.pass_hat_k),
                &None,
            ),
        }
    });
    let cost = (base.summary.cost.is_some() || head.summary.cost.is_some()).then(|| CostChange {
        base: base.summary.cost_in_all(),
        head: head.summary.cost_in_all(),
        tasks: task_cost_changes(base, head),
    });
    Ok(ReportDiff {
        search_hit,
        conversations,
        cost,
        base: identity(base),
        head: identity(head),
        warnings,
        tools,
        instructions: instruction_changes(&base.servers, &head.servers),
        selection,
        full_call,
        test,
        selection_test,
        tool_stats: tool_stat_changes(base, head),
        tasks,
        counts,
    })
}

/// Two reports hold the same suites, unless only the tasks they share are compared.
fn check_suites(base: &Report, head: &Report, opts: DiffOptions) -> Result<()> {
    let suites = |r: &Report| {
        r.suites
            .iter()
            .map(|s| s.name.clone())
            .collect::<BTreeSet<_>>()
    };
    let (bs, hs) = (suites(base), suites(head));
    if bs != hs && !opts.common_tasks {
        return Err(Error::usage(
            format!(
                "the reports hold different suites (base: {}; head: {})",
                bs.into_iter().collect::<Vec<_>>().join(", "),
                hs.into_iter().collect::<Vec<_>>().join(", ")
            ),
            Some("pass --common-tasks to compare only the tasks both reports share".to_owned()),
        ));
    }
    Ok(())
}

/// Differences in model, parameters, trials or completeness that make the comparison less clean.
fn warnings(base: &Report, head: &Report) -> Vec<String> {
    let mut warnings = Vec::new();
    if base.model.name != head.model.name || base.model.kind != head.model.kind {
        warnings.push(format!(
            "the model differs: {} vs {}",
            base.model.name, head.model.name
        ));
    }
    let host = |r: &Report| {
        r.host
            .as_ref()
            .map_or("raw", |h| h.name.as_str())
            .to_owned()
    };
    if host(base) != host(head) {
        warnings.push(format!(
            "the host differs: {} vs {}; each presented the tools its own way (names, instructions, deferral), and tools are compared by the servers' names",
            host(base),
            host(head)
        ));
    }
    if base.model.base_url != head.model.base_url {
        warnings.push("the model's base URL differs".to_owned());
    }
    if base.model.parameters != head.model.parameters {
        warnings.push(format!(
            "the model parameters differ: {} vs {}",
            serde_json::to_value(&base.model.parameters).unwrap_or_default(),
            serde_json::to_value(&head.model.parameters).unwrap_or_default()
        ));
    }
    if base.eval.trials != head.eval.trials {
        warnings.push(format!(
            "trials per task differ: {} vs {}",
            base.eval.trials, head.eval.trials
        ));
    }
    for (which, r) in [("base", base), ("head", head)] {
        if !r.complete {
            warnings.push(format!("the {which} run did not finish"));
        }
    }
    warnings
}

/// The two reports compared, with their task summaries by id.
struct Runs<'a> {
    base: &'a Report,
    head: &'a Report,
    base_tasks: BTreeMap<&'a str, &'a TaskSummary>,
    head_tasks: BTreeMap<&'a str, &'a TaskSummary>,
    base_trials: TrialsByTask<'a>,
    head_trials: TrialsByTask<'a>,
}

impl<'a> Runs<'a> {
    fn new(base: &'a Report, head: &'a Report) -> Self {
        let by_id = |r: &'a Report| -> BTreeMap<&'a str, &'a TaskSummary> {
            r.summary.tasks.iter().map(|t| (t.id.as_str(), t)).collect()
        };
        Runs {
            base,
            head,
            base_tasks: by_id(base),
            head_tasks: by_id(head),
            base_trials: TrialsByTask::new(&base.trials),
            head_trials: TrialsByTask::new(&head.trials),
        }
    }

    /// Each task's status, rates and reasons; in suite order: head's, then those only in base.
    fn task_changes(&self, common_tasks: bool) -> Vec<TaskChange> {
        let mut order: Vec<&str> = self
            .head
            .summary
            .tasks
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        order.extend(
            self.base
                .summary
                .tasks
                .iter()
                .map(|t| t.id.as_str())
                .filter(|id| !self.head_tasks.contains_key(id)),
        );
        let mut tasks = Vec::new();
        for id in order {
            let (b, h) = (
                self.base_tasks.get(id).copied(),
                self.head_tasks.get(id).copied(),
            );
            if common_tasks && (b.is_none() || h.is_none()) {
                continue;
            }
            let status = match (b, h) {
                (None, Some(_)) => TaskStatus::Added,
                (Some(_), None) => TaskStatus::Removed,
                (Some(b), Some(h)) => status(b.state(), h.state()),
                (None, None) => continue,
            };
            tasks.push(TaskChange {
                id: id.to_owned(),
                status,
                base_rate: b.and_then(|t| t.pass_rate),
                head_rate: h.and_then(|t| t.pass_rate),
                base_reason: b.and_then(|t| t.failure.clone()),
                head_reason: h.and_then(|t| t.failure.clone()),
            });
        }
        tasks
    }

    /// (base, head) full-call or selection rates of the tasks scored in both runs.
    fn paired_rates(&self, tasks: &[TaskChange], selection: bool) -> Vec<(f64, f64)> {
        tasks
            .iter()
            .filter_map(|t| {
                let (b, h) = (
                    self.base_tasks.get(t.id.as_str())?,
                    self.head_tasks.get(t.id.as_str())?,
                );
                Some((
                    task_rate(&self.base_trials, b, selection)?,
                    task_rate(&self.head_trials, h, selection)?,
                ))
            })
            .collect()
    }
}

/// The change from base to head: the paired test's mean change over the tasks scored in both
/// runs and its interval, the same numbers the verdict in words reads (a task scored in one run
/// only is not part of it). Without a test, the difference of the rates, with no interval.
fn rate_change(base: Option<Rate>, head: Option<Rate>, test: &Option<PairedTest>) -> RateChange {
    let (diff, low, high) = match test {
        Some(t) => (Some(t.mean_diff), Some(t.low), Some(t.high)),
        None => (
            base.and_then(|b| b.rate)
                .zip(head.and_then(|h| h.rate))
                .map(|(b, h)| h - b),
            None,
            None,
        ),
    };
    RateChange {
        base,
        head,
        diff,
        low,
        high,
    }
}

/// Precision and recall of each head tool whose rates moved.
fn tool_stat_changes(base: &Report, head: &Report) -> Vec<ToolStatChange> {
    let bt: BTreeMap<&str, _> = base
        .summary
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let mut out = Vec::new();
    for h in &head.summary.tools {
        let b = bt.get(h.name.as_str());
        let pb = b.and_then(|b| b.precision);
        let rb = b.and_then(|b| b.recall);
        if pb != h.precision || rb != h.recall {
            out.push(ToolStatChange {
                name: h.name.clone(),
                precision: (pb, h.precision),
                recall: (rb, h.recall),
            });
        }
    }
    out
}

fn identity(r: &Report) -> RunIdentity {
    RunIdentity {
        file: None,
        model: r.model.name.clone(),
        started_at: r.started_at.clone(),
        tools_hash: r.tools.hash.clone(),
        host: r.host.as_ref().map(|h| h.name.clone()),
        trials: r.eval.trials,
        tasks: r.summary.tasks.len(),
        complete: r.complete,
    }
}

/// A task's pass rate (full call) or selection rate over its scored trials.
fn task_rate(trials: &TrialsByTask, t: &TaskSummary, selection: bool) -> Option<f64> {
    if !selection {
        return t.pass_rate;
    }
    let scored: Vec<bool> = trials
        .of(&t.id)
        .iter()
        .filter(|x| x.outcome != crate::record::Outcome::Error)
        .map(|x| x.outcome.selection_ok())
        .collect();
    (!scored.is_empty()).then(|| scored.iter().filter(|x| **x).count() as f64 / scored.len() as f64)
}

fn status(b: TaskState, h: TaskState) -> TaskStatus {
    use TaskState::*;
    match (b, h) {
        (Unscored, _) | (_, Unscored) => TaskStatus::Unscored,
        (Pass, Pass) => TaskStatus::Passing,
        (Fail, Fail) => TaskStatus::StillFailing,
        (Pass, _) => TaskStatus::Regressed,
        (_, Pass) => TaskStatus::Fixed,
        _ => TaskStatus::Flaky,
    }
}

/// Tools added, removed, and changed in description or schema, matched by name.
pub(crate) fn tool_changes(base: &[ToolInfo], head: &[ToolInfo]) -> ToolChanges {
    let bm: BTreeMap<&str, &ToolInfo> = base.iter().map(|t| (t.name.as_str(), t)).collect();
    let hm: BTreeMap<&str, &ToolInfo> = head.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut out = ToolChanges {
        added: head
            .iter()
            .filter(|t| !bm.contains_key(t.name.as_str()))
            .map(|t| t.name.clone())
            .collect(),
        removed: base
            .iter()
            .filter(|t| !hm.contains_key(t.name.as_str()))
            .map(|t| t.name.clone())
            .collect(),
        changed: vec![],
    };
    for h in head {
        let Some(b) = bm.get(h.name.as_str()) else {
            continue;
        };
        let description = if b.description != h.description {
            word_diff(&b.description, &h.description)
        } else {
            vec![]
        };
        let schema = schema_changes(&b.input_schema, &h.input_schema);
        if !description.is_empty() || !schema.is_empty() {
            out.changed.push(ToolChange {
                name: h.name.clone(),
                description,
                schema,
            });
        }
    }
    out
}

/// The servers whose instructions differ, head's order first, then those only in base; a
/// server missing from one run has none there.
pub(crate) fn instruction_changes(
    base: &[crate::record::ServerInfo],
    head: &[crate::record::ServerInfo],
) -> Vec<InstructionChange> {
    let mut names: Vec<&str> = head.iter().map(|s| s.name.as_str()).collect();
    for s in base {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let text = |servers: &[crate::record::ServerInfo], name: &str| {
        servers
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.instructions.clone())
    };
    names
        .into_iter()
        .filter_map(|name| {
            let (old, new) = (text(base, name), text(head, name));
            (old != new).then(|| InstructionChange {
                server: name.to_owned(),
                diff: word_diff(
                    old.as_deref().unwrap_or_default(),
                    new.as_deref().unwrap_or_default(),
                ),
                old,
                new,
            })
        })
        .collect()
}

/// A word-level diff: deleted and inserted runs joined, across the spaces between them.
pub(crate) fn word_diff(old: &str, new: &str) -> Vec<WordChange> {
    enum Block {
        Same(String),
        Edit(String, String),
    }
    let diff = similar::TextDiff::from_words(old, new);
    let changes: Vec<_> = diff.iter_all_changes().collect();
    let mut blocks: Vec<Block> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let v = c.value();
        let next_is_edit = changes
            .get(i + 1)
            .is_some_and(|n| n.tag() != similar::ChangeTag::Equal);
        match (c.tag(), blocks.last_mut()) {
            // A space between two edits belongs to the edit, so "a b" -> "c d" reads as one change.
            (similar::ChangeTag::Equal, Some(Block::Edit(del, ins)))
                if v.trim().is_empty() && next_is_edit =>
            {
                del.push_str(v);
                ins.push_str(v);
            }
            (similar::ChangeTag::Equal, Some(Block::Same(text))) => text.push_str(v),
            (similar::ChangeTag::Equal, _) => blocks.push(Block::Same(v.to_owned())),
            (tag, Some(Block::Edit(del, ins))) => {
                if tag == similar::ChangeTag::Delete {
                    del.push_str(v)
                } else {
                    ins.push_str(v)
                }
            }
            (tag, _) => blocks.push(if tag == similar::ChangeTag::Delete {
                Block::Edit(v.to_owned(), String::new())
            } else {
                Block::Edit(String::new(), v.to_owned())
            }),
        }
    }
    let mut out: Vec<WordChange> = Vec::new();
    // Each part once, equal text joined: a change of spaces alone is a change too.
    let mut push = |op: &str, text: &str| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => out.push(WordChange {
                op: op.into(),
                text: text.to_owned(),
            }),
        }
    };
    for b in blocks {
        match b {
            Block::Same(text) => push("equal", &text),
            Block::Edit(del, ins) => {
                // A space shared by both sides at the end is common text again.
                let common = del.len() - del.trim_end().len();
                let common = common.min(ins.len() - ins.trim_end().len());
                push("delete", &del[..del.len() - common]);
                push("insert", &ins[..ins.len() - common]);
                push("equal", &del[del.len() - common..]);
            }
        }
    }
    out
}

/// What changed between two input schemas, in sentences.
pub(crate) fn schema_changes(old: &Value, new: &Value) -> Vec<String> {
    let props = |s: &Value| {
        s.get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let required = |s: &Value| -> BTreeSet<String> {
        s.get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (po, pn) = (props(old), props(new));
    let (ro, rn) = (required(old), required(new));
    let mut out = Vec::new();
    for (name, p) in &pn {
        match po.get(name) {
            None => out.push(format!(
                "parameter `{name}` added{}",
                if rn.contains(name) { " (required)" } else { "" }
            )),
            Some(o) if o != p => {
                for key in [
                    "type",
                    "enum",
                    "description",
                    "default",
                    "pattern",
                    "minimum",
                    "maximum",
                    "items",
                    "format",
                ] {
                    if o.get(key) != p.get(key) {
                        // Whole: the JSON diff carries full texts; a table may shorten them.
                        let show =
                            |v: Option<&Value>| v.map_or_else(|| "none".into(), Value::to_string);
                        out.push(format!(
                            "parameter `{name}`: {key} {} -> {}",
                            show(o.get(key)),
                            show(p.get(key))
                        ));
                    }
                }
            }
            Some(_) => {}
        }
    }
    for name in po.keys().filter(|k| !pn.contains_key(*k)) {
        out.push(format!("parameter `{name}` removed"));
    }
    for name in rn.difference(&ro).filter(|n| po.contains_key(*n)) {
        out.push(format!("parameter `{name}` is now required"));
    }
    for name in ro.difference(&rn).filter(|n| pn.contains_key(*n)) {
        out.push(format!("parameter `{name}` is no longer required"));
    }
    let rest = |s: &Value| {
        let mut s = s.as_object().cloned().unwrap_or_default();
        s.remove("properties");
        s.remove("required");
        s
    };
    if rest(old) != rest(new) {
        out.push("other schema keywords changed".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::report::fixtures::{baseline, head, resummarize};

    fn diff(base: &Report, head: &Report) -> ReportDiff {
        diff_reports(base, head, DiffOptions::default()).unwrap()
    }

    #[test]
    fn reports_of_other_suites_compare_only_their_shared_tasks_when_asked() {
        let base = baseline();
        let mut other = baseline();
        other.suites[0].name = "renamed".into();
        let err = diff_reports(&base, &other, DiffOptions::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("the reports hold different suites (base: observability; head: renamed)"),
            "{err}"
        );
        let shared = DiffOptions {
            common_tasks: true,
            ..DiffOptions::default()
        };
        assert_eq!(diff_reports(&base, &other, shared).unwrap().tasks.len(), 40);
    }

    #[test]
    fn tool_changes_and_the_tune_split_warning() {
        let base = baseline();
        assert!(diff(&base, &base).tools.is_empty());
        let changed = head();
        assert!(!diff(&base, &changed).tools.is_empty());
        let overfit = |d: &ReportDiff| d.warnings.iter().any(|w| w.contains("overfits"));
        // Descriptions changed and only `tune` ran: warned.
        let mut tuned = head();
        tuned.split = Some(crate::config::Split::Tune);
        assert!(overfit(&diff(&base, &tuned)));
        // A tool added is a change of descriptions too.
        let mut added = baseline();
        added.split = Some(crate::config::Split::Tune);
        let mut extra = added.tools.tools[0].clone();
        extra.name = "extra_tool".into();
        added.tools.tools.push(extra);
        let d = diff(&base, &added);
        assert_eq!(d.tools.added, ["extra_tool"]);
        assert!(d.tools.changed.is_empty());
        assert!(!d.tools.is_empty());
        assert!(overfit(&d));
        // No change, or every split run: no warning.
        let mut same = baseline();
        same.split = Some(crate::config::Split::Tune);
        assert!(!overfit(&diff(&base, &same)));
        assert!(!overfit(&diff(&base, &changed)));
    }

    /// `r` with each trial run twice, alike.
    fn twice(mut r: Report) -> Report {
        let again: Vec<_> = r
            .trials
            .iter()
            .map(|t| {
                let mut t = t.clone();
                t.trial = 1;
                t
            })
            .collect();
        r.trials.extend(again);
        r.trials
            .sort_by(|a, b| (&a.task, a.trial).cmp(&(&b.task, b.trial)));
        r.eval.trials = 2;
        resummarize(&mut r);
        r
    }

    #[test]
    fn tasks_in_one_report_only_are_added_or_removed_unless_only_shared_ones_count() {
        let base = baseline();
        let mut fewer = baseline();
        let gone = fewer.suites[0].tasks.remove(0).id.clone();
        fewer.trials.retain(|t| t.task != gone);
        resummarize(&mut fewer);
        let status =
            |d: &ReportDiff, id: &str| d.tasks.iter().find(|t| t.id == id).map(|t| t.status);
        let d = diff(&base, &fewer);
        assert_eq!(d.tasks.len(), 40);
        assert_eq!(status(&d, &gone), Some(TaskStatus::Removed));
        let d = diff(&fewer, &base);
        assert_eq!(status(&d, &gone), Some(TaskStatus::Added));
        let shared = DiffOptions {
            common_tasks: true,
            ..DiffOptions::default()
        };
        let d = diff_reports(&base, &fewer, shared).unwrap();
        assert_eq!(d.tasks.len(), 39);
        assert_eq!(status(&d, &gone), None);
    }

    #[test]
    fn without_a_paired_test_the_change_is_the_difference_of_the_rates() {
        // No task shares an id: nothing to pair, so no test; the rates still compare.
        let base = baseline();
        let mut other = baseline();
        for t in &mut other.trials {
            t.task = format!("other-{}", t.task);
            t.outcome = crate::record::Outcome::Pass;
        }
        for t in &mut other.suites[0].tasks {
            std::sync::Arc::make_mut(t).id = format!("other-{}", t.id);
        }
        resummarize(&mut other);
        let d = diff(&base, &other);
        assert!(d.test.is_none());
        let change = d.full_call.diff.expect("a change");
        assert!((change - (1.0 - 0.175)).abs() < 1e-9, "{change}");
    }

    #[test]
    fn a_task_selection_rate_is_over_its_trials() {
        // Two trials a task; one task's second trial picks the wrong tool: its selection rate
        // falls from 1 to 1/2, the mean change over 40 tasks by 1/80.
        let base = twice(baseline());
        let mut head = base.clone();
        let t = head
            .trials
            .iter_mut()
            .find(|t| t.outcome == crate::record::Outcome::Pass && t.trial == 1)
            .unwrap();
        t.outcome = crate::record::Outcome::WrongTool;
        resummarize(&mut head);
        let d = diff(&base, &head);
        let test = d.selection_test.expect("a paired test");
        assert!(
            (test.mean_diff + 1.0 / 80.0).abs() < 1e-9,
            "{}",
            test.mean_diff
        );
    }

    #[test]
    fn a_tool_whose_description_alone_changed_is_listed() {
        let base = baseline();
        let mut head = baseline();
        head.tools.tools[0].description.push_str(" More.");
        let d = diff(&base, &head);
        assert_eq!(d.tools.changed.len(), 1);
        assert!(d.tools.changed[0].schema.is_empty());
        let mut head = baseline();
        head.tools.tools[0].input_schema["required"] = json!(["x"]);
        let d = diff(&base, &head);
        assert_eq!(d.tools.changed.len(), 1);
        assert!(d.tools.changed[0].description.is_empty());
    }

    #[test]
    fn a_word_diff_rebuilds_both_texts() {
        let pairs = [
            ("Returns recent logs.", "Streams the newest logs live."),
            ("Get logs  now", "Get data now"),
            ("one two three", "one  two three "),
            ("a b c d", "a x y d"),
            ("a y b", "a x  b"),
            ("trailing ", "trailing"),
            ("", "new text"),
            ("old text", ""),
            (
                "Search logs by level. Use for errors.",
                "Search logs by level and time. Use it for errors and warnings.",
            ),
        ];
        for (old, new) in pairs {
            let d = word_diff(old, new);
            let side = |skip: &str| -> String {
                d.iter()
                    .filter(|c| c.op != skip)
                    .map(|c| c.text.as_str())
                    .collect()
            };
            assert_eq!(side("insert"), old, "{d:?}");
            assert_eq!(side("delete"), new, "{d:?}");
            assert!(d.iter().all(|c| !c.text.is_empty()), "{d:?}");
        }
    }

    #[test]
    fn another_model_kind_is_a_warning() {
        let base = baseline();
        assert!(diff(&base, &base).warnings.is_empty());
        let mut other = baseline();
        other.model.kind = "openai-compatible".into();
        let d = diff(&base, &other);
        assert!(
            d.warnings
                .iter()
                .any(|w| w.starts_with("the model differs")),
            "{:?}",
            d.warnings
        );
    }

    #[test]
    fn one_trial_a_side_is_compared_by_mcnemar_else_by_a_paired_t() {
        let base = baseline();
        let d = diff(&base, &head());
        assert_eq!(
            d.test.as_ref().unwrap().method,
            "McNemar score test, Tango interval"
        );
        let mut more = head();
        more.eval.trials = 2;
        let d = diff(&base, &more);
        assert_eq!(d.test.as_ref().unwrap().method, "paired t over tasks");
    }

    #[test]
    fn a_task_scored_on_one_side_only_is_left_out_and_said() {
        let base = baseline();
        let mut errored = baseline();
        for t in &mut errored.trials {
            if t.task == "traces-by-id" {
                t.outcome = crate::record::Outcome::Error;
            }
        }
        resummarize(&mut errored);
        let d = diff(&base, &errored);
        assert_eq!(d.test.as_ref().unwrap().tasks, 39);
        assert!(
            d.warnings
                .iter()
                .any(|w| w
                    .contains("over the 39 task(s) scored in both runs (base scored 40, head 39)")),
            "{:?}",
            d.warnings
        );
        assert!(
            !diff(&base, &base)
                .warnings
                .iter()
                .any(|w| w.contains("scored in both"))
        );
    }

    #[test]
    fn a_changed_parameter_description_is_carried_whole() {
        let long = "Which details to return: owner, version, dependencies, runbook, on-call rota, \
                    SLOs and the last deploy; all of them if omitted, which costs more tokens.";
        let old = json!({"properties": {"fields": {"description": "Which details to return."}}});
        let new = json!({"properties": {"fields": {"description": long}}});
        let changes = schema_changes(&old, &new);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].contains(long), "{changes:?}");
        assert!(!changes[0].contains('…'), "{changes:?}");
    }

    #[test]
    fn task_status_table() {
        use TaskState::*;
        let cases = [
            (Pass, Pass, TaskStatus::Passing),
            (Fail, Pass, TaskStatus::Fixed),
            (Flaky, Pass, TaskStatus::Fixed),
            (Pass, Fail, TaskStatus::Regressed),
            (Pass, Flaky, TaskStatus::Regressed),
            (Fail, Fail, TaskStatus::StillFailing),
            (Fail, Flaky, TaskStatus::Flaky),
            (Flaky, Fail, TaskStatus::Flaky),
            (Flaky, Flaky, TaskStatus::Flaky),
            (Unscored, Pass, TaskStatus::Unscored),
            (Pass, Unscored, TaskStatus::Unscored),
        ];
        for (b, h, want) in cases {
            assert_eq!(status(b, h), want, "{b:?} -> {h:?}");
        }
    }

    #[test]
    fn words_and_schemas_diff() {
        let d = word_diff(
            "Returns recent logs for a service.",
            "Streams the newest logs of a service live.",
        );
        let text: String = d
            .iter()
            .map(|c| match c.op.as_str() {
                "delete" => format!("[-{}-]", c.text),
                "insert" => format!("{{+{}+}}", c.text),
                _ => c.text.clone(),
            })
            .collect();
        assert_eq!(
            text,
            "[-Returns recent-]{+Streams the newest+} logs [-for-]{+of+} a [-service.-]{+service live.+}"
        );
        let same: Vec<String> = word_diff("a b", "a b").into_iter().map(|c| c.op).collect();
        assert_eq!(same, ["equal"]);
        let old = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]});
        let new = json!({"type": "object", "properties": {"a": {"type": "string", "enum": ["x"]}, "c": {"type": "string"}}, "required": ["a", "c"], "additionalProperties": false});
        assert_eq!(
            schema_changes(&old, &new),
            [
                "parameter `a`: enum none -> [\"x\"]",
                "parameter `c` added (required)",
                "parameter `b` removed",
                "other schema keywords changed"
            ]
        );
        assert!(schema_changes(&old, &old).is_empty());
    }
}
