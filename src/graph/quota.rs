//! Graph's write quota is per application and tenant, not per client handle, so what this
//! process learns about it is kept per application: the throttle gate (a known `Retry-After`)
//! and the write pacer (the writes in the budget's window, the learned rate).
//!
//! A PHP-FPM request makes and frees its handle; a queue drain or a cron run makes several. With
//! the gate and the pacer in the handle, each new handle forgot a running `Retry-After` and the
//! writes just sent, and started with the whole budget as a burst. Handles of one process that
//! talk to the same Graph as the same application (`QuotaKey`) share one `AppQuota`; like the
//! token cache, it is looked up on every use, so a handle made before `fork()` finds the child's.

use super::pacer::WritePacer;
use super::retry::ThrottleGate;
use crate::config::WriteBudget;
use crate::per_process::PerProcess;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
pub(super) struct AppQuota {
    pub gate: ThrottleGate,
    pub pacer: Option<WritePacer>,
}

/// Which handles share a quota: the same Graph (`api`), tenant and login endpoint (`token_url`)
/// and application, and the same configured budget (a changed budget starts afresh).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct QuotaKey {
    api: String,
    token_url: String,
    client_id: String,
    budget: Option<(u32, u64)>,
}

impl QuotaKey {
    pub fn new(api: &str, token_url: &str, client_id: &str, budget: Option<WriteBudget>) -> Self {
        QuotaKey {
            api: api.to_owned(),
            token_url: token_url.to_owned(),
            client_id: client_id.to_owned(),
            budget: budget.map(|b| (b.writes, (b.window_s * 1000.0).round() as u64)),
        }
    }
}

/// More keys than a site has configurations: then quotas no handle uses are forgotten.
const KEEP: usize = 16;

#[derive(Default)]
struct Quotas(Mutex<HashMap<QuotaKey, Arc<AppQuota>>>);

static QUOTAS: PerProcess<Quotas> = PerProcess::new();

/// This process's quota for `key`, made on first use.
pub(super) fn for_app(key: &QuotaKey) -> Arc<AppQuota> {
    // A poisoned lock only means a panic elsewhere while holding it; the map is still sound.
    let mut quotas = QUOTAS.get().0.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(quota) = quotas.get(key) {
        return Arc::clone(quota);
    }
    if quotas.len() >= KEEP {
        quotas.retain(|_, quota| Arc::strong_count(quota) > 1);
    }
    let quota = Arc::new(AppQuota {
        gate: ThrottleGate::default(),
        pacer: key
            .budget
            .map(|(writes, ms)| WritePacer::new(writes, Duration::from_millis(ms))),
    });
    quotas.insert(key.clone(), Arc::clone(&quota));
    quota
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_of_one_application_share_its_quota_and_others_do_not() {
        let budget = Some(WriteBudget {
            writes: 100,
            window_s: 5.0,
        });
        let key = |client: &str| {
            QuotaKey::new(
                "http://127.0.0.1:1/v1.0",
                "http://127.0.0.1:1/t/oauth2/v2.0/token",
                client,
                budget,
            )
        };
        let a = for_app(&key("quota-test-a"));
        assert!(Arc::ptr_eq(&a, &for_app(&key("quota-test-a"))));
        assert!(!Arc::ptr_eq(&a, &for_app(&key("quota-test-b"))));
        a.gate.close_for(Duration::from_secs(5));
        assert!(for_app(&key("quota-test-a")).gate.remaining().is_some());
        assert!(for_app(&key("quota-test-b")).gate.remaining().is_none());
    }
}
