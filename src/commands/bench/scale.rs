//! `tooleval bench --scale`: how the harness grows with the number of tasks. Suites of N distinct
//! tasks over the demo server's tools run with the offline baseline model (no model latency to
//! hide behind), then two shard reports are merged and two full reports compared; each command
//! is a child process measured with wait4 (wall time, CPU time, peak memory).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use super::measure::{exited, measure, measure_median, trials_in};
use crate::error::{Error, Result, exit};
use crate::output::Output;

/// The figures for one task count.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScaleResult {
    pub tasks: usize,
    pub run_wall_s: f64,
    pub run_cpu_s: f64,
    pub run_peak_rss_mb: f64,
    /// `merge` of the two halves of the run (`--shard 1/2`, `--shard 2/2`).
    pub merge_wall_s: f64,
    pub merge_peak_rss_mb: f64,
    /// `diff` of the full run's report and the merged one.
    pub diff_wall_s: f64,
    pub diff_peak_rss_mb: f64,
    /// Peak memory added per task since the previous, smaller count, in KB.
    pub kb_per_task: Option<f64>,
}

/// A prompt the baseline ranks to each demo tool, with the tool.
const PROMPTS: [(&str, &str); 10] = [
    ("search the checkout logs for errors number", "search_logs"),
    ("follow the live payments logs now", "tail_logs"),
    ("what is the p99 latency metric of cart", "get_metric"),
    (
        "run the promql query rate of search requests",
        "query_metrics",
    ),
    ("show trace abc000000000000", "get_trace"),
    ("is checkout up right now", "get_service_status"),
    ("health of payments dependencies", "get_service_health"),
    ("list deployments of cart this week", "list_deployments"),
    (
        "roll back search to the previous version",
        "rollback_deployment",
    ),
    ("which alerts are firing for auth", "list_alerts"),
];

/// Writes a suite of `tasks` distinct tasks and an eval running it on the demo server with the
/// baseline model, 64 in flight.
pub(super) fn generate(dir: &Path, tasks: usize) -> Result<PathBuf> {
    let mut suite = String::with_capacity(tasks * 110 + 8);
    suite.push_str("tasks:\n");
    for i in 0..tasks {
        let (prompt, tool) = PROMPTS[i % PROMPTS.len()];
        suite.push_str(&format!(
            "  - {{ id: t{i}, prompt: \"{prompt} {i}\", expect: {{ tool: {tool} }} }}\n"
        ));
    }
    let write = |name: String, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io("write", p.clone(), e))?;
        Ok::<_, Error>(p)
    };
    write(format!("suite-{tasks}.yaml"), &suite)?;
    write(
        format!("eval-{tasks}.yaml"),
        &format!(
            "servers:\n  demo: {{ command: tooleval, args: [demo-server] }}\nmodel: baseline\nsuites: [suite-{tasks}.yaml]\nconcurrency: 64\n"
        ),
    )
}

/// Runs `args` once, unmeasured; it must succeed.
fn prepare(exe: &Path, args: &[&std::ffi::OsStr], dir: &Path) -> Result<()> {
    match measure(exe, args, dir)? {
        (_, _, _, code) if code == exit::OK => Ok(()),
        (_, _, _, code) => Err(exited(args, code)),
    }
}

/// One task count: the measured run, the halves merged, the two full reports compared.
fn scale_point(exe: &Path, dir: &Path, tasks: usize, runs: usize) -> Result<ScaleResult> {
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let eval = generate(dir, tasks)?;
    let report = |name: &str| dir.join(format!("{name}-{tasks}.json"));
    let (full, half1, half2, merged) = (
        report("full"),
        report("half1"),
        report("half2"),
        report("merged"),
    );
    fn run<'a>(
        out: &'a Path,
        eval: &'a Path,
        shard: Option<&'static str>,
    ) -> Vec<&'a std::ffi::OsStr> {
        let os = std::ffi::OsStr::new;
        let mut a = vec![os("run"), os("--quiet"), os("--cache"), os("off")];
        if let Some(s) = shard {
            a.extend([os("--shard"), os(s)]);
        }
        a.extend([os("--out"), out.as_os_str(), eval.as_os_str()]);
        a
    }
    let (run_wall_s, run_cpu_s, run_peak_rss_mb) =
        measure_median(exe, &run(&full, &eval, None), dir, runs)?;
    prepare(exe, &run(&half1, &eval, Some("1/2")), dir)?;
    prepare(exe, &run(&half2, &eval, Some("2/2")), dir)?;
    let merge = [
        os("merge"),
        os("--quiet"),
        os("--out"),
        merged.as_os_str(),
        half1.as_os_str(),
        half2.as_os_str(),
    ];
    let (merge_wall_s, _, merge_peak_rss_mb) = measure_median(exe, &merge, dir, runs)?;
    let diff = [os("diff"), full.as_os_str(), merged.as_os_str()];
    let (diff_wall_s, _, diff_peak_rss_mb) = measure_median(exe, &diff, dir, runs)?;
    for (path, expected) in [(&full, tasks), (&merged, tasks)] {
        let found = trials_in(path)?;
        if found != expected {
            return Err(Error::usage(
                format!(
                    "{} holds {found} trials, expected {expected}",
                    path.display()
                ),
                None,
            ));
        }
    }
    Ok(ScaleResult {
        tasks,
        run_wall_s,
        run_cpu_s,
        run_peak_rss_mb,
        merge_wall_s,
        merge_peak_rss_mb,
        diff_wall_s,
        diff_peak_rss_mb,
        kb_per_task: None,
    })
}

/// `tooleval bench --scale`.
pub(crate) fn scale(out: &Output, exe: &Path, tasks: &[usize], runs: usize) -> Result<i32> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    let mut results: Vec<ScaleResult> = Vec::new();
    let mut counts = tasks.to_vec();
    counts.sort_unstable();
    counts.dedup();
    for n in counts {
        let mut r = scale_point(exe, dir.path(), n, runs)?;
        r.kb_per_task = results.last().map(|p| {
            (r.run_peak_rss_mb - p.run_peak_rss_mb) * 1024.0 / (n - p.tasks).max(1) as f64
        });
        // Two lines of under 80 columns per count.
        crate::sayln!(
            "N={:<7} run   {:.3} s, {:.3} CPU-s, peak {:.1} MB{}",
            r.tasks,
            r.run_wall_s,
            r.run_cpu_s,
            r.run_peak_rss_mb,
            r.kb_per_task
                .map(|k| format!(" (+{k:.2} KB per task)"))
                .unwrap_or_default(),
        );
        crate::sayln!(
            "{:9} merge {:.3} s, peak {:.1} MB; diff {:.3} s, peak {:.1} MB",
            "",
            r.merge_wall_s,
            r.merge_peak_rss_mb,
            r.diff_wall_s,
            r.diff_peak_rss_mb
        );
        results.push(r);
    }
    out.print_json(&json!({ "scale": results, "runs": runs.max(1) }));
    Ok(exit::OK)
}
