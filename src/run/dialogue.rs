//! The user's side of a conversation: what the user says next (a scripted turn, or a simulated
//! user's reply asked of its model), the transcript, and what the user model is told.
//!
//! The simulated user sees only what the assistant said: never the tools, the calls or their
//! results. Its requests go through the response cache like any other, so a replay re-scores
//! a whole conversation without the user model.

use std::sync::Arc;

use crate::config::{Message, Role, User};
use crate::mcp::ToolSet;
use crate::model::{ErrorKind, Model, ModelError, ModelRequest};
use crate::record::{Dialogue, DialogueEnd, TurnVerdict, Usage};

/// A conversation as it goes, on the user's side.
#[derive(Debug, Clone)]
pub(super) struct Talk {
    /// The user's messages so far, the prompt included.
    pub user_turns: u32,
    pub transcript: Transcript,
    /// Scripted turns: each turn's verdict.
    pub verdicts: Vec<TurnVerdict>,
    pub failed_turn: Option<u32>,
    pub end: DialogueEnd,
    pub user_model: Option<String>,
    pub turns_to_goal: Option<u32>,
    pub closing: Option<String>,
    /// Answers that asked the user something.
    pub questions: u32,
    /// The user model's tokens.
    pub user_usage: Option<Usage>,
}

impl Talk {
    pub(super) fn new(prompt: String) -> Talk {
        let mut transcript = Transcript::default();
        transcript.push(Speaker::User, &prompt);
        Talk {
            user_turns: 1,
            transcript,
            verdicts: Vec::new(),
            failed_turn: None,
            end: DialogueEnd::Unanswered,
            user_model: None,
            turns_to_goal: None,
            closing: None,
            questions: 0,
            user_usage: None,
        }
    }

    /// The model answered the user's last message.
    pub(super) fn answered(&mut self, answer: Option<&str>) {
        let answer = answer.unwrap_or("");
        if asks(answer) {
            self.questions += 1;
        }
        self.transcript.push(Speaker::Assistant, answer);
    }

    /// Adds a user model reply's tokens.
    pub(super) fn count(&mut self, usage: Option<Usage>) {
        if let Some(u) = usage {
            self.user_usage.get_or_insert_default().add(u);
        }
    }

    /// What a judge is shown before the rubric.
    pub(super) fn judge_context(&self) -> String {
        format!(
            "The conversation between the user and the assistant:\n{}",
            self.transcript.text()
        )
    }

    /// The record of the conversation.
    pub(super) fn record(self) -> Dialogue {
        Dialogue {
            user_turns: self.user_turns,
            verdicts: self.verdicts,
            failed_turn: self.failed_turn,
            user_model: self.user_model,
            end: self.end,
            turns_to_goal: self.turns_to_goal,
            closing: self.closing,
            user_usage: self.user_usage,
            questions: self.questions,
            asked: None,
        }
    }
}

/// Who spoke a line of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Speaker {
    User,
    Assistant,
}

/// The conversation as the user sees it: what each side said, in order.
#[derive(Debug, Clone, Default)]
pub(super) struct Transcript {
    pub lines: Vec<(Speaker, String)>,
}

impl Transcript {
    pub(super) fn push(&mut self, who: Speaker, text: &str) {
        self.lines.push((who, text.trim().to_owned()));
    }

