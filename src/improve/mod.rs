//! `tooleval improve`: the loop that proposes descriptions from failures and keeps only what
//! held-out tasks confirm. Each round gathers the evidence of the tune tasks (`evidence`), asks
//! the writer model for new texts of the implicated tools (`writer`), checks the proposal before
//! anything runs (`guard`), runs it on every tune and holdout task on the servers' listing
//! (`session::Session::measure`, as `run --variant` does), compares it with the current texts'
//! measurement (each set of texts runs once), and keeps it only when tune rises, the holdout
//! does not drop and the paired test there calls no regression (`decide`).

mod decide;

use decide::{Verdict, compare, decide, first_line, subset};
pub(crate) mod evidence;
pub(crate) mod guard;
pub(crate) mod writer;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::{Descriptions, DescriptionsFile, Split, is_baseline};
use crate::error::{Error, Result};
use crate::mcp::ToolSet;
use crate::model::{self, CacheSettings, Model, RequestBudget};
use crate::output::Output;
use crate::report::{
    self, Attempt, Decision, ImproveReport, KeptTool, Measured, Report, Requests, Round, Standing,
    ToolEvidence,
};
use crate::session::{Plan, Prepare, Session, Texts};
use crate::tokens::Encoding;

/// How much a tool set may grow when the eval sets no `max_tool_tokens`: a fifth.
pub(crate) const DEFAULT_GROWTH: f64 = 0.2;

/// What the command line asks of the loop.
pub(crate) struct Options {
    /// A report of a run of the eval under the servers' texts, instead of running one first.
    pub from: Option<PathBuf>,
    pub rounds: u32,
    pub max_requests: Option<u64>,
    pub no_holdout: bool,
    /// The writer's model name, over `writer_model` (or `model`) of the eval.
    pub writer_model: Option<String>,
    /// Where the kept descriptions go.
    pub out: PathBuf,
    /// Where the improve report goes; the markdown summary, the run reports and each round's
    /// descriptions go beside it.
    pub report: PathBuf,
    /// The most tools the writer is asked about in one round.
    pub max_tools: usize,
    pub max_tool_tokens: Option<usize>,
    pub alpha: f64,
    pub cache: CacheSettings,
    pub progress: bool,
}

/// The loop's result: its report, and the error that stopped it early, if one did (the report
/// holds what finished before).
pub(crate) struct Finished {
    pub report: ImproveReport,
    pub error: Option<Error>,
    pub interrupted: bool,
}

/// The tasks the loop reads: tune (with those of no split) and holdout, by id.
struct Splits {
    tune: HashSet<String>,
    holdout: HashSet<String>,
    tune_prompts: Vec<String>,
}

fn splits(session: &Session, no_holdout: bool) -> Result<Splits> {
    let mut s = Splits {
        tune: HashSet::new(),
        holdout: HashSet::new(),
        tune_prompts: Vec::new(),
    };
    for suite in &session.eval.suites {
        for t in &suite.suite.tasks {
            if t.split == Some(Split::Holdout) {
                s.holdout.insert(t.id.clone());
            } else {
                s.tune.insert(t.id.clone());
                s.tune_prompts.push(t.prompt.user_text());
            }
        }
    }
    let eval = session.eval.path.display();
    if s.tune.is_empty() {
        return Err(Error::usage(
            format!("{eval}: every task is held out, so there is nothing to learn from"),
            Some("mark the tasks to tune against `split: tune` (or give them no split)".to_owned()),
        ));
    }
    match (s.holdout.len(), no_holdout) {
        (0, false) => Err(Error::usage(
            format!("{eval}: no task is held out, so no proposal could be checked on tasks it was not written from"),
            Some("mark about a quarter of the tasks `split: holdout` (docs/descriptions.md), or pass --no-holdout to decide on the tune tasks alone, unconfirmed".to_owned()),
        )),
        (n, true) if n > 0 => Err(Error::usage(
            format!("--no-holdout, and {eval} holds {n} holdout task(s)"),
            Some("leave --no-holdout out: the holdout tasks are what confirms a proposal".to_owned()),
        )),
        _ => Ok(s),
    }
}

