//! The users resource: create, validation, lookup forms, query options, paging, update,
//! soft delete, restore, permanent delete.
mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn upn(local: &str) -> String {
    format!("{local}@{DOMAIN}")
}

#[tokio::test]
async fn create_returns_201_with_default_representation() {
    let env = env().await;
    let r = env
        .http
        .post(env.url("/users"))
        .bearer_auth(env.token())
        .header("client-request-id", "create-1")
        .json(&user_body(&upn("ann")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["client-request-id"], "create-1");
    let request_id = r.headers()["request-id"].to_str().unwrap().to_string();
    assert!(r.headers().contains_key("date"));
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    let id = v["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert!(location.ends_with(id));
    assert_eq!(
        v["@odata.context"],
        format!("{}/v1.0/$metadata#users/$entity", env.base)
    );
    assert_eq!(v["userPrincipalName"], upn("ann"));
    assert_eq!(v["displayName"], "User ann");
    assert_eq!(v["businessPhones"], json!([]));
    assert!(v["mail"].is_null());
    assert!(v.get("passwordProfile").is_none());
    assert!(v.get("accountEnabled").is_none(), "not in the default set");

    // Stored without the password; logged without it too.
    let stored = env.state().user(id).unwrap();
    assert_eq!(stored["accountEnabled"], true);
    assert_eq!(stored["mailNickname"], "ann");
    assert_eq!(
        stored["userType"], "Member",
        "Graph's default for a created user"
    );
    assert!(!stored.to_string().contains("Xy7!abcdefg"));
    let entry = env
        .state()
        .requests()
        .into_iter()
        .find(|e| e.request_id == request_id)
        .unwrap();
    assert_eq!(entry.status, 201);
    assert_eq!(entry.client_request_id, "create-1");
    assert!(entry.body.contains("ann@") && !entry.body.contains("Xy7!abcdefg"));
    let (_, listed) = env.control(Method::GET, "users", None).await;
    assert!(!listed.to_string().contains("Xy7!abcdefg"));
}

#[tokio::test]
async fn validation_rules() {
    let env = env().await;
    let base = user_body(&upn("valid"));
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "missing accountEnabled",
            json!({"accountEnabled": null}),
            "Request_BadRequest",
            "Property accountEnabled value is required but is empty or missing.",
        ),
        (
            "missing displayName",
            json!({"displayName": ""}),
            "Request_BadRequest",
            "Property displayName value is required but is empty or missing.",
        ),
        (
            "missing mailNickname",
            json!({"mailNickname": null}),
            "Request_BadRequest",
            "Property mailNickname value is required but is empty or missing.",
        ),
        (
            "missing passwordProfile",
            json!({"passwordProfile": null}),
            "Request_BadRequest",
            "Property passwordProfile value is required but is empty or missing.",
        ),
        (
            "missing UPN",
            json!({"userPrincipalName": null}),
            "Request_BadRequest",
            "Property userPrincipalName value is required but is empty or missing.",
        ),
        (
            "UPN with space",
            json!({"userPrincipalName": upn("a b")}),
            "Request_BadRequest",
            "Property userPrincipalName is invalid.",
        ),
        (
            "UPN with accent",
            json!({"userPrincipalName": upn("zoë")}),
            "Request_BadRequest",
            "Property userPrincipalName is invalid.",
        ),
        (
            "UPN dot before @",
            json!({"userPrincipalName": upn("ann.")}),
            "Request_BadRequest",
            "Property userPrincipalName is invalid.",
        ),
        (
            "UPN local part 65",
            json!({"userPrincipalName": upn(&"a".repeat(65))}),
            "Request_BadRequest",
            "Property userPrincipalName is invalid.",
        ),
        (
            "UPN without @",
            json!({"userPrincipalName": "ann.contoso.onmicrosoft.com"}),
            "Request_BadRequest",
            "Property userPrincipalName is invalid.",
        ),
        (
            "unverified domain",
            json!({"userPrincipalName": "ann@fabrikam.com"}),
            "Request_BadRequest",
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        ),
        (
            "nickname with space",
            json!({"mailNickname": "a b"}),
            "Request_BadRequest",
            "Invalid value specified for property 'mailNickname' of resource 'User'.",
        ),
        (
            "nickname with @",
            json!({"mailNickname": "a@b"}),
            "Request_BadRequest",
            "Invalid value specified for property 'mailNickname' of resource 'User'.",
        ),
        (
            "nickname 65",
            json!({"mailNickname": "n".repeat(65)}),
            "Request_BadRequest",
            "Invalid value specified for property 'mailNickname' of resource 'User'.",
        ),
        (
            "weak password",
            json!({"passwordProfile": {"password": "password"}}),
            "Request_BadRequest",
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        ),
        (
            "short password",
            json!({"passwordProfile": {"password": "Ab1!"}}),
            "Request_BadRequest",
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        ),
        (
            "unicode password",
            json!({"passwordProfile": {"password": "Pässwörd1!"}}),
            "Request_BadRequest",
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        ),
        (
            "invalid mail",
            json!({"mail": "not-an-address"}),
            "Request_BadRequest",
            "Invalid value specified for property 'mail' of resource 'User'.",
        ),
        (
            "unknown property",
            json!({"favouriteColour": "blue"}),
            "BadRequest",
            "The property 'favouriteColour' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type.",
        ),
        (
            "wrong type",
            json!({"accountEnabled": "yes"}),
            "BadRequest",
            "Cannot convert the literal 'yes' to the expected type 'Edm.Boolean'.",
        ),
        (
            "read-only id",
            json!({"id": "x"}),
            "Request_BadRequest",
            "Property 'id' is read-only and cannot be set.",
        ),
    ];
    for (name, overlay, code, message) in cases {
        let mut body = base.clone();
        for (k, v) in overlay.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = env.post("/users", &body).await;
        assert_eq!(r.status(), 400, "{name}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(graph_error(&v), (code, message), "{name}");
        assert!(
            !v.to_string().contains("Pässwörd1!") && !v.to_string().contains("Ab1!"),
            "{name}"
        );
    }
    // Malformed JSON is an OData-level error.
    let r = env
        .http
        .post(env.url("/users"))
        .bearer_auth(env.token())
        .header("content-type", "application/json")
        .body("{\"accountEnabled\": tru")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(graph_error(&v).0, "BadRequest");
    assert_eq!(env.state().user_count(), 0, "nothing was created");
    // The valid base body is accepted (the cases fail for their own reason only).
    env.create(&upn("valid")).await;
}

#[tokio::test]
async fn duplicate_upn_is_rejected_case_insensitively() {
    let env = env().await;
    env.create(&upn("dup")).await;
    let r = env
        .post(
            "/users",
            &user_body(&format!("DUP@{}", DOMAIN.to_uppercase())),
        )
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        graph_error(&v),
        (
            "Request_BadRequest",
            "Another object with the same value for property userPrincipalName already exists."
        )
    );
    assert_eq!(v["error"]["details"][0]["code"], "ObjectConflict");
    assert_eq!(env.state().user_count(), 1);
}

