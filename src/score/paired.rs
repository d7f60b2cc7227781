//! Statistics for comparing runs: clustered standard errors, a paired test over tasks, a score
//! test and interval for single trials, and how many tasks a change would need to be detected.
//!
//! Tasks are the unit of analysis; trials of one task are clustered (Miller 2024, "Adding Error
//! Bars to Evals", arXiv 2411.00640).
//!
//! Each comparison takes its test and its interval from one statistic, so the verdict in words
//! and the interval in numbers never disagree: the interval excludes 0 exactly when the test
//! rejects. Over several trials per task that statistic is the paired t; with one trial per task
//! it is the score statistic for paired proportions, whose value at a difference of 0 is
//! McNemar's (uncorrected) z and whose inversion is Tango's interval (T. Tango, "Equivalence test
//! and confidence interval for the difference in proportions for the paired-sample design",
//! Statistics in Medicine 17:891-908, 1998). Fagerland, Lydersen and Laake ("The McNemar test for
//! binary matched-pairs data: mid-p and asymptotic are better than exact conditional", BMC
//! Medical Research Methodology 13:91, 2013) found the exact conditional test too conservative
//! and recommend the asymptotic test "if small but frequent violations of the nominal level is
//! acceptable"; an exact test beside a Wald interval called 4 tasks better and 0 worse both noise
//! (p = 0.125) and a change (an interval above 0).

use serde::{Deserialize, Serialize};

/// The mean of clustered 0/1 (or any) scores and its cluster-robust standard error.
#[cfg(test)]
pub(crate) fn clustered_mean_se(clusters: &[Vec<f64>]) -> Option<(f64, f64)> {
    let values: Vec<f64> = clusters.iter().flatten().copied().collect();
    let lens: Vec<usize> = clusters.iter().map(Vec::len).collect();
    clustered_mean_se_flat(&values, &lens)
}

