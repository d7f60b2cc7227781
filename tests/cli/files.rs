//! The committed JSON Schemas are current, and the shipped files validate against them.

use serde_json::Value;

use crate::support::{repo, tooleval};

fn generated(which: &str) -> String {
    let out = tooleval().args(["schema", which]).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn committed_schemas_are_current() {
    for which in ["eval", "suite", "descriptions", "host"] {
        let path = repo().join(format!("schemas/{which}.schema.json"));
        let fresh = generated(which);
        if std::env::var_os("TOOLEVAL_UPDATE_SCHEMAS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: regenerate it with `cargo run -- schema {which} > schemas/{which}.schema.json` \
             (or run the tests with TOOLEVAL_UPDATE_SCHEMAS=1)",
            path.display()
        );
    }
}

fn validate(schema: &str, yaml_file: &str) {
    let schema: Value = serde_json::from_str(&generated(schema)).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc: Value = tooleval::config::parse_yaml(
        std::path::Path::new(yaml_file),
        &std::fs::read_to_string(repo().join(yaml_file)).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{yaml_file}: {errors:#?}");
}

#[test]
fn shipped_files_validate_against_the_schemas() {
    validate("eval", "evals/demo.yaml");
    validate("suite", "suites/observability.yaml");
    let hosts = std::fs::read_dir(repo().join("hosts")).unwrap();
    let mut n = 0;
    for h in hosts {
        let name = h.unwrap().file_name().to_string_lossy().into_owned();
        validate("host", &format!("hosts/{name}"));
        n += 1;
    }
    assert!(n >= 5, "{n} host profiles");
    // And the schema catches what the loader catches.
    let schema: Value = serde_json::from_str(&generated("suite")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let bad: Value =
        serde_json::json!({"tasks": [{"id": "a", "prompt": "x", "expect": "nothing", "extra": 1}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn listing_and_linting_write_nothing_in_the_current_folder() {
    // `tools` once kept a token cache in `.tooleval/` of whatever folder it ran in.
    let ws = crate::support::Workspace::new();
    for args in [
        &["tools", "--", "tooleval", "demo-server"][..],
        &["lint", "--", "tooleval", "demo-server"][..],
    ] {
        let out = crate::support::tooleval()
            .current_dir(ws.path())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("tokens"),
            "{args:?}"
        );
        let left: Vec<_> = std::fs::read_dir(ws.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} wrote {left:?}");
    }
}

/// The YAML blocks of the file reference that are whole files: suites (a top-level `tasks`) and
/// evals (`servers` and `suites`).
fn reference_examples() -> Vec<(&'static str, String)> {
    let text = std::fs::read_to_string(repo().join("docs/suite-format.md")).unwrap();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").unwrap();
        let block = &body[..end];
        rest = &body[end + 3..];
        let top = |key: &str| block.lines().any(|l| l.starts_with(&format!("{key}:")));
        if top("tasks") {
            out.push(("suite", block.to_owned()));
        } else if top("servers") && top("suites") {
            out.push(("eval", block.to_owned()));
        }
    }
    out
}

#[test]
fn the_file_reference_examples_are_valid_files() {
    let examples = reference_examples();
    let suites = examples.iter().filter(|(k, _)| *k == "suite").count();
    assert!(suites >= 5 && examples.len() >= 7, "{examples:?}");
    for (kind, block) in &examples {
        let schema: Value = serde_json::from_str(&generated(kind)).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let path = std::path::Path::new("docs/suite-format.md");
        let doc: Value = tooleval::config::parse_yaml(path, block).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{kind} example fails its schema: {errors:?}\n{block}"
        );
        if *kind == "suite" {
            // The loader's own checks too: shapes, matchers, mocks, answers.
            if let Err(e) = tooleval::config::suite_from_str(path, block.clone()) {
                panic!("suite example does not load: {}\n{block}", e.render());
            }
        }
    }
}
