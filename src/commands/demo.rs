//! `tooleval demo`: the repository's demo, built into the binary, so that a newcomer's first
//! command needs no clone and no key: its files written into a new temporary folder and run
//! there by `run` as any eval is (the demo server is this executable), or written into a folder
//! of the user's to start from.

use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::{Cli, Command, DemoArgs};
use crate::error::{Error, Result, exit};
use crate::output::Output;

/// The demo's files, by their path in the folder, as the repository holds them.
const FILES: &[(&str, &str)] = &[
    ("evals/demo.yaml", include_str!("../../evals/demo.yaml")),
    (
        "suites/observability.yaml",
        include_str!("../../suites/observability.yaml"),
    ),
    (
        "evals/descriptions/clearer.yaml",
        include_str!("../../evals/descriptions/clearer.yaml"),
    ),
    (
        "evals/descriptions/owner.yaml",
        include_str!("../../evals/descriptions/owner.yaml"),
    ),
    (
        "reports/baseline-demo.json",
        include_str!("../../reports/baseline-demo.json"),
    ),
];

/// Every file of the demo's folder, the schemas its files name in their first line included.
fn files() -> Vec<(&'static str, String)> {
    let mut all: Vec<(&str, String)> = FILES.iter().map(|(p, t)| (*p, (*t).to_owned())).collect();
    all.push(("schemas/eval.schema.json", crate::config::eval_schema()));
    all.push(("schemas/suite.schema.json", crate::config::suite_schema()));
    all.push((
        "schemas/descriptions.schema.json",
        crate::config::descriptions_schema(),
    ));
    all
}

pub(crate) async fn demo_command(out: &Output, args: DemoArgs) -> Result<i32> {
    if let Some(dir) = &args.dir {
        return write_files(out, dir, args.force);
    }
    let dir = tempfile::Builder::new()
        .prefix("tooleval-demo-")
        .tempdir()
        .map_err(|e| Error::io("create", std::env::temp_dir(), e))?
        .keep();
    for (path, text) in files() {
        out.write_file(&dir.join(path), &text)?;
    }
    let eval = dir.join("evals/demo.yaml");
    let report = dir.join("reports/demo.json");
    let mut words: Vec<std::ffi::OsString> = vec![
        "tooleval".into(),
        "run".into(),
        eval.clone().into(),
        "--out".into(),
        report.into(),
        "--cache".into(),
        "off".into(),
    ];
    if let Some(html) = &args.html {
        words.extend(["--html".into(), html.clone().into()]);
    }
    if args.quiet {
        words.push("--quiet".into());
    }
    let Command::Run(run) = Cli::try_parse_from(words)
        .map_err(|e| Error::usage(format!("the demo's run: {e}"), None))?
        .command
    else {
        unreachable!("the words name `run`");
    };
    let code = super::run_command(out, run).await?;
    if !args.quiet {
        say(
            out,
            &format!(
                "the demo's files are in {}: the eval, its suite, two descriptions files and the report",
                dir.display()
            ),
        );
        say(
            out,
            "next: `tooleval demo --dir DIR` writes them where you start from; `tooleval init -- YOUR SERVER COMMAND` starts on your own server",
        );
    }
    Ok(code)
}

/// The demo's files written into `dir`, none overwritten without `force`.
fn write_files(out: &Output, dir: &Path, force: bool) -> Result<i32> {
    let all = files();
    let existing: Vec<PathBuf> = all
        .iter()
        .map(|(p, _)| dir.join(p))
        .filter(|p| p.exists())
        .collect();
    if let Some(first) = existing.first()
        && !force
    {
        return Err(Error::usage(
            format!(
                "{} exists already ({} of the demo's files do)",
                first.display(),
                existing.len()
            ),
            Some("pass --force to overwrite them, or name another --dir".into()),
        ));
    }
    for (path, text) in &all {
        out.write_file(&dir.join(path), text)?;
    }
    say(
        out,
        &format!(
            "wrote the demo into {} ({} files)",
            dir.display(),
            all.len()
        ),
    );
    say(
        out,
        &format!(
            "next: cd {} && tooleval run evals/demo.yaml (the eval starts the demo server as `tooleval demo-server`: tooleval must be on your PATH)",
            dir.display()
        ),
    );
    Ok(exit::OK)
}

/// A line wrapped to the terminal between words.
fn say(out: &Output, text: &str) {
    out.say(&format!(
        "{}\n",
        crate::report::wrap(text, out.width, "    ")
    ));
}
