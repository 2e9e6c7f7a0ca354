//! The connection configuration: parsed from the JSON the host passes to `entra_client_new`,
//! validated once, with every problem reported against the field that causes it.

use crate::credential::{Certificate, Credential};
use crate::error::{Detail, Error, ErrorKind, Result};
use crate::graph::cloud;
use crate::json::Object;
use crate::mapping::MappingConfig;
use crate::redact::MIN_SECRET_LEN;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// Which national cloud the tenant lives in; its hosts are `graph::cloud`'s.
pub use crate::graph::cloud::Cloud;

/// Required strings are optional here so that a missing one is reported by its name.
#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    client_id: String,
    #[serde(default = "empty_secret")]
    client_secret: Secret,
    #[serde(default, deserialize_with = "crate::json::option_map_or_empty_array")]
    client_certificate: Option<RawCertificate>,
    #[serde(default)]
    primary_domain: String,
    #[serde(default)]
    cloud: Cloud,
    login_endpoint: Option<String>,
    graph_endpoint: Option<String>,
    timeout_ms: Option<u64>,
    max_concurrency: Option<usize>,
    max_retries: Option<u32>,
    call_budget_ms: Option<u64>,
    #[serde(
        default = "default_write_budget",
        deserialize_with = "crate::json::option_map_or_empty_array"
    )]
    write_budget: Option<WriteBudget>,
    #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
    mapping: MappingConfig,
}

#[derive(Deserialize)]
struct RawCertificate {
    private_key_pem: Secret,
    certificate_pem: String,
}

fn empty_secret() -> Secret {
    Secret::new("")
}

/// Graph's write quota per app and tenant, which the client paces itself to.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct WriteBudget {
    pub writes: u32,
    pub window_s: f64,
}

/// The documented identity-and-access write limit: 3,000 writes per 150 s per app and tenant.
pub const DOCUMENTED_WRITE_BUDGET: WriteBudget = WriteBudget {
    writes: 3000,
    window_s: 150.0,
};

fn default_write_budget() -> Option<WriteBudget> {
    Some(DOCUMENTED_WRITE_BUDGET)
}

#[derive(Debug, Clone)]
pub struct Config {
    pub tenant_id: String,
    pub client_id: String,
    /// A client secret or a certificate.
    pub credential: Credential,
    pub primary_domain: String,
    pub cloud: Cloud,
    /// `{login}/{tenant}/oauth2/v2.0/token`.
    pub token_url: Url,
    /// Graph origin without a trailing slash, e.g. `https://graph.microsoft.com`.
    pub graph_origin: String,
    /// `{graph_origin}/.default`: the app's granted application permissions on that Graph.
    pub scope: String,
    pub timeout: Duration,
    pub max_concurrency: usize,
    pub max_retries: u32,
    /// The overall deadline of one call when the request names none (`budget_ms`).
    pub call_budget: Duration,
    /// `None` when pacing is off (`"write_budget": null`).
    pub write_budget: Option<WriteBudget>,
    pub mapping: MappingConfig,
}

/// What `entra_client_new` answers on success: the effective endpoints and credential kind.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub ok: bool,
    pub cloud: &'static str,
    pub token_url: String,
    pub graph_endpoint: String,
    pub primary_domain: String,
    pub credential: &'static str,
    pub abi_version: u32,
}

pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
pub const TIMEOUT_MS_RANGE: (u64, u64) = (100, 600_000);
pub const DEFAULT_MAX_CONCURRENCY: usize = 4;
pub const MAX_CONCURRENCY_RANGE: (usize, usize) = (1, 32);
pub const DEFAULT_MAX_RETRIES: u32 = 5;
pub const MAX_RETRIES_LIMIT: u32 = 20;
/// The connection fields without which no client can be made, whatever the credential.
pub const REQUIRED_FIELDS: [&str; 3] = ["tenant_id", "client_id", "primary_domain"];
/// No call waits longer than this unless its request or the configuration says otherwise: a
/// Retry-After beyond it is handed back to the caller's queue instead of being slept through.
pub const DEFAULT_CALL_BUDGET_MS: u64 = 60_000;
/// The longest budget a call may be given (a Drush run of a large import chunk).
pub const MAX_CALL_BUDGET_MS: u64 = 3_600_000;

