//! Start-up configuration of the emulator.
//!
//! Every field is public and every type has a `Default`, so a test can write
//! `EmulatorConfig { latency_ms: 50, ..Default::default() }` and get the same tenant, client and
//! throttling budget as the demo and the PHP tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Default tenant GUID: stable so that scripts and tests can hard-code token URLs.
pub const DEFAULT_TENANT_ID: &str = "11111111-2222-3333-4444-555555555555";
/// Default verified domain of the tenant.
pub const DEFAULT_DOMAIN: &str = "contoso.onmicrosoft.com";
/// Default application (client) id.
pub const DEFAULT_CLIENT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
/// Default client secret of [`DEFAULT_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-secret";

/// Everything the emulator needs to start.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// TCP port on 127.0.0.1; 0 picks a free one (see `RunningEmulator::base_url`).
    pub port: u16,
    /// Tenant GUID accepted in the token URL and echoed in throttling scopes.
    pub tenant_id: String,
    /// Verified domains: UPNs must use one of them; each one is also accepted in place of the
    /// tenant GUID in the token URL, as Entra does.
    pub tenant_domains: Vec<String>,
    /// Registered applications allowed to use the client-credentials grant.
    pub clients: Vec<ClientApp>,
    /// `expires_in` of issued tokens, in seconds; the token stops working after it.
    pub token_lifetime_s: u64,
    /// Extra delay added before every top-level response (a `$batch` pays it once).
    pub latency_ms: u64,
    /// Per app+tenant write budget (Microsoft documents 3,000 writes per 150 s); `None` = off.
    pub write_budget: Option<WriteBudget>,
    /// Users present at start and again after a reset.
    pub seed_users: Vec<SeedUser>,
    /// Directory roles (display names, e.g. `Global Administrator`) that seed users hold, by
    /// `userPrincipalName` (case-insensitive). Kept apart from [`SeedUser`] so that code
    /// building a `SeedUser` literal keeps compiling.
    pub seed_directory_roles: BTreeMap<String, Vec<String>>,
    /// Groups created at start (and again on reset), after the seed users, in order; a seed
    /// group's members may name seed users and any seed group.
    pub seed_groups: Vec<SeedGroup>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            tenant_id: DEFAULT_TENANT_ID.to_string(),
            tenant_domains: vec![DEFAULT_DOMAIN.to_string()],
            clients: vec![ClientApp::default()],
            token_lifetime_s: 3599,
            latency_ms: 0,
            write_budget: Some(WriteBudget::default()),
            seed_users: Vec::new(),
            seed_directory_roles: BTreeMap::new(),
            seed_groups: Vec::new(),
        }
    }
}

/// An app registration with a client secret and its granted application permissions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientApp {
    pub client_id: String,
    pub secret: String,
    /// Application permissions (app roles) granted with admin consent, e.g. `User.ReadWrite.All`.
    pub permissions: Vec<String>,
    /// A certificate (PEM) registered on the app: client assertions signed with its key are
    /// accepted instead of the secret.
    #[serde(default)]
    pub certificate_pem: Option<String>,
}

impl Default for ClientApp {
    fn default() -> Self {
        ClientApp {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            secret: DEFAULT_CLIENT_SECRET.to_string(),
            permissions: vec!["User.ReadWrite.All".to_string()],
            certificate_pem: None,
        }
    }
}

/// Sliding-window write budget per (tenant, application).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteBudget {
    /// Writes allowed inside one window.
    pub writes: u32,
    /// Window length in seconds; fractional so tests can scale time down.
    pub window_s: f64,
}

impl Default for WriteBudget {
    /// The documented identity-and-access limit: 3,000 writes per 2 min 30 s per app+tenant.
    fn default() -> Self {
        WriteBudget {
            writes: 3000,
            window_s: 150.0,
        }
    }
}

/// A user created directly (bypassing Graph validation, auth and throttling). The directory
/// roles it holds are given apart, in [`EmulatorConfig::seed_directory_roles`] or through
/// `EmulatorState::seed_user_with_directory_roles`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedUser {
    #[serde(alias = "userPrincipalName")]
    pub user_principal_name: String,
    #[serde(alias = "displayName")]
    pub display_name: String,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default = "default_true", alias = "accountEnabled")]
    pub account_enabled: bool,
}

fn default_true() -> bool {
    true
}

impl SeedUser {
    /// Convenience constructor for an enabled user without mail.
    pub fn new(upn: &str, display_name: &str) -> SeedUser {
        SeedUser {
            user_principal_name: upn.to_string(),
            display_name: display_name.to_string(),
            mail: None,
            account_enabled: true,
        }
    }
}

/// A group created directly, as an admin would in the portal (bypassing auth and throttling).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedGroup {
    /// Object id (a GUID); random when absent.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(alias = "displayName")]
    pub display_name: String,
    /// `security` (default), `unified` (or `m365`), `dynamic`, `role-assignable`,
    /// `mail-security` or `distribution`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, alias = "mailNickname")]
    pub mail_nickname: Option<String>,
    /// For a `dynamic` group; a placeholder rule is used when absent.
    #[serde(default, alias = "membershipRule")]
    pub membership_rule: Option<String>,
    /// Direct members: user ids or UPNs, or group ids.
    #[serde(default)]
    pub members: Vec<String>,
}

impl SeedGroup {
    /// A group of `kind` with no members and a random id.
    pub fn new(display_name: &str, kind: &str) -> SeedGroup {
        SeedGroup {
            display_name: display_name.to_string(),
            kind: kind.to_string(),
            ..Default::default()
        }
    }
}