#[tokio::test]
async fn get_by_id_upn_and_key_syntax() {
    let env = env().await;
    let ann = env.create(&upn("ann")).await;
    let obrien = env.create(&upn("o'brien")).await;
    // '$' is not in the documented UPN character set, so Graph refuses to create such a user;
    // directories still hold them (synchronised from on-premises), so seed one directly.
    let r = env.post("/users", &user_body(&upn("$admin"))).await;
    assert_eq!(r.status(), 400);
    let admin = env
        .state()
        .seed_user(entra_graph_emulator::SeedUser::new(&upn("$admin"), "Admin"))
        .unwrap();
    let hash = env.create(&upn("a#b")).await;

    let id = ann["id"].as_str().unwrap();
    let (s, v) = env.get_json(&format!("/users/{id}")).await;
    assert_eq!(
        (s, v["userPrincipalName"].as_str().unwrap()),
        (200, upn("ann").as_str())
    );
    let (s, v) = env.get_json(&format!("/users/{}", upn("ANN"))).await;
    assert_eq!((s, &v["id"]), (200, &ann["id"]));

    // users('...') with the quote doubled, percent-encoded on the wire.
    let (s, v) = env
        .get_json(&format!("/users('o''brien%40{DOMAIN}')"))
        .await;
    assert_eq!((s, &v["id"]), (200, &obrien["id"]));
    // A UPN starting with '$' must use the key syntax; the plain segment is rejected.
    let (s, v) = env.get_json(&format!("/users('%24admin@{DOMAIN}')")).await;
    assert_eq!((s, &v["id"]), (200, &admin["id"]));
    let (s, _) = env.get_json(&format!("/users/$admin@{DOMAIN}")).await;
    assert_eq!(s, 400);
    // '#' travels as %23.
    let (s, v) = env.get_json(&format!("/users/a%23b@{DOMAIN}")).await;
    assert_eq!((s, &v["id"]), (200, &hash["id"]));

    let (s, v) = env.get_json("/users/nobody@contoso.onmicrosoft.com").await;
    assert_eq!(s, 404);
    assert_eq!(
        graph_error(&v),
        (
            "Request_ResourceNotFound",
            "Resource 'nobody@contoso.onmicrosoft.com' does not exist or one of its queried reference-property objects are not present."
        )
    );
}

