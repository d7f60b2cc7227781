//! `tooleval self-check`: what this installation can find, for a bug report or a first run on a
//! new machine. It reads the environment and asks programs their version; it writes nothing and
//! shows no secret (a key is said to be set, never shown).

use std::path::PathBuf;
use std::process::Command;

use serde::Serialize;

use crate::cli::{Format, SelfCheckArgs};
use crate::config::Provider;
use crate::error::{Result, exit};
use crate::output::Output;

/// One thing looked for.
#[derive(Debug, Serialize)]
struct Check {
    /// What it is.
    name: String,
    /// Whether it was found (a program that runs, a variable that is set).
    found: bool,
    /// What was found (a version and a path, or `set`), or what is missing.
    detail: String,
    /// What it is needed for.
    for_what: String,
}

pub(crate) async fn self_check_command(out: &Output, args: SelfCheckArgs) -> Result<i32> {
    let mut checks = vec![Check {
        name: "tooleval".into(),
        found: true,
        detail: format!(
            "{} on {}-{}{}",
            env!("TOOLEVAL_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH,
            std::env::current_exe()
                .map(|p| format!(" ({})", p.display()))
                .unwrap_or_default()
        ),
        for_what: "this program".into(),
    }];
    checks.push(program(
        "node",
        &["--version"],
        "MCP servers started with `npx` (most of the npm registry's)",
    ));
    checks.push(program("npx", &["--version"], "`npx -y PACKAGE` servers"));
    checks.push(program(
        "uvx",
        &["--version"],
        "MCP servers started with `uvx` (the Python SDK's, FastMCP's)",
    ));
    let chromium = super::find_chromium();
    checks.push(Check {
        name: "chromium".into(),
        found: chromium.is_some(),
        detail: chromium.map_or_else(
            || "not found at /usr/bin/chromium or /usr/bin/chromium-browser".into(),
            |p| version_of(&p, &["--version"]).unwrap_or_else(|| p.display().to_string()),
        ),
        for_what: "`bench --html` (page load times); the HTML pages themselves need only a browser"
            .into(),
    });
    for p in Provider::ALL {
        let var = p.key_var();
        let set = std::env::var_os(var).is_some_and(|v| !v.is_empty());
        checks.push(Check {
            name: var.into(),
            found: set,
            detail: if set { "set".into() } else { "not set".into() },
            for_what: format!(
                "models asked through {} (the offline baseline needs no key)",
                p.title()
            ),
        });
    }
    match args.format {
        Format::Json => out.print_json(&checks),
        Format::Table => {
            let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
            let pad = " ".repeat(width + 6);
            for c in &checks {
                let mark = if c.found { "ok  " } else { "--  " };
                let head = format!("{mark}{:width$}  {}", c.name, c.detail);
                let why = format!("{pad}for {}", c.for_what);
                out.print(&format!(
                    "{}\n{}\n",
                    crate::report::wrap(&head, out.width, &pad),
                    crate::report::wrap(&why, out.width, &pad)
                ));
            }
        }
    }
    Ok(exit::OK)
}

/// A program on the `PATH` and the first line of its version, or why not.
fn program(name: &str, args: &[&str], for_what: &str) -> Check {
    let path = which(name);
    let detail = match &path {
        None => "not on the PATH".to_owned(),
        Some(p) => match version_of(p, args) {
            Some(v) => format!("{v} ({})", p.display()),
            None => format!("{} (did not say its version)", p.display()),
        },
    };
    Check {
        name: name.into(),
        found: path.is_some(),
        detail,
        for_what: for_what.into(),
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The first line a program prints for `args`, when it runs and says something.
fn version_of(program: &std::path::Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?.trim().to_owned();
    (!line.is_empty()).then_some(line)
}
