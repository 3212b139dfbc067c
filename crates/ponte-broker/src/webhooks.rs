//! Nuvemshop's webhooks: the order events Ponte registers for each store, and the three LGPD
//! requests every app must serve. Each delivery is checked (HMAC-SHA256 of the raw body under
//! the app's secret, in constant time), answered at once, and queued as `{store_id, event,
//! id}` (plus order ids for LGPD) for the store's installations to read: never the customer's
//! e-mail, phone or document that LGPD payloads carry.
//!
//! A store no installation claimed stores nothing: an order event is refused (404), an LGPD
//! request answered 200, since Ponte holds nothing of that store to erase or hand over, and a
//! refusal would only make Nuvemshop retry for days.
//!
//! Whether Nuvemshop signs the LGPD webhooks set in the partner panel is not documented (only
//! API-created webhooks are said to be verifiable). An LGPD request without a signature header
//! for a known store is therefore kept, marked unverified, at most a few per store an hour
//! (then 429: Nuvemshop delivers again later); Ponte carries out only what is harmless (the
//! data request's file on the merchant's computer, removing its own copy of a customer) and a
//! store's erasure waits for the merchant as always. An unverified erasure never drops the
//! store's queued events nor forgets its installations. A signature that is present and wrong
//! is refused as before.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

use std::sync::atomic::Ordering::Relaxed;

use crate::routes::too_many;
use crate::BrokerState;

/// The events Ponte acts on; others are acknowledged and dropped.
pub const ORDER_EVENTS: [&str; 5] = [
    "order/paid",
    "order/updated",
    "order/cancelled",
    "order/edited",
    // Its `id` is the app's: the installations check their token and say the app was removed.
    "app/uninstalled",
];
/// Webhook bodies are small, but an LGPD request may list many orders.
pub const MAX_WEBHOOK_BODY: usize = 256 * 1024;
const SIGNATURE_HEADER: &str = "x-linkedstore-hmac-sha256";

/// `true` when `signature` is the HMAC-SHA256 of `body` under `secret`, written in hex (the
/// documented form) or base64 (one SDK's form).
pub fn signature_is_valid(secret: &str, body: &[u8], signature: &str) -> bool {
    let signature = signature.trim();
    let Some(tag) = hex::decode(signature)
        .ok()
        .filter(|tag| tag.len() == 32)
        .or_else(|| {
            base64::engine::general_purpose::STANDARD
                .decode(signature)
                .ok()
                .filter(|tag| tag.len() == 32)
        })
    else {
        return false;
    };
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    // ring compares in constant time.
    ring::hmac::verify(&key, body, &tag).is_ok()
}

fn refuse(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) if !text.is_empty() && text.len() <= 64 => Some(text.clone()),
        _ => None,
    }
}

fn ids(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|v| id_text(Some(v))).collect())
        .unwrap_or_default()
}

/// A refusal's status and error code, made into a response by the handler.
type Refusal = (StatusCode, &'static str);

/// A delivery that passed the checks: its body, its store and whether an installation of
/// Ponte claimed it, and whether it was signed.
struct Delivery {
    payload: Value,
    store_id: String,
    known: bool,
    signed: bool,
}

/// Which deliveries may come without a signature.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unsigned {
    Refused,
    /// LGPD requests: see the module's documentation.
    Kept,
}

/// Checks the signature; the parsed body and whether the store is Ponte's.
async fn accept(
    broker: &BrokerState,
    headers: &HeaderMap,
    body: &Bytes,
    unsigned: Unsigned,
) -> Result<Delivery, Refusal> {
    let signed = match headers.get(SIGNATURE_HEADER) {
        None if unsigned == Unsigned::Kept => false,
        None => {
            tracing::warn!("webhook without a signature refused");
            return Err((StatusCode::UNAUTHORIZED, "missing_signature"));
        }
        Some(signature) => {
            let secret = &broker.config.nuvemshop.client_secret;
            let valid = signature
                .to_str()
                .is_ok_and(|signature| signature_is_valid(secret, body, signature));
            if !valid {
                tracing::warn!("webhook with a wrong signature refused");
                return Err((StatusCode::UNAUTHORIZED, "bad_signature"));
            }
            true
        }
    };
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return Err((StatusCode::BAD_REQUEST, "invalid_json"));
    };
    let Some(store_id) = id_text(payload.get("store_id")) else {
        return Err((StatusCode::BAD_REQUEST, "no_store_id"));
    };
    let asked = store_id.clone();
    match broker.db(move |db| db.knows_store(&asked)).await {
        Ok(known) => Ok(Delivery {
            payload,
            store_id,
            known,
            signed,
        }),
        Err(error) => {
            tracing::error!(%error, "webhook not recorded");
            Err((StatusCode::SERVICE_UNAVAILABLE, "unavailable"))
        }
    }
}

/// A delivery to queue, owned: it goes to the database's thread.
struct Queued {
    store_id: String,
    event: &'static str,
    resource_id: String,
    customer: Option<String>,
    orders: Vec<String>,
    verified: bool,
}

