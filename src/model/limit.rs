//! Rate limits shared by every worker: requests per minute and tokens per minute, as token
//! buckets that refill continuously. Hand-written because it is two buckets and a sleep; a
//! general-purpose limiter crate would bring more than it saves.

use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::Mutex;

struct Bucket {
    per_minute: f64,
    available: f64,
    updated: Instant,
}

impl Bucket {
    fn new(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        Bucket {
            per_minute,
            available: per_minute,
            updated: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let rate = self.per_minute / 60.0;
        self.available = (self.available + rate * now.duration_since(self.updated).as_secs_f64())
            .min(self.per_minute);
        self.updated = now;
    }

    /// How long until `n` are available (zero when they are).
    fn wait_for(&self, n: f64) -> Duration {
        let missing = n.min(self.per_minute) - self.available;
        if missing <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(missing * 60.0 / self.per_minute)
        }
    }
}

/// Requests per minute and tokens per minute, both optional.
pub(crate) struct RateLimiter {
    buckets: Mutex<(Option<Bucket>, Option<Bucket>)>,
}

impl RateLimiter {
    pub(crate) fn new(requests_per_minute: Option<u32>, tokens_per_minute: Option<u32>) -> Self {
        RateLimiter {
            buckets: Mutex::new((
                requests_per_minute.map(Bucket::new),
                tokens_per_minute.map(Bucket::new),
            )),
        }
    }

    /// Waits until one request of about `tokens` tokens may go, then takes them.
    pub(crate) async fn acquire(&self, tokens: u32) {
        loop {
            let wait = {
                let mut b = self.buckets.lock().await;
                let now = Instant::now();
                let tokens = f64::from(tokens);
                let (req, tok) = &mut *b;
                if let Some(r) = req.as_mut() {
                    r.refill(now);
                }
                if let Some(t) = tok.as_mut() {
                    t.refill(now);
                }
                let wait = req
                    .as_ref()
                    .map_or(Duration::ZERO, |r| r.wait_for(1.0))
                    .max(tok.as_ref().map_or(Duration::ZERO, |t| t.wait_for(tokens)));
                if wait.is_zero() {
                    if let Some(r) = req.as_mut() {
                        r.available -= 1.0;
                    }
                    if let Some(t) = tok.as_mut() {
                        t.available -= tokens.min(t.per_minute);
                    }
                    return;
                }
                wait
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_per_minute_spread_requests_out() {
        let l = RateLimiter::new(Some(60), None);
        let start = tokio::time::Instant::now();
        for _ in 0..62 {
            l.acquire(0).await;
        }
        // A full bucket of 60, then one a second: the 62nd request waits two seconds.
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(1900) && waited < Duration::from_millis(2500),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_per_minute_hold_back_large_requests() {
        let l = RateLimiter::new(None, Some(1000));
        let start = tokio::time::Instant::now();
        l.acquire(800).await;
        l.acquire(800).await;
        // 200 left; 600 more come in 36 s.
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(35) && waited <= Duration::from_secs(37),
            "{waited:?}"
        );
    }
}
