//! The user directory: property table, in-memory store with its indexes, and the validation the
//! directory applies to creates and updates.
//!
//! Users live in a `BTreeMap` keyed by a creation counter, which gives stable paging order and
//! cheap `$skiptoken`s; `id`, lowercase `userPrincipalName` and lowercase `mail` are indexed so
//! that lookups and uniqueness checks stay O(1) at 100k users. Every property value carries the
//! change sequence number that last touched it, which is all delta query needs.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::config::SeedUser;
use crate::errors::GraphError;
use crate::odata::FilterValue;

/// How a property is represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Bool,
    StrList,
    /// Maintained by the directory (`id`, timestamps).
    Computed,
    PasswordProfile,
}

/// Whether clients may set a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    ReadOnly,
    ReadWrite,
    /// Accepted on writes, never returned (`passwordProfile`).
    WriteOnly,
}

/// One property of `microsoft.graph.user` that the emulator knows.
pub(crate) struct PropDef {
    pub name: &'static str,
    pub kind: Kind,
    pub access: Access,
    /// Maximum length in characters (per entry for collections); 0 = unchecked.
    pub max: usize,
    pub filterable: bool,
}

const fn p(name: &'static str, kind: Kind, max: usize) -> PropDef {
    PropDef {
        name,
        kind,
        access: Access::ReadWrite,
        max,
        filterable: true,
    }
}

/// The property table. Indexes into it are used everywhere instead of names.
pub(crate) const PROPS: &[PropDef] = &[
    PropDef {
        name: "id",
        kind: Kind::Computed,
        access: Access::ReadOnly,
        max: 0,
        filterable: true,
    },
    p("businessPhones", Kind::StrList, 64),
    p("displayName", Kind::Str, 256),
    p("givenName", Kind::Str, 64),
    p("jobTitle", Kind::Str, 128),
    p("mail", Kind::Str, 256),
    p("mobilePhone", Kind::Str, 64),
    p("officeLocation", Kind::Str, 128),
    p("preferredLanguage", Kind::Str, 16),
    p("surname", Kind::Str, 64),
    p("userPrincipalName", Kind::Str, 113),
    p("accountEnabled", Kind::Bool, 0),
    p("mailNickname", Kind::Str, 64),
    p("department", Kind::Str, 64),
    p("companyName", Kind::Str, 64),
    p("employeeId", Kind::Str, 16),
    p("employeeType", Kind::Str, 64),
    p("city", Kind::Str, 128),
    p("country", Kind::Str, 128),
    p("state", Kind::Str, 128),
    p("streetAddress", Kind::Str, 1024),
    p("postalCode", Kind::Str, 40),
    p("usageLocation", Kind::Str, 2),
    p("onPremisesImmutableId", Kind::Str, 256),
    p("faxNumber", Kind::Str, 64),
    p("otherMails", Kind::StrList, 256),
    p("userType", Kind::Str, 16),
    p("passwordPolicies", Kind::Str, 256),
    PropDef {
        name: "createdDateTime",
        kind: Kind::Computed,
        access: Access::ReadOnly,
        max: 0,
        filterable: false,
    },
    PropDef {
        name: "deletedDateTime",
        kind: Kind::Computed,
        access: Access::ReadOnly,
        max: 0,
        filterable: false,
    },
    PropDef {
        name: "passwordProfile",
        kind: Kind::PasswordProfile,
        access: Access::WriteOnly,
        max: 0,
        filterable: false,
    },
];

pub(crate) const ID: usize = 0;
pub(crate) const DISPLAY_NAME: usize = 2;
pub(crate) const MAIL: usize = 5;
pub(crate) const UPN: usize = 10;
pub(crate) const ACCOUNT_ENABLED: usize = 11;
pub(crate) const MAIL_NICKNAME: usize = 12;
pub(crate) const CREATED: usize = 28;
pub(crate) const DELETED: usize = 29;
pub(crate) const PASSWORD_PROFILE: usize = 30;

/// Graph's default property set for users, in the order Graph returns it.
pub(crate) const DEFAULT_SET: &[usize] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0];

/// Exact-case lookup, as OData requires for request bodies.
pub(crate) fn prop_index(name: &str) -> Option<usize> {
    PROPS.iter().position(|d| d.name == name)
}

