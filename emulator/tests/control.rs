//! Control endpoints, request log, stats, runtime config, reset, h2c, the binary and the
//! blocking API.
mod common;

use std::time::{Duration, Instant};

use common::*;
use entra_graph_emulator::{EmulatorConfig, SeedUser};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn request_log_entries_and_switches() {
    let env = env().await;
    env.state().clear_requests();
    let r = env
        .http
        .get(env.url("/users?$top=5"))
        .bearer_auth(env.token())
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    let request_id = r.headers()["request-id"].to_str().unwrap().to_string();
    env.create(&format!("l@{DOMAIN}")).await;
    let (s, log) = env.control(Method::GET, "requests", None).await;
    assert_eq!(s, 200);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    let first = &log[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/v1.0/users");
    assert_eq!(first["query"], "$top=5");
    assert_eq!(first["status"], 200);
    assert_eq!(first["request_id"], request_id.as_str());
    assert_eq!(first["client_request_id"], "abc-123");
    assert_eq!(first["in_batch"], false);
    assert!(first["batch_seq"].is_null());
    assert!(first["retry_after_s"].is_null());
    assert!(first["t_ms"].as_f64().unwrap() >= 0.0);
    assert!(log[1]["seq"].as_u64() > first["seq"].as_u64());
    assert!(log[1]["t_ms"].as_f64() >= first["t_ms"].as_f64());
    assert!(log[1]["body"].as_str().unwrap().contains("l@contoso"));
    // ?since= returns only newer entries.
    let since = first["seq"].as_u64().unwrap();
    let (_, newer) = env
        .control(Method::GET, &format!("requests?since={since}"), None)
        .await;
    assert_eq!(newer.as_array().unwrap().len(), 1);

    let (s, _) = env.control(Method::DELETE, "requests", None).await;
    assert_eq!(s, 204);
    assert!(env.state().requests().is_empty());
    let (s, _) = env
        .control(Method::POST, "config", Some(json!({"request_log": false})))
        .await;
    assert_eq!(s, 200);
    env.get("/users").await;
    assert!(env.state().requests().is_empty());
    env.state().set_request_log(true);
    env.state().set_request_log_max(2);
    for _ in 0..5 {
        env.get("/users").await;
    }
    assert_eq!(env.state().requests().len(), 2, "bounded");
}

#[tokio::test]
async fn stats_seed_users_config_and_reset() {
    let mut config = config();
    config.seed_users = vec![SeedUser::new(&format!("seed@{DOMAIN}"), "Seed")];
    let env = env_with(config).await;
    let (s, created) = env
        .control(
            Method::POST,
            "users",
            Some(json!({"user_principal_name": format!("direct@{DOMAIN}"), "display_name": "Direct", "mail": "direct@contoso.com"})),
        )
        .await;
    assert_eq!(s, 201);
    assert!(created["id"].is_string());
    let (s, _) = env
        .control(
            Method::POST,
            "users",
            Some(
                json!({"user_principal_name": format!("DIRECT@{DOMAIN}"), "display_name": "Again"}),
            ),
        )
        .await;
    assert_eq!(s, 409);
    let id = created["id"].as_str().unwrap();
    assert_eq!(env.get(&format!("/users/{id}")).await.status(), 200);
    env.delete(&format!("/users/{id}")).await;
    let (_, users) = env.control(Method::GET, "users", None).await;
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 2);
    let direct = users.iter().find(|u| u["id"] == id).unwrap();
    assert_eq!(direct["deleted"], true);
    assert!(direct["deletedDateTime"].is_string());

    let (s, stats) = env.control(Method::GET, "stats", None).await;
    assert_eq!(s, 200);
    assert_eq!(stats["users"], 1);
    assert_eq!(stats["deleted_users"], 1);
    assert_eq!(stats["token_requests"], 1);
    assert_eq!(stats["graph_requests"], 2);
    assert_eq!(stats["writes"], 1);
    for k in ["batch_requests", "sub_requests", "throttled"] {
        assert_eq!(stats[k], 0, "{k}");
    }

    // Latency is added to every response.
    let (s, cfg) = env
        .control(Method::POST, "config", Some(json!({"latency_ms": 250})))
        .await;
    assert_eq!((s, cfg["latency_ms"].as_u64()), (200, Some(250)));
    let t = Instant::now();
    env.get("/users").await;
    assert!(t.elapsed() >= Duration::from_millis(250));
    let (s, _) = env
        .control(Method::POST, "config", Some(json!({"latency_ms": "fast"})))
        .await;
    assert_eq!(s, 400);
    let (s, _) = env
        .control(Method::POST, "config", Some(json!({"nonsense": 1})))
        .await;
    assert_eq!(s, 400);
    env.state().set_latency_ms(0);

    let (s, _) = env.control(Method::POST, "reset", None).await;
    assert_eq!(s, 204);
    let stats = env.state().stats();
    assert_eq!(
        (stats.users, stats.deleted_users, stats.graph_requests),
        (1, 0, 0)
    );
    assert!(env.state().user(&format!("seed@{DOMAIN}")).is_some());
    assert!(env.state().requests().is_empty());
    // Tokens survive a reset.
    assert_eq!(env.get("/users").await.status(), 200);
}

