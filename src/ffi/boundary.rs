//! The guard every export runs in: panics contained, NULL and UTF-8 checked, the request parsed
//! from JSON and the result or error written back as an owned JSON string; errors scrubbed of
//! the client's secrets. `export!` assembles these for one export.

use super::{EntraClient, EntraStatus};
use crate::error::Error;
use crate::operation::{Operation, scope_of_a_bug};
use crate::panic;
use crate::provision::Provisioner;
use crate::redact::Redactor;
use crate::runtime;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::ffi::{CStr, CString, c_char};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

pub(super) enum Failure {
    InvalidArgument(String),
    Core(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

pub(super) type Outcome = Result<Value, Failure>;

/// The error object every failing export writes to `out_json` (and a bulk result per failed
/// user). `message` is the sentence only: the codes, HTTP status and request-id are fields of
/// their own, so a host that lays them out never shows them twice. `operation` decides `scope`
/// and the hint that goes with it; `redactor` clears every string of the detail of the client's
/// secrets before it becomes JSON.
pub fn error_json(err: &Error, operation: Operation, redactor: &Redactor) -> Value {
    let mut err = err.clone();
    operation.explain(&mut err);
    redactor.error(&mut err);
    let mut v = serde_json::to_value(err.detail()).unwrap_or_else(|_| json!({}));
    v["kind"] = json!(err.kind().name());
    v["status"] = json!(EntraStatus::from(err.kind()) as i32);
    v["title"] = json!(crate::advice::title(err.kind().name()));
    v["retryable"] = json!(err.is_retryable());
    v["scope"] = json!(operation.scope(&err));
    v
}

pub(super) fn simple_error(status: EntraStatus, message: &str) -> Value {
    let kind = status.kind();
    json!({"kind": kind, "status": status as i32, "title": crate::advice::title(kind),
        "message": message, "http_status": null, "graph_code": null, "request_id": null,
        "retry_after_s": null, "field": null,
        "hint": crate::advice::default_hint(kind, Operation::Local), "aadsts": null,
        "retryable": false, "scope": scope_of_a_bug()})
}

/// The redactor of a client that knows no secret (a NULL handle, an export without a client).
pub(super) static NO_SECRETS: Redactor = Redactor::none();

/// Runs `body` with panics contained and silenced, then writes the result or error JSON to
/// `out_json`. Errors are redacted with `redactor` (a result never is: it is directory data, and
/// nothing in it comes from a secret).
pub(super) fn guard(
    out_json: *mut *mut c_char,
    redactor: &Redactor,
    operation: Operation,
    body: impl FnOnce() -> Outcome,
) -> EntraStatus {
    if out_json.is_null() {
        return EntraStatus::InvalidArgument;
    }
    let outcome = panic::quietly(|| catch_unwind(AssertUnwindSafe(body)));
    let (status, value) = match outcome {
        Ok(Ok(value)) => (EntraStatus::Ok, value),
        Ok(Err(Failure::Core(err))) => (err.kind().into(), error_json(&err, operation, redactor)),
        Ok(Err(Failure::InvalidArgument(message))) => (
            EntraStatus::InvalidArgument,
            simple_error(EntraStatus::InvalidArgument, &redactor.text(&message)),
        ),
        Err(_) => {
            let message = panic::take_last().unwrap_or_else(|| "unknown panic".into());
            (
                EntraStatus::Panic,
                simple_error(
                    EntraStatus::Panic,
                    &redactor.text(&format!("internal error in entra_provisioning: {message}")),
                ),
            )
        }
    };
    // SAFETY: out_json was checked non-null; the caller guarantees it is writable.
    unsafe { *out_json = into_c_string(value.to_string()) };
    status
}

/// The body of every export but the constructor and the free functions: the guard (panics
/// contained and recorded quietly, `crate::panic`), the NULL checks, the parse of the JSON
/// request (with its `budget_ms`, `with_client`), and the body's result or error written to
/// `*out_json` as JSON. The export's `# Safety` contract is what the helpers it expands to
/// require. Only the body goes through the macro: cbindgen reads the `extern "C" fn` items
/// themselves, and does not expand macros.
///
/// - `export!(out, op, client c, request r: Type, |provisioner, pattern, call| body)`: `body`
///   returns `Result<impl Serialize, Error or Failure>`; `call` runs futures within the call's
///   budget and holds the client's redactor.
/// - `export!(out, op, request r: Type, |pattern| body)`: no client; `body` is the result.
/// - `export!(out, op, client c, |client| body)`: no request; `body` is the result.
/// - `export!(out, op, || body)`: neither; `body` is the result.
/// - `export!(out, op, redacted by r, request r: Type, |pattern| body)`: no client; errors are
///   scrubbed with the redactor `r` (a secret the request itself carries).
macro_rules! export {
    ($out:ident, $op:expr, client $c:ident, request $req:ident: $ty:ty,
        |$p:pat_param, $r:pat_param, $call:pat_param| $body:expr) => {
        // SAFETY: the export's contract (`c` NULL or live, `$req` NULL or NUL-terminated,
        // `$out` NULL or writable) is exactly what `with_client` requires.
        unsafe {
            with_client(
                $c,
                $req,
                stringify!($req),
                $op,
                $out,
                |$p, $r: $ty, $call| respond($body),
            )
        }
    };
    ($out:ident, $op:expr, request $req:ident: $ty:ty, |$r:pat_param| $body:expr) => {
        guard($out, &NO_SECRETS, $op, || {
            // SAFETY: the export's contract: `$req` is NULL or NUL-terminated.
            let $r: $ty = unsafe { parse($req, stringify!($req)) }?;
            to_json(&$body)
        })
    };
    ($out:ident, $op:expr, client $c:ident, |$client:pat_param| $body:expr) => {{
        // SAFETY: the export's contract: `c` is NULL or a live handle.
        let redactor = unsafe { redactor_of($c) };
        guard($out, redactor, $op, || {
            // SAFETY: as above.
            let $client = unsafe { client($c) }?;
            to_json(&$body)
        })
    }};
    ($out:ident, $op:expr, || $body:expr) => {
        guard($out, &NO_SECRETS, $op, || to_json(&$body))
    };
    ($out:ident, $op:expr, redacted by $redactor:expr, request $req:ident: $ty:ty,
        |$r:pat_param| $body:expr) => {{
        let redactor: Redactor = $redactor;
        guard($out, &redactor, $op, || {
            // SAFETY: the export's contract: `$req` is NULL or NUL-terminated.
            let $r: $ty = unsafe { parse($req, stringify!($req)) }?;
            to_json(&$body)
        })
    }};
}

/// A redactor for the secret a request itself carries in `field`, read from the raw text, so
/// that an error about a request of the wrong shape is scrubbed of it too.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for the call.
pub(super) unsafe fn redactor_for(ptr: *const c_char, field: &str) -> Redactor {
    // SAFETY: forwarded contract.
    let secret = unsafe { text(ptr, field) }
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .and_then(|v| v.get(field)?.as_str().map(crate::secret::Secret::new));
    Redactor::new(secret.as_ref().map(crate::secret::Secret::expose))
}

/// A body's result as the export's outcome.
pub(super) fn respond<T: serde::Serialize, E: Into<Failure>>(result: Result<T, E>) -> Outcome {
    to_json(&result.map_err(Into::into)?)
}

pub(super) fn into_c_string(text: String) -> *mut c_char {
    // serde_json escapes NUL as \u0000, so this only fails on a bug; never abort for it.
    CString::new(text)
        .unwrap_or_else(|_| {
            CString::from(c"{\"kind\":\"panic\",\"message\":\"unencodable result\"}")
        })
        .into_raw()
}

/// # Safety
/// `ptr` is NULL or a NUL-terminated string valid for the call.
pub(super) unsafe fn text<'a>(ptr: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::InvalidArgument(format!("{what} is NULL")));
    }
    // SAFETY: non-null and NUL-terminated per the caller's contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|_| Failure::InvalidArgument(format!("{what} is not valid UTF-8")))
}