/// Case-insensitive lookup, used for `$select` and `$filter` where Graph is lenient.
pub(crate) fn prop_index_ci(name: &str) -> Option<usize> {
    PROPS.iter().position(|d| d.name.eq_ignore_ascii_case(name))
}

/// A stored property value. `Null` records that a property was explicitly cleared, so that
/// delta can still report the change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PVal {
    Null,
    Str(Box<str>),
    Bool(bool),
    List(Vec<String>),
}

impl PVal {
    fn to_json(&self) -> Value {
        match self {
            PVal::Null => Value::Null,
            PVal::Str(s) => Value::String(s.to_string()),
            PVal::Bool(b) => Value::Bool(*b),
            PVal::List(l) => Value::Array(l.iter().map(|s| Value::String(s.clone())).collect()),
        }
    }
}

#[derive(Debug, Clone)]
struct Slot {
    idx: u8,
    seq: u64,
    val: PVal,
}

/// One user object, active or soft-deleted.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub key: u64,
    pub id: String,
    pub created: String,
    slots: Vec<Slot>,
    pub force_change: Option<bool>,
    pub deleted_at: Option<String>,
    /// Sequence number of the last create, soft delete or restore.
    pub state_seq: u64,
    /// Display names of the directory roles the user holds (normalized by `roles::normalize`).
    /// Not a user property: never rendered as one and never reported by delta.
    pub roles: Vec<String>,
}

impl User {
    fn get(&self, idx: usize) -> Option<&PVal> {
        self.slots
            .iter()
            .find(|s| s.idx as usize == idx)
            .map(|s| &s.val)
            .filter(|v| **v != PVal::Null)
    }

    pub fn str(&self, idx: usize) -> Option<&str> {
        match self.get(idx) {
            Some(PVal::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn upn(&self) -> &str {
        self.str(UPN).unwrap_or("")
    }

    pub fn filter_value(&self, idx: usize) -> FilterValue<'_> {
        match idx {
            ID => FilterValue::Str(Some(&self.id)),
            _ => match PROPS[idx].kind {
                Kind::Str => FilterValue::Str(self.str(idx)),
                Kind::Bool => FilterValue::Bool(match self.get(idx) {
                    Some(PVal::Bool(b)) => Some(*b),
                    _ => None,
                }),
                _ => FilterValue::Other,
            },
        }
    }

    fn value(&self, idx: usize) -> Value {
        match idx {
            ID => Value::String(self.id.clone()),
            CREATED => Value::String(self.created.clone()),
            DELETED => self
                .deleted_at
                .clone()
                .map(Value::String)
                .unwrap_or(Value::Null),
            PASSWORD_PROFILE => Value::Null,
            _ => match self.get(idx) {
                Some(v) => v.to_json(),
                None if PROPS[idx].kind == Kind::StrList => Value::Array(Vec::new()),
                None => Value::Null,
            },
        }
    }

    /// The Graph representation: `select` properties in that order, or the default set.
    pub fn render(&self, select: Option<&[usize]>) -> Map<String, Value> {
        let props = select.unwrap_or(DEFAULT_SET);
        let mut m = Map::with_capacity(props.len() + 1);
        for &idx in props {
            m.insert(PROPS[idx].name.to_string(), self.value(idx));
        }
        m
    }

    /// The selected properties written after `since`, or all of them for a user created or
    /// restored since: Graph documents a changed user in a delta page as "its id with at least
    /// the updated properties".
    pub fn render_changed(&self, select: Option<&[usize]>, since: u64) -> Map<String, Value> {
        if self.state_seq > since {
            return self.render(select);
        }
        let props = select.unwrap_or(DEFAULT_SET);
        let mut m = Map::new();
        for &idx in props {
            if self
                .slots
                .iter()
                .any(|s| s.idx as usize == idx && s.seq > since)
            {
                m.insert(PROPS[idx].name.to_string(), self.value(idx));
            }
        }
        m
    }

    /// Everything stored (never a password), for the control endpoint and Rust tests.
    pub fn render_internal(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::String(self.id.clone()));
        for (idx, def) in PROPS.iter().enumerate() {
            if matches!(def.kind, Kind::Computed | Kind::PasswordProfile) {
                continue;
            }
            if let Some(v) = self.get(idx) {
                m.insert(def.name.to_string(), v.to_json());
            }
        }
        m.insert(
            "createdDateTime".into(),
            Value::String(self.created.clone()),
        );
        m.insert(
            "passwordProfile".into(),
            serde_json::json!({ "forceChangePasswordNextSignIn": self.force_change }),
        );
        m.insert("deleted".into(), Value::Bool(self.deleted_at.is_some()));
        m.insert("deletedDateTime".into(), self.value(DELETED));
        Value::Object(m)
    }

    /// Whether delta must report this user to a client synchronised up to `since`: created,
    /// deleted or restored since, or a tracked property (all, or the `$select`ed ones) changed.
    pub fn changed_since(&self, since: u64, select: Option<&[usize]>) -> bool {
        if self.state_seq > since {
            return true;
        }
        self.slots
            .iter()
            .any(|s| s.seq > since && select.is_none_or(|sel| sel.contains(&(s.idx as usize))))
    }

    /// Set a property; returns whether the stored value changed.
    fn set(&mut self, idx: usize, val: PVal, seq: u64) -> bool {
        if let Some(slot) = self.slots.iter_mut().find(|s| s.idx as usize == idx) {
            if slot.val == val {
                return false;
            }
            slot.val = val;
            slot.seq = seq;
            true
        } else if val == PVal::Null {
            false
        } else {
            self.slots.push(Slot {
                idx: idx as u8,
                seq,
                val,
            });
            true
        }
    }
}

/// The directory.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub users: BTreeMap<u64, User>,
    by_id: HashMap<String, u64>,
    by_upn: HashMap<String, u64>,
    by_mail: HashMap<String, u64>,
    next_key: u64,
    /// Global change sequence; bumped by every mutation.
    pub seq: u64,
    /// Permanently deleted users as (sequence, id), in sequence order.
    pub tombstones: Vec<(u64, String)>,
    active: usize,
}

