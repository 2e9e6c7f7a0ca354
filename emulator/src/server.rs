//! HTTP side: the accept loop, the hyper service, and the "front door" every request passes —
//! top-level ones and `$batch` sub-requests alike — where faults, logging, counters and the
//! standard Graph headers are applied.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::errors::{Body, GraphError, Ids, Reply};
use crate::faults::FaultSpec;
use crate::log::{RequestLogEntry, redact_form, redact_json, redact_raw_json};
use crate::state::Shared;
use crate::token;

/// Largest request body accepted (a full `$batch` of creates is a few kB).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// A request body: raw bytes from the wire, or the JSON value of a `$batch` sub-request.
#[derive(Debug)]
pub(crate) enum ReqBody {
    Raw(Bytes),
    Json(Option<Value>),
}

/// A request as the front door sees it.
#[derive(Debug)]
pub(crate) struct GraphRequest {
    pub method: String,
    /// Path as received, percent-encoded (`/v1.0/users/...`).
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: ReqBody,
    pub in_batch: bool,
    pub batch_seq: Option<u64>,
    pub client_request_id: Option<String>,
}

/// What becomes of a request: an answer, or a connection closed without one.
#[derive(Debug)]
pub(crate) enum Outcome {
    Reply(Reply),
    Reset,
}

/// Error returned to hyper to make it drop the connection without answering.
#[derive(Debug)]
pub(crate) struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by injected fault")
    }
}

impl std::error::Error for ConnectionReset {}

/// Accept connections until `shutdown` flips; each connection is served HTTP/1.1 or h2c.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        eprintln!("entra-graph-emulator: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut stop = shutdown.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(shared.clone(), req));
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ConnectionReset> {
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            let ids = Ids {
                request_id: crate::new_guid(),
                client_request_id: crate::new_guid(),
            };
            let reply = GraphError::new(413, "RequestEntityTooLarge", "The request is too large.")
                .into_reply(&ids);
            return Ok(to_response(reply));
        }
    };
    let path = parts.uri.path().to_string();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        let reply = crate::control::handle(
            &shared,
            parts.method.as_str(),
            &path,
            parts.uri.query(),
            &bytes,
        );
        return Ok(to_response(reply));
    }
    let client_request_id = parts
        .headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let request = GraphRequest {
        method: parts.method.as_str().to_string(),
        path,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body: ReqBody::Raw(bytes),
        in_batch: false,
        batch_seq: None,
        client_request_id,
    };
    // Run the request on its own task: if the client gives up (timeout, closed connection)
    // hyper drops this future, but the operation must still complete, as it would on the real
    // service. That is what makes "timed out, yet created" reproducible.
    let outcome = match tokio::spawn(front(shared.clone(), request)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Reset,
    };
    let latency = shared.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    match outcome {
        Outcome::Reply(reply) => Ok(to_response(reply)),
        Outcome::Reset => Err(ConnectionReset),
    }
}

fn to_response(reply: Reply) -> Response<Full<Bytes>> {
    let body = match reply.body {
        Body::Empty => Bytes::new(),
        Body::Json(v) => Bytes::from(serde_json::to_vec(&v).unwrap_or_default()),
        Body::Text(t) => Bytes::from(t),
    };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    for (name, value) in reply.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    resp
}