/// Everything set up before the first request: the models, the servers' tools, the plan.
pub(crate) struct Prepared {
    plan: Plan,
    writer: Arc<dyn Model>,
    /// The writer's settings, for its price.
    writer_config: crate::config::ModelConfig,
    writer_timeout: Duration,
    budget: Arc<RequestBudget>,
    splits: Splits,
    tools: ToolSet,
    token_budget: usize,
    budget_from: String,
    encoding: Encoding,
    /// The eval's lint settings: the evidence's findings and the guard's "no new error".
    lint: crate::config::LintConfig,
    /// The report `--from` names, checked.
    from: Option<Report>,
    /// The eval's host puts the servers' instructions before the model: the writer may rewrite
    /// them too.
    instructions_placed: bool,
}

/// Checks the eval for the loop, builds the models and lists the servers' tools.
pub(crate) async fn prepare(session: &Session, o: &Options) -> Result<Prepared> {
    let splits = splits(session, o.no_holdout)?;
    let writer_cfg = session.writer_config(o.writer_model.as_deref(), "descriptions")?;
    let eval = &session.eval;
    // One budget of requests and dollars for every model of the loop: the measured one, the
    // writer and the judge, each reply at its own model's price.
    let budget = RequestBudget::with_cost(o.max_requests, eval.max_cost);
    let counted = |m: &crate::config::ModelConfig| {
        model::from_config_budgeted(m, &o.cache, Some(budget.clone()), eval.price_of_config(m))
    };
    let prepare = Prepare {
        writes: Vec::new(),
        gate: None,
        split: None,
        cache: &o.cache,
        progress: o.progress,
        check_listing: true,
    };
    let ((model, writer), ready) = session
        .prepare(prepare, || {
            let model = counted(&eval.model)?;
            // The writer must be an LLM: the offline baseline is no way out of a missing key.
            let writer = counted(&writer_cfg)
                .map_err(|e| Session::writer_key_error(e, &writer_cfg, "descriptions"))?;
            let judge = eval.judge_model.as_ref().map(counted).transpose()?;
            Ok(((model, writer), judge))
        })
        .await?;
    let (tasks, listed, opts) = (ready.tasks, ready.listed, ready.opts);
    let encoding = eval.file.encoding.unwrap_or_default();
    let mut tools = listed.tools.clone();
    let total = tools.count_tokens(encoding);
    let (token_budget, budget_from) = match (o.max_tool_tokens, eval.file.max_tool_tokens) {
        (Some(n), _) => (n, "--max-tool-tokens".to_owned()),
        (None, Some(n)) => (n, "max_tool_tokens".to_owned()),
        (None, None) => (
            (total as f64 * (1.0 + DEFAULT_GROWTH)).ceil() as usize,
            format!(
                "the tool set's {total} tokens + {:.0}% (the eval sets no max_tool_tokens)",
                DEFAULT_GROWTH * 100.0
            ),
        ),
    };
    let mut prepared = Prepared {
        plan: Plan {
            tasks,
            opts,
            model,
            listed,
        },
        writer,
        writer_timeout: model::request_backstop(&writer_cfg, crate::session::WRITER_TIMEOUT_SECS),
        writer_config: writer_cfg.clone(),
        budget,
        splits,
        tools,
        token_budget,
        budget_from,
        encoding,
        lint: eval.file.lint.clone().unwrap_or_default(),
        from: None,
        instructions_placed: eval.hosts.first().is_some_and(|h| {
            h.instructions
                .as_ref()
                .is_some_and(|i| i.place != crate::config::InstructionsPlace::None)
        }),
    };
    if let Some(path) = &o.from {
        prepared.from = Some(from_report(path, session, &prepared)?);
    }
    Ok(prepared)
}

/// What the loop may ask at most, said before the first request.
pub(crate) struct Estimate {
    pub requests: u64,
    pub tokens: u64,
    /// The dollars at most; `None` when a model's price is unknown (`unpriced` names it).
    pub dollars: Option<f64>,
    pub unpriced: Option<String>,
    pub line: String,
}

