//! What an admin reads about a failure beyond its message: a title per kind, and the fix to try
//! when the failure itself names none. The host lays these out; it keeps no copy of them.

use crate::operation::Operation;

/// The heading of a failure of `kind` (the error JSON's `kind`).
pub fn title(kind: &str) -> &'static str {
    match kind {
        "ok" => "OK",
        "auth" => "Authentication failed",
        "permission" => "Permission missing",
        "config" => "Configuration invalid",
        "validation" => "Rejected by Entra ID validation",
        "conflict" => "Conflict in Entra ID",
        "not_found" => "Not found in Entra ID",
        "throttled" => "Throttled by Microsoft Graph",
        "transient" => "Microsoft Graph temporarily unavailable",
        "graph" => "Microsoft Graph error",
        "invalid_argument" => "Invalid request to the native library",
        "panic" => "Internal error in the native library",
        _ => "Error",
    }
}

/// The fix for a failure of `kind` from `operation` that came without a hint of its own.
pub fn default_hint(kind: &str, operation: Operation) -> &'static str {
    match kind {
        "auth" => {
            "Check the tenant ID, the application (client) ID and the client secret or certificate (a secret may have expired) on step 1."
        }
        "permission" if matches!(operation, Operation::GroupRead) => {
            "Grant the application permission GroupMember.Read.All (type Application) and give admin consent in Entra ID > App registrations > API permissions."
        }
        "permission" if matches!(operation, Operation::GroupMembership) => {
            "Grant the application permission GroupMember.ReadWrite.All (type Application) and give admin consent in Entra ID > App registrations > API permissions."
        }
        "permission" if matches!(operation, Operation::Import) => {
            "Grant the application permission User.Read.All (type Application) and give admin consent in Entra ID > App registrations > API permissions."
        }
        "permission" => {
            "Grant the application permission User.ReadWrite.All (type Application) and give admin consent in Entra ID > App registrations > API permissions."
        }
        "config" => "Correct the named field on step 1.",
        "validation" => "Correct the Drupal account or the attribute mapping on step 3.",
        "conflict" => "Another Entra object already uses this value; rename one of them.",
        "throttled" => {
            "Nothing to do: the work stays queued and is retried after the Retry-After delay."
        }
        "transient" => "Nothing to do: the work stays queued and is retried later.",
        "not_found" => {
            "Check that the user or object exists in the tenant (the test user on step 1, or the linked account)."
        }
        "invalid_argument" => "Report this as a bug of the module, with the message.",
        "panic" => "Report this as a bug of the native library, with the message.",
        _ => {
            "Look the Graph error code and request-id up in the Entra ID sign-in and audit logs, or give them to Microsoft support."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_is_told_the_read_permission_and_the_rest_the_write_one() {
        assert!(default_hint("permission", Operation::Import).contains("User.Read.All"));
        assert!(default_hint("permission", Operation::Update).contains("User.ReadWrite.All"));
        assert!(default_hint("permission", Operation::GroupRead).contains("GroupMember.Read.All"));
        assert!(
            default_hint("permission", Operation::GroupMembership)
                .contains("GroupMember.ReadWrite.All")
        );
        for kind in [
            "auth",
            "config",
            "validation",
            "conflict",
            "throttled",
            "transient",
        ] {
            assert_ne!(title(kind), "Error", "{kind}");
            assert!(!default_hint(kind, Operation::Create).is_empty());
        }
    }
}
