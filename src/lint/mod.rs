//! Lint: offline checks of tool definitions, and how alike two descriptions read.

mod checks;
mod finding;
mod rule;
mod run;
mod similarity;
#[cfg(test)]
mod tests;

pub(crate) use checks::{hidden_in, instructions_in};
pub(crate) use finding::Finding;
pub(crate) use rule::{Rule, Severity};
pub(crate) use run::{lint, lint_for};
pub(crate) use similarity::Similarity;
