//! `tooleval improve`: the tune tasks' failures turned into proposed descriptions, each checked,
//! measured on tune and holdout, and kept only when the holdout confirms it.

use std::path::{Path, PathBuf};

use crate::cli::{Format, ImproveArgs};
use crate::error::{Result, exit};
use crate::files::check_writable;
use crate::improve::{self, Options};
use crate::output::Output;
use crate::report::{self, ImproveReport};
use crate::session::Session;

pub(crate) async fn improve_command(out: &Output, args: ImproveArgs) -> Result<i32> {
    let session = Session::load(&args.eval, &(&args.settings).into())?;
    session.one_model("improve")?;
    let eval = &session.eval.path;
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| report::default_path_in("improve", eval, session.started));
    let out_path = args.out.clone().unwrap_or_else(|| {
        let stem = eval
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "eval".into());
        eval.with_file_name(format!("{stem}-improved.yaml"))
    });
    // A bad place for the results should not cost a loop.
    check_writable(&report_path)?;
    check_writable(&out_path)?;
    if let Some(html) = &args.html {
        check_writable(html)?;
    }
    let table = args.format == Format::Table && !args.quiet;
    let options = Options {
        from: args.from.clone(),
        rounds: args.rounds,
        max_requests: args.max_requests,
        no_holdout: args.no_holdout,
        writer_model: args.writer_model.clone(),
        out: out_path,
        report: report_path.clone(),
        max_tools: usize::try_from(args.max_tools).unwrap_or(usize::MAX),
        max_tool_tokens: args.max_tool_tokens,
        alpha: args.alpha,
        cache: super::resolve::cache_settings(&args.cache),
        progress: table,
    };
    let prepared = improve::prepare(&session, &options).await?;
    improve::check_cost(&session, &prepared, &options)?;
    let finished = improve::run(out, &session, prepared, &options).await;
    show(out, &args, eval, &finished.report, &report_path, table)?;
    if let Some(e) = finished.error {
        return Err(e);
    }
    if finished.interrupted {
        return Ok(crate::run::interrupted_code());
    }
    Ok(exit::OK)
}

/// The loop's report written with its markdown summary (and page), the table or JSON shown,
/// and where the kept descriptions went.
fn show(
    out: &Output,
    args: &ImproveArgs,
    eval: &Path,
    r: &ImproveReport,
    report_path: &Path,
    table: bool,
) -> Result<()> {
    let written = crate::session::write_report(out, r, report_path)?;
    // `x.json` -> `x.md`; a report named `x.md` keeps its name, and the summary is `x.summary.md`.
    let summary: PathBuf = if written.extension().is_some_and(|e| e == "md") {
        written.with_extension("summary.md")
    } else {
        written.with_extension("md")
    };
    if let Err(e) = out.write_file(&summary, &report::render_improve_markdown(r)) {
        out.say(&e.render());
    }
    if table {
        out.say(&format!(
            "{}\n",
            report::wrap(&format!("the loop ended: {}", r.ended), out.width, "    ")
        ));
    }
    match args.format {
        Format::Json => out.print_json(r),
        Format::Table if table => {
            out.say(&format!("{}\n", report::render_improve_table(r, out.width)))
        }
        Format::Table => {}
    }
    out.say(&format!(
        "report: {}\nsummary: {}\n",
        written.display(),
        summary.display()
    ));
    if let Some(html) = &args.html {
        super::write_page(out, html, &report::render_improve_html(r))?;
    }
    match &r.descriptions_file {
        Some(f) => out.say(&format!(
            "{}\n",
            report::wrap(
                &format!(
                    "descriptions: {f} (next: `tooleval run {} --descriptions {f}`, then port the texts to the server)",
                    eval.display()
                ),
                out.width,
                "    "
            )
        )),
        None if r.kept.is_empty() => out.say("descriptions: none written: no proposal was kept\n"),
        None => out.say(&format!(
            "descriptions: not written (see the error below); the kept texts are in the last kept round's `{}-round-N.yaml` beside the report\n",
            written.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default()
        )),
    }
    Ok(())
}