/// A call's own budget, `budget_ms` of its request, checked like the configured one.
pub fn call_budget(ms: u64, field: &str) -> Result<Duration> {
    if !(1..=MAX_CALL_BUDGET_MS).contains(&ms) {
        return Err(Error::config(
            field,
            format!("{field} must be between 1 and {MAX_CALL_BUDGET_MS} (milliseconds)"),
        ));
    }
    Ok(Duration::from_millis(ms))
}

impl Config {
    pub fn summary(&self) -> Summary {
        Summary {
            ok: true,
            cloud: self.cloud.name(),
            token_url: self.token_url.as_str().to_owned(),
            graph_endpoint: self.graph_origin.clone(),
            primary_domain: self.primary_domain.clone(),
            credential: self.credential.kind(),
            abi_version: crate::ffi::ABI_VERSION,
        }
    }

    pub fn from_json(json: &str) -> Result<Config> {
        // Parse to a value first: a syntax error then never quotes input (which holds the secret),
        // and the typed pass below can name the field by its path.
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                Detail::new(format!(
                    "the configuration is not valid JSON ({:?} error at line {}, column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                )),
            )
        })?;
        // A wrongly typed value is never quoted back: it may be the secret in the wrong field.
        let Object(raw): Object<RawConfig> =
            serde_path_to_error::deserialize(value).map_err(|e| {
                let field = e.path().to_string();
                let message = crate::redact::without_input_values(&e.inner().to_string());
                Error::config(&field, format!("{field}: {message}"))
            })?;
        Config::validate(raw)
    }

    fn validate(raw: RawConfig) -> Result<Config> {
        for (field, value) in REQUIRED_FIELDS.into_iter().zip([
            raw.tenant_id.as_str(),
            raw.client_id.as_str(),
            raw.primary_domain.as_str(),
        ]) {
            if value.trim().is_empty() {
                return Err(Error::config(field, format!("{field} is required")));
            }
        }
        let secret_len = raw.client_secret.expose().trim().chars().count();
        let has_secret = secret_len > 0;
        if has_secret && secret_len < MIN_SECRET_LEN {
            return Err(Error::config(
                "client_secret",
                format!(
                    "client_secret is too short to be a client secret (secrets from Entra are 40 characters, and at least {MIN_SECRET_LEN} are required): copy the secret's Value from the app registration's Certificates & secrets"
                ),
            ));
        }
        let credential = match (has_secret, raw.client_certificate) {
            (true, None) => Credential::Secret(raw.client_secret),
            (false, Some(c)) => Credential::Certificate(Certificate::from_pem(
                c.private_key_pem,
                &c.certificate_pem,
            )?),
            (true, Some(_)) => {
                return Err(Error::config(
                    "client_certificate",
                    "give either client_secret or client_certificate, not both",
                ));
            }
            (false, None) => {
                return Err(Error::config(
                    "client_secret",
                    "client_secret is required (or client_certificate)",
                ));
            }
        };
        let tenant_id = raw.tenant_id.trim().to_owned();
        if !(is_guid(&tenant_id) || is_domain(&tenant_id)) {
            return Err(Error::config(
                "tenant_id",
                "tenant_id must be the Directory (tenant) ID, a GUID, or a verified domain of the tenant",
            ));
        }
        let client_id = raw.client_id.trim().to_owned();
        if !is_guid(&client_id) {
            return Err(Error::config(
                "client_id",
                "client_id must be the Application (client) ID of the app registration, a GUID",
            ));
        }
        let primary_domain = raw.primary_domain.trim().to_ascii_lowercase();
        if !is_domain(&primary_domain) {
            return Err(Error::config(
                "primary_domain",
                "primary_domain must be a domain name verified in the tenant, e.g. contoso.onmicrosoft.com",
            ));
        }
        let login = endpoint(
            raw.login_endpoint.as_deref(),
            raw.cloud.login_host(),
            "login_endpoint",
        )?;
        let graph_origin = endpoint(
            raw.graph_endpoint.as_deref(),
            raw.cloud.graph_host(),
            "graph_endpoint",
        )?;
        let token_url = Url::parse(&cloud::token_url(&login, &tenant_id))
            .map_err(|e| Error::config("tenant_id", format!("cannot form the token URL: {e}")))?;
        let timeout_ms = raw.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        let (min, max) = TIMEOUT_MS_RANGE;
        if !(min..=max).contains(&timeout_ms) {
            return Err(Error::config(
                "timeout_ms",
                format!("timeout_ms must be between {min} and {max}"),
            ));
        }
        let max_concurrency = raw.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY);
        let (min, max) = MAX_CONCURRENCY_RANGE;
        if !(min..=max).contains(&max_concurrency) {
            return Err(Error::config(
                "max_concurrency",
                format!("max_concurrency must be between {min} and {max}"),
            ));
        }
        let max_retries = raw.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        if max_retries > MAX_RETRIES_LIMIT {
            return Err(Error::config(
                "max_retries",
                format!("max_retries must be at most {MAX_RETRIES_LIMIT}"),
            ));
        }
        let call_budget = call_budget(
            raw.call_budget_ms.unwrap_or(DEFAULT_CALL_BUDGET_MS),
            "call_budget_ms",
        )?;
        if let Some(b) = raw.write_budget
            && (b.writes == 0 || !(0.1..=3600.0).contains(&b.window_s))
        {
            return Err(Error::config(
                "write_budget",
                "write_budget needs writes > 0 and window_s between 0.1 and 3600",
            ));
        }
        raw.mapping.validate()?;
        Ok(Config {
            scope: cloud::scope(&graph_origin),
            tenant_id,
            client_id,
            credential,
            primary_domain,
            cloud: raw.cloud,
            token_url,
            graph_origin,
            timeout: Duration::from_millis(timeout_ms),
            max_concurrency,
            max_retries,
            call_budget,
            write_budget: raw.write_budget,
            mapping: raw.mapping,
        })
    }
}

