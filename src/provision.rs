//! The provisioning operations, built from the mapping and the Graph client.

use crate::config::Config;
use crate::direction::Direction;
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::feature::Feature;
use crate::graph::GraphClient;
use crate::graph::users::{self, Filter};
use crate::mapping::{self, DrupalUser, MappedUser, PreviousAttempt};
use crate::matching::Candidate;
use crate::password;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Linked,
    Updated,
    Unchanged,
    Disabled,
    Enabled,
    Deleted,
    AlreadyDeleted,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub action: Action,
    pub id: String,
    #[serde(rename = "userPrincipalName", skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Graph properties written by an update or a link.
    pub updated_properties: Vec<String>,
    pub request_id: Option<String>,
    /// A create found done: an earlier attempt's account (`previous_attempt`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
}

#[derive(Debug, Deserialize)]
pub struct TestRequest {
    pub upn: String,
    /// `drupal_to_entra` and/or `entra_to_drupal`: which permissions to check for.
    #[serde(default)]
    pub directions: Vec<String>,
    /// Further features switched on (`feature::Feature` names, e.g. `read_group_memberships`,
    /// `write_group_memberships`): their permissions are checked too.
    #[serde(default)]
    pub features: Vec<String>,
}

impl TestRequest {
    /// The features the request switches on: its directions' and its named ones.
    /// An unknown feature name is refused: a misspelt one would otherwise report nothing
    /// missing.
    fn features(&self) -> Result<Vec<Feature>> {
        let mut features: Vec<Feature> = self
            .directions
            .iter()
            .filter_map(|d| Direction::parse(d).map(Direction::feature))
            .collect();
        for name in &self.features {
            features.push(Feature::parse(name).ok_or_else(|| {
                Error::validation(
                    "features",
                    format!("unknown feature \"{name}\" (see entra_describe's features)"),
                )
            })?);
        }
        Ok(features)
    }
}

/// The permissions the switched-on features need that the token does not grant (`ReadWrite`
/// implies `Read`). Unknown when the token's claims cannot be read.
fn missing_permissions(granted: Option<&[String]>, features: &[Feature]) -> Option<Vec<String>> {
    Some(crate::feature::missing(granted?, features))
}

/// What an update may write beyond the profile (and the sign-in name, `mapping.update_upn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateRules {
    /// The link may carry deprovisioning (`matching::may_deprovision`): `accountEnabled` and
    /// `mail` may be written.
    pub deprovision: bool,
    /// The host asked for the Drupal mail to be written (`sync_mail`). Off unless asked: Drupal
    /// does not verify a changed e-mail address, and other applications of the tenant may trust
    /// Entra's `mail` (it is not a verified attribute: user and Exchange admins, apps holding
    /// User.ReadWrite.All and guest invitations can all set it), so a user who edits their e-mail
    /// in Drupal must not thereby change it for everything else.
    pub sync_mail: bool,
}

impl UpdateRules {
    /// For an update request: the link's facts (none: an update without link facts is not
    /// restricted, as for ABI 2 callers) and the host's `sync_mail`.
    pub fn new(
        link: Option<(Option<crate::matching::Provenance>, bool)>,
        sync_mail: bool,
    ) -> UpdateRules {
        UpdateRules {
            deprovision: link.is_none_or(|(provenance, deprovision_matched)| {
                crate::matching::may_deprovision(provenance, deprovision_matched)
            }),
            sync_mail,
        }
    }

    /// Everything the mapping manages, mail included. (A function, not a constant: cbindgen
    /// would put a constant's type into the C header.)
    pub fn everything() -> UpdateRules {
        UpdateRules {
            deprovision: true,
            sync_mail: true,
        }
    }

    fn may_write_mail(self) -> bool {
        self.deprovision && self.sync_mail
    }
}

/// How to find a user: exactly one of the three.
#[derive(Debug, Deserialize)]
pub struct FindQuery {
    pub id: Option<String>,
    pub upn: Option<String>,
    pub mail: Option<String>,
}

pub struct Provisioner {
    pub config: Config,
    pub graph: GraphClient,
}

