//! The store's queue as Ponte reads it: `GET /events?after=N&wait=S` (a long poll, up to 25 s)
//! and `POST /events/ack {"up_to": N}`, each with a Nuvemshop installation's key as a bearer
//! token. A few long polls per key at once; all of them end when the broker stops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::db::now_seconds;
use crate::routes::{bearer, too_many};
use crate::storage::Known;
use crate::{BrokerState, Service};

/// The longest a read waits for an event.
pub const MAX_WAIT: Duration = Duration::from_secs(25);

fn refuse(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

/// A refusal's status and error code, made into a response by the handler.
type Refusal = (StatusCode, &'static str);

/// The Nuvemshop installation behind `Authorization: Bearer …`, and its store.
async fn reader(broker: &BrokerState, headers: &HeaderMap) -> Result<(Known, String), Refusal> {
    let key = bearer(headers)
        .ok_or((StatusCode::UNAUTHORIZED, "missing_key"))?
        .to_string();
    match broker
        .db(move |db| db.installation(&key, now_seconds()))
        .await
    {
        Ok(Some(known)) if known.service == Service::Nuvemshop => match known.store_id.clone() {
            Some(store) => Ok((known, store)),
            None => Err((StatusCode::UNAUTHORIZED, "unknown_key")),
        },
        Ok(_) => Err((StatusCode::UNAUTHORIZED, "unknown_key")),
        Err(error) => {
            tracing::error!(%error, "events: lookup failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "unavailable"))
        }
    }
}

/// Long polls waiting under each installation key.
pub struct LongPolls {
    per_key: usize,
    waiting: Arc<Mutex<HashMap<String, usize>>>,
}

/// One long poll's place; given back when the request ends, however it ends.
pub struct Seat {
    key: String,
    waiting: Arc<Mutex<HashMap<String, usize>>>,
}

impl LongPolls {
    pub fn new(per_key: usize) -> LongPolls {
        LongPolls {
            per_key: per_key.max(1),
            waiting: Arc::default(),
        }
    }

    /// Long polls waiting now, under every key.
    pub fn open(&self) -> usize {
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }

    fn seat(&self, key: &str) -> Option<Seat> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        let count = waiting.entry(key.to_string()).or_default();
        if *count >= self.per_key {
            return None;
        }
        *count += 1;
        Some(Seat {
            key: key.to_string(),
            waiting: self.waiting.clone(),
        })
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = waiting.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                waiting.remove(&self.key);
            }
        }
    }
}

/// A long poll ends up to a fifth before the wait asked, at random: polls that started together
/// (every Ponte reconnecting after the broker restarted) drift apart instead of all coming back
/// at once every 25 s, each wave a burst of lookups.
fn jittered(wait: Duration) -> Duration {
    let spread = wait / 5;
    if spread.is_zero() {
        return wait;
    }
    wait - spread.mul_f64(rand::random::<f64>())
}

#[derive(Deserialize)]
pub(crate) struct Read {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    wait: u64,
}

pub(crate) async fn read(
    State(broker): State<BrokerState>,
    headers: HeaderMap,
    Query(read): Query<Read>,
) -> Response {
    let (installation, store) = match reader(&broker, &headers).await {
        Ok(found) => found,
        Err((status, code)) => return refuse(status, code),
    };
    let wait = jittered(Duration::from_secs(read.wait).min(MAX_WAIT));
    let _seat = if wait.is_zero() {
        None
    } else {
        match broker.long_polls.seat(&installation.digest) {
            Some(seat) => Some(seat),
            None => return too_many(Duration::from_secs(5)),
        }
    };
    let deadline = tokio::time::Instant::now() + wait;
    // Rung only by this store's events (`webhooks::queued`), never on a timer.
    let bell = broker.wakeups.bell(&store);
    loop {
        // Registered before the read, so an event queued in between still wakes this request.
        let woken = bell.notified();
        let reading = store.clone();
        broker
            .counters
            .feed_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match broker
            .db(move |db| db.events_after(&reading, read.after))
            .await
        {
            Ok(events)
                if !events.is_empty()
                    || tokio::time::Instant::now() >= deadline
                    || broker.shutdown.is_cancelled() =>
            {
                let cursor = events.last().map_or(read.after, |e| e.id);
                broker.metrics.events_delivered.inc_by(events.len() as u64);
                return Json(ponte_protocol::EventsPage { events, cursor }).into_response();
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(%error, "events: read failed");
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
            }
        }
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep_until(deadline) => {}
            _ = broker.shutdown.cancelled() => {}
        }
    }
}

pub(crate) async fn ack(
    State(broker): State<BrokerState>,
    headers: HeaderMap,
    body: Result<Json<ponte_protocol::AckRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let (installation, _) = match reader(&broker, &headers).await {
        Ok(found) => found,
        Err((status, code)) => return refuse(status, code),
    };
    let Ok(Json(ack)) = body else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request");
    };
    match broker
        .db(move |db| db.acknowledge(&installation, ack.up_to))
        .await
    {
        Ok(()) => Json(json!({})).into_response(),
        Err(error) => {
            tracing::error!(%error, "events: ack failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_polls_end_within_a_fifth_before_the_wait_asked() {
        let waits: Vec<Duration> = (0..200).map(|_| jittered(MAX_WAIT)).collect();
        assert!(waits
            .iter()
            .all(|w| *w <= MAX_WAIT && *w >= MAX_WAIT * 4 / 5));
        let (shortest, longest) = (waits.iter().min().unwrap(), waits.iter().max().unwrap());
        assert!(
            *longest - *shortest > Duration::from_secs(2),
            "spread apart"
        );
        assert_eq!(
            jittered(Duration::ZERO),
            Duration::ZERO,
            "a read that does not wait"
        );
    }

    #[test]
    fn a_key_gets_a_few_seats_and_each_comes_back() {
        let polls = LongPolls::new(2);
        let a = polls.seat("k").unwrap();
        let _b = polls.seat("k").unwrap();
        assert!(polls.seat("k").is_none());
        assert!(polls.seat("other").is_some());
        drop(a);
        assert!(polls.seat("k").is_some());
    }
}
