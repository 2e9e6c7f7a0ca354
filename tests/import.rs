//! Entra → Drupal: the delta query against the emulator.

mod common;

use common::*;
use entra_provisioning::import::{Change, DeltaRequest};
use entra_provisioning::provision::UpdateRules;
use serde_json::json;

fn upserts(changes: &[Change]) -> Vec<(&str, &serde_json::Map<String, serde_json::Value>)> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Upsert { id, drupal, .. } => Some((id.as_str(), drupal)),
            _ => None,
        })
        .collect()
}

#[test]
fn full_round_then_incremental_changes_then_resync() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(
        &base,
        json!({"mapping": {"properties": {"field_title": "jobTitle"}}}),
    );
    let users: Vec<serde_json::Value> = (0..250)
        .map(|i| json!({"uid": i, "name": format!("imp{i}")}))
        .collect();
    assert!(
        block_on(p.bulk_provision(users))
            .iter()
            .all(|r| r.result.is_ok())
    );

    // A full round in pages of one Graph page per call, resumed through next_link.
    let mut request = DeltaRequest {
        max_pages: Some(1),
        ..DeltaRequest::default()
    };
    let mut seen = 0;
    let mut calls = 0;
    let delta_link = loop {
        let page = block_on(p.import_delta(&request)).unwrap();
        calls += 1;
        seen += upserts(&page.changes).len();
        match (page.next_link, page.delta_link) {
            (Some(next), None) => request.link = Some(next),
            (None, Some(delta)) => break delta,
            other => panic!("a page ends with exactly one link: {other:?}"),
        }
    };
    assert_eq!(seen, 251, "250 provisioned + the seeded user");
    assert!(calls >= 3, "the round was paged ({calls} calls)");

    // Changes in Entra: an update, a soft delete, a permanent delete, a new user.
    let adele = block_on(p.get_user("adele@contoso.onmicrosoft.com"))
        .unwrap()
        .unwrap();
    let adele_id = adele["id"].as_str().unwrap().to_owned();
    let mut adele_drupal = drupal_user(1, "adele");
    adele_drupal.mail = Some("adele@contoso.com".into());
    adele_drupal.status = Some(false);
    adele_drupal
        .fields
        .insert("field_title".into(), json!("Lead"));
    block_on(p.update_user(&adele_id, &adele_drupal, UpdateRules::everything())).unwrap();
    let soft = block_on(p.get_user("imp1@contoso.onmicrosoft.com"))
        .unwrap()
        .unwrap();
    let soft_id = soft["id"].as_str().unwrap().to_owned();
    block_on(p.delete_user(&soft_id)).unwrap();
    let hard = block_on(p.get_user("imp2@contoso.onmicrosoft.com"))
        .unwrap()
        .unwrap();
    let hard_id = hard["id"].as_str().unwrap().to_owned();
    block_on(p.delete_user(&hard_id)).unwrap();
    let purge = block_on(async {
        reqwest::Client::new()
            .delete(format!("{base}/v1.0/directory/deletedItems/{hard_id}"))
            .bearer_auth(token(&base).await)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(purge, 204);
    block_on(p.provision_user(&drupal_user(999, "newcomer"))).unwrap();

    let page = block_on(p.import_delta(&DeltaRequest {
        link: Some(delta_link),
        ..DeltaRequest::default()
    }))
    .unwrap();
    assert!(page.delta_link.is_some());
    let ups = upserts(&page.changes);
    let adele_change = ups
        .iter()
        .find(|(id, _)| *id == adele_id)
        .expect("adele changed");
    assert_eq!(adele_change.1["status"], 0);
    assert_eq!(adele_change.1["fields"]["field_title"], "Lead");
    assert!(
        ups.iter()
            .any(|(_, d)| d.get("name").and_then(|n| n.as_str()) == Some("newcomer"))
    );
    let removed: Vec<(&str, &str)> = page
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Removed { id, reason } => Some((id.as_str(), reason.as_str())),
            _ => None,
        })
        .collect();
    assert!(
        removed.contains(&(soft_id.as_str(), "changed")),
        "{removed:?}"
    );
    assert!(
        removed.contains(&(hard_id.as_str(), "deleted")),
        "{removed:?}"
    );

    // An expired delta link asks for a full resync instead of failing.
    control(
        &base,
        "POST",
        "config",
        Some(json!({"expire_delta_tokens": true})),
    );
    let page = block_on(p.import_delta(&DeltaRequest {
        link: page.delta_link,
        ..DeltaRequest::default()
    }))
    .unwrap();
    assert!(page.resync_required);
    assert!(page.changes.is_empty());
}

#[test]
fn links_outside_graph_are_never_followed() {
    let emu = emulator();
    let p = provisioner(&emu.base_url(), json!({}));
    let err = block_on(p.import_delta(&DeltaRequest {
        link: Some("https://attacker.example/v1.0/users/delta?$deltatoken=x".into()),
        ..DeltaRequest::default()
    }))
    .unwrap_err();
    assert_eq!(err.kind().name(), "graph");
    assert!(
        requests(&emu.base_url()).is_empty(),
        "nothing was sent anywhere"
    );
}

