//! Drupal → Entra: which group memberships a change of an account's roles implies.
//!
//! A group is added when a role that maps to it was gained and no role held before mapped to
//! it; removed when a role that mapped to it was lost and no role still held maps to it. So a
//! group backed by another role the account keeps is never removed. Without the roles before
//! (a new account, or a full reconcile), every group the current roles map to is added and none
//! is removed. Locked roles (`authenticated`, `anonymous`) map to nothing.

use super::rules::{LOCKED_ROLES, ProvisionRule, same_id};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipChange {
    pub group_id: String,
    /// The role that causes it: gained (add) or lost (remove); the first in rule order.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MembershipChanges {
    pub add: Vec<MembershipChange>,
    pub remove: Vec<MembershipChange>,
}

/// The groups `roles` map to, each once (by case-insensitive id), with the first role mapping it.
fn mapped_groups<'a>(rules: &'a [ProvisionRule], roles: &[String]) -> Vec<(&'a str, &'a str)> {
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for rule in rules {
        let counts = !LOCKED_ROLES.contains(&rule.role.as_str()) && roles.contains(&rule.role);
        if counts && !groups.iter().any(|(g, _)| same_id(g, &rule.group_id)) {
            groups.push((&rule.group_id, &rule.role));
        }
    }
    groups
}

pub fn membership_changes(
    rules: &[ProvisionRule],
    roles_before: Option<&[String]>,
    roles_after: &[String],
) -> MembershipChanges {
    let after = mapped_groups(rules, roles_after);
    let Some(roles_before) = roles_before else {
        return MembershipChanges {
            add: after.iter().map(|(g, r)| change(g, r)).collect(),
            remove: Vec::new(),
        };
    };
    let before = mapped_groups(rules, roles_before);
    let absent = |set: &[(&str, &str)], group: &str| !set.iter().any(|(g, _)| same_id(g, group));
    MembershipChanges {
        add: after
            .iter()
            .filter(|(g, _)| absent(&before, g))
            .map(|(g, r)| change(g, r))
            .collect(),
        remove: before
            .iter()
            .filter(|(g, _)| absent(&after, g))
            .map(|(g, r)| change(g, r))
            .collect(),
    }
}

fn change(group: &str, role: &str) -> MembershipChange {
    MembershipChange {
        group_id: group.to_owned(),
        role: role.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: &str = "11111111-0000-0000-0000-000000000001";
    const G2: &str = "11111111-0000-0000-0000-000000000002";

    fn rules() -> Vec<ProvisionRule> {
        [
            ("editor", G1),
            ("reviewer", G1),
            ("staff", G2),
            ("authenticated", G2),
        ]
        .into_iter()
        .map(|(role, g)| ProvisionRule {
            role: role.into(),
            group_id: g.into(),
        })
        .collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn a_group_backed_by_another_kept_role_stays() {
        let r = rules();
        let c = membership_changes(&r, Some(&s(&["editor", "reviewer"])), &s(&["reviewer"]));
        assert_eq!(
            c,
            MembershipChanges::default(),
            "G1 is still backed by reviewer"
        );
        let c = membership_changes(&r, Some(&s(&["editor"])), &s(&[]));
        assert_eq!(c.remove, vec![change(G1, "editor")]);
        let c = membership_changes(
            &r,
            Some(&s(&["authenticated"])),
            &s(&["authenticated", "staff"]),
        );
        assert_eq!(c.add, vec![change(G2, "staff")]);
        assert!(c.remove.is_empty());
    }

    #[test]
    fn without_roles_before_every_mapped_group_is_added() {
        let c = membership_changes(&rules(), None, &s(&["authenticated", "reviewer", "editor"]));
        assert_eq!(
            c.add,
            vec![change(G1, "editor")],
            "once per group, locked roles map nothing"
        );
        assert!(c.remove.is_empty());
    }
}