/// The most requests, roughly how many tokens and the most dollars the loop will use, before
/// the first request.
pub(crate) fn estimate(session: &Session, p: &Prepared, o: &Options) -> Estimate {
    let eval = &session.eval;
    let trials = u64::from(eval.trials);
    let tool_tokens = p.tools.total_tokens() as u64;
    let (mut per_run, mut per_run_tokens) = (0u64, 0u64);
    for t in &p.plan.tasks {
        let turns = t.agent.as_ref().map_or(1, |a| u64::from(a.max_turns))
            + u64::from(t.task.judge.is_some());
        let prompt = p.encoding.count(&t.task.prompt.user_text()) as u64;
        per_run += trials * turns;
        per_run_tokens += trials * turns * (tool_tokens + prompt + 60);
    }
    let runs = u64::from(o.rounds) + u64::from(o.from.is_none());
    let baseline = is_baseline(&eval.model.name);
    let eval_requests = if baseline { 0 } else { per_run * runs };
    let eval_tokens = if baseline { 0 } else { per_run_tokens * runs };
    let writer_requests = 2 * u64::from(o.rounds);
    let writer_tokens = writer_requests
        * (tool_tokens + 120 * p.splits.tune.len() as u64 + 300 * o.max_tools as u64 + 400);
    let who = if baseline {
        format!(
            "the offline baseline answers the {} task(s) x {trials} trial(s) of {runs} run(s), free",
            p.plan.tasks.len()
        )
    } else {
        format!(
            "{eval_requests} to `{}` for {runs} run(s) of {} task(s) x {trials} trial(s)",
            eval.model.name,
            p.plan.tasks.len()
        )
    };
    let cached = if o.cache.mode == model::CacheMode::Off {
        ""
    } else {
        "; replies in the response cache cost nothing"
    };
    // Input and output apart for the price: the estimates above are mostly input; a request's
    // reply is counted at 150 tokens, a writer's at 1,500.
    let writer_name = p.writer.info().name;
    let measured = eval.cost_of(&eval.model, eval_tokens, eval_requests * 150);
    let written = eval.cost_of(&p.writer_config, writer_tokens, writer_requests * 1500);
    let (total, unpriced) = match (measured, written) {
        (Some(a), Some(b)) => (Some(a + b), None),
        (None, _) => (None, Some(eval.model.name.clone())),
        (_, None) => (None, Some(writer_name.clone())),
    };
    let cost = match (total, &unpriced) {
        (Some(d), _) => format!("; at most {}", crate::text::dollars(d)),
        (None, Some(name)) => format!(
            "; the cost is unknown (no price for `{name}`: `price:` in the eval, or --prices FILE)"
        ),
        (None, None) => String::new(),
    };
    let line = format!(
        "improve: at most {} model request(s) ({who}; {writer_requests} to the writer `{writer_name}`), about {} tokens{cost}{cached}",
        eval_requests + writer_requests,
        eval_tokens + writer_tokens
    );
    Estimate {
        requests: eval_requests + writer_requests,
        tokens: eval_tokens + writer_tokens,
        dollars: total,
        unpriced,
        line,
    }
}

/// Refuses, before the first request, a loop estimated above the eval's `max_cost` (or
/// `--max-cost`), or one with a model whose price is unknown.
pub(crate) fn check_cost(session: &Session, p: &Prepared, o: &Options) -> Result<()> {
    let e = estimate(session, p, o);
    session.hold_cost_cap(
        "the loop",
        e.dollars,
        e.unpriced.as_deref().unwrap_or_default(),
        e.requests,
        "raise --max-cost, or ask for fewer --rounds or --max-tools; the estimate counts every turn an agent task may take and no prompt cache, so a real loop usually costs less (--max-requests caps the requests without refusing to start)",
    )
}

fn standing(report: &Report, s: &Splits, unconfirmed: bool, tokens: usize) -> Standing {
    let tune = subset(report, &s.tune);
    let holdout = (!unconfirmed).then(|| subset(report, &s.holdout));
    Standing {
        tune: tune.summary.full_call,
        tune_selection: tune.summary.selection,
        holdout: holdout.as_ref().and_then(|h| h.summary.full_call),
        holdout_selection: holdout.as_ref().and_then(|h| h.summary.selection),
        tool_tokens: tokens,
    }
}

