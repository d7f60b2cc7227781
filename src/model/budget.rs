//! A cap on the requests that reach a model API: `improve --max-requests`. It sits inside the
//! response cache, so a reply read from the cache costs nothing and is never counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;

use super::{ErrorKind, Model, ModelError, ModelReply, ModelRequest};
use crate::record::ModelInfo;

/// Requests sent so far, shared by every model of a command, and the most allowed; the dollars
/// their replies cost so far, and the most allowed (`--max-cost`).
#[derive(Debug, Default)]
pub(crate) struct RequestBudget {
    limit: Option<u64>,
    sent: AtomicU64,
    max_dollars: Option<f64>,
    /// Spent so far, in millionths of a dollar.
    spent_micros: AtomicU64,
}

impl RequestBudget {
    /// A budget of requests and of dollars.
    pub(crate) fn with_cost(limit: Option<u64>, max_dollars: Option<f64>) -> Arc<RequestBudget> {
        Arc::new(RequestBudget {
            limit,
            sent: AtomicU64::new(0),
            max_dollars,
            spent_micros: AtomicU64::new(0),
        })
    }

    /// Dollars the replies so far cost.
    pub(crate) fn spent(&self) -> f64 {
        self.spent_micros.load(Ordering::Relaxed) as f64 / 1e6
    }

    fn spend(&self, dollars: f64) {
        self.spent_micros
            .fetch_add((dollars * 1e6).round() as u64, Ordering::Relaxed);
    }

    /// Whether the dollars are spent (`--max-cost` reached).
    fn broke(&self) -> bool {
        self.max_dollars.is_some_and(|m| self.spent() >= m)
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

/// A model whose requests are counted against a budget, and its replies' cost at `price`;
/// past either cap, every request fails fatally.
pub(crate) struct Budgeted {
    pub inner: Arc<dyn Model>,
    pub budget: Arc<RequestBudget>,
    pub price: Option<crate::record::Price>,
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
            if self.budget.broke() {
                let mut e = ModelError::new(
                    ErrorKind::Fatal,
                    format!(
                        "the --max-cost cap of {} is reached ({} spent)",
                        crate::text::dollars(self.budget.max_dollars.unwrap_or_default()),
                        crate::text::dollars(self.budget.spent())
                    ),
                );
                e.hint = Some(
                    "raise --max-cost (or `max_cost:` in the eval); replies already received are in the response cache (unless `--cache off`), so a re-run pays only for the rest"
                        .into(),
                );
                return Err(e);
            }
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
            let reply = self.inner.complete(req).await;
            if let (Ok(r), Some(price)) = (&reply, &self.price)
                && let Some(u) = &r.usage
            {
                self.budget.spend(price.cost(u));
            }
            reply
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_stops_at_its_limit_and_counts_what_it_let_through() {
        let b = RequestBudget::with_cost(Some(2), None);
        assert!(b.take());
        assert!(b.take());
        assert!(!b.take());
        assert_eq!(b.sent(), 2);
        let free = RequestBudget::with_cost(None, None);
        for _ in 0..5 {
            assert!(free.take());
        }
        assert_eq!(free.sent(), 5);
    }

    /// Answers every request with a million prompt tokens.
    struct Costly;

    impl Model for Costly {
        fn info(&self) -> ModelInfo {
            ModelInfo {
                name: "costly".into(),
                kind: "test".into(),
                note: None,
                base_url: None,
                parameters: Default::default(),
            }
        }
        fn complete<'a>(
            &'a self,
            _req: &'a ModelRequest,
        ) -> BoxFuture<'a, Result<ModelReply, ModelError>> {
            Box::pin(async {
                Ok(ModelReply {
                    usage: Some(crate::record::Usage {
                        prompt_tokens: 1_000_000,
                        ..Default::default()
                    }),
                    ..ModelReply::default()
                })
            })
        }
    }

    #[tokio::test]
    async fn the_dollars_stop_the_requests_once_the_replies_cost_the_cap() {
        let budget = RequestBudget::with_cost(None, Some(2.0));
        let model = Budgeted {
            inner: Arc::new(Costly),
            budget: budget.clone(),
            price: Some(crate::record::Price {
                input: 1.0,
                output: 1.0,
                cached_input: None,
                cache_write: None,
                source: "test".into(),
            }),
        };
        let req = ModelRequest::new(vec![], "q".into(), Arc::new(Default::default()), 0);
        assert!(model.complete(&req).await.is_ok());
        assert!((budget.spent() - 1.0).abs() < 1e-9);
        assert!(model.complete(&req).await.is_ok());
        let e = model.complete(&req).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Fatal);
        assert!(
            e.message
                .contains("--max-cost cap of $2.00 is reached ($2.00 spent)"),
            "{}",
            e.message
        );
        assert_eq!(budget.sent(), 2);
    }
}
