//! The groups of the directory and their direct memberships.
//!
//! Every change carries a sequence number of this store's own clock: property writes on the
//! group, each member added or removed (as an event, so delta can report removals), and group
//! deletions (as tombstones). "What changed since token T" is then a scan for sequence numbers
//! above T's, as for users.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::kind::GroupKind;

/// What a member reference points at. Users and groups are the member types the emulator
/// models (Graph also allows devices, service principals and org contacts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MemberType {
    User,
    Group,
}

impl MemberType {
    pub fn odata_type(self) -> &'static str {
        match self {
            MemberType::User => "#microsoft.graph.user",
            MemberType::Group => "#microsoft.graph.group",
        }
    }
}

/// A direct member: its type and lowercase object id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Member {
    pub kind: MemberType,
    pub id: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub key: u64,
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    pub mail_enabled: bool,
    pub mail_nickname: String,
    pub mail: Option<String>,
    pub security_enabled: bool,
    pub group_types: Vec<String>,
    pub is_assignable_to_role: bool,
    pub membership_rule: Option<String>,
    pub membership_rule_processing_state: Option<String>,
    pub created: String,
    /// Direct members in the order they were added (Graph lists them in no documented order).
    pub members: Vec<Member>,
    /// Sequence of the last property write (creation included).
    pub prop_seq: u64,
}

