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
use crate::text::{Copies, plain_words};
use crate::tokens::Encoding;

/// What a proposal is checked against.
pub(crate) struct Bounds<'a> {
    /// The tools as they stand (the kept descriptions applied), token counts included.
    pub tools: &'a ToolSet,
    /// The tools the writer was asked to rewrite.
    pub asked: &'a [String],
    /// The prompts of the tune tasks.
    pub prompts: &'a [String],
    pub budget: usize,
    pub encoding: Encoding,
    pub lint: &'a LintConfig,
    /// The servers whose instructions the host puts before the model, with their current text
    /// (empty when it has none); empty when the host sends instructions nowhere.
    pub instructions: &'a [(String, String)],
}

/// A proposal that passed: its new texts, and the tools as they would stand.
pub(crate) struct Passed {
    pub proposal: DescriptionsFile,
    pub tools: ToolSet,
}

pub(crate) use crate::text::unfence;

/// The reply with the YAML quoting a small model gets wrong mended, when that is all that keeps
/// it from being read: a value holding `: ` (or ending in `:`, or opening with a character YAML
/// reserves) written without quotes, as in `description: Reads a file: returns its text`. Each
/// such value is put in double quotes, its text unchanged; the note says how many. The reply as
/// it is when it reads, or when quoting does not make it read.
pub(crate) fn mended(reply: &str, at: &Path) -> (String, Option<String>) {
    let text = unfence(reply);
    let reads = |t: &str| crate::config::parse_yaml::<serde_json::Value>(at, t).is_ok();
    if reads(text) {
        return (reply.to_owned(), None);
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut quoted = 0;
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in lines.iter().enumerate() {
        match quote_value(line, lines.get(i + 1).copied()) {
            Some(fixed) => {
                out.push_str(&fixed);
                quoted += 1;
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    if quoted == 0 || !reads(&out) {
        return (reply.to_owned(), None);
    }
    let note = format!(
        "the YAML was mended before it was read: {quoted} value(s) holding `: ` or a reserved first character were put in quotes, no word changed"
    );
    (out, Some(note))
}

/// `key: value` with the value put in double quotes, when it needs them and is all on this line
/// (the next line is not indented deeper, which would continue it).
fn quote_value(line: &str, next: Option<&str>) -> Option<String> {
    static KEY_VALUE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"^(\s*(?:- )?(?:[^\s:"'#{}\[\],&*!|>%@`][^:#]*?|"[^"]*"|'[^']*'):[ \t]+)(\S.*?)\s*$"#,
        )
        .expect("a valid pattern")
    });
    let c = KEY_VALUE.captures(line)?;
    let value = &c[2];
    let needs = value.contains(": ")
        || value.ends_with(':')
        || value.starts_with(['`', '@', '%'])
        || value.starts_with("- ");
    let written = value.starts_with(['"', '\'', '{', '[', '|', '>', '&', '*', '!', '#']);
    if !needs || written {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    if next.is_some_and(|n| !n.trim().is_empty() && indent(n) > indent(line)) {
        return None;
    }
    Some(format!(
        "{}{}",
        &c[1],
        serde_json::to_string(value).expect("a string serializes")
    ))
}

/// Checks a proposal; `Err` holds the reason it is rejected.
pub(crate) fn check(reply: &str, at: &Path, b: &Bounds<'_>) -> Result<Passed, String> {
    let text = unfence(reply);
    if text.is_empty() {
        return Err("the reply holds no descriptions file".into());
    }
    let proposed = parse(text, at)?;
    let proposal = proposed.file.clone();
    if proposal.tools.is_empty() && proposal.servers.is_empty() {
        return Err("it rewrites no tool (`tools` is empty)".into());
    }
    if let Some(name) = proposal
        .servers
        .keys()
        .find(|n| !b.instructions.iter().any(|(s, _)| s == *n))
    {
        return Err(if b.instructions.is_empty() {
            format!(
                "it rewrites the instructions of `{name}`, which this host sends to no model; rewrite only tools"
            )
        } else {
            format!(
                "it names a server `{name}` there is not; the servers are {}",
                backticked(
                    &b.instructions
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>()
                )
            )
        });
    }
    let mut after = b.tools.clone();
    if let Err(e) = after.apply_descriptions(&proposed) {
        return Err(format!(
            "it names what no server offers:\n{}",
            e.render().trim_end()
        ));
    }
    // Only what changes counts: a text that repeats the current one, or an empty entry, is left
    // out (so the kept file holds, and credits, only real edits).
    let mut proposal = proposal;
    proposal.tools.retain(|name, new| {
        changed_only(b.tools, name, new);
        new.description.is_some() || !new.parameters.is_empty()
    });
    proposal.servers.retain(|name, new| {
        b.instructions
            .iter()
            .any(|(s, cur)| s == name && cur.trim() != new.instructions.trim())
    });
    if proposal.tools.is_empty() && proposal.servers.is_empty() {
        return Err("it changes no text: every description is the current one".into());
    }
    let unasked: Vec<&str> = proposal
        .tools
        .keys()
        .filter(|n| !b.asked.contains(n))
        .map(String::as_str)
        .collect();
    if !unasked.is_empty() {
        return Err(format!(
            "it rewrites {}, which it was not asked about; rewrite only {}",
            backticked(&unasked),
            backticked(&b.asked.iter().map(String::as_str).collect::<Vec<_>>())
        ));
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
pub(crate) fn merge(kept: &DescriptionsFile, new: &DescriptionsFile) -> DescriptionsFile {
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
    for (name, text) in &new.servers {
        file.servers.insert(name.clone(), text.clone());
    }
    file
}

/// Drops from a proposed tool text what repeats the tool's current text.
fn changed_only(tools: &ToolSet, name: &str, new: &mut ToolText) {
    let Some(t) = tools.by_name(name) else {
        return;
    };
    if new
        .description
        .as_ref()
        .is_some_and(|d| d.trim() == t.description.trim())
    {
        new.description = None;
    }
    new.parameters.retain(|p, d| {
        t.input_schema
            .pointer(&format!("/properties/{p}/description"))
            .and_then(serde_json::Value::as_str)
            .is_none_or(|cur| cur.trim() != d.trim())
    });
}

/// Rejects a proposal whose new texts share a run of `OVERLAP_WORDS` words with a tune prompt
/// (the whole prompt, for a prompt of 3 or 4 words), unless the tools' current texts already
/// hold that run (then it is the tool's own wording), or every word of it is a stop word.
fn copied_wording(proposal: &DescriptionsFile, b: &Bounds<'_>) -> Result<(), String> {
    // The tools' current texts, as words: wording they already hold is theirs, not a prompt's.
    let mut own: Vec<Vec<String>> = Vec::new();
    for t in &b.tools.tools {
        own.push(plain_words(&t.description));
        if let Some(props) = t.input_schema.get("properties").and_then(|p| p.as_object()) {
            for p in props.values() {
                if let Some(d) = p.get("description").and_then(|d| d.as_str()) {
                    own.push(plain_words(d));
                }
            }
        }
    }
    let copies = Copies::new(b.prompts.iter().map(String::as_str), &own);
    let tools = proposal.tools.iter().map(|(name, text)| {
        let texts: Vec<&String> = text
            .description
            .iter()
            .chain(text.parameters.values())
            .collect();
        (format!("`{name}`"), texts)
    });
    let servers = proposal.servers.iter().map(|(name, text)| {
        (
            format!("the instructions of `{name}`"),
            vec![&text.instructions],
        )
    });
    for (name, texts) in tools.chain(servers) {
        for t in texts {
            if let Some((hit, prompt)) = copies.find(t) {
                return Err(format!(
                    "the text of {name} copies the wording of a tune task's prompt (\"{hit}\", from \"{prompt}\"); describe the tool, not the tasks"
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::ServerTool;
    use serde_json::json;

    fn tools() -> ToolSet {
        let tool = |name: &str, description: &str| ServerTool {
            name: name.into(),
            description: Some(description.into()),
            input_schema: json!({
                "type": "object",
                "properties": { "service": { "type": "string", "description": "The service." } },
                "required": ["service"]
            }),
            annotations: None,
        };
        let mut set = ToolSet::new(vec![(
            "shop".into(),
            vec![
                tool("tail_logs", "Returns recent logs for a service."),
                tool(
                    "search_logs",
                    "Search the logs of a service by level and text.",
                ),
            ],
        )]);
        set.count_tokens(Encoding::default());
        set
    }

    fn check_with(reply: &str, budget: usize, prompts: &[&str]) -> Result<Passed, String> {
        check_under(reply, budget, prompts, &[])
    }

    fn check_under(
        reply: &str,
        budget: usize,
        prompts: &[&str],
        instructions: &[(String, String)],
    ) -> Result<Passed, String> {
        let set = tools();
        let prompts: Vec<String> = prompts.iter().map(|p| (*p).to_owned()).collect();
        let asked = vec!["tail_logs".to_owned()];
        let lint = LintConfig::default();
        let b = Bounds {
            tools: &set,
            asked: &asked,
            prompts: &prompts,
            budget,
            encoding: Encoding::default(),
            lint: &lint,
            instructions,
        };
        super::check(reply, Path::new("proposal.yaml"), &b)
    }

    #[test]
    fn instructions_are_rewritten_only_where_the_host_places_them_and_by_the_same_rules() {
        let placed = [("shop".to_owned(), "Log tools.".to_owned())];
        let new =
            "servers:\n  shop:\n    instructions: Logs of the shop's services, past and live.\n";
        // A host that sends instructions nowhere: nothing to gain, refused with why.
        let e = check_under(new, 10_000, &[], &[]).err().unwrap();
        assert!(e.contains("which this host sends to no model"), "{e}");
        // Where the host places them, a proposal of instructions alone passes.
        let passed = check_under(new, 10_000, &[], &placed).unwrap();
        assert_eq!(
            passed.proposal.servers["shop"].instructions,
            "Logs of the shop's services, past and live."
        );
        // The current text again is no change; another server is named as unknown.
        let same = "servers:\n  shop:\n    instructions: Log tools.\n";
        let e = check_under(same, 10_000, &[], &placed).err().unwrap();
        assert!(e.contains("it changes no text"), "{e}");
        let other = "servers:\n  shop2:\n    instructions: Logs.\n";
        let e = check_under(other, 10_000, &[], &placed).err().unwrap();
        assert!(e.contains("a server `shop2` there is not"), "{e}");
        // A tune prompt's wording is refused in instructions too.
        let copied =
            "servers:\n  shop:\n    instructions: Use it to follow the payments logs live.\n";
        let e = check_under(copied, 10_000, &["Follow the payments logs live."], &placed)
            .err()
            .unwrap();
        assert!(e.contains("the instructions of `shop` copies"), "{e}");
        // Kept texts: the proposal's instructions laid over.
        let merged = super::merge(&DescriptionsFile::default(), &passed.proposal);
        assert_eq!(merged.servers.len(), 1);
    }

    fn check(reply: &str) -> Result<Passed, String> {
        check_with(reply, 10_000, &["Follow the payments logs live."])
    }

    #[test]
    fn yaml_with_unquoted_colons_is_mended_without_changing_a_word() {
        let at = Path::new("p.yaml");
        // Seen from a small model, in both of its tries.
        let reply = "```yaml\ntools:\n  read_file:\n    description: Reads a file: returns its text, or an error: not found.\n    parameters:\n      path: The file's path: absolute or relative.\n  list_dir:\n    description: \"Lists a folder: already quoted\"\n```";
        let (text, note) = mended(reply, at);
        assert!(note.unwrap().contains("2 value(s)"));
        let v: serde_json::Value = crate::config::parse_yaml(at, &text).unwrap();
        assert_eq!(
            v["tools"]["read_file"]["description"],
            "Reads a file: returns its text, or an error: not found."
        );
        assert_eq!(
            v["tools"]["read_file"]["parameters"]["path"],
            "The file's path: absolute or relative."
        );
        assert_eq!(
            v["tools"]["list_dir"]["description"],
            "Lists a folder: already quoted"
        );
        // What reads is left as it is; what quoting cannot mend is left for the guard to refuse.
        let fine = "tools:\n  a: { description: x }\n";
        assert_eq!(mended(fine, at), (fine.to_owned(), None));
        let broken = "tools: [\n  a: b: c\n";
        assert_eq!(mended(broken, at), (broken.to_owned(), None));
        // A value that goes on over the next lines is not cut in two.
        let folded = "tools:\n  a:\n    description: one: two\n      three\n";
        assert_eq!(mended(folded, at).1, None);
    }

    #[test]
    fn a_fenced_reply_is_read_without_its_fence() {
        assert_eq!(unfence("```yaml\ntools: {}\n```"), "tools: {}");
        assert_eq!(unfence("```\ntools: {}\n```\n"), "tools: {}");
        assert_eq!(unfence("  tools: {}  "), "tools: {}");
    }

    #[test]
    fn a_good_proposal_passes_with_only_what_it_changes() {
        let passed = check(
            "tools:\n  tail_logs:\n    description: Stream the newest lines of a service as they are written.\n    parameters:\n      service: The service.\n  search_logs: {}\n",
        )
        .unwrap();
        assert_eq!(
            passed.proposal.tools.len(),
            1,
            "the empty entry is left out"
        );
        let t = &passed.proposal.tools["tail_logs"];
        assert!(
            t.parameters.is_empty(),
            "the repeated parameter text is left out"
        );
        let after = passed.tools.by_name("tail_logs").unwrap();
        assert!(after.description.starts_with("Stream the newest"));
    }

    #[test]
    fn each_guard_rejects_with_its_reason() {
        let cases = [
            ("tools: [", "it is not YAML or JSON"),
            (
                "tools:\n  tail_logs:\n    about: x\n",
                "does not validate against",
            ),
            ("tools: {}\n", "rewrites no tool"),
            (
                "tools:\n  tail_log:\n    description: x y z\n",
                "no server offers a tool `tail_log`",
            ),
            (
                "tools:\n  tail_logs:\n    description: Returns recent logs for a service.\n",
                "changes no text",
            ),
            (
                "tools:\n  search_logs:\n    description: Search past logs, not live ones.\n",
                "it rewrites `search_logs`, which it was not asked about; rewrite only `tail_logs`",
            ),
            (
                "tools:\n  tail_logs:\n    description: Use it to follow the payments logs live.\n",
                "copies the wording of a tune task's prompt (\"follow the payments logs live\"",
            ),
            (
                "tools:\n  tail_logs:\n    description: \" \"\n",
                "lint finds new errors",
            ),
            (
                "tools:\n  tail_logs:\n    description: \"Stream a service's newest log lines as written.\\U000E0041\"\n",
                "hidden character(s) in the description (tag character)",
            ),
        ];
        for (reply, reason) in cases {
            let why = check(reply).err().unwrap_or_default();
            assert!(why.contains(reason), "{reply:?}: {why}");
        }
    }

    #[test]
    fn wording_the_tools_already_use_is_not_a_copy_and_short_prompts_count_whole() {
        // "for a service" runs are the tool's own; a 3-word prompt is a run of its own.
        let own = "tools:\n  tail_logs:\n    description: Stream recent logs for a service, newest first, live.\n";
        assert!(check_with(own, 10_000, &["Show recent logs for a service now please"]).is_ok());
        let short =
            "tools:\n  tail_logs:\n    description: Tail payments logs and any other service.\n";
        let why = check_with(short, 10_000, &["Tail payments logs"])
            .err()
            .unwrap();
        assert!(why.contains("\"tail payments logs\""), "{why}");
    }

    #[test]
    fn the_token_budget_holds() {
        let set = tools();
        let now = set.total_tokens();
        let longer = "tools:\n  tail_logs:\n    description: Stream the newest log lines of one service as they are written, with their levels and timestamps.\n";
        let why = check_with(longer, now, &[]).err().unwrap();
        assert!(why.contains(&format!("over the budget of {now}")), "{why}");
        assert!(check_with(longer, now + 100, &[]).is_ok());
    }

    #[test]
    fn merging_keeps_earlier_rounds_and_lays_the_new_texts_over() {
        let mut kept = DescriptionsFile::default();
        kept.tools.insert(
            "tail_logs".into(),
            ToolText {
                description: Some("one".into()),
                parameters: [("service".to_owned(), "kept".to_owned())]
                    .into_iter()
                    .collect(),
            },
        );
        let mut new = DescriptionsFile::default();
        new.tools.insert(
            "tail_logs".into(),
            ToolText {
                description: Some("two".into()),
                parameters: Default::default(),
            },
        );
        new.tools.insert(
            "search_logs".into(),
            ToolText {
                description: Some("three".into()),
                parameters: Default::default(),
            },
        );
        let merged = merge(&kept, &new);
        assert_eq!(
            merged.tools["tail_logs"].description.as_deref(),
            Some("two")
        );
        assert_eq!(merged.tools["tail_logs"].parameters["service"], "kept");
        assert_eq!(
            merged.tools["search_logs"].description.as_deref(),
            Some("three")
        );
    }
}
