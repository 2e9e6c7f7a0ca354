//! Identity matching at the C ABI: a create that meets an account this site did not create never
//! links it or writes to it; the decision "link, review or refuse" is `entra_decide`'s; an
//! approved link goes through `entra_link_user`, which writes the profile only. Each scenario of
//! the security review is one test here.

mod common;

use common::abi::{self, *};
use common::*;
use entra_provisioning::ffi::*;
use serde_json::{Value, json};

fn client(base: &str, extra: Value) -> Client {
    abi::client(&config_json(base, extra))
}

fn decide(question: Value) -> Value {
    let (status, answer) = decide_text(&question.to_string());
    assert_eq!(status, EntraStatus::Ok, "{answer}");
    answer
}

/// PATCH, DELETE or POST requests the emulator received for the Entra object `id`.
fn writes_to(base: &str, id: &str) -> Vec<Value> {
    requests(base)
        .into_iter()
        .filter(|e| e["method"] != "GET" && e["path"].as_str().unwrap_or("").contains(id))
        .collect()
}

fn user_by_upn(base: &str, upn: &str) -> Value {
    live_users(base)
        .into_iter()
        .find(|u| u["userPrincipalName"].as_str() == Some(upn))
        .unwrap_or_else(|| panic!("{upn} exists"))
}

#[test]
fn names_that_map_to_one_upn_never_share_an_entra_account() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&base, json!({}));
    let (status, first) = call(
        entra_provision_user,
        &c,
        json!({"uid": 10, "name": "Jane Doe", "mail": "jane@company.example", "status": 1}),
    );
    assert_eq!(status, EntraStatus::Ok, "{first}");
    assert_eq!(
        first["userPrincipalName"],
        "Jane.Doe@contoso.onmicrosoft.com"
    );
    let jane = first["id"].as_str().unwrap().to_owned();
    for (uid, name) in [(11, "jane@doe"), (12, "jané.doe")] {
        let (status, err) = call(
            entra_provision_user,
            &c,
            json!({"uid": uid, "name": name, "mail": format!("{uid}@example.org"), "status": 0}),
        );
        assert_eq!(status, EntraStatus::Conflict, "{name}: {err}");
        assert_eq!(err["existing"]["id"], jane.as_str(), "{name}");
        assert_eq!(err["existing"]["matched_on"], "userPrincipalName");
        // The host knows uid 10 owns that Entra user: the library refuses the match.
        let answer = decide(json!({"decide": "entra_candidate", "policy": "auto",
            "account": {"uid": uid, "roles": ["authenticated"], "status": 1},
            "candidate": err["existing"], "candidate_linked_uid": 10}));
        assert_eq!(answer["outcome"], "refuse", "{name}: {answer}");
    }
    assert!(
        writes_to(&base, &jane).is_empty(),
        "Jane's account was never written to"
    );
    assert_eq!(
        user_by_upn(&base, "Jane.Doe@contoso.onmicrosoft.com")["accountEnabled"],
        true,
        "a blocked colliding registrant never disabled Jane"
    );
}

#[test]
fn upns_from_the_mail_collide_across_domains_and_are_refused() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&base, json!({"mapping": {"upn_source": "mail"}}));
    let (status, first) = call(
        entra_provision_user,
        &c,
        json!({"uid": 20, "name": "jane1", "mail": "jane@company.example", "status": 1}),
    );
    assert_eq!(status, EntraStatus::Ok, "{first}");
    let (status, err) = call(
        entra_provision_user,
        &c,
        json!({"uid": 21, "name": "jane2", "mail": "jane@gmail.example", "status": 1}),
    );
    assert_eq!(status, EntraStatus::Conflict, "{err}");
    assert_eq!(err["existing"]["id"], first["id"]);
    let answer = decide(json!({"decide": "entra_candidate", "policy": "review",
        "account": {"uid": 21, "roles": ["authenticated"], "status": 1},
        "candidate": err["existing"], "candidate_linked_uid": 20}));
    assert_eq!(answer["outcome"], "refuse");
    assert!(writes_to(&base, first["id"].as_str().unwrap()).is_empty());
}

