//! A report's summary, computed from its trials: the scores, the splits, and what the lint
//! rules and description similarity say about each confusion.

use std::collections::BTreeMap;

use crate::config::{Split, Task};
use crate::record::TrialRecord;
use crate::report::{Report, SplitRates};

/// Computes the report's summary from its trials: accuracy, per-tool rates, confusions with
/// what explains them, and accuracy per split. Again after a merge or a split.
pub fn summarize(report: &mut Report) {
    let order: Vec<(String, String)> = report
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(move |t| (s.name.clone(), t.id.clone())))
        .collect();
    let names: Vec<String> = report.tools.tools.iter().map(|t| t.name.clone()).collect();
    report.summary =
        crate::score::summarize(&report.trials, &order, &names, report.eval.min_accuracy);
    explain_confusions(report);
    report.splits = split_rates(report, &order, &names);
}

/// Accuracy per split, when tasks carry one: tune and holdout are read apart.
fn split_rates(
    report: &Report,
    order: &[(String, String)],
    names: &[String],
) -> BTreeMap<String, SplitRates> {
    let mut out = BTreeMap::new();
    let tasks: Vec<&Task> = report
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| &**t))
        .collect();
    for split in [Split::Tune, Split::Holdout] {
        let ids: std::collections::HashSet<&str> = tasks
            .iter()
            .filter(|t| t.split == Some(split))
            .map(|t| t.id.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let trials: Vec<TrialRecord> = report
            .trials
            .iter()
            .filter(|t| ids.contains(t.task.as_str()))
            .cloned()
            .collect();
        let order: Vec<(String, String)> = order
            .iter()
            .filter(|(_, id)| ids.contains(id.as_str()))
            .cloned()
            .collect();
        let s = crate::score::summarize(&trials, &order, names, None);
        out.insert(
            split.as_str().to_owned(),
            SplitRates {
                tasks: ids.len(),
                selection: s.selection,
                full_call: s.full_call,
            },
        );
    }
    out
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
