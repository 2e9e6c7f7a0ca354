//! Addressing users in Graph URLs. UPNs may hold `'`, `#`, `$`, `^` and non-ASCII characters,
//! each of which breaks a naively built URL in a different way.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters kept as they are in a path segment; everything else is percent-encoded (`#` →
/// `%23`, `/` → `%2F`, `?` → `%3F`, non-ASCII as UTF-8).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'\'');

/// Inside the key syntax `users('…')` the `$` stays literal, as Graph's documentation writes it.
const KEY: &AsciiSet = &SEGMENT.remove(b'$');

/// Characters kept in a query value: only the unreserved ones (space → `%20`, `'` → `%27`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `/users/{id-or-upn}`; a UPN beginning with `$` must use the key syntax `/users('$x@y')`,
/// as Graph would otherwise read it as a system query option.
pub fn user(id_or_upn: &str) -> String {
    if id_or_upn.starts_with('$') {
        let literal = id_or_upn.replace('\'', "''");
        format!("/users('{}')", utf8_percent_encode(&literal, KEY))
    } else {
        format!("/users/{}", utf8_percent_encode(id_or_upn, SEGMENT))
    }
}

/// The directory (admin) roles a user holds, directly or through a role-assignable group.
pub fn user_directory_roles(id: &str) -> String {
    format!(
        "{}/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,displayName",
        user(id)
    )
}

/// `/groups/{id}`. Group ids are object ids (GUIDs); anything else is encoded as a segment, so
/// no id can reach into another path.
pub fn group(id: &str) -> String {
    format!("/groups/{}", utf8_percent_encode(id, SEGMENT))
}

/// `POST` here with `{"@odata.id": ".../directoryObjects/{id}"}` adds a member.
pub fn group_members_ref(group_id: &str) -> String {
    format!("{}/members/$ref", group(group_id))
}

/// `DELETE` here removes one member.
pub fn group_member_ref(group_id: &str, member_id: &str) -> String {
    format!(
        "{}/members/{}/$ref",
        group(group_id),
        utf8_percent_encode(member_id, SEGMENT)
    )
}

/// A `$search` clause on one property: `"property:text"`, with `"` and `\` escaped by a
/// backslash as the `$search` grammar asks, percent-encoded for the query string.
pub fn search(property: &str, text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "$search={}",
        query_value(&format!("\"{property}:{escaped}\""))
    )
}

/// `$filter=id eq 'a' or id eq 'b' ...`: the only filter the groups delta query accepts.
pub fn filter_ids(ids: &[&str]) -> String {
    let clause: Vec<String> = ids
        .iter()
        .map(|id| format!("id eq {}", literal(id)))
        .collect();
    format!("$filter={}", query_value(&clause.join(" or ")))
}

/// An OData string literal: single quotes doubled, wrapped in quotes.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A query-string value, percent-encoded.
pub fn query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// `$filter={property} eq '{value}'`, ready to append after `?`.
pub fn filter_eq(property: &str, value: &str) -> String {
    format!(
        "$filter={}",
        query_value(&format!("{property} eq {}", literal(value)))
    )
}

pub fn select(properties: &[&str]) -> String {
    format!("$select={}", properties.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_paths() {
        let cases = [
            (
                "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "/users/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            ),
            ("o'brien@contoso.com", "/users/o'brien@contoso.com"),
            ("a#b@contoso.com", "/users/a%23b@contoso.com"),
            ("$adm@contoso.com", "/users('$adm@contoso.com')"),
            ("$o'x#@contoso.com", "/users('$o''x%23@contoso.com')"),
            ("zoë@contoso.com", "/users/zo%C3%AB@contoso.com"),
            ("a/b?c@contoso.com", "/users/a%2Fb%3Fc@contoso.com"),
        ];
        for (input, want) in cases {
            assert_eq!(user(input), want, "{input}");
        }
    }

    #[test]
    fn group_paths_and_queries() {
        assert_eq!(
            group_member_ref("g/1", "u?2"),
            "/groups/g%2F1/members/u%3F2/$ref"
        );
        assert_eq!(group_members_ref("g1"), "/groups/g1/members/$ref");
        assert_eq!(
            search("displayName", "R&D \"x\""),
            "$search=%22displayName%3AR%26D%20%5C%22x%5C%22%22"
        );
        assert_eq!(
            filter_ids(&["a", "b'c"]),
            "$filter=id%20eq%20%27a%27%20or%20id%20eq%20%27b%27%27c%27"
        );
    }

    #[test]
    fn filters_double_quotes_and_encode() {
        assert_eq!(
            filter_eq("mail", "o'brien@example.com"),
            "$filter=mail%20eq%20%27o%27%27brien%40example.com%27"
        );
        assert_eq!(
            filter_eq("userPrincipalName", "zoë&x=1@c.com"),
            "$filter=userPrincipalName%20eq%20%27zo%C3%AB%26x%3D1%40c.com%27"
        );
    }
}
