//! Membership writes: `POST /groups/{id}/members/$ref` ("Add members") and
//! `DELETE /groups/{id}/members/{memberId}/$ref` ("Remove member").
//!
//! Order of checks: permission and write budget (every attempt counts, as for users), then the
//! body, then the group, then what the group's kind forbids, then the member.

use serde_json::Value;

use super::store::{Group, Member, MemberType};
use crate::errors::{GraphError, Reply};
use crate::graph::{committed, json_body, with_headers, write_gate};
use crate::server::GraphRequest;
use crate::state::Shared;
use crate::token::Caller;

/// "Add members" returns 400 "when the object is already a member of the group"; the message
/// is the directory's, as reported verbatim in ansible-collections/azure issue 1519.
fn already_member() -> GraphError {
    GraphError::request_bad_request(
        "One or more added object references already exist for the following modified properties: 'members'.",
    )
}

/// "Remove member" of an object that is not a member: 404. The wording mirrors the add
/// message; no public copy of the service's exact text was found, so it is the emulator's.
fn not_a_member() -> GraphError {
    GraphError::new(
        404,
        "Request_ResourceNotFound",
        "One or more removed object references do not exist for the following modified properties: 'members'.",
    )
}

/// Members of a group with dynamic membership are computed from its rule and cannot be
/// changed through Graph; the service answers 403 Authorization_RequestDenied "Insufficient
/// privileges to complete the operation." (Microsoft's AAD developer support blog,
/// "Authorization_RequestDenied error when using Microsoft Graph API to add users to a group",
/// 2024-05: "You cannot use Microsoft Graph to manage Dynamic group … membership").
fn refuse_by_kind(group: &Group, caller: &Caller) -> Result<(), GraphError> {
    if group.is_dynamic() {
        return Err(GraphError::forbidden());
    }
    // Mail-enabled security groups and distribution lists are managed in Exchange, not Graph
    // ("Add members" applies to security and Microsoft 365 groups; the AAD developer support
    // blog above: "not every group type can be managed by Microsoft Graph"). The message is
    // the one the directory is known to return for them; no public copy was found to check
    // it against.
    if group.mail_enabled && !group.is_unified() {
        return Err(GraphError::request_bad_request(
            "Cannot Update a mail-enabled security groups and or distribution list.",
        ));
    }
    // "To add members to a role-assignable group, the app must also be assigned the
    // RoleManagement.ReadWrite.Directory permission."
    if group.is_assignable_to_role {
        caller.require_role_management()?;
    }
    Ok(())
}

/// The object id in `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}`
/// (`users/{id}` and `groups/{id}` references are accepted too, as by the service).
fn referenced_id(body: &Value) -> Result<String, GraphError> {
    let Some(odata_id) = body.get("@odata.id").and_then(Value::as_str) else {
        return Err(GraphError::bad_request(
            "The request body must contain an '@odata.id' reference to a directory object.",
        ));
    };
    let tail = odata_id.trim_end_matches('/');
    let id = ["/directoryObjects/", "/users/", "/groups/"]
        .iter()
        .find_map(|p| tail.rfind(p).map(|i| &tail[i + p.len()..]))
        .unwrap_or(tail);
    let id = percent_encoding::percent_decode_str(id)
        .decode_utf8_lossy()
        .to_lowercase();
    if !crate::users::looks_like_guid(&id) {
        return Err(GraphError::request_bad_request(format!(
            "Invalid object identifier '{id}'."
        )));
    }
    Ok(id)
}

pub(crate) fn add(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    group_id: &str,
) -> Result<Reply, GraphError> {
    let extra = write_gate(shared, caller, Caller::require_group_write)?;
    let body = json_body(req)?;
    let member_id = referenced_id(&body)?;
    let users = shared.store.read();
    let mut groups = shared.groups.write();
    let group = groups
        .get(group_id)
        .ok_or_else(|| GraphError::not_found(group_id))?;
    refuse_by_kind(group, caller)?;
    let (group_key, target_unified) = (group.key, group.is_unified());
    let kind = if users.resolve_active(&member_id).is_some() {
        MemberType::User
    } else if let Some(g) = groups.get(&member_id) {
        // "Add members": a Microsoft 365 group cannot be a member of any group, and only users
        // can be members of a Microsoft 365 group.
        if g.is_unified() || target_unified {
            return Err(GraphError::request_bad_request(
                "Microsoft 365 groups cannot contain groups, and cannot be members of groups.",
            ));
        }
        MemberType::Group
    } else {
        return Err(GraphError::not_found(&member_id));
    };
    if kind == MemberType::Group && groups.would_cycle(group_key, &member_id) {
        return Err(GraphError::request_bad_request(
            "A group cannot be a member of itself, directly or through nested groups.",
        ));
    }
    let added = groups.add_member(
        group_key,
        Member {
            kind,
            id: member_id,
        },
    );
    drop(groups);
    drop(users);
    if !added {
        return Err(already_member());
    }
    committed(shared);
    Ok(with_headers(Reply::no_content(), extra))
}

pub(crate) fn remove(
    shared: &Shared,
    caller: &Caller,
    group_id: &str,
    member_id: &str,
) -> Result<Reply, GraphError> {
    let extra = write_gate(shared, caller, Caller::require_group_write)?;
    let mut groups = shared.groups.write();
    let group = groups
        .get(group_id)
        .ok_or_else(|| GraphError::not_found(group_id))?;
    refuse_by_kind(group, caller)?;
    let key = group.key;
    if !groups.remove_member(key, &member_id.to_lowercase()) {
        return Err(not_a_member());
    }
    drop(groups);
    committed(shared);
    Ok(with_headers(Reply::no_content(), extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_parse() {
        let id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        for r in [
            format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}"),
            format!("http://127.0.0.1:1/v1.0/users/{}", id.to_uppercase()),
            id.to_string(),
        ] {
            assert_eq!(referenced_id(&json!({ "@odata.id": r })).unwrap(), id);
        }
        assert!(referenced_id(&json!({})).is_err());
        assert!(
            referenced_id(&json!({"@odata.id": "https://x/v1.0/directoryObjects/nope"})).is_err()
        );
    }
}
