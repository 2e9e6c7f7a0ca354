//! Who may be linked to whom, and what a link allows: the identity-matching rules, as pure
//! functions of the facts the host gathers (its link table, the Drupal account) and the facts
//! the library read from Graph (the existing Entra user).
//!
//! The threat they answer: an account this site did not create must never be linked, changed,
//! disabled or deleted just because one attribute happens to match. A registrant named `adele`
//! maps to the UPN of the tenant's Adele Vance; an Entra user's `mail` can be set by user and
//! Exchange admins, by any app with User.ReadWrite.All and by guest invitations, so it proves
//! nothing about who owns a Drupal account. So:
//!
//! - every link records its **provenance**: `created` (this site created the other side),
//!   `approved` (an admin approved the match) or `matched` (an opt-in automatic match);
//! - a match is, by default, only a **proposal** an admin approves (`review`); the opt-in `auto`
//!   policy links only behind guards, and never uid 1 or a privileged account on either side;
//! - **deprovisioning** (disable, delete, `accountEnabled`, mail) follows only `created` and
//!   `approved` links, unless the admin opts in for `matched` ones too;
//! - a matched Drupal account's name, mail, status and password are never changed by the import
//!   before an admin approved the link;
//! - removals above a threshold are held for an admin (accidental-deletion prevention).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Drupal's uid 1: the site's first administrator, never matched, changed or removed by
/// provisioning.
pub const SUPERUSER_UID: u64 = 1;

/// The role every Drupal account has; any other role makes an account privileged here.
const AUTHENTICATED_ROLE: &str = "authenticated";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Every match waits for an admin's approval (the default, mandatory with open registration).
    #[default]
    Review,
    /// Link automatically when every guard holds; otherwise fall back to review.
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    Created,
    Approved,
    Matched,
}

impl Provenance {
    /// A link without a recorded provenance (made before provenance existed) is only as
    /// trustworthy as an automatic match.
    fn or_matched(p: Option<Provenance>) -> Provenance {
        p.unwrap_or(Provenance::Matched)
    }
}

/// The Drupal account side of a decision, as the host knows it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Account {
    pub uid: u64,
    /// Drupal role ids, `authenticated` included or not.
    pub roles: Vec<String>,
    /// Active (1) or blocked (0).
    #[serde(deserialize_with = "flag")]
    pub status: bool,
    /// The Entra object this account is already linked to, if any.
    pub linked_entra_id: Option<String>,
}

impl Account {
    fn is_superuser(&self) -> bool {
        self.uid == SUPERUSER_UID
    }

    /// Holds a role beyond `authenticated` (editors, administrators, any custom role).
    fn is_privileged(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r != AUTHENTICATED_ROLE && !r.is_empty())
    }
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !matches!(s.trim(), "" | "0" | "false"),
        _ => false,
    })
}

/// An existing Entra user that a Drupal account collides with (UPN or mail).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Candidate {
    pub id: String,
    #[serde(rename = "userPrincipalName")]
    pub user_principal_name: Option<String>,
    #[serde(rename = "displayName")]
    pub display_name: Option<String>,
    pub mail: Option<String>,
    #[serde(rename = "accountEnabled")]
    pub account_enabled: Option<bool>,
    /// Holds an active directory (admin) role; `None` when the app may not read that.
    pub privileged: Option<bool>,
    /// Which property collided: `userPrincipalName` or `mail`.
    pub matched_on: String,
}

