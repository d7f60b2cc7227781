//! Eval and suite files: their types, how they are read and checked, and their JSON Schemas.

mod agent;
mod descriptions;
mod eval;
mod load;
mod located;
mod matcher;
mod overrides;
mod quick_yaml;
mod schema;
mod suite;

pub use agent::{
    Answer, AnswerCheck, DEFAULT_MAX_REPEATS, DEFAULT_MAX_RESULT_BYTES, DEFAULT_MAX_TURNS, Mock,
    MockAnswer, MockSpec, Mocks, Mode, Sequence, Trajectory,
};
pub use descriptions::{Descriptions, DescriptionsFile, ToolText};
pub use eval::{
    EvalFile, Isolate, LintConfig, ModelConfig, ModelSpec, Provider, ServerSpec, ToolChoice,
    Transport, is_baseline,
};
#[cfg(test)]
pub(crate) use load::yaml_options;
pub use load::{
    DEFAULT_BASE_URL, Eval, LoadedSuite, PLACEHOLDER, ServerEntry, load_eval, load_eval_servers,
    load_suite, normalize, parse_yaml, suite_from_str,
};
pub use located::{Place, Places, Seg};
pub use matcher::{Call, Matcher};
pub use overrides::Overrides;
pub use schema::{descriptions_schema, eval_schema, suite_schema};
pub use suite::{Expect, Message, Order, Prompt, Role, Split, Suite, Task};
