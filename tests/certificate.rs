//! Certificate credentials: a PS256 client assertion instead of a client secret, against an
//! emulator app that has the certificate registered.

mod common;

use common::*;
use entra_provisioning::{Config, Provisioner};
use serde_json::json;

const KEY: &str = include_str!("fixtures/test-app.key.pem");
const CERT: &str = include_str!("fixtures/test-app.cert.pem");
const OTHER_KEY: &str = include_str!("fixtures/other.key.pem");
const OTHER_CERT: &str = include_str!("fixtures/other.cert.pem");

fn certificate_client(base: &str, key: &str, cert: &str) -> Provisioner {
    let mut config: serde_json::Value =
        serde_json::from_str(&config_json(base, json!({}))).unwrap();
    let object = config.as_object_mut().unwrap();
    object.remove("client_secret");
    object.insert(
        "client_certificate".into(),
        json!({"private_key_pem": key, "certificate_pem": cert}),
    );
    Provisioner::new(Config::from_json(&config.to_string()).expect("valid config"))
}

#[test]
fn a_certificate_replaces_the_secret() {
    let emu = emulator_with(|c| c.clients[0].certificate_pem = Some(CERT.into()));
    let base = emu.base_url();
    let p = certificate_client(&base, KEY, CERT);
    let out = block_on(p.provision_user(&drupal_user(1, "cert.user"))).unwrap();
    assert_eq!(out.action, entra_provisioning::Action::Created);
    let log = requests(&base);
    let token_request = log
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("/token"))
        .unwrap();
    let body = token_request["body"].as_str().unwrap();
    assert!(body.contains("client_assertion_type=urn"), "{body}");
    assert!(!body.contains("client_secret"), "{body}");
}

#[test]
fn a_certificate_not_registered_on_the_app_is_refused() {
    let emu = emulator_with(|c| c.clients[0].certificate_pem = Some(CERT.into()));
    let p = certificate_client(&emu.base_url(), OTHER_KEY, OTHER_CERT);
    let err = block_on(p.provision_user(&drupal_user(1, "nope"))).unwrap_err();
    assert_eq!(err.kind().name(), "auth");
    assert_eq!(err.detail().aadsts.as_deref(), Some("AADSTS700027"));
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("PRIVATE KEY"),
        "the key never appears in an error"
    );
}

#[test]
fn an_app_without_a_registered_certificate_refuses_assertions() {
    let emu = emulator();
    let p = certificate_client(&emu.base_url(), KEY, CERT);
    let err = block_on(
        p.test_connection(&entra_provisioning::provision::TestRequest {
            upn: "adele@contoso.onmicrosoft.com".into(),
            directions: vec![],
            features: vec![],
        }),
    )
    .unwrap_err();
    assert_eq!(err.detail().aadsts.as_deref(), Some("AADSTS700027"));
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_a_config_error() {
    let mut config: serde_json::Value =
        serde_json::from_str(&config_json("http://127.0.0.1:9", json!({}))).unwrap();
    config.as_object_mut().unwrap().remove("client_secret");
    config["client_certificate"] = json!({"private_key_pem": OTHER_KEY, "certificate_pem": CERT});
    let err = Config::from_json(&config.to_string()).unwrap_err();
    assert_eq!(
        err.detail().field.as_deref(),
        Some("client_certificate.private_key_pem")
    );
    assert!(!err.to_string().contains("PRIVATE KEY"));
}

#[test]
fn secret_and_certificate_together_are_a_config_error() {
    let mut config: serde_json::Value =
        serde_json::from_str(&config_json("http://127.0.0.1:9", json!({}))).unwrap();
    config["client_certificate"] = json!({"private_key_pem": KEY, "certificate_pem": CERT});
    let err = Config::from_json(&config.to_string()).unwrap_err();
    assert_eq!(err.detail().field.as_deref(), Some("client_certificate"));
    assert!(!err.to_string().contains("PRIVATE KEY"));
}
