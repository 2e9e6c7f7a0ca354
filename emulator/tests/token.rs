//! Token endpoint and Graph authentication.
mod common;

use common::*;
use reqwest::Method;
use serde_json::Value;

fn form<'a>(
    client_id: &'a str,
    secret: &'a str,
    scope: &'a str,
    grant: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", scope),
        ("grant_type", grant),
    ]
}

async fn aad_error(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    for field in [
        "error",
        "error_description",
        "timestamp",
        "trace_id",
        "correlation_id",
    ] {
        assert!(v[field].is_string(), "{field} missing in {v}");
    }
    let code = v["error_codes"][0].as_u64().unwrap();
    let desc = v["error_description"].as_str().unwrap();
    assert!(desc.starts_with(&format!("AADSTS{code}: ")), "{desc}");
    assert!(
        desc.contains("Trace ID: ")
            && desc.contains("Correlation ID: ")
            && desc.contains("Timestamp: ")
    );
    (status, v)
}

#[tokio::test]
async fn token_success_by_guid_and_domain() {
    let env = env().await;
    let default_scope = "https://graph.microsoft.com/.default";
    let r = env
        .token_request(
            TENANT,
            &form(CLIENT_ID, SECRET, default_scope, "client_credentials"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3599);
    assert_eq!(v["ext_expires_in"], 3599);
    let token = v["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "JWT-shaped");
    assert!(!v.to_string().contains(SECRET));

    // The tenant's domain works in place of its GUID, and the emulator's own base URL is an
    // accepted resource.
    let own_scope = format!("{}/.default", env.base);
    let r = env
        .token_request(
            DOMAIN,
            &form(CLIENT_ID, SECRET, &own_scope, "client_credentials"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let token = v["access_token"].as_str().unwrap();
    assert_eq!(
        env.send_as(token, Method::GET, "/users", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn token_errors() {
    let env = env().await;
    let scope = "https://graph.microsoft.com/.default";
    let cc = "client_credentials";

    let r = env
        .token_request(
            "99999999-0000-0000-0000-000000000000",
            &form(CLIENT_ID, SECRET, scope, cc),
        )
        .await;
    let (s, v) = aad_error(r).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_request"));
    assert_eq!(v["error_codes"][0], 90002);

    let r = env
        .token_request(
            TENANT,
            &form("00000000-0000-0000-0000-00000000dead", SECRET, scope, cc),
        )
        .await;
    let (s, v) = aad_error(r).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "unauthorized_client")
    );
    assert_eq!(v["error_codes"][0], 700016);

    let wrong = "wrong-secret-value-123";
    let r = env
        .token_request(TENANT, &form(CLIENT_ID, wrong, scope, cc))
        .await;
    let (s, v) = aad_error(r).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (401, "invalid_client"));
    assert_eq!(v["error_codes"][0], 7000215);
    let text = v.to_string();
    assert!(
        !text.contains(wrong) && !text.contains(SECRET),
        "secret echoed: {text}"
    );

    let r = env
        .token_request(
            TENANT,
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("grant_type", cc),
            ],
        )
        .await;
    let (s, v) = aad_error(r).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_request"));
    assert_eq!(v["error_codes"][0], 900144);
    assert!(v["error_description"].as_str().unwrap().contains("'scope'"));

    let r = env
        .token_request(TENANT, &form(CLIENT_ID, SECRET, scope, "password"))
        .await;
    let (s, v) = aad_error(r).await;
    assert_eq!(
        (s, v["error"].as_str().unwrap()),
        (400, "unsupported_grant_type")
    );
    assert_eq!(v["error_codes"][0], 70003);

    let r = env
        .token_request(
            TENANT,
            &form(
                CLIENT_ID,
                SECRET,
                "https://graph.microsoft.com/User.Read",
                cc,
            ),
        )
        .await;
    let (s, v) = aad_error(r).await;
    assert_eq!((s, v["error"].as_str().unwrap()), (400, "invalid_scope"));
    assert_eq!(v["error_codes"][0], 70011);

    // Every token request is logged, with the secret redacted.
    let log = env.state().requests();
    let token_entries: Vec<_> = log
        .iter()
        .filter(|e| e.path.ends_with("/oauth2/v2.0/token"))
        .collect();
    assert_eq!(token_entries.len(), 7, "setup token + 6 here");
    assert!(
        token_entries
            .iter()
            .all(|e| !e.body.contains(SECRET) && !e.body.contains(wrong))
    );
    assert!(
        token_entries
            .iter()
            .any(|e| e.body.contains("client_secret=%5BREDACTED%5D"))
    );
    assert_eq!(env.state().stats().token_requests, 7);
}

#[tokio::test]
async fn graph_rejects_missing_bad_and_expired_tokens() {
    let env = env().await;
    let r = env
        .http
        .get(env.url("/users"))
        .header("client-request-id", "my-corr-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["client-request-id"], "my-corr-1");
    assert!(r.headers().contains_key("request-id"));
    assert!(r.headers().contains_key("date"));
    assert!(r.headers().contains_key("www-authenticate"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        graph_error(&v),
        ("InvalidAuthenticationToken", "Access token is empty.")
    );
    assert_eq!(v["error"]["innerError"]["client-request-id"], "my-corr-1");

    let r = env
        .send_as("not-a-token", Method::GET, "/users", None)
        .await;
    assert_eq!(r.status(), 401);

    // Control endpoint: every issued token is now expired.
    let (s, _) = env
        .control(
            Method::POST,
            "config",
            Some(serde_json::json!({"expire_tokens": true})),
        )
        .await;
    assert_eq!(s, 200);
    let r = env.get("/users").await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        graph_error(&v).1,
        "Lifetime validation failed, the token is expired."
    );

    // A fresh token works again; a short lifetime expires by itself.
    env.state().set_token_lifetime_s(1);
    let t = env.token_for(CLIENT_ID, SECRET).await;
    assert_eq!(
        env.send_as(&t, Method::GET, "/users", None).await.status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        env.send_as(&t, Method::GET, "/users", None).await.status(),
        401
    );
}

#[tokio::test]
async fn read_only_client_gets_403_on_writes() {
    let env = env().await;
    let reader = env.token_for(READER_ID, READER_SECRET).await;
    assert_eq!(
        env.send_as(&reader, Method::GET, "/users", None)
            .await
            .status(),
        200
    );
    let r = env
        .send_as(
            &reader,
            Method::POST,
            "/users",
            Some(&user_body(&format!("ro@{DOMAIN}"))),
        )
        .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        graph_error(&v),
        (
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation."
        )
    );
    assert_eq!(env.state().user_count(), 0);
}
