//! JSON batching (`POST /v1.0/$batch`).
//!
//! Each sub-request goes through the same front door as a top-level request (auth, permission,
//! throttling, faults, validation, logging). Independent requests run in a random order and the
//! responses come back shuffled, as the documentation allows: a client must match them by id.
//! `dependsOn` is honoured; a request whose dependency failed gets 424 and is not executed.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use hyper::HeaderMap;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use crate::errors::{Body, GraphError, Ids, Reply};
use crate::server::{GraphRequest, Outcome, ReqBody, front};
use crate::state::Shared;
use crate::token;

/// Documented maximum number of requests in one batch.
pub(crate) const MAX_REQUESTS: usize = 20;

#[derive(Debug)]
struct Step {
    id: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    depends_on: Vec<usize>,
}

fn invalid(message: impl Into<String>) -> GraphError {
    GraphError::bad_request(message)
}

/// Parse and check the whole payload; any problem fails the entire batch with 400.
fn parse(body: &[u8]) -> Result<Vec<Step>, GraphError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| invalid("Invalid batch payload format."))?;
    let Some(requests) = v.get("requests").and_then(Value::as_array) else {
        return Err(invalid("Invalid batch payload format."));
    };
    if requests.is_empty() {
        return Err(invalid(
            "Invalid batch payload format. The batch contains no requests.",
        ));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(invalid(format!(
            "Invalid batch payload format. The number of requests in a batch exceeds the limit of {MAX_REQUESTS}."
        )));
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut steps = Vec::with_capacity(requests.len());
    let mut raw_deps: Vec<Vec<String>> = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let Some(obj) = r.as_object() else {
            return Err(invalid("Invalid batch payload format."));
        };
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let method = obj
            .get("method")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let url = obj
            .get("url")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let (Some(id), Some(method), Some(url)) = (id, method, url) else {
            return Err(invalid(
                "Invalid batch payload format. Each request needs a string id, method and url.",
            ));
        };
        if index.insert(id.to_lowercase(), i).is_some() {
            return Err(invalid(format!(
                "Invalid batch payload format. The request id '{id}' is not unique in the batch."
            )));
        }
        let mut headers = Vec::new();
        if let Some(h) = obj.get("headers") {
            let Some(h) = h.as_object() else {
                return Err(invalid(
                    "Invalid batch payload format. headers must be an object.",
                ));
            };
            for (k, v) in h {
                let value = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                headers.push((k.clone(), value));
            }
        }
        let body = obj.get("body").cloned();
        let method_upper = method.to_ascii_uppercase();
        let has_content_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if matches!(method_upper.as_str(), "POST" | "PATCH" | "PUT")
            && (body.is_none() || !has_content_type)
        {
            return Err(invalid(format!(
                "Write request id : {id} does not contain Content-Type header or body."
            )));
        }
        let deps = match obj.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|d| d.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid("Invalid batch payload format. dependsOn must list ids."))?,
            Some(_) => {
                return Err(invalid(
                    "Invalid batch payload format. dependsOn must list ids.",
                ));
            }
        };
        raw_deps.push(deps);
        steps.push(Step {
            id: id.to_string(),
            method: method_upper,
            url: url.to_string(),
            headers,
            body,
            depends_on: Vec::new(),
        });
    }
    for (i, deps) in raw_deps.into_iter().enumerate() {
        for d in deps {
            let Some(&j) = index.get(&d.to_lowercase()) else {
                return Err(invalid(format!(
                    "Invalid batch payload format. Request '{}' depends on '{d}', which is not in the batch.",
                    steps[i].id
                )));
            };
            if j == i {
                return Err(invalid(format!(
                    "Invalid batch payload format. Request '{d}' depends on itself."
                )));
            }
            steps[i].depends_on.push(j);
        }
    }
    Ok(steps)
}

/// A dependency-respecting order, random among requests that are ready at the same time.
fn execution_order(steps: &[Step]) -> Result<Vec<usize>, GraphError> {
    let mut done = vec![false; steps.len()];
    let mut order = Vec::with_capacity(steps.len());
    while order.len() < steps.len() {
        let ready: Vec<usize> = (0..steps.len())
            .filter(|&i| !done[i] && steps[i].depends_on.iter().all(|&d| done[d]))
            .collect();
        if ready.is_empty() {
            return Err(invalid(
                "Invalid batch payload format. The dependsOn references form a cycle.",
            ));
        }
        let pick = ready[rand::random_range(0..ready.len())];
        done[pick] = true;
        order.push(pick);
    }
    Ok(order)
}

fn shuffle<T>(v: &mut [T]) {
    use rand::seq::SliceRandom;
    v.shuffle(&mut rand::rng());
}

fn entry(id: &str, reply: Reply) -> Value {
    let mut headers = Map::new();
    for (k, v) in reply.headers {
        headers.insert(k.to_string(), Value::String(v));
    }
    let mut m = Map::new();
    m.insert("id".into(), Value::String(id.to_string()));
    m.insert("status".into(), Value::from(reply.status));
    m.insert("headers".into(), Value::Object(headers));
    match reply.body {
        Body::Empty => {}
        Body::Json(v) => {
            m.insert("body".into(), v);
        }
        Body::Text(t) => {
            m.insert("body".into(), Value::String(t));
        }
    }
    Value::Object(m)
}

