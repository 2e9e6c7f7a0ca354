//! The C ABI: every pointer the host passes is handled here (the crate's only other `unsafe`
//! is `runtime.rs`'s `getpid`). Each export checks its pointers, converts C strings
//! to JSON to Rust calls and the results back to an owned JSON string, inside one guard that
//! contains panics; `export!` writes that for every export but the constructor and the free
//! functions, so an export is its signature, its doc comment and the call it makes.
//! Nothing here decides anything.
//!
//! Conventions (README "The C ABI"):
//! - Status: `EntraStatus`, values append-only. `ENTRA_STATUS_OK` = 0.
//! - `out_json` receives an owned, NUL-terminated UTF-8 JSON string in every case where it is not
//!   NULL: the result on OK, else `{"kind","message","http_status","graph_code","request_id",
//!   "retry_after_s","field","hint","aadsts","retryable","scope"}` (plus `existing` on a
//!   conflict with an account that already exists). Free it with `entra_string_free`.
//! - `retryable` (throttled, transient) says whether the same call may succeed later; `scope`
//!   (`user` or `connection`) whether the failure is this user's alone or every call's (the
//!   host suspends its queue). The library decides both (`operation`); the host only acts on
//!   them. Every string of an error object is cleared of the client's secret and key; a
//!   successful result is never altered.
//! - Where a JSON object is expected (a request, the configuration's `mapping` and
//!   `mapping.properties`, a Drupal user's `fields`, a question's `account`, `candidate` and
//!   `values`, the `link` facts), `[]` (PHP's `json_encode([])`) is read as `{}`.
//! - Every request object may carry `budget_ms`: the call's overall deadline (default: the
//!   client's `call_budget_ms`). A wait that would cross it is not started; the call returns
//!   `ENTRA_STATUS_THROTTLED` with `retry_after_s` instead.
//! - `out_client` is written only on OK. Free the handle with `entra_client_free`.
//! - Input strings are borrowed for the call only. A handle may be used from several threads.

#[macro_use]
mod boundary;
mod requests;

pub use boundary::error_json;
use boundary::*;
use requests::*;

use crate::bulk::BulkReport;
use crate::config::Config;
use crate::error::ErrorKind;
use crate::json::Object;
use crate::mapping::DrupalUser;
use crate::operation::Operation;
use crate::panic;
use crate::provision::{FindQuery, Provisioner, TestRequest, UpdateRules};
use crate::redact::Redactor;
use serde_json::{Value, json};
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The ABI revision of this library; bumped whenever an export changes or is added.
pub const ABI_VERSION: u32 = 6;

/// Result of every fallible export. Values are stable and only ever appended.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntraStatus {
    Ok = 0,
    /// A NULL pointer, invalid UTF-8 or JSON of the wrong shape.
    InvalidArgument = 1,
    Config = 2,
    Auth = 3,
    Permission = 4,
    Validation = 5,
    Conflict = 6,
    NotFound = 7,
    Throttled = 8,
    Transient = 9,
    Graph = 10,
    /// A bug inside the library was contained; the handle remains usable.
    Panic = 11,
}

impl EntraStatus {
    /// Every status, in value order (`entra_describe`).
    pub const ALL: [EntraStatus; 12] = [
        EntraStatus::Ok,
        EntraStatus::InvalidArgument,
        EntraStatus::Config,
        EntraStatus::Auth,
        EntraStatus::Permission,
        EntraStatus::Validation,
        EntraStatus::Conflict,
        EntraStatus::NotFound,
        EntraStatus::Throttled,
        EntraStatus::Transient,
        EntraStatus::Graph,
        EntraStatus::Panic,
    ];

    /// The error kind this status reports, for the statuses that come from an `Error`.
    pub fn error_kind(self) -> Option<ErrorKind> {
        ErrorKind::ALL
            .into_iter()
            .find(|k| EntraStatus::from(*k) == self)
    }

