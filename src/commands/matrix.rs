//! `tooleval run` with several models (`models:` in the eval, or `--model` more than once) or
//! several hosts (`hosts:`, or `--host` more than once): the suite asked of every model, or
//! under every host, at once on one tool listing (the eval's concurrency shared, each model's
//! rate limits its own), a report per entry, and the combined summary (`<report>-matrix.json`)
//! shown as a table of entries, pairs and tasks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{Format, RunArgs};
use crate::config::Descriptions;
use crate::error::{Error, Result, exit};
use crate::gate::GateSettings;
use crate::model::{self, CacheSettings, Model};
use crate::output::Output;
use crate::report::{self, Report};
use crate::run::{ExecOptions, Shared};
use crate::session::{self, Ended, Finish, Plan, Prepare, Session, Texts};

use super::watch::Runs;

/// One model (or host) of the matrix: how it is named, where its report and page go.
struct Entry {
    label: String,
    config: crate::config::ModelConfig,
    model: Arc<dyn Model>,
    /// The host it presents the tools as (`None`: the raw API).
    host: Option<Arc<crate::config::HostProfile>>,
    out: PathBuf,
    html: Option<PathBuf>,
}

/// A matrix run; under `--watch`, each model (or host) says what the edit did against its own
/// report of the run before, and `runs` keeps its report.
pub(crate) async fn run_matrix(
    out: &Output,
    args: &RunArgs,
    session: Session,
    runs: Option<&mut Runs>,
) -> Result<i32> {
    refuse_per_model_options(args)?;
    let cache = super::resolve::cache_settings(&args.cache);
    let gate = GateSettings::from(&args.gate);
    let split = args.split.map(Into::into);
    let (entries, summary_path) = entries(args, &session, &cache)?;
    let writes = entries
        .iter()
        .flat_map(|e| std::iter::once(e.out.as_path()).chain(e.html.as_deref()))
        .chain([summary_path.as_path()])
        .chain(args.html.as_deref());
    let descriptions = args
        .descriptions
        .as_deref()
        .map(Descriptions::load)
        .transpose()?;
    let progress = !args.quiet && args.format == Format::Table;
    let prepare = Prepare {
        writes: writes.collect(),
        gate: Some(&gate),
        split,
        cache: &cache,
        progress,
        check_listing: true,
    };
    // The models were built above, before any server starts.
    let ((), prepared) = session
        .prepare(prepare, || Ok(((), session.judge(&cache)?)))
        .await?;
    if let Some(d) = &descriptions {
        let listed = &prepared.listed;
        let (mut tools, mut servers) = (listed.tools.clone(), listed.servers.clone());
        crate::mcp::apply_descriptions(&mut tools, &mut servers, d)?;
    }
    // The lock, as a single run checks it: before any request.
    if let Some(code) = super::lock::check_before_run(
        out,
        &args.eval,
        &prepared.listed,
        args.update_lock,
        gate.fail_on.contains(&crate::gate::FailOn::ToolsChanged),
    )
    .await?
    {
        return Ok(code);
    }
    check_cost(
        out,
        args,
        &session,
        &entries,
        &prepared.tasks,
        &prepared.listed,
    )?;
    let plan = Plan {
        tasks: prepared.tasks,
        opts: prepared.opts,
        model: entries[0].model.clone(),
        listed: prepared.listed,
    };
    let measured = measure_all(
        out,
        &session,
        &plan,
        &entries,
        descriptions.as_ref(),
        split,
        progress,
    )
    .await;
    let Models {
        code,
        reports,
        mut stops,
    } = finish_models(out, args, &session, &gate, &entries, measured, runs)?;
    write_matrix(out, args, &reports, &summary_path)?;
    if let Some(live) = &plan.listed.live {
        live.close().await;
    }
    // Each model that stopped at a failure no retry cures says why; the last error is the
    // command's.
    match stops.pop() {
        Some(last) => {
            for e in stops {
                out.say(&e.render());
            }
            Err(last)
        }
        None => Ok(code),
    }
}

