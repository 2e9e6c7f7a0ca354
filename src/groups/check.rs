//! Form validation of the group ↔ role rules of both directions: every problem against the rule
//! (and field) that causes it, in the words the form shows.

use super::rules::{ImportRule, ProvisionRule, RoleFacts, import_rule_problem, role_problem};
use super::target;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleError {
    /// `entra_to_drupal` (import rules) or `drupal_to_entra` (provisioning rules).
    pub direction: &'static str,
    /// The rule's position in its list.
    pub index: usize,
    /// The form element at fault: `group_id`, `role` or `confirmed`.
    pub field: &'static str,
    /// A stable code: a rule problem (`confirmation_required`, `unknown_role`, ...), a target
    /// refusal (`role_assignable`, `dynamic`, ...), `group_not_found` or `duplicate`.
    pub reason: String,
    pub message: String,
}

/// `groups` holds what `entra_groups` op `get` answered, by id: the group object, or null for a
/// group Graph does not have. A rule's group missing from it is reported as not found (the host
/// looks every rule's group up before it asks).
pub fn check(
    import: &[ImportRule],
    provision: &[ProvisionRule],
    facts: &RoleFacts,
    groups: &Map<String, Value>,
) -> Vec<RuleError> {
    let mut errors = Vec::new();
    let group = |id: &str| {
        groups
            .iter()
            .find(|(k, _)| super::rules::same_id(k, id))
            .map(|(_, v)| v)
            .filter(|v| v.is_object())
    };
    for (index, rule) in import.iter().enumerate() {
        let mut push = |field, reason: String, message: String| {
            errors.push(RuleError {
                direction: "entra_to_drupal",
                index,
                field,
                reason,
                message,
            })
        };
        if let Some(problem) = import_rule_problem(rule, facts) {
            let field = match problem {
                super::rules::RuleProblem::ConfirmationRequired => "confirmed",
                super::rules::RuleProblem::InvalidGroupId => "group_id",
                _ => "role",
            };
            push(
                field,
                code(&problem),
                problem.message(&rule.role, &rule.group_id),
            );
        } else if group(&rule.group_id).is_none() {
            push(
                "group_id",
                "group_not_found".into(),
                target::Refusal::NotFound.message().into(),
            );
        }
        if import[..index]
            .iter()
            .any(|r| r.role == rule.role && super::rules::same_id(&r.group_id, &rule.group_id))
        {
            push(
                "group_id",
                "duplicate".into(),
                "the same group and role appear in an earlier rule".into(),
            );
        }
    }
    for (index, rule) in provision.iter().enumerate() {
        let mut push = |field, reason: String, message: String| {
            errors.push(RuleError {
                direction: "drupal_to_entra",
                index,
                field,
                reason,
                message,
            })
        };
        if !crate::config::is_guid(rule.group_id.trim()) {
            let problem = super::rules::RuleProblem::InvalidGroupId;
            push(
                "group_id",
                code(&problem),
                problem.message(&rule.role, &rule.group_id),
            );
        } else {
            match group(&rule.group_id) {
                None => push(
                    "group_id",
                    "group_not_found".into(),
                    target::Refusal::NotFound.message().into(),
                ),
                Some(g) => {
                    let t = target::check(g);
                    if let Some(reason) = t.reason {
                        push("group_id", code(&reason), reason.message().into());
                    }
                }
            }
        }
        if let Some(problem) = role_problem(&rule.role, facts) {
            push(
                "role",
                code(&problem),
                problem.message(&rule.role, &rule.group_id),
            );
        }
        if provision[..index]
            .iter()
            .any(|r| r.role == rule.role && super::rules::same_id(&r.group_id, &rule.group_id))
        {
            push(
                "group_id",
                "duplicate".into(),
                "the same role and group appear in an earlier rule".into(),
            );
        }
    }
    errors
}

/// The snake_case name a unit enum value serializes to.
fn code<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::rules::RoleFact;
    use super::*;
    use serde_json::json;

    const G1: &str = "11111111-0000-0000-0000-000000000001";
    const G2: &str = "11111111-0000-0000-0000-000000000002";

    #[test]
    fn each_problem_names_its_rule_and_field() {
        let facts: RoleFacts = [
            ("editor".to_owned(), RoleFact::default()),
            (
                "administrator".to_owned(),
                RoleFact {
                    is_admin: true,
                    restricted: true,
                },
            ),
        ]
        .into_iter()
        .collect();
        let groups: Map<String, Value> = serde_json::from_value(json!({
            G1: {"id": G1, "securityEnabled": true, "mailEnabled": false, "groupTypes": []},
            G2: {"id": G2, "securityEnabled": true, "isAssignableToRole": true},
        }))
        .unwrap();
        let import = vec![
            ImportRule {
                group_id: G1.into(),
                role: "editor".into(),
                confirmed: false,
            },
            ImportRule {
                group_id: G1.into(),
                role: "administrator".into(),
                confirmed: false,
            },
            ImportRule {
                group_id: "11111111-0000-0000-0000-00000000dead".into(),
                role: "editor".into(),
                confirmed: false,
            },
        ];
        let provision = vec![
            ProvisionRule {
                role: "editor".into(),
                group_id: G1.into(),
            },
            ProvisionRule {
                role: "editor".into(),
                group_id: G2.into(),
            },
            ProvisionRule {
                role: "ghost".into(),
                group_id: G1.into(),
            },
        ];
        let errors = check(&import, &provision, &facts, &groups);
        let got: Vec<(&str, usize, &str, &str)> = errors
            .iter()
            .map(|e| (e.direction, e.index, e.field, e.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("entra_to_drupal", 1, "confirmed", "confirmation_required"),
                ("entra_to_drupal", 2, "group_id", "group_not_found"),
                ("drupal_to_entra", 1, "group_id", "role_assignable"),
                ("drupal_to_entra", 2, "role", "unknown_role"),
            ]
        );
        assert!(check(&import[..1], &provision[..1], &facts, &groups).is_empty());
    }
}
