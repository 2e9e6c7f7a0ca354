//! Graph's groups API as typed operations: reading groups, searching them, their members and a
//! user's memberships, adding and removing members, and the groups delta query. Paths, query
//! options and response shapes are known here and nowhere else.
//!
//! Memberships are read with untyped relationship lists (`transitiveMemberOf`,
//! `transitiveMembers`, `members` with `$select=id`) and told apart by each item's
//! `@odata.type`, not with an OData cast (`.../microsoft.graph.group`): Graph documents the cast
//! on these relationships as an advanced query (`ConsistencyLevel: eventual` and `$count`), which
//! reads an index that may lag behind recent changes, and a membership just changed is exactly
//! what the import must see. Only the admin's group picker (`$search`) and the member counts
//! (`$count`) use the eventual index, with the header Graph requires for them.

use super::users::values;
use super::{GraphClient, Replay, Response, paths};
use crate::error::{ErrorKind, Result};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The header Graph requires for `$search` and `$count` on directory objects.
const EVENTUAL: [(&str, &str); 1] = [("ConsistencyLevel", "eventual")];

/// Graph's largest page for directory object relationships.
const PAGE: u32 = 999;

/// The groups delta query filters at most this many groups by id (documented limit).
pub const MAX_DELTA_GROUPS: usize = 50;

/// What kind of directory object a relationship item is, by its `@odata.type`.
pub fn is_group(item: &Value) -> bool {
    item.get("@odata.type").and_then(Value::as_str) == Some("#microsoft.graph.group")
}

pub fn is_user(item: &Value) -> bool {
    item.get("@odata.type").and_then(Value::as_str) == Some("#microsoft.graph.user")
}

fn id_of(item: &Value) -> Option<String> {
    item.get("id").and_then(Value::as_str).map(str::to_owned)
}

fn group_with(id: &str, select: &[&str]) -> String {
    format!("{}?{}", paths::group(id), paths::select(select))
}

/// `GET /groups/{id}` with `select`; a missing group is a `not_found` error.
pub async fn get(graph: &GraphClient, id: &str, select: &[&str]) -> Result<Response> {
    graph
        .send(Method::GET, &group_with(id, select), None, Replay::Safe)
        .await
}

/// Reads up to `MAX_BATCH` groups in one `$batch`, answered by id.
pub async fn batch_get(
    graph: &GraphClient,
    ids: &[String],
    select: &[&str],
) -> Result<HashMap<String, Result<Response>>> {
    graph.batch_get(ids, |id| group_with(id, select)).await
}

/// Groups whose displayName matches `text` (Graph's tokenised `$search`), at most `top`.
pub async fn search(
    graph: &GraphClient,
    text: &str,
    top: u32,
    select: &[&str],
) -> Result<Vec<Value>> {
    let path = format!(
        "/groups?{}&{}&$top={top}&$count=true",
        paths::search("displayName", text),
        paths::select(select)
    );
    let response = graph
        .send_with_headers(Method::GET, &path, &EVENTUAL)
        .await?;
    Ok(values(response.body))
}

/// The number of a group's members, nested ones included (`$count` over `transitiveMembers`,
/// from the eventual index: a count for people to read, never a decision).
pub async fn transitive_member_count(graph: &GraphClient, id: &str) -> Result<Option<u64>> {
    let path = format!(
        "{}/transitiveMembers?$count=true&$top=1&$select=id",
        paths::group(id)
    );
    let response = graph
        .send_with_headers(Method::GET, &path, &EVENTUAL)
        .await?;
    Ok(response.body.get("@odata.count").and_then(Value::as_u64))
}

/// Every item of a relationship list, following `@odata.nextLink`.
async fn all_pages(graph: &GraphClient, first: Response) -> Result<Vec<Value>> {
    let mut response = first;
    let mut items = Vec::new();
    loop {
        let next = next_link(&response.body);
        items.extend(values(response.body));
        let Some(next) = next else {
            return Ok(items);
        };
        response = graph.follow(&next).await?;
    }
}

/// The ids of a group's members, nested ones included, split into users and groups.
pub async fn transitive_members(graph: &GraphClient, id: &str) -> Result<Members> {
    let path = format!(
        "{}/transitiveMembers?$select=id&$top={PAGE}",
        paths::group(id)
    );
    let first = graph.send(Method::GET, &path, None, Replay::Safe).await?;
    Ok(Members::of(all_pages(graph, first).await?))
}

/// The ids of a group's direct members.
pub async fn direct_members(graph: &GraphClient, id: &str) -> Result<Members> {
    let path = format!("{}/members?$select=id&$top={PAGE}", paths::group(id));
    let first = graph.send(Method::GET, &path, None, Replay::Safe).await?;
    Ok(Members::of(all_pages(graph, first).await?))
}

