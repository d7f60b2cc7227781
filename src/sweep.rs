//! A sweep's measurements, apart from the command: the tool sets it draws (the suite's tools
//! plus distractors, nested as sizes grow, placed by a seeded generator), the order each
//! strategy adds distractors in, each point's figures, the tokens retrieval leaves, and the
//! first size at which each task breaks. `commands/sweep.rs` runs them.

use std::collections::{BTreeMap, HashSet};

use crate::error::{Error, Result};
use crate::lint::Similarity;
use crate::mcp::ToolSet;
use crate::record::{Outcome, TrialRecord};
use crate::report::{SweepPoint, TaskBreak, TrialOutcome};
use crate::run::PlannedTask;
use crate::score::{TaskState, summarize};

/// How distractors are added as the tool set grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strategy {
    /// In an order shuffled by the seed.
    Random,
    /// The most alike to a needed tool first: the hard case.
    Similar,
}

/// SplitMix64: a small generator whose sequence is fixed by its definition, so a seed gives the
/// same tool sets on every machine and every version.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fisher-Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// One tool set of a sweep: its size, its tools, and the sizes asked for that it stands for
/// (several when they are below what the suite needs, or above what is available).
pub(crate) type SizedSet = (usize, Vec<String>, Vec<usize>);

/// The tool sets of one strategy: the needed tools plus the first distractors in the strategy's
/// order, nested as sizes grow, in positions shuffled by the seed and size. Sizes that come to
/// the same set (all those below the suite's need, all those above what is available) are one
/// set, run once.
pub(crate) fn tool_sets(
    needed: &[String],
    ordered_distractors: &[String],
    sizes: &[usize],
    seed: u64,
) -> Vec<SizedSet> {
    let mut sets: Vec<SizedSet> = Vec::new();
    for &size in sizes {
        let k = size
            .saturating_sub(needed.len())
            .min(ordered_distractors.len());
        let len = needed.len() + k;
        if let Some(last) = sets.last_mut().filter(|s| s.0 == len) {
            last.2.push(size);
            continue;
        }
        let mut set: Vec<String> = needed
            .iter()
            .chain(&ordered_distractors[..k])
            .cloned()
            .collect();
        SplitMix64(seed ^ (len as u64).wrapping_mul(0x2545_F491_4F6C_DD1D)).shuffle(&mut set);
        sets.push((len, set, vec![size]));
    }
    sets
}

/// The sizes asked for, ascending and once each.
pub(crate) fn sizes(asked: &[usize]) -> Result<Vec<usize>> {
    let mut sizes = asked.to_vec();
    sizes.sort_unstable();
    sizes.dedup();
    if sizes.is_empty() || sizes[0] == 0 {
        return Err(Error::usage(
            "--sizes needs sizes of at least 1, e.g. 5,10,20,50",
            None,
        ));
    }
    Ok(sizes)
}

/// The tools the suite expects, by their names in `all`, in first-use order.
pub(crate) fn needed_tools(all: &ToolSet, tasks: &[PlannedTask]) -> Vec<String> {
    let mut needed: Vec<String> = Vec::new();
    for t in tasks {
        for name in t.task.expected_tools() {
            let name = all
                .by_name(name)
                .map_or_else(|| name.to_owned(), |t| t.name.clone());
            if !needed.contains(&name) {
                needed.push(name);
            }
        }
    }
    needed
}

/// With retrieval first, what a request carries: the mean tokens of the K tools kept per prompt.
pub(crate) fn retrieved_tokens(tools: &ToolSet, tasks: &[PlannedTask], k: usize) -> usize {
    let index = crate::mcp::Index::new(tools);
    let sums: Vec<usize> = tasks
        .iter()
        .map(|t| {
            index
                .rank(&t.task.prompt.user_text())
                .into_iter()
                .take(k)
                .filter_map(|(i, _)| tools.tools[i].tokens)
                .sum()
        })
        .collect();
    sums.iter().sum::<usize>() / sums.len().max(1)
}

impl Strategy {
    /// The strategy's name in reports and on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Similar => "similar",
        }
    }
}

