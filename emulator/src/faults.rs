//! Injected faults: rules that make matching requests fail, stall or lose their connection.
//!
//! They reproduce what a client of the real service must survive: 5xx and 429 answers, timeouts,
//! dropped connections, and the nastiest one, a request whose effect happened although the
//! client never saw the answer (`after_commit`, or `delay_ms` without `status`).

use serde::{Deserialize, Serialize};

/// A fault rule, as posted to `/_emulator/faults` or passed to `EmulatorState::add_fault`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// HTTP method to match (any case); `None` matches all.
    #[serde(default)]
    pub method: Option<String>,
    /// Substring of the request path (e.g. `/v1.0/users`, `/oauth2/`); `None` matches all.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// `Some(true)`: only `$batch` sub-requests; `Some(false)`: only top-level; `None`: both.
    #[serde(default)]
    pub in_batch: Option<bool>,
    /// Answer with this status and the matching Graph error body.
    #[serde(default)]
    pub status: Option<u16>,
    /// `Retry-After` header value to send with the faulted answer.
    #[serde(default)]
    pub retry_after_s: Option<u64>,
    /// Close the connection without answering. Inside a batch, the whole `$batch` connection is
    /// closed (an HTTP exchange cannot lose only part of its answer).
    #[serde(default)]
    pub reset: bool,
    /// Wait this long before answering (or before the faulted answer).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Apply to the next N matching requests only; `None` = until cleared.
    #[serde(default)]
    pub count: Option<u64>,
    /// Apply with this probability (0..=1); `None` = always.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Perform the real operation first, then fail or reset instead of answering.
    #[serde(default)]
    pub after_commit: bool,
    /// Override of `error.code` in the faulted answer.
    #[serde(default)]
    pub code: Option<String>,
    /// Override of `error.message` in the faulted answer.
    #[serde(default)]
    pub message: Option<String>,
}

impl FaultSpec {
    /// Reject rules that would do nothing or cannot be honoured.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(s) = self.status
            && !(100..=599).contains(&s)
        {
            return Err(format!("status {s} is not an HTTP status"));
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("probability {p} is not within 0..=1"));
        }
        if self.status.is_none() && !self.reset && self.delay_ms.is_none() {
            return Err("a fault needs at least one of status, reset, delay_ms".to_string());
        }
        if self.status.is_some() && self.reset {
            return Err("status and reset exclude each other".to_string());
        }
        if self.after_commit && self.status.is_none() && !self.reset {
            return Err("after_commit needs status or reset".to_string());
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str, in_batch: bool) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self.in_batch.is_none_or(|b| b == in_batch)
    }
}

/// A registered fault with its bookkeeping, as listed by `GET /_emulator/faults`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FaultInfo {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Applications left (`None` = unlimited).
    pub remaining: Option<u64>,
    /// How many requests it was applied to.
    pub hits: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    next_id: u64,
    rules: Vec<FaultInfo>,
}

impl Faults {
    pub fn add(&mut self, spec: FaultSpec) -> Result<u64, String> {
        spec.validate()?;
        self.next_id += 1;
        let id = self.next_id;
        self.rules.push(FaultInfo {
            id,
            remaining: spec.count,
            spec,
            hits: 0,
        });
        Ok(id)
    }

    pub fn list(&self) -> Vec<FaultInfo> {
        self.rules.clone()
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }

    /// The first rule that matches and fires for this request, consuming one application.
    pub fn take(&mut self, method: &str, path: &str, in_batch: bool) -> Option<(u64, FaultSpec)> {
        if self.rules.is_empty() {
            return None;
        }
        for rule in &mut self.rules {
            if rule.remaining == Some(0) || !rule.spec.matches(method, path, in_batch) {
                continue;
            }
            if let Some(p) = rule.spec.probability
                && rand::random::<f64>() >= p
            {
                continue;
            }
            if let Some(r) = rule.remaining.as_mut() {
                *r -= 1;
            }
            rule.hits += 1;
            return Some((rule.id, rule.spec.clone()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_and_matching() {
        let mut f = Faults::default();
        let id = f
            .add(FaultSpec {
                method: Some("post".into()),
                path_contains: Some("/users".into()),
                status: Some(503),
                count: Some(2),
                ..Default::default()
            })
            .unwrap();
        assert!(f.take("GET", "/v1.0/users", false).is_none());
        assert_eq!(f.take("POST", "/v1.0/users", false).unwrap().0, id);
        assert!(f.take("POST", "/v1.0/users", true).is_some());
        assert!(f.take("POST", "/v1.0/users", false).is_none());
        assert_eq!(f.list()[0].hits, 2);
    }

    #[test]
    fn rejects_useless_rules() {
        let mut f = Faults::default();
        assert!(f.add(FaultSpec::default()).is_err());
        assert!(
            f.add(FaultSpec {
                status: Some(503),
                probability: Some(1.5),
                ..Default::default()
            })
            .is_err()
        );
    }
}
