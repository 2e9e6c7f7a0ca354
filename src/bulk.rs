//! Bulk provisioning: creates sent as `$batch` requests of up to 20, several batches in flight,
//! each user's retries scheduled on its own (after its own Retry-After), one user's failure never
//! failing another. Results come back in input order.
//!
//! Creates whose answer was lost are finished afterwards through the single-user path (look,
//! then create), so no retry ever makes a second account. A UPN or mail that is already taken is
//! reported per user as a conflict naming the existing account, which is never written to.

use crate::error::{Detail, Error, ErrorKind, Result};
use crate::graph::{MAX_BATCH, Response, users};
use crate::json::Object;
use crate::mapping::{DrupalUser, MappedUser, PreviousAttempt};
use crate::password;
use crate::provision::{Outcome, Provisioner, created};
use crate::secret::Secret;
use futures_util::stream::{self, FuturesUnordered, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use tokio::time::Instant;

/// The most users one call accepts; the host sends larger sets in chunks.
pub const MAX_USERS_PER_CALL: usize = 1000;
/// How many users a host sends per call while other processes share the quota (`workers` > 1).
/// The host counts the processes when a call starts, so a call must be short for a process
/// that joins or leaves to change everyone's part soon: a process paces at its part of Graph's
/// 20 writes/s per application, so five users last about a second when four share it (twenty,
/// one `$batch`, lasted four, and the last process of a run spent them at a quarter of the
/// quota it had alone by then).
pub const USERS_PER_SHARED_CALL: usize = 5;
/// The most processes a host may say share the quota (`workers` of a bulk request).
pub const MAX_WORKERS: u32 = 64;

struct Pending {
    index: usize,
    mapped: MappedUser,
    password: Secret,
    attempts: u32,
    not_before: Instant,
}

/// What remains to do for a user after the batch phase.
enum FollowUp {
    /// Graph says the UPN or mail exists: name the existing account (never link to it here).
    Conflict(Error),
    /// Graph gave a bare 400 although our checks passed: a conflict if someone holds the UPN.
    Rejected(Error),
    /// The create may have happened: look first, create only if absent.
    Recover,
}

pub struct BulkResult {
    pub uid: Option<Value>,
    pub result: Result<Outcome>,
}

/// What `entra_bulk_provision` answers: one result per input user, in input order, and the
/// counts. Each result is `{"uid", "ok": true, <outcome>}` or `{"uid", "ok": false, "error":
/// <error object>}`.
#[derive(Debug, Serialize)]
pub struct BulkReport {
    pub results: Vec<Value>,
    pub summary: BulkSummary,
}

/// How many users of a call were created, linked or failed; `other` only when an outcome was
/// none of these. (Fields in alphabetical order: the JSON keeps the order it always had.)
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct BulkSummary {
    pub created: u64,
    pub failed: u64,
    pub linked: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub other: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl BulkReport {
    /// The report of `results`; `error_object` gives a failed user's error as the host reads
    /// it (the ABI's error object, cleared of the client's secrets). Outcomes are directory data
    /// and are never altered.
    pub fn new(results: Vec<BulkResult>, error_object: impl Fn(&Error) -> Value) -> BulkReport {
        let mut summary = BulkSummary::default();
        let results = results
            .into_iter()
            .map(|r| match r.result {
                Ok(outcome) => {
                    let mut v = serde_json::to_value(&outcome).unwrap_or_default();
                    match v.get("action").and_then(Value::as_str) {
                        Some("created") => summary.created += 1,
                        Some("linked") => summary.linked += 1,
                        _ => summary.other += 1,
                    }
                    v["uid"] = r.uid.unwrap_or(Value::Null);
                    v["ok"] = json!(true);
                    v
                }
                Err(err) => {
                    summary.failed += 1;
                    let error = error_object(&err);
                    json!({"uid": r.uid, "ok": false, "error": error})
                }
            })
            .collect();
        BulkReport { results, summary }
    }
}

impl Provisioner {
    pub async fn bulk_provision(&self, users: Vec<Value>) -> Vec<BulkResult> {
        let mut uids = Vec::with_capacity(users.len());
        let mut results: Vec<Option<Result<Outcome>>> = Vec::with_capacity(users.len());
        let mut queue = VecDeque::new();
        let mut upn_owner: HashMap<String, usize> = HashMap::new();
        let mut earlier = Vec::new();
        for (index, raw) in users.into_iter().enumerate() {
            uids.push(raw.get("uid").cloned());
            match self.prepare(raw) {
                Ok((mapped, attempt)) => {
                    // Two Drupal accounts mapping to one UPN would otherwise both "link" to the
                    // same Entra user.
                    let key = mapped.user_principal_name.to_ascii_lowercase();
                    if let Some(first) = upn_owner.get(&key) {
                        results.push(Some(Err(Error::new(
                            ErrorKind::Conflict,
                            Detail::new(format!(
                                "{} is also the UPN of user #{} in this chunk",
                                mapped.user_principal_name,
                                first + 1
                            ))
                            .field("userPrincipalName")
                            .hint("Change one user's name so that their UPNs differ."),
                        ))));
                        continue;
                    }
                    upn_owner.insert(key, index);
                    results.push(None);
                    let pending = Pending {
                        index,
                        mapped,
                        password: password::generate(self.config.mapping.password_length),
                        attempts: 0,
                        not_before: Instant::now(),
                    };
                    match attempt {
                        Some(attempt) => earlier.push((pending, attempt)),
                        None => queue.push_back(pending),
                    }
                }
                Err(e) => results.push(Some(Err(e))),
            }
        }
        // Users an earlier call may already have created: look before creating again.
        let found: Vec<(Pending, Result<Option<Outcome>>)> = stream::iter(earlier)
            .map(|(pending, attempt)| async move {
                let found = self.find_earlier_create(&attempt).await;
                (pending, found)
            })
            .buffer_unordered(self.config.max_concurrency)
            .collect()
            .await;
        for (pending, found) in found {
            match found {
                Ok(Some(outcome)) => results[pending.index] = Some(Ok(outcome)),
                Ok(None) => queue.push_back(pending),
                Err(e) => results[pending.index] = Some(Err(e)),
            }
        }
        let follow_ups = self.run_batches(queue, &mut results).await;
        let finished: Vec<(usize, Result<Outcome>)> = stream::iter(follow_ups)
            .map(|(pending, follow_up)| async move {
                let result = match follow_up {
                    FollowUp::Conflict(original) => {
                        Err(self.conflict(&pending.mapped, original).await)
                    }
                    // A bare 400 is a conflict only when someone holds the UPN or mail.
                    FollowUp::Rejected(original) => {
                        match self.conflict(&pending.mapped, original.clone()).await {
                            err if err.is(ErrorKind::Conflict)
                                && err.detail().existing.is_some() =>
                            {
                                Err(err)
                            }
                            _ => Err(original),
                        }
                    }
                    FollowUp::Recover => self.create(&pending.mapped, pending.password, true).await,
                };
                (pending.index, result)
            })
            .buffer_unordered(self.config.max_concurrency)
            .collect()
            .await;
        for (index, result) in finished {
            results[index] = Some(result);
        }
        uids.into_iter()
            .zip(results)
            .map(|(uid, result)| BulkResult {
                uid,
                result: result.unwrap_or_else(|| {
                    Err(Error::new(
                        ErrorKind::Graph,
                        Detail::new("no result was recorded (bug)"),
                    ))
                }),
            })
            .collect()
    }

    fn prepare(&self, raw: Value) -> Result<(MappedUser, Option<PreviousAttempt>)> {
        let Object(user): Object<DrupalUser> = serde_json::from_value(raw).map_err(|e| {
            Error::validation(
                "user",
                format!(
                    "not a Drupal user object: {}",
                    crate::redact::without_input_values(&e.to_string())
                ),
            )
        })?;
        Ok((self.map(&user)?, user.previous_attempt))
    }

    /// Sends creates in batches until each has a result or needs a follow-up.
    async fn run_batches(
        &self,
        mut ready: VecDeque<Pending>,
        results: &mut [Option<Result<Outcome>>],
    ) -> Vec<(Pending, FollowUp)> {
        let mut waiting: Vec<Pending> = Vec::new();
        let mut follow_ups = Vec::new();
        let mut in_flight = FuturesUnordered::new();
        loop {
            let now = Instant::now();
            let (due, later): (Vec<_>, Vec<_>) =
                waiting.drain(..).partition(|p| p.not_before <= now);
            waiting = later;
            ready.extend(due);
            while in_flight.len() < self.config.max_concurrency && !ready.is_empty() {
                // The pacer lowers the fill when Graph's real limit is below the budget.
                let take = ready.len().min(self.graph.batch_fill().min(MAX_BATCH));
                let chunk: Vec<Pending> = ready.drain(..take).collect();
                in_flight.push(self.send_chunk(chunk));
            }
            if in_flight.is_empty() {
                match waiting.iter().map(|p| p.not_before).min() {
                    Some(next) => {
                        tokio::time::sleep_until(next).await;
                        continue;
                    }
                    None => break,
                }
            }
            let next_due = waiting.iter().map(|p| p.not_before).min();
            let done = tokio::select! {
                done = in_flight.next() => done,
                _ = sleep_until_opt(next_due) => None,
            };
            let Some((chunk, outcome)) = done else {
                continue;
            };
            match outcome {
                Ok(mut answers) => {
                    for pending in chunk {
                        let answer =
                            answers
                                .remove(&pending.index.to_string())
                                .unwrap_or_else(|| {
                                    let mut d = Detail::new("no answer for this request");
                                    d.maybe_committed = true;
                                    Err(Error::new(ErrorKind::Transient, d))
                                });
                        self.settle(pending, answer, results, &mut waiting, &mut follow_ups)
                            .await;
                    }
                }
                Err(err) => {
                    for pending in chunk {
                        self.settle(
                            pending,
                            Err(err.clone()),
                            results,
                            &mut waiting,
                            &mut follow_ups,
                        )
                        .await;
                    }
                }
            }
        }
        follow_ups
    }

    async fn send_chunk(
        &self,
        chunk: Vec<Pending>,
    ) -> (Vec<Pending>, Result<HashMap<String, Result<Response>>>) {
        let force_change = self.config.mapping.force_change_password;
        let creates = chunk
            .iter()
            .map(|p| {
                let body = p.mapped.create_body(&p.password, force_change);
                (p.index.to_string(), body)
            })
            .collect();
        let outcome = users::batch_create(&self.graph, creates).await;
        (chunk, outcome)
    }

    /// Decides what becomes of one user after an answer (or a lost one) for its create.
    async fn settle(
        &self,
        mut pending: Pending,
        answer: Result<Response>,
        results: &mut [Option<Result<Outcome>>],
        waiting: &mut Vec<Pending>,
        follow_ups: &mut Vec<(Pending, FollowUp)>,
    ) {
        let err = match answer {
            Ok(response) => {
                results[pending.index] = Some(Ok(created(&response.body, response.request_id)));
                return;
            }
            Err(err) => err,
        };
        match err {
            err if err.is(ErrorKind::Conflict) => {
                follow_ups.push((pending, FollowUp::Conflict(err)))
            }
            err if err.is(ErrorKind::Validation) => {
                follow_ups.push((pending, FollowUp::Rejected(err)))
            }
            err if err.detail().maybe_committed => follow_ups.push((pending, FollowUp::Recover)),
            err => {
                let refreshed = self.graph.invalidate_token_after(&err).await;
                let delay = if refreshed && pending.attempts == 0 {
                    Some(std::time::Duration::ZERO)
                } else {
                    self.graph.retry_delay(pending.attempts, &err)
                };
                match delay {
                    // Past the call's deadline: the caller's queue retries it then.
                    Some(wait) if crate::deadline::crosses(wait) => {
                        results[pending.index] = Some(Err(crate::graph::handed_back(err, wait)))
                    }
                    Some(wait) => {
                        pending.attempts += 1;
                        pending.not_before = Instant::now() + wait;
                        waiting.push(pending);
                    }
                    None => results[pending.index] = Some(Err(err)),
                }
            }
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::operation::Operation;
    use crate::redact::Redactor;

    #[test]
    fn the_report_keeps_input_order_counts_and_redacts_errors() {
        let results = vec![
            BulkResult {
                uid: Some(json!(7)),
                result: Ok(created(
                    &json!({"id": "e1", "userPrincipalName": "a@c.example"}),
                    Some("rid".into()),
                )),
            },
            BulkResult {
                uid: Some(json!(8)),
                result: Err(Error::validation("name", "bad s3cret-canary-x")),
            },
        ];
        let redactor = Redactor::new(["s3cret-canary-x"]);
        let report = BulkReport::new(results, |err| {
            crate::ffi::error_json(err, Operation::BulkCreate, &redactor)
        });
        let v = serde_json::to_value(report).unwrap();
        assert_eq!(
            v["summary"],
            json!({"created": 1, "failed": 1, "linked": 0})
        );
        assert_eq!(v["results"][0]["uid"], 7);
        assert_eq!(v["results"][0]["ok"], true);
        assert_eq!(v["results"][0]["action"], "created");
        assert_eq!(v["results"][1]["uid"], 8);
        assert_eq!(v["results"][1]["ok"], false);
        let error = &v["results"][1]["error"];
        assert_eq!(error["kind"], ErrorKind::Validation.name());
        assert_eq!(error["scope"], "user");
        assert!(!v.to_string().contains("s3cret"), "{v}");
    }

    #[test]
    fn other_is_counted_only_when_it_happens() {
        let mut outcome = created(&json!({"id": "e1"}), None);
        outcome.action = crate::provision::Action::Unchanged;
        let results = vec![BulkResult {
            uid: None,
            result: Ok(outcome),
        }];
        let report = BulkReport::new(results, |_| unreachable!("no user failed"));
        let v = serde_json::to_value(report).unwrap();
        assert_eq!(
            v["summary"],
            json!({"created": 0, "failed": 0, "linked": 0, "other": 1})
        );
        assert_eq!(v["results"][0]["uid"], Value::Null);
    }
}