#[derive(Debug, Default)]
pub struct Members {
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

impl Members {
    fn of(items: Vec<Value>) -> Members {
        let mut m = Members::default();
        for item in &items {
            if let Some(id) = id_of(item) {
                if is_group(item) {
                    m.groups.push(id);
                } else if is_user(item) {
                    m.users.push(id);
                }
            }
        }
        m
    }
}

fn transitive_groups_path(user_id: &str) -> String {
    format!(
        "{}/transitiveMemberOf?$select=id&$top={PAGE}",
        paths::user(user_id)
    )
}

/// The groups each of up to `MAX_BATCH` users is in, directly or through nested groups, in one
/// `$batch` (a user in more than a page of groups has the rest read by its `nextLink`). A user
/// Graph does not know answers `not_found`.
pub async fn batch_transitive_groups(
    graph: &GraphClient,
    user_ids: &[String],
) -> Result<HashMap<String, Result<Vec<String>>>> {
    let mut out = HashMap::with_capacity(user_ids.len());
    for (id, result) in graph.batch_get(user_ids, transitive_groups_path).await? {
        let groups = match result {
            Ok(response) => all_pages(graph, response).await.map(|items| {
                items
                    .iter()
                    .filter(|i| is_group(i) || i.get("@odata.type").is_none())
                    .filter_map(id_of)
                    .collect()
            }),
            Err(e) => Err(e),
        };
        out.insert(id, groups);
    }
    Ok(out)
}

/// How an add or a remove ended, when Graph did not refuse it.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberWrite {
    /// Done now (204).
    Done(Option<String>),
    /// Graph answered 400 to an add (documented: "when the object is already a member of the
    /// group"): to be confirmed by the caller.
    AddRefused(crate::error::Error),
    /// Graph answered 404 to a remove: the user is not a member (or is gone).
    NotMember(Option<String>),
}

/// `POST /groups/{id}/members/$ref`. A replay after a lost answer meets "already a member",
/// which the caller confirms and counts as done, so replaying is safe.
pub async fn add_member(graph: &GraphClient, group_id: &str, user_id: &str) -> Result<MemberWrite> {
    let body = json!({"@odata.id": graph.object_url(user_id)});
    match graph
        .send(
            Method::POST,
            &paths::group_members_ref(group_id),
            Some(&body),
            Replay::Safe,
        )
        .await
    {
        Ok(r) => Ok(MemberWrite::Done(r.request_id)),
        Err(e) if e.is(ErrorKind::Validation) && e.detail().http_status == Some(400) => {
            Ok(MemberWrite::AddRefused(e))
        }
        Err(e) => Err(e),
    }
}

/// `DELETE /groups/{id}/members/{user}/$ref`; a 404 (not a member, or a replay after a lost
/// answer) is reported as such.
pub async fn remove_member(
    graph: &GraphClient,
    group_id: &str,
    user_id: &str,
) -> Result<MemberWrite> {
    match graph
        .send(
            Method::DELETE,
            &paths::group_member_ref(group_id, user_id),
            None,
            Replay::Safe,
        )
        .await
    {
        Ok(r) => Ok(MemberWrite::Done(r.request_id)),
        Err(e) if e.is(ErrorKind::NotFound) => {
            Ok(MemberWrite::NotMember(e.detail().request_id.clone()))
        }
        Err(e) => Err(e),
    }
}

/// Where a groups delta call starts.
#[derive(Debug, Clone, Copy)]
pub enum DeltaFrom<'a> {
    /// A new round over these groups (at most `MAX_DELTA_GROUPS`), tracking their members.
    Start { ids: &'a [&'a str] },
    /// A `next_link` or `delta_link` Graph gave earlier.
    Link(&'a str),
}

pub use super::delta::{Delta, DeltaPage};

/// One call of the groups delta query (`$select=displayName,members`: membership changes come
/// as `members@delta`).
pub async fn delta(graph: &GraphClient, from: DeltaFrom<'_>) -> Result<Delta> {
    let answer = match from {
        DeltaFrom::Start { ids } => {
            let path = format!(
                "/groups/delta?{}&$select=displayName,members",
                paths::filter_ids(ids)
            );
            graph.send(Method::GET, &path, None, Replay::Safe).await
        }
        DeltaFrom::Link(link) => graph.follow(link).await,
    };
    super::delta::read(answer)
}

fn next_link(body: &Value) -> Option<String> {
    body.get("@odata.nextLink")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationship_items_are_told_apart_by_their_type() {
        let m = Members::of(vec![
            json!({"@odata.type": "#microsoft.graph.user", "id": "u1"}),
            json!({"@odata.type": "#microsoft.graph.group", "id": "g1"}),
            json!({"@odata.type": "#microsoft.graph.device", "id": "d1"}),
        ]);
        assert_eq!(
            (m.users, m.groups),
            (vec!["u1".to_owned()], vec!["g1".to_owned()])
        );
    }

    #[test]
    fn paths_name_their_queries() {
        assert_eq!(
            transitive_groups_path("u1"),
            "/users/u1/transitiveMemberOf?$select=id&$top=999"
        );
        assert_eq!(
            group_with("g1", &["id", "displayName"]),
            "/groups/g1?$select=id,displayName"
        );
    }
}
