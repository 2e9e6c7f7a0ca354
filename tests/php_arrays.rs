//! Issue #5: PHP's `json_encode([])` is `[]`, never `{}`. Wherever the library expects a JSON
//! object, an empty array is an empty object, at the C ABI and with the exact text PHP sends.

mod common;

use common::abi::*;
use common::*;
use entra_provisioning::ffi::*;
use serde_json::{Value, json};

/// The configuration as PHP encodes it when its mapping settings are empty.
fn php_config(base: &str, mapping: &str) -> String {
    let mut config = config_json(base, json!({}));
    config.pop();
    format!("{config},\"mapping\":{mapping}}}")
}

#[test]
fn an_empty_mapping_or_properties_array_is_an_empty_object() {
    let emu = emulator();
    let base = emu.base_url();
    for mapping in [
        "[]",
        r#"{"properties":[]}"#,
        r#"{"upn_source":"name","properties":[]}"#,
    ] {
        let (c, _) = try_client(&php_config(&base, mapping))
            .unwrap_or_else(|(s, e)| panic!("mapping {mapping}: {s:?} {e}"));
        let (status, out) = call_text(entra_map_user, &c, r#"{"uid":1,"name":"arr.user"}"#);
        assert_eq!(status, EntraStatus::Ok, "{mapping}: {out}");
    }
    // An array that is not empty is still not an object.
    let Err((status, err)) = try_client(&php_config(&base, r#"{"properties":["jobTitle"]}"#))
    else {
        panic!("a list of properties is refused");
    };
    assert_eq!(status, EntraStatus::Config);
    assert_eq!(err["field"], "mapping.properties", "{err}");
}

#[test]
fn a_drupal_user_with_empty_fields_works_in_every_export() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(
        &base,
        json!({"mapping": {"properties": {"field_title": "jobTitle"}}}),
    ));
    let user = r#"{"uid":7,"name":"fields.user","mail":"fields@example.com","status":1,"fields":[],"roles":[]}"#;
    let (status, preview) = call_text(entra_map_user, &c, user);
    assert_eq!(status, EntraStatus::Ok, "{preview}");
    let (status, created) = call_text(entra_provision_user, &c, user);
    assert_eq!(status, EntraStatus::Ok, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, out) = call_text(
        entra_update_user,
        &c,
        &format!(r#"{{"entra_id":"{id}","user":{user},"sync_mail":false}}"#),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    // `link: []`: link facts without a provenance, read as a matched link (restricted).
    let (status, out) = call_text(
        entra_update_user,
        &c,
        &format!(r#"{{"entra_id":"{id}","user":{user},"link":[]}}"#),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    let (status, out) = call_text(
        entra_link_user,
        &c,
        &format!(r#"{{"entra_id":"{id}","user":{user}}}"#),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    let bulk = r#"{"users":[{"uid":8,"name":"bulk.fields","fields":[]},{"uid":9,"name":"bulk.two","fields":[],"previous_attempt":null}]}"#;
    let (status, out) = call_text(entra_bulk_provision, &c, bulk);
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(out["summary"]["created"], 2, "{out}");
}

#[test]
fn an_empty_request_is_an_empty_object() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(&base, json!({})));
    // importDelta() with no options: a full round.
    let (status, page) = call_text(entra_import_delta, &c, "[]");
    assert_eq!(status, EntraStatus::Ok, "{page}");
    assert!(page["delta_link"].is_string(), "{page}");
    // findUser([]): the query names no key, which is the library's validation error (naming
    // the field), not a JSON shape error.
    let (status, err) = call_text(entra_find_user, &c, "[]");
    assert_eq!(status, EntraStatus::Validation, "{err}");
    assert_eq!(err["field"], "query");
    // A request that needs a key still says which.
    let (status, err) = call_text(entra_disable_user, &c, "[]");
    assert_eq!(status, EntraStatus::InvalidArgument, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("entra_id"),
        "{err}"
    );
    // An empty list of users is still an empty bulk.
    let (status, out) = call_text(entra_bulk_provision, &c, "[]");
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(out["results"], json!([]));
}

#[test]
fn decide_accepts_empty_values_and_facts() {
    let (status, answer) = decide_text(
        r#"{"decide":"import_write","provenance":"created","account":{"uid":5,"roles":[],"status":1},"values":[]}"#,
    );
    assert_eq!(status, EntraStatus::Ok, "{answer}");
    assert_eq!(answer["write"], json!({}));
    assert_eq!(answer["held"], json!([]));
    // Account facts PHP had nothing for: `[]`, an account with every default (uid 0).
    let (status, answer) = decide_text(
        r#"{"decide":"import_removal","provenance":"created","account":[],"policy":"block","reason":"changed"}"#,
    );
    assert_eq!(status, EntraStatus::Ok, "{answer}");
    assert_eq!(answer["action"], "block");
    let (status, answer) = decide_text(
        r#"{"decide":"entra_candidate","account":{"uid":5,"roles":[],"status":1},"candidate":[]}"#,
    );
    assert_eq!(status, EntraStatus::Ok, "{answer}");
    assert_eq!(answer["outcome"], Value::from("review"));
}
