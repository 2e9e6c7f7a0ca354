//! The Entra ID v2.0 token endpoint (client-credentials grant) and bearer-token checks for Graph.
//!
//! Tokens are JWT-shaped (header.claims.signature, base64url) so that clients which peek at the
//! `roles` or `exp` claims behave as they would against Entra, but they are validated only by
//! lookup: the signature part is random and no key is published.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hyper::HeaderMap;
use serde_json::{Value, json};

use crate::errors::{Body, GraphError, Ids, Reply};
use crate::state::Shared;

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    pub client_id: String,
    pub permissions: Arc<Vec<String>>,
    pub expires: Instant,
}

/// Issued tokens, by token string.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    map: HashMap<String, TokenInfo>,
}

impl Tokens {
    fn insert(&mut self, token: String, info: TokenInfo) {
        if self.map.len() >= 50_000 {
            let now = Instant::now();
            self.map.retain(|_, t| t.expires > now);
        }
        self.map.insert(token, info);
    }

    pub fn get(&self, token: &str) -> Option<&TokenInfo> {
        self.map.get(token)
    }

    /// Make every issued token expired (the control endpoint's `expire_tokens`).
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for t in self.map.values_mut() {
            t.expires = now;
        }
    }
}

/// The application behind a valid bearer token.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub client_id: String,
    pub permissions: Arc<Vec<String>>,
}

