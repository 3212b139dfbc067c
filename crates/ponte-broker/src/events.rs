//! The store's queue as Ponte reads it: `GET /events?after=N&wait=S` (a long poll, up to 25 s)
//! and `POST /events/ack {"up_to": N}`, each with the installation's key as a bearer token.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::BrokerState;

/// The longest a read waits for an event.
pub const MAX_WAIT: Duration = Duration::from_secs(25);

fn refuse(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty()).then(|| key.trim())
}

/// A refusal's status and error code, made into a response by the handler.
type Refusal = (StatusCode, &'static str);

fn store_of(broker: &BrokerState, headers: &HeaderMap) -> Result<String, Refusal> {
    let Some(key) = bearer(headers) else {
        return Err((StatusCode::UNAUTHORIZED, "missing_key"));
    };
    match broker.claims.installation(key) {
        Ok(Some(store)) => Ok(store),
        Ok(None) => Err((StatusCode::UNAUTHORIZED, "unknown_key")),
        Err(error) => {
            tracing::error!(%error, "events: lookup failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "unavailable"))
        }
    }
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
    let store = match store_of(&broker, &headers) {
        Ok(store) => store,
        Err((status, code)) => return refuse(status, code),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(read.wait).min(MAX_WAIT);
    loop {
        // Registered before the read, so an event queued in between still wakes this request.
        let woken = broker.new_events.notified();
        match broker.claims.events_after(&store, read.after) {
            Ok(events) if !events.is_empty() || tokio::time::Instant::now() >= deadline => {
                let cursor = events.last().map_or(read.after, |e| e.id);
                return Json(json!({ "events": events, "cursor": cursor })).into_response();
            }
            Ok(_) => {}
            Err(error) => {
                tracing::error!(%error, "events: read failed");
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
            }
        }
        // Another instance on the same database queues without waking this one: look again
        // every second anyway.
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct Ack {
    up_to: i64,
}

pub(crate) async fn ack(
    State(broker): State<BrokerState>,
    headers: HeaderMap,
    body: Result<Json<Ack>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Err((status, code)) = store_of(&broker, &headers) {
        return refuse(status, code);
    }
    let Ok(Json(ack)) = body else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let key = bearer(&headers).unwrap_or_default();
    match broker.claims.acknowledge(key, ack.up_to) {
        Ok(()) => Json(json!({})).into_response(),
        Err(error) => {
            tracing::error!(%error, "events: ack failed");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}
