//! Delta query on users (`GET /users/delta`).
//!
//! Every stored property value carries the change sequence that last wrote it, and soft
//! deletes, restores and permanent deletes carry theirs, so "what changed since token T" is a
//! scan for sequence numbers above T's. Tokens are server-side state: an unknown or expired one
//! answers 410 Gone / `syncStateNotFound`, which is what forces a client into a full resync.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::errors::{GraphError, Reply};
use crate::odata::{Query, parse_filter, parse_select};
use crate::state::Shared;
use crate::users::{PROPS, Store};

/// Objects per delta page.
pub(crate) const DELTA_PAGE: usize = 100;
const MAX_TOKENS: usize = 100_000;
const MAX_SESSIONS: usize = 10_000;

/// The `$filter=id eq '…' or …` of a delta round (users or groups): only these ids
/// (lowercase); `None` = every object.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdFilter(pub Option<Arc<Vec<String>>>);

impl IdFilter {
    pub fn includes(&self, id: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|i| i == id))
    }

    /// This round's filter, or else the one saved with the delta token.
    pub fn or(self, saved: IdFilter) -> IdFilter {
        IdFilter(self.0.or(saved.0))
    }
}

#[derive(Debug, Clone)]
struct Scope {
    select: Option<Arc<Vec<usize>>>,
    ids: IdFilter,
}

impl Scope {
    fn includes(&self, id: &str) -> bool {
        self.ids.includes(id)
    }
}

#[derive(Debug, Clone)]
enum Item {
    /// A user that existed when the round started (may have been deleted since).
    User(u64, String),
    /// A permanently deleted user.
    Purged(String),
}

#[derive(Debug, Clone)]
enum Session {
    /// Initial round: every active user, in key order, after this key.
    Initial {
        after: u64,
        snapshot: u64,
        scope: Scope,
    },
    /// Incremental round: a precomputed list of changes.
    Changes {
        items: Arc<Vec<Item>>,
        pos: usize,
        snapshot: u64,
        scope: Scope,
        /// Render only the properties changed after this sequence (`delta_changed_only`).
        partial_since: Option<u64>,
    },
}

/// Server-side state behind opaque tokens, bounded FIFO: the oldest entry is forgotten first,
/// and a forgotten token answers `syncStateNotFound`.
#[derive(Debug)]
pub(crate) struct Bounded<T> {
    map: HashMap<String, T>,
    order: VecDeque<String>,
    max: usize,
}

impl<T: Clone> Bounded<T> {
    pub fn new(max: usize) -> Bounded<T> {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
            max,
        }
    }

    /// Store `value` under a fresh random token and return the token.
    pub fn insert(&mut self, value: T) -> String {
        let t = random_token();
        if self.order.len() >= self.max
            && let Some(old) = self.order.pop_front()
        {
            self.map.remove(&old);
        }
        self.map.insert(t.clone(), value);
        self.order.push_back(t.clone());
        t
    }

    pub fn get(&self, token: &str) -> Option<T> {
        self.map.get(token).cloned()
    }
}

/// Outstanding delta tokens and paging sessions of users delta and groups delta.
#[derive(Debug)]
pub(crate) struct DeltaState {
    tokens: Bounded<(u64, Scope)>,
    sessions: Bounded<Session>,
    pub group_tokens: Bounded<crate::groups::DeltaToken>,
    pub group_sessions: Bounded<crate::groups::DeltaSession>,
}

impl Default for DeltaState {
    fn default() -> DeltaState {
        DeltaState {
            tokens: Bounded::new(MAX_TOKENS),
            sessions: Bounded::new(MAX_SESSIONS),
            group_tokens: Bounded::new(MAX_TOKENS),
            group_sessions: Bounded::new(MAX_SESSIONS),
        }
    }
}

fn random_token() -> String {
    let bytes: [u8; 24] = rand::random();
    crate::b64url(&bytes)
}

impl DeltaState {
    /// Forget every token of both resources (the control API's `expire_delta_tokens`).
    pub fn clear(&mut self) {
        *self = DeltaState::default();
    }

