//! Terminal tables, one file per table, all laid out by `table(width)` and finished by
//! `laid_out`, which keeps identifiers, numbers and intervals whole.

mod diff;
mod dry_run;
mod findings;
mod improve;
mod matrix;
mod run;
mod sweep;
mod tools;
mod variants;

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};

pub(crate) use diff::{render_diff_table, render_lock_changes};
pub(crate) use dry_run::render_dry_run;
pub(crate) use findings::render_findings;
pub(crate) use improve::render_improve_table;
pub(crate) use matrix::render_matrix;
pub(crate) use run::{TaskRows, render_table};
pub(crate) use sweep::render_sweep_table;
pub(crate) use tools::{render_instructions, render_tools_table};
pub(crate) use variants::render_variants;

use super::diff::RateChange;
use crate::score::Rate;

/// A table in the house style, laid out for `width` columns.
fn table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}

/// A table as it is shown: laid out in columns, or, where its words cannot fit the width,
/// stacked as one block per row.
pub(crate) enum Laid {
    Columns(Box<Table>),
    Stacked(String),
}

impl std::fmt::Display for Laid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Laid::Columns(t) => t.fmt(f),
            Laid::Stacked(s) => f.write_str(s.trim_end_matches('\n')),
        }
    }
}

/// The table laid out for `width` columns so that no identifier, number or interval is split
/// across lines: every column is at least as wide as its widest word. Other columns get their
/// content's width, narrowed (widest first, never below their widest word) until the `prose`
/// columns (reasons, descriptions, hints) have half the room or all they need; the prose
/// columns share what is left and wrap between words. A table whose words cannot fit the
/// width is stacked instead: a block per row, its short columns on a first line and each prose
/// column on lines of its own, wrapped.
fn laid_out(t: Table, width: u16, prose: &[usize]) -> Laid {
    laid_out_dropping(t, width, prose, &[]).0
}

/// The rows of `t` as blocks: the first column, then the other short columns with their
/// headers (`expected: search_logs`) on one line, then each prose column (`why it failed:
/// ...`) wrapped under it.
fn stacked(t: &Table, width: u16, prose: &[usize], shown: &[usize]) -> String {
    let headers: Vec<String> = t
        .header()
        .map(|h| {
            h.cell_iter()
                .map(|c| c.content().replace('\n', " "))
                .collect()
        })
        .unwrap_or_default();
    let mut out = String::new();
    for row in t.row_iter() {
        let cells: Vec<String> = row
            .cell_iter()
            .map(|c| c.content().replace(['\n', NO_BREAK], " "))
            .collect();
        let named = |i: usize| match headers.get(i).filter(|h| !h.trim().is_empty()) {
            Some(h) => format!("{h}: {}", cells[i]),
            None => cells[i].clone(),
        };
        let mut head = Vec::new();
        for &i in shown
            .iter()
            .filter(|i| !prose.contains(i) && **i < cells.len())
        {
            if cells[i].trim().is_empty() {
                continue;
            }
            // A short column's header stays on the line of its value.
            head.push(if head.is_empty() {
                cells[i].clone()
            } else {
                named(i).replacen(": ", &format!(":{NO_BREAK}"), 1)
            });
        }
        out.push_str(&wrap(&head.join(" · "), width, "    ").replace(NO_BREAK, " "));
        out.push('\n');
        for &i in shown
            .iter()
            .filter(|i| prose.contains(i) && **i < cells.len())
        {
            if cells[i].trim().is_empty() {
                continue;
            }
            out.push_str(&wrap(&format!("  {}", named(i)), width, "    "));
            out.push('\n');
        }
    }
    out
}

/// `laid_out`, hiding the columns of `optional` (least needed first) while the words of the
/// table cannot fit the width; returns the headers of the hidden columns.
fn laid_out_dropping(
    mut t: Table,
    width: u16,
    prose: &[usize],
    optional: &[usize],
) -> (Laid, Vec<String>) {
    let n = t.column_count();
    let (word, full) = measure(&mut t);
    let mut shown: Vec<usize> = (0..n).collect();
    let mut hidden = Vec::new();
    // `│ a ┆ b │`: a border before each column and after the last, a space on each side.
    let room_for = |shown: &[usize]| usize::from(width).saturating_sub(3 * shown.len() + 1);
    for &i in optional {
        if shown.iter().map(|&c| word[c]).sum::<usize>() <= room_for(&shown) {
            break;
        }
        shown.retain(|&c| c != i);
        if let Some(column) = t.column_mut(i) {
            column.set_constraint(ColumnConstraint::Hidden);
        }
        if let Some(h) = t.header().and_then(|h| h.cell_iter().nth(i)) {
            hidden.push(h.content().replace('\n', " "));
        }
    }
    let room = room_for(&shown);
    if shown.iter().map(|&c| word[c]).sum::<usize>() > room {
        return (Laid::Stacked(stacked(&t, width, prose, &shown)), hidden);
    }
    let w = column_widths(&word, &full, &shown, prose, room);
    for (i, cw) in w.into_iter().enumerate() {
        if !shown.contains(&i) {
            continue;
        }
        if let Some(column) = t.column_mut(i) {
            // The width counts the padding, one space on each side.
            let with_padding = u16::try_from(cw.max(1) + 2).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(with_padding)));
        }
    }
    (Laid::Columns(Box::new(t)), hidden)
}

