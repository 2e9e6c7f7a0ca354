//! Write throttling per (tenant, application).
//!
//! Microsoft documents 3,000 writes per 150 s per app+tenant and says that "Microsoft Graph
//! continues to log resource usage while a client is being throttled", so every write attempt
//! counts, including the ones answered with 429. The window is a sliding log of attempt times:
//! a write is throttled when the window already holds `writes` attempts, and `Retry-After` is
//! the time until enough of them age out for the next attempt to fit.

use std::collections::{HashMap, VecDeque};

use crate::config::WriteBudget;

/// Outcome of counting one write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Allowed; `usage` is the fraction of the budget in use (including this write).
    Allowed { usage: f64 },
    /// Throttled; retry after this many whole seconds (≥ 1).
    Throttled { retry_after_s: u64, usage: f64 },
}

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    windows: HashMap<String, VecDeque<f64>>,
}

impl Throttle {
    pub fn clear(&mut self) {
        self.windows.clear();
    }

    /// Count one write attempt by `app` at `now` (seconds on a monotonic clock).
    pub fn record_write(&mut self, app: &str, budget: &WriteBudget, now: f64) -> Decision {
        let window = budget.window_s.max(0.001);
        let limit = budget.writes as usize;
        let log = self.windows.entry(app.to_string()).or_default();
        while log.front().is_some_and(|t| *t <= now - window) {
            log.pop_front();
        }
        let throttled = log.len() >= limit;
        log.push_back(now);
        let usage = if limit == 0 {
            f64::INFINITY
        } else {
            log.len() as f64 / limit as f64
        };
        if !throttled {
            return Decision::Allowed { usage };
        }
        // The next attempt fits once at most `limit - 1` attempts remain in the window, i.e.
        // once the attempt at index `len - limit` has aged out.
        let free_at = if limit == 0 {
            now + window
        } else {
            log[log.len() - limit] + window
        };
        let retry_after_s = ((free_at - now).ceil() as u64).max(1);
        Decision::Throttled {
            retry_after_s,
            usage,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_then_retry_after_and_throttled_attempts_count() {
        let mut t = Throttle::default();
        let b = WriteBudget {
            writes: 3,
            window_s: 10.0,
        };
        assert!(matches!(
            t.record_write("a", &b, 0.0),
            Decision::Allowed { .. }
        ));
        assert!(matches!(
            t.record_write("a", &b, 1.0),
            Decision::Allowed { .. }
        ));
        assert!(matches!(
            t.record_write("a", &b, 2.0),
            Decision::Allowed { .. }
        ));
        // The window holds 0,1,2 → throttled, and this attempt counts too (log 0,1,2,3): a free
        // slot needs the attempts at 0 and 1 aged out, at 11.0.
        match t.record_write("a", &b, 3.0) {
            Decision::Throttled { retry_after_s, .. } => assert_eq!(retry_after_s, 8),
            d => panic!("{d:?}"),
        }
        // Other apps are independent.
        assert!(matches!(
            t.record_write("b", &b, 3.0),
            Decision::Allowed { .. }
        ));
        // Honouring Retry-After gets through.
        assert!(matches!(
            t.record_write("a", &b, 11.0),
            Decision::Allowed { .. }
        ));
        // Immediately again: throttled (the window is full again).
        assert!(matches!(
            t.record_write("a", &b, 11.0),
            Decision::Throttled { .. }
        ));
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let mut t = Throttle::default();
        let b = WriteBudget {
            writes: 1,
            window_s: 0.2,
        };
        t.record_write("a", &b, 0.0);
        match t.record_write("a", &b, 0.1) {
            Decision::Throttled { retry_after_s, .. } => assert_eq!(retry_after_s, 1),
            d => panic!("{d:?}"),
        }
    }
}
