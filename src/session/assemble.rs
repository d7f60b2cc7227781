//! The report of one execution: who ran what against which tools, every trial, and the summary.

use std::time::SystemTime;

use crate::config::Eval;
use crate::mcp::ToolSet;
use crate::record::{ModelInfo, ServerInfo, TrialRecord};
use crate::report::{EvalInfo, Report, SCHEMA_VERSION, SuiteInfo, ToolIdentity};

/// Builds the report, with its summary, and the tokens of each server's tools.
pub(crate) fn build_report(
    eval: &Eval,
    model: &ModelInfo,
    mut servers: Vec<ServerInfo>,
    tools: &ToolSet,
    trials: Vec<TrialRecord>,
    complete: bool,
    started: SystemTime,
) -> Report {
    if let Some(e) = tools
        .encoding
        .as_deref()
        .and_then(crate::tokens::Encoding::named)
    {
        crate::mcp::count_instructions(&mut servers, e);
    }
    let servers = servers
        .into_iter()
        .map(|mut s| {
            let tokens = tools
                .tools
                .iter()
                .filter(|t| t.server == s.name)
                .filter_map(|t| t.tokens)
                .sum();
            s.tool_tokens = Some(tokens);
            s
        })
        .collect();
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tooleval: ToolIdentity::current(),
        started_at: humantime::format_rfc3339_seconds(started).to_string(),
        finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        complete,
        eval: eval_info(eval),
        model: model.clone(),
        servers,
        tools: tools.clone(),
        suites: eval
            .suites
            .iter()
            .map(|s| SuiteInfo {
                path: s.path.display().to_string(),
                name: s.name(),
                description: s.suite.description.clone(),
                tasks: s.suite.tasks.clone(),
            })
            .collect(),
        trials,
        summary: Default::default(),
        price: eval.price_of(&model.name),
        helper_prices: eval
            .helper_models()
            .iter()
            .filter_map(|m| eval.price_of_config(m).map(|p| (m.name.clone(), p)))
            .collect(),
        shard: None,
        max_tool_tokens: eval.file.max_tool_tokens,
        variant: None,
        descriptions_file: None,
        lint: eval.file.lint.clone(),
        split: None,
        splits: Default::default(),
        sources: Default::default(),
        host: None,
    };
    crate::report::summarize(&mut report);
    report
}

/// The eval's settings as a report records them.
pub(crate) fn eval_info(eval: &Eval) -> EvalInfo {
    EvalInfo {
        path: eval.path.display().to_string(),
        trials: eval.trials,
        concurrency: eval.concurrency,
        min_accuracy: eval.min_accuracy,
    }
}
