//! The fault-injection suite: 2,000 users with about a fifth of the requests failing at random
//! (429 with Retry-After, 500, 503, 504, connection resets, answers later than the client's
//! timeout), in and out of `$batch`. Every user must end up in Entra exactly once, with a
//! correct result, and no request may be retried before its Retry-After.

mod common;

use common::*;
use entra_provisioning::Action;
use serde_json::{Value, json};
use std::collections::HashMap;

const USERS: usize = 2000;

#[test]
fn two_thousand_users_through_random_faults() {
    let emu = emulator();
    let base = emu.base_url();
    let rules = [
        json!({"path_contains": "/users", "in_batch": true, "status": 429, "retry_after_s": 1, "probability": 0.06}),
        json!({"path_contains": "/users", "in_batch": true, "status": 503, "probability": 0.04}),
        json!({"path_contains": "/users", "in_batch": true, "status": 500, "after_commit": true, "probability": 0.02}),
        json!({"path_contains": "/users", "in_batch": true, "status": 504, "after_commit": true, "probability": 0.02}),
        json!({"path_contains": "$batch", "reset": true, "after_commit": true, "probability": 0.02}),
        // Random rules may by chance not fire: these always do, so every kind of fault is seen.
        json!({"path_contains": "$batch", "reset": true, "after_commit": true, "count": 2}),
        json!({"path_contains": "/users", "in_batch": true, "status": 500, "after_commit": true, "count": 3}),
        json!({"path_contains": "/users", "in_batch": true, "status": 504, "after_commit": true, "count": 3}),
        json!({"path_contains": "$batch", "delay_ms": 1500, "probability": 0.01}),
        json!({"method": "GET", "path_contains": "/users", "in_batch": false, "status": 503, "probability": 0.05}),
        json!({"method": "POST", "path_contains": "/users", "in_batch": false, "reset": true, "after_commit": true, "probability": 0.05}),
        json!({"method": "POST", "path_contains": "/users", "in_batch": false, "status": 429, "retry_after_s": 1, "probability": 0.05}),
    ];
    for rule in rules {
        add_fault(&base, rule);
    }
    let p = provisioner(
        &base,
        json!({"max_concurrency": 4, "max_retries": 10, "timeout_ms": 1000}),
    );
    // Some users already exist in Entra: they must come back as conflicts naming the existing
    // account (never duplicated, never linked or written to).
    let preexisting: Vec<usize> = (0..USERS).step_by(97).collect();
    for i in &preexisting {
        control(
            &base,
            "POST",
            "users",
            Some(
                json!({"user_principal_name": format!("fs{i}@{DOMAIN}"), "display_name": format!("old {i}")}),
            ),
        );
    }
    let users: Vec<Value> = (0..USERS)
        .map(|i| json!({"uid": i, "name": format!("fs{i}"), "status": 1}))
        .collect();
    let mut results = Vec::new();
    for chunk in users.chunks(500) {
        results.extend(block_on(p.bulk_provision(chunk.to_vec())));
    }

    assert_eq!(results.len(), USERS);
    let mut ids_by_upn: HashMap<String, Vec<String>> = HashMap::new();
    for u in live_users(&base) {
        ids_by_upn
            .entry(u["userPrincipalName"].as_str().unwrap().to_lowercase())
            .or_default()
            .push(u["id"].as_str().unwrap().to_owned());
    }
    let (mut created, mut conflicts) = (0, 0);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.uid, Some(json!(i)));
        let upn = format!("fs{i}@{DOMAIN}");
        let ids = ids_by_upn.get(&upn).unwrap_or_else(|| panic!("{upn} lost"));
        assert_eq!(ids.len(), 1, "{upn} exists {} times", ids.len());
        if preexisting.contains(&i) {
            let err = r.result.as_ref().expect_err(&upn);
            assert_eq!(err.kind().name(), "conflict", "{upn}: {err}");
            let existing = err.detail().existing.as_ref().expect("the holder is named");
            assert_eq!(
                &existing.id, &ids[0],
                "{upn}: the existing account's real id"
            );
            conflicts += 1;
            continue;
        }
        let outcome = r
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("fs{i} failed: {e}"));
        assert_eq!(
            &outcome.id, &ids[0],
            "{upn}: the reported id is the real one"
        );
        // A create whose answer was lost and which we then found is still our create.
        assert_eq!(outcome.action, Action::Created, "{upn}");
        created += 1;
    }
    let log = requests(&base);
    let writes_to_preexisting = log
        .iter()
        .filter(|e| e["method"] == "PATCH" || e["method"] == "DELETE")
        .count();
    assert_eq!(writes_to_preexisting, 0, "no account was written to");
    let faults = log.iter().filter(|e| e["fault_id"].is_u64()).count();
    let total = log.len();
    let mut by_status: HashMap<u64, usize> = HashMap::new();
    for e in log.iter().filter(|e| e["fault_id"].is_u64()) {
        *by_status.entry(e["status"].as_u64().unwrap()).or_default() += 1;
    }
    for status in [0, 429, 500, 503, 504] {
        assert!(
            by_status.get(&status).copied().unwrap_or(0) > 0,
            "fault {status} never fired: {by_status:?}"
        );
    }
    // Retry-After: no request for the same user came back before the time Graph asked for.
    let retries_checked = assert_retry_after_honoured(&log);
    assert!(
        retries_checked > 0,
        "some throttled requests were retried and checked"
    );
    println!(
        "fault suite: {USERS} users, {created} created, {conflicts} conflicts with existing accounts (not written to), 0 lost, 0 duplicated; \
         {total} requests logged, {faults} faulted {by_status:?}, {retries_checked} retries checked \
         against Retry-After; client stats {:?}",
        p.graph.stats()
    );
}
