//! Client-side pacing of writes to Graph's write quota: `write_budget` (3,000 writes per 150 s
//! per app and tenant by default) is the upper bound, and below it an adaptive limit learned
//! from Graph's own signals. Throttled requests still count against the quota, so discovering
//! the limit by collecting 429s only prolongs the throttling.
//!
//! Two constraints, both must allow a write:
//!
//! 1. **The budget's sliding window.** At most `writes` writes in any `window` (+ a small
//!    margin). A write enters the log when it is sent (as "in flight", which never ages out)
//!    and is dated by the time its *answer* arrived. Graph counted it somewhere between send
//!    and answer, so dating it by the answer is never earlier than Graph's own date: a window
//!    that has expired for us has expired for Graph too, however late a loaded machine
//!    delivered the request. (Dating by send time, as before, let the next window's first write
//!    reach Graph while a slow previous write still sat in Graph's sliding log.)
//!
//! 2. **An adaptive token bucket** (rate `rate`, capacity `burst`), AIMD like TCP's congestion
//!    control. Graph's real limit may be lower than the budget (other apps share the tenant's
//!    quota, Microsoft may throttle before the published limits), and its window may be far
//!    shorter than ours: 3,000 per 150 s allows a burst of 3,000 that a 100-per-5-s limit
//!    answers with 429s. The bucket starts full (rate and burst of the budget, i.e. no change
//!    while nothing says the budget is wrong) and learns:
//!    - an *unexplained* `x-ms-throttle-limit-percentage` ≥ 0.8 (Graph's usage is well above
//!      what our own log holds of the budget, so its limit or window is smaller than ours)
//!      collapses the burst to one batch: sending at the rate stays allowed, bursting does not;
//!    - a 429 collapses the burst, empties the bucket (after the Retry-After we resume at the
//!      rate, never with a burst of everything that waited) and cuts the rate once per
//!      congestion event (the 429s of one round trip are one event): in proportion to the
//!      overshoot Graph reports with it (`x-ms-throttle-limit-percentage` above 1.0), else
//!      by 0.7;
//!    - every second without a decrease the rate grows additively by 5 % of the budget's rate,
//!      and every 10 s the burst by one batch, never above the budget (the probe upward).
//!
//! 3. **Slow start**, as TCP's but gentler: at first at most one batch is in flight, and every
//!    four answered writes let one more be in flight (the in-flight cap grows 1.25× every
//!    round trip) until the first signal. A client that knows nothing yet must not spend the
//!    whole budget in its first round trip: against a smaller real limit every write beyond it
//!    is a charged 429, and the writes of the last round trip before Graph's first signal are
//!    all sent (TCP's doubling overshoots a limit by up to the whole last round). Against a
//!    limit of 100 in the bench, 1.5× cost 40 to 60 429s and 1.25× alone 40; with the empty
//!    bucket at the first signal (`usage`), 20. 1.25× reaches a budget of 3,000 in 23 round
//!    trips and 500 in 15, so a budget that is right loses little.
//!
//! 4. **A shared quota** (`set_share`, several processes of the site writing at once): each
//!    keeps to its part of the budget's rate, with no burst and no slow start (their bursts
//!    would coincide), and stays empty through a Retry-After (the others kept writing). What
//!    was learned of Graph's limit, a fraction of the budget's rate, carries over when the
//!    number of processes changes.
//!
//!    An estimator of the refill rate from successive Retry-After values was the alternative; it
//!    needs several 429s before it knows anything, each one charged, while AIMD needs one signal
//!    and the percentage header usually arrives before any 429 at all.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::batch::MAX_BATCH;

/// What one congestion event leaves of the rate when Graph did not say how far over its limit
/// the application is.
const DECREASE: f64 = 0.7;
/// With Graph's usage on the 429 (`x-ms-throttle-limit-percentage`, 1.0 = at the limit), the
/// rate is cut in proportion to the overshoot, to this fraction of the limit, but never below
/// `DECREASE`: 1.02 leaves 0.88 of the rate, 1.3 and more leave 0.7. A process at the limit
/// (its budget's rate is Graph's) then loses a little, not 30 %, each time timing noise puts
/// one write too many in Graph's window. A large overshoot is a burst's (slow start's last
/// round trip), which says little about the rate: it gets the default cut, no deeper.
const AFTER_OVERSHOOT: f64 = 0.9;
/// Additive increase per second without a decrease, as a fraction of the budget's rate.
const INCREASE_PER_S: f64 = 0.05;
/// How often the burst grows by one batch without a decrease.
const BURST_PROBE: Duration = Duration::from_secs(10);
/// The rate never falls below this fraction of the budget's (a floor keeps the probe moving).
const MIN_RATE_SHARE: f64 = 0.05;

