//! The report of `tooleval improve`: what each round was shown, what the writer proposed, why a
//! proposal was rejected before it ran, how it measured on tune and holdout, and whether it was
//! kept; with its markdown summary, its terminal table and the descriptions file it leaves.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::diff::ToolChanges;
use super::text::rate;
use super::types::ToolIdentity;
use crate::config::DescriptionsFile;
use crate::record::{ModelInfo, Outcome};
use crate::score::{PairedTest, Rate};

/// The version of the improve report's format.
pub(crate) const IMPROVE_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ImproveReport {
    pub schema_version: u32,
    /// Always `improve`, to tell it from a run report.
    pub kind: String,
    pub tooleval: ToolIdentity,
    pub started_at: String,
    pub finished_at: String,
    /// False when the loop was interrupted or stopped by an error: the rounds hold what finished.
    pub complete: bool,
    pub eval: String,
    pub model: ModelInfo,
    pub writer: ModelInfo,
    /// No task was held out (`--no-holdout`): every decision was made on the tasks the
    /// proposals were written from.
    pub unconfirmed: bool,
    pub tune_tasks: usize,
    pub holdout_tasks: usize,
    pub trials: u32,
    /// The most tokens the tool set may cost, and where the figure comes from.
    pub budget: usize,
    pub budget_from: String,
    pub requests: Requests,
    /// How many decisions read the holdout tasks' results.
    pub holdout_consulted: u32,
    pub before: Standing,
    pub after: Standing,
    pub rounds: Vec<Round>,
    /// The kept texts, with why each tool changed.
    pub kept: Vec<KeptTool>,
    /// The descriptions file written (absent when nothing was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions_file: Option<String>,
    /// The run report of the texts the loop started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_report: Option<String>,
    /// Why the loop ended.
    pub ended: String,
}

/// Model requests: the estimate shown before the first, those sent, and the cap.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Requests {
    pub estimated: u64,
    pub estimated_tokens: u64,
    /// Sent to a model API (replies from the cache and the offline baseline not counted).
    pub sent: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// What the replies sent cost, every model of the loop at its price (absent when a price
    /// is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dollars: Option<f64>,
    /// `--max-cost`, or the eval's `max_cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost: Option<f64>,
}

impl Requests {
    /// `12 sent ($0.42)`.
    pub(crate) fn sent_line(&self) -> String {
        match self.dollars {
            Some(d) => format!("{} sent ({})", self.sent, crate::text::dollars(d)),
            None => format!("{} sent", self.sent),
        }
    }
}

/// Accuracy of one set of texts on tune and holdout.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Standing {
    pub tune: Option<Rate>,
    pub tune_selection: Option<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout_selection: Option<Rate>,
    pub tool_tokens: usize,
}

/// One round: the evidence, the writer's attempts, the measurement and the decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Round {
    pub round: u32,
    /// The tools the writer was asked to rewrite, most failures first.
    pub evidence: Vec<ToolEvidence>,
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
    pub decision: Decision,
    pub why: String,
    /// The round's descriptions (the kept texts and the proposal) and its run report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Decision {
    /// Measured, and kept: the next round starts from it.
    Kept,
    /// Measured, and not kept.
    Rejected,
    /// No proposal passed the guards (the writer had one retry).
    NoProposal,
    /// The round stopped before its decision (interrupted, an error, the request cap).
    Unfinished,
}

impl Decision {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decision::Kept => "kept",
            Decision::Rejected => "rejected",
            Decision::NoProposal => "no proposal",
            Decision::Unfinished => "unfinished",
        }
    }
}

/// One reply of the writer and what the guards said of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Attempt {
    pub reply: String,
    /// Why the guards rejected it; absent when it passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// How the reply was asked for: held to the descriptions' schema in the API's own way, or
    /// as plain text (the API refused structured output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<crate::record::OutputFormat>,
    /// What was done to read it (quoting mended) and what the API said (a refusal).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A proposal measured against the texts it would replace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Measured {
    pub tune: Compared,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<Compared>,
    pub tool_tokens: (usize, usize),
    /// The texts that changed, with word diffs.
    pub changes: ToolChanges,
}

/// Full-call accuracy before and after on one split, and the paired test over its tasks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Compared {
    pub tasks: usize,
    pub before: Option<Rate>,
    pub after: Option<Rate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<PairedTest>,
    pub fixed: Vec<String>,
    pub regressed: Vec<String>,
}

/// A tool's kept texts and why they changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeptTool {
    pub tool: String,
    pub round: u32,
    pub why: String,
}

/// The evidence about one tool, as the writer was shown it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ToolEvidence {
    pub tool: String,
    /// Tune tasks that failed where this tool was expected or was wrongly called.
    pub failures: Vec<Failure>,
    /// Tools it was confused with, in either direction.
    pub confusions: Vec<Confused>,
    /// Lint findings (errors and warnings) that name it.
    pub findings: Vec<String>,
    pub tokens: Option<usize>,
}

impl ToolEvidence {
    /// Failing trials over its failing tasks.
    pub(crate) fn weight(&self) -> usize {
        self.failures.iter().map(|f| f.failed).sum()
    }

