//! Throttling, lost answers and faults: nothing is duplicated, nothing is retried early.

mod common;

use common::*;
use entra_provisioning::Action;
use serde_json::{Value, json};
use std::collections::HashMap;

#[test]
fn a_429_storm_is_ridden_out_after_retry_after() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({"max_retries": 5}));
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "status": 429, "retry_after_s": 1, "count": 3}),
    );
    let out = block_on(p.provision_user(&drupal_user(1, "storm"))).unwrap();
    assert_eq!(out.action, Action::Created);
    let log = requests(&base);
    let throttled = log.iter().filter(|e| e["status"] == 429).count();
    assert_eq!(throttled, 3);
    assert_eq!(assert_retry_after_honoured(&log), 3);
    assert_eq!(p.graph.stats().throttled, 3);
}

#[test]
fn a_reset_after_the_create_never_makes_two_users() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "reset": true, "after_commit": true, "count": 1}),
    );
    let out = block_on(p.provision_user(&drupal_user(1, "reset.me"))).unwrap();
    assert_eq!(out.action, Action::Created);
    let log = requests(&base);
    assert!(
        log.iter()
            .any(|e| e["status"] == 0 && e["fault_id"].is_u64()),
        "the reset happened"
    );
    let users: Vec<Value> = live_users(&base)
        .into_iter()
        .filter(|u| u["userPrincipalName"] == "reset.me@contoso.onmicrosoft.com")
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["id"], out.id.as_str());
}

#[test]
fn a_create_that_timed_out_is_looked_up_before_it_is_sent_again() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({"timeout_ms": 300}));
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "delay_ms": 1000, "count": 1}),
    );
    let out = block_on(p.provision_user(&drupal_user(1, "slow.create"))).unwrap();
    assert_eq!(out.action, Action::Created);
    let posts = requests(&base)
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/v1.0/users")
        .count();
    assert_eq!(
        posts, 1,
        "the create was not sent again after the lookup found the user"
    );
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let n = live_users(&base)
        .iter()
        .filter(|u| u["userPrincipalName"] == "slow.create@contoso.onmicrosoft.com")
        .count();
    assert_eq!(n, 1);
}

#[test]
fn a_lost_create_that_lands_after_the_look_is_still_ours() {
    // The first create is held by Graph past the client's timeout and lands 2.5 s later; the
    // look finds nothing yet; the create sent again is throttled, arrives after the first one
    // landed and is refused as a duplicate. That duplicate is the first attempt's own account.
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({"timeout_ms": 300, "max_retries": 5}));
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "delay_ms": 2500, "count": 1}),
    );
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "status": 429, "retry_after_s": 3, "count": 1}),
    );
    let out = block_on(p.provision_user(&drupal_user(1, "late.landing"))).unwrap();
    assert_eq!(out.action, Action::Created);
    let log = requests(&base);
    let statuses: Vec<u64> = log
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/v1.0/users")
        .map(|e| e["status"].as_u64().unwrap_or(0))
        .collect();
    assert!(
        statuses.ends_with(&[429, 400]) || statuses.ends_with(&[429, 409]),
        "the last create met the first one's account: {statuses:?}"
    );
    let users: Vec<Value> = live_users(&base)
        .into_iter()
        .filter(|u| u["userPrincipalName"] == "late.landing@contoso.onmicrosoft.com")
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["id"], out.id.as_str());
}

