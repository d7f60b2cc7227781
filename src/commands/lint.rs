//! `tooleval lint`: offline checks of a server's tool definitions.

use super::servers::servers_to_list;
use crate::cli::{Format, LintArgs};
use crate::error::{Error, Result, did_you_mean, exit};
use crate::lint;
use crate::output::Output;
use crate::report;

pub(crate) async fn lint_command(out: &Output, args: LintArgs) -> Result<i32> {
    let listing = servers_to_list(
        args.target.eval.as_deref(),
        &args.target.server,
        args.target.descriptions.as_deref(),
    )?;
    let file = listing.file.clone().unwrap_or_default();
    let cfg = file.lint.clone().unwrap_or_default();
    check_disabled(&cfg.disable)?;
    let encoding = listing.encoding(args.target.encoding);
    let (mut tools, mut servers) = listing.list().await?;
    if args.target.descriptions.is_none() {
        let lock = crate::report::lock_path(args.target.eval.as_deref());
        super::lock::compare_with_lock(out, &lock, &tools, &servers)?;
    }
    tools.count_tokens(encoding);
    // Each server's instructions and their tokens: what hosts put before the model too.
    crate::mcp::count_instructions(&mut servers, encoding);
    let instructions: Vec<serde_json::Value> = servers
        .iter()
        .filter_map(|s| {
            let tokens = s.instructions_tokens?;
            let mut i = serde_json::json!({"server": s.name, "tokens": tokens});
            if s.instructions_overridden {
                i["overridden"] = true.into();
            }
            Some(i)
        })
        .collect();
    // The providers named, and those of the eval's models.
    let mut providers = args.provider.clone();
    let shared = file
        .model
        .clone()
        .map(|m| m.into_config())
        .unwrap_or_default();
    providers.push(shared.provider());
    for m in file.models.iter().flatten() {
        providers.push(match m {
            crate::config::ModelSpec::Config(c) => c.provider.unwrap_or(shared.provider()),
            crate::config::ModelSpec::Name(_) => shared.provider(),
        });
    }
    // A Gemini model sent the schemas as they are (`schema: json_schema`) has no conversion to
    // list, unless `--provider gemini` asks for it.
    let as_is = |m: &crate::config::ModelConfig| {
        m.schema.or(shared.schema) == Some(crate::config::SchemaForm::JsonSchema)
    };
    let converting_gemini = std::iter::once(&shared)
        .filter(|m| m.provider() == crate::config::Provider::Gemini)
        .chain(file.models.iter().flatten().filter_map(|m| match m {
            crate::config::ModelSpec::Config(c)
                if c.provider.unwrap_or(shared.provider()) == crate::config::Provider::Gemini =>
            {
                Some(&**c)
            }
            _ => None,
        }))
        .any(|m| !as_is(m));
    if !converting_gemini && !args.provider.contains(&crate::config::Provider::Gemini) {
        providers.retain(|p| *p != crate::config::Provider::Gemini);
    }
    providers.sort();
    providers.dedup();
    let findings = lint::lint_for(
        &tools,
        &cfg,
        args.max_tool_tokens.or(file.max_tool_tokens),
        &providers,
        &servers,
    );
    match args.target.format {
        Format::Json => out.print_json(&serde_json::json!({
            "encoding": encoding.as_str(),
            "total_tokens": tools.total_tokens(),
            "instructions": instructions,
            "findings": findings,
        })),
        Format::Table => {
            out.print(&report::render_findings(
                &findings, &tools, out.width, args.all,
            ));
            for i in &instructions {
                let from = if i["overridden"] == true {
                    " from the descriptions file"
                } else {
                    ""
                };
                let line = format!(
                    "server `{}` has instructions of {} tokens{from} (hosts show them to the model; `tooleval tools` prints them)",
                    i["server"].as_str().unwrap_or_default(),
                    i["tokens"]
                );
                out.print(&format!("{}\n", report::wrap(&line, out.width, "  ")));
            }
        }
    }
    let errors = findings.iter().any(|f| f.severity == lint::Severity::Error);
    Ok(if errors { exit::LINT_FAILED } else { exit::OK })
}

/// Every rule `lint.disable` names exists.
fn check_disabled(disable: &[String]) -> Result<()> {
    let Some(bad) = disable.iter().find(|d| d.parse::<lint::Rule>().is_err()) else {
        return Ok(());
    };
    let hint = match did_you_mean(bad, lint::Rule::ALL.map(lint::Rule::id)) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "`tooleval lint --help` lists the rules".to_owned(),
    };
    Err(Error::usage(
        format!("`lint.disable` names an unknown rule `{bad}`"),
        Some(hint),
    ))
}
