//! Issue #4: a client secret or private key never leaves the library in an error, in whatever form
//! a server or a message echoes it, and a successful result is never altered by the scrub. At
//! the C ABI, against the emulator's echoing faults.

mod common;

use common::abi::*;
use common::*;
use entra_graph_emulator::SeedUser;
use entra_provisioning::ffi::*;
use serde_json::{Value, json};

/// Quotes, a backslash, a tab, a newline and non-ASCII: each changes when JSON escapes it. Every
/// line is long enough to be a secret of its own.
const CANARY: &str = "Qu\"ote\\back\tslash-A1\nnewline-ünïcødé-✓-Z9";
const KEY: &str = include_str!("fixtures/test-app.key.pem");
const CERT: &str = include_str!("fixtures/test-app.cert.pem");

/// The forms the canary may come back in: whole, and each line alone (a message cut at a line
/// break). The error object must hold none of them, parsed or as text.
fn canary_forms() -> Vec<String> {
    let mut forms = vec![CANARY.to_owned()];
    forms.extend(CANARY.lines().map(str::to_owned));
    forms
}

/// The base64 lines of the key (the armour lines are no secret).
fn key_forms() -> Vec<String> {
    KEY.lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect()
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

fn assert_clean(what: &str, error: &Value, forms: &[String]) {
    let mut texts = vec![error.to_string()];
    strings(error, &mut texts);
    for form in forms {
        let escaped = serde_json::to_string(form).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        for text in &texts {
            assert!(
                !text.contains(form.as_str()) && !text.contains(escaped),
                "{what}: the secret came back in {error}"
            );
        }
    }
}

/// One request per client export that reaches the token endpoint and Graph.
fn every_export(entra_id: &str) -> Vec<(&'static str, Export, Value)> {
    let user = json!({"uid": 9, "name": "echo.user", "mail": "echo@example.com", "status": 1});
    vec![
        (
            "test_connection",
            entra_test_connection as Export,
            json!({"upn": "adele@contoso.onmicrosoft.com"}),
        ),
        (
            "find_user",
            entra_find_user,
            json!({"upn": "adele@contoso.onmicrosoft.com"}),
        ),
        // No network: a validation error that quotes the value with Rust's escaping.
        (
            "map_user",
            entra_map_user,
            json!({"uid": 9, "name": "echo.user", "mail": CANARY}),
        ),
        ("provision_user", entra_provision_user, user.clone()),
        (
            "update_user",
            entra_update_user,
            json!({"entra_id": entra_id, "user": user.clone(), "sync_mail": true}),
        ),
        (
            "disable_user",
            entra_disable_user,
            json!({"entra_id": entra_id}),
        ),
        (
            "enable_user",
            entra_enable_user,
            json!({"entra_id": entra_id}),
        ),
        (
            "delete_user",
            entra_delete_user,
            json!({"entra_id": entra_id}),
        ),
        (
            "link_user",
            entra_link_user,
            json!({"entra_id": entra_id, "user": user.clone()}),
        ),
        (
            "bulk_provision",
            entra_bulk_provision,
            json!([user, {"uid": 10, "name": "echo.two"}]),
        ),
        ("import_delta", entra_import_delta, json!({})),
    ]
}

/// The error objects of a call: the answer itself, or each failed user of a bulk result.
fn errors_of(name: &str, status: EntraStatus, out: &Value) -> Vec<Value> {
    if name == "bulk_provision" {
        assert_eq!(status, EntraStatus::Ok, "{out}");
        let errors: Vec<Value> = out["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["error"].clone())
            .collect();
        assert!(
            errors.iter().all(Value::is_object),
            "{name}: every user failed: {out}"
        );
        errors
    } else {
        assert_ne!(status, EntraStatus::Ok, "{name} failed: {out}");
        vec![out.clone()]
    }
}

/// Makes the emulator refuse every token it issued (401 `InvalidAuthenticationToken`), so that
/// the next Graph call of any client of the process goes back to the token endpoint.
fn revoke_tokens(base: &str) {
    control(base, "POST", "config", Some(json!({"expire_tokens": true})));
}

/// Runs every export against the emulator's current faults and checks each error.
fn check_every_export(c: &Client, entra_id: &str, forms: &[String], stage: &str) {
    for (name, export, request) in every_export(entra_id) {
        let (status, out) = call(export, c, request);
        for error in errors_of(name, status, &out) {
            assert!(error["kind"].is_string(), "{stage} {name}: {error}");
            assert_clean(&format!("{stage} {name}"), &error, forms);
        }
    }
}

#[test]
fn a_secret_with_quotes_backslashes_newlines_and_unicode_is_in_no_error() {
    let emu = emulator_with(|c| c.clients[0].secret = CANARY.into());
    let base = emu.base_url();
    let config = config_json(&base, json!({"client_secret": CANARY, "max_retries": 0}));
    let c = client(&config);
    let (status, created) = call(
        entra_provision_user,
        &c,
        json!({"uid": 1, "name": "target.user"}),
    );
    assert_eq!(
        status,
        EntraStatus::Ok,
        "the canary secret works: {created}"
    );
    let entra_id = created["id"].as_str().unwrap().to_owned();
    let forms = canary_forms();

    // Graph echoes the secret in its error message and code.
    control(&base, "DELETE", "faults", None);
    add_fault(
        &base,
        json!({"path_contains": "/v1.0/", "status": 400, "code": CANARY,
            "message": format!("Invalid value '{CANARY}' for property x.")}),
    );
    check_every_export(&c, &entra_id, &forms, "graph echo");

    // The token endpoint echoes it in its description (cut at the line break by the library)
    // and in its `error` code. The process-wide cache would hand a fresh client the token
    // already fetched: the emulator revokes it, so Graph's 401 makes the client ask again.
    control(&base, "DELETE", "faults", None);
    add_fault(
        &base,
        json!({"path_contains": "/oauth2/", "status": 400, "code": CANARY,
            "message": format!("The secret {CANARY} is not valid.")}),
    );
    revoke_tokens(&base);
    let fresh = client(&config);
    check_every_export(&fresh, &entra_id, &forms, "token echo");

    // An existing account whose display name is the secret's text: a conflict names it.
    control(&base, "DELETE", "faults", None);
    emu.state()
        .seed_user(SeedUser {
            user_principal_name: format!("holder@{DOMAIN}"),
            display_name: CANARY.into(),
            mail: None,
            account_enabled: true,
        })
        .unwrap();
    let (status, err) = call(
        entra_provision_user,
        &c,
        json!({"uid": 3, "name": "holder"}),
    );
    assert_eq!(status, EntraStatus::Conflict, "{err}");
    assert!(err["existing"].is_object(), "{err}");
    assert_clean("conflict existing", &err, &forms);

    // A configuration error: the secret typed into a field of the wrong type.
    let bad = config_json(
        &base,
        json!({"client_secret": CANARY, "max_retries": CANARY}),
    );
    let Err((status, err)) = try_client(&bad) else {
        panic!("a string max_retries is refused");
    };
    assert_eq!(status, EntraStatus::Config);
    assert_eq!(err["field"], "max_retries");
    assert_clean("config", &err, &forms);
    let bad = config_json(&base, json!({"client_secret": CANARY, "cloud": CANARY}));
    let Err((_, err)) = try_client(&bad) else {
        panic!("an unknown cloud is refused");
    };
    assert_clean("config cloud", &err, &forms);
    assert!(
        err["message"].as_str().unwrap().contains("global"),
        "what was expected stays: {err}"
    );
}

#[test]
fn a_private_key_is_in_no_error_whole_or_line_by_line() {
    let emu = emulator_with(|c| c.clients[0].certificate_pem = Some(CERT.into()));
    let base = emu.base_url();
    let mut config: Value =
        serde_json::from_str(&config_json(&base, json!({"max_retries": 0}))).unwrap();
    config.as_object_mut().unwrap().remove("client_secret");
    config["client_certificate"] = json!({"private_key_pem": KEY, "certificate_pem": CERT});
    let c = client(&config.to_string());
    let (status, created) = call(
        entra_provision_user,
        &c,
        json!({"uid": 1, "name": "pem.user"}),
    );
    assert_eq!(status, EntraStatus::Ok, "{created}");
    let entra_id = created["id"].as_str().unwrap().to_owned();
    let forms = key_forms();
    let line = &forms[3];
    let body: String = forms.concat();
    for message in [
        format!("bad key {KEY}"),
        format!("bad key line {line} here"),
        format!("bad key body {body}"),
    ] {
        control(&base, "DELETE", "faults", None);
        add_fault(
            &base,
            json!({"path_contains": "/v1.0/", "status": 400, "message": message}),
        );
        check_every_export(&c, &entra_id, &forms, "pem graph echo");
    }
    control(&base, "DELETE", "faults", None);
    add_fault(
        &base,
        json!({"path_contains": "/oauth2/", "status": 400, "message": format!("key {line} refused")}),
    );
    revoke_tokens(&base);
    let fresh = client(&config.to_string());
    check_every_export(&fresh, &entra_id, &forms, "pem token echo");
}

#[test]
fn a_result_that_contains_the_secrets_text_is_returned_unmodified() {
    // A secret that is also the tenant's domain: every UPN of the tenant contains its text.
    let secret = DOMAIN;
    let emu = emulator_with(|c| c.clients[0].secret = secret.into());
    let base = emu.base_url();
    let (c, summary) = try_client(&config_json(&base, json!({"client_secret": secret})))
        .expect("a valid configuration");
    assert_eq!(summary["primary_domain"], DOMAIN, "{summary}");
    let (status, out) = call(
        entra_test_connection,
        &c,
        json!({"upn": format!("adele@{DOMAIN}")}),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(
        out["attributes"]["userPrincipalName"],
        format!("adele@{DOMAIN}")
    );
    let (status, out) = call(entra_provision_user, &c, json!({"uid": 5, "name": "jdoe"}));
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(out["userPrincipalName"], format!("jdoe@{DOMAIN}"));
    let (status, out) = call(
        entra_bulk_provision,
        &c,
        json!([{"uid": 6, "name": "jroe"}]),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(
        out["results"][0]["userPrincipalName"],
        format!("jroe@{DOMAIN}")
    );
    // The same text in an error is still cleared.
    let (status, err) = call(entra_find_user, &c, json!({"id": "a", "upn": "b"}));
    assert_eq!(status, EntraStatus::Validation, "{err}");
    add_fault(
        &base,
        json!({"path_contains": "/v1.0/", "status": 400, "message": format!("no jdoe@{DOMAIN}")}),
    );
    let (_, err) = call(
        entra_find_user,
        &c,
        json!({"upn": format!("jdoe@{DOMAIN}")}),
    );
    assert_eq!(err["message"], "no jdoe@[REDACTED]", "{err}");
}

#[test]
fn implausibly_short_secrets_are_refused_by_the_configuration() {
    let base = "http://127.0.0.1:9";
    for short in ["x", "abc", "seven77"] {
        let Err((status, err)) = try_client(&config_json(base, json!({"client_secret": short})))
        else {
            panic!("{short:?} is accepted as a secret");
        };
        assert_eq!(status, EntraStatus::Config);
        assert_eq!(err["field"], "client_secret", "{err}");
        assert!(
            err["message"].as_str().unwrap().contains("40 characters"),
            "{err}"
        );
    }
    // The emulator's default secret (15 characters) and anything longer are accepted.
    for ok in [
        "emulator-secret",
        "eight888",
        "a-40-character-secret-from-entra-xxxxxxx",
    ] {
        assert!(
            try_client(&config_json(base, json!({"client_secret": ok}))).is_ok(),
            "{ok:?}"
        );
    }
}
