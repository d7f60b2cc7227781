//! Statistics for comparing runs: clustered standard errors, a paired test over tasks, an exact
//! test for single trials, and how many tasks a change would need to be detected.
//!
//! Tasks are the unit of analysis; trials of one task are clustered (Miller 2024, "Adding Error
//! Bars to Evals", arXiv 2411.00640).

use serde::{Deserialize, Serialize};

/// The mean of clustered 0/1 (or any) scores and its cluster-robust standard error.
pub fn clustered_mean_se(clusters: &[Vec<f64>]) -> Option<(f64, f64)> {
    let values: Vec<f64> = clusters.iter().flatten().copied().collect();
    let lens: Vec<usize> = clusters.iter().map(Vec::len).collect();
    clustered_mean_se_flat(&values, &lens)
}

/// [`clustered_mean_se`] of clusters laid end to end in `values`, `lens[i]` values each: the
/// same sums in the same order, without a vector per cluster.
pub fn clustered_mean_se_flat(values: &[f64], lens: &[usize]) -> Option<(f64, f64)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut at = 0;
    let var: f64 = lens
        .iter()
        .map(|&len| {
            let c = &values[at..at + len];
            at += len;
            c.iter().map(|x| x - mean).sum::<f64>().powi(2)
        })
        .sum();
    Some((mean, var.sqrt() / n as f64))
}

/// The result of comparing two runs task by task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedTest {
    /// `exact McNemar` (one trial per task) or `paired t over tasks` (trials clustered by task).
    pub method: String,
    /// Tasks compared (present and scored in both runs).
    pub tasks: usize,
    /// Mean per-task change in pass rate, head minus base (-1 to 1).
    pub mean_diff: f64,
    /// Standard error of `mean_diff`.
    pub se: f64,
    /// The confidence interval of `mean_diff` at the chosen level.
    pub low: f64,
    pub high: f64,
    pub p_value: f64,
    pub alpha: f64,
    /// Tasks whose pass rate fell / rose.
    pub worse: usize,
    pub better: usize,
    /// About how many tasks would detect a change of this size with 80% power (absent when no
    /// change was observed).
    pub tasks_needed: Option<usize>,
}

impl PairedTest {
    /// Compares per-task pass rates `(base, head)`; `single` when every task ran one trial.
    pub fn new(pairs: &[(f64, f64)], single: bool, alpha: f64) -> Option<PairedTest> {
        let n = pairs.len();
        if n == 0 {
            return None;
        }
        let diffs: Vec<f64> = pairs.iter().map(|(b, h)| h - b).collect();
        let mean = diffs.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let se = sd / (n as f64).sqrt();
        let worse = diffs.iter().filter(|d| **d < 0.0).count();
        let better = diffs.iter().filter(|d| **d > 0.0).count();
        let df = (n.max(2) - 1) as f64;
        let tcrit = t_quantile(1.0 - alpha / 2.0, df);
        let (method, p_value) = if single {
            (
                "exact McNemar".to_owned(),
                binomial_two_sided(worse, better),
            )
        } else if se == 0.0 {
            (
                "paired t over tasks".to_owned(),
                if mean == 0.0 { 1.0 } else { 0.0 },
            )
        } else {
            let t = mean / se;
            (
                "paired t over tasks".to_owned(),
                2.0 * (1.0 - t_cdf(t.abs(), df)),
            )
        };
        let tasks_needed = (mean != 0.0 && sd > 0.0).then(|| {
            let z = normal_quantile(1.0 - alpha / 2.0) + normal_quantile(0.8);
            ((z * sd / mean).powi(2)).ceil() as usize
        });
        Some(PairedTest {
            method,
            tasks: n,
            mean_diff: mean,
            se,
            low: mean - tcrit * se,
            high: mean + tcrit * se,
            p_value: p_value.clamp(0.0, 1.0),
            alpha,
            worse,
            better,
            tasks_needed,
        })
    }

    pub fn significant(&self) -> bool {
        self.p_value < self.alpha
    }

    /// The verdict in words.
    pub fn verdict(&self) -> String {
        let pts = |x: f64| format!("{:+.1}", x * 100.0);
        let level = 100.0 * (1.0 - self.alpha);
        let change = format!(
            "{} points [{}, {}] ({level:.0}% CI; {} task(s) better, {} worse; {}, p = {:.3})",
            pts(self.mean_diff),
            pts(self.low),
            pts(self.high),
            self.better,
            self.worse,
            self.method,
            self.p_value
        );
        if self.significant() {
            let dir = if self.mean_diff > 0.0 {
                "an improvement"
            } else {
                "a regression"
            };
            format!("The change is {dir} distinguishable from noise: {change}.")
        } else {
            let mut s = format!("The change is not distinguishable from noise: {change}.");
            match self.tasks_needed {
                Some(need) if need > self.tasks => s.push_str(&format!(
                    " Detecting a change of this size with 80% power would take about {need} tasks (there are {}), or more trials per task.",
                    self.tasks
                )),
                Some(_) => {}
                None if self.better + self.worse == 0 => s.push_str(" No task changed."),
                None => s.push_str(" The tasks that changed cancel out."),
            }
            s
        }
    }
}