/// [`clustered_mean_se`] of clusters laid end to end in `values`, `lens[i]` values each: the
/// same sums in the same order, without a vector per cluster.
pub(crate) fn clustered_mean_se_flat(values: &[f64], lens: &[usize]) -> Option<(f64, f64)> {
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
pub(crate) struct PairedTest {
    /// `McNemar score test, Tango interval` (one trial per task) or `paired t over tasks` (trials
    /// clustered by task).
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
    pub(crate) fn new(pairs: &[(f64, f64)], single: bool, alpha: f64) -> Option<PairedTest> {
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
        let (method, p_value, low, high) = if single {
            let z = normal_quantile(1.0 - alpha / 2.0);
            let (low, high) = tango_interval(better, worse, n, z);
            (
                "McNemar score test, Tango interval".to_owned(),
                mcnemar_score_p(better, worse),
                low,
                high,
            )
        } else {
            let p = if se == 0.0 {
                if mean == 0.0 { 1.0 } else { 0.0 }
            } else {
                2.0 * (1.0 - t_cdf((mean / se).abs(), df))
            };
            (
                "paired t over tasks".to_owned(),
                p,
                mean - tcrit * se,
                mean + tcrit * se,
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
            low,
            high,
            p_value: p_value.clamp(0.0, 1.0),
            alpha,
            worse,
            better,
            tasks_needed,
        })
    }

    /// Whether the change is distinguishable from noise: its interval leaves 0 out (which is
    /// the test rejecting at `alpha`, by construction).
    pub(crate) fn significant(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }

    /// The verdict in words.
    pub(crate) fn verdict(&self) -> String {
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

/// The two-sided p-value of McNemar's test without continuity correction: z = (b - c) / sqrt(b +
/// c) on the `better` and `worse` tasks, 1 when none changed.
pub(crate) fn mcnemar_score_p(better: usize, worse: usize) -> f64 {
    let d = (better + worse) as f64;
    if d == 0.0 {
        return 1.0;
    }
    let z = (better as f64 - worse as f64) / d.sqrt();
    // P(|Z| > z) = P(chi-square with 1 df > z^2) = Q(1/2, z^2 / 2).
    upper_gamma(0.5, z * z / 2.0)
}

/// Tango's score interval for the difference of paired proportions, (better - worse) / n: every
/// difference the score test at `z` does not reject. The score at a difference d is
/// (b - c - n d) / sqrt(n (2 q + d (1 - d))), q the likelihood estimate of the share of worse
/// pairs given d (a quadratic's root); it falls as d rises, so each end is found by bisection.
pub(crate) fn tango_interval(better: usize, worse: usize, n: usize, z: f64) -> (f64, f64) {
    if n == 0 {
        return (-1.0, 1.0);
    }
    let (b, c, nf) = (better as f64, worse as f64, n as f64);
    let score = |d: f64| {
        let a = 2.0 * nf;
        let bq = -(b + c) + (2.0 * nf - b + c) * d;
        let cq = -c * d * (1.0 - d);
        let q = ((bq * bq - 4.0 * a * cq).max(0.0).sqrt() - bq) / (2.0 * a);
        let num = b - c - nf * d;
        let var = nf * (2.0 * q + d * (1.0 - d));
        if var <= 0.0 {
            // Only at the ends of the range: the score is infinite, or 0 where the data sit.
            return if num == 0.0 {
                0.0
            } else {
                num.signum() * f64::INFINITY
            };
        }
        num / var.sqrt()
    };
    let estimate = (b - c) / nf;
    // The last d on each side where the score still lies within z: from the estimate (score 0)
    // towards an end of the range (score infinite), halving the step where the score crosses.
    let end = |mut inside: f64, mut outside: f64, beyond: &dyn Fn(f64) -> bool| {
        for _ in 0..100 {
            let mid = 0.5 * (inside + outside);
            if beyond(score(mid)) {
                outside = mid;
            } else {
                inside = mid;
            }
        }
        0.5 * (inside + outside)
    };
    let low = if estimate <= -1.0 {
        -1.0
    } else {
        end(estimate, -1.0, &|s| s > z)
    };
    let high = if estimate >= 1.0 {
        1.0
    } else {
        end(estimate, 1.0, &|s| s < -z)
    };
    (low, high)
}

/// The regularized upper incomplete gamma function Q(a, x): the series below a + 1, the
/// continued fraction (Lentz's method) above (Numerical Recipes, 3rd ed., section 6.2).
fn upper_gamma(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..1000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        return (1.0 - sum * front).clamp(0.0, 1.0);
    }
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..1000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (front * h).clamp(0.0, 1.0)
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
pub(crate) fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The p-quantile of Student's t (bisection on the CDF).
pub(crate) fn t_quantile(p: f64, df: f64) -> f64 {
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
pub(crate) fn normal_quantile(p: f64) -> f64 {
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
    fn a_noisy_change_says_how_many_tasks_would_tell_only_when_more_are_needed() {
        let test = |tasks: usize, needed: Option<usize>| PairedTest {
            method: "McNemar".into(),
            tasks,
            mean_diff: -0.05,
            se: 0.05,
            low: -0.15,
            high: 0.05,
            p_value: 0.3,
            alpha: 0.05,
            worse: 3,
            better: 1,
            tasks_needed: needed,
        };
        let more = test(20, Some(60)).verdict();
        assert!(
            more.contains("would take about 60 tasks (there are 20)"),
            "{more}"
        );
        // An interval that reaches 0 does not leave it out.
        let touching = [(0.0, 0.2), (-0.2, 0.0)].map(|(low, high)| PairedTest {
            low,
            high,
            ..test(20, None)
        });
        assert!(touching.iter().all(|t| !t.significant()));
        assert!(
            PairedTest {
                low: 1e-9,
                ..test(20, None)
            }
            .significant()
        );
        assert!(
            PairedTest {
                high: -1e-9,
                ..test(20, None)
            }
            .significant()
        );
        for enough in [test(60, Some(60)), test(80, Some(60))] {
            let v = enough.verdict();
            assert!(!v.contains("would take"), "{v}");
            assert!(
                v.starts_with("The change is not distinguishable from noise"),
                "{v}"
            );
        }
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

    /// Tango's interval against published values: (better, worse, tasks, level, low, high, the
    /// decimals published). Better is the pairs with the first run 1 and the second 0 (n12).
    /// - (6, 16, 161): Cavo 2012 as printed by Fagerland, Lydersen and Laake's R package
    ///   contingencytables (tests/testthat/test-ch8.R, github.com/ocbe-uio/contingencytables, as of
    ///   2026-12-06): "estimate = -0.0621 (95% CI -0.1240 to -0.0054)"; the same test gives the
    ///   asymptotic McNemar P = 0.033006, Z = -2.132.
    /// - (1, 7, 21): Bentur 2009, Fagerland, Lydersen and Laake 2014 (Statistics in Medicine
    ///   33:2850), Table V, as asserted by the R package ratesci (tests/testthat/test3.R,
    ///   github.com/PeteLaud/ratesci, as of 2026-12-06).
    /// - (9, 3, 32), (0, 1, 44) at 90%, (16, 8, 86) (Agresti and Min 2005), (25, 2, 102) (Chang
    ///   2024): ratesci's tests of Tango's method, same file.
    /// - (3, 1, 14): Tang 2010's example, ratesci, same file, to 4 decimals.
    const TANGO_PUBLISHED: [(usize, usize, usize, f64, f64, f64, i32); 7] = [
        (6, 16, 161, 0.95, -0.1240, -0.0054, 4),
        (1, 7, 21, 0.95, -0.517, -0.026, 3),
        (9, 3, 32, 0.95, -0.027, 0.390, 3),
        (0, 1, 44, 0.90, -0.096, 0.037, 3),
        (3, 1, 14, 0.95, -0.1670, 0.4327, 4),
        (16, 8, 86, 0.95, -0.020, 0.207, 3),
        (25, 2, 102, 0.95, 0.139, 0.321, 3),
    ];

    #[test]
    fn tangos_interval_matches_published_values() {
        for (b, c, n, level, low, high, places) in TANGO_PUBLISHED {
            let z = normal_quantile(1.0 - (1.0 - level) / 2.0);
            let (l, h) = tango_interval(b, c, n, z);
            let round = |x: f64| (x * 10f64.powi(places)).round() / 10f64.powi(places);
            assert_eq!((round(l), round(h)), (low, high), "{b}, {c}, {n}: {l}, {h}");
            // Swapping the runs mirrors the interval.
            let (l2, h2) = tango_interval(c, b, n, z);
            assert!(close(l2, -h, 1e-9) && close(h2, -l, 1e-9), "{b}, {c}, {n}");
        }
        // b = c = 0: plus or minus z^2 / (n + z^2); c = 0: the upper end is Wilson's for b/n.
        let z = normal_quantile(0.975);
        let (l, h) = tango_interval(0, 0, 40, z);
        assert!(close(h, z * z / (40.0 + z * z), 1e-9) && close(l, -h, 1e-9));
        let (_, h) = tango_interval(10, 0, 12, z);
        let p = 10.0 / 12.0;
        let wilson = (p + z * z / 24.0 + z * (p * (1.0 - p) / 12.0 + z * z / 576.0).sqrt())
            / (1.0 + z * z / 12.0);
        assert!(close(h, wilson, 1e-9), "{h} {wilson}");
        assert_eq!(tango_interval(12, 0, 12, z).1, 1.0);
        // Cavo 2012's McNemar test, as the package prints it.
        assert!(close(mcnemar_score_p(6, 16), 0.033_006, 1e-6));
        assert!(close(mcnemar_score_p(4, 0), 0.045_500, 1e-6));
        assert_eq!(mcnemar_score_p(3, 3), 1.0);
        assert_eq!(mcnemar_score_p(0, 0), 1.0);
    }

    #[test]
    fn the_verdict_and_the_interval_never_disagree() {
        // Seen with an exact test beside a Wald interval: 4 tasks better, 0 worse of 40 read
        // +0.3..+19.7 points and p = 0.125. Now the score test and its interval agree:
        // z = 2, p = 0.0455, interval 0.0036..0.2305 (the interval's ends computed, not published).
        let pairs: Vec<(f64, f64)> = (0..40)
            .map(|i| if i < 4 { (0.0, 1.0) } else { (1.0, 1.0) })
            .collect();
        let t = PairedTest::new(&pairs, true, 0.05).unwrap();
        assert!(close(t.p_value, 0.045_500, 1e-6), "{}", t.p_value);
        assert!(close(t.low, 0.003_616, 1e-6) && close(t.high, 0.230_518, 1e-6));
        assert!(t.significant());
        assert!(t.verdict().contains("an improvement"), "{}", t.verdict());
        // Every table up to 30 tasks, both ways and at two levels: p < alpha exactly when the
        // interval leaves 0 out, and the verdict follows.
        for n in 1..=30 {
            for b in 0..=n {
                for c in 0..=(n - b) {
                    let pairs: Vec<(f64, f64)> = (0..n)
                        .map(|i| match i {
                            i if i < b => (0.0, 1.0),
                            i if i < b + c => (1.0, 0.0),
                            _ => (1.0, 1.0),
                        })
                        .collect();
                    for alpha in [0.05, 0.1] {
                        let t = PairedTest::new(&pairs, true, alpha).unwrap();
                        let excludes_0 = t.low > 0.0 || t.high < 0.0;
                        assert_eq!(t.significant(), excludes_0);
                        assert_eq!(
                            excludes_0,
                            t.p_value < alpha,
                            "{b} better, {c} worse of {n} at {alpha}: p {} [{}, {}]",
                            t.p_value,
                            t.low,
                            t.high
                        );
                        assert!(t.low <= t.mean_diff && t.mean_diff <= t.high);
                    }
                }
            }
        }
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
        // One trial per task: McNemar's score test on the discordant tasks, Tango's interval.
        let single: Vec<(f64, f64)> = (0..12)
            .map(|i| if i < 10 { (0.0, 1.0) } else { (1.0, 1.0) })
            .collect();
        let t = PairedTest::new(&single, true, 0.05).unwrap();
        assert_eq!((t.better, t.worse), (10, 0));
        // z = 10 / sqrt(10) = 3.1623, p = 0.001565; interval 0.3888..0.9530 (computed).
        assert!(close(t.p_value, 0.001_565, 1e-6), "{}", t.p_value);
        assert!(close(t.low, 0.388_761, 1e-6) && close(t.high, 0.953_035, 1e-6));
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
