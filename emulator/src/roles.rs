//! Directory roles (admin roles) that users hold, and the membership reads that list them:
//! `users/{id}/memberOf` and `users/{id}/transitiveMemberOf`, with or without the
//! `microsoft.graph.directoryRole` cast.
//!
//! A role is known by its display name. Built-in roles in [`CATALOGUE`] carry Microsoft's
//! template id and description; any other name gets a template id derived from the name. The
//! object id of a role is derived from the name too, so it is the same in every run and after a
//! reset, as an activated role's id is stable in a real tenant. The emulator has no groups or
//! administrative units, so a user's memberships are exactly its roles, direct and transitive
//! alike.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::errors::{GraphError, Reply};
use crate::graph::{next_link, resource_units};
use crate::odata::Query;
use crate::server::GraphRequest;
use crate::state::Shared;
use crate::token::Caller;

/// Built-in roles: display name, template id, description, as Microsoft's "Microsoft Entra
/// built-in roles" reference lists them.
const CATALOGUE: &[(&str, &str, &str)] = &[
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
        "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
    ),
    (
        "User Administrator",
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        "Can manage all aspects of users and groups, including resetting passwords for limited admins.",
    ),
    (
        "Privileged Role Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.",
    ),
    (
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Can manage all aspects of the Exchange product.",
    ),
    (
        "Privileged Authentication Administrator",
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Can access to view, set and reset authentication method information for any user (admin or non-admin).",
    ),
    (
        "Authentication Administrator",
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Can access to view, set and reset authentication method information for any non-admin user.",
    ),
    (
        "Helpdesk Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Can reset passwords for non-administrators and Helpdesk Administrators.",
    ),
    (
        "Password Administrator",
        "966707d0-3269-4727-9be2-8c3a10f19b9d",
        "Can reset passwords for non-administrators and Password Administrators.",
    ),
    (
        "Security Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.",
    ),
    (
        "SharePoint Administrator",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "Can manage all aspects of the SharePoint service.",
    ),
    (
        "Teams Administrator",
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Can manage the Microsoft Teams service.",
    ),
    (
        "Application Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Can create and manage all aspects of app registrations and enterprise apps.",
    ),
    (
        "Cloud Application Administrator",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.",
    ),
    (
        "Groups Administrator",
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        "Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.",
    ),
    (
        "Billing Administrator",
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Can perform common billing related tasks like updating payment information.",
    ),
    (
        "Conditional Access Administrator",
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Can manage Conditional Access capabilities.",
    ),
    (
        "Intune Administrator",
        "3a2c62db-5318-420d-8d74-23affee5d9d5",
        "Can manage all aspects of the Intune product.",
    ),
    (
        "Global Reader",
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "Can read everything that a Global Administrator can, but not update anything.",
    ),
    (
        "Directory Readers",
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Can read basic directory information. Commonly used to grant directory read access to applications and guests.",
    ),
];

/// Properties of `microsoft.graph.directoryRole`, in the order the emulator returns them.
const PROPS: &[&str] = &[
    "id",
    "displayName",
    "description",
    "roleTemplateId",
    "deletedDateTime",
];
/// What is returned without `$select` (a role is never deleted, so `deletedDateTime` is left
/// out unless asked for).
const DEFAULT_SET: &[usize] = &[0, 1, 2, 3];

fn catalogue_entry(name: &str) -> Option<&'static (&'static str, &'static str, &'static str)> {
    CATALOGUE
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
}

/// A GUID-shaped id derived from `kind` and the case-folded name: stable across runs.
fn derived_guid(kind: &str, name: &str) -> String {
    let digest = Sha256::digest(format!(
        "entra-graph-emulator/{kind}/{}",
        name.to_lowercase()
    ));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The object id of the role with this display name.
pub(crate) fn role_id(name: &str) -> String {
    derived_guid("directoryRole", name)
}

/// The template id: Microsoft's for a built-in role, derived from the name otherwise.
pub(crate) fn template_id(name: &str) -> String {
    match catalogue_entry(name) {
        Some((_, t, _)) => (*t).to_string(),
        None => derived_guid("directoryRoleTemplate", name),
    }
}

/// Trim, spell built-in roles as Microsoft does, and drop case-insensitive duplicates (the
/// first spelling wins). An empty name is refused.
pub(crate) fn normalize<S: AsRef<str>>(names: &[S]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for n in names {
        let n = n.as_ref().trim();
        if n.is_empty() {
            return Err("a directory role name must not be empty".into());
        }
        let name = catalogue_entry(n).map_or_else(|| n.to_string(), |(c, _, _)| c.to_string());
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    Ok(out)
}

/// `$select` for directory roles; `None` = the default set. `id` is always returned.
fn parse_select(select: Option<&str>) -> Result<Option<Vec<usize>>, GraphError> {
    let Some(s) = select else { return Ok(None) };
    let mut out = vec![0];
    for part in s.split(',') {
        let name = part.trim();
        if name.is_empty() {
            continue;
        }
        let idx = PROPS
            .iter()
            .position(|p| p.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.directoryRole'."
                ))
            })?;
        if !out.contains(&idx) {
            out.push(idx);
        }
    }
    Ok(Some(out))
}

