//! `tooleval bench --html`: how big the HTML page of a large run is, how long `tooleval report`
//! takes to write it, and how long headless Chromium takes to load it (against a blank page, so
//! the browser's own start is seen apart). The run is real: a generated suite of N distinct
//! tasks over the demo server, each run `--trials` times by the offline baseline.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use super::measure::measure_median;
use super::scale::generate;
use crate::error::{Error, Result, exit};
use crate::output::Output;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct HtmlResult {
    pub tasks: usize,
    pub trials: u32,
    pub report_mb: f64,
    pub page_mb: f64,
    /// `tooleval report --html`: reading the report and writing the page.
    pub write_wall_s: f64,
    pub write_peak_rss_mb: f64,
    /// Headless Chromium loading the page, running its script and rendering its first screen
    /// to a PNG (`--screenshot`), and doing the same with a blank page, when a browser was found.
    pub browser_wall_s: Option<f64>,
    pub browser_blank_wall_s: Option<f64>,
    /// The same run with every trial's reason made distinct: the page when no two trials of a
    /// task are alike (an LLM sampling at a temperature), which the page cannot show once.
    pub distinct_page_mb: f64,
    pub distinct_browser_wall_s: Option<f64>,
}

/// How headless Chromium loads a page here (the bench and the browser tests alike): no
/// sandbox (root in a container), no GPU, and none of its own network traffic, which a closed
/// network refuses.
pub const HEADLESS_CHROMIUM: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Debian's Chromium, where it is installed.
pub fn find_chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// The flags every headless load is given: no network, a fresh profile, a screenshot of the
/// first screen.
fn browser_args(profile: &Path, url: &str) -> Vec<std::ffi::OsString> {
    HEADLESS_CHROMIUM
        .iter()
        .map(|s| (*s).into())
        .chain([
            format!("--user-data-dir={}", profile.display()).into(),
            "--window-size=1280,1600".into(),
            format!("--screenshot={}", profile.join("shot.png").display()).into(),
            url.into(),
        ])
        .collect()
}

/// `tooleval bench --html`.
pub(crate) fn html(
    out: &Output,
    exe: &Path,
    tasks: &[usize],
    trials: u32,
    runs: usize,
    browser: Option<PathBuf>,
) -> Result<i32> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    let browser = browser.or_else(find_chromium);
    if browser.is_none() {
        crate::sayln!(
            "note: no Chromium found (--browser PATH): the page is written and weighed, not loaded"
        );
    }
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<!doctype html><title>blank</title>")
        .map_err(|e| Error::io("write", &blank, e))?;
    let mut results = Vec::new();
    for &n in tasks {
        let r = html_point(exe, dir.path(), n, trials, runs, browser.as_deref(), &blank)?;
        say_point(&r);
        results.push(r);
    }
    out.print_json(&json!({ "html": results, "runs": runs.max(1) }));
    Ok(exit::OK)
}

/// One task count: a run of `n` tasks x `trials`, its page written (`runs` times, the median),
/// a page of distinct trials, and each loaded in the browser beside a blank page.
fn html_point(
    exe: &Path,
    dir: &Path,
    n: usize,
    trials: u32,
    runs: usize,
    browser: Option<&Path>,
    blank: &Path,
) -> Result<HtmlResult> {
    let report = dir.join(format!("report-{n}.json"));
    let page = dir.join(format!("page-{n}.html"));
    run_report(exe, dir, n, trials, &report)?;
    let write = [
        OsStr::new("report"),
        report.as_os_str(),
        OsStr::new("--html"),
        page.as_os_str(),
    ];
    let (write_wall_s, _, write_peak_rss_mb) = measure_median(exe, &write, dir, runs)?;
    // Every trial of a task unlike the others: its reason carries its number.
    let distinct = dir.join(format!("distinct-{n}.json"));
    let distinct_page = dir.join(format!("distinct-{n}.html"));
    make_distinct(&report, &distinct)?;
    let write_distinct = [
        OsStr::new("report"),
        distinct.as_os_str(),
        OsStr::new("--html"),
        distinct_page.as_os_str(),
    ];
    measure_median(exe, &write_distinct, dir, 1)?;
    let mb = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len() as f64 / 1e6)
            .map_err(|e| Error::io("read", p, e))
    };
    let (browser_wall_s, browser_blank_wall_s, distinct_browser_wall_s) = match browser {
        Some(b) => {
            let load = |file: &Path| load_time(b, file, dir, runs).map(Some);
            (load(&page)?, load(blank)?, load(&distinct_page)?)
        }
        None => (None, None, None),
    };
    Ok(HtmlResult {
        tasks: n,
        trials,
        report_mb: mb(&report)?,
        page_mb: mb(&page)?,
        write_wall_s,
        write_peak_rss_mb,
        browser_wall_s,
        browser_blank_wall_s,
        distinct_page_mb: mb(&distinct_page)?,
        distinct_browser_wall_s,
    })
}

