//! The lock file from the commands' side: written by `tools --lock` and `run --update-lock`,
//! and compared with the servers' listing by `tools`, `lint` and `run` before anything else.

use std::path::Path;

use crate::error::{Result, exit};
use crate::mcp::ToolSet;
use crate::output::Output;
use crate::record::ServerInfo;
use crate::report::{self, Lock, LockChanges};

/// Writes the servers' definitions to `path`.
pub(crate) fn write_lock(
    out: &Output,
    path: &Path,
    tools: &ToolSet,
    servers: &[ServerInfo],
) -> Result<()> {
    let lock = Lock::of(tools, servers);
    out.write_file(path, &lock.text())?;
    out.say(&format!(
        "locked {} tool(s) of {} server(s) in {}\n",
        lock.tool_count(),
        servers.len(),
        path.display()
    ));
    Ok(())
}

/// Compares the listing with the lock at `path` and says what changed; `None` when there is no
/// lock.
pub(crate) fn compare_with_lock(
    out: &Output,
    path: &Path,
    tools: &ToolSet,
    servers: &[ServerInfo],
) -> Result<Option<LockChanges>> {
    let Some(lock) = Lock::read(path)? else {
        return Ok(None);
    };
    let changes = lock.compare(tools, servers);
    if changes.is_empty() {
        out.say(&format!(
            "tools: as locked in {} ({} tool(s))\n",
            path.display(),
            lock.tool_count()
        ));
    } else {
        out.say(&format!(
            "warning: the servers' definitions changed since {}: {}{}\n{}\n",
            path.display(),
            changes.count_text(),
            report::render_lock_changes(&changes, out.width).trim_end(),
            report::wrap(
                "review the changes; accept them with `--update-lock` (run) or `tooleval tools --lock`; `--fail-on tools-changed` fails a run on them before any request",
                out.width,
                "  "
            )
        ));
    }
    Ok(Some(changes))
}

/// `run`'s check before any request (a single run's or a matrix's): the lock compared (and
/// rewritten with `update`); the exit code of a failed gate when `fail` and anything changed,
/// the servers kept open for agent calls closed first.
pub(crate) async fn check_before_run(
    out: &Output,
    eval: &Path,
    listed: &crate::session::Listed,
    update: bool,
    fail: bool,
) -> Result<Option<i32>> {
    let path = report::lock_path(Some(eval));
    let (tools, servers) = (&listed.tools, &listed.servers);
    if update {
        write_lock(out, &path, tools, servers)?;
        return Ok(None);
    }
    let changes = compare_with_lock(out, &path, tools, servers)?;
    match changes {
        None if fail => Err(crate::error::Error::usage(
            format!(
                "--fail-on tools-changed, and there is no lock file at {}",
                path.display()
            ),
            Some(format!(
                "write one: `tooleval tools --eval {} --lock`, review it and commit it",
                eval.display()
            )),
        )),
        Some(c) if fail && !c.is_empty() => {
            out.say("gate failed: tools-changed (no request was sent)\n");
            if let Some(live) = &listed.live {
                live.close().await;
            }
            Ok(Some(exit::GATE_FAILED))
        }
        _ => Ok(None),
    }
}
