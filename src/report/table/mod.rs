//! Terminal tables, one file per table, all laid out by `table(width)`.

mod diff;
mod findings;
mod run;
mod sweep;
mod tools;
mod variants;

use comfy_table::{ContentArrangement, Table, presets};

pub use diff::render_diff_table;
pub use findings::render_findings;
pub use run::render_table;
pub use sweep::render_sweep_table;
pub use tools::render_tools_table;
pub use variants::render_variants;

/// A table in the house style, laid out for `width` columns.
fn table(width: u16) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    t
}
