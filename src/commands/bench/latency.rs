//! `tooleval bench`'s latency runs: a mock model (`bench-server`) answers every request after a
//! fixed delay; `tooleval run` runs a generated suite against it through the real path
//! (servers, scoring, report); the child's wall time, CPU time and peak memory are set against
//! the floor, ceil(N / C) x L.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Serialize;
use serde_json::json;

use super::measure::{measure_command, measure_median, median, trials_in};
use crate::cli::BenchArgs;
use crate::error::{Error, Result, exit};
use crate::output::Output;

/// One measured run.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BenchResult {
    /// The API the mock model was asked through.
    pub provider: crate::config::Provider,
    pub tasks: usize,
    pub concurrency: usize,
    pub latency_ms: u64,
    /// `--agent`: the tool server's delay per call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_latency_ms: Option<u64>,
    pub wall_s: f64,
    pub floor_s: f64,
    pub ratio: f64,
    pub cpu_s: f64,
    pub cpu_s_per_1000: f64,
    pub peak_rss_mb: f64,
    pub requests: usize,
    /// The `--compare-with` client on the same mock: its CPU seconds (median), and tooleval's
    /// CPU as a share of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cpu_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_vs_client: Option<f64>,
    /// Input tokens over the last run, and those the mock's prompt cache served.
    pub prompt_tokens: u64,
    pub cached_tokens: u64,
    /// The share of input tokens the prompt cache served, over every trial, and over the trials
    /// after the first `concurrency` (those may all be asked before any reply fills the cache).
    pub cache_share: f64,
    pub cache_share_warm: f64,
}

/// The prompt cache's figures of a run's report: input tokens, cached tokens, the cached share
/// over every trial and over those after the first `concurrency`.
fn cache_figures(report: &Path, concurrency: usize) -> Result<(u64, u64, f64, f64)> {
    let text = std::fs::read_to_string(report).map_err(|e| Error::io("read", report, e))?;
    let r: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::io(
            "read",
            report,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    let usage = |t: &serde_json::Value, k: &str| t["usage"][k].as_u64().unwrap_or(0);
    let trials = r["trials"].as_array().map_or(&[][..], Vec::as_slice);
    let sum = |ts: &[serde_json::Value], k: &str| ts.iter().map(|t| usage(t, k)).sum::<u64>();
    let share = |cached: u64, prompt: u64| {
        if prompt > 0 {
            cached as f64 / prompt as f64
        } else {
            0.0
        }
    };
    let (prompt, cached) = (sum(trials, "prompt_tokens"), sum(trials, "cached_tokens"));
    let warm = &trials[concurrency.min(trials.len())..];
    Ok((
        prompt,
        cached,
        share(cached, prompt),
        share(sum(warm, "cached_tokens"), sum(warm, "prompt_tokens")),
    ))
}

/// Writes the generated tool list, suite and eval for `tasks` tasks into `dir`. With `agent`,
/// `Some(tool latency)`, the tasks run in agent mode (two calls, then an answer) and the tool
/// server answers each call after that many milliseconds.
fn generate(
    dir: &Path,
    tasks: usize,
    tools: usize,
    url: &str,
    concurrency: usize,
    agent: Option<u64>,
    provider: crate::config::Provider,
) -> Result<std::path::PathBuf> {
    let defs: Vec<serde_json::Value> = (0..tools)
        .map(|i| {
            json!({
                "name": format!("tool_{i}"),
                "description": format!("Look up record {i} of the benchmark set by its id and return its fields."),
                "inputSchema": {"type": "object", "properties": {"id": {"type": "string", "description": "The record id."}}, "required": ["id"]},
                "annotations": {"readOnlyHint": true}
            })
        })
        .collect();
    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io("write", p.clone(), e))?;
        Ok::<_, Error>(p)
    };
    let tools_path = write(
        "tools.json",
        serde_json::to_string(&defs).unwrap_or_default(),
    )?;
    let mut suite = String::from("tasks:\n");
    for i in 0..tasks {
        match agent {
            None => suite.push_str(&format!("  - {{ id: t{i}, prompt: \"Fetch record x for task {i}.\", expect: {{ tool: tool_0, args: {{ id: x }} }} }}\n")),
            Some(_) => suite.push_str(&format!("  - {{ id: t{i}, prompt: \"Fetch records x and y for task {i}.\", trajectory: {{ calls: [{{ tool: tool_0, args: {{ id: x }} }}, {{ tool: tool_0, args: {{ id: y }} }}], order: exact }} }}\n")),
        }
    }
    write("suite.yaml", suite)?;
    // The mock's URL ends in /v1 (the OpenAI-compatible API's root); the native APIs' roots are
    // its host, and that host with /v1beta.
    let host = url.trim_end_matches("/v1");
    let base = match provider {
        crate::config::Provider::Openai => url.to_owned(),
        crate::config::Provider::Anthropic => host.to_owned(),
        crate::config::Provider::Gemini => format!("{host}/v1beta"),
    };
    let (delay, mode) = match agent {
        Some(ms) => (format!(", --call-delay-ms, \"{ms}\""), "mode: agent\n"),
        None => (String::new(), ""),
    };
    write(
        "eval.yaml",
        format!(
            "servers:\n  bench: {{ command: tooleval, args: [demo-server, --tools, \"{}\"{delay}] }}\nmodel: {{ name: bench, provider: {provider}, base_url: \"{base}\", api_key: bench, max_retries: 0, timeout_secs: 60 }}\nsuites: [suite.yaml]\nconcurrency: {concurrency}\n{mode}",
            tools_path.display()
        ),
    )
}