pub(super) struct WritePacer {
    writes: usize,
    window: Duration,
    max_rate: f64,
    /// Held while a caller waits for its turn, so callers go in arrival order.
    queue: tokio::sync::Mutex<()>,
    state: Mutex<State>,
    /// Signalled whenever in-flight writes are answered.
    answered: Notify,
}

struct State {
    in_flight: usize,
    /// Answer times of writes, oldest first.
    answered: VecDeque<Instant>,
    rate: f64,
    burst: f64,
    tokens: f64,
    refilled_at: Instant,
    last_decrease: Option<Instant>,
    last_probe: Instant,
    /// In slow start: how many writes may be in flight (`None` once a signal ended it).
    slow_start: Option<usize>,
    /// How many processes share the application's budget now (see `set_share`).
    share: usize,
    /// The last usage Graph reported and when (read by `throttled` for the 429 it came with).
    reported: Option<(Instant, f64)>,
}

impl State {
    /// This process's part of the budget's writes per window.
    fn limit(&self, writes: usize) -> usize {
        (writes / self.share).max(1)
    }
}

/// Writes sent and not yet answered; dropping it dates them by now.
pub(super) struct Ticket<'a> {
    pacer: &'a WritePacer,
    count: usize,
}

impl Ticket<'_> {
    /// The writes were not sent after all (the throttle gate shut meanwhile): nothing counts.
    pub fn cancel(mut self) {
        let mut st = self.pacer.lock();
        st.in_flight -= self.count;
        st.tokens = (st.tokens + self.count as f64).min(st.burst);
        self.count = 0;
        drop(st);
        self.pacer.answered.notify_waiters();
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.count == 0 {
            return;
        }
        let now = Instant::now();
        let mut st = self.pacer.lock();
        st.in_flight -= self.count;
        st.answered.extend(std::iter::repeat_n(now, self.count));
        if let Some(cap) = &mut st.slow_start {
            *cap = cap.saturating_add(self.count.div_ceil(4));
        }
        drop(st);
        self.pacer.answered.notify_waiters();
    }
}

impl WritePacer {
    pub fn new(writes: u32, window: Duration) -> Self {
        // A slightly longer window than the quota's (1 %, at most 100 ms): clock and rounding
        // differences between two writes a window apart must not put both into one window.
        let margin = (window / 100).min(Duration::from_millis(100));
        let writes = (writes as usize).max(1);
        let window = window + margin;
        let max_rate = writes as f64 / window.as_secs_f64().max(0.001);
        let now = Instant::now();
        WritePacer {
            writes,
            window,
            max_rate,
            queue: tokio::sync::Mutex::new(()),
            state: Mutex::new(State {
                in_flight: 0,
                answered: VecDeque::new(),
                rate: max_rate,
                burst: writes as f64,
                tokens: writes as f64,
                refilled_at: now,
                last_decrease: None,
                last_probe: now,
                slow_start: Some(MAX_BATCH),
                share: 1,
                reported: None,
            }),
            answered: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many writes one `$batch` should hold now: at most Graph's 20, at most the learned
    /// burst, and at most two seconds of the learned rate (a slow rate is not spent in bursts).
    pub fn batch_fill(&self) -> usize {
        let mut st = self.lock();
        self.refill(&mut st, Instant::now());
        let fill = (st.burst.min((st.rate * 2.0).ceil()) as usize).clamp(1, MAX_BATCH);
        // While other processes share the quota this one's part is a few writes per second:
        // single writes interleave with theirs and fill the part exactly (a batch waits for
        // room for all of it, so a part of 25 in batches of 10 carries only 20 per window).
        // Graph's request limits are far above the write quota, so the extra requests cost
        // nothing that matters.
        if st.share > 1 {
            return 1;
        }
        // Alone: the largest batch, up to `fill`, that wastes least of the window.
        let limit = st.limit(self.writes);
        // `max_by_key` keeps the last of equals: the largest such batch.
        (1..=fill.min(limit))
            .max_by_key(|f| limit / f * f)
            .unwrap_or(1)
    }

    /// Waits until `count` more writes are allowed, then records them as in flight.
    ///
    /// A wait that would cross the call's deadline is not started: `Err(wait)` says how long
    /// the budget stays used up, and nothing is recorded.
    pub async fn acquire(&self, count: usize) -> Result<Ticket<'_>, Duration> {
        if count == 0 {
            return Ok(Ticket { pacer: self, count });
        }
        let _turn = self.queue.lock().await;
        loop {
            let answered = self.answered.notified();
            tokio::pin!(answered);
            answered.as_mut().enable();
            let until = {
                let mut st = self.lock();
                let now = Instant::now();
                while st
                    .answered
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    st.answered.pop_front();
                }
                self.refill(&mut st, now);
                let limit = st.limit(self.writes);
                let count = count.min(limit);
                let used = st.in_flight + st.answered.len();
                // A batch larger than the learned burst is let through once the bucket is full.
                let need = (count as f64).min(st.burst);
                // In slow start a batch larger than the cap goes alone.
                let started = st
                    .slow_start
                    .is_none_or(|cap| st.in_flight == 0 || st.in_flight + count <= cap);
                if used + count <= limit && st.tokens >= need && started {
                    st.in_flight += count;
                    st.tokens -= need;
                    return Ok(Ticket { pacer: self, count });
                }
                let by_bucket =
                    st.refilled_at.max(now) + secs((need - st.tokens).max(0.0) / st.rate);
                // Only answered writes age out; in-flight ones are waited for by `answered`.
                let must_expire = (used + count).saturating_sub(limit);
                let by_log = match must_expire {
                    0 => Some(now),
                    n if n <= st.answered.len() => Some(st.answered[n - 1] + self.window),
                    _ => None,
                };
                // Slow start waits for answers, not for time.
                by_log.filter(|_| started).map(|t| t.max(by_bucket))
            };
            if let Some(until) = until {
                let wait = until.saturating_duration_since(Instant::now());
                if crate::deadline::crosses(wait) {
                    return Err(wait);
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {}
                    _ = answered => {}
                }
            } else {
                answered.await;
            }
        }
    }

