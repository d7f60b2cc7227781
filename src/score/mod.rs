//! Scoring: pure functions from replies and expectations to outcomes, rates and summaries.

mod agent;
mod asked;
mod cost;
mod matcher;
mod outcome;
mod paired;
mod search;
mod stats;
mod summary;

pub(crate) use agent::{Checks, Conversation};
pub(crate) use asked::{Sources, asked_before_acting, free_required};
pub(crate) use cost::{CostTotals, HelperCost, price_helpers, trial_cost};
pub(crate) use matcher::check_args;
pub(crate) use outcome::{ActualCall, Judge, Verdict};
pub(crate) use paired::PairedTest;
pub(crate) use search::{SearchTotals, ToolSearch};
pub(crate) use stats::Rate;
pub(crate) use summary::{
    AgentTotals, ConversationTotals, Summary, TaskState, TaskSummary, ToolStats, TrialsByTask,
    summarize,
};
