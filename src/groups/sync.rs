//! The Graph side of groups ↔ roles, on a client: the group facts the form and the target check
//! need, users' mapped-group memberships, the groups delta that brings membership changes to the
//! import without a full scan, and the membership writes of the provisioning direction (each
//! preceded by a run-time target check).
//!
//! How nested groups are covered. `members@delta` lists a group's direct members only, so a
//! user added to a group nested inside a mapped group would not show as a change of the mapped
//! group. A round therefore tracks the mapped groups *and every group nested in them* (found
//! with `transitiveMembers` when the round starts, at most the 50 groups the delta filter
//! takes).
//!
//! - A round's first call reads the whole round: its pages are the current members of every
//!   tracked group, and since the round knows which mapped groups each tracked group is nested
//!   in, every member's mapped groups follow without a request per user (`complete_state`).
//! - A later call (a stored link) sees only changes: a user member added or removed names that
//!   user; a group member added or removed names all of that group's users. Every affected
//!   user's memberships are read again from `transitiveMemberOf` (20 users to a `$batch`) and
//!   reported as their mapped groups now.
//! - A group newly nested into a tracked group (or a tracked group deleted) makes the tracked
//!   set stale: the changes are still reported, and the round ends with `resync_required`
//!   instead of a delta link, so the next call starts a round over the new structure. A nested
//!   group taken out stays tracked until then (its users are re-read at once), which is
//!   harmless.

use super::target::{self, Refusal, TARGET_PROPERTIES, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::graph::MAX_BATCH;
use crate::graph::groups::{self, Delta, DeltaFrom, MAX_DELTA_GROUPS, MemberWrite};
use crate::provision::Provisioner;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The most ids one read call takes (like a bulk call's users): larger sets go in chunks.
pub const MAX_IDS_PER_CALL: usize = 1000;

/// The default and largest number of groups a search returns.
const SEARCH_TOP: (u32, u32) = (25, 100);

/// Pages of the groups delta one call follows before handing back `next_link`.
const DEFAULT_MAX_PAGES: usize = 20;

/// `entra_groups`: reads, no writes.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum GroupsRead {
    /// The groups by id, each with its target check.
    Get { ids: Vec<String> },
    /// Groups whose displayName matches (the form's picker), each with its target check.
    Search {
        query: String,
        #[serde(default)]
        top: Option<u32>,
    },
    /// Member counts (nested members included) for people to read (`drush entra:groups`).
    MemberCounts { ids: Vec<String> },
    /// Which of `group_ids` each user is in, directly or through nested groups.
    MemberOf {
        user_ids: Vec<String>,
        group_ids: Vec<String>,
    },
    /// The users in a group, nested ones included (a preview, a scope check, a full scan).
    Members { group_id: String },
}

/// `entra_group_membership`: one write.
#[derive(Debug, Deserialize)]
pub struct MembershipWrite {
    pub op: WriteOp,
    pub group_id: String,
    /// The Entra object id of the user.
    pub user_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOp {
    Add,
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteAction {
    Added,
    AlreadyMember,
    Removed,
    NotMember,
    /// Nothing was sent: the group is not (or no longer) an allowed target.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteOutcome {
    pub action: WriteAction,
    pub group_id: String,
    pub user_id: String,
    pub reason: Option<Refusal>,
    pub message: Option<&'static str>,
    pub request_id: Option<String>,
}

/// The groups part of an import request (`entra_import_delta`'s `groups`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GroupsDeltaRequest {
    /// The groups whose membership matters: every import rule's group and every scope group.
    pub ids: Vec<String>,
    /// The groups delta's `next_link` or `delta_link` from the previous call; none starts a round.
    pub link: Option<String>,
    pub max_pages: Option<usize>,
}

/// One user's mapped-group memberships as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberOf {
    pub id: String,
    /// The requested `ids` the user is in, directly or through nested groups (each as the
    /// request spelled it).
    pub member_of: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct GroupsDelta {
    /// Users whose memberships of the tracked groups changed (in a first round: every member,
    /// see `complete_state`).
    pub changes: Vec<MemberOf>,
    pub next_link: Option<String>,
    pub delta_link: Option<String>,
    /// Start a new groups round (no `link`): the stored link expired, or the nesting of the
    /// mapped groups changed.
    pub resync_required: bool,
    /// Whether a group was newly nested into a tracked group (or a tracked group deleted).
    pub nesting_changed: bool,
    /// A round's first call: `changes` lists every member of the tracked groups with its
    /// mapped groups, and any user not listed is in none of them.
    pub complete_state: bool,
    /// The groups this round tracks (the mapped ones and those nested in them); only when a
    /// round starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracked_group_ids: Option<Vec<String>>,
}

fn too_many(field: &str, n: usize) -> Error {
    Error::validation(
        field,
        format!("{n} ids in one call; at most {MAX_IDS_PER_CALL}: send larger sets in chunks"),
    )
}

/// A group object as the host gets it: Graph's properties and the target check.
fn with_target(mut group: Value) -> Value {
    let t = target::check(&group);
    if let Value::Object(map) = &mut group {
        map.remove("@odata.context");
        map.insert(
            "target".into(),
            serde_json::to_value(t).unwrap_or(Value::Null),
        );
    }
    group
}

/// `ids` trimmed, each once (case-insensitively), in order.
fn unique(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(id)) {
            out.push(id.to_owned());
        }
    }
    out
}

