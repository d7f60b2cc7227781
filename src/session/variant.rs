//! One measurement of a plan under one set of descriptions: the servers' own texts, or a
//! descriptions file laid over them. `run` measures each of its variants this way, and
//! `improve` its rounds' proposals, all on one tool listing.

use std::sync::Arc;

use super::{Listed, Session};
use crate::config::{Descriptions, Split};
use crate::model::{Model, ModelError};
use crate::report::{Report, ShardInfo};
use crate::run::{ExecOptions, PlannedTask};

/// What every measurement of a command runs: the tasks, how, against which model, with the
/// servers' tools.
pub(crate) struct Plan {
    pub tasks: Vec<PlannedTask>,
    pub opts: ExecOptions,
    pub model: Arc<dyn Model>,
    pub listed: Listed,
}

/// The texts one measurement runs under.
pub(crate) struct Texts<'a> {
    /// `None` for a plain run; the variant's name when descriptions are laid over.
    pub name: Option<String>,
    /// Checked against the listing before (`mcp::apply_descriptions`).
    pub descriptions: Option<&'a Descriptions>,
}

/// How one measurement ended: whether it was interrupted, or stopped by a fatal model error.
pub(crate) struct Ended {
    pub interrupted: bool,
    pub fatal: Option<ModelError>,
}

impl Session {
    /// Runs the plan under `texts` and builds its report. With `split`, the report holds the
    /// suite as it ran: the tasks of that split.
    pub(crate) async fn measure(
        &self,
        plan: &Plan,
        texts: Texts<'_>,
        split: Option<Split>,
        shard: Option<ShardInfo>,
    ) -> (Report, Ended) {
        self.measure_with(plan, &plan.model, &plan.opts, texts, split, shard)
            .await
    }

    /// [`Self::measure`] with another model and its options (the models of a matrix, measured
    /// side by side on one plan).
    pub(crate) async fn measure_with(
        &self,
        plan: &Plan,
        model: &Arc<dyn Model>,
        opts: &ExecOptions,
        texts: Texts<'_>,
        split: Option<Split>,
        shard: Option<ShardInfo>,
    ) -> (Report, Ended) {
        let mut tools = plan.listed.tools.clone();
        let mut servers = plan.listed.servers.clone();
        if let Some(d) = texts.descriptions {
            // Checked before the first measurement ran.
            let _ = crate::mcp::apply_descriptions(&mut tools, &mut servers, d);
        }
        let encoding = self.eval.file.encoding.unwrap_or_default();
        let hosted;
        let (opts, host) = match &opts.profile {
            Some(profile) => {
                let presented =
                    crate::host::present(profile, &tools, &servers, &|t| encoding.count(t));
                tools = (*presented.tools).clone();
                hosted = ExecOptions {
                    host: Some(Arc::new(presented)),
                    ..opts.clone()
                };
                (&hosted, Some(profile))
            }
            None => (opts, None),
        };
        // Token counts are for the report: counted beside the run, off its critical path.
        let counting = {
            let mut counted = tools.clone();
            tokio::task::spawn_blocking(move || {
                counted.count_tokens(encoding);
                counted
            })
        };
        let executed = self
            .execute(model.clone(), Arc::new(tools.clone()), &plan.tasks, opts)
            .await;
        let mut tools = counting.await.unwrap_or(tools);
        tools.converted = model.converted(&tools);
        let host = host.zip(opts.host.as_deref()).map(|(profile, presented)| {
            host_info(profile, presented, encoding, tools.total_tokens())
        });
        let ended = Ended {
            interrupted: executed.interrupted,
            fatal: executed.fatal,
        };
        let mut report = super::build_report(
            &self.eval,
            &model.info(),
            servers,
            &tools,
            executed.trials,
            !ended.interrupted && ended.fatal.is_none(),
            self.started,
        );
        if let Some(live) = &plan.listed.live {
            for (name, n) in live.restarts() {
                if let Some(s) = report.servers.iter_mut().find(|s| s.name == name) {
                    s.restarts = n;
                }
            }
        }
        report.shard = shard;
        report.host = host;
        report.variant = texts.name;
        report.descriptions_file = texts.descriptions.map(|d| d.path.display().to_string());
        if let Some(split) = split {
            report.split = Some(split);
            for s in &mut report.suites {
                s.tasks.retain(|t| t.split == Some(split));
            }
            crate::report::summarize(&mut report);
        }
        (report, ended)
    }
}

/// What a report records of the host: its name, its search, what its additions cost, what it
/// did to tools.
/// `tool_tokens`: the presented set's definitions, counted already.
pub(crate) fn host_info(
    profile: &crate::config::HostProfile,
    presented: &crate::host::Presented,
    encoding: crate::tokens::Encoding,
    tool_tokens: usize,
) -> crate::report::HostInfo {
    let first_request_tool_tokens = match &presented.search {
        Some(s) => encoding.count(&s.tool.definition()),
        None => tool_tokens,
    };
    crate::report::HostInfo {
        name: profile.name.clone(),
        title: profile.title.clone(),
        search_tool: presented.search.as_ref().map(|s| s.spec.name.clone()),
        system_tokens: presented.system.as_deref().map(|s| encoding.count(s)),
        first_request_tool_tokens: Some(first_request_tool_tokens),
        findings: presented.findings.clone(),
    }
}
