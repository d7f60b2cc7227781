//! `tooleval diff`: two reports compared: tools edited, accuracy moved, tasks fixed or broken.

use crate::cli::{DiffArgs, DiffFormat, FailOn};
use crate::error::{Error, Result};
use crate::gate;
use crate::gate::FailOn as Condition;
use crate::output::Output;
use crate::report::{self, DiffOptions, Verdict};

pub(crate) async fn diff_command(out: &Output, args: DiffArgs) -> Result<i32> {
    if let Some(c) = args
        .fail_on
        .iter()
        .find(|c| !matches!(c, FailOn::Regression | FailOn::SignificantRegression))
    {
        return Err(Error::usage(
            format!("`diff --fail-on` takes `regression` and `significant-regression`, not {c:?}"),
            Some("the other conditions belong to `run` and `merge`".to_owned()),
        ));
    }
    let base = report::read_report(&args.base)?;
    let head = report::read_report(&args.head)?;
    let mut d = report::diff_reports(
        &base,
        &head,
        DiffOptions {
            common_tasks: args.common_tasks,
            alpha: args.alpha,
        },
    )?;
    // Each side by its file: two runs of one model differ in what the files hold.
    d.base.file = Some(args.base.display().to_string());
    d.head.file = Some(args.head.display().to_string());
    let conditions: Vec<Condition> = args.fail_on.iter().copied().map(Condition::from).collect();
    let failures = gate::evaluate(&conditions, &head, Some(&d), None, None);
    let code = gate::exit_code(&failures);
    let verdict = Verdict {
        checked: !args.fail_on.is_empty(),
        failures,
        baseline: Some(args.base.display().to_string()),
    };
    match args.format {
        DiffFormat::Table => out.print(&report::render_diff_table(&d, out.width, false)),
        DiffFormat::Markdown => out.print(&report::render_diff_markdown(&d, &verdict)),
        DiffFormat::Json => out.print_json(&d),
    }
    if let Some(path) = &args.html {
        super::write_page(out, path, &report::render_diff_html(&d, &base, &head))?;
    }
    for why in &verdict.failures {
        out.fail(&why.message);
    }
    Ok(code)
}
