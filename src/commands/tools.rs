//! `tooleval tools`: a server's tools as models see them, with what each costs in tokens.

use super::servers::servers_to_list;
use crate::cli::{Format, ToolsArgs};
use crate::error::{Result, exit};
use crate::output::Output;
use crate::report;

pub(crate) async fn tools_command(out: &Output, args: ToolsArgs) -> Result<i32> {
    let listing = servers_to_list(
        args.target.eval.as_deref(),
        &args.target.server,
        args.target.descriptions.as_deref(),
    )?;
    let encoding = listing.encoding(args.target.encoding);
    let (mut tools, mut servers) = listing.list().await?;
    let lock = crate::report::lock_path(args.target.eval.as_deref());
    if let Some(given) = &args.lock {
        let path = given.clone().unwrap_or(lock);
        super::lock::write_lock(out, &path, &tools, &servers)?;
        return Ok(exit::OK);
    }
    // Compared only with the servers' own texts (a descriptions file's would read as changes).
    if args.target.descriptions.is_none() {
        super::lock::compare_with_lock(out, &lock, &tools, &servers)?;
    }
    let mut presented = None;
    if let Some(name) = &args.host {
        let profile = crate::config::HostProfile::resolve(name, std::path::Path::new("."))?;
        if !profile.is_raw() {
            let p = crate::host::present(&profile, &tools, &servers, &|t| encoding.count(t));
            tools = (*p.tools).clone();
            presented = Some((profile, p));
        }
    }
    let total = tools.count_tokens(encoding);
    let host =
        presented.map(|(profile, p)| crate::session::host_info(&profile, &p, encoding, total));
    crate::mcp::count_instructions(&mut servers, encoding);
    match args.target.format {
        Format::Json => {
            let mut v = serde_json::to_value(&tools).unwrap_or_default();
            let instructions: Vec<serde_json::Value> = servers
                .iter()
                .filter_map(|s| {
                    let text = s.instructions.as_ref()?;
                    let mut i = serde_json::json!({"server": s.name, "text": text, "tokens": s.instructions_tokens});
                    if s.instructions_overridden {
                        i["overridden"] = true.into();
                    }
                    Some(i)
                })
                .collect();
            if let Some(o) = v.as_object_mut().filter(|_| !instructions.is_empty()) {
                o.insert("instructions".into(), instructions.into());
            }
            if let (Some(o), Some(h)) = (v.as_object_mut(), &host) {
                o.insert("host".into(), serde_json::to_value(h).unwrap_or_default());
            }
            out.print_json(&v)
        }
        Format::Table => {
            if let Some(h) = &host {
                for line in report::host_lines(h) {
                    out.print(&format!("{}\n", report::wrap(&line, out.width, "  ")));
                }
                // The names the host's model sees.
                for t in &mut tools.tools {
                    if t.api_name != t.name {
                        t.name = format!("{} (`{}`)", t.api_name, t.name);
                    }
                }
            }
            out.print(&report::render_tools_table(&tools, out.width));
            out.print(&report::render_instructions(&servers, out.width));
        }
    }
    Ok(exit::OK)
}
