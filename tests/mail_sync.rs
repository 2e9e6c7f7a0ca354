//! Issue #10: an update writes Entra's `mail` only when the host asks (`sync_mail`), and only on
//! a link that may carry deprovisioning. Drupal does not verify a changed e-mail address, and
//! other applications of the tenant may trust Entra's `mail`. At the C ABI.

mod common;

use common::abi::*;
use common::*;
use entra_provisioning::ffi::*;
use serde_json::json;

#[test]
fn mail_is_written_on_update_only_when_asked() {
    let emu = emulator();
    let base = emu.base_url();
    let c = client(&config_json(&base, json!({})));
    let user = |mail: &str| json!({"uid": 5, "name": "mail.user", "mail": mail, "status": 1});
    let (status, created) = call(entra_provision_user, &c, user("first@example.com"));
    assert_eq!(status, EntraStatus::Ok, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let mail_in_entra = || {
        let (_, found) = call(entra_find_user, &c, json!({"id": id}));
        found["user"]["mail"].as_str().unwrap().to_owned()
    };

    // ABI 2 and 3 callers that do not say `sync_mail`: the mail stays.
    let (status, out) = call(
        entra_update_user,
        &c,
        json!({"entra_id": id, "user": user("changed@example.com")}),
    );
    assert_eq!(status, EntraStatus::Ok, "{out}");
    assert_eq!(out["action"], "unchanged", "{out}");
    assert_eq!(mail_in_entra(), "first@example.com");

    // Asked, but on a matched link that may not carry deprovisioning: still not.
    let (_, out) = call(
        entra_update_user,
        &c,
        json!({"entra_id": id, "user": user("changed@example.com"), "sync_mail": true,
            "link": {"provenance": "matched"}}),
    );
    assert_eq!(out["action"], "unchanged", "{out}");
    assert_eq!(mail_in_entra(), "first@example.com");

    // Asked, on a link this site created.
    let (_, out) = call(
        entra_update_user,
        &c,
        json!({"entra_id": id, "user": user("changed@example.com"), "sync_mail": true,
            "link": {"provenance": "created"}}),
    );
    assert_eq!(out["updated_properties"], json!(["mail"]), "{out}");
    assert_eq!(mail_in_entra(), "changed@example.com");
    // Without link facts and asked: written too.
    let (_, out) = call(
        entra_update_user,
        &c,
        json!({"entra_id": id, "user": user("third@example.com"), "sync_mail": true}),
    );
    assert_eq!(out["updated_properties"], json!(["mail"]), "{out}");
    assert_eq!(mail_in_entra(), "third@example.com");
}
