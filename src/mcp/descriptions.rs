//! Descriptions files laid over a tool set: new texts for tools and their parameters, each
//! replacement recorded, so a description can be tried without touching the server.

use serde_json::Value;

use super::ToolSet;
use crate::config::Descriptions;
use crate::config::Seg::Key;
use crate::error::{Error, Result, did_you_mean};

impl ToolSet {
    /// Lays the texts of `descriptions` over the tools, recording what was replaced. Unknown
    /// tools and parameters are diagnostics with a suggestion.
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