/// Why a round found no tool to ask about: every tune task passes, or the failures are errors
/// (infrastructure, not descriptions) or name no tool a server offers.
fn nothing_to_ask(report: &Report, tune: &HashSet<String>, rounds: u32) -> String {
    let s = subset(report, tune).summary;
    let failing = s.tasks.iter().filter(|t| t.passes < t.scored()).count();
    let errored = s.tasks.iter().filter(|t| t.errors > 0).count();
    let after = format!("after {rounds} round(s)");
    match (failing, errored) {
        (0, 0) => format!(
            "every tune task passes under the current texts: nothing left to improve ({after})"
        ),
        (0, e) => format!(
            "the tune tasks that did not pass ended in errors ({e} task(s)), which no description fixes: see the run report ({after})"
        ),
        (f, _) => format!(
            "{f} tune task(s) fail, and none of their expected or chosen tools is one a server offers ({after})"
        ),
    }
}

/// `reports/improve/x.json` -> `reports/improve/x-round-1.json` (or `.yaml`).
pub(crate) fn beside(report: &Path, suffix: &str, ext: &str) -> PathBuf {
    let stem = report
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "improve".into());
    report.with_file_name(format!("{stem}-{suffix}.{ext}"))
}

/// Runs the loop: the texts it starts from measured (or read with `--from`), then up to
/// `rounds` rounds. Never fails after the first request: an error ends the loop, and the report
/// holds what finished.
pub(crate) async fn run(out: &Output, session: &Session, p: Prepared, o: &Options) -> Finished {
    let e = estimate(session, &p, o);
    let (estimated, estimated_tokens) = (e.requests, e.tokens);
    say(out, &format!("{}\n", e.line));
    if let Some(cap) = o.max_requests {
        say(
            out,
            &format!(
                "capped at {cap} request(s) by --max-requests: the loop stops when the cap is reached\n"
            ),
        );
    }
    if let Some(cap) = session.eval.max_cost {
        say(
            out,
            &format!(
                "capped at {} by --max-cost: the loop stops when its replies cost that much\n",
                crate::text::dollars(cap)
            ),
        );
    }
    let unconfirmed = p.splits.holdout.is_empty();
    if unconfirmed {
        say(
            out,
            "warning: --no-holdout: no task is held out, so every decision is made on the tasks the proposals are written from; the result is UNCONFIRMED\n",
        );
    }
    let mut state = State {
        report: empty_report(session, &p, o, (estimated, estimated_tokens), unconfirmed),
        kept: DescriptionsFile::default(),
        why: BTreeMap::new(),
    };
    let result = state.rounds(out, session, &p, o).await;
    let mut r = state.report;
    r.requests.sent = p.budget.sent();
    // Spent is known when every model of the loop has a price.
    r.requests.dollars = e.dollars.map(|_| p.budget.spent());
    r.finished_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let (mut error, interrupted) = match result {
        Ok(ended) => {
            r.complete = true;
            r.ended = ended;
            (None, false)
        }
        Err(Stop::Interrupted) => {
            r.ended = "interrupted".into();
            (None, true)
        }
        Err(Stop::Failed(e)) => {
            r.ended = format!("stopped by an error: {}", first_line(&e.render()));
            (Some(e), false)
        }
    };
    if let Some(live) = &p.plan.listed.live {
        live.close().await;
    }
    if !state.kept.tools.is_empty() {
        match write_descriptions(out, &r, &state.kept, &state.why, &o.out) {
            Ok(()) => r.descriptions_file = Some(o.out.display().to_string()),
            // The kept texts are also in the last kept round's descriptions beside the report.
            Err(e) if error.is_none() => error = Some(e),
            Err(e) => out.say(&e.render()),
        }
    }
    Finished {
        report: r,
        error,
        interrupted,
    }
}

