//! A request that got no HTTP answer, as an error. Shared by the token provider and the Graph
//! client, which is why it lives beside both rather than inside either.

use crate::error::{Detail, Error, ErrorKind};

/// Only a failed connect is known not to have reached the peer: anything later may have been
/// carried out (`maybe_committed`).
pub fn error(e: &reqwest::Error, peer: &str) -> Error {
    let mut detail = if e.is_timeout() {
        Detail::new(format!("{peer} did not answer in time"))
    } else if e.is_connect() {
        Detail::new(format!("cannot connect to {peer}: {}", root_cause(e)))
    } else {
        Detail::new(format!(
            "the connection to {peer} failed: {}",
            root_cause(e)
        ))
    };
    detail.maybe_committed = !e.is_connect();
    detail.hint = Some("Graph or the network was unavailable; the work is retried later.".into());
    Error::new(ErrorKind::Transient, detail)
}

/// reqwest's own message is generic ("error sending request"); the innermost cause says what
/// happened (refused, reset, certificate).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
