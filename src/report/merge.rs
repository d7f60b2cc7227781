//! Shard reports (`run --shard I/N`) combined into the report one run of every shard's
//! trials would have written: checked to be shards of one run, trials in suite order, the
//! summary computed again.

use std::collections::BTreeSet;

use super::Report;
use crate::error::{Error, Result};

/// Combines shard reports into the report one run of every shard's trials would have written.
pub(crate) fn merge_reports(mut reports: Vec<Report>) -> Result<Report> {
    let Some(first) = reports.first() else {
        return Err(Error::usage("nothing to merge", None));
    };
    for r in &reports[1..] {
        let p = differences(first, r);
        if !p.is_empty() {
            return Err(Error::usage(
                format!("the reports differ in their {}: they are not shards of one run", p.join(", ")),
                Some("merge only the reports of `run --shard I/N` with one eval file, model and tool set".to_owned()),
            ));
        }
    }
    let missing = missing_shards(&reports)?;
    let mut merged = reports.remove(0);
    for r in reports {
        merged.started_at = merged.started_at.min(r.started_at);
        merged.finished_at = merged.finished_at.max(r.finished_at);
        merged.complete &= r.complete;
        merged.trials.extend(r.trials);
    }
    if !missing.is_empty() {
        merged.complete = false;
    }
    in_suite_order(&mut merged);
    merged.shard = None;
    super::summarize(&mut merged);
    if !missing.is_empty() {
        let not_run = merged.not_run();
        crate::sayln!(
            "warning: shard(s) {} missing: {} of {} tasks did not run ({}); the gate fails unless --allow-incomplete",
            missing
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            not_run.len(),
            merged.task_count(),
            super::first_few(&not_run, 5)
        );
    }
    Ok(merged)
}

/// What makes two reports not shards of one run: their tool sets, models, trials or suites.
fn differences(first: &Report, r: &Report) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if r.tools.hash != first.tools.hash {
        problems.push("tool sets");
    }
    if r.model.name != first.model.name || r.model.parameters != first.model.parameters {
        problems.push("models");
    }
    if r.eval.trials != first.eval.trials {
        problems.push("trials per task");
    }
    let ids = |r: &Report| {
        r.suites
            .iter()
            .flat_map(|s| s.tasks.iter().map(|t| t.id.clone()))
            .collect::<Vec<_>>()
    };
    if ids(r) != ids(first) {
        problems.push("suites");
    }
    problems
}

/// The shard numbers no report holds; an error when one is given twice or the counts differ.
fn missing_shards(reports: &[Report]) -> Result<Vec<u32>> {
    let counts: BTreeSet<u32> = reports
        .iter()
        .filter_map(|r| r.shard.map(|s| s.count))
        .collect();
    let mut indices = BTreeSet::new();
    for r in reports {
        if let Some(s) = r.shard
            && !indices.insert(s.index)
        {
            return Err(Error::usage(
                format!("shard {}/{} is given twice", s.index, s.count),
                None,
            ));
        }
    }
    let Some(&n) = counts.iter().next() else {
        return Ok(Vec::new());
    };
    if counts.len() > 1 {
        return Err(Error::usage(
            "the reports come from different shard counts",
            None,
        ));
    }
    Ok((1..=n).filter(|i| !indices.contains(i)).collect())
}