/// The report before the first round: what is run, on what, and the requests (and tokens)
/// estimated.
fn empty_report(
    session: &Session,
    p: &Prepared,
    o: &Options,
    (estimated, estimated_tokens): (u64, u64),
    unconfirmed: bool,
) -> ImproveReport {
    ImproveReport {
        schema_version: report::IMPROVE_SCHEMA_VERSION,
        kind: "improve".into(),
        tooleval: report::ToolIdentity::current(),
        started_at: humantime::format_rfc3339_seconds(session.started).to_string(),
        finished_at: String::new(),
        complete: false,
        eval: session.eval.path.display().to_string(),
        model: p.plan.model.info(),
        writer: p.writer.info(),
        unconfirmed,
        tune_tasks: p.splits.tune.len(),
        holdout_tasks: p.splits.holdout.len(),
        trials: session.eval.trials,
        budget: p.token_budget,
        budget_from: p.budget_from.clone(),
        requests: Requests {
            estimated,
            estimated_tokens,
            sent: 0,
            limit: o.max_requests,
            dollars: None,
            max_cost: session.eval.max_cost,
        },
        holdout_consulted: 0,
        before: Standing::default(),
        after: Standing::default(),
        rounds: Vec::new(),
        kept: Vec::new(),
        descriptions_file: None,
        before_report: None,
        ended: String::new(),
    }
}

enum Stop {
    Interrupted,
    Failed(Error),
}

/// What every round reads: where it says things, the session, what was prepared, the options.
struct Ctx<'a> {
    out: &'a Output,
    session: &'a Session,
    p: &'a Prepared,
    o: &'a Options,
}

/// Where the loop stands between rounds: the last kept run, the tool set with the kept texts,
/// and each rejected proposal with what the writer is told of it.
struct Progress {
    current: Report,
    tools: ToolSet,
    rejected: Vec<(String, String)>,
}

/// The loop's state between rounds: the report so far, the kept texts and why each changed.
struct State {
    report: ImproveReport,
    kept: DescriptionsFile,
    why: BTreeMap<String, Vec<String>>,
}

impl State {
    /// The rounds; `Ok` with why the loop ended.
    async fn rounds(
        &mut self,
        out: &Output,
        session: &Session,
        p: &Prepared,
        o: &Options,
    ) -> std::result::Result<String, Stop> {
        let cx = Ctx { out, session, p, o };
        let current = self.before(&cx).await?;
        let tools = p.tools.clone();
        let unconfirmed = self.report.unconfirmed;
        self.report.before = standing(&current, &p.splits, unconfirmed, tools.total_tokens());
        self.report.after = self.report.before.clone();
        let mut at = Progress {
            current,
            tools,
            rejected: Vec::new(),
        };
        for n in 1..=o.rounds {
            if let Some(ended) = self.round(&cx, n, &mut at).await? {
                return Ok(ended);
            }
        }
        Ok(format!("{} round(s) ran", o.rounds))
    }

    /// The run every round starts from: the report given (`--from`), or a measurement of the
    /// current descriptions on every task.
    async fn before(&mut self, cx: &Ctx<'_>) -> std::result::Result<Report, Stop> {
        if let Some(report) = &cx.p.from {
            return Ok(report.clone());
        }
        say(cx.out, "measuring the current descriptions on every task\n");
        let report = measure(cx.session, cx.p, None, "before").await?;
        let path = beside(&cx.o.report, "before", "json");
        write_run(cx.out, &path, &report);
        self.report.before_report = Some(path.display().to_string());
        Ok(report)
    }

