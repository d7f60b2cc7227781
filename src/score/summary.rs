//! Aggregates over trials: accuracy with intervals, per task, per tool, confusions.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::cost::TokenTotals;
use super::stats::Rate;
use crate::record::{Outcome, OutcomeCounts, TrialRecord};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Summary {
    /// Trials run, errors included.
    pub trials: usize,
    /// Trials that ended in an infrastructure error; excluded from every rate.
    pub errors: usize,
    /// The model chose the right tools.
    pub selection: Option<Rate>,
    /// The right tools with the right arguments.
    pub full_call: Option<Rate>,
    pub outcomes: OutcomeCounts,
    pub tasks: Vec<TaskSummary>,
    pub tools: Vec<ToolStats>,
    pub confusions: Vec<Confusion>,
    /// Tasks where some trials passed and some did not: listed apart, never hidden in an average.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flaky: Vec<String>,
    /// Share of tasks with some passing trial (pass@k) and with every trial passing (pass^k).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_at_k: Option<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_hat_k: Option<Rate>,
    pub tokens: TokenTotals,
    /// What the model's tokens cost at the report's `price`; absent when the price is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<super::CostTotals>,
    /// The tokens of the models that helped measure (the judge, simulated users), each apart,
    /// with their cost when their price is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub helpers: Vec<super::HelperCost>,
    /// Failed attempts retried, over all trials.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u64,
    /// Trials answered from the response cache.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached: u64,
    /// Over the agent trials, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentTotals>,
    /// Over the conversations (scripted turns, simulated users), when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversations: Option<ConversationTotals>,
    /// Over the trials whose tools a host deferred behind its search, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<super::SearchTotals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_accuracy: Option<f64>,
    /// Whether full-call accuracy reached `min_accuracy` (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meets_min_accuracy: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TaskSummary {
    pub id: String,
    pub suite: String,
    pub trials: usize,
    pub passes: usize,
    pub errors: usize,
    /// Passes over trials without errors; absent when every trial errored.
    pub pass_rate: Option<f64>,
    pub outcomes: OutcomeCounts,
    /// The reason of the most common failing outcome, if any trial failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// pass@k: some of the k scored trials passed (k = the trials run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_at_k: Option<bool>,
    /// pass^k: all k scored trials passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_hat_k: Option<bool>,
    /// What the task's trials cost, in US dollars, at the report's price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

/// Where a task stands over its trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TaskState {
    /// Every scored trial passed.
    Pass,
    /// Some scored trials passed, some did not.
    Flaky,
    /// No scored trial passed.
    Fail,
    /// No trial was scored (not run, or every trial errored).
    Unscored,
}

impl TaskSummary {
    pub(crate) fn scored(&self) -> usize {
        self.trials - self.errors
    }

