//! The control API under `/_emulator/`: unauthenticated (the server only listens on loopback),
//! never faulted, never logged, no latency. Tests, the demo and benchmarks use it to inject
//! faults, read the request log and counters, seed users, give them directory roles, create
//! groups and set their members, and change settings at run time.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{SeedGroup, SeedUser, WriteBudget};
use crate::errors::{Body, Reply};
use crate::faults::FaultSpec;
use crate::state::{EmulatorState, Shared};

fn ok(status: u16, v: Value) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type", "application/json".to_string())],
        body: Body::Json(v),
    }
}

fn err(status: u16, message: impl Into<String>) -> Reply {
    ok(status, json!({ "error": message.into() }))
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(crate) fn handle(
    shared: &std::sync::Arc<Shared>,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Reply {
    let state = EmulatorState {
        inner: shared.clone(),
    };
    let route = path.trim_start_matches("/_emulator").trim_matches('/');
    let parse_json = || -> Result<Value, Reply> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(body).map_err(|e| err(400, format!("invalid JSON: {e}")))
    };
    match (method, route) {
        ("GET", "" | "health") => ok(
            200,
            json!({ "status": "ok", "base_url": shared.base_url, "tenant_id": shared.tenant_id }),
        ),
        ("GET", "faults") => ok(
            200,
            serde_json::to_value(state.faults()).unwrap_or_default(),
        ),
        ("POST", "faults") => {
            let v = match parse_json() {
                Ok(v) => v,
                Err(r) => return r,
            };
            let spec: FaultSpec = match serde_json::from_value(v) {
                Ok(s) => s,
                Err(e) => return err(400, format!("invalid fault: {e}")),
            };
            match state.add_fault(spec) {
                Ok(id) => ok(201, json!({ "id": id })),
                Err(e) => err(400, e),
            }
        }
        ("DELETE", "faults") => {
            state.clear_faults();
            Reply::no_content()
        }
        ("DELETE", r) if r.starts_with("faults/") => match r["faults/".len()..].parse::<u64>() {
            Ok(id) if state.remove_fault(id) => Reply::no_content(),
            _ => err(404, "no such fault"),
        },
        ("GET", "requests") => {
            let since = query_param(query, "since")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let entries = shared.log.lock().since(since);
            ok(200, serde_json::to_value(entries).unwrap_or_default())
        }
        ("DELETE", "requests") => {
            state.clear_requests();
            Reply::no_content()
        }
        ("GET", "users") => ok(200, Value::Array(state.users())),
        ("POST", "users") => {
            let v = match parse_json() {
                Ok(v) => v,
                Err(r) => return r,
            };
            let seed: SeedRequest = match serde_json::from_value(v) {
                Ok(s) => s,
                Err(e) => return err(400, format!("invalid user: {e}")),
            };
            let roles = match crate::roles::normalize(&seed.directory_roles) {
                Ok(r) => r,
                Err(e) => return err(400, format!("invalid user: {e}")),
            };
            match state.seed_user_with_directory_roles(seed.user, &roles) {
                Ok(u) => ok(201, u),
                Err(e) => err(409, e),
            }
        }
        (_, r) if directory_roles_key(r).is_some() => {
            let key = directory_roles_key(r).unwrap_or_default();
            match method {
                "GET" => match state.directory_roles(&key) {
                    Some(roles) => ok(200, json!({ "roles": roles })),
                    None => err(404, format!("no user '{key}'")),
                },
                "PUT" => {
                    let v = match parse_json() {
                        Ok(v) => v,
                        Err(r) => return r,
                    };
                    let roles = match parse_roles(&v) {
                        Ok(r) => r,
                        Err(e) => return err(400, e),
                    };
                    match state.set_directory_roles(&key, &roles) {
                        Ok(()) => Reply::no_content(),
                        Err(e) => err(404, e),
                    }
                }
                _ => err(404, format!("no control route {method} {path}")),
            }
        }
        ("GET", "groups") => ok(200, Value::Array(state.groups())),
        ("POST", "groups") => {
            let v = match parse_json() {
                Ok(v) => v,
                Err(r) => return r,
            };
            let seed: SeedGroup = match serde_json::from_value(v) {
                Ok(s) => s,
                Err(e) => return err(400, format!("invalid group: {e}")),
            };
            match state.seed_group(seed) {
                Ok(g) => ok(201, g),
                Err(e) if e.contains("already exists") => err(409, e),
                Err(e) => err(400, e),
            }
        }
        (_, r) if r.starts_with("groups/") => {
            let v = if method == "PUT" || method == "POST" {
                match parse_json() {
                    Ok(v) => v,
                    Err(r) => return r,
                }
            } else {
                Value::Null
            };
            group_route(&state, method, &r["groups/".len()..], &v)
                .unwrap_or_else(|| err(404, format!("no control route {method} {path}")))
        }
        ("GET", "stats") => ok(200, serde_json::to_value(state.stats()).unwrap_or_default()),
        ("GET", "config") => ok(
            200,
            serde_json::to_value(state.runtime_config()).unwrap_or_default(),
        ),
        ("POST", "config") => {
            let v = match parse_json() {
                Ok(v) => v,
                Err(r) => return r,
            };
            match apply_config(&state, &v) {
                Ok(()) => ok(
                    200,
                    serde_json::to_value(state.runtime_config()).unwrap_or_default(),
                ),
                Err(e) => err(400, e),
            }
        }
        ("POST", "reset") => {
            state.reset();
            Reply::no_content()
        }
        _ => err(404, format!("no control route {method} {path}")),
    }
}

fn decode(seg: &str) -> String {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

/// `groups/{id}`, `groups/{id}/members` and `groups/{id}/members/{member}`; `None` for an
/// unknown route.
fn group_route(state: &EmulatorState, method: &str, route: &str, body: &Value) -> Option<Reply> {
    let segs: Vec<String> = route.split('/').map(decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let unknown_group = |id: &str| err(404, format!("no group '{id}'"));
    Some(match (method, segs.as_slice()) {
        ("GET", [id]) => match state.group(id) {
            Some(g) => ok(200, g),
            None => unknown_group(id),
        },
        ("DELETE", [id]) => {
            if state.delete_group(id) {
                Reply::no_content()
            } else {
                unknown_group(id)
            }
        }
        ("GET", [id, "members"]) => match state.group(id) {
            Some(g) => ok(200, json!({ "members": g["members"] })),
            None => unknown_group(id),
        },
        ("PUT", [id, "members"]) => {
            let Some(members) = body
                .get("members")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            else {
                return Some(err(
                    400,
                    "the body must be {\"members\": [\"<user id or UPN, or group id>\", ...]}",
                ));
            };
            if state.group(id).is_none() {
                return Some(unknown_group(id));
            }
            match state.set_group_members(id, &members) {
                Ok(()) => Reply::no_content(),
                Err(e) => err(400, e),
            }
        }
        ("POST", [id, "members"]) => {
            let Some(member) = body.get("member").and_then(Value::as_str) else {
                return Some(err(
                    400,
                    "the body must be {\"member\": \"<user id or UPN, or group id>\"}",
                ));
            };
            if state.group(id).is_none() {
                return Some(unknown_group(id));
            }
            match state.add_group_member(id, member) {
                Ok(added) => ok(200, json!({ "added": added })),
                Err(e) => err(400, e),
            }
        }
        ("DELETE", [id, "members", member]) => match state.remove_group_member(id, member) {
            Ok(removed) => ok(200, json!({ "removed": removed })),
            Err(e) => err(404, e),
        },
        _ => return None,
    })
}

/// The body of `POST users`: a seed user plus the directory roles it holds.
#[derive(Deserialize)]
struct SeedRequest {
    #[serde(flatten)]
    user: SeedUser,
    #[serde(default, alias = "directoryRoles")]
    directory_roles: Vec<String>,
}

/// `users/{id-or-upn}/directory-roles` → the (percent-decoded) user key.
fn directory_roles_key(route: &str) -> Option<String> {
    let key = route
        .strip_prefix("users/")?
        .strip_suffix("/directory-roles")?;
    if key.is_empty() || key.contains('/') {
        return None;
    }
    Some(
        percent_encoding::percent_decode_str(key)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// `{"roles": ["Global Administrator", ...]}`, names checked and normalized.
fn parse_roles(v: &Value) -> Result<Vec<String>, String> {
    let names = v
        .get("roles")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .ok_or("the body must be {\"roles\": [\"<role display name>\", ...]}")?;
    crate::roles::normalize(&names)
}

/// Apply a partial runtime configuration. Everything is checked before anything changes.
fn apply_config(state: &EmulatorState, v: &Value) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Err("config must be a JSON object".into());
    };
    let known = [
        "latency_ms",
        "write_budget",
        "token_lifetime_s",
        "request_log",
        "request_log_max",
        "expire_delta_tokens",
        "expire_tokens",
        "redact_log",
        "delta_changed_only",
    ];
    if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!("unknown config key '{k}'"));
    }
    let u64_field = |name: &str| -> Result<Option<u64>, String> {
        match obj.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("{name} must be a non-negative integer")),
        }
    };
    let bool_field = |name: &str| -> Result<Option<bool>, String> {
        match obj.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| format!("{name} must be a boolean")),
        }
    };
    let latency = u64_field("latency_ms")?;
    let lifetime = u64_field("token_lifetime_s")?;
    let log_max = u64_field("request_log_max")?;
    let log = bool_field("request_log")?;
    let expire_delta = bool_field("expire_delta_tokens")?;
    let expire_tokens = bool_field("expire_tokens")?;
    let redact = bool_field("redact_log")?;
    let changed_only = bool_field("delta_changed_only")?;
    let budget: Option<Option<WriteBudget>> = match obj.get("write_budget") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(b) => {
            let wb: WriteBudget =
                serde_json::from_value(b.clone()).map_err(|e| format!("write_budget: {e}"))?;
            if wb.window_s.is_nan() || wb.window_s <= 0.0 {
                return Err("write_budget.window_s must be positive".into());
            }
            Some(Some(wb))
        }
    };
    if let Some(ms) = latency {
        state.set_latency_ms(ms);
    }
    if let Some(s) = lifetime {
        state.set_token_lifetime_s(s);
    }
    if let Some(n) = log_max {
        state.set_request_log_max(n as usize);
    }
    if let Some(b) = log {
        state.set_request_log(b);
    }
    if let Some(b) = redact {
        state.set_log_redaction(b);
    }
    if let Some(b) = changed_only {
        state.set_delta_changed_only(b);
    }
    if let Some(b) = budget {
        state.set_write_budget(b);
    }
    if expire_delta == Some(true) {
        state.expire_delta_tokens();
    }
    if expire_tokens == Some(true) {
        state.expire_tokens();
    }
    Ok(())
}