    fn new_delta_token(&mut self, since: u64, scope: Scope) -> String {
        self.tokens.insert((since, scope))
    }

    fn new_session(&mut self, s: Session) -> String {
        self.sessions.insert(s)
    }
}

fn gone(shared: &Shared) -> GraphError {
    sync_state_not_found(shared, "users")
}

/// 410 Gone / `syncStateNotFound` for an unknown or expired delta or skip token ("Use delta
/// query": the client must restart with a full synchronization). `Location` points at a fresh
/// round of the same resource (`users` or `groups`).
pub(crate) fn sync_state_not_found(shared: &Shared, resource: &str) -> GraphError {
    GraphError::new(
        410,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    )
    .with_header(
        "Location",
        format!("{}/v1.0/{resource}/delta?$deltatoken=", shared.base_url),
    )
}

fn context(shared: &Shared, scope: &Scope) -> Value {
    let mut s = format!("{}/v1.0/$metadata#users", shared.base_url);
    if let Some(sel) = &scope.select {
        let names: Vec<&str> = sel.iter().map(|i| PROPS[*i].name).collect();
        s.push('(');
        s.push_str(&names.join(","));
        s.push(')');
    }
    Value::String(s)
}

fn removed(id: &str, reason: &str) -> Value {
    json!({ "id": id, "@removed": { "reason": reason } })
}

/// `changed_since`: render only what changed after that sequence (partial delta items).
fn render(store: &Store, key: u64, id: &str, scope: &Scope, changed_since: Option<u64>) -> Value {
    match store.users.get(&key) {
        None => removed(id, "deleted"),
        Some(u) if u.deleted_at.is_some() => removed(id, "changed"),
        Some(u) => {
            let select = scope.select.as_deref().map(|v| v.as_slice());
            let mut m = match changed_since {
                Some(since) => u.render_changed(select, since),
                None => u.render(select),
            };
            if !m.contains_key("id") {
                m.insert("id".into(), Value::String(u.id.clone()));
            }
            Value::Object(m)
        }
    }
}

/// `GET /v1.0/users/delta` with its query options.
pub(crate) fn handle(shared: &Shared, q: &Query) -> Result<Reply, GraphError> {
    if q.top.is_some() {
        return Err(GraphError::unsupported_query(
            "$top is not supported for delta queries on users.",
        ));
    }
    if q.orderby.is_some() || q.expand.is_some() || q.search.is_some() || q.skip.is_some() {
        return Err(GraphError::unsupported_query(
            "The query option is not supported for delta queries on users.",
        ));
    }
    if let Some(skip) = q.skiptoken.as_deref() {
        let session = shared.delta.lock().sessions.get(skip);
        return match session {
            Some(s) => Ok(page(shared, s)),
            None => Err(gone(shared)),
        };
    }
    let select = parse_select(q.select.as_deref())?.map(Arc::new);
    let ids = match q.filter.as_deref() {
        None => None,
        Some(f) => {
            let expr = parse_filter(f, false)?;
            let ids = expr.only_ids().ok_or_else(|| {
                GraphError::unsupported_query(
                    "Delta query on users only supports filtering by id (id eq '…' joined with or).",
                )
            })?;
            Some(Arc::new(ids))
        }
    };
    let scope = Scope {
        select,
        ids: IdFilter(ids),
    };
    match q.deltatoken.as_deref() {
        None | Some("") => {
            let snapshot = shared.store.read().seq;
            Ok(page(
                shared,
                Session::Initial {
                    after: 0,
                    snapshot,
                    scope,
                },
            ))
        }
        Some(t) if t.eq_ignore_ascii_case("latest") => {
            let snapshot = shared.store.read().seq;
            let token = shared.delta.lock().new_delta_token(snapshot, scope.clone());
            Ok(Reply::json(
                200,
                json!({
                    "@odata.context": context(shared, &scope),
                    "@odata.deltaLink": format!("{}/v1.0/users/delta?$deltatoken={token}", shared.base_url),
                    "value": [],
                }),
            ))
        }
        Some(t) => {
            let Some((since, saved)) = shared.delta.lock().tokens.get(t) else {
                return Err(gone(shared));
            };
            // A $select on the deltaLink request changes what is tracked from now on.
            let scope = Scope {
                select: scope.select.or(saved.select),
                ids: scope.ids.or(saved.ids),
            };
            let store = shared.store.read();
            let snapshot = store.seq;
            let select = scope.select.as_deref().map(|v| v.as_slice());
            let mut changed: Vec<(u64, Item)> = store
                .users
                .values()
                .filter(|u| u.changed_since(since, select) && scope.includes(&u.id))
                .map(|u| (u.key, Item::User(u.key, u.id.clone())))
                .collect();
            changed.sort_by_key(|(k, _)| *k);
            let mut items: Vec<Item> = changed.into_iter().map(|(_, i)| i).collect();
            let first_new = store.tombstones.partition_point(|(seq, _)| *seq <= since);
            items.extend(
                store.tombstones[first_new..]
                    .iter()
                    .filter(|(_, id)| scope.includes(id))
                    .map(|(_, id)| Item::Purged(id.clone())),
            );
            drop(store);
            Ok(page(
                shared,
                Session::Changes {
                    items: Arc::new(items),
                    pos: 0,
                    snapshot,
                    scope,
                    partial_since: shared
                        .delta_changed_only
                        .load(std::sync::atomic::Ordering::Relaxed)
                        .then_some(since),
                },
            ))
        }
    }
}

