//! `tooleval generate`: a first suite for a server's tools, written by a writer model, held to
//! guards, and checked by running each task once.

use std::path::Path;

use super::servers::servers_to_list;
use crate::cli::{GenerateArgs, GenerateMode};
use crate::config::{self, Mode, Overrides};
use crate::error::Result;
use crate::generate::{self, Options};
use crate::output::Output;
use crate::session::Session;

pub(crate) async fn generate_command(out: &Output, args: GenerateArgs) -> Result<i32> {
    let mut eval = match &args.eval {
        // The suites are not read here: `--out` may be one of them, not written yet.
        Some(path) => config::load_eval_servers(path)?,
        None => {
            let listing = servers_to_list(None, &args.server, None)?;
            let text = super::init::eval_text("server", &listing.written[0].1);
            config::eval_from_text(Path::new("(command line)"), &text)?
        }
    };
    let overrides = Overrides {
        hosts: args.host.iter().cloned().collect(),
        allow_destructive: args.allow_destructive,
        max_cost: args.max_cost,
        prices: args.prices.clone(),
        ..Overrides::default()
    };
    overrides.apply(&mut eval)?;
    let session = Session::of(eval);
    session.one_model("generate")?;
    let options = Options {
        out: args.out.clone(),
        writer_model: args.writer_model.clone(),
        check_model: args.check_model.clone(),
        check: !args.no_check,
        per_tool: usize::try_from(args.per_tool).unwrap_or(usize::MAX),
        negatives: usize::try_from(args.negatives).unwrap_or(usize::MAX),
        multi_step: usize::try_from(args.multi_step).unwrap_or(usize::MAX),
        holdout: args.holdout,
        mode: match args.mode {
            GenerateMode::Single => Mode::Single,
            GenerateMode::Agent => Mode::Agent,
        },
        max_requests: args.max_requests,
        max_tools: args
            .max_tools
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        name: args.name.clone(),
        cache: super::resolve::cache_settings(&args.cache),
        force: args.force,
        progress: !args.quiet,
    };
    generate::generate(out, session, &options).await
}