/// # Safety
/// As for `text`.
pub(super) unsafe fn parse<T: DeserializeOwned>(
    ptr: *const c_char,
    what: &str,
) -> Result<T, Failure> {
    // SAFETY: forwarded contract.
    let text = unsafe { text(ptr, what) }?;
    serde_json::from_str(text).map_err(|e| shape_error(what, &e.to_string()))
}

/// An input of the wrong shape, named without repeating input values (serde quotes the value it
/// refused; an export without a client has no secret to scrub).
pub(super) fn shape_error(what: &str, serde_message: &str) -> Failure {
    Failure::InvalidArgument(format!(
        "{what}: {}",
        crate::redact::without_input_values(serde_message)
    ))
}

/// # Safety
/// `client` is NULL or a live handle from `entra_client_new`.
pub(super) unsafe fn client<'a>(client: *const EntraClient) -> Result<&'a EntraClient, Failure> {
    // SAFETY: the caller passes NULL or a live handle.
    unsafe { client.as_ref() }.ok_or_else(|| Failure::InvalidArgument("client is NULL".into()))
}

/// The redactor of `client`, or none for a NULL handle.
///
/// # Safety
/// `client` is NULL or a live handle from `entra_client_new`, alive for `'a`.
pub(super) unsafe fn redactor_of<'a>(client: *const EntraClient) -> &'a Redactor {
    // SAFETY: forwarded contract.
    match unsafe { client.as_ref() } {
        Some(c) => &c.redactor,
        None => &NO_SECRETS,
    }
}