/// Whether `s` has the shape of a GUID (how Graph tells an id from a UPN in a URL).
pub(crate) fn looks_like_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    pub fn active_count(&self) -> usize {
        self.active
    }

    pub fn deleted_count(&self) -> usize {
        self.users.len() - self.active
    }

    pub fn clear(&mut self) {
        *self = Store::default();
    }

    /// An active user by id or UPN, as addressed in `/users/{id | userPrincipalName}`.
    pub fn resolve_active(&self, key: &str) -> Option<u64> {
        let lower = key.to_lowercase();
        if looks_like_guid(&lower) {
            let k = *self.by_id.get(&lower)?;
            return self
                .users
                .get(&k)
                .filter(|u| u.deleted_at.is_none())
                .map(|u| u.key);
        }
        self.by_upn.get(&lower).copied()
    }

    /// A soft-deleted user by id.
    pub fn resolve_deleted(&self, id: &str) -> Option<u64> {
        let k = *self.by_id.get(&id.to_lowercase())?;
        self.users
            .get(&k)
            .filter(|u| u.deleted_at.is_some())
            .map(|u| u.key)
    }

    pub fn key_by_id(&self, id_lower: &str) -> Option<u64> {
        self.by_id.get(id_lower).copied()
    }

    pub fn key_by_upn(&self, upn_lower: &str) -> Option<u64> {
        self.by_upn.get(upn_lower).copied()
    }

    pub fn key_by_mail(&self, mail_lower: &str) -> Option<u64> {
        self.by_mail.get(mail_lower).copied()
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn index(&mut self, key: u64) {
        let Some(u) = self.users.get(&key) else {
            return;
        };
        let upn = u.str(UPN).map(str::to_lowercase);
        let mail = u.str(MAIL).map(str::to_lowercase);
        if let Some(upn) = upn {
            self.by_upn.insert(upn, key);
        }
        if let Some(mail) = mail {
            self.by_mail.insert(mail, key);
        }
    }

    fn unindex(&mut self, key: u64) {
        let Some(u) = self.users.get(&key) else {
            return;
        };
        let upn = u.str(UPN).map(str::to_lowercase);
        let mail = u.str(MAIL).map(str::to_lowercase);
        if let Some(upn) = upn
            && self.by_upn.get(&upn) == Some(&key)
        {
            self.by_upn.remove(&upn);
        }
        if let Some(mail) = mail
            && self.by_mail.get(&mail) == Some(&key)
        {
            self.by_mail.remove(&mail);
        }
    }

    /// Insert an already validated user; returns its key.
    pub fn insert(&mut self, vals: Vec<(usize, PVal)>, force_change: Option<bool>) -> u64 {
        let seq = self.next_seq();
        self.next_key += 1;
        let key = self.next_key;
        let id = crate::new_guid();
        let mut user = User {
            key,
            id: id.clone(),
            created: crate::clock::iso_now(),
            slots: Vec::with_capacity(vals.len()),
            force_change,
            deleted_at: None,
            state_seq: seq,
            roles: Vec::new(),
        };
        for (idx, val) in vals {
            user.set(idx, val, seq);
        }
        // Graph gives a user created without userType the type Member.
        let user_type = prop_index("userType").expect("userType is a property");
        if user.get(user_type).is_none() {
            user.set(user_type, PVal::Str("Member".into()), seq);
        }
        self.users.insert(key, user);
        self.by_id.insert(id, key);
        self.active += 1;
        self.index(key);
        key
    }

    /// Apply validated changes; returns whether anything changed.
    pub fn update(
        &mut self,
        key: u64,
        vals: Vec<(usize, PVal)>,
        force_change: Option<bool>,
    ) -> bool {
        let seq = self.seq + 1;
        self.unindex(key);
        let mut changed = false;
        if let Some(u) = self.users.get_mut(&key) {
            for (idx, val) in vals {
                changed |= u.set(idx, val, seq);
            }
            if force_change.is_some() {
                u.force_change = force_change;
            }
        }
        if changed {
            self.seq = seq;
        }
        self.index(key);
        changed
    }

    pub fn soft_delete(&mut self, key: u64) {
        self.unindex(key);
        let seq = self.next_seq();
        if let Some(u) = self.users.get_mut(&key)
            && u.deleted_at.is_none()
        {
            u.deleted_at = Some(crate::clock::iso_now());
            u.state_seq = seq;
            self.active -= 1;
        }
    }

    /// Bring a soft-deleted user back, unless its UPN or mail was taken meanwhile.
    pub fn restore(&mut self, key: u64) -> Result<(), GraphError> {
        let Some(u) = self.users.get(&key) else {
            return Err(GraphError::not_found(&key.to_string()));
        };
        if let Some(other) = self.by_upn.get(&u.upn().to_lowercase())
            && *other != key
        {
            return Err(duplicate_upn());
        }
        if let Some(mail) = u.str(MAIL)
            && let Some(other) = self.by_mail.get(&mail.to_lowercase())
            && *other != key
        {
            return Err(duplicate_mail());
        }
        let seq = self.next_seq();
        if let Some(u) = self.users.get_mut(&key) {
            u.deleted_at = None;
            u.state_seq = seq;
        }
        self.active += 1;
        self.index(key);
        Ok(())
    }

    /// Permanently delete (from deleted items); leaves a tombstone for delta.
    pub fn purge(&mut self, key: u64) {
        self.unindex(key);
        let seq = self.next_seq();
        if let Some(u) = self.users.remove(&key) {
            if u.deleted_at.is_none() {
                self.active -= 1;
            }
            self.by_id.remove(&u.id);
            self.tombstones.push((seq, u.id));
        }
    }

    /// Create a user directly from a seed (no Graph validation), keeping the store's uniqueness.
    pub fn seed(&mut self, seed: &SeedUser) -> Result<u64, String> {
        let upn = seed.user_principal_name.trim();
        if !upn.contains('@') {
            return Err(format!("userPrincipalName '{upn}' has no '@'"));
        }
        if self.by_upn.contains_key(&upn.to_lowercase()) {
            return Err(format!(
                "a user with userPrincipalName '{upn}' already exists"
            ));
        }
        if let Some(mail) = &seed.mail
            && self.by_mail.contains_key(&mail.to_lowercase())
        {
            return Err(format!("a user with mail '{mail}' already exists"));
        }
        let local = upn.split('@').next().unwrap_or("");
        let mut nickname: String = local
            .chars()
            .filter(|c| c.is_ascii() && !NICKNAME_FORBIDDEN.contains(c) && !c.is_control())
            .take(64)
            .collect();
        if nickname.is_empty() {
            nickname = "user".to_string();
        }
        let mut vals = vec![
            (UPN, PVal::Str(upn.into())),
            (DISPLAY_NAME, PVal::Str(seed.display_name.as_str().into())),
            (ACCOUNT_ENABLED, PVal::Bool(seed.account_enabled)),
            (MAIL_NICKNAME, PVal::Str(nickname.into())),
        ];
        if let Some(mail) = &seed.mail {
            vals.push((MAIL, PVal::Str(mail.as_str().into())));
        }
        Ok(self.insert(vals, Some(false)))
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// Characters Entra accepts in the local part of a UPN besides ASCII letters and digits.
const UPN_LOCAL_EXTRA: &[char] = &['\'', '.', '-', '_', '!', '#', '^', '~'];
/// Characters the directory rejects in `mailNickname` (besides non-ASCII and controls).
pub(crate) const NICKNAME_FORBIDDEN: &[char] = &[
    '@', '(', ')', '\\', '[', ']', '"', ';', ':', '<', '>', ',', ' ',
];

pub(crate) fn duplicate_upn() -> GraphError {
    GraphError::request_bad_request(
        "Another object with the same value for property userPrincipalName already exists.",
    )
    .detail("ObjectConflict", "userPrincipalName")
}

pub(crate) fn duplicate_mail() -> GraphError {
    GraphError::request_bad_request(
        "Another object with the same value for property proxyAddresses already exists.",
    )
    .detail("ObjectConflict", "proxyAddresses")
}

fn invalid_upn() -> GraphError {
    GraphError::request_bad_request("Property userPrincipalName is invalid.")
        .detail("InvalidValue", "userPrincipalName")
}

/// The documented username policy: `local@domain`, local part ≤ 64 characters of
/// `A-Z a-z 0-9 ' . - _ ! # ^ ~` not ending in `.`, domain ≤ 48 characters and verified,
/// whole ≤ 113 characters.
pub(crate) fn validate_upn(upn: &str, domains: &[String]) -> Result<(), GraphError> {
    let mut parts = upn.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid_upn());
    };
    let local_len = local.chars().count();
    if local_len == 0
        || local_len > 64
        || upn.chars().count() > 113
        || local.ends_with('.')
        || !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || UPN_LOCAL_EXTRA.contains(&c))
    {
        return Err(invalid_upn());
    }
    if domain.is_empty() || domain.chars().count() > 48 {
        return Err(invalid_upn());
    }
    if !domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
        return Err(GraphError::request_bad_request(
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        )
        .detail("InvalidValue", "userPrincipalName"));
    }
    Ok(())
}

