//! Properties of `microsoft.graph.group` the emulator models, `$select` over them, and how a
//! group is rendered.

use serde_json::{Map, Value};

use super::store::Group;
use crate::errors::GraphError;

/// Properties of the group resource type ("group resource type", v1.0) that the emulator
/// stores, in the order they are returned.
pub(crate) const PROPS: &[&str] = &[
    "id",
    "deletedDateTime",
    "createdDateTime",
    "description",
    "displayName",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "securityEnabled",
    "onPremisesSyncEnabled",
];

/// `members` is a relationship, not a property, but groups delta accepts it in `$select`
/// ("group: delta": `$select=displayName,members` tracks membership changes).
pub(crate) const MEMBERS: &str = "members";

pub(crate) fn prop_index(name: &str) -> Option<usize> {
    PROPS.iter().position(|p| p.eq_ignore_ascii_case(name))
}

pub(crate) fn unknown_property(name: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.group'."
    ))
}

/// A `$select` on groups: property indexes (`id` always first) and whether `members` was
/// named. `None` = the default set (every property, no members).
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupSelect {
    pub props: Option<Vec<usize>>,
    pub members: bool,
}

pub(crate) fn parse_select(
    select: Option<&str>,
    allow_members: bool,
) -> Result<GroupSelect, GraphError> {
    let Some(s) = select else {
        return Ok(GroupSelect::default());
    };
    let mut props = vec![0];
    let mut members = false;
    for part in s.split(',') {
        let name = part.trim();
        if name.is_empty() {
            continue;
        }
        if allow_members && name.eq_ignore_ascii_case(MEMBERS) {
            members = true;
            continue;
        }
        let idx = prop_index(name).ok_or_else(|| unknown_property(name))?;
        if !props.contains(&idx) {
            props.push(idx);
        }
    }
    Ok(GroupSelect {
        props: Some(props),
        members,
    })
}

fn opt(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |v| Value::String(v.clone()))
}

fn value(g: &Group, idx: usize) -> Value {
    match PROPS[idx] {
        "id" => Value::String(g.id.clone()),
        "deletedDateTime" => Value::Null,
        "createdDateTime" => Value::String(g.created.clone()),
        "description" => opt(&g.description),
        "displayName" => Value::String(g.display_name.clone()),
        "groupTypes" => Value::Array(
            g.group_types
                .iter()
                .map(|t| Value::String(t.clone()))
                .collect(),
        ),
        "isAssignableToRole" => Value::Bool(g.is_assignable_to_role),
        "mail" => opt(&g.mail),
        "mailEnabled" => Value::Bool(g.mail_enabled),
        "mailNickname" => Value::String(g.mail_nickname.clone()),
        "membershipRule" => opt(&g.membership_rule),
        "membershipRuleProcessingState" => opt(&g.membership_rule_processing_state),
        "securityEnabled" => Value::Bool(g.security_enabled),
        // Every emulated group is cloud-only; Graph answers null for a group never synced from
        // on-premises Active Directory.
        "onPremisesSyncEnabled" => Value::Null,
        _ => Value::Null,
    }
}

/// The selected properties (all of them without `$select`).
pub(crate) fn render(g: &Group, props: Option<&[usize]>) -> Map<String, Value> {
    let mut m = Map::new();
    match props {
        Some(sel) => {
            for &i in sel {
                m.insert(PROPS[i].to_string(), value(g, i));
            }
        }
        None => {
            for (i, name) in PROPS.iter().enumerate() {
                m.insert(name.to_string(), value(g, i));
            }
        }
    }
    m
}

/// The value of a string property for `$filter` and `$search`.
pub(crate) fn str_value(g: &Group, idx: usize) -> Option<&str> {
    match PROPS[idx] {
        "id" => Some(&g.id),
        "displayName" => Some(&g.display_name),
        "description" => g.description.as_deref(),
        "mail" => g.mail.as_deref(),
        "mailNickname" => Some(&g.mail_nickname),
        "membershipRule" => g.membership_rule.as_deref(),
        _ => None,
    }
}

pub(crate) fn bool_value(g: &Group, idx: usize) -> Option<bool> {
    match PROPS[idx] {
        "mailEnabled" => Some(g.mail_enabled),
        "securityEnabled" => Some(g.security_enabled),
        "isAssignableToRole" => Some(g.is_assignable_to_role),
        _ => None,
    }
}