/// Two-sided exact binomial test of `a` against `b` successes at p = 1/2 (the sign test; McNemar's
/// exact test on discordant pairs).
pub fn binomial_two_sided(a: usize, b: usize) -> f64 {
    let n = a + b;
    if n == 0 {
        return 1.0;
    }
    let k = a.min(b);
    // Sum of C(n, i) / 2^n for i <= k, computed in logs to stay finite for large n.
    let ln2n = n as f64 * std::f64::consts::LN_2;
    let tail: f64 = (0..=k).map(|i| (ln_choose(n, i) - ln2n).exp()).sum();
    (2.0 * tail).min(1.0)
}

fn ln_choose(n: usize, k: usize) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// ln Γ(x) by the Lanczos approximation (g = 7, n = 9), accurate to about 15 digits.
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method).
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(1.0 - x, b, a);
    }
    let tiny = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        for step in 0..2 {
            let num = if step == 0 {
                m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
            } else {
                -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
            };
            d = 1.0 + num * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = 1.0 + num / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-14 {
            break;
        }
    }
    front * h / a
}

/// The CDF of Student's t distribution with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The p-quantile of Student's t (bisection on the CDF).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (-1e3, 1e3);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The p-quantile of the standard normal (Acklam's algorithm, relative error below 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p_low = 0.024_25;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn exact_mcnemar_matches_known_p_values() {
        // Two-sided exact binomial p at 1/2: b=1,c=9 -> 22/1024; 0,5 -> 2/32; 3,3 -> 1;
        // 2,8 -> 112/1024; 10,25 -> 0.0166738 (R: binom.test(10, 35)$p.value).
        for (b, c, p) in [
            (1, 9, 0.021_484_375),
            (0, 5, 0.0625),
            (3, 3, 1.0),
            (2, 8, 0.109_375),
            (10, 25, 0.016_673_8),
        ] {
            let got = binomial_two_sided(b, c);
            assert!(close(got, p, 1e-6), "{b},{c}: {got}");
            assert_eq!(got, binomial_two_sided(c, b));
        }
        assert_eq!(binomial_two_sided(0, 0), 1.0);
        assert!(binomial_two_sided(0, 2000) < 1e-300 || binomial_two_sided(0, 2000) == 0.0);
    }

    #[test]
    fn distributions_match_tables() {
        assert!(close(normal_quantile(0.975), 1.959_964, 1e-6));
        assert!(close(normal_quantile(0.8), 0.841_621, 1e-6));
        assert!(close(normal_quantile(0.01), -2.326_348, 1e-6));
        // Student's t critical values: df 1, 5, 30 at 0.975.
        for (df, t) in [(1.0, 12.706_2), (5.0, 2.570_6), (30.0, 2.042_3)] {
            assert!(
                close(t_quantile(0.975, df), t, 1e-3),
                "{df}: {}",
                t_quantile(0.975, df)
            );
        }
        assert!(close(t_cdf(0.0, 7.0), 0.5, 1e-12));
        assert!(close(t_cdf(2.0, 10.0), 0.963_306, 1e-5));
    }

    #[test]
    fn clustered_se_by_hand() {
        // Clusters [1,1], [0,1], [0,0]: mean 0.5; cluster sums of deviations 1, 0, -1;
        // SE = sqrt(1 + 0 + 1) / 6 = 0.2357.
        let (m, se) = clustered_mean_se(&[vec![1.0, 1.0], vec![0.0, 1.0], vec![0.0, 0.0]]).unwrap();
        assert!(close(m, 0.5, 1e-12));
        assert!(close(se, 2f64.sqrt() / 6.0, 1e-12));
        // Singleton clusters give the plain (population) standard error: sqrt(p(1-p)/n).
        let (_, se) = clustered_mean_se(&[vec![1.0], vec![0.0], vec![1.0], vec![0.0]]).unwrap();
        assert!(close(se, (0.25f64 / 4.0).sqrt(), 1e-12));
        assert_eq!(clustered_mean_se(&[]), None);
    }

    #[test]
    fn paired_test_by_hand() {
        // Differences 0.5, 0.5, 0, 1: mean 0.5, sd 0.4082, se 0.2041, t = 2.449 on 3 df, p = 0.0917.
        let pairs = [(0.0, 0.5), (0.5, 1.0), (1.0, 1.0), (0.0, 1.0)];
        let t = PairedTest::new(&pairs, false, 0.05).unwrap();
        assert!(close(t.mean_diff, 0.5, 1e-12));
        assert!(close(t.se, 0.204_124, 1e-6));
        assert!(close(t.p_value, 0.091_7, 1e-3), "{}", t.p_value);
        assert!(!t.significant());
        assert!(
            t.verdict().contains("not distinguishable") && t.verdict().contains("about 6 tasks"),
            "{}",
            t.verdict()
        );
        // One trial per task: exact McNemar on the discordant tasks.
        let single: Vec<(f64, f64)> = (0..12)
            .map(|i| if i < 10 { (0.0, 1.0) } else { (1.0, 1.0) })
            .collect();
        let t = PairedTest::new(&single, true, 0.05).unwrap();
        assert_eq!((t.better, t.worse), (10, 0));
        assert!(close(t.p_value, 2.0 / 1024.0, 1e-9));
        assert!(t.significant());
        assert!(
            t.verdict()
                .starts_with("The change is an improvement distinguishable from noise"),
            "{}",
            t.verdict()
        );
        let same = PairedTest::new(&[(1.0, 1.0), (0.0, 0.0)], true, 0.05).unwrap();
        assert!(
            same.verdict().ends_with("No task changed."),
            "{}",
            same.verdict()
        );
    }
}
