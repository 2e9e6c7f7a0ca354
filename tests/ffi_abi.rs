//! The exported C functions themselves, called as C would call them, against the emulator.

mod common;

use common::abi::{Client, call, take, try_client};
use common::*;
use entra_provisioning::ffi::*;
use serde_json::{Value, json};
use std::ffi::{CStr, CString};
use std::ptr;

fn client(config: &str) -> Client {
    let (client, summary) = try_client(config).unwrap_or_else(|(s, e)| panic!("{s:?} {e}"));
    assert_eq!(summary["abi_version"], ABI_VERSION);
    client
}

#[test]
fn the_exports_work_end_to_end() {
    assert_eq!(entra_abi_version(), 6);
    // SAFETY: a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(entra_version()) }.to_str().unwrap();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));

    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(&base, json!({})));

    let (status, out) = call(
        entra_test_connection,
        &c,
        json!({"upn": "adele@contoso.onmicrosoft.com"}),
    );
    assert_eq!(status, EntraStatus::Ok);
    assert_eq!(out["attributes"]["displayName"], "Adele Vance");

    let user = json!({"uid": 42, "name": "ffi user", "mail": "ffi@example.com", "status": 1});
    let (status, preview) = call(entra_map_user, &c, user.clone());
    assert_eq!(status, EntraStatus::Ok);
    assert_eq!(
        preview["userPrincipalName"],
        "ffi.user@contoso.onmicrosoft.com"
    );
    assert_eq!(preview["passwordProfile"]["password"], "[REDACTED]");

    let (status, created) = call(entra_provision_user, &c, user.clone());
    assert_eq!(status, EntraStatus::Ok, "{created}");
    assert_eq!(created["action"], "created");
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, found) = call(entra_find_user, &c, json!({"mail": "ffi@example.com"}));
    assert_eq!(status, EntraStatus::Ok);
    assert_eq!(found["found"], true);
    assert_eq!(found["user"]["id"], id.as_str());

    let (status, out) = call(entra_update_user, &c, json!({"entra_id": id, "user": user}));
    assert_eq!(
        (status, out["action"].as_str()),
        (EntraStatus::Ok, Some("unchanged"))
    );
    let (status, out) = call(entra_disable_user, &c, json!({"entra_id": id}));
    assert_eq!(
        (status, out["action"].as_str()),
        (EntraStatus::Ok, Some("disabled"))
    );
    let (status, out) = call(entra_enable_user, &c, json!({"entra_id": id}));
    assert_eq!(
        (status, out["action"].as_str()),
        (EntraStatus::Ok, Some("enabled"))
    );
    let blocked = json!({"uid": 42, "name": "ffi user", "mail": "ffi@example.com", "status": 0});
    let (status, out) = call(
        entra_update_user,
        &c,
        json!({"entra_id": id, "user": blocked, "sync_status": false}),
    );
    assert_eq!(
        (status, out["action"].as_str()),
        (EntraStatus::Ok, Some("unchanged")),
        "without status sync a blocked account leaves accountEnabled alone: {out}"
    );
    let (status, out) = call(
        entra_update_user,
        &c,
        json!({"entra_id": id, "user": blocked}),
    );
    assert_eq!(
        out["updated_properties"],
        json!(["accountEnabled"]),
        "{status:?}"
    );
    let (status, out) = call(entra_delete_user, &c, json!({"entra_id": id}));
    assert_eq!(
        (status, out["action"].as_str()),
        (EntraStatus::Ok, Some("deleted"))
    );
    for export in [entra_disable_user, entra_enable_user] {
        let (status, out) = call(export, &c, json!({"entra_id": id}));
        assert_eq!(
            (status, out["action"].as_str()),
            (EntraStatus::Ok, Some("already_deleted")),
            "a user gone from Entra leaves nothing to disable or enable: {out}"
        );
    }

    let users: Vec<Value> = (0..45)
        .map(|i| json!({"uid": i, "name": format!("abi{i}")}))
        .collect();
    let (status, out) = call(entra_bulk_provision, &c, json!(users));
    assert_eq!(status, EntraStatus::Ok);
    assert_eq!(out["summary"]["created"], 45);
    assert_eq!(out["results"].as_array().unwrap().len(), 45);
    assert_eq!(out["results"][44]["uid"], 44);
    assert!(
        out["results"][0]["request_id"].is_string(),
        "each create keeps its request-id"
    );

    let mut out = ptr::null_mut();
    // SAFETY: live handle.
    assert_eq!(
        unsafe { entra_client_stats(c.0, &mut out) },
        EntraStatus::Ok
    );
    assert_eq!(take(out)["token_requests"], 1);
}

