//! Descriptions files laid over a listing: new texts for tools and their parameters, and new
//! instructions for servers, each replacement recorded, so a text can be tried without
//! touching the server.

use serde_json::Value;

use super::ToolSet;
use crate::config::Descriptions;
use crate::config::Seg::Key;
use crate::error::{Diagnostic, Error, Result, did_you_mean};
use crate::record::ServerInfo;

/// Lays the whole of `descriptions` over a listing: the tools' texts
/// ([`ToolSet::apply_descriptions`]) and the instructions of the servers it names. Unknown
/// tools, parameters and servers are diagnostics, all of them at once.
pub(crate) fn apply_descriptions(
    tools: &mut ToolSet,
    servers: &mut [ServerInfo],
    descriptions: &Descriptions,
) -> Result<()> {
    let mut diags = match tools.apply_descriptions(descriptions) {
        Ok(()) => Vec::new(),
        Err(Error::Input(diags)) => diags,
        Err(e) => return Err(e),
    };
    diags.extend(apply_instructions(servers, descriptions));
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error::Input(diags))
    }
}

/// Replaces the instructions of each server the file names (an empty text: none), marking
/// them overridden; their tokens are counted again later. Unknown servers are diagnostics.
fn apply_instructions(servers: &mut [ServerInfo], d: &Descriptions) -> Vec<Diagnostic> {
    let names: Vec<String> = servers.iter().map(|s| s.name.clone()).collect();
    let mut diags = Vec::new();
    for (name, text) in &d.file.servers {
        let Some(server) = servers.iter_mut().find(|s| &s.name == name) else {
            let hint = match did_you_mean(name, names.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the servers are `{}`", names.join("`, `")),
            };
            let message = format!("no server is called `{name}`");
            diags.push(
                d.diagnostic_at_key(&[Key("servers"), Key(name)], message)
                    .with_hint(hint),
            );
            continue;
        };
        server.instructions = Some(text.instructions.clone()).filter(|t| !t.trim().is_empty());
        server.instructions_tokens = None;
        server.instructions_overridden = true;
    }
    diags
}

impl ToolSet {
    /// Lays the tool texts of `descriptions` over the tools, recording what was replaced.
    /// Unknown tools and parameters are diagnostics with a suggestion. The servers' part is
    /// [`apply_descriptions`]'s.
    pub(crate) fn apply_descriptions(&mut self, descriptions: &Descriptions) -> Result<()> {
        let set = self;
        let d = descriptions;
        let mut diags = Vec::new();
        let names: Vec<String> = set.tools.iter().map(|t| t.name.clone()).collect();
        for (name, text) in &d.file.tools {
            let Some(tool) = set.tools.iter_mut().find(|t| &t.name == name) else {
                let hint = match did_you_mean(name, names.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`tooleval tools --eval <EVAL_FILE>` lists the tools".to_owned(),
                };
                let message = format!("no server offers a tool `{name}`");
                diags.push(
                    d.diagnostic_at_key(&[Key("tools"), Key(name)], message)
                        .with_hint(hint),
                );
                continue;
            };
            if let Some(new) = &text.description {
                tool.description = new.clone();
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
                        let message = format!("tool `{name}` has no parameter `{param}`");
                        let at = [Key("tools"), Key(name), Key("parameters"), Key(param)];
                        diags.push(d.diagnostic_at_key(&at, message).with_hint(hint));
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
