//! Eval and suite files: their types, how they are read and checked, and their JSON Schemas.

mod agent;
mod conversation;
mod descriptions;
mod document;
mod eval;
mod expect;
mod host;
mod load;
mod located;
mod matcher;
mod models;
mod overrides;
mod prices;
mod schema;
mod suite;
mod yaml;

pub use agent::Answer;
pub use agent::AnswerCheck;
pub use agent::Mock;
pub use agent::MockAnswer;
pub use agent::MockSpec;
pub use agent::Mode;
pub use agent::Sequence;
pub use agent::Trajectory;
pub(crate) use agent::{DEFAULT_MAX_REPEATS, DEFAULT_MAX_RESULT_BYTES, DEFAULT_MAX_TURNS, Mocks};
pub use conversation::{Turn, User};
pub(crate) use descriptions::{Descriptions, DescriptionsFile, ToolText};
pub use eval::Provider;
pub(crate) use eval::{
    EvalFile, Isolate, LintConfig, ModelConfig, ModelSpec, SchemaForm, ServerSpec, ToolChoice,
    is_baseline,
};
pub use expect::Expect;
pub use expect::Order;
pub(crate) use host::{
    CapAction, DeferralMode, HostProfile, InstructionsPlace, NamePart, NameRule, NativeSearch,
    Ranking, Returns, SearchTool, Violation, Visible, Weights,
};
pub(crate) use load::{
    Eval, PLACEHOLDER, ServerEntry, eval_from_text, load_eval, load_eval_servers, load_suite,
    normalize,
};
pub use load::{LoadedSuite, suite_from_str};
pub use located::{Places, Seg};
pub use matcher::Call;
pub use matcher::Matcher;
pub(crate) use overrides::{Overrides, model_named};
pub use prices::PriceSpec;
pub(crate) use prices::{load_prices, price_of};
pub(crate) use schema::{descriptions_schema, eval_schema, host_schema, suite_schema};
pub use suite::Message;
pub use suite::Prompt;
pub use suite::Role;
pub use suite::Source;
pub use suite::Split;
pub use suite::Suite;
pub use suite::Task;
pub use yaml::parse_yaml;
#[cfg(test)]
pub(crate) use yaml::yaml_options;
pub(crate) use yaml::{yaml_flow, yaml_json, yaml_plain};
