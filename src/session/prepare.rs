//! Everything a measuring command (`run`, a model matrix, `sweep`, `improve`) does before its
//! first trial, in the order that fails fastest and costs least: the files it will write
//! checked writable (a bad `--out` should not cost a run), the gate's settings checked, the
//! tasks planned, the command's models built (a missing key fails before any server starts),
//! the servers listed, the suites checked against their tools, and what agent trials call
//! tools with.

use std::path::Path;
use std::sync::Arc;

use super::{Listed, Session};
use crate::config::Split;
use crate::error::Result;
use crate::files::check_writable;
use crate::gate::{self, GateSettings};
use crate::model::{CacheSettings, Model};
use crate::run::{ExecOptions, PlannedTask};

/// What a command asks of the preparation.
pub(crate) struct Prepare<'a> {
    /// The files the command will write.
    pub writes: Vec<&'a Path>,
    /// The gate's settings, for a command that gates.
    pub gate: Option<&'a GateSettings>,
    /// Plan the tasks of this split only.
    pub split: Option<Split>,
    pub cache: &'a CacheSettings,
    /// Draw a progress bar.
    pub progress: bool,
    /// Check the suites against the servers' tools (`sweep` checks them against its whole
    /// candidate set instead).
    pub check_listing: bool,
}

/// The plan of a command, but for its models: the tasks, the servers' tools (and the servers,
/// kept open for agent tasks), and the eval's execution options with what agent trials need.
pub(crate) struct Prepared {
    pub tasks: Vec<PlannedTask>,
    pub listed: Listed,
    pub opts: ExecOptions,
}

impl Session {
    /// Each host's presentation of the listing, before any request: what it leaves out or cuts
    /// is shown as a warning; a host that would refuse every request stops the command.
    pub(crate) fn check_hosts(&self, listed: &Listed) -> Result<()> {
        let encoding = self.eval.file.encoding.unwrap_or_default();
        let mut refused = Vec::new();
        for profile in self.eval.hosts.iter().filter(|h| !h.is_raw()) {
            let p = crate::host::present(profile, &listed.tools, &listed.servers, &|t| {
                encoding.count(t)
            });
            for f in p
                .findings
                .iter()
                .filter(|f| f.effect != crate::host::Effect::Refused)
            {
                crate::sayln!("warning: {}", f.message);
            }
            refused.extend(p.refusals().map(|f| f.message.clone()));
        }
        if refused.is_empty() {
            return Ok(());
        }
        Err(crate::error::Error::usage(
            format!("no request can go: {}", refused.join("; ")),
            Some("rename the tool on its server (letters, digits, `_` and `-`), or measure another host; `tooleval tools --host NAME` shows every name as the host forms it".to_owned()),
        ))
    }

    /// The checks that need no work: every file to write can be written, and the gate's
    /// settings hold against the eval (its baseline and tool floor).
    pub(crate) fn check_first(&self, writes: &[&Path], gate: Option<&GateSettings>) -> Result<()> {
        for path in writes {
            check_writable(path)?;
        }
        if let Some(g) = gate {
            let has_baseline = g.baseline.is_some() || self.eval.baseline.is_some();
            gate::check_args(g, has_baseline, g.tool_floor.or(self.eval.tool_floor))?;
        }
        Ok(())
    }

    /// Prepares the command's measurements; `build` makes its models and the judge, after the
    /// plan and before any server starts.
    pub(crate) async fn prepare<M>(
        &self,
        p: Prepare<'_>,
        build: impl FnOnce() -> Result<(M, Option<Arc<dyn Model>>)>,
    ) -> Result<(M, Prepared)> {
        self.check_first(&p.writes, p.gate)?;
        let tasks = self.plan(p.split)?;
        let (models, judge) = build()?;
        let users = self.user_models(&tasks, p.cache)?;
        let agent = tasks.iter().any(|t| t.agent.is_some());
        let listed = self.list_tools(agent, p.cache).await?;
        if p.check_listing {
            self.check(&listed.tools)?;
        }
        self.check_hosts(&listed)?;
        let opts = ExecOptions {
            agent: Some(self.agent_run(&listed, p.cache, judge, users)),
            ..self.exec_options(p.progress)
        };
        Ok((
            models,
            Prepared {
                tasks,
                listed,
                opts,
            },
        ))
    }
}