/// One role as a member of a `directoryObject` collection.
fn render(name: &str, select: Option<&[usize]>) -> Value {
    let mut m = Map::new();
    m.insert(
        "@odata.type".into(),
        Value::String("#microsoft.graph.directoryRole".into()),
    );
    for &idx in select.unwrap_or(DEFAULT_SET) {
        let v = match PROPS[idx] {
            "id" => Value::String(role_id(name)),
            "displayName" => Value::String(name.to_string()),
            "description" => catalogue_entry(name)
                .map_or(Value::Null, |(_, _, d)| Value::String((*d).to_string())),
            "roleTemplateId" => Value::String(template_id(name)),
            _ => Value::Null,
        };
        m.insert(PROPS[idx].to_string(), v);
    }
    Value::Object(m)
}

/// Which membership listing a path after `users/{key}` asks for: `Some(cast)` where `cast`
/// says whether the `microsoft.graph.directoryRole` cast is present.
pub(crate) fn membership_route(nav: &[&str]) -> Option<bool> {
    let (first, rest) = nav.split_first()?;
    let known = ["memberOf", "transitiveMemberOf"];
    if !known.iter().any(|k| k.eq_ignore_ascii_case(first)) {
        return None;
    }
    match rest {
        [] => Some(false),
        [cast] if cast.eq_ignore_ascii_case("microsoft.graph.directoryRole") => Some(true),
        _ => None,
    }
}

fn skiptoken_encode(offset: usize) -> String {
    crate::b64url(format!("emu-roles:{offset}").as_bytes())
}

fn skiptoken_decode(token: &str) -> Option<usize> {
    let raw = crate::b64url_decode(token)?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("emu-roles:")?
        .parse()
        .ok()
}

/// `GET users/{key}/memberOf[/microsoft.graph.directoryRole]` and the transitive variant.
pub(crate) fn list_memberships(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
    key: &str,
    cast: bool,
) -> Result<Reply, GraphError> {
    if req.method != "GET" {
        return Err(GraphError::method_not_allowed());
    }
    caller.require_membership_read()?;
    q.reject_unsupported()?;
    if q.filter.is_some() {
        return Err(GraphError::unsupported_query(
            "The emulator does not support $filter on memberships.",
        ));
    }
    let page = q.page_size(100)?;
    let select = parse_select(q.select.as_deref())?;
    let count = q.count_requested()?;
    if count && !crate::graph::consistency_eventual(req) {
        return Err(GraphError::request_bad_request(
            "$count is not currently supported.",
        ));
    }
    let offset = match q.skiptoken.as_deref() {
        None => 0,
        Some(t) => skiptoken_decode(t)
            .ok_or_else(|| GraphError::request_bad_request("Invalid skip token."))?,
    };
    let store = shared.store.read();
    let k = store
        .resolve_active(key)
        .ok_or_else(|| GraphError::not_found(key))?;
    let roles = &store.users[&k].roles;
    let value: Vec<Value> = roles
        .iter()
        .skip(offset)
        .take(page)
        .map(|r| render(r, select.as_deref()))
        .collect();
    let mut m = Map::new();
    let context = if cast {
        "directoryObjects(microsoft.graph.directoryRole)"
    } else {
        "directoryObjects"
    };
    m.insert(
        "@odata.context".into(),
        Value::String(format!("{}/v1.0/$metadata#{context}", shared.base_url)),
    );
    if count {
        m.insert("@odata.count".into(), Value::from(roles.len()));
    }
    if offset + page < roles.len() {
        m.insert(
            "@odata.nextLink".into(),
            Value::String(next_link(
                &shared.base_url,
                &req.path,
                req.query.as_deref(),
                &skiptoken_encode(offset + page),
            )),
        );
    }
    m.insert("value".into(), Value::Array(value));
    Ok(Reply::json(200, Value::Object(m))
        .with_header("x-ms-resource-unit", resource_units(false, q).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_templates_real() {
        assert_eq!(
            template_id("global administrator"),
            "62e90394-69f5-4237-9190-012177145e10"
        );
        assert_eq!(
            role_id("Global Administrator"),
            role_id("GLOBAL ADMINISTRATOR")
        );
        assert_ne!(
            role_id("Global Administrator"),
            role_id("User Administrator")
        );
        assert_ne!(
            role_id("Global Administrator"),
            template_id("Global Administrator")
        );
        let custom = template_id("Tape Librarian");
        assert!(crate::users::looks_like_guid(&custom), "{custom}");
        assert!(crate::users::looks_like_guid(&role_id("Tape Librarian")));
        assert_eq!(custom, template_id("tape librarian"));
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(
            normalize(&[" user administrator ", "Custom", "USER ADMINISTRATOR"]).unwrap(),
            vec!["User Administrator", "Custom"]
        );
        assert!(normalize(&["ok", " "]).is_err());
        assert!(normalize::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn routes_and_select() {
        assert_eq!(membership_route(&["transitiveMemberOf"]), Some(false));
        assert_eq!(
            membership_route(&["memberOf", "microsoft.graph.directoryRole"]),
            Some(true)
        );
        assert_eq!(
            membership_route(&["transitiveMemberOf", "microsoft.graph.group"]),
            None
        );
        assert_eq!(membership_route(&["manager"]), None);
        assert_eq!(
            parse_select(Some("displayName,roleTemplateId")).unwrap(),
            Some(vec![0, 1, 3])
        );
        assert!(parse_select(Some("nosuch")).is_err());
    }
}