    pub(crate) fn state(&self) -> TaskState {
        match (self.scored(), self.passes) {
            (0, _) => TaskState::Unscored,
            (n, p) if p == n => TaskState::Pass,
            (_, 0) => TaskState::Fail,
            _ => TaskState::Flaky,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ToolStats {
    pub name: String,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// The model chose `chosen` where `expected` was wanted. `(none)` stands for no tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Confusion {
    pub expected: String,
    pub chosen: String,
    pub count: usize,
    /// How alike the two descriptions read (0 to 1), when both are tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// Lint findings about this pair: where to start pulling the descriptions apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

/// What the agent trials of a run did, summed over them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AgentTotals {
    /// Agent trials.
    pub trials: u64,
    /// Model replies, over every turn of every trial.
    pub turns: u64,
    /// Calls the model made, and how they were answered.
    pub calls: u64,
    pub executed: u64,
    pub mocked: u64,
    /// Calls answered from the cache without asking the server (a replay).
    pub replayed: u64,
    /// Calls that stopped a loop (may not run, no mock).
    pub refused: u64,
    /// Calls of a tool no server offers, or with arguments that are not a JSON object.
    pub rejected: u64,
    /// The same tool with the same arguments again, within a trial.
    pub redundant_calls: u64,
    pub tool_errors: u64,
    /// Results cut at `max_result_bytes`.
    pub cut_results: u64,
    /// Time waiting for the model and for tools, in milliseconds.
    pub model_ms: u64,
    pub tool_ms: u64,
    /// The judge's verdicts over the answers it graded (pass over pass and fail), with its
    /// interval; apart from the outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<Rate>,
    /// Answers the judge gave no verdict on (it failed, or its reply could not be read).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub judge_errors: u64,
    /// Trials whose model made a forbidden or refused call right after a tool result that
    /// carried instructions (`AgentRecord::injection`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub followed_injection: u64,
}

impl AgentTotals {
    /// The totals of the agent trials among `trials`; `None` when there are none.
    pub(crate) fn of(trials: &[TrialRecord]) -> Option<AgentTotals> {
        use crate::record::CallHow;
        use crate::record::JudgeVerdict;
        let mut t = AgentTotals::default();
        let (mut judged, mut passed) = (0usize, 0usize);
        for a in trials.iter().filter_map(|t| t.agent.as_deref()) {
            match a.judge.as_ref().map(|j| j.verdict) {
                Some(JudgeVerdict::Pass) => (judged, passed) = (judged + 1, passed + 1),
                Some(JudgeVerdict::Fail) => judged += 1,
                Some(JudgeVerdict::Error) => t.judge_errors += 1,
                None => {}
            }
            t.trials += 1;
            t.followed_injection += u64::from(a.injection.is_some());
            t.turns += a.turns.len() as u64;
            t.redundant_calls += u64::from(a.redundant_calls);
            t.tool_errors += u64::from(a.tool_errors);
            t.model_ms += a.model_ms;
            t.tool_ms += a.tool_ms;
            for c in a.calls() {
                t.calls += 1;
                *match c.how {
                    CallHow::Executed => &mut t.executed,
                    CallHow::Mocked => &mut t.mocked,
                    CallHow::Replayed => &mut t.replayed,
                    CallHow::Refused => &mut t.refused,
                    CallHow::Rejected => &mut t.rejected,
                    CallHow::Searched => continue,
                } += 1;
                t.cut_results += u64::from(c.cut_from.is_some());
            }
        }
        if judged > 0 {
            t.judge = Some(Rate::new(passed, judged));
        }
        (t.trials > 0).then_some(t)
    }
}

/// What the conversations of a run did: their pass rates over trials (pass@k and pass^k, the
/// share of conversation tasks with some and with every trial passing), and the measures of
/// a simulated user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConversationTotals {
    /// Conversation tasks, and their trials (errors included).
    pub tasks: u64,
    pub trials: u64,
    /// Passing conversations over scored ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_rate: Option<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_at_k: Option<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_hat_k: Option<Rate>,
    /// The user's messages, the prompts included, over every conversation.
    pub user_turns: u64,
    /// The model's answers that asked the user something.
    pub questions: u64,
    /// Simulated users: the user models' tokens, apart from the assistant's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tokens: Option<TokenTotals>,
    /// Simulated users: conversations whose user said its goal was met, over those played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_met: Option<Rate>,
    /// Simulated users: the mean user messages until the goal was met, over those that met it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_turns_to_goal: Option<f64>,
    /// Simulated users: conversations with no invented argument, over those where an argument
    /// was asked for or invented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked_before_acting: Option<Rate>,
}

impl ConversationTotals {
    /// The totals over the conversation trials among `trials`; `None` when there are none.
    pub(crate) fn of(trials: &[TrialRecord], tasks: &[TaskSummary]) -> Option<ConversationTotals> {
        let mut t = ConversationTotals::default();
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        let (mut scored, mut passed) = (0, 0);
        let (mut played, mut met, mut to_goal) = (0, 0, 0u64);
        let (mut checked, mut asked_ok) = (0, 0);
        for (rec, d) in trials.iter().filter_map(|r| {
            r.agent
                .as_deref()
                .and_then(|a| a.dialogue.as_deref())
                .map(|d| (r, d))
        }) {
            ids.insert(&rec.task);
            t.trials += 1;
            t.user_turns += u64::from(d.user_turns);
            t.questions += u64::from(d.questions);
            if rec.outcome != Outcome::Error {
                scored += 1;
                passed += usize::from(rec.outcome == Outcome::Pass);
            }
            if d.user_model.is_some() {
                played += 1;
                if let Some(n) = d.turns_to_goal {
                    met += 1;
                    to_goal += u64::from(n);
                }
            }
            if let Some(u) = d.user_usage {
                t.user_tokens.get_or_insert_default().add(&u);
            }
            if let Some(a) = &d.asked {
                checked += 1;
                asked_ok += usize::from(a.passed);
            }
        }
        if t.trials == 0 {
            return None;
        }
        t.tasks = ids.len() as u64;
        let conv: Vec<TaskSummary> = tasks
            .iter()
            .filter(|s| ids.contains(s.id.as_str()))
            .cloned()
            .collect();
        let (at, hat) = pass_k_rates(&conv);
        (t.pass_at_k, t.pass_hat_k) = (Some(at), Some(hat));
        t.pass_rate = (scored > 0).then(|| Rate::new(passed, scored));
        t.goal_met = (played > 0).then(|| Rate::new(met, played));
        t.mean_turns_to_goal = (met > 0).then(|| to_goal as f64 / met as f64);
        t.asked_before_acting = (checked > 0).then(|| Rate::new(asked_ok, checked));
        Some(t)
    }
}

impl Summary {
    /// What the run cost in all: the measured model's replies and those of the helpers with a
    /// known price; `None` when the model's price is unknown.
    pub(crate) fn cost_in_all(&self) -> Option<f64> {
        let helped: f64 = self.helpers.iter().filter_map(|h| h.dollars).sum();
        self.cost.map(|c| c.dollars + helped)
    }
}

pub(crate) const NO_TOOL: &str = "(none)";

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Summarizes trials. `task_order` lists (suite, task id) in suite order, so tasks without
/// trials (an interrupted run) still appear.
pub(crate) fn summarize(
    trials: &[TrialRecord],
    task_order: &[(&str, &str)],
    tool_names: &[String],
    min_accuracy: Option<f64>,
) -> Summary {
    let scored: Vec<&TrialRecord> = trials
        .iter()
        .filter(|t| t.outcome != Outcome::Error)
        .collect();
    let by_task = TrialsByTask::new(trials);
    let selection = by_task.clustered_rate(task_order, Outcome::selection_ok);
    let full_call = by_task.clustered_rate(task_order, |o| o == Outcome::Pass);
    let tasks: Vec<TaskSummary> = task_order
        .iter()
        .map(|(suite, id)| summarize_task(suite, id, by_task.of(id)))
        .collect();
    let meets_min_accuracy = min_accuracy.map(|m| full_call.rate.is_some_and(|r| r + 1e-12 >= m));
    let flaky = tasks
        .iter()
        .filter(|t| t.state() == TaskState::Flaky)
        .map(|t| t.id.clone())
        .collect();
    let (pass_at_k, pass_hat_k) = pass_k_rates(&tasks);
    let conversations = ConversationTotals::of(trials, &tasks);
    Summary {
        trials: trials.len(),
        errors: trials.len() - scored.len(),
        selection: Some(selection),
        full_call: Some(full_call),
        outcomes: count_outcomes(trials),
        tasks,
        tools: tool_stats(&scored, tool_names),
        confusions: confusions(&scored),
        flaky,
        pass_at_k: Some(pass_at_k),
        pass_hat_k: Some(pass_hat_k),
        tokens: token_totals(trials),
        cost: None,
        helpers: super::cost::helper_tokens(trials),
        retries: trials.iter().map(|t| u64::from(t.retries)).sum(),
        cached: trials.iter().filter(|t| t.cached).count() as u64,
        agent: AgentTotals::of(trials),
        conversations,
        search: super::SearchTotals::of(trials),
        min_accuracy,
        meets_min_accuracy,
    }
}

#[cfg(test)]
thread_local! {
    /// Trials handed out by the index on this thread: the test hook that keeps summarizing
    /// linear (each test runs on a thread of its own).
    static VISITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The trials of each task, in run order, gathered once: every step that needs a task's trials
/// looks them up here; scanning every trial per task made summaries quadratic. The trials lie
/// in one vector, task after task, so a 100,000-task run makes no vector per task.
pub(crate) struct TrialsByTask<'a> {
    /// Each task's slot, in the order tasks first appear.
    slots: HashMap<&'a str, usize>,
    /// Where each slot's trials start in `trials`; one more entry than slots, for the end.
    starts: Vec<usize>,
    trials: Vec<&'a TrialRecord>,
}

impl<'a> TrialsByTask<'a> {
    pub(crate) fn new(trials: &'a [TrialRecord]) -> Self {
        #[cfg(test)]
        VISITS.with(|v| v.set(v.get() + trials.len()));
        let mut slots: HashMap<&str, usize> = HashMap::new();
        let mut counts: Vec<usize> = Vec::new();
        let slot_of: Vec<usize> = trials
            .iter()
            .map(|t| {
                let next = slots.len();
                let slot = *slots.entry(t.task.as_str()).or_insert(next);
                if slot == counts.len() {
                    counts.push(0);
                }
                counts[slot] += 1;
                slot
            })
            .collect();
        let mut starts = Vec::with_capacity(counts.len() + 1);
        let mut at = 0;
        for c in &counts {
            starts.push(at);
            at += c;
        }
        starts.push(at);
        // Filled slot by slot in run order: a task's trials keep the order they ran in.
        let mut cursor = starts.clone();
        let mut grouped: Vec<Option<&TrialRecord>> = vec![None; trials.len()];
        for (t, slot) in trials.iter().zip(slot_of) {
            grouped[cursor[slot]] = Some(t);
            cursor[slot] += 1;
        }
        TrialsByTask {
            slots,
            starts,
            trials: grouped.into_iter().flatten().collect(),
        }
    }

    /// The trials of task `id` (matched by id alone, whatever the suite), in run order.
    pub(crate) fn of(&self, id: &str) -> &[&'a TrialRecord] {
        let found = self.slots.get(id).map_or(&[][..], |&s| {
            &self.trials[self.starts[s]..self.starts[s + 1]]
        });
        #[cfg(test)]
        VISITS.with(|v| v.set(v.get() + found.len()));
        found
    }

    /// The share of scored trials for which `ok` holds, clustered by task in `task_order`:
    /// trials of one task are not independent.
    fn clustered_rate(&self, task_order: &[(&str, &str)], ok: fn(Outcome) -> bool) -> Rate {
        let (mut values, mut lens) = (Vec::new(), Vec::new());
        for (_, id) in task_order {
            let before = values.len();
            values.extend(
                self.of(id)
                    .iter()
                    .filter(|t| t.outcome != Outcome::Error)
                    .map(|t| ok(t.outcome)),
            );
            if values.len() > before {
                lens.push(values.len() - before);
            }
        }
        Rate::clustered(&values, &lens)
    }
}

/// How many trials ended in each outcome.
fn count_outcomes<'a>(trials: impl IntoIterator<Item = &'a TrialRecord>) -> OutcomeCounts {
    trials.into_iter().map(|t| t.outcome).collect()
}

/// One task over its trials (`mine`, in run order; empty when it never ran).
fn summarize_task(suite: &str, id: &str, mine: &[&TrialRecord]) -> TaskSummary {
    let oc = count_outcomes(mine.iter().copied());
    let errors = oc.get(&Outcome::Error).unwrap_or(0);
    let passes = oc.get(&Outcome::Pass).unwrap_or(0);
    let n = mine.len() - errors;
    // The most common outcome other than a pass speaks for the task (ties go to the one nearest
    // a pass); its first trial gives the reason.
    let failure = oc
        .iter()
        .filter(|(o, _)| *o != Outcome::Pass)
        .max_by_key(|(o, c)| (*c, std::cmp::Reverse(*o)))
        .and_then(|(o, _)| mine.iter().find(|t| t.outcome == o))
        .map(|t| format!("{}: {}", t.outcome.as_str(), t.reason));
    TaskSummary {
        id: id.to_owned(),
        suite: suite.to_owned(),
        trials: mine.len(),
        passes,
        errors,
        pass_rate: (n > 0).then(|| passes as f64 / n as f64),
        outcomes: oc,
        failure,
        pass_at_k: (n > 0).then_some(passes > 0),
        pass_hat_k: (n > 0).then_some(passes == n),
        cost: None,
    }
}

/// The distinct tools a trial expected and called.
fn tool_sets(t: &TrialRecord) -> (BTreeSet<&str>, BTreeSet<&str>) {
    (
        t.expected.iter().map(String::as_str).collect(),
        t.called.iter().map(String::as_str).collect(),
    )
}

/// Precision and recall per tool over scored trials. Every offered tool is listed, called or
/// not, so a tool the model never picks still shows up.
fn tool_stats<'a>(scored: &[&'a TrialRecord], tool_names: &'a [String]) -> Vec<ToolStats> {
    let mut counts: BTreeMap<&str, [usize; 3]> =
        tool_names.iter().map(|n| (n.as_str(), [0; 3])).collect();
    for t in scored {
        let (expected, called) = tool_sets(t);
        for name in expected.union(&called) {
            let e = counts.entry(name).or_insert([0; 3]);
            match (expected.contains(name), called.contains(name)) {
                (true, true) => e[0] += 1,
                (false, true) => e[1] += 1,
                (true, false) => e[2] += 1,
                (false, false) => {}
            }
        }
    }
    counts
        .into_iter()
        .map(|(name, [tp, fp, fneg])| ToolStats {
            name: name.to_owned(),
            true_positives: tp,
            false_positives: fp,
            false_negatives: fneg,
            precision: (tp + fp > 0).then(|| tp as f64 / (tp + fp) as f64),
            recall: (tp + fneg > 0).then(|| tp as f64 / (tp + fneg) as f64),
        })
        .collect()
}