    /// Round `n`: the evidence, a proposal that passes the guards, its texts written, measured
    /// on every task and decided. `Some` with why the loop ends early.
    async fn round(
        &mut self,
        cx: &Ctx<'_>,
        n: u32,
        at: &mut Progress,
    ) -> std::result::Result<Option<String>, Stop> {
        let (out, p) = (cx.out, cx.p);
        let evidence = evidence::gather(
            &at.current,
            &p.splits.tune,
            &at.tools,
            &p.lint,
            cx.o.max_tools,
        );
        if evidence.is_empty() {
            return Ok(Some(nothing_to_ask(&at.current, &p.splits.tune, n - 1)));
        }
        let asked: Vec<String> = evidence.iter().map(|e| e.tool.clone()).collect();
        let names: Vec<String> = asked.iter().map(|a| format!("`{a}`")).collect();
        say(
            out,
            &format!(
                "round {n}: {} failing tune task(s); asking `{}` to rewrite {}\n",
                count_failures(&evidence),
                p.writer.info().name,
                names.join(", ")
            ),
        );
        let mut round = Round {
            round: n,
            evidence: evidence.clone(),
            attempts: Vec::new(),
            measured: None,
            decision: Decision::Unfinished,
            why: String::new(),
            descriptions: None,
            report: None,
        };
        let passed = self
            .propose(
                out,
                p,
                &at.tools,
                &evidence,
                &asked,
                &at.rejected,
                &mut round,
            )
            .await;
        let passed = match passed {
            Ok(Some(x)) => x,
            Ok(None) => {
                round.decision = Decision::NoProposal;
                round.why = "no proposal passed the guards (the writer had one retry)".into();
                self.report.rounds.push(round);
                return Ok(Some(format!("no proposal passed the guards in round {n}")));
            }
            Err(stop) => {
                round.why = "the writer was not heard".into();
                self.report.rounds.push(round);
                return Err(stop);
            }
        };
        let result = self
            .try_proposal(cx, n, at, &evidence, passed, &mut round)
            .await;
        self.report.rounds.push(round);
        result.map(|()| None)
    }

    /// A proposal that passed the guards: laid over the texts kept so far, written, measured
    /// on every task, and kept or rejected as `decide` says.
    async fn try_proposal(
        &mut self,
        cx: &Ctx<'_>,
        n: u32,
        at: &mut Progress,
        evidence: &[ToolEvidence],
        passed: guard::Passed,
        round: &mut Round,
    ) -> std::result::Result<(), Stop> {
        let (out, p, o) = (cx.out, cx.p, cx.o);
        let merged = guard::merge(&self.kept, &passed.proposal);
        let yaml_path = beside(&o.report, &format!("round-{n}"), "yaml");
        let header = vec![format!(
            "Round {n} of `tooleval improve {}`: the texts kept before it and its proposal.",
            cx.session.eval.path.display()
        )];
        let text = report::render_descriptions_file(&merged, &header, &BTreeMap::new());
        out.write_file(&yaml_path, &text).map_err(Stop::Failed)?;
        let descriptions = Descriptions::parse(&yaml_path, text).map_err(Stop::Failed)?;
        round.descriptions = Some(yaml_path.display().to_string());
        say(
            out,
            &format!("round {n}: measuring the proposal on every task\n"),
        );
        let after = measure(cx.session, p, Some(&descriptions), &format!("round-{n}"))
            .await
            .inspect_err(|_| round.why = "the measurement did not finish".into())?;
        let run_path = beside(&o.report, &format!("round-{n}"), "json");
        write_run(out, &run_path, &after);
        round.report = Some(run_path.display().to_string());
        let unconfirmed = self.report.unconfirmed;
        let tune = compare(&at.current, &after, &p.splits.tune, o.alpha);
        let holdout =
            (!unconfirmed).then(|| compare(&at.current, &after, &p.splits.holdout, o.alpha));
        let Verdict {
            keep,
            why,
            told,
            consulted,
        } = decide(&tune, holdout.as_ref());
        if consulted {
            self.report.holdout_consulted += 1;
        }
        round.measured = Some(Measured {
            tune,
            holdout,
            tool_tokens: (at.tools.total_tokens(), passed.tools.total_tokens()),
            changes: report::tool_changes(&at.current.tools.tools, &after.tools.tools),
        });
        round.why = why.clone();
        let verb = if keep { "kept" } else { "rejected" };
        say(out, &format!("round {n}: {verb}: {why}\n"));
        if !keep {
            round.decision = Decision::Rejected;
            let last = round.attempts.last();
            let last = last.map(|a| guard::unfence(&a.reply).to_owned());
            at.rejected.push((last.unwrap_or_default(), told));
            return Ok(());
        }
        round.decision = Decision::Kept;
        for e in evidence
            .iter()
            .filter(|e| passed.proposal.tools.contains_key(&e.tool))
        {
            self.why
                .entry(e.tool.clone())
                .or_default()
                .push(format!("round {n}: {}", e.why()));
            self.report.kept.push(KeptTool {
                tool: e.tool.clone(),
                round: n,
                why: e.why(),
            });
        }
        self.kept = merged;
        at.tools = passed.tools;
        at.current = after;
        self.report.after = standing(&at.current, &p.splits, unconfirmed, at.tools.total_tokens());
        Ok(())
    }

