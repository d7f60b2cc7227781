//! The descriptions file: new texts for tools and their parameters, laid over what servers send,
//! so a description can be tried without touching the server.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::located::Places;
use super::located::Seg;
use super::yaml::parse_yaml;
use crate::error::{Diagnostic, Error, Result};

/// Replacement texts, by tool name and by server name.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescriptionsFile {
    /// Tools by the name suites use (`server/name` when two servers share a name).
    #[serde(default)]
    pub tools: IndexMap<String, ToolText>,
    /// Servers by the name the eval file gives them (`stdio` or `http` for the one server
    /// `tools` and `lint` name on their command line).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub servers: IndexMap<String, ServerText>,
}

/// The texts of one server to replace.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerText {
    /// The server's new `instructions`, in place of those its `initialize` gives (hosts put
    /// them before the model). An empty text stands for none.
    pub instructions: String,
}

/// The texts of one tool to replace.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolText {
    /// The tool's new description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New descriptions of parameters, by parameter name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub parameters: IndexMap<String, String>,
}

/// A descriptions file as read.
#[derive(Debug, Clone)]
pub(crate) struct Descriptions {
    pub path: PathBuf,
    source: String,
    /// Where each key is written, for pointing at unknown names.
    places: Places,
    pub file: DescriptionsFile,
}

impl Descriptions {
    pub(crate) fn load(path: &Path) -> Result<Descriptions> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            Error::Input(vec![Diagnostic::new(
                path,
                format!("cannot read the descriptions file: {e}"),
            )])
        })?;
        Descriptions::parse(path, source)
    }

    /// A descriptions file from its text; `path` names it in errors.
    pub(crate) fn parse(path: &Path, source: String) -> Result<Descriptions> {
        let file = parse_yaml(path, &source)?;
        Ok(Descriptions {
            path: path.to_path_buf(),
            places: Places::parse(&source),
            source,
            file,
        })
    }

    /// The variant's name: the file's stem.
    pub(crate) fn name(&self) -> String {
        self.path
            .file_stem()
            .map_or_else(|| "variant".into(), |s| s.to_string_lossy().into_owned())
    }

    /// A diagnostic at a key of the file, e.g. `[Key("tools"), Key(name)]`.
    pub(crate) fn diagnostic_at_key(
        &self,
        path: &[Seg<'_>],
        message: impl Into<String>,
    ) -> Diagnostic {
        self.places
            .at_key(Diagnostic::new(&self.path, message), &self.source, path)
    }
}
