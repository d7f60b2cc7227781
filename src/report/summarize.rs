//! A report's summary, computed from its trials: the scores, the splits, and what the lint
//! rules and description similarity say about each confusion.

use std::collections::{BTreeMap, HashSet};

use super::{Report, SplitRates};
use crate::config::{Split, Task};
use crate::record::TrialRecord;

/// Computes the report's summary from its trials: accuracy, per-tool rates, confusions with
/// what explains them, and accuracy per split. Again after a merge or a split.
pub(crate) fn summarize(report: &mut Report) {
    let names: Vec<String> = report.tools.tools.iter().map(|t| t.name.clone()).collect();
    let order: Vec<(&str, &str)> = report
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| (s.name.as_str(), t.id.as_str())))
        .collect();
    let summary = crate::score::summarize(&report.trials, &order, &names, report.eval.min_accuracy);
    let splits = split_rates(report, &order, &names);
    let sources = source_rates(report, &order, &names);
    report.summary = summary;
    crate::score::price_helpers(&mut report.summary.helpers, &report.helper_prices);
    if let Some(price) = &report.price {
        report.summary.cost = Some(crate::score::CostTotals::of(&report.trials, price));
        // A task's cost is every reply its trials took: the model's, the judge's, the user's.
        let by_task = crate::score::TrialsByTask::new(&report.trials);
        for t in &mut report.summary.tasks {
            let cost = by_task
                .of(&t.id)
                .iter()
                .map(|tr| crate::score::trial_cost(tr, price, &report.helper_prices))
                .sum();
            t.cost = Some(cost);
        }
    }
    explain_confusions(report);
    report.splits = splits;
    report.sources = sources;
}

/// Accuracy per split, when tasks carry one: tune and holdout are read apart.
fn split_rates(
    report: &Report,
    order: &[(&str, &str)],
    names: &[String],
) -> BTreeMap<String, SplitRates> {
    [Split::Tune, Split::Holdout]
        .into_iter()
        .filter_map(|split| {
            rates_of(report, order, names, |t| t.split == Some(split))
                .map(|r| (split.as_str().to_owned(), r))
        })
        .collect()
}

/// Accuracy of generated and of hand-written tasks, apart, when the run holds both: generated
/// tasks not yet reviewed should not hide in the hand-written ones' figure.
fn source_rates(
    report: &Report,
    order: &[(&str, &str)],
    names: &[String],
) -> BTreeMap<String, SplitRates> {
    let generated = rates_of(report, order, names, Task::generated);
    let hand = rates_of(report, order, names, |t| !t.generated());
    match (generated, hand) {
        (Some(g), Some(h)) => BTreeMap::from([("generated".to_owned(), g), ("hand".to_owned(), h)]),
        _ => BTreeMap::new(),
    }
}

/// Accuracy over the tasks `keep` picks; `None` when it picks none.
fn rates_of(
    report: &Report,
    order: &[(&str, &str)],
    names: &[String],
    keep: impl Fn(&Task) -> bool,
) -> Option<SplitRates> {
    let ids: HashSet<&str> = report
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter())
        .filter(|t| keep(t))
        .map(|t| t.id.as_str())
        .collect();
    if ids.is_empty() {
        return None;
    }
    let trials: Vec<TrialRecord> = report
        .trials
        .iter()
        .filter(|t| ids.contains(t.task.as_str()))
        .cloned()
        .collect();
    let order: Vec<(&str, &str)> = order
        .iter()
        .filter(|(_, id)| ids.contains(id))
        .copied()
        .collect();
    let s = crate::score::summarize(&trials, &order, names, None);
    Some(SplitRates {
        tasks: ids.len(),
        selection: s.selection,
        full_call: s.full_call,
    })
}

/// Adds to each confusion the similarity of the two descriptions and the lint findings about
/// the pair: where an author learns which two descriptions to pull apart.
fn explain_confusions(report: &mut Report) {
    let sim = crate::lint::Similarity::new(&report.tools.tools);
    let findings = crate::lint::lint(
        &report.tools,
        &report.lint.clone().unwrap_or_default(),
        None,
    );
    for c in &mut report.summary.confusions {
        c.similarity = sim.between(&c.expected, &c.chosen);
        c.hints = findings
            .iter()
            .filter(|f| f.tools.contains(&c.expected) && f.tools.contains(&c.chosen))
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
    }
}
