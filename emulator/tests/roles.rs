//! Directory roles: membership reads, the refusal to update or delete admin-role holders, and
//! the ways to seed roles (config, control API, state handle, CLI).
mod common;

use common::*;
use entra_graph_emulator::{ClientApp, EmulatorConfig, SeedUser};
use reqwest::Method;
use serde_json::{Value, json};

const GLOBAL_ADMIN_TEMPLATE: &str = "62e90394-69f5-4237-9190-012177145e10";
const USER_ADMIN_TEMPLATE: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

const MAIL_ONLY_ID: &str = "cccccccc-0000-0000-0000-000000000001";
const MAIL_ONLY_SECRET: &str = "mail-secret";
const PRIVILEGED_ID: &str = "dddddddd-0000-0000-0000-000000000001";
const PRIVILEGED_SECRET: &str = "privileged-secret";

fn upn(local: &str) -> String {
    format!("{local}@{DOMAIN}")
}

/// The common config plus an admin seed user, a plain one, an app without user permissions
/// and a "privileged" app.
fn roles_config() -> EmulatorConfig {
    let mut c = config();
    c.seed_users = vec![
        SeedUser::new(&upn("admin"), "Ada Admin"),
        SeedUser::new(&upn("plain"), "Pat Plain"),
    ];
    c.seed_directory_roles.insert(
        upn("ADMIN"),
        vec!["Global Administrator".into(), "user administrator".into()],
    );
    c.clients.push(ClientApp {
        client_id: MAIL_ONLY_ID.into(),
        secret: MAIL_ONLY_SECRET.into(),
        permissions: vec!["Mail.Send".into()],
        certificate_pem: None,
    });
    c.clients.push(ClientApp {
        client_id: PRIVILEGED_ID.into(),
        secret: PRIVILEGED_SECRET.into(),
        permissions: vec![
            "User.ReadWrite.All".into(),
            "RoleManagement.ReadWrite.Directory".into(),
        ],
        certificate_pem: None,
    });
    c
}

