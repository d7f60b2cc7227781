//! Lint: offline checks of tool definitions, and how alike two descriptions read.

mod checks;
mod finding;
mod rule;
mod similarity;
#[cfg(test)]
mod tests;

pub use finding::{Finding, lint, lint_for};
pub use rule::{Rule, Severity, UnknownRule};
pub use similarity::Similarity;
