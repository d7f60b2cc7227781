//! A host's presentation of the tools: the names its model sees, the tools it leaves out or
//! refuses, the servers' instructions where it puts them, and deferral behind its search tool
//! (`search.rs` answers the model's searches). `raw` presents nothing differently and never
//! reaches this module.

mod search;

use std::sync::Arc;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::config::{
    CapAction, DeferralMode, HostProfile, InstructionsPlace, NamePart, NameRule, Violation, Visible,
};
use crate::mcp::{ToolInfo, ToolSet};
use crate::record::ServerInfo;
pub(crate) use search::Search;

/// What a host did to one tool (or to the whole request), before any request: in the report,
/// and shown before the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HostFinding {
    /// The tool, by the suite's name; none for what concerns the whole request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    pub effect: Effect,
    pub message: String,
}

/// What a host did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Effect {
    /// The tool is not sent at all.
    Dropped,
    /// Its name was cut.
    Truncated,
    /// Its description was cut.
    DescriptionCut,
    /// Its server's instructions were cut.
    InstructionsCut,
    /// The host would refuse every request.
    Refused,
}

impl Effect {
    /// What the host did, as a verb phrase before a count of tools.
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Effect::Dropped => "leaves out",
            Effect::Truncated => "cuts the names of",
            Effect::DescriptionCut => "cuts the descriptions of",
            Effect::InstructionsCut => "cuts the instructions of the servers of",
            Effect::Refused => "would refuse the requests for",
        }
    }
}

/// The tools as a host presents them.
#[derive(Debug, Clone)]
pub(crate) struct Presented {
    /// Every tool the host sends (or can load, when deferred), under the names its model sees;
    /// scoring maps them back to the suite's names.
    pub tools: Arc<ToolSet>,
    /// Text the host adds to the system prompt: the servers' instructions, the names of the
    /// deferred tools.
    pub system: Option<String>,
    /// The host's search, when the tools are deferred behind it.
    pub search: Option<Arc<Search>>,
    pub findings: Vec<HostFinding>,
}

impl Presented {
    /// The findings that stop every request.
    pub(crate) fn refusals(&self) -> impl Iterator<Item = &HostFinding> {
        self.findings.iter().filter(|f| f.effect == Effect::Refused)
    }
}

/// Presents `set` (and the servers' instructions) as `profile` says. `tokens` counts a text
/// (for a deferral threshold).
pub(crate) fn present(
    profile: &HostProfile,
    set: &ToolSet,
    servers: &[ServerInfo],
    tokens: &dyn Fn(&str) -> usize,
) -> Presented {
    let mut findings = Vec::new();
    let mut tools: Vec<ToolInfo> = Vec::with_capacity(set.tools.len());
    let instructions = Instructions::of(profile, servers, &mut findings);
    let namer = profile.names.as_ref().map(Namer::new);
    for (i, t) in set.tools.iter().enumerate() {
        let mut t = t.clone();
        if let Some(namer) = &namer {
            match namer.form(&t) {
                Formed::Name(name) => t.api_name = name,
                Formed::Cut(whole, name) => {
                    findings.push(finding(
                        &t,
                        Effect::Truncated,
                        format!(
                            "{} cuts the name `{whole}` to {} characters: `{name}`",
                            profile.name,
                            name.len()
                        ),
                    ));
                    t.api_name = name;
                }
                Formed::Broken(name, why, action) => {
                    let effect = if action == Violation::Refuse {
                        Effect::Refused
                    } else {
                        Effect::Dropped
                    };
                    let verb = if effect == Effect::Refused {
                        format!("`tools.{i}` would be refused by {}", profile.name)
                    } else {
                        format!("{} leaves out `{}`", profile.name, t.name)
                    };
                    findings.push(finding(&t, effect, format!("{verb}: name `{name}` {why}")));
                    continue;
                }
            }
        }
        if let Some(rule) = &profile.descriptions
            && t.description.chars().count() > rule.max_chars
        {
            let cut: String = t.description.chars().take(rule.max_chars).collect();
            findings.push(finding(
                &t,
                Effect::DescriptionCut,
                format!(
                    "{} cuts the description of `{}` from {} to {} characters",
                    profile.name,
                    t.name,
                    t.description.chars().count(),
                    rule.max_chars
                ),
            ));
            t.description = format!("{cut}{}", rule.suffix);
        }
        instructions.add_to_description(&mut t);
        tools.push(t);
    }
    let mut set = ToolSet {
        hash: String::new(),
        tools: dedupe(tools, profile.names.as_ref().and_then(|n| n.max_length)),
        renamed: set.renamed.clone(),
        encoding: set.encoding.clone(),
        converted: None,
    };
    let deferred = deferred(profile, &set, tokens);
    if !deferred && let Some(cap) = &profile.cap {
        cap_tools(profile, cap.max, cap.past, &mut set, &mut findings);
    }
    set.rehash();
    let mut system: Vec<String> = instructions.system.into_iter().collect();
    let search = deferred.then(|| {
        let d = profile
            .deferral
            .as_ref()
            .expect("deferred means a deferral");
        if d.visible == Visible::Names {
            let mut names = d.names_heading.clone().unwrap_or_default();
            for t in &set.tools {
                names.push('\n');
                names.push_str(&t.api_name);
            }
            system.push(names.trim_start().to_owned());
        }
        Arc::new(Search::new(&d.search, d.max_searches, d.native, &set))
    });
    Presented {
        tools: Arc::new(set),
        system: (!system.is_empty()).then(|| system.join("\n\n")),
        search,
        findings,
    }
}