#[test]
fn a_registrant_named_adele_is_proposed_and_an_approved_link_writes_the_profile_only() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&base, json!({}));
    // Blocked in Drupal, with another mail: none of it may reach Adele's account.
    let registrant = json!({"uid": 30, "name": "adele", "mail": "mallory@evil.example", "status": 0,
        "roles": ["authenticated"]});
    let (status, err) = call(entra_provision_user, &c, registrant.clone());
    assert_eq!(status, EntraStatus::Conflict, "{err}");
    let existing = &err["existing"];
    assert_eq!(existing["displayName"], "Adele Vance");
    assert_eq!(existing["privileged"], false);
    let adele = existing["id"].as_str().unwrap().to_owned();
    assert!(
        writes_to(&base, &adele).is_empty(),
        "nothing sent to the candidate"
    );

    // Default policy: an admin reviews it.
    let answer = decide(json!({"decide": "entra_candidate",
        "account": {"uid": 30, "roles": ["authenticated"], "status": 0},
        "candidate": existing, "candidate_linked_uid": null}));
    assert_eq!(answer["outcome"], "review", "{answer}");

    // The admin approves: the link writes displayName, never mail or accountEnabled.
    let (status, linked) = call(
        entra_link_user,
        &c,
        json!({"entra_id": adele, "user": registrant}),
    );
    assert_eq!(status, EntraStatus::Ok, "{linked}");
    assert_eq!(linked["action"], "linked");
    assert_eq!(linked["updated_properties"], json!(["displayName"]));
    let now = user_by_upn(&base, "adele@contoso.onmicrosoft.com");
    assert_eq!(now["displayName"], "adele");
    assert_eq!(now["mail"], "adele@contoso.com");
    assert_eq!(now["accountEnabled"], true);

    // A later update over a link that may not deprovision sends neither.
    let (status, updated) = call(
        entra_update_user,
        &c,
        json!({"entra_id": adele, "user": registrant,
            "link": {"provenance": "matched", "deprovision_matched": false}}),
    );
    assert_eq!(status, EntraStatus::Ok, "{updated}");
    assert_eq!(updated["action"], "unchanged");
    assert_eq!(
        user_by_upn(&base, "adele@contoso.onmicrosoft.com")["accountEnabled"],
        true
    );
    // Approved: the block goes through.
    let (status, updated) = call(
        entra_update_user,
        &c,
        json!({"entra_id": adele, "user": registrant,
            "link": {"provenance": "approved"}}),
    );
    assert_eq!(status, EntraStatus::Ok, "{updated}");
    assert!(
        updated["updated_properties"]
            .as_array()
            .unwrap()
            .contains(&json!("accountEnabled"))
    );
}

#[test]
fn an_admin_role_holder_is_privileged_and_never_linked_automatically() {
    let emu = emulator();
    let base = emu.base_url();
    control(
        &base,
        "PUT",
        "users/adele@contoso.onmicrosoft.com/directory-roles",
        Some(json!({"roles": ["Global Administrator"]})),
    );
    let c = client(&base, json!({}));
    let registrant = json!({"uid": 31, "name": "adele", "mail": "a@example.org", "status": 1,
        "roles": ["authenticated"]});
    let (status, err) = call(entra_provision_user, &c, registrant);
    assert_eq!(status, EntraStatus::Conflict, "{err}");
    assert_eq!(err["existing"]["privileged"], true);
    let answer = decide(json!({"decide": "entra_candidate", "policy": "auto",
        "account": {"uid": 31, "roles": ["authenticated"], "status": 1},
        "candidate": err["existing"], "candidate_linked_uid": null}));
    assert_eq!(answer["outcome"], "review", "{answer}");
}

#[test]
fn privilege_that_cannot_be_read_counts_as_privileged() {
    let emu = emulator();
    let base = emu.base_url();
    add_fault(
        &base,
        json!({"method": "GET", "path_contains": "transitiveMemberOf", "status": 403}),
    );
    let c = client(&base, json!({}));
    let (status, err) = call(
        entra_provision_user,
        &c,
        json!({"uid": 32, "name": "adele", "status": 1}),
    );
    assert_eq!(status, EntraStatus::Conflict, "{err}");
    assert_eq!(err["existing"]["privileged"], Value::Null);
    let answer = decide(json!({"decide": "entra_candidate", "policy": "auto",
        "account": {"uid": 32, "roles": ["authenticated"], "status": 1},
        "candidate": err["existing"], "candidate_linked_uid": null}));
    assert_eq!(answer["outcome"], "review");
}

#[test]
fn bulk_results_name_the_existing_account_per_conflicting_user() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&base, json!({}));
    let (status, out) = call(
        entra_bulk_provision,
        &c,
        json!({"users": [
            {"uid": 40, "name": "newcomer", "status": 1},
            {"uid": 41, "name": "adele", "status": 1},
        ], "budget_ms": 20000}),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    let results = out["results"].as_array().unwrap();
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[1]["ok"], false);
    assert_eq!(results[1]["error"]["kind"], "conflict");
    assert_eq!(
        results[1]["error"]["existing"]["displayName"],
        "Adele Vance"
    );
    let adele = results[1]["error"]["existing"]["id"].as_str().unwrap();
    assert!(writes_to(&base, adele).is_empty());
}