#[tokio::test]
async fn h2c_prior_knowledge_is_served() {
    let env = env().await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = h2
        .get(env.url("/users"))
        .bearer_auth(env.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let env = env().await;
    let base = env.base.clone();
    env.emu.shutdown().await;
    let fresh = reqwest::Client::new();
    assert!(
        fresh
            .get(format!("{base}/_emulator/health"))
            .send()
            .await
            .is_err()
    );
}

#[test]
fn blocking_api_from_a_sync_test() {
    let emu = entra_graph_emulator::start_blocking(EmulatorConfig {
        latency_ms: 0,
        ..Default::default()
    })
    .unwrap();
    let base = emu.base_url();
    assert!(base.starts_with("http://127.0.0.1:"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let v: Value = reqwest::get(format!("{base}/_emulator/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "ok");
    });
    emu.state()
        .seed_user(SeedUser::new(&format!("b@{DOMAIN}"), "B"))
        .unwrap();
    assert_eq!(emu.state().user_count(), 1);
    drop(emu);
    rt.block_on(async {
        assert!(
            reqwest::get(format!("{base}/_emulator/health"))
                .await
                .is_err()
        );
    });
}

#[test]
fn binary_prints_url_and_exits_on_sigterm() {
    let emulator = BinaryEmulator::spawn(&[
        "--seed-user",
        &format!("cli@{DOMAIN}|Cli User|cli@contoso.com"),
        "--write-budget",
        "10",
        "--write-window-s",
        "1.5",
    ]);
    let url = emulator.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let users: Value = reqwest::get(format!("{url}/_emulator/users"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(users[0]["userPrincipalName"], format!("cli@{DOMAIN}"));
        assert_eq!(users[0]["mail"], "cli@contoso.com");
        let cfg: Value = reqwest::get(format!("{url}/_emulator/config"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cfg["write_budget"], json!({"writes": 10, "window_s": 1.5}));
    });
    let status = emulator.terminate();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn log_redaction_is_on_by_default_and_can_be_lifted_for_canary_tests() {
    let env = env().await;
    env.state().clear_requests();
    env.create(&format!("red1@{DOMAIN}")).await;
    let log = env.state().requests();
    assert!(!log[0].body.contains("Xy7!abcdefg"), "{}", log[0].body);
    assert!(log[0].body.contains("[REDACTED]"));
    let (s, _) = env
        .control(Method::POST, "config", Some(json!({"redact_log": false})))
        .await;
    assert_eq!(s, 200);
    assert!(!env.state().runtime_config().redact_log);
    env.create(&format!("red2@{DOMAIN}")).await;
    let log = env.state().requests();
    assert!(log.last().unwrap().body.contains("Xy7!abcdefg"));
}
