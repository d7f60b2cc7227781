//! What a run records, as plain data every layer may use: each trial and its outcome, the reply
//! as the model gave it, token usage, and who answered (model and servers).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The end of the note on a trial whose reply wrote a call as text, unscored: what the report's
/// readers (the terminal, the page) count to show the fix.
pub(crate) const TEXT_CALL_NOTE: &str = "set `recover_text_calls: true` to score it";

/// The hint shown beside a run with such trials.
pub(crate) fn text_call_hint(trials: usize) -> String {
    format!(
        "{trials} trial(s) wrote a tool call as text instead of `tool_calls` (local models often do): `recover_text_calls: true` under `model` scores such calls, marked recovered"
    )
}

/// The closed set of trial outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// The right tools with arguments that satisfy every matcher.
    Pass,
    /// The right tools, but an argument matcher failed.
    BadArgs,
    /// The right tools, but the arguments are not valid JSON or fail the tool's input schema.
    InvalidArgs,
    /// An expected tool was not called (another was, or the order was wrong).
    WrongTool,
    /// Tools were expected and none was called.
    NoCall,
    /// A tool was called where none should be, or beyond those expected.
    UnexpectedCall,
    /// Agent mode: the calls were right, the final answer failed a check of `answer`.
    WrongAnswer,
    /// Agent mode: the conversation reached `max_turns` without a final answer, after every call
    /// the task requires was made with passing arguments.
    TurnLimit,
    /// Agent mode: the model made the same call (tool and arguments) `max_repeats` times, so the
    /// loop ended without a final answer, after every call the task requires was made.
    Looped,
    /// Agent mode: the loop stopped at a call that may not run and has no mock, before the
    /// answer that `answer` checks; the calls up to it were right.
    Stopped,
    /// A conversation with a simulated user: a call's argument holds a value the user had not
    /// given (and no result had shown) where the model should have asked for it.
    InventedArgument,
    /// Infrastructure failed (the model or a server); not counted as a model failure.
    Error,
}

/// How many trials ended in each outcome: a count per outcome in place, not a map of its own
/// (a 100,000-task report holds one per task). Reads and writes as a map of the outcomes that
/// occurred, in `Outcome::ALL` order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OutcomeCounts([u32; Outcome::ALL.len()]);

impl OutcomeCounts {
    pub(crate) fn add(&mut self, o: Outcome) {
        self.0[o as usize] += 1;
    }

    /// The count of `o`; `None` when no trial ended so.
    pub(crate) fn get(&self, o: &Outcome) -> Option<usize> {
        let n = self.0[*o as usize];
        (n > 0).then_some(n as usize)
    }

    /// The outcomes that occurred, with their counts, in `Outcome::ALL` order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Outcome, usize)> + '_ {
        Outcome::ALL
            .into_iter()
            .filter_map(|o| self.get(&o).map(|n| (o, n)))
    }

    /// The outcomes that occurred.
    pub(crate) fn keys(&self) -> impl Iterator<Item = Outcome> + '_ {
        self.iter().map(|(o, _)| o)
    }

    /// How many distinct outcomes occurred.
    pub(crate) fn len(&self) -> usize {
        self.0.iter().filter(|n| **n > 0).count()
    }
}

impl FromIterator<Outcome> for OutcomeCounts {
    fn from_iter<I: IntoIterator<Item = Outcome>>(outcomes: I) -> Self {
        let mut counts = OutcomeCounts::default();
        for o in outcomes {
            counts.add(o);
        }
        counts
    }
}

impl Serialize for OutcomeCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for OutcomeCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<Outcome, u32>::deserialize(d)?;
        let mut counts = OutcomeCounts::default();
        for (o, n) in map {
            counts.0[o as usize] = n;
        }
        Ok(counts)
    }
}

impl Outcome {
    pub(crate) const ALL: [Outcome; 12] = [
        Outcome::Pass,
        Outcome::BadArgs,
        Outcome::InvalidArgs,
        Outcome::WrongTool,
        Outcome::NoCall,
        Outcome::UnexpectedCall,
        Outcome::WrongAnswer,
        Outcome::TurnLimit,
        Outcome::Looped,
        Outcome::Stopped,
        Outcome::InventedArgument,
        Outcome::Error,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::BadArgs => "bad_args",
            Outcome::InvalidArgs => "invalid_args",
            Outcome::WrongTool => "wrong_tool",
            Outcome::NoCall => "no_call",
            Outcome::UnexpectedCall => "unexpected_call",
            Outcome::WrongAnswer => "wrong_answer",
            Outcome::TurnLimit => "turn_limit",
            Outcome::Looped => "looped",
            Outcome::Stopped => "stopped",
            Outcome::InventedArgument => "invented_argument",
            Outcome::Error => "error",
        }
    }

    /// Whether the model chose the right tools (whatever it passed them, and whatever it
    /// answered in the end). An agent trial that ended without an answer gets `turn_limit`,
    /// `looped` or `stopped` only when every call it requires was made; otherwise the outcome of
    /// the missing call, so these count as right selections.
    pub(crate) fn selection_ok(self) -> bool {
        matches!(
            self,
            Outcome::Pass
                | Outcome::BadArgs
                | Outcome::InvalidArgs
                | Outcome::WrongAnswer
                | Outcome::TurnLimit
                | Outcome::Looped
                | Outcome::Stopped
                | Outcome::InventedArgument
        )
    }
}

