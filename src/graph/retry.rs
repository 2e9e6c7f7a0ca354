//! The one retry policy: which failures are retried, and after how long. Graph's `Retry-After`
//! wins whenever it is given; otherwise exponential backoff with full jitter (AWS architecture
//! blog, "Exponential Backoff And Jitter"), so a fleet of PHP workers does not retry in lockstep.
//!
//! The throttle gate shares one `Retry-After` across every request of a client: once Graph says
//! "wait 7 s", nothing else is sent for 7 s either (requests sent while throttled still count
//! against the quota, so hammering only prolongs it).

use crate::error::Error;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub(super) struct RetryPolicy {
    pub max_retries: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl RetryPolicy {
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
        }
    }

    /// How long to wait before retry number `attempt + 1` after `err`, or `None` to give up.
    pub fn delay(&self, attempt: u32, err: &Error) -> Option<Duration> {
        if !err.is_retryable() || attempt >= self.max_retries {
            return None;
        }
        Some(match err.detail().retry_after {
            // A little extra so our clock and Graph's never disagree by a rounding.
            Some(after) => after + Duration::from_millis(rand::random_range(0..=100)),
            None => self.backoff(attempt),
        })
    }

    /// Full jitter: uniform in [0, min(cap, base · 2^attempt)].
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        let millis = ceiling.as_millis() as u64;
        Duration::from_millis(rand::random_range(0..=millis))
    }
}

#[derive(Default)]
pub(super) struct ThrottleGate {
    open_at: Mutex<Option<Instant>>,
}

impl ThrottleGate {
    /// Keeps the gate shut for at least `wait` from now.
    pub fn close_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut open_at = self.open_at.lock().unwrap_or_else(|p| p.into_inner());
        if open_at.is_none_or(|t| t < until) {
            *open_at = Some(until);
        }
    }

    /// How long the gate stays shut from now; `None` when it is open.
    pub fn remaining(&self) -> Option<Duration> {
        let until = (*self.open_at.lock().unwrap_or_else(|p| p.into_inner()))?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    pub async fn wait(&self) {
        loop {
            let until = *self.open_at.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Detail, ErrorKind};

    #[test]
    fn retry_after_wins_and_final_errors_are_not_retried() {
        let policy = RetryPolicy::new(3);
        let throttled = Error::new(
            ErrorKind::Throttled,
            Detail {
                retry_after: Some(Duration::from_secs(7)),
                ..Detail::default()
            },
        );
        let d = policy.delay(0, &throttled).unwrap();
        assert!(
            d >= Duration::from_secs(7) && d <= Duration::from_millis(7100),
            "{d:?}"
        );
        assert_eq!(policy.delay(3, &throttled), None, "retries are bounded");
        assert_eq!(policy.delay(0, &Error::validation("x", "bad")), None);
    }

    #[test]
    fn backoff_is_jittered_within_an_exponential_ceiling() {
        let policy = RetryPolicy::new(10);
        for attempt in 0..10 {
            let ceiling = policy.base.saturating_mul(1 << attempt).min(policy.cap);
            for _ in 0..50 {
                assert!(policy.backoff(attempt) <= ceiling);
            }
        }
        let distinct: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(6)).collect();
        assert!(distinct.len() > 10, "jitter spreads retries");
    }

    #[tokio::test(start_paused = true)]
    async fn gate_holds_requests_until_it_opens() {
        let gate = ThrottleGate::default();
        gate.close_for(Duration::from_secs(5));
        gate.close_for(Duration::from_secs(1)); // a shorter wait never shortens a longer one
        let start = Instant::now();
        gate.wait().await;
        assert!(start.elapsed() >= Duration::from_secs(5));
    }
}
