//! The questions a host asks `entra_decide`, each answered by one rule of `matching`. The host
//! gathers Drupal facts (its link table, the account's uid, roles and status, its settings) and
//! acts on the answer; it never decides these itself.

use crate::groups::scope::{BlockedPolicy, ProvisionFacts};
use crate::groups::{self, ImportRule, ProvisionRule, RoleFacts};
use crate::lifecycle::{self, SaveRules};
use crate::mapping::{DrupalUser, MappingConfig};
use crate::matching::{self, Account, Candidate, Policy, Provenance, RemovalAction};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(tag = "decide", rename_all = "snake_case")]
pub enum Question {
    /// Drupal → Entra: a create met `candidate` (the `existing` of the conflict).
    /// Answer: `{"outcome": "link"|"review"|"refuse", "provenance", "reasons"}`.
    EntraCandidate {
        #[serde(default)]
        policy: Policy,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        account: Account,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        candidate: Candidate,
        /// The Drupal account already linked to the candidate, if any.
        candidate_linked_uid: Option<u64>,
    },
    /// Entra → Drupal: the import found `account` by mail or name for Entra user `entra_id`.
    /// Answer: as for `entra_candidate`.
    DrupalCandidate {
        #[serde(default)]
        policy: Policy,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        account: Account,
        entra_id: String,
        matched_on: String,
    },
    /// May this link carry deprovisioning (disable, delete, accountEnabled, mail)?
    /// Answer: `{"allowed": bool}`.
    Deprovision {
        provenance: Option<Provenance>,
        #[serde(default)]
        deprovision_matched: bool,
    },
    /// Entra → Drupal: which reverse-mapped values the import writes to a linked account.
    /// Answer: `{"write": {...}, "held": [keys], "reasons": [...]}`.
    ImportWrite {
        provenance: Option<Provenance>,
        #[serde(default)]
        deprovision_matched: bool,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        account: Account,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        values: Map<String, Value>,
    },
    /// Entra → Drupal: the Entra user of a linked account was removed (`reason` `changed` or
    /// `deleted`) or left the import scope (`out_of_scope`: blocked, never deleted); `policy`
    /// is the site's setting. Answer: `{"action": "block"|"delete"|"none",
    /// "reason"}`.
    ImportRemoval {
        provenance: Option<Provenance>,
        #[serde(default)]
        deprovision_matched: bool,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        account: Account,
        policy: RemovalAction,
        reason: String,
    },
    /// An import round would remove `removals` accounts. Answer: `{"hold": bool}`.
    RemovalRound { removals: u64, threshold: u64 },
    /// Drupal → Entra: `recent` disables or deletes ran in the last hour. Answer:
    /// `{"allowed": bool}` for one more.
    RemovalBudget { recent: u64, threshold: u64 },
    /// Drupal → Entra: an account was saved; `before` is the original (null when unknown),
    /// `mapping` the configuration's `mapping`, `rules` `{update_on_change, sync_status,
    /// sync_mail}`. Answer: `{"op": "update"|"disable"|"enable"|null, "changed": [...]}`.
    UserUpdate {
        #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
        mapping: MappingConfig,
        #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
        rules: SaveRules,
        #[serde(default, deserialize_with = "crate::json::option_map_or_empty_array")]
        before: Option<Box<DrupalUser>>,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        after: Box<DrupalUser>,
    },
    /// Which Drupal fields (keys of a user's `fields`) the configuration's `mapping` reads: the
    /// host loads these with an account. Answer: `{"fields": [...]}`.
    MappedFields {
        #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
        mapping: MappingConfig,
    },
    /// Entra → Drupal: the roles an imported account gains and loses by its groups. `account`
    /// is `{uid, roles}`; `member_of` the mapped groups it is in (transitively, as the import
    /// reported them); `role_facts` every role of the site: `{role: {is_admin, restricted}}`.
    /// Answer: `{"grant": [{role, group_id}], "revoke": [{role, group_ids}], "refused_rules":
    /// [{group_id, role, reason, message}], "untouched_reason": null|"superuser"}`.
    RoleChanges {
        #[serde(default)]
        rules: Vec<ImportRule>,
        #[serde(default)]
        strict: bool,
        #[serde(deserialize_with = "crate::json::map_or_empty_array")]
        account: Account,
        #[serde(default)]
        member_of: Vec<String>,
        #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
        role_facts: RoleFacts,
    },
    /// Form validation of both directions' rules; `groups` is `entra_groups` op `get`'s answer
    /// by id (`{id: group|null}`). Answer: `{"ok": bool, "errors": [{direction, index, field,
    /// reason, message}]}`.
    GroupRulesCheck {
        #[serde(default)]
        import_rules: Vec<ImportRule>,
        #[serde(default)]
        provision_rules: Vec<ProvisionRule>,
        #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
        role_facts: RoleFacts,
        #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
        groups: Map<String, Value>,
    },
    /// Drupal → Entra: may this Graph group receive members? Answer: `{"allowed", "reason",
    /// "message"}`.
    GroupTarget { group: Value },
    /// Drupal → Entra: the memberships a role change implies (`roles_before` null: every mapped
    /// group is added). Answer: `{"add": [{group_id, role}], "remove": [{group_id, role}]}`.
    MembershipChanges {
        #[serde(default)]
        rules: Vec<ProvisionRule>,
        #[serde(default)]
        roles_before: Option<Vec<String>>,
        #[serde(default)]
        roles_after: Vec<String>,
    },
    /// Entra → Drupal: is a user in the import scope? Answer: `{"in_scope", "reason",
    /// "removal_reason": null|"out_of_scope"}`.
    ImportScope {
        #[serde(default)]
        scope_groups: Vec<String>,
        #[serde(default)]
        member_of: Vec<String>,
    },
    /// Drupal → Entra: is an account in the provisioning scope, and what does a transition
    /// need? `policy` is the account-blocked policy (`none`, `disable`, `delete`). Answer:
    /// `{"in_scope", "was_in_scope", "op": null|"provision"|"enable"|"disable"|"delete",
    /// "reason"}`.
    ProvisionScope {
        #[serde(default)]
        scope_roles: Vec<String>,
        #[serde(default)]
        roles_before: Option<Vec<String>>,
        #[serde(default)]
        roles_after: Vec<String>,
        #[serde(default)]
        linked: bool,
        #[serde(default)]
        policy: BlockedPolicy,
        #[serde(default)]
        provenance: Option<Provenance>,
        #[serde(default)]
        deprovision_matched: bool,
    },
}

