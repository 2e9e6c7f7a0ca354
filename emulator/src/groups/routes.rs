//! The groups endpoints: `GET /groups` ("List groups"), `GET /groups/$count`,
//! `GET /groups/{id}` ("Get group"), and the relationship routes under `/groups/{id}/`.

use serde_json::{Map, Value};

use super::listing::{self, Nav, Subject, count_not_supported, search_needs_eventual};
use super::query::{GroupFilter, GroupSearch, parse_filter, parse_search};
use super::schema::{self, PROPS, parse_select};
use super::store::{Group, GroupStore};
use crate::errors::{GraphError, Reply};
use crate::graph::{
    consistency_eventual, metadata_context, next_link, resource_units, skiptoken_encode,
    skiptoken_position,
};
use crate::odata::Query;
use crate::server::GraphRequest;
use crate::state::Shared;
use crate::token::Caller;

const PAGE_SIZE: usize = 100;

fn context(base: &str, props: Option<&[usize]>, entity: bool) -> Value {
    let names: Option<Vec<&str>> = props.map(|sel| sel.iter().map(|i| PROPS[*i]).collect());
    metadata_context(base, "groups", names.as_deref(), entity)
}

/// The query options every groups read shares: `$search` and `$count` need
/// `ConsistencyLevel: eventual`; `$orderby`, `$expand` and `$skip` are not modelled.
fn filters(
    req: &GraphRequest,
    q: &Query,
    count_segment: bool,
) -> Result<(Option<GroupFilter>, Option<GroupSearch>, bool), GraphError> {
    search_needs_eventual(req, q)?;
    let count = q.count_requested()?;
    if (count || count_segment) && !consistency_eventual(req) {
        return Err(count_not_supported());
    }
    if q.orderby.is_some() || q.expand.is_some() || q.skip.is_some() {
        q.reject_unsupported()?;
    }
    let filter = q.filter.as_deref().map(parse_filter).transpose()?;
    let search = q.search.as_deref().map(parse_search).transpose()?;
    Ok((filter, search, count))
}

fn matching<'a>(
    groups: &'a GroupStore,
    filter: Option<&GroupFilter>,
    search: Option<&GroupSearch>,
) -> Vec<&'a Group> {
    groups
        .groups
        .values()
        .filter(|g| filter.is_none_or(|f| f.matches(g)) && search.is_none_or(|s| s.matches(g)))
        .collect()
}

pub(crate) fn list(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
) -> Result<Reply, GraphError> {
    caller.require_group_read()?;
    let (filter, search, count) = filters(req, q, false)?;
    let page = q.page_size(PAGE_SIZE)?;
    let select = parse_select(q.select.as_deref(), false)?;
    let after = skiptoken_position("groups", q.skiptoken.as_deref())?;
    let groups = shared.groups.read();
    let all = matching(&groups, filter.as_ref(), search.as_ref());
    let rest: Vec<&Group> = all.iter().copied().filter(|g| g.key > after).collect();
    let shown = &rest[..rest.len().min(page)];
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        context(&shared.base_url, select.props.as_deref(), false),
    );
    if count {
        m.insert("@odata.count".into(), Value::from(all.len()));
    }
    if rest.len() > page
        && let Some(last) = shown.last()
    {
        m.insert(
            "@odata.nextLink".into(),
            Value::String(next_link(
                &shared.base_url,
                &req.path,
                req.query.as_deref(),
                &skiptoken_encode("groups", last.key),
            )),
        );
    }
    let value: Vec<Value> = shown
        .iter()
        .map(|g| Value::Object(schema::render(g, select.props.as_deref())))
        .collect();
    m.insert("value".into(), Value::Array(value));
    Ok(Reply::json(200, Value::Object(m))
        .with_header("x-ms-resource-unit", resource_units(true, q).to_string()))
}

/// `GET /groups/$count`: text/plain, advanced query only.
pub(crate) fn count(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
) -> Result<Reply, GraphError> {
    caller.require_group_read()?;
    let (filter, search, _) = filters(req, q, true)?;
    let groups = shared.groups.read();
    let n = matching(&groups, filter.as_ref(), search.as_ref()).len();
    Ok(Reply::text(200, n.to_string()))
}

pub(crate) fn get(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
    id: &str,
) -> Result<Reply, GraphError> {
    if req.method != "GET" {
        return Err(GraphError::method_not_allowed());
    }
    caller.require_group_read()?;
    let select = parse_select(q.select.as_deref(), false)?;
    let groups = shared.groups.read();
    let g = groups.get(id).ok_or_else(|| GraphError::not_found(id))?;
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        context(&shared.base_url, select.props.as_deref(), true),
    );
    m.extend(schema::render(g, select.props.as_deref()));
    Ok(Reply::json(200, Value::Object(m))
        .with_header("x-ms-resource-unit", resource_units(false, q).to_string()))
}

/// Everything under `/groups/{id}/`.
pub(crate) fn navigation(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
    id: &str,
    nav: &[&str],
) -> Result<Reply, GraphError> {
    let m = req.method.as_str();
    match nav {
        [members, r] if members.eq_ignore_ascii_case("members") && *r == "$ref" => match m {
            "POST" => super::membership::add(shared, req, caller, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        [members, member, r] if members.eq_ignore_ascii_case("members") && *r == "$ref" => {
            match m {
                "DELETE" => super::membership::remove(shared, caller, id, member),
                _ => Err(GraphError::method_not_allowed()),
            }
        }
        _ => match listing::parse_nav(nav) {
            Some(n) => read(shared, req, caller, q, Subject::Group(id), n),
            None => Err(GraphError::segment_not_found(nav[0])),
        },
    }
}

fn read(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
    subject: Subject<'_>,
    nav: Nav,
) -> Result<Reply, GraphError> {
    caller.require_group_read()?;
    listing::list(shared, req, q, subject, nav)
}

/// `users/{id}/memberOf` and `users/{id}/transitiveMemberOf` (groups, then directory roles).
/// "List a user's memberships" as an application: User.Read.All or higher, or the group read
/// permissions.
pub(crate) fn user_memberships(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
    key: &str,
    nav: &[&str],
) -> Result<Reply, GraphError> {
    match listing::parse_nav(nav) {
        Some(n)
            if matches!(
                n.relation,
                listing::Relation::MemberOf | listing::Relation::TransitiveMemberOf
            ) =>
        {
            if req.method != "GET" {
                return Err(GraphError::method_not_allowed());
            }
            caller.require_membership_read()?;
            listing::list(shared, req, q, Subject::User(key), n)
        }
        _ => Err(GraphError::segment_not_found(nav[0])),
    }
}
