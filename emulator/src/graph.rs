//! Graph routing under `/v1.0` and the users endpoints: list, get, create, update, delete,
//! deleted items (list, get, restore, permanent delete), `$count`. Groups, and a user's
//! memberships (groups and directory roles), are served by `groups`.
//!
//! Order of checks follows the service: authentication, then the route, then permission, then
//! the write budget (writes only), then the operation's own validation.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::errors::{GraphError, Ids, Reply};
use crate::odata::{Expr, IndexKey, Query, parse_filter, parse_select};
use crate::server::{GraphRequest, Outcome, ReqBody};
use crate::state::Shared;
use crate::throttle::Decision;
use crate::token::{self, Caller};
use crate::users::{self, DELETED, Mode, PROPS, Store, User};

/// Default page size of user collections.
const PAGE_SIZE: usize = 100;

pub(crate) async fn handle(
    shared: &Arc<Shared>,
    req: &GraphRequest,
    ids: &Ids,
    seq: u64,
) -> Outcome {
    if !req.in_batch && req.path.trim_end_matches('/') == "/v1.0/$batch" {
        return crate::batch::handle(shared, req, ids, seq).await;
    }
    Outcome::Reply(match route(shared, req) {
        Ok(reply) => reply,
        Err(e) => e.into_reply(ids),
    })
}

fn decode(seg: &str) -> String {
    percent_decode_str(seg).decode_utf8_lossy().into_owned()
}