/// Every request, top-level or inside a batch, goes through here. Boxed because `$batch`
/// calls back into it for each sub-request.
pub(crate) fn front(
    shared: Arc<Shared>,
    req: GraphRequest,
) -> Pin<Box<dyn Future<Output = Outcome> + Send>> {
    Box::pin(async move {
        let seq = shared.next_seq();
        let t_ms = shared.started.elapsed().as_secs_f64() * 1000.0;
        let start = Instant::now();
        let ids = Ids {
            request_id: crate::new_guid(),
            client_request_id: req
                .client_request_id
                .clone()
                .unwrap_or_else(crate::new_guid),
        };
        let tenant = token::token_tenant(&req.path).map(str::to_string);
        let counters = &shared.counters;
        if tenant.is_some() {
            counters.token_requests.fetch_add(1, Ordering::Relaxed);
        } else if req.in_batch {
            counters.sub_requests.fetch_add(1, Ordering::Relaxed);
        } else {
            counters.graph_requests.fetch_add(1, Ordering::Relaxed);
        }

        let fault = shared
            .faults
            .lock()
            .take(&req.method, &req.path, req.in_batch);
        if fault.is_some() {
            counters.faults_applied.fetch_add(1, Ordering::Relaxed);
        }
        if let Some((_, f)) = &fault
            && let Some(ms) = f.delay_ms
        {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        let is_token = tenant.is_some();
        let mut outcome = match &fault {
            Some((_, f)) if !f.after_commit && (f.status.is_some() || f.reset) => {
                fault_outcome(f, is_token, &ids)
            }
            _ => {
                let done = dispatch(&shared, &req, &ids, seq, tenant.as_deref()).await;
                match &fault {
                    Some((_, f)) if f.after_commit => fault_outcome(f, is_token, &ids),
                    _ => done,
                }
            }
        };

        if let Outcome::Reply(reply) = &mut outcome {
            if !is_token {
                reply.headers.push(("request-id", ids.request_id.clone()));
                reply
                    .headers
                    .push(("client-request-id", ids.client_request_id.clone()));
            }
            if !req.in_batch {
                reply.headers.push(("Date", crate::clock::http_date()));
            }
            if reply.status == 429 {
                counters.throttled.fetch_add(1, Ordering::Relaxed);
            }
        } else if !req.in_batch {
            counters.resets.fetch_add(1, Ordering::Relaxed);
        }

        if shared.log_enabled.load(Ordering::Relaxed) {
            let (status, retry_after_s) = match &outcome {
                Outcome::Reply(r) => (
                    r.status,
                    r.header("Retry-After").and_then(|v| v.trim().parse().ok()),
                ),
                Outcome::Reset => (0, None),
            };
            let redact = shared.log_redacted.load(Ordering::Relaxed);
            let body = match &req.body {
                ReqBody::Raw(b) if !redact => String::from_utf8_lossy(b).into_owned(),
                ReqBody::Json(Some(v)) if !redact => v.to_string(),
                ReqBody::Raw(b) if is_token => redact_form(b),
                ReqBody::Raw(b) => redact_raw_json(b),
                ReqBody::Json(Some(v)) => {
                    let mut v = v.clone();
                    redact_json(&mut v);
                    v.to_string()
                }
                ReqBody::Json(None) => String::new(),
            };
            shared.log.lock().push(RequestLogEntry {
                seq,
                t_ms,
                method: req.method.clone(),
                path: req.path.clone(),
                query: req.query.clone().unwrap_or_default(),
                status,
                request_id: ids.request_id.clone(),
                client_request_id: ids.client_request_id.clone(),
                in_batch: req.in_batch,
                batch_seq: req.batch_seq,
                body,
                retry_after_s,
                fault_id: fault.as_ref().map(|(id, _)| *id),
                duration_ms: start.elapsed().as_secs_f64() * 1000.0,
            });
        }
        outcome
    })
}

async fn dispatch(
    shared: &Arc<Shared>,
    req: &GraphRequest,
    ids: &Ids,
    seq: u64,
    tenant: Option<&str>,
) -> Outcome {
    if let Some(tenant) = tenant {
        let body: &[u8] = match &req.body {
            ReqBody::Raw(b) => b,
            ReqBody::Json(_) => &[],
        };
        return Outcome::Reply(token::handle(shared, tenant, &req.method, body, ids));
    }
    crate::graph::handle(shared, req, ids, seq).await
}

/// The answer an injected fault gives instead of (or after) the real one.
fn fault_outcome(f: &FaultSpec, is_token: bool, ids: &Ids) -> Outcome {
    if f.reset {
        return Outcome::Reset;
    }
    let status = f.status.unwrap_or(503);
    let mut reply = if is_token {
        token::aad_error(
            status,
            f.code.as_deref().unwrap_or("temporarily_unavailable"),
            90033,
            f.message
                .as_deref()
                .unwrap_or("A transient error has occurred. Please try again."),
            ids,
        )
    } else {
        let mut e = GraphError::for_status(status);
        if let Some(code) = &f.code {
            e.code = code.clone();
        }
        if let Some(message) = &f.message {
            e.message = message.clone();
        }
        e.into_reply(ids)
    };
    if let Some(s) = f.retry_after_s {
        reply.headers.push(("Retry-After", s.to_string()));
    }
    Outcome::Reply(reply)
}
