//! The process-wide token cache: handles made and freed one after another (what PHP-FPM
//! requests do) share one token; different apps never share; a token Graph refuses is
//! forgotten for every handle; a forked child never touches its parent's cache.

mod common;

use common::abi::{call, client};
use common::*;
use entra_provisioning::Action;
use entra_provisioning::ffi::*;
use serde_json::{Value, json};
use std::time::Duration;

fn emulator_token_requests(base: &str) -> u64 {
    stats(base)["token_requests"].as_u64().unwrap()
}

/// One FPM request: `entra_client_new`, one call, `entra_client_free` (on drop).
fn one_request(config: &str) -> Value {
    let c = client(config);
    let (status, out) = call(
        entra_find_user,
        &c,
        json!({"upn": format!("adele@{DOMAIN}")}),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    out
}

#[test]
fn many_handles_one_after_another_share_one_token() {
    let emu = emulator();
    let base = emu.base_url();
    let config = config_json(&base, json!({}));
    for _ in 0..25 {
        assert_eq!(one_request(&config)["found"], true);
    }
    assert_eq!(emulator_token_requests(&base), 1);
}

#[test]
fn different_client_ids_never_share_a_token() {
    const OTHER: &str = "99999999-8888-7777-6666-555555555555";
    let emu = emulator_with(|c| {
        let mut other = c.clients[0].clone();
        other.client_id = OTHER.into();
        other.secret = "another-secret".into();
        c.clients.push(other);
    });
    let base = emu.base_url();
    let first = config_json(&base, json!({}));
    let second = config_json(
        &base,
        json!({"client_id": OTHER, "client_secret": "another-secret"}),
    );
    for _ in 0..3 {
        one_request(&first);
        one_request(&second);
    }
    assert_eq!(emulator_token_requests(&base), 2);
    let clients: std::collections::HashSet<String> = requests(&base)
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains("/oauth2/")))
        .map(|r| r["body"].as_str().unwrap_or_default().to_owned())
        .filter_map(|body| {
            url::form_urlencoded::parse(body.as_bytes())
                .find(|(k, _)| k == "client_id")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(clients.len(), 2, "one token request per app: {clients:?}");
}

#[test]
fn a_wrong_secret_does_not_get_the_right_secrets_token() {
    let emu = emulator();
    let base = emu.base_url();
    one_request(&config_json(&base, json!({})));
    let c = client(&config_json(
        &base,
        json!({"client_secret": "not-the-secret"}),
    ));
    let (status, out) = call(
        entra_find_user,
        &c,
        json!({"upn": format!("adele@{DOMAIN}")}),
    );
    assert_ne!(
        status,
        EntraStatus::Ok,
        "another secret is another key: {out}"
    );
    assert_eq!(emulator_token_requests(&base), 2);
    assert!(!out.to_string().contains("not-the-secret"));
}

#[test]
fn a_refused_token_is_replaced_for_every_handle() {
    let emu = emulator();
    let base = emu.base_url();
    let config = config_json(&base, json!({}));
    one_request(&config);
    assert_eq!(emulator_token_requests(&base), 1);
    // Graph refuses the cached token once: the handle that sees it fetches a new one and
    // its call still succeeds.
    add_fault(
        &base,
        json!({"path_contains": "/v1.0/users", "status": 401, "code": "InvalidAuthenticationToken", "count": 1}),
    );
    assert_eq!(one_request(&config)["found"], true);
    assert_eq!(emulator_token_requests(&base), 2);
    // The emulator itself stops accepting its tokens: the next handle finds out, refreshes,
    // and the handles after it use the fresh token.
    control(
        &base,
        "POST",
        "config",
        Some(json!({"expire_tokens": true})),
    );
    assert_eq!(one_request(&config)["found"], true);
    assert_eq!(emulator_token_requests(&base), 3);
    for _ in 0..3 {
        one_request(&config);
    }
    assert_eq!(emulator_token_requests(&base), 3);
}

#[test]
fn a_forked_child_fetches_its_own_token_even_with_a_fetch_in_flight() {
    let emu = emulator();
    let base = emu.base_url();
    let config = config_json(&base, json!({}));
    // The parent's token request hangs for a while, so the fork happens while a parent thread
    // holds the cache slot for the whole fetch.
    add_fault(
        &base,
        json!({"path_contains": "/oauth2/", "delay_ms": 1500, "count": 1}),
    );
    let in_flight = {
        let config = config.clone();
        std::thread::spawn(move || one_request(&config))
    };
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        emulator_token_requests(&base),
        1,
        "the parent's fetch is in flight"
    );

    // SAFETY: the child only calls into this crate (fresh runtime and token cache for its pid)
    // and leaves with _exit, running no destructors inherited from the parent.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork failed");
    if child == 0 {
        // A child stuck on the parent's lock is killed by the alarm: the test then fails.
        // SAFETY: alarm has no preconditions.
        unsafe { libc::alarm(20) };
        let p = provisioner(&base, json!({}));
        let code = match block_on(p.provision_user(&drupal_user(7, "forked.child"))) {
            Ok(o) if o.action == Action::Created && p.graph.stats().token_requests == 1 => 0,
            _ => 1,
        };
        // SAFETY: ends the child without unwinding into the test harness.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    let waited = unsafe { libc::waitpid(child, &mut status, 0) };
    assert_eq!(waited, child);
    assert!(
        libc::WIFEXITED(status),
        "the child did not exit (status {status}): stuck on its parent's cache?"
    );
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "the child could not provision with a token of its own"
    );
    assert_eq!(in_flight.join().unwrap()["found"], true);
    // One for the parent, one for the child; the parent then keeps using its own.
    assert_eq!(emulator_token_requests(&base), 2);
    one_request(&config);
    assert_eq!(emulator_token_requests(&base), 2);
}
