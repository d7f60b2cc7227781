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