    /// Why the tool was rewritten, in one line: its failures and its worst confusion.
    pub(crate) fn why(&self) -> String {
        let tasks: Vec<String> = self
            .failures
            .iter()
            .take(3)
            .map(|f| format!("{} ({})", f.task, f.outcome.as_str()))
            .collect();
        let more = self.failures.len().saturating_sub(3);
        let mut s = format!(
            "{} failing tune task(s): {}{}",
            self.failures.len(),
            tasks.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        if let Some(c) = self.confusions.iter().max_by_key(|c| c.count) {
            let other = if c.expected == self.tool {
                &c.chosen
            } else {
                &c.expected
            };
            let _ = write!(s, "; confused with `{other}` ×{}", c.count);
            if let Some(x) = c.similarity {
                let _ = write!(s, " (descriptions {:.0}% alike)", x * 100.0);
            }
        }
        s
    }
}

/// One failing tune task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Failure {
    pub task: String,
    pub prompt: String,
    /// The expectation as written in the suite (compact JSON).
    pub expected: String,
    /// The calls of the first failing trial, `name(arguments)`; empty for no call.
    pub actual: Vec<String>,
    pub outcome: Outcome,
    pub reason: String,
    /// Failing trials of the task, and its trials.
    pub failed: usize,
    pub trials: usize,
}

/// `expected` was wanted and `chosen` was called instead, `count` times.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Confused {
    pub expected: String,
    pub chosen: String,
    pub count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
}

/// `42.5% -> 61.0%` style pair of rates with intervals.
fn before_after(before: &Option<Rate>, after: &Option<Rate>) -> (String, String) {
    (rate(before), rate(after))
}

/// The markdown summary: the verdict, the before / after table on tune and holdout with
/// intervals, then each round with its word diffs and its rejections.
pub(crate) fn render_improve_markdown(r: &ImproveReport) -> String {
    let mut out = String::from("## tooleval improve\n\n");
    let kept = r
        .rounds
        .iter()
        .filter(|x| x.decision == Decision::Kept)
        .count();
    let _ = writeln!(
        out,
        "`{}`, model `{}`, writer `{}`: {} round(s), {kept} kept; the loop ended: {}.\n",
        r.eval,
        r.model.name,
        r.writer.name,
        r.rounds.len(),
        r.ended
    );
    if r.unconfirmed {
        out.push_str("> **Unconfirmed:** no task was held out, so every decision was made on the tasks the proposals were written from. Hold some tasks out (`split: holdout`) before trusting the gain.\n\n");
    }
    out.push_str("| | tune full call | holdout full call | tool tokens |\n|---|---|---|---|\n");
    for (name, s) in [("before", &r.before), ("after", &r.after)] {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            rate(&s.tune),
            if r.unconfirmed {
                "not held out".into()
            } else {
                rate(&s.holdout)
            },
            s.tool_tokens
        );
    }
    let _ = writeln!(
        out,
        "\n{} tune task(s), {} holdout task(s), {} trial(s) each; the holdout was consulted {} time(s), only to keep or reject. Model requests: {} (estimated at most {}).\n",
        r.tune_tasks,
        r.holdout_tasks,
        r.trials,
        r.holdout_consulted,
        r.requests.sent_line(),
        r.requests.estimated
    );
    if let Some(f) = &r.descriptions_file {
        let _ = writeln!(
            out,
            "The kept texts are in `{f}`: `tooleval run EVAL --descriptions {f}` runs them; port them to the server when they hold.\n"
        );
    }
    for round in &r.rounds {
        write_round(&mut out, round);
    }
    out
}

/// One round: its decision and why, the evidence, the proposals rejected before they ran, and
/// what the run measured.
fn write_round(out: &mut String, round: &Round) {
    let _ = writeln!(
        out,
        "### Round {}: {}\n\n{}\n",
        round.round,
        round.decision.as_str(),
        round.why
    );
    for e in &round.evidence {
        let _ = writeln!(out, "- `{}`: {}", e.tool, e.why());
    }
    if !round.evidence.is_empty() {
        out.push('\n');
    }
    for (i, a) in round.attempts.iter().enumerate() {
        if let Some(why) = &a.rejected {
            let _ = writeln!(
                out,
                "Proposal {} rejected before it ran: {}\n",
                i + 1,
                why.replace('\n', " ")
            );
        }
    }
    if let Some(m) = &round.measured {
        write_measured(out, m);
    }
}

