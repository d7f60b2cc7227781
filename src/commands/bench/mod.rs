//! `tooleval bench`: what the harness costs, measured on this machine, one file per
//! measurement: latency against a mock model (`latency.rs`, the default, its mock in
//! `server.rs`), a first command (`cold_start.rs`), scale with the offline baseline
//! (`scale.rs`), and the HTML page in headless Chromium (`html.rs`); `measure.rs` times a child.

mod cold_start;
mod html;
mod latency;
mod measure;
mod scale;
mod server;

pub use html::{HEADLESS_CHROMIUM, find_chromium};
pub(crate) use server::bench_server_command;

use crate::cli::BenchArgs;
use crate::error::{Error, Result};
use crate::output::Output;

/// `tooleval bench`.
pub(crate) async fn bench_command(out: &Output, args: BenchArgs) -> Result<i32> {
    let exe =
        std::env::current_exe().map_err(|e| Error::io("find", "the tooleval executable", e))?;
    if args.cold_start {
        return cold_start::cold_start(out, &exe, args.runs);
    }
    if args.scale {
        return scale::scale(out, &exe, &args.tasks, args.runs);
    }
    if args.html {
        return html::html(
            out,
            &exe,
            &args.tasks,
            args.trials,
            args.runs,
            args.browser.clone(),
        );
    }
    latency::latency(out, &exe, &args)
}
