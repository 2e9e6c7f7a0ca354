//! Client-credentials tokens (OAuth 2.0, v2.0 endpoint), cached until shortly before they
//! expire.
//!
//! The cache is process-wide, not per client handle: a PHP-FPM request creates and frees its
//! handle, and a worker serves thousands of requests, so a per-handle cache fetched one token
//! per request. Handles whose [`CacheKey`] is equal (same token URL, so login endpoint and tenant,
//! client id, credential fingerprint and scope) share one slot; different keys never share. One
//! async mutex per slot both guards the cached token and makes concurrent callers share a single
//! in-flight token request: whoever holds it fetches, the others then find the fresh token.
//!
//! Tokens live only in this process's memory, as [`Secret`]s: nothing here is written to disk,
//! a database or a cache backend, and the key holds a hash of the credential, not the credential.

use crate::credential::Credential;
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::per_process::PerProcess;
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use url::Url;

pub struct TokenProvider {
    token_url: Url,
    client_id: String,
    credential: Credential,
    scope: String,
    timeout: Duration,
    key: CacheKey,
    requests: AtomicU64,
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// What a token is valid for, and so which handles may share it. No `Debug`: nothing prints it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    /// The authority and the tenant in one: `{login}/{tenant}/oauth2/v2.0/token`, as the
    /// configuration builds it (the tenant is a GUID or a domain, never holding a `/`), so two
    /// clouds, login endpoints or tenants never share a token.
    token_url: String,
    client_id: String,
    /// [`Credential::fingerprint`]: a new secret or certificate gets a new token.
    credential: [u8; 32],
    scope: String,
}

type Slot = Mutex<Option<Cached>>;

/// The token slots of one process.
#[derive(Default)]
struct Registry {
    slots: StdMutex<HashMap<CacheKey, Arc<Slot>>>,
}

/// This process's registry (see `per_process.rs` for what happens across `fork()`). The child
/// starts fresh instead of copying the parent's tokens: copying would mean reading the parent's
/// slots, whose locks may be held forever, and a fresh start costs one token request per worker
/// per token lifetime.
static REGISTRY: PerProcess<Registry> = PerProcess::new();

fn registry() -> &'static Registry {
    REGISTRY.get()
}

impl Registry {
    /// The slot for `key`, made on first use. The lock is held only for the map lookup, never
    /// across an await.
    fn slot(&self, key: &CacheKey) -> Arc<Slot> {
        // A poisoned lock only means a panic elsewhere while holding it; the map is still sound.
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get(key) {
            return Arc::clone(slot);
        }
        // A new key (a rotated secret, another configuration): forget slots that nobody is
        // using and whose token is stale, so an old credential's token does not linger in
        // memory and the map stays as small as the set of live configurations.
        let now = Instant::now();
        slots.retain(|_, slot| {
            Arc::strong_count(slot) > 1
                || slot
                    .try_lock()
                    .map_or(true, |c| c.as_ref().is_some_and(|c| now < c.refresh_at))
        });
        Arc::clone(slots.entry(key.clone()).or_default())
    }
}

/// The application permissions (`roles` claim) granted in a Microsoft identity platform access
/// token. Reading the claims does not reveal the token; `None` when it is not a readable JWT.
pub fn granted_roles(token: &Secret) -> Option<Vec<String>> {
    use base64::Engine;
    let payload = token.expose().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let roles = claims.get("roles").and_then(|r| r.as_array());
    Some(
        roles
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
    )
}

/// The application permissions that allow writing users.
const USER_WRITE_ROLES: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];

/// Whether the token grants a permission to write users; `None` when its claims are unreadable.
pub fn grants_user_writes(token: &Secret) -> Option<bool> {
    let roles = granted_roles(token)?;
    Some(
        roles
            .iter()
            .any(|r| USER_WRITE_ROLES.iter().any(|w| w.eq_ignore_ascii_case(r))),
    )
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: Secret,
    expires_in: u64,
}

#[derive(Deserialize, Default)]
struct AadError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u64>,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
}

impl TokenProvider {
    pub fn new(
        token_url: Url,
        client_id: String,
        credential: Credential,
        scope: String,
        timeout: Duration,
    ) -> Self {
        let key = CacheKey {
            token_url: token_url.as_str().to_owned(),
            client_id: client_id.clone(),
            credential: credential.fingerprint(),
            scope: scope.clone(),
        };
        TokenProvider {
            token_url,
            client_id,
            credential,
            scope,
            timeout,
            key,
            requests: AtomicU64::new(0),
        }
    }

    /// How many token requests this provider has sent (for diagnostics and benchmarks); a
    /// token another handle of the process fetched is not counted here.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// This process's slot for this provider's key, looked up on every use rather than held:
    /// a handle made before a `fork()` must find the child's slot, not the parent's.
    fn slot(&self) -> Arc<Slot> {
        registry().slot(&self.key)
    }

