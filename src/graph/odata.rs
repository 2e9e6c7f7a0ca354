//! Graph's OData error body → our typed error. Classification uses the HTTP status, `error.code`
//! and `error.details[].code`; message text is only carried along for people to read.

use crate::error::{Detail, Error, ErrorKind};
use serde_json::Value;
use std::time::Duration;

const PERMISSION_HINT: &str = "Grant the app the Microsoft Graph application permission User.ReadWrite.All (User.Read.All is enough for tests and import) and press \"Grant admin consent\" in the app registration's API permissions.";

/// Builds the error for a non-2xx Graph response (top-level or a `$batch` sub-response).
pub fn classify(
    status: u16,
    retry_after: Option<Duration>,
    request_id: Option<String>,
    body: &Value,
) -> Error {
    let error = body.get("error");
    let text = |key: &str| {
        error
            .and_then(|e| e.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code = text("code");
    let details: Vec<&Value> = error
        .and_then(|e| e.get("details"))
        .and_then(Value::as_array)
        .map(|d| d.iter().collect())
        .unwrap_or_default();
    let request_id = request_id.or_else(|| {
        error
            .and_then(|e| e.get("innerError"))
            .and_then(|i| i.get("request-id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let message = text("message")
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("Graph answered HTTP {status}"));
    let conflict = status == 409
        || details
            .iter()
            .any(|d| d.get("code").and_then(Value::as_str) == Some("ObjectConflict"));
    let field = details
        .iter()
        .find_map(|d| d.get("target").and_then(Value::as_str))
        .map(str::to_owned);
    let mut detail = Detail {
        message,
        http_status: Some(status),
        graph_code: code.clone(),
        request_id,
        retry_after,
        field,
        ..Detail::default()
    };
    let kind = match status {
        _ if conflict => ErrorKind::Conflict,
        401 => {
            detail.hint = Some("Graph refused the access token: check that the token endpoint and Graph belong to the same cloud and tenant.".into());
            ErrorKind::Auth
        }
        403 => {
            detail.hint = Some(PERMISSION_HINT.into());
            ErrorKind::Permission
        }
        404 => ErrorKind::NotFound,
        429 => ErrorKind::Throttled,
        500..=599 => {
            // Graph may have carried out a write whose answer was lost; 503 and 429 come from
            // the front door before anything happens, the others are ambiguous.
            detail.maybe_committed = status != 503;
            ErrorKind::Transient
        }
        400 | 422 => ErrorKind::Validation,
        _ => ErrorKind::Graph,
    };
    Error::new(kind, detail)
}

/// Whether a 401 means "this token is no good" (refresh it and try once more).
pub fn is_invalid_token(err: &Error) -> bool {
    err.is(ErrorKind::Auth)
        && err.detail().http_status == Some(401)
        && err.detail().aadsts.is_none()
}

/// Whether a delta link's sync state is gone (HTTP 410 Gone, or `syncStateNotFound`): the
/// round must start over.
pub fn is_sync_state_lost(err: &Error) -> bool {
    let d = err.detail();
    d.http_status == Some(410) || d.graph_code.as_deref() == Some("syncStateNotFound")
}

/// `Retry-After` in seconds (Graph sends whole seconds; fractions are accepted).
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    let secs: f64 = value?.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// `x-ms-throttle-limit-percentage`: the fraction of the limit in use (0.8–1.8 as documented).
pub fn parse_usage(value: Option<&str>) -> Option<f64> {
    let fraction: f64 = value?.trim().parse().ok()?;
    (fraction.is_finite() && fraction >= 0.0).then_some(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(code: &str, details: Value) -> Value {
        json!({"error": {"code": code, "message": "m", "details": details,
            "innerError": {"request-id": "rid-1", "date": "2026-01-01T00:00:00"}}})
    }

    #[test]
    fn status_and_code_decide_the_kind() {
        let cases = [
            (400, "Request_BadRequest", json!([]), "validation"),
            (
                400,
                "Request_BadRequest",
                json!([{"code": "ObjectConflict", "target": "userPrincipalName"}]),
                "conflict",
            ),
            (409, "Conflict", json!([]), "conflict"),
            (401, "InvalidAuthenticationToken", json!([]), "auth"),
            (403, "Authorization_RequestDenied", json!([]), "permission"),
            (404, "Request_ResourceNotFound", json!([]), "not_found"),
            (429, "TooManyRequests", json!([]), "throttled"),
            (503, "serviceNotAvailable", json!([]), "transient"),
            (504, "UnknownError", json!([]), "transient"),
            (405, "Request_UnsupportedQuery", json!([]), "graph"),
        ];
        for (status, code, details, kind) in cases {
            let err = classify(status, None, None, &body(code, details));
            assert_eq!(err.kind().name(), kind, "{status} {code}");
            assert_eq!(err.detail().graph_code.as_deref(), Some(code));
            assert_eq!(err.detail().request_id.as_deref(), Some("rid-1"));
        }
    }

    #[test]
    fn conflict_names_the_property_and_header_request_id_wins() {
        let err = classify(
            400,
            None,
            Some("hdr".into()),
            &body(
                "Request_BadRequest",
                json!([{"code": "ObjectConflict", "target": "userPrincipalName"}]),
            ),
        );
        assert_eq!(err.detail().field.as_deref(), Some("userPrincipalName"));
        assert_eq!(err.detail().request_id.as_deref(), Some("hdr"));
    }

    #[test]
    fn ambiguity_of_server_errors() {
        assert!(
            !classify(503, None, None, &Value::Null)
                .detail()
                .maybe_committed
        );
        assert!(
            classify(504, None, None, &Value::Null)
                .detail()
                .maybe_committed
        );
        assert!(
            classify(500, None, None, &Value::Null)
                .detail()
                .message
                .contains("HTTP 500")
        );
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after(Some("7")), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(Some("0.5")),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_retry_after(Some("soon")), None);
        assert_eq!(parse_retry_after(Some("-1")), None);
        assert_eq!(parse_retry_after(None), None);
    }
}
