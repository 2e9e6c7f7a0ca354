//! Entra groups ↔ Drupal roles, as pure decisions (no Graph): which roles an import grants or
//! revokes (`roles`), which groups may be written to (`target`), which group memberships a role
//! change implies (`membership`), who is in scope (`scope`), and what is wrong with a set of
//! rules (`check`). The rules and the role facts they are judged by are `rules`. The Graph side
//! (reading memberships, the groups delta, adding and removing members) is `sync`.
//!
//! The threat they answer is privilege escalation in either direction: an Entra group must not
//! silently hand out a Drupal role that carries a restricted permission (or the admin role), and
//! a Drupal role must never put a user into an Entra group that grants an Entra directory role.

pub mod check;
pub mod membership;
pub mod roles;
pub mod rules;
pub mod scope;
pub mod sync;
pub mod target;

pub use rules::{ImportRule, ProvisionRule, RoleFact, RoleFacts};
