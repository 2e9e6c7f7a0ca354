//! The answer of one delta call, users or groups alike: the changed objects, and either the
//! `@odata.nextLink` of the round's next page or the `@odata.deltaLink` that ends it; or, when
//! the link's sync state is gone (410, `syncStateNotFound`), word that a new round must start.

use super::{Response, odata, users::values};
use crate::error::Result;
use serde_json::Value;

/// One page of a delta round.
#[derive(Debug, Default)]
pub struct DeltaPage {
    /// The changed objects as Graph lists them (a removed one carries `@removed`).
    pub items: Vec<Value>,
    /// More pages remain in this round.
    pub next_link: Option<String>,
    /// The round is complete: the link to ask later for what changed since.
    pub delta_link: Option<String>,
}

/// A delta call's answer.
#[derive(Debug)]
pub enum Delta {
    Page(DeltaPage),
    /// The link's sync state is gone (expired, or unknown to Graph): start a new round.
    SyncStateLost,
}

/// Reads a delta call's answer.
pub(super) fn read(answer: Result<Response>) -> Result<Delta> {
    let response = match answer {
        Err(e) if odata::is_sync_state_lost(&e) => return Ok(Delta::SyncStateLost),
        other => other?,
    };
    let link = |key: &str| {
        response
            .body
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (next_link, delta_link) = (link("@odata.nextLink"), link("@odata.deltaLink"));
    Ok(Delta::Page(DeltaPage {
        items: values(response.body),
        next_link,
        delta_link,
    }))
}
