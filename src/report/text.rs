//! Text pieces several renderers share: percentages, rates with their intervals, rate changes,
//! failure reasons before and after, and word diffs with markers.

use super::diff::{RateChange, ReportDiff, WordChange};
use crate::score::Rate;

/// What the run covered: `40 tasks × 1 trial(s)`, or for a shard `shard 1/3: 14 of 40 tasks ×
/// 1 trial(s)` (with several trials, the shard's share of trials: `shard 1/3: 67 of 200 trials
/// (40 tasks × 5)`).
pub(super) fn scope(r: &super::Report) -> String {
    let tasks = r.task_count();
    let trials = r.eval.trials.max(1) as usize;
    let Some(shard) = r.shard else {
        let s = if tasks == 1 { "" } else { "s" };
        return format!("{tasks} task{s} × {trials} trial(s)");
    };
    // Jobs are numbered task by task and trial by trial; a shard runs those whose number modulo
    // its count is its index - 1.
    let (i, n) = (shard.index as usize, shard.count.max(1) as usize);
    let mine = |j: usize| j % n == (i + n - 1) % n;
    if trials == 1 {
        let k = (0..tasks).filter(|&t| mine(t)).count();
        format!("shard {i}/{n}: {k} of {tasks} tasks × 1 trial(s)")
    } else {
        let k = (0..tasks * trials).filter(|&j| mine(j)).count();
        format!(
            "shard {i}/{n}: {k} of {} trials ({tasks} tasks × {trials})",
            tasks * trials
        )
    }
}

/// A line of the conversation figures: its label, and its value as a rate (drawn as a bar on a
/// page) or as text.
pub(super) enum Figure {
    Rate(Rate),
    Text(String),
}

/// The conversation figures of a run, as the table and the page show them: the pass rate,
/// pass@k and pass^k when there are several trials, and a simulated user's measures.
pub(super) fn conversation_figures(
    c: &crate::score::ConversationTotals,
    trials: u32,
) -> Vec<(String, Figure)> {
    let mut rows = Vec::new();
    let s = if c.tasks == 1 { "" } else { "s" };
    if let Some(p) = c.pass_rate {
        rows.push((
            format!("conversations ({} task{s}): passing", c.tasks),
            Figure::Rate(p),
        ));
    }
    if trials > 1
        && let (Some(at), Some(hat)) = (c.pass_at_k, c.pass_hat_k)
    {
        rows.push((
            format!("conversations: pass@{trials} (some trial passed)"),
            Figure::Rate(at),
        ));
        rows.push((
            format!("conversations: pass^{trials} (every trial passed)"),
            Figure::Rate(hat),
        ));
    }
    rows.push((
        "conversations: user messages / questions asked".to_owned(),
        Figure::Text(format!(
            "{} / {} over {} trials",
            c.user_turns, c.questions, c.trials
        )),
    ));
    if let Some(g) = c.goal_met {
        rows.push(("simulated users: goal met".to_owned(), Figure::Rate(g)));
    }
    if let Some(m) = c.mean_turns_to_goal {
        rows.push((
            "simulated users: messages to the goal (mean)".to_owned(),
            Figure::Text(format!("{m:.1}")),
        ));
    }
    // The user models' tokens are shown with their cost, beside the judge's (`cost_lines`).
    if let Some(a) = c.asked_before_acting {
        rows.push((
            "asked before acting (no argument invented)".to_owned(),
            Figure::Rate(a),
        ));
    }
    rows
}

pub(crate) use crate::text::dollars;

/// What the two runs of a diff cost, and the tasks whose cost changed most: `cost: $0.37 ->
/// $0.06 (-83%); most changed: a $0.10 -> $0.01, ...`.
pub(super) fn cost_change(d: &ReportDiff) -> Option<String> {
    let c = d.cost.as_ref()?;
    let side = |x: Option<f64>| x.map_or_else(|| "unknown".to_owned(), dollars);
    let change = match (c.base, c.head) {
        (Some(b), Some(h)) if b > 0.0 => format!(" ({:+.0}%)", (h - b) / b * 100.0),
        _ => String::new(),
    };
    let mut line = format!("cost: {} -> {}{change}", side(c.base), side(c.head));
    if !c.tasks.is_empty() {
        let tasks: Vec<String> = c
            .tasks
            .iter()
            .map(|(id, b, h)| format!("{id} {} -> {}", dollars(*b), dollars(*h)))
            .collect();
        line.push_str(&format!("; most changed: {}", tasks.join(", ")));
    }
    Some(line)
}

