//! The docs run as written: every `tooleval` command in the shell blocks of the README and
//! docs/descriptions.md runs, in order, against the demo in a copy of the repository's evals,
//! suites and baseline, and ends as a documented command may (0, or 1 for a gate or a lint
//! finding), never with a usage, file or infrastructure error; and every whole suite shown in
//! the README and docs/ (a YAML block with `tasks:`) runs against the demo server.

use std::path::Path;
use std::process::Command;

use crate::support::{bin_path, clean_env, repo};

/// The commands of a markdown file's `sh` blocks, continuation lines joined and comments cut.
fn shell_commands(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_block = !in_block && line.trim() == "```sh";
            continue;
        }
        if !in_block {
            continue;
        }
        let code = match line.find(" #") {
            Some(i) => &line[..i],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        }
        .trim_end();
        if let Some(head) = code.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(code);
        let command = std::mem::take(&mut pending).trim().to_owned();
        if !command.is_empty() {
            out.push(command);
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `PATH` with the binary under test first, so `tooleval` in a command is this build.
fn path_with_tooleval() -> std::ffi::OsString {
    let bin_dir = bin_path().parent().unwrap().to_path_buf();
    std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap()
}

/// A copy of what the documented commands read: they write reports and scaffolds beside it.
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["evals", "suites", "schemas"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    std::fs::copy(
        repo().join("reports/baseline-demo.json"),
        dir.path().join("reports/baseline-demo.json"),
    )
    .unwrap();
    dir
}

/// Runs each `tooleval` command of `doc` in a fresh copy of the demo; a command that names a
/// streamable HTTP server gets the demo server on a free port of 127.0.0.1.
fn run_documented_commands(doc: &str) -> usize {
    let text = std::fs::read_to_string(repo().join(doc)).unwrap();
    let commands: Vec<String> = shell_commands(&text)
        .into_iter()
        .filter(|c| c.starts_with("tooleval "))
        .collect();
    assert!(!commands.is_empty(), "{doc} holds no tooleval command");
    let ws = demo_copy();
    let path = path_with_tooleval();
    let url = regex::Regex::new(r"http://127\.0\.0\.1:\d+/mcp").unwrap();
    // Stopped when dropped.
    let mut http_servers = Vec::new();
    for command in &commands {
        let mut command = command.clone();
        if let Some(m) = url.find(&command.clone()) {
            let (guard, live) = crate::support::demo_http_server();
            command = command.replace(m.as_str(), &live);
            http_servers.push(guard);
        }
        let mut sh = Command::new("sh");
        clean_env(&mut sh);
        let out = sh
            .arg("-c")
            .arg(&command)
            .env("PATH", &path)
            .current_dir(ws.path())
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "{doc}: `{command}` ended with {code:?}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    commands.len()
}

#[test]
fn the_readme_commands_run_as_written() {
    assert!(run_documented_commands("README.md") >= 8);
}

#[test]
fn the_description_guide_commands_run_as_written() {
    assert!(run_documented_commands("docs/descriptions.md") >= 9);
}

#[test]
fn shell_blocks_are_read_as_a_shell_reads_them() {
    let md = "```sh\ntooleval a \\\n  --b c   # note\n# only a comment\n```\n```text\ntooleval no\n```\n";
    assert_eq!(shell_commands(md), vec!["tooleval a   --b c"]);
}

#[test]
fn every_exit_code_is_documented_alike() {
    let source = std::fs::read_to_string(repo().join("src/error.rs")).unwrap();
    let codes: std::collections::BTreeSet<String> =
        regex::Regex::new(r"pub const [A-Z_]+: i32 = (\d+);")
            .unwrap()
            .captures_iter(&source)
            .map(|c| c[1].to_owned())
            .collect();
    assert!(codes.len() >= 6, "{codes:?}");
    for doc in ["README.md", "docs/suite-format.md"] {
        let text = std::fs::read_to_string(repo().join(doc)).unwrap();
        for code in &codes {
            assert!(
                text.contains(&format!("\n| {code} |")),
                "{doc} does not list exit code {code}"
            );
        }
    }
    // A missing API key is a configuration error (2), as the code says (tests/cli/errors.rs).
    let format = std::fs::read_to_string(repo().join("docs/suite-format.md")).unwrap();
    let row = format.lines().find(|l| l.starts_with("| 2 |")).unwrap();
    assert!(row.contains("no API key"), "{row}");
}

/// Every property name a JSON Schema defines, at any depth.
fn schema_fields(node: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match node {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            map.values().for_each(|v| schema_fields(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| schema_fields(v, out)),
        _ => {}
    }
}

#[test]
fn every_field_of_the_file_schemas_is_documented() {
    for (schema, doc) in [
        ("eval", "docs/suite-format.md"),
        ("suite", "docs/suite-format.md"),
        ("descriptions", "docs/descriptions.md"),
    ] {
        let text =
            std::fs::read_to_string(repo().join(format!("schemas/{schema}.schema.json"))).unwrap();
        let mut fields = std::collections::BTreeSet::new();
        schema_fields(&serde_json::from_str(&text).unwrap(), &mut fields);
        assert!(fields.len() >= 3, "{schema}: {fields:?}");
        let doc_text = std::fs::read_to_string(repo().join(doc)).unwrap();
        let missing: Vec<&String> = fields
            .iter()
            .filter(|f| {
                !doc_text.contains(&format!("`{f}`"))
                    && !doc_text.contains(&format!("`tasks[].{f}`"))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "{doc} does not name these fields of schemas/{schema}.schema.json: {missing:?}"
        );
    }
}

/// Every YAML block of the README and docs/ that is a whole suite (it has `tasks:`), with where
/// it starts (`docs/suite-format.md:374`).
fn suite_examples() -> Vec<(String, String)> {
    let mut docs = vec![repo().join("README.md")];
    let mut more: Vec<_> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    let mut out = Vec::new();
    for doc in docs {
        let text = std::fs::read_to_string(&doc).unwrap();
        let name = doc.strip_prefix(repo()).unwrap().display().to_string();
        let mut block: Option<(usize, String)> = None;
        for (i, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim() == "```yaml" => block = Some((i + 2, String::new())),
                Some((start, body)) if line.starts_with("```") => {
                    if body.lines().any(|l| l.starts_with("tasks:")) {
                        out.push((format!("{name}:{start}"), std::mem::take(body)));
                    }
                    block = None;
                }
                Some((_, body)) => {
                    body.push_str(line);
                    body.push('\n');
                }
                None => {}
            }
        }
    }
    out
}

#[test]
fn every_whole_suite_in_the_docs_runs_against_the_demo() {
    let examples = suite_examples();
    assert!(examples.len() >= 8, "{}", examples.len());
    let path = path_with_tooleval();
    for (place, suite) in examples {
        let ws = tempfile::tempdir().unwrap();
        std::fs::write(ws.path().join("suite.yaml"), &suite).unwrap();
        std::fs::write(
            ws.path().join("eval.yaml"),
            "servers:\n  shop: { command: tooleval, args: [demo-server] }\nmodel: baseline\nsuites: [suite.yaml]\n",
        )
        .unwrap();
        let mut cmd = Command::new(bin_path());
        clean_env(&mut cmd);
        let out = cmd
            .args([
                "run",
                "--quiet",
                "--cache",
                "off",
                "--out",
                "r.json",
                "eval.yaml",
            ])
            .env("PATH", &path)
            .current_dir(ws.path())
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "the suite at {place} does not run against the demo:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The block that follows `marker` in `doc`, as written.
fn block_after(doc: &str, marker: &str) -> String {
    let text = std::fs::read_to_string(repo().join(doc)).unwrap();
    let from = text
        .find(marker)
        .unwrap_or_else(|| panic!("{doc} lost `{marker}`"));
    let rest = &text[from..];
    let start = rest.find("```").unwrap();
    let body = &rest[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_owned()
}

#[test]
fn the_documented_error_messages_are_what_tooleval_prints() {
    // docs/suite-format.md, "Error messages": an unset variable and a misspelt field.
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join("e.yaml"),
        "servers:\n  tickets:\n    command: tickets-mcp\n    args: [--stdio]\n    env: { TOKEN: \"${TICKETS_TOKEN}\" }\nmodel: baseline\nsuites: [s2.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("s2.yaml"),
        "tasks:\n  - id: a\n    promt: hi\n",
    )
    .unwrap();
    let mut cmd = Command::new(bin_path());
    clean_env(&mut cmd);
    let out = cmd
        .args(["run", "e.yaml"])
        .env_remove("TICKETS_TOKEN")
        .current_dir(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        block_after("docs/suite-format.md", "## Error messages")
    );
    // docs/descriptions.md: the scaffold's placeholder prompt, as `init` leaves it.
    let ws = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(bin_path());
        clean_env(&mut cmd);
        let bin_dir = bin_path().parent().unwrap().to_path_buf();
        cmd.args(args)
            .env("PATH", std::env::join_paths([bin_dir]).unwrap())
            .current_dir(ws.path())
            .output()
            .unwrap()
    };
    assert_eq!(
        run(&["init", "--", "tooleval", "demo-server"])
            .status
            .code(),
        Some(0)
    );
    let out = run(&["run", "evals/tooleval-demo.yaml"]);
    let said = String::from_utf8_lossy(&out.stderr);
    let doc = block_after(
        "docs/descriptions.md",
        "exits with 2 and names each such task",
    );
    for line in doc.lines() {
        assert!(said.contains(line), "{line:?} is not printed:\n{said}");
    }
}
