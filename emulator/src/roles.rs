//! Directory roles (admin roles) that users hold. The membership reads that list them
//! (`users/{id}/memberOf`, `users/{id}/transitiveMemberOf`, with or without the
//! `microsoft.graph.directoryRole` cast) are served by `groups::listing`, next to groups.
//!
//! A role is known by its display name. Built-in roles in [`CATALOGUE`] carry Microsoft's
//! template id and description; any other name gets a template id derived from the name. The
//! object id of a role is derived from the name too, so it is the same in every run and after a
//! reset, as an activated role's id is stable in a real tenant. Roles are held directly (the
//! emulator models no role assignment through role-assignable groups), so they appear alike in
//! `memberOf` and `transitiveMemberOf`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

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

/// Whether `name` is a property of `microsoft.graph.directoryRole`.
pub(crate) fn is_property(name: &str) -> bool {
    PROPS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// One role in a mixed `directoryObject` collection: `names` is the request's `$select`, of
/// which only the role's own properties apply (`id` always).
pub(crate) fn render_selected(name: &str, names: Option<&[String]>) -> Value {
    let sel: Option<Vec<usize>> = names.map(|ns| {
        let mut v = vec![0];
        for n in ns {
            if let Some(i) = PROPS.iter().position(|p| p.eq_ignore_ascii_case(n))
                && !v.contains(&i)
            {
                v.push(i);
            }
        }
        v
    });
    render(name, sel.as_deref())
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
    fn selected_rendering_keeps_id_and_type() {
        let names = vec!["displayName".to_string(), "nosuch".to_string()];
        let v = render_selected("Global Administrator", Some(&names));
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, vec!["@odata.type", "id", "displayName"]);
        assert!(is_property("roleTemplateId"));
        assert!(!is_property("members"));
    }
}
