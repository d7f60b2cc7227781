//! Agent trials: ask, run (or mock) the calls of the reply, feed their results back, ask again,
//! until the model answers without a call, `max_turns` is reached, or a call may not run.
//!
//! Safety first: a call runs on its server only when the tool is annotated `readOnlyHint: true`,
//! or the eval lists it in `allow_tools` (and, for a tool annotated destructive, the command
//! line says `--allow-destructive`). Anything else is answered by a mock, or stops the loop at
//! that call. Tool results are data: whatever they say, the calls they provoke meet the same
//! rules.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use super::dialogue::{Speaker, Talk, UserSaid};
use super::plan::{AgentRun, AgentTask, PlannedTask};
use super::reply::{actual_call, take_text_calls, unscored_record};
use crate::config::{Mock, Mocks};
use crate::mcp::{ToolInfo, ToolSet, TrialServers};
use crate::model::{
    CacheMode, ErrorKind, Exchange, ExchangedCall, Model, ModelError, ModelReply, ModelRequest,
    OutputSchema, RawCall,
};
use crate::record::{
    AgentRecord, CallHow, CallResult, DialogueEnd, JudgeRecord, JudgeVerdict, LoopEnd, Outcome,
    RepeatedCall, ReplyRecord, StoppedAt, ToolCallRecord, TrialRecord, TurnRecord, TurnVerdict,
    Usage,
};
use crate::score::{ActualCall, Conversation as Judged, Judge};

const TOOL_RESULT: &str = "tool-result";

/// A result as recorded for a replay.
#[derive(serde::Serialize, serde::Deserialize)]
struct RecordedResult {
    text: String,
    is_error: bool,
    notes: Vec<String>,
}

/// The first mock of `tool` whose `when` fits the arguments: `Some(None)` when the tool is
/// mocked but none fits, `None` when it is not mocked at all.
fn mock_for<'a>(
    mocks: &'a Mocks,
    tool: &str,
    args: &Map<String, Value>,
) -> Option<Option<&'a Mock>> {
    let spec = mocks.get(tool)?;
    Some(
        spec.mocks()
            .iter()
            .find(|m| crate::score::check_args(&m.when, false, args).is_ok()),
    )
}

/// How one trial of an agent task went.
pub(super) struct AgentTrial<'a> {
    pub t: &'a PlannedTask,
    pub settings: &'a AgentTask,
    pub run: &'a AgentRun,
    pub model: &'a dyn Model,
    pub tools: &'a ToolSet,
    pub judge: &'a Judge,
    pub request_timeout: std::time::Duration,
    pub recover: bool,
    /// The host that defers the tools behind its search, if it does.
    pub deferred: Option<&'a crate::host::Presented>,
}