/// One setting: a generated eval of `tasks` tasks at `concurrency`, run `args.runs` times.
fn bench_setting(
    exe: &Path,
    dir: &Path,
    url: &str,
    tasks: usize,
    concurrency: usize,
    args: &BenchArgs,
) -> Result<BenchResult> {
    let agent = args.agent.then_some(args.tool_latency_ms);
    let eval = generate(
        dir,
        tasks,
        args.tools,
        url,
        concurrency,
        agent,
        args.provider,
    )?;
    let report = dir.join("report.json");
    let run = ["run", "--quiet", "--cache", "off", "--out"].map(std::ffi::OsStr::new);
    let run = [&run[..], &[report.as_os_str(), eval.as_os_str()]].concat();
    let (wall, cpu, mb) = measure_median(exe, &run, dir, args.runs)?;
    // A conversation is three model turns and two tool calls, one after another.
    let per_task_ms = match agent {
        Some(t) => 3 * args.latency_ms + 2 * t,
        None => args.latency_ms,
    };
    let floor = (tasks as f64 / concurrency as f64).ceil() * per_task_ms as f64 / 1000.0;
    if agent.is_some() {
        check_agent_report(&report, tasks)?;
    }
    let requests = trials_in(&report)? * if agent.is_some() { 3 } else { 1 };
    let (prompt_tokens, cached_tokens, cache_share, cache_share_warm) =
        cache_figures(&report, concurrency)?;
    Ok(BenchResult {
        prompt_tokens,
        cached_tokens,
        cache_share,
        cache_share_warm,
        provider: args.provider,
        tasks,
        concurrency,
        latency_ms: args.latency_ms,
        tool_latency_ms: agent,
        wall_s: wall,
        floor_s: floor,
        ratio: if floor > 0.0 { wall / floor } else { 0.0 },
        cpu_s: cpu,
        cpu_s_per_1000: cpu * 1000.0 / requests.max(1) as f64,
        peak_rss_mb: mb,
        requests,
        client_cpu_s: None,
        cpu_vs_client: None,
    })
}

