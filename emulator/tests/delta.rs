//! Delta query on users.
mod common;

use std::collections::HashMap;

use common::*;
use entra_graph_emulator::SeedUser;
use reqwest::Method;
use serde_json::{Value, json};

/// Follow nextLinks to the deltaLink; returns all items and the deltaLink.
async fn round(env: &Env, url: &str) -> (Vec<Value>, String) {
    let mut url = url.to_string();
    let mut items = Vec::new();
    loop {
        let r = env
            .http
            .get(&url)
            .bearer_auth(env.token())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let v: Value = r.json().await.unwrap();
        items.extend(v["value"].as_array().unwrap().iter().cloned());
        if let Some(next) = v["@odata.nextLink"].as_str() {
            assert!(next.contains("$skiptoken="));
            assert!(v.get("@odata.deltaLink").is_none());
            url = next.to_string();
        } else {
            let delta = v["@odata.deltaLink"]
                .as_str()
                .expect("deltaLink on the last page");
            assert!(delta.contains("$deltatoken="));
            return (items, delta.to_string());
        }
    }
}

fn by_id(items: &[Value]) -> HashMap<String, Value> {
    items
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i.clone()))
        .collect()
}

#[tokio::test]
async fn initial_then_incremental_with_both_removal_reasons() {
    let env = env().await;
    let st = env.state();
    let mut ids = Vec::new();
    for i in 0..250 {
        let u = st
            .seed_user(SeedUser::new(&format!("d{i}@{DOMAIN}"), &format!("D {i}")))
            .unwrap();
        ids.push(u["id"].as_str().unwrap().to_string());
    }
    let (initial, delta) = round(&env, &env.url("/users/delta")).await;
    assert_eq!(initial.len(), 250);
    assert_eq!(by_id(&initial).len(), 250);
    assert!(
        initial
            .iter()
            .all(|u| u["userPrincipalName"].is_string() && u.get("@removed").is_none())
    );

    // Nothing changed: an empty round.
    let (none, delta) = round(&env, &delta).await;
    assert!(none.is_empty());

    let created = env.create(&format!("new@{DOMAIN}")).await;
    let new_id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        env.patch(
            &format!("/users/{}", ids[0]),
            &json!({"jobTitle": "Changed"})
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        env.delete(&format!("/users/{}", ids[1])).await.status(),
        204
    );
    assert_eq!(
        env.delete(&format!("/users/{}", ids[2])).await.status(),
        204
    );
    assert_eq!(
        env.delete(&format!("/directory/deletedItems/{}", ids[2]))
            .await
            .status(),
        204
    );

    let (changes, delta) = round(&env, &delta).await;
    let c = by_id(&changes);
    assert_eq!(c.len(), 4, "{changes:?}");
    assert_eq!(c[&new_id]["userPrincipalName"], format!("new@{DOMAIN}"));
    assert_eq!(c[&ids[0]]["jobTitle"], "Changed");
    assert_eq!(c[&ids[1]]["@removed"]["reason"], "changed");
    assert_eq!(c[&ids[2]]["@removed"]["reason"], "deleted");

    // Restoring shows the user again, without an annotation.
    let r = env
        .post(
            &format!("/directory/deletedItems/{}/restore", ids[1]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (changes, _) = round(&env, &delta).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["id"], ids[1].as_str());
    assert!(changes[0].get("@removed").is_none());

    // A deltaLink can be replayed (the client may not have stored the next one).
    let (again, _) = round(&env, &delta).await;
    assert_eq!(again.len(), 1);
}

#[tokio::test]
async fn select_limits_what_is_tracked() {
    let env = env().await;
    let u = env.create(&format!("s@{DOMAIN}")).await;
    let id = u["id"].as_str().unwrap();
    let (initial, delta) = round(&env, &env.url("/users/delta?$select=displayName,mail")).await;
    assert_eq!(initial.len(), 1);
    let keys: Vec<&String> = initial[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["displayName", "mail", "id"]);
    // A change to an unselected property is not reported...
    env.patch(&format!("/users/{id}"), &json!({"jobTitle": "x"}))
        .await;
    let (changes, delta) = round(&env, &delta).await;
    assert!(changes.is_empty(), "{changes:?}");
    // ...a change to a selected one is, with the selection carried by the token.
    env.patch(&format!("/users/{id}"), &json!({"displayName": "Renamed"}))
        .await;
    let (changes, _) = round(&env, &delta).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["displayName"], "Renamed");
    assert!(changes[0].get("jobTitle").is_none());
}

#[tokio::test]
async fn latest_token_starts_from_now() {
    let env = env().await;
    env.create(&format!("old@{DOMAIN}")).await;
    let (s, v) = env.get_json("/users/delta?$deltatoken=latest").await;
    assert_eq!(s, 200);
    assert_eq!(v["value"], json!([]));
    let delta = v["@odata.deltaLink"].as_str().unwrap().to_string();
    env.create(&format!("fresh@{DOMAIN}")).await;
    let (changes, _) = round(&env, &delta).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["userPrincipalName"], format!("fresh@{DOMAIN}"));
}

#[tokio::test]
async fn unknown_or_expired_tokens_are_gone() {
    let env = env().await;
    env.create(&format!("g@{DOMAIN}")).await;
    let r = env.get("/users/delta?$deltatoken=not-a-token").await;
    assert_eq!(r.status(), 410);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/v1.0/users/delta")
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(graph_error(&v).0, "syncStateNotFound");

    let (_, delta) = round(&env, &env.url("/users/delta")).await;
    let (s, _) = env
        .control(
            Method::POST,
            "config",
            Some(json!({"expire_delta_tokens": true})),
        )
        .await;
    assert_eq!(s, 200);
    let r = env
        .http
        .get(&delta)
        .bearer_auth(env.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    // The documented recovery: a full resync from the initial request.
    let (items, _) = round(&env, &env.url("/users/delta")).await;
    assert_eq!(items.len(), 1);
    // Delta only accepts id filters and no $top.
    let (s, _) = env.get_json("/users/delta?$top=5").await;
    assert_eq!(s, 400);
    let (s, _) = env
        .get_json("/users/delta?$filter=startswith(displayName,'g')")
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn changed_only_mode_lists_just_the_updated_properties() {
    let env = env().await;
    let st = env.state();
    let kept = st
        .seed_user(SeedUser::new(&format!("p1@{DOMAIN}"), "P one"))
        .unwrap();
    let (_, delta) = round(
        &env,
        &env.url("/users/delta?$select=displayName,jobTitle,userPrincipalName"),
    )
    .await;
    st.set_delta_changed_only(true);
    let id = kept["id"].as_str().unwrap();
    let r = env
        .patch(&format!("/users/{id}"), &json!({"jobTitle": "Lead"}))
        .await;
    assert_eq!(r.status(), 204);
    let created = env.create(&format!("p2@{DOMAIN}")).await;
    let (items, _) = round(&env, &delta).await;
    let items = by_id(&items);
    let updated = &items[id];
    assert_eq!(updated["jobTitle"], "Lead");
    assert!(
        updated.get("userPrincipalName").is_none(),
        "unchanged properties are left out: {updated}"
    );
    assert!(updated.get("displayName").is_none());
    // A user created since the last round comes whole.
    let new = &items[created["id"].as_str().unwrap()];
    assert_eq!(new["userPrincipalName"], format!("p2@{DOMAIN}"));
}
