//! The request log: what clients sent and what they got back, for tests and benchmarks.
//!
//! Bounded (oldest entries dropped) so a benchmark cannot grow memory without limit, and
//! switchable off. Secrets are redacted before anything is stored: a token request's
//! `client_secret` and any `password` in a JSON body never reach the log.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One logged request (a `$batch` sub-request is its own entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestLogEntry {
    /// Arrival order; a batch's sub-requests have higher numbers than the batch.
    pub seq: u64,
    /// Arrival time, ms since the emulator started (monotonic).
    pub t_ms: f64,
    pub method: String,
    /// Path as received (percent-encoded); for sub-requests `/v1.0` + the sub-request path.
    pub path: String,
    /// Raw query string ("" when none).
    pub query: String,
    /// Status answered; 0 when the connection was reset instead.
    pub status: u16,
    pub request_id: String,
    pub client_request_id: String,
    pub in_batch: bool,
    /// `seq` of the enclosing `$batch`.
    pub batch_seq: Option<u64>,
    /// Request body as text, with secrets redacted.
    pub body: String,
    /// `Retry-After` sent back, if any.
    pub retry_after_s: Option<u64>,
    /// Injected fault applied to this request, if any.
    pub fault_id: Option<u64>,
    /// Time spent handling it, ms (without the configured latency).
    pub duration_ms: f64,
}

#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<RequestLogEntry>,
    pub max: usize,
}

/// Default bound of the request log.
pub const DEFAULT_LOG_MAX: usize = 200_000;

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog {
            entries: VecDeque::new(),
            max: DEFAULT_LOG_MAX,
        }
    }
}

impl RequestLog {
    pub fn push(&mut self, e: RequestLogEntry) {
        if self.max == 0 {
            return;
        }
        while self.entries.len() >= self.max {
            self.entries.pop_front();
        }
        self.entries.push_back(e);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Entries with `seq > since`, in arrival order.
    pub fn since(&self, since: u64) -> Vec<RequestLogEntry> {
        let mut v: Vec<RequestLogEntry> = self
            .entries
            .iter()
            .filter(|e| e.seq > since)
            .cloned()
            .collect();
        v.sort_by_key(|e| e.seq);
        v
    }

    pub fn set_max(&mut self, max: usize) {
        self.max = max;
        while self.entries.len() > max {
            self.entries.pop_front();
        }
    }
}

const REDACTED: &str = "[REDACTED]";

/// Replace every `password` (and `client_secret`) member of a JSON value, at any depth.
pub(crate) fn redact_json(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if k == "password" || k == "client_secret" {
                    *val = Value::String(REDACTED.into());
                } else {
                    redact_json(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// A raw body for the log: JSON gets its passwords redacted, anything else is kept as text.
pub(crate) fn redact_raw_json(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if !text.contains("password") {
        return text.into_owned();
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        // Unparseable but mentions a password: keep nothing that could be one.
        Err(_) => REDACTED.to_string(),
    }
}

/// A token request body for the log, with `client_secret` and `client_assertion` redacted.
pub(crate) fn redact_form(raw: &[u8]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(raw) {
        if k == "client_secret" || k == "client_assertion" {
            out.append_pair(&k, REDACTED);
        } else {
            out.append_pair(&k, &v);
        }
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        let s = redact_raw_json(br#"{"a":1,"passwordProfile":{"password":"Secret1!"}}"#);
        assert!(!s.contains("Secret1!"));
        assert!(s.contains(REDACTED));
        let f = redact_form(b"client_id=x&client_secret=top%20secret&scope=s");
        assert!(!f.contains("top"));
        assert!(f.contains("client_id=x"));
        assert_eq!(redact_raw_json(b"not json with password"), REDACTED);
    }

    #[test]
    fn bounded() {
        let mut log = RequestLog::default();
        log.set_max(2);
        for seq in 1..=3 {
            log.push(RequestLogEntry {
                seq,
                t_ms: 0.0,
                method: "GET".into(),
                path: "/".into(),
                query: String::new(),
                status: 200,
                request_id: String::new(),
                client_request_id: String::new(),
                in_batch: false,
                batch_seq: None,
                body: String::new(),
                retry_after_s: None,
                fault_id: None,
                duration_ms: 0.0,
            });
        }
        let seqs: Vec<u64> = log.since(0).iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![2, 3]);
    }
}
