//! Executing trials: every planned task, `trials` times, with bounded concurrency, retries and
//! a progress bar; stopped early by Ctrl-C or SIGTERM with what finished kept.

mod agent;
mod deferred;
mod dialogue;
mod exec;
mod plan;
mod reply;

pub(crate) use exec::{ExecOptions, Executed, Shared, execute};
pub(crate) use plan::{AgentRun, AgentTask, PlannedTask, Policy, dry_run};

use std::sync::atomic::{AtomicI32, Ordering};

use crate::error::exit;

/// The exit code of the signal that stopped the run: 130 for Ctrl-C, 143 for SIGTERM.
static STOPPED_BY: AtomicI32 = AtomicI32::new(exit::INTERRUPTED);

/// The exit code of an interrupted run: 130 after Ctrl-C (SIGINT), 143 after SIGTERM.
pub(crate) fn interrupted_code() -> i32 {
    STOPPED_BY.load(Ordering::Relaxed)
}

/// Resolves on the first Ctrl-C or SIGTERM (what `timeout`, a cancelled CI job and a stopping
/// container send), after which a second one exits at once.
pub(crate) async fn stop_signal() {
    let Some(code) = first_signal().await else {
        return std::future::pending::<()>().await;
    };
    STOPPED_BY.store(code, Ordering::Relaxed);
    let name = if code == exit::TERMINATED {
        "terminated (SIGTERM)"
    } else {
        "interrupted"
    };
    crate::sayln!("\n{name}: writing the partial report (Ctrl-C again to quit at once)");
    tokio::spawn(async move {
        if let Some(again) = first_signal().await {
            std::process::exit(again);
        }
    });
}

/// The exit code of the first stopping signal to arrive, or `None` when none can be listened for.
async fn first_signal() -> Option<i32> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = tokio::signal::ctrl_c();
        match term {
            Some(mut term) => tokio::select! {
                r = int => r.ok().map(|()| exit::INTERRUPTED),
                _ = term.recv() => Some(exit::TERMINATED),
            },
            None => int.await.ok().map(|()| exit::INTERRUPTED),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| exit::INTERRUPTED)
    }
}