/// `mailNickname`: 1–64 ASCII characters without `@ ( ) \ [ ] " ; : < > ,` or spaces.
pub(crate) fn mail_nickname_ok(s: &str) -> bool {
    let n = s.chars().count();
    (1..=64).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control() && !NICKNAME_FORBIDDEN.contains(&c))
}

/// The cloud password policy: 8–256 ASCII characters (letters, digits, symbols, space), at
/// least three of lowercase, uppercase, digit, symbol.
pub(crate) fn password_ok(s: &str) -> bool {
    let n = s.chars().count();
    if !(8..=256).contains(&n) {
        return false;
    }
    if !s.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return false;
    }
    let classes = [
        s.chars().any(|c| c.is_ascii_lowercase()),
        s.chars().any(|c| c.is_ascii_uppercase()),
        s.chars().any(|c| c.is_ascii_digit()),
        s.chars().any(|c| c.is_ascii_punctuation()),
    ];
    classes.iter().filter(|b| **b).count() >= 3
}

/// An SMTP address without accents: `local@domain.tld`.
pub(crate) fn mail_ok(s: &str) -> bool {
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && local.chars().all(|c| c.is_ascii_graphic())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// What a create or update asks for, once validated.
#[derive(Debug, Default)]
pub(crate) struct Validated {
    pub vals: Vec<(usize, PVal)>,
    pub force_change: Option<bool>,
}

/// Create a user, or update the user with this key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Create,
    Update(u64),
}

