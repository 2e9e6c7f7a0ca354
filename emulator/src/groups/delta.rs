//! Delta query on groups (`GET /groups/delta`), following "group: delta" and "Use delta query
//! to track changes in Microsoft Graph data":
//!
//! - `$select=displayName,members` tracks those properties and the membership; `members@delta`
//!   lists direct members only, as `{"@odata.type", "id"}`, and a removed member carries
//!   `"@removed": {"reason": "deleted"}`.
//! - `$filter=id eq '…' or id eq '…'` limits the round to those groups (the only filter
//!   groups delta supports).
//! - An initial round lists every group with all its direct members; a round from a
//!   `@odata.deltaLink` lists only groups changed since (a property written, or a member added
//!   or removed) with only the changed members, and deleted groups as
//!   `{"id", "@removed": {"reason": …}}`: "changed" for a (soft-deleted) Microsoft 365 group,
//!   "deleted" for a security group, which is deleted permanently.
//! - Tokens are server-side state shared with users delta (`crate::delta`): an unknown or
//!   expired one answers 410 `syncStateNotFound`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::query::parse_filter;
use super::schema::{GroupSelect, PROPS, parse_select, render};
use super::store::{GroupStore, Member};
use crate::delta::{DELTA_PAGE, IdFilter, sync_state_not_found};
use crate::errors::{GraphError, Reply};
use crate::odata::Query;
use crate::state::Shared;

#[derive(Debug, Clone)]
pub(crate) struct Scope {
    select: GroupSelect,
    ids: IdFilter,
}

impl Scope {
    fn includes(&self, id: &str) -> bool {
        self.ids.includes(id)
    }
}

/// What a `$deltatoken` stands for: changes after `since`, in `scope`.
#[derive(Debug, Clone)]
pub(crate) struct DeltaToken {
    since: u64,
    scope: Scope,
}

#[derive(Debug, Clone)]
enum Item {
    /// A group (by key and id), rendered as it is when its page is served.
    Group(u64, String),
    Removed {
        id: String,
        unified: bool,
    },
}

/// A round being paged through with `$skiptoken`.
#[derive(Debug, Clone)]
pub(crate) struct DeltaSession {
    items: Arc<Vec<Item>>,
    pos: usize,
    snapshot: u64,
    since: Option<u64>,
    scope: Scope,
}

fn gone(shared: &Shared) -> GraphError {
    sync_state_not_found(shared, "groups")
}

fn context(shared: &Shared, scope: &Scope) -> Value {
    let mut s = format!("{}/v1.0/$metadata#groups", shared.base_url);
    if let Some(props) = &scope.select.props {
        let mut names: Vec<&str> = props.iter().map(|i| PROPS[*i]).collect();
        if scope.select.members {
            names.push("members");
        }
        s.push('(');
        s.push_str(&names.join(","));
        s.push(')');
    }
    Value::String(s)
}

pub(crate) fn handle(shared: &Shared, q: &Query) -> Result<Reply, GraphError> {
    if q.top.is_some()
        || q.orderby.is_some()
        || q.expand.is_some()
        || q.search.is_some()
        || q.skip.is_some()
        || q.count.is_some()
    {
        return Err(GraphError::unsupported_query(
            "The query option is not supported for delta queries on groups.",
        ));
    }
    if let Some(skip) = q.skiptoken.as_deref() {
        let session = shared.delta.lock().group_sessions.get(skip);
        return match session {
            Some(s) => Ok(page(shared, s)),
            None => Err(gone(shared)),
        };
    }
    let select = parse_select(q.select.as_deref(), true)?;
    let ids = match q.filter.as_deref() {
        None => None,
        Some(f) => {
            let ids = parse_filter(f)?.only_ids().ok_or_else(|| {
                GraphError::unsupported_query(
                    "Delta query on groups only supports filtering by id (id eq '…' joined with or).",
                )
            })?;
            Some(Arc::new(ids))
        }
    };
    let scope = Scope {
        select,
        ids: IdFilter(ids),
    };
    let groups = shared.groups.read();
    let snapshot = groups.seq;
    let token = match q.deltatoken.as_deref() {
        None | Some("") => {
            let items: Vec<Item> = groups
                .groups
                .values()
                .filter(|g| scope.includes(&g.id))
                .map(|g| Item::Group(g.key, g.id.clone()))
                .collect();
            drop(groups);
            return Ok(page(
                shared,
                DeltaSession {
                    items: Arc::new(items),
                    pos: 0,
                    snapshot,
                    since: None,
                    scope,
                },
            ));
        }
        Some(t) => t,
    };
    if token.eq_ignore_ascii_case("latest") {
        drop(groups);
        let t = shared.delta.lock().group_tokens.insert(DeltaToken {
            since: snapshot,
            scope: scope.clone(),
        });
        return Ok(Reply::json(
            200,
            json!({
                "@odata.context": context(shared, &scope),
                "@odata.deltaLink": format!("{}/v1.0/groups/delta?$deltatoken={t}", shared.base_url),
                "value": [],
            }),
        ));
    }
    let Some(saved) = shared.delta.lock().group_tokens.get(token) else {
        return Err(gone(shared));
    };
    let scope = Scope {
        select: if q.select.is_some() {
            scope.select
        } else {
            saved.scope.select
        },
        ids: scope.ids.or(saved.scope.ids),
    };
    let items = changes(&groups, saved.since, &scope);
    drop(groups);
    Ok(page(
        shared,
        DeltaSession {
            items: Arc::new(items),
            pos: 0,
            snapshot,
            since: Some(saved.since),
            scope,
        },
    ))
}