/// Says what each entry may cost at most, before the first request, and holds their sum to
/// the eval's `max_cost`: one budget for every model of the matrix.
fn check_cost(
    out: &Output,
    args: &RunArgs,
    session: &Session,
    entries: &[Entry],
    tasks: &[crate::run::PlannedTask],
    listed: &session::Listed,
) -> Result<()> {
    let estimates: Vec<_> = entries
        .iter()
        .map(|e| session.estimate(tasks, &listed.tools, &e.config.name, 1))
        .collect();
    if !args.quiet && args.format == Format::Table {
        for (entry, e) in entries.iter().zip(&estimates) {
            if !crate::config::is_baseline(&entry.config.name) || !e.helpers.is_empty() {
                let line = e.line(&entry.label, &entry.config.name);
                out.say(&format!("{}\n", report::wrap(&line, out.width, "  ")));
            }
        }
    }
    let mut unpriced = None;
    let mut total = Some(0.0);
    for (entry, e) in entries.iter().zip(&estimates) {
        match e.dollars() {
            Some(d) => total = total.map(|t| t + d),
            None => {
                total = None;
                unpriced = unpriced.or(e.unpriced(&entry.config.name));
            }
        }
    }
    let requests = estimates
        .iter()
        .map(|e| e.requests + e.helpers.iter().map(|h| h.requests).sum::<u64>())
        .sum();
    session.hold_cost_cap(
        "the matrix",
        total,
        unpriced.unwrap_or_default(),
        requests,
        "raise --max-cost (or `max_cost:` in the eval), or run fewer models, trials or a --split; the estimate counts every turn an agent task may take and no prompt cache, so a real run usually costs less",
    )
}

/// Variants and shards are one model's: refused with several.
fn refuse_per_model_options(args: &RunArgs) -> Result<()> {
    if !args.variant.is_empty() || args.shard.is_some() {
        Err(Error::usage(
            format!(
                "{} cannot run with several models or hosts",
                if args.shard.is_some() {
                    "--shard"
                } else {
                    "--variant"
                }
            ),
            Some("run one model and one host at a time (`--model NAME`, `--host NAME`) for variants or shards".to_owned()),
        ))
    } else {
        Ok(())
    }
}

/// Every model of the matrix built (each that cannot be set up named at once), labelled, and
/// given its report's and page's paths; and the path of the combined summary.
fn entries(
    args: &RunArgs,
    session: &Session,
    cache: &CacheSettings,
) -> Result<(Vec<Entry>, PathBuf)> {
    let eval = &session.eval;
    if eval.hosts.len() > 1 {
        return host_entries(args, session, cache);
    }
    // Every model is built before any server starts: a missing key should not wait for them.
    // Every model that cannot be set up is named at once, not the first alone.
    let (built, failed): (Vec<_>, Vec<_>) = eval
        .models
        .iter()
        .map(|m| session.capped(m, cache))
        .partition(Result::is_ok);
    if let Some(e) = Error::all(failed.into_iter().filter_map(Result::err).collect()) {
        return Err(e);
    }
    let built: Vec<Arc<dyn Model>> = built.into_iter().filter_map(Result::ok).collect();
    let infos: Vec<_> = built.iter().map(|m| m.info()).collect();
    let labels = report::matrix_labels(&infos);
    // The eval's `models` are checked as it is read; the command line's here.
    if let Some(i) = first_repeat(&labels) {
        return Err(Error::usage(
            format!(
                "`--model` names `{}` ({}) twice",
                infos[i].name,
                report::provider_name(&infos[i].kind)
            ),
            Some("each model runs once: drop the repeated `--model`".to_owned()),
        ));
    }
    let (paths, summary_path) = entry_paths(args, session, &labels);
    let entries: Vec<Entry> = built
        .into_iter()
        .zip(labels.iter().zip(paths))
        .zip(&eval.models)
        .map(|((model, (label, (out, html))), config)| Entry {
            config: config.clone(),
            out,
            html,
            label: label.clone(),
            model,
            host: eval.host(),
        })
        .collect();
    Ok((entries, summary_path))
}

/// A host matrix: the eval's model under each host, labelled by the host.
fn host_entries(
    args: &RunArgs,
    session: &Session,
    cache: &CacheSettings,
) -> Result<(Vec<Entry>, PathBuf)> {
    let eval = &session.eval;
    if eval.models.len() > 1 {
        return Err(Error::usage(
            format!(
                "{} models and {} hosts: a matrix is of models or of hosts",
                eval.models.len(),
                eval.hosts.len()
            ),
            Some("run each model's host matrix apart (`--model NAME`), or each host's model matrix (`--host NAME`)".to_owned()),
        ));
    }
    let labels: Vec<String> = eval.hosts.iter().map(|h| h.name.clone()).collect();
    if let Some(i) = first_repeat(&labels) {
        return Err(Error::usage(
            format!("the host `{}` is named twice", labels[i]),
            Some("each host runs once: drop the repeated `--host`".to_owned()),
        ));
    }
    let (paths, summary_path) = entry_paths(args, session, &labels);
    let mut entries = Vec::new();
    for ((profile, label), (out, html)) in eval.hosts.iter().zip(&labels).zip(paths) {
        entries.push(Entry {
            config: eval.model.clone(),
            model: session.capped(&eval.model, cache)?,
            out,
            html,
            label: label.clone(),
            host: (!profile.is_raw()).then(|| Arc::new(profile.clone())),
        });
    }
    Ok((entries, summary_path))
}

