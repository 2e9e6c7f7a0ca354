//! Shared set-up for the integration tests: an in-process emulator on loopback and a client
//! configured for it.

#![allow(dead_code)]

pub mod abi;

use entra_graph_emulator::{BlockingEmulator, EmulatorConfig, SeedUser};
use entra_provisioning::{Config, Provisioner};
use serde_json::{Value, json};
use std::future::Future;

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
pub const SECRET: &str = "emulator-secret";
pub const DOMAIN: &str = "contoso.onmicrosoft.com";

pub fn emulator() -> BlockingEmulator {
    emulator_with(|_| {})
}

pub fn emulator_with(adjust: impl FnOnce(&mut EmulatorConfig)) -> BlockingEmulator {
    let mut config = EmulatorConfig {
        seed_users: vec![SeedUser {
            user_principal_name: format!("adele@{DOMAIN}"),
            display_name: "Adele Vance".into(),
            mail: Some("adele@contoso.com".into()),
            account_enabled: true,
        }],
        ..EmulatorConfig::default()
    };
    adjust(&mut config);
    entra_graph_emulator::start_blocking(config).expect("the emulator starts")
}

pub fn config_json(base: &str, extra: Value) -> String {
    let mut config = json!({
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "client_secret": SECRET,
        "primary_domain": DOMAIN,
        "login_endpoint": base,
        "graph_endpoint": base,
        "timeout_ms": 2000,
        "max_retries": 4,
    });
    if let (Value::Object(c), Value::Object(e)) = (&mut config, extra) {
        c.extend(e);
    }
    config.to_string()
}

pub fn provisioner(base: &str, extra: Value) -> Provisioner {
    Provisioner::new(Config::from_json(&config_json(base, extra)).expect("valid config"))
}

pub fn block_on<F: Future>(f: F) -> F::Output {
    entra_provisioning::runtime::process().runtime.block_on(f)
}

pub fn drupal_user(uid: u64, name: &str) -> entra_provisioning::mapping::DrupalUser {
    serde_json::from_value(
        json!({"uid": uid, "name": name, "mail": format!("u{uid}@example.com"), "status": 1}),
    )
    .unwrap()
}

/// The emulator's control endpoint (`/_emulator/...`).
pub fn control(base: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    block_on(async {
        let http = reqwest::Client::new();
        let url = format!("{base}/_emulator/{path}");
        let mut req = http.request(method.parse().unwrap(), url);
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let res = req.send().await.expect("control endpoint answers");
        let text = res.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    })
}

pub fn add_fault(base: &str, rule: Value) {
    control(base, "POST", "faults", Some(rule));
}

pub fn requests(base: &str) -> Vec<Value> {
    control(base, "GET", "requests", None)
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Users in the emulator that are not soft-deleted.
pub fn live_users(base: &str) -> Vec<Value> {
    control(base, "GET", "users", None)
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.get("deleted").and_then(Value::as_bool) != Some(true))
        .collect()
}

pub fn stats(base: &str) -> Value {
    control(base, "GET", "stats", None)
}

/// Checks the emulator's request log: for every answer that carried Retry-After and reached
/// the client, the next request for the same thing (method, path and body, in or out of a
/// batch) came no earlier than the answer's time plus Retry-After. Returns how many retries
/// were checked.
///
/// A `$batch` whose own answer was lost or late (a reset or delay fault on it) is left out on
/// both sides: its sub-requests' answers never reached the client, and its sub-requests may run
/// after requests the client sent later (they are not retries).
pub fn assert_retry_after_honoured(log: &[Value]) -> usize {
    let lost_batches: std::collections::HashSet<u64> = log
        .iter()
        .filter(|e| e["in_batch"] == false && e["fault_id"].is_u64())
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    let in_lost_batch = |e: &Value| {
        e["batch_seq"]
            .as_u64()
            .is_some_and(|b| lost_batches.contains(&b))
    };
    let mut checked = 0;
    for (i, entry) in log.iter().enumerate() {
        let Some(after) = entry["retry_after_s"].as_f64() else {
            continue;
        };
        if in_lost_batch(entry) {
            continue;
        }
        let t = entry["t_ms"].as_f64().unwrap();
        if let Some(next) = log[i + 1..].iter().find(|e| {
            e["method"] == entry["method"]
                && e["path"] == entry["path"]
                && e["body"] == entry["body"]
                && !in_lost_batch(e)
        }) {
            let gap = next["t_ms"].as_f64().unwrap() - t;
            assert!(
                gap >= after * 1000.0,
                "retried after {gap} ms, Retry-After was {after} s: {entry} then {next}"
            );
            checked += 1;
        }
    }
    checked
}
