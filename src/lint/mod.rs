//! Lint: offline checks of tool definitions, and how alike two descriptions read.

mod checks;
mod finding;
mod rule;
mod run;
mod similarity;
#[cfg(test)]
mod tests;

pub use finding::Finding;
pub use rule::{Rule, Severity, UnknownRule};
pub use run::{lint, lint_for};
pub use similarity::Similarity;
