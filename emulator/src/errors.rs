//! Replies and Graph-shaped errors.
//!
//! Handlers return `Result<Reply, GraphError>`; the error is rendered only at the front door,
//! where the request's `request-id` and `client-request-id` are known, because Graph repeats them
//! in `innerError` and clients log them from there.

use serde_json::{Map, Value, json};

/// The body of a reply, kept structured until the last moment so that `$batch` can embed a
/// sub-response body as JSON without parsing it back.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Value),
    Text(String),
}

/// Media type Graph uses for OData JSON payloads.
pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// A response before it is turned into HTTP (top level) or into a `$batch` entry.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, value: Value) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", ODATA_JSON.to_string())],
            body: Body::Json(value),
        }
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn text(status: u16, text: String) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type", "text/plain;charset=utf-8".to_string())],
            body: Body::Text(text),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Identifiers Graph echoes in every error body.
#[derive(Debug, Clone)]
pub(crate) struct Ids {
    pub request_id: String,
    pub client_request_id: String,
}

/// A Graph error: status, `error.code`, `error.message`, optional `error.details`.
#[derive(Debug, Clone)]
pub(crate) struct GraphError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub details: Vec<(String, String)>,
    pub headers: Vec<(&'static str, String)>,
}

impl GraphError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code: code.to_string(),
            message: message.into(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn detail(mut self, code: &str, target: &str) -> GraphError {
        self.details.push((code.to_string(), target.to_string()));
        self
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> GraphError {
        self.headers.push((name, value));
        self
    }

    /// OData-level rejection (malformed JSON, unknown property, bad literal): code `BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "BadRequest", message)
    }

    /// Directory-level rejection: code `Request_BadRequest`.
    pub fn request_bad_request(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "Request_BadRequest", message)
    }

    /// The directory's generic message for a value it refuses.
    pub fn invalid_value(property: &str) -> GraphError {
        GraphError::request_bad_request(format!(
            "Invalid value specified for property '{property}' of resource 'User'."
        ))
        .detail("InvalidValue", property)
    }

    pub fn required(property: &str) -> GraphError {
        GraphError::request_bad_request(format!(
            "Property {property} value is required but is empty or missing."
        ))
        .detail("PropertyRequired", property)
    }

    pub fn not_found(key: &str) -> GraphError {
        GraphError::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    pub fn segment_not_found(segment: &str) -> GraphError {
        GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
    }

    pub fn method_not_allowed() -> GraphError {
        GraphError::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }

    pub fn unauthenticated(message: &str) -> GraphError {
        GraphError::new(401, "InvalidAuthenticationToken", message).with_header(
            "WWW-Authenticate",
            "Bearer realm=\"\", error=\"invalid_token\", client_id=\"00000003-0000-0000-c000-000000000000\""
                .to_string(),
        )
    }

    pub fn forbidden() -> GraphError {
        GraphError::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn unsupported_query(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "Request_UnsupportedQuery", message)
    }

    pub fn unsupported_filter(property: &str) -> GraphError {
        GraphError::unsupported_query(format!(
            "Unsupported or invalid query filter clause specified for property '{property}' of resource 'User'."
        ))
    }

    /// The error an injected fault or an unhandled status produces: the code Graph uses for it.
    pub fn for_status(status: u16) -> GraphError {
        let (code, message) = match status {
            400 => ("BadRequest", "Bad request."),
            401 => (
                "InvalidAuthenticationToken",
                "Access token validation failure.",
            ),
            403 => (
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            404 => ("Request_ResourceNotFound", "Resource not found."),
            409 => ("Request_BadRequest", "Conflict."),
            429 => ("TooManyRequests", "Too many requests."),
            500 => ("generalException", "General exception while processing."),
            502 => ("BadGateway", "Bad gateway."),
            503 => (
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry after a delay.",
            ),
            504 => ("UnknownError", "Gateway timeout."),
            _ => ("UnknownError", "An error occurred."),
        };
        GraphError::new(status, code, message)
    }

    /// Render with the request's identifiers, in the shape of the Graph error resource.
    pub fn into_reply(self, ids: &Ids) -> Reply {
        let mut error = Map::new();
        error.insert("code".into(), Value::String(self.code));
        error.insert("message".into(), Value::String(self.message));
        if !self.details.is_empty() {
            let details: Vec<Value> = self
                .details
                .into_iter()
                .map(|(code, target)| json!({ "code": code, "target": target }))
                .collect();
            error.insert("details".into(), Value::Array(details));
        }
        error.insert(
            "innerError".into(),
            json!({
                "date": crate::clock::inner_error_date(),
                "request-id": ids.request_id,
                "client-request-id": ids.client_request_id,
            }),
        );
        let mut reply = Reply {
            status: self.status,
            headers: vec![("Content-Type", "application/json".to_string())],
            body: Body::Json(json!({ "error": Value::Object(error) })),
        };
        reply.headers.extend(self.headers);
        reply
    }
}