    /// The `kind` of the error object that comes with this status.
    pub fn kind(self) -> &'static str {
        match (self, self.error_kind()) {
            (_, Some(kind)) => kind.name(),
            (EntraStatus::Ok, None) => "ok",
            (EntraStatus::Panic, None) => "panic",
            // The one status left, InvalidArgument, is not an `Error` either.
            (_, None) => "invalid_argument",
        }
    }

    /// The name of the constant in the C header (cbindgen's `prefix_with_name`).
    pub fn c_name(self) -> String {
        format!("ENTRA_STATUS_{}", self.kind().to_ascii_uppercase())
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(self) -> bool {
        self.error_kind().is_some_and(ErrorKind::is_retryable)
    }
}

/// An opaque connection handle: configuration, token cache and Graph client.
pub struct EntraClient {
    provisioner: Provisioner,
    /// Clears the client's secret and key from every error it reports.
    redactor: Redactor,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<EntraClient>();
};

impl From<ErrorKind> for EntraStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Config => EntraStatus::Config,
            ErrorKind::Auth => EntraStatus::Auth,
            ErrorKind::Permission => EntraStatus::Permission,
            ErrorKind::Validation => EntraStatus::Validation,
            ErrorKind::Conflict => EntraStatus::Conflict,
            ErrorKind::NotFound => EntraStatus::NotFound,
            ErrorKind::Throttled => EntraStatus::Throttled,
            ErrorKind::Transient => EntraStatus::Transient,
            ErrorKind::Graph => EntraStatus::Graph,
        }
    }
}

/// The ABI revision. 2 added `entra_import_delta`, `entra_mapping_properties` and
/// `entra_enable_user`; 3 added `entra_link_user`, `entra_decide`, the `budget_ms` of every
/// request, `retryable` and `scope` in every error object, `sync_mail` in `entra_update_user`
/// (mail is no longer written unless asked), and made a taken UPN a conflict instead of a link;
/// 4 added `entra_describe`, `status` and `title` in every error object (and a `hint` in each),
/// `sync_status` in `entra_update_user`, the `user_update` and `mapped_fields` questions of
/// `entra_decide`, and `already_deleted` from `entra_disable_user` and `entra_enable_user`; 5
/// added `entra_check_certificate`.
/// Check it before anything else.
#[unsafe(no_mangle)]
pub extern "C" fn entra_abi_version() -> u32 {
    ABI_VERSION
}

/// The library version, a static string: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn entra_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Creates a client from a configuration JSON. On OK `*out_client` receives the handle and
/// `*out_json` the effective endpoints; otherwise `*out_json` receives the configuration error
/// (`scope` `connection`). A `client_secret` shorter than 8 characters is refused (Entra's are
/// 40); endpoints must be plain https origins (http only for 127.0.0.0/8 and [::1]).
///
/// # Safety
/// `config_json` NULL or NUL-terminated; `out_client` and `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_client_new(
    config_json: *const c_char,
    out_client: *mut *mut EntraClient,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    // SAFETY: caller contract; the raw text is only used to know which secret to scrub.
    let raw_secrets = unsafe { text(config_json, "config_json") }
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .map(|v| crate::config::secrets_in(&v))
        .unwrap_or_default();
    let redactor = Redactor::new(raw_secrets.iter().map(String::as_str));
    guard(out_json, &redactor, Operation::Connect, || {
        if out_client.is_null() {
            return Err(Failure::InvalidArgument("out_client is NULL".into()));
        }
        // SAFETY: caller contract.
        let text = unsafe { text(config_json, "config_json") }?;
        let config = Config::from_json(text)?;
        let summary = to_json(&config.summary())?;
        let redactor = Redactor::new(config.credential.secrets());
        let handle = Box::new(EntraClient {
            provisioner: Provisioner::new(config),
            redactor,
        });
        // SAFETY: checked non-null above; written only on success.
        unsafe { *out_client = Box::into_raw(handle) };
        Ok(summary)
    })
}