#[test]
fn every_error_kind_has_its_status_and_object() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(&base, json!({"max_retries": 0})));

    let (status, err) = call(entra_provision_user, &c, json!({"uid": 1, "name": "%%%"}));
    assert_eq!(status, EntraStatus::Validation);
    assert_eq!(err["kind"], "validation");
    assert_eq!(err["status"], EntraStatus::Validation as i32);
    assert_eq!(err["title"], "Rejected by Entra ID validation");
    assert!(
        err["hint"].is_string(),
        "every error says what to do: {err}"
    );
    assert_eq!(err["field"], "name");

    let (status, err) = call(entra_provision_user, &c, json!({"uid": 1}));
    assert_eq!(status, EntraStatus::InvalidArgument, "{err}");

    let (status, err) = call(
        entra_update_user,
        &c,
        json!({"entra_id": "00000000-0000-0000-0000-000000000000", "user": {"name": "x"}}),
    );
    assert_eq!(status, EntraStatus::NotFound);
    assert!(err["request_id"].is_string(), "{err}");

    add_fault(
        &base,
        json!({"method": "GET", "status": 429, "retry_after_s": 3}),
    );
    let (status, err) = call(
        entra_find_user,
        &c,
        json!({"upn": "adele@contoso.onmicrosoft.com"}),
    );
    assert_eq!(status, EntraStatus::Throttled);
    assert_eq!(err["retry_after_s"], 3.0);
    assert_eq!(err["http_status"], 429);

    let wrong = client(&config_json(
        &base,
        json!({"client_secret": "canary-wrong-secret-1"}),
    ));
    let (status, err) = call(
        entra_test_connection,
        &wrong,
        json!({"upn": "adele@contoso.onmicrosoft.com"}),
    );
    assert_eq!(status, EntraStatus::Auth);
    assert_eq!(err["aadsts"], "AADSTS7000215");
    assert!(!err.to_string().contains("canary-wrong-secret-1"));

    // A NULL handle is an argument error, not a crash.
    let request = CString::new("{}").unwrap();
    let mut out = ptr::null_mut();
    // SAFETY: NULL handle on purpose.
    let status = unsafe { entra_find_user(ptr::null(), request.as_ptr(), &mut out) };
    assert_eq!(status, EntraStatus::InvalidArgument);
    let err = take(out);
    assert_eq!(err["kind"], "invalid_argument");
    assert_eq!(err["status"], 1);
}