    pub async fn token(&self, http: &reqwest::Client) -> Result<Secret> {
        let slot = self.slot();
        let mut cache = slot.lock().await;
        if let Some(cached) = cache.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let (token, lifetime) = self.fetch(http).await?;
        *cache = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime.saturating_sub(refresh_margin(lifetime)),
        });
        Ok(token)
    }

    /// Forgets `rejected` (Graph answered 401 to it) unless a newer token already replaced it,
    /// for every handle of the process that shares it: the next call of any of them fetches.
    pub async fn invalidate(&self, rejected: &Secret) {
        let slot = self.slot();
        let mut cache = slot.lock().await;
        if cache.as_ref().is_some_and(|c| &c.token == rejected) {
            *cache = None;
        }
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<(Secret, Duration)> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let proof = self
            .credential
            .form_fields(&self.client_id, self.token_url.as_str())?;
        let mut form: Vec<(&str, &str)> = vec![
            ("client_id", self.client_id.as_str()),
            ("scope", self.scope.as_str()),
            ("grant_type", "client_credentials"),
        ];
        form.extend(proof.iter().map(|(k, v)| (*k, v.expose())));
        let response = http
            .post(self.token_url.clone())
            .form(&form)
            .timeout(crate::deadline::bounded(self.timeout))
            .send()
            .await
            .map_err(|e| {
                let mut err = crate::transport::error(&e, "the token endpoint");
                // Nothing is created by a token request: retrying it is always safe.
                err.detail_mut().maybe_committed = false;
                err
            })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        if status == 200 {
            let reply: TokenReply = serde_json::from_slice(&body).map_err(|_| {
                Error::new(ErrorKind::Auth, Detail::new("the token endpoint answered 200 without a usable access token").hint(
                    "check login_endpoint: it must be the Microsoft identity platform of the chosen cloud",
                ))
            })?;
            return Ok((
                reply.access_token,
                Duration::from_secs(reply.expires_in.max(1)),
            ));
        }
        Err(token_error(status, &body))
    }
}

/// Refresh 5 minutes early, or after three quarters of a short lifetime.
fn refresh_margin(lifetime: Duration) -> Duration {
    Duration::from_secs(300).min(lifetime / 4)
}

fn token_error(status: u16, body: &[u8]) -> Error {
    let aad: AadError = serde_json::from_slice(body).unwrap_or_default();
    // The description runs on with trace and correlation ids and a timestamp; keep the sentence.
    let first = aad
        .error_description
        .split(['\r', '\n'])
        .next()
        .unwrap_or_default()
        .split(" Trace ID:")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let aadsts = aad
        .error_codes
        .first()
        .map(|c| format!("AADSTS{c}"))
        .or_else(|| {
            first
                .split(':')
                .next()
                .filter(|p| p.starts_with("AADSTS"))
                .map(str::to_owned)
        });
    // The description starts with its own code ("AADSTS7000215: ..."): the code is a field of
    // its own, so the sentence goes without it.
    let sentence = match (&aadsts, first.split_once(": ")) {
        (Some(code), Some((head, rest))) if head == code => rest.trim().to_owned(),
        _ => first,
    };
    let message = if sentence.is_empty() {
        format!("the token endpoint answered HTTP {status} {}", aad.error)
    } else {
        sentence
    };
    let detail = Detail {
        message,
        http_status: Some(status),
        graph_code: (!aad.error.is_empty()).then(|| aad.error.clone()),
        request_id: aad.correlation_id.or(aad.trace_id),
        hint: aadsts.as_deref().map(aadsts_hint).map(str::to_owned),
        aadsts,
        ..Detail::default()
    };
    match status {
        429 => Error::new(ErrorKind::Throttled, detail),
        500..=599 => Error::new(ErrorKind::Transient, detail),
        _ => Error::new(ErrorKind::Auth, detail),
    }
}