/// Trials in suite order, each once, as a single run lists them.
fn in_suite_order(merged: &mut Report) {
    let order: std::collections::HashMap<String, usize> = merged
        .suites
        .iter()
        .flat_map(|s| s.tasks.iter().map(|t| t.id.clone()))
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    merged
        .trials
        .sort_by_key(|t| (order.get(&t.task).copied().unwrap_or(usize::MAX), t.trial));
    merged
        .trials
        .dedup_by(|a, b| a.task == b.task && a.trial == b.trial);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ShardInfo;
    use crate::report::fixtures::baseline;

    /// Shard `index` of `count` of the demo baseline, as `run --shard` writes it: the trials of
    /// its jobs only, summarized alone.
    fn shard(index: u32, count: u32, started: &str) -> Report {
        let mut r = baseline();
        let mut job = 0;
        r.trials.retain(|_| {
            job += 1;
            (job - 1) % count == index - 1
        });
        r.shard = Some(ShardInfo { index, count });
        r.started_at = started.into();
        r.finished_at = started.replace("T09", "T10");
        crate::report::summarize(&mut r);
        r
    }

    fn refused(reports: Vec<Report>) -> String {
        match merge_reports(reports) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("merged"),
        }
    }

    #[test]
    fn the_shards_merge_into_the_run_they_split() {
        // The run as this version summarizes it.
        let mut whole = baseline();
        crate::report::summarize(&mut whole);
        let merged = merge_reports(vec![
            shard(3, 3, "2026-12-01T09:00:03Z"),
            shard(1, 3, "2026-12-01T09:00:01Z"),
            shard(2, 3, "2026-12-01T09:00:02Z"),
        ])
        .unwrap();
        assert_eq!(merged.shard, None);
        assert!(merged.complete);
        assert_eq!(merged.started_at, "2026-12-01T09:00:01Z");
        assert_eq!(merged.finished_at, "2026-12-01T10:00:03Z");
        let ids = |r: &Report| -> Vec<(String, u32)> {
            r.trials.iter().map(|t| (t.task.clone(), t.trial)).collect()
        };
        assert_eq!(ids(&merged), ids(&whole));
        assert_eq!(merged.summary.full_call, whole.summary.full_call);
        assert_eq!(merged.summary.selection, whole.summary.selection);
        assert_eq!(merged.summary.meets_min_accuracy, Some(true));
        // A trial given twice (a run merged with itself) counts once.
        let again = merge_reports(vec![baseline(), baseline()]).unwrap();
        assert_eq!(ids(&again), ids(&whole));
    }

    #[test]
    fn a_missing_or_unfinished_shard_leaves_the_run_incomplete() {
        let merged = merge_reports(vec![
            shard(1, 3, "2026-12-01T09:00:01Z"),
            shard(3, 3, "2026-12-01T09:00:03Z"),
        ])
        .unwrap();
        assert!(!merged.complete);
        assert_eq!(merged.trials.len(), 27);
        assert_eq!(merged.not_run().len(), 13);
        let mut unfinished = shard(2, 2, "2026-12-01T09:00:02Z");
        unfinished.complete = false;
        let merged = merge_reports(vec![shard(1, 2, "2026-12-01T09:00:01Z"), unfinished]).unwrap();
        assert!(!merged.complete);
        assert_eq!(merged.trials.len(), 40);
    }

    #[test]
    fn reports_that_are_not_shards_of_one_run_are_refused() {
        let t = "2026-12-01T09:00:01Z";
        assert!(refused(Vec::new()).contains("nothing to merge"));
        assert!(refused(vec![shard(1, 2, t), shard(1, 2, t)]).contains("shard 1/2 is given twice"));
        assert!(refused(vec![shard(1, 2, t), shard(2, 3, t)]).contains("different shard counts"));
        type Change = fn(&mut Report);
        let changed: [(&str, Change); 4] = [
            ("tool sets", |r| r.tools.hash = "sha256:other".into()),
            ("models", |r| r.model.name = "other-model".into()),
            ("trials per task", |r| r.eval.trials = 3),
            ("suites", |r| {
                r.suites[0].tasks.pop();
            }),
        ];
        for (what, change) in changed {
            let mut other = shard(2, 2, t);
            change(&mut other);
            let err = refused(vec![shard(1, 2, t), other]);
            assert!(
                err.contains(&format!("the reports differ in their {what}:")),
                "{what}: {err}"
            );
        }
        let mut params = shard(2, 2, t);
        params
            .model
            .parameters
            .insert("temperature".into(), serde_json::json!(1.0));
        assert!(refused(vec![shard(1, 2, t), params]).contains("differ in their models"));
    }
}