/// A run of `n` generated tasks x `trials` with the offline baseline, its report at `report`.
fn run_report(exe: &Path, dir: &Path, n: usize, trials: u32, report: &Path) -> Result<()> {
    let eval = generate(dir, n)?;
    // The generated eval with the trials asked for.
    let text = std::fs::read_to_string(&eval).map_err(|e| Error::io("read", &eval, e))?;
    std::fs::write(&eval, format!("{text}trials: {trials}\n"))
        .map_err(|e| Error::io("write", &eval, e))?;
    let run = [
        OsStr::new("run"),
        OsStr::new("--quiet"),
        OsStr::new("--cache"),
        OsStr::new("off"),
        OsStr::new("--out"),
        report.as_os_str(),
        eval.as_os_str(),
    ];
    let status = std::process::Command::new(exe)
        .args(run)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| Error::io("start", exe, e))?;
    if !matches!(status.code(), Some(0 | 1)) {
        return Err(super::measure::exited(&run, status.code().unwrap_or(-1)));
    }
    Ok(())
}

/// The median time `browser` takes to load `file`, each time with a new profile.
fn load_time(browser: &Path, file: &Path, dir: &Path, runs: usize) -> Result<f64> {
    let profile = tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    let args = browser_args(profile.path(), &format!("file://{}", file.display()));
    let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    Ok(measure_median(browser, &args, dir, runs)?.0)
}

/// One task count's figures, for a person.
fn say_point(r: &HtmlResult) {
    crate::sayln!(
        "N={} x {} trials: report {:.2} MB, page {:.2} MB, written in {:.3} s (peak {:.1} MB){}",
        r.tasks,
        r.trials,
        r.report_mb,
        r.page_mb,
        r.write_wall_s,
        r.write_peak_rss_mb,
        match (r.browser_wall_s, r.browser_blank_wall_s) {
            (Some(p), Some(b)) =>
                format!("; Chromium renders it in {p:.3} s (a blank page: {b:.3} s)"),
            _ => String::new(),
        }
    );
    crate::sayln!(
        "{:9} every trial distinct: page {:.2} MB{}",
        "",
        r.distinct_page_mb,
        r.distinct_browser_wall_s
            .map(|s| format!(", rendered in {s:.3} s"))
            .unwrap_or_default()
    );
}

/// A copy of a report whose trials' reasons all differ.
fn make_distinct(from: &Path, to: &Path) -> Result<()> {
    let text = std::fs::read_to_string(from).map_err(|e| Error::io("read", from, e))?;
    let mut v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::usage(e.to_string(), None))?;
    if let Some(trials) = v.get_mut("trials").and_then(|t| t.as_array_mut()) {
        for t in trials {
            let n = t["trial"].as_u64().unwrap_or_default() + 1;
            if let Some(r) = t.get_mut("reason") {
                *r = format!("{} (trial {n})", r.as_str().unwrap_or_default()).into();
            }
        }
    }
    std::fs::write(to, v.to_string()).map_err(|e| Error::io("write", to, e))
}
