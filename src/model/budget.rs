//! A cap on the requests that reach a model API: `improve --max-requests`. It sits inside the
//! response cache, so a reply read from the cache costs nothing and is never counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;

use super::{ErrorKind, Model, ModelError, ModelReply, ModelRequest};
use crate::record::ModelInfo;

/// Requests sent so far, shared by every model of a command, and the most allowed.
#[derive(Debug, Default)]
pub(crate) struct RequestBudget {
    limit: Option<u64>,
    sent: AtomicU64,
}

impl RequestBudget {
    pub(crate) fn new(limit: Option<u64>) -> Arc<RequestBudget> {
        Arc::new(RequestBudget {
            limit,
            sent: AtomicU64::new(0),
        })
    }

    /// Requests sent to a model API so far (cache hits and the offline baseline not counted).
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Takes one request from the budget; false when it is spent.
    fn take(&self) -> bool {
        let mut now = self.sent.load(Ordering::Relaxed);
        loop {
            if self.limit.is_some_and(|l| now >= l) {
                return false;
            }
            match self.sent.compare_exchange_weak(
                now,
                now + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(seen) => now = seen,
            }
        }
    }
}

/// A model whose requests are counted against a budget; past it, every request fails fatally.
pub(crate) struct Budgeted {
    pub inner: Arc<dyn Model>,
    pub budget: Arc<RequestBudget>,
}

impl Model for Budgeted {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn cache_key(&self, req: &ModelRequest) -> Option<String> {
        self.inner.cache_key(req)
    }

    fn share_slots(&self, slots: std::sync::Arc<tokio::sync::Semaphore>) {
        self.inner.share_slots(slots);
    }

    fn api_tools(&self, tools: &crate::mcp::ToolSet) -> Box<serde_json::value::RawValue> {
        self.inner.api_tools(tools)
    }

    fn converted(&self, tools: &crate::mcp::ToolSet) -> Option<crate::mcp::Converted> {
        self.inner.converted(tools)
    }

    fn complete<'a>(
        &'a self,
        req: &'a ModelRequest,
    ) -> BoxFuture<'a, Result<ModelReply, ModelError>> {
        Box::pin(async move {
            if !self.budget.take() {
                let mut e = ModelError::new(
                    ErrorKind::Fatal,
                    format!(
                        "the --max-requests cap of {} model requests is reached",
                        self.budget.limit.unwrap_or_default()
                    ),
                );
                e.hint = Some(
                    "raise --max-requests; replies already received are in the response cache (unless `--cache off`), so a re-run asks only for the rest"
                        .into(),
                );
                return Err(e);
            }
            self.inner.complete(req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_stops_at_its_limit_and_counts_what_it_let_through() {
        let b = RequestBudget::new(Some(2));
        assert!(b.take());
        assert!(b.take());
        assert!(!b.take());
        assert_eq!(b.sent(), 2);
        let free = RequestBudget::new(None);
        for _ in 0..5 {
            assert!(free.take());
        }
        assert_eq!(free.sent(), 5);
    }
}
