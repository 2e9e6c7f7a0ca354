//! Collections of directory objects reached through relationships: `groups/{id}/members`,
//! `groups/{id}/transitiveMembers`, `groups/{id}/memberOf`, `groups/{id}/transitiveMemberOf`,
//! `users/{id}/memberOf` and `users/{id}/transitiveMemberOf`, each with an optional OData cast
//! segment (`microsoft.graph.user`, `microsoft.graph.group`, `microsoft.graph.directoryRole`)
//! and an optional `/$count`.
//!
//! As Graph does for `directoryObject` collections, every item carries `@odata.type`, a
//! `$select` applies to each item as far as its type has the property, pages hold 100 items
//! unless `$top` says otherwise, and `@odata.nextLink` repeats the query with a new
//! `$skiptoken`. `$count` (the segment or `$count=true`) is an advanced query and needs
//! `ConsistencyLevel: eventual` ("Advanced query capabilities on directory objects"; the
//! "List group members" and "List group transitive members" examples send it).

use serde_json::{Map, Value};

use super::schema;
use super::store::{Group, GroupStore, MemberType};
use crate::errors::{GraphError, Reply};
use crate::graph::{
    consistency_eventual, metadata_context, next_link, resource_units, skiptoken_encode,
    skiptoken_position,
};
use crate::odata::Query;
use crate::server::GraphRequest;
use crate::users::{Store, User};

/// The type an OData cast segment narrows a collection to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cast {
    Any,
    User,
    Group,
    DirectoryRole,
}

impl Cast {
    fn parse(seg: &str) -> Option<Cast> {
        [
            ("microsoft.graph.user", Cast::User),
            ("microsoft.graph.group", Cast::Group),
            ("microsoft.graph.directoryRole", Cast::DirectoryRole),
        ]
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(seg))
        .map(|(_, c)| *c)
    }

    fn context(self) -> &'static str {
        match self {
            Cast::Any => "directoryObjects",
            Cast::User => "users",
            Cast::Group => "groups",
            Cast::DirectoryRole => "directoryObjects(microsoft.graph.directoryRole)",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Cast::Any => "microsoft.graph.directoryObject",
            Cast::User => "microsoft.graph.user",
            Cast::Group => "microsoft.graph.group",
            Cast::DirectoryRole => "microsoft.graph.directoryRole",
        }
    }

    fn admits(self, kind: ObjKind) -> bool {
        matches!(
            (self, kind),
            (Cast::Any, _)
                | (Cast::User, ObjKind::User)
                | (Cast::Group, ObjKind::Group)
                | (Cast::DirectoryRole, ObjKind::Role)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjKind {
    User,
    Group,
    Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Members,
    TransitiveMembers,
    MemberOf,
    TransitiveMemberOf,
}

impl Relation {
    fn parse(seg: &str) -> Option<Relation> {
        [
            ("members", Relation::Members),
            ("transitiveMembers", Relation::TransitiveMembers),
            ("memberOf", Relation::MemberOf),
            ("transitiveMemberOf", Relation::TransitiveMemberOf),
        ]
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(seg))
        .map(|(_, r)| *r)
    }
}

/// A read of a relationship: which one, the cast, and whether it is the `/$count` segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nav {
    pub relation: Relation,
    pub cast: Cast,
    pub count: bool,
}

/// `members[/cast][/$count]` and the like; `None` for anything else.
pub(crate) fn parse_nav(nav: &[&str]) -> Option<Nav> {
    let (first, rest) = nav.split_first()?;
    let relation = Relation::parse(first)?;
    let (cast, rest) = match rest.split_first() {
        Some((seg, tail)) if Cast::parse(seg).is_some() => (Cast::parse(seg)?, tail),
        _ => (Cast::Any, rest),
    };
    let count = match rest {
        [] => false,
        ["$count"] => true,
        _ => return None,
    };
    Some(Nav {
        relation,
        cast,
        count,
    })
}