/// Frees a client. NULL is ignored.
///
/// # Safety
/// `client` NULL or a handle from `entra_client_new` not yet freed, and not in use by another
/// thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_client_free(client: *mut EntraClient) {
    if client.is_null() {
        return;
    }
    let _ = panic::quietly(|| {
        catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: a handle from Box::into_raw, freed once per the contract.
            drop(unsafe { Box::from_raw(client) });
        }))
    });
}

/// Frees a string returned by this library. NULL is ignored.
///
/// # Safety
/// `s` NULL or a string from this library's `out_json`, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: produced by CString::into_raw in `guard`, freed once per the contract.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Acquires a token and reads the user `{"upn": "<UPN or object id>", "directions":
/// ["drupal_to_entra", "entra_to_drupal"], "features": ["read_group_memberships",
/// "write_group_memberships"]}` (an unknown feature is a validation error); returns `{"attributes": {...}, "request_id",
/// "granted_permissions": [...] | null, "missing_permissions": [...] | null}`.
///
/// # Safety
/// `c` NULL or live; `request_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_test_connection(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::TestConnection, client c, request request_json: Object<TestRequest>,
        |p, Object(r), call| call.run(p.test_connection(&r)))
}

/// The Graph body `entra_provision_user` would send for a Drupal user, password redacted.
/// No network.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_map_user(
    c: *const EntraClient,
    drupal_user_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::MapUser, client c, request drupal_user_json: Object<DrupalUser>,
        |p, Object(u), _call| p.preview(&u))
}

/// Finds a user by `{"id"}`, `{"upn"}` or `{"mail"}`; returns `{"found": bool, "user"}`.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_find_user(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::FindUser, client c, request request_json: Object<FindQuery>,
        |p, Object(q), call| call
            .run(p.find_user(&q))
            .map(|user| json!({"found": user.is_some(), "user": user})))
}

/// Creates the Entra user for a Drupal user (`{"uid", "name", "mail", "status", "roles",
/// "fields"}`). Returns `{"action": "created", "id", "userPrincipalName", "updated_properties",
/// "request_id"}`. When the UPN or mail is already held in Entra, nothing is sent to that
/// account: the answer is `ENTRA_STATUS_CONFLICT` whose error carries `existing: {id,
/// userPrincipalName, displayName, mail, accountEnabled, privileged, matched_on}`; the host
/// asks `entra_decide` (`entra_candidate`) and links with `entra_link_user` only if told so.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_provision_user(
    c: *const EntraClient,
    drupal_user_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Create, client c, request drupal_user_json: Object<DrupalUser>,
        |p, Object(u), call| call.run(p.provision_user(&u)))
}

/// `{"entra_id", "user": <Drupal user>, "link": {"provenance", "deprovision_matched"},
/// "sync_mail": false, "sync_status": true}`: PATCHes the mapped properties that differ. `mail` is written only with
/// `"sync_mail": true` (default false: Drupal does not verify a changed e-mail address, and
/// other applications of the tenant may trust Entra's `mail`; callers that do not send it no
/// longer update mail). A link that may not carry deprovisioning (`matched`, see
/// `entra_decide`) never changes `accountEnabled` or `mail`, `sync_mail` or not. A 403 on a
/// user who holds an admin role is that user's failure (`scope` `user`). Returns
/// `{"action": "updated"|"unchanged", ...}`.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_update_user(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Update, client c, request request_json: Object<UpdateRequest>,
    |p, Object(mut r), call| {
        if !r.sync_status {
            r.user.status = None;
        }
        let link = r.link.map(|l| (l.provenance, l.deprovision_matched));
        let rules = UpdateRules::new(link, r.sync_mail);
        call.run(p.update_user(&r.entra_id, &r.user, rules))
    })
}

/// `{"entra_id"}`: sets `accountEnabled` to false. Returns `{"action": "disabled", "id"}`, or
/// `{"action": "already_deleted"}` when the user is gone from Entra (nothing left to disable).
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_disable_user(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Disable, client c, request request_json: Object<EntraIdRequest>,
        |p, Object(r), call| call.run(p.disable_user(&r.entra_id)))
}