async fn queued(broker: &BrokerState, queued: Queued) -> Response {
    let (store, event) = (queued.store_id.clone(), queued.event);
    let stored = broker
        .db(move |db| {
            let new = crate::storage::NewEvent {
                store_id: &queued.store_id,
                event: queued.event,
                resource_id: &queued.resource_id,
                customer: queued.customer.as_deref(),
                orders: &queued.orders,
                verified: queued.verified,
            };
            db.queue_event(new, crate::db::now_seconds())
        })
        .await;
    match stored {
        Ok(fresh) => {
            tracing::info!(event, fresh, "webhook queued");
            if fresh {
                broker.metrics.webhook("accepted");
                broker.metrics.events_queued.inc();
            } else {
                broker.metrics.webhook("duplicate");
            }
            broker.wakeups.ring(&store);
            Json(json!({})).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "webhook not recorded");
            // Nuvemshop retries for two days: a 5xx is a later delivery, not a loss.
            refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// `POST /webhooks/nuvemshop`: `{store_id, event, id}`.
pub(crate) async fn order_event(
    State(broker): State<BrokerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delivery = match accept(&broker, &headers, &body, Unsigned::Refused).await {
        Ok(delivery) => delivery,
        Err((status, code)) => return refuse(status, code),
    };
    if !delivery.known {
        tracing::warn!("webhook for a store without Ponte refused");
        return refuse(StatusCode::NOT_FOUND, "unknown_store");
    }
    let (payload, store_id) = (delivery.payload, delivery.store_id);
    let event = payload.get("event").and_then(Value::as_str).unwrap_or("");
    let Some(event) = ORDER_EVENTS.iter().copied().find(|known| *known == event) else {
        tracing::info!(
            event,
            "webhook for an event Ponte does not use: acknowledged, dropped"
        );
        broker.metrics.webhook("ignored");
        return Json(json!({})).into_response();
    };
    let Some(id) = id_text(payload.get("id")) else {
        return refuse(StatusCode::BAD_REQUEST, "no_id");
    };
    queued(
        &broker,
        Queued {
            store_id,
            event,
            resource_id: id,
            customer: None,
            orders: Vec::new(),
            verified: true,
        },
    )
    .await
}

/// `POST /webhooks/nuvemshop/{store-redact|customers-redact|customers-data-request}`: the
/// URLs set in the app's panel.
pub(crate) async fn lgpd(
    State(broker): State<BrokerState>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let event = match kind.as_str() {
        "store-redact" => "store/redact",
        "customers-redact" => "customers/redact",
        "customers-data-request" => "customers/data_request",
        _ => return refuse(StatusCode::NOT_FOUND, "unknown_webhook"),
    };
    let delivery = match accept(&broker, &headers, &body, Unsigned::Kept).await {
        Ok(delivery) => delivery,
        Err((status, code)) => return refuse(status, code),
    };
    if !delivery.known {
        tracing::info!(
            event,
            signed = delivery.signed,
            "LGPD request for a store without Ponte: nothing held, nothing stored"
        );
        broker.metrics.webhook("ignored");
        return Json(json!({})).into_response();
    }
    if !delivery.signed {
        if let Err(wait) = broker.guards.unsigned_lgpd.check(&delivery.store_id) {
            broker.counters.unsigned_lgpd_refused.fetch_add(1, Relaxed);
            tracing::warn!(
                event,
                "ALERT: unsigned LGPD requests for one store over the hour's limit: refused \
                 for now (Nuvemshop delivers again)"
            );
            return too_many(wait);
        }
        broker.counters.unsigned_lgpd_kept.fetch_add(1, Relaxed);
        tracing::warn!(event, "LGPD request without a signature kept, unverified");
    }
    let (payload, store_id) = (delivery.payload, delivery.store_id);
    // The customer's id goes with both customer requests: Ponte acts only on the orders that
    // are that customer's, whatever the request lists.
    let customer = id_text(payload.get("customer").and_then(|c| c.get("id")));
    let (id, orders) = match event {
        "store/redact" => (store_id.clone(), Vec::new()),
        "customers/redact" => (
            match &customer {
                Some(id) => id.clone(),
                None => return refuse(StatusCode::BAD_REQUEST, "no_customer"),
            },
            ids(payload.get("orders_to_redact")),
        ),
        _ => {
            if customer.is_none() {
                return refuse(StatusCode::BAD_REQUEST, "no_customer");
            }
            (
                // The request's own id: two requests of one customer are two files.
                match id_text(payload.get("data_request").and_then(|r| r.get("id")))
                    .or_else(|| customer.clone())
                {
                    Some(id) => id,
                    None => return refuse(StatusCode::BAD_REQUEST, "no_request_id"),
                },
                ids(payload.get("orders_requested")),
            )
        }
    };
    let queued_event = Queued {
        store_id,
        event,
        resource_id: id,
        customer,
        orders,
        verified: delivery.signed,
    };
    queued(&broker, queued_event).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> Vec<u8> {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
        ring::hmac::sign(&key, body).as_ref().to_vec()
    }

    #[test]
    fn hex_and_base64_signatures_are_accepted_and_nothing_else() {
        let body = br#"{"store_id":1,"event":"order/paid","id":2}"#;
        let tag = sign("s3cret", body);
        assert!(signature_is_valid("s3cret", body, &hex::encode(&tag)));
        assert!(signature_is_valid("s3cret", body, &hex::encode_upper(&tag)));
        assert!(signature_is_valid(
            "s3cret",
            body,
            &base64::engine::general_purpose::STANDARD.encode(&tag)
        ));
        assert!(!signature_is_valid("other", body, &hex::encode(&tag)));
        assert!(!signature_is_valid("s3cret", b"{}", &hex::encode(&tag)));
        assert!(!signature_is_valid("s3cret", body, "abc"));
        assert!(!signature_is_valid("s3cret", body, ""));
    }
}