    /// Graph asked for a wait of `after` (a 429's Retry-After) after `throttled`.
    ///
    /// Alone, the wait drains Graph's window of this process's own writes, so the bucket fills
    /// meanwhile (up to one batch: the smallest burst) and the process resumes with it. While
    /// processes share the quota, the others kept writing during this one's wait: it stays
    /// empty until the wait is over and resumes at its rate. (Filling up made every process
    /// resume with a burst, which filled Graph's window and earned the next Retry-After.)
    pub fn throttled_for(&self, after: Duration) {
        let mut st = self.lock();
        if st.share > 1 {
            st.refilled_at = st.refilled_at.max(Instant::now() + after);
        }
    }

    /// Graph answered 429: the real limit is below what we sent at.
    pub fn throttled(&self) {
        let now = Instant::now();
        let mut st = self.lock();
        self.refill(&mut st, now);
        st.tokens = 0.0;
        st.burst = self.min_burst(&st);
        st.slow_start = None;
        // The 429s of one round trip (a batch's sub-requests, the batches in flight with it)
        // are one congestion event: decrease once per second at most.
        if st
            .last_decrease
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
        {
            // The usage reported with this 429 (noted just before it, see `usage`).
            let overshoot = st
                .reported
                .filter(|(at, fraction)| {
                    now.duration_since(*at) < Duration::from_secs(1) && *fraction >= 1.0
                })
                .map(|(_, fraction)| fraction);
            let keep = overshoot.map_or(DECREASE, |f| {
                (AFTER_OVERSHOOT / f).clamp(DECREASE, AFTER_OVERSHOOT)
            });
            st.rate = (st.rate * keep).max(self.top_rate(&st) * MIN_RATE_SHARE);
        }
        st.last_decrease = Some(now);
        st.last_probe = now;
    }

    /// Graph reported `x-ms-throttle-limit-percentage` (a fraction of its limit in use).
    pub fn usage(&self, fraction: f64) {
        if fraction.is_nan() || fraction < 0.8 {
            return;
        }
        let now = Instant::now();
        let mut st = self.lock();
        st.reported = Some((now, fraction));
        let ours = (st.in_flight + st.answered.len()) as f64 / st.limit(self.writes) as f64;
        // Our own log explains it: we are simply near the budget, which is what pacing to the
        // budget means. Otherwise Graph's limit or window is smaller than the budget's.
        if ours + 0.1 >= fraction {
            return;
        }
        self.refill(&mut st, now);
        st.burst = self.min_burst(&st);
        st.tokens = st.tokens.min(st.burst);
        // The first signal ends slow start with an empty bucket: the writes of the round trip
        // still in flight already go beyond what made Graph's window this full, so nothing
        // more goes until the rate has earned it (a batch sent now met the 429s on their way).
        if st.slow_start.take().is_some() {
            st.tokens = 0.0;
        }
        st.last_probe = now;
    }

