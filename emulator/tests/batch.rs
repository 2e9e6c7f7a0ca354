//! JSON batching.
mod common;

use common::*;
use serde_json::{Value, json};

fn create_req(id: &str, upn: &str) -> Value {
    json!({
        "id": id, "method": "POST", "url": "/users",
        "headers": {"Content-Type": "application/json"},
        "body": user_body(upn)
    })
}

#[tokio::test]
async fn batch_of_creates_and_reads() {
    let env = env().await;
    let (s, v) = env
        .batch(json!([
            create_req("1", &format!("b1@{DOMAIN}")),
            create_req("2", &format!("b2@{DOMAIN}")),
            {"id": "3", "method": "GET", "url": format!("users/b1@{DOMAIN}"), "dependsOn": ["1"]},
            {"id": "4", "method": "GET", "url": "/users?$select=userPrincipalName&$filter=startswith(userPrincipalName,'b')", "dependsOn": ["1", "2"]},
        ]))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["responses"].as_array().unwrap().len(), 4);
    let r1 = response(&v, "1");
    assert_eq!(r1["status"], 201);
    assert!(r1["headers"]["Location"].is_string());
    assert_eq!(r1["body"]["userPrincipalName"], format!("b1@{DOMAIN}"));
    assert_eq!(response(&v, "2")["status"], 201);
    let r3 = response(&v, "3");
    assert_eq!(r3["status"], 200);
    assert_eq!(r3["body"]["id"], r1["body"]["id"]);
    assert_eq!(
        response(&v, "4")["body"]["value"].as_array().unwrap().len(),
        2
    );
    assert_eq!(env.state().user_count(), 2);

    // Logged: the batch itself and each sub-request, linked by batch_seq.
    let log = env.state().requests();
    let outer = log.iter().find(|e| e.path == "/v1.0/$batch").unwrap();
    let subs: Vec<_> = log.iter().filter(|e| e.in_batch).collect();
    assert_eq!(subs.len(), 4);
    assert!(
        subs.iter()
            .all(|e| e.batch_seq == Some(outer.seq) && e.seq > outer.seq)
    );
    assert!(subs.iter().all(|e| !e.body.contains("Xy7!abcdefg")));
    let stats = env.state().stats();
    assert_eq!((stats.batch_requests, stats.sub_requests), (1, 4));
}

#[tokio::test]
async fn failed_dependency_gets_424_and_is_not_executed() {
    let env = env().await;
    let mut bad = create_req("1", &format!("bad@{DOMAIN}"));
    bad["body"]["mailNickname"] = json!("has space");
    let (s, v) = env
        .batch(json!([
            bad,
            {
                "id": "2", "method": "POST", "url": "/users", "dependsOn": ["1"],
                "headers": {"Content-Type": "application/json"},
                "body": user_body(&format!("after@{DOMAIN}"))
            },
            create_req("3", &format!("independent@{DOMAIN}")),
        ]))
        .await;
    assert_eq!(s, 200, "the batch itself succeeds");
    assert_eq!(response(&v, "1")["status"], 400);
    assert_eq!(
        response(&v, "1")["body"]["error"]["code"],
        "Request_BadRequest"
    );
    assert_eq!(response(&v, "2")["status"], 424);
    assert_eq!(response(&v, "3")["status"], 201);
    assert!(env.state().user(&format!("after@{DOMAIN}")).is_none());
    assert_eq!(
        env.state().requests().iter().filter(|e| e.in_batch).count(),
        2,
        "2 was never run"
    );
}

#[tokio::test]
async fn malformed_batches_fail_whole() {
    let env = env().await;
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    let (s, v) = env.batch(Value::Array(many)).await;
    assert_eq!(s, 400);
    assert_eq!(graph_error(&v).0, "BadRequest");
    let (s, _) = env
        .batch(json!([
            {"id": "a", "method": "GET", "url": "/users"},
            {"id": "a", "method": "GET", "url": "/users"},
        ]))
        .await;
    assert_eq!(s, 400);
    let (s, v) = env
        .batch(json!([{"id": "1", "method": "POST", "url": "/users", "body": user_body(&format!("x@{DOMAIN}"))}]))
        .await;
    assert_eq!(s, 400, "a write without Content-Type");
    assert_eq!(
        graph_error(&v).1,
        "Write request id : 1 does not contain Content-Type header or body."
    );
    let (s, _) = env
        .batch(json!([{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"]}]))
        .await;
    assert_eq!(s, 400);
    // Unauthenticated batch.
    let r = env
        .http
        .post(env.url("/$batch"))
        .json(&json!({"requests": [{"id": "1", "method": "GET", "url": "/users"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(env.state().user_count(), 0);
}

#[tokio::test]
async fn response_order_is_not_the_request_order() {
    let env = env().await;
    let reqs: Vec<Value> = (0..20)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    let input: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let mut differed = false;
    for _ in 0..3 {
        let (s, v) = env.batch(Value::Array(reqs.clone())).await;
        assert_eq!(s, 200);
        let order: Vec<String> = v["responses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        let mut sorted = order.clone();
        sorted.sort_by_key(|s| s.parse::<u32>().unwrap());
        assert_eq!(sorted, input, "every id answered once");
        differed |= order != input;
    }
    assert!(
        differed,
        "20 responses came back in request order three times"
    );
}

#[tokio::test]
async fn sub_requests_are_authorised_individually() {
    let env = env().await;
    let reader = env.token_for(READER_ID, READER_SECRET).await;
    let r = env
        .http
        .post(env.url("/$batch"))
        .bearer_auth(&reader)
        .json(&json!({"requests": [
            create_req("w", &format!("w@{DOMAIN}")),
            {"id": "r", "method": "GET", "url": "/users"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(response(&v, "w")["status"], 403);
    assert_eq!(
        response(&v, "w")["body"]["error"]["code"],
        "Authorization_RequestDenied"
    );
    assert_eq!(response(&v, "r")["status"], 200);
}