    /// Asks the writer for a proposal and checks it, with one retry; `None` when neither
    /// attempt passed.
    #[allow(clippy::too_many_arguments)]
    async fn propose(
        &mut self,
        out: &Output,
        p: &Prepared,
        tools: &ToolSet,
        evidence: &[ToolEvidence],
        asked: &[String],
        rejected: &[(String, String)],
        round: &mut Round,
    ) -> std::result::Result<Option<guard::Passed>, Stop> {
        // Each server's instructions as they stand (the kept texts laid over), when the host
        // places them before the model.
        let instructions: Vec<(String, String)> = if p.instructions_placed {
            p.plan
                .listed
                .servers
                .iter()
                .map(|s| {
                    let kept = self
                        .kept
                        .servers
                        .get(&s.name)
                        .map(|t| t.instructions.clone());
                    let text = kept.or_else(|| s.instructions.clone()).unwrap_or_default();
                    (s.name.clone(), text)
                })
                .collect()
        } else {
            Vec::new()
        };
        let brief = writer::Brief {
            tools,
            evidence,
            budget: p.token_budget,
            encoding: p.encoding.as_str(),
            rejected,
            instructions: &instructions,
        };
        let mut req = writer::request(&brief);
        let prompts = p.splits.tune_prompts.clone();
        let bounds = guard::Bounds {
            tools,
            asked,
            prompts: &prompts,
            budget: p.token_budget,
            encoding: p.encoding,
            lint: &p.lint,
            instructions: &instructions,
        };
        for attempt in 1..=2 {
            let reply = ask_writer(p, &req).await?;
            let text = reply.content.clone().unwrap_or_default();
            let at = PathBuf::from(format!("round-{}-proposal-{attempt}.yaml", round.round));
            let (readable, mended) = guard::mended(&text, &at);
            let mut notes = reply.notes.clone();
            if let Some(note) = mended {
                say(
                    out,
                    &format!("round {}: proposal {attempt}: {note}\n", round.round),
                );
                notes.push(note);
            }
            match guard::check(&readable, &at, &bounds) {
                Ok(passed) => {
                    round.attempts.push(Attempt {
                        reply: text,
                        rejected: None,
                        cached: reply.cached,
                        format: reply.format,
                        notes,
                    });
                    return Ok(Some(passed));
                }
                Err(reason) => {
                    say(
                        out,
                        &format!(
                            "round {}: proposal {attempt} rejected before it ran: {}\n",
                            round.round,
                            indent_rest(&reason)
                        ),
                    );
                    round.attempts.push(Attempt {
                        reply: text.clone(),
                        rejected: Some(reason.clone()),
                        cached: reply.cached,
                        format: reply.format,
                        notes,
                    });
                    req = writer::retry(&req, &text, &reason);
                }
            }
        }
        Ok(None)
    }
}

/// The writer's reply to `req`, within its time limit; an interrupt or a failure stops the loop.
async fn ask_writer(
    p: &Prepared,
    req: &crate::model::ModelRequest,
) -> std::result::Result<crate::model::ModelReply, Stop> {
    crate::session::ask_writer(p.writer.as_ref(), req, p.writer_timeout, "", "")
        .await
        .map_err(|s| match s {
            crate::session::WriterStop::Interrupted => Stop::Interrupted,
            crate::session::WriterStop::Failed(e) => Stop::Failed(e),
        })
}

fn indent_rest(s: &str) -> String {
    s.replace('\n', "\n    ")
}

fn count_failures(evidence: &[ToolEvidence]) -> usize {
    evidence
        .iter()
        .flat_map(|e| e.failures.iter().map(|f| f.task.as_str()))
        .collect::<HashSet<_>>()
        .len()
}

