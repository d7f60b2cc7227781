//! `tooleval report`: the HTML page of a report written before (a run's, a sweep's, an improve
//! loop's or a model matrix's), told apart by its `kind`.

use crate::cli::ReportArgs;
use crate::error::{Error, Result, exit};
use crate::output::Output;
use crate::report::{self, ImproveReport, SweepReport};

pub(crate) async fn report_command(out: &Output, args: ReportArgs) -> Result<i32> {
    let path = &args.report;
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    let name = path.display().to_string();
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: Option<String>,
    }
    let kind = serde_json::from_str::<Kind>(&text)
        .ok()
        .and_then(|k| k.kind)
        .unwrap_or_default();
    let parse_error = |e: serde_json::Error, what: &str| {
        Error::usage(
            format!(
                "{name}:{}:{}: not a tooleval {what} report: {e}",
                e.line(),
                e.column()
            ),
            Some(
                "`tooleval report` takes the JSON reports `run`, `sweep` and `improve` write, and a matrix's `-matrix.json`"
                    .to_owned(),
            ),
        )
    };
    let page = match kind.as_str() {
        "sweep" => report::render_sweep_html(
            &serde_json::from_str::<SweepReport>(&text).map_err(|e| parse_error(e, "sweep"))?,
        ),
        "matrix" => report::render_matrix_html(
            &serde_json::from_str::<report::Matrix>(&text).map_err(|e| parse_error(e, "matrix"))?,
        ),
        "improve" => report::render_improve_html(
            &serde_json::from_str::<ImproveReport>(&text).map_err(|e| parse_error(e, "improve"))?,
        ),
        _ => report::render_run_html(&report::parse_report(&text, &name)?),
    };
    let html = args.html.unwrap_or_else(|| path.with_extension("html"));
    write_page(out, &html, &page)?;
    Ok(exit::OK)
}

/// Writes a page and says where.
pub(crate) fn write_page(out: &Output, path: &std::path::Path, page: &str) -> Result<()> {
    out.write_file(path, page)?;
    out.say(&format!("page: {}\n", path.display()));
    Ok(())
}
