//! Issue #3: every error object says whether the failure is worth retrying (`retryable`) and
//! whether it is this user's alone or the connection's (`scope`), so the host's queue fails one
//! item or suspends itself without deciding anything. At the C ABI, against the emulator.

mod common;

use common::abi::*;
use common::*;
use entra_provisioning::ffi::*;
use serde_json::{Value, json};

const READER: &str = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee";
const READER_SECRET: &str = "reader-secret-value";

fn emulator_with_reader() -> entra_graph_emulator::BlockingEmulator {
    emulator_with(|c| {
        c.clients.push(entra_graph_emulator::ClientApp {
            client_id: READER.into(),
            secret: READER_SECRET.into(),
            permissions: vec!["User.Read.All".into()],
            certificate_pem: None,
        })
    })
}

fn assert_scope(what: &str, err: &Value, kind: &str, scope: &str, retryable: bool) {
    assert_eq!(err["kind"], kind, "{what}: {err}");
    assert_eq!(err["scope"], scope, "{what}: {err}");
    assert_eq!(err["retryable"], retryable, "{what}: {err}");
}

#[test]
fn a_403_on_a_role_holder_is_that_users_failure() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(&base, json!({"max_retries": 0})));
    let upn = format!("adele@{DOMAIN}");
    let (status, adele) = call(entra_find_user, &c, json!({"upn": upn}));
    assert_eq!(status, EntraStatus::Ok);
    let id = adele["user"]["id"].as_str().unwrap().to_owned();
    control(
        &base,
        "PUT",
        &format!("users/{upn}/directory-roles"),
        Some(json!({"roles": ["User Administrator"]})),
    );
    let user = json!({"uid": 2, "name": "adele", "mail": "adele@contoso.com", "status": 0,
        "fields": {}});
    for (name, export, request) in [
        (
            "update",
            entra_update_user as Export,
            json!({"entra_id": id, "user": user}),
        ),
        ("disable", entra_disable_user, json!({"entra_id": id})),
        ("enable", entra_enable_user, json!({"entra_id": id})),
        ("delete", entra_delete_user, json!({"entra_id": id})),
        (
            "link",
            entra_link_user,
            json!({"entra_id": id, "user": {"uid": 2, "name": "adele.vance"}}),
        ),
    ] {
        let (status, err) = call(export, &c, request);
        assert_eq!(status, EntraStatus::Permission, "{name}: {err}");
        assert_eq!(err["http_status"], 403, "{name}");
        assert_scope(name, &err, "permission", "user", false);
        let hint = err["hint"].as_str().unwrap();
        assert!(
            hint.contains("admin"),
            "{name}: the hint names the likely cause: {hint}"
        );
        assert!(!hint.starts_with("Grant"), "{name}: {hint}");
    }
    // Another user, on the same connection, is changed as usual.
    let (status, created) = call(entra_provision_user, &c, json!({"uid": 3, "name": "other"}));
    assert_eq!(status, EntraStatus::Ok, "{created}");
    let (status, out) = call(entra_disable_user, &c, json!({"entra_id": created["id"]}));
    assert_eq!(status, EntraStatus::Ok, "{out}");
}

#[test]
fn a_403_for_an_app_that_may_not_write_suspends_the_queue() {
    let emu = emulator_with_reader();
    let base = emu.base_url();
    let writer = client(&config_json(&base, json!({})));
    let (_, created) = call(
        entra_provision_user,
        &writer,
        json!({"uid": 1, "name": "existing"}),
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let reader = client(&config_json(
        &base,
        json!({"client_id": READER, "client_secret": READER_SECRET, "max_retries": 0}),
    ));
    let (status, err) = call(
        entra_provision_user,
        &reader,
        json!({"uid": 2, "name": "new"}),
    );
    assert_eq!(status, EntraStatus::Permission, "{err}");
    assert_scope("create", &err, "permission", "connection", false);
    assert!(
        err["hint"].as_str().unwrap().contains("User.ReadWrite.All"),
        "{err}"
    );
    let (status, out) = call(
        entra_bulk_provision,
        &reader,
        json!([{"uid": 3, "name": "b1"}, {"uid": 4, "name": "b2"}]),
    );
    assert_eq!(status, EntraStatus::Ok);
    for result in out["results"].as_array().unwrap() {
        assert_scope("bulk", &result["error"], "permission", "connection", false);
    }
    // A change to an existing user by an app whose token cannot write users is the
    // connection's too: every other change would be refused the same way.
    let (status, err) = call(entra_disable_user, &reader, json!({"entra_id": id}));
    assert_eq!(status, EntraStatus::Permission, "{err}");
    assert_scope(
        "disable by a reader",
        &err,
        "permission",
        "connection",
        false,
    );
    assert!(
        err["hint"].as_str().unwrap().contains("User.ReadWrite.All"),
        "{err}"
    );
}

#[test]
fn every_kind_has_its_scope_and_retryability() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(&base, json!({"max_retries": 0})));
    let missing = "00000000-0000-0000-0000-000000000000";

    let (_, err) = call(entra_provision_user, &c, json!({"uid": 1, "name": "%%%"}));
    assert_scope("validation", &err, "validation", "user", false);
    let (_, err) = call(
        entra_update_user,
        &c,
        json!({"entra_id": missing, "user": {"name": "gone"}}),
    );
    assert_scope("not found", &err, "not_found", "user", false);
    let (_, err) = call(entra_provision_user, &c, json!({"uid": 2, "name": "adele"}));
    assert_scope("conflict", &err, "conflict", "user", false);
    let (_, err) = call(entra_disable_user, &c, json!({"nope": 1}));
    assert_scope(
        "invalid argument",
        &err,
        "invalid_argument",
        "connection",
        false,
    );

    add_fault(
        &base,
        json!({"method": "PATCH", "status": 429, "retry_after_s": 1, "count": 1}),
    );
    let (_, created) = call(entra_provision_user, &c, json!({"uid": 3, "name": "busy"}));
    let (_, err) = call(entra_disable_user, &c, json!({"entra_id": created["id"]}));
    assert_scope("throttled", &err, "throttled", "connection", true);
    add_fault(&base, json!({"method": "PATCH", "status": 503, "count": 1}));
    let (_, err) = call(entra_enable_user, &c, json!({"entra_id": created["id"]}));
    assert_scope("transient", &err, "transient", "connection", true);
    add_fault(&base, json!({"method": "GET", "status": 403, "count": 1}));
    let (_, err) = call(
        entra_test_connection,
        &c,
        json!({"upn": format!("adele@{DOMAIN}")}),
    );
    assert_scope("test connection", &err, "permission", "connection", false);
    add_fault(&base, json!({"method": "GET", "status": 400, "count": 1}));
    let (_, err) = call(entra_import_delta, &c, json!({}));
    assert_scope("import", &err, "validation", "connection", false);

    let wrong = client(&config_json(
        &base,
        json!({"client_secret": "not-the-right-secret"}),
    ));
    let (_, err) = call(
        entra_disable_user,
        &wrong,
        json!({"entra_id": created["id"]}),
    );
    assert_scope("auth", &err, "auth", "connection", false);

    let Err((_, err)) = try_client(&config_json(&base, json!({"tenant_id": "not a tenant"})))
    else {
        panic!("a bad tenant is refused");
    };
    assert_scope("config", &err, "config", "connection", false);

    let mut out = std::ptr::null_mut();
    // SAFETY: a writable out pointer.
    unsafe { entra_selftest_panic(&mut out) };
    assert_scope("panic", &take(out), "panic", "connection", false);
}