fn literal_error(v: &Value, edm: &str) -> GraphError {
    let lit = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    GraphError::bad_request(format!(
        "Cannot convert the literal '{lit}' to the expected type '{edm}'."
    ))
}

fn unknown_property(name: &str, ty: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The property '{name}' does not exist on type '{ty}'. Make sure to only use property names that are defined by the type or mark the type as open type."
    ))
}

/// Convert one JSON value to the property's representation (the OData layer: types only).
fn convert(idx: usize, v: &Value) -> Result<PVal, GraphError> {
    let def = &PROPS[idx];
    if v.is_null() {
        return Ok(PVal::Null);
    }
    match def.kind {
        Kind::Str => match v {
            Value::String(s) => Ok(PVal::Str(s.as_str().into())),
            other => Err(literal_error(other, "Edm.String")),
        },
        Kind::Bool => match v {
            Value::Bool(b) => Ok(PVal::Bool(*b)),
            other => Err(literal_error(other, "Edm.Boolean")),
        },
        Kind::StrList => match v {
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(literal_error(other, "Edm.String")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(PVal::List),
            _ => Err(GraphError::bad_request(format!(
                "A node of type 'PrimitiveValue' was read from the JSON reader when trying to read the contents of the property '{}'; however, a 'StartArray' node was expected.",
                def.name
            ))),
        },
        Kind::Computed | Kind::PasswordProfile => Ok(PVal::Null),
    }
}

/// Validate a passwordProfile object; returns forceChangePasswordNextSignIn and whether a
/// password was present. The password itself is checked and dropped here.
fn password_profile(v: &Value) -> Result<(Option<bool>, bool), GraphError> {
    let Value::Object(m) = v else {
        return Err(GraphError::bad_request(
            "A node of type 'PrimitiveValue' was read from the JSON reader when trying to read the contents of the property 'passwordProfile'; however, a 'StartObject' node was expected.",
        ));
    };
    let mut force = None;
    let mut has_password = false;
    for (k, v) in m {
        match k.as_str() {
            "password" => match v {
                Value::Null => {}
                Value::String(s) => {
                    if !password_ok(s) {
                        return Err(GraphError::request_bad_request(
                            "The specified password does not comply with password complexity requirements. Please provide a different password.",
                        ));
                    }
                    has_password = true;
                }
                other => return Err(literal_error(&redact_literal(other), "Edm.String")),
            },
            "forceChangePasswordNextSignIn" | "forceChangePasswordNextSignInWithMfa" => match v {
                Value::Bool(b) => {
                    if k == "forceChangePasswordNextSignIn" {
                        force = Some(*b);
                    }
                }
                Value::Null => {}
                other => return Err(literal_error(other, "Edm.Boolean")),
            },
            "@odata.type" => {}
            other => return Err(unknown_property(other, "microsoft.graph.passwordProfile")),
        }
    }
    Ok((force, has_password))
}

/// Never echo anything that was sent as a password, even a mistyped one.
fn redact_literal(_v: &Value) -> Value {
    Value::String("***".into())
}

/// Validate a create or update body the way the directory does. On success returns the values
/// to store; the password (if any) has been checked and is not part of the result.
pub(crate) fn validate(
    body: &Value,
    mode: Mode,
    domains: &[String],
    store: &Store,
) -> Result<Validated, GraphError> {
    let Value::Object(obj) = body else {
        return Err(GraphError::bad_request(
            "An unexpected node was found when reading from the JSON reader. A 'StartObject' node was expected.",
        ));
    };
    let mut out = Validated::default();
    let mut has_password = false;
    let mut has_profile = false;

    // OData layer: every name must exist, be writable, and carry a value of the right type.
    for (name, v) in obj {
        if name == "@odata.type" {
            match v.as_str() {
                Some("#microsoft.graph.user") | Some("microsoft.graph.user") => continue,
                _ => {
                    return Err(GraphError::bad_request(format!(
                        "A type named '{}' could not be resolved by the model.",
                        v.as_str().unwrap_or("")
                    )));
                }
            }
        }
        let Some(idx) = prop_index(name) else {
            return Err(unknown_property(name, "microsoft.graph.user"));
        };
        let def = &PROPS[idx];
        if def.access == Access::ReadOnly {
            return Err(GraphError::request_bad_request(format!(
                "Property '{name}' is read-only and cannot be set."
            )));
        }
        if def.kind == Kind::PasswordProfile {
            if !v.is_null() {
                let (force, pw) = password_profile(v)?;
                out.force_change = force;
                has_password = pw;
                has_profile = true;
            }
            continue;
        }
        out.vals.push((idx, convert(idx, v)?));
    }

    let get = |idx: usize| out.vals.iter().find(|(i, _)| *i == idx).map(|(_, v)| v);
    let is_missing = |idx: usize| match get(idx) {
        None | Some(PVal::Null) => true,
        Some(PVal::Str(s)) => s.trim().is_empty(),
        _ => false,
    };

    match mode {
        Mode::Create => {
            for idx in [ACCOUNT_ENABLED, DISPLAY_NAME, MAIL_NICKNAME] {
                if is_missing(idx) {
                    return Err(GraphError::required(PROPS[idx].name));
                }
            }
            if !has_profile {
                return Err(GraphError::required("passwordProfile"));
            }
            if !has_password {
                return Err(GraphError::required("password"));
            }
            if is_missing(UPN) {
                return Err(GraphError::required("userPrincipalName"));
            }
        }
        Mode::Update(_) => {
            for idx in [ACCOUNT_ENABLED, DISPLAY_NAME, MAIL_NICKNAME, UPN] {
                if get(idx).is_some() && is_missing(idx) {
                    return Err(GraphError::invalid_value(PROPS[idx].name));
                }
            }
            if has_profile && !has_password && out.force_change.is_none() {
                return Err(GraphError::required("password"));
            }
        }
    }

    // Directory layer: formats, lengths, uniqueness.
    if let Some(PVal::Str(upn)) = get(UPN) {
        validate_upn(upn, domains)?;
    }
    if let Some(PVal::Str(nick)) = get(MAIL_NICKNAME)
        && !mail_nickname_ok(nick)
    {
        return Err(GraphError::invalid_value("mailNickname"));
    }
    for (idx, val) in &out.vals {
        let def = &PROPS[*idx];
        match val {
            PVal::Str(s) => {
                if def.max > 0 && s.chars().count() > def.max {
                    return Err(GraphError::invalid_value(def.name));
                }
                let ok = match def.name {
                    "mail" => mail_ok(s),
                    "usageLocation" => s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()),
                    "userType" => {
                        s.eq_ignore_ascii_case("Member") || s.eq_ignore_ascii_case("Guest")
                    }
                    "preferredLanguage" => language_tag_ok(s),
                    _ => true,
                };
                if !ok {
                    return Err(GraphError::invalid_value(def.name));
                }
            }
            PVal::List(items) => {
                if def.name == "businessPhones" && items.len() > 1 {
                    return Err(GraphError::request_bad_request(
                        "Only one number can be set for property businessPhones.",
                    )
                    .detail("InvalidValue", "businessPhones"));
                }
                if items.iter().any(|i| i.chars().count() > def.max) {
                    return Err(GraphError::invalid_value(def.name));
                }
                if def.name == "otherMails" && !items.iter().all(|m| mail_ok(m)) {
                    return Err(GraphError::invalid_value(def.name));
                }
            }
            _ => {}
        }
    }
    let own_key = match mode {
        Mode::Create => None,
        Mode::Update(k) => Some(k),
    };
    if let Some(PVal::Str(upn)) = get(UPN)
        && let Some(other) = store.key_by_upn(&upn.to_lowercase())
        && Some(other) != own_key
    {
        return Err(duplicate_upn());
    }
    if let Some(PVal::Str(mail)) = get(MAIL)
        && let Some(other) = store.key_by_mail(&mail.to_lowercase())
        && Some(other) != own_key
    {
        return Err(duplicate_mail());
    }
    Ok(out)
}

