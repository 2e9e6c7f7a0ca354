//! Everything that knows Microsoft Graph: the clouds and their hosts (`cloud`), the typed
//! users operations (`users`), and beneath them the HTTP client: one request with token,
//! throttle gate, write pacing, retries and error classification (`send`), and `$batch` on top
//! of it. Outside this module no code builds a Graph path or URL.

mod batch;
pub mod cloud;
mod delta;
pub mod groups;
mod odata;
mod pacer;
mod paths;
mod quota;
mod retry;
pub mod users;

pub use batch::MAX_BATCH;

use crate::config::Config;
use crate::deadline;
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::runtime;
use crate::token::TokenProvider;
use pacer::WritePacer;
use quota::{AppQuota, QuotaKey};
use reqwest::Method;
use retry::RetryPolicy;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A share of the application's write budget; the whole budget again when dropped.
pub struct QuotaShare {
    quota: std::sync::Arc<AppQuota>,
}

impl Drop for QuotaShare {
    fn drop(&mut self) {
        if let Some(pacer) = &self.quota.pacer {
            pacer.set_share(1);
        }
    }
}

/// Whether a request may be sent again after an answer was lost (timeout, reset, 504).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// GET, PATCH with absolute values, DELETE (a second DELETE answers 404, handled by callers).
    Safe,
    /// A create: the caller must look before it sends it again.
    LookFirst,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Value,
    pub request_id: Option<String>,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Stats {
    pub token_requests: u64,
    pub graph_requests: u64,
    pub throttled: u64,
    pub retries: u64,
}

pub struct GraphClient {
    api: String,
    tokens: TokenProvider,
    timeout: Duration,
    policy: RetryPolicy,
    /// The application's throttle gate and write pacer, shared by the process's handles.
    quota: QuotaKey,
    requests: AtomicU64,
    throttled: AtomicU64,
    retries: AtomicU64,
}

impl GraphClient {
    pub fn new(config: &Config) -> Self {
        GraphClient {
            api: format!("{}/v1.0", config.graph_origin),
            tokens: TokenProvider::new(
                config.token_url.clone(),
                config.client_id.clone(),
                config.credential.clone(),
                config.scope.clone(),
                config.timeout,
            ),
            timeout: config.timeout,
            policy: RetryPolicy::new(config.max_retries),
            quota: QuotaKey::new(
                &format!("{}/v1.0", config.graph_origin),
                config.token_url.as_str(),
                &config.client_id,
                config.write_budget,
            ),
            requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        }
    }

    /// This process's state of the application's quota (looked up per use: see `quota.rs`).
    fn quota(&self) -> std::sync::Arc<AppQuota> {
        quota::for_app(&self.quota)
    }

    pub fn stats(&self) -> Stats {
        Stats {
            token_requests: self.tokens.requests_sent(),
            graph_requests: self.requests.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }

    /// How long to wait before retry number `attempt + 1` of work that failed with `err`, or
    /// `None` to give up: the client's one retry policy, for callers that schedule their own
    /// retries (a create after a lost answer, each user of a bulk run).
    pub fn retry_delay(&self, attempt: u32, err: &Error) -> Option<Duration> {
        self.policy.delay(attempt, err)
    }

    /// Sends `method path` (path relative to `/v1.0`, query included) and returns a 2xx response,
    /// retrying what the policy allows. A refused token is refreshed and the request sent once more.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<Response> {
        let writes = usize::from(method != Method::GET);
        self.send_counted(method, path, body, replay, writes, &[])
            .await
    }