/// A round's run: before and after with the paired test, the tasks fixed and broken, and the
/// texts changed.
fn write_measured(out: &mut String, m: &Measured) {
    out.push_str("| | before | after | paired test |\n|---|---|---|---|\n");
    let mut row = |name: &str, c: &Compared| {
        let (b, a) = before_after(&c.before, &c.after);
        let test = c
            .test
            .as_ref()
            .map_or_else(|| "n/a".into(), super::text::test_short);
        let _ = writeln!(out, "| {name} ({} tasks) | {b} | {a} | {test} |", c.tasks);
    };
    row("tune", &m.tune);
    if let Some(h) = &m.holdout {
        row("holdout", h);
    }
    let _ = writeln!(
        out,
        "| tool tokens | {} | {} | |\n",
        m.tool_tokens.0, m.tool_tokens.1
    );
    for (name, c) in [("tune", Some(&m.tune)), ("holdout", m.holdout.as_ref())] {
        let Some(c) = c else { continue };
        if !c.fixed.is_empty() {
            let _ = writeln!(out, "Fixed on {name}: {}", ids(&c.fixed));
        }
        if !c.regressed.is_empty() {
            let _ = writeln!(out, "Broken on {name}: {}", ids(&c.regressed));
        }
    }
    out.push('\n');
    out.push_str(&super::markdown::diff_tools(&m.changes).replacen(
        "### Tool changes",
        "#### Texts changed",
        1,
    ));
}

fn ids(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The kept texts as a descriptions file: a header, then each tool with a comment saying why
/// it changed. Texts without line breaks are written as folded blocks wrapped to `width`.
pub(crate) fn render_descriptions_file(
    file: &DescriptionsFile,
    header: &[String],
    why: &BTreeMap<String, Vec<String>>,
) -> String {
    let mut out = String::new();
    for h in header {
        let _ = writeln!(out, "# {h}");
    }
    out.push_str(if file.tools.is_empty() {
        "tools: {}\n"
    } else {
        "tools:\n"
    });
    for (name, text) in &file.tools {
        for w in why.get(name).into_iter().flatten() {
            for line in textwrap::wrap(w, 94) {
                let _ = writeln!(out, "  # {line}");
            }
        }
        if text.description.is_none() && text.parameters.is_empty() {
            let _ = writeln!(out, "  {}: {{}}", yaml_key(name));
            continue;
        }
        let _ = writeln!(out, "  {}:", yaml_key(name));
        if let Some(d) = &text.description {
            let _ = writeln!(out, "    description: {}", yaml_text(d, 6));
        }
        if !text.parameters.is_empty() {
            out.push_str("    parameters:\n");
            for (p, d) in &text.parameters {
                let _ = writeln!(out, "      {}: {}", yaml_key(p), yaml_text(d, 8));
            }
        }
    }
    if !file.servers.is_empty() {
        out.push_str("servers:\n");
        for (name, text) in &file.servers {
            let _ = writeln!(out, "  {}:", yaml_key(name));
            let _ = writeln!(
                out,
                "    instructions: {}",
                yaml_text(&text.instructions, 6)
            );
        }
    }
    out
}

/// A key as YAML: plain when it is a simple name that YAML reads as a string, else quoted.
fn yaml_key(k: &str) -> String {
    const SPECIAL: [&str; 11] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "~", "nan",
    ];
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && !SPECIAL.contains(&k.to_ascii_lowercase().as_str())
        && !k.to_ascii_lowercase().starts_with(".inf");
    if plain {
        k.to_owned()
    } else {
        serde_json::to_string(k).unwrap_or_default()
    }
}

/// A text as YAML: a folded block (`>-`) wrapped between words when folding gives it back
/// exactly (one line, single spaces, no edge whitespace), else a quoted string.
fn yaml_text(text: &str, indent: usize) -> String {
    let foldable = !text.is_empty()
        && text.trim() == text
        && !text.contains("  ")
        && !text.chars().any(|c| c.is_control());
    if !foldable {
        return serde_json::to_string(text).unwrap_or_default();
    }
    let opts = textwrap::Options::new(96usize.saturating_sub(indent).max(40))
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let pad = " ".repeat(indent);
    let mut s = String::from(">-");
    for line in textwrap::wrap(text, opts) {
        let _ = write!(s, "\n{pad}{line}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descriptions_file_reads_back_as_written() {
        let mut file = DescriptionsFile::default();
        let long = "Look up who owns a service and which version it is running, with its dependencies. Static facts only: for whether it is up or healthy, use get_service_health. # not a comment";
        file.tools.insert(
            "get_service_status".into(),
            crate::config::ToolText {
                description: Some(long.into()),
                parameters: [
                    (
                        "fields".to_owned(),
                        "Which facts: owner,  version".to_owned(),
                    ),
                    ("x".to_owned(), " edge spaces ".to_owned()),
                ]
                .into_iter()
                .collect(),
            },
        );
        for key in ["null", "True", "1x", "-"] {
            file.tools
                .insert(key.into(), crate::config::ToolText::default());
        }
        file.tools.insert(
            "odd: name".into(),
            crate::config::ToolText {
                description: Some("two\nlines".into()),
                parameters: Default::default(),
            },
        );
        let why = BTreeMap::from([(
            "get_service_status".to_owned(),
            vec!["round 1: 2 failing tune task(s)".to_owned()],
        )]);
        let text = render_descriptions_file(&file, &["header".into()], &why);
        assert!(text.contains("  # round 1: 2 failing tune task(s)\n  get_service_status:\n"));
        assert!(text.contains("description: >-\n      Look up"), "{text}");
        let back = crate::config::Descriptions::parse(std::path::Path::new("x.yaml"), text)
            .unwrap()
            .file;
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&file).unwrap()
        );
    }
}