#[test]
fn describe_names_every_status_default_limit_cloud_and_direction() {
    let mut out = ptr::null_mut();
    // SAFETY: a valid out pointer.
    let status = unsafe { entra_describe(&mut out) };
    assert_eq!(status, EntraStatus::Ok);
    let d = take(out);
    assert_eq!(d["abi_version"], ABI_VERSION);
    let statuses = d["statuses"].as_array().unwrap();
    for s in EntraStatus::ALL {
        let entry = &statuses[s as usize];
        assert_eq!(entry["status"], s as i32);
        assert_eq!(entry["kind"], s.kind());
    }
    assert_eq!(statuses[11]["name"], "ENTRA_STATUS_PANIC");
    let retryable: Vec<&str> = statuses
        .iter()
        .filter(|s| s["retryable"] == true)
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(retryable, ["throttled", "transient"]);
    assert_eq!(d["config"]["defaults"]["max_retries"], 5);
    assert_eq!(d["config"]["ranges"]["timeout_ms"], json!([100, 600000]));
    assert_eq!(
        d["config"]["required"],
        json!(["tenant_id", "client_id", "primary_domain"])
    );
    let clouds: Vec<&str> = d["clouds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(clouds, ["global", "usgov", "usgov-dod", "china"]);
    assert_eq!(d["directions"][0]["name"], "drupal_to_entra");
    assert_eq!(d["directions"][0]["permission"], "User.ReadWrite.All");
}

/// `entra_check_certificate`, as C calls it.
fn check_certificate(request: &str) -> (EntraStatus, Value) {
    let request = CString::new(request).unwrap();
    let mut out = ptr::null_mut();
    // SAFETY: valid strings.
    let status = unsafe { entra_check_certificate(request.as_ptr(), &mut out) };
    (status, take(out))
}

#[test]
fn check_certificate_reports_problems_as_data_and_never_quotes_the_key() {
    let cert = include_str!("fixtures/test-app.cert.pem");
    let key = include_str!("fixtures/test-app.key.pem");
    let other = include_str!("fixtures/other.key.pem");
    let key_lines: Vec<&str> = other
        .lines()
        .filter(|l| l.len() > 16 && !l.starts_with("-----"))
        .collect();
    let quotes_the_key = |out: &Value| {
        let text = out.to_string();
        key_lines.iter().any(|line| text.contains(line))
    };

    let (status, out) =
        check_certificate(&json!({"certificate_pem": cert, "private_key_pem": key}).to_string());
    assert_eq!(status, EntraStatus::Ok);
    assert_eq!(out["problems"], json!([]));
    assert_eq!(
        out["certificate"]["thumbprint"],
        "7238AC56292B62D7E8452FC9B55AF83EC199E7B1"
    );
    assert_eq!(
        out["certificate"]["subject"],
        "CN=entra-provisioning test app (tests only)"
    );
    assert_eq!(out["certificate"]["not_after"], 4_949_278_590u64);

    // Without the key, or with a null one: the certificate alone.
    for request in [
        json!({"certificate_pem": cert}),
        json!({"certificate_pem": cert, "private_key_pem": null}),
    ] {
        let (status, out) = check_certificate(&request.to_string());
        assert_eq!(status, EntraStatus::Ok);
        assert_eq!(out["problems"], json!([]));
        assert!(out["certificate"].is_object());
    }

    // A problem is the answer, not an error.
    let (status, out) =
        check_certificate(&json!({"certificate_pem": cert, "private_key_pem": other}).to_string());
    assert_eq!(status, EntraStatus::Ok);
    assert_eq!(
        out["problems"][0]["field"],
        "client_certificate.private_key_pem"
    );
    assert!(
        out["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not belong to the certificate")
    );
    assert!(out["certificate"].is_object());
    assert!(!quotes_the_key(&out), "{out}");

    let (status, out) = check_certificate(
        &json!({"certificate_pem": "junk", "private_key_pem": other}).to_string(),
    );
    assert_eq!(status, EntraStatus::Ok);
    assert_eq!(out["certificate"], Value::Null);
    assert_eq!(
        out["problems"],
        json!([{"field": "client_certificate.certificate_pem",
            "message": entra_provisioning::credential::problem::CERTIFICATE_NOT_PEM}])
    );

    // Only a request of the wrong shape is an argument error, and it never quotes the key.
    for request in [
        json!({"private_key_pem": other}).to_string(),
        json!({"certificate_pem": 5, "private_key_pem": other}).to_string(),
        json!({"certificate_pem": [other], "private_key_pem": other}).to_string(),
        format!(
            "{{\"private_key_pem\": {}, \"certificate_pem\": ",
            json!(other)
        ),
        "[]".to_owned(),
    ] {
        let (status, out) = check_certificate(&request);
        assert_eq!(status, EntraStatus::InvalidArgument, "{request}");
        assert_eq!(out["kind"], "invalid_argument");
        assert!(!quotes_the_key(&out), "{out}");
    }

    // NULL pointers are argument errors, not crashes.
    let mut out = ptr::null_mut();
    // SAFETY: NULL request on purpose.
    let status = unsafe { entra_check_certificate(ptr::null(), &mut out) };
    assert_eq!(status, EntraStatus::InvalidArgument);
    assert_eq!(take(out)["kind"], "invalid_argument");
    let request = CString::new(json!({"certificate_pem": cert}).to_string()).unwrap();
    // SAFETY: NULL out pointer on purpose.
    let status = unsafe { entra_check_certificate(request.as_ptr(), ptr::null_mut()) };
    assert_eq!(status, EntraStatus::InvalidArgument);
}

#[test]
fn the_group_exports_check_their_requests_before_any_request() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(&base, json!({})));
    for (export, request, what) in [
        (
            entra_groups as common::abi::Export,
            json!({"op": "delete"}),
            "unknown op",
        ),
        (entra_groups, json!({"ids": []}), "no op"),
        (
            entra_group_membership,
            json!({"op": "add", "group_id": "g"}),
            "no user_id",
        ),
        (
            entra_group_membership,
            json!({"op": "replace", "group_id": "g", "user_id": "u"}),
            "unknown op",
        ),
    ] {
        let (status, err) = call(export, &c, request);
        assert_eq!(status, EntraStatus::InvalidArgument, "{what}: {err}");
        assert_eq!(err["kind"], "invalid_argument");
    }
    let (status, err) = call(
        entra_groups,
        &c,
        json!({"op": "member_of", "group_ids": [],
            "user_ids": (0..1001).map(|i| format!("u{i}")).collect::<Vec<_>>()}),
    );
    assert_eq!(status, EntraStatus::Validation, "{err}");
    assert_eq!(err["field"], "user_ids");
    assert!(
        requests(&base).is_empty(),
        "nothing reached Graph: {:?}",
        requests(&base)
    );
    let mut out = ptr::null_mut();
    let request = CString::new("{\"op\":\"add\",\"group_id\":\"g\",\"user_id\":\"u\"}").unwrap();
    // SAFETY: a NULL client is reported, valid strings.
    let status = unsafe { entra_group_membership(ptr::null(), request.as_ptr(), &mut out) };
    assert_eq!(status, EntraStatus::InvalidArgument);
    assert_eq!(take(out)["message"], "client is NULL");
}