#[test]
fn a_lost_create_that_finds_someone_elses_account_does_not_take_it() {
    let emu = emulator();
    let base = emu.base_url();
    // The create's connection drops before Graph ran it; the lookup then finds Adele, whose
    // account differs from what we sent: a conflict, not "our lost create".
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "reset": true, "count": 1}),
    );
    let c = client(&base, json!({}));
    let (status, err) = call(
        entra_provision_user,
        &c,
        json!({"uid": 50, "name": "adele", "status": 1}),
    );
    assert_eq!(status, EntraStatus::Conflict, "{err}");
    assert_eq!(err["existing"]["displayName"], "Adele Vance");
    // Our own lost create is still recognised as ours.
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "reset": true, "after_commit": true, "count": 1}),
    );
    let (status, out) = call(
        entra_provision_user,
        &c,
        json!({"uid": 51, "name": "lost.create", "status": 1}),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(out["action"], "created");
}

#[test]
fn a_retry_after_longer_than_the_budget_is_handed_back_at_once() {
    let emu = emulator();
    let base = emu.base_url();
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "status": 429, "retry_after_s": 30}),
    );
    let c = client(&base, json!({"max_retries": 20}));
    let started = std::time::Instant::now();
    let (status, err) = call(
        entra_provision_user,
        &c,
        json!({"uid": 60, "name": "budget", "status": 1, "budget_ms": 1500}),
    );
    let elapsed = started.elapsed();
    assert_eq!(status, EntraStatus::Throttled, "{err}");
    let after = err["retry_after_s"].as_f64().unwrap();
    assert!(after > 20.0 && after <= 31.0, "{err}");
    // Not a timing target: a call that slept through a 30 s Retry-After would take 30 s.
    assert!(elapsed < std::time::Duration::from_secs(15), "{elapsed:?}");
    // The client now knows Graph's Retry-After: the next call does not send anything either.
    let before = requests(&base).len();
    let (status, err) = call(
        entra_provision_user,
        &c,
        json!({"uid": 61, "name": "budget2", "status": 1, "budget_ms": 1000}),
    );
    assert_eq!(status, EntraStatus::Throttled, "{err}");
    assert_eq!(
        requests(&base).len(),
        before,
        "nothing sent during the Retry-After"
    );
}

#[test]
fn decide_refuses_questions_it_does_not_know() {
    let (status, err) = decide_text(r#"{"decide": "anything_goes"}"#);
    assert_eq!(status, EntraStatus::InvalidArgument);
    assert_eq!(err["kind"], "invalid_argument");
    let (status, err) = {
        let emu = emulator();
        let c = client(&emu.base_url(), json!({}));
        call(
            entra_map_user,
            &c,
            json!({"name": "x", "budget_ms": "soon"}),
        )
    };
    assert_eq!(status, EntraStatus::InvalidArgument, "{err}");
}

#[test]
fn a_crash_then_a_rename_finds_the_account_the_first_attempt_created() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&base, json!({}));
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // The first attempt created carol, and the process died before the link was stored.
    let (status, carol) = call(
        entra_provision_user,
        &c,
        json!({"uid": 70, "name": "carol", "status": 1}),
    );
    assert_eq!(status, EntraStatus::Ok, "{carol}");
    // The account was renamed meanwhile; the retry names the UPN the first attempt used.
    let (status, out) = call(
        entra_provision_user,
        &c,
        json!({"uid": 70, "name": "caroline", "status": 1,
            "previous_attempt": {"userPrincipalName": "carol@contoso.onmicrosoft.com", "started": started}}),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(out["action"], "created");
    assert_eq!(out["recovered"], true);
    assert_eq!(out["id"], carol["id"]);
    assert!(
        live_users(&base)
            .iter()
            .all(|u| u["userPrincipalName"] != "caroline@contoso.onmicrosoft.com"),
        "no second account"
    );
    // An account older than the attempt is not ours: the create goes ahead (and meets it).
    let (status, err) = call(
        entra_provision_user,
        &c,
        json!({"uid": 71, "name": "adele", "status": 1,
            "previous_attempt": {"userPrincipalName": "adele@contoso.onmicrosoft.com", "started": started + 3600}}),
    );
    assert_eq!(status, EntraStatus::Conflict, "{err}");
    // The same in bulk.
    let (status, out) = call(
        entra_bulk_provision,
        &c,
        json!({"users": [{"uid": 70, "name": "caroline", "status": 1,
            "previous_attempt": {"userPrincipalName": "carol@contoso.onmicrosoft.com", "started": started}}]}),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(out["results"][0]["id"], carol["id"]);
    assert_eq!(out["results"][0]["recovered"], true);
}
