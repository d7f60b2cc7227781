//! Lint: offline checks of tool definitions, and how alike two descriptions read.

mod rules;
mod similarity;

pub use rules::{Finding, RULES, Severity, lint};
pub use similarity::Similarity;