impl Candidate {
    /// From a Graph user object.
    pub fn from_graph(user: &Value, matched_on: &str, privileged: Option<bool>) -> Candidate {
        let text = |k: &str| user.get(k).and_then(Value::as_str).map(str::to_owned);
        Candidate {
            id: text("id").unwrap_or_default(),
            user_principal_name: text("userPrincipalName"),
            display_name: text("displayName"),
            mail: text("mail"),
            account_enabled: user.get("accountEnabled").and_then(Value::as_bool),
            privileged,
            matched_on: matched_on.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Link now, with `provenance`.
    Link,
    /// Record a pending match for an admin to approve or reject; change nothing.
    Review,
    /// Never link these two (record why); an admin cannot approve it either.
    Refuse,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    /// The provenance a link gets (only with `link`).
    pub provenance: Option<Provenance>,
    /// Why, in an admin's words: the guards that failed, or the rule that applied.
    pub reasons: Vec<String>,
}

impl Decision {
    fn link(provenance: Provenance, reason: impl Into<String>) -> Self {
        Decision {
            outcome: Outcome::Link,
            provenance: Some(provenance),
            reasons: vec![reason.into()],
        }
    }

    fn review(reasons: Vec<String>) -> Self {
        Decision {
            outcome: Outcome::Review,
            provenance: None,
            reasons,
        }
    }

    fn refuse(reason: impl Into<String>) -> Self {
        Decision {
            outcome: Outcome::Refuse,
            provenance: None,
            reasons: vec![reason.into()],
        }
    }
}

/// Drupal → Entra: a create found `candidate` holding the UPN (or mail) the Drupal `account`
/// maps to. `candidate_linked_uid` is the Drupal account the host has already linked to that
/// Entra object, if any.
pub fn entra_candidate(
    policy: Policy,
    account: &Account,
    candidate: &Candidate,
    candidate_linked_uid: Option<u64>,
) -> Decision {
    if let Some(other) = candidate_linked_uid {
        return if other == account.uid {
            Decision::link(
                Provenance::Matched,
                "this Entra user is already linked to this Drupal account",
            )
        } else {
            Decision::refuse(format!(
                "{} is already linked to another Drupal account (uid {other}); one Entra user is linked to at most one Drupal account",
                candidate_name(candidate)
            ))
        };
    }
    if account
        .linked_entra_id
        .as_deref()
        .is_some_and(|id| id != candidate.id)
    {
        return Decision::refuse(
            "this Drupal account is already linked to another Entra user".to_owned(),
        );
    }
    let mut failed = Vec::new();
    if policy == Policy::Review {
        failed.push("the matching policy is review: an admin approves every match".to_owned());
    }
    if account.is_superuser() {
        failed.push("uid 1 is never matched automatically".to_owned());
    }
    if account.is_privileged() {
        failed.push(
            "the Drupal account holds a role beyond authenticated: never matched automatically"
                .to_owned(),
        );
    }
    match candidate.privileged {
        Some(false) => {}
        Some(true) => failed.push(format!(
            "{} holds an Entra directory (admin) role",
            candidate_name(candidate)
        )),
        None => failed.push(
            "whether the Entra user holds an admin role could not be read, so it counts as privileged"
                .to_owned(),
        ),
    }
    if failed.is_empty() {
        Decision::link(
            Provenance::Matched,
            format!(
                "automatic match on {} (policy auto, every guard held)",
                candidate.matched_on
            ),
        )
    } else {
        Decision::review(failed)
    }
}

/// Entra → Drupal: the import found the Drupal `account` sharing the mail (or the name derived
/// from the UPN) with the Entra user `entra_id`, which is linked to no Drupal account.
pub fn drupal_candidate(
    policy: Policy,
    account: &Account,
    entra_id: &str,
    matched_on: &str,
) -> Decision {
    if account.is_superuser() {
        return Decision::refuse(
            "uid 1 is never matched, changed, blocked or deleted by the import",
        );
    }
    if account
        .linked_entra_id
        .as_deref()
        .is_some_and(|id| id != entra_id)
    {
        return Decision::refuse(
            "the Drupal account is already linked to another Entra user".to_owned(),
        );
    }
    let mut failed = Vec::new();
    if policy == Policy::Review {
        failed.push("the matching policy is review: an admin approves every match".to_owned());
    }
    if account.is_privileged() {
        failed.push(
            "the Drupal account holds a role beyond authenticated: never matched automatically"
                .to_owned(),
        );
    }
    if !account.status {
        failed.push("the Drupal account is blocked: never matched automatically".to_owned());
    }
    if failed.is_empty() {
        Decision::link(
            Provenance::Matched,
            format!("automatic match on {matched_on} (policy auto, every guard held)"),
        )
    } else {
        Decision::review(failed)
    }
}

/// Whether a link may carry deprovisioning: disabling, deleting, changing `accountEnabled` or
/// mail, in either direction.
pub fn may_deprovision(provenance: Option<Provenance>, deprovision_matched: bool) -> bool {
    match Provenance::or_matched(provenance) {
        Provenance::Created | Provenance::Approved => true,
        Provenance::Matched => deprovision_matched,
    }
}

/// Entra → Drupal: which of the reverse-mapped `values` (`name`, `mail`, `status`, `fields`)
/// the import may write to a linked account, and which it holds back.
pub fn import_write(
    provenance: Option<Provenance>,
    deprovision_matched: bool,
    account: &Account,
    values: &Map<String, Value>,
) -> Value {
    let mut write = Map::new();
    let mut held = Vec::new();
    let mut reasons = Vec::new();
    if account.is_superuser() {
        reasons.push("uid 1 is never changed by the import".to_owned());
        held.extend(values.keys().cloned());
    } else {
        let provenance = Provenance::or_matched(provenance);
        let deprovision = may_deprovision(Some(provenance), deprovision_matched);
        for (key, value) in values {
            let allowed = match key.as_str() {
                // A matched account's identity stays the site's until an admin approves.
                "name" => provenance != Provenance::Matched,
                "mail" | "status" => deprovision,
                _ => true,
            };
            if allowed {
                write.insert(key.clone(), value.clone());
            } else {
                held.push(key.clone());
            }
        }
        held.sort();
        if !held.is_empty() {
            reasons.push(
                "the link was matched automatically: name, mail and status are changed only on approved links (mail and status also with \"deprovision matched links\")"
                    .to_owned(),
            );
        }
    }
    json!({"write": write, "held": held, "reasons": reasons})
}

/// What the import's removal policy does in Drupal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalAction {
    Block,
    Delete,
    None,
}

/// Entra → Drupal: what to do with a linked account whose Entra user was removed (`reason`
/// `changed`: soft-deleted, restorable; `deleted`: gone for good), under the site's `policy`.
pub fn import_removal(
    provenance: Option<Provenance>,
    deprovision_matched: bool,
    account: &Account,
    policy: RemovalAction,
    reason: &str,
) -> Value {
    let (action, why) = if account.is_superuser() {
        (
            RemovalAction::None,
            "uid 1 is never blocked or deleted by the import",
        )
    } else if !may_deprovision(provenance, deprovision_matched) {
        (
            RemovalAction::None,
            "the link was matched automatically: removals follow only created or approved links",
        )
    } else {
        match (policy, reason) {
            (RemovalAction::None, _) => (RemovalAction::None, "the policy leaves the account"),
            // A soft-deleted user can be restored within 30 days: only block until then.
            (RemovalAction::Delete, "deleted") => {
                (RemovalAction::Delete, "deleted for good in Entra ID")
            }
            // Left the import scope (no longer in a scope group): the Entra user still exists,
            // so the account is blocked, never deleted.
            (_, "out_of_scope") => (
                RemovalAction::Block,
                "no longer a member of the import scope's groups",
            ),
            _ => (RemovalAction::Block, "removed in Entra ID"),
        }
    };
    json!({"action": action, "reason": why})
}

/// Accidental-deletion prevention for one import round: hold every removal of the round when
/// there are more than `threshold`.
pub fn hold_round(removals: u64, threshold: u64) -> bool {
    removals > threshold
}

/// Accidental-deletion prevention Drupal → Entra: one more disable or delete may run when
/// fewer than `threshold` ran in the last hour; the excess is parked.
pub fn removal_allowed(recent: u64, threshold: u64) -> bool {
    recent < threshold
}

fn candidate_name(c: &Candidate) -> String {
    c.user_principal_name
        .clone()
        .unwrap_or_else(|| c.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(uid: u64, roles: &[&str], status: bool) -> Account {
        Account {
            uid,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            status,
            linked_entra_id: None,
        }
    }

    fn candidate(privileged: Option<bool>) -> Candidate {
        Candidate {
            id: "e1".into(),
            user_principal_name: Some("adele@contoso.onmicrosoft.com".into()),
            privileged,
            matched_on: "userPrincipalName".into(),
            ..Candidate::default()
        }
    }

    /// Policy, Drupal account, candidate's privilege, uid linked to the candidate, expected.
    type EntraCase<'a> = (Policy, &'a Account, Option<bool>, Option<u64>, Outcome);

    #[test]
    fn drupal_to_entra_table() {
        use Outcome::*;
        let plain = account(7, &["authenticated"], true);
        let editor = account(7, &["authenticated", "editor"], true);
        let root = account(1, &["authenticated"], true);
        let cases: &[EntraCase] = &[
            (Policy::Review, &plain, Some(false), None, Review),
            (Policy::Auto, &plain, Some(false), None, Link),
            (Policy::Auto, &plain, Some(true), None, Review),
            // Unknown privilege counts as privileged.
            (Policy::Auto, &plain, None, None, Review),
            (Policy::Auto, &editor, Some(false), None, Review),
            (Policy::Auto, &root, Some(false), None, Review),
            // Linked to another Drupal account: never, whatever the policy.
            (Policy::Auto, &plain, Some(false), Some(9), Refuse),
            (Policy::Review, &plain, Some(false), Some(9), Refuse),
            (Policy::Review, &plain, Some(false), Some(7), Link),
        ];
        for (policy, account, privileged, linked, want) in cases {
            let d = entra_candidate(*policy, account, &candidate(*privileged), *linked);
            assert_eq!(
                d.outcome, *want,
                "{policy:?} uid {} {privileged:?} {linked:?}: {:?}",
                account.uid, d.reasons
            );
            assert!(!d.reasons.is_empty());
            assert_eq!(d.provenance.is_some(), d.outcome == Link);
        }
    }

    #[test]
    fn entra_to_drupal_table() {
        use Outcome::*;
        let linked_elsewhere = Account {
            linked_entra_id: Some("other".into()),
            ..account(7, &["authenticated"], true)
        };
        let cases: &[(Policy, Account, Outcome)] = &[
            (Policy::Review, account(7, &["authenticated"], true), Review),
            (Policy::Auto, account(7, &["authenticated"], true), Link),
            (Policy::Auto, account(7, &[], true), Link),
            // uid 1: never, under any policy.
            (Policy::Auto, account(1, &["authenticated"], true), Refuse),
            (Policy::Review, account(1, &[], true), Refuse),
            // The blocked ex-admin, and any role beyond authenticated.
            (Policy::Auto, account(5, &["authenticated"], false), Review),
            (
                Policy::Auto,
                account(5, &["authenticated", "administrator"], true),
                Review,
            ),
            (Policy::Auto, linked_elsewhere, Refuse),
        ];
        for (policy, account, want) in cases {
            let d = drupal_candidate(*policy, account, "e1", "mail");
            assert_eq!(d.outcome, *want, "{policy:?} {account:?}: {:?}", d.reasons);
        }
    }

    #[test]
    fn deprovisioning_follows_provenance() {
        use Provenance::*;
        assert!(may_deprovision(Some(Created), false));
        assert!(may_deprovision(Some(Approved), false));
        assert!(!may_deprovision(Some(Matched), false));
        assert!(may_deprovision(Some(Matched), true));
        assert!(
            !may_deprovision(None, false),
            "unknown provenance is matched"
        );
    }

    #[test]
    fn import_writes_by_provenance() {
        let values: Map<String, Value> = serde_json::from_value(json!({
            "name": "mallory", "mail": "attacker@evil.example", "status": 1,
            "fields": {"field_title": "CTO"}
        }))
        .unwrap();
        let plain = account(7, &["authenticated"], true);
        let all = import_write(Some(Provenance::Created), false, &plain, &values);
        assert_eq!(all["held"], json!([]));
        assert_eq!(all["write"], Value::Object(values.clone()));
        let matched = import_write(Some(Provenance::Matched), false, &plain, &values);
        assert_eq!(matched["write"], json!({"fields": {"field_title": "CTO"}}));
        assert_eq!(matched["held"], json!(["mail", "name", "status"]));
        let opted = import_write(Some(Provenance::Matched), true, &plain, &values);
        assert_eq!(opted["held"], json!(["name"]));
        // uid 1: nothing, whatever the provenance.
        let root = import_write(
            Some(Provenance::Created),
            true,
            &account(1, &[], true),
            &values,
        );
        assert_eq!(root["write"], json!({}));
        assert_eq!(root["held"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn removals_by_provenance_and_policy() {
        let plain = account(7, &["authenticated"], true);
        let action = |p, opt, a: &Account, policy, reason| {
            import_removal(p, opt, a, policy, reason)["action"].clone()
        };
        let created = Some(Provenance::Created);
        assert_eq!(
            action(created, false, &plain, RemovalAction::Delete, "deleted"),
            "delete"
        );
        assert_eq!(
            action(created, false, &plain, RemovalAction::Delete, "changed"),
            "block"
        );
        assert_eq!(
            action(created, false, &plain, RemovalAction::Block, "deleted"),
            "block"
        );
        assert_eq!(
            action(created, false, &plain, RemovalAction::None, "deleted"),
            "none"
        );
        assert_eq!(
            action(
                Some(Provenance::Matched),
                false,
                &plain,
                RemovalAction::Delete,
                "deleted"
            ),
            "none"
        );
        assert_eq!(
            action(
                created,
                true,
                &account(1, &[], true),
                RemovalAction::Delete,
                "deleted"
            ),
            "none",
            "the hard delete of uid 1's Entra user"
        );
    }

    #[test]
    fn thresholds() {
        assert!(!hold_round(10, 10));
        assert!(hold_round(11, 10));
        assert!(removal_allowed(9, 10));
        assert!(!removal_allowed(10, 10));
    }
}
