//! The core against the emulator over real HTTP on loopback.

mod common;

use common::*;
use entra_provisioning::provision::{FindQuery, TestRequest, UpdateRules};
use entra_provisioning::{Action, ErrorKind};
use serde_json::{Value, json};

#[test]
fn test_connection_returns_the_attributes_of_the_user() {
    let emu = emulator();
    let p = provisioner(&emu.base_url(), json!({}));
    let out = block_on(p.test_connection(&test_request(
        "adele@contoso.onmicrosoft.com",
        &["drupal_to_entra", "entra_to_drupal"],
    )))
    .unwrap();
    assert_eq!(out["granted_permissions"], json!(["User.ReadWrite.All"]));
    assert_eq!(out["missing_permissions"], json!([]));
    assert_eq!(out["attributes"]["displayName"], "Adele Vance");
    assert_eq!(out["attributes"]["mail"], "adele@contoso.com");
    assert!(
        out["attributes"]["id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(out["request_id"].is_string());
    let err = block_on(p.test_connection(&test_request("nobody@contoso.onmicrosoft.com", &[])))
        .unwrap_err();
    assert!(err.is(ErrorKind::NotFound), "{err:?}");
    assert_eq!(err.detail().field.as_deref(), Some("upn"));
}

fn test_request(upn: &str, directions: &[&str]) -> TestRequest {
    TestRequest {
        upn: upn.into(),
        directions: directions.iter().map(|d| d.to_string()).collect(),
        features: vec![],
    }
}

#[test]
fn a_read_only_app_is_told_which_permission_is_missing() {
    let emu = emulator_with(|c| {
        c.clients[0].permissions = vec!["User.Read.All".into()];
    });
    let p = provisioner(&emu.base_url(), json!({}));
    let out = block_on(p.test_connection(&test_request(
        "adele@contoso.onmicrosoft.com",
        &["drupal_to_entra", "entra_to_drupal"],
    )))
    .unwrap();
    assert_eq!(out["missing_permissions"], json!(["User.ReadWrite.All"]));
    let out = block_on(p.test_connection(&test_request(
        "adele@contoso.onmicrosoft.com",
        &["entra_to_drupal"],
    )))
    .unwrap();
    assert_eq!(out["missing_permissions"], json!([]));
}

#[test]
fn the_token_is_fetched_once_for_many_operations() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    for uid in 1..=10 {
        let out = block_on(p.provision_user(&drupal_user(uid, &format!("cached{uid}")))).unwrap();
        assert_eq!(out.action, Action::Created);
    }
    assert_eq!(p.graph.stats().token_requests, 1);
    assert_eq!(stats(&base)["token_requests"], 1);
}

#[test]
fn a_taken_upn_is_a_conflict_naming_the_holder_and_nothing_is_written_to_it() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    // A registrant named "adele" maps to the UPN of the tenant's Adele Vance.
    let user: entra_provisioning::mapping::DrupalUser = serde_json::from_value(
        json!({"uid": 9, "name": "adele", "mail": "adele@evil.example", "status": 0}),
    )
    .unwrap();
    for _ in 0..2 {
        let err = block_on(p.provision_user(&user)).unwrap_err();
        assert!(err.is(ErrorKind::Conflict), "{err:?}");
        let existing = err.detail().existing.as_ref().expect("the holder is named");
        assert_eq!(
            existing.user_principal_name.as_deref(),
            Some("adele@contoso.onmicrosoft.com")
        );
        assert_eq!(existing.display_name.as_deref(), Some("Adele Vance"));
        assert_eq!(existing.mail.as_deref(), Some("adele@contoso.com"));
        assert_eq!(existing.account_enabled, Some(true));
        assert_eq!(existing.privileged, Some(false));
        assert_eq!(existing.matched_on, "userPrincipalName");
    }
    let adele = live_users(&base)
        .into_iter()
        .find(|u| u["userPrincipalName"] == "adele@contoso.onmicrosoft.com")
        .unwrap();
    assert_eq!(adele["displayName"], "Adele Vance");
    assert_eq!(adele["mail"], "adele@contoso.com");
    assert_eq!(adele["accountEnabled"], true);
    let writes: Vec<Value> = requests(&base)
        .into_iter()
        .filter(|e| e["method"] == "PATCH" || e["method"] == "DELETE")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(live_users(&base).len(), 1, "no second account either");
}

#[test]
fn quotes_and_unicode_survive_lookups() {
    let emu = emulator();
    let p = provisioner(&emu.base_url(), json!({}));
    let user: entra_provisioning::mapping::DrupalUser = serde_json::from_value(
        json!({"uid": 1, "name": "Zoë O'Brien", "mail": "zoe.o'brien@example.com", "status": 1}),
    )
    .unwrap();
    let created = block_on(p.provision_user(&user)).unwrap();
    assert_eq!(
        created.user_principal_name.as_deref(),
        Some("Zoe.O'Brien@contoso.onmicrosoft.com")
    );
    let by_upn = block_on(p.find_user(&FindQuery {
        id: None,
        upn: Some("Zoe.O'Brien@contoso.onmicrosoft.com".into()),
        mail: None,
    }))
    .unwrap()
    .expect("found by UPN");
    assert_eq!(by_upn["id"], created.id.as_str());
    let by_mail = block_on(p.find_user(&FindQuery {
        id: None,
        upn: None,
        mail: Some("zoe.o'brien@example.com".into()),
    }))
    .unwrap()
    .expect("found by mail");
    // Non-ASCII and reserved characters travel percent-encoded and simply find nobody.
    for upn in [
        "zoë@contoso.onmicrosoft.com",
        "$o'x#y@contoso.onmicrosoft.com",
    ] {
        let none = block_on(p.find_user(&FindQuery {
            id: None,
            upn: Some(upn.into()),
            mail: None,
        }))
        .unwrap();
        assert!(none.is_none(), "{upn}");
    }
    let none = block_on(p.find_user(&FindQuery {
        id: None,
        upn: None,
        mail: Some("zoë@example.com".into()),
    }))
    .unwrap();
    assert!(none.is_none());
    assert_eq!(by_mail["id"], created.id.as_str());
    let missing = block_on(p.find_user(&FindQuery {
        id: None,
        upn: None,
        mail: Some("o'nobody@example.com".into()),
    }))
    .unwrap();
    assert!(missing.is_none());
}

