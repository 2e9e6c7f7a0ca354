//! Issue #9: `login_endpoint` and `graph_endpoint` are plain origins; plain http only for a
//! literal loopback address. Judged on the text as written, before URL parsing folds or
//! normalises it.

mod common;

use common::*;
use entra_provisioning::Config;
use serde_json::json;

fn endpoint(field: &str, value: &str) -> Result<String, String> {
    let config = config_json("https://graph.microsoft.com", json!({ field: value }));
    match Config::from_json(&config) {
        Ok(c) if field == "graph_endpoint" => Ok(c.graph_origin),
        Ok(c) => Ok(c.token_url.origin().ascii_serialization()),
        Err(e) => {
            assert_eq!(e.kind().name(), "config");
            assert_eq!(e.detail().field.as_deref(), Some(field), "{e}");
            Err(e.detail().message.clone())
        }
    }
}

#[test]
fn accepted_endpoints() {
    for (value, origin) in [
        ("https://graph.microsoft.com", "https://graph.microsoft.com"),
        (
            "https://graph.microsoft.com/",
            "https://graph.microsoft.com",
        ),
        ("HTTPS://Graph.Microsoft.com", "https://graph.microsoft.com"),
        (
            "https://graph.microsoft.com:443/",
            "https://graph.microsoft.com",
        ),
        (
            "https://xn--bcher-kva.example",
            "https://xn--bcher-kva.example",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.9.8.7:1", "http://127.9.8.7:1"),
        ("http://[::1]:9/", "http://[::1]:9"),
    ] {
        for field in ["graph_endpoint", "login_endpoint"] {
            assert_eq!(
                endpoint(field, value).as_deref(),
                Ok(origin),
                "{field} {value}"
            );
        }
    }
}

#[test]
fn refused_endpoints() {
    let cases = [
        // (a) Non-ASCII hosts, which IDNA would fold into `localhost` (and so into loopback).
        "http://ⓛocalhost:8080",
        "http://locaⅼhost:8080",
        "https://ｇraph.microsoft.com",
        "https://bücher.example",
        // (b) Plain http to anything but a literal loopback address.
        "http://localhost:8080",
        "http://LOCALHOST",
        "http://localhost.:8080",
        "http://10.0.0.1",
        "http://192.168.1.10:80",
        "http://[::ffff:127.0.0.1]",
        "http://graph.microsoft.com",
        // (c) Paths (dot segments included, which URL parsing would resolve), queries,
        // fragments, user info, and the characters URL parsing drops or rewrites.
        "https://graph.microsoft.com/../../x",
        "https://graph.microsoft.com/./",
        "https://graph.microsoft.com/v1.0",
        "https://graph.microsoft.com//",
        "https://graph.microsoft.com?x=1",
        "https://graph.microsoft.com/?",
        "https://graph.microsoft.com#frag",
        "https://graph.microsoft.com\\..\\x",
        "https://u:p@graph.microsoft.com",
        "https://attacker.example@graph.microsoft.com",
        "https://graph.micro\tsoft.com",
        "https://graph.microsoft.com /x",
        // Not an https or http origin at all.
        "https:graph.microsoft.com",
        "ftp://graph.microsoft.com",
        "graph.microsoft.com",
        "https://",
    ];
    for value in cases {
        for field in ["graph_endpoint", "login_endpoint"] {
            let got = endpoint(field, value);
            assert!(got.is_err(), "{field} {value:?} was accepted as {got:?}");
        }
    }
}