/// `{"entra_id"}`: sets `accountEnabled` to true. Returns `{"action": "enabled", "id"}`, or
/// `{"action": "already_deleted"}` when the user is gone from Entra.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_enable_user(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Enable, client c, request request_json: Object<EntraIdRequest>,
        |p, Object(r), call| call.run(p.enable_user(&r.entra_id)))
}

/// `{"entra_id"}`: soft-deletes the user. Returns `{"action": "deleted"|"already_deleted"}`.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_delete_user(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Delete, client c, request request_json: Object<EntraIdRequest>,
        |p, Object(r), call| call.run(p.delete_user(&r.entra_id)))
}

/// `{"entra_id", "user": <Drupal user>}`: carries out a link an admin approved (or that the
/// `auto` matching policy allowed, see `entra_decide`). Verifies that the Entra user exists and
/// PATCHes only its mapped profile properties (displayName and the mapped fields); never its
/// UPN, mailNickname, mail or accountEnabled. Returns `{"action": "linked", "id",
/// "userPrincipalName", "updated_properties", "request_id"}`.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_link_user(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Link, client c, request request_json: Object<LinkRequest>,
        |p, Object(r), call| call.run(p.link_user(&r.entra_id, &r.user)))
}

/// The identity-matching rules (no client, no network): link, review or refuse; what a link
/// may change; when removals are held. `{"decide": <question>, ...facts}`, see
/// `decide::Question` and the README. Returns the decision object.
///
/// # Safety
/// `request_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_decide(
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Local, request request_json: crate::decide::Question,
        |question| question.answer())
}

/// Checks a certificate credential without a client: `{"certificate_pem": "...",
/// "private_key_pem": "..." (optional)}` returns `{"certificate": {"thumbprint" (SHA-1, upper-case
/// hex, as Entra shows it), "subject" (RFC 4514), "not_after" (Unix seconds)} | null, "problems":
/// [{"field", "message"}]}`, at most one problem per field, in the sentences a configuration
/// error about the same fields uses. The status is OK whatever the problems (they are the
/// answer); `ENTRA_STATUS_INVALID_ARGUMENT` only for a request of the wrong shape. Neither the
/// report nor an error ever quotes the key.
///
/// # Safety
/// `request_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_check_certificate(
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Local,
        redacted by unsafe { redactor_for(request_json, "private_key_pem") },
        request request_json: crate::certificate::CheckRequest,
        |request| crate::certificate::check(&request))
}

/// A JSON array of Drupal users (at most 1000), or `{"users": [...], "budget_ms"}`: created
/// through `$batch`. Returns `{"results": [...one per input, in order...], "summary": {...}}`;
/// each result is `{"uid", "ok": true, <outcome>}` or `{"uid", "ok": false, "error": <error
/// object>}` (with `retryable` and `scope` as for any export); a user whose UPN or mail is taken
/// fails with kind `conflict` and the `existing` account, as in `entra_provision_user`. The
/// status is OK even when some users failed.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_bulk_provision(
    c: *const EntraClient,
    drupal_users_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::BulkCreate, client c, request drupal_users_json: BulkRequest,
    |p, BulkRequest { users, workers }, call| {
        if users.len() > crate::bulk::MAX_USERS_PER_CALL {
            Err(Failure::InvalidArgument(format!(
                "at most {} users per call; send larger sets in chunks",
                crate::bulk::MAX_USERS_PER_CALL
            )))
        } else if workers.is_some_and(|w| !(1..=crate::bulk::MAX_WORKERS).contains(&w)) {
            Err(Failure::InvalidArgument(format!(
                "workers must be between 1 and {}",
                crate::bulk::MAX_WORKERS
            )))
        } else {
            let _share = p.graph.share_quota(workers.unwrap_or(1));
            let results = call.run(p.bulk_provision(users));
            Ok(BulkReport::new(results, |err| {
                error_json(err, Operation::BulkCreate, call.redactor)
            }))
        }
    })
}