const READ_ROLES: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "User.ReadBasic.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const WRITE_ROLES: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
/// Listing another user's `memberOf` / `transitiveMemberOf` as an application: User.Read.All
/// is the documented least privilege; these are the higher ones, plus User.ReadWrite.All.
const MEMBERSHIP_READ_ROLES: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "GroupMember.Read.All",
    "Group.Read.All",
];
/// Reading groups and their members as an application ("List groups", "List group members",
/// "List group transitive members", "group: delta"): GroupMember.Read.All is the least
/// privileged; Group.Read.All, Directory.Read.All and the ReadWrite variants are higher.
const GROUP_READ_ROLES: &[&str] = &[
    "GroupMember.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
/// "Add members" / "Remove member" as an application: GroupMember.ReadWrite.All is the least
/// privileged; Group.ReadWrite.All and Directory.ReadWrite.All are higher.
const GROUP_WRITE_ROLES: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
/// "Add members": "To add members to a role-assignable group, the app must also be assigned
/// the RoleManagement.ReadWrite.Directory permission."
const ROLE_MANAGEMENT_ROLES: &[&str] = &["RoleManagement.ReadWrite.Directory"];
/// Stand-in for "the app's service principal holds a privileged admin role": Entra lets
/// User.ReadWrite.All update or delete admin-role holders only then. The emulator models no
/// role assignments for apps, so this permission plays that part.
const PRIVILEGED_WRITE_ROLES: &[&str] = &["RoleManagement.ReadWrite.Directory"];

impl Caller {
    fn has_any(&self, roles: &[&str]) -> bool {
        self.permissions
            .iter()
            .any(|p| roles.iter().any(|r| r.eq_ignore_ascii_case(p)))
    }

    pub fn require_read(&self) -> Result<(), GraphError> {
        if self.has_any(READ_ROLES) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }

    pub fn require_write(&self) -> Result<(), GraphError> {
        if self.has_any(WRITE_ROLES) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }

    pub fn require_membership_read(&self) -> Result<(), GraphError> {
        if self.has_any(MEMBERSHIP_READ_ROLES) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }

    pub fn require_group_read(&self) -> Result<(), GraphError> {
        if self.has_any(GROUP_READ_ROLES) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }

    pub fn require_group_write(&self) -> Result<(), GraphError> {
        if self.has_any(GROUP_WRITE_ROLES) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }

    /// Changing the members of a role-assignable group.
    pub fn require_role_management(&self) -> Result<(), GraphError> {
        if self.has_any(ROLE_MANAGEMENT_ROLES) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }

    /// A PATCH or DELETE of a user who holds a directory role: refused unless the app counts
    /// as privileged (see [`PRIVILEGED_WRITE_ROLES`]).
    pub fn require_privileged_write(&self) -> Result<(), GraphError> {
        if self.has_any(PRIVILEGED_WRITE_ROLES) {
            Ok(())
        } else {
            Err(GraphError::forbidden())
        }
    }
}

/// Check the `Authorization: Bearer …` header of a Graph request.
pub(crate) fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, GraphError> {
    let token = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .unwrap_or("");
    if token.is_empty() {
        return Err(GraphError::unauthenticated("Access token is empty."));
    }
    let tokens = shared.tokens.read();
    let Some(info) = tokens.get(token) else {
        return Err(GraphError::unauthenticated(
            "Access token validation failure. Invalid audience.",
        ));
    };
    if info.expires <= Instant::now() {
        return Err(GraphError::unauthenticated(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    Ok(Caller {
        client_id: info.client_id.clone(),
        permissions: info.permissions.clone(),
    })
}

/// If `path` is `/{tenant}/oauth2/v2.0/token`, the tenant segment.
pub(crate) fn token_tenant(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let (tenant, tail) = rest.split_once('/')?;
    (tail == "oauth2/v2.0/token" && !tenant.is_empty()).then_some(tenant)
}

/// An Entra error body: `error`, `error_description` with the AADSTS code and trace data,
/// `error_codes`, `timestamp`, `trace_id`, `correlation_id`.
pub(crate) fn aad_error(
    status: u16,
    error: &str,
    code: u32,
    description: &str,
    ids: &Ids,
) -> Reply {
    let ts = crate::clock::aad_timestamp();
    let desc = format!(
        "AADSTS{code}: {description}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {ts}",
        ids.request_id, ids.client_request_id
    );
    let body = json!({
        "error": error,
        "error_description": desc,
        "error_codes": [code],
        "timestamp": ts,
        "trace_id": ids.request_id,
        "correlation_id": ids.client_request_id,
    });
    token_reply(status, body, ids)
}

fn token_reply(status: u16, body: Value, ids: &Ids) -> Reply {
    Reply {
        status,
        headers: vec![
            (
                "Content-Type",
                "application/json; charset=utf-8".to_string(),
            ),
            ("Cache-Control", "no-store, no-cache".to_string()),
            ("Pragma", "no-cache".to_string()),
            ("x-ms-request-id", ids.request_id.clone()),
            ("client-request-id", ids.client_request_id.clone()),
        ],
        body: Body::Json(body),
    }
}

/// Graph resources a client-credentials scope may name (`{resource}/.default`).
fn graph_resource_ok(resource: &str, base_url: &str) -> bool {
    let r = resource.trim_end_matches('/');
    r.eq_ignore_ascii_case(base_url)
        || r.eq_ignore_ascii_case("00000003-0000-0000-c000-000000000000")
        || [
            "https://graph.microsoft.com",
            "https://graph.microsoft.us",
            "https://dod-graph.microsoft.us",
            "https://microsoftgraph.chinacloudapi.cn",
        ]
        .iter()
        .any(|g| r.eq_ignore_ascii_case(g))
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub(crate) fn handle(shared: &Shared, tenant: &str, method: &str, body: &[u8], ids: &Ids) -> Reply {
    if method != "POST" {
        return aad_error(
            400,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST, OPTIONS requests. Received a {method} request."
            ),
            ids,
        );
    }
    let lower = tenant.to_ascii_lowercase();
    if ["common", "organizations", "consumers"].contains(&lower.as_str()) {
        return aad_error(
            400,
            "invalid_request",
            50059,
            "No tenant-identifying information found in either the request or implied by any provided credentials.",
            ids,
        );
    }
    if !tenant.eq_ignore_ascii_case(&shared.tenant_id)
        && !shared
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(tenant))
    {
        return aad_error(
            400,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
            ids,
        );
    }
    let mut form: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        form.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    let param = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        aad_error(
            400,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
            ids,
        )
    };
    let Some(grant) = param("grant_type") else {
        return missing("grant_type");
    };
    if grant != "client_credentials" {
        return aad_error(
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant}'."),
            ids,
        );
    }
    let Some(client_id) = param("client_id") else {
        return missing("client_id");
    };
    let Some(scope) = param("scope") else {
        return missing("scope");
    };
    let Some(app) = shared
        .clients
        .iter()
        .find(|c| c.client_id.eq_ignore_ascii_case(client_id))
    else {
        return aad_error(
            400,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                shared
                    .domains
                    .first()
                    .map(String::as_str)
                    .unwrap_or(&shared.tenant_id)
            ),
            ids,
        );
    };
    match param("client_secret") {
        None if param("client_assertion").is_some() => {
            let token_url = format!("{}/{tenant}/oauth2/v2.0/token", shared.base_url);
            if let Err(refusal) = crate::assertion::verify(
                param("client_assertion").unwrap_or_default(),
                param("client_assertion_type"),
                &app.client_id,
                &token_url,
                app.certificate_pem.as_deref(),
            ) {
                return aad_error(
                    401,
                    "invalid_client",
                    refusal.code,
                    &refusal.description,
                    ids,
                );
            }
        }
        None => {
            return aad_error(
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
                ids,
            );
        }
        Some(secret) if secret != app.secret => {
            return aad_error(
                401,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                    app.client_id
                ),
                ids,
            );
        }
        Some(_) => {}
    }
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let resource = match scopes.as_slice() {
        [one] => one.strip_suffix("/.default"),
        _ => None,
    };
    let Some(resource) = resource else {
        return aad_error(
            400,
            "invalid_scope",
            70011,
            &format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
            ids,
        );
    };
    if !graph_resource_ok(resource, &shared.base_url) {
        return aad_error(
            400,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
                shared.tenant_id
            ),
            ids,
        );
    }

    let lifetime = shared
        .token_lifetime_s
        .load(std::sync::atomic::Ordering::Relaxed);
    let token = mint(
        &shared.tenant_id,
        &app.client_id,
        &app.permissions,
        lifetime,
    );
    shared.tokens.write().insert(
        token.clone(),
        TokenInfo {
            client_id: app.client_id.clone(),
            permissions: Arc::new(app.permissions.clone()),
            expires: Instant::now() + Duration::from_secs(lifetime),
        },
    );
    token_reply(
        200,
        json!({
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }),
        ids,
    )
}

