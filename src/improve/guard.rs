//! The checks a proposal passes before anything runs: it is a descriptions file (it parses and
//! validates against the file's JSON Schema), it rewrites only tools that exist and were asked
//! about, it stays within the token budget, it copies no tune prompt's distinctive wording, and
//! lint finds no error the current texts do not have. A rejection says why, in words the writer
//! can act on.

use std::collections::HashSet;
use std::path::Path;

use crate::config::{Descriptions, DescriptionsFile, LintConfig, ToolText};
use crate::lint::{self, Severity};
use crate::mcp::ToolSet;
use crate::tokens::Encoding;

/// Words in a row a proposal may share with a tune prompt: a run of this many words that is in a
/// prompt and in a new text, and not already in the tools' current texts, rejects the proposal.
pub const OVERLAP_WORDS: usize = 5;

/// What a proposal is checked against.
pub struct Bounds<'a> {
    /// The tools as they stand (the kept descriptions applied), token counts included.
    pub tools: &'a ToolSet,
    /// The tools the writer was asked to rewrite.
    pub asked: &'a [String],
    /// The prompts of the tune tasks.
    pub prompts: &'a [String],
    pub budget: usize,
    pub encoding: Encoding,
    pub lint: &'a LintConfig,
}

/// A proposal that passed: its new texts, and the tools as they would stand.
pub struct Passed {
    pub proposal: DescriptionsFile,
    pub tools: ToolSet,
}

/// The text of a reply without the Markdown code fence a model may wrap it in.
pub fn unfence(reply: &str) -> &str {
    let t = reply.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end()
        .strip_suffix("```")
        .unwrap_or(body)
        .trim_matches('\n')
}

/// Checks a proposal; `Err` holds the reason it is rejected.
pub fn check(reply: &str, at: &Path, b: &Bounds<'_>) -> Result<Passed, String> {
    let text = unfence(reply);
    if text.is_empty() {
        return Err("the reply holds no descriptions file".into());
    }
    let proposed = parse(text, at)?;
    let proposal = proposed.file.clone();
    if proposal.tools.is_empty() {
        return Err("it rewrites no tool (`tools` is empty)".into());
    }
    let unasked: Vec<&str> = proposal
        .tools
        .keys()
        .filter(|n| !b.asked.contains(n) && b.tools.by_name(n).is_some())
        .map(String::as_str)
        .collect();
    let mut after = b.tools.clone();
    if let Err(e) = after.apply_descriptions(&proposed) {
        return Err(format!(
            "it names what no server offers:\n{}",
            e.render().trim_end()
        ));
    }
    if !unasked.is_empty() {
        return Err(format!(
            "it rewrites {}, which it was not asked about; rewrite only {}",
            backticked(&unasked),
            backticked(&b.asked.iter().map(String::as_str).collect::<Vec<_>>())
        ));
    }
    let unchanged = proposal
        .tools
        .iter()
        .all(|(name, new)| same(b.tools, name, new));
    if unchanged {
        return Err("it changes no text: every description is the current one".into());
    }
    let total = after.count_tokens(b.encoding);
    if total > b.budget {
        return Err(format!(
            "the tool set would cost {total} tokens ({}), over the budget of {}; it costs {} now",
            b.encoding.as_str(),
            b.budget,
            b.tools.total_tokens()
        ));
    }
    copied_wording(&proposal, b)?;
    new_lint_errors(b.tools, &after, b.lint)?;
    Ok(Passed {
        proposal,
        tools: after,
    })
}

/// The proposal read as a descriptions file: against the file's JSON Schema first (what an
/// editor checks), then by the loader (which places every error).
fn parse(text: &str, at: &Path) -> Result<Descriptions, String> {
    let value: serde_json::Value = crate::config::parse_yaml(at, text)
        .map_err(|e| format!("it is not YAML or JSON:\n{}", e.render().trim_end()))?;
    let schema: serde_json::Value =
        serde_json::from_str(&crate::config::descriptions_schema()).unwrap_or_default();
    if let Ok(validator) = jsonschema::validator_for(&schema) {
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .take(3)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    e.to_string()
                } else {
                    format!("at `{at}`: {e}")
                }
            })
            .collect();
        if !errors.is_empty() {
            return Err(format!(
                "it does not validate against the descriptions file's schema: {}",
                errors.join("; ")
            ));
        }
    }
    Descriptions::parse(at, text.to_owned())
        .map_err(|e| format!("it is not a descriptions file:\n{}", e.render().trim_end()))
}

