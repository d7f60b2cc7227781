//! `tooleval cache`: the response cache's size and age, and pruning it.

use std::io::{BufRead as _, IsTerminal as _};

use crate::cli::{CacheAction, CacheCommand};
use crate::error::{Error, Result, exit};
use crate::model;
use crate::output::Output;

pub(crate) fn cache_command(out: &Output, args: CacheCommand) -> Result<i32> {
    let dir = args.dir.clone().unwrap_or_else(model::default_cache_dir);
    match args.action {
        CacheAction::Stats => {
            let s = model::cache_stats(&dir);
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
        CacheAction::Prune { older_than, yes } => {
            if older_than.is_none() && !yes && !confirm_all(out, &dir)? {
                crate::sayln!("nothing removed");
                return Ok(exit::OK);
            }
            let n = model::prune_cache(&dir, older_than)?;
            crate::sayln!("removed {n} entries from {}", dir.display());
        }
    }
    Ok(exit::OK)
}

/// Asks on a terminal before every entry goes; elsewhere refuses without `--yes`.
fn confirm_all(out: &Output, dir: &std::path::Path) -> Result<bool> {
    let s = model::cache_stats(dir);
    if s.entries == 0 {
        return Ok(true);
    }
    let what = format!(
        "all {} entries ({:.1} KiB) of {}",
        s.entries,
        s.bytes as f64 / 1024.0,
        dir.display()
    );
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::usage(
            format!("`cache prune` without --older-than would remove {what}"),
            Some(
                "pass --yes to remove them all, or --older-than 30d to keep the recent ones"
                    .to_owned(),
            ),
        ));
    }
    // Stderr is unbuffered: the question shows before the answer is read.
    out.say(&format!("remove {what}? [y/N] "));
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
