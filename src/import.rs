//! Entra → Drupal: the users delta query, and the reverse mapping of each changed user onto the
//! Drupal account fields. The host stores the returned links and applies the changes; the rules
//! for what a Graph user means in Drupal live here.

use crate::error::{Error, ErrorKind, Result};
use crate::graph::batch::{MAX_BATCH, SubRequest};
use crate::graph::{Replay, paths};
use crate::mapping::{MappingConfig, UpnSource};
use crate::provision::Provisioner;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Drupal's `UserInterface::USERNAME_MAX_LENGTH`.
const DRUPAL_NAME_MAX: usize = 60;
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
}

impl Provisioner {
    pub async fn import_delta(&self, request: &DeltaRequest) -> Result<DeltaPage> {
        let started = tokio::time::Instant::now();
        let mut page = DeltaPage::default();
        let mut select = self.config.mapping.select();
        select.push("userType");
        let first = match &request.link {
            Some(link) => self.graph.follow(link).await,
            None => {
                let mut path = format!("/users/delta?{}", paths::select(&select));
                if request.start_from_now {
                    path.push_str("&$deltatoken=latest");
                }
                self.graph
                    .send(Method::GET, &path, None, Replay::Safe)
                    .await
            }
        };
        let mut response = match first {
            Err(e) if is_sync_state_lost(&e) => {
                page.resync_required = true;
                return Ok(page);
            }
            other => other?,
        };
        let max_pages = request.max_pages.unwrap_or(DEFAULT_MAX_PAGES).max(1);
        let mut incomplete = Incomplete::new();
        for pages in 1u32.. {
            let body = response.body;
            for item in body
                .get("value")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
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
            let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
            if let Some(delta) = text("@odata.deltaLink") {
                page.delta_link = Some(delta);
                break;
            }
            let Some(next) = text("@odata.nextLink") else {
                break;
            };
            // Stop at the page limit, or when the call's budget could not cover another page
            // as long as the last ones took: the host continues from `next_link`.
            let page_time = started.elapsed() / pages;
            if pages as usize >= max_pages || crate::deadline::crosses(page_time * 2) {
                page.next_link = Some(next);
                break;
            }
            response = match self.graph.follow(&next).await {
                Err(e) if is_sync_state_lost(&e) => {
                    return Ok(DeltaPage {
                        resync_required: true,
                        ..DeltaPage::default()
                    });
                }
                other => other?,
            };
        }
        self.complete_partial(&mut page, &incomplete, &select, request.include_guests)
            .await?;
        Ok(page)
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
            let requests: Vec<SubRequest> = chunk
                .iter()
                .map(|id| SubRequest {
                    id: id.clone(),
                    method: "GET",
                    url: format!("{}?{}", paths::user(id), paths::select(select)),
                    body: None,
                })
                .collect();
            for (id, result) in self.graph.batch(&requests).await? {
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

fn is_sync_state_lost(err: &Error) -> bool {
    let d = err.detail();
    d.http_status == Some(410) || d.graph_code.as_deref() == Some("syncStateNotFound")
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
    })
}

/// The Drupal values a Graph user implies, for the properties present in `user` (a delta page
/// carries only what changed).
pub fn reverse_map(user: &Value, mapping: &MappingConfig) -> Map<String, Value> {
    let mut out = Map::new();
    let text = |key: &str| {
        user.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name_source = match mapping.upn_source {
        UpnSource::Mail => text("mail").or_else(|| text("userPrincipalName")),
        UpnSource::Name => text("userPrincipalName"),
    };
    if let Some(source) = name_source {
        let local = match mapping.upn_source {
            UpnSource::Mail => source,
            UpnSource::Name => source.split('@').next().unwrap_or_default(),
        };
        let name = drupal_name(local);
        if !name.is_empty() {
            out.insert("name".into(), json!(name));
        }
    }
    if user.get("mail").is_some() {
        out.insert("mail".into(), json!(text("mail")));
    }
    if let Some(enabled) = user.get("accountEnabled").and_then(Value::as_bool) {
        out.insert("status".into(), json!(u8::from(enabled)));
    }
    let mut fields = Map::new();
    for (field, property) in &mapping.properties {
        if let Some(value) = user.get(property) {
            let value = match value {
                Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            fields.insert(field.clone(), value);
        }
    }
    if mapping.display_name_field != "name"
        && mapping.display_name_field != "mail"
        && let Some(display) = user.get("displayName")
    {
        fields.insert(mapping.display_name_field.clone(), display.clone());
    }
    if !fields.is_empty() {
        out.insert("fields".into(), Value::Object(fields));
    }
    out
}

/// A Drupal username from a UPN local part or mail: Drupal accepts letters (any script),
/// digits, space and `. - _ @ + '`; at most 60 characters.
pub fn drupal_name(source: &str) -> String {
    let cleaned: String = source
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '@' | '+' | '\''))
        .take(DRUPAL_NAME_MAX)
        .collect();
    cleaned.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_mapping_of_a_full_user() {
        let mut mapping = MappingConfig::default();
        mapping
            .properties
            .insert("field_title".into(), "jobTitle".into());
        mapping
            .properties
            .insert("field_phone".into(), "businessPhones".into());
        let user = json!({"id": "1", "userPrincipalName": "jane.doe@contoso.com", "mail": "Jane@Example.com",
            "accountEnabled": false, "jobTitle": "CTO", "businessPhones": ["+1 555"]});
        let d = reverse_map(&user, &mapping);
        assert_eq!(d["name"], "jane.doe");
        assert_eq!(d["mail"], "Jane@Example.com");
        assert_eq!(d["status"], 0);
        assert_eq!(
            d["fields"],
            json!({"field_title": "CTO", "field_phone": "+1 555"})
        );
    }

    #[test]
    fn partial_delta_items_give_only_what_they_carry() {
        let d = reverse_map(
            &json!({"id": "1", "accountEnabled": true}),
            &MappingConfig::default(),
        );
        assert_eq!(Value::Object(d), json!({"status": 1}));
    }

    #[test]
    fn names_follow_drupal_rules() {
        assert_eq!(drupal_name("o'brien!#^~x"), "o'brienx");
        assert_eq!(drupal_name(&"a".repeat(80)).len(), 60);
        assert_eq!(drupal_name("zoë"), "zoë");
        let mapping = MappingConfig {
            upn_source: UpnSource::Mail,
            ..MappingConfig::default()
        };
        let d = reverse_map(
            &json!({"userPrincipalName": "x@c.com", "mail": "jd@example.org"}),
            &mapping,
        );
        assert_eq!(d["name"], "jd@example.org");
    }

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