fn role_names(v: &Value) -> Vec<&str> {
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value in {v}"))
        .iter()
        .map(|r| r["displayName"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn seeded_role_holder_lists_its_roles() {
    let env = env_with(roles_config()).await;
    let path = format!(
        "/users/{}/transitiveMemberOf/microsoft.graph.directoryRole",
        upn("admin")
    );
    let r = env.get(&path).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ms-resource-unit"], "1");
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["@odata.context"],
        format!(
            "{}/v1.0/$metadata#directoryObjects(microsoft.graph.directoryRole)",
            env.base
        )
    );
    let roles = v["value"].as_array().unwrap();
    assert_eq!(roles.len(), 2);
    let ga = &roles[0];
    assert_eq!(
        ga.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec![
            "@odata.type",
            "id",
            "displayName",
            "description",
            "roleTemplateId"
        ]
    );
    assert_eq!(ga["@odata.type"], "#microsoft.graph.directoryRole");
    assert_eq!(ga["displayName"], "Global Administrator");
    assert_eq!(ga["roleTemplateId"], GLOBAL_ADMIN_TEMPLATE);
    assert!(
        ga["description"]
            .as_str()
            .unwrap()
            .starts_with("Can manage all aspects")
    );
    let id = ga["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_ne!(
        id, GLOBAL_ADMIN_TEMPLATE,
        "object id and template id differ"
    );
    // The lowercase seed name takes Microsoft's spelling.
    assert_eq!(roles[1]["displayName"], "User Administrator");
    assert_eq!(roles[1]["roleTemplateId"], USER_ADMIN_TEMPLATE);

    // By id, with users('upn'), memberOf, and without the cast: the same roles.
    let user_id = env.state().user(&upn("admin")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/users/{user_id}/transitiveMemberOf/microsoft.graph.directoryRole"),
        format!(
            "/users('{}')/transitiveMemberOf/microsoft.graph.directoryRole",
            upn("admin")
        ),
        format!("/users/{user_id}/memberOf/microsoft.graph.directoryRole"),
        format!(
            "/users('{}')/memberOf/microsoft.graph.directoryRole",
            upn("admin")
        ),
    ] {
        let (s, v2) = env.get_json(&path).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(v2["value"], v["value"], "{path}");
    }
    let (s, plain) = env
        .get_json(&format!("/users/{user_id}/transitiveMemberOf"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        plain["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects", env.base)
    );
    assert_eq!(plain["value"], v["value"]);

    // Role ids are stable: another emulator gives the same id for the same role.
    let other = env_with(roles_config()).await;
    let (_, v3) = other.get_json(&path).await;
    assert_eq!(v3["value"][0]["id"], id);

    // $select: id and @odata.type always come back.
    let (s, sel) = env.get_json(&format!("{path}?$select=displayName")).await;
    assert_eq!(s, 200);
    assert_eq!(
        sel["value"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["@odata.type", "id", "displayName"]
    );
    let (s, bad) = env.get_json(&format!("{path}?$select=nosuch")).await;
    assert_eq!((s, graph_error(&bad).0), (400, "BadRequest"));

    // $top pages with a nextLink.
    let (s, first) = env.get_json(&format!("{path}?$top=1")).await;
    assert_eq!(s, 200);
    assert_eq!(role_names(&first), vec!["Global Administrator"]);
    let next = first["@odata.nextLink"].as_str().unwrap();
    let r = env
        .http
        .get(next)
        .bearer_auth(env.token())
        .send()
        .await
        .unwrap();
    let second: Value = r.json().await.unwrap();
    assert_eq!(role_names(&second), vec!["User Administrator"]);
    assert!(second.get("@odata.nextLink").is_none());
}

#[tokio::test]
async fn user_without_roles_unknown_user_and_missing_permission() {
    let env = env_with(roles_config()).await;
    let (s, v) = env
        .get_json(&format!(
            "/users/{}/transitiveMemberOf/microsoft.graph.directoryRole",
            upn("plain")
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["value"], json!([]));

    for path in [
        format!(
            "/users/{}/transitiveMemberOf/microsoft.graph.directoryRole",
            upn("nobody")
        ),
        "/users/00000000-0000-0000-0000-000000000000/memberOf/microsoft.graph.directoryRole"
            .to_string(),
        format!("/users('{}')/transitiveMemberOf", upn("nobody")),
    ] {
        let (s, v) = env.get_json(&path).await;
        assert_eq!(s, 404, "{path}");
        assert_eq!(graph_error(&v).0, "Request_ResourceNotFound");
    }

    // The read-only app may list memberships; an app with only Mail.Send may not.
    let reader = env.token_for(READER_ID, READER_SECRET).await;
    let path = format!(
        "/users/{}/transitiveMemberOf/microsoft.graph.directoryRole",
        upn("admin")
    );
    let r = env.send_as(&reader, Method::GET, &path, None).await;
    assert_eq!(r.status(), 200);
    let mail_only = env.token_for(MAIL_ONLY_ID, MAIL_ONLY_SECRET).await;
    let r = env.send_as(&mail_only, Method::GET, &path, None).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        graph_error(&v),
        (
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation."
        )
    );
    // Other casts and navigations stay unknown segments; writes are not allowed.
    let (s, v) = env
        .get_json(&format!(
            "/users/{}/transitiveMemberOf/microsoft.graph.administrativeUnit",
            upn("admin")
        ))
        .await;
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"));
    let r = env.post(&path, &json!({})).await;
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn writes_to_role_holders_are_refused_without_privilege() {
    let env = env_with(roles_config()).await;
    let before = env.state().user(&upn("admin")).unwrap();
    let attempts = env.state().stats().write_attempts;

    let r = env
        .patch(
            &format!("/users/{}", upn("admin")),
            &json!({"jobTitle": "CEO"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        graph_error(&v),
        (
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation."
        )
    );
    let r = env.delete(&format!("/users/{}", upn("admin"))).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(graph_error(&v).0, "Authorization_RequestDenied");
    assert_eq!(
        env.state().user(&upn("admin")).unwrap(),
        before,
        "unchanged"
    );
    let stats = env.state().stats();
    assert_eq!(
        stats.write_attempts,
        attempts + 2,
        "refused writes still count"
    );
    assert_eq!(stats.writes, 0);

    // Reads of the holder and writes to other users are unaffected.
    assert_eq!(
        env.get(&format!("/users/{}", upn("admin"))).await.status(),
        200
    );
    let r = env
        .patch(
            &format!("/users/{}", upn("plain")),
            &json!({"jobTitle": "Clerk"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    env.create(&upn("fresh")).await;

    // Inside a batch too.
    let (s, v) = env
        .batch(json!([
            {"id": "p", "method": "PATCH", "url": format!("/users/{}", upn("admin")),
             "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "CEO"}},
            {"id": "d", "method": "DELETE", "url": format!("/users/{}", upn("admin"))},
        ]))
        .await;
    assert_eq!(s, 200);
    for id in ["p", "d"] {
        let r = response(&v, id);
        assert_eq!(r["status"], 403, "{id}");
        assert_eq!(r["body"]["error"]["code"], "Authorization_RequestDenied");
    }
    assert_eq!(env.state().user(&upn("admin")).unwrap(), before);

    // An app standing for a privileged service principal may update and delete the holder.
    let privileged = env.token_for(PRIVILEGED_ID, PRIVILEGED_SECRET).await;
    let r = env
        .send_as(
            &privileged,
            Method::PATCH,
            &format!("/users/{}", upn("admin")),
            Some(&json!({"jobTitle": "CEO"})),
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(env.state().user(&upn("admin")).unwrap()["jobTitle"], "CEO");
    let r = env
        .send_as(
            &privileged,
            Method::DELETE,
            &format!("/users/{}", upn("admin")),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert!(env.state().user(&upn("admin")).is_none());

    // Once the roles are gone, the plain app may write again.
    env.state()
        .seed_user_with_directory_roles(SeedUser::new(&upn("ex"), "Ex Admin"), &["Global Reader"])
        .unwrap();
    assert_eq!(
        env.patch(&format!("/users/{}", upn("ex")), &json!({"jobTitle": "x"}))
            .await
            .status(),
        403
    );
    env.state()
        .set_directory_roles::<&str>(&upn("ex"), &[])
        .unwrap();
    assert_eq!(
        env.patch(&format!("/users/{}", upn("ex")), &json!({"jobTitle": "x"}))
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn refused_writes_are_throttled_like_other_writes() {
    let mut config = roles_config();
    config.write_budget = Some(entra_graph_emulator::WriteBudget {
        writes: 1,
        window_s: 60.0,
    });
    let env = env_with(config).await;
    let r = env.delete(&format!("/users/{}", upn("admin"))).await;
    assert_eq!(r.status(), 403);
    // The refused delete used the budget: the next write is throttled.
    let r = env
        .patch(
            &format!("/users/{}", upn("plain")),
            &json!({"jobTitle": "x"}),
        )
        .await;
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn cast_read_inside_batch() {
    let env = env_with(roles_config()).await;
    let (s, v) = env
        .batch(json!([
            {"id": "a", "method": "GET",
             "url": format!("/users/{}/transitiveMemberOf/microsoft.graph.directoryRole?$select=displayName,roleTemplateId", upn("admin"))},
            {"id": "b", "method": "GET",
             "url": format!("users('{}')/memberOf/microsoft.graph.directoryRole", upn("plain"))},
            {"id": "c", "method": "GET",
             "url": format!("/users/{}/transitiveMemberOf/microsoft.graph.directoryRole", upn("ghost"))},
        ]))
        .await;
    assert_eq!(s, 200);
    let a = response(&v, "a");
    assert_eq!(a["status"], 200);
    assert_eq!(
        role_names(&a["body"]),
        vec!["Global Administrator", "User Administrator"]
    );
    assert_eq!(
        a["body"]["value"][0]["roleTemplateId"],
        GLOBAL_ADMIN_TEMPLATE
    );
    assert!(a["body"]["value"][0].get("description").is_none());
    let b = response(&v, "b");
    assert_eq!(
        (b["status"].as_u64(), &b["body"]["value"]),
        (Some(200), &json!([]))
    );
    let c = response(&v, "c");
    assert_eq!(c["status"], 404);
    assert_eq!(c["body"]["error"]["code"], "Request_ResourceNotFound");
}

#[tokio::test]
async fn control_api_seeds_and_replaces_roles() {
    let env = env_with(roles_config()).await;
    let (s, created) = env
        .control(
            Method::POST,
            "users",
            Some(
                json!({"userPrincipalName": upn("ctl"), "displayName": "Ctl",
                        "directoryRoles": ["Exchange Administrator"]}),
            ),
        )
        .await;
    assert_eq!(s, 201);
    assert!(
        created.get("directoryRoles").is_none(),
        "not a user property"
    );
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/users/{id}/transitiveMemberOf/microsoft.graph.directoryRole");
    let (_, v) = env.get_json(&path).await;
    assert_eq!(role_names(&v), vec!["Exchange Administrator"]);
    assert_eq!(
        v["value"][0]["roleTemplateId"],
        "29232cdf-9323-42fd-ade2-1d097af3e4de"
    );

    // PUT replaces the whole set, by id or UPN.
    let (s, _) = env
        .control(
            Method::PUT,
            &format!("users/{id}/directory-roles"),
            Some(json!({"roles": ["Privileged Role Administrator", "Tape Librarian"]})),
        )
        .await;
    assert_eq!(s, 204);
    let (_, v) = env.get_json(&path).await;
    assert_eq!(
        role_names(&v),
        vec!["Privileged Role Administrator", "Tape Librarian"]
    );
    assert_eq!(
        v["value"][0]["roleTemplateId"],
        "e8611ab8-c189-46e8-94e1-60213ab1f814"
    );
    let custom = &v["value"][1];
    assert_eq!(custom["roleTemplateId"].as_str().unwrap().len(), 36);
    assert!(custom["description"].is_null());
    let (s, got) = env
        .control(
            Method::GET,
            &format!("users/{}/directory-roles", upn("ctl")),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        got,
        json!({"roles": ["Privileged Role Administrator", "Tape Librarian"]})
    );
    let (s, _) = env
        .control(
            Method::PUT,
            &format!("users/{}/directory-roles", upn("ctl")),
            Some(json!({"roles": []})),
        )
        .await;
    assert_eq!(s, 204);
    let (_, v) = env.get_json(&path).await;
    assert_eq!(v["value"], json!([]));

    // Unknown user, bad bodies.
    let (s, v) = env
        .control(
            Method::PUT,
            &format!("users/{}/directory-roles", upn("nobody")),
            Some(json!({"roles": ["Global Administrator"]})),
        )
        .await;
    assert_eq!(s, 404);
    assert!(v["error"].is_string());
    for body in [
        json!({}),
        json!({"roles": "Global Administrator"}),
        json!({"roles": [" "]}),
    ] {
        let (s, v) = env
            .control(
                Method::PUT,
                &format!("users/{id}/directory-roles"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, 400, "{body}");
        assert!(v["error"].is_string());
    }

    // The state handle: the same operations from Rust.
    let st = env.state();
    st.set_directory_roles(&upn("plain"), &["Helpdesk Administrator"])
        .unwrap();
    assert_eq!(
        st.directory_roles(&upn("plain")),
        Some(vec!["Helpdesk Administrator".to_string()])
    );
    assert!(st.set_directory_roles(&upn("nobody"), &["X"]).is_err());
    assert!(st.directory_roles(&upn("nobody")).is_none());

    // A reset restores the configured roles and forgets the others.
    st.reset();
    assert_eq!(
        st.directory_roles(&upn("admin")),
        Some(vec![
            "Global Administrator".to_string(),
            "User Administrator".to_string()
        ])
    );
    assert_eq!(st.directory_roles(&upn("plain")), Some(Vec::new()));
}

#[tokio::test]
async fn roles_are_not_user_properties() {
    let env = env_with(roles_config()).await;
    let (_, v) = env.get_json(&format!("/users/{}", upn("admin"))).await;
    assert!(v.get("directoryRoles").is_none());
    let (_, v) = env.get_json("/users").await;
    assert!(
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("directoryRoles").is_none())
    );
    let (_, v) = env.get_json("/users/delta").await;
    assert!(
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("directoryRoles").is_none())
    );
    let (s, v) = env.get_json("/users?$select=directoryRoles").await;
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"));
}

#[test]
fn binary_seeds_roles_from_the_fourth_part() {
    let emulator = BinaryEmulator::spawn(&[
        "--seed-user",
        &format!(
            "{}|Root Admin||Global Administrator;User Administrator",
            upn("root")
        ),
        "--seed-user",
        &format!("{}|Plain", upn("plain")),
    ]);
    let url = emulator.url.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let get = |who: String| {
            let url = url.clone();
            async move {
                let r = reqwest::get(format!("{url}/_emulator/users/{who}/directory-roles"))
                    .await
                    .unwrap();
                let s = r.status().as_u16();
                (s, r.json::<Value>().await.unwrap())
            }
        };
        assert_eq!(
            get(upn("root")).await,
            (
                200,
                json!({"roles": ["Global Administrator", "User Administrator"]})
            )
        );
        assert_eq!(get(upn("plain")).await, (200, json!({"roles": []})));
    });
    emulator.terminate();
}
