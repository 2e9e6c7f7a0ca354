//! The one error type of the core. Every failure, local or from Graph, becomes one of these kinds,
//! each carrying what an admin needs to act on it (HTTP status, Graph `error.code`, request-id,
//! Retry-After, the offending field and a hint). Decisions are made on `kind` and `graph_code`,
//! never on message text.

use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// The facts known about one failure. Messages never contain a secret, token or password: they
/// are built from our own text, Graph's `error.message` or AAD's `error_description`, none of
/// which echo credentials, and every string of a detail is cleared of the client's secrets once
/// more before it leaves the library (`redact`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Detail {
    pub message: String,
    pub http_status: Option<u16>,
    pub graph_code: Option<String>,
    pub request_id: Option<String>,
    #[serde(rename = "retry_after_s", serialize_with = "serialize_secs")]
    pub retry_after: Option<Duration>,
    /// The input field or Graph property at fault (validation and configuration errors).
    pub field: Option<String>,
    /// What to change to make it work, in an admin's words.
    pub hint: Option<String>,
    /// The AADSTS code of a token-endpoint failure, e.g. `AADSTS7000215`.
    pub aadsts: Option<String>,
    /// A conflict with an account that already exists in Entra: who holds the UPN or mail
    /// (`matching::Candidate`). Nothing was sent to that account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<Box<crate::matching::Candidate>>,
    /// The request may have been carried out although no answer arrived (timeout, reset, 504):
    /// a create must then look before it creates again.
    #[serde(skip)]
    pub maybe_committed: bool,
    /// On a 403: whether the refused token carries a permission to write users
    /// (`User.ReadWrite.All`, `Directory.ReadWrite.All`); `None` when unknown. Tells a user
    /// Entra protects (an admin-role holder) from an app that may not write at all.
    #[serde(skip)]
    pub token_can_write: Option<bool>,
}

fn serialize_secs<S: serde::Serializer>(
    v: &Option<Duration>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.serialize_some(&d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

impl Detail {
    pub fn new(message: impl Into<String>) -> Self {
        Detail {
            message: message.into(),
            ..Detail::default()
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let mut extras = Vec::new();
        if let Some(code) = &self.aadsts {
            extras.push(code.clone());
        }
        if let Some(status) = self.http_status {
            extras.push(format!("HTTP {status}"));
        }
        if let Some(code) = &self.graph_code {
            extras.push(format!("code {code}"));
        }
        if let Some(id) = &self.request_id {
            extras.push(format!("request-id {id}"));
        }
        if !extras.is_empty() {
            write!(f, " ({})", extras.join(", "))?;
        }
        Ok(())
    }
}

/// What kind of failure an error is: the one fact every decision is made on (retry, scope,
/// status code), alongside `graph_code`; never the message text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// The connection configuration is incomplete or invalid.
    Config,
    /// The token endpoint refused us, or Graph refused our token.
    Auth,
    /// The app lacks a permission (or admin consent) for the operation.
    Permission,
    /// The input would be (or was) rejected by Graph's rules.
    Validation,
    /// The object already exists.
    Conflict,
    NotFound,
    /// Graph throttled us and retries ran out.
    Throttled,
    /// Timeouts, resets, 5xx: worth retrying later.
    Transient,
    /// Any other Graph error.
    Graph,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Config,
        ErrorKind::Auth,
        ErrorKind::Permission,
        ErrorKind::Validation,
        ErrorKind::Conflict,
        ErrorKind::NotFound,
        ErrorKind::Throttled,
        ErrorKind::Transient,
        ErrorKind::Graph,
    ];

    /// The stable, lower-case name used in the error JSON (`kind`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::Permission => "permission",
            ErrorKind::Validation => "validation",
            ErrorKind::Conflict => "conflict",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Transient => "transient",
            ErrorKind::Graph => "graph",
        }
    }

    /// The words that open an error's `Display` ("conflict: ..."); kept as they were before
    /// the kinds became a field, since logs and tests read them.
    fn label(self) -> &'static str {
        match self {
            ErrorKind::Config => "configuration",
            ErrorKind::Auth => "authentication",
            ErrorKind::NotFound => "not found",
            other => other.name(),
        }
    }

    /// Worth trying again later (the queue keeps such work; the others are final).
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failure: its kind and the facts about it. The detail is boxed so that `Result<T>` stays
/// small on the happy path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {detail}", kind.label())]
pub struct Error {
    kind: ErrorKind,
    detail: Box<Detail>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(kind: ErrorKind, detail: impl Into<Box<Detail>>) -> Self {
        Error {
            kind,
            detail: detail.into(),
        }
    }

    /// An error of `kind` with only a message.
    pub fn message(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error::new(kind, Detail::new(message))
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether this error is of `kind`.
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }

    pub fn detail(&self) -> &Detail {
        &self.detail
    }

    pub fn detail_mut(&mut self) -> &mut Detail {
        &mut self.detail
    }

    /// Worth trying again later (the queue keeps such work; the others are final).
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    pub fn config(field: &str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, Detail::new(message).field(field))
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Validation, Detail::new(message).field(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_its_words_and_names_stay_stable() {
        let cases = [
            (ErrorKind::Config, "config", "configuration: m"),
            (ErrorKind::Auth, "auth", "authentication: m"),
            (ErrorKind::Permission, "permission", "permission: m"),
            (ErrorKind::Validation, "validation", "validation: m"),
            (ErrorKind::Conflict, "conflict", "conflict: m"),
            (ErrorKind::NotFound, "not_found", "not found: m"),
            (ErrorKind::Throttled, "throttled", "throttled: m"),
            (ErrorKind::Transient, "transient", "transient: m"),
            (ErrorKind::Graph, "graph", "graph: m"),
        ];
        for (kind, name, display) in cases {
            let err = Error::message(kind, "m");
            assert_eq!(kind.name(), name);
            assert_eq!(err.to_string(), display);
            assert_eq!(
                err.is_retryable(),
                matches!(kind, ErrorKind::Throttled | ErrorKind::Transient)
            );
        }
    }
}
