//! What the library tells a host about itself before any client exists (`entra_describe`): the
//! status codes and kinds of its errors, the configuration's defaults, ranges and required
//! fields, the limits of its calls, the clouds it knows, and the directions and features with
//! their permissions. The host builds its forms, checks and messages from this instead of keeping a
//! copy that could drift.

use crate::config::{self, Cloud};
use crate::direction::Direction;
use crate::feature::Feature;
use crate::ffi::{ABI_VERSION, EntraStatus};
use serde_json::{Value, json};

pub fn describe() -> Value {
    let statuses: Vec<Value> = EntraStatus::ALL
        .iter()
        .map(|s| {
            json!({
                "status": *s as i32,
                "name": s.c_name(),
                "kind": s.kind(),
                "retryable": s.is_retryable(),
                "title": crate::advice::title(s.kind()),
            })
        })
        .collect();
    let clouds: Vec<Value> = Cloud::ALL
        .iter()
        .map(|c| {
            json!({
                "name": c.name(),
                "label": c.label(),
                "login_endpoint": c.login_host(),
                "graph_endpoint": c.graph_host(),
            })
        })
        .collect();
    let directions: Vec<Value> = Direction::ALL
        .iter()
        .map(|d| {
            json!({
                "name": d.name(),
                "permission": d.permission(),
                "satisfied_by": d.satisfied_by(),
            })
        })
        .collect();
    let features: Vec<Value> = Feature::ALL
        .iter()
        .map(|f| {
            json!({
                "name": f.name(),
                "permission": f.permission(),
                "satisfied_by": f.satisfied_by(),
            })
        })
        .collect();
    let budget = config::DOCUMENTED_WRITE_BUDGET;
    json!({
        "abi_version": ABI_VERSION,
        "version": env!("CARGO_PKG_VERSION"),
        "statuses": statuses,
        "config": {
            "required": config::REQUIRED_FIELDS,
            "credentials": {
                "client_secret": ["client_secret"],
                "client_certificate": [
                    "client_certificate.certificate_pem",
                    "client_certificate.private_key_pem"
                ],
            },
            "defaults": {
                "cloud": Cloud::default().name(),
                "timeout_ms": config::DEFAULT_TIMEOUT_MS,
                "max_concurrency": config::DEFAULT_MAX_CONCURRENCY,
                "max_retries": config::DEFAULT_MAX_RETRIES,
                "call_budget_ms": config::DEFAULT_CALL_BUDGET_MS,
                "write_budget": {"writes": budget.writes, "window_s": budget.window_s},
            },
            "ranges": {
                "timeout_ms": config::TIMEOUT_MS_RANGE,
                "max_concurrency": config::MAX_CONCURRENCY_RANGE,
                "max_retries": [0, config::MAX_RETRIES_LIMIT],
                "call_budget_ms": [1, config::MAX_CALL_BUDGET_MS],
            },
        },
        "bulk": {
            "max_users_per_call": crate::bulk::MAX_USERS_PER_CALL,
            "users_per_shared_call": crate::bulk::USERS_PER_SHARED_CALL,
        },
        "clouds": clouds,
        "directions": directions,
        "features": features,
        "groups": {
            "max_ids_per_call": crate::groups::sync::MAX_IDS_PER_CALL,
            "max_delta_groups": crate::graph::groups::MAX_DELTA_GROUPS,
            "locked_roles": crate::groups::rules::LOCKED_ROLES,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_described_once_with_its_kind() {
        let d = describe();
        let statuses = d["statuses"].as_array().unwrap();
        assert_eq!(statuses.len(), EntraStatus::ALL.len());
        for (i, s) in statuses.iter().enumerate() {
            assert_eq!(s["status"], i as i32, "append-only, in order");
        }
        assert_eq!(statuses[8]["kind"], "throttled");
        assert_eq!(statuses[8]["retryable"], true);
        assert_eq!(statuses[6]["name"], "ENTRA_STATUS_CONFLICT");
        assert_eq!(d["bulk"]["max_users_per_call"], 1000);
        assert_eq!(d["config"]["defaults"]["timeout_ms"], 30000);
        assert_eq!(
            d["clouds"][0]["graph_endpoint"],
            "https://graph.microsoft.com"
        );
        assert_eq!(d["directions"][1]["permission"], "User.Read.All");
        assert_eq!(d["features"][2]["name"], "read_group_memberships");
        assert_eq!(d["features"][3]["permission"], "GroupMember.ReadWrite.All");
    }
}
