//! Write throttling: 429 with Retry-After and x-ms-throttle-* headers, top level and in batches.
mod common;

use std::time::Duration;

use common::*;
use entra_graph_emulator::WriteBudget;
use serde_json::{Value, json};

#[tokio::test]
async fn budget_exhaustion_gives_429_with_headers_then_recovers() {
    let mut config = config();
    config.write_budget = Some(WriteBudget {
        writes: 5,
        window_s: 2.0,
    });
    let env = env_with(config).await;
    for i in 0..5 {
        env.create(&format!("t{i}@{DOMAIN}")).await;
    }
    let r = env
        .post("/users", &user_body(&format!("t5@{DOMAIN}")))
        .await;
    assert_eq!(r.status(), 429);
    let h = r.headers().clone();
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let scope = h["x-ms-throttle-scope"].to_str().unwrap();
    assert_eq!(
        scope,
        format!("Tenant_Application/Write/{CLIENT_ID}/{TENANT}")
    );
    assert!(h.contains_key("x-ms-throttle-limit-percentage"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(graph_error(&v), ("TooManyRequests", "Too many requests."));
    assert!(env.state().user(&format!("t5@{DOMAIN}")).is_none());

    // Reads are not part of the write budget.
    assert_eq!(env.get("/users").await.status(), 200);

    // Inside a batch each write is throttled on its own, with Retry-After in its headers.
    let (s, v) = env
        .batch(json!([
            {"id": "a", "method": "POST", "url": "/users", "headers": {"Content-Type": "application/json"}, "body": user_body(&format!("ba@{DOMAIN}"))},
            {"id": "b", "method": "GET", "url": "/users?$top=1"},
        ]))
        .await;
    assert_eq!(s, 200);
    assert_eq!(response(&v, "a")["status"], 429);
    assert!(
        response(&v, "a")["headers"]["Retry-After"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(response(&v, "b")["status"], 200);
    let logged = env.state().requests();
    assert!(
        logged
            .iter()
            .any(|e| e.in_batch && e.status == 429 && e.retry_after_s.is_some())
    );
    assert!(
        logged
            .iter()
            .any(|e| !e.in_batch && e.status == 429 && e.retry_after_s == Some(retry))
    );
    assert_eq!(env.state().stats().throttled, 2);

    // Honouring the window lets writes through again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    env.create(&format!("t5@{DOMAIN}")).await;
}

#[tokio::test]
async fn requests_sent_while_throttled_still_count() {
    let mut config = config();
    config.write_budget = Some(WriteBudget {
        writes: 3,
        window_s: 2.0,
    });
    let env = env_with(config).await;
    for i in 0..3 {
        env.create(&format!("c{i}@{DOMAIN}")).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for i in 0..3 {
        let r = env
            .post("/users", &user_body(&format!("x{i}@{DOMAIN}")))
            .await;
        assert_eq!(r.status(), 429);
    }
    // The three successful writes have left the window, but the three throttled attempts are
    // still in it, so this write is throttled too.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = env
        .post("/users", &user_body(&format!("late@{DOMAIN}")))
        .await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(retry)).await;
    env.create(&format!("late@{DOMAIN}")).await;
    assert_eq!(env.state().stats().write_attempts, 3 + 3 + 1 + 1);
}

#[tokio::test]
async fn budget_can_be_changed_or_disabled_at_runtime() {
    let env = env().await;
    let (s, v) = env
        .control(
            reqwest::Method::POST,
            "config",
            Some(json!({"write_budget": {"writes": 1, "window_s": 60}})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["write_budget"]["writes"], 1);
    env.create(&format!("r1@{DOMAIN}")).await;
    assert_eq!(
        env.post("/users", &user_body(&format!("r2@{DOMAIN}")))
            .await
            .status(),
        429
    );
    let (s, v) = env
        .control(
            reqwest::Method::POST,
            "config",
            Some(json!({"write_budget": null})),
        )
        .await;
    assert_eq!(s, 200);
    assert!(v["write_budget"].is_null());
    env.create(&format!("r2@{DOMAIN}")).await;
}
