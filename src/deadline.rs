//! The overall time budget of one library call.
//!
//! A PHP caller has a budget of its own: a post-response run gets a few seconds, a cron item
//! less than its lease, Save and Test what an admin will wait for. Without a deadline a single
//! call could sleep through every Retry-After of every retry. Each export therefore runs inside
//! `within(budget, …)`, and every place that waits (the throttle gate, the write pacer, a
//! retry's backoff, an HTTP request's timeout) asks this module first. A wait that would cross
//! the deadline is not started: the call returns at once with what it knows (a throttled error
//! with the remaining Retry-After), so the caller's queue can delay the work by that much.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `future` with a deadline `budget` from now (no deadline when `None`).
pub async fn within<F: Future>(budget: Option<Duration>, future: F) -> F::Output {
    match budget {
        Some(budget) => DEADLINE.scope(Instant::now() + budget, future).await,
        None => future.await,
    }
}

/// The time left before the deadline of the current call; `None` without a deadline.
pub fn remaining() -> Option<Duration> {
    DEADLINE
        .try_with(|deadline| deadline.saturating_duration_since(Instant::now()))
        .ok()
}

/// Whether waiting `wait` from now would end after the deadline.
pub fn crosses(wait: Duration) -> bool {
    remaining().is_some_and(|left| wait > left)
}

/// `timeout`, shortened to what is left of the budget (never below 1 ms, so a request that is
/// sent at all gets a chance to be answered).
pub fn bounded(timeout: Duration) -> Duration {
    match remaining() {
        Some(left) => timeout.min(left).max(Duration::from_millis(1)),
        None => timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_budget_bounds_waits_and_timeouts() {
        assert_eq!(remaining(), None, "no deadline outside a call");
        assert!(!crosses(Duration::from_secs(3600)));
        within(Some(Duration::from_secs(3)), async {
            assert!(crosses(Duration::from_secs(10)));
            assert!(!crosses(Duration::from_secs(1)));
            assert_eq!(bounded(Duration::from_secs(30)), Duration::from_secs(3));
            tokio::time::sleep(Duration::from_secs(2)).await;
            assert_eq!(remaining(), Some(Duration::from_secs(1)));
            tokio::time::sleep(Duration::from_secs(5)).await;
            assert_eq!(bounded(Duration::from_secs(30)), Duration::from_millis(1));
        })
        .await;
        within(None, async { assert_eq!(remaining(), None) }).await;
    }
}