/// Produce one page of a round and the link to the next page or the next round.
fn page(shared: &Shared, session: Session) -> Reply {
    let store = shared.store.read();
    let (value, next, scope, snapshot) = match session {
        Session::Initial {
            after,
            snapshot,
            scope,
        } => {
            let mut users = store
                .users
                .range(after + 1..)
                .map(|(_, u)| u)
                .filter(|u| u.deleted_at.is_none() && scope.includes(&u.id));
            let batch: Vec<_> = users.by_ref().take(DELTA_PAGE).collect();
            let more = users.next().is_some();
            let value: Vec<Value> = batch
                .iter()
                .map(|u| render(&store, u.key, &u.id, &scope, None))
                .collect();
            let next = (more && !batch.is_empty()).then(|| Session::Initial {
                after: batch.last().map(|u| u.key).unwrap_or(after),
                snapshot,
                scope: scope.clone(),
            });
            (value, next, scope, snapshot)
        }
        Session::Changes {
            items,
            pos,
            snapshot,
            scope,
            partial_since,
        } => {
            let end = (pos + DELTA_PAGE).min(items.len());
            let value: Vec<Value> = items[pos..end]
                .iter()
                .map(|i| match i {
                    Item::User(key, id) => render(&store, *key, id, &scope, partial_since),
                    Item::Purged(id) => removed(id, "deleted"),
                })
                .collect();
            let next = (end < items.len()).then(|| Session::Changes {
                items: items.clone(),
                pos: end,
                snapshot,
                scope: scope.clone(),
                partial_since,
            });
            (value, next, scope, snapshot)
        }
    };
    drop(store);
    let mut m = Map::new();
    m.insert("@odata.context".into(), context(shared, &scope));
    let mut delta = shared.delta.lock();
    match next {
        Some(s) => {
            let t = delta.new_session(s);
            m.insert(
                "@odata.nextLink".into(),
                Value::String(format!(
                    "{}/v1.0/users/delta?$skiptoken={t}",
                    shared.base_url
                )),
            );
        }
        None => {
            let t = delta.new_delta_token(snapshot, scope);
            m.insert(
                "@odata.deltaLink".into(),
                Value::String(format!(
                    "{}/v1.0/users/delta?$deltatoken={t}",
                    shared.base_url
                )),
            );
        }
    }
    drop(delta);
    m.insert("value".into(), Value::Array(value));
    Reply::json(200, Value::Object(m))
}
