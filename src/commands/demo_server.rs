//! `tooleval demo-server`: the demo tool set (or a tool list from a file) served over stdio or
//! streamable HTTP.

use crate::cli::DemoServerArgs;
use crate::error::{Result, exit};
use crate::mcp::{self, demo};

pub(crate) async fn demo_server_command(args: DemoServerArgs) -> Result<i32> {
    let tools = match &args.tools {
        Some(path) => mcp::read_tools_file(path)?,
        None => demo::demo_part(args.part.into()),
    };
    let mut server = demo::DemoServer::new(tools, args.page_size);
    #[cfg(feature = "testing")]
    if let (Some(after), Some(fault)) = (args.fail_after, args.fail) {
        server = server.with_fault(after, fault.into());
    }
    #[cfg(feature = "testing")]
    if let Some(path) = args.call_log {
        server = server.with_call_log(path);
    }
    if let Some(ms) = args.call_delay_ms {
        server = server.with_delay(std::time::Duration::from_millis(ms));
    }
    match args.http {
        Some(addr) => demo::serve_http(server, &addr).await?,
        None => demo::serve_stdio(server).await?,
    }
    Ok(exit::OK)
}
