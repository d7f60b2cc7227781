//! Conversations in suite files: scripted user turns after a task's prompt, each with checks of
//! its own (`turns`), or a simulated user played by a model with a goal (`user`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::agent::{Answer, Trajectory};
use super::expect::Expect;

/// User messages a simulated user may send unless `max_turns` says otherwise (the task's
/// prompt is the first).
pub(crate) const DEFAULT_USER_TURNS: u32 = 6;

/// What a simulated user writes, on a line of its own, once its goal is met: the conversation
/// ends there.
pub(crate) const DEFAULT_DONE_MARKER: &str = "GOAL_REACHED";

/// One scripted user message after the task's prompt, and the checks of what the model did in
/// answer to it: its calls (`expect`, `trajectory`) and its answer (`answer`, `judge`), all
/// scoped to this turn.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// What the user says next.
    pub prompt: String,
    /// The calls the model makes in answer to this message (as `expect` in agent mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// What the calls made in answer to this message must be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<Box<Trajectory>>,
    /// Checks of the answer that ends this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Box<Answer>>,
    /// A rubric the eval's `judge_model` grades this turn's answer against (counted apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
}

impl Turn {
    /// Whether the turn says what is expected of it.
    pub(crate) fn has_checks(&self) -> bool {
        self.expect.is_some()
            || self.trajectory.is_some()
            || self.answer.is_some()
            || self.judge.is_some()
    }
}

/// A simulated user: a model that plays a person with a goal, replying to what the assistant
/// says (never to the tools or their results) until its goal is met or `max_turns` is reached.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The model that plays the user: a name, or `PROVIDER:NAME`, with the settings of the
    /// eval's `user_model` (else of `model`). Default: the eval's `user_model`. Never the
    /// offline baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Who the user is and how they write ("an on-call engineer, terse, in a hurry").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
    /// What the user wants done. The task's prompt is their first message.
    pub goal: String,
    /// Facts the user gives only when the assistant asks for them ("the service is payments").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knows: Vec<String>,
    /// The most user messages, the task's prompt included, before the conversation ends as
    /// `turn_limit`. Default: 6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_turns: Option<u32>,
    /// What the user model writes once the goal is met, ending the conversation. Default:
    /// `GOAL_REACHED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<String>,
}

impl User {
    pub(crate) fn max_turns(&self) -> u32 {
        self.max_turns.unwrap_or(DEFAULT_USER_TURNS)
    }

    pub(crate) fn done_marker(&self) -> &str {
        self.done.as_deref().unwrap_or(DEFAULT_DONE_MARKER)
    }
}
