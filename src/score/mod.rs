//! Scoring: pure functions from replies and expectations to outcomes, rates and summaries.

mod agent;
mod matcher;
mod outcome;
mod paired;
mod stats;
mod summary;

pub use agent::{Conversation, check_answer};
pub use matcher::{check_args, short, values_equal};
pub use outcome::{ActualCall, Judge, Verdict};
pub use paired::{
    PairedTest, binomial_two_sided, clustered_mean_se, normal_quantile, t_cdf, t_quantile,
};
pub use stats::{Rate, wilson};
pub use summary::{
    AgentTotals, Confusion, NO_TOOL, Summary, TaskState, TaskSummary, TokenTotals, ToolStats,
    TrialsByTask, summarize,
};