/// A JWT-shaped token with the claims an app-only Graph token carries.
fn mint(tenant: &str, client_id: &str, roles: &[String], lifetime: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let header = json!({ "typ": "JWT", "alg": "RS256", "kid": "emulator" });
    let claims = json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "appid": client_id,
        "idtyp": "app",
        "roles": roles,
        "tid": tenant,
        "uti": crate::new_guid(),
        "ver": "1.0",
    });
    let sig: [u8; 32] = rand::random();
    format!(
        "{}.{}.{}",
        crate::b64url(header.to_string().as_bytes()),
        crate::b64url(claims.to_string().as_bytes()),
        crate::b64url(&sig)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_path() {
        assert_eq!(token_tenant("/abc/oauth2/v2.0/token"), Some("abc"));
        assert_eq!(token_tenant("/abc/oauth2/token"), None);
        assert_eq!(token_tenant("/v1.0/users"), None);
    }

    #[test]
    fn resources() {
        assert!(graph_resource_ok(
            "https://graph.microsoft.com",
            "http://127.0.0.1:1"
        ));
        assert!(graph_resource_ok(
            "http://127.0.0.1:1",
            "http://127.0.0.1:1"
        ));
        assert!(!graph_resource_ok(
            "https://management.azure.com",
            "http://127.0.0.1:1"
        ));
    }
}
