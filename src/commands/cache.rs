//! `tooleval cache`: the response cache's size and age, and pruning it.

use crate::cli::{CacheAction, CacheCommand};
use crate::error::{Result, exit};
use crate::model;
use crate::output::Output;

pub fn cache_command(out: &Output, args: CacheCommand) -> Result<i32> {
    match args.action {
        CacheAction::Stats => {
            let s = model::cache_stats(&args.dir);
            let span = match (&s.oldest, &s.newest) {
                (Some(o), Some(n)) => format!(", from {o} to {n}"),
                _ => String::new(),
            };
            let text = format!(
                "{}: {} entries, {:.1} KiB{span}\n",
                s.dir,
                s.entries,
                s.bytes as f64 / 1024.0
            );
            out.print(&text);
        }
        CacheAction::Prune { older_than } => {
            let n = model::prune_cache(&args.dir, older_than)?;
            crate::sayln!("removed {n} entries from {}", args.dir.display());
        }
    }
    Ok(exit::OK)
}