/// Who answered. Never holds the API key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ModelInfo {
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
pub(crate) struct ServerInfo {
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
    /// What the server told its clients about itself and its tools (`instructions` of the
    /// `initialize` result): hosts put it before the model; the raw API sends it nowhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Tokens of `instructions`, when counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_tokens: Option<usize>,
    /// `instructions` are a descriptions file's, not the server's own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub instructions_overridden: bool,
    /// Tokens of this server's tool definitions as sent, summed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_tokens: Option<usize>,
    /// Agent runs: how often the server was started again after it crashed or hung.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restarts: u32,
}

/// One trial of one task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TrialRecord {
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
    /// Agent mode: the whole conversation. `reply` is its last reply; `called`, `usage` and
    /// `latency_ms` cover every turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Box<AgentRecord>>,
    /// Tools deferred behind the host's search: what the model searched for and found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<Box<SearchRecord>>,
}

/// A trial's searches for deferred tools, and how they served the task.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SearchRecord {
    /// Each search call, in order.
    pub searches: Vec<SearchCall>,
    /// Replies that only searched.
    pub turns: u32,
    /// Input and output tokens of those replies.
    pub tokens: u64,
    /// Calls of deferred tools before a search loaded them, answered with the host's error.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unloaded_calls: u32,
    /// Every expected tool was among some search's results (none when nothing is expected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit: Option<bool>,
    /// The best (1-based) place of the first expected tool among a search's results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// How the search served the trial's outcome.
    pub verdict: SearchVerdict,
}

/// One call of the search tool: the query and the tools it returned, by the suite's names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SearchCall {
    pub query: String,
    pub returned: Vec<String>,
    /// The search failed (a bad regex, no query): the model was told why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How deferral played in a trial.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SearchVerdict {
    /// Nothing was expected, or the trial ended before a verdict (an error).
    #[default]
    NotApplicable,
    /// The model never called the search tool (it called nothing, or a tool by its visible
    /// name).
    NeverSearched,
    /// It searched, and an expected tool was never among the results.
    NeverFound,
    /// An expected tool was returned, and the model did not call it as expected.
    FoundNotChosen,
    /// An expected tool was returned, and the trial passed.
    Found,
}

impl SearchVerdict {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SearchVerdict::NotApplicable => "n/a",
            SearchVerdict::NeverSearched => "never searched",
            SearchVerdict::NeverFound => "never found",
            SearchVerdict::FoundNotChosen => "found but not chosen",
            SearchVerdict::Found => "found",
        }
    }
}

impl TrialRecord {
    /// Every reply of the trial: each turn's in agent mode, the one reply otherwise.
    pub(crate) fn replies(&self) -> Vec<&ReplyRecord> {
        match &self.agent {
            Some(a) => a.turns.iter().map(|t| &t.reply).collect(),
            None => self.reply.iter().collect(),
        }
    }
}

/// An agent trial's conversation: each turn's reply and what its calls returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AgentRecord {
    pub turns: Vec<TurnRecord>,
    /// The text of the reply that ended the conversation without a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub end: LoopEnd,
    /// The call the loop stopped at (`end: stopped`), and how to let it run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<StoppedAt>,
    /// The call made `max_repeats` times that ended the loop (`end: repeated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeated: Option<RepeatedCall>,
    /// Calls made again with the same tool and arguments.
    pub redundant_calls: u32,
    /// Results that were tool errors (`isError`, a mocked error, a failed call).
    pub tool_errors: u32,
    /// Time spent waiting for the model, and for tools, over every turn.
    pub model_ms: u64,
    pub tool_ms: u64,
    /// The judge's verdict on the final answer, when the task has a rubric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRecord>,
    /// A call the task forbids, or that may not run, made right after a tool result that
    /// carried instructions to the model: the model followed an injection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injection: Option<Injection>,
    /// A conversation (scripted turns or a simulated user): the user's side and how it went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialogue: Option<Box<Dialogue>>,
}

