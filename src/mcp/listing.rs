//! Listing tools: every server of an eval connected at once, listed, and closed.

use super::{Connection, LiveServers, ToolSet, connect, describe_target};
use crate::config::{ServerEntry, ServerSpec};
use crate::error::Result;
use crate::record::ServerInfo;

/// Connects to every server at once; all failures are reported, not just the first.
pub(crate) async fn connect_all(
    servers: &[ServerEntry],
    written: &[(String, ServerSpec)],
) -> Result<Vec<Connection>> {
    let futures = servers.iter().map(|s| {
        let target = written
            .iter()
            .find(|(n, _)| n == &s.name)
            .map(|(_, w)| describe_target(w))
            .unwrap_or_default();
        connect(s, target)
    });
    let results = futures::future::join_all(futures).await;
    let mut conns = Vec::new();
    let mut first_err = None;
    for r in results {
        match r {
            Ok(c) => conns.push(c),
            Err(e) if first_err.is_none() => first_err = Some(e),
            Err(e) => crate::say!("{}", e.render()),
        }
    }
    if let Some(e) = first_err {
        for c in conns {
            c.close().await;
        }
        return Err(e);
    }
    Ok(conns)
}

/// Lists tools and keeps the connections open for calls (agent runs).
pub(crate) async fn list_tools_keeping(
    servers: &[ServerEntry],
    written: &[(String, ServerSpec)],
) -> Result<(ToolSet, Vec<ServerInfo>, LiveServers)> {
    let conns = connect_all(servers, written).await?;
    let mut per_server = Vec::new();
    let mut infos = Vec::new();
    let mut kept = Vec::new();
    for c in conns {
        per_server.push((c.info.name.clone(), c.tools.clone()));
        infos.push(c.info.clone());
        // Every connection is of one of `servers`, made in their order.
        if let Some(entry) = servers.iter().find(|s| s.name == c.info.name).cloned() {
            let target = c.info.target.clone();
            kept.push((c, entry, target));
        }
    }
    Ok((ToolSet::new(per_server), infos, LiveServers::new(kept)))
}

/// Lists tools and closes the connections.
pub(crate) async fn list_tools(
    servers: &[ServerEntry],
    written: &[(String, ServerSpec)],
) -> Result<(ToolSet, Vec<ServerInfo>)> {
    let conns = connect_all(servers, written).await?;
    let mut per_server = Vec::new();
    let mut infos = Vec::new();
    for c in conns {
        per_server.push((c.info.name.clone(), c.tools.clone()));
        infos.push(c.info.clone());
        c.close().await;
    }
    Ok((ToolSet::new(per_server), infos))
}