/// One call's context: its overall time budget (the request's `budget_ms`, else the client's
/// `call_budget_ms`), and the client's redactor for errors carried inside a result (bulk).
pub(super) struct Call<'a> {
    pub(super) budget: Option<Duration>,
    pub(super) redactor: &'a Redactor,
}

impl Call<'_> {
    /// Runs `future` on this process's runtime within the call's budget.
    pub(super) fn run<F: Future>(&self, future: F) -> F::Output {
        runtime::process()
            .runtime
            .block_on(crate::deadline::within(self.budget, future))
    }
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Outcome {
    serde_json::to_value(value)
        .map_err(|e| Failure::InvalidArgument(format!("unserializable result: {e}")))
}

/// Takes the optional `budget_ms` out of a request object; every export that takes a request
/// accepts it, so a caller can bound each call by its own budget.
pub(super) fn take_budget(request: &mut Value, default: Duration) -> Result<Duration, Failure> {
    let Some(budget) = request.as_object_mut().and_then(|o| o.remove("budget_ms")) else {
        return Ok(default);
    };
    let ms = budget.as_u64().ok_or_else(|| {
        Failure::InvalidArgument("budget_ms must be a whole number of milliseconds".into())
    })?;
    Ok(crate::config::call_budget(ms, "budget_ms")?)
}

/// Runs an operation on a client with a JSON request.
///
/// # Safety
/// `c` NULL or live; `request` NULL or NUL-terminated; `out_json` NULL or writable.
pub(super) unsafe fn with_client<R: DeserializeOwned>(
    c: *const EntraClient,
    request: *const c_char,
    what: &str,
    operation: Operation,
    out_json: *mut *mut c_char,
    op: impl FnOnce(&Provisioner, R, &Call) -> Outcome,
) -> EntraStatus {
    // SAFETY: forwarded contract.
    let redactor = unsafe { redactor_of(c) };
    guard(out_json, redactor, operation, || {
        // SAFETY: forwarded contract.
        let client = unsafe { client(c) }?;
        // SAFETY: forwarded contract.
        let text = unsafe { text(request, what) }?;
        let default = client.provisioner.config.call_budget;
        // Most requests name no budget: they are parsed once, straight into their type.
        let (request, budget): (R, Duration) = if text.contains("\"budget_ms\"") {
            let mut value: Value =
                serde_json::from_str(text).map_err(|e| shape_error(what, &e.to_string()))?;
            let budget = take_budget(&mut value, default)?;
            let request =
                serde_json::from_value(value).map_err(|e| shape_error(what, &e.to_string()))?;
            (request, budget)
        } else {
            let request =
                serde_json::from_str(text).map_err(|e| shape_error(what, &e.to_string()))?;
            (request, default)
        };
        op(
            &client.provisioner,
            request,
            &Call {
                budget: Some(budget),
                redactor,
            },
        )
    })
}