/// The widest word and the widest line of each column, header included.
fn measure(t: &mut Table) -> (Vec<usize>, Vec<usize>) {
    let n = t.column_count();
    let (mut word, mut full) = (vec![0usize; n], vec![0usize; n]);
    for row in t.header().into_iter().chain(t.row_iter()) {
        for (i, cell) in row.cell_iter().enumerate().take(n) {
            let text = cell.content();
            for line in text.lines() {
                full[i] = full[i].max(console::measure_text_width(line));
            }
            for w in text.split([' ', '\n']) {
                word[i] = word[i].max(console::measure_text_width(w));
            }
        }
    }
    (word, full)
}

/// The width of each column in `room`: the other columns shrink toward their widest word
/// first, then the prose columns share what is left, each at least its widest word.
fn column_widths(
    word: &[usize],
    full: &[usize],
    shown: &[usize],
    prose: &[usize],
    room: usize,
) -> Vec<usize> {
    let n = full.len();
    let mut w = full.to_vec();
    let fixed: Vec<usize> = shown
        .iter()
        .copied()
        .filter(|i| !prose.contains(i))
        .collect();
    // The prose columns aim at half the room between them (or their content, if less).
    let share = room / 2 / prose.len().max(1);
    let prose_aim: usize = prose
        .iter()
        .filter(|&&i| i < n)
        .map(|&i| full[i].min(share).max(word[i]))
        .sum();
    let mut fixed_sum: usize = fixed.iter().map(|&i| w[i]).sum();
    while fixed_sum + prose_aim > room {
        let Some(&i) = fixed
            .iter()
            .filter(|&&i| w[i] > word[i])
            .max_by_key(|&&i| w[i] - word[i])
        else {
            break;
        };
        w[i] -= 1;
        fixed_sum -= 1;
    }
    let mut left = room.saturating_sub(fixed_sum);
    let prose: Vec<usize> = prose.iter().copied().filter(|&i| i < n).collect();
    let wanted: usize = prose.iter().map(|&i| full[i]).sum::<usize>().max(1);
    for (k, &i) in prose.iter().enumerate() {
        // What the prose columns after this one need at the least: their widest words.
        let later: usize = prose[k + 1..].iter().map(|&j| word[j]).sum();
        let share = if k + 1 == prose.len() {
            left
        } else {
            (left * full[i] / wanted).min(left.saturating_sub(later))
        };
        w[i] = share.clamp(word[i], full[i].max(word[i]));
        left = left.saturating_sub(w[i]);
    }
    w
}

/// `text` wrapped to `width` columns at spaces only: an identifier (`logs-checkout-errors`,
/// `get_service_health`) or a number is never split, even where it is longer than a line. Lines
/// after the first start with `indent`.
pub(crate) fn wrap(text: &str, width: u16, indent: &str) -> String {
    let options = textwrap::Options::new(usize::from(width).max(20))
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .subsequent_indent(indent);
    textwrap::fill(text, options)
}

/// A space that a table does not break a line at.
const NO_BREAK: char = '\u{a0}';

/// `text` with the spaces of its intervals and equations made non-breaking: `50.0% [35.2,
/// 64.8]`, `+0.0 [-5.1, +5.1]` and `p = 1.000` stay on one line.
fn unbroken(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ' ' if depth > 0 || matches!(chars.peek(), Some('[' | '=')) || out.ends_with('=') => {
                out.push(NO_BREAK);
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A rate with its interval, kept on one line.
fn rate(r: &Option<Rate>) -> String {
    unbroken(&super::text::rate(r))
}

/// A change with its interval, kept on one line.
fn rate_change(c: &RateChange) -> String {
    unbroken(&super::text::rate_change(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_kept_whole() {
        assert_eq!(
            unbroken("50.0% [35.2, 64.8] / 10.0% [1.8, 40.4]"),
            "50.0%\u{a0}[35.2,\u{a0}64.8] / 10.0%\u{a0}[1.8,\u{a0}40.4]"
        );
        assert_eq!(unbroken("no interval here"), "no interval here");
    }

    #[test]
    fn wrapping_never_splits_an_identifier() {
        let text = wrap(
            "a services-notifications-owner-version b get_service_health c",
            20,
            "  ",
        );
        assert_eq!(
            text,
            "a\n  services-notifications-owner-version\n  b\n  get_service_health\n  c"
        );
    }

    #[test]
    fn no_word_is_split_across_lines() {
        let build = || {
            let mut t = table(40);
            t.set_header(["task", "why it failed"]);
            t.add_row([
                "services-notifications-owner-version",
                "expected `get_service_status`, called `rollback_deployment` and more words",
            ]);
            t
        };
        // Where the words fit, the table fits; the prose column wraps between words.
        let text = laid_out(build(), 64, &[1]).to_string();
        assert!(
            text.lines().all(|l| console::measure_text_width(l) <= 64),
            "{text}"
        );
        assert!(
            text.contains("services-notifications-owner-version"),
            "{text}"
        );
        assert!(text.contains("`rollback_deployment`"), "{text}");
        // Where they cannot, each row is a block: no word split, no line wider than asked.
        let text = laid_out(build(), 40, &[1]).to_string();
        assert_eq!(
            text,
            "services-notifications-owner-version\n  why it failed: expected\n    `get_service_status`, called\n    `rollback_deployment` and more words"
        );
    }
}
