//! `tooleval bench-server`: the mock model of `bench`, in a process of its own.

use serde_json::json;

use crate::cli::BenchServerArgs;
use crate::error::{Error, Result, exit};
use crate::model::scripted::{Script, Scripted, ScriptedServer};
use crate::output::Output;

/// `tooleval bench-server`: the mock model, answering every request after `latency_ms` with one
/// tool call; prints its URL, then counts requests until stdin closes, and prints the count.
pub async fn bench_server_command(out: &Output, args: BenchServerArgs) -> Result<i32> {
    let call = |id: &str| Scripted::Calls(vec![("tool_0".into(), json!({ "id": id }).to_string())]);
    let mut script = if args.agent {
        Script::default()
            .at_turn("", 1, call("x"))
            .at_turn("", 2, call("y"))
            .rule("", Scripted::Text("Records x and y fetched.".into()))
    } else {
        Script::default().rule("", call("x"))
    };
    script.delay_ms = args.latency_ms;
    script.forget_requests = true;
    let server = ScriptedServer::start(script)
        .await
        .map_err(|e| Error::io("start the mock model on", "127.0.0.1", e))?;
    // Stdout is line-buffered: the parent reads the URL at once.
    out.print(&format!("{}\n", server.url));
    // Serve until the parent closes stdin, then report how many requests came.
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        let _ = std::io::stdin().read_line(&mut sink);
    })
    .await;
    out.print(&format!("requests {}\n", server.requests()));
    Ok(exit::OK)
}