#[test]
fn bulk_results_are_in_input_order_and_failures_stay_local() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({"max_concurrency": 4}));
    let mut users: Vec<Value> = (0..95)
        .map(|i| json!({"uid": i, "name": format!("bulk{i}"), "mail": format!("bulk{i}@example.com"), "status": 1}))
        .collect();
    users[10] = json!({"uid": 10, "name": "***", "status": 1});
    users[20] = json!({"uid": 20, "name": "adele", "status": 1});
    users[30] = json!({"uid": 30, "name": "bulk29", "status": 1});
    let results = block_on(p.bulk_provision(users));
    assert_eq!(results.len(), 95);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.uid, Some(json!(i)), "input order");
        match i {
            10 => assert_eq!(r.result.as_ref().unwrap_err().kind().name(), "validation"),
            20 => {
                let err = r.result.as_ref().unwrap_err();
                assert_eq!(err.kind().name(), "conflict");
                let existing = err.detail().existing.as_ref().expect("Adele is named");
                assert_eq!(existing.display_name.as_deref(), Some("Adele Vance"));
            }
            30 => assert_eq!(r.result.as_ref().unwrap_err().kind().name(), "conflict"),
            _ => assert_eq!(
                r.result.as_ref().unwrap().action,
                Action::Created,
                "{i}: {:?}",
                r.result
            ),
        }
    }
    // 92 created + the seeded user.
    assert_eq!(live_users(&base).len(), 93);
    let batches = requests(&base)
        .iter()
        .filter(|e| e["path"] == "/v1.0/$batch")
        .count();
    assert!(batches <= 6, "creates go 20 to a batch, {batches} batches");
}

#[test]
fn bulk_survives_random_faults_without_losing_or_duplicating() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(
        &base,
        json!({"max_concurrency": 4, "max_retries": 8, "timeout_ms": 1000}),
    );
    for rule in [
        json!({"method": "POST", "path_contains": "/users", "in_batch": true, "status": 429, "retry_after_s": 1, "probability": 0.08}),
        json!({"method": "POST", "path_contains": "/users", "in_batch": true, "status": 503, "probability": 0.06}),
        json!({"method": "POST", "path_contains": "/users", "in_batch": true, "status": 504, "after_commit": true, "probability": 0.04}),
        json!({"method": "POST", "path_contains": "$batch", "reset": true, "after_commit": true, "probability": 0.05}),
        // Random rules may by chance not fire in a short run: these do, so every path is seen.
        json!({"method": "POST", "path_contains": "$batch", "reset": true, "after_commit": true, "count": 2}),
        json!({"method": "POST", "path_contains": "/users", "in_batch": true, "status": 504, "after_commit": true, "count": 3}),
    ] {
        add_fault(&base, rule);
    }
    let users: Vec<Value> = (0..300)
        .map(|i| json!({"uid": i, "name": format!("chaos{i}"), "status": 1}))
        .collect();
    let results = block_on(p.bulk_provision(users));
    let failed: Vec<_> = results.iter().filter(|r| r.result.is_err()).collect();
    assert!(
        failed.is_empty(),
        "{} failed, first: {:?}",
        failed.len(),
        failed.first().map(|r| &r.result)
    );
    let mut per_upn: HashMap<String, usize> = HashMap::new();
    for u in live_users(&base) {
        *per_upn
            .entry(u["userPrincipalName"].as_str().unwrap().to_lowercase())
            .or_default() += 1;
    }
    for i in 0..300 {
        assert_eq!(
            per_upn.get(&format!("chaos{i}@contoso.onmicrosoft.com")),
            Some(&1),
            "chaos{i}"
        );
    }
    let log = requests(&base);
    assert_retry_after_honoured(&log);
    let faulted = |status: u64| {
        log.iter()
            .filter(|e| e["fault_id"].is_u64() && e["status"] == status)
            .count()
    };
    assert!(
        faulted(429) > 0 && faulted(503) > 0 && faulted(504) > 0 && faulted(0) > 0,
        "every fault fired"
    );
}

