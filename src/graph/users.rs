//! Graph's users API as typed operations. The paths, query options (`$select`, `$filter`,
//! `$deltatoken`) and response shapes (`value`, `@odata.nextLink`, `@odata.deltaLink`) of the
//! users API are known here and nowhere else: callers name a user and the properties they want.

use super::batch::SubRequest;
use super::{GraphClient, Replay, Response, paths};
use crate::error::Result;
use reqwest::Method;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A property to find one user by (`$filter` with `eq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter<'a> {
    Id(&'a str),
    Upn(&'a str),
    Mail(&'a str),
}

impl Filter<'_> {
    fn query(self) -> String {
        match self {
            Filter::Id(id) => paths::filter_eq("id", id),
            Filter::Upn(upn) => paths::filter_eq("userPrincipalName", upn),
            Filter::Mail(mail) => paths::filter_eq("mail", mail),
        }
    }
}

fn user_with(id_or_upn: &str, select: &[&str]) -> String {
    format!("{}?{}", paths::user(id_or_upn), paths::select(select))
}

/// `GET /users/{id-or-upn}` with `select`; a missing user is a `not_found` error that keeps
/// Graph's request-id.
pub async fn get(graph: &GraphClient, id_or_upn: &str, select: &[&str]) -> Result<Response> {
    graph
        .send(
            Method::GET,
            &user_with(id_or_upn, select),
            None,
            Replay::Safe,
        )
        .await
}

/// The first user the filter finds, with `select`; `None` when it finds none.
pub async fn find_by(
    graph: &GraphClient,
    filter: Filter<'_>,
    select: &[&str],
) -> Result<Option<Value>> {
    let path = format!("/users?{}&{}", filter.query(), paths::select(select));
    let response = graph.send(Method::GET, &path, None, Replay::Safe).await?;
    let mut found = values(response.body);
    Ok((!found.is_empty()).then(|| found.swap_remove(0)))
}

/// `POST /users`. Never sent again after a lost answer: the caller looks first.
pub async fn create(graph: &GraphClient, body: &Value) -> Result<Response> {
    graph
        .send(Method::POST, "/users", Some(body), Replay::LookFirst)
        .await
}

/// `PATCH /users/{id}` with absolute values, so a replay after a lost answer is harmless.
pub async fn patch(graph: &GraphClient, id: &str, patch: &Map<String, Value>) -> Result<Response> {
    let body = Value::Object(patch.clone());
    graph
        .send(Method::PATCH, &paths::user(id), Some(&body), Replay::Safe)
        .await
}

/// `DELETE /users/{id}` (a soft delete). A replay answers 404, which callers read as done.
pub async fn delete(graph: &GraphClient, id: &str) -> Result<Response> {
    graph
        .send(Method::DELETE, &paths::user(id), None, Replay::Safe)
        .await
}

/// Whether the user holds a directory (admin) role, directly or through a role-assignable
/// group; `Ok(None)` when the answer carries no list of roles to tell.
pub async fn holds_directory_role(graph: &GraphClient, id: &str) -> Result<Option<bool>> {
    let response = graph
        .send(
            Method::GET,
            &paths::user_directory_roles(id),
            None,
            Replay::Safe,
        )
        .await?;
    Ok(response
        .body
        .get("value")
        .and_then(Value::as_array)
        .map(|roles| !roles.is_empty()))
}

/// Where a delta call starts.
#[derive(Debug, Clone, Copy)]
pub enum DeltaFrom<'a> {
    /// A new round: every user with `select` (`from_now`: none, only what changes later).
    Start {
        select: &'a [&'a str],
        from_now: bool,
    },
    /// A `next_link` or `delta_link` Graph gave earlier.
    Link(&'a str),
}

pub use super::delta::{Delta, DeltaPage};

/// One call of the users delta query.
pub async fn delta(graph: &GraphClient, from: DeltaFrom<'_>) -> Result<Delta> {
    let answer = match from {
        DeltaFrom::Start { select, from_now } => {
            let mut path = format!("/users/delta?{}", paths::select(select));
            if from_now {
                path.push_str("&$deltatoken=latest");
            }
            graph.send(Method::GET, &path, None, Replay::Safe).await
        }
        DeltaFrom::Link(link) => graph.follow(link).await,
    };
    super::delta::read(answer)
}

/// Creates up to `MAX_BATCH` users in one `$batch`: each `(id, body)` answered by its id.
pub async fn batch_create(
    graph: &GraphClient,
    users: Vec<(String, Value)>,
) -> Result<HashMap<String, Result<Response>>> {
    let requests: Vec<SubRequest> = users
        .into_iter()
        .map(|(id, body)| SubRequest {
            id,
            method: "POST",
            url: "/users".into(),
            body: Some(body),
        })
        .collect();
    graph.batch(&requests).await
}

/// Reads up to `MAX_BATCH` users by id in one `$batch`, with `select`: answered by id.
pub async fn batch_get(
    graph: &GraphClient,
    ids: &[String],
    select: &[&str],
) -> Result<HashMap<String, Result<Response>>> {
    graph.batch_get(ids, |id| user_with(id, select)).await
}

/// The `value` list of a collection answer.
pub(super) fn values(body: Value) -> Vec<Value> {
    match body {
        Value::Object(mut map) => match map.remove("value") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_name_their_property_and_quote_the_value() {
        assert_eq!(
            Filter::Upn("o'brien@c.example").query(),
            "$filter=userPrincipalName%20eq%20%27o%27%27brien%40c.example%27"
        );
        assert_eq!(
            Filter::Mail("a b@c.example").query(),
            "$filter=mail%20eq%20%27a%20b%40c.example%27"
        );
        assert_eq!(Filter::Id("e1").query(), "$filter=id%20eq%20%27e1%27");
    }

    #[test]
    fn a_user_read_names_its_properties() {
        assert_eq!(
            user_with("$adm@c.example", &["id", "mail"]),
            "/users('$adm@c.example')?$select=id,mail"
        );
    }

    #[test]
    fn a_collection_without_a_list_is_empty() {
        assert_eq!(
            values(json!({"value": [{"id": "1"}]})),
            vec![json!({"id": "1"})]
        );
        assert!(values(json!({"value": null})).is_empty());
        assert!(values(Value::Null).is_empty());
    }
}
