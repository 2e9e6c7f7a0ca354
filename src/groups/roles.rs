//! Entra → Drupal: which Drupal roles an imported account gains and loses by its Entra groups.
//!
//! - uid 1's roles are never changed.
//! - A role no effective rule maps is never touched (granted or revoked).
//! - A rule that would grant the admin role or a role with a restricted permission takes effect
//!   only when confirmed; an unconfirmed one is reported as refused and neither grants nor backs
//!   its role.
//! - A mapped role is granted when one of its groups contains the account (transitively: the
//!   host sends `member_of` as the library computed it); in strict mode a mapped role the
//!   account holds is revoked when none of its groups does.
//! - Every grant names the group that caused it, every revoke the groups that no longer back it.

use super::rules::{ImportRule, RefusedRule, RoleFacts, effective_import_rules, same_id};
use crate::matching::SUPERUSER_UID;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub role: String,
    /// The (first, in rule order) mapped group the account is in that maps this role.
    pub group_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revoke {
    pub role: String,
    /// The groups that map this role, none of which the account is in any more.
    pub group_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleChanges {
    pub grant: Vec<Grant>,
    pub revoke: Vec<Revoke>,
    /// Rules that did not take effect, with why (the same for every account: log them once).
    pub refused_rules: Vec<RefusedRule>,
    /// Set when the account is left as it is whatever the rules say: `superuser` (uid 1).
    pub untouched_reason: Option<&'static str>,
}

/// The account's role changes. `roles` are its current Drupal role ids; `member_of` the ids of
/// the mapped groups it is in, directly or through nested groups.
pub fn role_changes(
    rules: &[ImportRule],
    strict: bool,
    uid: u64,
    roles: &[String],
    member_of: &[String],
    facts: &RoleFacts,
) -> RoleChanges {
    let (effective, refused_rules) = effective_import_rules(rules, facts);
    let mut changes = RoleChanges {
        grant: Vec::new(),
        revoke: Vec::new(),
        refused_rules,
        untouched_reason: None,
    };
    if uid == SUPERUSER_UID {
        changes.untouched_reason = Some("superuser");
        return changes;
    }
    let holds = |role: &str| roles.iter().any(|r| r == role);
    let is_member = |group: &str| member_of.iter().any(|g| same_id(g, group));
    // Each mapped role once, in the order its first rule appears.
    let mut mapped: Vec<&str> = Vec::new();
    for rule in &effective {
        if !mapped.contains(&rule.role.as_str()) {
            mapped.push(&rule.role);
        }
    }
    for role in mapped {
        let groups: Vec<&str> = effective
            .iter()
            .filter(|r| r.role == role)
            .map(|r| r.group_id.as_str())
            .collect();
        match groups.iter().find(|g| is_member(g)) {
            Some(group) if !holds(role) => changes.grant.push(Grant {
                role: role.to_owned(),
                group_id: (*group).to_owned(),
            }),
            Some(_) => {}
            None if strict && holds(role) => changes.revoke.push(Revoke {
                role: role.to_owned(),
                group_ids: groups.iter().map(|g| (*g).to_owned()).collect(),
            }),
            None => {}
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::super::rules::{RoleFact, RuleProblem};
    use super::*;

    const G1: &str = "11111111-0000-0000-0000-000000000001";
    const G2: &str = "11111111-0000-0000-0000-000000000002";
    const G3: &str = "11111111-0000-0000-0000-000000000003";

    fn facts() -> RoleFacts {
        [
            ("editor", RoleFact::default()),
            ("reviewer", RoleFact::default()),
            (
                "administrator",
                RoleFact {
                    is_admin: true,
                    restricted: true,
                },
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn rule(group: &str, role: &str, confirmed: bool) -> ImportRule {
        ImportRule {
            group_id: group.into(),
            role: role.into(),
            confirmed,
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn membership_grants_and_strict_mode_revokes_only_mapped_roles() {
        let rules = [
            rule(G1, "editor", false),
            rule(G2, "editor", false),
            rule(G3, "reviewer", false),
        ];
        let f = facts();
        // In G2 (say through a nested group): editor granted, naming G2.
        let c = role_changes(&rules, false, 7, &s(&["authenticated"]), &s(&[G2]), &f);
        assert_eq!(
            c.grant,
            vec![Grant {
                role: "editor".into(),
                group_id: G2.into()
            }]
        );
        assert!(c.revoke.is_empty());
        // Not strict: a mapped role no group backs stays.
        let c = role_changes(&rules, false, 7, &s(&["reviewer", "custom"]), &[], &f);
        assert!(c.grant.is_empty() && c.revoke.is_empty());
        // Strict: it goes, naming the groups that mapped it; the unmapped role stays.
        let c = role_changes(&rules, true, 7, &s(&["reviewer", "custom"]), &[], &f);
        assert_eq!(
            c.revoke,
            vec![Revoke {
                role: "reviewer".into(),
                group_ids: s(&[G3])
            }]
        );
        // Already held and backed: nothing.
        let c = role_changes(
            &rules,
            true,
            7,
            &s(&["editor"]),
            &s(&[&G1.to_uppercase()]),
            &f,
        );
        assert!(c.grant.is_empty() && c.revoke.is_empty(), "{c:?}");
    }

    #[test]
    fn uid_1_is_never_changed() {
        let rules = [rule(G1, "editor", false)];
        let c = role_changes(&rules, true, 1, &s(&["reviewer"]), &s(&[G1]), &facts());
        assert!(c.grant.is_empty() && c.revoke.is_empty());
        assert_eq!(c.untouched_reason, Some("superuser"));
    }

    #[test]
    fn an_unconfirmed_admin_rule_grants_nothing_and_is_reported() {
        let rules = [rule(G1, "administrator", false)];
        let c = role_changes(&rules, true, 7, &s(&["administrator"]), &s(&[G1]), &facts());
        assert!(c.grant.is_empty());
        assert!(
            c.revoke.is_empty(),
            "a refused rule maps nothing: the role is not touched"
        );
        assert_eq!(c.refused_rules[0].reason, RuleProblem::ConfirmationRequired);
        let confirmed = [rule(G1, "administrator", true)];
        let c = role_changes(&confirmed, true, 7, &[], &s(&[G1]), &facts());
        assert_eq!(c.grant[0].role, "administrator");
    }
}
