//! Shared state of a running emulator and the public handle Rust tests use to inspect and steer
//! it (the same data and switches as the `/_emulator/` control endpoints).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{ClientApp, EmulatorConfig, SeedGroup, SeedUser, WriteBudget};
use crate::delta::DeltaState;
use crate::faults::{FaultInfo, FaultSpec, Faults};
use crate::groups::{GroupKind, GroupStore, Member, MemberType, NewGroup};
use crate::log::{RequestLog, RequestLogEntry};
use crate::throttle::Throttle;
use crate::token::Tokens;
use crate::users::Store;

/// Counters behind `/_emulator/stats`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub token_requests: AtomicU64,
    pub graph_requests: AtomicU64,
    pub batch_requests: AtomicU64,
    pub sub_requests: AtomicU64,
    pub throttled: AtomicU64,
    pub writes: AtomicU64,
    pub write_attempts: AtomicU64,
    pub faults_applied: AtomicU64,
    pub resets: AtomicU64,
}

impl Counters {
    fn clear(&self) {
        for c in [
            &self.token_requests,
            &self.graph_requests,
            &self.batch_requests,
            &self.sub_requests,
            &self.throttled,
            &self.writes,
            &self.write_attempts,
            &self.faults_applied,
            &self.resets,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// Everything a request handler may touch. Locks are never held across an `.await`.
pub(crate) struct Shared {
    pub base_url: String,
    pub tenant_id: String,
    pub domains: Vec<String>,
    pub clients: Vec<ClientApp>,
    pub seed_users: Vec<SeedUser>,
    pub seed_directory_roles: BTreeMap<String, Vec<String>>,
    pub seed_groups: Vec<SeedGroup>,
    pub started: Instant,
    pub latency_ms: AtomicU64,
    pub token_lifetime_s: AtomicU64,
    pub write_budget: Mutex<Option<WriteBudget>>,
    pub log_enabled: AtomicBool,
    /// Off only for secret-canary tests, which must learn the password the client generated.
    pub log_redacted: AtomicBool,
    /// Delta pages list only the changed properties of an updated user, as Graph may.
    pub delta_changed_only: AtomicBool,
    pub store: RwLock<Store>,
    /// Always locked after `store` when both are needed.
    pub groups: RwLock<GroupStore>,
    pub tokens: RwLock<Tokens>,
    pub throttle: Mutex<Throttle>,
    pub faults: Mutex<Faults>,
    pub log: Mutex<RequestLog>,
    pub delta: Mutex<DeltaState>,
    pub counters: Counters,
    seq: AtomicU64,
}

impl Shared {
    pub fn new(config: &EmulatorConfig, base_url: String) -> Shared {
        let shared = Shared {
            base_url,
            tenant_id: config.tenant_id.clone(),
            domains: config.tenant_domains.clone(),
            clients: config.clients.clone(),
            seed_users: config.seed_users.clone(),
            seed_directory_roles: config.seed_directory_roles.clone(),
            seed_groups: config.seed_groups.clone(),
            started: Instant::now(),
            latency_ms: AtomicU64::new(config.latency_ms),
            token_lifetime_s: AtomicU64::new(config.token_lifetime_s),
            write_budget: Mutex::new(config.write_budget),
            log_enabled: AtomicBool::new(true),
            log_redacted: AtomicBool::new(true),
            delta_changed_only: AtomicBool::new(false),
            store: RwLock::new(Store::new()),
            groups: RwLock::new(GroupStore::default()),
            tokens: RwLock::new(Tokens::default()),
            throttle: Mutex::new(Throttle::default()),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(RequestLog::default()),
            delta: Mutex::new(DeltaState::default()),
            counters: Counters::default(),
            seq: AtomicU64::new(0),
        };
        shared.seed_all();
        shared
    }

    fn seed_all(&self) {
        for s in &self.seed_users {
            let upn = s.user_principal_name.trim();
            let roles = self
                .seed_directory_roles
                .iter()
                .find(|(k, _)| k.trim().eq_ignore_ascii_case(upn))
                .map_or(&[][..], |(_, r)| r.as_slice());
            if let Err(e) = self.seed_with_roles(s, roles) {
                eprintln!("entra-graph-emulator: seed user skipped: {e}");
            }
        }
        for upn in self.seed_directory_roles.keys() {
            let upn = upn.trim();
            if !self
                .seed_users
                .iter()
                .any(|s| s.user_principal_name.trim().eq_ignore_ascii_case(upn))
            {
                eprintln!(
                    "entra-graph-emulator: directory roles for '{upn}' skipped: no such seed user"
                );
            }
        }
        // All groups first, then their members, so that a seed group may nest a later one.
        let mut created = Vec::new();
        for g in &self.seed_groups {
            match self.create_group(g) {
                Ok(key) => created.push((key, g)),
                Err(e) => eprintln!("entra-graph-emulator: seed group skipped: {e}"),
            }
        }
        for (key, g) in created {
            for m in &g.members {
                if let Err(e) = self.add_member_by_key(key, m) {
                    eprintln!("entra-graph-emulator: seed group member skipped: {e}");
                }
            }
        }
    }

    fn create_group(&self, seed: &SeedGroup) -> Result<u64, String> {
        let kind = GroupKind::parse(&seed.kind).ok_or_else(|| {
            format!(
                "unknown group kind '{}' (expected one of: {})",
                seed.kind,
                GroupKind::NAMES
            )
        })?;
        self.groups.write().insert(NewGroup {
            id: seed.id.clone(),
            display_name: seed.display_name.clone(),
            description: seed.description.clone(),
            kind,
            mail_nickname: seed.mail_nickname.clone(),
            membership_rule: seed.membership_rule.clone(),
        })
    }

    /// A user (active, by id or UPN) or a group (by id), as a member reference.
    fn resolve_member(store: &Store, groups: &GroupStore, key: &str) -> Result<Member, String> {
        if let Some(k) = store.resolve_active(key) {
            return Ok(Member {
                kind: MemberType::User,
                id: store.users[&k].id.clone(),
            });
        }
        if let Some(g) = groups.get(key) {
            return Ok(Member {
                kind: MemberType::Group,
                id: g.id.clone(),
            });
        }
        Err(format!("no active user or group '{key}'"))
    }

    /// Add a member directly (no Graph rule applies: this stands for an admin, or for the
    /// evaluation of a dynamic group's rule). `Ok(false)` if it already was a member.
    fn add_member_by_key(&self, group_key: u64, member: &str) -> Result<bool, String> {
        let store = self.store.read();
        let mut groups = self.groups.write();
        let m = Self::resolve_member(&store, &groups, member.trim())?;
        if m.kind == MemberType::Group && groups.would_cycle(group_key, &m.id) {
            return Err(format!("adding group '{}' would make a cycle", m.id));
        }
        Ok(groups.add_member(group_key, m))
    }

    fn group_key(&self, id: &str) -> Result<u64, String> {
        self.groups
            .read()
            .key_by_id(id)
            .ok_or_else(|| format!("no group '{id}'"))
    }

    /// Create a group and give it its members; nothing is created if a member is unknown.
    pub fn seed_group(&self, seed: &SeedGroup) -> Result<Value, String> {
        {
            let store = self.store.read();
            let groups = self.groups.read();
            for m in &seed.members {
                Self::resolve_member(&store, &groups, m.trim())?;
            }
        }
        let key = self.create_group(seed)?;
        for m in &seed.members {
            self.add_member_by_key(key, m)?;
        }
        let groups = self.groups.read();
        groups
            .groups
            .get(&key)
            .map(|g| g.render_internal())
            .ok_or_else(|| "the seeded group vanished".to_string())
    }

    /// Create a user directly and give it directory roles; nothing is created if either fails.
    /// Returns the user as stored (rendered under the same lock).
    pub fn seed_with_roles<S: AsRef<str>>(
        &self,
        seed: &SeedUser,
        roles: &[S],
    ) -> Result<Value, String> {
        let roles = crate::roles::normalize(roles)?;
        let mut store = self.store.write();
        let key = store.seed(seed)?;
        let user = store
            .users
            .get_mut(&key)
            .ok_or("the seeded user vanished")?;
        user.roles = roles;
        Ok(user.render_internal())
    }

    /// Next request sequence number.
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Seconds since start on the monotonic clock.
    pub fn now_s(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub fn write_budget(&self) -> Option<WriteBudget> {
        *self.write_budget.lock()
    }

    pub fn reset(&self) {
        self.store.write().clear();
        self.groups.write().clear();
        self.seed_all();
        self.faults.lock().clear();
        self.log.lock().clear();
        self.throttle.lock().clear();
        self.delta.lock().clear();
        self.counters.clear();
    }

    pub fn stats(&self) -> Stats {
        let store = self.store.read();
        let c = &self.counters;
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            token_requests: r(&c.token_requests),
            graph_requests: r(&c.graph_requests),
            batch_requests: r(&c.batch_requests),
            sub_requests: r(&c.sub_requests),
            throttled: r(&c.throttled),
            users: store.active_count() as u64,
            deleted_users: store.deleted_count() as u64,
            writes: r(&c.writes),
            write_attempts: r(&c.write_attempts),
            faults_applied: r(&c.faults_applied),
            resets: r(&c.resets),
        }
    }

    pub fn runtime_config(&self) -> RuntimeConfig {
        RuntimeConfig {
            latency_ms: self.latency_ms.load(Ordering::Relaxed),
            write_budget: self.write_budget(),
            token_lifetime_s: self.token_lifetime_s.load(Ordering::Relaxed),
            request_log: self.log_enabled.load(Ordering::Relaxed),
            redact_log: self.log_redacted.load(Ordering::Relaxed),
            delta_changed_only: self.delta_changed_only.load(Ordering::Relaxed),
            request_log_max: self.log.lock().max,
        }
    }
}

/// Counters and sizes, as served by `GET /_emulator/stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests to the token endpoint.
    pub token_requests: u64,
    /// Top-level Graph requests (a `$batch` counts once here).
    pub graph_requests: u64,
    /// `$batch` requests.
    pub batch_requests: u64,
    /// Requests inside batches.
    pub sub_requests: u64,
    /// Answers with status 429 (top level or inside a batch).
    pub throttled: u64,
    /// Active users.
    pub users: u64,
    /// Soft-deleted users.
    pub deleted_users: u64,
    /// Writes that changed the directory (create, update, delete, restore, purge).
    pub writes: u64,
    /// Writes counted against the budget (including throttled and failed ones).
    pub write_attempts: u64,
    /// Requests an injected fault was applied to.
    pub faults_applied: u64,
    /// Connections closed without an answer.
    pub resets: u64,
}

/// The settings that can change while running, as served by `/_emulator/config`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuntimeConfig {
    pub latency_ms: u64,
    pub write_budget: Option<WriteBudget>,
    pub token_lifetime_s: u64,
    pub request_log: bool,
    pub request_log_max: usize,
    /// Whether passwords and client secrets are redacted in the request log (default true).
    pub redact_log: bool,
    /// Whether incremental delta pages carry only the changed properties (default false).
    pub delta_changed_only: bool,
}

/// Handle on a running emulator's state, shared with its HTTP side. Cheap to clone.
#[derive(Clone)]
pub struct EmulatorState {
    pub(crate) inner: Arc<Shared>,
}

impl EmulatorState {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// The tenant GUID.
    pub fn tenant_id(&self) -> String {
        self.inner.tenant_id.clone()
    }

