//! Rates with honest intervals.

use serde::{Deserialize, Serialize};

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A proportion with its 95% Wilson score interval and, for trials clustered by task, its
/// cluster-robust standard error and interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Rate {
    pub successes: usize,
    pub n: usize,
    /// `successes / n`; absent when `n` is 0.
    pub rate: Option<f64>,
    /// The 95% Wilson score interval, treating trials as independent.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The standard error clustered by task (trials of one task are not independent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
    /// The Wilson interval on the effective number of trials the clustering leaves (the rate's
    /// variance over its clustered variance: Kish's design effect), between the number of
    /// tasks and of trials: repeated trials that agree add nothing to what their task says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_high: Option<f64>,
    /// Whether some task ran more than one trial (then the clustered interval is the honest one).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clustered: bool,
}

impl Rate {
    pub(crate) fn new(successes: usize, n: usize) -> Rate {
        let (rate, low, high) = match wilson(successes, n, Z95) {
            Some((l, h)) => (Some(successes as f64 / n as f64), Some(l), Some(h)),
            None => (None, None, None),
        };
        Rate {
            successes,
            n,
            rate,
            low,
            high,
            se: None,
            cluster_low: None,
            cluster_high: None,
            clustered: false,
        }
    }

    /// A rate over 0/1 outcomes grouped by task.
    ///
    /// The clusters lie end to end in `values`, `lens[i]` values each (no empty ones).
    pub(crate) fn clustered(values: &[bool], lens: &[usize]) -> Rate {
        let successes = values.iter().filter(|x| **x).count();
        let mut r = Rate::new(successes, values.len());
        let as_f64: Vec<f64> = values.iter().map(|x| f64::from(u8::from(*x))).collect();
        if let Some((mean, se)) = super::paired::clustered_mean_se_flat(&as_f64, lens) {
            r.se = Some(se);
            let (tasks, trials) = (lens.len() as f64, values.len() as f64);
            let variance = mean * (1.0 - mean);
            // Identical outcomes everywhere (a rate of 0 or 1) say nothing of the design
            // effect: count the tasks alone.
            let effective = if variance > 0.0 && se > 0.0 {
                (variance / (se * se)).clamp(tasks, trials)
            } else if variance > 0.0 {
                trials
            } else {
                tasks
            };
            if let Some((l, h)) = wilson_rate(mean, effective, Z95) {
                r.cluster_low = Some(l);
                r.cluster_high = Some(h);
            }
        }
        r.clustered = lens.iter().any(|&len| len > 1);
        r
    }

    /// The interval to show: clustered when trials repeat, else Wilson.
    pub(crate) fn interval(&self) -> Option<(f64, f64)> {
        if self.clustered {
            self.cluster_low.zip(self.cluster_high)
        } else {
            self.low.zip(self.high)
        }
    }

    /// `72.5% [61.2, 81.6]`, or `n/a` without trials.
    pub(crate) fn display(&self) -> String {
        match (self.rate, self.interval()) {
            (Some(r), Some((l, h))) => {
                format!("{:.1}% [{:.1}, {:.1}]", r * 100.0, l * 100.0, h * 100.0)
            }
            _ => "n/a".into(),
        }
    }
}

/// The Wilson score interval for `k` successes in `n` trials.
pub(crate) fn wilson(k: usize, n: usize, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    wilson_rate(k as f64 / n as f64, n as f64, z)
}

/// The Wilson score interval of a rate `p` over `n` trials, `n` not necessarily whole (an
/// effective number of trials).
fn wilson_rate(p: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n <= 0.0 {
        return None;
    }
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n) + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 -> 0.2553 to 0.3662;
        // 15/148 -> 0.0624 to 0.1605; 0/20 -> 0 to 0.1611; 1/29 -> 0.0061 to 0.1718.
        for (k, n, lo, hi) in [
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
        ] {
            let (l, h) = wilson(k, n, Z95).unwrap();
            assert!(close(l, lo) && close(h, hi), "{k}/{n}: {l:.4} {h:.4}");
        }
        assert_eq!(wilson(0, 0, Z95), None);
        let (l, h) = wilson(10, 10, Z95).unwrap();
        assert!(close(h, 1.0) && l > 0.69 && l < 0.73, "{l}");
    }

    #[test]
    fn rate_displays_interval() {
        assert_eq!(Rate::new(81, 263).display(), "30.8% [25.5, 36.6]");
        assert_eq!(Rate::new(0, 0).display(), "n/a");
        // Three tasks of two trials: [1,1], [0,1], [0,0] -> 50%, clustered SE sqrt(2)/6: an
        // effective 0.25 / (2/36) = 4.5 trials, Wilson at 50% on 4.5.
        let r = Rate::clustered(&[true, true, false, true, false, false], &[2, 2, 2]);
        assert!(r.clustered);
        assert!(close(r.se.unwrap(), 2f64.sqrt() / 6.0));
        let (l, h) = wilson_rate(0.5, 4.5, Z95).unwrap();
        let (rl, rh) = r.interval().unwrap();
        assert!(close(rl, l) && close(rh, h), "{rl} {rh}");
        assert_eq!(r.display(), "50.0% [16.1, 83.9]");
        assert!(!Rate::clustered(&[true, false], &[1, 1]).clustered);
    }

    #[test]
    fn repeated_trials_that_agree_claim_no_more_than_their_tasks() {
        // Ten tasks, one passing, each run five times alike: the interval of 1 in 10 (Wilson
        // 10.0% [1.8, 40.4]), not narrower, and above 0 since a task passed.
        let values: Vec<bool> = (0..10).flat_map(|t| [t == 0; 5]).collect();
        let r = Rate::clustered(&values, &[5; 10]);
        let one_trial = Rate::new(1, 10);
        assert_eq!(r.display(), one_trial.display());
        assert_eq!(r.display(), "10.0% [1.8, 40.4]");
        // Every trial alike and passing: still the tasks' interval.
        let r = Rate::clustered(&[true; 50], &[5; 10]);
        assert_eq!(r.interval(), Rate::new(10, 10).interval());
        // Trials that disagree within tasks carry more: never wider than the tasks alone
        // would be, never narrower than every trial independent.
        let values: Vec<bool> = (0..50).map(|i| i % 5 < 2).collect();
        let r = Rate::clustered(&values, &[5; 10]);
        let (l, h) = r.interval().unwrap();
        let (tl, th) = wilson(4, 10, Z95).unwrap();
        let (nl, nh) = wilson(20, 50, Z95).unwrap();
        assert!(l >= tl - 1e-12 && h <= th + 1e-12, "{l} {h}");
        assert!(l <= nl + 1e-12 && h >= nh - 1e-12, "{l} {h}");
        // Here every task passes 2 of 5, as the whole does: the tasks differ in nothing, so
        // the trials count as independent.
        assert!(close(l, nl) && close(h, nh), "{l} {h} vs {nl} {nh}");
    }
}