/// `ll` or `ll-CC` (ISO 639-1 with optional ISO 3166 region), as the user resource documents.
fn language_tag_ok(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or("");
    let region = parts.next();
    parts.next().is_none()
        && (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn domains() -> Vec<String> {
        vec!["contoso.onmicrosoft.com".to_string()]
    }

    #[test]
    fn upn_rules() {
        let d = domains();
        assert!(validate_upn("a.b'c-d_e!f#g^h~i@contoso.onmicrosoft.com", &d).is_ok());
        assert!(validate_upn("Ann@CONTOSO.onmicrosoft.com", &d).is_ok());
        for bad in [
            "noat",
            "a@b@contoso.onmicrosoft.com",
            "@contoso.onmicrosoft.com",
            "ann.@contoso.onmicrosoft.com",
            "an n@contoso.onmicrosoft.com",
            "änn@contoso.onmicrosoft.com",
            "a&b@contoso.onmicrosoft.com",
        ] {
            let e = validate_upn(bad, &d).unwrap_err();
            assert_eq!(e.message, "Property userPrincipalName is invalid.", "{bad}");
        }
        let long = format!("{}@contoso.onmicrosoft.com", "a".repeat(65));
        assert!(validate_upn(&long, &d).is_err());
        let ok64 = format!("{}@contoso.onmicrosoft.com", "a".repeat(64));
        assert!(validate_upn(&ok64, &d).is_ok());
        let e = validate_upn("ann@fabrikam.com", &d).unwrap_err();
        assert!(e.message.starts_with("The domain portion"));
    }

    #[test]
    fn nickname_and_password_rules() {
        assert!(mail_nickname_ok("ann.o'brien"));
        for bad in [
            "", "a b", "a@b", "a,b", "a(b", "ä", "a;b", "a:b", "a<b", "a\"b", "a[b", "a\\b",
        ] {
            assert!(!mail_nickname_ok(bad), "{bad}");
        }
        assert!(!mail_nickname_ok(&"a".repeat(65)));
        assert!(password_ok("Passw0rd"));
        assert!(password_ok("password1!"));
        assert!(!password_ok("Pass0!"), "too short");
        assert!(!password_ok("password"), "one class");
        assert!(!password_ok("passwordA"), "two classes");
        assert!(!password_ok("Pässw0rd!"), "non-ASCII");
        assert!(!password_ok(&format!("Aa1{}", "x".repeat(254))), "too long");
    }

    #[test]
    fn validate_create_and_uniqueness() {
        let mut store = Store::new();
        let body = json!({
            "accountEnabled": true, "displayName": "Ann", "mailNickname": "ann",
            "userPrincipalName": "ann@contoso.onmicrosoft.com",
            "passwordProfile": {"password": "Passw0rd!", "forceChangePasswordNextSignIn": false}
        });
        let v = validate(&body, Mode::Create, &domains(), &store).unwrap();
        assert_eq!(v.force_change, Some(false));
        store.insert(v.vals, v.force_change);
        let e = validate(&body, Mode::Create, &domains(), &store).unwrap_err();
        assert!(e.message.starts_with("Another object"));
        let mut missing = body.clone();
        missing.as_object_mut().unwrap().remove("mailNickname");
        let e = validate(&missing, Mode::Create, &domains(), &store).unwrap_err();
        assert_eq!(
            e.message,
            "Property mailNickname value is required but is empty or missing."
        );
        let mut unknown = body.clone();
        unknown["favouriteColour"] = json!("blue");
        let e = validate(&unknown, Mode::Create, &domains(), &store).unwrap_err();
        assert_eq!(e.code, "BadRequest");
    }

    #[test]
    fn delta_tracking_by_property() {
        let mut store = Store::new();
        let key = store.insert(
            vec![
                (UPN, PVal::Str("a@x".into())),
                (DISPLAY_NAME, PVal::Str("A".into())),
            ],
            None,
        );
        let since = store.seq;
        assert!(!store.users[&key].changed_since(since, None));
        store.update(key, vec![(3, PVal::Str("Given".into()))], None);
        assert!(store.users[&key].changed_since(since, None));
        assert!(store.users[&key].changed_since(since, Some(&[3])));
        assert!(!store.users[&key].changed_since(since, Some(&[DISPLAY_NAME])));
        // Setting the same value is not a change.
        let since = store.seq;
        assert!(!store.update(key, vec![(3, PVal::Str("Given".into()))], None));
        assert!(!store.users[&key].changed_since(since, None));
    }
}