    /// The learned rate's ceiling: this process's part of the budget's rate.
    fn top_rate(&self, st: &State) -> f64 {
        self.max_rate / st.share as f64
    }

    /// The smallest burst: one batch alone (or the whole budget when it is smaller); a single
    /// write while processes share the quota. Their bursts would coincide, and paced exactly at
    /// their parts of a budget that is Graph's own limit, a few writes of catch-up each put
    /// Graph's window over its limit.
    fn min_burst(&self, st: &State) -> f64 {
        if st.share > 1 {
            return 1.0;
        }
        st.limit(self.writes).min(MAX_BATCH) as f64
    }

    /// `processes` processes (this one included) work against the application's quota now:
    /// this one keeps to its equal part of the budget, so that together they keep to the
    /// budget. Without this each took the whole budget, and four processes sent four times
    /// the quota (each 429 charged, each Retry-After ending in four bursts at once).
    pub fn set_share(&self, processes: usize) {
        let now = Instant::now();
        let mut st = self.lock();
        self.refill(&mut st, now);
        let processes = processes.max(1);
        if processes == st.share {
            return;
        }
        // What was learned of Graph's real limit is a fraction of the budget's rate, and it
        // holds for the new part too: a process whose partners left takes their part at once.
        let learned = st.rate / self.top_rate(&st);
        st.share = processes;
        st.rate = learned * self.top_rate(&st);
        // Processes that share the quota pace at their part of the rate and never burst: their
        // bursts would coincide, and slow start (which probes with bursts) would overshoot
        // Graph's window once per process. The burst probe still grows it while Graph agrees.
        let cap = if processes > 1 {
            st.slow_start = None;
            self.min_burst(&st)
        } else {
            st.limit(self.writes) as f64
        };
        st.burst = st.burst.min(cap);
        st.tokens = st.tokens.min(st.burst);
    }