fn finding(t: &ToolInfo, effect: Effect, message: String) -> HostFinding {
    HostFinding {
        tool: Some(t.name.clone()),
        effect,
        message,
    }
}

/// Whether the host defers the tools: always, or past its share of the context window.
fn deferred(profile: &HostProfile, set: &ToolSet, tokens: &dyn Fn(&str) -> usize) -> bool {
    let Some(d) = &profile.deferral else {
        return false;
    };
    match d.mode {
        DeferralMode::Off => false,
        DeferralMode::Always => true,
        DeferralMode::Auto => {
            let total: usize = set.tools.iter().map(|t| tokens(&t.definition())).sum();
            let limit = d.auto_share.unwrap_or(1.0) * d.context_tokens.unwrap_or(usize::MAX) as f64;
            total as f64 >= limit
        }
    }
}

/// Past the cap: the first `max` tools go (the rest are left out), or no request goes.
fn cap_tools(
    profile: &HostProfile,
    max: usize,
    past: CapAction,
    set: &mut ToolSet,
    findings: &mut Vec<HostFinding>,
) {
    if set.tools.len() <= max {
        return;
    }
    match past {
        CapAction::First => {
            for t in set.tools.drain(max..) {
                findings.push(finding(
                    &t,
                    Effect::Dropped,
                    format!(
                        "{} leaves out `{}`: it sends only the first {max} tools",
                        profile.name, t.name
                    ),
                ));
            }
        }
        CapAction::Refuse => findings.push(HostFinding {
            tool: None,
            effect: Effect::Refused,
            message: format!(
                "{} would refuse every request: {} tools, past its cap of {max}",
                profile.name,
                set.tools.len()
            ),
        }),
    }
}

/// A name as a host forms it.
enum Formed {
    Name(String),
    /// Cut to the length limit: the whole name, and the name cut.
    Cut(String, String),
    /// Past the length limit or breaking the pattern: the name, why, and what the host does.
    Broken(String, String, Violation),
}

/// A profile's name rule with its regexes compiled once for the whole tool set.
struct Namer<'a> {
    rule: &'a NameRule,
    /// The characters a mapped part replaces.
    other: Regex,
    pattern: Option<Regex>,
}

