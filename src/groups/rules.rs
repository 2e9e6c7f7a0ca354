//! The mapping rules of both directions and the facts about Drupal roles they are judged by.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Drupal's two locked roles: every account has `authenticated`, none has `anonymous`. No rule
/// may grant, revoke or follow them.
pub const LOCKED_ROLES: [&str; 2] = ["authenticated", "anonymous"];

/// Entra → Drupal: members (transitively) of `group_id` get `role`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ImportRule {
    pub group_id: String,
    pub role: String,
    /// The admin ticked "I confirm" for this rule in the form: required when `role` is the
    /// admin role or carries a restricted permission.
    #[serde(default)]
    pub confirmed: bool,
}

/// Drupal → Entra: holders of `role` are direct members of `group_id`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProvisionRule {
    pub role: String,
    pub group_id: String,
}

/// What the host knows of one Drupal role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct RoleFact {
    /// The site's administrator role (`is_admin` in Drupal: holds every permission).
    pub is_admin: bool,
    /// Holds at least one permission declared `restrict access: true`.
    pub restricted: bool,
}

impl RoleFact {
    /// Granting this role hands out more than ordinary content rights.
    pub fn is_sensitive(self) -> bool {
        self.is_admin || self.restricted
    }
}

/// Role id → facts, for every role of the site.
pub type RoleFacts = BTreeMap<String, RoleFact>;

/// Why an import rule does not take effect (the `reason` of a refused rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleProblem {
    /// The role is `authenticated` or `anonymous`.
    LockedRole,
    /// No role of this id exists on the site (not in the role facts).
    UnknownRole,
    /// The role is the admin role or carries a restricted permission, and the rule is not
    /// confirmed.
    ConfirmationRequired,
    /// The group id is not an Entra object id (a GUID).
    InvalidGroupId,
}

impl RuleProblem {
    pub fn message(self, role: &str, group_id: &str) -> String {
        match self {
            RuleProblem::LockedRole => format!(
                "the role \"{role}\" is one of Drupal's locked roles (authenticated, anonymous): no rule may grant or follow it"
            ),
            RuleProblem::UnknownRole => format!("no role \"{role}\" exists on this site"),
            RuleProblem::ConfirmationRequired => format!(
                "the role \"{role}\" is the administrator role or holds a restricted permission: tick the confirmation of this rule to let group {group_id} grant it"
            ),
            RuleProblem::InvalidGroupId => format!(
                "\"{group_id}\" is not an Entra group object id (a GUID): pick the group with the search"
            ),
        }
    }
}

/// A rule that does not take effect, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedRule {
    pub group_id: String,
    pub role: String,
    pub reason: RuleProblem,
    pub message: String,
}

/// The problem of the role a rule names, before confirmation is considered.
pub fn role_problem(role: &str, facts: &RoleFacts) -> Option<RuleProblem> {
    if LOCKED_ROLES.contains(&role) {
        Some(RuleProblem::LockedRole)
    } else if !facts.contains_key(role) {
        Some(RuleProblem::UnknownRole)
    } else {
        None
    }
}

/// Whether an import rule takes effect, and if not why. A role missing from the facts counts
/// as unknown (never as harmless): the host sends every role of the site.
pub fn import_rule_problem(rule: &ImportRule, facts: &RoleFacts) -> Option<RuleProblem> {
    if !crate::config::is_guid(rule.group_id.trim()) {
        return Some(RuleProblem::InvalidGroupId);
    }
    if let Some(problem) = role_problem(&rule.role, facts) {
        return Some(problem);
    }
    let sensitive = facts.get(&rule.role).is_some_and(|f| f.is_sensitive());
    (sensitive && !rule.confirmed).then_some(RuleProblem::ConfirmationRequired)
}

/// Splits import rules into those that take effect and those refused (with why).
pub fn effective_import_rules<'a>(
    rules: &'a [ImportRule],
    facts: &RoleFacts,
) -> (Vec<&'a ImportRule>, Vec<RefusedRule>) {
    let mut effective = Vec::new();
    let mut refused = Vec::new();
    for rule in rules {
        match import_rule_problem(rule, facts) {
            None => effective.push(rule),
            Some(reason) => refused.push(RefusedRule {
                group_id: rule.group_id.clone(),
                role: rule.role.clone(),
                reason,
                message: reason.message(&rule.role, &rule.group_id),
            }),
        }
    }
    (effective, refused)
}

/// Group ids compare case-insensitively (GUIDs), and hosts may send either case.
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: &str = "11111111-0000-0000-0000-000000000001";

    fn facts() -> RoleFacts {
        let mut f = RoleFacts::new();
        f.insert("editor".into(), RoleFact::default());
        f.insert(
            "administrator".into(),
            RoleFact {
                is_admin: true,
                restricted: true,
            },
        );
        f.insert(
            "auditor".into(),
            RoleFact {
                is_admin: false,
                restricted: true,
            },
        );
        f
    }

    fn rule(role: &str, confirmed: bool) -> ImportRule {
        ImportRule {
            group_id: G1.into(),
            role: role.into(),
            confirmed,
        }
    }

    #[test]
    fn sensitive_roles_need_confirmation_and_unknown_ones_never_pass() {
        let f = facts();
        assert_eq!(import_rule_problem(&rule("editor", false), &f), None);
        assert_eq!(
            import_rule_problem(&rule("administrator", false), &f),
            Some(RuleProblem::ConfirmationRequired)
        );
        assert_eq!(
            import_rule_problem(&rule("auditor", false), &f),
            Some(RuleProblem::ConfirmationRequired)
        );
        assert_eq!(import_rule_problem(&rule("auditor", true), &f), None);
        assert_eq!(
            import_rule_problem(&rule("ghost", true), &f),
            Some(RuleProblem::UnknownRole)
        );
        assert_eq!(
            import_rule_problem(&rule("authenticated", true), &f),
            Some(RuleProblem::LockedRole)
        );
        let bad = ImportRule {
            group_id: "Engineering".into(),
            ..rule("editor", false)
        };
        assert_eq!(
            import_rule_problem(&bad, &f),
            Some(RuleProblem::InvalidGroupId)
        );
        let rules = [rule("editor", false), rule("administrator", false)];
        let (ok, refused) = effective_import_rules(&rules, &f);
        assert_eq!(ok.len(), 1);
        assert_eq!(refused[0].reason, RuleProblem::ConfirmationRequired);
        assert!(refused[0].message.contains("administrator"));
    }
}
