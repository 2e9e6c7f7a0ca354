//! Entra → Drupal: one call of the users delta query, each changed user turned into a change
//! for the host (its Drupal values from the reverse mapping, `mapping::reverse_map`). The host
//! stores the returned links and applies the changes; which users it gets (guests, partial
//! items read in full) is decided here.

use crate::error::{ErrorKind, Result};
use crate::graph::MAX_BATCH;
use crate::graph::users::{self, Delta, DeltaFrom};
use crate::groups::sync::{GroupsDelta, GroupsDeltaRequest};
use crate::mapping::{MappingConfig, reverse_map};
use crate::provision::Provisioner;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Pages of at most a few hundred users each; the host calls again with `next_link`.
const DEFAULT_MAX_PAGES: usize = 20;

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct DeltaRequest {
    /// The `@odata.nextLink` or `@odata.deltaLink` from the previous call; none = full sync.
    pub link: Option<String>,
    /// Start from now (`$deltatoken=latest`): later calls see only future changes.
    pub start_from_now: bool,
    pub max_pages: Option<usize>,
    /// Guests (`userType` Guest, `#EXT#` UPNs) are skipped unless asked for.
    pub include_guests: bool,
    /// With group rules or an import scope: the groups whose membership matters, and the
    /// groups delta's own link. Each upsert then carries `member_of`, and the answer the
    /// membership changes the groups delta found (`groups`).
    #[serde(deserialize_with = "crate::json::option_map_or_empty_array")]
    pub groups: Option<GroupsDeltaRequest>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    Upsert {
        id: String,
        #[serde(rename = "userPrincipalName")]
        user_principal_name: Option<String>,
        /// The Drupal account values derivable from what Graph sent (only those keys).
        drupal: Map<String, Value>,
        attributes: Value,
        /// The request's `groups.ids` this user is in, directly or through nested groups
        /// (only when the request has `groups`).
        #[serde(skip_serializing_if = "Option::is_none")]
        member_of: Option<Vec<String>>,
    },
    Removed {
        id: String,
        /// `changed`: soft-deleted (restorable for 30 days); `deleted`: gone for good.
        reason: String,
    },
}

#[derive(Debug, Serialize, Default)]
pub struct DeltaPage {
    pub changes: Vec<Change>,
    /// More pages remain in this round: call again with it.
    pub next_link: Option<String>,
    /// The round is complete: store it, and call with it later for what changed since.
    pub delta_link: Option<String>,
    /// The stored link expired (HTTP 410 / syncStateNotFound): start a full sync.
    pub resync_required: bool,
    pub skipped_guests: usize,
    /// The groups delta's answer (only when the request has `groups`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<GroupsDelta>,
}

impl Provisioner {
    pub async fn import_delta(&self, request: &DeltaRequest) -> Result<DeltaPage> {
        let started = tokio::time::Instant::now();
        let mut page = DeltaPage::default();
        let mut select = self.config.mapping.select();
        select.push("userType");
        let from = match &request.link {
            Some(link) => DeltaFrom::Link(link),
            None => DeltaFrom::Start {
                select: &select,
                from_now: request.start_from_now,
            },
        };
        let Delta::Page(mut round) = users::delta(&self.graph, from).await? else {
            return Ok(resync());
        };
        let max_pages = request.max_pages.unwrap_or(DEFAULT_MAX_PAGES).max(1);
        let mut incomplete = Incomplete::new();
        for pages in 1u32.. {
            for item in &round.items {
                match first_look(item, &self.config.mapping, request.include_guests) {
                    Look::Change(change) => page.changes.push(change),
                    Look::Guest => page.skipped_guests += 1,
                    Look::Incomplete(change, kind_known) => {
                        if let Change::Upsert { id, .. } = &change {
                            incomplete.insert(id.clone(), kind_known);
                        }
                        page.changes.push(change);
                    }
                }
            }
            if let Some(delta) = round.delta_link {
                page.delta_link = Some(delta);
                break;
            }
            let Some(next) = round.next_link else {
                break;
            };
            // Stop at the page limit, or when the call's budget could not cover another page
            // as long as the last ones took: the host continues from `next_link`.
            let page_time = started.elapsed() / pages;
            if pages as usize >= max_pages || crate::deadline::crosses(page_time * 2) {
                page.next_link = Some(next);
                break;
            }
            round = match users::delta(&self.graph, DeltaFrom::Link(&next)).await? {
                Delta::Page(round) => round,
                Delta::SyncStateLost => return Ok(resync()),
            };
        }
        self.complete_partial(&mut page, &incomplete, &select, request.include_guests)
            .await?;
        if let Some(groups) = request.groups.as_ref().filter(|g| !g.ids.is_empty()) {
            self.add_memberships(&mut page, groups)
                .await
                .map_err(|mut e| {
                    // The users part worked: a 403 here is about the group permission.
                    if e.is(ErrorKind::Permission) {
                        e.detail_mut().hint = Some(
                            crate::advice::default_hint(
                                "permission",
                                crate::operation::Operation::GroupRead,
                            )
                            .into(),
                        );
                    }
                    e
                })?;
        }
        Ok(page)
    }

