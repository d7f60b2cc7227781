//! What a user meets first after an install: `--version` with the commit, `tooleval demo` with no
//! clone (run in a temporary folder, or written where they start), and `tooleval self-check`.

use serde_json::Value;

use crate::support::{Workspace, repo, tooleval};

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let out = tooleval().arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.starts_with(&format!("tooleval {} (", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        Some(h) => assert!(text.contains(&h), "{text} does not name {h}"),
        None => crate::support::skipped("no git checkout here: the commit cannot be compared"),
    }
}

#[test]
fn the_demo_runs_offline_in_a_folder_of_its_own() {
    let ws = Workspace::new();
    let out = tooleval()
        .current_dir(ws.path())
        .args(["demo", "--html", "page.html"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // The run's folder is named; its report holds the demo's 40 tasks, compared with the
    // baseline that came with it.
    let folder = err
        .lines()
        .find_map(|l| l.strip_prefix("the demo's files are in "))
        .and_then(|l| l.split(':').next())
        .expect("the folder is named");
    let folder = std::path::Path::new(folder);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("reports/demo.json")).unwrap())
            .unwrap();
    assert_eq!(report["suites"][0]["tasks"].as_array().unwrap().len(), 40);
    assert!(err.contains("compared with the baseline"), "{err}");
    assert!(ws.path().join("page.html").exists());
    // Nothing else was written where it ran.
    let here: Vec<_> = std::fs::read_dir(ws.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(here, ["page.html"]);
    std::fs::remove_dir_all(folder).unwrap();
}

#[test]
fn the_demo_writes_its_files_to_start_from_and_never_over_yours() {
    let ws = Workspace::new();
    let write = |args: &[&str]| {
        tooleval()
            .current_dir(ws.path())
            .args(["demo", "--dir", "start"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = write(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "evals/demo.yaml",
        "suites/observability.yaml",
        "evals/descriptions/clearer.yaml",
        "reports/baseline-demo.json",
        "schemas/suite.schema.json",
    ] {
        assert!(ws.path().join("start").join(f).exists(), "{f}");
    }
    // The files are the repository's.
    assert_eq!(
        std::fs::read_to_string(ws.path().join("start/suites/observability.yaml")).unwrap(),
        std::fs::read_to_string(repo().join("suites/observability.yaml")).unwrap()
    );
    let run = tooleval()
        .current_dir(ws.path().join("start"))
        .args([
            "run",
            "evals/demo.yaml",
            "--quiet",
            "--fail-on",
            "regression,min-accuracy",
        ])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let again = write(&[]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(
        err.contains("exists already") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(write(&["--force"]).status.code(), Some(0));
}

#[test]
fn self_check_says_what_it_finds_and_never_a_key() {
    let out = tooleval()
        .env("OPENAI_API_KEY", "sk-self-check-secret")
        .env("PATH", "/nonexistent")
        .args(["self-check", "--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0));
    assert!(!text.contains("sk-self-check-secret"), "{text}");
    let checks: Vec<Value> = serde_json::from_str(&text).unwrap();
    let by = |name: &str| checks.iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(by("OPENAI_API_KEY")["found"], true);
    assert_eq!(by("OPENAI_API_KEY")["detail"], "set");
    assert_eq!(by("ANTHROPIC_API_KEY")["found"], false);
    assert_eq!(by("node")["found"], false, "no node on an empty PATH");
    assert_eq!(by("node")["detail"], "not on the PATH");
    assert!(
        by("tooleval")["detail"]
            .as_str()
            .unwrap()
            .contains(env!("CARGO_PKG_VERSION"))
    );
    // With the machine's PATH, node is found when the machine has it.
    let out = tooleval().args(["self-check"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    let has_node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok();
    assert_eq!(table.contains("ok  node"), has_node, "{table}");
}

/// The action's example workflow is shown in docs/ci.md as it is, names only inputs the action
/// has, and every input of the action is in docs/ci.md's table.
#[test]
fn the_action_and_its_example_agree_with_the_docs() {
    let doc = std::fs::read_to_string(repo().join("docs/ci.md")).unwrap();
    let action: Value = tooleval::config::parse_yaml(
        std::path::Path::new("action.yml"),
        &std::fs::read_to_string(repo().join("action.yml")).unwrap(),
    )
    .unwrap();
    let inputs = action["inputs"].as_object().unwrap();
    for (name, input) in inputs {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "docs/ci.md's table lacks the input `{name}`"
        );
        assert!(
            input["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}"
        );
    }
    let text = std::fs::read_to_string(repo().join("docs/examples/github-action.yml")).unwrap();
    assert!(
        doc.contains(&format!("```yaml\n{text}```")),
        "docs/ci.md does not show github-action.yml as it is"
    );
    let workflow: Value =
        tooleval::config::parse_yaml(std::path::Path::new("github-action.yml"), &text).unwrap();
    let step = workflow["jobs"]["gate"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("tooleval/tooleval@"))
        })
        .expect("a step uses the action");
    for key in step["with"].as_object().unwrap().keys() {
        assert!(
            inputs.contains_key(key),
            "the example passes `{key}`, which the action does not take"
        );
    }
    // Every script the action runs is in the repository.
    for s in action["runs"]["steps"].as_array().unwrap() {
        if let Some(run) = s["run"].as_str()
            && let Some(script) = run.split("$GITHUB_ACTION_PATH/").nth(1)
        {
            let script = script.trim_end_matches('"');
            assert!(repo().join(script).exists(), "{script}");
        }
    }
}
