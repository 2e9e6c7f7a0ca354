//! Groups: kinds and their properties, reads with $filter/$search/$count, members and
//! memberships (direct, transitive, cast), `$ref` adds and removes with Graph's error bodies,
//! groups delta with `members@delta`, `$batch`, throttling, the control API and the CLI.
mod common;

use common::*;
use entra_graph_emulator::{EmulatorConfig, SeedGroup, SeedUser, WriteBudget};
use reqwest::Method;
use serde_json::{Value, json};

const OUTER: &str = "10000000-0000-4000-8000-000000000001";
const INNER: &str = "10000000-0000-4000-8000-000000000002";
const DYNAMIC: &str = "10000000-0000-4000-8000-000000000003";
const ROLE_GROUP: &str = "10000000-0000-4000-8000-000000000004";
const UNIFIED: &str = "10000000-0000-4000-8000-000000000005";
const DISTRIBUTION: &str = "10000000-0000-4000-8000-000000000006";
const EMPTY: &str = "10000000-0000-4000-8000-000000000007";
const EVENTUAL: &[(&str, &str)] = &[("ConsistencyLevel", "eventual")];

fn upn(local: &str) -> String {
    format!("{local}@{DOMAIN}")
}

fn seed(id: &str, name: &str, kind: &str, members: &[&str]) -> SeedGroup {
    SeedGroup {
        id: Some(id.into()),
        members: members.iter().map(|m| m.to_string()).collect(),
        ..SeedGroup::new(name, kind)
    }
}

/// Ann is in Inner, Inner is in Outer; Bob is in no group; one group of each other kind.
fn tenant() -> EmulatorConfig {
    let mut c = groups_config();
    c.seed_users = vec![
        SeedUser::new(&upn("ann"), "Ann Lee"),
        SeedUser::new(&upn("bob"), "Bob Stone"),
    ];
    c.seed_groups = vec![
        seed(OUTER, "Sales Europe", "security", &[INNER]),
        seed(INNER, "Sales Team Paris", "security", &[&upn("ann")]),
        seed(DYNAMIC, "All Sales (dynamic)", "dynamic", &[]),
        seed(ROLE_GROUP, "Helpdesk Admins", "role-assignable", &[]),
        seed(UNIFIED, "Marketing", "unified", &[]),
        seed(DISTRIBUTION, "Newsletter", "distribution", &[]),
        seed(EMPTY, "Engineering", "security", &[]),
    ];
    c
}

struct Tenant {
    env: Env,
    writer: String,
    reader: String,
    role_manager: String,
    ann: String,
    bob: String,
}