/// Entra → Drupal: one call of the users delta query. Request
/// `{"link": null | "<nextLink or deltaLink>", "start_from_now": false, "max_pages": 20,
/// "include_guests": false}`; returns `{"changes": [{"op": "upsert", "id", "userPrincipalName",
/// "drupal": {name, mail, status, fields}, "attributes"} | {"op": "removed", "id", "reason"}],
/// "next_link", "delta_link", "resync_required", "skipped_guests"}`. Store `next_link` and call
/// again until a `delta_link` arrives; on `resync_required` start over with no link. `[]` is the
/// request with every default. Guests (`userType` Guest, or an `#EXT#` UPN whatever `userType`
/// says) are skipped unless asked for; an item that does not say `userType` is read in full
/// before it is taken for a member. With `"groups": {"ids": [group ids], "link": null |
/// "<groups next or delta link>", "max_pages"}` each upsert also carries `member_of` (the ids it
/// is in, nested groups included) and the answer `groups`: `{"changes": [{"id", "member_of"}],
/// "next_link", "delta_link", "resync_required", "nesting_changed", "tracked_group_ids"}` from the
/// groups delta (docs/groups.md).
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_import_delta(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Import, client c,
        request request_json: Object<crate::import::DeltaRequest>,
        |p, Object(r), call| call.run(p.import_delta(&r)))
}

/// Group reads, `{"op": ...}`: `get` `{ids}` → `{"groups": [group + "target"], "missing"}`;
/// `search` `{query, top}` → `{"groups"}` (each with `target`: `{allowed, reason, message}`);
/// `member_counts` `{ids}` → `{"counts": {id: n}, "missing"}`; `member_of` `{user_ids,
/// group_ids}` → `{"member_of": {user id: [group ids]}, "missing_users"}`; `members`
/// `{group_id}` → `{"group_id", "user_ids"}`. At most 1000 ids per call. No writes; failures
/// have `scope` `connection`. See docs/groups.md.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_groups(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::GroupRead, client c,
        request request_json: crate::groups::sync::GroupsRead,
        |p, r, call| call.run(p.groups_read(&r)))
}

/// One membership write `{"op": "add"|"remove", "group_id", "user_id"}`. The group is read and
/// checked first (`group_target`): a refused or missing group gets `{"action": "refused",
/// "reason", "message"}` and nothing is written. Otherwise `{"action": "added"|"already_member"|
/// "removed"|"not_member", "group_id", "user_id", "request_id"}`: an add of a member already in
/// the group and a remove of one not in it both succeed. Failures about this write have `scope`
/// `user`; a 403 (no GroupMember.ReadWrite.All) `connection`.
///
/// # Safety
/// As for `entra_test_connection`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_group_membership(
    c: *const EntraClient,
    request_json: *const c_char,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::GroupMembership, client c,
        request request_json: crate::groups::sync::MembershipWrite,
        |p, r, call| call.run(p.membership_write(&r)))
}

/// The Graph user properties a Drupal field may be mapped to: `{"properties": [{"name",
/// "max_length"}], "fixed": [...]}` (the fixed ones are set by the mapping itself). No client.
///
/// # Safety
/// `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_mapping_properties(out_json: *mut *mut c_char) -> EntraStatus {
    export!(out_json, Operation::Local, || {
        crate::mapping::mappable_properties()
    })
}

/// What the library tells a host before any client exists: `{"abi_version", "version",
/// "statuses": [{"status", "name", "kind", "retryable", "title"}], "config": {"required",
/// "credentials", "defaults", "ranges"}, "bulk": {"max_users_per_call"}, "clouds": [{"name",
/// "label", "login_endpoint", "graph_endpoint"}], "directions": [{"name", "permission",
/// "satisfied_by"}], "features": [{"name", "permission", "satisfied_by"}], "groups":
/// {"max_ids_per_call", "max_delta_groups", "locked_roles"}}`. No client, no network.
///
/// # Safety
/// `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_describe(out_json: *mut *mut c_char) -> EntraStatus {
    export!(out_json, Operation::Local, || crate::describe::describe())
}

