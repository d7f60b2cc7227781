//! The rounds of `tooleval improve`, before and after.

use comfy_table::Cell;

use super::{laid_out, table};
use crate::report::ImproveReport;
use crate::report::text::rate;
use crate::score::Rate;

/// The terminal table: a row per round, then before and after.
pub(crate) fn render_improve_table(r: &ImproveReport, width: u16) -> String {
    let mut t = table(width);
    t.set_header([
        "round",
        "decision",
        "tune full call",
        "holdout full call",
        "tokens",
    ]);
    let held = |x: &Option<Rate>| {
        if r.unconfirmed {
            "not held out".to_owned()
        } else {
            rate(x)
        }
    };
    t.add_row([
        Cell::new("before"),
        Cell::new(""),
        Cell::new(rate(&r.before.tune)),
        Cell::new(held(&r.before.holdout)),
        Cell::new(r.before.tool_tokens),
    ]);
    for round in &r.rounds {
        let (tune, holdout, tokens) = match &round.measured {
            Some(m) => (
                rate(&m.tune.after),
                m.holdout
                    .as_ref()
                    .map_or_else(|| held(&None), |h| rate(&h.after)),
                m.tool_tokens.1.to_string(),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        t.add_row([
            Cell::new(round.round),
            Cell::new(round.decision.as_str()),
            Cell::new(tune),
            Cell::new(holdout),
            Cell::new(tokens),
        ]);
    }
    t.add_row([
        Cell::new("after"),
        Cell::new(""),
        Cell::new(rate(&r.after.tune)),
        Cell::new(held(&r.after.holdout)),
        Cell::new(r.after.tool_tokens),
    ]);
    laid_out(t, width, &[]).to_string()
}
