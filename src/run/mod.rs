//! Executing trials: every planned task, `trials` times, with bounded concurrency, retries and
//! a progress bar; stopped early by Ctrl-C with what finished kept.

mod exec;

pub use exec::{ExecOptions, Executed, PlannedTask, execute};

use crate::error::exit;

/// Resolves on the first Ctrl-C, after which a second one exits at once.
pub async fn stop_signal() {
    if tokio::signal::ctrl_c().await.is_ok() {
        crate::sayln!("\ninterrupted: writing the partial report (Ctrl-C again to quit at once)");
        tokio::spawn(async {
            let _ = tokio::signal::ctrl_c().await;
            std::process::exit(exit::INTERRUPTED);
        });
    } else {
        std::future::pending::<()>().await;
    }
}