    /// `send` with request headers of its own, such as `ConsistencyLevel: eventual`, which
    /// Graph requires for advanced queries (`$search`, `$count`) on directory objects.
    async fn send_with_headers(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Response> {
        self.send_counted(method, path, None, Replay::Safe, 0, headers)
            .await
    }

    /// The `@odata.id` of a directory object, as a `$ref` body names it.
    fn object_url(&self, id: &str) -> String {
        format!("{}/directoryObjects/{}", self.api, paths::query_value(id))
    }

    /// `send` for a request that counts as `writes` writes against Graph's quota (a `$batch`
    /// counts each write inside it). Every attempt counts, as it does for Graph.
    async fn send_counted(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
        writes: usize,
        headers: &[(&str, &str)],
    ) -> Result<Response> {
        let quota = self.quota();
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            if let Some(shut) = quota.gate.remaining()
                && deadline::crosses(shut)
            {
                return Err(out_of_budget(
                    shut,
                    "Graph asked this client to wait (Retry-After)",
                ));
            }
            quota.gate.wait().await;
            // Held until the answer arrives: the pacer dates each write by its answer.
            let ticket = match &quota.pacer {
                Some(pacer) => Some(pacer.acquire(writes).await.map_err(|wait| {
                    out_of_budget(wait, "the client's write budget for Graph is used up")
                })?),
                None => None,
            };
            if deadline::remaining().is_some_and(|left| left.is_zero()) {
                return Err(out_of_budget(
                    Duration::ZERO,
                    "the call's time budget ran out",
                ));
            }
            let http = &runtime::process().http;
            let token = self.tokens.token(http).await;
            // A Retry-After may have arrived while we waited for the pacer or the token (another
            // batch's answer): then nothing is sent before it elapses, this request included.
            // No await lies between this check and the send.
            if quota.gate.remaining().is_some() {
                if let Some(ticket) = ticket {
                    ticket.cancel();
                }
                continue;
            }
            let result = match &token {
                Ok(token) => {
                    self.attempt(http, &method, path, body, headers, token.expose())
                        .await
                }
                Err(e) => Err(e.clone()),
            };
            // Throttling signals are noted before the ticket goes: the writes waiting for these
            // to be answered then see the gate a 429 shut (no await lies in between).
            match &result {
                Ok(response) if path == "/$batch" => self.note_batch_signals(&response.body),
                Ok(_) => {}
                Err(err) => self.note_throttling(err),
            }
            drop(ticket);
            let mut err = match result {
                Ok(response) => return Ok(response),
                Err(err) => err,
            };
            if let (ErrorKind::Permission, Ok(token)) = (err.kind(), &token) {
                err.detail_mut().token_can_write = crate::token::grants_user_writes(token);
            }
            if let (Ok(token), false) = (&token, refreshed)
                && odata::is_invalid_token(&err)
            {
                refreshed = true;
                self.tokens.invalidate(token).await;
                continue;
            }
            if replay == Replay::LookFirst && err.detail().maybe_committed {
                return Err(err);
            }
            match self.policy.delay(attempt, &err) {
                Some(wait) if deadline::crosses(wait) => return Err(handed_back(err, wait)),
                Some(wait) => {
                    attempt += 1;
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                }
                None => return Err(err),
            }
        }
    }

    /// Records a throttling answer and shuts the gate for its Retry-After, so that the other
    /// requests of this client wait too instead of adding to the quota.
    fn note_throttling(&self, err: &Error) {
        if err.is(ErrorKind::Throttled) {
            self.note_throttled(err.detail().retry_after);
        }
    }

    /// One 429, with its Retry-After if Graph gave one.
    fn note_throttled(&self, retry_after: Option<Duration>) {
        let quota = self.quota();
        self.throttled.fetch_add(1, Ordering::Relaxed);
        if let Some(pacer) = &quota.pacer {
            pacer.throttled();
        }
        if let Some(after) = retry_after {
            quota.gate.close_for(after);
            if let Some(pacer) = &quota.pacer {
                pacer.throttled_for(after);
            }
        }
    }

    /// Graph's `x-ms-throttle-limit-percentage` (sent from 0.8 of its limit on): the pacer
    /// learns from it whether Graph's limit is below the budget.
    fn note_usage(&self, header: Option<&str>) {
        if let (Some(pacer), Some(fraction)) = (&self.quota().pacer, odata::parse_usage(header)) {
            pacer.usage(fraction);
        }
    }