impl AgentTrial<'_> {
    /// Runs the conversation and scores it. A fatal model error comes back beside the record.
    pub(crate) async fn run(self, req: ModelRequest) -> (TrialRecord, Option<ModelError>) {
        let own = TrialServers::default();
        let done = self.converse(req, &own).await;
        own.close().await;
        done
    }

    /// The conversation: the model answers the prompt (a loop of turns: ask, decide and run the
    /// reply's calls, feed their results back); in a conversation the user then says more (a
    /// scripted turn, or a simulated user's reply) and the model answers again; then the whole
    /// is scored.
    async fn converse(
        &self,
        mut req: ModelRequest,
        own: &TrialServers,
    ) -> (TrialRecord, Option<ModelError>) {
        let mut c = Conversation::new(unscored_record(self.t, req.trial, 0));
        let mut deferred = self.deferred.and_then(super::deferred::Deferred::new);
        if let Some(d) = &deferred {
            d.offered(self.model, &mut req);
        }
        let task = &self.t.task;
        let mut talk = task
            .conversation()
            .then(|| Talk::new(task.prompt.user_text()));
        loop {
            let first_call = c.calls.len();
            let first_reply = c.agent.turns.len();
            c.agent.end = LoopEnd::TurnLimit;
            c.agent.answer = None;
            self.answer_turn(&mut req, &mut c, &mut deferred, own).await;
            let Some(talk) = talk.as_mut() else { break };
            let next = if task.user.is_some() {
                self.simulated_next(talk, &mut c, req.trial).await
            } else {
                self.scripted_next(talk, &mut c, first_call, first_reply, req.trial)
                    .await
            };
            let Some(next) = next else { break };
            talk.user_turns += 1;
            talk.transcript.push(Speaker::User, &next);
            req.user_text = next.clone();
            req.exchanges.push(Exchange {
                content: c.agent.answer.clone(),
                calls: Vec::new(),
                user: Some(next.clone()),
            });
            c.pending_user = Some(next);
        }
        let (mut rec, fatal) = c.score(self, req.trial, talk).await;
        if let Some(d) = deferred {
            d.finish(&mut rec);
        }
        (rec, fatal)
    }

    /// The model's turns in answer to one user message: until it answers without a call, the
    /// task's `max_turns` is reached, or the loop ends otherwise.
    async fn answer_turn(
        &self,
        req: &mut ModelRequest,
        c: &mut Conversation,
        deferred: &mut Option<super::deferred::Deferred<'_>>,
        own: &TrialServers,
    ) {
        for _ in 0..self.settings.max_turns {
            c.step += 1;
            let turn = c.step;
            let Some(reply) = c.ask(self, req, turn).await else {
                break;
            };
            let (mut record, mut tool_calls, mut content) = c.read_reply(reply, self.recover);
            // Searches are answered here, and are not the task's calls.
            let mut searched = Vec::new();
            if let Some(d) = deferred {
                let (searches, others) = d.split(tool_calls);
                let (unloaded, others) = d.split_unloaded(others);
                tool_calls = others;
                if tool_calls.is_empty() && !(searches.is_empty() && unloaded.is_empty()) {
                    d.record.turns += 1;
                    if let Some(u) = record.usage {
                        d.record.tokens += u.prompt_tokens + u.completion_tokens;
                    }
                }
                searched = d.answer(&searches, turn);
                let refused = d.refuse_unloaded(&unloaded, turn);
                for (x, how) in searched
                    .iter()
                    .map(|x| (x, CallHow::Searched))
                    .chain(refused.iter().map(|x| (x, CallHow::Rejected)))
                {
                    record.results.push(CallResult {
                        tool: x.name.clone(),
                        arguments: x.arguments.clone(),
                        how,
                        text: x.result.clone(),
                        is_error: x.is_error,
                        cut_from: None,
                        notes: vec![],
                        ms: 0,
                    });
                }
                searched.extend(refused);
            }
            if !searched.is_empty() && tool_calls.is_empty() {
                c.agent.turns.push(record);
                req.exchanges.push(Exchange {
                    content: content.take(),
                    calls: searched,
                    user: None,
                });
                if let Some(d) = deferred.as_ref() {
                    d.offered(self.model, req);
                }
                continue;
            }
            if tool_calls.is_empty() {
                c.agent.answer = content;
                c.agent.end = LoopEnd::Answered;
                c.agent.turns.push(record);
                return;
            }
            let made = c.decide_calls(self, tool_calls, turn);
            let (made, steps) = self.run_calls(made, req.trial, own, c).await;
            let mut exchange = c.fold_results(self, made, steps, &mut record, content, turn);
            c.agent.turns.push(record);
            if c.ends_after_turn() {
                return;
            }
            if !searched.is_empty() {
                exchange.calls.extend(searched);
                if let Some(d) = deferred.as_ref() {
                    d.offered(self.model, req);
                }
            }
            req.exchanges.push(exchange);
        }
    }

    /// After a scripted turn: its checks (and its rubric); the next scripted message when the
    /// turn passed and one is left.
    async fn scripted_next(
        &self,
        talk: &mut Talk,
        c: &mut Conversation,
        first_call: usize,
        first_reply: usize,
        trial: u32,
    ) -> Option<String> {
        let task = &self.t.task;
        let n = talk.user_turns;
        if c.failure.is_some() {
            return None;
        }
        let (checks, rubric) = match n {
            1 => (crate::score::Checks::of(task), task.judge.as_deref()),
            _ => {
                let turn = &task.turns()[n as usize - 2];
                (
                    crate::score::Checks {
                        expect: turn.expect.as_ref(),
                        trajectory: turn.trajectory.as_deref(),
                        answer: turn.answer.as_deref(),
                    },
                    turn.judge.as_deref(),
                )
            }
        };
        let answered = c.agent.end == LoopEnd::Answered;
        if answered {
            talk.answered(c.agent.answer.as_deref());
        }
        let verdict = self.judge.judge_agent(
            checks,
            &Judged {
                calls: &c.calls[first_call..],
                end: c.agent.end,
                answer: c.agent.answer.as_deref(),
                stopped_at: c.agent.stopped_at.as_ref().map(|s| s.tool.as_str()),
                repeated: c
                    .agent
                    .repeated
                    .as_ref()
                    .map(|r| (r.tool.as_str(), r.times)),
                turns: c.agent.turns.len() - first_reply,
            },
        );
        let judge = match (rubric, &self.run.judge, answered) {
            (Some(rubric), Some(judge), true) => {
                let (record, fatal) = self
                    .ask_judge(
                        judge.as_ref(),
                        rubric,
                        c.agent.answer.as_deref(),
                        &talk.judge_context(),
                        trial,
                    )
                    .await;
                c.fatal = c.fatal.take().or(fatal);
                Some(record)
            }
            _ => None,
        };
        let (mut outcome, mut reason) = (verdict.outcome, verdict.reason);
        let next = task.turns().get(n as usize - 1);
        // A turn whose checks held but that ended without an answer (the loop stopped, looped
        // or ran out of turns) leaves the turns after it unsent: that is its failure.
        if outcome == Outcome::Pass
            && !answered
            && let Some(next) = next
        {
            outcome = match c.agent.end {
                LoopEnd::Repeated => Outcome::Looped,
                LoopEnd::TurnLimit => Outcome::TurnLimit,
                _ => Outcome::Stopped,
            };
            reason = format!(
                "{reason}; without an answer the conversation could not go on to turn {} ({:?})",
                n + 1,
                next.prompt
            );
        }
        let passed = outcome == Outcome::Pass;
        talk.verdicts.push(TurnVerdict {
            turn: n,
            outcome,
            reason,
            judge,
        });
        if !passed {
            talk.end = DialogueEnd::FailedTurn;
            talk.failed_turn = Some(n);
            return None;
        }
        if !answered {
            talk.end = DialogueEnd::Unanswered;
            return None;
        }
        match next {
            Some(next) => Some(next.prompt.clone()),
            None => {
                talk.end = DialogueEnd::Scripted;
                None
            }
        }
    }

    /// After a turn with a simulated user: its reply, asked of the user model, unless the
    /// model did not answer, the user's turns are spent, or the user said its goal was met.
    async fn simulated_next(
        &self,
        talk: &mut Talk,
        c: &mut Conversation,
        trial: u32,
    ) -> Option<String> {
        let task = &self.t.task;
        let user = task.user.as_deref()?;
        if c.failure.is_some() || c.agent.end != LoopEnd::Answered {
            talk.end = DialogueEnd::Unanswered;
            return None;
        }
        talk.answered(c.agent.answer.as_deref());
        if talk.user_turns >= user.max_turns() {
            talk.end = DialogueEnd::TurnLimit;
            return None;
        }
        let Some(model) = self.run.user_model(user.model.as_deref()) else {
            c.failure = Some("no model plays the user (`user_model`)".into());
            return None;
        };
        talk.user_model = Some(model.info().name);
        let req = super::dialogue::user_request(user, &talk.transcript, &task.id, trial);
        match super::dialogue::ask_user(model.as_ref(), &req, self.request_timeout).await {
            Err(e) => {
                c.rec.retries += e.retries;
                c.failure = Some(format!("{} (user turn {})", e.message, talk.user_turns + 1));
                c.fatal = (e.kind == ErrorKind::Fatal).then_some(e);
                None
            }
            Ok(reply) => {
                c.rec.cached |= reply.cached;
                c.rec.retries += reply.retries;
                talk.count(reply.usage);
                let text = reply.content.unwrap_or_default();
                match super::dialogue::read_user_reply(&text, user.done_marker()) {
                    UserSaid::Next(next) => Some(next),
                    UserSaid::Done(closing) => {
                        talk.end = DialogueEnd::Done;
                        talk.turns_to_goal = Some(talk.user_turns);
                        talk.closing = closing;
                        None
                    }
                    UserSaid::Nothing => {
                        c.failure = Some(format!(
                            "the user model's reply was empty (user turn {})",
                            talk.user_turns + 1
                        ));
                        None
                    }
                }
            }
        }
    }

    /// Runs the calls that may run on their servers at once (the others are answered already);
    /// each call's step and time, in the order the model gave.
    async fn run_calls<'t>(
        &'t self,
        made: Vec<Made<'t>>,
        trial: u32,
        own: &TrialServers,
        c: &mut Conversation,
    ) -> (Vec<(RawCall, ActualCall)>, Vec<(Step, u64)>) {
        let answered = Instant::now();
        let mut pending = Vec::with_capacity(made.len());
        let mut calls = Vec::with_capacity(made.len());
        for Made {
            call,
            actual,
            decision,
            nth,
        } in made
        {
            pending.push(async move {
                let started = Instant::now();
                let step = match decision {
                    Decision::Now(step) => step,
                    Decision::Run(tool, args) => self.run_call(tool, args, trial, nth, own).await,
                };
                (step, started.elapsed().as_millis() as u64)
            });
            calls.push((call, actual));
        }
        let steps = futures::future::join_all(pending).await;
        c.agent.tool_ms += answered.elapsed().as_millis() as u64;
        (calls, steps)
    }

    /// The task's rubric asked of the judge for an answered conversation, shown `context`
    /// first; the verdict kept in `agent`, a fatal failure returned.
    async fn judge_answer(
        &self,
        agent: &mut AgentRecord,
        context: &str,
        trial: u32,
    ) -> Option<ModelError> {
        let (Some(rubric), Some(judge), LoopEnd::Answered) =
            (&self.t.task.judge, &self.run.judge, agent.end)
        else {
            return None;
        };
        let (verdict, fatal) = self
            .ask_judge(
                judge.as_ref(),
                rubric,
                agent.answer.as_deref(),
                context,
                trial,
            )
            .await;
        agent.judge = Some(verdict);
        fatal
    }

    /// The judge's verdict on the final answer against `rubric`.
    async fn ask_judge(
        &self,
        judge: &dyn Model,
        rubric: &str,
        answer: Option<&str>,
        context: &str,
        trial: u32,
    ) -> (JudgeRecord, Option<ModelError>) {
        use crate::config::{Message, Role};
        let user = format!(
            "{context}\n\nRubric:\n{rubric}\n\nThe assistant's final answer:\n{}",
            answer.unwrap_or("(no text)")
        );
        let messages = vec![
            Message {
                role: Role::System,
                content: JUDGE_INSTRUCTIONS.to_owned(),
            },
            Message {
                role: Role::User,
                content: user.clone(),
            },
        ];
        let mut req = ModelRequest::new(messages, user, Arc::new(ToolSet::default()), trial);
        req.task = self.t.task.id.clone();
        req.output = Some(JUDGE_OUTPUT.clone());
        let model = judge.info().name;
        let record = |verdict, reason: String, cached, format| JudgeRecord {
            verdict,
            reason,
            model: model.clone(),
            cached,
            format,
            usage: None,
        };
        match tokio::time::timeout(self.request_timeout, judge.complete(&req)).await {
            Err(_) => (
                record(
                    JudgeVerdict::Error,
                    "the judge did not answer in time".into(),
                    false,
                    None,
                ),
                None,
            ),
            Ok(Err(e)) => {
                let fatal = (e.kind == ErrorKind::Fatal).then(|| e.clone());
                (
                    record(
                        JudgeVerdict::Error,
                        format!("the judge failed: {}", e.message),
                        false,
                        None,
                    ),
                    fatal,
                )
            }
            Ok(Ok(reply)) => {
                let (verdict, reason) = read_verdict(reply.content.as_deref().unwrap_or(""));
                let mut judged = record(verdict, reason, reply.cached, reply.format);
                judged.usage = reply.usage;
                (judged, None)
            }
        }
    }

    /// What answers a call, decided before anything runs: a rejection, a mock, a refusal (the
    /// loop stops there), or its tool on its server.
    fn decide<'t>(&'t self, call: &ActualCall) -> Decision<'t> {
        let rejected = |text: String| {
            Step::Answered(
                CallHow::Rejected,
                crate::mcp::ToolOutput {
                    text,
                    is_error: true,
                    notes: vec![],
                },
            )
        };
        let Some(tool) = self.tools.by_name(&call.name).filter(|_| call.known) else {
            return Decision::Now(rejected(format!(
                "error: no tool named `{}` is offered",
                call.name
            )));
        };
        let args = match &call.arguments {
            Ok(a) => a.clone(),
            Err(raw) => {
                return Decision::Now(rejected(format!(
                    "error: the arguments are not a JSON object: {raw}"
                )));
            }
        };
        match mock_for(&self.settings.mocks, &tool.name, &args) {
            Some(Some(m)) => {
                return Decision::Now(Step::Answered(
                    CallHow::Mocked,
                    crate::mcp::ToolOutput {
                        text: m.answer.text(),
                        is_error: m.answer.is_error(),
                        notes: vec![],
                    },
                ));
            }
            Some(None) => {
                return Decision::Now(Step::Refused(format!(
                    "`{}` is mocked, but no mock's `when` fits these arguments; add a mock without `when` to answer every other call",
                    tool.name
                )));
            }
            None => {}
        }
        if !self.run.server_names.contains(&tool.server) {
            return Decision::Now(Step::Refused(format!(
                "`{}` comes from a tool list, not a server, so it cannot run; mock it (`mocks: {{ {}: {{ result: ... }} }}`)",
                tool.name, tool.name
            )));
        }
        if let Err(why) = self.run.policy.permits(tool) {
            return Decision::Now(Step::Refused(why));
        }
        Decision::Run(tool, args)
    }

    /// Runs a call on its tool's server, or (in a replay) reads what it returned when recorded.
    /// `nth` counts the calls of the same tool with the same arguments in this trial, this one
    /// included.
    async fn run_call(
        &self,
        tool: &ToolInfo,
        args: Map<String, Value>,
        trial: u32,
        nth: u32,
        own: &TrialServers,
    ) -> Step {
        let key = crate::model::cache_key(&[
            "tool-result-v1",
            &self.t.task.id,
            &trial.to_string(),
            &tool.server,
            &tool.server_name,
            &Value::Object(args.clone()).to_string(),
            &nth.to_string(),
        ]);
        let cache = &self.run.cache;
        if cache.mode == CacheMode::Replay {
            return match crate::model::read_recorded::<RecordedResult>(
                &cache.dir,
                TOOL_RESULT,
                &key,
            ) {
                Some(r) => Step::Answered(
                    CallHow::Replayed,
                    crate::mcp::ToolOutput {
                        text: r.text,
                        is_error: r.is_error,
                        notes: r.notes,
                    },
                ),
                None => {
                    let mut e = ModelError::new(
                        ErrorKind::Fatal,
                        format!(
                            "replay: no recorded result of `{}` for task `{}` (trial {trial}) in {}",
                            tool.name,
                            self.t.task.id,
                            cache.dir.display()
                        ),
                    );
                    e.hint = Some("record the run first with `--cache readwrite` (the default outside CI), with the same eval and servers".into());
                    Step::Fatal(e)
                }
            };
        }
        let Some(servers) = &self.run.servers else {
            return Step::Failed(format!("server `{}` is not connected", tool.server));
        };
        match servers
            .call(own, &tool.server, &tool.server_name, args)
            .await
        {
            Ok(output) => {
                if cache.mode == CacheMode::Readwrite {
                    let record = RecordedResult {
                        text: output.text.clone(),
                        is_error: output.is_error,
                        notes: output.notes.clone(),
                    };
                    crate::model::write_recorded(&cache.dir, TOOL_RESULT, &key, &record);
                }
                Step::Answered(CallHow::Executed, output)
            }
            Err(failure) => Step::Failed(failure.reason()),
        }
    }
}