/// Distractors in the order a strategy adds them: shuffled by the seed (`random`), or the most
/// alike to a needed tool first (`similar`, the hard case).
pub(crate) fn order_distractors(
    strategy: Strategy,
    needed: &[String],
    distractors: &[String],
    sim: &Similarity,
    seed: u64,
) -> Vec<String> {
    let mut out = distractors.to_vec();
    match strategy {
        Strategy::Random => SplitMix64(seed).shuffle(&mut out),
        Strategy::Similar => {
            let score = |d: &String| {
                needed
                    .iter()
                    .filter_map(|n| sim.between(d, n))
                    .fold(0.0_f64, f64::max)
            };
            let mut scored: Vec<(f64, String)> = out.into_iter().map(|d| (score(&d), d)).collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            out = scored.into_iter().map(|(_, d)| d).collect();
        }
    }
    out
}

pub(crate) fn point(
    line: &str,
    strategy: Strategy,
    retrieve: Option<usize>,
    size: usize,
    tools: &ToolSet,
    tasks: &[PlannedTask],
    trials: Vec<TrialRecord>,
) -> SweepPoint {
    let order: Vec<(&str, &str)> = tasks
        .iter()
        .map(|t| (&*t.suite, t.task.id.as_str()))
        .collect();
    let names: Vec<String> = tools.tools.iter().map(|t| t.name.clone()).collect();
    let s = summarize(&trials, &order, &names, None);
    let usage: Vec<u64> = trials
        .iter()
        .filter_map(|t| t.usage.map(|u| u.prompt_tokens))
        .collect();
    SweepPoint {
        line: line.to_owned(),
        strategy: strategy.name().to_owned(),
        retrieve,
        size,
        asked: Vec::new(),
        tools: names,
        tool_tokens: tools.total_tokens(),
        deferred: false,
        search_hit_rate: s.search.as_ref().map(|x| x.hit_rate),
        selection: s.selection,
        full_call: s.full_call,
        prompt_tokens: (!usage.is_empty())
            .then(|| usage.iter().sum::<u64>() as f64 / usage.len() as f64),
        latency_ms: if trials.is_empty() {
            0.0
        } else {
            trials.iter().map(|t| t.latency_ms as f64).sum::<f64>() / trials.len() as f64
        },
        errors: s.errors,
        failing: s
            .tasks
            .iter()
            .filter(|t| matches!(t.state(), TaskState::Fail | TaskState::Flaky))
            .map(|t| t.id.clone())
            .collect(),
        trials: trials
            .iter()
            .map(|t| TrialOutcome {
                task: t.task.clone(),
                trial: t.trial,
                outcome: t.outcome,
            })
            .collect(),
    }
}