/// The entries of `wanted` found in `groups` (case-insensitive ids), spelled as in `wanted`.
fn intersect(wanted: &[String], groups: &[String]) -> Vec<String> {
    wanted
        .iter()
        .filter(|w| groups.iter().any(|g| g.eq_ignore_ascii_case(w)))
        .cloned()
        .collect()
}

impl Provisioner {
    pub async fn groups_read(&self, request: &GroupsRead) -> Result<Value> {
        match request {
            GroupsRead::Get { ids } => self.groups_get(ids).await,
            GroupsRead::Search { query, top } => {
                let text = query.trim();
                if text.is_empty() {
                    return Err(Error::validation("query", "type part of the group's name"));
                }
                let top = top.unwrap_or(SEARCH_TOP.0).clamp(1, SEARCH_TOP.1);
                let found = groups::search(&self.graph, text, top, &TARGET_PROPERTIES).await?;
                let found: Vec<Value> = found.into_iter().map(with_target).collect();
                Ok(serde_json::json!({"groups": found}))
            }
            GroupsRead::MemberCounts { ids } => {
                let ids = unique(ids);
                if ids.len() > MAX_IDS_PER_CALL {
                    return Err(too_many("ids", ids.len()));
                }
                let mut counts = Map::new();
                let (ids, mut missing): (Vec<String>, Vec<String>) =
                    ids.into_iter().partition(|id| crate::config::is_guid(id));
                for id in &ids {
                    match groups::transitive_member_count(&self.graph, id).await {
                        Ok(n) => {
                            counts.insert(id.clone(), serde_json::json!(n));
                        }
                        Err(e) if e.is(ErrorKind::NotFound) => missing.push(id.clone()),
                        Err(e) => return Err(e),
                    }
                }
                Ok(serde_json::json!({"counts": counts, "missing": missing}))
            }
            GroupsRead::MemberOf {
                user_ids,
                group_ids,
            } => {
                let users = unique(user_ids);
                if users.len() > MAX_IDS_PER_CALL {
                    return Err(too_many("user_ids", users.len()));
                }
                let (found, missing) = self.member_of(&users, &unique(group_ids)).await?;
                let map: Map<String, Value> = found
                    .into_iter()
                    .map(|m| (m.id, serde_json::json!(m.member_of)))
                    .collect();
                Ok(serde_json::json!({"member_of": map, "missing_users": missing}))
            }
            GroupsRead::Members { group_id } => {
                let members = groups::transitive_members(&self.graph, group_id.trim()).await?;
                Ok(serde_json::json!({"group_id": group_id, "user_ids": members.users}))
            }
        }
    }