async fn token(base: &str) -> String {
    let form = [
        ("client_id", CLIENT),
        ("client_secret", SECRET),
        ("scope", &format!("{base}/.default")),
        ("grant_type", "client_credentials"),
    ];
    let text = reqwest::Client::new()
        .post(format!("{base}/{TENANT}/oauth2/v2.0/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reply: serde_json::Value = serde_json::from_str(&text).unwrap();
    reply["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn partial_delta_items_are_completed_before_they_reach_the_host() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(
        &base,
        json!({"mapping": {"properties": {"field_title": "jobTitle"}}}),
    );
    let created = block_on(p.provision_user(&drupal_user(1, "partial.user"))).unwrap();
    let round = block_on(p.import_delta(&DeltaRequest::default())).unwrap();
    control(
        &base,
        "POST",
        "config",
        Some(json!({"delta_changed_only": true})),
    );
    let mut user = drupal_user(1, "partial.user");
    user.fields.insert("field_title".into(), json!("Architect"));
    block_on(p.update_user(&created.id, &user, UpdateRules::everything())).unwrap();
    control(&base, "DELETE", "requests", None);

    let page = block_on(p.import_delta(&DeltaRequest {
        link: round.delta_link,
        ..DeltaRequest::default()
    }))
    .unwrap();
    let ups = upserts(&page.changes);
    assert_eq!(ups.len(), 1);
    let (_, drupal) = ups[0];
    assert_eq!(
        drupal["name"], "partial.user",
        "the name came from the completed user"
    );
    assert_eq!(drupal["fields"]["field_title"], "Architect");
    // Graph really sent a partial item, and the library read the user in full.
    let log = requests(&base);
    assert!(
        log.iter()
            .any(|e| e["in_batch"] == true && e["method"] == "GET")
    );
}

/// `POST /users` or `PATCH /users/{id}` straight to the emulator's Graph, for what the library
/// never writes (`userType`).
fn graph_write(base: &str, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    block_on(async {
        let response = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{base}/v1.0{path}"))
            .bearer_auth(token(base).await)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{method} {path}: {}",
            response.status()
        );
        let text = response.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    })
}

fn new_user(base: &str, upn: &str, user_type: &str) -> String {
    let created = graph_write(
        base,
        "POST",
        "/users",
        json!({"accountEnabled": true, "displayName": upn, "mailNickname": upn.split(['@', '#']).next().unwrap(),
            "userPrincipalName": upn, "userType": user_type,
            "passwordProfile": {"password": "Aa1!aaaaaaaaaaaa", "forceChangePasswordNextSignIn": true}}),
    );
    created["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_partial_item_that_does_not_say_user_type_is_read_before_it_counts_as_a_member() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    // A guest whose UPN carries no #EXT# (an invited user given a tenant UPN), a B2B UPN whose
    // userType says Member, and a member.
    let guest = new_user(&base, &format!("guest.person@{DOMAIN}"), "Guest");
    let ext_member = new_user(
        &base,
        &format!("partner_example.com#EXT#@{DOMAIN}"),
        "Member",
    );
    let member = new_user(&base, &format!("plain.member@{DOMAIN}"), "Member");
    let round = block_on(p.import_delta(&DeltaRequest::default())).unwrap();
    assert_eq!(round.skipped_guests, 2, "a full round knows who is a guest");
    assert!(
        !requests(&base).iter().any(|e| e["in_batch"] == true),
        "a full round lists userType for everyone (null when unset): nothing more is read"
    );

    control(
        &base,
        "POST",
        "config",
        Some(json!({"delta_changed_only": true})),
    );
    for (id, upn) in [
        (&guest, format!("guest.renamed@{DOMAIN}")),
        (&ext_member, format!("partner2_example.com#EXT#@{DOMAIN}")),
        (&member, format!("member.renamed@{DOMAIN}")),
    ] {
        graph_write(
            &base,
            "PATCH",
            &format!("/users/{id}"),
            json!({"userPrincipalName": upn}),
        );
    }
    control(&base, "DELETE", "requests", None);
    let page = block_on(p.import_delta(&DeltaRequest {
        link: round.delta_link,
        ..DeltaRequest::default()
    }))
    .unwrap();
    let ups = upserts(&page.changes);
    let ids: Vec<&str> = ups.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [member.as_str()], "only the member reaches the host");
    assert_eq!(ups[0].1["name"], "member.renamed");
    assert_eq!(page.skipped_guests, 2);
    // Graph's items named the new UPN without userType; the two were read in full to learn it,
    // while the #EXT# UPN says guest on its own.
    let log = requests(&base);
    let read = |id: &str| {
        log.iter().any(|e| {
            e["in_batch"] == true
                && e["method"] == "GET"
                && e["path"].as_str().is_some_and(|p| p.contains(id))
        })
    };
    assert!(read(&guest) && read(&member), "{log:?}");
    assert!(!read(&ext_member));

    // Asked for guests, the host gets both, completed.
    let page = block_on(p.import_delta(&DeltaRequest {
        include_guests: true,
        ..DeltaRequest::default()
    }))
    .unwrap();
    assert_eq!(
        upserts(&page.changes).len(),
        4,
        "adele, the member and both guests"
    );
}