/// `users('o''brien@contoso.com')` → `o'brien@contoso.com`.
fn paren_key(seg: &str) -> Option<String> {
    let inner = seg.strip_prefix("users(")?.strip_suffix(')')?;
    let lit = inner.strip_prefix('\'')?.strip_suffix('\'')?;
    // Inside the literal a quote must be doubled.
    let mut out = String::with_capacity(lit.len());
    let mut chars = lit.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
            } else {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

pub(crate) fn is_delta(seg: &str) -> bool {
    matches!(
        seg,
        "delta" | "delta()" | "microsoft.graph.delta" | "microsoft.graph.delta()"
    )
}

fn route(shared: &Shared, req: &GraphRequest) -> Result<Reply, GraphError> {
    let rest = match req.path.strip_prefix("/v1.0") {
        Some(r) if r.is_empty() || r.starts_with('/') => r,
        _ => {
            let first = req
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            return Err(GraphError::bad_request(format!(
                "Invalid version: {}",
                decode(first)
            )));
        }
    };
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let caller = token::authenticate(shared, &req.headers)?;
    let q = Query::parse(req.query.as_deref())?;
    let m = req.method.as_str();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["users"] => match m {
            "GET" => list(shared, req, &caller, &q, false),
            "POST" => create_user(shared, req, &caller),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["users", "$count"] => match m {
            "GET" => count(shared, req, &caller, &q),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["users", d] if is_delta(d) => match m {
            "GET" => {
                caller.require_read()?;
                crate::delta::handle(shared, &q)
            }
            _ => Err(GraphError::method_not_allowed()),
        },
        ["users", key] if key.starts_with('$') => Err(GraphError::segment_not_found(key)),
        ["users", key] => user_item(shared, req, &caller, &q, key),
        [seg] if seg.starts_with("users(") => match paren_key(seg) {
            Some(key) => user_item(shared, req, &caller, &q, &key),
            None => Err(GraphError::bad_request(format!(
                "Bad Request - Error in query syntax: '{seg}'."
            ))),
        },
        ["users", key, nav @ ..] if !key.starts_with('$') && !is_delta(key) => {
            crate::groups::user_memberships(shared, req, &caller, &q, key, nav)
        }
        [seg, nav @ ..] if seg.starts_with("users(") => match paren_key(seg) {
            Some(key) => crate::groups::user_memberships(shared, req, &caller, &q, &key, nav),
            None => Err(GraphError::bad_request(format!(
                "Bad Request - Error in query syntax: '{seg}'."
            ))),
        },
        ["users", _, sub, ..] => Err(GraphError::segment_not_found(sub)),
        ["groups"] => match m {
            "GET" => crate::groups::list(shared, req, &caller, &q),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["groups", "$count"] => match m {
            "GET" => crate::groups::count(shared, req, &caller, &q),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["groups", d] if is_delta(d) => match m {
            "GET" => {
                caller.require_group_read()?;
                crate::groups::delta(shared, &q)
            }
            _ => Err(GraphError::method_not_allowed()),
        },
        ["groups", key] if key.starts_with('$') => Err(GraphError::segment_not_found(key)),
        ["groups", id] => crate::groups::get(shared, req, &caller, &q, id),
        ["groups", id, nav @ ..] if !id.starts_with('$') && !is_delta(id) => {
            crate::groups::navigation(shared, req, &caller, &q, id, nav)
        }
        ["directory", "deletedItems", "microsoft.graph.user"] => match m {
            "GET" => list(shared, req, &caller, &q, true),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["directory", "deletedItems", id] => match m {
            "GET" => get_deleted(shared, &caller, &q, id),
            "DELETE" => purge(shared, &caller, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["directory", "deletedItems", id, action]
            if *action == "restore" || *action == "microsoft.graph.restore" =>
        {
            match m {
                "POST" => restore(shared, &caller, id),
                _ => Err(GraphError::method_not_allowed()),
            }
        }
        ["$batch"] => Err(GraphError::bad_request(
            "A batch request cannot contain another batch request.",
        )),
        [] => Err(GraphError::segment_not_found("v1.0")),
        [first, ..] => {
            let known = ["users", "groups", "directory"];
            let bad = if known.contains(first) {
                segs.get(1).copied().unwrap_or(first)
            } else {
                first
            };
            Err(GraphError::segment_not_found(bad))
        }
    }
}

fn user_item(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
    key: &str,
) -> Result<Reply, GraphError> {
    match req.method.as_str() {
        "GET" => get_user(shared, caller, q, key),
        "PATCH" => patch_user(shared, req, caller, key),
        "DELETE" => delete_user(shared, caller, key),
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// Permission (`permission`, e.g. [`Caller::require_write`]), then the write budget: every
/// write, to users or to group memberships, counts against the same per-app budget. Returns
/// headers to add to a successful answer.
pub(crate) fn write_gate(
    shared: &Shared,
    caller: &Caller,
    permission: fn(&Caller) -> Result<(), GraphError>,
) -> Result<Vec<(&'static str, String)>, GraphError> {
    permission(caller)?;
    shared
        .counters
        .write_attempts
        .fetch_add(1, Ordering::Relaxed);
    let Some(budget) = shared.write_budget() else {
        return Ok(Vec::new());
    };
    let now = shared.now_s();
    let decision = shared
        .throttle
        .lock()
        .record_write(&caller.client_id, &budget, now);
    let pct = |u: f64| format!("{:.2}", u.min(1.8));
    match decision {
        Decision::Allowed { usage } if usage > 0.8 => {
            Ok(vec![("x-ms-throttle-limit-percentage", pct(usage))])
        }
        Decision::Allowed { .. } => Ok(Vec::new()),
        Decision::Throttled {
            retry_after_s,
            usage,
        } => Err(
            GraphError::new(429, "TooManyRequests", "Too many requests.")
                .with_header("Retry-After", retry_after_s.to_string())
                .with_header("x-ms-throttle-limit-percentage", pct(usage))
                .with_header(
                    "x-ms-throttle-scope",
                    format!(
                        "Tenant_Application/Write/{}/{}",
                        caller.client_id, shared.tenant_id
                    ),
                )
                .with_header(
                    "x-ms-throttle-information",
                    "WriteLimitExceeded".to_string(),
                ),
        ),
    }
}

pub(crate) fn committed(shared: &Shared) {
    shared.counters.writes.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn json_body(req: &GraphRequest) -> Result<Cow<'_, Value>, GraphError> {
    const UNREADABLE: &str = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.";
    match &req.body {
        ReqBody::Json(Some(v)) => Ok(Cow::Borrowed(v)),
        ReqBody::Json(None) => Err(GraphError::bad_request(UNREADABLE)),
        ReqBody::Raw(b) => {
            if b.iter().all(u8::is_ascii_whitespace) {
                return Err(GraphError::bad_request(UNREADABLE));
            }
            serde_json::from_slice(b)
                .map(Cow::Owned)
                .map_err(|_| GraphError::bad_request(UNREADABLE))
        }
    }
}

/// `{base}/v1.0/$metadata#{set}` plus `(a,b)` for a `$select` and `/$entity` for one object.
pub(crate) fn metadata_context(
    base: &str,
    set: &str,
    names: Option<&[&str]>,
    entity: bool,
) -> Value {
    let mut s = format!("{base}/v1.0/$metadata#{set}");
    if let Some(names) = names {
        s.push('(');
        s.push_str(&names.join(","));
        s.push(')');
    }
    if entity {
        s.push_str("/$entity");
    }
    Value::String(s)
}

fn context(base: &str, select: Option<&[usize]>, entity: bool) -> Value {
    let names: Option<Vec<&str>> = select.map(|sel| sel.iter().map(|i| PROPS[*i].name).collect());
    metadata_context(base, "users", names.as_deref(), entity)
}

/// `x-ms-resource-unit` as documented for directory requests: GET users costs 2, anything
/// else 1; `$select` and a `$top` below 20 take one off; never below 1.
pub(crate) fn resource_units(collection: bool, q: &Query) -> u32 {
    let mut cost: i32 = if collection { 2 } else { 1 };
    if q.select.is_some() {
        cost -= 1;
    }
    if q.top
        .as_deref()
        .and_then(|t| t.trim().parse::<u32>().ok())
        .is_some_and(|t| t < 20)
    {
        cost -= 1;
    }
    cost.max(1) as u32
}

pub(crate) fn with_headers(mut reply: Reply, extra: Vec<(&'static str, String)>) -> Reply {
    reply.headers.extend(extra);
    reply
}

fn get_user(shared: &Shared, caller: &Caller, q: &Query, key: &str) -> Result<Reply, GraphError> {
    caller.require_read()?;
    let select = parse_select(q.select.as_deref())?;
    let store = shared.store.read();
    let k = store
        .resolve_active(key)
        .ok_or_else(|| GraphError::not_found(key))?;
    let user = &store.users[&k];
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        context(&shared.base_url, select.as_deref(), true),
    );
    m.extend(user.render(select.as_deref()));
    Ok(Reply::json(200, Value::Object(m))
        .with_header("x-ms-resource-unit", resource_units(false, q).to_string()))
}

fn create_user(shared: &Shared, req: &GraphRequest, caller: &Caller) -> Result<Reply, GraphError> {
    let extra = write_gate(shared, caller, Caller::require_write)?;
    let body = json_body(req)?;
    let mut store = shared.store.write();
    let v = users::validate(&body, Mode::Create, &shared.domains, &store)?;
    let key = store.insert(v.vals, v.force_change);
    let user = &store.users[&key];
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        context(&shared.base_url, None, true),
    );
    m.extend(user.render(None));
    let location = format!("{}/v1.0/users/{}", shared.base_url, user.id);
    drop(store);
    committed(shared);
    Ok(with_headers(
        Reply::json(201, Value::Object(m)).with_header("Location", location),
        extra,
    ))
}

fn patch_user(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    key: &str,
) -> Result<Reply, GraphError> {
    let extra = write_gate(shared, caller, Caller::require_write)?;
    let body = json_body(req)?;
    let mut store = shared.store.write();
    let k = store
        .resolve_active(key)
        .ok_or_else(|| GraphError::not_found(key))?;
    refuse_role_holder(&store.users[&k], caller)?;
    let v = users::validate(&body, Mode::Update(k), &shared.domains, &store)?;
    store.update(k, v.vals, v.force_change);
    drop(store);
    committed(shared);
    Ok(with_headers(Reply::no_content(), extra))
}

/// Entra refuses an app with only User.ReadWrite.All when it updates or deletes a user who
/// holds an admin role. Checked after the write budget, so the attempt still counts against it,
/// as every refused write does.
fn refuse_role_holder(user: &User, caller: &Caller) -> Result<(), GraphError> {
    if user.roles.is_empty() {
        Ok(())
    } else {
        caller.require_privileged_write()
    }
}

fn delete_user(shared: &Shared, caller: &Caller, key: &str) -> Result<Reply, GraphError> {
    let extra = write_gate(shared, caller, Caller::require_write)?;
    let mut store = shared.store.write();
    let k = store
        .resolve_active(key)
        .ok_or_else(|| GraphError::not_found(key))?;
    refuse_role_holder(&store.users[&k], caller)?;
    store.soft_delete(k);
    // A deleted user leaves its groups (store lock first, then groups: the lock order).
    shared.groups.write().suspend_user(&store.users[&k].id);
    drop(store);
    committed(shared);
    Ok(with_headers(Reply::no_content(), extra))
}

fn render_deleted(user: &User, select: Option<&[usize]>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "@odata.type".into(),
        Value::String("#microsoft.graph.user".into()),
    );
    match select {
        Some(sel) => m.extend(user.render(Some(sel))),
        None => {
            m.extend(user.render(None));
            m.extend(user.render(Some(&[DELETED])));
        }
    }
    m
}

fn get_deleted(shared: &Shared, caller: &Caller, q: &Query, id: &str) -> Result<Reply, GraphError> {
    caller.require_read()?;
    let select = parse_select(q.select.as_deref())?;
    let store = shared.store.read();
    let k = store
        .resolve_deleted(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        Value::String(format!(
            "{}/v1.0/$metadata#directoryObjects/$entity",
            shared.base_url
        )),
    );
    m.extend(render_deleted(&store.users[&k], select.as_deref()));
    Ok(Reply::json(200, Value::Object(m)))
}

fn purge(shared: &Shared, caller: &Caller, id: &str) -> Result<Reply, GraphError> {
    let extra = write_gate(shared, caller, Caller::require_write)?;
    let mut store = shared.store.write();
    let k = store
        .resolve_deleted(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let id = store.users[&k].id.clone();
    store.purge(k);
    shared.groups.write().purge_user(&id);
    drop(store);
    committed(shared);
    Ok(with_headers(Reply::no_content(), extra))
}

fn restore(shared: &Shared, caller: &Caller, id: &str) -> Result<Reply, GraphError> {
    let extra = write_gate(shared, caller, Caller::require_write)?;
    let mut store = shared.store.write();
    let k = store
        .resolve_deleted(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    store.restore(k)?;
    shared.groups.write().restore_user(&store.users[&k].id);
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        Value::String(format!(
            "{}/v1.0/$metadata#directoryObjects/$entity",
            shared.base_url
        )),
    );
    m.insert(
        "@odata.type".into(),
        Value::String("#microsoft.graph.user".into()),
    );
    m.extend(store.users[&k].render(None));
    drop(store);
    committed(shared);
    Ok(with_headers(Reply::json(200, Value::Object(m)), extra))
}

pub(crate) fn consistency_eventual(req: &GraphRequest) -> bool {
    req.headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
}

/// Users matching `filter` among active (or soft-deleted) ones, after key `after`, in key
/// order, at most `limit` (+1 to learn whether there is more).
fn scan<'a>(
    store: &'a Store,
    deleted: bool,
    filter: Option<&Expr>,
    after: u64,
    limit: usize,
) -> Vec<&'a User> {
    let wanted =
        |u: &&User| u.deleted_at.is_some() == deleted && filter.is_none_or(|f| f.matches(u));
    if let Some(keys) = filter.and_then(Expr::index_keys) {
        let mut found: Vec<u64> = keys
            .iter()
            .filter_map(|k| match k {
                IndexKey::Id(id) => store.key_by_id(id),
                IndexKey::Upn(upn) => store.key_by_upn(upn),
                IndexKey::Mail(mail) => store.key_by_mail(mail),
            })
            .filter(|k| *k > after)
            .collect();
        found.sort_unstable();
        found.dedup();
        return found
            .iter()
            .filter_map(|k| store.users.get(k))
            .filter(wanted)
            .take(limit)
            .collect();
    }
    store
        .users
        .range(after + 1..)
        .map(|(_, u)| u)
        .filter(wanted)
        .take(limit)
        .collect()
}

/// An opaque `$skiptoken` for position `n` of a listing of `kind` (users, groups, objects).
pub(crate) fn skiptoken_encode(kind: &str, n: u64) -> String {
    crate::b64url(format!("emu-{kind}:{n}").as_bytes())
}

fn skiptoken_decode(kind: &str, token: &str) -> Option<u64> {
    let raw = crate::b64url_decode(token)?;
    let s = String::from_utf8(raw).ok()?;
    s.strip_prefix(&format!("emu-{kind}:"))?.parse().ok()
}

/// The position a request's `$skiptoken` resumes from (0 without one).
pub(crate) fn skiptoken_position(kind: &str, token: Option<&str>) -> Result<u64, GraphError> {
    match token {
        None => Ok(0),
        Some(t) => skiptoken_decode(kind, t)
            .ok_or_else(|| GraphError::request_bad_request("Invalid skip token.")),
    }
}

/// The request URL again with `$skiptoken` replaced, as Graph builds `@odata.nextLink`.
pub(crate) fn next_link(base: &str, path: &str, raw_query: Option<&str>, token: &str) -> String {
    let mut parts: Vec<String> = raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = decode(p.split('=').next().unwrap_or(""));
            !name
                .trim_start_matches('$')
                .eq_ignore_ascii_case("skiptoken")
        })
        .map(str::to_string)
        .collect();
    parts.push(format!("$skiptoken={token}"));
    format!("{base}{path}?{}", parts.join("&"))
}

fn parse_query_filter(req: &GraphRequest, q: &Query) -> Result<(Option<Expr>, bool), GraphError> {
    let count = q.count_requested()?;
    let eventual = consistency_eventual(req);
    if count && !eventual {
        return Err(GraphError::request_bad_request(
            "$count is not currently supported.",
        ));
    }
    let advanced = count && eventual;
    let filter = q
        .filter
        .as_deref()
        .map(|f| parse_filter(f, advanced))
        .transpose()?;
    Ok((filter, count))
}

fn list(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
    deleted: bool,
) -> Result<Reply, GraphError> {
    caller.require_read()?;
    q.reject_unsupported()?;
    let page = q.page_size(PAGE_SIZE)?;
    let select = parse_select(q.select.as_deref())?;
    let (filter, count) = parse_query_filter(req, q)?;
    let after = skiptoken_position("users", q.skiptoken.as_deref())?;
    let store = shared.store.read();
    let mut found = scan(&store, deleted, filter.as_ref(), after, page + 1);
    let more = found.len() > page;
    found.truncate(page);
    let value: Vec<Value> = found
        .iter()
        .map(|u| {
            Value::Object(if deleted {
                render_deleted(u, select.as_deref())
            } else {
                u.render(select.as_deref())
            })
        })
        .collect();
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        context(&shared.base_url, select.as_deref(), false),
    );
    if count {
        let total = scan(&store, deleted, filter.as_ref(), 0, usize::MAX).len();
        m.insert("@odata.count".into(), Value::from(total));
    }
    if more && let Some(last) = found.last() {
        m.insert(
            "@odata.nextLink".into(),
            Value::String(next_link(
                &shared.base_url,
                &req.path,
                req.query.as_deref(),
                &skiptoken_encode("users", last.key),
            )),
        );
    }
    m.insert("value".into(), Value::Array(value));
    Ok(Reply::json(200, Value::Object(m))
        .with_header("x-ms-resource-unit", resource_units(true, q).to_string()))
}

fn count(
    shared: &Shared,
    req: &GraphRequest,
    caller: &Caller,
    q: &Query,
) -> Result<Reply, GraphError> {
    caller.require_read()?;
    if !consistency_eventual(req) {
        return Err(GraphError::request_bad_request(
            "$count is not currently supported.",
        ));
    }
    let filter = q
        .filter
        .as_deref()
        .map(|f| parse_filter(f, true))
        .transpose()?;
    let store = shared.store.read();
    let n = scan(&store, false, filter.as_ref(), 0, usize::MAX).len();
    Ok(Reply::text(200, n.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::DEFAULT_SET;

    #[test]
    fn paren_keys() {
        assert_eq!(paren_key("users('a@b')").as_deref(), Some("a@b"));
        assert_eq!(
            paren_key("users('o''brien@b')").as_deref(),
            Some("o'brien@b")
        );
        assert_eq!(paren_key("users('$x@b')").as_deref(), Some("$x@b"));
        assert_eq!(paren_key("users('bad'quote')"), None);
        assert_eq!(paren_key("users(abc)"), None);
    }

    #[test]
    fn skiptokens_round_trip_and_links() {
        assert_eq!(
            skiptoken_decode("users", &skiptoken_encode("users", 42)),
            Some(42)
        );
        assert_eq!(
            skiptoken_decode("groups", &skiptoken_encode("users", 42)),
            None
        );
        assert_eq!(skiptoken_decode("users", "garbage!"), None);
        assert!(skiptoken_position("users", Some("garbage!")).is_err());
        assert_eq!(skiptoken_position("users", None).unwrap(), 0);
        let l = next_link(
            "http://h",
            "/v1.0/users",
            Some("$top=2&%24skiptoken=old&$select=id"),
            "NEW",
        );
        assert_eq!(l, "http://h/v1.0/users?$top=2&$select=id&$skiptoken=NEW");
    }

    #[test]
    fn default_set_is_in_table() {
        assert!(DEFAULT_SET.iter().all(|i| *i < PROPS.len()));
        assert_eq!(PROPS[users::ID].name, "id");
    }
}