    /// Each upsert's mapped-group memberships, and one call of the groups delta. Both use the
    /// same `ids`, so the host answers `role_changes` and `import_scope` from either alike.
    async fn add_memberships(
        &self,
        page: &mut DeltaPage,
        groups: &GroupsDeltaRequest,
    ) -> Result<()> {
        let ids: Vec<String> = page
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Upsert { id, .. } => Some(id.clone()),
                Change::Removed { .. } => None,
            })
            .collect();
        let mut member_of = self.upsert_member_of(&ids, &groups.ids).await?;
        for change in &mut page.changes {
            if let Change::Upsert {
                id, member_of: m, ..
            } = change
            {
                *m = Some(member_of.remove(id.as_str()).unwrap_or_default());
            }
        }
        page.groups = Some(self.groups_delta(groups).await?);
        Ok(())
    }

    /// Graph may list an updated user with only the properties that changed. Such users are
    /// read in full (20 to a `$batch`) before anything is decided about them, so the host always
    /// gets every mapped Drupal value, can match a user it has not seen before by name or mail,
    /// and never receives a guest whose item did not say `userType`.
    async fn complete_partial(
        &self,
        page: &mut DeltaPage,
        incomplete: &Incomplete,
        select: &[&str],
        include_guests: bool,
    ) -> Result<()> {
        let partial: Vec<String> = incomplete.keys().cloned().collect();
        let mut full: HashMap<String, Value> = HashMap::new();
        for chunk in partial.chunks(MAX_BATCH) {
            for (id, result) in users::batch_get(&self.graph, chunk, select).await? {
                match result {
                    Ok(response) => {
                        full.insert(id, response.body);
                    }
                    // Gone since: the next round reports its removal.
                    Err(e) if e.is(ErrorKind::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let mut skipped = 0;
        page.changes.retain_mut(|change| {
            let Change::Upsert { id, .. } = change else {
                return true;
            };
            let Some(&kind_known) = incomplete.get(id.as_str()) else {
                return true;
            };
            let Some(user) = full.get(id.as_str()) else {
                // Gone since (the next round reports its removal): its partial item goes to
                // the host only when it is known not to be a skipped guest.
                return kind_known || include_guests;
            };
            match change_of(user, &self.config.mapping, include_guests) {
                Some(complete) => {
                    *change = complete;
                    true
                }
                None => {
                    skipped += 1;
                    false
                }
            }
        });
        page.skipped_guests += skipped;
        Ok(())
    }
}

/// The answer when the stored link's sync state is gone: the host starts a full sync.
fn resync() -> DeltaPage {
    DeltaPage {
        resync_required: true,
        ..DeltaPage::default()
    }
}

/// The delta items read in full after the pages, by id: whether the item itself said if the user
/// is a guest.
type Incomplete = HashMap<String, bool>;

/// What a delta item is, from the item alone.
enum Look {
    Change(Change),
    /// A guest, and guests were not asked for.
    Guest,
    /// A partial item (no `userPrincipalName`, or no `userType`): the change it implies so far,
    /// to be completed; and whether the item said if the user is a guest.
    Incomplete(Change, bool),
}

fn first_look(item: &Value, mapping: &MappingConfig, include_guests: bool) -> Look {
    let upn = item.get("userPrincipalName").and_then(Value::as_str);
    // Absent, not null: a full item lists every selected property, null when unset (and a null
    // `userType` is read as a member, as before).
    let says_user_type = item.get("userType").is_some();
    let partial = item.get("@removed").is_none() && (upn.is_none() || !says_user_type);
    if !partial {
        return change_of(item, mapping, include_guests).map_or(Look::Guest, Look::Change);
    }
    let kind_known = says_user_type || upn.is_some_and(is_guest_upn);
    match change_of(item, mapping, include_guests) {
        // A guest by what the item says (`userType` Guest, an `#EXT#` UPN): no need to read it.
        None => Look::Guest,
        Some(change) => Look::Incomplete(change, kind_known),
    }
}

/// A B2B guest's UPN (`jane_example.com#EXT#@contoso.onmicrosoft.com`): a guest whatever its
/// `userType` says.
fn is_guest_upn(upn: &str) -> bool {
    upn.to_ascii_uppercase().contains("#EXT#")
}

fn change_of(item: &Value, mapping: &MappingConfig, include_guests: bool) -> Option<Change> {
    let id = item
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(removed) = item.get("@removed") {
        let reason = removed
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("changed")
            .to_owned();
        return Some(Change::Removed { id, reason });
    }
    let upn = item
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let guest = item
        .get("userType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("Guest"))
        || upn.as_deref().is_some_and(is_guest_upn);
    if guest && !include_guests {
        return None;
    }
    let mut attributes = item.clone();
    if let Value::Object(map) = &mut attributes {
        map.retain(|k, _| !k.starts_with('@'));
    }
    Some(Change::Upsert {
        id,
        drupal: reverse_map(item, mapping),
        user_principal_name: upn,
        attributes,
        member_of: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removed_items_and_guests() {
        let mapping = MappingConfig::default();
        let removed = change_of(
            &json!({"id": "9", "@removed": {"reason": "deleted"}}),
            &mapping,
            false,
        );
        assert_eq!(
            removed,
            Some(Change::Removed {
                id: "9".into(),
                reason: "deleted".into()
            })
        );
        let guest = json!({"id": "8", "userPrincipalName": "a_b.com#EXT#@contoso.com", "userType": "Guest"});
        assert_eq!(change_of(&guest, &mapping, false), None);
        assert!(change_of(&guest, &mapping, true).is_some());
    }
}
