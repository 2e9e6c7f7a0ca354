//! Certificate credentials at the token endpoint: client assertions checked as Entra does.
mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const KEY: &str = include_str!("../../tests/fixtures/test-app.key.pem");
const CERT: &str = include_str!("../../tests/fixtures/test-app.cert.pem");
const OTHER_KEY: &str = include_str!("../../tests/fixtures/other.key.pem");
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn thumbprint() -> String {
    use base64::Engine;
    use sha2::Digest;
    let der = pem::parse(CERT).unwrap();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(der.contents()))
}

fn assertion(key: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::PS256);
    header.x5t_s256 = Some(thumbprint());
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(key.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn claims(aud: &str, iss: &str, nbf: u64, exp: u64) -> Value {
    json!({"aud": aud, "iss": iss, "sub": iss, "jti": "j-1", "nbf": nbf, "iat": nbf, "exp": exp})
}

async fn request(env: &Env, jwt: &str) -> (u16, Value) {
    let scope = format!("{}/.default", env.base);
    let r = env
        .token_request(
            TENANT,
            &[
                ("client_id", CLIENT_ID),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", jwt),
                ("scope", scope.as_str()),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn certificate_env() -> Env {
    let mut config = config();
    config.clients[0].certificate_pem = Some(CERT.into());
    env_with(config).await
}

#[tokio::test]
async fn a_valid_assertion_gets_a_token() {
    let env = certificate_env().await;
    let t = now();
    let (status, body) = request(
        &env,
        &assertion(KEY, claims(&env.token_url(), CLIENT_ID, t, t + 600)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn refusals_carry_entra_codes() {
    let env = certificate_env().await;
    let t = now();
    let url = env.token_url();
    let cases = [
        // Signed by another key, under the registered certificate's thumbprint.
        (
            assertion(OTHER_KEY, claims(&url, CLIENT_ID, t, t + 600)),
            700027,
        ),
        (
            assertion(KEY, claims(&url, CLIENT_ID, t - 1200, t - 600)),
            700024,
        ),
        (
            assertion(KEY, claims(&url, "someone-else", t, t + 600)),
            700021,
        ),
        (
            assertion(
                KEY,
                claims("https://elsewhere.example/token", CLIENT_ID, t, t + 600),
            ),
            700027,
        ),
        (assertion(KEY, claims(&url, CLIENT_ID, t, t + 3600)), 700024),
    ];
    for (jwt, code) in cases {
        let (status, body) = request(&env, &jwt).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error_codes"][0], code, "{body}");
    }
}

#[tokio::test]
async fn an_app_without_a_certificate_refuses_assertions() {
    let env = env().await;
    let t = now();
    let (status, body) = request(
        &env,
        &assertion(KEY, claims(&env.token_url(), CLIENT_ID, t, t + 600)),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error_codes"][0], 700027);
}
