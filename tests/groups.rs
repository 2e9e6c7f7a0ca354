//! Groups ↔ roles (issue 13) against the emulator: the real library's group reads, membership
//! writes and groups delta over loopback, and the decisions the host asks with their answers.

mod common;

use common::*;
use entra_graph_emulator::{EmulatorConfig, SeedGroup, SeedUser};
use entra_provisioning::Provisioner;
use entra_provisioning::decide::Question;
use entra_provisioning::groups::sync::{
    GroupsDeltaRequest, GroupsRead, MembershipWrite, WriteAction, WriteOp,
};
use entra_provisioning::import::{Change, DeltaRequest};
use serde_json::{Value, json};

const PARENT: &str = "10000000-0000-4000-8000-000000000001";
const CHILD: &str = "10000000-0000-4000-8000-000000000002";
const TARGET: &str = "10000000-0000-4000-8000-000000000003";
const DYNAMIC: &str = "10000000-0000-4000-8000-000000000004";
const ROLE_ASSIGNABLE: &str = "10000000-0000-4000-8000-000000000005";
const DISTRIBUTION: &str = "10000000-0000-4000-8000-000000000006";
const OTHER: &str = "10000000-0000-4000-8000-000000000007";

fn upn(name: &str) -> String {
    format!("{name}@{DOMAIN}")
}

fn user(name: &str) -> SeedUser {
    SeedUser {
        user_principal_name: upn(name),
        display_name: name.to_owned(),
        mail: None,
        account_enabled: true,
    }
}

fn group(id: &str, name: &str, kind: &str, members: &[String]) -> SeedGroup {
    SeedGroup {
        id: Some(id.into()),
        members: members.to_vec(),
        ..SeedGroup::new(name, kind)
    }
}

/// Ann is in Child, which is nested in Parent; Bob is in Parent directly; Carl in no group.
/// The app holds the group permissions besides User.ReadWrite.All.
fn tenant(adjust: impl FnOnce(&mut EmulatorConfig)) -> entra_graph_emulator::BlockingEmulator {
    emulator_with(|c| {
        c.seed_users
            .extend([user("ann"), user("bob"), user("carl")]);
        c.seed_groups = vec![
            group(CHILD, "Paris engineers", "security", &[upn("ann")]),
            group(
                PARENT,
                "Engineering",
                "security",
                &[upn("bob"), CHILD.into()],
            ),
            group(TARGET, "Drupal staff", "security", &[]),
            group(DYNAMIC, "Dynamic sales", "dynamic", &[]),
            group(ROLE_ASSIGNABLE, "Helpdesk admins", "role-assignable", &[]),
            group(DISTRIBUTION, "All company list", "distribution", &[]),
            group(OTHER, "Unmapped", "security", &[upn("carl")]),
        ];
        c.clients[0].permissions = vec![
            "User.ReadWrite.All".into(),
            "GroupMember.ReadWrite.All".into(),
        ];
        adjust(c);
    })
}

