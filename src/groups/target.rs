//! Drupal → Entra: whether a group may receive members because a Drupal account holds a role.
//! Asked when a rule is configured (the form) and again by the library right before every write
//! (`sync`), since a group's kind can change in between.
//!
//! Refused, in this order:
//! - role-assignable (`isAssignableToRole`): its members hold an Entra directory role, and a
//!   Drupal role must never grant one;
//! - dynamic (`membershipRule`, or `DynamicMembership` in `groupTypes`): Entra computes its
//!   members and refuses additions;
//! - synced from on-premises AD (`onPremisesSyncEnabled`): its members are managed there, and
//!   the cloud refuses changes;
//! - mail-enabled security groups and distribution groups: Graph's groups overview ("Working
//!   with groups in Microsoft Graph") lists them as read-only through Graph: only Microsoft 365
//!   (`Unified`) and security groups can be managed.

use serde::Serialize;
use serde_json::Value;

/// The group properties a target check reads (the `$select` of every group read).
pub const TARGET_PROPERTIES: [&str; 9] = [
    "id",
    "displayName",
    "description",
    "groupTypes",
    "mailEnabled",
    "securityEnabled",
    "isAssignableToRole",
    "membershipRule",
    "onPremisesSyncEnabled",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    RoleAssignable,
    Dynamic,
    OnPremises,
    MailEnabledSecurity,
    Distribution,
    /// Neither a security nor a Microsoft 365 group (no kind Graph can manage).
    UnsupportedKind,
    /// No such group in Entra (a run-time check found it gone).
    NotFound,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::RoleAssignable => {
                "the group is role-assignable: its members hold an Entra directory role, which a Drupal role must never grant"
            }
            Refusal::Dynamic => {
                "the group has dynamic membership: Entra computes its members from a rule and refuses additions and removals"
            }
            Refusal::OnPremises => {
                "the group is synchronised from on-premises Active Directory: its members are managed there, not in Entra ID"
            }
            Refusal::MailEnabledSecurity => {
                "the group is a mail-enabled security group, which is read-only through Microsoft Graph (manage it in Exchange)"
            }
            Refusal::Distribution => {
                "the group is a distribution list (mail-enabled only), which is read-only through Microsoft Graph"
            }
            Refusal::UnsupportedKind => {
                "the group is neither a security group nor a Microsoft 365 group"
            }
            Refusal::NotFound => "no group with this id exists in Entra ID",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub allowed: bool,
    pub reason: Option<Refusal>,
    pub message: Option<&'static str>,
}

impl Target {
    pub fn refused(reason: Refusal) -> Target {
        Target {
            allowed: false,
            reason: Some(reason),
            message: Some(reason.message()),
        }
    }

    fn allowed() -> Target {
        Target {
            allowed: true,
            reason: None,
            message: None,
        }
    }
}

/// Whether `group` (a Graph group object with `TARGET_PROPERTIES`) may receive members.
/// A property Graph sends as null or leaves out counts as false (Graph does so for groups where
/// it was never set, e.g. `isAssignableToRole`).
pub fn check(group: &Value) -> Target {
    let flag = |k: &str| group.get(k).and_then(Value::as_bool).unwrap_or(false);
    let types: Vec<&str> = group
        .get("groupTypes")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let has_type = |t: &str| types.iter().any(|x| x.eq_ignore_ascii_case(t));
    let rule = group
        .get("membershipRule")
        .and_then(Value::as_str)
        .is_some_and(|r| !r.trim().is_empty());
    let refusal = if flag("isAssignableToRole") {
        Some(Refusal::RoleAssignable)
    } else if rule || has_type("DynamicMembership") {
        Some(Refusal::Dynamic)
    } else if flag("onPremisesSyncEnabled") {
        Some(Refusal::OnPremises)
    } else if has_type("Unified") {
        None
    } else {
        match (flag("mailEnabled"), flag("securityEnabled")) {
            (false, true) => None,
            (true, true) => Some(Refusal::MailEnabledSecurity),
            (true, false) => Some(Refusal::Distribution),
            (false, false) => Some(Refusal::UnsupportedKind),
        }
    };
    refusal.map_or_else(Target::allowed, Target::refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_plain_security_and_microsoft_365_groups_are_targets() {
        let cases = [
            (
                json!({"securityEnabled": true, "mailEnabled": false, "groupTypes": []}),
                None,
            ),
            (
                json!({"securityEnabled": false, "mailEnabled": true, "groupTypes": ["Unified"]}),
                None,
            ),
            (
                json!({"securityEnabled": true, "mailEnabled": false, "groupTypes": [], "isAssignableToRole": true}),
                Some(Refusal::RoleAssignable),
            ),
            (
                json!({"securityEnabled": true, "groupTypes": ["DynamicMembership"], "membershipRule": "user.department -eq \"x\""}),
                Some(Refusal::Dynamic),
            ),
            (
                json!({"securityEnabled": true, "groupTypes": [], "membershipRule": "user.city -eq \"y\""}),
                Some(Refusal::Dynamic),
            ),
            (
                json!({"securityEnabled": true, "mailEnabled": false, "onPremisesSyncEnabled": true}),
                Some(Refusal::OnPremises),
            ),
            (
                json!({"securityEnabled": true, "mailEnabled": true, "groupTypes": []}),
                Some(Refusal::MailEnabledSecurity),
            ),
            (
                json!({"securityEnabled": false, "mailEnabled": true, "groupTypes": []}),
                Some(Refusal::Distribution),
            ),
            (
                json!({"securityEnabled": false, "mailEnabled": false}),
                Some(Refusal::UnsupportedKind),
            ),
            (
                json!({"securityEnabled": true, "isAssignableToRole": null, "membershipRule": null}),
                None,
            ),
        ];
        for (group, want) in cases {
            let t = check(&group);
            assert_eq!(t.reason, want, "{group}");
            assert_eq!(t.allowed, want.is_none());
            assert_eq!(t.message.is_some(), want.is_some());
        }
    }
}
