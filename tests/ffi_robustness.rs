//! Arbitrary input through every JSON-taking export: always a defined status and an error
//! object, never a crash, a hang or a panic escaping. Network calls go to a closed loopback
//! port, so they fail fast and deterministically.

use entra_provisioning::ffi::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::ffi::{CStr, CString, c_char};
use std::ptr;

type Export =
    unsafe extern "C" fn(*const EntraClient, *const c_char, *mut *mut c_char) -> EntraStatus;

const EXPORTS: &[(&str, Export)] = &[
    ("test_connection", entra_test_connection),
    ("map_user", entra_map_user),
    ("find_user", entra_find_user),
    ("provision_user", entra_provision_user),
    ("update_user", entra_update_user),
    ("disable_user", entra_disable_user),
    ("enable_user", entra_enable_user),
    ("delete_user", entra_delete_user),
    ("bulk_provision", entra_bulk_provision),
    ("import_delta", entra_import_delta),
];

struct Handle(*mut EntraClient);
// SAFETY: the handle is Send + Sync by construction (asserted in the library).
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

fn offline_client() -> Handle {
    let config = CString::new(
        json!({
            "tenant_id": "11111111-2222-3333-4444-555555555555",
            "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            "client_secret": "fuzz-secret-canary",
            "primary_domain": "contoso.onmicrosoft.com",
            "login_endpoint": "http://127.0.0.1:9",
            "graph_endpoint": "http://127.0.0.1:9",
            "timeout_ms": 200,
            "max_retries": 0,
        })
        .to_string(),
    )
    .unwrap();
    let mut handle = ptr::null_mut();
    let mut out = ptr::null_mut();
    // SAFETY: valid pointers.
    let status = unsafe { entra_client_new(config.as_ptr(), &mut handle, &mut out) };
    // SAFETY: library string.
    unsafe { entra_string_free(out) };
    assert_eq!(status, EntraStatus::Ok);
    Handle(handle)
}

/// Calls `f` with `input` (NUL appended) and checks the contract of the answer.
fn check(f: Export, client: &Handle, input: &[u8]) {
    let mut bytes: Vec<u8> = input.iter().copied().filter(|b| *b != 0).collect();
    bytes.push(0);
    let mut out = ptr::null_mut();
    // SAFETY: a live handle, a NUL-terminated buffer, a writable out pointer.
    let status = unsafe { f(client.0, bytes.as_ptr().cast(), &mut out) };
    assert!(!out.is_null());
    // SAFETY: library string, freed once below.
    let text = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("UTF-8 out_json")
        .to_owned();
    // SAFETY: as above.
    unsafe { entra_string_free(out) };
    let value: Value = serde_json::from_str(&text).expect("out_json is JSON");
    assert_ne!(status, EntraStatus::Panic, "{text}");
    if status != EntraStatus::Ok {
        assert!(
            value["kind"].is_string() && value["message"].is_string(),
            "{text}"
        );
    }
    assert!(!text.contains("fuzz-secret-canary"));
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("name")),
        Just(json!("upn")),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("uid".to_string()),
                    Just("name".to_string()),
                    Just("mail".to_string()),
                    Just("status".to_string()),
                    Just("fields".to_string()),
                    Just("upn".to_string()),
                    Just("entra_id".to_string()),
                    Just("user".to_string()),
                    ".{0,8}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    // A bounded pass in `make test`; PROPTEST_CASES=N runs a longer one.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_crash(input in prop::collection::vec(any::<u8>(), 0..512)) {
        let client = offline_client();
        for (_, f) in EXPORTS {
            check(*f, &client, &input);
        }
        // SAFETY: freed once.
        unsafe { entra_client_free(client.0) };
    }

    #[test]
    fn arbitrary_json_never_crashes(value in json_value()) {
        let client = offline_client();
        let text = value.to_string();
        for (_, f) in EXPORTS {
            check(*f, &client, text.as_bytes());
        }
        // SAFETY: freed once.
        unsafe { entra_client_free(client.0) };
    }

    #[test]
    fn arbitrary_config_never_crashes(input in prop::collection::vec(any::<u8>(), 0..256), value in json_value()) {
        for candidate in [input, value.to_string().into_bytes()] {
            let mut bytes: Vec<u8> = candidate.into_iter().filter(|b| *b != 0).collect();
            bytes.push(0);
            let mut handle = ptr::null_mut();
            let mut out = ptr::null_mut();
            // SAFETY: valid pointers.
            let status = unsafe { entra_client_new(bytes.as_ptr().cast(), &mut handle, &mut out) };
            prop_assert!(!out.is_null());
            // SAFETY: library string, freed once; handle freed once (NULL-safe).
            unsafe { entra_string_free(out); entra_client_free(handle) };
            prop_assert!(status != EntraStatus::Panic);
            prop_assert_eq!(status == EntraStatus::Ok, !handle.is_null());
        }
    }
}

#[test]
fn pathological_inputs_are_refused_not_crashed_on() {
    let client = offline_client();
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let deep_object = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    let huge_name = json!({"uid": 1, "name": "ä".repeat(4_000_000), "status": 1}).to_string();
    let many_fields = json!({"uid": 1, "name": "x", "fields": (0..50_000).map(|i| (format!("f{i}"), json!(i))).collect::<serde_json::Map<_, _>>()}).to_string();
    let too_many_users = json!(
        (0..1001)
            .map(|i| json!({"uid": i, "name": "u"}))
            .collect::<Vec<_>>()
    )
    .to_string();
    let invalid_utf8: &[u8] = &[b'{', 0xC3, 0x28, b'}'];
    for input in [
        deep.as_bytes(),
        deep_object.as_bytes(),
        huge_name.as_bytes(),
        many_fields.as_bytes(),
        too_many_users.as_bytes(),
        invalid_utf8,
    ] {
        for (_, f) in EXPORTS {
            check(*f, &client, input);
        }
    }
    // NULL everywhere.
    for (name, f) in EXPORTS {
        let mut out = ptr::null_mut();
        // SAFETY: NULL client and input on purpose.
        let status = unsafe { f(ptr::null(), ptr::null(), &mut out) };
        assert_eq!(status, EntraStatus::InvalidArgument, "{name}");
        // SAFETY: library string.
        unsafe { entra_string_free(out) };
        // SAFETY: NULL out_json on purpose: nothing is written.
        let status = unsafe { f(client.0, c"{}".as_ptr(), ptr::null_mut()) };
        assert_eq!(status, EntraStatus::InvalidArgument, "{name}");
    }
    // SAFETY: freed once.
    unsafe { entra_client_free(client.0) };
}