/// Every model at once: the eval's concurrency bounds the requests on the wire in all, each
/// model keeps its own rate limits (waiting on them takes no slot), and one Ctrl-C stops them
/// all. Each model's report and how its measurement ended, in the entries' order.
async fn measure_all(
    out: &Output,
    session: &Session,
    plan: &Plan,
    entries: &[Entry],
    descriptions: Option<&Descriptions>,
    split: Option<crate::config::Split>,
    progress: bool,
) -> Vec<(Report, Ended)> {
    let eval = &session.eval;
    let total = (plan.tasks.len() as u64) * u64::from(eval.trials) * entries.len() as u64;
    let shared = Shared::new(total, progress);
    let slots = Arc::new(tokio::sync::Semaphore::new(eval.concurrency.max(1)));
    for e in entries {
        e.model.share_slots(slots.clone());
    }
    if progress {
        out.say(&format!(
            "{} {} at once, {} trials each, at most {} in flight:\n",
            entries.len(),
            if eval.hosts.len() > 1 {
                "hosts"
            } else {
                "models"
            },
            plan.tasks.len() as u64 * u64::from(eval.trials),
            eval.concurrency
        ));
    }
    let texts = || Texts {
        name: descriptions.map(Descriptions::name),
        descriptions,
    };
    let options: Vec<ExecOptions> = entries
        .iter()
        .map(|e| ExecOptions {
            recover_text_calls: e.config.recover_text_calls,
            request_timeout: model::request_backstop(&e.config, 60),
            shared: Some(shared.clone()),
            profile: e.host.clone(),
            ..plan.opts.clone()
        })
        .collect();
    let measured = futures::future::join_all(
        entries
            .iter()
            .zip(&options)
            .map(|(e, opts)| session.measure_with(plan, &e.model, opts, texts(), split, None)),
    )
    .await;
    shared.bar.finish_and_clear();
    measured
}

/// The models' reports, finished.
struct Models {
    /// The command's exit code so far.
    code: i32,
    /// Each report with the path it was written to.
    reports: Vec<(Report, String)>,
    /// The errors of the models that stopped at a failure no retry cures.
    stops: Vec<Error>,
}

/// Each model's report finished (written; the first compared and gated) and its page written:
/// the command's exit code so far, the reports with their paths, and the errors of the models
/// that stopped at a failure no retry cures.
fn finish_models(
    out: &Output,
    args: &RunArgs,
    session: &Session,
    gate: &GateSettings,
    entries: &[Entry],
    measured: Vec<(Report, Ended)>,
    mut runs: Option<&mut Runs>,
) -> Result<Models> {
    let eval = &session.eval;
    let mut reports: Vec<(Report, String)> = Vec::new();
    let mut code = exit::OK;
    let mut stops = Vec::new();
    for (i, (entry, (report, ended))) in entries.iter().zip(measured).enumerate() {
        if args.format == Format::Table && !args.quiet {
            out.say(&match &report.host {
                Some(h) if session.eval.hosts.len() > 1 => format!("host {}:\n", h.name),
                None if session.eval.hosts.len() > 1 => "host raw:\n".to_owned(),
                _ => format!(
                    "model {} ({}):\n",
                    entry.label,
                    report::provider_name(&report.model.kind)
                ),
            });
        }
        if let Some(runs) = runs.as_deref_mut() {
            runs.show_change(out, &entry.label, &report);
        }
        // The gate and the baseline belong to the first model, as a baseline was recorded by
        // one model; every model's report is written for `diff`.
        let first = i == 0;
        let show = if args.verbose && args.format == Format::Table {
            session::Show::Every
        } else {
            session::Show::Nothing
        };
        let json = args.format == Format::Json;
        let finish = Finish::measured(entry.out.clone(), eval, gate, &ended, first, show, json);
        let model_code = session::finish(out, &report, &finish)?;
        if let Some(html) = &entry.html {
            super::write_page(out, html, &report::render_run_html(&report))?;
        }
        if first || model_code == exit::INFRASTRUCTURE || ended.interrupted {
            code = code.max(model_code);
        }
        reports.push((report, entry.out.display().to_string()));
        if let Some(e) = ended.fatal {
            stops.push(session::fatal_error(
                e,
                &format!(
                    "`{}` stopped there, and its report holds the trials before it",
                    entry.label
                ),
            ));
        }
    }
    Ok(Models {
        code,
        reports,
        stops,
    })
}