/// Which tool was chosen in place of which, over scored trials that chose wrongly, most
/// frequent first. A missing or extra call on its own pairs with [`NO_TOOL`].
fn confusions(scored: &[&TrialRecord]) -> Vec<Confusion> {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for t in scored.iter().filter(|t| !t.outcome.selection_ok()) {
        let (expected, called) = tool_sets(t);
        let missing: Vec<&str> = expected.difference(&called).copied().collect();
        let extra: Vec<&str> = called.difference(&expected).copied().collect();
        let missing = if missing.is_empty() && !extra.is_empty() {
            vec![NO_TOOL]
        } else {
            missing
        };
        let extra = if extra.is_empty() && !missing.is_empty() {
            vec![NO_TOOL]
        } else {
            extra
        };
        for m in &missing {
            for x in &extra {
                *counts
                    .entry(((*m).to_owned(), (*x).to_owned()))
                    .or_default() += 1;
            }
        }
    }
    let mut confusions: Vec<Confusion> = counts
        .into_iter()
        .map(|((expected, chosen), count)| Confusion {
            similarity: None,
            hints: vec![],
            expected,
            chosen,
            count,
        })
        .collect();
    confusions.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.expected, &a.chosen).cmp(&(&b.expected, &b.chosen)))
    });
    confusions
}