#[test]
fn update_disable_and_delete() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(
        &base,
        json!({"mapping": {"properties": {"field_title": "jobTitle"}}}),
    );
    let mut user = drupal_user(5, "lifecycle");
    let created = block_on(p.provision_user(&user)).unwrap();
    let unchanged = block_on(p.update_user(&created.id, &user, UpdateRules::everything())).unwrap();
    assert_eq!(unchanged.action, Action::Unchanged);
    user.fields.insert("field_title".into(), json!("Engineer"));
    let updated = block_on(p.update_user(&created.id, &user, UpdateRules::everything())).unwrap();
    assert_eq!(updated.action, Action::Updated);
    assert_eq!(updated.updated_properties, vec!["jobTitle".to_string()]);
    let disabled = block_on(p.disable_user(&created.id)).unwrap();
    assert_eq!(disabled.action, Action::Disabled);
    let entra = block_on(p.get_user(&created.id)).unwrap().unwrap();
    assert_eq!(entra["accountEnabled"], false);
    assert_eq!(entra["jobTitle"], "Engineer");
    assert_eq!(
        block_on(p.delete_user(&created.id)).unwrap().action,
        Action::Deleted
    );
    assert_eq!(
        block_on(p.delete_user(&created.id)).unwrap().action,
        Action::AlreadyDeleted
    );
    assert!(block_on(p.get_user(&created.id)).unwrap().is_none());
    let err = block_on(p.update_user(&created.id, &user, UpdateRules::everything())).unwrap_err();
    assert!(err.is(ErrorKind::NotFound));
}

#[test]
fn each_failure_has_its_kind_and_request_id() {
    let emu = emulator_with(|c| {
        c.clients.push(entra_graph_emulator::ClientApp {
            client_id: "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee".into(),
            secret: "reader-secret".into(),
            permissions: vec!["User.Read.All".into()],
            certificate_pem: None,
        })
    });
    let base = emu.base_url();
    let wrong_secret = provisioner(&base, json!({"client_secret": "wrong-canary-secret"}));
    let err = block_on(wrong_secret.provision_user(&drupal_user(1, "x"))).unwrap_err();
    assert!(err.is(ErrorKind::Auth), "{err:?}");
    assert_eq!(err.detail().aadsts.as_deref(), Some("AADSTS7000215"));
    assert!(!format!("{err:?}{err}").contains("wrong-canary-secret"));
    let reader = provisioner(
        &base,
        json!({"client_id": "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee", "client_secret": "reader-secret"}),
    );
    let err = block_on(reader.provision_user(&drupal_user(2, "y"))).unwrap_err();
    assert!(err.is(ErrorKind::Permission), "{err:?}");
    assert!(err.detail().request_id.is_some());
    assert!(
        err.detail()
            .hint
            .as_deref()
            .unwrap()
            .contains("User.ReadWrite.All")
    );
    let p = provisioner(&base, json!({"max_retries": 1}));
    let err = block_on(p.update_user(
        "00000000-0000-0000-0000-000000000000",
        &drupal_user(9, "gone"),
        UpdateRules::new(None, false),
    ))
    .unwrap_err();
    assert!(err.is(ErrorKind::NotFound), "{err:?}");
    assert!(err.detail().request_id.is_some());
    let gone = block_on(p.disable_user("00000000-0000-0000-0000-000000000000")).unwrap();
    assert_eq!(
        gone.action,
        Action::AlreadyDeleted,
        "nothing left to disable"
    );
    assert!(gone.request_id.is_some());
    add_fault(
        &base,
        json!({"method": "PATCH", "status": 503, "count": 10}),
    );
    let created = block_on(p.provision_user(&drupal_user(3, "z"))).unwrap();
    let err = block_on(p.disable_user(&created.id)).unwrap_err();
    assert!(err.is(ErrorKind::Transient), "{err:?}");
    assert!(err.is_retryable());
    let mut bad = drupal_user(4, "+++");
    bad.mail = None;
    let err = block_on(p.provision_user(&bad)).unwrap_err();
    assert!(err.is(ErrorKind::Validation));
    assert_eq!(err.detail().field.as_deref(), Some("name"));
}

#[test]
fn a_refused_token_is_renewed_once() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    block_on(p.provision_user(&drupal_user(1, "before"))).unwrap();
    control(
        &base,
        "POST",
        "config",
        Some(json!({"expire_tokens": true})),
    );
    let out = block_on(p.provision_user(&drupal_user(2, "after"))).unwrap();
    assert_eq!(out.action, Action::Created);
    assert_eq!(p.graph.stats().token_requests, 2);
}

#[test]
fn concurrent_callers_share_one_token_request() {
    let emu = emulator_with(|c| c.latency_ms = 100);
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    let users: Vec<_> = (1..=8)
        .map(|uid| drupal_user(uid, &format!("concurrent{uid}")))
        .collect();
    let results = block_on(futures_util::future::join_all(
        users.iter().map(|u| p.provision_user(u)),
    ));
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_ok_and(|o| o.action == Action::Created))
    );
    assert_eq!(
        stats(&base)["token_requests"],
        1,
        "one token request for 8 concurrent callers"
    );
}