/// The combined summary of the models: written beside their reports, shown, added to the job
/// summary, and as a page with `--html`.
fn write_matrix(
    out: &Output,
    args: &RunArgs,
    reports: &[(Report, String)],
    summary_path: &Path,
) -> Result<()> {
    let pairs: Vec<(&Report, String)> = reports.iter().map(|(r, p)| (r, p.clone())).collect();
    let matrix = report::build_matrix(&pairs, args.gate.alpha);
    let written = session::write_report(out, &matrix, summary_path)?;
    match args.format {
        Format::Json => out.print_json(&matrix),
        Format::Table if !args.quiet => {
            out.say(&format!(
                "\n{}",
                report::render_matrix(&matrix, out.width, args.verbose)
            ));
        }
        Format::Table => {}
    }
    out.say(&format!("matrix: {}\n", written.display()));
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        out.append_file(
            std::path::Path::new(&summary),
            &report::render_matrix_markdown(&matrix),
        )?;
    }
    if let Some(html) = &args.html {
        super::write_page(out, html, &report::render_matrix_html(&matrix))?;
    }
    Ok(())
}

/// The first label that repeats an earlier one.
fn first_repeat(labels: &[String]) -> Option<usize> {
    (0..labels.len()).find(|&i| labels[..i].contains(&labels[i]))
}

/// Each entry's report (and page, with `--html`) beside `--out`, named by its label, and the
/// combined summary's path.
fn entry_paths(
    args: &RunArgs,
    session: &Session,
    labels: &[String],
) -> (Vec<(PathBuf, Option<PathBuf>)>, PathBuf) {
    let base_out = args
        .out
        .clone()
        .unwrap_or_else(|| report::default_report_path(&session.eval.path, session.started));
    let paths = distinct_slugs(labels)
        .iter()
        .map(|slug| {
            (
                report::with_suffix(&base_out, slug),
                args.html.as_ref().map(|h| report::with_suffix(h, slug)),
            )
        })
        .collect();
    (paths, report::with_suffix(&base_out, "matrix"))
}

/// Each label as a file name's part, none the same as another or as the summary's `matrix`
/// (`qwen2.5:7b` and `qwen2.5-7b` would be): a repeated one gets `-2`, `-3`...
fn distinct_slugs(labels: &[String]) -> Vec<String> {
    let mut used = vec!["matrix".to_owned()];
    labels
        .iter()
        .map(|l| {
            let base = slug(l);
            let base = if base.is_empty() {
                "model".to_owned()
            } else {
                base
            };
            let mut s = base.clone();
            let mut n = 2;
            while used.contains(&s) {
                s = format!("{base}-{n}");
                n += 1;
            }
            used.push(s.clone());
            s
        })
        .collect()
}

/// A label as a file name's part: letters, digits, `.`, `_` and `-`; anything else a `-`.
fn slug(label: &str) -> String {
    let mut s = String::new();
    for c in label.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && s.ends_with('-')) {
            s.push(c);
        }
    }
    s.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn file_names_of_models_never_collide() {
        let labels = ["qwen2.5:7b", "qwen2.5-7b", "matrix", "Ω", "QWEN2.5-7B"].map(String::from);
        assert_eq!(
            distinct_slugs(&labels),
            [
                "qwen2.5-7b",
                "qwen2.5-7b-2",
                "matrix-2",
                "model",
                "qwen2.5-7b-3"
            ]
        );
    }

    #[test]
    fn labels_make_file_names() {
        assert_eq!(slug("qwen2.5:7b"), "qwen2.5-7b");
        assert_eq!(
            slug("claude-sonnet-4-5 (anthropic)"),
            "claude-sonnet-4-5-anthropic"
        );
        assert_eq!(
            report::with_suffix(Path::new("reports/x.json"), &slug("gemini-2.5-flash")),
            Path::new("reports/x-gemini-2.5-flash.json")
        );
    }
}