fn token_totals(trials: &[TrialRecord]) -> TokenTotals {
    let mut tokens = TokenTotals::default();
    for u in trials.iter().filter_map(|t| t.usage) {
        tokens.add(&u);
    }
    tokens
}

/// pass@k and pass^k over the tasks with some scored trial.
fn pass_k_rates(tasks: &[TaskSummary]) -> (Rate, Rate) {
    let scored_tasks: Vec<&TaskSummary> = tasks.iter().filter(|t| t.scored() > 0).collect();
    let pass_at_k = Rate::new(
        scored_tasks.iter().filter(|t| t.passes > 0).count(),
        scored_tasks.len(),
    );
    let pass_hat_k = Rate::new(
        scored_tasks
            .iter()
            .filter(|t| t.state() == TaskState::Pass)
            .count(),
        scored_tasks.len(),
    );
    (pass_at_k, pass_hat_k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(task: &str, outcome: Outcome, expected: &[&str], called: &[&str]) -> TrialRecord {
        TrialRecord {
            task: task.into(),
            suite: "s".into(),
            trial: 0,
            outcome,
            reason: format!("{} reason", outcome.as_str()),
            expected: expected.iter().map(|s| s.to_string()).collect(),
            called: called.iter().map(|s| s.to_string()).collect(),
            reply: None,
            usage: None,
            latency_ms: 1,
            notes: vec![],
            retries: 0,
            cached: false,
            agent: None,
            search: None,
        }
    }

    #[test]
    fn a_task_with_no_scored_trial_has_no_rates_and_tokens_retries_and_cache_hits_add_up() {
        let mut pass = trial("a", Outcome::Pass, &["t"], &["t"]);
        pass.usage = Some(crate::record::Usage {
            prompt_tokens: 100,
            completion_tokens: 7,
            ..Default::default()
        });
        pass.retries = 2;
        pass.cached = true;
        let mut fail = trial("b", Outcome::WrongTool, &["t"], &["u"]);
        fail.usage = Some(crate::record::Usage {
            prompt_tokens: 50,
            completion_tokens: 3,
            ..Default::default()
        });
        let error = trial("c", Outcome::Error, &["t"], &[]);
        let order = [("s", "a"), ("s", "b"), ("s", "c")];
        let s = summarize(
            &[pass, fail, error],
            &order,
            &["t".into(), "u".into()],
            Some(0.5),
        );
        assert_eq!((s.tokens.prompt, s.tokens.completion), (150, 10));
        assert_eq!((s.retries, s.cached), (2, 1));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            (json["retries"].as_u64(), json["cached"].as_u64()),
            (Some(2), Some(1))
        );
        let (a, b, c) = (&s.tasks[0], &s.tasks[1], &s.tasks[2]);
        assert_eq!(
            (a.pass_rate, a.pass_at_k, a.pass_hat_k),
            (Some(1.0), Some(true), Some(true))
        );
        assert_eq!(
            (b.pass_rate, b.pass_at_k, b.pass_hat_k),
            (Some(0.0), Some(false), Some(false))
        );
        // Only an error: nothing was scored, so no rate, neither pass@k nor pass^k.
        assert_eq!((c.pass_rate, c.pass_at_k, c.pass_hat_k), (None, None, None));
        // One of the two scored tasks passed: exactly the minimum meets it.
        assert_eq!(s.full_call.as_ref().and_then(|r| r.rate), Some(0.5));
        assert_eq!(s.meets_min_accuracy, Some(true));
    }

    #[test]
    fn agent_totals_sum_over_the_agent_trials() {
        use crate::record::{
            AgentRecord, CallHow, CallResult, JudgeRecord, JudgeVerdict, TurnRecord,
        };
        let result = |how: CallHow, cut: bool| CallResult {
            tool: "t".into(),
            how,
            cut_from: cut.then_some(9000),
            ..CallResult::default()
        };
        let judge = |verdict| {
            Some(JudgeRecord {
                verdict,
                reason: String::new(),
                model: "j".into(),
                cached: false,
                format: None,
                usage: None,
            })
        };
        let agent = |turns: Vec<Vec<CallResult>>, verdict, n: u32| AgentRecord {
            turns: turns
                .into_iter()
                .map(|results| TurnRecord {
                    results,
                    ..TurnRecord::default()
                })
                .collect(),
            redundant_calls: n,
            tool_errors: n + 1,
            model_ms: 100 * u64::from(n + 1),
            tool_ms: 10 * u64::from(n + 1),
            judge: judge(verdict),
            ..AgentRecord::default()
        };
        assert_eq!(
            AgentTotals::of(&[trial("a", Outcome::Pass, &[], &[])]),
            None
        );
        let mut one = trial("a", Outcome::Pass, &[], &[]);
        one.agent = Some(Box::new(agent(
            vec![
                vec![
                    result(CallHow::Executed, true),
                    result(CallHow::Mocked, false),
                ],
                vec![result(CallHow::Replayed, false)],
            ],
            JudgeVerdict::Pass,
            1,
        )));
        let mut two = trial("b", Outcome::Pass, &[], &[]);
        two.agent = Some(Box::new(agent(
            vec![
                vec![result(CallHow::Refused, false)],
                vec![result(CallHow::Rejected, true)],
                vec![],
            ],
            JudgeVerdict::Fail,
            2,
        )));
        let mut three = trial("c", Outcome::Pass, &[], &[]);
        three.agent = Some(Box::new(agent(vec![vec![]], JudgeVerdict::Error, 0)));
        let single = trial("d", Outcome::Pass, &[], &[]);
        let t = AgentTotals::of(&[one, single, two, three]).expect("agent trials");
        assert_eq!((t.trials, t.turns, t.calls), (3, 6, 5));
        assert_eq!(
            (t.executed, t.mocked, t.replayed, t.refused, t.rejected),
            (1, 1, 1, 1, 1)
        );
        assert_eq!((t.redundant_calls, t.tool_errors, t.cut_results), (3, 6, 2));
        assert_eq!((t.model_ms, t.tool_ms), (600, 60));
        let judged = t.judge.expect("judged answers");
        assert_eq!((judged.successes, judged.n, t.judge_errors), (1, 2, 1));
        // No answer judged: no judge rate.
        let mut unjudged = trial("e", Outcome::Pass, &[], &[]);
        unjudged.agent = Some(Box::new(AgentRecord::default()));
        let t = AgentTotals::of(&[unjudged]).expect("an agent trial");
        assert_eq!((t.trials, t.judge), (1, None));
    }

    #[test]
    fn counts_rates_tools_and_confusions() {
        let trials = vec![
            trial("a", Outcome::Pass, &["x"], &["x"]),
            trial("a", Outcome::WrongTool, &["x"], &["y"]),
            trial("b", Outcome::BadArgs, &["y"], &["y"]),
            trial("c", Outcome::UnexpectedCall, &[], &["x"]),
            trial("d", Outcome::NoCall, &["y"], &[]),
            trial("d", Outcome::Error, &["y"], &[]),
        ];
        let order: Vec<(&str, &str)> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|t| ("s", *t))
            .collect();
        let s = summarize(
            &trials,
            &order,
            &["x".into(), "y".into(), "z".into()],
            Some(0.5),
        );
        assert_eq!((s.trials, s.errors), (6, 1));
        let sel = s.selection.unwrap();
        assert_eq!((sel.successes, sel.n), (2, 5));
        assert_eq!(s.full_call.unwrap().successes, 1);
        assert_eq!(s.meets_min_accuracy, Some(false));
        let d = s.tasks.iter().find(|t| t.id == "d").unwrap();
        assert_eq!((d.trials, d.errors, d.pass_rate), (2, 1, Some(0.0)));
        assert_eq!(d.failure.as_deref(), Some("no_call: no_call reason"));
        let a = s.tasks.iter().find(|t| t.id == "a").unwrap();
        assert_eq!(
            (a.state(), a.pass_at_k, a.pass_hat_k),
            (TaskState::Flaky, Some(true), Some(false))
        );
        assert_eq!(s.flaky, ["a"]);
        // Tasks a (flaky), b, c, d scored: pass@k 1 of 4, pass^k 0 of 4.
        assert_eq!(
            (s.pass_at_k.unwrap().successes, s.pass_at_k.unwrap().n),
            (1, 4)
        );
        assert_eq!(s.pass_hat_k.unwrap().successes, 0);
        let e = s.tasks.iter().find(|t| t.id == "e").unwrap();
        assert_eq!(e.state(), TaskState::Unscored);
        assert_eq!((e.trials, e.pass_rate), (0, None));
        let x = s.tools.iter().find(|t| t.name == "x").unwrap();
        assert_eq!(
            (x.true_positives, x.false_positives, x.false_negatives),
            (1, 1, 1)
        );
        assert_eq!((x.precision, x.recall), (Some(0.5), Some(0.5)));
        let z = s.tools.iter().find(|t| t.name == "z").unwrap();
        assert_eq!((z.precision, z.recall), (None, None));
        let conf: Vec<(&str, &str, usize)> = s
            .confusions
            .iter()
            .map(|c| (c.expected.as_str(), c.chosen.as_str(), c.count))
            .collect();
        assert_eq!(
            conf,
            [("(none)", "x", 1), ("x", "y", 1), ("y", "(none)", 1)]
        );
    }

    #[test]
    fn twenty_thousand_trials_summarize_task_by_task() {
        // Trial 0 of every task passes; trial 1 picks the wrong tool for every fourth task,
        // errors for the next, and passes for the other two. All trials 0 come before all
        // trials 1, so no task's trials sit together.
        let tasks = 10_000;
        let second = |i: usize| match i % 4 {
            0 => trial(&format!("t{i}"), Outcome::WrongTool, &["x"], &["y"]),
            1 => trial(&format!("t{i}"), Outcome::Error, &["x"], &[]),
            _ => trial(&format!("t{i}"), Outcome::Pass, &["x"], &["x"]),
        };
        let trials: Vec<TrialRecord> = (0..tasks)
            .map(|i| trial(&format!("t{i}"), Outcome::Pass, &["x"], &["x"]))
            .chain((0..tasks).map(second))
            .collect();
        let ids: Vec<String> = (0..tasks).map(|i| format!("t{i}")).collect();
        let order: Vec<(&str, &str)> = ids.iter().map(|id| ("s", id.as_str())).collect();
        let before = VISITS.with(|v| v.get());
        let s = summarize(&trials, &order, &["x".into(), "y".into()], None);
        // Linear: every trial is handed out a few times (grouping, two rates, its task), never
        // once per task. A scan of all trials per task would count 10,000 x 20,000.
        let visits = VISITS.with(|v| v.get()) - before;
        assert!(
            (20_000..=10 * 20_000).contains(&visits),
            "{visits} trial visits for 20,000 trials"
        );
        assert_eq!((s.trials, s.errors), (20_000, 2_500));
        let full = s.full_call.unwrap();
        assert_eq!((full.successes, full.n), (15_000, 17_500));
        assert!(full.clustered);
        assert_eq!(s.selection.unwrap().successes, 15_000);
        assert_eq!(s.tasks.len(), tasks);
        assert_eq!(s.tasks[9_999].id, "t9999");
        let t0 = &s.tasks[0];
        assert_eq!((t0.trials, t0.passes, t0.pass_rate), (2, 1, Some(0.5)));
        assert_eq!(t0.failure.as_deref(), Some("wrong_tool: wrong_tool reason"));
        let t1 = &s.tasks[1];
        assert_eq!((t1.trials, t1.errors, t1.pass_rate), (2, 1, Some(1.0)));
        assert_eq!(s.flaky.len(), 2_500);
        assert_eq!(s.flaky[1], "t4");
        assert_eq!(
            (
                s.pass_at_k.unwrap().successes,
                s.pass_hat_k.unwrap().successes
            ),
            (10_000, 7_500)
        );
        let x = &s.tools[0];
        assert_eq!(
            (x.true_positives, x.false_positives, x.false_negatives),
            (15_000, 0, 2_500)
        );
        assert_eq!(
            s.confusions,
            [Confusion {
                expected: "x".into(),
                chosen: "y".into(),
                count: 2_500,
                similarity: None,
                hints: vec![],
            }]
        );
    }
}