    /// The groups by id with their target checks; ids Graph does not know are `missing`.
    async fn groups_get(&self, ids: &[String]) -> Result<Value> {
        let ids = unique(ids);
        if ids.len() > MAX_IDS_PER_CALL {
            return Err(too_many("ids", ids.len()));
        }
        let mut found = Vec::new();
        // Only object ids can name a group: anything else is no group (and never a request).
        let (ids, mut missing): (Vec<String>, Vec<String>) =
            ids.into_iter().partition(|id| crate::config::is_guid(id));
        for chunk in ids.chunks(MAX_BATCH) {
            let mut answers = groups::batch_get(&self.graph, chunk, &TARGET_PROPERTIES).await?;
            for id in chunk {
                match answers.remove(id) {
                    Some(Ok(r)) => found.push(with_target(r.body)),
                    Some(Err(e)) if e.is(ErrorKind::NotFound) => missing.push(id.clone()),
                    Some(Err(e)) => return Err(e),
                    None => missing.push(id.clone()),
                }
            }
        }
        Ok(serde_json::json!({"groups": found, "missing": missing}))
    }

    /// Each user's memberships among `group_ids` (transitive), and the users Graph does not
    /// know (gone: they are members of nothing).
    pub async fn member_of(
        &self,
        users: &[String],
        group_ids: &[String],
    ) -> Result<(Vec<MemberOf>, Vec<String>)> {
        let mut found = Vec::with_capacity(users.len());
        let mut missing = Vec::new();
        for chunk in users.chunks(MAX_BATCH) {
            let mut answers = groups::batch_transitive_groups(&self.graph, chunk).await?;
            for id in chunk {
                match answers.remove(id) {
                    Some(Ok(groups)) => found.push(MemberOf {
                        id: id.clone(),
                        member_of: intersect(group_ids, &groups),
                    }),
                    Some(Err(e)) if e.is(ErrorKind::NotFound) => missing.push(id.clone()),
                    Some(Err(e)) => return Err(e),
                    None => missing.push(id.clone()),
                }
            }
        }
        Ok((found, missing))
    }

    /// Adds or removes one member, after checking the group is an allowed target now.
    pub async fn membership_write(&self, request: &MembershipWrite) -> Result<WriteOutcome> {
        let (group_id, user_id) = (request.group_id.trim(), request.user_id.trim());
        if group_id.is_empty() || user_id.is_empty() {
            return Err(Error::validation(
                if group_id.is_empty() {
                    "group_id"
                } else {
                    "user_id"
                },
                "group_id and user_id are both required",
            ));
        }
        if !crate::config::is_guid(user_id) {
            return Err(Error::validation(
                "user_id",
                "user_id must be the Entra object id (a GUID) of the linked user",
            ));
        }
        let outcome = |action, t: &Target, request_id| WriteOutcome {
            action,
            group_id: group_id.to_owned(),
            user_id: user_id.to_owned(),
            reason: t.reason,
            message: t.message,
            request_id,
        };
        // Only an object id can name a group: anything else is none, and is never sent.
        let t = if !crate::config::is_guid(group_id) {
            Target::refused(Refusal::NotFound)
        } else {
            match groups::get(&self.graph, group_id, &TARGET_PROPERTIES).await {
                Ok(r) => target::check(&r.body),
                Err(e) if e.is(ErrorKind::NotFound) => Target::refused(Refusal::NotFound),
                Err(e) => return Err(e),
            }
        };
        if !t.allowed {
            return Ok(outcome(WriteAction::Refused, &t, None));
        }
        let (action, request_id) = match request.op {
            WriteOp::Add => match groups::add_member(&self.graph, group_id, user_id).await? {
                MemberWrite::Done(rid) => (WriteAction::Added, rid),
                MemberWrite::AddRefused(err) => {
                    // Graph documents this 400 as "already a member", but with the code every
                    // bad request has: the group's direct members tell for sure.
                    let members = groups::direct_members(&self.graph, group_id).await?;
                    if members
                        .users
                        .iter()
                        .any(|u| u.eq_ignore_ascii_case(user_id))
                    {
                        (WriteAction::AlreadyMember, err.detail().request_id.clone())
                    } else {
                        return Err(err);
                    }
                }
                MemberWrite::NotMember(_) => unreachable!("an add never answers not-member"),
            },
            WriteOp::Remove => match groups::remove_member(&self.graph, group_id, user_id).await? {
                MemberWrite::Done(rid) => (WriteAction::Removed, rid),
                MemberWrite::NotMember(rid) => (WriteAction::NotMember, rid),
                MemberWrite::AddRefused(err) => return Err(err),
            },
        };
        Ok(outcome(action, &t, request_id))
    }