/// Counters of this client: token requests, Graph requests, throttled answers, retries.
///
/// # Safety
/// `c` NULL or live; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_client_stats(
    c: *const EntraClient,
    out_json: *mut *mut c_char,
) -> EntraStatus {
    export!(out_json, Operation::Local, client c, |client| client.provisioner.graph.stats())
}

/// Diagnostic: panics inside the guard, to prove that a panic is contained. Always returns
/// `ENTRA_STATUS_PANIC` with the message in `*out_json`; the process and all handles go on.
///
/// # Safety
/// `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn entra_selftest_panic(out_json: *mut *mut c_char) -> EntraStatus {
    export!(out_json, Operation::Local, || selftest_panic())
}

/// The body of `entra_selftest_panic`: a function of its own, so the panic has a result type.
fn selftest_panic() -> Value {
    panic!("entra_selftest_panic was called")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::ptr;

    fn take(out: *mut c_char) -> Value {
        assert!(!out.is_null());
        // SAFETY: produced by this library.
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        // SAFETY: produced by this library, freed once.
        unsafe { entra_string_free(out) };
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn a_panic_is_contained_and_reported() {
        let mut out = ptr::null_mut();
        // SAFETY: valid out pointer.
        let status = unsafe { entra_selftest_panic(&mut out) };
        assert_eq!(status, EntraStatus::Panic);
        let v = take(out);
        assert_eq!(v["kind"], "panic");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("entra_selftest_panic was called")
        );
    }

    #[test]
    fn null_and_malformed_arguments_are_rejected() {
        let mut out = ptr::null_mut();
        let mut client = ptr::null_mut();
        // SAFETY: deliberate NULL input, valid outs.
        let status = unsafe { entra_client_new(ptr::null(), &mut client, &mut out) };
        assert_eq!(status, EntraStatus::InvalidArgument);
        assert!(client.is_null(), "out_client is written only on success");
        assert_eq!(take(out)["kind"], "invalid_argument");
        // SAFETY: NULL out_json is reported, not written.
        assert_eq!(
            unsafe { entra_client_new(c"{}".as_ptr(), &mut client, ptr::null_mut()) },
            EntraStatus::InvalidArgument
        );
        let bad = [0xffu8, 0xfe, 0];
        // SAFETY: NUL-terminated bytes.
        let status = unsafe { entra_map_user(ptr::null(), bad.as_ptr().cast(), &mut out) };
        assert_eq!(status, EntraStatus::InvalidArgument);
        take(out);
        // SAFETY: NULL handles are ignored.
        unsafe {
            entra_client_free(ptr::null_mut());
            entra_string_free(ptr::null_mut());
        }
    }

    #[test]
    fn shape_errors_never_repeat_input_values() {
        let mut out = ptr::null_mut();
        let request = c"{\"decide\": \"s3cret-value-canary\"}";
        // SAFETY: valid strings.
        let status = unsafe { entra_decide(request.as_ptr(), &mut out) };
        assert_eq!(status, EntraStatus::InvalidArgument);
        let v = take(out);
        let message = v["message"].as_str().unwrap();
        assert!(!message.contains("s3cret"), "{message}");
        assert!(message.contains("unknown variant"), "{message}");
        let Failure::InvalidArgument(m) = shape_error("r", "missing field `entra_id` at line 1")
        else {
            unreachable!()
        };
        assert_eq!(m, "r: missing field `entra_id` at line 1");
    }

    #[test]
    fn config_errors_never_carry_the_secret() {
        let config = cr#"{"tenant_id":"bad tenant","client_id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","client_secret":"canary-s3cret-xyz","primary_domain":"c.example","max_retries":"canary-s3cret-xyz"}"#;
        let mut out = ptr::null_mut();
        let mut client = ptr::null_mut();
        // SAFETY: valid pointers.
        let status = unsafe { entra_client_new(config.as_ptr(), &mut client, &mut out) };
        assert_eq!(status, EntraStatus::Config);
        let v = take(out);
        assert!(!v.to_string().contains("canary-s3cret-xyz"), "{v}");
        assert_eq!(v["kind"], "config");
    }
}