#[test]
fn bulk_paces_itself_to_the_write_quota() {
    let budget = entra_graph_emulator::WriteBudget {
        writes: 100,
        window_s: 2.0,
    };
    let emu = emulator_with(|c| c.write_budget = Some(budget));
    let base = emu.base_url();
    let users: Vec<Value> = (0..300)
        .map(|i| json!({"uid": i, "name": format!("paced{i}")}))
        .collect();

    let paced = provisioner(
        &base,
        json!({"write_budget": {"writes": 100, "window_s": 2.0}}),
    );
    let start = std::time::Instant::now();
    let results = block_on(paced.bulk_provision(users.clone()));
    let elapsed = start.elapsed();
    assert!(results.iter().all(|r| r.result.is_ok()));
    assert_eq!(
        stats(&base)["throttled"],
        0,
        "pacing kept every write under the quota"
    );
    // 300 writes at 100 per 2 s: the first 100 at once, then two more windows.
    assert!(elapsed >= std::time::Duration::from_secs(4), "{elapsed:?}");

    // Without pacing the same load is throttled, and still completes after Retry-After.
    control(
        &base,
        "POST",
        "config",
        Some(json!({"write_budget": {"writes": 100, "window_s": 2.0}})),
    );
    let unpaced = provisioner(&base, json!({"write_budget": null, "max_retries": 10}));
    let more: Vec<Value> = (0..300)
        .map(|i| json!({"uid": i, "name": format!("unpaced{i}")}))
        .collect();
    let results = block_on(unpaced.bulk_provision(more));
    assert!(
        results.iter().all(|r| r.result.is_ok()),
        "{:?}",
        results
            .iter()
            .find(|r| r.result.is_err())
            .map(|r| &r.result)
    );
    assert!(unpaced.graph.stats().throttled > 0);
    assert_retry_after_honoured(&requests(&base));
}

/// (Sub)requests that reached the emulator while a Retry-After it had already answered was
/// still running, excluding the ones that may have been on their way before the client could
/// know it: the throttled request's own `$batch`, and arrivals within `in_flight_ms` of it.
fn sent_during_known_retry_after(log: &[Value], in_flight_ms: f64) -> usize {
    // A sub-request's 429 reaches the client with its whole `$batch` answer, after the
    // batch's last sub-request was handled.
    let answered_at = |e: &Value| -> f64 {
        let t = e["t_ms"].as_f64().unwrap_or(0.0);
        match e["batch_seq"].as_u64() {
            Some(b) => log
                .iter()
                .filter(|o| o["batch_seq"].as_u64() == Some(b))
                .filter_map(|o| o["t_ms"].as_f64())
                .fold(t, f64::max),
            None => t,
        }
    };
    let throttles: Vec<(f64, f64, f64)> = log
        .iter()
        .filter(|e| e["status"] == 429)
        .filter_map(|e| {
            let t = e["t_ms"].as_f64()?;
            Some((t, answered_at(e), e["retry_after_s"].as_f64()? * 1000.0))
        })
        .collect();
    let early: Vec<&Value> = log
        .iter()
        .filter(|e| e["in_batch"] == true || e["path"] != "/v1.0/$batch")
        .filter(|e| {
            let t = e["t_ms"].as_f64().unwrap_or(0.0);
            throttles
                .iter()
                .any(|(t429, known, after)| t > known + in_flight_ms && t < t429 + after)
        })
        .collect();
    for e in early.iter().take(3) {
        eprintln!("sent during a known Retry-After: {e}");
    }
    early.len()
}

/// Bulk-provisions `users` users (named `prefix{i}`) on the default write budget (3,000 per
/// 150 s) against an emulator whose real limit is `writes` per `window_s`, throttled attempts
/// charged; asserts every user was created and returns the emulator's request log.
fn bulk_on_the_default_budget_against(
    writes: u32,
    window_s: f64,
    users: usize,
    prefix: &str,
) -> Vec<Value> {
    let emu = emulator_with(|c| {
        c.write_budget = Some(entra_graph_emulator::WriteBudget { writes, window_s })
    });
    let base = emu.base_url();
    let users: Vec<Value> = (0..users)
        .map(|i| json!({"uid": i, "name": format!("{prefix}{i}")}))
        .collect();
    let p = provisioner(
        &base,
        json!({"write_budget": {"writes": 3000, "window_s": 150.0}, "max_retries": 10}),
    );
    let results = block_on(p.bulk_provision(users));
    assert!(results.iter().all(|r| r.result.is_ok()));
    requests(&base)
}

