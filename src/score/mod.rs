//! Scoring: pure functions from replies and expectations to outcomes, rates and summaries.

mod matcher;
mod outcome;
mod stats;
mod summary;

pub use matcher::{check_args, short, values_equal};
pub use outcome::{ActualCall, Judge, Outcome, Verdict};
pub use stats::{Rate, wilson};
pub use summary::{Confusion, NO_TOOL, Summary, TaskSummary, TokenTotals, ToolStats, summarize};
