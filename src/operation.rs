//! What a failure means for the host's queue, decided here once for every export: whether it
//! concerns the one user the call was about (mark that item failed, go on with the others) or the
//! connection (every other call would fail the same way: suspend the queue), and whether it is
//! worth retrying later.

use crate::error::{Error, ErrorKind};
use serde::Serialize;

/// The export a failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `entra_client_new`.
    Connect,
    TestConnection,
    MapUser,
    FindUser,
    Create,
    BulkCreate,
    Update,
    Link,
    Disable,
    Enable,
    Delete,
    Import,
    /// `entra_groups`: group reads (no user is its subject).
    GroupRead,
    /// `entra_group_membership`: adds or removes one user in one group.
    GroupMembership,
    /// `entra_decide`, `entra_mapping_properties`, `entra_client_stats`, `entra_selftest_panic`:
    /// no user, no Graph.
    Local,
}

/// Who a failure is about (`scope` in the error JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// This user's item fails; the host goes on with the others.
    User,
    /// The connection (configuration, credentials, permission, Graph itself): every other call
    /// would fail the same way, so the host suspends its queue.
    Connection,
}

/// The hint of a 403 on a change to one existing user, when the app's token does carry the
/// permission to write users: then it is this user Entra protects.
pub const PROTECTED_USER_HINT: &str = "Entra refused this change to this user although the app holds User.ReadWrite.All: Entra lets that permission update, disable or delete a user who holds an admin (directory) role only when the app itself holds a sufficiently privileged admin role. Change this account in the Entra admin center, remove its admin role if it should not have one, or leave it unmanaged by this site.";

impl Operation {
    /// Acts on one Entra user that exists already, named by the request's `entra_id`.
    fn on_existing_user(self) -> bool {
        matches!(
            self,
            Operation::Update
                | Operation::Link
                | Operation::Disable
                | Operation::Enable
                | Operation::Delete
        )
    }

    /// Has a user as its subject at all (not the connection test, the import or a local call).
    fn about_a_user(self) -> bool {
        self.on_existing_user()
            || matches!(
                self,
                Operation::MapUser
                    | Operation::FindUser
                    | Operation::Create
                    | Operation::BulkCreate
                    | Operation::GroupMembership
            )
    }

    /// The rule, by kind:
    /// - `config`, `auth`: the connection.
    /// - `permission`: the user for a change to an existing user (update, link, disable,
    ///   enable, delete), since Entra refuses those for users holding admin roles; but the
    ///   connection when the refused token carries no permission to write users at all, and for
    ///   a create, bulk create, connection test, import or find (every other call would be
    ///   refused too).
    /// - `validation`, `conflict`, `not_found`, `graph`: the user.
    /// - `throttled`, `transient`: the connection. They describe Graph's quota or availability,
    ///   or the network, never one user's data; they are retryable, so the queue waits and
    ///   resumes (for `throttled`, after `retry_after_s`).
    /// - an operation without a user (connect, connection test, import, local calls): always the
    ///   connection.
    pub fn scope(self, err: &Error) -> Scope {
        if !self.about_a_user() {
            return Scope::Connection;
        }
        match err.kind() {
            ErrorKind::Config | ErrorKind::Auth => Scope::Connection,
            ErrorKind::Permission
                if self.on_existing_user() && err.detail().token_can_write != Some(false) =>
            {
                Scope::User
            }
            ErrorKind::Permission => Scope::Connection,
            ErrorKind::Validation
            | ErrorKind::Conflict
            | ErrorKind::NotFound
            | ErrorKind::Graph => Scope::User,
            ErrorKind::Throttled | ErrorKind::Transient => Scope::Connection,
        }
    }

    /// Gives a failure the hint that fits its scope: a 403 about one user names the likely cause
    /// (an admin-role holder) instead of "grant User.ReadWrite.All", which the app has. A
    /// failure without a hint of its own gets its kind's (`advice`), so every error says what
    /// to do.
    pub fn explain(self, err: &mut Error) {
        // A 403 on a group call is about the group permissions, whatever Graph's answer hinted.
        if err.is(ErrorKind::Permission)
            && matches!(self, Operation::GroupRead | Operation::GroupMembership)
        {
            err.detail_mut().hint = Some(crate::advice::default_hint("permission", self).into());
        }
        if err.is(ErrorKind::Permission) && self.scope(err) == Scope::User {
            err.detail_mut().hint = Some(PROTECTED_USER_HINT.into());
        }
        if err.detail().hint.is_none() {
            err.detail_mut().hint =
                Some(crate::advice::default_hint(err.kind().name(), self).into());
        }
    }
}

/// The scope of `invalid_argument` and `panic`, which are not `Error`s: a bug in the caller or
/// in the library that every call would hit. (A function, not a constant: cbindgen would put a
/// constant's type into the C header.)
pub fn scope_of_a_bug() -> Scope {
    Scope::Connection
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Detail;

    fn err(kind: &str, token_can_write: Option<bool>) -> Error {
        let mut d = Detail::new("m");
        d.token_can_write = token_can_write;
        let kind = match kind {
            "config" => ErrorKind::Config,
            "auth" => ErrorKind::Auth,
            "permission" => ErrorKind::Permission,
            "validation" => ErrorKind::Validation,
            "conflict" => ErrorKind::Conflict,
            "not_found" => ErrorKind::NotFound,
            "throttled" => ErrorKind::Throttled,
            "transient" => ErrorKind::Transient,
            _ => ErrorKind::Graph,
        };
        Error::new(kind, d)
    }

    #[test]
    fn scope_by_kind_and_operation() {
        use Operation::*;
        use Scope::{Connection as C, User as U};
        let on_user = [Update, Link, Disable, Enable, Delete];
        let not_on_existing = [Create, BulkCreate, FindUser, MapUser, GroupMembership];
        let without_user = [Connect, TestConnection, Import, GroupRead, Local];
        // kind, token may write, scope on an existing user, scope of a create or find.
        let table = [
            ("config", None, C, C),
            ("auth", None, C, C),
            ("permission", None, U, C),
            ("permission", Some(true), U, C),
            ("permission", Some(false), C, C),
            ("validation", None, U, U),
            ("conflict", None, U, U),
            ("not_found", None, U, U),
            ("graph", None, U, U),
            ("throttled", None, C, C),
            ("transient", None, C, C),
        ];
        for (kind, can_write, existing, others) in table {
            let e = err(kind, can_write);
            for op in on_user {
                assert_eq!(op.scope(&e), existing, "{kind} {can_write:?} {op:?}");
            }
            for op in not_on_existing {
                assert_eq!(op.scope(&e), others, "{kind} {can_write:?} {op:?}");
            }
            for op in without_user {
                assert_eq!(op.scope(&e), C, "{kind} {op:?}");
            }
        }
    }

    #[test]
    fn a_403_about_one_user_names_the_admin_role() {
        let mut e = err("permission", Some(true));
        e.detail_mut().hint = Some("grant User.ReadWrite.All".into());
        Operation::Disable.explain(&mut e);
        assert_eq!(e.detail().hint.as_deref(), Some(PROTECTED_USER_HINT));
        let mut e = err("permission", Some(false));
        e.detail_mut().hint = Some("grant User.ReadWrite.All".into());
        Operation::Disable.explain(&mut e);
        assert_eq!(e.detail().hint.as_deref(), Some("grant User.ReadWrite.All"));
        let mut e = err("permission", None);
        Operation::Create.explain(&mut e);
        assert_eq!(
            e.detail().hint.as_deref(),
            Some(crate::advice::default_hint("permission", Operation::Create)),
            "a failure without a hint gets its kind's"
        );
    }
}
