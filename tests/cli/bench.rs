//! The benchmark works: a small run of it executes the real run path against the mock model,
//! and the model saw exactly as many requests as there are tasks. Not a timed test: the figures
//! are printed, never asserted.

use serde_json::Value;

use crate::support::tooleval;

#[test]
fn a_small_benchmark_runs_and_counts_its_requests() {
    let out = tooleval()
        .args([
            "bench",
            "--tasks",
            "50",
            "--concurrency",
            "8",
            "--latency-ms",
            "5",
            "--runs",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["requests_served"], 50);
    assert_eq!(v["requests_expected"], 50);
    let r = &v["results"][0];
    assert_eq!(r["requests"], 50, "the report holds one trial per task");
    assert_eq!(r["floor_s"], 0.035, "ceil(50 / 8) x 5 ms");
    for key in ["wall_s", "cpu_s", "peak_rss_mb"] {
        assert!(r[key].as_f64().unwrap() > 0.0, "{key}: {r}");
    }
    assert!(
        stderr.contains("N=50") && stderr.contains("ratio"),
        "{stderr}"
    );
}

/// The same through each native API: the mock speaks them, and every request is answered.
#[test]
fn the_benchmark_runs_through_the_native_apis() {
    for provider in ["anthropic", "gemini"] {
        let out = tooleval()
            .args([
                "bench",
                "--tasks",
                "20",
                "--concurrency",
                "4",
                "--latency-ms",
                "1",
            ])
            .args(["--runs", "1", "--provider", provider])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{provider}: {stderr}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["requests_served"], 20, "{provider}");
        assert_eq!(v["results"][0]["requests"], 20, "{provider}");
        assert_eq!(v["results"][0]["provider"], provider);
        assert!(stderr.contains(&format!("{provider}: N=20")), "{stderr}");
    }
}

/// Agent conversations through each API: the mock calls for record `x`, then `y`, then
/// answers, and the bench checks that every task passed with both calls executed.
#[test]
fn agent_conversations_run_through_every_api() {
    for provider in ["openai", "anthropic", "gemini"] {
        let out = tooleval()
            .args(["bench", "--agent", "--tasks", "6", "--concurrency", "3"])
            .args(["--latency-ms", "1", "--tool-latency-ms", "1", "--runs", "1"])
            .args(["--provider", provider])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{provider}: {stderr}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        // Three turns per task, each one request.
        assert_eq!(v["requests_served"], 18, "{provider}");
        assert_eq!(v["results"][0]["tool_latency_ms"], 1, "{provider}");
        assert!(
            stderr.contains("agent: 3 turns and 2 calls per task"),
            "{stderr}"
        );
    }
}

/// The scale benchmark runs two task counts through run, merge and diff with the baseline
/// model, checks the reports hold every trial, and reports the memory added per task.
#[test]
fn the_scale_benchmark_runs_merges_and_compares() {
    let out = tooleval()
        .args(["bench", "--scale", "--tasks", "40,20", "--runs", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["scale"].as_array().unwrap();
    let tasks: Vec<u64> = points
        .iter()
        .map(|p| p["tasks"].as_u64().unwrap())
        .collect();
    assert_eq!(tasks, [20, 40], "in increasing order");
    for p in points {
        for key in [
            "run_wall_s",
            "run_cpu_s",
            "run_peak_rss_mb",
            "merge_wall_s",
            "diff_wall_s",
        ] {
            assert!(p[key].as_f64().unwrap() > 0.0, "{key}: {p}");
        }
    }
    assert!(
        points[0]["kb_per_task"].is_null(),
        "no smaller count before the first"
    );
    assert!(points[1]["kb_per_task"].is_number(), "{}", points[1]);
    assert!(
        stderr.contains("N=40") && stderr.contains("merge"),
        "{stderr}"
    );
    for line in stderr.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
}

/// `--compare-with` runs a client against the same mock: the thin client in benches/ sends one
/// request per task, so the mock serves twice the tasks, and its CPU time is reported. The
/// command runs where the bench was started, so a relative path works.
#[test]
fn the_benchmark_sets_a_client_beside_tooleval() {
    let client = "python3 benches/thin_client.py";
    let out = tooleval()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "bench",
            "--tasks",
            "30",
            "--concurrency",
            "4",
            "--latency-ms",
            "1",
            "--runs",
            "1",
            "--compare-with",
            client,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["requests_served"], 60,
        "30 from tooleval, 30 from the client"
    );
    let r = &v["results"][0];
    assert!(r["client_cpu_s"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["cpu_vs_client"].as_f64().unwrap() > 0.0, "{r}");
    assert!(stderr.contains("client"), "{stderr}");
}

/// A client that fails (here: one that sends nothing) fails the benchmark, naming it.
#[test]
fn a_failing_client_fails_the_benchmark() {
    let out = tooleval()
        .args([
            "bench",
            "--tasks",
            "5",
            "--concurrency",
            "2",
            "--latency-ms",
            "1",
            "--runs",
            "1",
            "--compare-with",
            "exit 3",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the client `exit 3` exited with 3"),
        "{stderr}"
    );
}

/// The page benchmark: a run per task count, its page written and weighed, and loaded in
/// Chromium when it is installed (else the bench says so and leaves the load times out).
#[test]
fn the_page_benchmark_writes_weighs_and_loads_each_page() {
    let out = tooleval()
        .args([
            "bench", "--html", "--tasks", "3,6", "--trials", "2", "--runs", "1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let points = v["html"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{v}");
    for (p, n) in points.iter().zip([3, 6]) {
        assert_eq!(p["tasks"], n);
        assert_eq!(p["trials"], 2);
        assert!(p["page_mb"].as_f64().unwrap() > 0.0, "{p}");
        assert!(p["report_mb"].as_f64().unwrap() > 0.0, "{p}");
        assert!(
            stderr.contains(&format!("N={n} x 2 trials: report")),
            "{stderr}"
        );
    }
    let loaded = points[0]["browser_wall_s"].as_f64();
    match tooleval::commands::find_chromium() {
        Some(_) => assert!(loaded.is_some_and(|s| s > 0.0), "{v}"),
        None => {
            assert!(loaded.is_none(), "{v}");
            assert!(stderr.contains("no Chromium found"), "{stderr}");
        }
    }
}