    fn refill(&self, st: &mut State, now: Instant) {
        // Within a Retry-After of a shared quota (see `throttled_for`) nothing refills.
        if now <= st.refilled_at {
            return;
        }
        let since_decrease = st.last_decrease.map(|t| now.duration_since(t));
        let elapsed = now.duration_since(st.refilled_at).as_secs_f64();
        let top = self.top_rate(st);
        if since_decrease.is_none_or(|d| d >= Duration::from_secs(1)) && st.rate < top {
            st.rate = (st.rate + top * INCREASE_PER_S * elapsed).min(top);
        }
        while now.duration_since(st.last_probe) >= BURST_PROBE {
            st.last_probe += BURST_PROBE;
            st.burst = (st.burst + self.min_burst(st)).min(st.limit(self.writes) as f64);
        }
        st.tokens = (st.tokens + st.rate * elapsed).min(st.burst);
        st.refilled_at = now;
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 3600.0))
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
            drop(pacer.acquire(20).await.unwrap());
            times.push(Instant::now());
        }
        // 1000 writes at 99 per 5.05 s: about 10 windows.
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
            drop(pacer.acquire(20).await.unwrap());
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn slow_start_grows_what_is_in_flight_each_round_trip_until_a_signal() {
        let pacer = WritePacer::new(3000, Duration::from_secs(150));
        // Round trip one: one batch; the second waits for its answer.
        let first = pacer.acquire(20).await.unwrap();
        assert!(
            tokio::time::timeout(Duration::from_secs(1), pacer.acquire(20))
                .await
                .is_err()
        );
        drop(first);
        // Round trip two: 25 writes, and not one more.
        let round: Vec<_> = [
            pacer.acquire(20).await.unwrap(),
            pacer.acquire(5).await.unwrap(),
        ]
        .into();
        assert!(
            tokio::time::timeout(Duration::from_secs(1), pacer.acquire(1))
                .await
                .is_err()
        );
        drop(round);
        // A signal ends slow start, with an empty bucket: the next batch waits for the rate to
        // earn it (one batch at 20/s: a second), and then what the bucket allows may be in
        // flight at once.
        pacer.usage(0.9);
        assert!(pacer.lock().slow_start.is_none());
        let start = Instant::now();
        let held: Vec<_> = [
            pacer.acquire(20).await.unwrap(),
            pacer.acquire(20).await.unwrap(),
        ]
        .into();
        let waited = start.elapsed().as_secs_f64();
        assert!((waited - 2.0).abs() < 0.1, "{waited} s for two batches");
        drop(held);
    }

    #[tokio::test(start_paused = true)]
    async fn a_share_keeps_to_its_part_of_the_budget_and_the_whole_comes_back() {
        let pacer = WritePacer::new(100, Duration::from_secs(5));
        pacer.set_share(4);
        let start = Instant::now();
        for _ in 0..10 {
            drop(pacer.acquire(5).await.unwrap());
        }
        // 50 writes at 25 per 5.05 s: the second 25 wait for the first window.
        assert!(
            start.elapsed() >= Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            pacer.batch_fill(),
            1,
            "single writes while the quota is shared"
        );
        pacer.set_share(1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        let st = pacer.lock();
        assert_eq!(st.limit(pacer.writes), 100);
        assert!((pacer.top_rate(&st) - pacer.max_rate).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_counts_from_the_answer_not_the_send() {
        let pacer = WritePacer::new(20, Duration::from_secs(2));
        let ticket = pacer.acquire(20).await.unwrap();
        // Answered 1 s after it was sent: Graph may have counted it at any time until then.
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(ticket);
        let start = Instant::now();
        drop(pacer.acquire(1).await.unwrap());
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_stops_the_burst_and_lowers_the_rate_then_it_probes_upward() {
        let pacer = WritePacer::new(3000, Duration::from_secs(150));
        drop(pacer.acquire(100).await.unwrap());
        pacer.throttled();
        pacer.throttled(); // the same event
        let rate = pacer.lock().rate;
        assert!((rate - pacer.max_rate * DECREASE).abs() < 0.01, "{rate}");
        // No burst on resume: 200 writes take about 200 / (rate ≈ 14/s) seconds, not 0.
        let start = Instant::now();
        for _ in 0..10 {
            drop(pacer.acquire(20).await.unwrap());
        }
        assert!(
            start.elapsed() >= Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        // Without further signals the rate climbs back to the budget, never above it.
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(pacer.batch_fill(), MAX_BATCH);
        let st = pacer.lock();
        assert!((st.rate - pacer.max_rate).abs() < 1e-9, "{}", st.rate);
        assert!(st.burst > pacer.min_burst(&st) && st.burst <= 3000.0);
    }

    #[tokio::test(start_paused = true)]
    async fn sharing_processes_resume_at_their_rate_and_a_429_cuts_by_the_overshoot() {
        let pacer = WritePacer::new(3000, Duration::from_secs(150));
        pacer.set_share(4);
        drop(pacer.acquire(5).await.unwrap());
        let before = pacer.lock().rate;
        // Graph's usage on the 429: 10 % over its limit.
        pacer.usage(1.1);
        pacer.throttled();
        let rate = pacer.lock().rate;
        assert!(
            (rate - before * AFTER_OVERSHOOT / 1.1).abs() < 1e-9,
            "{rate} after {before}"
        );
        // A Retry-After of 5 s: nothing refills meanwhile, and then each of four processes
        // resumes at its rate, with no burst at all.
        pacer.throttled_for(Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(5)).await;
        let start = Instant::now();
        drop(pacer.acquire(1).await.unwrap());
        let waited = start.elapsed().as_secs_f64();
        assert!(
            (waited - 1.0 / rate).abs() < 0.01,
            "{waited} s for one write at {rate}/s"
        );
        // Alone, the wait drained Graph's window of this process's own writes: it resumes with
        // one batch.
        pacer.set_share(1);
        pacer.throttled();
        pacer.throttled_for(Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(5)).await;
        let start = Instant::now();
        drop(pacer.acquire(MAX_BATCH).await.unwrap());
        assert_eq!(start.elapsed(), Duration::ZERO);
        // Without the usage the cut is the default one.
        let other = WritePacer::new(3000, Duration::from_secs(150));
        let before = other.lock().rate;
        other.throttled();
        assert!((other.lock().rate - before * DECREASE).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn usage_explained_by_our_own_writes_changes_nothing() {
        let pacer = WritePacer::new(100, Duration::from_secs(5));
        let _t = pacer.acquire(90).await.unwrap();
        pacer.usage(0.9);
        assert_eq!(pacer.lock().burst, 100.0);
        // 90 % used at Graph but 3 % of our budget: Graph's limit is smaller.
        let other = WritePacer::new(3000, Duration::from_secs(150));
        let _t = other.acquire(90).await.unwrap();
        other.usage(0.9);
        assert_eq!(other.lock().burst, MAX_BATCH as f64);
    }
}
