//! The servers `tools`, `lint` and `init` look at: every server of an eval file, or one named on
//! the command line (a URL, or a command after `--`).

use std::path::Path;

use crate::config::{self, Descriptions, ServerEntry, ServerSpec};
use crate::error::{Error, Result};

/// Servers to list, with their entries as written, the eval file they came from if any, and
/// the descriptions file to lay over what they send.
pub(crate) struct Listing {
    pub servers: Vec<ServerEntry>,
    pub written: Vec<(String, ServerSpec)>,
    pub file: Option<config::EvalFile>,
    pub descriptions: Option<Descriptions>,
}

/// The servers to list: every server of an eval file, or one named on the command line; and
/// the descriptions file, read before any server starts.
pub(crate) fn servers_to_list(
    eval: Option<&Path>,
    words: &[String],
    descriptions: Option<&Path>,
) -> Result<Listing> {
    let descriptions = descriptions.map(Descriptions::load).transpose()?;
    if let Some(eval) = eval {
        let eval = config::load_eval_servers(eval)?;
        let written = eval.file.servers.clone().into_iter().collect();
        return Ok(Listing {
            servers: eval.servers,
            written,
            file: Some(eval.file),
            descriptions,
        });
    }
    let spec = server_from_args(words)?;
    let name = if spec.url.is_some() { "http" } else { "stdio" }.to_owned();
    Ok(Listing {
        servers: vec![ServerEntry {
            name: name.clone(),
            spec: spec.clone(),
        }],
        written: vec![(name, spec)],
        file: None,
        descriptions,
    })
}

fn server_from_args(words: &[String]) -> Result<ServerSpec> {
    let Some(first) = words.first() else {
        return Err(Error::usage(
            "name a server: a URL, or a command after `--`",
            Some("e.g. `tooleval tools -- tooleval demo-server`".to_owned()),
        ));
    };
    if first.starts_with("http://") || first.starts_with("https://") {
        if words.len() > 1 {
            return Err(Error::usage("a URL takes no further arguments", None));
        }
        return Ok(ServerSpec {
            url: Some(first.clone()),
            ..ServerSpec::default()
        });
    }
    Ok(ServerSpec {
        command: Some(first.clone()),
        args: words[1..].to_vec(),
        ..ServerSpec::default()
    })
}

impl Listing {
    /// Connects to every server, lists its tools and closes the connections; lays the
    /// descriptions file over what they sent.
    pub(crate) async fn list(
        &self,
    ) -> Result<(crate::mcp::ToolSet, Vec<crate::record::ServerInfo>)> {
        let (mut tools, mut servers) = crate::mcp::list_tools(&self.servers, &self.written).await?;
        if let Some(d) = &self.descriptions {
            crate::mcp::apply_descriptions(&mut tools, &mut servers, d)?;
        }
        Ok((tools, servers))
    }

    /// The tokenizer: the command line's, else the eval file's, else the default.
    pub(crate) fn encoding(&self, flag: Option<crate::cli::Encoding>) -> crate::tokens::Encoding {
        flag.map(Into::into)
            .or(self.file.as_ref().and_then(|f| f.encoding))
            .unwrap_or_default()
    }
}
