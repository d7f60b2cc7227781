//! `tooleval tools`: a server's tools as models see them, with what each costs in tokens.

use super::servers::servers_to_list;
use crate::cli::{Format, ToolsArgs};
use crate::error::{Result, exit};
use crate::output::Output;
use crate::report;

pub(crate) async fn tools_command(out: &Output, args: ToolsArgs) -> Result<i32> {
    let listing = servers_to_list(args.target.eval.as_deref(), &args.target.server)?;
    let encoding = listing.encoding(args.target.encoding);
    let (mut tools, _) = listing.list().await?;
    tools.count_tokens(encoding);
    match args.target.format {
        Format::Json => out.print_json(&tools),
        Format::Table => out.print(&report::render_tools_table(&tools, out.width)),
    }
    Ok(exit::OK)
}
