//! A model (or host) matrix for a terminal: accuracy per entry, each pair compared, and the
//! tasks where they disagree (every task with `verbose`). A host matrix shows the tool tokens
//! of each host's first request and its search hit rate.

use std::fmt::Write as _;

use comfy_table::Cell;

use super::{laid_out, laid_out_dropping, rate, table, unbroken};
use crate::report::matrix::Matrix;

pub(crate) fn render_matrix(m: &Matrix, width: u16, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", models_table(m, width));
    if let Some(line) = cheapest(m) {
        let _ = writeln!(out, "{line}");
    }
    if !m.pairs.is_empty() {
        let _ = writeln!(
            out,
            "each pair on the tasks both scored (full call, paired test):\n{}",
            pairs_table(m, width)
        );
    }
    let disagree = m.disagreements().count();
    let (them, each) = if m.axis == "host" {
        ("hosts", "host")
    } else {
        ("models", "model")
    };
    if verbose {
        let _ = writeln!(
            out,
            "every task ({}; the {them} disagree on {disagree}):\n{}",
            m.tasks.len(),
            tasks_table(m, width, false)
        );
    } else if disagree == 0 {
        let _ = writeln!(
            out,
            "every {each} has the same result on each of the {} tasks",
            m.tasks.len()
        );
    } else {
        let _ = writeln!(
            out,
            "tasks where the {them} disagree ({disagree} of {}; --verbose shows every task):\n{}",
            m.tasks.len(),
            tasks_table(m, width, true)
        );
    }
    out
}

fn models_table(m: &Matrix, width: u16) -> super::Laid {
    let mut t = table(width);
    let searched = m.models.iter().any(|x| x.search_hit_rate.is_some());
    let by_host = m.axis == "host";
    let mut header = vec![
        if by_host { "host" } else { "model" },
        if by_host { "tool tokens" } else { "provider" },
        "tool selection (95% CI)",
        "full call (95% CI)",
    ];
    if searched {
        header.push("search hit (95% CI)");
    }
    header.push("tokens in / out");
    header.push("cost");
    t.set_header(header);
    for model in &m.models {
        let mut name = model.label.clone();
        if !model.complete {
            name.push_str(" (incomplete)");
        }
        let second = if by_host {
            model
                .first_request_tool_tokens
                .map_or_else(|| "-".to_owned(), |n| n.to_string())
        } else {
            model.provider().to_owned()
        };
        let mut row = vec![
            Cell::new(name),
            Cell::new(second),
            Cell::new(rate(&model.selection)),
            Cell::new(rate(&model.full_call)),
        ];
        if searched {
            row.push(Cell::new(
                model
                    .search_hit_rate
                    .map_or_else(|| "-".to_owned(), |r| rate(&Some(r))),
            ));
        }
        row.push(Cell::new(format!(
            "{} / {}",
            model.prompt_tokens, model.completion_tokens
        )));
        row.push(Cell::new(
            model
                .cost
                .map_or_else(|| "unknown".to_owned(), crate::text::dollars),
        ));
        t.add_row(row);
    }
    // The token counts give way first on a narrow terminal.
    let last = if searched { 5 } else { 4 };
    laid_out_dropping(t, width, &[], &[last]).0
}

/// Which entry cost least per passing trial, among those with a price and a pass: accuracy
/// against cost in one line.
fn cheapest(m: &Matrix) -> Option<String> {
    let priced: Vec<_> = m
        .models
        .iter()
        .filter_map(|x| x.cost_per_pass().map(|c| (x, c)))
        .collect();
    let (best, per) = priced.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(format!(
        "cheapest per full-call pass: {} at {} a pass ({} of {} priced)",
        best.label,
        crate::text::dollars(*per),
        priced.len(),
        m.models.len()
    ))
}

fn pairs_table(m: &Matrix, width: u16) -> super::Laid {
    let mut t = table(width);
    t.set_header(["pair", "change", "passes where the other does not"]);
    for p in &m.pairs {
        let change = p.test.as_ref().map_or_else(
            || "no common task".to_owned(),
            |t| unbroken(&crate::report::text::test_short(t)),
        );
        let better: Vec<String> = p
            .better()
            .map(|(who, tasks)| format!("{who}: {}", tasks.join(", ")))
            .collect();
        t.add_row([
            Cell::new(format!("{} vs {}", p.b, p.a)),
            Cell::new(change),
            Cell::new(if better.is_empty() {
                "-".to_owned()
            } else {
                better.join("; ")
            }),
        ]);
    }
    laid_out(t, width, &[2])
}

fn tasks_table(m: &Matrix, width: u16, only_disagreeing: bool) -> super::Laid {
    let mut t = table(width);
    let mut header = vec!["task".to_owned()];
    header.extend(m.models.iter().map(|x| x.label.clone()));
    t.set_header(header);
    for task in &m.tasks {
        if only_disagreeing && !task.disagree {
            continue;
        }
        let mut row = vec![task.id.clone()];
        row.extend(
            task.cells
                .iter()
                .map(|c| c.as_ref().map_or_else(|| "-".to_owned(), |c| c.short())),
        );
        t.add_row(row);
    }
    laid_out(t, width, &[])
}
