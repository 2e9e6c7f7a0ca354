//! Injected faults: statuses with a count, connection resets, delays, probability,
//! after-commit failures, batch-only faults, token-endpoint faults.
mod common;

use std::time::Duration;

use common::*;
use entra_graph_emulator::FaultSpec;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn status_fault_with_count_and_retry_after() {
    let env = env().await;
    let (s, v) = env
        .control(
            Method::POST,
            "faults",
            Some(json!({"method": "POST", "path_contains": "/users", "status": 503, "retry_after_s": 2, "count": 2})),
        )
        .await;
    assert_eq!(s, 201);
    let id = v["id"].as_u64().unwrap();
    for _ in 0..2 {
        let r = env.post("/users", &user_body(&format!("f@{DOMAIN}"))).await;
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "2");
        assert!(r.headers().contains_key("request-id"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(graph_error(&v).0, "serviceNotAvailable");
    }
    assert_eq!(env.state().user_count(), 0, "faulted before the operation");
    env.create(&format!("f@{DOMAIN}")).await;
    let (_, list) = env.control(Method::GET, "faults", None).await;
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["hits"], 2);
    assert_eq!(list[0]["remaining"], 0);
    let log = env.state().requests();
    assert_eq!(log.iter().filter(|e| e.fault_id == Some(id)).count(), 2);
    assert!(
        log.iter()
            .any(|e| e.status == 503 && e.retry_after_s == Some(2))
    );
    let (s, _) = env.control(Method::DELETE, "faults", None).await;
    assert_eq!(s, 204);
    assert!(env.state().faults().is_empty());
    // A rule that would do nothing is refused.
    let (s, _) = env
        .control(
            Method::POST,
            "faults",
            Some(json!({"path_contains": "/users"})),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn reset_closes_the_connection_without_an_answer() {
    let env = env().await;
    env.state()
        .add_fault(FaultSpec {
            method: Some("GET".into()),
            path_contains: Some("/v1.0/users".into()),
            reset: true,
            count: Some(1),
            ..Default::default()
        })
        .unwrap();
    let err = env
        .http
        .get(env.url("/users"))
        .bearer_auth(env.token())
        .send()
        .await
        .expect_err("connection must be closed without a response");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(
        env.get("/users").await.status(),
        200,
        "next request is fine"
    );
    let log = env.state().requests();
    assert!(log.iter().any(|e| e.status == 0 && e.fault_id.is_some()));
    assert_eq!(env.state().stats().resets, 1);
}

#[tokio::test]
async fn delay_without_status_times_out_the_client_but_the_create_happens() {
    let env = env().await;
    env.state()
        .add_fault(FaultSpec {
            method: Some("POST".into()),
            path_contains: Some("/users".into()),
            delay_ms: Some(1200),
            count: Some(1),
            ..Default::default()
        })
        .unwrap();
    let err = env
        .http
        .post(env.url("/users"))
        .bearer_auth(env.token())
        .timeout(Duration::from_millis(300))
        .json(&user_body(&format!("slow@{DOMAIN}")))
        .send()
        .await
        .expect_err("client times out");
    assert!(err.is_timeout());
    assert!(
        env.state().user(&format!("slow@{DOMAIN}")).is_none(),
        "not yet"
    );
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        env.state().user(&format!("slow@{DOMAIN}")).is_some(),
        "created after the delay"
    );
    // The retry of the "failed" create now meets the duplicate.
    let r = env
        .post("/users", &user_body(&format!("slow@{DOMAIN}")))
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn probability_applies_some_of_the_time() {
    let env = env().await;
    env.state()
        .add_fault(FaultSpec {
            method: Some("GET".into()),
            status: Some(500),
            probability: Some(0.5),
            ..Default::default()
        })
        .unwrap();
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..200 {
        let r = env.get("/users?$top=1").await;
        match r.status().as_u16() {
            200 => ok += 1,
            500 => {
                let v: Value = r.json().await.unwrap();
                assert_eq!(graph_error(&v).0, "generalException");
                failed += 1;
            }
            s => panic!("unexpected {s}"),
        }
    }
    assert!(ok > 40 && failed > 40, "ok {ok} failed {failed}");
    assert_eq!(env.state().faults()[0].hits, failed);
}

#[tokio::test]
async fn after_commit_fails_the_answer_but_keeps_the_effect() {
    let env = env().await;
    env.state()
        .add_fault(FaultSpec {
            method: Some("POST".into()),
            path_contains: Some("/users".into()),
            status: Some(504),
            after_commit: true,
            count: Some(1),
            ..Default::default()
        })
        .unwrap();
    let r = env
        .post("/users", &user_body(&format!("ghost@{DOMAIN}")))
        .await;
    assert_eq!(r.status(), 504);
    assert!(env.state().user(&format!("ghost@{DOMAIN}")).is_some());

    // after_commit + reset: the user exists, the client got nothing.
    env.state()
        .add_fault(FaultSpec {
            method: Some("PATCH".into()),
            reset: true,
            after_commit: true,
            count: Some(1),
            ..Default::default()
        })
        .unwrap();
    let r = env
        .http
        .patch(env.url(&format!("/users/ghost@{DOMAIN}")))
        .bearer_auth(env.token())
        .json(&json!({"jobTitle": "Haunting"}))
        .send()
        .await;
    assert!(r.is_err());
    assert_eq!(
        env.state().user(&format!("ghost@{DOMAIN}")).unwrap()["jobTitle"],
        "Haunting"
    );
}

#[tokio::test]
async fn batch_only_faults_and_reset_inside_a_batch() {
    let env = env().await;
    env.state()
        .add_fault(FaultSpec {
            method: Some("POST".into()),
            in_batch: Some(true),
            status: Some(503),
            count: Some(1),
            ..Default::default()
        })
        .unwrap();
    let create = |id: &str, upn: String| {
        json!({"id": id, "method": "POST", "url": "/users",
               "headers": {"Content-Type": "application/json"}, "body": user_body(&upn)})
    };
    let (s, v) = env
        .batch(json!([create("1", format!("in1@{DOMAIN}"))]))
        .await;
    assert_eq!(s, 200, "the outer POST /$batch is not a sub-request");
    assert_eq!(response(&v, "1")["status"], 503);
    assert_eq!(
        response(&v, "1")["body"]["error"]["code"],
        "serviceNotAvailable"
    );

    // A reset inside a batch drops the whole batch connection; what ran before stays done.
    env.state()
        .add_fault(FaultSpec {
            method: Some("POST".into()),
            in_batch: Some(true),
            reset: true,
            after_commit: true,
            count: Some(1),
            ..Default::default()
        })
        .unwrap();
    let mut second = create("2", format!("in2@{DOMAIN}"));
    second["dependsOn"] = json!(["1"]);
    let r = env
        .http
        .post(env.url("/$batch"))
        .bearer_auth(env.token())
        .json(&json!({"requests": [create("1", format!("in1@{DOMAIN}")), second]}))
        .send()
        .await;
    assert!(r.is_err(), "no answer to the batch");
    assert!(
        env.state().user(&format!("in1@{DOMAIN}")).is_some(),
        "committed before the reset"
    );
    assert!(
        env.state().user(&format!("in2@{DOMAIN}")).is_none(),
        "never ran"
    );
}

#[tokio::test]
async fn token_endpoint_faults_use_the_entra_error_shape() {
    let env = env().await;
    env.state()
        .add_fault(FaultSpec {
            path_contains: Some("/oauth2/v2.0/token".into()),
            status: Some(503),
            retry_after_s: Some(1),
            count: Some(1),
            ..Default::default()
        })
        .unwrap();
    let r = env
        .token_request(
            TENANT,
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "temporarily_unavailable");
    assert!(v["error_codes"].is_array());
    // The next one succeeds.
    env.token_for(CLIENT_ID, SECRET).await;
}
