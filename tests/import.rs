//! Entra → Drupal: the delta query against the emulator.

mod common;

use common::*;
use entra_provisioning::import::{Change, DeltaRequest};
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
    block_on(p.update_user(&adele_id, &adele_drupal, true)).unwrap();
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
    assert_eq!(err.kind(), "graph");
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
    block_on(p.update_user(&created.id, &user, true)).unwrap();
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