impl Provisioner {
    pub fn new(config: Config) -> Self {
        let graph = GraphClient::new(&config);
        Provisioner { config, graph }
    }

    pub fn map(&self, user: &DrupalUser) -> Result<MappedUser> {
        mapping::map_user(user, &self.config.mapping, &self.config.primary_domain)
    }

    /// What `provision_user` would send, password redacted. No network.
    pub fn preview(&self, user: &DrupalUser) -> Result<Value> {
        Ok(self
            .map(user)?
            .preview_body(self.config.mapping.force_change_password))
    }

    /// The properties every read of a user asks for.
    fn select(&self) -> Vec<&str> {
        let mut properties = self.config.mapping.select();
        // Tells our own lost create from someone else's account.
        properties.push("createdDateTime");
        properties
    }

    /// Acquires a token and reads one user with the mapped properties: proves the tenant, the
    /// credentials, the permission and the mapping's property names in one go. Also reports
    /// the application permissions the token carries and which of those the chosen sync
    /// directions need are missing.
    pub async fn test_connection(&self, request: &TestRequest) -> Result<Value> {
        let id_or_upn = request.upn.trim();
        if id_or_upn.is_empty() {
            return Err(Error::validation(
                "upn",
                "enter the UPN or object ID of an existing Entra user to test with",
            ));
        }
        let features = request.features()?;
        let granted = self.graph.granted_roles().await?;
        let missing = missing_permissions(granted.as_deref(), &features);
        let response = users::get(&self.graph, id_or_upn, &self.select())
            .await
            .map_err(|mut e| {
                if e.is(ErrorKind::NotFound) {
                    let d = e.detail_mut();
                    d.field = Some("upn".into());
                    d.hint = Some("The connection works, but no user has this UPN or ID: enter an existing user's UPN.".into());
                }
                if let (ErrorKind::Permission, Some(granted)) = (e.kind(), &granted) {
                    e.detail_mut().hint = Some(format!(
                        "The app's token grants [{}]. Add the Microsoft Graph application permission User.Read.All (import, tests) or User.ReadWrite.All (provisioning) and grant admin consent.",
                        granted.join(", ")
                    ));
                }
                e
            })?;
        let mut attributes = response.body;
        if let Value::Object(map) = &mut attributes {
            map.remove("@odata.context");
        }
        Ok(serde_json::json!({
            "attributes": attributes,
            "request_id": response.request_id,
            "granted_permissions": granted,
            "missing_permissions": missing,
        }))
    }

    pub async fn find_user(&self, query: &FindQuery) -> Result<Option<Value>> {
        match (&query.id, &query.upn, &query.mail) {
            (Some(id), None, None) => self.get_user(id).await,
            (None, Some(upn), None) => self.get_user(upn).await,
            (None, None, Some(mail)) => self.find_by(Filter::Mail(mail)).await,
            _ => Err(Error::validation(
                "query",
                "give exactly one of id, upn or mail",
            )),
        }
    }