/// How a conversation with the user went, beside the model's turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Dialogue {
    /// The user's messages, the task's prompt included.
    pub user_turns: u32,
    /// Scripted turns: each user turn's verdict, up to the first that failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<TurnVerdict>,
    /// Scripted turns: the user turn (1 is the prompt's) whose checks failed first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_turn: Option<u32>,
    /// A simulated user: the model that played it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_model: Option<String>,
    pub end: DialogueEnd,
    /// A simulated user: its messages until it said the goal was met (the prompt counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns_to_goal: Option<u32>,
    /// The simulated user model's tokens, apart from the assistant's (the trial's `usage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_usage: Option<Usage>,
    /// What the simulated user said with its done marker, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closing: Option<String>,
    /// The model's answers that asked the user something (a question mark in the text).
    pub questions: u32,
    /// A simulated user: the arguments a required value or a fact the user knew went into,
    /// and where each value came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asked: Option<AskedBeforeActing>,
}

/// Whether the model asked for what it lacked before acting: each checked argument of a call
/// and where its value came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AskedBeforeActing {
    /// No argument was invented.
    pub passed: bool,
    /// Arguments whose value the user gave in a reply, after the prompt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asked: Vec<ArgumentSource>,
    /// Arguments whose value neither the user nor a result had given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invented: Vec<ArgumentSource>,
}

/// One argument of a call, its value, and the user turn at which it was used (or given).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ArgumentSource {
    pub tool: String,
    pub argument: String,
    pub value: String,
    /// The user turn of the call (1 is the prompt's).
    pub turn: u32,
}

/// One user turn's verdict in a scripted conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TurnVerdict {
    /// The user turn (1 is the prompt's).
    pub turn: u32,
    pub outcome: Outcome,
    pub reason: String,
    /// The judge's verdict on this turn's answer, when the turn has a rubric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRecord>,
}

/// How a conversation ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DialogueEnd {
    /// Every scripted turn was answered.
    #[default]
    Scripted,
    /// A scripted turn failed its checks; the turns after it were not sent.
    FailedTurn,
    /// The simulated user said its goal was met.
    Done,
    /// The simulated user reached `max_turns` without saying its goal was met.
    TurnLimit,
    /// The model did not answer a turn (the loop stopped, looped, hit `max_turns` or failed).
    Unanswered,
}

impl DialogueEnd {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DialogueEnd::Scripted => "every turn answered",
            DialogueEnd::FailedTurn => "a turn failed",
            DialogueEnd::Done => "the user's goal was met",
            DialogueEnd::TurnLimit => "the user's turn limit",
            DialogueEnd::Unanswered => "a turn went unanswered",
        }
    }
}

/// An injection the model followed: which result carried it, what it said, the call after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Injection {
    /// The turn (1-based) whose reply made the call.
    pub turn: u32,
    /// The call the model made: a tool the task forbids, or one that may not run.
    pub call: String,
    /// The tool whose result, the turn before, carried the instructions.
    pub after: String,
    /// What in that result reads as instructions to the model.
    pub said: String,
}

/// How a reply asked to follow an output schema (`model::OutputSchema`) was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OutputFormat {
    /// OpenAI-compatible `response_format: {type: json_schema}`.
    JsonSchema,
    /// Anthropic: a tool with the schema as its input, and `tool_choice` naming it.
    ForcedTool,
    /// Gemini: `responseMimeType: application/json` with `responseSchema`.
    ResponseSchema,
    /// Plain text, read leniently: the API refused structured output (or the model is the
    /// offline baseline).
    Text,
}

impl OutputFormat {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OutputFormat::JsonSchema => "json_schema",
            OutputFormat::ForcedTool => "forced_tool",
            OutputFormat::ResponseSchema => "response_schema",
            OutputFormat::Text => "text",
        }
    }
}

/// What the judge model said of a final answer. Counted apart: it does not change the outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct JudgeRecord {
    pub verdict: JudgeVerdict,
    pub reason: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// How the verdict was asked for: held to a schema in the API's own way, or as plain text
    /// (the API refused structured output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<OutputFormat>,
    /// The judge's tokens for this verdict, as its API counted them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum JudgeVerdict {
    Pass,
    Fail,
    /// No verdict: the judge failed, or its reply could not be read (`reason` says which).
    #[default]
    Error,
}

impl AgentRecord {
    /// Every verdict the judge gave in the conversation, each once: each scripted turn's, else
    /// the final answer's (a scripted conversation's `judge` repeats one of its turns').
    pub(crate) fn verdicts(&self) -> Vec<&JudgeRecord> {
        let turns: Vec<&JudgeRecord> = self
            .dialogue
            .iter()
            .flat_map(|d| d.verdicts.iter().filter_map(|v| v.judge.as_ref()))
            .collect();
        if turns.is_empty() {
            self.judge.iter().collect()
        } else {
            turns
        }
    }