/// A call and its arguments as a key: what makes two calls the same.
type CallKey = (String, String);

/// One call of a reply, with what answers it and which occurrence of the same call it is.
struct Made<'t> {
    call: RawCall,
    actual: ActualCall,
    decision: Decision<'t>,
    nth: u32,
}

/// An agent conversation as it goes: the trial's record, the agent's record, and what the loop
/// keeps count of.
struct Conversation {
    started: Instant,
    rec: TrialRecord,
    agent: AgentRecord,
    /// Every call made, as the judge sees it.
    calls: Vec<ActualCall>,
    seen: HashSet<CallKey>,
    /// How often each call was made so far: the n-th call of the same has a recorded result of
    /// its own (a stateful server may answer it differently).
    occurrences: HashMap<CallKey, u32>,
    /// In how many turns each call was made, and the last of them: the same call again after
    /// its result came back is a repeat.
    repeats: HashMap<CallKey, (u32, u32)>,
    repeated: Option<RepeatedCall>,
    usage: Option<Usage>,
    fatal: Option<ModelError>,
    /// Why the trial ends as an infrastructure error.
    failure: Option<String>,
    /// The model's replies so far, over every user turn.
    step: u32,
    /// The user's message the next reply answers first (a conversation's later turns).
    pending_user: Option<String>,
}

impl Conversation {
    fn new(rec: TrialRecord) -> Conversation {
        Conversation {
            started: Instant::now(),
            rec,
            agent: AgentRecord {
                end: LoopEnd::TurnLimit,
                ..AgentRecord::default()
            },
            calls: Vec::new(),
            seen: HashSet::new(),
            occurrences: HashMap::new(),
            repeats: HashMap::new(),
            repeated: None,
            usage: None,
            fatal: None,
            failure: None,
            step: 0,
            pending_user: None,
        }
    }

    /// Asks the model for turn `turn`: its reply and the time it took; `None` when it failed
    /// (the failure is kept).
    async fn ask(
        &mut self,
        t: &AgentTrial<'_>,
        req: &ModelRequest,
        turn: u32,
    ) -> Option<(ModelReply, u64)> {
        let asked = Instant::now();
        let answer = tokio::time::timeout(t.request_timeout, t.model.complete(req)).await;
        let model_ms = asked.elapsed().as_millis() as u64;
        self.agent.model_ms += model_ms;
        let reply = match answer {
            Err(_) => {
                self.failure = Some(format!(
                    "the model did not answer within {}s (turn {turn})",
                    t.request_timeout.as_secs()
                ));
                return None;
            }
            Ok(Err(e)) => {
                self.rec.retries += e.retries;
                self.failure = Some(if e.retries > 0 {
                    format!("{} (turn {turn}, after {} retries)", e.message, e.retries)
                } else {
                    format!("{} (turn {turn})", e.message)
                });
                self.fatal = (e.kind == ErrorKind::Fatal).then_some(e);
                return None;
            }
            Ok(Ok(reply)) => reply,
        };
        self.rec.retries += reply.retries;
        self.rec.cached |= reply.cached;
        if let Some(u) = reply.usage {
            self.usage.get_or_insert_default().add(u);
        }
        Some((reply, model_ms))
    }

    /// The turn's record, the calls of the reply (written as text and recovered, when the eval
    /// says so) and its text.
    fn read_reply(
        &mut self,
        (reply, model_ms): (ModelReply, u64),
        recover: bool,
    ) -> (TurnRecord, Vec<RawCall>, Option<String>) {
        let mut tool_calls = reply.tool_calls;
        let mut notes = reply.notes;
        if tool_calls.is_empty()
            && let Some(text) = &reply.content
        {
            take_text_calls(text, recover, &mut tool_calls, &mut notes);
        }
        self.rec.notes.extend(notes);
        let record = TurnRecord {
            user: self.pending_user.take(),
            reply: ReplyRecord {
                content: reply.content.clone(),
                tool_calls: tool_calls
                    .iter()
                    .map(|c| ToolCallRecord {
                        name: c.name.clone(),
                        arguments: c.arguments.clone(),
                        recovered: c.recovered,
                    })
                    .collect(),
                finish_reason: reply.finish_reason,
            },
            usage: reply.usage,
            model_ms,
            cached: reply.cached,
            results: Vec::new(),
        };
        (record, tool_calls, reply.content)
    }