/// One measurement of the plan under `descriptions` (the servers' own texts when `None`).
async fn measure(
    session: &Session,
    p: &Prepared,
    descriptions: Option<&Descriptions>,
    name: &str,
) -> std::result::Result<Report, Stop> {
    let texts = Texts {
        name: Some(name.to_owned()),
        descriptions,
    };
    let (report, ended) = session.measure(&p.plan, texts, None, None).await;
    if ended.interrupted {
        return Err(Stop::Interrupted);
    }
    if let Some(e) = ended.fatal {
        return Err(Stop::Failed(crate::session::fatal_error(
            e,
            "the loop stopped there",
        )));
    }
    Ok(report)
}

/// Writes a run report for `diff`; a failure to write is said, not fatal.
fn write_run(out: &Output, path: &Path, report: &Report) {
    if let Err(e) = out.write_json(path, report) {
        out.say(&e.render());
    }
}

/// A report of a run of this eval under the servers' own texts, holding every task.
fn from_report(path: &Path, session: &Session, p: &Prepared) -> Result<Report> {
    let fail = |m: String, h: &str| Error::usage(m, Some(h.to_owned()));
    let report = report::read_report(path)?;
    let name = path.display();
    if report.tools.hash != p.plan.listed.tools.hash {
        return Err(fail(
            format!(
                "{name} ran other tool texts than the servers' ({} against {})",
                report.tools.hash, p.plan.listed.tools.hash
            ),
            "improve starts from the servers' own texts: leave --from out to measure them, or pass a report of `tooleval run` without --descriptions",
        ));
    }
    let ran: HashSet<&str> = report.trials.iter().map(|t| t.task.as_str()).collect();
    let missing: Vec<&String> = p
        .splits
        .tune
        .iter()
        .chain(&p.splits.holdout)
        .filter(|id| !ran.contains(id.as_str()))
        .collect();
    if let Some(first) = missing.first() {
        return Err(fail(
            format!(
                "{name} holds no trial of {} of the eval's tasks (e.g. `{first}`)",
                missing.len()
            ),
            "pass a report of a run of the whole eval (no --split, no --shard), or leave --from out to run one first",
        ));
    }
    if report.model.name != session.eval.model.name {
        return Err(fail(
            format!(
                "{name} was run with `{}`, and the eval's model is `{}`: every decision would compare two models",
                report.model.name, session.eval.model.name
            ),
            "pass a report of this eval's model, or `--model` to improve for the report's",
        ));
    }
    if !report.complete {
        crate::sayln!(
            "warning: {name} is a partial report (its run was interrupted or stopped): tasks that did not finish count as unscored"
        );
    }
    Ok(report)
}

/// The kept texts, with a header and a comment per tool saying why, checked to read back.
fn write_descriptions(
    out: &Output,
    r: &ImproveReport,
    kept: &DescriptionsFile,
    why: &BTreeMap<String, Vec<String>>,
    path: &Path,
) -> Result<()> {
    let holdout = if r.unconfirmed {
        "no task held out: UNCONFIRMED".to_owned()
    } else {
        format!(
            "holdout {} -> {}",
            report_rate(&r.before.holdout),
            report_rate(&r.after.holdout)
        )
    };
    let header = vec![
        format!(
            "Written by `tooleval improve {}` ({}), writer `{}`, model `{}`.",
            r.eval, r.finished_at, r.writer.name, r.model.name
        ),
        format!(
            "Full-call accuracy: tune {} -> {}; {holdout}.",
            report_rate(&r.before.tune),
            report_rate(&r.after.tune)
        ),
        format!(
            "Run it with `tooleval run {} --descriptions {}`.",
            r.eval,
            path.display()
        ),
    ];
    let text = report::render_descriptions_file(kept, &header, why);
    Descriptions::parse(path, text.clone())?;
    out.write_file(path, &text)
}

fn report_rate(r: &Option<crate::score::Rate>) -> String {
    r.as_ref().map_or_else(|| "n/a".into(), |r| r.display())
}

/// A line of the loop's progress, wrapped to the terminal between words.
fn say(out: &Output, text: &str) {
    for line in text.trim_end_matches('\n').split('\n') {
        out.say(&format!("{}\n", report::wrap(line, out.width, "    ")));
    }
}
