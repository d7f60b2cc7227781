//! Trials under a host that defers its tools: the model first sees the host's search tool (and
//! the names the profile leaves visible); tooleval answers each search, and the tools it
//! returns are fully defined from the next request. Search calls are not the task's calls:
//! what they found is measured apart (`record::SearchRecord`).

use std::sync::Arc;
use std::time::Instant;

use super::plan::PlannedTask;
use super::reply::{score_reply, unscored_record};
use crate::host::{Presented, Search};
use crate::mcp::ToolSet;
use crate::model::{
    ErrorKind, Exchange, ExchangedCall, Model, ModelError, ModelReply, ModelRequest, RawCall,
};
use crate::record::{Outcome, SearchCall, SearchRecord, SearchVerdict, TrialRecord};
use crate::score::Judge;

/// One trial's deferred tools: those loaded so far, and what its searches found.
pub(super) struct Deferred<'a> {
    pub search: &'a Search,
    /// Every tool the host can load, as it names them.
    pub all: &'a ToolSet,
    loaded: Vec<usize>,
    pub record: SearchRecord,
}

impl<'a> Deferred<'a> {
    pub(super) fn new(presented: &'a Presented) -> Option<Deferred<'a>> {
        let search = presented.search.as_deref()?;
        Some(Deferred {
            search,
            all: &presented.tools,
            loaded: Vec::new(),
            record: SearchRecord::default(),
        })
    }

    /// The tools a request offers now: the search tool, then every tool loaded so far.
    pub(super) fn offered(&self, model: &dyn Model, req: &mut ModelRequest) {
        let mut tools = Vec::with_capacity(self.loaded.len() + 1);
        tools.push(self.search.tool.clone());
        tools.extend(self.loaded.iter().map(|&i| self.all.tools[i].clone()));
        let mut set = ToolSet {
            tools,
            encoding: self.all.encoding.clone(),
            ..ToolSet::default()
        };
        set.rehash();
        req.api_tools = Arc::new(model.api_tools(&set));
        req.tools = Arc::new(set);
    }

    /// Splits a reply's calls: the searches, and the rest.
    pub(super) fn split(&self, calls: Vec<RawCall>) -> (Vec<RawCall>, Vec<RawCall>) {
        calls
            .into_iter()
            .partition(|c| self.search.is_search(&c.name))
    }

    /// Splits calls that are not searches: those of deferred tools not loaded yet (the model
    /// saw their names only), and the rest.
    pub(super) fn split_unloaded(&self, calls: Vec<RawCall>) -> (Vec<RawCall>, Vec<RawCall>) {
        calls.into_iter().partition(|c| {
            self.all
                .tools
                .iter()
                .position(|t| t.api_name == c.name)
                .is_some_and(|i| !self.loaded.contains(&i))
        })
    }

    /// Answers calls of tools not loaded yet with the error a host gives: their schema is not
    /// known until a search returns them (Claude Code: "calling the tool fails with
    /// InputValidationError", its ToolSearch description, 2.1.178).
    pub(super) fn refuse_unloaded(&mut self, calls: &[RawCall], turn: u32) -> Vec<ExchangedCall> {
        self.record.unloaded_calls += calls.len() as u32;
        calls
            .iter()
            .enumerate()
            .map(|(i, c)| ExchangedCall {
                id: c.id.clone().unwrap_or_else(|| format!("unloaded_{turn}_{i}")),
                name: c.name.clone(),
                arguments: c.arguments.clone(),
                result: format!(
                    "InputValidationError: `{}` is deferred and its schema is not loaded; call `{}` to load it first",
                    c.name, self.search.spec.name
                ),
                is_error: true,
                id_from_model: c.id.is_some(),
                signature: c.signature.clone(),
            })
            .collect()
    }

    /// Answers search calls: each result as the model is shown it; the tools found are loaded.
    pub(super) fn answer(&mut self, calls: &[RawCall], turn: u32) -> Vec<ExchangedCall> {
        let mut out = Vec::with_capacity(calls.len());
        for (i, c) in calls.iter().enumerate() {
            let a = self.search.answer(&c.arguments, self.all);
            for &t in &a.returned {
                if !self.loaded.contains(&t) {
                    self.loaded.push(t);
                }
            }
            self.record.searches.push(SearchCall {
                query: a.query,
                returned: a
                    .returned
                    .iter()
                    .map(|&t| self.all.tools[t].name.clone())
                    .collect(),
                error: a.error.clone(),
            });
            out.push(ExchangedCall {
                id: c.id.clone().unwrap_or_else(|| format!("search_{turn}_{i}")),
                name: c.name.clone(),
                arguments: c.arguments.clone(),
                result: a.text,
                is_error: a.error.is_some(),
                id_from_model: c.id.is_some(),
                signature: c.signature.clone(),
            });
        }
        out
    }

    /// Counts a reply that only searched.
    pub(super) fn searched_turn(&mut self, reply: &ModelReply) {
        self.record.turns += 1;
        if let Some(u) = reply.usage {
            self.record.tokens += u.prompt_tokens + u.completion_tokens;
        }
    }

    /// The search's measures against the trial's outcome, and its reason told what the search
    /// did when the trial failed.
    pub(super) fn finish(mut self, rec: &mut TrialRecord) {
        let returned: Vec<&str> = self
            .record
            .searches
            .iter()
            .flat_map(|s| s.returned.iter().map(String::as_str))
            .collect();
        let expected = &rec.expected;
        if !expected.is_empty() && rec.outcome != Outcome::Error {
            let never_returned = expected.iter().find(|e| !returned.contains(&e.as_str()));
            let not_called = expected.iter().find(|e| !rec.called.contains(e));
            self.record.hit = Some(never_returned.is_none());
            self.record.rank = self
                .record
                .searches
                .iter()
                .filter_map(|s| s.returned.iter().position(|r| *r == expected[0]))
                .min()
                .map(|p| p as u32 + 1);
            self.record.verdict = match (self.record.searches.is_empty(), never_returned) {
                (true, _) => SearchVerdict::NeverSearched,
                (false, Some(_)) => SearchVerdict::NeverFound,
                (false, None) if rec.outcome == Outcome::Pass || not_called.is_none() => {
                    SearchVerdict::Found
                }
                (false, None) => SearchVerdict::FoundNotChosen,
            };
            if rec.outcome != Outcome::Pass {
                let n = self.record.searches.len();
                let what = match (self.record.verdict, never_returned, not_called) {
                    (SearchVerdict::NeverSearched, _, _) => {
                        "never searched: its tools were deferred and it did not call the search tool".to_owned()
                    }
                    (SearchVerdict::NeverFound, Some(tool), _) => {
                        format!("never found: {n} search(es), `{tool}` never returned")
                    }
                    (SearchVerdict::FoundNotChosen, _, Some(tool)) => {
                        let rank = self
                            .record
                            .searches
                            .iter()
                            .filter_map(|s| s.returned.iter().position(|r| r == tool))
                            .min()
                            .map_or("?".into(), |p| (p + 1).to_string());
                        format!("found but not chosen: search returned `{tool}` at rank {rank}")
                    }
                    _ => String::new(),
                };
                if !what.is_empty() {
                    rec.reason = format!("{} ({what})", rec.reason);
                }
            }
        }
        rec.search = Some(Box::new(self.record));
    }
}

/// A single-turn trial under deferral: the replies that only search are answered, up to the
/// host's `max_searches`; the first reply that does anything else is scored as the task's.
pub(super) async fn run_trial(
    t: &PlannedTask,
    mut req: ModelRequest,
    model: &dyn Model,
    presented: &Presented,
    judge: &Judge,
    request_timeout: std::time::Duration,
    recover: bool,
) -> (TrialRecord, Option<ModelError>) {
    let mut d = Deferred::new(presented).expect("a deferring host");
    let started = Instant::now();
    let mut rec = unscored_record(t, req.trial, 0);
    let mut usage: Option<crate::record::Usage> = None;
    let mut fatal = None;
    d.offered(model, &mut req);
    for turn in 1.. {
        let answer = tokio::time::timeout(request_timeout, model.complete(&req)).await;
        let mut reply = match answer {
            Err(_) => {
                rec.reason = format!(
                    "the model did not answer within {}s (turn {turn})",
                    request_timeout.as_secs()
                );
                break;
            }
            Ok(Err(e)) => {
                rec.retries += e.retries;
                rec.reason = if e.retries > 0 {
                    format!("{} (turn {turn}, after {} retries)", e.message, e.retries)
                } else {
                    format!("{} (turn {turn})", e.message)
                };
                fatal = (e.kind == ErrorKind::Fatal).then_some(e);
                break;
            }
            Ok(Ok(reply)) => reply,
        };
        if let Some(u) = reply.usage {
            usage.get_or_insert_default().add(u);
        }
        let (searches, others) = d.split(std::mem::take(&mut reply.tool_calls));
        let (unloaded, others) = d.split_unloaded(others);
        let only_preparing = !(searches.is_empty() && unloaded.is_empty()) && others.is_empty();
        if only_preparing && turn <= d.search.max_searches {
            d.searched_turn(&reply);
            rec.retries += reply.retries;
            rec.cached |= reply.cached;
            let mut calls = d.answer(&searches, turn);
            calls.extend(d.refuse_unloaded(&unloaded, turn));
            req.exchanges.push(Exchange {
                content: reply.content.clone(),
                calls,
                user: None,
            });
            d.offered(model, &mut req);
            continue;
        }
        if !searches.is_empty() {
            reply.notes.push(format!(
                "{} call(s) of the search tool in the scored reply were left out of its calls",
                searches.len()
            ));
        }
        reply.tool_calls = unloaded.into_iter().chain(others).collect();
        let retries = rec.retries;
        let cached = rec.cached;
        score_reply(&mut rec, reply, t, d.all, judge, recover);
        rec.retries += retries;
        rec.cached |= cached;
        rec.usage = usage;
        break;
    }
    rec.latency_ms = started.elapsed().as_millis() as u64;
    d.finish(&mut rec);
    (rec, fatal)
}

/// A single-turn trial the API searched for itself (Anthropic's tool search): its searches, as
/// the reply recorded them by the names sent, mapped to the suite's names and judged as the
/// emulation's are.
pub(super) fn finish_native(presented: &Presented, rec: &mut TrialRecord) {
    let Some(mut d) = Deferred::new(presented) else {
        return;
    };
    if let Some(found) = rec.search.take() {
        d.record.searches = found
            .searches
            .into_iter()
            .map(|mut s| {
                s.returned = s
                    .returned
                    .iter()
                    .map(|n| {
                        d.all
                            .by_api_name(n)
                            .map_or_else(|| n.clone(), |t| t.name.clone())
                    })
                    .collect();
                s
            })
            .collect();
    }
    d.finish(rec);
}