impl Question {
    pub fn answer(&self) -> Value {
        match self {
            Question::EntraCandidate {
                policy,
                account,
                candidate,
                candidate_linked_uid,
            } => to_value(&matching::entra_candidate(
                *policy,
                account,
                candidate,
                *candidate_linked_uid,
            )),
            Question::DrupalCandidate {
                policy,
                account,
                entra_id,
                matched_on,
            } => to_value(&matching::drupal_candidate(
                *policy, account, entra_id, matched_on,
            )),
            Question::Deprovision {
                provenance,
                deprovision_matched,
            } => json!({"allowed": matching::may_deprovision(*provenance, *deprovision_matched)}),
            Question::ImportWrite {
                provenance,
                deprovision_matched,
                account,
                values,
            } => matching::import_write(*provenance, *deprovision_matched, account, values),
            Question::ImportRemoval {
                provenance,
                deprovision_matched,
                account,
                policy,
                reason,
            } => matching::import_removal(
                *provenance,
                *deprovision_matched,
                account,
                *policy,
                reason,
            ),
            Question::RemovalRound {
                removals,
                threshold,
            } => json!({"hold": matching::hold_round(*removals, *threshold)}),
            Question::RemovalBudget { recent, threshold } => {
                json!({"allowed": matching::removal_allowed(*recent, *threshold)})
            }
            Question::MappedFields { mapping } => json!({"fields": mapping.drupal_fields()}),
            Question::RoleChanges {
                rules,
                strict,
                account,
                member_of,
                role_facts,
            } => to_value(&groups::roles::role_changes(
                rules,
                *strict,
                account.uid,
                &account.roles,
                member_of,
                role_facts,
            )),
            Question::GroupRulesCheck {
                import_rules,
                provision_rules,
                role_facts,
                groups,
            } => {
                let errors =
                    groups::check::check(import_rules, provision_rules, role_facts, groups);
                json!({"ok": errors.is_empty(), "errors": errors})
            }
            Question::GroupTarget { group } => to_value(&groups::target::check(group)),
            Question::MembershipChanges {
                rules,
                roles_before,
                roles_after,
            } => to_value(&groups::membership::membership_changes(
                rules,
                roles_before.as_deref(),
                roles_after,
            )),
            Question::ImportScope {
                scope_groups,
                member_of,
            } => to_value(&groups::scope::import_scope(scope_groups, member_of)),
            Question::ProvisionScope {
                scope_roles,
                roles_before,
                roles_after,
                linked,
                policy,
                provenance,
                deprovision_matched,
            } => to_value(&groups::scope::provision_scope(&ProvisionFacts {
                scope_roles,
                roles_before: roles_before.as_deref(),
                roles_after,
                linked: *linked,
                policy: *policy,
                provenance: *provenance,
                deprovision_matched: *deprovision_matched,
            })),
            Question::UserUpdate {
                mapping,
                rules,
                before,
                after,
            } => to_value(&lifecycle::on_save(
                mapping,
                *rules,
                before.as_deref(),
                after,
            )),
        }
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(q: Value) -> Value {
        serde_json::from_value::<Question>(q).unwrap().answer()
    }

    #[test]
    fn questions_parse_from_the_hosts_json() {
        let a = ask(json!({"decide": "entra_candidate", "policy": "auto",
            "account": {"uid": 7, "roles": ["authenticated"], "status": 1},
            "candidate": {"id": "e1", "userPrincipalName": "a@c.com", "privileged": false, "matched_on": "userPrincipalName"},
            "candidate_linked_uid": null}));
        assert_eq!(a["outcome"], "link");
        assert_eq!(a["provenance"], "matched");
        let a = ask(json!({"decide": "drupal_candidate",
            "account": {"uid": 1, "roles": [], "status": "1"}, "entra_id": "e1", "matched_on": "mail"}));
        assert_eq!(a["outcome"], "refuse", "uid 1 under the default policy");
        assert_eq!(
            ask(json!({"decide": "deprovision", "provenance": null})),
            json!({"allowed": false})
        );
        assert_eq!(
            ask(json!({"decide": "removal_round", "removals": 11, "threshold": 10})),
            json!({"hold": true})
        );
        let a = ask(json!({"decide": "import_removal", "provenance": "created",
            "account": {"uid": 9, "status": 1}, "policy": "delete", "reason": "deleted"}));
        assert_eq!(a["action"], "delete");
        let a = ask(
            json!({"decide": "user_update", "mapping": [], "before": null,
            "after": {"name": "a", "status": 0}, "rules": {"update_on_change": false, "sync_status": true}}),
        );
        assert_eq!(a, json!({"op": null, "changed": []}));
        let a = ask(json!({"decide": "user_update", "mapping": [],
            "before": {"name": "a", "status": 1}, "after": {"name": "a", "status": 0},
            "rules": {"update_on_change": false, "sync_status": true}}));
        assert_eq!(a, json!({"op": "disable", "changed": ["status"]}));
        let a = ask(
            json!({"decide": "mapped_fields", "mapping": {"display_name_field": "field_full",
            "properties": {"field_dept": "department", "field_full": "givenName"}}}),
        );
        assert_eq!(
            a,
            json!({"fields": ["field_dept", "field_full"]}),
            "each field once"
        );
        let a = ask(json!({"decide": "mapped_fields", "mapping": {"display_name_field": "mail"}}));
        assert_eq!(a, json!({"fields": []}), "name and mail are not fields");
        assert!(
            serde_json::from_value::<Question>(json!({"decide": "nonsense"})).is_err(),
            "an unknown question is an invalid argument, not a default answer"
        );
    }

    #[test]
    fn group_questions_parse_from_the_hosts_json() {
        let g1 = "11111111-0000-0000-0000-000000000001";
        let a = ask(json!({"decide": "role_changes", "strict": true,
            "rules": [{"group_id": g1, "role": "editor"}, {"group_id": g1, "role": "administrator"}],
            "account": {"uid": 5, "roles": ["authenticated", "reviewer"]}, "member_of": [g1],
            "role_facts": {"editor": {"is_admin": false, "restricted": false},
                "administrator": {"is_admin": true, "restricted": true}, "reviewer": []}}));
        assert_eq!(a["grant"], json!([{"role": "editor", "group_id": g1}]));
        assert_eq!(a["revoke"], json!([]), "reviewer is mapped by no rule");
        assert_eq!(a["refused_rules"][0]["reason"], "confirmation_required");
        assert_eq!(a["untouched_reason"], Value::Null);
        let a =
            ask(json!({"decide": "role_changes", "rules": [], "account": [], "role_facts": []}));
        assert_eq!(a["grant"], json!([]));
        let a = ask(
            json!({"decide": "group_target", "group": {"securityEnabled": true, "isAssignableToRole": true}}),
        );
        assert_eq!(
            (a["allowed"].clone(), a["reason"].clone()),
            (json!(false), json!("role_assignable"))
        );
        let a = ask(
            json!({"decide": "membership_changes", "rules": [{"role": "staff", "group_id": g1}],
            "roles_before": ["staff"], "roles_after": []}),
        );
        assert_eq!(
            a,
            json!({"add": [], "remove": [{"group_id": g1, "role": "staff"}]})
        );
        let a = ask(json!({"decide": "import_scope", "scope_groups": [g1], "member_of": []}));
        assert_eq!(a["removal_reason"], "out_of_scope");
        let a = ask(
            json!({"decide": "provision_scope", "scope_roles": ["staff"], "roles_before": ["staff"],
            "roles_after": [], "linked": true, "policy": "disable", "provenance": "created"}),
        );
        assert_eq!(a["op"], "disable");
        let a = ask(
            json!({"decide": "group_rules_check", "import_rules": [{"group_id": g1, "role": "editor"}],
            "role_facts": {"editor": []}, "groups": {g1: null}}),
        );
        assert_eq!(a["ok"], false);
        assert_eq!(a["errors"][0]["reason"], "group_not_found");
        let a = ask(json!({"decide": "import_removal", "provenance": "created",
            "account": {"uid": 9, "status": 1}, "policy": "delete", "reason": "out_of_scope"}));
        assert_eq!(
            a["action"], "block",
            "the Entra user still exists: never deleted for leaving the scope"
        );
        assert!(
            serde_json::from_value::<Question>(json!({"decide": "nonsense"})).is_err(),
            "an unknown question is an invalid argument, not a default answer"
        );
    }
}
