//! A model's reply read for scoring: its calls as the judge sees them (names mapped back,
//! arguments parsed), calls written as text, and the record a trial starts from.

use serde_json::{Map, Value};

use super::plan::PlannedTask;
use crate::mcp::ToolSet;
use crate::model::{RawCall, recover_text_calls};
use crate::record::{Outcome, TrialRecord};
use crate::score::ActualCall;

/// A trial's record before any reply is scored: an error with no reason yet, which is what the
/// trial stays if the model never answers.
pub(super) fn unscored_record(t: &PlannedTask, trial: u32, latency_ms: u64) -> TrialRecord {
    TrialRecord {
        task: t.task.id.clone(),
        suite: t.suite.to_string(),
        trial,
        outcome: Outcome::Error,
        reason: String::new(),
        expected: t
            .task
            .expected_tools()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        called: vec![],
        reply: None,
        usage: None,
        latency_ms,
        notes: vec![],
        retries: 0,
        cached: false,
        agent: None,
        search: None,
    }
}

/// Calls the model wrote as text instead of as tool calls: moved into `tool_calls` when the
/// eval recovers them, else only noted, so a trial that "called nothing" says why. Returns
/// whether such calls were found and left unscored.
pub(super) fn take_text_calls(
    text: &str,
    recover: bool,
    tool_calls: &mut Vec<RawCall>,
    notes: &mut Vec<String>,
) -> bool {
    let found = recover_text_calls(text);
    if found.is_empty() {
        return false;
    }
    let names = found
        .iter()
        .map(|c| format!("`{}`", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    if recover {
        notes.push(format!(
            "recovered {} call(s) written as text: {names}",
            found.len()
        ));
        *tool_calls = found;
        false
    } else {
        notes.push(format!(
            "the reply's text holds what looks like a call to {names}; {}",
            crate::record::TEXT_CALL_NOTE
        ));
        true
    }
}

/// The calls as the judge sees them: names mapped back from the API's form to the suite's,
/// arguments parsed.
pub(super) fn actual_calls(tool_calls: &[RawCall], tools: &ToolSet) -> Vec<ActualCall> {
    tool_calls.iter().map(|c| actual_call(c, tools)).collect()
}

/// One call as the judge sees it.
pub(super) fn actual_call(c: &RawCall, tools: &ToolSet) -> ActualCall {
    let known = tools.by_api_name(&c.name);
    ActualCall {
        name: known
            .map(|k| k.name.clone())
            .unwrap_or_else(|| c.name.clone()),
        known: known.is_some(),
        arguments: parse_arguments(&c.arguments),
    }
}

/// Arguments as a JSON object, or the text with the reason it is not one.
fn parse_arguments(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(format!("{text} (a {}, not an object)", kind(&other))),
        Err(e) => Err(format!("{text} ({e})")),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}