    /// `processes` processes (this one included) work against the application's quota until
    /// the guard is dropped: this process keeps to its equal part of the write budget.
    pub fn share_quota(&self, processes: u32) -> QuotaShare {
        let quota = self.quota();
        if let Some(pacer) = &quota.pacer {
            pacer.set_share(processes as usize);
        }
        QuotaShare { quota }
    }

    /// How many writes one `$batch` should carry now (the adaptive pacer's batch fill).
    pub fn batch_fill(&self) -> usize {
        self.quota()
            .pacer
            .as_ref()
            .map_or(MAX_BATCH, WritePacer::batch_fill)
    }

    /// The application permissions granted to the app, from the current token's claims.
    pub async fn granted_roles(&self) -> Result<Option<Vec<String>>> {
        let token = self.tokens.token(&runtime::process().http).await?;
        Ok(crate::token::granted_roles(&token))
    }

    pub async fn invalidate_token_after(&self, err: &Error) -> bool {
        if !odata::is_invalid_token(err) {
            return false;
        }
        let http = &runtime::process().http;
        if let Ok(token) = self.tokens.token(http).await {
            self.tokens.invalidate(&token).await;
        }
        true
    }

    async fn attempt(
        &self,
        http: &reqwest::Client,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        token: &str,
    ) -> Result<Response> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = http
            .request(method.clone(), format!("{}{}", self.api, path))
            .bearer_auth(token)
            .header("client-request-id", uuid::Uuid::new_v4().to_string())
            .header("return-client-request-id", "true")
            .header("Accept", "application/json")
            .timeout(deadline::bounded(self.timeout));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(body).expect("a JSON value serializes"));
        }
        let response = request
            .send()
            .await
            .map_err(|e| crate::transport::error(&e, "Graph"))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("request-id");
        self.note_usage(header("x-ms-throttle-limit-percentage").as_deref());
        let retry_after = odata::parse_retry_after(header("retry-after").as_deref());
        let bytes = response
            .bytes()
            .await
            .map_err(|e| crate::transport::error(&e, "Graph"))?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        if (200..300).contains(&status) {
            Ok(Response {
                status,
                body,
                request_id,
            })
        } else {
            Err(odata::classify(status, retry_after, request_id, &body))
        }
    }

    /// GETs a Graph URL given in full by Graph itself (`@odata.nextLink`, delta links). It must
    /// lie under our Graph origin: a bearer token is never sent anywhere else.
    async fn follow(&self, link: &str) -> Result<Response> {
        let path = link.strip_prefix(&self.api).ok_or_else(|| {
            Error::message(
                ErrorKind::Graph,
                format!(
                    "Graph returned a link outside {}: refusing to follow it",
                    self.api
                ),
            )
        })?;
        self.send(Method::GET, path, None, Replay::Safe).await
    }
}

/// A wait (Retry-After, the write pacer) that would outlast the call's budget: the call gives
/// the work back as throttled, with how long to wait, instead of sleeping through its budget.
fn out_of_budget(wait: Duration, why: &str) -> Error {
    let secs = wait.as_secs_f64().ceil();
    Error::new(
        ErrorKind::Throttled,
        Detail {
            message: format!(
                "{why} for {secs} s, longer than this call may wait: the work is handed back"
            ),
            retry_after: Some(wait),
            hint: Some(
                "Nothing to do: the work stays queued and is retried after the delay.".into(),
            ),
            ..Detail::default()
        },
    )
}

/// `err` with the retry it would have waited for handed to the caller: a throttled answer keeps
/// its Graph facts and says how much of its Retry-After is left.
pub fn handed_back(mut err: Error, wait: Duration) -> Error {
    if err.is(ErrorKind::Throttled) || err.detail().retry_after.is_none() {
        err.detail_mut().retry_after = Some(wait);
    }
    err
}