/// The kept texts with the proposal's laid over (a tool's parameters merged one by one).
pub fn merge(kept: &DescriptionsFile, new: &DescriptionsFile) -> DescriptionsFile {
    let mut file = kept.clone();
    for (name, text) in &new.tools {
        let entry = file.tools.entry(name.clone()).or_default();
        if text.description.is_some() {
            entry.description = text.description.clone();
        }
        for (p, d) in &text.parameters {
            entry.parameters.insert(p.clone(), d.clone());
        }
    }
    file
}

/// Whether a proposed tool text is the tool's current text.
fn same(tools: &ToolSet, name: &str, new: &ToolText) -> bool {
    let Some(t) = tools.by_name(name) else {
        return false;
    };
    let desc_same = new
        .description
        .as_ref()
        .is_none_or(|d| d.trim() == t.description.trim());
    let params_same = new.parameters.iter().all(|(p, d)| {
        t.input_schema
            .pointer(&format!("/properties/{p}/description"))
            .and_then(serde_json::Value::as_str)
            .is_some_and(|cur| cur.trim() == d.trim())
    });
    desc_same && params_same
}

/// Lower-cased words, every other character a separator.
fn plain_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Runs of `OVERLAP_WORDS` words, joined by spaces.
fn runs(words: &[String]) -> impl Iterator<Item = String> + '_ {
    words.windows(OVERLAP_WORDS).map(|w| w.join(" "))
}

/// Rejects a proposal whose new texts share a run of `OVERLAP_WORDS` words with a tune prompt,
/// unless the tools' current texts already hold that run (then it is the tool's own wording), or
/// every word of it is a stop word.
fn copied_wording(proposal: &DescriptionsFile, b: &Bounds<'_>) -> Result<(), String> {
    let mut own: HashSet<String> = HashSet::new();
    for t in &b.tools.tools {
        own.extend(runs(&plain_words(&t.description)));
        if let Some(props) = t.input_schema.get("properties").and_then(|p| p.as_object()) {
            for p in props.values() {
                if let Some(d) = p.get("description").and_then(|d| d.as_str()) {
                    own.extend(runs(&plain_words(d)));
                }
            }
        }
    }
    let mut prompt_runs: Vec<(String, &str)> = Vec::new();
    for p in b.prompts {
        for r in runs(&plain_words(p)) {
            if !own.contains(&r) && !crate::text::words(&r).is_empty() {
                prompt_runs.push((r, p));
            }
        }
    }
    let index: HashSet<&str> = prompt_runs.iter().map(|(r, _)| r.as_str()).collect();
    for (name, text) in &proposal.tools {
        let texts = text.description.iter().chain(text.parameters.values());
        for t in texts {
            if let Some(hit) = runs(&plain_words(t)).find(|r| index.contains(r.as_str())) {
                let prompt = prompt_runs
                    .iter()
                    .find(|(r, _)| *r == hit)
                    .map_or("", |(_, p)| *p);
                return Err(format!(
                    "the text of `{name}` copies the wording of a tune task's prompt (\"{hit}\", from \"{prompt}\"); describe the tool, not the tasks"
                ));
            }
        }
    }
    Ok(())
}

/// Rejects a proposal under which lint finds an error the current texts do not have.
fn new_lint_errors(before: &ToolSet, after: &ToolSet, cfg: &LintConfig) -> Result<(), String> {
    let key = |f: &lint::Finding| (f.rule.id(), f.tools.clone());
    let old: HashSet<_> = lint::lint(before, cfg, None)
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(key)
        .collect();
    let new: Vec<String> = lint::lint(after, cfg, None)
        .iter()
        .filter(|f| f.severity == Severity::Error && !old.contains(&key(f)))
        .map(|f| format!("{} ({})", f.message, f.rule.id()))
        .collect();
    if new.is_empty() {
        Ok(())
    } else {
        Err(format!("lint finds new errors: {}", new.join("; ")))
    }
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