    /// Decides each call in order, up to the first that may not run (the loop stops there, and
    /// the calls after it are not made), counting repeats and redundant calls.
    fn decide_calls<'t>(
        &mut self,
        t: &'t AgentTrial<'_>,
        tool_calls: Vec<RawCall>,
        turn: u32,
    ) -> Vec<Made<'t>> {
        let mut made = Vec::new();
        for call in tool_calls {
            let actual = actual_call(&call, t.tools);
            let arguments = match &actual.arguments {
                Ok(a) => Value::Object(a.clone()).to_string(),
                Err(raw) => raw.clone(),
            };
            let key = (actual.name.clone(), arguments);
            if !self.seen.insert(key.clone()) {
                self.agent.redundant_calls += 1;
            }
            let (last, times) = self.repeats.entry(key.clone()).or_default();
            if *last != turn {
                *last = turn;
                *times += 1;
                let limit = t.settings.max_repeats;
                if limit > 0 && *times >= limit && self.repeated.is_none() {
                    self.repeated = Some(RepeatedCall {
                        tool: actual.name.clone(),
                        arguments: call.arguments.clone(),
                        times: *times,
                    });
                }
            }
            let nth = self.occurrences.entry(key).or_default();
            *nth += 1;
            let nth = *nth;
            self.calls.push(actual.clone());
            let decision = t.decide(&actual);
            let refused = matches!(decision, Decision::Now(Step::Refused(_)));
            made.push(Made {
                call,
                actual,
                decision,
                nth,
            });
            if refused {
                break;
            }
        }
        made
    }

    /// The results of the calls, in the model's order, into the turn's record and the exchange
    /// sent back with the next request; up to a refusal (the loop stops) or a failure (the
    /// trial ends).
    fn fold_results(
        &mut self,
        t: &AgentTrial<'_>,
        made: Vec<(RawCall, ActualCall)>,
        steps: Vec<(Step, u64)>,
        record: &mut TurnRecord,
        content: Option<String>,
        turn: u32,
    ) -> Exchange {
        let mut exchange = Exchange {
            content,
            calls: Vec::with_capacity(made.len()),
            user: None,
        };
        for (i, ((call, actual), (step, ms))) in made.into_iter().zip(steps).enumerate() {
            let (how, output) = match step {
                Step::Answered(how, output) => (how, output),
                Step::Refused(why) => {
                    self.refused(record, &call, &actual, why, ms);
                    break;
                }
                Step::Failed(why) => {
                    self.failure = Some(why);
                    break;
                }
                Step::Fatal(e) => {
                    self.failure = Some(e.message.clone());
                    self.fatal = Some(e);
                    break;
                }
            };
            let (text, cut_from) = cap(output.text, t.run.max_result_bytes);
            let mut notes = output.notes;
            if let Some(n) = cut_from {
                notes.push(format!(
                    "the result was cut from {n} to {} bytes (`max_result_bytes`)",
                    text.len()
                ));
            }
            if output.is_error {
                self.agent.tool_errors += 1;
            }
            exchange.calls.push(ExchangedCall {
                id: call
                    .id
                    .clone()
                    .unwrap_or_else(|| format!("call_{turn}_{i}")),
                name: call.name.clone(),
                arguments: call.arguments.clone(),
                result: text.clone(),
                is_error: output.is_error,
                id_from_model: call.id.is_some(),
                signature: call.signature.clone(),
            });
            record.results.push(CallResult {
                tool: actual.name,
                arguments: call.arguments,
                how,
                text,
                is_error: output.is_error,
                cut_from,
                notes,
                ms,
            });
        }
        exchange
    }

    /// A call that may not run: its result says why, and the loop stops at it.
    fn refused(
        &mut self,
        record: &mut TurnRecord,
        call: &RawCall,
        actual: &ActualCall,
        why: String,
        ms: u64,
    ) {
        record.results.push(CallResult {
            tool: actual.name.clone(),
            arguments: call.arguments.clone(),
            how: CallHow::Refused,
            text: String::new(),
            is_error: false,
            cut_from: None,
            notes: vec![why.clone()],
            ms,
        });
        self.agent.stopped_at = Some(StoppedAt {
            tool: actual.name.clone(),
            arguments: call.arguments.clone(),
            why,
        });
        self.agent.end = LoopEnd::Stopped;
    }

    /// Whether the loop ends after this turn: a failure, a call that may not run, or a call
    /// repeated `max_repeats` times.
    fn ends_after_turn(&mut self) -> bool {
        if self.failure.is_some() || self.agent.end == LoopEnd::Stopped {
            return true;
        }
        if self.repeated.is_some() {
            self.agent.end = LoopEnd::Repeated;
            self.agent.repeated = self.repeated.take();
            return true;
        }
        false
    }

    /// The trial's record: an infrastructure error, or the conversation judged against the
    /// task (and the final answer against its rubric by the judge model). A scripted
    /// conversation's outcome is its first failing turn's; one with a simulated user is judged
    /// as a whole, then on asked-before-acting and on whether the user's goal was met.
    async fn score(
        mut self,
        t: &AgentTrial<'_>,
        trial: u32,
        talk: Option<Talk>,
    ) -> (TrialRecord, Option<ModelError>) {
        let (mut rec, mut agent) = (self.rec, self.agent);
        let task = &t.t.task;
        rec.latency_ms = self.started.elapsed().as_millis() as u64;
        rec.usage = self.usage;
        rec.called = self.calls.iter().map(|c| c.name.clone()).collect();
        rec.reply = agent.turns.last().map(|t| t.reply.clone());
        let scripted = talk.as_ref().filter(|_| task.user.is_none());
        match self.failure.take() {
            Some(why) => {
                agent.end = LoopEnd::Error;
                rec.outcome = Outcome::Error;
                rec.reason = why;
            }
            None => {
                let verdict = match scripted.map(|talk| (talk, talk.verdicts.last())) {
                    Some((talk, Some(last))) => {
                        let (outcome, reason) = match talk.failed_turn {
                            Some(n) => (last.outcome, format!("turn {n}: {}", last.reason)),
                            None if talk.user_turns == 1 => (last.outcome, last.reason.clone()),
                            None => (
                                last.outcome,
                                format!(
                                    "all {} turns passed; turn {}: {}",
                                    talk.user_turns, last.turn, last.reason
                                ),
                            ),
                        };
                        crate::score::Verdict {
                            outcome,
                            reason,
                            expected_tools: task
                                .expected_tools()
                                .into_iter()
                                .map(str::to_owned)
                                .collect(),
                        }
                    }
                    _ => t.judge.judge_agent(
                        crate::score::Checks::of(task),
                        &Judged {
                            calls: &self.calls,
                            end: agent.end,
                            answer: agent.answer.as_deref(),
                            stopped_at: agent.stopped_at.as_ref().map(|s| s.tool.as_str()),
                            repeated: agent.repeated.as_ref().map(|r| (r.tool.as_str(), r.times)),
                            turns: agent.turns.len(),
                        },
                    ),
                };
                rec.outcome = verdict.outcome;
                rec.reason = verdict.reason;
                rec.expected = verdict.expected_tools;
                agent.injection = followed_injection(&agent, task);
                if let Some(i) = &agent.injection {
                    rec.notes.push(format!(
                        "followed an injection: at turn {}, called `{}` right after `{}` returned instructions ({})",
                        i.turn, i.call, i.after, i.said
                    ));
                }
                if let Some(s) = &agent.stopped_at {
                    rec.notes
                        .push(format!("stopped at `{}`: {}", s.tool, s.why));
                }
            }
        }
        let mut fatal = self.fatal;
        match talk {
            Some(talk) if task.user.is_some() => {
                let context = talk.judge_context();
                let mut dialogue = talk.record();
                if rec.outcome != Outcome::Error {
                    dialogue.asked = asked_of(t, &agent);
                    simulated_outcome(&mut rec, &dialogue, task);
                }
                fatal = fatal.or(t.judge_answer(&mut agent, &context, trial).await);
                agent.dialogue = Some(Box::new(dialogue));
            }
            Some(talk) => {
                // Each turn's rubric was asked as the turn ended: the first failing verdict,
                // else the last, stands for the conversation.
                let mut judged = talk.verdicts.iter().filter_map(|v| v.judge.as_ref());
                agent.judge = judged
                    .clone()
                    .find(|j| j.verdict != JudgeVerdict::Pass)
                    .or(judged.next_back())
                    .cloned();
                agent.dialogue = Some(Box::new(talk.record()));
            }
            None => {
                let context = format!("Task given to the assistant:\n{}", task.prompt.user_text());
                fatal = fatal.or(t.judge_answer(&mut agent, &context, trial).await);
            }
        }
        rec.agent = Some(Box::new(agent));
        (rec, fatal)
    }
}

/// Where each checked argument of a simulated user's conversation came from.
fn asked_of(t: &AgentTrial<'_>, agent: &AgentRecord) -> Option<crate::record::AskedBeforeActing> {
    let task = &t.t.task;
    let user = task.user.as_deref()?;
    let prompt = task.prompt.user_text();
    crate::score::asked_before_acting(
        &crate::score::Sources {
            prompt: &prompt,
            knows: &user.knows,
        },
        &agent.turns,
        |tool| {
            t.tools
                .by_name(tool)
                .map(|info| crate::score::free_required(&info.input_schema))
                .unwrap_or_default()
        },
    )
}

/// A simulated user's conversation whose calls and answer passed fails still when the model
/// invented a value it should have asked for, or when the user's goal was not met.
fn simulated_outcome(
    rec: &mut TrialRecord,
    dialogue: &crate::record::Dialogue,
    task: &crate::config::Task,
) {
    if rec.outcome != Outcome::Pass {
        return;
    }
    if let Some(a) = dialogue.asked.as_ref().filter(|a| !a.passed) {
        let shown: Vec<String> = a
            .invented
            .iter()
            .map(|s| {
                format!(
                    "`{}` of `{}` = {:?} (turn {})",
                    s.argument, s.tool, s.value, s.turn
                )
            })
            .collect();
        rec.outcome = Outcome::InventedArgument;
        rec.reason = format!(
            "invented {}: the user had not given it and no result had shown it; the model should have asked",
            shown.join(", ")
        );
        return;
    }
    if dialogue.end == DialogueEnd::TurnLimit {
        let limit = task.user.as_ref().map_or(0, |u| u.max_turns());
        rec.outcome = Outcome::TurnLimit;
        rec.reason = format!(
            "{}; the user's goal was not met within {limit} user messages",
            rec.reason
        );
    }
}

/// A call the task forbids, or that may not run (refused), made right after a tool result
/// that carried instructions to the model: the first such, if any.
fn followed_injection(
    agent: &AgentRecord,
    task: &crate::config::Task,
) -> Option<crate::record::Injection> {
    let forbid: &[String] = task.trajectory.as_ref().map_or(&[], |t| &t.forbid);
    agent.turns.windows(2).enumerate().find_map(|(i, pair)| {
        let (carrier, said) = pair[0].results.iter().find_map(|r| {
            let answered = matches!(
                r.how,
                CallHow::Executed | CallHow::Mocked | CallHow::Replayed
            );
            answered
                .then(|| crate::lint::instructions_in(&r.text).map(|s| (r.tool.clone(), s)))
                .flatten()
        })?;
        let call = pair[1]
            .results
            .iter()
            .find(|r| r.how == CallHow::Refused || forbid.contains(&r.tool))?;
        Some(crate::record::Injection {
            turn: i as u32 + 2,
            call: call.tool.clone(),
            after: carrier,
            said,
        })
    })
}

