//! Who is synchronised, when a site limits either direction.
//!
//! - Import (Entra → Drupal): only members (transitively) of the scope groups. A linked user who
//!   leaves the scope is treated like a user removed in Entra: the host asks `import_removal`
//!   with reason `out_of_scope` (the same removal policy, never a hard delete since the Entra user
//!   still exists) and counts it towards the round's accidental-removal threshold
//!   (`removal_round`). An unlinked user out of scope is not imported.
//! - Provisioning (Drupal → Entra): only accounts holding at least one scope role. A linked
//!   account that loses its last scope role is deprovisioned under the account-blocked policy
//!   (the site's "on cancellation, account kept blocked" choice), and only if its link may carry
//!   deprovisioning (`matching::may_deprovision`); one that gains a scope role is provisioned
//!   (unlinked) or enabled again (linked, when that policy disables).

use super::rules::same_id;
use crate::matching::{Provenance, may_deprovision};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportScope {
    pub in_scope: bool,
    /// `no_scope` (the import is not limited), `member` or `not_member`.
    pub reason: &'static str,
    /// For a linked user out of scope: the `reason` to ask `import_removal` with.
    pub removal_reason: Option<&'static str>,
}

pub fn import_scope(scope_groups: &[String], member_of: &[String]) -> ImportScope {
    if scope_groups.is_empty() {
        return ImportScope {
            in_scope: true,
            reason: "no_scope",
            removal_reason: None,
        };
    }
    let member = scope_groups
        .iter()
        .any(|s| member_of.iter().any(|g| same_id(g, s)));
    ImportScope {
        in_scope: member,
        reason: if member { "member" } else { "not_member" },
        removal_reason: (!member).then_some("out_of_scope"),
    }
}

/// The account-blocked policy (`lifecycle.on_cancel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockedPolicy {
    #[default]
    None,
    Disable,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeOp {
    Provision,
    Enable,
    Disable,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvisionScope {
    pub in_scope: bool,
    /// Whether the roles before were in scope (`in_scope` when they are unknown).
    pub was_in_scope: bool,
    /// The queue operation the transition needs; null for none.
    pub op: Option<ScopeOp>,
    pub reason: &'static str,
}

/// The facts of one account save for the provisioning scope.
pub struct ProvisionFacts<'a> {
    pub scope_roles: &'a [String],
    pub roles_before: Option<&'a [String]>,
    pub roles_after: &'a [String],
    pub linked: bool,
    pub policy: BlockedPolicy,
    pub provenance: Option<Provenance>,
    pub deprovision_matched: bool,
}

pub fn provision_scope(f: &ProvisionFacts) -> ProvisionScope {
    let in_roles = |roles: &[String]| {
        f.scope_roles.is_empty() || roles.iter().any(|r| f.scope_roles.contains(r))
    };
    let in_scope = in_roles(f.roles_after);
    let was_in_scope = f.roles_before.map_or(in_scope, in_roles);
    let may = may_deprovision(f.provenance, f.deprovision_matched);
    let (op, reason) = match (was_in_scope, in_scope) {
        _ if f.scope_roles.is_empty() => (None, "no_scope"),
        (true, true) => (None, "in_scope"),
        (false, false) => (None, "out_of_scope"),
        (false, true) if !f.linked => (Some(ScopeOp::Provision), "entered_scope"),
        (false, true) if f.policy == BlockedPolicy::Disable && may => {
            (Some(ScopeOp::Enable), "entered_scope")
        }
        (false, true) => (None, "entered_scope"),
        (true, false) if !f.linked => (None, "left_scope"),
        (true, false) if !may => (None, "left_scope_matched_link"),
        (true, false) => match f.policy {
            BlockedPolicy::None => (None, "left_scope"),
            BlockedPolicy::Disable => (Some(ScopeOp::Disable), "left_scope"),
            BlockedPolicy::Delete => (Some(ScopeOp::Delete), "left_scope"),
        },
    };
    ProvisionScope {
        in_scope,
        was_in_scope,
        op,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: &str = "11111111-0000-0000-0000-000000000001";

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn import_scope_in_and_out() {
        assert!(import_scope(&[], &[]).in_scope);
        let a = import_scope(&s(&[G1]), &s(&[&G1.to_uppercase()]));
        assert!(a.in_scope);
        let a = import_scope(&s(&[G1]), &[]);
        assert_eq!(
            (a.in_scope, a.removal_reason),
            (false, Some("out_of_scope"))
        );
    }

    #[test]
    fn leaving_and_entering_the_provisioning_scope() {
        let scope = s(&["staff"]);
        let facts =
            |before: &'static [&'static str], after: &'static [&'static str], linked, policy| {
                let before = s(before);
                let after = s(after);
                provision_scope(&ProvisionFacts {
                    scope_roles: &scope,
                    roles_before: Some(&before),
                    roles_after: &after,
                    linked,
                    policy,
                    provenance: Some(Provenance::Created),
                    deprovision_matched: false,
                })
            };
        let left = facts(&["staff"], &[], true, BlockedPolicy::Disable);
        assert_eq!((left.in_scope, left.op), (false, Some(ScopeOp::Disable)));
        assert_eq!(
            facts(&["staff"], &[], true, BlockedPolicy::Delete).op,
            Some(ScopeOp::Delete)
        );
        assert_eq!(facts(&["staff"], &[], true, BlockedPolicy::None).op, None);
        assert_eq!(
            facts(&["staff"], &[], false, BlockedPolicy::Disable).op,
            None
        );
        assert_eq!(
            facts(&[], &["staff"], false, BlockedPolicy::Disable).op,
            Some(ScopeOp::Provision)
        );
        assert_eq!(
            facts(&[], &["staff"], true, BlockedPolicy::Disable).op,
            Some(ScopeOp::Enable)
        );
        assert_eq!(
            facts(&["staff"], &["staff", "x"], true, BlockedPolicy::Disable).op,
            None
        );
        let matched = provision_scope(&ProvisionFacts {
            scope_roles: &scope,
            roles_before: Some(&s(&["staff"])),
            roles_after: &[],
            linked: true,
            policy: BlockedPolicy::Delete,
            provenance: Some(Provenance::Matched),
            deprovision_matched: false,
        });
        assert_eq!(
            (matched.op, matched.reason),
            (None, "left_scope_matched_link")
        );
    }
}
