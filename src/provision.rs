//! The provisioning operations, built from the mapping and the Graph client.

use crate::config::Config;
use crate::error::{Detail, Error, Result};
use crate::graph::{GraphClient, Replay, paths};
use crate::mapping::{self, DrupalUser, MappedUser};
use crate::password;
use crate::secret::Secret;
use reqwest::Method;
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
}

#[derive(Debug, Deserialize)]
pub struct TestRequest {
    pub upn: String,
    /// `drupal_to_entra` and/or `entra_to_drupal`: which permissions to check for.
    #[serde(default)]
    pub directions: Vec<String>,
}

/// The permissions a direction needs that the token does not grant (`ReadWrite` implies
/// `Read`). Unknown when the token's claims cannot be read.
fn missing_permissions(granted: Option<&[String]>, directions: &[String]) -> Option<Vec<String>> {
    let granted = granted?;
    let has = |p: &str| granted.iter().any(|g| g.eq_ignore_ascii_case(p));
    let mut missing = Vec::new();
    for direction in directions {
        let needed = match direction.as_str() {
            "drupal_to_entra" => "User.ReadWrite.All",
            "entra_to_drupal" => "User.Read.All",
            _ => continue,
        };
        let ok = has(needed) || (needed == "User.Read.All" && has("User.ReadWrite.All"));
        if !ok && !missing.iter().any(|m| m == needed) {
            missing.push(needed.to_owned());
        }
    }
    Some(missing)
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

    fn select(&self) -> String {
        paths::select(&self.config.mapping.select())
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
        let granted = self.graph.granted_roles().await?;
        let missing = missing_permissions(granted.as_deref(), &request.directions);
        let path = format!("{}?{}", paths::user(id_or_upn), self.select());
        let response = self
            .graph
            .send(Method::GET, &path, None, Replay::Safe)
            .await
            .map_err(|mut e| {
                if let Error::NotFound(d) = &mut e {
                    d.field = Some("upn".into());
                    d.hint = Some("The connection works, but no user has this UPN or ID: enter an existing user's UPN.".into());
                }
                if let (Error::Permission(d), Some(granted)) = (&mut e, &granted) {
                    d.hint = Some(format!(
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
            (None, None, Some(mail)) => self.find_by("mail", mail).await,
            _ => Err(Error::validation(
                "query",
                "give exactly one of id, upn or mail",
            )),
        }
    }

    /// `GET /users/{id-or-upn}`; `None` when Graph has no such user.
    pub async fn get_user(&self, id_or_upn: &str) -> Result<Option<Value>> {
        match self.fetch_user(id_or_upn).await {
            Ok(user) => Ok(Some(user)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /users/{id-or-upn}` with the mapping's `$select`; a missing user is an error that
    /// keeps Graph's request-id.
    async fn fetch_user(&self, id_or_upn: &str) -> Result<Value> {
        let path = format!("{}?{}", paths::user(id_or_upn), self.select());
        Ok(self
            .graph
            .send(Method::GET, &path, None, Replay::Safe)
            .await?
            .body)
    }

    async fn find_by(&self, property: &str, value: &str) -> Result<Option<Value>> {
        let path = format!(
            "/users?{}&{}",
            paths::filter_eq(property, value),
            self.select()
        );
        let response = self
            .graph
            .send(Method::GET, &path, None, Replay::Safe)
            .await?;
        let mut found = response
            .body
            .get("value")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok((!found.is_empty()).then(|| found.swap_remove(0)))
    }

    pub async fn provision_user(&self, user: &DrupalUser) -> Result<Outcome> {
        let mapped = self.map(user)?;
        self.create_or_link(
            &mapped,
            password::generate(self.config.mapping.password_length),
            false,
        )
        .await
    }

    /// Creates the user, or links the existing one with the same UPN. `lost` says an earlier
    /// create of this user may have happened without its answer arriving: then look first, so a
    /// retry never makes a second account.
    pub async fn create_or_link(
        &self,
        mapped: &MappedUser,
        password: Secret,
        mut lost: bool,
    ) -> Result<Outcome> {
        let body = mapped.create_body(&password, self.config.mapping.force_change_password);
        let mut attempt = 0;
        loop {
            if lost && let Some(existing) = self.get_user(&mapped.user_principal_name).await? {
                // Our lost create, if the user holds exactly what we sent; else someone else's
                // account with this UPN, which is linked and brought in step.
                return if mapped.diff(&existing, true).is_empty() {
                    Ok(created(&existing, None))
                } else {
                    self.link_existing(mapped, &existing).await
                };
            }
            let err = match self
                .graph
                .send(Method::POST, "/users", Some(&body), Replay::LookFirst)
                .await
            {
                Ok(r) => return Ok(created(&r.body, r.request_id)),
                Err(err) => err,
            };
            match err {
                Error::Conflict(_) => return self.link(mapped).await,
                // Our own checks passed, so a 400 on create is most likely a duplicate that Graph
                // reported without a conflict detail: one look settles it without reading text.
                Error::Validation(_) => {
                    return match self.get_user(&mapped.user_principal_name).await? {
                        Some(existing) => self.link_existing(mapped, &existing).await,
                        None => Err(err),
                    };
                }
                err if err.detail().maybe_committed => {
                    let Some(wait) = self.graph.policy.delay(attempt, &err) else {
                        return Err(err);
                    };
                    lost = true;
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                err => return Err(err),
            }
        }
    }

    async fn link(&self, mapped: &MappedUser) -> Result<Outcome> {
        match self.get_user(&mapped.user_principal_name).await? {
            Some(existing) => self.link_existing(mapped, &existing).await,
            None => Err(Error::Conflict(
                Box::new(Detail::new(format!(
                    "Graph reports a conflict for {} but no user with that UPN can be read; a soft-deleted user may hold it",
                    mapped.user_principal_name
                ))
                .field("userPrincipalName")
                .hint("Restore or permanently delete the user in Entra's Deleted users, then sync again.")),
            )),
        }
    }

    /// Links to an account that already exists, bringing its mapped properties in step.
    pub async fn link_existing(&self, mapped: &MappedUser, existing: &Value) -> Result<Outcome> {
        let id = object_id(existing)?;
        let patch = mapped.diff(existing, false);
        let request_id = self.patch(&id, &patch).await?;
        Ok(Outcome {
            action: Action::Linked,
            id,
            user_principal_name: upn_of(existing),
            updated_properties: patch.keys().cloned().collect(),
            request_id,
        })
    }

    /// PATCHes only the mapped properties that differ from what Entra holds.
    pub async fn update_user(&self, entra_id: &str, user: &DrupalUser) -> Result<Outcome> {
        let mapped = self.map(user)?;
        let existing = self.fetch_user(entra_id).await.map_err(|mut e| {
            if let Error::NotFound(d) = &mut e {
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
        let patch = mapped.diff(&existing, self.config.mapping.update_upn);
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
        let request_id = self.patch(entra_id, &patch).await?;
        Ok(Outcome {
            action: if enabled {
                Action::Enabled
            } else {
                Action::Disabled
            },
            id: entra_id.to_owned(),
            user_principal_name: None,
            updated_properties: vec!["accountEnabled".into()],
            request_id,
        })
    }

    /// Soft delete (restorable in Entra for 30 days). Deleting what is already gone succeeds,
    /// so a retried queue item cannot fail on its own earlier success.
    pub async fn delete_user(&self, entra_id: &str) -> Result<Outcome> {
        let (action, request_id) = match self
            .graph
            .send(Method::DELETE, &paths::user(entra_id), None, Replay::Safe)
            .await
        {
            Ok(r) => (Action::Deleted, r.request_id),
            Err(Error::NotFound(d)) => (Action::AlreadyDeleted, d.request_id),
            Err(e) => return Err(e),
        };
        Ok(Outcome {
            action,
            id: entra_id.to_owned(),
            user_principal_name: None,
            updated_properties: vec![],
            request_id,
        })
    }

    async fn patch(&self, id: &str, patch: &Map<String, Value>) -> Result<Option<String>> {
        if patch.is_empty() {
            return Ok(None);
        }
        let body = Value::Object(patch.clone());
        let response = self
            .graph
            .send(Method::PATCH, &paths::user(id), Some(&body), Replay::Safe)
            .await?;
        Ok(response.request_id)
    }
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
        .ok_or_else(|| Error::Graph(Box::new(Detail::new("Graph returned a user without an id"))))
}