    /// `{base}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.inner.base_url, self.inner.tenant_id
        )
    }

    /// All users, soft-deleted ones included (`"deleted": true`), as stored.
    pub fn users(&self) -> Vec<Value> {
        self.inner
            .store
            .read()
            .users
            .values()
            .map(|u| u.render_internal())
            .collect()
    }

    /// One user (active or soft-deleted) by id, or an active one by UPN.
    pub fn user(&self, id_or_upn: &str) -> Option<Value> {
        let store = self.inner.store.read();
        let key = store
            .resolve_active(id_or_upn)
            .or_else(|| store.resolve_deleted(id_or_upn))?;
        store.users.get(&key).map(|u| u.render_internal())
    }

    /// Number of active users.
    pub fn user_count(&self) -> usize {
        self.inner.store.read().active_count()
    }

    /// Create a user directly, bypassing auth, validation and throttling.
    pub fn seed_user(&self, seed: SeedUser) -> Result<Value, String> {
        self.seed_user_with_directory_roles::<&str>(seed, &[])
    }

    /// [`seed_user`](Self::seed_user), holding these directory roles (display names such as
    /// `Global Administrator`) from the start.
    pub fn seed_user_with_directory_roles<S: AsRef<str>>(
        &self,
        seed: SeedUser,
        roles: &[S],
    ) -> Result<Value, String> {
        self.inner.seed_with_roles(&seed, roles)
    }

    /// Replace the directory roles a user holds (active by id or UPN, or soft-deleted by id).
    /// Names are trimmed and de-duplicated; built-in roles take Microsoft's spelling. Fails for
    /// an unknown user or an empty name, and then changes nothing.
    pub fn set_directory_roles<S: AsRef<str>>(
        &self,
        id_or_upn: &str,
        roles: &[S],
    ) -> Result<(), String> {
        let roles = crate::roles::normalize(roles)?;
        let mut store = self.inner.store.write();
        let key = store
            .resolve_active(id_or_upn)
            .or_else(|| store.resolve_deleted(id_or_upn))
            .ok_or_else(|| format!("no user '{id_or_upn}'"))?;
        if let Some(u) = store.users.get_mut(&key) {
            u.roles = roles;
        }
        Ok(())
    }

    /// The directory roles a user holds (as `set_directory_roles` stored them), or `None` for an
    /// unknown user.
    pub fn directory_roles(&self, id_or_upn: &str) -> Option<Vec<String>> {
        let store = self.inner.store.read();
        let key = store
            .resolve_active(id_or_upn)
            .or_else(|| store.resolve_deleted(id_or_upn))?;
        store.users.get(&key).map(|u| u.roles.clone())
    }

    /// The request log, in arrival order.
    pub fn requests(&self) -> Vec<RequestLogEntry> {
        self.inner.log.lock().since(0)
    }

    pub fn clear_requests(&self) {
        self.inner.log.lock().clear();
    }

    pub fn stats(&self) -> Stats {
        self.inner.stats()
    }

    pub fn add_fault(&self, spec: FaultSpec) -> Result<u64, String> {
        self.inner.faults.lock().add(spec)
    }

    pub fn faults(&self) -> Vec<FaultInfo> {
        self.inner.faults.lock().list()
    }

    pub fn remove_fault(&self, id: u64) -> bool {
        self.inner.faults.lock().remove(id)
    }

    pub fn clear_faults(&self) {
        self.inner.faults.lock().clear();
    }

    pub fn set_latency_ms(&self, ms: u64) {
        self.inner.latency_ms.store(ms, Ordering::Relaxed);
    }

    pub fn set_write_budget(&self, budget: Option<WriteBudget>) {
        *self.inner.write_budget.lock() = budget;
        self.inner.throttle.lock().clear();
    }

    pub fn set_token_lifetime_s(&self, seconds: u64) {
        self.inner
            .token_lifetime_s
            .store(seconds, Ordering::Relaxed);
    }

    pub fn set_request_log(&self, enabled: bool) {
        self.inner.log_enabled.store(enabled, Ordering::Relaxed);
    }

    /// Keep request bodies verbatim in the log (secrets included): for secret-canary tests only.
    pub fn set_log_redaction(&self, redact: bool) {
        self.inner.log_redacted.store(redact, Ordering::Relaxed);
    }

    /// Incremental delta pages list only changed properties (Graph: "at least the updated
    /// properties"), so clients must cope with partial users.
    pub fn set_delta_changed_only(&self, on: bool) {
        self.inner.delta_changed_only.store(on, Ordering::Relaxed);
    }

    pub fn set_request_log_max(&self, max: usize) {
        self.inner.log.lock().set_max(max);
    }

    /// All groups, with their direct members, as stored.
    pub fn groups(&self) -> Vec<Value> {
        self.inner
            .groups
            .read()
            .groups
            .values()
            .map(|g| g.render_internal())
            .collect()
    }

    /// One group by id.
    pub fn group(&self, id: &str) -> Option<Value> {
        self.inner
            .groups
            .read()
            .get(id)
            .map(|g| g.render_internal())
    }

    /// Create a group directly, with its members (user ids or UPNs, group ids), bypassing
    /// auth, throttling and the rules Graph applies to `$ref` adds.
    pub fn seed_group(&self, seed: SeedGroup) -> Result<Value, String> {
        self.inner.seed_group(&seed)
    }

    /// Add a member (user id or UPN, or group id) directly, as an admin in the portal or a
    /// dynamic rule would. `Ok(false)` if it already was a member.
    pub fn add_group_member(&self, group_id: &str, member: &str) -> Result<bool, String> {
        let key = self.inner.group_key(group_id)?;
        self.inner.add_member_by_key(key, member)
    }

    /// Remove a member directly. `Ok(false)` if it was not a member.
    pub fn remove_group_member(&self, group_id: &str, member: &str) -> Result<bool, String> {
        let key = self.inner.group_key(group_id)?;
        let store = self.inner.store.read();
        let mut groups = self.inner.groups.write();
        let id = match Shared::resolve_member(&store, &groups, member.trim()) {
            Ok(m) => m.id,
            Err(_) => member.trim().to_lowercase(),
        };
        Ok(groups.remove_member(key, &id))
    }

    /// Replace the direct members of a group (each change is recorded for groups delta).
    /// Every member is checked first; on an unknown one nothing changes.
    pub fn set_group_members<S: AsRef<str>>(
        &self,
        group_id: &str,
        members: &[S],
    ) -> Result<(), String> {
        let key = self.inner.group_key(group_id)?;
        let wanted: Vec<Member> = {
            let store = self.inner.store.read();
            let groups = self.inner.groups.read();
            members
                .iter()
                .map(|m| Shared::resolve_member(&store, &groups, m.as_ref().trim()))
                .collect::<Result<_, _>>()?
        };
        let current: Vec<String> = self
            .inner
            .groups
            .read()
            .groups
            .get(&key)
            .map(|g| g.members.iter().map(|m| m.id.clone()).collect())
            .unwrap_or_default();
        {
            let mut groups = self.inner.groups.write();
            for id in current
                .iter()
                .filter(|id| !wanted.iter().any(|w| &w.id == *id))
            {
                groups.remove_member(key, id);
            }
        }
        for m in &wanted {
            self.inner.add_member_by_key(key, &m.id)?;
        }
        Ok(())
    }

    /// Delete a group (groups delta then reports it with `@removed`). `false` if unknown.
    pub fn delete_group(&self, id: &str) -> bool {
        let mut groups = self.inner.groups.write();
        match groups.key_by_id(id) {
            Some(k) => groups.delete(k),
            None => false,
        }
    }

    /// Forget every delta and skip token: the next use answers 410 `syncStateNotFound`.
    pub fn expire_delta_tokens(&self) {
        self.inner.delta.lock().clear();
    }

    /// Make every issued access token expired: the next Graph call with one answers 401.
    pub fn expire_tokens(&self) {
        self.inner.tokens.write().expire_all();
    }

    /// Empty users and groups (then re-seed), faults, log, stats, throttle windows and delta
    /// state.
    pub fn reset(&self) {
        self.inner.reset();
    }

    pub fn runtime_config(&self) -> RuntimeConfig {
        self.inner.runtime_config()
    }
}