/// What an admin should change for the AADSTS codes a misconfigured connection produces.
fn aadsts_hint(code: &str) -> &'static str {
    match code {
        "AADSTS7000215" => {
            "The client secret is wrong: copy the secret's Value (not its Secret ID) from the app registration's Certificates & secrets page, or create a new secret."
        }
        "AADSTS7000222" => {
            "The client secret has expired: create a new one under Certificates & secrets."
        }
        "AADSTS700016" => {
            "No app with this Application (client) ID exists in the tenant: check the client ID and the tenant ID, and that the app was consented in this tenant."
        }
        "AADSTS90002" | "AADSTS900023" => {
            "The tenant was not found: check the Directory (tenant) ID or domain, and the cloud (global, US Gov, China)."
        }
        "AADSTS70011" | "AADSTS1002012" => {
            "The scope is invalid: check graph_endpoint and the cloud; the scope must be the Graph host followed by /.default."
        }
        "AADSTS700027" => {
            "The client assertion was refused: upload this certificate (its public part) to the app registration's Certificates & secrets, and check that the private key belongs to it."
        }
        "AADSTS700024" => {
            "The client assertion is outside its valid time range: check this server's clock (NTP)."
        }
        "AADSTS700021" => {
            "The client assertion names another application: its iss/sub must be the Application (client) ID."
        }
        "AADSTS500011" => {
            "The Graph resource was not found in the tenant: check the cloud and graph_endpoint."
        }
        "AADSTS7000112" | "AADSTS7000113" => {
            "The application is disabled in the tenant: enable it in Enterprise applications."
        }
        "AADSTS53003" => {
            "Conditional Access blocked the app: ask an Entra administrator to exclude the workload identity."
        }
        "AADSTS900144" => "The token request is missing a field: this is a bug, please report it.",
        _ => {
            "Look the AADSTS code up in Microsoft's error reference (https://login.microsoftonline.com/error) for its cause."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aad_error_bodies_become_auth_errors_with_code_and_hint() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-01-01","error_codes":[7000215],"trace_id":"t-1","correlation_id":"c-1"}"#;
        let err = token_error(401, body);
        assert_eq!(err.kind().name(), "auth");
        let d = err.detail();
        assert_eq!(d.aadsts.as_deref(), Some("AADSTS7000215"));
        assert_eq!(d.request_id.as_deref(), Some("c-1"));
        assert_eq!(d.graph_code.as_deref(), Some("invalid_client"));
        assert!(
            d.message.starts_with("Invalid client secret provided."),
            "the code is a field of its own: {}",
            d.message
        );
        assert!(!d.message.contains("Trace ID"));
        assert!(
            d.hint
                .as_deref()
                .unwrap()
                .contains("Value (not its Secret ID)")
        );
    }

    #[test]
    fn server_errors_are_transient_and_garbage_is_still_described() {
        assert_eq!(token_error(503, b"").kind().name(), "transient");
        assert_eq!(token_error(429, b"").kind().name(), "throttled");
        let err = token_error(400, b"<html>");
        assert_eq!(err.kind().name(), "auth");
        assert!(err.detail().message.contains("HTTP 400"));
    }

    #[test]
    fn roles_are_read_from_the_token_claims() {
        use base64::Engine;
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"roles":["User.Read.All"],"exp":1}"#);
        let token = Secret::new(format!("eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln"));
        assert_eq!(
            granted_roles(&token),
            Some(vec!["User.Read.All".to_string()])
        );
        assert_eq!(granted_roles(&Secret::new("opaque")), None);
        assert_eq!(grants_user_writes(&token), Some(false));
        assert_eq!(grants_user_writes(&Secret::new("opaque")), None);
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"roles":["User.Read.All","user.readwrite.all"]}"#);
        let writer = Secret::new(format!("eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln"));
        assert_eq!(grants_user_writes(&writer), Some(true));
    }

    fn provider(
        token_url: &str,
        client_id: &str,
        credential: Credential,
        scope: &str,
    ) -> TokenProvider {
        TokenProvider::new(
            Url::parse(token_url).unwrap(),
            client_id.into(),
            credential,
            scope.into(),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn every_part_of_the_key_separates_tokens_and_the_secret_is_not_in_it() {
        const URL: &str = "https://login.microsoftonline.com/t1/oauth2/v2.0/token";
        const SCOPE: &str = "https://graph.microsoft.com/.default";
        let secret = |s: &str| Credential::Secret(Secret::new(s));
        let base = provider(URL, "app", secret("s3cret-canary"), SCOPE);
        let same = provider(URL, "app", secret("s3cret-canary"), SCOPE);
        assert!(base.key == same.key);
        for other in [
            provider(
                "https://login.microsoftonline.com/t2/oauth2/v2.0/token",
                "app",
                secret("s3cret-canary"),
                SCOPE,
            ),
            provider(
                "https://login.microsoftonline.us/t1/oauth2/v2.0/token",
                "app",
                secret("s3cret-canary"),
                SCOPE,
            ),
            provider(URL, "app2", secret("s3cret-canary"), SCOPE),
            provider(URL, "app", secret("rotated"), SCOPE),
            provider(
                URL,
                "app",
                secret("s3cret-canary"),
                "https://graph.microsoft.us/.default",
            ),
        ] {
            assert!(base.key != other.key);
            assert!(!Arc::ptr_eq(&base.slot(), &other.slot()));
        }
        assert!(Arc::ptr_eq(&base.slot(), &same.slot()));
        let fingerprint = base.key.credential;
        assert!(!fingerprint.windows(b"s3cret".len()).any(|w| w == b"s3cret"));
    }

    #[test]
    fn a_certificate_is_keyed_by_its_public_key() {
        let key = include_str!("../tests/fixtures/test-app.key.pem");
        let cert = include_str!("../tests/fixtures/test-app.cert.pem");
        let credential = |pem: &str| {
            Credential::Certificate(
                crate::credential::Certificate::from_pem(Secret::new(pem), cert).unwrap(),
            )
        };
        // The same certificate read twice (e.g. CRLF line endings) is the same credential.
        assert_eq!(
            credential(key).fingerprint(),
            credential(&key.replace('\n', "\r\n")).fingerprint()
        );
        assert_ne!(
            credential(key).fingerprint(),
            Credential::Secret(Secret::new(key)).fingerprint()
        );
    }

    #[test]
    fn refresh_margin_is_five_minutes_or_a_quarter() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3599)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(8)),
            Duration::from_secs(2)
        );
    }
}