/// Every agent trial of the last run passed with two executed calls: otherwise the figures would
/// measure something other than conversations.
fn check_agent_report(report: &Path, tasks: usize) -> Result<()> {
    let text = std::fs::read_to_string(report).map_err(|e| Error::io("read", report, e))?;
    let r: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::io(
            "read",
            report,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    let a = &r["summary"]["agent"];
    let passed = r["summary"]["full_call"]["successes"].as_u64();
    if a["executed"].as_u64() != Some(2 * tasks as u64) || passed != Some(tasks as u64) {
        return Err(Error::usage(
            format!(
                "the agent bench run did not hold its conversations: {} calls executed and {} tasks passed, expected {} and {tasks}",
                a["executed"],
                r["summary"]["full_call"]["successes"],
                2 * tasks
            ),
            Some(format!("read {}", report.display())),
        ));
    }
    Ok(())
}

/// The `--compare-with` command, run `runs` times against the same mock and setting: the
/// median of its CPU seconds. It must exit 0 (it checks its own replies).
fn measure_client(
    command: &str,
    dir: &Path,
    url: &str,
    tasks: usize,
    concurrency: usize,
    runs: usize,
) -> Result<f64> {
    let mut cpus = Vec::new();
    for _ in 0..runs.max(1) {
        // Run where the user ran the bench, so a relative path in the command resolves.
        let mut c = Command::new("sh");
        c.args(["-c", command])
            .env("BENCH_URL", url)
            .env("BENCH_TASKS", tasks.to_string())
            .env("BENCH_CONCURRENCY", concurrency.to_string())
            .env("BENCH_TOOLS", dir.join("tools.json"));
        let (_, cpu, _, code) = measure_command(c)?;
        if code != exit::OK {
            return Err(Error::usage(
                format!("the client `{command}` exited with {code}"),
                Some("run it by hand with the BENCH_* variables to see why".to_owned()),
            ));
        }
        cpus.push(cpu);
    }
    Ok(median(cpus))
}

/// `tooleval bench`'s default: each setting of tasks and concurrency against the mock model.
pub(super) fn latency(out: &Output, exe: &Path, args: &BenchArgs) -> Result<i32> {
    let mut server = Command::new(exe)
        .args(["bench-server", "--latency-ms", &args.latency_ms.to_string()])
        .args(args.agent.then_some("--agent"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::io("start", exe, e))?;
    let mut lines = BufReader::new(server.stdout.take().expect("piped"));
    let mut url = String::new();
    lines
        .read_line(&mut url)
        .map_err(|e| Error::io("read from", "the mock model", e))?;
    let url = url.trim().to_owned();
    let dir = tempfile::tempdir().map_err(|e| Error::io("create", std::env::temp_dir(), e))?;
    let mut results = Vec::new();
    for &tasks in &args.tasks {
        for &concurrency in &args.concurrency {
            let mut r = bench_setting(exe, dir.path(), &url, tasks, concurrency, args)?;
            if let Some(command) = &args.compare_with {
                let client =
                    measure_client(command, dir.path(), &url, tasks, concurrency, args.runs)?;
                r.client_cpu_s = Some(client);
                r.cpu_vs_client = (client > 0.0).then(|| r.cpu_s / client);
            }
            say_result(&r, args);
            results.push(r);
        }
    }
    drop(server.stdin.take());
    let mut served = String::new();
    let _ = lines.read_line(&mut served);
    let _ = server.wait();
    let served: usize = served
        .trim()
        .trim_start_matches("requests ")
        .parse()
        .unwrap_or(0);
    let per_setting = if args.compare_with.is_some() { 2 } else { 1 };
    let turns = if args.agent { 3 } else { 1 };
    let expected: usize = results
        .iter()
        .map(|r| r.tasks * turns * args.runs.max(1) * per_setting)
        .sum();
    out.print_json(
        &json!({"results": results, "requests_served": served, "requests_expected": expected}),
    );
    if served != expected {
        return Err(Error::usage(
            format!("the mock model served {served} requests, expected {expected}"),
            None,
        ));
    }
    Ok(exit::OK)
}

/// One setting's figures, for a person.
fn say_result(r: &BenchResult, args: &BenchArgs) {
    if args.agent {
        crate::sayln!(
            "agent: 3 turns and 2 calls per task, tool latency {}ms",
            args.tool_latency_ms
        );
    }
    crate::sayln!(
        "{}N={:<6} C={:<3} L={}ms  wall {:.3}s  floor {:.3}s  ratio {:.3}  cpu {:.3}s ({:.3}s/1000 req)  peak RSS {:.1} MB",
        match r.provider {
            crate::config::Provider::Openai => String::new(),
            p => format!("{p}: "),
        },
        r.tasks,
        r.concurrency,
        r.latency_ms,
        r.wall_s,
        r.floor_s,
        r.ratio,
        r.cpu_s,
        r.cpu_s_per_1000,
        r.peak_rss_mb
    );
    crate::sayln!(
        "{:18} input {} tokens, {} from the prompt cache: {:.1}% ({:.1}% after the first {} request(s))",
        "",
        r.prompt_tokens,
        r.cached_tokens,
        r.cache_share * 100.0,
        r.cache_share_warm * 100.0,
        r.concurrency
    );
    if let (Some(client), Some(share)) = (r.client_cpu_s, r.cpu_vs_client) {
        crate::sayln!(
            "{:18} client {:.3} CPU-s; tooleval's CPU is {:.2} of it",
            "",
            client,
            share
        );
    }
}