#[tokio::test]
async fn filter_select_and_quotes() {
    let env = env().await;
    let st = env.state();
    for (u, name, mail) in [
        ("o'neil", "Zoë O'Neil", Some("zoe@contoso.com")),
        ("zed", "Zed", None),
        ("amy", "Amy", Some("amy@contoso.com")),
    ] {
        st.seed_user(entra_graph_emulator::SeedUser {
            user_principal_name: upn(u),
            display_name: name.into(),
            mail: mail.map(str::to_string),
            account_enabled: true,
        })
        .unwrap();
    }
    let enc = |s: &str| url_encode(s);
    // '' escapes a quote inside the literal; the whole value percent-encoded.
    let f = enc(&format!("userPrincipalName eq 'o''neil@{DOMAIN}'"));
    let (s, v) = env.get_json(&format!("/users?$filter={f}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
    assert_eq!(v["value"][0]["displayName"], "Zoë O'Neil");
    // Percent-encoded unicode in startswith, case-insensitive.
    let (s, v) = env
        .get_json(&format!(
            "/users?$filter={}",
            enc("startswith(displayName,'zoë')")
        ))
        .await;
    assert_eq!((s, v["value"].as_array().unwrap().len()), (200, 1));
    // or / and, mail eq.
    let f = enc(
        "mail eq 'AMY@contoso.com' or (startswith(displayName,'Ze') and accountEnabled eq true)",
    );
    let (_, v) = env.get_json(&format!("/users?$filter={f}")).await;
    let mut names: Vec<&str> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["displayName"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["Amy", "Zed"]);
    // $select returns only what was asked for.
    let (_, v) = env
        .get_json(&format!(
            "/users?$select=displayName,mail&$filter={}",
            enc("mail eq 'amy@contoso.com'")
        ))
        .await;
    assert_eq!(
        v["@odata.context"],
        format!("{}/v1.0/$metadata#users(displayName,mail)", env.base)
    );
    let obj = v["value"][0].as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["displayName", "mail"]);
    let (_, v) = env
        .get_json(&format!("/users/{}?$select=accountEnabled", upn("amy")))
        .await;
    assert_eq!(v["accountEnabled"], true);
    assert!(v.get("displayName").is_none());
    // Unparseable filter, unknown property, unsupported operator, bad $select.
    let (s, v) = env
        .get_json(&format!("/users?$filter={}", enc("userPrincipalName eq")))
        .await;
    assert_eq!(s, 400);
    assert_eq!(graph_error(&v).0, "BadRequest");
    assert!(graph_error(&v).1.starts_with("Invalid filter clause"));
    let (s, v) = env
        .get_json(&format!("/users?$filter={}", enc("displayName ne 'x'")))
        .await;
    assert_eq!((s, graph_error(&v).0), (400, "Request_UnsupportedQuery"));
    let (s, v) = env.get_json("/users?$select=nosuch").await;
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"));
    // '+' in a query decodes to a space, as on the real service: an unencoded '+' misses.
    st.seed_user(entra_graph_emulator::SeedUser::new(&upn("a+b"), "Plus"))
        .unwrap();
    let (_, v) = env
        .get_json(&format!(
            "/users?$filter=userPrincipalName eq 'a+b@{DOMAIN}'"
        ))
        .await;
    assert_eq!(v["value"].as_array().unwrap().len(), 0);
    let (_, v) = env
        .get_json(&format!(
            "/users?$filter=userPrincipalName eq 'a%2Bb@{DOMAIN}'"
        ))
        .await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn paging_with_top_and_next_link() {
    let env = env().await;
    for i in 0..7 {
        env.state()
            .seed_user(entra_graph_emulator::SeedUser::new(
                &upn(&format!("p{i}")),
                "P",
            ))
            .unwrap();
    }
    let mut url = env.url("/users?$top=3&$select=id,userPrincipalName");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = env
            .http
            .get(&url)
            .bearer_auth(env.token())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        pages += 1;
        for u in v["value"].as_array().unwrap() {
            seen.push(u["userPrincipalName"].as_str().unwrap().to_string());
        }
        match v["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(
                    next.starts_with(&env.base) && next.contains("$skiptoken="),
                    "{next}"
                );
                assert!(next.contains("$top=3"), "query options are carried: {next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7);
    let (s, v) = env.get_json("/users?$top=1000").await;
    assert_eq!(s, 400);
    assert_eq!(
        graph_error(&v),
        (
            "Request_UnsupportedQuery",
            "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
        )
    );
    let (s, _) = env.get_json("/users?$top=0").await;
    assert_eq!(s, 400);
    // $count needs ConsistencyLevel: eventual.
    let (s, _) = env.get_json("/users?$count=true").await;
    assert_eq!(s, 400);
    let r = env
        .http
        .get(env.url("/users?$count=true&$top=1"))
        .bearer_auth(env.token())
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["@odata.count"], 7);
}

#[tokio::test]
async fn patch_delete_restore_and_purge() {
    let env = env().await;
    let ann = env.create(&upn("ann")).await;
    env.create(&upn("bob")).await;
    let id = ann["id"].as_str().unwrap().to_string();

    let r = env
        .patch(
            &format!("/users/{id}"),
            &json!({"jobTitle": "Engineer", "accountEnabled": false}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let (_, v) = env
        .get_json(&format!("/users/{id}?$select=jobTitle,accountEnabled"))
        .await;
    assert_eq!(
        (v["jobTitle"].as_str(), v["accountEnabled"].as_bool()),
        (Some("Engineer"), Some(false))
    );
    // Password changes are validated, never stored.
    let r = env
        .patch(
            &format!("/users/{id}"),
            &json!({"passwordProfile": {"password": "weak"}}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let r = env
        .patch(
            &format!("/users/{id}"),
            &json!({"passwordProfile": {"password": "N3w!Passw0rd"}}),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert!(
        !env.state()
            .user(&id)
            .unwrap()
            .to_string()
            .contains("N3w!Passw0rd")
    );
    // Renaming onto another user's UPN is a conflict; onto an unverified domain is invalid.
    let r = env
        .patch(
            &format!("/users/{id}"),
            &json!({"userPrincipalName": upn("BOB")}),
        )
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        graph_error(&v)
            .1
            .starts_with("Another object with the same value")
    );
    let r = env
        .patch(&format!("/users/{id}"), &json!({"displayName": null}))
        .await;
    assert_eq!(r.status(), 400);
    let r = env
        .patch(
            "/users/ghost@contoso.onmicrosoft.com",
            &json!({"jobTitle": "x"}),
        )
        .await;
    assert_eq!(r.status(), 404);

    // Soft delete: gone from /users, listed in deleted items, restorable.
    assert_eq!(env.delete(&format!("/users/{id}")).await.status(), 204);
    assert_eq!(env.get(&format!("/users/{id}")).await.status(), 404);
    assert_eq!(env.delete(&format!("/users/{id}")).await.status(), 404);
    let (s, v) = env
        .get_json("/directory/deletedItems/microsoft.graph.user")
        .await;
    assert_eq!(s, 200);
    let deleted = v["value"].as_array().unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["id"], id.as_str());
    assert!(deleted[0]["deletedDateTime"].is_string());
    // The UPN of a soft-deleted user is free for a new user...
    let newcomer = env.create(&upn("ann")).await;
    // ...and then blocks the restore.
    let r = env
        .post(&format!("/directory/deletedItems/{id}/restore"), &json!({}))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        env.delete(&format!("/users/{}", newcomer["id"].as_str().unwrap()))
            .await
            .status(),
        204
    );
    let r = env
        .post(&format!("/directory/deletedItems/{id}/restore"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["@odata.type"], "#microsoft.graph.user");
    assert_eq!(env.get(&format!("/users/{id}")).await.status(), 200);

    // Permanent delete from deleted items.
    assert_eq!(env.delete(&format!("/users/{id}")).await.status(), 204);
    assert_eq!(
        env.delete(&format!("/directory/deletedItems/{id}"))
            .await
            .status(),
        204
    );
    let r = env
        .post(&format!("/directory/deletedItems/{id}/restore"), &json!({}))
        .await;
    assert_eq!(r.status(), 404);
    assert!(env.state().user(&id).is_none());
    assert_eq!(env.state().user_count(), 1, "only bob is active");
}

#[tokio::test]
async fn unknown_segments_and_methods() {
    let env = env().await;
    // Groups are modelled; applications are not.
    let (s, v) = env.get_json("/applications").await;
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"));
    let r = env.send(Method::PUT, "/users", Some(&json!({}))).await;
    assert_eq!(r.status(), 405);
}
