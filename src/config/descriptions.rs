//! The descriptions file: new texts for tools and their parameters, laid over what servers send,
//! so a description can be tried without touching the server.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::load::parse_yaml;
use super::located::Places;
use super::located::Seg::Key;
use crate::error::{Diagnostic, Error, Result, did_you_mean};
use crate::mcp::ToolSet;

/// Replacement texts, by tool name.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescriptionsFile {
    /// Tools by the name suites use (`server/name` when two servers share a name).
    pub tools: IndexMap<String, ToolText>,
}

/// The texts of one tool to replace.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolText {
    /// The tool's new description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New descriptions of parameters, by parameter name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, String>,
}

/// A descriptions file as read.
#[derive(Debug, Clone)]
pub struct Descriptions {
    pub path: PathBuf,
    source: String,
    /// Where each key is written, for pointing at unknown names.
    places: Places,
    pub file: DescriptionsFile,
}

impl Descriptions {
    pub fn load(path: &Path) -> Result<Descriptions> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            Error::Input(vec![Diagnostic::new(
                path,
                format!("cannot read the descriptions file: {e}"),
            )])
        })?;
        let file = parse_yaml(path, &source)?;
        Ok(Descriptions {
            path: path.to_path_buf(),
            places: Places::parse(&source),
            source,
            file,
        })
    }

    /// The variant's name: the file's stem.
    pub fn name(&self) -> String {
        self.path
            .file_stem()
            .map_or_else(|| "variant".into(), |s| s.to_string_lossy().into_owned())
    }

    /// Lays the texts over `set`, recording what was replaced. Unknown tools and parameters are
    /// diagnostics with a suggestion.
    pub fn apply(&self, set: &mut ToolSet) -> Result<()> {
        let mut diags = Vec::new();
        let names: Vec<String> = set.tools.iter().map(|t| t.name.clone()).collect();
        for (name, text) in &self.file.tools {
            let Some(tool) = set.tools.iter_mut().find(|t| &t.name == name) else {
                let hint = match did_you_mean(name, names.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`tooleval tools --eval <EVAL_FILE>` lists the tools".to_owned(),
                };
                let d = Diagnostic::new(&self.path, format!("no server offers a tool `{name}`"));
                diags.push(
                    self.places
                        .at_key(d, &self.source, &[Key("tools"), Key(name)])
                        .with_hint(hint),
                );
                continue;
            };
            if let Some(d) = &text.description {
                tool.description = d.clone();
                tool.overridden.push("description".into());
            }
            for (param, ptext) in &text.parameters {
                let props = tool
                    .input_schema
                    .get_mut("properties")
                    .and_then(Value::as_object_mut);
                match props.and_then(|p| p.get_mut(param)) {
                    Some(Value::Object(p)) => {
                        p.insert("description".into(), ptext.clone().into());
                        tool.overridden.push(format!("parameter {param}"));
                    }
                    _ => {
                        let known: Vec<String> = tool
                            .input_schema
                            .get("properties")
                            .and_then(Value::as_object)
                            .map(|p| p.keys().cloned().collect())
                            .unwrap_or_default();
                        let hint = match did_you_mean(param, known.iter().map(String::as_str)) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None if known.is_empty() => format!("`{name}` takes no parameters"),
                            None => format!("`{name}` takes `{}`", known.join("`, `")),
                        };
                        let d = Diagnostic::new(
                            &self.path,
                            format!("tool `{name}` has no parameter `{param}`"),
                        );
                        let at = [Key("tools"), Key(name), Key("parameters"), Key(param)];
                        diags.push(self.places.at_key(d, &self.source, &at).with_hint(hint));
                    }
                }
            }
        }
        if !diags.is_empty() {
            return Err(Error::Input(diags));
        }
        set.rehash();
        Ok(())
    }
}
