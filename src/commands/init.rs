//! `tooleval init`: a starter eval file and suite for a server's tools, one task per tool with
//! its expectation filled in and the prompt left for the author.

use std::fmt::Write as _;
use std::path::Path;

use super::servers::servers_to_list;
use crate::cli::InitArgs;
use crate::config::{PLACEHOLDER, ServerSpec};
use crate::config::{yaml_json as json, yaml_plain as plain};
use crate::error::{Error, Result, exit};
use crate::mcp::ToolSet;
use crate::output::Output;
use crate::record::ServerInfo;

pub(crate) async fn init_command(out: &Output, args: InitArgs) -> Result<i32> {
    let listing = servers_to_list(None, &args.server, None)?;
    let (tools, infos) = listing.list().await?;
    let name = args.name.clone().unwrap_or_else(|| default_name(&infos));
    let eval_path = args.dir.join("evals").join(format!("{name}.yaml"));
    let suite_path = args.dir.join("suites").join(format!("{name}.yaml"));
    for p in [&eval_path, &suite_path] {
        if p.exists() && !args.force {
            return Err(Error::usage(
                format!("{} exists already", p.display()),
                Some("pass --force to overwrite it, or --name to pick another name".to_owned()),
            ));
        }
    }
    let spec = &listing.written[0].1;
    out.write_file(&eval_path, &eval_text(&name, spec))?;
    out.write_file(&suite_path, &suite_text(&name, &tools))?;
    // Editors find the schemas through the files' first line; write them beside if missing.
    let schemas = args.dir.join("schemas");
    for (file, text) in [
        ("eval.schema.json", crate::config::eval_schema()),
        ("suite.schema.json", crate::config::suite_schema()),
    ] {
        let p = schemas.join(file);
        if !p.exists() {
            out.write_file(&p, &text)?;
        }
    }
    crate::sayln!(
        "wrote {} and {} ({} tasks)",
        eval_path.display(),
        suite_path.display(),
        tools.tools.len() + 1
    );
    crate::sayln!(
        "next: write each prompt marked {PLACEHOLDER:?} in {}, then `tooleval run {}`",
        suite_path.display(),
        rel(&eval_path)
    );
    Ok(exit::OK)
}

/// The server's name in kebab case (`@scope/my-server` -> `my-server`), or `server`.
fn default_name(infos: &[ServerInfo]) -> String {
    let from_server = infos
        .first()
        .and_then(|i| i.server_name.clone())
        .unwrap_or_default();
    let last = from_server.rsplit('/').next().unwrap_or_default();
    let kebab = kebab(last).trim_matches('-').to_owned();
    if kebab.is_empty() {
        "server".to_owned()
    } else {
        kebab
    }
}

/// Lower case, every character but ASCII letters and digits a `-`.
fn kebab(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn rel(p: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|d| p.strip_prefix(d).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
        .display()
        .to_string()
}

pub(super) fn eval_text(name: &str, spec: &ServerSpec) -> String {
    let mut s = String::from("# yaml-language-server: $schema=../schemas/eval.schema.json\n");
    let _ = writeln!(
        s,
        "# Written by `tooleval init`. Run it with `tooleval run evals/{name}.yaml`."
    );
    let _ = writeln!(s, "servers:\n  {}:", plain(name));
    if let Some(cmd) = &spec.command {
        let _ = writeln!(s, "    command: {}", json(cmd));
        if !spec.args.is_empty() {
            let _ = writeln!(s, "    args: {}", json(&spec.args));
        }
    } else if let Some(url) = &spec.url {
        let _ = writeln!(s, "    url: {}", json(url));
        let _ = writeln!(
            s,
            "    # headers: {{ Authorization: \"Bearer ${{TOKEN}}\" }}"
        );
    }
    let _ = writeln!(s, "suites:\n  - ../suites/{name}.yaml");
    let _ = writeln!(
        s,
        "# The offline baseline needs no key; name a model (e.g. gpt-4o-mini) to ask an LLM, or\n# several under `models:` to compare them, e.g. `{{ name: claude-sonnet-4-5, provider: anthropic }}`."
    );
    let _ = writeln!(s, "model: baseline\ntrials: 1");
    s
}

fn suite_text(name: &str, tools: &ToolSet) -> String {
    let mut s = String::from("# yaml-language-server: $schema=../schemas/suite.schema.json\n");
    s.push_str(
        "# Written by `tooleval init`: one task per tool. Write each prompt as a request a user would\n\
         # make that needs the tool, fill in the arguments you expect, and add tasks that need no\n\
         # tool or several. `tooleval run` refuses the suite while a prompt still starts with TODO.\n",
    );
    let _ = writeln!(s, "name: {}\ntasks:", plain(name));
    for t in &tools.tools {
        let id = kebab(&t.name);
        let _ = writeln!(s, "  - id: {}", plain(&id));
        let summary: String = t
            .description
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(100)
            .collect();
        if !summary.is_empty() {
            let _ = writeln!(s, "    # {}: {summary}", t.name);
        }
        let _ = writeln!(
            s,
            "    prompt: {}",
            json(&format!("{PLACEHOLDER} a request that needs {}", t.name))
        );
        let _ = writeln!(s, "    expect:\n      tool: {}", plain(&t.name));
        let required = t.required();
        if !required.is_empty() {
            let _ = writeln!(s, "      args:");
            for r in required {
                let _ = writeln!(s, "        {}: {{ present: true }}", plain(r));
            }
        }
    }
    let _ = writeln!(
        s,
        "  - id: no-tool\n    prompt: {}\n    expect: none",
        json(&format!(
            "{PLACEHOLDER} a request that none of these tools serves"
        ))
    );
    s
}
