//! The user collection: users and their stored values, lookups by id, UPN and mail, the indexes
//! that keep UPN and mail unique, soft delete, restore and purge.
//!
//! Users live in a `BTreeMap` keyed by a creation counter, which gives stable paging order and
//! cheap `$skiptoken`s; `id`, lowercase `userPrincipalName` and lowercase `mail` are indexed so
//! that lookups and uniqueness checks stay O(1) at 100k users. Every property value carries the
//! change sequence number that last touched it, which is all delta query needs.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::schema::{
    ACCOUNT_ENABLED, CREATED, DEFAULT_SET, DELETED, DISPLAY_NAME, ID, Kind, MAIL, MAIL_NICKNAME,
    PASSWORD_PROFILE, PROPS, UPN, prop_index,
};
use super::validation::{NICKNAME_FORBIDDEN, duplicate_mail, duplicate_upn};
use crate::config::SeedUser;
use crate::errors::GraphError;
use crate::odata::FilterValue;

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

    /// The directory's uniqueness rule: no active user but `own` may hold `upn` or `mail`
    /// (compared case-insensitively).
    pub fn check_unique(
        &self,
        upn: Option<&str>,
        mail: Option<&str>,
        own: Option<u64>,
    ) -> Result<(), GraphError> {
        if let Some(upn) = upn
            && let Some(other) = self.key_by_upn(&upn.to_lowercase())
            && Some(other) != own
        {
            return Err(duplicate_upn());
        }
        if let Some(mail) = mail
            && let Some(other) = self.key_by_mail(&mail.to_lowercase())
            && Some(other) != own
        {
            return Err(duplicate_mail());
        }
        Ok(())
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
        self.check_unique(Some(u.upn()), u.str(MAIL), Some(key))?;
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A user with this UPN and mail, as validation would pass them to the store.
    fn insert_with(store: &mut Store, upn: &str, mail: &str) -> u64 {
        let vals = [(UPN, upn), (MAIL, mail)];
        store.insert(
            vals.map(|(idx, s)| (idx, PVal::Str(s.into()))).to_vec(),
            None,
        )
    }

    #[test]
    fn upn_and_mail_are_unique_among_active_users() {
        let mut store = Store::new();
        let ann = insert_with(&mut store, "Ann@x", "Ann@Mail.x");
        let message = |r: Result<(), GraphError>| r.unwrap_err().message;
        assert!(
            message(store.check_unique(Some("ANN@X"), None, None)).contains("userPrincipalName")
        );
        assert!(
            message(store.check_unique(Some("bob@x"), Some("ann@mail.X"), None))
                .contains("proxyAddresses")
        );
        // A user does not conflict with itself.
        assert!(
            store
                .check_unique(Some("ann@x"), Some("ann@mail.x"), Some(ann))
                .is_ok()
        );
        // A soft-deleted user's UPN and mail are free, and taking one blocks the restore.
        store.soft_delete(ann);
        assert!(
            store
                .check_unique(Some("ann@x"), Some("ann@mail.x"), None)
                .is_ok()
        );
        let bob = insert_with(&mut store, "bob@x", "ann@mail.x");
        assert!(message(store.restore(ann)).contains("proxyAddresses"));
        store.soft_delete(bob);
        assert!(store.restore(ann).is_ok());
        assert_eq!(store.key_by_mail("ann@mail.x"), Some(ann));
    }
}