    /// One call of the groups delta (see the module comment for nested groups).
    pub async fn groups_delta(&self, request: &GroupsDeltaRequest) -> Result<GroupsDelta> {
        let ids = unique(&request.ids);
        if ids.is_empty() {
            return Ok(GroupsDelta::default());
        }
        match &request.link {
            None => self.first_groups_round(&ids).await,
            Some(link) => {
                let max_pages = request.max_pages.unwrap_or(DEFAULT_MAX_PAGES).max(1);
                self.next_groups_round(&ids, link, max_pages).await
            }
        }
    }

    /// A new round, read whole in this call: its pages are the current state of every tracked
    /// group, from which each member's mapped groups follow without a request per user (the
    /// round knows which mapped groups each tracked group is nested in). `changes` then lists
    /// every member (`complete_state`): a user not listed is in none of the groups.
    async fn first_groups_round(&self, ids: &[String]) -> Result<GroupsDelta> {
        let (tracked, within) = self.tracked_groups(ids).await?;
        let refs: Vec<&str> = tracked.iter().map(String::as_str).collect();
        let mut answer = GroupsDelta {
            tracked_group_ids: Some(tracked.clone()),
            complete_state: true,
            ..GroupsDelta::default()
        };
        let mut member_of: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        let mut call = groups::delta(&self.graph, DeltaFrom::Start { ids: &refs }).await?;
        loop {
            let Delta::Page(page) = call else {
                return Ok(GroupsDelta {
                    resync_required: true,
                    ..GroupsDelta::default()
                });
            };
            for group in &page.items {
                let Some(mapped) = group
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|id| within.get(&id.to_ascii_lowercase()))
                else {
                    continue;
                };
                let members = group.get("members@delta").and_then(Value::as_array);
                for member in members.into_iter().flatten() {
                    let user = groups::is_user(member) || member.get("@odata.type").is_none();
                    let id = member.get("id").and_then(Value::as_str);
                    if let (true, Some(id), None) = (user, id, member.get("@removed")) {
                        member_of.entry(id.to_owned()).or_default().extend(mapped);
                    }
                }
            }
            if let Some(delta) = page.delta_link {
                answer.delta_link = Some(delta);
                break;
            }
            let Some(next) = page.next_link else {
                break;
            };
            call = groups::delta(&self.graph, DeltaFrom::Link(&next)).await?;
        }
        answer.changes = member_of
            .into_iter()
            .map(|(id, mapped)| MemberOf {
                id,
                member_of: mapped.into_iter().map(|i| ids[i].clone()).collect(),
            })
            .collect();
        Ok(answer)
    }

    /// The round a stored link continues: the users each change affects, their memberships
    /// read again.
    async fn next_groups_round(
        &self,
        ids: &[String],
        link: &str,
        max_pages: usize,
    ) -> Result<GroupsDelta> {
        let mut answer = GroupsDelta::default();
        let mut affected: BTreeSet<String> = BTreeSet::new();
        let mut call = groups::delta(&self.graph, DeltaFrom::Link(link)).await?;
        for pages in 1.. {
            let Delta::Page(page) = call else {
                answer.resync_required = true;
                answer.next_link = None;
                answer.delta_link = None;
                return Ok(answer);
            };
            for group in &page.items {
                self.note_group_change(group, &mut affected, &mut answer.nesting_changed)
                    .await?;
            }
            if let Some(delta) = page.delta_link {
                answer.delta_link = Some(delta);
                break;
            }
            let Some(next) = page.next_link else {
                break;
            };
            if pages >= max_pages {
                answer.next_link = Some(next);
                break;
            }
            call = groups::delta(&self.graph, DeltaFrom::Link(&next)).await?;
        }
        let users: Vec<String> = affected.into_iter().collect();
        let (mut found, missing) = self.member_of(&users, ids).await?;
        // A user Graph no longer knows is in no group (the users delta reports the removal).
        found.extend(missing.into_iter().map(|id| MemberOf {
            id,
            member_of: Vec::new(),
        }));
        found.sort_by(|a, b| a.id.cmp(&b.id));
        answer.changes = found;
        if answer.nesting_changed && answer.delta_link.is_some() {
            answer.delta_link = None;
            answer.resync_required = true;
        }
        Ok(answer)
    }

    /// The mapped groups and every group nested in them, each once, at most the delta query's
    /// filter limit; and for each (lower-cased id) the mapped groups it is, or is nested in, as
    /// indexes into `ids`.
    async fn tracked_groups(
        &self,
        ids: &[String],
    ) -> Result<(Vec<String>, HashMap<String, Vec<usize>>)> {
        let mut tracked = ids.to_vec();
        let mut within: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, id) in ids.iter().enumerate() {
            within
                .entry(id.to_ascii_lowercase())
                .or_default()
                .push(index);
            let nested = match groups::transitive_members(&self.graph, id).await {
                Ok(m) => m.groups,
                // A mapped group that is gone has nothing nested (the form reports it).
                Err(e) if e.is(ErrorKind::NotFound) => Vec::new(),
                Err(e) => return Err(e),
            };
            for g in nested {
                within
                    .entry(g.to_ascii_lowercase())
                    .or_default()
                    .push(index);
                if !tracked.iter().any(|t| t.eq_ignore_ascii_case(&g)) {
                    tracked.push(g);
                }
            }
        }
        if tracked.len() > MAX_DELTA_GROUPS {
            return Err(Error::validation(
                "groups.ids",
                format!(
                    "the mapped groups and the groups nested in them are {} groups; Graph's groups delta query tracks at most {MAX_DELTA_GROUPS}: map fewer groups, or import memberships with entra_groups member_of",
                    tracked.len()
                ),
            ));
        }
        Ok((tracked, within))
    }

    /// The users one delta item of a continued round affects: its user members, and every
    /// user of a nested group that was added or removed.
    async fn note_group_change(
        &self,
        group: &Value,
        affected: &mut BTreeSet<String>,
        nesting_changed: &mut bool,
    ) -> Result<()> {
        if group.get("@removed").is_some() {
            // A tracked group was deleted: the structure the round tracks is gone.
            *nesting_changed = true;
            return Ok(());
        }
        let Some(members) = group.get("members@delta").and_then(Value::as_array) else {
            return Ok(());
        };
        for member in members {
            let Some(id) = member.get("id").and_then(Value::as_str) else {
                continue;
            };
            if groups::is_group(member) {
                // A group newly nested is not tracked yet: the round must start over to track
                // it. One taken out stays tracked until then, which costs nothing but calls.
                if member.get("@removed").is_none() {
                    *nesting_changed = true;
                }
                match groups::transitive_members(&self.graph, id).await {
                    Ok(m) => affected.extend(m.users),
                    Err(e) if e.is(ErrorKind::NotFound) => {}
                    Err(e) => return Err(e),
                }
            } else if groups::is_user(member) || member.get("@odata.type").is_none() {
                affected.insert(id.to_owned());
            }
        }
        Ok(())
    }

    /// The mapped-group memberships of the users an import page upserts, by user id.
    pub async fn upsert_member_of(
        &self,
        user_ids: &[String],
        group_ids: &[String],
    ) -> Result<BTreeMap<String, Vec<String>>> {
        let (found, _) = self.member_of(user_ids, &unique(group_ids)).await?;
        Ok(found.into_iter().map(|m| (m.id, m.member_of)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deduplicated_and_matched_case_insensitively() {
        let ids = vec![" A ".to_owned(), "a".into(), "b".into(), String::new()];
        assert_eq!(unique(&ids), vec!["A".to_owned(), "b".into()]);
        assert_eq!(
            intersect(&["G1".to_owned(), "g2".into()], &["g1".to_owned()]),
            vec!["G1".to_owned()]
        );
    }

    #[test]
    fn requests_parse() {
        let r: GroupsRead = serde_json::from_str(r#"{"op":"search","query":"eng"}"#).unwrap();
        assert!(matches!(r, GroupsRead::Search { top: None, .. }));
        let w: MembershipWrite =
            serde_json::from_str(r#"{"op":"add","group_id":"g","user_id":"u"}"#).unwrap();
        assert_eq!(w.op, WriteOp::Add);
        assert!(serde_json::from_str::<GroupsRead>(r#"{"op":"delete"}"#).is_err());
    }
}
