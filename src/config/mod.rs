//! Eval and suite files: their types, how they are read and checked, and their JSON Schemas.

mod eval;
mod load;
mod schema;
mod suite;

pub use eval::{EvalFile, LintConfig, ModelConfig, ModelSpec, ServerSpec, ToolChoice, Transport};
pub use load::{
    DEFAULT_BASE_URL, Eval, LoadedSuite, ServerEntry, at_first, find_after, load_eval, load_suite,
    normalize, parse_yaml,
};
pub use schema::{eval_schema, suite_schema};
pub use suite::{Call, Expect, Matcher, Message, Order, Prompt, Role, Suite, Task};