/// Groups changed after `since` (in key order), then groups deleted after it.
fn changes(groups: &GroupStore, since: u64, scope: &Scope) -> Vec<Item> {
    let member_changed: Vec<u64> = if scope.select.members || scope.select.props.is_none() {
        groups
            .events
            .iter()
            .filter(|e| e.seq > since)
            .map(|e| e.group_key)
            .collect()
    } else {
        Vec::new()
    };
    let mut items: Vec<Item> = groups
        .groups
        .values()
        .filter(|g| scope.includes(&g.id))
        .filter(|g| g.prop_seq > since || member_changed.contains(&g.key))
        .map(|g| Item::Group(g.key, g.id.clone()))
        .collect();
    items.extend(
        groups
            .tombstones
            .iter()
            .filter(|t| t.seq > since && scope.includes(&t.id))
            .map(|t| Item::Removed {
                id: t.id.clone(),
                unified: t.unified,
            }),
    );
    items
}

fn member_entry(m: &Member, removed: bool) -> Value {
    let mut v = json!({ "@odata.type": m.kind.odata_type(), "id": m.id });
    if removed {
        v["@removed"] = json!({ "reason": "deleted" });
    }
    v
}

/// `members@delta` of one group: all direct members, or (incremental) each member touched
/// after `since`, as it stands now.
fn members_delta(groups: &GroupStore, key: u64, since: Option<u64>) -> Vec<Value> {
    let Some(g) = groups.groups.get(&key) else {
        return Vec::new();
    };
    match since {
        None => g.members.iter().map(|m| member_entry(m, false)).collect(),
        Some(since) => {
            let mut touched: Vec<&Member> = Vec::new();
            let mut seen: HashMap<&str, ()> = HashMap::new();
            for e in groups
                .events
                .iter()
                .filter(|e| e.seq > since && e.group_key == key)
            {
                if seen.insert(e.member.id.as_str(), ()).is_none() {
                    touched.push(&e.member);
                }
            }
            touched
                .into_iter()
                .map(|m| member_entry(m, !g.has_member(&m.id)))
                .collect()
        }
    }
}

fn render_item(groups: &GroupStore, item: &Item, since: Option<u64>, scope: &Scope) -> Value {
    match item {
        Item::Removed { id, unified } => json!({
            "id": id,
            "@removed": { "reason": if *unified { "changed" } else { "deleted" } },
        }),
        Item::Group(key, id) => match groups.groups.get(key) {
            // Deleted while the round was paged: reported as the next round would.
            None => json!({ "id": id, "@removed": { "reason": "deleted" } }),
            Some(g) => {
                let mut m: Map<String, Value> = render(g, scope.select.props.as_deref());
                if scope.select.members || scope.select.props.is_none() {
                    let delta = members_delta(groups, *key, since);
                    if since.is_none() || !delta.is_empty() {
                        m.insert("members@delta".into(), Value::Array(delta));
                    }
                }
                Value::Object(m)
            }
        },
    }
}

fn page(shared: &Shared, session: DeltaSession) -> Reply {
    let groups = shared.groups.read();
    let end = (session.pos + DELTA_PAGE).min(session.items.len());
    let value: Vec<Value> = session.items[session.pos..end]
        .iter()
        .map(|i| render_item(&groups, i, session.since, &session.scope))
        .collect();
    drop(groups);
    let mut m = Map::new();
    m.insert("@odata.context".into(), context(shared, &session.scope));
    let mut delta = shared.delta.lock();
    if end < session.items.len() {
        let t = delta.group_sessions.insert(DeltaSession {
            pos: end,
            ..session
        });
        m.insert(
            "@odata.nextLink".into(),
            Value::String(format!(
                "{}/v1.0/groups/delta?$skiptoken={t}",
                shared.base_url
            )),
        );
    } else {
        let t = delta.group_tokens.insert(DeltaToken {
            since: session.snapshot,
            scope: session.scope,
        });
        m.insert(
            "@odata.deltaLink".into(),
            Value::String(format!(
                "{}/v1.0/groups/delta?$deltatoken={t}",
                shared.base_url
            )),
        );
    }
    drop(delta);
    m.insert("value".into(), Value::Array(value));
    Reply::json(200, Value::Object(m))
}
