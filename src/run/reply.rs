//! A model's reply read for scoring: its calls as the judge sees them (names mapped back,
//! arguments parsed), calls written as text, and the record a trial starts from.

use serde_json::{Map, Value};

use super::plan::PlannedTask;
use crate::mcp::ToolSet;
use crate::model::{ModelReply, RawCall, recover_text_calls};
use crate::record::{Outcome, ReplyRecord, ToolCallRecord, TrialRecord};
use crate::score::{ActualCall, Judge};

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

/// Judges the model's reply and records the verdict, the calls and the reply itself.
pub(super) fn score_reply(
    rec: &mut TrialRecord,
    reply: ModelReply,
    t: &PlannedTask,
    tools: &ToolSet,
    judge: &Judge,
    recover: bool,
) {
    let ModelReply {
        content,
        mut tool_calls,
        finish_reason,
        usage,
        mut notes,
        retries,
        cached,
        format: _,
        server_searches,
    } = reply;
    rec.retries = retries;
    rec.cached = cached;
    let mut text_call_unused = false;
    if tool_calls.is_empty()
        && let Some(text) = &content
    {
        text_call_unused = take_text_calls(text, recover, &mut tool_calls, &mut notes);
    }
    let actual = actual_calls(&tool_calls, tools);
    let verdict = judge.judge(t.task.expectation(), &actual);
    rec.outcome = verdict.outcome;
    rec.reason = verdict.reason;
    if text_call_unused && rec.outcome == Outcome::NoCall {
        rec.reason
            .push_str(" (it wrote a call as text instead; see notes)");
    }
    rec.expected = verdict.expected_tools;
    rec.called = actual.iter().map(|c| c.name.clone()).collect();
    rec.usage = usage;
    // The record is kept until the report is written: no spare capacity (a pushed-to vector
    // holds room for four), times every trial of the run.
    rec.expected.shrink_to_fit();
    notes.shrink_to_fit();
    rec.notes = notes;
    let mut tool_calls: Vec<ToolCallRecord> = tool_calls
        .into_iter()
        .map(|c| ToolCallRecord {
            name: c.name,
            arguments: c.arguments,
            recovered: c.recovered,
        })
        .collect();
    tool_calls.shrink_to_fit();
    rec.reply = Some(ReplyRecord {
        content,
        tool_calls,
        finish_reason,
    });
    if !server_searches.is_empty() {
        // By the names sent; a deferring host's trial maps them back (`finish_native`).
        rec.search = Some(Box::new(crate::record::SearchRecord {
            searches: server_searches
                .into_iter()
                .map(|s| crate::record::SearchCall {
                    query: s.query,
                    returned: s.returned,
                    error: s.error,
                })
                .collect(),
            ..Default::default()
        }));
    }
}
