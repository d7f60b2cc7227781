//! The lint rules by name: each rule's id, severity and summary, and parsing an id back.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One lint rule. Its id (`description-missing`) is what `lint.disable` takes and what reports
/// show; serde writes and reads the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Rule {
    DescriptionMissing,
    DescriptionShort,
    ParamUndescribed,
    RequiredParamUndescribed,
    EnumInProse,
    SharedPrefix,
    SimilarNames,
    SimilarDescriptions,
    SchemaUnsupported,
    SchemaConverted,
    NameMapped,
    StrictMode,
    ToolTokens,
    TokenBudget,
    InstructionsMissing,
    InstructionsUnknownTool,
    InstructionsLong,
    HiddenCharacters,
    ModelInstructions,
    ToolShadowing,
    Exfiltration,
    AnnotationMismatch,
}

impl Rule {
    /// Every rule, in the order `tooleval lint --help` and docs/descriptions.md list them.
    pub(crate) const ALL: [Rule; 22] = [
        Rule::DescriptionMissing,
        Rule::DescriptionShort,
        Rule::ParamUndescribed,
        Rule::RequiredParamUndescribed,
        Rule::EnumInProse,
        Rule::SharedPrefix,
        Rule::SimilarNames,
        Rule::SimilarDescriptions,
        Rule::SchemaUnsupported,
        Rule::SchemaConverted,
        Rule::NameMapped,
        Rule::StrictMode,
        Rule::ToolTokens,
        Rule::TokenBudget,
        Rule::InstructionsMissing,
        Rule::InstructionsUnknownTool,
        Rule::InstructionsLong,
        Rule::HiddenCharacters,
        Rule::ModelInstructions,
        Rule::ToolShadowing,
        Rule::Exfiltration,
        Rule::AnnotationMismatch,
    ];

    pub(crate) fn id(self) -> &'static str {
        match self {
            Rule::DescriptionMissing => "description-missing",
            Rule::DescriptionShort => "description-short",
            Rule::ParamUndescribed => "param-undescribed",
            Rule::RequiredParamUndescribed => "required-param-undescribed",
            Rule::EnumInProse => "enum-in-prose",
            Rule::SharedPrefix => "shared-prefix",
            Rule::SimilarNames => "similar-names",
            Rule::SimilarDescriptions => "similar-descriptions",
            Rule::SchemaUnsupported => "schema-unsupported",
            Rule::SchemaConverted => "schema-converted",
            Rule::NameMapped => "name-mapped",
            Rule::StrictMode => "strict-mode",
            Rule::ToolTokens => "tool-tokens",
            Rule::TokenBudget => "token-budget",
            Rule::InstructionsMissing => "instructions-missing",
            Rule::InstructionsUnknownTool => "instructions-unknown-tool",
            Rule::InstructionsLong => "instructions-long",
            Rule::HiddenCharacters => "hidden-characters",
            Rule::ModelInstructions => "model-instructions",
            Rule::ToolShadowing => "tool-shadowing",
            Rule::Exfiltration => "exfiltration",
            Rule::AnnotationMismatch => "annotation-mismatch",
        }
    }

    pub(crate) fn severity(self) -> Severity {
        match self {
            Rule::DescriptionMissing
            | Rule::RequiredParamUndescribed
            | Rule::SchemaUnsupported
            | Rule::TokenBudget
            | Rule::HiddenCharacters
            | Rule::ModelInstructions
            | Rule::ToolShadowing
            | Rule::Exfiltration => Severity::Error,
            Rule::DescriptionShort
            | Rule::ParamUndescribed
            | Rule::EnumInProse
            | Rule::SharedPrefix
            | Rule::SimilarNames
            | Rule::SimilarDescriptions
            | Rule::SchemaConverted
            | Rule::ToolTokens
            | Rule::InstructionsUnknownTool
            | Rule::InstructionsLong
            | Rule::AnnotationMismatch => Severity::Warning,
            Rule::NameMapped | Rule::StrictMode | Rule::InstructionsMissing => Severity::Info,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An id that names no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no lint rule is called `{0}`")]
pub(crate) struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(id: &str) -> Result<Rule, UnknownRule> {
        Rule::ALL
            .into_iter()
            .find(|r| r.id() == id)
            .ok_or_else(|| UnknownRule(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_round_trips_through_its_id_and_all_lists_each_once() {
        // serde's derived error lists every variant by construction, whatever `ALL` says.
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StrDeserializer};
        let de: StrDeserializer<Error> = "?".into_deserializer();
        let unknown = Rule::deserialize(de).unwrap_err().to_string();
        let variants: Vec<&str> = unknown
            .split("expected one of ")
            .nth(1)
            .expect(&unknown)
            .split(", ")
            .map(|v| v.trim_matches('`'))
            .collect();
        let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        assert_eq!(ids, variants);
        for rule in Rule::ALL {
            assert_eq!(rule.id().parse::<Rule>(), Ok(rule));
            assert_eq!(rule.to_string(), rule.id());
            let json = serde_json::to_value(rule).unwrap();
            assert_eq!(json, rule.id());
            assert_eq!(serde_json::from_value::<Rule>(json).unwrap(), rule);
        }
        assert_eq!(
            "descripton-short".parse::<Rule>(),
            Err(UnknownRule("descripton-short".into()))
        );
    }

    #[test]
    fn the_docs_list_every_rule_with_its_severity() {
        let docs = include_str!("../../docs/descriptions.md");
        let rows: Vec<&str> = docs
            .lines()
            .skip_while(|l| !l.starts_with("| Rule | Severity |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        for rule in Rule::ALL {
            let row = format!("| `{}` | {} |", rule.id(), rule.severity().as_str());
            assert!(
                rows.iter().any(|r| r.starts_with(&row)),
                "the rules table of docs/descriptions.md has no row `{row}`"
            );
        }
        assert_eq!(rows.len(), Rule::ALL.len(), "{rows:#?}");
    }
}