enum Obj<'a> {
    User(&'a User),
    Group(&'a Group),
    Role(&'a str),
}

impl Obj<'_> {
    fn kind(&self) -> ObjKind {
        match self {
            Obj::User(_) => ObjKind::User,
            Obj::Group(_) => ObjKind::Group,
            Obj::Role(_) => ObjKind::Role,
        }
    }
}

/// `$search` on directory objects is an advanced query: without `ConsistencyLevel: eventual`
/// Graph refuses it. The message is the service's, as quoted in microsoftgraph/msgraph-metadata
/// issue 185 ("Request with $search query parameter only works through MSGraph with a special
/// request header: 'Consistency: eventual'", sic).
pub(crate) fn search_needs_eventual(req: &GraphRequest, q: &Query) -> Result<(), GraphError> {
    if q.search.is_some() && !consistency_eventual(req) {
        return Err(GraphError::unsupported_query(
            "Request with $search query parameter only works through MSGraph with a special request header: 'Consistency: eventual'",
        ));
    }
    Ok(())
}

/// `$count` (segment or `$count=true`) without `ConsistencyLevel: eventual`: the same answer
/// the users endpoints give.
pub(crate) fn count_not_supported() -> GraphError {
    GraphError::request_bad_request("$count is not currently supported.")
}

/// The `$select` names, each checked against the types the cast admits.
fn select_names(q: &Query, cast: Cast) -> Result<Option<Vec<String>>, GraphError> {
    let Some(s) = q.select.as_deref() else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for part in s.split(',') {
        let name = part.trim();
        if name.is_empty() {
            continue;
        }
        let known = (cast.admits(ObjKind::User) && crate::users::prop_index_ci(name).is_some())
            || (cast.admits(ObjKind::Group) && schema::prop_index(name).is_some())
            || (cast.admits(ObjKind::Role) && crate::roles::is_property(name));
        if !known {
            return Err(GraphError::bad_request(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type '{}'.",
                cast.type_name()
            )));
        }
        out.push(name.to_string());
    }
    Ok(Some(out))
}

fn render_user(u: &User, names: Option<&[String]>) -> Value {
    let mut m = Map::new();
    m.insert(
        "@odata.type".into(),
        Value::String(MemberType::User.odata_type().into()),
    );
    let sel: Option<Vec<usize>> = names.map(|ns| {
        let mut v = vec![crate::users::ID];
        v.extend(
            ns.iter()
                .filter_map(|n| crate::users::prop_index_ci(n))
                .filter(|i| *i != crate::users::ID),
        );
        v
    });
    m.extend(u.render(sel.as_deref()));
    Value::Object(m)
}

pub(crate) fn render_group(g: &Group, names: Option<&[String]>) -> Value {
    let mut m = Map::new();
    m.insert(
        "@odata.type".into(),
        Value::String(MemberType::Group.odata_type().into()),
    );
    let sel: Option<Vec<usize>> = names.map(|ns| {
        let mut v = vec![0];
        v.extend(
            ns.iter()
                .filter_map(|n| schema::prop_index(n))
                .filter(|i| *i != 0),
        );
        v
    });
    m.extend(schema::render(g, sel.as_deref()));
    Value::Object(m)
}

/// The members (direct or transitive) of a group as objects, in membership order.
fn member_objects<'a>(
    users: &'a Store,
    groups: &'a GroupStore,
    key: u64,
    transitive: bool,
) -> Vec<Obj<'a>> {
    let members = if transitive {
        groups.transitive_members(key)
    } else {
        groups
            .groups
            .get(&key)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    };
    members
        .iter()
        .filter_map(|m| match m.kind {
            MemberType::User => users
                .resolve_active(&m.id)
                .and_then(|k| users.users.get(&k))
                .map(Obj::User),
            MemberType::Group => groups.get(&m.id).map(Obj::Group),
        })
        .collect()
}