enum Step {
    Answered(CallHow, crate::mcp::ToolOutput),
    /// The call may not run: the loop stops, and this says how to mock or allow it.
    Refused(String),
    /// The server failed: the trial ends as an infrastructure error.
    Failed(String),
    /// No retry or later trial can cure it (a replay without a recorded result): the run stops.
    Fatal(ModelError),
}

/// What answers a call, decided before any call of the reply runs.
enum Decision<'t> {
    /// Answered without the server: rejected, mocked or refused.
    Now(Step),
    /// Runs `tool` with these arguments on its server (or from the recording).
    Run(&'t ToolInfo, Map<String, Value>),
}

/// What the judge is told before the task, the rubric and the answer.
const JUDGE_INSTRUCTIONS: &str = "You grade the final answer of an AI assistant against a rubric. Judge only what the rubric asks. Reply with a JSON object and nothing else: {\"verdict\": \"pass\" or \"fail\", \"reason\": \"one sentence\"}.";

/// The verdict as a schema, for APIs that hold a reply to one (OpenAI's strict rules: every
/// property required, no other).
static JUDGE_OUTPUT: std::sync::LazyLock<Arc<OutputSchema>> = std::sync::LazyLock::new(|| {
    Arc::new(OutputSchema {
        name: "verdict".into(),
        description: "The verdict on the assistant's final answer against the rubric.".into(),
        schema: serde_json::json!({
            "type": "object",
            "properties": {
                "verdict": { "type": "string", "enum": ["pass", "fail"] },
                "reason": { "type": "string" }
            },
            "required": ["verdict", "reason"],
            "additionalProperties": false
        }),
    })
});

/// The verdict in a judge's reply, read as leniently as it can be without guessing: the first
/// JSON object with a `verdict` of `pass` or `fail`; else a `"verdict": "pass"` in an object the
/// reply cut off or left malformed (its `reason` as far as it goes); else prose that says
/// `verdict: pass` (or `fail`), or a reply that is that one word.
fn read_verdict(text: &str) -> (JudgeVerdict, String) {
    let word = |w: &str| match w.to_lowercase().as_str() {
        "pass" => Some(JudgeVerdict::Pass),
        "fail" => Some(JudgeVerdict::Fail),
        _ => None,
    };
    let mut i = 0;
    while let Some(off) = text[i..].find('{') {
        let start = i + off;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        if let Some(Ok(v)) = stream.next()
            && let Some(verdict) = v.get("verdict").and_then(Value::as_str).and_then(word)
        {
            let reason = v
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            return (verdict, reason);
        }
        i = start + 1;
    }
    static SLOPPY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?i)"verdict"\s*:\s*"(pass|fail)""#).expect("a valid pattern")
    });
    static REASON: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#""reason"\s*:\s*"((?:[^"\\]|\\.)*)"?"#).expect("a valid pattern")
    });
    static PROSE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\bverdict\b\W{0,4}(pass|fail)\b").expect("a valid pattern")
    });
    if let Some(verdict) = SLOPPY.captures(text).and_then(|c| word(&c[1])) {
        let reason = REASON
            .captures(text)
            .map(|c| {
                let raw = c[1].trim_end_matches('\\');
                serde_json::from_str::<String>(&format!("\"{raw}\""))
                    .unwrap_or_else(|_| raw.to_owned())
            })
            .unwrap_or_default();
        return (verdict, reason);
    }
    if let Some(verdict) = PROSE.captures(text).and_then(|c| word(&c[1])) {
        return (verdict, text.trim().to_owned());
    }
    let bare = text.trim().trim_matches(|c: char| !c.is_alphanumeric());
    if let Some(verdict) = word(bare) {
        return (verdict, String::new());
    }
    let shown: String = text.chars().take(120).collect();
    (
        JudgeVerdict::Error,
        format!("the judge's reply holds no verdict: {shown:?}"),
    )
}

