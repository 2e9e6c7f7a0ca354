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

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The connection configuration is incomplete or invalid.
    #[error("configuration: {0}")]
    Config(Box<Detail>),
    /// The token endpoint refused us, or Graph refused our token.
    #[error("authentication: {0}")]
    Auth(Box<Detail>),
    /// The app lacks a permission (or admin consent) for the operation.
    #[error("permission: {0}")]
    Permission(Box<Detail>),
    /// The input would be (or was) rejected by Graph's rules.
    #[error("validation: {0}")]
    Validation(Box<Detail>),
    /// The object already exists.
    #[error("conflict: {0}")]
    Conflict(Box<Detail>),
    #[error("not found: {0}")]
    NotFound(Box<Detail>),
    /// Graph throttled us and retries ran out.
    #[error("throttled: {0}")]
    Throttled(Box<Detail>),
    /// Timeouts, resets, 5xx: worth retrying later.
    #[error("transient: {0}")]
    Transient(Box<Detail>),
    /// Any other Graph error.
    #[error("graph: {0}")]
    Graph(Box<Detail>),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn detail(&self) -> &Detail {
        match self {
            Error::Config(d)
            | Error::Auth(d)
            | Error::Permission(d)
            | Error::Validation(d)
            | Error::Conflict(d)
            | Error::NotFound(d)
            | Error::Throttled(d)
            | Error::Transient(d)
            | Error::Graph(d) => d,
        }
    }

    pub fn detail_mut(&mut self) -> &mut Detail {
        match self {
            Error::Config(d)
            | Error::Auth(d)
            | Error::Permission(d)
            | Error::Validation(d)
            | Error::Conflict(d)
            | Error::NotFound(d)
            | Error::Throttled(d)
            | Error::Transient(d)
            | Error::Graph(d) => d,
        }
    }

    /// The stable, lower-case name used in the error JSON (`kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Auth(_) => "auth",
            Error::Permission(_) => "permission",
            Error::Validation(_) => "validation",
            Error::Conflict(_) => "conflict",
            Error::NotFound(_) => "not_found",
            Error::Throttled(_) => "throttled",
            Error::Transient(_) => "transient",
            Error::Graph(_) => "graph",
        }
    }

    /// Worth trying again later (the queue keeps such work; the others are final).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Throttled(_) | Error::Transient(_))
    }

    pub fn config(field: &str, message: impl Into<String>) -> Self {
        Error::Config(Detail::new(message).field(field).into())
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Error::Validation(Detail::new(message).field(field).into())
    }
}