/// The secret values in a configuration, to scrub from any message about it.
pub fn secrets_in(config: &serde_json::Value) -> Vec<String> {
    [
        config.get("client_secret"),
        config
            .get("client_certificate")
            .and_then(|c| c.get("private_key_pem")),
    ]
    .into_iter()
    .flatten()
    .filter_map(|v| v.as_str().map(str::to_owned))
    .collect()
}

/// An endpoint override, or the cloud's default. It must be a plain origin (scheme, host, optional
/// port) and use https, except for a literal loopback address (the bundled emulator), so a bearer
/// token can never cross a network in clear text nor go to another host than the one written.
///
/// The raw text is checked before `Url` reads it, because `Url` changes what it reads: it folds
/// non-ASCII hosts by IDNA (`ⓛocalhost` and `locaⅼhost` become `localhost`), removes tabs and
/// newlines, reads `\` as `/`, and resolves dot segments (`https://graph.microsoft.com/../../x`
/// becomes `/x`). So the text itself must be printable ASCII without spaces, start with
/// `https://` or `http://`, and have nothing after the host and port but an optional `/`.
fn endpoint(value: Option<&str>, default: &str, field: &str) -> Result<String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(default.to_owned());
    };
    let plain_origin = || {
        Error::config(
            field,
            format!(
                "{field} must be a plain origin such as https://graph.microsoft.com (no user, path, query or fragment)"
            ),
        )
    };
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::config(
            field,
            format!(
                "{field} must be plain ASCII without spaces: write an internationalised host name in its xn-- form"
            ),
        ));
    }
    let lower = value.to_ascii_lowercase();
    let Some(rest) = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
    else {
        return Err(Error::config(
            field,
            format!("{field} must start with https:// (or http:// for a loopback address)"),
        ));
    };
    let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    if authority.contains('@') || !(tail.is_empty() || tail == "/") {
        return Err(plain_origin());
    }
    let url = Url::parse(value)
        .map_err(|e| Error::config(field, format!("{field} is not a valid URL: {e}")))?;
    if !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(plain_origin());
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(Error::config(
            field,
            format!(
                "{field} must use https (plain http is allowed only for a loopback address: 127.0.0.1 or [::1])"
            ),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A literal loopback address: 127.0.0.0/8 or ::1. The name `localhost` does not count: what it
/// resolves to is up to the host's resolver at connection time, and checking it here would not
/// bind the later connection.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(_)) | None => false,
    }
}

pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