/// `text` cut to at most `max` bytes at a character boundary, and its length when it was cut.
fn cap(text: String, max: usize) -> (String, Option<usize>) {
    if text.len() <= max {
        return (text, None);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let n = text.len();
    let mut text = text;
    text.truncate(end);
    (text, Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judge_verdict_is_read_from_the_first_object_that_has_one() {
        assert_eq!(
            read_verdict("Sure. {\"verdict\": \"PASS\", \"reason\": \"names v2.14.0\"}"),
            (JudgeVerdict::Pass, "names v2.14.0".to_owned())
        );
        assert_eq!(
            read_verdict("```json\n{\"verdict\": \"fail\"}\n```").0,
            JudgeVerdict::Fail
        );
        // An object without a verdict, then one right after another character.
        assert_eq!(
            read_verdict("{\"a\": 1}x{\"verdict\": \"fail\", \"reason\": \"r\"}"),
            (JudgeVerdict::Fail, "r".to_owned())
        );
        let (v, why) = read_verdict("I think it is fine.");
        assert_eq!(v, JudgeVerdict::Error);
        assert!(why.contains("no verdict"), "{why}");
    }

    #[test]
    fn a_judge_verdict_is_read_from_a_cut_object_and_from_prose() {
        // Seen from a small model: the closing `"}` missing.
        let cut = r#"{"verdict": "fail", "reason": "The answer does not provide any information about Dana Whitfield's owner."#;
        assert_eq!(
            read_verdict(cut),
            (
                JudgeVerdict::Fail,
                "The answer does not provide any information about Dana Whitfield's owner.".into()
            )
        );
        let sloppy = "{'x': 1, \"verdict\": \"PASS\", \"reason\": \"says \\\"v2\\\"\" trailing";
        assert_eq!(
            read_verdict(sloppy),
            (JudgeVerdict::Pass, "says \"v2\"".into())
        );
        let prose = "The answer names v2.14.0 and the time.\n\n**Verdict:** PASS";
        let (v, why) = read_verdict(prose);
        assert_eq!(v, JudgeVerdict::Pass);
        assert!(why.contains("names v2.14.0"), "{why}");
        assert_eq!(read_verdict("Verdict - fail.").0, JudgeVerdict::Fail);
        assert_eq!(read_verdict("  FAIL.  ").0, JudgeVerdict::Fail);
        // Words that are not a verdict are not guessed at.
        assert_eq!(
            read_verdict("It could pass, or it could fail.").0,
            JudgeVerdict::Error
        );
        assert_eq!(
            read_verdict("{\"verdict\": \"maybe\"}").0,
            JudgeVerdict::Error
        );
    }

    #[test]
    fn results_are_cut_at_a_character_boundary() {
        assert_eq!(cap("abc".into(), 3), ("abc".into(), None));
        assert_eq!(cap("aé".into(), 2), ("a".into(), Some(3)));
    }
}

/// The loop's decisions, turn by turn, against an in-process model that answers from a list:
/// when it ends, what each call meets, what is fed back and how the trial is scored.
#[cfg(test)]
mod conversation_tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::mcp::{Annotations, ServerTool};
    use crate::model::CacheSettings;
    use crate::model::{ModelReply, RawCall};
    use crate::record::{ModelInfo, Usage};
    use crate::run::{Policy, dry_run};

    /// Answers each request with the next reply of its list, and keeps the requests.
    struct Listed {
        replies: Mutex<VecDeque<Result<ModelReply, ModelError>>>,
        asked: Mutex<Vec<ModelRequest>>,
    }

    impl Model for Listed {
        fn info(&self) -> ModelInfo {
            ModelInfo {
                name: "listed".into(),
                kind: "test".into(),
                note: None,
                base_url: None,
                parameters: Default::default(),
            }
        }
        fn complete<'a>(
            &'a self,
            req: &'a ModelRequest,
        ) -> futures::future::BoxFuture<'a, Result<ModelReply, ModelError>> {
            self.asked.lock().unwrap().push(req.clone());
            let next = self.replies.lock().unwrap().pop_front();
            Box::pin(async move {
                // Each reply takes a little while, as over a network.
                tokio::time::sleep(std::time::Duration::from_millis(15)).await;
                match next {
                    Some(r) => r,
                    // No reply left: never answers (the request timeout ends it).
                    None => std::future::pending().await,
                }
            })
        }
    }

    fn calls(calls: &[(&str, &str)]) -> Result<ModelReply, ModelError> {
        Ok(ModelReply {
            tool_calls: calls
                .iter()
                .map(|(name, args)| RawCall {
                    name: (*name).into(),
                    arguments: (*args).into(),
                    recovered: false,
                    id: None,
                    signature: None,
                })
                .collect(),
            usage: Some(Usage {
                prompt_tokens: 10,
                completion_tokens: 1,
                ..Default::default()
            }),
            retries: 1,
            ..ModelReply::default()
        })
    }

    fn text(t: &str) -> Result<ModelReply, ModelError> {
        Ok(ModelReply {
            content: Some(t.into()),
            ..ModelReply::default()
        })
    }

    fn tools() -> ToolSet {
        let tool = |name: &str, read_only: Option<bool>| ServerTool {
            name: name.into(),
            description: Some(format!("{name} of a service")),
            input_schema: serde_json::json!({"type": "object", "properties": {"service": {"type": "string"}}}),
            annotations: read_only.map(|r| Annotations {
                read_only_hint: Some(r),
                ..Annotations::default()
            }),
        };
        ToolSet::new(vec![(
            "ops".into(),
            vec![
                tool("get_metric", Some(true)),
                tool("restart", None),
                tool("silence", Some(false)),
            ],
        )])
    }

    /// The outcome of one conversation of the task `yaml` (an agent task), with `mocks`, the
    /// model answering `replies` in turn.
    async fn converse(
        yaml: &str,
        mocks: &str,
        max_repeats: u32,
        replies: Vec<Result<ModelReply, ModelError>>,
    ) -> (TrialRecord, Option<ModelError>, Vec<ModelRequest>) {
        converse_with(yaml, mocks, max_repeats, replies, |_| {}).await
    }

    /// [`converse`] with the run's settings changed by `setup`.
    async fn converse_with(
        yaml: &str,
        mocks: &str,
        max_repeats: u32,
        replies: Vec<Result<ModelReply, ModelError>>,
        setup: impl FnOnce(&mut AgentRun),
    ) -> (TrialRecord, Option<ModelError>, Vec<ModelRequest>) {
        let text = format!("id: t\nprompt: Is checkout healthy?\nmode: agent\n{yaml}");
        let task: crate::config::Task =
            serde_saphyr::from_str_with_options(&text, crate::config::yaml_options()).unwrap();
        let mocks: Mocks = if mocks.is_empty() {
            Mocks::new()
        } else {
            serde_saphyr::from_str(mocks).unwrap()
        };
        let settings = AgentTask::merged(
            task.max_turns.unwrap_or(4),
            max_repeats,
            [&Mocks::new(), &Mocks::new(), &mocks],
        );
        let planned = PlannedTask {
            suite: "s".into(),
            task: Arc::new(task),
            agent: Some(Arc::new(settings.clone())),
        };
        let tools = Arc::new(tools());
        let run = AgentRun {
            servers: None,
            server_names: ["ops".to_owned()].into(),
            policy: Policy::default(),
            max_result_bytes: 100,
            cache: CacheSettings {
                mode: CacheMode::Off,
                dir: std::path::PathBuf::new(),
            },
            judge: None,
            users: Default::default(),
        };
        let mut run = run;
        setup(&mut run);
        let model = Listed {
            replies: Mutex::new(replies.into()),
            asked: Mutex::new(Vec::new()),
        };
        let judge = Judge::new(&tools);
        let trial = AgentTrial {
            t: &planned,
            settings: &settings,
            run: &run,
            model: &model,
            tools: &tools,
            judge: &judge,
            request_timeout: std::time::Duration::from_secs(1),
            recover: false,
            deferred: None,
        };
        let req = ModelRequest::new(Vec::new(), "Is checkout healthy?".into(), tools.clone(), 0);
        let (rec, fatal) = trial.run(req).await;
        let asked = model.asked.into_inner().unwrap();
        (rec, fatal, asked)
    }

    fn listed(replies: Vec<Result<ModelReply, ModelError>>) -> Arc<Listed> {
        Arc::new(Listed {
            replies: Mutex::new(replies.into()),
            asked: Mutex::new(Vec::new()),
        })
    }

    const METRIC: &str = r#"{"service": "checkout"}"#;
    const MOCKED: &str = "get_metric: { result: { error_rate: 0.2 } }";

    fn agent(rec: &TrialRecord) -> &AgentRecord {
        rec.agent.as_deref().expect("an agent record")
    }

    #[tokio::test]
    async fn a_mocked_result_is_fed_back_and_the_answer_ends_the_loop() {
        let (rec, fatal, asked) = converse(
            "expect: { tool: get_metric }\nanswer: { contains: '0.2' }",
            MOCKED,
            0,
            vec![
                calls(&[("get_metric", METRIC)]),
                text("The error rate is 0.2."),
            ],
        )
        .await;
        assert!(fatal.is_none());
        let a = agent(&rec);
        assert_eq!(a.end, LoopEnd::Answered);
        assert_eq!(a.turns.len(), 2);
        assert_eq!(a.answer.as_deref(), Some("The error rate is 0.2."));
        assert_eq!(a.turns[0].results[0].how, CallHow::Mocked);
        assert_eq!(rec.outcome, Outcome::Pass, "{}", rec.reason);
        assert_eq!(rec.called, ["get_metric"]);
        // The second request carries the call, an id made up for it, and the mock's result.
        assert_eq!(asked.len(), 2);
        assert!(asked[0].exchanges.is_empty());
        let fed = &asked[1].exchanges[0].calls[0];
        assert_eq!(fed.id, "call_1_0");
        assert!(!fed.id_from_model);
        assert!(fed.result.contains("0.2"), "{}", fed.result);
        // Usage and retries add up over the turns, and so does the time the model took.
        assert_eq!(rec.usage.as_ref().map(|u| u.prompt_tokens), Some(10));
        assert_eq!(rec.retries, 1);
        assert!(a.model_ms >= 30, "{}", a.model_ms);
        assert!(rec.latency_ms >= a.model_ms);
        assert!(!rec.cached);
    }

    #[tokio::test]
    async fn a_trial_is_cached_when_any_of_its_replies_came_from_the_cache() {
        let mut first = calls(&[("get_metric", METRIC)]);
        if let Ok(r) = &mut first {
            r.cached = true;
        }
        let (rec, _, _) = converse(
            "expect: { tool: get_metric }",
            MOCKED,
            0,
            vec![first, text("0.2")],
        )
        .await;
        assert!(rec.cached);
        assert!(agent(&rec).turns[0].cached && !agent(&rec).turns[1].cached);
    }

    #[tokio::test]
    async fn the_turn_limit_ends_a_conversation_that_keeps_calling() {
        let replies = (0..5)
            .map(|i| calls(&[("get_metric", &format!(r#"{{"service": "s{i}"}}"#))]))
            .collect();
        let (rec, _, asked) = converse(
            "max_turns: 3\nexpect: { tool: get_metric }",
            MOCKED,
            0,
            replies,
        )
        .await;
        let a = agent(&rec);
        assert_eq!(a.end, LoopEnd::TurnLimit);
        assert_eq!(a.turns.len(), 3);
        assert_eq!(asked.len(), 3);
        assert_eq!(rec.outcome, Outcome::TurnLimit);
        assert_eq!(a.redundant_calls, 0);
        assert_eq!(rec.usage.as_ref().map(|u| u.completion_tokens), Some(3));
        assert_eq!(rec.retries, 3);
    }

    #[tokio::test]
    async fn the_same_call_in_max_repeats_turns_ends_the_loop_as_a_loop() {
        let replies = (0..5).map(|_| calls(&[("get_metric", METRIC)])).collect();
        let (rec, _, _) = converse(
            "max_turns: 6\nexpect: { tool: get_metric }",
            MOCKED,
            3,
            replies,
        )
        .await;
        let a = agent(&rec);
        assert_eq!(a.end, LoopEnd::Repeated);
        assert_eq!(a.turns.len(), 3);
        let r = a.repeated.as_ref().expect("the repeated call");
        assert_eq!((r.tool.as_str(), r.times), ("get_metric", 3));
        assert_eq!(a.redundant_calls, 2);
        assert_eq!(rec.outcome, Outcome::Looped);
        // The same call twice in one reply is redundant, but one turn of repeating.
        let twice = vec![
            calls(&[("get_metric", METRIC), ("get_metric", METRIC)]),
            text("done"),
        ];
        let (rec, _, _) = converse("expect: { tool: get_metric }", MOCKED, 2, twice).await;
        assert_eq!(agent(&rec).end, LoopEnd::Answered);
        assert_eq!(agent(&rec).redundant_calls, 1);
        // With no limit, repeats never end the loop.
        let replies = (0..5).map(|_| calls(&[("get_metric", METRIC)])).collect();
        let (rec, _, _) = converse(
            "max_turns: 4\nexpect: { tool: get_metric }",
            MOCKED,
            0,
            replies,
        )
        .await;
        assert_eq!(agent(&rec).end, LoopEnd::TurnLimit);
    }

    #[tokio::test]
    async fn a_call_that_may_not_run_stops_the_loop_and_the_calls_after_it_are_not_made() {
        let (rec, _, asked) = converse(
            "expect: { tool: restart }\nanswer: { contains: restarted }",
            MOCKED,
            0,
            vec![
                calls(&[
                    ("get_metric", METRIC),
                    ("restart", METRIC),
                    ("get_metric", r#"{"service": "cart"}"#),
                ]),
                text("never asked"),
            ],
        )
        .await;
        let a = agent(&rec);
        assert_eq!(a.end, LoopEnd::Stopped);
        assert_eq!(asked.len(), 1);
        assert_eq!(rec.called, ["get_metric", "restart"]);
        let stop = a.stopped_at.as_ref().expect("where it stopped");
        assert_eq!(stop.tool, "restart");
        assert!(stop.why.contains("has no annotations"), "{}", stop.why);
        assert_eq!(a.turns[0].results[1].how, CallHow::Refused);
        assert_eq!(rec.outcome, Outcome::Stopped, "{}", rec.reason);
        assert!(
            rec.notes
                .iter()
                .any(|n| n.starts_with("stopped at `restart`"))
        );
    }

    #[tokio::test]
    async fn unknown_tools_and_bad_arguments_are_answered_with_an_error_and_the_loop_goes_on() {
        let (rec, _, asked) = converse(
            "expect: { tool: get_metric }",
            MOCKED,
            0,
            vec![
                calls(&[("get_metrics", METRIC), ("get_metric", "{\"service\": ")]),
                calls(&[("get_metric", METRIC)]),
                text("0.2"),
            ],
        )
        .await;
        let a = agent(&rec);
        assert_eq!(a.end, LoopEnd::Answered);
        let first = &a.turns[0].results;
        assert_eq!(first[0].how, CallHow::Rejected);
        assert!(first[0].is_error);
        assert!(first[0].text.contains("no tool named `get_metrics`"));
        assert!(
            first[1].text.contains("not a JSON object"),
            "{}",
            first[1].text
        );
        assert_eq!(asked[1].exchanges[0].calls.len(), 2);
        assert_eq!(a.tool_errors, 2, "a rejected call is a tool error");
    }

    #[tokio::test]
    async fn a_mocked_tool_whose_when_fits_no_call_stops_the_loop() {
        let (rec, _, _) = converse(
            "expect: { tool: get_metric }",
            "get_metric: [{ when: { service: cart }, result: 1 }]",
            0,
            vec![calls(&[("get_metric", METRIC)]), text("x")],
        )
        .await;
        let a = agent(&rec);
        assert_eq!(a.end, LoopEnd::Stopped);
        assert!(
            a.stopped_at
                .as_ref()
                .unwrap()
                .why
                .contains("no mock's `when` fits")
        );
    }

    #[tokio::test]
    async fn a_model_error_or_a_server_that_is_not_there_ends_the_trial_as_an_error() {
        let mut fatal = ModelError::new(ErrorKind::Fatal, "the key was refused");
        fatal.retries = 2;
        let (rec, got, _) = converse(
            "expect: { tool: get_metric }",
            MOCKED,
            0,
            vec![calls(&[("get_metric", METRIC)]), Err(fatal)],
        )
        .await;
        assert_eq!(rec.outcome, Outcome::Error);
        assert_eq!(agent(&rec).end, LoopEnd::Error);
        assert_eq!(rec.reason, "the key was refused (turn 2, after 2 retries)");
        assert_eq!(rec.retries, 3);
        assert!(got.is_some(), "a fatal error stops the run");
        let (rec, got, _) = converse(
            "expect: { tool: get_metric }",
            MOCKED,
            0,
            vec![Err(ModelError::new(ErrorKind::Transient, "HTTP 500"))],
        )
        .await;
        assert_eq!(rec.reason, "HTTP 500 (turn 1)");
        assert!(got.is_none(), "only this trial fails");
        // Not mocked and read-only, the call goes to its server, which is not connected.
        let (rec, _, _) = converse(
            "expect: { tool: get_metric }",
            "",
            0,
            vec![calls(&[("get_metric", METRIC)]), text("x")],
        )
        .await;
        assert_eq!(rec.outcome, Outcome::Error);
        assert_eq!(rec.reason, "server `ops` is not connected");
    }

    #[tokio::test(start_paused = true)]
    async fn a_model_that_does_not_answer_in_time_ends_the_trial_as_an_error() {
        let (rec, got, _) = converse(
            "expect: { tool: get_metric }",
            MOCKED,
            0,
            vec![calls(&[("get_metric", METRIC)])],
        )
        .await;
        assert_eq!(rec.outcome, Outcome::Error);
        assert_eq!(rec.reason, "the model did not answer within 1s (turn 2)");
        assert!(got.is_none());
        assert_eq!(agent(&rec).turns.len(), 1);
    }

    #[tokio::test]
    async fn a_replay_answers_from_the_recording_and_a_missing_result_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let key = crate::model::cache_key(&[
            "tool-result-v1",
            "t",
            "0",
            "ops",
            "get_metric",
            r#"{"service":"checkout"}"#,
            "1",
        ]);
        let recorded = RecordedResult {
            text: "error_rate 0.31".into(),
            is_error: false,
            notes: vec![],
        };
        crate::model::write_recorded(dir.path(), TOOL_RESULT, &key, &recorded);
        let replay = |run: &mut AgentRun| {
            run.cache = CacheSettings {
                mode: CacheMode::Replay,
                dir: dir.path().to_owned(),
            }
        };
        let (rec, fatal, asked) = converse_with(
            "expect: { tool: get_metric }",
            "",
            0,
            vec![
                calls(&[("get_metric", METRIC)]),
                calls(&[("get_metric", METRIC)]),
                text("x"),
            ],
            replay,
        )
        .await;
        let first = &agent(&rec).turns[0].results[0];
        assert_eq!(
            (first.how, first.text.as_str()),
            (CallHow::Replayed, "error_rate 0.31")
        );
        assert_eq!(asked[1].exchanges[0].calls[0].result, "error_rate 0.31");
        // The same call again was not recorded a second time: the run cannot go on.
        let fatal = fatal.expect("a replay miss stops the run");
        assert!(
            fatal
                .message
                .contains("no recorded result of `get_metric` for task `t`")
        );
        assert!(fatal.hint.unwrap().contains("--cache readwrite"));
        assert_eq!(rec.outcome, Outcome::Error);
    }

    #[tokio::test]
    async fn the_judge_grades_an_answer_and_only_an_answer() {
        let rubric = "expect: { tool: get_metric }\njudge: The answer gives the error rate.";
        let judge = listed(vec![text(r#"{"verdict": "pass", "reason": "it does"}"#)]);
        let j = judge.clone();
        let (rec, fatal, _) = converse_with(
            rubric,
            MOCKED,
            0,
            vec![calls(&[("get_metric", METRIC)]), text("It is 0.2.")],
            move |run| run.judge = Some(j),
        )
        .await;
        assert!(fatal.is_none());
        let verdict = agent(&rec).judge.as_ref().expect("judged");
        assert_eq!(verdict.verdict, JudgeVerdict::Pass);
        assert_eq!(verdict.reason, "it does");
        assert_eq!(verdict.model, "listed");
        // The judge saw the task, the rubric and the answer, and was asked for a verdict.
        let asked = judge.asked.lock().unwrap().clone();
        assert_eq!(asked.len(), 1);
        assert!(asked[0].user_text.contains("Is checkout healthy?"));
        assert!(
            asked[0]
                .user_text
                .contains("The answer gives the error rate.")
        );
        assert!(asked[0].user_text.contains("It is 0.2."));
        assert!(asked[0].output.is_some());
        // A conversation that ended without an answer is not judged.
        let judge = listed(vec![text(r#"{"verdict": "pass"}"#)]);
        let j = judge.clone();
        let replies = (0..3).map(|_| calls(&[("get_metric", METRIC)])).collect();
        let (rec, _, _) = converse_with(
            &format!("max_turns: 2\n{rubric}"),
            MOCKED,
            0,
            replies,
            move |run| run.judge = Some(j),
        )
        .await;
        assert!(agent(&rec).judge.is_none());
        assert!(judge.asked.lock().unwrap().is_empty());
        // A judge whose key is refused stops the run; the trial keeps its own outcome.
        let judge = listed(vec![Err(ModelError::new(ErrorKind::Fatal, "401"))]);
        let (rec, fatal, _) = converse_with(
            rubric,
            MOCKED,
            0,
            vec![calls(&[("get_metric", METRIC)]), text("It is 0.2.")],
            move |run| run.judge = Some(judge),
        )
        .await;
        assert!(fatal.is_some());
        let verdict = agent(&rec).judge.as_ref().unwrap();
        assert_eq!(verdict.verdict, JudgeVerdict::Error);
        assert_eq!(verdict.reason, "the judge failed: 401");
        assert_eq!(rec.outcome, Outcome::Pass);
    }

    #[test]
    fn the_nearest_mocks_win_and_the_dry_run_says_what_each_tool_meets() {
        let layer = |yaml: &str| -> Mocks { serde_saphyr::from_str(yaml).unwrap() };
        let eval = layer("get_metric: { result: eval }\nrestart: { result: eval }");
        let suite = layer("get_metric: { result: suite }");
        let task = layer("silence: { result: task }");
        let merged = AgentTask::merged(5, 2, [&eval, &suite, &task]);
        assert_eq!((merged.max_turns, merged.max_repeats), (5, 2));
        let answer = |tool: &str| merged.mocks[tool].mocks()[0].answer.text();
        assert_eq!(answer("get_metric"), "suite");
        assert_eq!(answer("restart"), "eval");
        assert_eq!(answer("silence"), "task");
        let yaml = "id: t\nprompt: p\nmode: agent\nexpect: none\n";
        let planned = |agent: Option<AgentTask>| PlannedTask {
            suite: "s".into(),
            task: Arc::new(
                serde_saphyr::from_str_with_options(yaml, crate::config::yaml_options()).unwrap(),
            ),
            agent: agent.map(Arc::new),
        };
        let only_metric = AgentTask::merged(
            4,
            0,
            [
                &layer("get_metric: { result: 1 }"),
                &Mocks::new(),
                &Mocks::new(),
            ],
        );
        let run = AgentRun {
            servers: None,
            server_names: ["ops".to_owned()].into(),
            policy: Policy {
                allow: ["silence".to_owned()].into(),
                allow_destructive: false,
            },
            max_result_bytes: 100,
            cache: CacheSettings {
                mode: CacheMode::Off,
                dir: std::path::PathBuf::new(),
            },
            judge: None,
            users: Default::default(),
        };
        let tasks = [planned(Some(only_metric)), planned(None)];
        let plan = dry_run(&tasks, &run, &tools(), None);
        assert_eq!(plan.len(), 1, "single-turn tasks have no loop");
        assert_eq!(plan[0].mocked, ["get_metric"]);
        // Not read-only and not said otherwise, MCP takes `silence` to be destructive: listed
        // in `allow_tools`, it still needs --allow-destructive.
        assert!(plan[0].runs.is_empty());
        let stops: Vec<&str> = plan[0].stops.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(stops, ["restart", "silence"]);
        assert!(plan[0].stops[1].1.contains("--allow-destructive"));
        let destructive = AgentRun {
            policy: Policy {
                allow: ["silence".to_owned()].into(),
                allow_destructive: true,
            },
            ..run
        };
        let plan = dry_run(&tasks, &destructive, &tools(), None);
        assert_eq!(plan[0].runs, ["silence"]);
        // Tools of a tool list, not a server, can only be mocked.
        let listed_only = AgentRun {
            server_names: HashSet::new(),
            ..destructive
        };
        let plan = dry_run(
            &[planned(Some(AgentTask::merged(
                4,
                0,
                [&Mocks::new(), &Mocks::new(), &Mocks::new()],
            )))],
            &listed_only,
            &tools(),
            None,
        );
        assert!(plan[0].runs.is_empty());
        assert!(
            plan[0]
                .stops
                .iter()
                .all(|(_, why)| why == "from a tool list, not a server")
        );
    }

    const TWO_TURNS: &str = "expect: { tool: get_metric }\nturns:\n  - prompt: And payments?\n    expect: { tool: get_metric, args: { service: payments } }\n    answer: { contains: '0.5' }\n  - prompt: Thanks. Anything else?\n    expect: none\n";

    #[tokio::test]
    async fn scripted_turns_carry_the_conversation_and_each_is_checked() {
        let (rec, fatal, asked) = converse(
            TWO_TURNS,
            "get_metric: [{ when: { service: checkout }, result: '0.2' }, { result: '0.5' }]",
            0,
            vec![
                calls(&[("get_metric", METRIC)]),
                text("Checkout is at 0.2."),
                calls(&[("get_metric", r#"{"service": "payments"}"#)]),
                text("Payments is at 0.5."),
                text("No."),
            ],
        )
        .await;
        assert!(fatal.is_none());
        assert_eq!(rec.outcome, Outcome::Pass, "{}", rec.reason);
        assert!(
            rec.reason.starts_with("all 3 turns passed"),
            "{}",
            rec.reason
        );
        let a = agent(&rec);
        let d = a.dialogue.as_deref().unwrap();
        assert_eq!(d.user_turns, 3);
        assert_eq!(d.end, DialogueEnd::Scripted);
        assert_eq!(d.verdicts.len(), 3);
        assert_eq!(a.turns[2].user.as_deref(), Some("And payments?"));
        assert_eq!(a.turns[4].user.as_deref(), Some("Thanks. Anything else?"));
        // The third request carries the first answer and the user's next message.
        let x = &asked[2].exchanges;
        assert_eq!(
            x.last().unwrap().content.as_deref(),
            Some("Checkout is at 0.2.")
        );
        assert_eq!(x.last().unwrap().user.as_deref(), Some("And payments?"));
        assert_eq!(asked[2].user_text, "And payments?");
        assert_eq!(asked.len(), 5);
    }

    #[tokio::test]
    async fn a_failing_second_turn_is_the_outcome_and_the_rest_is_not_sent() {
        let (rec, _, asked) = converse(
            TWO_TURNS,
            "get_metric: { result: '0.2' }",
            0,
            vec![
                calls(&[("get_metric", METRIC)]),
                text("Checkout is at 0.2."),
                calls(&[("get_metric", METRIC)]),
                text("Payments is at 0.2."),
            ],
        )
        .await;
        assert_eq!(rec.outcome, Outcome::BadArgs, "{}", rec.reason);
        assert!(rec.reason.starts_with("turn 2: "), "{}", rec.reason);
        let d = agent(&rec).dialogue.as_deref().unwrap();
        assert_eq!((d.failed_turn, d.end), (Some(2), DialogueEnd::FailedTurn));
        assert_eq!(asked.len(), 4, "turn 3 is never sent");
    }

    const USER: &str = "user:\n  goal: Know the error rate of the service that matters.\n  knows: [the service is payments]\n  max_turns: 3\nexpect: { tool: get_metric, args: { service: payments } }\n";

    fn with_user(replies: Vec<Result<ModelReply, ModelError>>) -> impl FnOnce(&mut AgentRun) {
        move |run| {
            run.users
                .insert(String::new(), listed(replies) as Arc<dyn Model>);
        }
    }

    #[tokio::test]
    async fn a_model_that_asks_then_acts_passes_asked_before_acting() {
        let (rec, fatal, asked) = converse_with(
            USER,
            MOCKED,
            0,
            vec![
                text("Which service?"),
                calls(&[("get_metric", r#"{"service": "payments"}"#)]),
                text("Payments is at 0.2."),
            ],
            with_user(vec![text("payments"), text("Thanks!\nGOAL_REACHED")]),
        )
        .await;
        assert!(fatal.is_none());
        assert_eq!(rec.outcome, Outcome::Pass, "{}", rec.reason);
        let d = agent(&rec).dialogue.as_deref().unwrap();
        assert_eq!(d.end, DialogueEnd::Done);
        assert_eq!(d.turns_to_goal, Some(2));
        assert_eq!(d.questions, 1);
        assert_eq!(d.closing.as_deref(), Some("Thanks!"));
        assert_eq!(d.user_model.as_deref(), Some("listed"));
        let a = d.asked.as_ref().unwrap();
        assert!(a.passed);
        assert_eq!(a.asked[0].value, "payments");
        assert_eq!(asked[1].user_text, "payments");
    }

    #[tokio::test]
    async fn a_model_that_invents_what_the_user_knows_fails() {
        let (rec, _, _) = converse_with(
            USER,
            MOCKED,
            0,
            vec![
                calls(&[("get_metric", r#"{"service": "payments"}"#)]),
                text("Payments is at 0.2."),
            ],
            with_user(vec![text("GOAL_REACHED")]),
        )
        .await;
        assert_eq!(rec.outcome, Outcome::InventedArgument, "{}", rec.reason);
        assert!(
            rec.reason
                .contains("`service` of `get_metric` = \"payments\" (turn 1)"),
            "{}",
            rec.reason
        );
    }

    #[tokio::test]
    async fn a_user_who_never_says_done_ends_at_the_turn_limit() {
        let (rec, _, asked) = converse_with(
            USER,
            MOCKED,
            0,
            vec![
                text("Which service?"),
                calls(&[("get_metric", r#"{"service": "payments"}"#)]),
                text("Payments is at 0.2."),
                text("Anything else?"),
            ],
            with_user(vec![text("payments"), text("hmm")]),
        )
        .await;
        assert_eq!(rec.outcome, Outcome::TurnLimit, "{}", rec.reason);
        assert!(
            rec.reason.contains("within 3 user messages"),
            "{}",
            rec.reason
        );
        let d = agent(&rec).dialogue.as_deref().unwrap();
        assert_eq!(
            (d.end, d.user_turns, d.turns_to_goal),
            (DialogueEnd::TurnLimit, 3, None)
        );
        assert_eq!(asked.len(), 4);
    }

    #[tokio::test]
    async fn a_failing_user_model_is_an_infrastructure_error() {
        let (rec, _, _) = converse_with(
            USER,
            MOCKED,
            0,
            vec![text("Which service?")],
            with_user(vec![Err(ModelError::new(ErrorKind::Other, "HTTP 500"))]),
        )
        .await;
        assert_eq!(rec.outcome, Outcome::Error);
        assert!(
            rec.reason
                .contains("the user model failed: HTTP 500 (user turn 2)"),
            "{}",
            rec.reason
        );
    }

    #[tokio::test]
    async fn a_turn_that_stops_before_an_answer_leaves_the_next_unsent_and_fails() {
        let (rec, _, asked) = converse(
            "expect: { tool: restart }\nturns:\n  - prompt: And then?\n    expect: none\n",
            "",
            0,
            vec![calls(&[("restart", METRIC)]), text("never asked")],
        )
        .await;
        assert_eq!(rec.outcome, Outcome::Stopped, "{}", rec.reason);
        assert!(rec.reason.starts_with("turn 1: "), "{}", rec.reason);
        assert!(
            rec.reason
                .contains("could not go on to turn 2 (\"And then?\")"),
            "{}",
            rec.reason
        );
        assert_eq!(asked.len(), 1);
    }
}
