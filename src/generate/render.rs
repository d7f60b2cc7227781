//! The generated suite as a YAML file a person reviews: a header saying what it holds and how
//! to review it, each task with `source: generated`, its writer, its kind as a tag, its split
//! and, when the check failed it, `review:`; the tasks to review first listed again at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::task::{Generated, Kind, Outcome};
use crate::config::{Call, Mode, Split, yaml_flow, yaml_json as json, yaml_plain as plain};
use crate::mcp::ToolSet;

/// What the file says of itself.
pub(crate) struct Header<'a> {
    pub name: &'a str,
    pub tools: &'a ToolSet,
    pub outcome: &'a Outcome,
    pub mode: Mode,
    pub holdout: f64,
}

pub(crate) fn suite(h: &Header<'_>) -> String {
    let r = h.outcome;
    let mut s = String::from("# yaml-language-server: $schema=../schemas/suite.schema.json\n");
    let checked = match &r.checked_with {
        Some(m) => format!(", each task run once by `{m}`"),
        None => ", not checked".into(),
    };
    let _ = writeln!(
        s,
        "# Written by `tooleval generate`: {} task(s) by the writer `{}`{checked}.",
        r.tasks.len(),
        r.writer
    );
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    for t in &r.tasks {
        *kinds.entry(t.kind).or_insert(0) += 1;
    }
    let counts: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(s, "# Kinds (each task's first tag): {}.", counts.join(", "));
    }
    let held = r
        .tasks
        .iter()
        .filter(|t| t.split == Some(Split::Holdout))
        .count();
    if h.holdout > 0.0 {
        let _ = writeln!(
            s,
            "# {held} held out (`split: holdout`, about {:.0}% of each tool's tasks): `tooleval improve` confirms on them.",
            h.holdout * 100.0
        );
    }
    let reviews = r.tasks.iter().filter(|t| t.review.is_some()).count();
    if reviews > 0 {
        let _ = writeln!(
            s,
            "# REVIEW FIRST: {reviews} task(s) carry `review:`: the check model did not pass them, so the task or\n# the descriptions are wrong. They are listed at the end of this file."
        );
    }
    if r.interrupted || r.stopped.is_some() {
        s.push_str(
            "# The writing stopped early: this file holds the tasks written before, unchecked.\n",
        );
    }
    s.push_str(
        "# How to review: read each prompt as a user would send it; check that the expected tool is the\n\
         # one that serves it and that each argument check holds (`equals` only for values the prompt\n\
         # states). Edit or delete what is wrong, and delete `review:` once a task is right. Keep\n\
         # `source: generated`: reports count generated and hand-written tasks apart.\n",
    );
    let _ = writeln!(s, "name: {}", plain(h.name));
    let _ = writeln!(
        s,
        "description: {}",
        json(&format!(
            "Generated from the {} tool(s) of the server(s), for review.",
            h.tools.tools.len()
        ))
    );
    if h.mode == Mode::Agent {
        s.push_str("mode: agent\n");
    }
    if r.tasks.is_empty() {
        s.push_str("tasks: []\n");
    } else {
        s.push_str("tasks:\n");
    }
    for t in &r.tasks {
        task(&mut s, t, &r.writer);
    }
    if reviews > 0 {
        s.push_str("\n# Review first:\n");
        for t in r.tasks.iter().filter(|t| t.review.is_some()) {
            let _ = writeln!(s, "#   {}: {}", t.id, t.review.as_deref().unwrap_or(""));
        }
    }
    s
}

fn task(s: &mut String, t: &Generated, writer: &str) {
    let _ = writeln!(s, "  - id: {}", plain(&t.id));
    match (&t.pair, &t.missing, &t.tool) {
        (Some((a, b)), _, _) => {
            let _ = writeln!(s, "    # tells `{a}` from `{b}`");
        }
        (_, Some(m), Some(tool)) => {
            let _ = writeln!(
                s,
                "    # needs `{tool}` but leaves out `{m}`: the right move is to ask"
            );
        }
        _ => {}
    }
    let _ = writeln!(s, "    prompt: {}", json(&t.prompt));
    let _ = writeln!(s, "    tags: [{}, generated]", t.kind.as_str());
    s.push_str("    source: generated\n");
    let _ = writeln!(s, "    writer: {}", plain(writer));
    if let Some(split) = t.split {
        let _ = writeln!(s, "    split: {}", split.as_str());
    }
    if let Some(r) = &t.review {
        let _ = writeln!(s, "    review: {}", json(r));
    }
    match &t.expect {
        Some(call) => {
            s.push_str("    expect:\n");
            write_call(s, call, "      ");
        }
        None if t.trajectory.is_empty() => s.push_str("    expect: none\n"),
        None => {}
    }
    if !t.trajectory.is_empty() {
        s.push_str("    trajectory:\n      calls:\n");
        for c in &t.trajectory {
            let _ = writeln!(
                s,
                "        - {}",
                yaml_flow(&serde_json::to_value(c).unwrap_or_default())
            );
        }
        s.push_str("      order: in_order\n");
    }
    if !t.answer.is_empty() {
        let checks: Vec<serde_json::Value> = t
            .answer
            .iter()
            .map(|a| serde_json::json!({ "contains": a }))
            .collect();
        let _ = writeln!(
            s,
            "    answer: {}",
            yaml_flow(&serde_json::Value::Array(checks))
        );
    } else if t.asks {
        // The model should ask for what is missing: its answer is a question.
        s.push_str("    answer: { regex: '\\?' }\n");
    }
}

fn write_call(s: &mut String, c: &Call, indent: &str) {
    let _ = writeln!(s, "{indent}tool: {}", plain(&c.tool));
    if !c.args.is_empty() {
        let _ = writeln!(s, "{indent}args:");
        for (name, m) in &c.args {
            let _ = writeln!(s, "{indent}  {}: {}", plain(name), yaml_flow(&m.to_value()));
        }
    }
}