fn id_of(p: &Provisioner, name: &str) -> String {
    block_on(p.get_user(&upn(name))).unwrap().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ask(q: Value) -> Value {
    serde_json::from_value::<Question>(q).unwrap().answer()
}

fn role_facts() -> Value {
    json!({"engineer": {"is_admin": false, "restricted": false},
           "site admin": {"is_admin": true, "restricted": true},
           "custom": {"is_admin": false, "restricted": false}})
}

fn member_of_in(changes: &[Change], id: &str) -> Option<Vec<String>> {
    changes.iter().find_map(|c| match c {
        Change::Upsert {
            id: i, member_of, ..
        } if i == id => member_of.clone(),
        _ => None,
    })
}

fn groups_request(link: Option<String>) -> DeltaRequest {
    DeltaRequest {
        groups: Some(GroupsDeltaRequest {
            ids: vec![PARENT.into()],
            link,
            max_pages: None,
        }),
        ..DeltaRequest::default()
    }
}

#[test]
fn nested_membership_grants_the_role_and_strict_mode_revokes_it() {
    let emu = tenant(|_| {});
    let p = provisioner(&emu.base_url(), json!({}));
    let (ann, carl) = (id_of(&p, "ann"), id_of(&p, "carl"));
    let page = block_on(p.import_delta(&groups_request(None))).unwrap();
    assert_eq!(
        member_of_in(&page.changes, &ann),
        Some(vec![PARENT.to_owned()]),
        "Ann is in Parent through Child"
    );
    assert_eq!(member_of_in(&page.changes, &carl), Some(vec![]));
    let rules = json!([{"group_id": PARENT, "role": "engineer"}]);
    let grant = ask(
        json!({"decide": "role_changes", "rules": rules, "strict": true,
        "account": {"uid": 7, "roles": ["authenticated", "custom"]},
        "member_of": member_of_in(&page.changes, &ann), "role_facts": role_facts()}),
    );
    assert_eq!(
        grant["grant"],
        json!([{"role": "engineer", "group_id": PARENT}])
    );
    assert_eq!(grant["revoke"], json!([]));

    // Carl holds the role without a group: strict mode revokes it, the unmapped role survives;
    // without strict mode nothing is revoked; uid 1 is never changed.
    let carl_facts = |strict: bool, uid: u64| {
        ask(
            json!({"decide": "role_changes", "rules": rules, "strict": strict,
            "account": {"uid": uid, "roles": ["authenticated", "engineer", "custom"]},
            "member_of": member_of_in(&page.changes, &carl), "role_facts": role_facts()}),
        )
    };
    assert_eq!(
        carl_facts(true, 8)["revoke"],
        json!([{"role": "engineer", "group_ids": [PARENT]}])
    );
    assert_eq!(carl_facts(false, 8)["revoke"], json!([]));
    let root = carl_facts(true, 1);
    assert_eq!(
        (root["revoke"].clone(), root["untouched_reason"].clone()),
        (json!([]), json!("superuser"))
    );
}

#[test]
fn a_restricted_role_needs_the_confirmation() {
    let unconfirmed = ask(json!({"decide": "role_changes",
        "rules": [{"group_id": PARENT, "role": "site admin"}],
        "account": {"uid": 7, "roles": []}, "member_of": [PARENT], "role_facts": role_facts()}));
    assert_eq!(unconfirmed["grant"], json!([]));
    assert_eq!(
        unconfirmed["refused_rules"][0]["reason"],
        "confirmation_required"
    );
    let check = ask(json!({"decide": "group_rules_check",
        "import_rules": [{"group_id": PARENT, "role": "site admin"}],
        "role_facts": role_facts(), "groups": {PARENT: {"id": PARENT, "securityEnabled": true}}}));
    assert_eq!(check["errors"][0]["field"], "confirmed");
    let confirmed = ask(json!({"decide": "role_changes",
        "rules": [{"group_id": PARENT, "role": "site admin", "confirmed": true}],
        "account": {"uid": 7, "roles": []}, "member_of": [PARENT], "role_facts": role_facts()}));
    assert_eq!(confirmed["grant"][0]["role"], "site admin");
}

#[test]
fn one_membership_change_reaches_the_import_through_the_groups_delta() {
    let emu = tenant(|_| {});
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    let (ann, carl) = (id_of(&p, "ann"), id_of(&p, "carl"));
    let first = block_on(p.groups_delta(&GroupsDeltaRequest {
        ids: vec![PARENT.into()],
        ..GroupsDeltaRequest::default()
    }))
    .unwrap();
    assert_eq!(
        first.tracked_group_ids.as_deref(),
        Some(&[PARENT.to_owned(), CHILD.to_owned()][..]),
        "the nested group is tracked too"
    );
    let link = first.delta_link.clone().expect("the round completed");
    assert!(first.complete_state);
    let listed: Vec<(String, Vec<String>)> = first
        .changes
        .iter()
        .map(|c| (c.id.clone(), c.member_of.clone()))
        .collect();
    let bob = id_of(&p, "bob");
    let mut want = vec![
        (ann.clone(), vec![PARENT.to_owned()]),
        (bob, vec![PARENT.to_owned()]),
    ];
    want.sort();
    assert_eq!(
        listed, want,
        "every member, nested ones included; Carl is in none"
    );

    // Carl joins the nested group in Entra: the next round names him alone.
    emu.state().add_group_member(CHILD, &carl).unwrap();
    control(&base, "DELETE", "requests", None);
    let next = block_on(p.groups_delta(&GroupsDeltaRequest {
        ids: vec![PARENT.into()],
        link: Some(link),
        max_pages: None,
    }))
    .unwrap();
    assert_eq!(next.changes.len(), 1, "{:?}", next.changes);
    assert_eq!(next.changes[0].id, carl);
    assert_eq!(next.changes[0].member_of, vec![PARENT.to_owned()]);
    assert!(!next.resync_required && next.delta_link.is_some() && !next.complete_state);
    let log = requests(&base);
    let paths: Vec<&str> = log.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(
        paths
            .iter()
            .all(|p| !p.ends_with("/users/delta") && !p.contains("transitiveMembers")),
        "no full scan: {paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.contains(&format!("/users/{carl}/transitiveMemberOf"))),
        "{paths:?}"
    );

    // Carl leaves: reported with no mapped group (strict mode then revokes).
    let link = next.delta_link.unwrap();
    emu.state().remove_group_member(CHILD, &carl).unwrap();
    let gone = block_on(p.groups_delta(&GroupsDeltaRequest {
        ids: vec![PARENT.into()],
        link: Some(link.clone()),
        max_pages: None,
    }))
    .unwrap();
    assert_eq!(gone.changes.len(), 1);
    assert_eq!(
        (gone.changes[0].id.as_str(), gone.changes[0].member_of.len()),
        (carl.as_str(), 0)
    );

    // An expired link asks for a new round, as the users delta does.
    emu.state().expire_delta_tokens();
    let lost = block_on(p.groups_delta(&GroupsDeltaRequest {
        ids: vec![PARENT.into()],
        link: gone.delta_link,
        max_pages: None,
    }))
    .unwrap();
    assert!(lost.resync_required && lost.changes.is_empty());
}

#[test]
fn a_change_of_nesting_is_reported_and_restarts_the_round() {
    let emu = tenant(|_| {});
    let p = provisioner(&emu.base_url(), json!({}));
    let carl = id_of(&p, "carl");
    let request = |link| GroupsDeltaRequest {
        ids: vec![PARENT.into()],
        link,
        max_pages: None,
    };
    let first = block_on(p.groups_delta(&request(None))).unwrap();
    // The unmapped group holding Carl is nested into Parent.
    emu.state().add_group_member(PARENT, OTHER).unwrap();
    let next = block_on(p.groups_delta(&request(first.delta_link))).unwrap();
    assert!(next.nesting_changed);
    assert!(
        next.resync_required && next.delta_link.is_none(),
        "the tracked set is stale"
    );
    let c = next
        .changes
        .iter()
        .find(|c| c.id == carl)
        .expect("Carl is affected");
    assert_eq!(c.member_of, vec![PARENT.to_owned()]);
    let restarted = block_on(p.groups_delta(&request(None))).unwrap();
    assert!(
        restarted
            .tracked_group_ids
            .unwrap()
            .contains(&OTHER.to_owned())
    );
}

#[test]
fn refused_groups_get_no_write_request() {
    let emu = tenant(|_| {});
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    let ann = id_of(&p, "ann");
    for (group, reason) in [
        (ROLE_ASSIGNABLE, "role_assignable"),
        (DYNAMIC, "dynamic"),
        (DISTRIBUTION, "distribution"),
        ("10000000-0000-4000-8000-0000000000ff", "not_found"),
        ("Engineering", "not_found"),
    ] {
        control(&base, "DELETE", "requests", None);
        for op in [WriteOp::Add, WriteOp::Remove] {
            let out = block_on(p.membership_write(&MembershipWrite {
                op,
                group_id: group.into(),
                user_id: ann.clone(),
            }))
            .unwrap();
            assert_eq!(out.action, WriteAction::Refused, "{group}");
            assert_eq!(
                serde_json::to_value(out.reason).unwrap(),
                json!(reason),
                "{group}"
            );
        }
        let writes: Vec<Value> = requests(&base)
            .into_iter()
            .filter(|e| e["method"] != "GET" && e["path"].as_str().unwrap().contains("/members"))
            .collect();
        assert!(writes.is_empty(), "{group}: {writes:?}");
    }
}

#[test]
fn duplicate_adds_and_removals_of_non_members_succeed() {
    let emu = tenant(|_| {});
    let p = provisioner(&emu.base_url(), json!({}));
    let ann = id_of(&p, "ann");
    let write = |op| {
        block_on(p.membership_write(&MembershipWrite {
            op,
            group_id: TARGET.into(),
            user_id: ann.clone(),
        }))
        .unwrap()
        .action
    };
    assert_eq!(write(WriteOp::Add), WriteAction::Added);
    assert_eq!(write(WriteOp::Add), WriteAction::AlreadyMember);
    let members = emu.state().group(TARGET).unwrap()["members"].clone();
    assert_eq!(members.as_array().unwrap().len(), 1, "{members}");
    assert_eq!(write(WriteOp::Remove), WriteAction::Removed);
    assert_eq!(write(WriteOp::Remove), WriteAction::NotMember);
    // A 400 that is not "already a member" stays an error: the user does not exist.
    let err = block_on(p.membership_write(&MembershipWrite {
        op: WriteOp::Add,
        group_id: TARGET.into(),
        user_id: "20000000-0000-4000-8000-000000000000".into(),
    }))
    .unwrap_err();
    assert_eq!(err.kind().name(), "not_found");
}

#[test]
fn scoping_in_and_out_of_both_directions() {
    let emu = tenant(|_| {});
    let p = provisioner(&emu.base_url(), json!({}));
    let (ann, carl) = (id_of(&p, "ann"), id_of(&p, "carl"));
    let page = block_on(p.import_delta(&groups_request(None))).unwrap();
    let scope = |id: &str| {
        ask(json!({"decide": "import_scope", "scope_groups": [PARENT],
            "member_of": member_of_in(&page.changes, id)}))
    };
    assert_eq!(scope(&ann)["in_scope"], true);
    let out = scope(&carl);
    assert_eq!(out["in_scope"], false);
    // A linked user out of scope goes the removal path: blocked, never deleted.
    let removal = ask(json!({"decide": "import_removal", "provenance": "created",
        "account": {"uid": 9, "status": 1}, "policy": "delete", "reason": out["removal_reason"]}));
    assert_eq!(removal["action"], "block");
    let provision = |before: Value, after: Value| {
        ask(
            json!({"decide": "provision_scope", "scope_roles": ["staff"],
            "roles_before": before, "roles_after": after, "linked": true,
            "policy": "disable", "provenance": "created"}),
        )["op"]
            .clone()
    };
    assert_eq!(provision(json!(["staff"]), json!([])), "disable");
    assert_eq!(provision(json!([]), json!(["staff"])), "enable");
    assert_eq!(provision(json!(["staff"]), json!(["staff"])), Value::Null);
}

#[test]
fn group_reads_for_the_form_and_drush() {
    let emu = tenant(|_| {});
    let p = provisioner(&emu.base_url(), json!({}));
    let found = block_on(p.groups_read(&GroupsRead::Search {
        query: "engin".into(),
        top: None,
    }))
    .unwrap();
    let names: Vec<&str> = found["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Engineering"), "{found}");
    let got = block_on(p.groups_read(&GroupsRead::Get {
        ids: vec![
            TARGET.into(),
            DYNAMIC.into(),
            "10000000-0000-4000-8000-0000000000ff".into(),
        ],
    }))
    .unwrap();
    let targets: Vec<(String, Value)> = got["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_owned(),
                g["target"]["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        vec![
            (TARGET.to_owned(), Value::Null),
            (DYNAMIC.to_owned(), json!("dynamic"))
        ]
    );
    assert_eq!(
        got["missing"],
        json!(["10000000-0000-4000-8000-0000000000ff"])
    );
    let counts = block_on(p.groups_read(&GroupsRead::MemberCounts {
        ids: vec![PARENT.into(), "Engineering".into()],
    }))
    .unwrap();
    assert_eq!(counts["counts"][PARENT], 3, "Bob, Child and Ann: {counts}");
    assert_eq!(counts["missing"], json!(["Engineering"]));
    let members = block_on(p.groups_read(&GroupsRead::Members {
        group_id: PARENT.into(),
    }))
    .unwrap();
    assert_eq!(members["user_ids"].as_array().unwrap().len(), 2);
    let ann = id_of(&p, "ann");
    let of = block_on(p.groups_read(&GroupsRead::MemberOf {
        user_ids: vec![ann.clone()],
        group_ids: vec![PARENT.into(), CHILD.into(), TARGET.into()],
    }))
    .unwrap();
    assert_eq!(of["member_of"][&ann], json!([PARENT, CHILD]));
}

#[test]
fn the_connection_test_names_the_missing_group_permissions() {
    let emu = tenant(|c| c.clients[0].permissions = vec!["User.Read.All".into()]);
    let p = provisioner(&emu.base_url(), json!({}));
    let out = block_on(
        p.test_connection(&entra_provisioning::provision::TestRequest {
            upn: upn("ann"),
            directions: vec!["entra_to_drupal".into()],
            features: vec![
                "read_group_memberships".into(),
                "write_group_memberships".into(),
            ],
        }),
    )
    .unwrap();
    assert_eq!(
        out["missing_permissions"],
        json!(["GroupMember.Read.All", "GroupMember.ReadWrite.All"])
    );
    let err = block_on(p.groups_read(&GroupsRead::Get {
        ids: vec![PARENT.into()],
    }))
    .unwrap_err();
    assert_eq!(err.kind().name(), "permission");
}