impl Group {
    pub fn is_unified(&self) -> bool {
        self.group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("Unified"))
    }

    /// `groupTypes` contains `DynamicMembership` ("group resource type": membership is then
    /// evaluated from `membershipRule`, and members cannot be added or removed by hand).
    pub fn is_dynamic(&self) -> bool {
        self.group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("DynamicMembership"))
    }

    pub fn has_member(&self, id: &str) -> bool {
        self.members.iter().any(|m| m.id == id)
    }

    /// The full object, as the control API shows it.
    pub fn render_internal(&self) -> Value {
        json!({
            "id": self.id,
            "displayName": self.display_name,
            "description": self.description,
            "mailEnabled": self.mail_enabled,
            "mailNickname": self.mail_nickname,
            "mail": self.mail,
            "securityEnabled": self.security_enabled,
            "groupTypes": self.group_types,
            "isAssignableToRole": self.is_assignable_to_role,
            "membershipRule": self.membership_rule,
            "membershipRuleProcessingState": self.membership_rule_processing_state,
            "createdDateTime": self.created,
            "members": self.members.iter().map(|m| json!({
                "@odata.type": m.kind.odata_type(),
                "id": m.id,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A membership change, kept for delta.
#[derive(Debug, Clone)]
pub(crate) struct MemberEvent {
    pub seq: u64,
    pub group_key: u64,
    pub member: Member,
}

/// A deleted group, kept for delta: `unified` decides the `@removed` reason.
#[derive(Debug, Clone)]
pub(crate) struct GroupTombstone {
    pub seq: u64,
    pub id: String,
    pub unified: bool,
}

#[derive(Debug, Default)]
pub(crate) struct GroupStore {
    pub groups: BTreeMap<u64, Group>,
    by_id: HashMap<String, u64>,
    next_key: u64,
    pub seq: u64,
    pub events: Vec<MemberEvent>,
    pub tombstones: Vec<GroupTombstone>,
    /// Memberships of soft-deleted users, by user id: given back on restore, as Entra restores
    /// a restored user's group memberships.
    suspended: HashMap<String, Vec<u64>>,
}

/// What a seed or the control API asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewGroup {
    pub id: Option<String>,
    pub display_name: String,
    pub description: Option<String>,
    pub kind: GroupKind,
    pub mail_nickname: Option<String>,
    pub membership_rule: Option<String>,
}

impl GroupStore {
    pub fn clear(&mut self) {
        *self = GroupStore::default();
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn key_by_id(&self, id: &str) -> Option<u64> {
        self.by_id.get(&id.to_lowercase()).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Group> {
        self.key_by_id(id).and_then(|k| self.groups.get(&k))
    }

    pub fn insert(&mut self, g: NewGroup) -> Result<u64, String> {
        let name = g.display_name.trim();
        if name.is_empty() {
            return Err("a group needs a displayName".into());
        }
        let id = match g.id {
            Some(id) => {
                let id = id.trim().to_lowercase();
                if !crate::users::looks_like_guid(&id) {
                    return Err(format!("group id '{id}' is not a GUID"));
                }
                id
            }
            None => crate::new_guid(),
        };
        if self.by_id.contains_key(&id) {
            return Err(format!("a group with id '{id}' already exists"));
        }
        let props = g.kind.properties();
        let nickname = g.mail_nickname.unwrap_or_else(|| {
            let n: String = name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .take(64)
                .collect();
            if n.is_empty() { "group".into() } else { n }
        });
        let rule = match (g.membership_rule, props.dynamic) {
            (Some(r), _) => Some(r),
            (None, true) => Some("(user.department -eq \"Sales\")".to_string()),
            (None, false) => None,
        };
        let seq = self.next_seq();
        self.next_key += 1;
        let key = self.next_key;
        let mut group_types = Vec::new();
        if props.unified {
            group_types.push("Unified".to_string());
        }
        if props.dynamic {
            group_types.push("DynamicMembership".to_string());
        }
        let group = Group {
            key,
            id: id.clone(),
            display_name: name.to_string(),
            description: g.description,
            mail_enabled: props.mail_enabled,
            mail: props
                .mail_enabled
                .then(|| format!("{nickname}@contoso.onmicrosoft.com")),
            mail_nickname: nickname,
            security_enabled: props.security_enabled,
            group_types,
            is_assignable_to_role: props.role_assignable,
            membership_rule_processing_state: props.dynamic.then(|| "On".to_string()),
            membership_rule: if props.dynamic { rule } else { None },
            created: crate::clock::iso_now(),
            members: Vec::new(),
            prop_seq: seq,
        };
        self.groups.insert(key, group);
        self.by_id.insert(id, key);
        Ok(key)
    }

    /// Add a direct member; `false` if it already was one.
    pub fn add_member(&mut self, group_key: u64, member: Member) -> bool {
        if self
            .groups
            .get(&group_key)
            .is_none_or(|g| g.has_member(&member.id))
        {
            return false;
        }
        let seq = self.next_seq();
        if let Some(g) = self.groups.get_mut(&group_key) {
            g.members.push(member.clone());
        }
        self.events.push(MemberEvent {
            seq,
            group_key,
            member,
        });
        true
    }

    /// Remove a direct member; `false` if it was not one.
    pub fn remove_member(&mut self, group_key: u64, member_id: &str) -> bool {
        let Some(pos) = self
            .groups
            .get(&group_key)
            .and_then(|g| g.members.iter().position(|m| m.id == member_id))
        else {
            return false;
        };
        let seq = self.next_seq();
        let member = match self.groups.get_mut(&group_key) {
            Some(g) => g.members.remove(pos),
            None => return false,
        };
        self.events.push(MemberEvent {
            seq,
            group_key,
            member,
        });
        true
    }

    /// A user was soft-deleted: it leaves every group (Entra drops a deleted user from its
    /// groups, and groups delta reports it under `members@delta` with `@removed`). The
    /// memberships are remembered for a restore.
    pub fn suspend_user(&mut self, user_id: &str) {
        let keys: Vec<u64> = self
            .groups
            .values()
            .filter(|g| g.has_member(user_id))
            .map(|g| g.key)
            .collect();
        for k in &keys {
            self.remove_member(*k, user_id);
        }
        if !keys.is_empty() {
            self.suspended.insert(user_id.to_string(), keys);
        }
    }

    /// A soft-deleted user was restored: it is a member again of the groups that still exist.
    pub fn restore_user(&mut self, user_id: &str) {
        for k in self.suspended.remove(user_id).unwrap_or_default() {
            self.add_member(
                k,
                Member {
                    kind: MemberType::User,
                    id: user_id.to_string(),
                },
            );
        }
    }

    /// A user was permanently deleted: its memberships are gone for good.
    pub fn purge_user(&mut self, user_id: &str) {
        self.suspended.remove(user_id);
        let keys: Vec<u64> = self
            .groups
            .values()
            .filter(|g| g.has_member(user_id))
            .map(|g| g.key)
            .collect();
        for k in keys {
            self.remove_member(k, user_id);
        }
    }

    /// Delete a group: it leaves the groups it was a member of and leaves a tombstone.
    pub fn delete(&mut self, key: u64) -> bool {
        let Some(g) = self.groups.remove(&key) else {
            return false;
        };
        self.by_id.remove(&g.id);
        let parents: Vec<u64> = self
            .groups
            .values()
            .filter(|p| p.has_member(&g.id))
            .map(|p| p.key)
            .collect();
        for p in parents {
            self.remove_member(p, &g.id);
        }
        for keys in self.suspended.values_mut() {
            keys.retain(|k| *k != key);
        }
        let seq = self.next_seq();
        self.tombstones.push(GroupTombstone {
            seq,
            id: g.id.clone(),
            unified: g.is_unified(),
        });
        true
    }

    /// Groups that contain `id` directly.
    pub fn direct_parents(&self, id: &str) -> Vec<&Group> {
        self.groups.values().filter(|g| g.has_member(id)).collect()
    }

    /// Groups that contain `id` directly or through nested groups, nearest first, each once.
    pub fn transitive_parents(&self, id: &str) -> Vec<&Group> {
        let mut out: Vec<&Group> = Vec::new();
        let mut frontier = vec![id.to_string()];
        while let Some(current) = frontier.pop() {
            for g in self.direct_parents(&current) {
                if !out.iter().any(|o| o.key == g.key) {
                    out.push(g);
                    frontier.push(g.id.clone());
                }
            }
        }
        out
    }

    /// Members of a group, direct and through nested groups (nested groups themselves
    /// included, as `transitiveMembers` lists them), each once.
    pub fn transitive_members(&self, key: u64) -> Vec<Member> {
        let mut out: Vec<Member> = Vec::new();
        let mut seen_groups = vec![key];
        let mut frontier = vec![key];
        while let Some(k) = frontier.pop() {
            let Some(g) = self.groups.get(&k) else {
                continue;
            };
            for m in &g.members {
                if !out.contains(m) {
                    out.push(m.clone());
                }
                if m.kind == MemberType::Group
                    && let Some(child) = self.key_by_id(&m.id)
                    && !seen_groups.contains(&child)
                {
                    seen_groups.push(child);
                    frontier.push(child);
                }
            }
        }
        out
    }

    /// Whether adding `candidate` (a group) to `group_key` would make a group contain itself.
    pub fn would_cycle(&self, group_key: u64, candidate: &str) -> bool {
        let Some(g) = self.groups.get(&group_key) else {
            return false;
        };
        if g.id == candidate {
            return true;
        }
        self.transitive_parents(&g.id)
            .iter()
            .any(|p| p.id == candidate)
            || self
                .key_by_id(candidate)
                .is_some_and(|c| self.transitive_members(c).iter().any(|m| m.id == g.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(store: &mut GroupStore, name: &str) -> u64 {
        store
            .insert(NewGroup {
                display_name: name.into(),
                ..Default::default()
            })
            .unwrap()
    }

    fn user(id: &str) -> Member {
        Member {
            kind: MemberType::User,
            id: id.into(),
        }
    }

    #[test]
    fn nesting_and_transitive_views() {
        let mut s = GroupStore::default();
        let outer = group(&mut s, "Outer");
        let inner = group(&mut s, "Inner");
        let inner_id = s.groups[&inner].id.clone();
        assert!(s.add_member(
            outer,
            Member {
                kind: MemberType::Group,
                id: inner_id.clone()
            }
        ));
        assert!(s.add_member(inner, user("u1")));
        assert!(!s.add_member(inner, user("u1")));
        let names: Vec<&str> = s
            .transitive_parents("u1")
            .iter()
            .map(|g| g.display_name.as_str())
            .collect();
        assert_eq!(names, vec!["Inner", "Outer"]);
        let members = s.transitive_members(outer);
        assert_eq!(members.len(), 2);
        assert!(s.would_cycle(inner, &s.groups[&outer].id.clone()));
        assert!(!s.would_cycle(outer, "u1"));
    }

    #[test]
    fn user_suspension_round_trip_and_events() {
        let mut s = GroupStore::default();
        let g = group(&mut s, "G");
        s.add_member(g, user("u1"));
        let before = s.seq;
        s.suspend_user("u1");
        assert!(!s.groups[&g].has_member("u1"));
        assert!(s.events.iter().any(|e| e.seq > before));
        s.restore_user("u1");
        assert!(s.groups[&g].has_member("u1"));
        assert!(s.delete(g));
        assert_eq!(s.tombstones.len(), 1);
        assert!(s.get(&s.tombstones[0].id.clone()).is_none());
    }
}