#[test]
fn a_budget_above_the_real_limit_adapts_without_bursting_after_retry_after() {
    // Graph's limit at 20 writes/s as 100 per 5 s; the client is told 3,000 per 150 s (the
    // same average, 30 times the burst). Throttled attempts are charged.
    let log = bulk_on_the_default_budget_against(100, 5.0, 500, "adaptive");
    let creates: Vec<f64> = log
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/v1.0/users" && e["status"] == 201)
        .map(|e| e["t_ms"].as_f64().unwrap() / 1000.0)
        .collect();
    assert_eq!(creates.len(), 500);
    let attempts = log
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/v1.0/users")
        .count();
    let throttled = log.iter().filter(|e| e["status"] == 429).count();
    // Before: a 429 for most attempts. The first burst alone may cost some 429s (the client
    // cannot know the window before Graph says so); after it, few.
    assert!(
        throttled * 100 <= attempts * 15,
        "{throttled} of {attempts} attempts throttled"
    );
    assert_eq!(
        // 100 ms: what was sent before the 429 arrived may reach the emulator that much later on
        // a loaded machine (the shortest Retry-After is 1 s, so a burst would still show).
        sent_during_known_retry_after(&log, 100.0),
        0,
        "a (sub)request was sent while a known Retry-After ran"
    );
    // After the first free window, 400 creates at 20/s take 20 s; a loaded machine may lose
    // some, the old spiral lost three quarters.
    let span = creates.iter().cloned().fold(f64::MIN, f64::max)
        - creates.iter().cloned().fold(f64::MAX, f64::min);
    let ratio = 400.0 / 20.0 / span;
    assert!(ratio >= 0.6, "{ratio:.2} of the ceiling in {span:.1} s");
}

#[test]
fn a_new_handle_of_the_same_application_waits_out_the_retry_after_an_earlier_one_got() {
    // A PHP-FPM request frees its handle; the next request's handle is a new one. Graph's
    // Retry-After is for the application, so the new handle must not send before it ends.
    let emu = emulator();
    let base = emu.base_url();
    add_fault(
        &base,
        json!({"method": "POST", "path_contains": "/users", "status": 429, "retry_after_s": 2, "count": 1}),
    );
    let first = provisioner(&base, json!({"max_retries": 0}));
    let err = block_on(first.provision_user(&drupal_user(1, "first.request"))).unwrap_err();
    assert!(err.is(entra_provisioning::ErrorKind::Throttled), "{err:?}");
    drop(first);
    let second = provisioner(&base, json!({"max_retries": 0}));
    let out = block_on(second.provision_user(&drupal_user(2, "next.request"))).unwrap();
    assert_eq!(out.action, Action::Created);
    let log = requests(&base);
    let throttled_at = log.iter().find(|e| e["status"] == 429).unwrap()["t_ms"]
        .as_f64()
        .unwrap();
    let created_at = log
        .iter()
        .find(|e| e["method"] == "POST" && e["status"] == 201)
        .unwrap()["t_ms"]
        .as_f64()
        .unwrap();
    assert!(
        created_at - throttled_at >= 2000.0,
        "sent {:.0} ms after the 429",
        created_at - throttled_at
    );
}

#[test]
fn the_writes_that_wait_for_a_batch_see_the_retry_after_its_answer_brought() {
    // Graph's window holds 10 writes; the client's budget allows thousands, so its first
    // `$batch` of 20 meets the limit halfway and the second waits (slow start) for that
    // answer. The 429s inside it must shut the gate before the second batch may go.
    let log = bulk_on_the_default_budget_against(10, 2.0, 40, "waiting");
    let first = log.iter().find(|e| e["status"] == 429).expect("a 429");
    let (t429, batch) = (first["t_ms"].as_f64().unwrap(), first["batch_seq"].as_u64());
    let after_ms = first["retry_after_s"].as_f64().unwrap() * 1000.0;
    let early: Vec<&Value> = log
        .iter()
        .filter(|e| e["in_batch"] == true && e["batch_seq"].as_u64() != batch)
        .filter(|e| e["t_ms"].as_f64().is_some_and(|t| t < t429 + after_ms))
        .collect();
    assert!(
        early.is_empty(),
        "{} sub-requests of later batches inside the Retry-After, first {}",
        early.len(),
        early[0]
    );
}
