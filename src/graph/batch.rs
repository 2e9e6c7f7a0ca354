//! JSON batching: up to 20 requests in one `POST /$batch`. Each sub-request succeeds, fails or
//! is throttled on its own; responses come back in any order and are matched by `id`.

use super::{GraphClient, Replay, Response, odata};
use crate::error::{Detail, Error, ErrorKind, Result};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Graph's documented limit of requests in one batch.
pub const MAX_BATCH: usize = 20;

pub(super) struct SubRequest {
    pub id: String,
    pub method: &'static str,
    /// Relative to the API version, e.g. `/users`.
    pub url: String,
    pub body: Option<Value>,
}

impl Response {
    /// A sub-response as the result of its request: itself on 2xx, the classified error (with
    /// the sub-request's own Retry-After) otherwise.
    fn into_result(self, headers_retry_after: Option<std::time::Duration>) -> Result<Response> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(odata::classify(
                self.status,
                headers_retry_after,
                self.request_id,
                &self.body,
            ))
        }
    }
}

impl GraphClient {
    /// Reads up to `MAX_BATCH` objects in one `$batch`, `url_of(id)` each, answered by id.
    pub(super) async fn batch_get(
        &self,
        ids: &[String],
        url_of: impl Fn(&str) -> String,
    ) -> Result<HashMap<String, Result<Response>>> {
        let requests: Vec<SubRequest> = ids
            .iter()
            .map(|id| SubRequest {
                id: id.clone(),
                method: "GET",
                url: url_of(id),
                body: None,
            })
            .collect();
        self.batch(&requests).await
    }

    /// Sends one batch and returns each sub-response's result by id. The batch as a whole is
    /// never replayed after a lost answer (it may hold creates): that error is returned, and the
    /// caller looks before it creates again.
    pub(super) async fn batch(
        &self,
        requests: &[SubRequest],
    ) -> Result<HashMap<String, Result<Response>>> {
        debug_assert!(!requests.is_empty() && requests.len() <= MAX_BATCH);
        let body = json!({
            "requests": requests.iter().map(|r| {
                let mut item = json!({"id": r.id, "method": r.method, "url": r.url});
                if let Some(body) = &r.body {
                    item["body"] = body.clone();
                    item["headers"] = json!({"Content-Type": "application/json"});
                }
                item
            }).collect::<Vec<_>>()
        });
        let writes = requests.iter().filter(|r| r.method != "GET").count();
        let response = self
            .send_counted(
                Method::POST,
                "/$batch",
                Some(&body),
                Replay::LookFirst,
                writes,
                &[],
            )
            .await?;
        let mut results = HashMap::with_capacity(requests.len());
        let responses = response
            .body
            .get("responses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for item in responses {
            let Some(id) = item.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            // Its throttling signals were noted when the answer arrived (`note_batch_signals`).
            let retry_after = odata::parse_retry_after(sub_header(&item, "retry-after").as_deref());
            let sub = Response {
                status: sub_status(&item),
                request_id: sub_header(&item, "request-id").or_else(|| response.request_id.clone()),
                body: item.get("body").cloned().unwrap_or(Value::Null),
            };
            results.insert(id, sub.into_result(retry_after));
        }
        // A sub-request Graph did not answer for is treated as lost: it may or may not have run.
        for r in requests {
            results.entry(r.id.clone()).or_insert_with(|| {
                let mut d = Detail::new("Graph's $batch answer has no response for this request");
                d.maybe_committed = true;
                Err(Error::new(ErrorKind::Transient, d))
            });
        }
        Ok(results)
    }
}

/// The status of one sub-response of a `$batch` answer.
fn sub_status(item: &Value) -> u16 {
    item.get("status").and_then(Value::as_u64).unwrap_or(0) as u16
}

/// A header of one sub-response of a `$batch` answer (names are case-insensitive).
fn sub_header(item: &Value, name: &str) -> Option<String> {
    item.get("headers")
        .and_then(Value::as_object)
        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, v)| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
}

impl GraphClient {
    /// Notes the throttling signals of a `$batch` answer's sub-responses (Graph's usage, 429s
    /// and their Retry-After). Called before the batch's writes leave the pacer: a write that
    /// waits for them to be answered must find the gate already shut by a 429 among them.
    pub(super) fn note_batch_signals(&self, answer: &Value) {
        let Some(items) = answer.get("responses").and_then(Value::as_array) else {
            return;
        };
        for item in items {
            self.note_usage(sub_header(item, "x-ms-throttle-limit-percentage").as_deref());
            if sub_status(item) == 429 {
                self.note_throttled(odata::parse_retry_after(
                    sub_header(item, "retry-after").as_deref(),
                ));
            }
        }
    }
}