    /// The user by id or UPN; `None` when Graph has no such user.
    pub async fn get_user(&self, id_or_upn: &str) -> Result<Option<Value>> {
        match self.fetch_user(id_or_upn).await {
            Ok(user) => Ok(Some(user)),
            Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The user by id or UPN with the mapped properties; a missing user is an error that keeps
    /// Graph's request-id.
    async fn fetch_user(&self, id_or_upn: &str) -> Result<Value> {
        Ok(users::get(&self.graph, id_or_upn, &self.select())
            .await?
            .body)
    }

    async fn find_by(&self, filter: Filter<'_>) -> Result<Option<Value>> {
        users::find_by(&self.graph, filter, &self.select()).await
    }

    pub async fn provision_user(&self, user: &DrupalUser) -> Result<Outcome> {
        let mapped = self.map(user)?;
        if let Some(attempt) = &user.previous_attempt
            && let Some(ours) = self.find_earlier_create(attempt).await?
        {
            return Ok(ours);
        }
        self.create(
            &mapped,
            password::generate(self.config.mapping.password_length),
            false,
        )
        .await
    }

    /// The account an earlier create of this user made, if it exists: the UPN the host recorded
    /// before sending it, created after that attempt began. The account may have been renamed
    /// in Drupal since, so its UPN need not be what the mapping gives now.
    pub async fn find_earlier_create(&self, attempt: &PreviousAttempt) -> Result<Option<Outcome>> {
        let Some(existing) = self.get_user(&attempt.user_principal_name).await? else {
            return Ok(None);
        };
        let since = time::OffsetDateTime::from_unix_timestamp(attempt.started)
            .map(std::time::SystemTime::from)
            .unwrap_or(std::time::UNIX_EPOCH);
        Ok(created_since(&existing, since).then(|| {
            let mut outcome = created(&existing, None);
            outcome.recovered = true;
            outcome
        }))
    }

    /// Creates the user. An account that already holds the UPN (or the mail) is never taken
    /// over: the answer is a conflict naming it (`existing`), and nothing is sent to it; the
    /// host decides with `matching` whether to propose, link or refuse.
    ///
    /// `lost` says an earlier create of this user may have happened without its answer
    /// arriving: then look first, so that a retry never makes a second account. A user found
    /// then is ours only if it holds exactly what we sent and was created after the first
    /// attempt; anyone else's account is a conflict like any other.
    pub async fn create(
        &self,
        mapped: &MappedUser,
        password: Secret,
        mut lost: bool,
    ) -> Result<Outcome> {
        let body = mapped.create_body(&password, self.config.mapping.force_change_password);
        let first_attempt = std::time::SystemTime::now();
        let mut attempt = 0;
        loop {
            if lost && let Some(existing) = self.get_user(&mapped.user_principal_name).await? {
                return if is_our_lost_create(mapped, &existing, first_attempt) {
                    Ok(created(&existing, None))
                } else {
                    Err(self.conflict_with(existing, "userPrincipalName").await)
                };
            }
            let err = match users::create(&self.graph, &body).await {
                Ok(r) => return Ok(created(&r.body, r.request_id)),
                Err(err) => err,
            };
            match err {
                // After a lost answer, the account now in the way may be the one that attempt
                // made (it landed after our look): the same test as the look decides.
                err if err.is(ErrorKind::Conflict) && lost => {
                    return match self.get_user(&mapped.user_principal_name).await? {
                        Some(existing) if is_our_lost_create(mapped, &existing, first_attempt) => {
                            Ok(created(&existing, None))
                        }
                        Some(existing) => {
                            Err(self.conflict_with(existing, "userPrincipalName").await)
                        }
                        None => Err(self.conflict(mapped, err).await),
                    };
                }
                err if err.is(ErrorKind::Conflict) => return Err(self.conflict(mapped, err).await),
                // Our own checks passed, so a 400 on create is most likely a duplicate that Graph
                // reported without a conflict detail: one look settles it without reading text.
                err if err.is(ErrorKind::Validation) => {
                    return match self.holder(mapped).await? {
                        Some((existing, _))
                            if lost && is_our_lost_create(mapped, &existing, first_attempt) =>
                        {
                            Ok(created(&existing, None))
                        }
                        Some((existing, on)) => Err(self.conflict_with(existing, on).await),
                        None => Err(err),
                    };
                }
                err if err.detail().maybe_committed => {
                    let Some(wait) = self.graph.retry_delay(attempt, &err) else {
                        return Err(err);
                    };
                    if crate::deadline::crosses(wait) {
                        return Err(crate::graph::handed_back(err, wait));
                    }
                    lost = true;
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                err => return Err(err),
            }
        }
    }

    /// The existing account behind a conflict on create, as a conflict error naming it.
    pub async fn conflict(&self, mapped: &MappedUser, original: Error) -> Error {
        match self.holder(mapped).await {
            Ok(Some((existing, on))) => self.conflict_with(existing, on).await,
            Ok(None) => Error::new(
                ErrorKind::Conflict,
                Detail::new(format!(
                    "Graph reports a conflict for {} but no user with that UPN or mail can be read; a soft-deleted user may hold it",
                    mapped.user_principal_name
                ))
                .field("userPrincipalName")
                .hint("Restore or permanently delete the user in Entra's Deleted users, then sync again."),
            ),
            Err(lookup) => {
                // The conflict stands; say why its holder is unknown.
                let mut err = original;
                err.detail_mut().message = format!(
                    "{} (the existing account could not be read: {})",
                    err.detail().message,
                    lookup.detail().message
                );
                err
            }
        }
    }

    /// Who holds the UPN, or else the mail, that `mapped` would take.
    async fn holder(&self, mapped: &MappedUser) -> Result<Option<(Value, &'static str)>> {
        if let Some(user) = self.get_user(&mapped.user_principal_name).await? {
            return Ok(Some((user, "userPrincipalName")));
        }
        if let Some(mail) = &mapped.mail
            && let Some(user) = self.find_by(Filter::Mail(mail)).await?
        {
            return Ok(Some((user, "mail")));
        }
        Ok(None)
    }

    /// A conflict with `existing`: who it is and whether it holds an admin role, for the host's
    /// matching decision. Nothing is written to it.
    async fn conflict_with(&self, existing: Value, matched_on: &str) -> Error {
        let privileged = self.privileged(&existing).await;
        let candidate = Candidate::from_graph(&existing, matched_on, privileged);
        let who = candidate
            .user_principal_name
            .clone()
            .unwrap_or_else(|| candidate.id.clone());
        Error::new(ErrorKind::Conflict, Detail {
            message: format!(
                "{who} already exists in Entra ID with the same {matched_on}; this site did not create it for this account, so nothing was sent to it"
            ),
            field: Some(matched_on.to_owned()),
            hint: Some("Approve the match under Pending matches if it is the same person, or rename one of the accounts.".into()),
            existing: Some(Box::new(candidate)),
            ..Detail::default()
        })
    }

    /// Whether the Entra user holds a directory (admin) role; `None` when that cannot be read
    /// (the caller then treats the user as privileged).
    async fn privileged(&self, user: &Value) -> Option<bool> {
        let id = user.get("id").and_then(Value::as_str)?;
        users::holds_directory_role(&self.graph, id)
            .await
            .ok()
            .flatten()
    }

    /// Carries out a link an admin approved (or that the automatic policy allowed): the Entra
    /// user must exist, and only its mapped profile properties are brought in step; never its
    /// UPN, mailNickname, mail or accountEnabled.
    pub async fn link_user(&self, entra_id: &str, user: &DrupalUser) -> Result<Outcome> {
        let mapped = self.map(user)?;
        let existing = self.fetch_user(entra_id).await.map_err(|mut e| {
            if e.is(ErrorKind::NotFound) {
                let d = e.detail_mut();
                d.message = format!("no Entra user has the ID {entra_id}");
                d.field = Some("entra_id".into());
                d.hint = Some("The Entra user was deleted since the match was proposed: reject the match and sync the account again.".into());
            }
            e
        })?;
        let id = object_id(&existing)?;
        let patch = mapped.profile_diff(&existing);
        let request_id = self.patch(&id, &patch).await?;
        Ok(Outcome {
            action: Action::Linked,
            id,
            user_principal_name: upn_of(&existing),
            updated_properties: patch.keys().cloned().collect(),
            request_id,
            recovered: false,
        })
    }

    /// PATCHes only the mapped properties that differ from what Entra holds. Without
    /// `deprovision` (a link that may not carry deprovisioning, see `matching`), neither
    /// `accountEnabled` nor `mail` is sent; `mail` also only when the host asked (`sync_mail`).
    pub async fn update_user(
        &self,
        entra_id: &str,
        user: &DrupalUser,
        rules: UpdateRules,
    ) -> Result<Outcome> {
        let mapped = self.map(user)?;
        let existing = self.fetch_user(entra_id).await.map_err(|mut e| {
            if e.is(ErrorKind::NotFound) {
                let d = e.detail_mut();
                d.message = format!("no Entra user has the ID {entra_id}");
                d.field = Some("entra_id".into());
                d.hint = Some(
                    "The account was deleted in Entra: provision the user again to recreate it."
                        .into(),
                );
            }
            e
        })?;
        let id = object_id(&existing)?;
        let mut patch = mapped.diff(&existing, self.config.mapping.update_upn);
        if !rules.deprovision {
            patch.remove("accountEnabled");
        }
        if !rules.may_write_mail() {
            patch.remove("mail");
        }
        let request_id = self.patch(&id, &patch).await?;
        Ok(Outcome {
            action: if patch.is_empty() {
                Action::Unchanged
            } else {
                Action::Updated
            },
            user_principal_name: patch
                .get("userPrincipalName")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| upn_of(&existing)),
            id,
            updated_properties: patch.keys().cloned().collect(),
            request_id,
            recovered: false,
        })
    }

    pub async fn disable_user(&self, entra_id: &str) -> Result<Outcome> {
        self.set_enabled(entra_id, false).await
    }

    pub async fn enable_user(&self, entra_id: &str) -> Result<Outcome> {
        self.set_enabled(entra_id, true).await
    }

    /// Only `accountEnabled` is written: blocking or unblocking in Drupal touches nothing else.
    async fn set_enabled(&self, entra_id: &str, enabled: bool) -> Result<Outcome> {
        let mut patch = Map::new();
        patch.insert("accountEnabled".into(), Value::Bool(enabled));
        // Like a delete, a user gone from Entra leaves nothing to disable or enable: a queued
        // item must not fail on it.
        let (action, request_id, updated) = match self.patch(entra_id, &patch).await {
            Ok(request_id) if enabled => (Action::Enabled, request_id, true),
            Ok(request_id) => (Action::Disabled, request_id, true),
            Err(e) if e.is(ErrorKind::NotFound) => {
                (Action::AlreadyDeleted, e.detail().request_id.clone(), false)
            }
            Err(e) => return Err(e),
        };
        Ok(Outcome {
            action,
            id: entra_id.to_owned(),
            user_principal_name: None,
            updated_properties: if updated {
                vec!["accountEnabled".into()]
            } else {
                vec![]
            },
            request_id,
            recovered: false,
        })
    }

    /// Soft delete (restorable in Entra for 30 days). Deleting what is already gone succeeds,
    /// so a retried queue item cannot fail on its own earlier success.
    pub async fn delete_user(&self, entra_id: &str) -> Result<Outcome> {
        let (action, request_id) = match users::delete(&self.graph, entra_id).await {
            Ok(r) => (Action::Deleted, r.request_id),
            Err(e) if e.is(ErrorKind::NotFound) => {
                (Action::AlreadyDeleted, e.detail().request_id.clone())
            }
            Err(e) => return Err(e),
        };
        Ok(Outcome {
            action,
            id: entra_id.to_owned(),
            user_principal_name: None,
            updated_properties: vec![],
            request_id,
            recovered: false,
        })
    }

    async fn patch(&self, id: &str, patch: &Map<String, Value>) -> Result<Option<String>> {
        if patch.is_empty() {
            return Ok(None);
        }
        Ok(users::patch(&self.graph, id, patch).await?.request_id)
    }
}

/// A user found after a lost create is the one we sent when it holds exactly what we sent and
/// was created after our first attempt. Anyone else's account with this UPN fails one of the two.
fn is_our_lost_create(
    mapped: &MappedUser,
    existing: &Value,
    first_attempt: std::time::SystemTime,
) -> bool {
    mapped.diff(existing, true).is_empty() && created_since(existing, first_attempt)
}

/// Whether Graph created `user` after `since` (5 minutes of clock skew between this host and
/// Graph allowed).
fn created_since(user: &Value, since: std::time::SystemTime) -> bool {
    const SKEW: std::time::Duration = std::time::Duration::from_secs(300);
    let created_at = user
        .get("createdDateTime")
        .and_then(Value::as_str)
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        });
    let not_before = since
        .checked_sub(SKEW)
        .map(time::OffsetDateTime::from)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    created_at.is_some_and(|c| c >= not_before)
}

pub fn created(user: &Value, request_id: Option<String>) -> Outcome {
    Outcome {
        action: Action::Created,
        id: user
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        user_principal_name: upn_of(user),
        updated_properties: vec![],
        request_id,
        recovered: false,
    }
}

fn upn_of(user: &Value) -> Option<String> {
    user.get("userPrincipalName")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn object_id(user: &Value) -> Result<String> {
    user.get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Graph,
                Detail::new("Graph returned a user without an id"),
            )
        })
}