    /// The transcript as text, for a judge.
    pub(super) fn text(&self) -> String {
        self.lines
            .iter()
            .map(|(who, text)| {
                let who = match who {
                    Speaker::User => "User",
                    Speaker::Assistant => "Assistant",
                };
                let text = if text.is_empty() { "(no text)" } else { text };
                format!("{who}: {text}")
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// What the simulated user's model is told: who it plays, its goal, what it knows and how to
/// end.
pub(super) fn instructions(user: &User) -> String {
    let mut s = String::from(
        "You play a person talking to an AI assistant, to test how well the assistant helps. Stay in character: never say that you are an AI, a model or a test, and never act as the assistant.\n",
    );
    if let Some(p) = &user.persona {
        s.push_str(&format!("\nWho you are: {}\n", p.trim()));
    }
    s.push_str(&format!("\nYour goal: {}\n", user.goal.trim()));
    if !user.knows.is_empty() {
        s.push_str("\nWhat you know. Give a fact only when the assistant asks for it, or when it is needed to correct the assistant; never volunteer the others:\n");
        for k in &user.knows {
            s.push_str(&format!("- {}\n", k.trim()));
        }
    }
    s.push_str(&format!(
        "\nWrite only your next message to the assistant, short, as this person would. If the assistant asks for something you do not know, say so. Once your goal is met, write {} on a line of its own (a short thanks before it is fine).",
        user.done_marker()
    ));
    s
}

/// The request for the user's next message: the instructions, then the conversation with the
/// roles turned round (the user model's own messages are the assistant's turns), opened by a
/// fixed first line so that every API sees a user message first.
pub(super) fn user_request(
    user: &User,
    transcript: &Transcript,
    task: &str,
    trial: u32,
) -> ModelRequest {
    let mut messages = vec![
        Message {
            role: Role::System,
            content: instructions(user),
        },
        Message {
            role: Role::User,
            content: "(The assistant is ready. Write your first message.)".into(),
        },
    ];
    for (who, text) in &transcript.lines {
        let role = match who {
            Speaker::User => Role::Assistant,
            Speaker::Assistant => Role::User,
        };
        let content = if text.is_empty() {
            "(the assistant said nothing)".to_owned()
        } else {
            text.clone()
        };
        messages.push(Message { role, content });
    }
    let last = messages
        .last()
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let mut req = ModelRequest::new(messages, last, Arc::new(ToolSet::default()), trial);
    req.task = task.to_owned();
    req
}

/// What the user model said: its next message, or the end of the conversation (with what it
/// said before its done marker).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum UserSaid {
    Next(String),
    Done(Option<String>),
    /// It wrote nothing: a failed reply.
    Nothing,
}

/// The user model's reply read: the done marker anywhere ends the conversation.
pub(super) fn read_user_reply(text: &str, marker: &str) -> UserSaid {
    if let Some(at) = text.find(marker) {
        let rest = format!("{}{}", &text[..at], &text[at + marker.len()..]);
        let rest = rest.trim();
        return UserSaid::Done((!rest.is_empty()).then(|| rest.to_owned()));
    }
    let text = text.trim();
    if text.is_empty() {
        UserSaid::Nothing
    } else {
        UserSaid::Next(text.to_owned())
    }
}

/// Asks the user model for its next message, within `timeout`.
pub(super) async fn ask_user(
    model: &dyn Model,
    req: &ModelRequest,
    timeout: std::time::Duration,
) -> Result<crate::model::ModelReply, ModelError> {
    match tokio::time::timeout(timeout, model.complete(req)).await {
        Err(_) => Err(ModelError::new(
            ErrorKind::Other,
            format!(
                "the user model did not answer within {}s",
                timeout.as_secs()
            ),
        )),
        Ok(Err(mut e)) => {
            e.message = format!("the user model failed: {}", e.message);
            Err(e)
        }
        Ok(Ok(reply)) => Ok(reply),
    }
}

/// Whether an answer asks the user something.
pub(super) fn asks(answer: &str) -> bool {
    answer.contains('?')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        serde_json::from_value(serde_json::json!({
            "persona": "An on-call engineer.",
            "goal": "Roll back the payments deploy.",
            "knows": ["the service is payments"]
        }))
        .unwrap()
    }

    #[test]
    fn the_done_marker_ends_the_conversation_wherever_it_is() {
        assert_eq!(
            read_user_reply("Thanks!\nGOAL_REACHED", "GOAL_REACHED"),
            UserSaid::Done(Some("Thanks!".into()))
        );
        assert_eq!(
            read_user_reply("GOAL_REACHED", "GOAL_REACHED"),
            UserSaid::Done(None)
        );
        assert_eq!(
            read_user_reply(" payments ", "GOAL_REACHED"),
            UserSaid::Next("payments".into())
        );
        assert_eq!(read_user_reply("  ", "GOAL_REACHED"), UserSaid::Nothing);
        assert_eq!(
            read_user_reply("all done", "DONE"),
            UserSaid::Next("all done".into())
        );
    }

    #[test]
    fn the_user_model_sees_the_assistant_as_its_user_and_never_the_tools() {
        let mut t = Transcript::default();
        t.push(Speaker::User, "Roll back the last deploy.");
        t.push(Speaker::Assistant, "Which service?");
        let req = user_request(&user(), &t, "task", 0);
        let roles: Vec<Role> = req.messages.iter().map(|m| m.role).collect();
        assert_eq!(
            roles,
            [Role::System, Role::User, Role::Assistant, Role::User]
        );
        assert_eq!(req.messages[3].content, "Which service?");
        assert_eq!(req.user_text, "Which service?");
        assert!(req.tools.tools.is_empty());
        let sys = &req.messages[0].content;
        assert!(sys.contains("Roll back the payments deploy."), "{sys}");
        assert!(sys.contains("- the service is payments"), "{sys}");
        assert!(sys.contains("GOAL_REACHED"), "{sys}");
        assert!(sys.contains("An on-call engineer."), "{sys}");
    }

    #[test]
    fn a_transcript_names_each_side() {
        let mut t = Transcript::default();
        t.push(Speaker::User, "Hi");
        t.push(Speaker::Assistant, "");
        assert_eq!(t.text(), "User: Hi\n\nAssistant: (no text)");
        assert!(asks("Which service?"));
        assert!(!asks("Done."));
    }
}
