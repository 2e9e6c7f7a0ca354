//! Client-side pacing of writes to Graph's documented write quota (3,000 writes per 150 s per
//! app and tenant). Throttled requests still count against the quota, so discovering the limit
//! by collecting 429s only prolongs the throttling; a sliding-window log of our own write times
//! keeps a bulk run just under the ceiling instead. A small margin absorbs the difference
//! between when we send and when Graph counts (network latency varies).

use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub(super) struct WritePacer {
    writes: usize,
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl WritePacer {
    pub fn new(writes: u32, window: Duration) -> Self {
        // A slightly longer window than the quota's (1 %, at most 100 ms): latency jitter
        // between two writes a window apart must not put both into one of Graph's windows.
        let margin = (window / 100).min(Duration::from_millis(100));
        WritePacer {
            writes: (writes as usize).max(1),
            window: window + margin,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until `count` more writes fit in the window, then records them as sent now.
    /// Holding the lock while waiting keeps callers in arrival order (no starvation).
    ///
    /// A wait that would cross the call's deadline is not started: `Err(wait)` says how long
    /// the budget stays used up, and nothing is recorded.
    pub async fn acquire(&self, count: usize) -> Result<(), Duration> {
        if count == 0 {
            return Ok(());
        }
        let count = count.min(self.writes);
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= self.window)
            {
                sent.pop_front();
            }
            if sent.len() + count <= self.writes {
                sent.extend(std::iter::repeat_n(now, count));
                return Ok(());
            }
            // The oldest writes that must leave the window before `count` more fit.
            let must_expire = sent.len() + count - self.writes;
            let until = sent[must_expire - 1] + self.window;
            let wait = until.saturating_duration_since(now);
            if crate::deadline::crosses(wait) {
                return Err(wait);
            }
            tokio::time::sleep_until(until).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_budget_in_any_window() {
        let pacer = WritePacer::new(100, Duration::from_secs(5));
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..50 {
            pacer.acquire(20).await.unwrap();
            times.push(Instant::now());
        }
        // 1000 writes at 99 per 5.25 s: about 10 windows.
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_secs(45) && elapsed <= Duration::from_secs(55),
            "{elapsed:?}"
        );
        for (i, t) in times.iter().enumerate() {
            let in_window = times[..=i]
                .iter()
                .filter(|s| t.duration_since(**s) < Duration::from_secs(5))
                .count();
            assert!(
                in_window * 20 <= 100,
                "{in_window} batches of 20 within 5 s"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_up_to_the_budget_is_immediate() {
        let pacer = WritePacer::new(3000, Duration::from_secs(150));
        let start = Instant::now();
        for _ in 0..150 {
            pacer.acquire(20).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
