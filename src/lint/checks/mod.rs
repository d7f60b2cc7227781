//! The checks behind the rules, one function per rule, grouped by what they read.

mod descriptions;
mod hidden;

pub(crate) use hidden::hidden_in;
pub(crate) use security::instructions_in;
mod instructions;
mod names;
mod schema;
mod security;
mod tokens;

use super::finding::Finding;
use super::rule::Rule;
use crate::config::LintConfig;
use crate::mcp::{Converted, ToolSet};

/// What every check reads: the tool set and the eval file's settings.
pub(crate) struct Context<'a> {
    pub set: &'a ToolSet,
    pub cfg: &'a LintConfig,
    /// The budget for the whole set, when one is set.
    pub max_tool_tokens: Option<usize>,
    /// The schemas as each native provider named is sent them (with the set's own record).
    pub converted: Vec<Converted>,
    /// The native providers named (`--provider`, the eval's models, the set's own record).
    pub providers: Vec<crate::config::Provider>,
    /// Each server listed, with its `instructions` (empty when the servers are not at hand).
    pub servers: &'a [crate::record::ServerInfo],
}

/// The findings of one rule.
pub(crate) fn run(rule: Rule, ctx: &Context) -> Vec<Finding> {
    match rule {
        Rule::InstructionsMissing => instructions::instructions_missing(ctx),
        Rule::InstructionsUnknownTool => instructions::instructions_unknown_tool(ctx),
        Rule::InstructionsLong => instructions::instructions_long(ctx),
        Rule::HiddenCharacters => hidden::hidden_characters(ctx),
        Rule::ModelInstructions => security::model_instructions(ctx),
        Rule::ToolShadowing => security::tool_shadowing(ctx),
        Rule::Exfiltration => security::exfiltration(ctx),
        Rule::AnnotationMismatch => security::annotation_mismatch(ctx),
        Rule::DescriptionMissing => descriptions::description_missing(ctx),
        Rule::DescriptionShort => descriptions::description_short(ctx),
        Rule::ParamUndescribed => descriptions::param_undescribed(ctx),
        Rule::RequiredParamUndescribed => descriptions::required_param_undescribed(ctx),
        Rule::EnumInProse => descriptions::enum_in_prose(ctx),
        Rule::SharedPrefix => names::shared_prefix(ctx),
        Rule::SimilarNames => names::similar_names(ctx),
        Rule::SimilarDescriptions => names::similar_descriptions(ctx),
        Rule::SchemaUnsupported => schema::schema_unsupported(ctx),
        Rule::SchemaConverted => schema::schema_converted(ctx),
        Rule::NameMapped => names::name_mapped(ctx),
        Rule::StrictMode => schema::strict_mode(ctx),
        Rule::ToolTokens => tokens::tool_tokens(ctx),
        Rule::TokenBudget => tokens::token_budget(ctx),
    }
}
