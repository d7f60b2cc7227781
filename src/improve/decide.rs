//! The decision of a round, a pure function of two comparisons: keep a proposal only when the
//! tune tasks rise and the held-out tasks hold (no significant regression), and the reports
//! cut to a split's tasks and compared.

use std::collections::HashSet;

use crate::report::{self, Compared, DiffOptions, Report, TaskStatus};

/// A report holding only the tasks of `ids` (and their trials), summarized again.
pub(crate) fn subset(report: &Report, ids: &HashSet<String>) -> Report {
    let mut r = report.clone();
    for s in &mut r.suites {
        s.tasks.retain(|t| ids.contains(&t.id));
    }
    r.trials.retain(|t| ids.contains(&t.task));
    crate::report::summarize(&mut r);
    r
}

/// Full-call accuracy of `ids` before and after, the paired test over them, and the tasks
/// fixed and broken.
pub(super) fn compare(base: &Report, head: &Report, ids: &HashSet<String>, alpha: f64) -> Compared {
    let (b, h) = (subset(base, ids), subset(head, ids));
    // Both hold the same tasks of the same eval; only their run may differ.
    let opts = DiffOptions {
        common_tasks: true,
        alpha,
    };
    match report::diff_reports(&b, &h, opts) {
        Ok(d) => Compared {
            tasks: ids.len(),
            before: d.full_call.base,
            after: d.full_call.head,
            test: d.test,
            fixed: with_status(&d.tasks, TaskStatus::Fixed),
            regressed: with_status(&d.tasks, TaskStatus::Regressed),
        },
        Err(e) => {
            crate::sayln!(
                "warning: the paired test could not be run: {}",
                first_line(&e.render())
            );
            Compared {
                tasks: ids.len(),
                before: b.summary.full_call,
                after: h.summary.full_call,
                test: None,
                fixed: Vec::new(),
                regressed: Vec::new(),
            }
        }
    }
}

pub(super) fn with_status(tasks: &[report::TaskChange], status: TaskStatus) -> Vec<String> {
    tasks
        .iter()
        .filter(|t| t.status == status)
        .map(|t| t.id.clone())
        .collect()
}

fn share(r: &Option<crate::score::Rate>) -> f64 {
    r.and_then(|r| r.rate).unwrap_or(0.0)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A decision on a measured proposal.
#[derive(Debug, PartialEq)]
pub(crate) struct Verdict {
    pub keep: bool,
    /// Why, in words, with the figures.
    pub why: String,
    /// What the writer may be told when it is rejected: nothing of the holdout tasks but that
    /// they did not confirm it.
    pub told: String,
    /// Whether the holdout's results were read to decide.
    pub consulted: bool,
}

/// Keep or reject. The holdout is read only when the tune tasks have made the case.
pub(crate) fn decide(tune: &Compared, holdout: Option<&Compared>) -> Verdict {
    let verdict = |keep, why: String, told: String, consulted| Verdict {
        keep,
        why,
        told,
        consulted,
    };
    let (tb, ta) = (share(&tune.before), share(&tune.after));
    let tune_words = format!("tune {} -> {}", pct(tb), pct(ta));
    if ta <= tb {
        let why = format!("it did not raise full-call accuracy on tune ({tune_words})");
        return verdict(false, why.clone(), why, false);
    }
    let Some(h) = holdout else {
        return verdict(
            true,
            format!("{tune_words}; unconfirmed: no task is held out"),
            String::new(),
            false,
        );
    };
    let (hb, ha) = (share(&h.before), share(&h.after));
    let hidden = "it did not hold on tasks held out from you".to_owned();
    if ha < hb {
        return verdict(
            false,
            format!(
                "{tune_words}, but holdout full-call accuracy dropped ({} -> {})",
                pct(hb),
                pct(ha)
            ),
            hidden,
            true,
        );
    }
    let p = h
        .test
        .as_ref()
        .map(|t| format!(", paired test p = {:.3}", t.p_value))
        .unwrap_or_default();
    if let Some(t) = &h.test
        && t.significant()
        && t.mean_diff < 0.0
    {
        return verdict(
            false,
            format!(
                "{tune_words}, but the paired test on holdout calls it a regression ({})",
                t.verdict()
            ),
            hidden,
            true,
        );
    }
    verdict(
        true,
        format!("{tune_words}; holdout {} -> {}{p}", pct(hb), pct(ha)),
        String::new(),
        true,
    )
}

pub(super) fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{PairedTest, Rate};

    fn compared(before: (usize, usize), after: (usize, usize)) -> Compared {
        let pairs: Vec<(f64, f64)> = (0..before.1)
            .map(|i| {
                (
                    f64::from(u8::from(i < before.0)),
                    f64::from(u8::from(i < after.0)),
                )
            })
            .collect();
        Compared {
            tasks: before.1,
            before: Some(Rate::new(before.0, before.1)),
            after: Some(Rate::new(after.0, after.1)),
            test: PairedTest::new(&pairs, true, 0.05),
            fixed: Vec::new(),
            regressed: Vec::new(),
        }
    }

    #[test]
    fn a_proposal_is_kept_only_when_tune_rises_and_holdout_holds() {
        let up = compared((2, 10), (6, 10));
        let v = decide(&up, Some(&compared((5, 10), (5, 10))));
        assert!(v.keep && v.consulted, "{v:?}");
        assert!(
            v.why
                .contains("tune 20.0% -> 60.0%; holdout 50.0% -> 50.0%"),
            "{}",
            v.why
        );

        let v = decide(
            &compared((2, 10), (2, 10)),
            Some(&compared((5, 10), (9, 10))),
        );
        assert!(!v.keep && !v.consulted, "tune decides first: {v:?}");
        assert_eq!(v.told, v.why);

        let v = decide(&up, Some(&compared((5, 10), (4, 10))));
        assert!(!v.keep && v.consulted, "{v:?}");
        assert!(
            v.why
                .contains("holdout full-call accuracy dropped (50.0% -> 40.0%)")
        );
        assert_eq!(v.told, "it did not hold on tasks held out from you");

        let v = decide(&up, None);
        assert!(v.keep && !v.consulted);
        assert!(v.why.contains("unconfirmed"));
    }

    #[test]
    fn a_significant_regression_on_holdout_rejects_even_without_a_lower_rate() {
        // Errors make the rates differ from the paired per-task means: the test is read too.
        let mut h = compared((8, 20), (8, 20));
        h.test = PairedTest::new(&[(1.0, 0.0); 12], true, 0.05);
        let v = decide(&compared((2, 10), (6, 10)), Some(&h));
        assert!(!v.keep && v.consulted, "{v:?}");
        assert!(v.why.contains("calls it a regression"), "{}", v.why);
    }
}