pub(crate) async fn handle(
    shared: &Arc<Shared>,
    req: &GraphRequest,
    ids: &Ids,
    seq: u64,
) -> Outcome {
    shared
        .counters
        .batch_requests
        .fetch_add(1, Ordering::Relaxed);
    if req.method != "POST" {
        return Outcome::Reply(GraphError::method_not_allowed().into_reply(ids));
    }
    if let Err(e) = token::authenticate(shared, &req.headers) {
        return Outcome::Reply(e.into_reply(ids));
    }
    let raw: &[u8] = match &req.body {
        ReqBody::Raw(b) => b,
        ReqBody::Json(_) => &[],
    };
    let steps = match parse(raw).and_then(|s| execution_order(&s).map(|o| (s, o))) {
        Ok(x) => x,
        Err(e) => return Outcome::Reply(e.into_reply(ids)),
    };
    let (steps, order) = steps;
    let authorization = req.headers.get(hyper::header::AUTHORIZATION).cloned();
    let mut status: Vec<Option<u16>> = vec![None; steps.len()];
    let mut responses = Vec::with_capacity(steps.len());
    for i in order {
        let step = &steps[i];
        let failed_dep = step
            .depends_on
            .iter()
            .any(|&d| status[d].is_none_or(|s| s >= 400));
        if failed_dep {
            status[i] = Some(424);
            let sub_ids = Ids {
                request_id: crate::new_guid(),
                client_request_id: ids.client_request_id.clone(),
            };
            let reply = GraphError::new(
                424,
                "FailedDependency",
                "The request was not executed because a request it depends on failed.",
            )
            .into_reply(&sub_ids);
            responses.push(entry(&step.id, reply));
            continue;
        }
        let mut headers = HeaderMap::new();
        if let Some(a) = &authorization {
            headers.insert(hyper::header::AUTHORIZATION, a.clone());
        }
        let mut client_request_id = None;
        for (k, v) in &step.headers {
            if k.eq_ignore_ascii_case("authorization") {
                continue;
            }
            if k.eq_ignore_ascii_case("client-request-id") {
                client_request_id = Some(v.clone());
            }
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.append(n, v);
            }
        }
        // The url is relative to the version root; a '#' ends it, as in any URI.
        let url = step.url.split('#').next().unwrap_or("");
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (url, None),
        };
        let path = format!("/v1.0/{}", path.trim_start_matches('/'));
        let sub = GraphRequest {
            method: step.method.clone(),
            path,
            query,
            headers,
            body: ReqBody::Json(step.body.clone()),
            in_batch: true,
            batch_seq: Some(seq),
            client_request_id: client_request_id.or_else(|| req.client_request_id.clone()),
        };
        match front(shared.clone(), sub).await {
            Outcome::Reset => return Outcome::Reset,
            Outcome::Reply(reply) => {
                status[i] = Some(reply.status);
                responses.push(entry(&step.id, reply));
            }
        }
    }
    shuffle(&mut responses);
    let mut reply = Reply::json(200, json!({ "responses": responses }));
    reply.headers = vec![("Content-Type", "application/json".to_string())];
    Outcome::Reply(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: usize) -> Vec<u8> {
        let reqs: Vec<Value> = (0..n)
            .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"}))
            .collect();
        json!({ "requests": reqs }).to_string().into_bytes()
    }

    #[test]
    fn limits_and_shape() {
        assert!(parse(&batch(20)).is_ok());
        assert!(
            parse(&batch(21))
                .unwrap_err()
                .message
                .contains("limit of 20")
        );
        assert!(parse(b"{").is_err());
        let dup = json!({"requests": [
            {"id": "a", "method": "GET", "url": "/users"},
            {"id": "A", "method": "GET", "url": "/users"}]});
        assert!(parse(dup.to_string().as_bytes()).is_err());
        let no_ct = json!({"requests": [
            {"id": "a", "method": "POST", "url": "/users", "body": {}}]});
        assert!(
            parse(no_ct.to_string().as_bytes())
                .unwrap_err()
                .message
                .starts_with("Write request id : a")
        );
    }

    #[test]
    fn order_respects_dependencies_and_detects_cycles() {
        let chain = json!({"requests": [
            {"id": "3", "method": "GET", "url": "/users", "dependsOn": ["2"]},
            {"id": "1", "method": "GET", "url": "/users"},
            {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"]}]});
        let steps = parse(chain.to_string().as_bytes()).unwrap();
        assert_eq!(execution_order(&steps).unwrap(), vec![1, 2, 0]);
        let cycle = json!({"requests": [
            {"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]},
            {"id": "2", "method": "GET", "url": "/users", "dependsOn": ["1"]}]});
        let steps = parse(cycle.to_string().as_bytes()).unwrap();
        assert!(execution_order(&steps).is_err());
    }
}