/// The tokens and what they cost, as the table and the page show them: the tokens with the
/// prompt cache's share apart, then the cost at the report's price (or why it is unknown); then
/// the tokens and cost of each model that helped measure, and the cost in all.
pub(super) fn cost_lines(r: &super::Report) -> Vec<(String, String)> {
    let s = &r.summary;
    let mut rows = model_cost_lines(r);
    // The models that helped measure, each apart.
    for h in &s.helpers {
        let t = &h.tokens;
        let cost = match h.dollars {
            Some(d) => dollars(d),
            None => format!("price unknown: no price for `{}`", h.model),
        };
        rows.push((
            format!("{} `{}` (prompt / completion)", h.role.as_str(), h.model),
            format!("{} / {}; {cost}", t.prompt, t.completion),
        ));
    }
    if let Some(all) = s.cost_in_all() {
        if s.helpers.iter().any(|h| h.dollars.is_some()) {
            let unknown = s.helpers.iter().any(|h| h.dollars.is_none());
            rows.push((
                "cost in all".to_owned(),
                format!(
                    "{}{}",
                    dollars(all),
                    if unknown {
                        " and the helpers with no known price"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if let Some(row) = costliest(r, all) {
            rows.push(("costliest tasks".to_owned(), row));
        }
    }
    rows
}

/// The measured model's tokens and cost; nothing when it took no tokens (the baseline).
fn model_cost_lines(r: &super::Report) -> Vec<(String, String)> {
    let s = &r.summary;
    let t = &s.tokens;
    let mut rows = Vec::new();
    if t.prompt + t.completion == 0 {
        return rows;
    }
    let mut tokens = format!("{} / {}", t.prompt, t.completion);
    if t.cached + t.cache_writes > 0 {
        tokens.push_str(&format!(
            " ({} of the prompt read from the provider's cache, {} written to it: {})",
            t.cached,
            t.cache_writes,
            percent(t.cached as f64 / t.prompt.max(1) as f64)
        ));
    }
    rows.push(("tokens (prompt / completion)".to_owned(), tokens));
    match (&r.price, &s.cost) {
        (Some(p), Some(c)) => {
            let mut line = format!("{}, {} per trial", dollars(c.dollars), dollars(c.per_trial));
            if c.without_cache > c.dollars + 1e-12 {
                line.push_str(&format!(
                    "; {} without the provider's prompt cache",
                    dollars(c.without_cache)
                ));
            }
            line.push_str(&format!(
                "; at ${}/${} per million input/output tokens ({})",
                p.input, p.output, p.source
            ));
            rows.push(("cost".to_owned(), line));
        }
        _ => rows.push((
            "cost".to_owned(),
            format!(
                "unknown: no price for `{}` (give it `price:` in the eval, or pass --prices FILE)",
                r.model.name
            ),
        )),
    }
    rows
}

/// The tasks that cost most (three at most), each with its share of the run's cost; `None`
/// with fewer than two priced tasks or nothing spent.
fn costliest(r: &super::Report, total: f64) -> Option<String> {
    let mut tasks: Vec<(&str, f64)> = r
        .summary
        .tasks
        .iter()
        .filter_map(|t| t.cost.map(|c| (t.id.as_str(), c)))
        .filter(|(_, c)| *c > 0.0)
        .collect();
    if tasks.len() < 2 || total <= 0.0 {
        return None;
    }
    tasks.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    Some(
        tasks
            .iter()
            .take(3)
            .map(|(id, c)| format!("{id} {} ({})", dollars(*c), percent(c / total)))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// A task's cost for a cell: `$0.012`, or `-` without a price.
pub(super) fn task_cost(t: &crate::score::TaskSummary) -> String {
    t.cost.map_or_else(|| "-".to_owned(), dollars)
}

/// `72%`.
pub(super) fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// `72%`, or `-` without a value.
pub(super) fn pct(share: Option<f64>) -> String {
    share.map(percent).unwrap_or_else(|| "-".into())
}

/// `72.5% [61.2, 81.6]`, or `n/a` without a rate.
pub(super) fn rate(r: &Option<Rate>) -> String {
    r.as_ref()
        .map(Rate::display)
        .unwrap_or_else(|| "n/a".into())
}

/// A change in points with its interval, `+2.5 [-1.0, +6.0]`; without an interval the change
/// alone; `n/a` without either rate.
pub(super) fn rate_change(c: &RateChange) -> String {
    match (c.diff, c.low, c.high) {
        (Some(d), Some(l), Some(h)) => {
            format!("{:+.1} [{:+.1}, {:+.1}]", d * 100.0, l * 100.0, h * 100.0)
        }
        (Some(d), _, _) => format!("{:+.1}", d * 100.0),
        _ => "n/a".into(),
    }
}

/// A paired test in short: `+3.3 points, p = 1.000`, marked `(significant)` below its alpha.
pub(crate) fn test_short(t: &crate::score::PairedTest) -> String {
    format!(
        "{:+.1} points, p = {:.3}{}",
        t.mean_diff * 100.0,
        t.p_value,
        if t.significant() {
            " (significant)"
        } else {
            ""
        }
    )
}

/// The two accuracies a diff compares, named as every rendering names them.
pub(super) fn accuracy_changes(d: &ReportDiff) -> Vec<(String, &RateChange)> {
    let mut rows = vec![
        ("tool selection accuracy".to_owned(), &d.selection),
        ("full-call accuracy".to_owned(), &d.full_call),
    ];
    if let Some(s) = &d.search_hit {
        rows.push(("search hit rate".to_owned(), s));
    }
    if let Some(c) = &d.conversations {
        let k = match c.k {
            (b, h) if b == h => b.to_string(),
            (b, h) => format!("{b}→{h}"),
        };
        rows.push((format!("conversations: pass@{k}"), &c.pass_at_k));
        rows.push((format!("conversations: pass^{k}"), &c.pass_hat_k));
    }
    rows
}

/// Why a task failed before and after: one reason when it did not change.
pub(super) fn reason_change(base: &Option<String>, head: &Option<String>) -> String {
    match (base, head) {
        (Some(b), Some(h)) if b == h => h.clone(),
        (Some(b), Some(h)) => format!("{b} -> {h}"),
        (Some(b), None) => format!("was: {b}"),
        (None, Some(h)) => h.clone(),
        (None, None) => String::new(),
    }
}

/// How a word diff is marked up.
pub(super) struct WordMarks {
    /// Before and after a deleted run.
    pub delete: (&'static str, &'static str),
    /// Before and after an inserted run.
    pub insert: (&'static str, &'static str),
    /// Whether an inserted run right after a deleted one needs a space before it (so the old
    /// words and the new read apart).
    pub space_between: bool,
    /// What every text goes through (escaping for HTML and markdown).
    pub escape: fn(&str) -> String,
}

/// A word diff as one line, deleted and inserted runs marked. The spaces at either end of a run
/// stay outside its marks, where they separate the words around it: markdown renders emphasis
/// only when the markers hug the words (`~~ a~~` stays literal), and a page that dropped them
/// would run two words together.
pub(super) fn word_diff_text(changes: &[WordChange], marks: &WordMarks) -> String {
    let esc = marks.escape;
    let mut out = String::new();
    for (i, c) in changes.iter().enumerate() {
        let (open, close) = match c.op.as_str() {
            "delete" => marks.delete,
            "insert" => marks.insert,
            _ => {
                out.push_str(&esc(&c.text));
                continue;
            }
        };
        let core = c.text.trim();
        if core.is_empty() {
            out.push_str(&esc(&c.text));
            continue;
        }
        let start = c.text.len() - c.text.trim_start().len();
        let lead = &c.text[..start];
        let trail = &c.text[start + core.len()..];
        let touches_deleted = i > 0
            && changes[i - 1].op == "delete"
            && lead.is_empty()
            && !changes[i - 1].text.ends_with(char::is_whitespace);
        if c.op == "insert" && marks.space_between && touches_deleted {
            out.push(' ');
        }
        out.push_str(&esc(lead));
        out.push_str(open);
        out.push_str(&esc(core));
        out.push_str(close);
        out.push_str(&esc(trail));
    }
    out
}

/// A word diff of a text of many lines (a server's instructions) as the lines that hold a
/// change, marked as [`word_diff_text`] marks them; each run of two or more unchanged lines
/// between them is one line saying how many were left out.
pub(super) fn changed_lines(changes: &[WordChange], marks: &WordMarks) -> Vec<String> {
    let text = word_diff_text(changes, marks);
    // The marks add no line ends, so the lines of the diff are those of the text.
    let mut changed = vec![false; text.matches('\n').count() + 1];
    let mut line = 0;
    for c in changes {
        let core = c.text.trim();
        if c.op != "equal" && !core.is_empty() {
            let lead = c.text.len() - c.text.trim_start().len();
            let start = line + c.text[..lead].matches('\n').count();
            let end = start + core.matches('\n').count();
            changed[start..=end].iter_mut().for_each(|x| *x = true);
        }
        line += c.text.matches('\n').count();
    }
    fn flush(out: &mut Vec<String>, unchanged: &mut Vec<&str>) {
        match unchanged.len() {
            0 => {}
            1 => out.push(unchanged[0].to_owned()),
            n => out.push(format!("… {n} unchanged lines")),
        }
        unchanged.clear();
    }
    let mut out = Vec::new();
    let mut unchanged: Vec<&str> = Vec::new();
    // A last line end ends the last line; it starts none.
    let text = text.strip_suffix('\n').unwrap_or(&text);
    for (l, is_changed) in text.split('\n').zip(changed) {
        if is_changed {
            flush(&mut out, &mut unchanged);
            out.push(l.to_owned());
        } else {
            unchanged.push(l);
        }
    }
    flush(&mut out, &mut unchanged);
    out
}

/// Text as it is.
pub(super) fn plain(text: &str) -> String {
    text.to_owned()
}

/// Text for HTML inline in markdown: `&`, `<` and `>` as entities, so a description holding
/// `<path>` is shown, not taken for a tag.
pub(super) fn markdown_inline(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The schemas a provider was sent converted, in a line: how many tools, the features changed
/// or dropped (the most frequent first), and where to see each change.
pub(crate) fn converted_note(c: &crate::mcp::Converted) -> String {
    let features: Vec<String> = c
        .features()
        .into_iter()
        .map(|(f, n)| {
            if n > 1 {
                format!("`{f}` ×{n}")
            } else {
                format!("`{f}`")
            }
        })
        .collect();
    format!(
        "{} was sent {} tool schema(s) converted ({}): `tooleval lint --provider {}` lists each change",
        c.provider.title(),
        c.tools.len(),
        features.join(", "),
        c.provider
    )
}

/// What a report says of its host, line by line: which host, deferral and what the first
/// request costs, then what it did to tools (a few one by one, many counted by kind).
pub(crate) fn host_lines(h: &crate::report::HostInfo) -> Vec<String> {
    let title = h
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let tokens = h
        .first_request_tool_tokens
        .map(|n| format!("{n} tokens of tool definitions"))
        .into_iter()
        .chain(h.system_tokens.map(|n| format!("{n} of host system text")))
        .collect::<Vec<_>>()
        .join(" and ");
    let how = match &h.search_tool {
        Some(s) => format!("tools deferred behind `{s}`"),
        None => "every tool in every request".to_owned(),
    };
    let refused = h
        .findings
        .iter()
        .any(|f| f.effect == crate::host::Effect::Refused);
    let mut lines = vec![if refused {
        format!("host: {}{title}: it would refuse every request", h.name)
    } else {
        format!(
            "host: {}{title}: {how}; the first request carries {tokens}",
            h.name
        )
    }];
    if h.findings.len() <= 3 {
        lines.extend(h.findings.iter().map(|f| format!("note: {}", f.message)));
    } else {
        let mut kinds: Vec<(crate::host::Effect, Vec<&str>)> = Vec::new();
        for f in &h.findings {
            let name = f.tool.as_deref().unwrap_or("(request)");
            match kinds.iter_mut().find(|(e, _)| *e == f.effect) {
                Some((_, names)) => names.push(name),
                None => kinds.push((f.effect, vec![name])),
            }
        }
        for (effect, names) in kinds {
            lines.push(format!(
                "note: {} {} {} tool{} ({}); the report lists each",
                h.name,
                effect.verb(),
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                crate::report::first_few(&names, 3)
            ));
        }
    }
    lines
}
