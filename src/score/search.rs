//! What deferral did over a run's trials: how often the expected tool was among the search
//! results, at what place, what the searches cost, and why trials failed under it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::stats::Rate;
use crate::record::{SearchVerdict, TrialRecord};

/// Search measures over the trials that ran under a deferring host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SearchTotals {
    /// Trials with deferred tools.
    pub trials: u64,
    /// Trials whose expected tools were all among some search's results, over the trials that
    /// expected a tool.
    pub hit_rate: Rate,
    /// The mean place (1-based) of the expected tool among the results, where it was returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_rank: Option<f64>,
    /// Search calls, replies that only searched, and their tokens (input and output).
    pub searches: u64,
    pub turns: u64,
    pub tokens: u64,
    /// Trials by what the search did for them.
    pub never_searched: u64,
    pub never_found: u64,
    pub found_not_chosen: u64,
    pub found: u64,
    /// Per expected tool, those whose hit rate is below 1 first.
    pub tools: Vec<ToolSearch>,
}

/// How search served one tool, over the trials that expected it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ToolSearch {
    pub name: String,
    /// Trials expecting it, and those whose searches returned it.
    pub expected: u64,
    pub found: u64,
    /// Trials that searched and never got it back.
    pub never_found: u64,
}

impl SearchTotals {
    /// The totals of `trials`; `None` when none ran under deferral.
    pub(crate) fn of(trials: &[TrialRecord]) -> Option<SearchTotals> {
        let mut s = SearchTotals {
            trials: 0,
            hit_rate: Rate::new(0, 0),
            mean_rank: None,
            searches: 0,
            turns: 0,
            tokens: 0,
            never_searched: 0,
            never_found: 0,
            found_not_chosen: 0,
            found: 0,
            tools: Vec::new(),
        };
        let (mut hits, mut judged) = (0, 0);
        let (mut rank_sum, mut ranked) = (0u64, 0u64);
        let mut tools: BTreeMap<&str, ToolSearch> = BTreeMap::new();
        for t in trials {
            let Some(r) = &t.search else { continue };
            s.trials += 1;
            s.searches += r.searches.len() as u64;
            s.turns += u64::from(r.turns);
            s.tokens += r.tokens;
            match r.verdict {
                SearchVerdict::NeverSearched => s.never_searched += 1,
                SearchVerdict::NeverFound => s.never_found += 1,
                SearchVerdict::FoundNotChosen => s.found_not_chosen += 1,
                SearchVerdict::Found => s.found += 1,
                SearchVerdict::NotApplicable => {}
            }
            if let Some(hit) = r.hit {
                judged += 1;
                hits += usize::from(hit);
            }
            if let Some(rank) = r.rank {
                rank_sum += u64::from(rank);
                ranked += 1;
            }
            if r.hit.is_none() {
                continue;
            }
            for e in &t.expected {
                let entry = tools.entry(e.as_str()).or_insert_with(|| ToolSearch {
                    name: e.clone(),
                    expected: 0,
                    found: 0,
                    never_found: 0,
                });
                entry.expected += 1;
                let returned = r.searches.iter().any(|c| c.returned.contains(e));
                entry.found += u64::from(returned);
                entry.never_found += u64::from(!returned && !r.searches.is_empty());
            }
        }
        if s.trials == 0 {
            return None;
        }
        s.hit_rate = Rate::new(hits, judged);
        s.mean_rank = (ranked > 0).then(|| rank_sum as f64 / ranked as f64);
        let mut tools: Vec<ToolSearch> = tools.into_values().collect();
        tools.sort_by(|a, b| {
            let share = |t: &ToolSearch| t.found as f64 / t.expected.max(1) as f64;
            share(a)
                .total_cmp(&share(b))
                .then_with(|| a.name.cmp(&b.name))
        });
        s.tools = tools;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Outcome, SearchCall, SearchRecord};

    fn trial(expected: &[&str], searches: &[&[&str]], verdict: SearchVerdict) -> TrialRecord {
        let returned: Vec<&str> = searches.iter().flat_map(|s| s.iter().copied()).collect();
        TrialRecord {
            task: "t".into(),
            suite: "s".into(),
            trial: 0,
            outcome: Outcome::Pass,
            reason: String::new(),
            expected: expected.iter().map(|s| s.to_string()).collect(),
            called: vec![],
            reply: None,
            usage: None,
            latency_ms: 0,
            notes: vec![],
            retries: 0,
            cached: false,
            agent: None,
            search: Some(Box::new(SearchRecord {
                searches: searches
                    .iter()
                    .map(|r| SearchCall {
                        query: "q".into(),
                        returned: r.iter().map(|s| s.to_string()).collect(),
                        error: None,
                    })
                    .collect(),
                turns: searches.len() as u32,
                tokens: 10,
                unloaded_calls: 0,
                hit: (!expected.is_empty()).then(|| expected.iter().all(|e| returned.contains(e))),
                rank: expected.first().and_then(|e| {
                    searches
                        .iter()
                        .filter_map(|s| s.iter().position(|r| r == e))
                        .min()
                        .map(|p| p as u32 + 1)
                }),
                verdict,
            })),
        }
    }

    #[test]
    fn hit_rate_rank_and_verdicts_add_up_per_run_and_per_tool() {
        let trials = vec![
            trial(&["a"], &[&["b", "a"]], SearchVerdict::Found),
            trial(&["a"], &[&["b"], &["c"]], SearchVerdict::NeverFound),
            trial(&["c"], &[&["c"]], SearchVerdict::FoundNotChosen),
            trial(&["c"], &[], SearchVerdict::NeverSearched),
            trial(&[], &[&["x"]], SearchVerdict::NotApplicable),
        ];
        let s = SearchTotals::of(&trials).unwrap();
        assert_eq!(s.trials, 5);
        assert_eq!((s.hit_rate.successes, s.hit_rate.n), (2, 4));
        assert_eq!(s.mean_rank, Some(1.5));
        assert_eq!((s.searches, s.turns, s.tokens), (5, 5, 50));
        assert_eq!(
            (s.never_searched, s.never_found, s.found_not_chosen, s.found),
            (1, 1, 1, 1)
        );
        let tools: Vec<(&str, u64, u64, u64)> = s
            .tools
            .iter()
            .map(|t| (t.name.as_str(), t.expected, t.found, t.never_found))
            .collect();
        assert_eq!(tools, [("a", 2, 1, 1), ("c", 2, 1, 0)]);
        assert_eq!(SearchTotals::of(&trials[..0]), None);
    }
}