async fn tenant_env() -> Tenant {
    let env = env_with(tenant()).await;
    let writer = env.token_for(GROUP_WRITER_ID, GROUP_WRITER_SECRET).await;
    let reader = env.token_for(GROUP_READER_ID, GROUP_READER_SECRET).await;
    let role_manager = env.token_for(ROLE_MANAGER_ID, ROLE_MANAGER_SECRET).await;
    let ann = env.state().user(&upn("ann")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = env.state().user(&upn("bob")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    Tenant {
        env,
        writer,
        reader,
        role_manager,
        ann,
        bob,
    }
}

impl Tenant {
    async fn get(&self, token: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .env
            .send_with(token, Method::GET, path, headers, None)
            .await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn get_text(&self, path: &str) -> (u16, String, String) {
        let r = self
            .env
            .send_with(&self.reader, Method::GET, path, EVENTUAL, None)
            .await;
        let s = r.status().as_u16();
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        (s, ct, r.text().await.unwrap())
    }

    async fn add(&self, token: &str, group: &str, member: &str) -> (u16, Value) {
        let body = json!({
            "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")
        });
        let r = self
            .env
            .send_with(
                token,
                Method::POST,
                &format!("/groups/{group}/members/$ref"),
                &[],
                Some(&body),
            )
            .await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn remove(&self, token: &str, group: &str, member: &str) -> (u16, Value) {
        let r = self
            .env
            .send_with(
                token,
                Method::DELETE,
                &format!("/groups/{group}/members/{member}/$ref"),
                &[],
                None,
            )
            .await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

fn ids(v: &Value) -> Vec<&str> {
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value in {v}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect()
}

fn names(v: &Value) -> Vec<&str> {
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value in {v}"))
        .iter()
        .map(|o| o["displayName"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn kinds_carry_the_documented_properties() {
    let t = tenant_env().await;
    let (s, g) = t.get(&t.reader, &format!("/groups/{DYNAMIC}"), &[]).await;
    assert_eq!(s, 200);
    assert_eq!(g["groupTypes"], json!(["DynamicMembership"]));
    assert_eq!(g["securityEnabled"], true);
    assert_eq!(g["mailEnabled"], false);
    assert!(g["membershipRule"].is_string());
    assert_eq!(g["membershipRuleProcessingState"], "On");
    assert_eq!(
        g["@odata.context"],
        format!("{}/v1.0/$metadata#groups/$entity", t.env.base)
    );
    let (_, g) = t
        .get(&t.reader, &format!("/groups/{ROLE_GROUP}"), &[])
        .await;
    assert_eq!(g["isAssignableToRole"], true);
    assert_eq!(g["groupTypes"], json!([]));
    let (_, g) = t.get(&t.reader, &format!("/groups/{UNIFIED}"), &[]).await;
    assert_eq!(
        (&g["groupTypes"], &g["mailEnabled"], &g["securityEnabled"]),
        (&json!(["Unified"]), &json!(true), &json!(false))
    );
    assert!(g["membershipRule"].is_null());
    // Cloud-only groups: null, as Graph answers for a group never synced from on-premises AD.
    assert!(g.as_object().unwrap().contains_key("onPremisesSyncEnabled"));
    assert!(g["onPremisesSyncEnabled"].is_null());
    let (s, g) = t
        .get(
            &t.reader,
            &format!("/groups/{UNIFIED}?$select=id,onPremisesSyncEnabled"),
            &[],
        )
        .await;
    assert_eq!((s, g["onPremisesSyncEnabled"].clone()), (200, Value::Null));
    let (_, g) = t
        .get(
            &t.reader,
            &format!("/groups/{DISTRIBUTION}?$select=displayName,mailEnabled,securityEnabled"),
            &[],
        )
        .await;
    assert_eq!(
        g.as_object().unwrap().keys().collect::<Vec<_>>(),
        vec![
            "@odata.context",
            "id",
            "displayName",
            "mailEnabled",
            "securityEnabled"
        ]
    );
    assert_eq!(
        (&g["mailEnabled"], &g["securityEnabled"]),
        (&json!(true), &json!(false))
    );

    // Unknown group, unknown property, and an app without any group permission.
    let (s, v) = t
        .get(
            &t.reader,
            "/groups/20000000-0000-4000-8000-000000000000",
            &[],
        )
        .await;
    assert_eq!((s, graph_error(&v).0), (404, "Request_ResourceNotFound"));
    let (s, v) = t.get(&t.reader, "/groups?$select=nosuch", &[]).await;
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"));
    let (s, v) = t.env.get_json("/groups").await;
    assert_eq!(s, 403, "User.ReadWrite.All alone does not read groups");
    assert_eq!(
        graph_error(&v),
        (
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation."
        )
    );
}

#[tokio::test]
async fn list_filters_and_paging() {
    let t = tenant_env().await;
    let (s, v) = t.get(&t.reader, "/groups", &[]).await;
    assert_eq!(s, 200);
    assert_eq!(v["value"].as_array().unwrap().len(), 7);
    let (_, v) = t
        .get(
            &t.reader,
            "/groups?$filter=startswith(displayName,'sales')",
            &[],
        )
        .await;
    assert_eq!(names(&v), vec!["Sales Europe", "Sales Team Paris"]);
    let (_, v) = t
        .get(&t.reader, "/groups?$filter=displayName eq 'Marketing'", &[])
        .await;
    assert_eq!(ids(&v), vec![UNIFIED]);
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/groups?$filter=id eq '{INNER}' or id eq '{EMPTY}'"),
            &[],
        )
        .await;
    assert_eq!(ids(&v), vec![INNER, EMPTY]);
    let (_, v) = t
        .get(
            &t.reader,
            "/groups?$filter=groupTypes/any(c:c eq 'Unified')",
            &[],
        )
        .await;
    assert_eq!(ids(&v), vec![UNIFIED]);
    let (s, v) = t
        .get(&t.reader, "/groups?$filter=displayName ne 'x'", &[])
        .await;
    assert_eq!((s, graph_error(&v).0), (400, "Request_UnsupportedQuery"));

    // $top pages with a nextLink that carries the other options.
    let (_, first) = t
        .get(&t.reader, "/groups?$top=3&$select=displayName", &[])
        .await;
    assert_eq!(first["value"].as_array().unwrap().len(), 3);
    let mut next = first["@odata.nextLink"].as_str().unwrap().to_string();
    let mut seen = names(&first).len();
    loop {
        let path = next
            .strip_prefix(&format!("{}/v1.0", t.env.base))
            .unwrap()
            .to_string();
        let (s, page) = t.get(&t.reader, &path, &[]).await;
        assert_eq!(s, 200);
        seen += page["value"].as_array().unwrap().len();
        match page["@odata.nextLink"].as_str() {
            Some(n) => next = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 7);
}

#[tokio::test]
async fn search_and_count_need_consistency_level() {
    let t = tenant_env().await;
    let path = "/groups?$search=\"displayName:paris\"";
    let (s, v) = t.get(&t.reader, path, &[]).await;
    assert_eq!(s, 400);
    assert_eq!(
        graph_error(&v),
        (
            "Request_UnsupportedQuery",
            "Request with $search query parameter only works through MSGraph with a special request header: 'Consistency: eventual'"
        )
    );
    // Tokenized: "paris" matches a word of "Sales Team Paris".
    let (s, v) = t.get(&t.reader, path, EVENTUAL).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![INNER]);
    let (_, v) = t
        .get(
            &t.reader,
            "/groups?$search=\"displayName:sales\" AND \"displayName:europe\"&$count=true",
            EVENTUAL,
        )
        .await;
    assert_eq!(ids(&v), vec![OUTER]);
    assert_eq!(v["@odata.count"], 1);
    let (s, v) = t
        .get(&t.reader, "/groups?$search=displayName:sales", EVENTUAL)
        .await;
    assert_eq!((s, graph_error(&v).0), (400, "BadRequest"));

    // $count=true and the $count segment are advanced queries too.
    let (s, v) = t.get(&t.reader, "/groups?$count=true", &[]).await;
    assert_eq!(
        (s, graph_error(&v)),
        (
            400,
            ("Request_BadRequest", "$count is not currently supported.")
        )
    );
    let (s, ct, text) = t
        .get_text("/groups/$count?$filter=startswith(displayName,'Sales')")
        .await;
    assert_eq!((s, text.as_str()), (200, "2"));
    assert!(ct.starts_with("text/plain"), "{ct}");
}

#[tokio::test]
async fn nested_membership_shows_in_transitive_reads() {
    let t = tenant_env().await;
    let ann = t.ann.clone();
    // Direct: Ann is in Inner only; transitively in Outer too, each with @odata.type.
    let (s, v) = t
        .get(&t.reader, &format!("/users/{ann}/memberOf"), &[])
        .await;
    assert_eq!(s, 200);
    assert_eq!(ids(&v), vec![INNER]);
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/users/{}/transitiveMemberOf", upn("ann")),
            &[],
        )
        .await;
    assert_eq!(ids(&v), vec![INNER, OUTER]);
    assert!(
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["@odata.type"] == "#microsoft.graph.group")
    );
    assert_eq!(
        v["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects", t.env.base)
    );
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/users/{ann}/transitiveMemberOf/microsoft.graph.group?$select=displayName"),
            &[],
        )
        .await;
    assert_eq!(names(&v), vec!["Sales Team Paris", "Sales Europe"]);
    assert_eq!(
        v["@odata.context"],
        format!("{}/v1.0/$metadata#groups", t.env.base)
    );
    assert_eq!(
        v["value"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["@odata.type", "id", "displayName"]
    );
    // Paging through a membership list.
    let (_, p1) = t
        .get(
            &t.reader,
            &format!("/users/{ann}/transitiveMemberOf?$top=1"),
            &[],
        )
        .await;
    assert_eq!(ids(&p1), vec![INNER]);
    let next = p1["@odata.nextLink"].as_str().unwrap();
    let path = next.strip_prefix(&format!("{}/v1.0", t.env.base)).unwrap();
    let (_, p2) = t.get(&t.reader, path, &[]).await;
    assert_eq!(ids(&p2), vec![OUTER]);
    assert!(p2.get("@odata.nextLink").is_none());

    // From the group's side: members lists the nested group, transitiveMembers both.
    let (_, v) = t
        .get(&t.reader, &format!("/groups/{OUTER}/members"), &[])
        .await;
    assert_eq!(ids(&v), vec![INNER]);
    assert_eq!(v["value"][0]["@odata.type"], "#microsoft.graph.group");
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/groups/{OUTER}/transitiveMembers"),
            &[],
        )
        .await;
    assert_eq!(ids(&v), vec![INNER, ann.as_str()]);
    assert_eq!(v["value"][1]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(v["value"][1]["userPrincipalName"], upn("ann"));
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/groups/{OUTER}/transitiveMembers/microsoft.graph.user?$select=displayName"),
            &[],
        )
        .await;
    assert_eq!(names(&v), vec!["Ann Lee"]);

    // $count segments: text/plain, ConsistencyLevel required.
    let (s, _, text) = t.get_text(&format!("/groups/{OUTER}/members/$count")).await;
    assert_eq!((s, text.as_str()), (200, "1"));
    let (s, _, text) = t
        .get_text(&format!("/groups/{OUTER}/transitiveMembers/$count"))
        .await;
    assert_eq!((s, text.as_str()), (200, "2"));
    let (s, _, text) = t
        .get_text(&format!(
            "/groups/{OUTER}/transitiveMembers/microsoft.graph.user/$count"
        ))
        .await;
    assert_eq!((s, text.as_str()), (200, "1"));
    let (s, v) = t
        .get(&t.reader, &format!("/groups/{OUTER}/members/$count"), &[])
        .await;
    assert_eq!((s, graph_error(&v).0), (400, "Request_BadRequest"));

    // Bob is in nothing; an unknown user is 404.
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/users/{}/transitiveMemberOf", t.bob),
            &[],
        )
        .await;
    assert_eq!(v["value"], json!([]));
    let (s, v) = t
        .get(
            &t.reader,
            "/users/20000000-0000-4000-8000-000000000000/memberOf",
            &[],
        )
        .await;
    assert_eq!((s, graph_error(&v).0), (404, "Request_ResourceNotFound"));
}

#[tokio::test]
async fn ref_add_and_its_documented_errors() {
    let t = tenant_env().await;
    let writes = t.env.state().stats().writes;
    let (s, _) = t.add(&t.writer, EMPTY, &t.bob).await;
    assert_eq!(s, 204);
    assert_eq!(t.env.state().stats().writes, writes + 1);
    let (_, v) = t
        .get(&t.reader, &format!("/groups/{EMPTY}/members"), &[])
        .await;
    assert_eq!(ids(&v), vec![t.bob.as_str()]);

    // Adding again: 400 with the directory's message.
    let (s, v) = t.add(&t.writer, EMPTY, &t.bob).await;
    assert_eq!(s, 400);
    assert_eq!(
        graph_error(&v),
        (
            "Request_BadRequest",
            "One or more added object references already exist for the following modified properties: 'members'."
        )
    );
    // Unknown member, unknown group.
    let nobody = "20000000-0000-4000-8000-000000000000";
    let (s, v) = t.add(&t.writer, EMPTY, nobody).await;
    assert_eq!((s, graph_error(&v).0), (404, "Request_ResourceNotFound"));
    assert!(graph_error(&v).1.contains(nobody));
    let (s, v) = t.add(&t.writer, nobody, &t.bob).await;
    assert_eq!((s, graph_error(&v).0), (404, "Request_ResourceNotFound"));
    // A reference that is not a directory object id.
    let r = t
        .env
        .send_with(
            &t.writer,
            Method::POST,
            &format!("/groups/{EMPTY}/members/$ref"),
            &[],
            Some(&json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/bob"})),
        )
        .await;
    assert_eq!(r.status(), 400);
    // Nested group add, and a cycle refused.
    let (s, _) = t.add(&t.writer, EMPTY, INNER).await;
    assert_eq!(s, 204);
    let (s, v) = t.add(&t.writer, INNER, OUTER).await;
    assert_eq!((s, graph_error(&v).0), (400, "Request_BadRequest"));
    // Microsoft 365 groups hold users only.
    let (s, _) = t.add(&t.writer, UNIFIED, INNER).await;
    assert_eq!(s, 400);
    let (s, _) = t.add(&t.writer, UNIFIED, &t.ann).await;
    assert_eq!(s, 204);

    // Read-only and user-only apps may not write memberships.
    for token in [&t.reader, t.env.token()] {
        let (s, v) = t.add(token, EMPTY, &t.ann).await;
        assert_eq!(s, 403);
        assert_eq!(graph_error(&v).0, "Authorization_RequestDenied");
    }
}

#[tokio::test]
async fn remove_member_and_non_member() {
    let t = tenant_env().await;
    let (s, _) = t.remove(&t.writer, INNER, &t.ann).await;
    assert_eq!(s, 204);
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/users/{}/transitiveMemberOf", t.ann),
            &[],
        )
        .await;
    assert_eq!(v["value"], json!([]));
    let (s, v) = t.remove(&t.writer, INNER, &t.ann).await;
    assert_eq!(s, 404);
    assert_eq!(
        graph_error(&v),
        (
            "Request_ResourceNotFound",
            "One or more removed object references do not exist for the following modified properties: 'members'."
        )
    );
    let r = t
        .env
        .send_with(
            &t.writer,
            Method::GET,
            &format!("/groups/{INNER}/members/$ref"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn dynamic_role_assignable_and_mail_groups_are_refused() {
    let t = tenant_env().await;
    let before = t.env.state().stats().write_attempts;
    // Dynamic membership: 403 Insufficient privileges, for adds and removes alike.
    let (s, v) = t.add(&t.writer, DYNAMIC, &t.bob).await;
    assert_eq!(s, 403);
    assert_eq!(
        graph_error(&v),
        (
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation."
        )
    );
    t.env.state().add_group_member(DYNAMIC, &t.ann).unwrap();
    let (s, _) = t.remove(&t.writer, DYNAMIC, &t.ann).await;
    assert_eq!(s, 403);
    assert!(t.env.state().group(DYNAMIC).unwrap()["members"][0]["id"] == t.ann);

    // Role-assignable: 403 without RoleManagement.ReadWrite.Directory, allowed with it.
    let (s, v) = t.add(&t.writer, ROLE_GROUP, &t.bob).await;
    assert_eq!(s, 403);
    assert_eq!(graph_error(&v).0, "Authorization_RequestDenied");
    let (s, _) = t.add(&t.role_manager, ROLE_GROUP, &t.bob).await;
    assert_eq!(s, 204);

    // Distribution lists are managed in Exchange.
    let (s, v) = t.add(&t.writer, DISTRIBUTION, &t.bob).await;
    assert_eq!(s, 400);
    assert_eq!(
        graph_error(&v),
        (
            "Request_BadRequest",
            "Cannot Update a mail-enabled security groups and or distribution list."
        )
    );
    // Every refused attempt still counted against the write budget.
    assert_eq!(t.env.state().stats().write_attempts, before + 5);
}

async fn follow(t: &Tenant, link: &str) -> Value {
    let path = link
        .strip_prefix(&format!("{}/v1.0", t.env.base))
        .unwrap_or_else(|| panic!("{link}"));
    let (s, v) = t.get(&t.reader, path, &[]).await;
    assert_eq!(s, 200, "{v}");
    v
}

fn item<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {v}"))
}

#[tokio::test]
async fn groups_delta_reports_membership_changes_and_removals() {
    let t = tenant_env().await;
    let (s, v) = t
        .get(
            &t.reader,
            &format!("/groups/delta?$select=displayName,members&$filter=id eq '{INNER}' or id eq '{EMPTY}'"),
            &[],
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["@odata.context"],
        format!(
            "{}/v1.0/$metadata#groups(id,displayName,members)",
            t.env.base
        )
    );
    assert_eq!(ids(&v), vec![INNER, EMPTY]);
    assert_eq!(
        item(&v, INNER)["members@delta"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": t.ann}])
    );
    assert_eq!(item(&v, EMPTY)["members@delta"], json!([]));
    let link = v["@odata.deltaLink"].as_str().unwrap().to_string();
    assert!(v.get("@odata.nextLink").is_none());

    // Nothing changed: an empty round. A change outside the filter is not reported.
    let v = follow(&t, &link).await;
    assert_eq!(v["value"], json!([]));
    let (s, _) = t.add(&t.writer, OUTER, &t.bob).await;
    assert_eq!(s, 204);
    let link = v["@odata.deltaLink"].as_str().unwrap().to_string();

    // Bob joins Inner, Ann leaves it: one item with both, the removal marked.
    assert_eq!(t.add(&t.writer, INNER, &t.bob).await.0, 204);
    assert_eq!(t.remove(&t.writer, INNER, &t.ann).await.0, 204);
    let v = follow(&t, &link).await;
    assert_eq!(ids(&v), vec![INNER]);
    assert_eq!(
        item(&v, INNER)["members@delta"],
        json!([
            {"@odata.type": "#microsoft.graph.user", "id": t.bob},
            {"@odata.type": "#microsoft.graph.user", "id": t.ann, "@removed": {"reason": "deleted"}},
        ])
    );
    assert_eq!(item(&v, INNER)["displayName"], "Sales Team Paris");
    let link = v["@odata.deltaLink"].as_str().unwrap().to_string();

    // Deleting a user removes it from its groups, and delta says so.
    let r = t.env.delete(&format!("/users/{}", t.bob)).await;
    assert_eq!(r.status(), 204);
    let v = follow(&t, &link).await;
    assert_eq!(
        item(&v, INNER)["members@delta"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": t.bob, "@removed": {"reason": "deleted"}}])
    );
    let link = v["@odata.deltaLink"].as_str().unwrap().to_string();

    // A deleted security group is gone for good: reason "deleted".
    let (s, _) = t
        .env
        .control(Method::DELETE, &format!("groups/{EMPTY}"), None)
        .await;
    assert_eq!(s, 204);
    let v = follow(&t, &link).await;
    assert_eq!(
        v["value"],
        json!([{"id": EMPTY, "@removed": {"reason": "deleted"}}])
    );
    let link = v["@odata.deltaLink"].as_str().unwrap().to_string();

    // Expired state: 410 syncStateNotFound, as for users delta.
    let (s, _) = t
        .env
        .control(
            Method::POST,
            "config",
            Some(json!({"expire_delta_tokens": true})),
        )
        .await;
    assert_eq!(s, 200);
    let path = link.strip_prefix(&format!("{}/v1.0", t.env.base)).unwrap();
    let r = t
        .env
        .send_with(&t.reader, Method::GET, path, &[], None)
        .await;
    assert_eq!(r.status(), 410);
    assert_eq!(
        r.headers()["location"],
        format!("{}/v1.0/groups/delta?$deltatoken=", t.env.base).as_str()
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(graph_error(&v).0, "syncStateNotFound");

    // Permissions: an app with only User.ReadWrite.All may not run groups delta.
    let (s, _) = t.env.get_json("/groups/delta").await;
    assert_eq!(s, 403);
    // Only id filters are supported.
    let (s, v) = t
        .get(&t.reader, "/groups/delta?$filter=displayName eq 'x'", &[])
        .await;
    assert_eq!((s, graph_error(&v).0), (400, "Request_UnsupportedQuery"));
}

#[tokio::test]
async fn groups_delta_pages_with_next_links() {
    let t = tenant_env().await;
    for i in 0..120 {
        t.env
            .state()
            .seed_group(SeedGroup::new(&format!("Bulk {i:03}"), "security"))
            .unwrap();
    }
    let (_, v) = t
        .get(&t.reader, "/groups/delta?$select=displayName,members", &[])
        .await;
    assert_eq!(v["value"].as_array().unwrap().len(), 100);
    assert!(v.get("@odata.deltaLink").is_none());
    let next = v["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("$skiptoken="));
    let v = follow(&t, next).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 27);
    assert!(
        v["@odata.deltaLink"]
            .as_str()
            .unwrap()
            .contains("$deltatoken=")
    );
    // Members seeded with a group count: Outer holds Inner as a group member.
    let (_, first) = t
        .get(
            &t.reader,
            &format!("/groups/delta?$filter=id eq '{OUTER}'"),
            &[],
        )
        .await;
    assert_eq!(
        first["value"][0]["members@delta"],
        json!([{"@odata.type": "#microsoft.graph.group", "id": INNER}])
    );
}

#[tokio::test]
async fn batch_carries_ref_adds_and_removes() {
    let t = tenant_env().await;
    let add = |id: &str, group: &str, member: &str| {
        json!({
            "id": id, "method": "POST", "url": format!("/groups/{group}/members/$ref"),
            "headers": {"Content-Type": "application/json"},
            "body": {"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")}
        })
    };
    let body = json!({ "requests": [
        add("1", EMPTY, &t.ann),
        add("2", EMPTY, &t.bob),
        add("3", INNER, &t.ann),
        {"id": "4", "method": "DELETE", "url": format!("/groups/{OUTER}/members/{INNER}/$ref")},
        {"id": "5", "method": "GET", "url": format!("/groups/{EMPTY}/members/$count"),
         "headers": {"ConsistencyLevel": "eventual"}, "dependsOn": ["1", "2"]},
    ]});
    let r = t
        .env
        .send_with(&t.writer, Method::POST, "/$batch", &[], Some(&body))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(response(&v, "1")["status"], 204);
    assert_eq!(response(&v, "2")["status"], 204);
    let dup = response(&v, "3");
    assert_eq!(dup["status"], 400);
    assert_eq!(
        dup["body"]["error"]["message"],
        "One or more added object references already exist for the following modified properties: 'members'."
    );
    assert_eq!(response(&v, "4")["status"], 204);
    assert_eq!(response(&v, "5")["status"], 200);
    assert_eq!(response(&v, "5")["body"], "2");
    let members = t.env.state().group(EMPTY).unwrap()["members"].clone();
    assert_eq!(members.as_array().unwrap().len(), 2);
    assert_eq!(t.env.state().group(OUTER).unwrap()["members"], json!([]));
}

#[tokio::test]
async fn membership_writes_are_throttled_like_user_writes() {
    let t = tenant_env().await;
    t.env.state().set_write_budget(Some(WriteBudget {
        writes: 1,
        window_s: 60.0,
    }));
    assert_eq!(t.add(&t.writer, EMPTY, &t.ann).await.0, 204);
    let r = t
        .env
        .send_with(
            &t.writer,
            Method::DELETE,
            &format!("/groups/{EMPTY}/members/{}/$ref", t.ann),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // Reads are not counted against the write budget.
    let (s, _) = t
        .get(&t.reader, &format!("/groups/{EMPTY}/members"), &[])
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn control_api_manages_groups_and_members() {
    let t = tenant_env().await;
    let (s, g) = t
        .env
        .control(
            Method::POST,
            "groups",
            Some(json!({"displayName": "Ops", "kind": "role-assignable", "members": [upn("bob"), INNER]})),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    assert_eq!(g["isAssignableToRole"], true);
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["members"].as_array().unwrap().len(), 2);
    let (s, _) = t
        .env
        .control(
            Method::POST,
            "groups",
            Some(json!({"displayName": "X", "kind": "weird"})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t
        .env
        .control(
            Method::POST,
            "groups",
            Some(json!({"displayName": "Y", "members": ["nobody@contoso.onmicrosoft.com"]})),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = t
        .env
        .control(
            Method::POST,
            "groups",
            Some(json!({"id": OUTER, "displayName": "Dup"})),
        )
        .await;
    assert_eq!(s, 409);

    let (s, _) = t
        .env
        .control(
            Method::PUT,
            &format!("groups/{id}/members"),
            Some(json!({"members": [t.ann]})),
        )
        .await;
    assert_eq!(s, 204);
    let (s, v) = t
        .env
        .control(Method::GET, &format!("groups/{id}/members"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        v["members"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": t.ann}])
    );
    let (s, v) = t
        .env
        .control(
            Method::POST,
            &format!("groups/{id}/members"),
            Some(json!({"member": t.ann})),
        )
        .await;
    assert_eq!((s, &v["added"]), (200, &json!(false)));
    let (s, v) = t
        .env
        .control(
            Method::DELETE,
            &format!("groups/{id}/members/{}", t.ann),
            None,
        )
        .await;
    assert_eq!((s, &v["removed"]), (200, &json!(true)));
    let (s, v) = t.env.control(Method::GET, "groups", None).await;
    assert_eq!((s, v.as_array().unwrap().len()), (200, 8));
    let (s, _) = t
        .env
        .control(Method::DELETE, &format!("groups/{id}"), None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = t
        .env
        .control(Method::GET, &format!("groups/{id}"), None)
        .await;
    assert_eq!(s, 404);

    // Reset brings the seed groups back, with their members.
    t.env.state().remove_group_member(INNER, &t.ann).unwrap();
    let (s, _) = t.env.control(Method::POST, "reset", None).await;
    assert_eq!(s, 204);
    let ann = t.env.state().user(&upn("ann")).unwrap()["id"].clone();
    assert_eq!(t.env.state().group(INNER).unwrap()["members"][0]["id"], ann);
}

#[tokio::test]
async fn restored_user_gets_its_groups_back() {
    let t = tenant_env().await;
    assert_eq!(
        t.env.delete(&format!("/users/{}", t.ann)).await.status(),
        204
    );
    assert_eq!(t.env.state().group(INNER).unwrap()["members"], json!([]));
    let r = t
        .env
        .post(
            &format!("/directory/deletedItems/{}/restore", t.ann),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let (_, v) = t
        .get(
            &t.reader,
            &format!("/users/{}/transitiveMemberOf", t.ann),
            &[],
        )
        .await;
    assert_eq!(ids(&v), vec![INNER, OUTER]);
}

#[test]
fn cli_seeds_groups() {
    let emu = BinaryEmulator::spawn(&[
        "--permissions",
        "GroupMember.Read.All",
        "--seed-user",
        &upn("cli"),
        "--seed-group",
        &format!("{INNER}|Inner|security|{}", upn("cli")),
        "--seed-group",
        &format!("{OUTER}|Outer||{INNER}"),
        "--seed-group",
        "|Rules|dynamic",
    ]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = emu.url.clone();
    rt.block_on(async move {
        let http = reqwest::Client::new();
        let groups: Value = http
            .get(format!("{url}/_emulator/groups"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let groups = groups.as_array().unwrap();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[1]["members"][0]["id"], INNER);
        assert_eq!(groups[2]["groupTypes"], json!(["DynamicMembership"]));
        let token: Value = http
            .post(format!("{url}/{TENANT}/oauth2/v2.0/token"))
            .form(&[
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let v: Value = http
            .get(format!(
                "{url}/v1.0/users/{}/transitiveMemberOf",
                upn("cli")
            ))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&v), vec![INNER, OUTER]);
    });
    assert!(emu.terminate().success());
}