pub fn is_domain(s: &str) -> bool {
    s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> serde_json::Value {
        json!({
            "tenant_id": "11111111-2222-3333-4444-555555555555",
            "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "client_secret": "canary-secret-value",
            "primary_domain": "Contoso.onmicrosoft.com",
        })
    }

    fn with(key: &str, value: serde_json::Value) -> String {
        let mut v = base();
        v[key] = value;
        v.to_string()
    }

    #[test]
    fn defaults_select_the_global_cloud() {
        let c = Config::from_json(&base().to_string()).unwrap();
        assert_eq!(c.graph_origin, "https://graph.microsoft.com");
        assert_eq!(
            c.token_url.as_str(),
            "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token"
        );
        assert_eq!(c.scope, "https://graph.microsoft.com/.default");
        assert_eq!(c.primary_domain, "contoso.onmicrosoft.com");
    }

    #[test]
    fn the_summary_names_the_effective_endpoints() {
        let c = Config::from_json(&base().to_string()).unwrap();
        assert_eq!(
            serde_json::to_value(c.summary()).unwrap(),
            json!({
                "ok": true,
                "cloud": "global",
                "token_url": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token",
                "graph_endpoint": "https://graph.microsoft.com",
                "primary_domain": "contoso.onmicrosoft.com",
                "credential": "secret",
                "abi_version": crate::ffi::ABI_VERSION,
            })
        );
    }

    #[test]
    fn each_cloud_has_its_hosts() {
        for (cloud, login, graph) in [
            (
                "usgov",
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
            ),
            (
                "usgov-dod",
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
            ),
            (
                "china",
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
        ] {
            let c = Config::from_json(&with("cloud", json!(cloud))).unwrap();
            assert!(c.token_url.as_str().starts_with(login), "{cloud}");
            assert_eq!(c.graph_origin, graph);
        }
    }

    #[test]
    fn overrides_allow_http_only_on_loopback() {
        let c =
            Config::from_json(&with("graph_endpoint", json!("http://127.0.0.1:8080/"))).unwrap();
        assert_eq!(c.scope, "http://127.0.0.1:8080/.default");
        assert!(Config::from_json(&with("graph_endpoint", json!("http://[::1]:9/"))).is_ok());
        let err = Config::from_json(&with("login_endpoint", json!("http://10.0.0.1"))).unwrap_err();
        assert_eq!(err.detail().field.as_deref(), Some("login_endpoint"));
        let err = Config::from_json(&with("graph_endpoint", json!("https://u:p@graph.example")))
            .unwrap_err();
        assert_eq!(err.detail().field.as_deref(), Some("graph_endpoint"));
    }

    #[test]
    fn errors_name_the_field_and_never_the_secret() {
        let cases = [
            ("tenant_id", json!("not a tenant")),
            ("client_id", json!("nope")),
            ("client_secret", json!("")),
            ("client_secret", json!("7-chars")),
            ("mapping.properties", json!({"properties": ["jobTitle"]})),
            ("primary_domain", json!("localhost")),
            ("timeout_ms", json!(5)),
            ("max_concurrency", json!(0)),
            ("cloud", json!("mars")),
        ];
        for (field, value) in cases {
            let key = field.split('.').next().unwrap();
            let err = Config::from_json(&with(key, value)).unwrap_err();
            assert_eq!(err.kind().name(), "config");
            assert_eq!(err.detail().field.as_deref(), Some(field), "{err}");
        }
        // A secret in a field of the wrong type is quoted by serde: it must be scrubbed.
        for field in ["tenant_id", "client_id", "client_secret", "primary_domain"] {
            let mut v = base();
            v.as_object_mut().unwrap().remove(field);
            let err = Config::from_json(&v.to_string()).unwrap_err();
            assert_eq!(
                err.detail().field.as_deref(),
                Some(field),
                "missing {field}"
            );
        }
        let json = json!({"tenant_id": "t.example", "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "client_secret": "canary-secret-value", "primary_domain": "a.example", "timeout_ms": "canary-secret-value"});
        let err = Config::from_json(&json.to_string()).unwrap_err();
        assert!(!err.to_string().contains("canary-secret-value"), "{err}");
        let err = Config::from_json("{\"client_secret\": \"canary-secret-value\"").unwrap_err();
        assert!(!err.to_string().contains("canary"), "{err}");
        let c = Config::from_json(&base().to_string()).unwrap();
        assert!(!format!("{c:?}").contains("canary"));
    }

    #[test]
    fn guid_and_domain_shapes() {
        assert!(is_guid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
        assert!(!is_guid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeeg"));
        assert!(is_domain("contoso.onmicrosoft.com"));
        assert!(!is_domain("-bad.example"));
        assert!(!is_domain("nodot"));
    }
}