impl<'a> Namer<'a> {
    fn new(rule: &'a NameRule) -> Namer<'a> {
        Namer {
            rule,
            other: Regex::new(&format!("[^{}]", rule.allowed)).expect("checked when loaded"),
            pattern: rule
                .pattern
                .as_deref()
                .map(|p| Regex::new(p).expect("checked when loaded")),
        }
    }

    /// The name before any length limit: the template with each part mapped.
    fn whole(&self, t: &ToolInfo) -> String {
        let rule = self.rule;
        let map = |part: NamePart, text: &str| -> String {
            if !rule.map.contains(&part) {
                return text.to_owned();
            }
            self.other
                .replace_all(text, rule.replacement.as_str())
                .into_owned()
        };
        let mut server = if rule.server_lowercase {
            t.server.to_lowercase()
        } else {
            t.server.clone()
        };
        server = map(NamePart::Server, &server);
        if let Some(n) = rule.server_max_chars {
            server = server.chars().take(n).collect();
        }
        let tool = map(NamePart::Tool, &t.server_name);
        rule.template
            .replace("{server}", &server)
            .replace("{tool}", &tool)
    }

    fn form(&self, t: &ToolInfo) -> Formed {
        let rule = self.rule;
        let name = self.whole(t);
        if let (Some(max), Some(action)) = (rule.max_length, rule.too_long) {
            let len = name.chars().count();
            if len > max {
                if action == Violation::Truncate {
                    let cut = name.chars().take(max).collect();
                    return Formed::Cut(name, cut);
                }
                return Formed::Broken(
                    name,
                    format!("is {len} characters, past its limit of {max}"),
                    action,
                );
            }
        }
        if let (Some(re), Some(action)) = (&self.pattern, rule.invalid)
            && !re.is_match(&name)
        {
            let why = format!("does not match `{}`", re.as_str());
            return Formed::Broken(name, why, action);
        }
        Formed::Name(name)
    }
}

/// Names made unique again after mapping and cutting: a later tool of the same name gets `_2`,
/// `_3`..., the name cut to leave room for it within `max` characters.
fn dedupe(mut tools: Vec<ToolInfo>, max: Option<usize>) -> Vec<ToolInfo> {
    let mut used = std::collections::HashSet::new();
    for t in &mut tools {
        let base = t.api_name.clone();
        let mut n = 2;
        while !used.insert(t.api_name.clone()) {
            let suffix = format!("_{n}");
            let room = max.map_or(usize::MAX, |m| m.saturating_sub(suffix.len()));
            t.api_name = format!("{}{suffix}", base.chars().take(room).collect::<String>());
            n += 1;
        }
    }
    tools
}

/// The servers' instructions, placed as the profile says.
struct Instructions {
    /// The system prompt's part.
    system: Option<String>,
    /// By server: the text appended to each of its tools' descriptions.
    per_tool: Vec<(String, String)>,
}

impl Instructions {
    fn of(profile: &HostProfile, servers: &[ServerInfo], findings: &mut Vec<HostFinding>) -> Self {
        let mut out = Instructions {
            system: None,
            per_tool: Vec::new(),
        };
        let Some(rule) = &profile.instructions else {
            return out;
        };
        let template = rule
            .template
            .as_deref()
            .unwrap_or("## {server}\n{instructions}");
        let mut parts = Vec::new();
        for s in servers {
            let Some(text) = s.instructions.as_deref().filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let mut text = text.to_owned();
            if let Some(max) = rule.max_chars
                && text.chars().count() > max
            {
                findings.push(HostFinding {
                    tool: None,
                    effect: Effect::InstructionsCut,
                    message: format!(
                        "{} cuts the instructions of server `{}` from {} to {max} characters",
                        profile.name,
                        s.name,
                        text.chars().count()
                    ),
                });
                text = text.chars().take(max).collect();
            }
            let part = template
                .replace("{server}", &s.name)
                .replace("{instructions}", &text);
            match rule.place {
                InstructionsPlace::System => parts.push(part),
                InstructionsPlace::ToolDescription => out.per_tool.push((s.name.clone(), part)),
                InstructionsPlace::None => {}
            }
        }
        if !parts.is_empty() {
            let mut all: Vec<String> = rule.heading.iter().cloned().collect();
            all.extend(parts);
            out.system = Some(all.join("\n\n"));
        }
        out
    }

    fn add_to_description(&self, t: &mut ToolInfo) {
        if let Some((_, part)) = self.per_tool.iter().find(|(s, _)| *s == t.server) {
            t.description = format!("{}\n\n{part}", t.description);
        }
    }
}

#[cfg(test)]
mod tests;