/// For each line, the tasks that passed at its smallest size, with the first size where they
/// failed; earliest first.
pub(crate) fn breaks(points: &[SweepPoint]) -> Vec<TaskBreak> {
    let mut by_line: BTreeMap<&str, Vec<&SweepPoint>> = BTreeMap::new();
    for p in points {
        by_line.entry(p.line.as_str()).or_default().push(p);
    }
    let mut out = Vec::new();
    for (line, mut pts) in by_line {
        pts.sort_by_key(|p| p.size);
        let Some(first) = pts.first() else { continue };
        // Sets, looked up per task: scanning the lists per task grew with the square of tasks.
        let failing: Vec<HashSet<&str>> = pts
            .iter()
            .map(|p| p.failing.iter().map(String::as_str).collect())
            .collect();
        let scored: HashSet<&str> = first
            .trials
            .iter()
            .filter(|t| t.outcome != Outcome::Error)
            .map(|t| t.task.as_str())
            .collect();
        let mut ids: Vec<&String> = first.trials.iter().map(|t| &t.task).collect();
        ids.dedup();
        for id in ids {
            if failing[0].contains(id.as_str()) || !scored.contains(id.as_str()) {
                continue;
            }
            if let Some(i) = failing.iter().position(|f| f.contains(id.as_str())) {
                out.push(TaskBreak {
                    line: line.to_owned(),
                    task: id.clone(),
                    size: pts[i].size,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.size
            .cmp(&b.size)
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.task.cmp(&b.task))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_nested_and_the_seed_shuffles_only_their_order() {
        let needed: Vec<String> = vec!["a".into(), "b".into()];
        let d: Vec<String> = (0..30).map(|i| format!("d{i}")).collect();
        let mut order = d.clone();
        SplitMix64(7).shuffle(&mut order);
        let one = tool_sets(&needed, &order, &[2, 5, 10, 40], 7);
        assert_eq!(
            one.iter().map(|(n, _, _)| *n).collect::<Vec<_>>(),
            [2, 5, 10, 32]
        );
        for (n, set, _) in &one {
            assert_eq!(set.len(), *n);
            assert!(set.contains(&"a".to_owned()) && set.contains(&"b".to_owned()));
            // The distractors are the first ones of the order, whatever their place in the set.
            let mut got: Vec<&String> = set.iter().filter(|t| t.starts_with('d')).collect();
            let mut want: Vec<&String> = order[..n - 2].iter().collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "at {n}");
        }
        // The needed tools are not always listed first: the set is shuffled.
        assert!(
            one.iter().any(|(_, set, _)| set[..2] != ["a", "b"]),
            "{one:?}"
        );
        // Another seed gives the same tools at each size, in another order somewhere.
        let other = tool_sets(&needed, &order, &[2, 5, 10, 40], 8);
        let sorted = |s: &[String]| {
            let mut s = s.to_vec();
            s.sort();
            s
        };
        for (x, y) in one.iter().zip(&other) {
            assert_eq!(sorted(&x.1), sorted(&y.1));
        }
        assert!(one.iter().zip(&other).any(|(x, y)| x.1 != y.1));
    }

    #[test]
    fn sizes_that_come_to_the_same_set_run_once() {
        let needed: Vec<String> = (0..15).map(|i| format!("n{i}")).collect();
        let d: Vec<String> = (0..10).map(|i| format!("d{i}")).collect();
        let sets = tool_sets(&needed, &d, &[5, 10, 12, 15, 20, 30, 40], 1);
        let shape: Vec<(usize, Vec<usize>)> =
            sets.iter().map(|(n, _, a)| (*n, a.clone())).collect();
        assert_eq!(
            shape,
            [
                (15, vec![5, 10, 12, 15]),
                (20, vec![20]),
                (25, vec![30, 40])
            ]
        );
    }

    #[test]
    fn similar_adds_the_most_alike_distractors_first() {
        let tool = |name: &str, description: &str| crate::mcp::ServerTool {
            name: name.into(),
            description: Some(description.into()),
            input_schema: serde_json::json!({"type": "object"}),
            annotations: None,
        };
        let set = ToolSet::new(vec![(
            "s".into(),
            vec![
                tool(
                    "search_logs",
                    "Search the application logs of a service by level and query.",
                ),
                tool(
                    "grep_logs",
                    "Search application logs of a service for a query.",
                ),
                tool("read_logs", "Read the logs of a service."),
                tool("send_email", "Send an email to a customer."),
                tool("pay_invoice", "Pay an invoice of a supplier."),
            ],
        )]);
        let sim = Similarity::new(&set.tools);
        let needed = vec!["search_logs".to_owned()];
        let distractors: Vec<String> = ["send_email", "pay_invoice", "read_logs", "grep_logs"]
            .map(String::from)
            .to_vec();
        let order = order_distractors(Strategy::Similar, &needed, &distractors, &sim, 1);
        assert_eq!(order[..2], ["grep_logs", "read_logs"], "{order:?}");
        // The seed does not change it; `random` follows the seed instead.
        assert_eq!(
            order,
            order_distractors(Strategy::Similar, &needed, &distractors, &sim, 9)
        );
    }

    #[test]
    fn splitmix_is_the_published_sequence() {
        // The first outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        let mut r = SplitMix64(0);
        assert_eq!(r.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next(), 0x6E78_9E6A_A1B9_65F4);
    }
}