/// The object whose relationship is read: a user (by id or UPN) or a group (by id).
pub(crate) enum Subject<'k> {
    User(&'k str),
    Group(&'k str),
}

/// Answer a relationship read. Permission was checked by the caller.
pub(crate) fn list(
    shared: &crate::state::Shared,
    req: &GraphRequest,
    q: &Query,
    subject: Subject<'_>,
    nav: Nav,
) -> Result<Reply, GraphError> {
    if req.method != "GET" {
        return Err(GraphError::method_not_allowed());
    }
    search_needs_eventual(req, q)?;
    if q.search.is_some() || q.filter.is_some() || q.orderby.is_some() {
        return Err(GraphError::unsupported_query(
            "The emulator does not support $search, $filter or $orderby on relationships.",
        ));
    }
    if q.expand.is_some() || q.skip.is_some() {
        q.reject_unsupported()?;
    }
    let eventual = consistency_eventual(req);
    let count_param = q.count_requested()?;
    if (nav.count || count_param) && !eventual {
        return Err(count_not_supported());
    }
    let page = q.page_size(100)?;
    let names = select_names(q, nav.cast)?;
    let offset = skiptoken_position("objects", q.skiptoken.as_deref())? as usize;
    let users = shared.store.read();
    let groups = shared.groups.read();
    let objects: Vec<Obj<'_>> = match subject {
        Subject::User(key) => {
            let k = users
                .resolve_active(key)
                .ok_or_else(|| GraphError::not_found(key))?;
            let user = &users.users[&k];
            let parents = match nav.relation {
                Relation::MemberOf => groups.direct_parents(&user.id),
                Relation::TransitiveMemberOf => groups.transitive_parents(&user.id),
                _ => return Err(GraphError::segment_not_found(relation_name(nav.relation))),
            };
            let mut objs: Vec<Obj<'_>> = parents.into_iter().map(Obj::Group).collect();
            objs.extend(user.roles.iter().map(|r| Obj::Role(r.as_str())));
            objs
        }
        Subject::Group(id) => {
            let g = groups.get(id).ok_or_else(|| GraphError::not_found(id))?;
            match nav.relation {
                Relation::Members => member_objects(&users, &groups, g.key, false),
                Relation::TransitiveMembers => member_objects(&users, &groups, g.key, true),
                Relation::MemberOf => groups
                    .direct_parents(&g.id)
                    .into_iter()
                    .map(Obj::Group)
                    .collect(),
                Relation::TransitiveMemberOf => groups
                    .transitive_parents(&g.id)
                    .into_iter()
                    .map(Obj::Group)
                    .collect(),
            }
        }
    };
    let objects: Vec<Obj<'_>> = objects
        .into_iter()
        .filter(|o| nav.cast.admits(o.kind()))
        .collect();
    if nav.count {
        return Ok(Reply::text(200, objects.len().to_string()));
    }
    let value: Vec<Value> = objects
        .iter()
        .skip(offset)
        .take(page)
        .map(|o| match o {
            Obj::User(u) => render_user(u, names.as_deref()),
            Obj::Group(g) => render_group(g, names.as_deref()),
            Obj::Role(r) => crate::roles::render_selected(r, names.as_deref()),
        })
        .collect();
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        metadata_context(&shared.base_url, nav.cast.context(), None, false),
    );
    if count_param {
        m.insert("@odata.count".into(), Value::from(objects.len()));
    }
    if offset + page < objects.len() {
        m.insert(
            "@odata.nextLink".into(),
            Value::String(next_link(
                &shared.base_url,
                &req.path,
                req.query.as_deref(),
                &skiptoken_encode("objects", (offset + page) as u64),
            )),
        );
    }
    m.insert("value".into(), Value::Array(value));
    Ok(Reply::json(200, Value::Object(m))
        .with_header("x-ms-resource-unit", resource_units(false, q).to_string()))
}

fn relation_name(r: Relation) -> &'static str {
    match r {
        Relation::Members => "members",
        Relation::TransitiveMembers => "transitiveMembers",
        Relation::MemberOf => "memberOf",
        Relation::TransitiveMemberOf => "transitiveMemberOf",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navs_parse() {
        assert_eq!(
            parse_nav(&["transitiveMemberOf", "microsoft.graph.group"]),
            Some(Nav {
                relation: Relation::TransitiveMemberOf,
                cast: Cast::Group,
                count: false
            })
        );
        assert_eq!(
            parse_nav(&["members", "$count"]).map(|n| n.count),
            Some(true)
        );
        assert_eq!(
            parse_nav(&["members", "microsoft.graph.user", "$count"]).map(|n| n.cast),
            Some(Cast::User)
        );
        assert_eq!(parse_nav(&["manager"]), None);
        assert_eq!(parse_nav(&["members", "x", "y"]), None);
    }
}