    /// Every call of every turn, in order; a host's searches are not among them.
    pub(crate) fn calls(&self) -> impl Iterator<Item = &CallResult> {
        self.turns
            .iter()
            .flat_map(|t| t.results.iter())
            .filter(|c| c.how != CallHow::Searched)
    }
}

/// Why an agent conversation ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LoopEnd {
    /// A reply without a call: the final answer.
    #[default]
    Answered,
    /// `max_turns` replies, each with calls.
    TurnLimit,
    /// A call that may not run and has no mock.
    Stopped,
    /// The same call (tool and arguments) made `max_repeats` times: the model was looping.
    Repeated,
    /// The model or a server failed.
    Error,
}

/// The call whose repeats ended an agent loop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RepeatedCall {
    pub tool: String,
    pub arguments: String,
    /// How often it was made, in as many turns.
    pub times: u32,
}

/// The call an agent loop stopped at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoppedAt {
    pub tool: String,
    pub arguments: String,
    /// Why it may not run, and how to mock or allow it.
    pub why: String,
}

/// One turn: the model's reply and what each of its calls returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct TurnRecord {
    /// The user's message this reply is the first answer to (a conversation's later turns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub reply: ReplyRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    pub model_ms: u64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<CallResult>,
}

/// A call of an agent turn and what it returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct CallResult {
    /// The tool by the suite's name (the model's, for tools no server offers).
    pub tool: String,
    pub arguments: String,
    pub how: CallHow,
    /// What the model was shown: the result's text (or the error's), cut at `max_result_bytes`.
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
    /// The result's length in bytes when it was cut to `max_result_bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_from: Option<usize>,
    /// Remarks: content that was summarized (images, structured content), a cut.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub ms: u64,
}

/// How a call of an agent turn was answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CallHow {
    /// Sent to the server (`tools/call`).
    #[default]
    Executed,
    /// Answered by a mock; the server never saw it.
    Mocked,
    /// Answered from the response cache: the server was not asked again.
    Replayed,
    /// Not run: no server offers the tool, or its arguments are not a JSON object. The model
    /// is told so, as a tool error.
    Rejected,
    /// Not run: the tool may not run and has no mock. The loop stopped here.
    Refused,
    /// A call of a deferring host's search tool, answered by tooleval (not a task's call).
    Searched,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What the model answered, as it answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReplyRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ToolCallRecord {
    /// The name as the model wrote it.
    pub name: String,
    /// The arguments as the model wrote them (a JSON text, possibly malformed).
    pub arguments: String,
    /// True when the call was recovered from the reply's text, not from `tool_calls`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

/// What a model's tokens cost, in US dollars per million tokens, and where the figures come
/// from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Price {
    pub input: f64,
    pub output: f64,
    /// Input read from the provider's prompt cache (default: `input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    /// Input written to the provider's prompt cache (default: `input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    /// The eval's `price`, a `--prices` file, or the shipped table with its date.
    pub source: String,
}

impl Price {
    /// The dollars `u` costs: plain input, cached input, cache writes and output each at its
    /// price.
    pub(crate) fn cost(&self, u: &Usage) -> f64 {
        let plain = u
            .prompt_tokens
            .saturating_sub(u.cached_tokens + u.cache_write_tokens);
        (plain as f64 * self.input
            + u.cached_tokens as f64 * self.cached_input.unwrap_or(self.input)
            + u.cache_write_tokens as f64 * self.cache_write.unwrap_or(self.input)
            + u.completion_tokens as f64 * self.output)
            / 1e6
    }
}

/// Tokens of a reply, as the API counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Usage {
    /// Input tokens, every one: those the provider's prompt cache served and wrote included.
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Of `prompt_tokens`, those read from the provider's prompt cache (OpenAI's
    /// `prompt_tokens_details.cached_tokens`, Anthropic's `cache_read_input_tokens`, Gemini's
    /// `cachedContentTokenCount`).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub cached_tokens: u64,
    /// Of `prompt_tokens`, those written to the provider's prompt cache (Anthropic's
    /// `cache_creation_input_tokens`, priced above plain input).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub cache_write_tokens: u64,
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    /// Adds `other`'s tokens to these.
    pub(crate) fn add(&mut self, other: Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.cached_tokens += other.cached_tokens;
        self.cache_write_tokens += other.cache_write_tokens;
    }
}

/// What an agent task's calls would meet, tool by tool, without asking any model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DryRunTask {
    pub task: String,
    pub suite: String,
    /// Tools whose calls would run on their servers.
    pub runs: Vec<String>,
    /// Tools answered by a mock (all calls, or those its `when` fits).
    pub mocked: Vec<String>,
    /// Tools whose calls would stop the loop, each with why and how to let it go on.
    pub stops: Vec<(String, String)>,
    /// A conversation: how the user's side would be played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
}
